package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/moviediary/moviediary/domain"
)

// Config configures the connection pool. Zero values take the defaults.
type Config struct {
	// URL is a lib/pq connection string, e.g.
	// "postgres://user:pass@host:5432/moviediary?sslmode=disable".
	URL string
	// MaxOpenConns caps open connections; default 16.
	MaxOpenConns int
	// MaxIdleConns caps idle connections kept for reuse; default
	// MaxOpenConns.
	MaxIdleConns int
	// ConnMaxLifetime retires connections after this long, so a server
	// fail-over or a PgBouncer restart is picked up; default 30 minutes.
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime closes connections idle for this long; default 5
	// minutes.
	ConnMaxIdleTime time.Duration
	// Outbox turns on outbox mode: SaveViewing also stores the events of
	// each viewing in outbox_events, in the transaction that stores the
	// viewing, and RecordPlay the PlayReported event of each play it
	// records, and SaveImportBatch and IdentifyMovie theirs, for
	// dispatchers to deliver from (*DB).Outbox.
	Outbox bool
}

// Pool defaults.
const (
	DefaultMaxOpenConns    = 16
	DefaultConnMaxLifetime = 30 * time.Minute
	DefaultConnMaxIdleTime = 5 * time.Minute
)

func (c Config) withDefaults() Config {
	if c.MaxOpenConns <= 0 {
		c.MaxOpenConns = DefaultMaxOpenConns
	}
	if c.MaxIdleConns <= 0 || c.MaxIdleConns > c.MaxOpenConns {
		c.MaxIdleConns = c.MaxOpenConns
	}
	if c.ConnMaxLifetime <= 0 {
		c.ConnMaxLifetime = DefaultConnMaxLifetime
	}
	if c.ConnMaxIdleTime <= 0 {
		c.ConnMaxIdleTime = DefaultConnMaxIdleTime
	}
	return c
}

// DB is a pool of connections to one moviediary database. It is safe for
// concurrent use.
type DB struct {
	x        *sqlx.DB
	url      string // for ListenOutbox's dedicated connection
	movies   *MovieRepository
	users    *UserRepository
	tokens   *APITokenRepository
	webhooks *WebhookRepository
	plays    *PlayRecorder
	outbox   *Outbox
	imports  *ImportRepository
	quota    *QuotaCounter
	stats    *StatsRepository
}

// Open validates cfg, opens a pool and pings the database. A malformed URL
// gives ErrMisconfigured; an unreachable server gives ErrUnavailable.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("postgres: open: the database URL is empty: %w", domain.ErrMisconfigured)
	}
	pqCfg, err := pq.NewConfig(cfg.URL)
	if err != nil {
		// The message may quote the URL, which can hold a password: say only
		// that it is malformed.
		return nil, fmt.Errorf("postgres: open: the database URL is malformed: %w", domain.ErrMisconfigured)
	}
	// Send parse, bind and execute together: one round trip per statement
	// instead of two. It changes the encoding of []byte parameters only,
	// which go out as binary: the repositories pass []byte for bytea
	// columns alone (the API token and webhook secret hashes), whose binary
	// form is the bytes.
	pqCfg.BinaryParameters = true
	connector, err := pq.NewConnectorConfig(pqCfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: the database URL is malformed: %w", domain.ErrMisconfigured)
	}
	cfg = cfg.withDefaults()
	sqlDB := sql.OpenDB(connector)
	sqlDB.SetMaxOpenConns(cfg.MaxOpenConns)
	sqlDB.SetMaxIdleConns(cfg.MaxIdleConns)
	sqlDB.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	sqlDB.SetConnMaxIdleTime(cfg.ConnMaxIdleTime)
	db := &DB{x: sqlx.NewDb(sqlDB, "postgres"), url: cfg.URL}
	if err := db.Ping(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	db.movies = &MovieRepository{db: db.x, outbox: cfg.Outbox}
	db.users = &UserRepository{db: db.x}
	db.tokens = &APITokenRepository{db: db.x}
	db.webhooks = &WebhookRepository{db: db.x}
	db.plays = &PlayRecorder{db: db.x, outbox: cfg.Outbox}
	db.outbox = &Outbox{db: db.x}
	db.imports = &ImportRepository{db: db.x, outbox: cfg.Outbox}
	db.quota = &QuotaCounter{db: db.x}
	db.stats = &StatsRepository{db: db.x}
	return db, nil
}

// Ping checks that the database answers; ErrUnavailable when it does not.
// Readiness probes call it.
func (db *DB) Ping(ctx context.Context) error {
	return dbError("ping", db.x.PingContext(ctx))
}

// Close closes the pool.
func (db *DB) Close() error {
	closeStatements(db.x)
	return db.x.Close()
}

// Movies returns the movie repository on this pool.
func (db *DB) Movies() *MovieRepository { return db.movies }

// Users returns the user repository on this pool.
func (db *DB) Users() *UserRepository { return db.users }

// Stats returns the pool's statistics, for metrics. (Statistics returns
// the diary's.)
func (db *DB) Stats() sql.DBStats { return db.x.Stats() }
