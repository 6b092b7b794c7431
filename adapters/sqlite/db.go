package sqlite

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/moviediary/moviediary/domain"
)

// Defaults for Config's zero fields.
const (
	DefaultBusyTimeout  = 5 * time.Second
	DefaultMaxReadConns = 4
)

// Scheme is the DATABASE_URL scheme that selects this adapter.
const Scheme = "sqlite"

// Config says which file to use and how.
type Config struct {
	// Path is the database file. It is created when missing; its directory
	// must exist. In-memory databases are not supported, since the writer
	// and the readers must share the file.
	Path string
	// BusyTimeout bounds how long a connection waits for a lock another
	// process holds (a second migrator) before failing; DefaultBusyTimeout
	// when zero.
	BusyTimeout time.Duration
	// MaxReadConns sizes the reader pool; DefaultMaxReadConns or the number
	// of CPUs, whichever is larger, when zero.
	MaxReadConns int
	// Outbox turns on outbox mode: SaveViewing, UpdateReview and
	// DeleteReview (and RecordPlay) also store their events in
	// outbox_events, in the transaction that makes the change, for a
	// dispatcher to deliver from (*DB).Outbox.
	Outbox bool
}

// ParseURL reads a DATABASE_URL of the form sqlite://PATH. Everything after
// "sqlite://" is the file path, taken literally: sqlite://./data/moviediary.db
// is relative to the working directory, sqlite:///var/lib/moviediary.db is
// absolute.
func ParseURL(s string) (Config, error) {
	prefix := Scheme + "://"
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return Config{}, fmt.Errorf("sqlite: database URL must look like sqlite://PATH, got scheme of %q", schemeOf(s))
	}
	path := s[len(prefix):]
	if path == "" {
		return Config{}, errors.New("sqlite: database URL sqlite://PATH has an empty path")
	}
	return Config{Path: path}, nil
}

func schemeOf(s string) string {
	if i := strings.Index(s, ":"); i >= 0 {
		return s[:i]
	}
	return s
}

// DB is an open moviediary database: one writer connection and a pool of
// readers on the same file. It is safe for concurrent use.
type DB struct {
	w        *sqlx.DB // exactly one connection; transactions BEGIN IMMEDIATE
	r        *sqlx.DB // query-only connections
	closed   atomic.Bool
	movies   *MovieRepository
	users    *UserRepository
	tokens   *APITokenRepository
	webhooks *WebhookRepository
	plays    *PlayRecorder
	imports  *ImportRepository
	quota    *QuotaCounter
	outbox   *Outbox
	stats    *StatsRepository
	// outboxMode is Config.Outbox.
	outboxMode bool
	// cfg is the configuration Open completed, for ListenChanges'
	// connection.
	cfg Config
	// stmts are the writer's prepared statements by query (writerStmt).
	stmtsMu sync.Mutex
	stmts   map[string]*sqlx.Stmt
	// skipBatchStats leaves an import batch's statistics out; only the
	// benchmarks set it (with the statistics triggers dropped), to
	// measure what the statistics cost.
	skipBatchStats bool
}

