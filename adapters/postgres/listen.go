package postgres

import (
	"context"
	"errors"
	"github.com/jmoiron/sqlx"
	"sync/atomic"
	"time"

	"github.com/lib/pq"

	"github.com/moviediary/moviediary/domain"
)

// Listener timing. A lost connection is retried after minReconnect,
// doubling up to maxReconnect; the connection is pinged every pingEvery
// without a notification, so one that died silently is noticed and
// replaced.
const (
	listenMinReconnect = 100 * time.Millisecond
	listenMaxReconnect = 10 * time.Second
	listenPingEvery    = 30 * time.Second
)

// NotifyOutbox wakes every ListenOutbox of this database, in any process:
// call it after committing a save that stored events. It runs in its own
// short transaction that does not wait for the WAL flush (a lost
// notification only delays delivery to the next poll).
func (db *DB) NotifyOutbox(ctx context.Context) error {
	const op = "notify outbox"
	return inTx(ctx, db.x, op, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit TO off`); err != nil {
			return dbError(op, err)
		}
		_, err := tx.ExecContext(ctx, `SELECT pg_notify('`+OutboxChannel+`', '')`)
		return dbError(op, err)
	})
}

// ListenOutbox calls wake whenever NotifyOutbox or an outbox requeue
// commits in this database — from any process — until ctx ends, then
// returns nil. It
// holds one dedicated connection (github.com/lib/pq's Listener) on
// OutboxChannel, outside the pool.
//
// wake is also called once the listener is first connected and after
// every reconnection, since notifications sent while it was away are lost:
// the caller then claims whatever became due. Notifications of one
// transaction, and bursts, may arrive as one call; wake runs on
// ListenOutbox's goroutine and should only signal (a non-blocking send on
// a buffered channel, say), never deliver events itself.
//
// A connection the server refuses for good — bad credentials, no such
// database — ends it with an error wrapping domain.ErrMisconfigured; other
// connection failures are retried for as long as ctx lasts.
func (db *DB) ListenOutbox(ctx context.Context, wake func()) error {
	return db.listen(ctx, "listen outbox", OutboxChannel, func(*pq.Notification) { wake() })
}

// listen holds one dedicated connection (github.com/lib/pq's Listener),
// outside the pool, listening on channel until ctx ends, then returns nil.
// It calls fn with each notification, and with nil once the listener is
// first connected and after every reconnection (notifications sent while
// it was away are lost). fn runs on listen's goroutine. A connection the
// server refuses for good ends it with an error wrapping
// domain.ErrMisconfigured; other connection failures are retried for as
// long as ctx lasts.
func (db *DB) listen(ctx context.Context, op, channel string, fn func(*pq.Notification)) error {
	refused := make(chan error, 1)
	l := pq.NewListener(db.url, listenMinReconnect, listenMaxReconnect, func(ev pq.ListenerEventType, err error) {
		if ev == pq.ListenerEventConnectionAttemptFailed && err != nil && errors.Is(errorKind(err), domain.ErrMisconfigured) {
			select {
			case refused <- err:
			default:
			}
		}
	})
	defer l.Close()
	// Close unblocks a Listen still waiting for its first connection.
	stop := context.AfterFunc(ctx, func() { _ = l.Close() })
	defer stop()

	listening := make(chan error, 1)
	go func() { listening <- l.Listen(channel) }()

	ping := time.NewTicker(listenPingEvery)
	defer ping.Stop()
	var pinging atomic.Bool
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-refused:
			return dbError(op, err)
		case err := <-listening:
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return dbError(op, err)
			}
			fn(nil)
		case n, ok := <-l.Notify:
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return dbError(op, errors.New("listener closed"))
			}
			// A nil notification means the connection was re-established.
			fn(n)
			ping.Reset(listenPingEvery)
		case <-ping.C:
			// Ping on the side: while it waits for its answer, this loop
			// must keep draining notifications.
			if pinging.CompareAndSwap(false, true) {
				go func() {
					defer pinging.Store(false)
					_ = l.Ping() // a failure makes the listener reconnect
				}()
			}
		}
	}
}
