package wiring

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/moviediary/moviediary/adapters/auth"
	natsadapter "github.com/moviediary/moviediary/adapters/nats"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/presentation"
)

// NewLogger builds the process logger from LOG_LEVEL and LOG_FORMAT.
func NewLogger(w io.Writer, cfg Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Serve runs the server until ctx is cancelled (SIGINT/SIGTERM).
func Serve(ctx context.Context, cfg Config, logger *slog.Logger) error {
	logger.Info("starting moviediary", "config", cfg)
	app, err := New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer app.Close()
	return app.Run(ctx)
}

// Migrate applies the database migrations and returns.
func Migrate(ctx context.Context, cfg Config, logger *slog.Logger) error {
	store, err := OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	logger.Info("database migrated", "database", maskURL(cfg.DatabaseURL))
	return nil
}

// AddUser creates an account whatever ALLOW_REGISTRATION says: it is how
// accounts are made on a server with registration closed.
func AddUser(ctx context.Context, cfg Config, logger *slog.Logger, email, password string) (domain.User, error) {
	store, err := OpenStore(ctx, cfg)
	if err != nil {
		return domain.User{}, err
	}
	defer store.Close()
	hasher, err := auth.NewArgon2id(auth.Argon2Config{})
	if err != nil {
		return domain.User{}, err
	}
	register, err := application.NewRegister(store.Users(), hasher, application.RegistrationOpen, time.Now)
	if err != nil {
		return domain.User{}, err
	}
	user, err := register.Handle(ctx, application.RegisterCommand{Email: email, Password: password})
	if err != nil {
		var ve *domain.ValidationError
		switch {
		case errors.As(err, &ve):
			return domain.User{}, errors.New(ve.Error())
		case errors.Is(err, domain.ErrConflict):
			return domain.User{}, fmt.Errorf("an account with email %s already exists", strings.TrimSpace(email))
		}
		return domain.User{}, err
	}
	logger.Info("user created", "user_id", user.ID.String())
	return user, nil
}

// AddAPIToken makes a personal API token for the account with email, named
// name and expiring at expiresAt (nil: never), and returns it: the token
// is shown this once and only its hash is stored.
func AddAPIToken(ctx context.Context, cfg Config, logger *slog.Logger, email, name string, expiresAt *time.Time) (application.CreatedAPIToken, error) {
	addr, err := domain.ParseEmail(email)
	if err != nil {
		return application.CreatedAPIToken{}, err
	}
	store, err := OpenStore(ctx, cfg)
	if err != nil {
		return application.CreatedAPIToken{}, err
	}
	defer store.Close()
	user, err := store.Users().UserByEmail(ctx, addr)
	if errors.Is(err, domain.ErrNotFound) {
		return application.CreatedAPIToken{}, fmt.Errorf("no account with email %s", addr)
	}
	if err != nil {
		return application.CreatedAPIToken{}, err
	}
	tokens, err := application.NewAPITokens(store.Tokens(), time.Now)
	if err != nil {
		return application.CreatedAPIToken{}, err
	}
	created, err := tokens.Create(ctx, application.CreateAPITokenCommand{UserID: user.ID, Name: name, ExpiresAt: expiresAt})
	if err != nil {
		var ve *domain.ValidationError
		if errors.As(err, &ve) {
			return application.CreatedAPIToken{}, errors.New(ve.Error())
		}
		return application.CreatedAPIToken{}, err
	}
	logger.Info("API token created", "user_id", user.ID.String(), "token_id", created.Record.ID.String(), "prefix", created.Record.Prefix)
	return created, nil
}

// AddWebhook makes a media-server webhook for the account with email and
// returns it with its absolute URL (under BASE_URL): the URL holds the
// secret, shown this once; only the secret's hash is stored.
func AddWebhook(ctx context.Context, cfg Config, logger *slog.Logger, email, source, plexAccount string) (application.CreatedWebhook, string, error) {
	addr, err := domain.ParseEmail(email)
	if err != nil {
		return application.CreatedWebhook{}, "", err
	}
	store, err := OpenStore(ctx, cfg)
	if err != nil {
		return application.CreatedWebhook{}, "", err
	}
	defer store.Close()
	user, err := store.Users().UserByEmail(ctx, addr)
	if errors.Is(err, domain.ErrNotFound) {
		return application.CreatedWebhook{}, "", fmt.Errorf("no account with email %s", addr)
	}
	if err != nil {
		return application.CreatedWebhook{}, "", err
	}
	hooks, err := application.NewWebhooks(store.Webhooks(), logger, time.Now)
	if err != nil {
		return application.CreatedWebhook{}, "", err
	}
	created, err := hooks.Create(ctx, application.CreateWebhookCommand{UserID: user.ID, Source: source, PlexAccount: plexAccount})
	if err != nil {
		var ve *domain.ValidationError
		if errors.As(err, &ve) {
			return application.CreatedWebhook{}, "", errors.New(ve.Error())
		}
		return application.CreatedWebhook{}, "", err
	}
	logger.Info("webhook created", "user_id", user.ID.String(), "webhook_id", created.Record.ID.String(), "source", string(created.Record.Source))
	return created, presentation.WebhookURL(cfg.BaseURL, created.Record.Source, created.Secret), nil
}

// ListDeadEvents writes up to limit dead events to w as a table: ID,
// event, movie, attempts, last error and creation time. They are the
// outbox's (given up by its dispatcher, or by the relay to NATS) and, with
// EVENT_BUS=nats, those the NATS consumer gave up (their dead advisories),
// oldest first.
func ListDeadEvents(ctx context.Context, cfg Config, w io.Writer, limit int) error {
	store, err := OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	dead, err := store.Outbox().DeadEvents(ctx, limit)
	if err != nil {
		return fmt.Errorf("list dead events: %w", err)
	}
	if cfg.EventBus == EventBusNATS {
		// Attach, not Connect: a shell's settings must not rewrite the
		// stream or the consumer the servers made.
		bus, err := natsadapter.Attach(ctx, natsConfig(cfg), natsadapter.WithLogger(slog.New(slog.DiscardHandler)))
		switch {
		case errors.Is(err, domain.ErrNotFound): // no stream yet: nothing died there
		case err != nil:
			return fmt.Errorf("list dead events in nats: %w", err)
		default:
			defer bus.Close()
			more, err := bus.DeadEvents(ctx, limit)
			if err != nil {
				return fmt.Errorf("list dead events in nats: %w", err)
			}
			dead = append(dead, more...)
		}
		slices.SortStableFunc(dead, func(a, b domain.OutboxEvent) int { return a.CreatedAt.Compare(b.CreatedAt) })
		dead = dead[:min(len(dead), limit)]
	}
	if len(dead) == 0 {
		_, err := fmt.Fprintln(w, "no dead events")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEVENT\tMOVIE\tATTEMPTS\tLAST ERROR\tCREATED")
	for _, e := range dead {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", e.Event.EventID(), e.Event.EventName(), e.Event.MovieID(),
			e.Attempts, oneLine(e.LastError, 100), e.CreatedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

// oneLine squeezes s onto one line of at most n runes, keeping the end:
// a wrapped error names its root cause last.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = "…" + string(r[len(r)-n+1:])
	}
	return s
}

// ErrUnknownEvent is returned by RetryEvent when no dead event has the ID.
var ErrUnknownEvent = errors.New("no dead event has this ID")

// RetryEvent makes the dead event id due again with its attempts reset: a
// running dispatcher delivers it at its next poll, or, for an event the
// NATS consumer gave up (EVENT_BUS=nats), it is republished to the stream
// and consumed again. An ID that is malformed or names no dead event is an
// error wrapping ErrUnknownEvent.
func RetryEvent(ctx context.Context, cfg Config, logger *slog.Logger, id string) error {
	eid, err := domain.ParseEventID(strings.TrimSpace(id))
	if err != nil {
		return fmt.Errorf("event %q: not an event ID: %w", id, ErrUnknownEvent)
	}
	store, err := OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	err = store.Outbox().RequeueEvent(ctx, eid, time.Now())
	if errors.Is(err, domain.ErrNotFound) && cfg.EventBus == EventBusNATS {
		bus, cerr := natsadapter.Attach(ctx, natsConfig(cfg), natsadapter.WithLogger(logger))
		switch {
		case errors.Is(cerr, domain.ErrNotFound): // no stream: no dead event there either
		case cerr != nil:
			return fmt.Errorf("requeue event %s in nats: %w", eid, cerr)
		default:
			defer bus.Close()
			err = bus.RequeueEvent(ctx, eid)
		}
	}
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return fmt.Errorf("event %s: %w (see moviediary events list --dead)", eid, ErrUnknownEvent)
		}
		return fmt.Errorf("requeue event %s: %w", eid, err)
	}
	logger.Info("event requeued", "event_id", eid.String())
	return nil
}

