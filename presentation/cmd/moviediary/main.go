// Command moviediary serves a personal movie diary: a JSON API, an HTML
// page that needs no JavaScript, an RSS feed and a background worker that
// fetches posters.
//
// Usage:
//
//	moviediary [serve]              serve the diary (the default command)
//	moviediary worker               deliver stored events (poster syncs) without serving HTTP
//	moviediary events list --dead   list the events whose delivery was given up
//	moviediary events retry ID      requeue a dead event
//	moviediary migrate              apply database migrations and exit
//	moviediary user add --email E   create an account; the password is read from stdin
//	moviediary token add --email E --name N [--expires 2027-01-01]
//	                                print a new personal API token for the account
//	moviediary webhook add --email E --source plex|jellyfin|emby [--plex-account NAME]
//	                                print a new media-server webhook URL for the account
//	moviediary import --email E [--source letterboxd|imdb|moviediary] [--dry-run] FILE…
//	                                import a Letterboxd, IMDb or moviediary export into the account's diary
//	moviediary export --email E --format json|csv [--output FILE]
//	                                write the account's diary (stdout by default)
//	moviediary version              print the version
//
// Configuration comes from the environment (and a .env file in the working
// directory when present); see the README for every variable.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/moviediary/moviediary/presentation/wiring"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Everything for stderr, the log and the messages alike, goes through
	// one LogWriter, in order; it is drained before run returns.
	logOut := wiring.NewLogWriter(stderr)
	defer logOut.Close()
	stderr = logOut
	if err := wiring.LoadDotEnv(".env"); err != nil {
		fmt.Fprintln(stderr, "moviediary:", err)
		return 2
	}
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	if cmd == "version" || cmd == "--version" || cmd == "-v" {
		fmt.Fprintln(stdout, "moviediary", version)
		return 0
	}
	if cmd == "help" || cmd == "--help" || cmd == "-h" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cfg, err := wiring.LoadConfig(os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "moviediary:", err)
		return 2
	}
	logger := wiring.NewLogger(stderr, cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "serve":
		err = wiring.Serve(ctx, cfg, logger)
	case "worker":
		err = wiring.Work(ctx, cfg, logger)
	case "events":
		err = eventsCommand(ctx, cfg, logger, args, stdout)
	case "migrate":
		err = wiring.Migrate(ctx, cfg, logger)
	case "user":
		err = userCommand(ctx, cfg, logger, args, stdin, stdout)
	case "token":
		err = tokenCommand(ctx, cfg, logger, args, stdout)
	case "webhook":
		err = webhookCommand(ctx, cfg, logger, args, stdout)
	case "import":
		err = importCommand(ctx, cfg, logger, args, stdout)
	case "export":
		err = exportCommand(ctx, cfg, args, stdout)
	default:
		fmt.Fprintf(stderr, "moviediary: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "moviediary: %s\n\n%s", ue, usage)
			return 2
		}
		var ce *wiring.ConfigError
		if errors.As(err, &ce) {
			fmt.Fprintln(stderr, "moviediary:", ce)
			return 2
		}
		if errors.Is(err, wiring.ErrUnknownEvent) || errors.Is(err, wiring.ErrImportRefused) {
			fmt.Fprintln(stderr, "moviediary:", err)
			return 1
		}
		logger.Error("moviediary stopped", "error", err.Error())
		return 1
	}
	return 0
}

type usageError string

func (e usageError) Error() string { return string(e) }

const usage = `Usage:
  moviediary [serve]              serve the diary (default)
  moviediary worker               deliver stored events without serving HTTP
  moviediary events list --dead   list events whose delivery was given up
  moviediary events retry ID      requeue a dead event
  moviediary migrate              apply database migrations and exit
  moviediary user add --email E   create an account; password read from stdin
  moviediary token add --email E --name N [--expires DATE]
                                  print a new personal API token for the account
  moviediary webhook add --email E --source plex|jellyfin|emby [--plex-account NAME]
                                  print a new media-server webhook URL for the account
  moviediary import --email E [--source letterboxd|imdb|moviediary] [--dry-run] FILE...
                                  import a Letterboxd, IMDb or moviediary export into the
                                  account's diary, with a progress report
  moviediary export --email E --format json|csv [--output FILE]
                                  write the account's diary (stdout by default)
  moviediary version              print the version
`

func userCommand(ctx context.Context, cfg wiring.Config, logger *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError("user: the only subcommand is add")
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "the account's email address")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError("user add: " + err.Error())
	}
	if *email == "" {
		return usageError("user add: --email is required")
	}
	raw, err := io.ReadAll(io.LimitReader(stdin, 4096))
	if err != nil {
		return fmt.Errorf("read password from stdin: %w", err)
	}
	password := strings.TrimSuffix(strings.TrimSuffix(string(raw), "\n"), "\r")
	user, err := wiring.AddUser(ctx, cfg, logger, *email, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created user %s (%s)\n", user.Email, user.ID)
	return nil
}

// tokenCommand runs "token add": the token goes alone on stdout, so that
// a script can capture it; what it is goes to stderr's log.
func tokenCommand(ctx context.Context, cfg wiring.Config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError("token: the only subcommand is add")
	}
	fs := flag.NewFlagSet("token add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "the account's email address")
	name := fs.String("name", "", "what the token is for")
	expires := fs.String("expires", "", "when it stops working: a date (YYYY-MM-DD, midnight UTC) or an RFC 3339 time; never when empty")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError("token add: " + err.Error())
	}
	if *email == "" || *name == "" {
		return usageError("token add: --email and --name are required")
	}
	var expiresAt *time.Time
	if *expires != "" {
		t, err := time.Parse(time.RFC3339, *expires)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, *expires); err != nil {
				return usageError("token add: --expires must be a date like 2027-01-01 or an RFC 3339 time")
			}
		}
		expiresAt = &t
	}
	created, err := wiring.AddAPIToken(ctx, cfg, logger, *email, *name, expiresAt)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, created.Token)
	return nil
}

// webhookCommand runs "webhook add": the URL goes alone on stdout.
func webhookCommand(ctx context.Context, cfg wiring.Config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError("webhook: the only subcommand is add")
	}
	fs := flag.NewFlagSet("webhook add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "the account's email address")
	source := fs.String("source", "", "the media server: plex, jellyfin or emby")
	plexAccount := fs.String("plex-account", "", "with plex: log only this Plex account's plays")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError("webhook add: " + err.Error())
	}
	if *email == "" || *source == "" {
		return usageError("webhook add: --email and --source are required")
	}
	_, url, err := wiring.AddWebhook(ctx, cfg, logger, *email, *source, *plexAccount)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, url)
	return nil
}

func eventsCommand(ctx context.Context, cfg wiring.Config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError("events: the subcommands are list --dead and retry ID")
	}
	switch args[0] {
	case "list":
		fs := flag.NewFlagSet("events list", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		dead := fs.Bool("dead", false, "list the dead events")
		limit := fs.Int("limit", 100, "list at most this many")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError("events list: " + err.Error())
		}
		if !*dead {
			return usageError("events list: only --dead is supported")
		}
		if *limit < 1 {
			return usageError("events list: --limit must be 1 or more")
		}
		return wiring.ListDeadEvents(ctx, cfg, stdout, *limit)
	case "retry":
		if len(args) != 2 {
			return usageError("events retry: give exactly one event ID")
		}
		if err := wiring.RetryEvent(ctx, cfg, logger, args[1]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "requeued event %s\n", args[1])
		return nil
	}
	return usageError("events: the subcommands are list --dead and retry ID")
}
