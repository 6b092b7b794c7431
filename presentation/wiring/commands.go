package wiring

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
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