// ImportOptions are what `moviediary import` was asked to do.
type ImportOptions struct {
	// Email names the account whose diary the rows go to.
	Email string
	// Source is letterboxd, imdb or moviediary; "" to detect it.
	Source string
	// DryRun reports without writing.
	DryRun bool
	// Files are the paths of the files to import.
	Files []string
}

// ErrImportRefused is the error of an import whose files were refused (a
// file of no known type, a header with columns missing, an empty file) or
// that could not start (another import into the diary runs).
var ErrImportRefused = errors.New("import refused")

// importPollInterval is how often ImportFiles reads a job another process
// runs.
const importPollInterval = 500 * time.Millisecond

// ImportFiles imports files into the diary of the account with
// opts.Email, in this process, through the same use case as the API:
// the job is started (a refused file is an error naming it), then run,
// calling progress after each batch. When a server took the job first, its
// progress is read every 500 ms until it ends. It returns the job as it
// ended. The events of the rows (enrichment of films without an IMDb ID,
// posters) are stored in the outbox for the servers' dispatchers; with
// EVENT_BUS=channel they are delivered here, before it returns.
func ImportFiles(ctx context.Context, cfg Config, logger *slog.Logger, opts ImportOptions, progress func(domain.ImportJob)) (domain.ImportJob, error) {
	addr, err := domain.ParseEmail(opts.Email)
	if err != nil {
		return domain.ImportJob{}, err
	}
	files := make([]domain.ImportFile, 0, len(opts.Files))
	for _, path := range opts.Files {
		data, err := os.ReadFile(path)
		if err != nil {
			return domain.ImportJob{}, fmt.Errorf("read %s: %w", path, err)
		}
		files = append(files, domain.ImportFile{Name: filepath.Base(path), Data: data})
	}
	// The servers' dispatchers deliver the events stored in the outbox;
	// this process only stores them.
	cfg.EventDispatch = false
	app, err := New(ctx, cfg, logger)
	if err != nil {
		return domain.ImportJob{}, err
	}
	defer app.Close()
	user, err := app.store.Users().UserByEmail(ctx, addr)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.ImportJob{}, fmt.Errorf("no account with email %s", addr)
	}
	if err != nil {
		return domain.ImportJob{}, err
	}
	if app.bus.stop != nil { // the channel: deliver here, then drain
		done := make(chan error, 1)
		go func() { done <- app.bus.run(context.WithoutCancel(ctx)) }()
		defer func() {
			app.bus.stop()
			<-done
		}()
	}
	job, err := app.imports.Start(ctx, application.ImportCommand{Actor: user.ID, User: user.ID, Files: files, Source: opts.Source, DryRun: opts.DryRun})
	switch {
	case errors.Is(err, application.ErrImportRunning):
		return domain.ImportJob{}, fmt.Errorf("%w: an import into %s's diary is running already: wait until it ends", ErrImportRefused, addr)
	case errors.Is(err, domain.ErrValidation):
		return domain.ImportJob{}, fmt.Errorf("%w: %s", ErrImportRefused, err.Error())
	case err != nil:
		return domain.ImportJob{}, err
	}
	logger.Info("import started", "import_id", job.ID.String(), "user_id", user.ID.String(), "files", len(files), "dry_run", opts.DryRun)
	progress(job)
	ended, err := app.imports.Run(ctx, job.ID, progress)
	if !errors.Is(err, application.ErrImportClaimed) {
		if err == nil {
			progress(ended) // the job as it ended: every row done
		}
		return ended, err
	}
	// A server claimed the job first: follow it there.
	logger.Info("a server is running the import; following its progress", "import_id", job.ID.String())
	tick := time.NewTicker(importPollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return job, ctx.Err()
		case <-tick.C:
		}
		if job, err = app.imports.Job(ctx, user.ID, job.ID); err != nil {
			return job, err
		}
		progress(job)
		if !job.State.Active() {
			return job, nil
		}
	}
}

