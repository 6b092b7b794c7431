package wiring

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/sqlite"
	"github.com/moviediary/moviediary/domain"
)

// Store is a database that holds the diary: SQLite or PostgreSQL.
type Store interface {
	Movies() domain.MovieRepository
	Users() domain.UserRepository
	// Statistics reads the diary statistics the store keeps.
	Statistics() domain.StatsReader
	// Tokens keeps personal API tokens.
	Tokens() domain.APITokenRepository
	// Webhooks keeps the media-server webhooks.
	Webhooks() domain.WebhookRepository
	// Plays records the plays media servers report, with their events.
	Plays() domain.PlayRecorder
	// Imports keeps import jobs and stores their rows (with their events,
	// in the outbox when it is on).
	Imports() domain.ImportRepository
	// Quota counts the uses of the OMDb budget, shared by every process
	// on the database.
	Quota() domain.QuotaCounter
	// Outbox is the transactional outbox. Repositories store their events
	// in it only when the store was opened for a bus that keeps them (not
	// the channel bus); it can be listed and requeued either way.
	Outbox() domain.Outbox
	Ping(ctx context.Context) error
	Close() error
}

// outboxListener is a Store that can wake dispatchers the moment another
// process commits events (PostgreSQL's LISTEN/NOTIFY). ListenOutbox calls
// wake for every notification until ctx ends.
type outboxListener interface {
	ListenOutbox(ctx context.Context, wake func()) error
}

// outboxNotifier is a Store that can wake the dispatchers of other
// processes after a commit (PostgreSQL's NOTIFY).
type outboxNotifier interface {
	NotifyOutbox(ctx context.Context) error
}

// OpenStore is the one way the binary opens its database: it creates
// DATA_DIR (and a SQLite file's directory), opens the database named by
// DATABASE_URL and applies its migrations. With the outbox on, a saved
// viewing's events are stored in its transaction (EVENT_BUS outbox and
// nats); commands that only read or requeue events may open it either way.
func OpenStore(ctx context.Context, cfg Config) (Store, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create DATA_DIR %s: %w", cfg.DataDir, err)
	}
	withOutbox := cfg.storesEvents()
	var (
		store   Store
		migrate func(context.Context) error
	)
	switch {
	case strings.HasPrefix(cfg.DatabaseURL, "sqlite://"):
		sc, err := sqlite.ParseURL(cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		sc.Outbox = withOutbox
		if dir := filepath.Dir(sc.Path); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("open database: create its directory: %w", err)
			}
		}
		db, err := sqlite.Open(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		store, migrate = sqliteStore{db}, db.Migrate
	case strings.HasPrefix(cfg.DatabaseURL, "postgres://"), strings.HasPrefix(cfg.DatabaseURL, "postgresql://"):
		db, err := postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL, Outbox: withOutbox})
		if err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		store, migrate = postgresStore{db}, db.Migrate
	default:
		return nil, &ConfigError{Var: "DATABASE_URL", Reason: "must start with sqlite:// or postgres://"}
	}
	if err := migrate(ctx); err != nil {
		_ = store.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	return store, nil
}

type sqliteStore struct{ *sqlite.DB }

func (s sqliteStore) Movies() domain.MovieRepository     { return s.DB.Movies() }
func (s sqliteStore) Users() domain.UserRepository       { return s.DB.Users() }
func (s sqliteStore) Tokens() domain.APITokenRepository  { return s.DB.Tokens() }
func (s sqliteStore) Webhooks() domain.WebhookRepository { return s.DB.Webhooks() }
func (s sqliteStore) Plays() domain.PlayRecorder         { return s.DB.Plays() }
func (s sqliteStore) Outbox() domain.Outbox              { return s.DB.Outbox() }
func (s sqliteStore) Imports() domain.ImportRepository   { return s.DB.Imports() }
func (s sqliteStore) Quota() domain.QuotaCounter         { return s.DB.Quota() }
func (s sqliteStore) Statistics() domain.StatsReader     { return s.DB.Statistics() }

type postgresStore struct{ *postgres.DB }

func (s postgresStore) Movies() domain.MovieRepository     { return s.DB.Movies() }
func (s postgresStore) Users() domain.UserRepository       { return s.DB.Users() }
func (s postgresStore) Tokens() domain.APITokenRepository  { return s.DB.Tokens() }
func (s postgresStore) Webhooks() domain.WebhookRepository { return s.DB.Webhooks() }
func (s postgresStore) Plays() domain.PlayRecorder         { return s.DB.Plays() }
func (s postgresStore) Outbox() domain.Outbox              { return s.DB.Outbox() }
func (s postgresStore) Imports() domain.ImportRepository   { return s.DB.Imports() }
func (s postgresStore) Quota() domain.QuotaCounter         { return s.DB.Quota() }
func (s postgresStore) Statistics() domain.StatsReader     { return s.DB.Statistics() }
