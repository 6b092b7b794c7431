package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/domain"
)

// ChangePollInterval is how long ListenChanges waits after one read of
// diary_changes before the next: a change committed by any process is
// reported within about this much plus a read's time.
const ChangePollInterval = 20 * time.Millisecond

// changesPruneAge is how long after reading a snapshot's xmin a listener
// deletes the rows of the transactions below it.
const changesPruneAge = time.Minute

var _ domain.ChangeListener = (*DB)(nil)

// sqlReadChanges returns the xmin of its own snapshot and the rows of
// diary_changes whose tx is at least $1, or, with $1 NULL, at least that
// xmin; the xmin alone (id NULL) when there are none. In one statement the
// snapshot pg_current_snapshot returns is the one the rows are read with,
// whatever the isolation level.
const sqlReadChanges = `WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
SELECT h.xmin, c.id, c.change
  FROM h LEFT JOIN diary_changes AS c ON c.tx >= coalesce($1::xid8, h.xmin)
 ORDER BY c.id`

// sqlPruneChanges deletes the rows of the transactions below the xmin $1.
// Rows another listener is deleting at the same time are skipped, so
// listeners that prune at once neither wait for nor deadlock with each
// other; what one skips, the other deletes.
const sqlPruneChanges = `DELETE FROM diary_changes
 WHERE id IN (SELECT id FROM diary_changes WHERE tx < $1::xid8 FOR UPDATE SKIP LOCKED)`

// ListenChanges calls fn for every change committed to this database, by
// any process (this one included), until ctx ends, then returns nil. It
// reads the table diary_changes every ChangePollInterval, one statement at
// a time on a connection it takes from the pool for as long as it runs.
//
// The schema's triggers (migrations 0009 and 0010) record the changes in
// the writing transactions, so every writer is heard (psql and bulk loads
// too): a statement writing reviews reports each distinct user and movie
// of its old and new rows (domain.DiaryChange{User, Movie}), or All when
// it wrote more than 64 of them; a movie changed or deleted, the reviews
// emptied, or a display name or a diary's privacy changed, report All.
// Each distinct change of one read is reported once, and only All when
// one of them is All. fn is also called with All after the first read,
// since what was committed before it is not known, and instead of a read's
// changes when more than 30 seconds passed since the previous read was
// sent, since rows are pruned about a minute after their transactions
// ended (see listenChanges). After each read's changes, fn is called with
// DiaryChange{Through: when the read was sent}. fn runs on ListenChanges'
// goroutine; a slow fn delays the next read, and never loses a change.
//
// A read or a prune that fails ends it with an *Error: wrapping
// domain.ErrMisconfigured when the server refuses the connection for good
// (bad credentials, no such database), domain.ErrUnavailable when it is
// unreachable or the connection is lost, domain.ErrInfrastructure
// otherwise (a schema not migrated, say). The caller may call it again,
// and hears All first again.
func (db *DB) ListenChanges(ctx context.Context, fn func(domain.DiaryChange)) error {
	return db.listenChanges(ctx, fn, changesPruneAge)
}

// listenChanges is ListenChanges deleting rows pruneAge after reading
// their horizon.
//
// Why no committed change is missed, in whatever order transactions
// commit: a snapshot sees every committed transaction below its xmin, so a
// row that read k did not see belongs to a transaction whose ID, tx, is at
// least xmin_k, and read k+1, which returns the rows it sees with
// tx ≥ xmin_k, returns it once it has committed. What read k+1 returns that
// an earlier read saw is skipped, and comparing with read k's rows alone
// finds all of it, because xmin never decreases from one read to the next:
// a transaction running at a later snapshot was either running at the
// earlier one, so its ID is at least the earlier xmin, or got its ID
// since, above the earlier xmax. So a row that an earlier read saw and
// read k+1 returns, with tx ≥ xmin_k ≥ xmin_(k-1), was returned by read k.
//
// Why pruning deletes nothing that a listener still has to report: a
// listener deletes the rows with tx below the xmin of a snapshot it read
// at least pruneAge earlier. Those transactions had all ended when that
// snapshot was taken, so a deleted row had been committed for at least
// pruneAge. Any listener reports a row at its first read whose snapshot
// follows the commit (or reports All, that read being its first), so it
// can miss a deleted row only if none of its reads took a snapshot in
// those pruneAge: then more than pruneAge passed from sending one read to
// the return of the next, and it reports All instead of the rows — from
// pruneAge/2 on, a margin for the two processes' clocks. A listener that
// was not running reports All when it starts. While no listener runs, rows accumulate;
// the first to run for pruneAge deletes them.
//
// The cost: a read returns the rows committed since the oldest writing
// transaction then running began (about the latency of a write, under
// load), again and again while one stays open; the comparison with the
// previous read's rows keeps them from being reported twice.
func (db *DB) listenChanges(ctx context.Context, fn func(domain.DiaryChange), pruneAge time.Duration) error {
	const op = "listen changes"
	var (
		horizon *uint64            // the previous read's xmin; nil before the first read
		seen    map[int64]struct{} // the IDs of the previous read's rows
		sent    time.Time          // when the previous read was sent
		marks   []changeHorizon    // xmins read, oldest first, to prune by
	)
	// One connection of the pool is the listener's for as long as it
	// runs: taking one for each read would queue the reads behind the
	// requests when the pool is busy, and delay every change reported.
	conn, err := db.liveConn(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return dbError(op, err)
	}
	defer conn.Close()
	next := time.NewTimer(0)
	defer next.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-next.C:
		}
		now := time.Now()
		read, err := readChanges(ctx, conn, horizon)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return dbError(op, err)
		}
		done := time.Now()
		switch {
		case horizon == nil, done.Sub(sent) > pruneAge/2:
			fn(domain.DiaryChange{All: true})
		default:
			read.report(seen, fn)
		}
		// Its snapshot was taken after now: whatever committed before
		// has been reported.
		fn(domain.DiaryChange{Through: now})
		horizon, seen, sent = &read.xmin, read.ids, now

		if len(marks) == 0 || done.Sub(marks[len(marks)-1].at) >= pruneAge/4 {
			marks = append(marks, changeHorizon{at: done, xmin: read.xmin})
		}
		ripe := 0
		for ripe < len(marks) && time.Since(marks[ripe].at) >= pruneAge {
			ripe++
		}
		if ripe > 0 {
			if _, err := conn.ExecContext(ctx, sqlPruneChanges, marks[ripe-1].xmin); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return dbError(op+": prune", err)
			}
			marks = marks[ripe:]
		}
		next.Reset(ChangePollInterval)
	}
}