// Export formats of ExportDiary.
const (
	ExportJSON = "json"
	ExportCSV  = "csv"
)

// ExportDiary writes the diary of the account with email to w, oldest
// viewing first, as GET /api/export does: format ExportJSON (moviediary's
// lossless JSON) or ExportCSV (Letterboxd's import columns).
func ExportDiary(ctx context.Context, cfg Config, email, format string, w io.Writer) error {
	addr, err := domain.ParseEmail(email)
	if err != nil {
		return err
	}
	var out presentation.EntryWriter
	switch format {
	case ExportJSON:
		out = presentation.NewJSONExportWriter(w, time.Now())
	case ExportCSV:
		out = csvExport(w)
	default:
		return fmt.Errorf("export format %q: must be json or csv", format)
	}
	store, err := OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	user, err := store.Users().UserByEmail(ctx, addr)
	if errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("no account with email %s", addr)
	}
	if err != nil {
		return err
	}
	export, err := application.NewExportDiary(store.Movies(), store.Users())
	if err != nil {
		return err
	}
	if err := export.Export(ctx, user.ID, user.ID, out.Write); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return out.Flush()
}

// LoadDotEnv reads KEY=VALUE lines from path into the environment, without
// overriding variables already set. A missing file is not an error. Lines
// may be blank, comments (#), or prefixed with "export "; values may be
// single- or double-quoted.
func LoadDotEnv(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			return fmt.Errorf("%s:%d: expected KEY=VALUE", path, n)
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		} else if i := strings.Index(value, " #"); i >= 0 {
			value = strings.TrimSpace(value[:i])
		}
		if _, set := os.LookupEnv(key); !set {
			if err := os.Setenv(key, value); err != nil {
				return fmt.Errorf("%s:%d: %w", path, n, err)
			}
		}
	}
	return sc.Err()
}