// Open opens (creating when missing) the database file at cfg.Path in WAL
// mode and checks that it can be read and written. Call Migrate before
// using the repositories on a new file, and Close when done.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.Path == "" {
		return nil, &dbError{op: "open", kind: domain.ErrMisconfigured, err: errors.New("empty database path")}
	}
	if cfg.BusyTimeout <= 0 {
		cfg.BusyTimeout = DefaultBusyTimeout
	}
	if cfg.MaxReadConns <= 0 {
		cfg.MaxReadConns = max(DefaultMaxReadConns, runtime.NumCPU())
	}

	db := &DB{outboxMode: cfg.Outbox, cfg: cfg}
	w, err := sqlx.Open("sqlite", dsn(cfg, true))
	if err != nil {
		return nil, db.wrap("open writer", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The writer's first connection creates the file and switches it to
	// WAL, before any reader opens it.
	if err := w.PingContext(ctx); err != nil {
		_ = w.Close()
		return nil, db.wrap("open writer", err)
	}
	r, err := sqlx.Open("sqlite", dsn(cfg, false))
	if err != nil {
		_ = w.Close()
		return nil, db.wrap("open readers", err)
	}
	r.SetMaxOpenConns(cfg.MaxReadConns)
	r.SetMaxIdleConns(cfg.MaxReadConns)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	if err := r.PingContext(ctx); err != nil {
		_ = r.Close()
		_ = w.Close()
		return nil, db.wrap("open readers", err)
	}
	db.w, db.r = w, r
	db.movies = &MovieRepository{db: db}
	db.users = &UserRepository{db: db}
	db.tokens = &APITokenRepository{db: db}
	db.webhooks = &WebhookRepository{db: db}
	db.plays = &PlayRecorder{db: db}
	db.imports = &ImportRepository{db: db}
	db.quota = &QuotaCounter{db: db}
	db.outbox = &Outbox{db: db}
	db.stats = &StatsRepository{db: db}
	return db, nil
}

// dsn builds the driver's connection string. Pragmas are applied by the
// driver to every new connection, so a connection the pool replaces keeps
// them.
func dsn(cfg Config, writer bool) string {
	q := []string{
		"_pragma=busy_timeout(" + strconv.FormatInt(cfg.BusyTimeout.Milliseconds(), 10) + ")",
		"_pragma=journal_mode(WAL)",
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(NORMAL)",
	}
	if writer {
		q = append(q, "_txlock=immediate", "_pragma=temp_store(MEMORY)")
	} else {
		// Readers map the file (up to 1 GiB of address space, not memory):
		// walking an index then costs no read call per page, which halves
		// the cost of deep offset pages.
		q = append(q, "_query_only=1", "_pragma=mmap_size(1073741824)")
	}
	prefix := "file:"
	if strings.HasPrefix(cfg.Path, "/") {
		prefix = "file://" // an empty authority, then the absolute path
	}
	return prefix + escapePath(cfg.Path) + "?" + strings.Join(q, "&")
}

// escapePath percent-encodes the characters that would end the path part
// of a SQLite URI filename.
func escapePath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '%', '?', '#':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Movies returns the movie repository of db.
func (db *DB) Movies() *MovieRepository { return db.movies }

// Users returns the user repository of db.
func (db *DB) Users() *UserRepository { return db.users }

// Tokens returns the API token repository of db.
func (db *DB) Tokens() *APITokenRepository { return db.tokens }

// Ping reports whether the database answers queries: nil when ready, an
// error wrapping domain.ErrUnavailable otherwise.
func (db *DB) Ping(ctx context.Context) error {
	if db.closed.Load() {
		return &dbError{op: "ping", kind: domain.ErrUnavailable, err: errClosed}
	}
	var one int
	if err := db.r.GetContext(ctx, &one, "SELECT 1"); err != nil {
		return &dbError{op: "ping", kind: domain.ErrUnavailable, err: err}
	}
	return nil
}

// Close lets SQLite refresh its planner statistics, then closes both
// pools. Operations after Close fail with domain.ErrUnavailable.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, _ = db.w.ExecContext(ctx, "PRAGMA optimize")
	return db.wrap("close", errors.Join(db.r.Close(), db.w.Close()))
}

// write runs fn in one write transaction (BEGIN IMMEDIATE on the single
// writer connection) and commits it, or rolls it back when fn fails.
func (db *DB) write(ctx context.Context, op string, fn func(tx *sqlx.Tx) error) error {
	if db.closed.Load() {
		return &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	tx, err := db.w.BeginTxx(ctx, nil)
	if err != nil {
		return db.wrap(op, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return db.wrap(op, err)
	}
	if err := tx.Commit(); err != nil {
		return db.wrap(op+": commit", err)
	}
	return nil
}

// writerStmt returns query prepared on the writer connection, preparing
// it on first use; a transaction runs it with tx.StmtxContext, which
// reuses the prepared statement (the writer pool has one connection).
// Call it outside a write transaction: preparing takes the writer
// connection. The statements are closed with the pool.
func (db *DB) writerStmt(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if db.closed.Load() {
		return nil, errClosed
	}
	db.stmtsMu.Lock()
	defer db.stmtsMu.Unlock()
	if stmt, ok := db.stmts[query]; ok {
		return stmt, nil
	}
	stmt, err := db.w.PreparexContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if db.stmts == nil {
		db.stmts = map[string]*sqlx.Stmt{}
	}
	db.stmts[query] = stmt
	return stmt, nil
}

// read runs fn in one read transaction on a reader connection, so that
// everything fn reads comes from one snapshot.
func (db *DB) read(ctx context.Context, op string, fn func(tx *sqlx.Tx) error) error {
	if db.closed.Load() {
		return &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	tx, err := db.r.BeginTxx(ctx, nil)
	if err != nil {
		return db.wrap(op, err)
	}
	defer func() { _ = tx.Rollback() }()
	return db.wrap(op, fn(tx))
}
