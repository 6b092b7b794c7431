package sqlite

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/domain"
)

// ChangePollInterval is how often ListenChanges asks SQLite whether the
// file changed.
const ChangePollInterval = 20 * time.Millisecond

var _ domain.ChangeListener = (*DB)(nil)

// ListenChanges calls fn with DiaryChange{All: true} whenever a change a
// diary reader could see was committed to the database file since it last
// looked, until ctx ends (then it returns nil) or its connection fails
// (then an error wrapping domain.ErrUnavailable or the driver's error;
// also once db is closed). SQLite has no notifications: ListenChanges
// holds one connection of its own on the file, outside db's pools, and
// every ChangePollInterval reads PRAGMA data_version, which changes when
// any other connection has committed — another process's, and this
// process's writer too, since the listener's connection never writes.
// Only then does it read the diary version, a counter the schema's
// triggers move with every change of reviews, movies and profiles
// (migration 0009), and it reports a change when that moved: commits of
// the outbox, import jobs or tokens are not reported. Changes of this
// process are reported as well (the port allows it), and a commit is seen
// within one interval plus fn's own time. Several commits between two
// looks give one call; the change is never narrowed down to a user or
// movie. fn is called with All after the first look, since what was
// committed before it is not known, and after each look with
// DiaryChange{Through: when the look began}. fn runs on ListenChanges'
// goroutine; a slow fn delays the next look, never drops a change.
func (db *DB) ListenChanges(ctx context.Context, fn func(domain.DiaryChange)) error {
	const op = "listen changes"
	if db.closed.Load() {
		return &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
	}
	// One connection, read-only, for as long as the listener runs.
	pool, err := sqlx.Open("sqlite", dsn(db.cfg, false))
	if err != nil {
		return db.wrap(op, err)
	}
	defer pool.Close()
	pool.SetMaxOpenConns(1)
	conn, err := pool.Connx(ctx)
	if err != nil {
		return db.listenErr(ctx, op, err)
	}
	defer conn.Close()
	version := func() (int64, error) {
		var v int64
		err := conn.QueryRowxContext(ctx, `PRAGMA data_version`).Scan(&v)
		return v, err
	}
	diaryVersion := func() (int64, error) {
		var v int64
		err := conn.QueryRowxContext(ctx, `SELECT n FROM diary_version WHERE id = 1`).Scan(&v)
		return v, err
	}
	start := time.Now()
	last, err := version()
	if err != nil {
		return db.listenErr(ctx, op, err)
	}
	lastDiary, err := diaryVersion()
	if err != nil {
		return db.listenErr(ctx, op, err)
	}
	// What was committed before the first look is not known.
	fn(domain.DiaryChange{All: true})
	fn(domain.DiaryChange{Through: start})
	tick := time.NewTicker(ChangePollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if db.closed.Load() {
			return &dbError{op: op, kind: domain.ErrUnavailable, err: errClosed}
		}
		now := time.Now()
		v, err := version()
		if err != nil {
			return db.listenErr(ctx, op, err)
		}
		if v != last {
			last = v
			d, err := diaryVersion()
			if err != nil {
				return db.listenErr(ctx, op, err)
			}
			if d != lastDiary {
				lastDiary = d
				fn(domain.DiaryChange{All: true})
			}
		}
		// Whatever committed before now shows in the data version read
		// since.
		fn(domain.DiaryChange{Through: now})
	}
}

// listenErr is nil once ctx has ended (a statement it interrupted fails
// in the driver's own words), else err wrapped.
func (db *DB) listenErr(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return db.wrap(op, err)
}