// changeHorizon is a snapshot's xmin and when a listener had read it (no
// earlier than the snapshot was taken).
type changeHorizon struct {
	at   time.Time
	xmin uint64
}

// changeRead is what one read of diary_changes returned.
type changeRead struct {
	xmin    uint64
	ids     map[int64]struct{}
	changes []changeRow
}

type changeRow struct {
	id     int64
	change string
}

// liveConn takes a connection out of the pool and checks it: one that sat
// idle may have been closed by the server meanwhile (it is discarded, and
// the next one tried), which a query on a *sql.Conn would not retry.
func (db *DB) liveConn(ctx context.Context) (*sql.Conn, error) {
	for tries := 0; ; tries++ {
		conn, err := db.x.Conn(ctx)
		if err != nil {
			return nil, err
		}
		err = conn.PingContext(ctx)
		if err == nil {
			return conn, nil
		}
		_ = conn.Close()
		if !errors.Is(err, driver.ErrBadConn) || tries > db.x.Stats().MaxOpenConnections {
			return nil, err
		}
	}
}

// readChanges runs sqlReadChanges with the previous read's xmin.
func readChanges(ctx context.Context, conn *sql.Conn, horizon *uint64) (changeRead, error) {
	var arg any
	if horizon != nil {
		arg = *horizon
	}
	rows, err := conn.QueryContext(ctx, sqlReadChanges, arg)
	if err != nil {
		return changeRead{}, err
	}
	defer rows.Close()
	var read changeRead
	for rows.Next() {
		var id sql.NullInt64
		var change sql.NullString
		if err := rows.Scan(&read.xmin, &id, &change); err != nil {
			return changeRead{}, err
		}
		if !id.Valid {
			continue
		}
		if read.ids == nil {
			read.ids = make(map[int64]struct{})
		}
		read.ids[id.Int64] = struct{}{}
		read.changes = append(read.changes, changeRow{id: id.Int64, change: change.String})
	}
	return read, rows.Err()
}

// report calls fn once with each distinct change of r's rows that are not
// in seen, or only once with All when one of them is All.
func (r changeRead) report(seen map[int64]struct{}, fn func(domain.DiaryChange)) {
	var fresh []domain.DiaryChange
	distinct := make(map[string]struct{})
	for _, row := range r.changes {
		if _, ok := seen[row.id]; ok {
			continue
		}
		if _, ok := distinct[row.change]; ok {
			continue
		}
		distinct[row.change] = struct{}{}
		c := parseChange(row.change)
		if c.All {
			fn(c)
			return
		}
		fresh = append(fresh, c)
	}
	for _, c := range fresh {
		fn(c)
	}
}

// parseChange reads a row's change: "u=<user UUID> m=<movie UUID>" names
// a user and a movie, anything else ("all", or a change this version does
// not know) means All.
func parseChange(payload string) domain.DiaryChange {
	u, m, ok := strings.Cut(payload, " ")
	if !ok {
		return domain.DiaryChange{All: true}
	}
	u, uok := strings.CutPrefix(u, "u=")
	m, mok := strings.CutPrefix(m, "m=")
	if !uok || !mok {
		return domain.DiaryChange{All: true}
	}
	userUUID, uerr := uuid.Parse(u)
	movieUUID, merr := uuid.Parse(m)
	if uerr != nil || merr != nil {
		return domain.DiaryChange{All: true}
	}
	user, uerr := domain.UserIDFromUUID(userUUID)
	movie, merr := domain.MovieIDFromUUID(movieUUID)
	if uerr != nil || merr != nil {
		return domain.DiaryChange{All: true}
	}
	return domain.DiaryChange{User: user, Movie: movie}
}
