package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/domain"
)

// ListenOutboxURL runs ListenOutbox on a DB that only knows url, so a test
// can point the listener at a database that Open would refuse.
func ListenOutboxURL(ctx context.Context, url string, wake func()) error {
	return (&DB{url: url}).ListenOutbox(ctx, wake)
}

// OutboxQuery is one outbox statement with sample arguments and the index
// its plan must use.
type OutboxQuery struct {
	Name  string
	SQL   string
	Args  []any
	Index string
}

// OutboxQueries returns the outbox statements whose plans matter as the
// outbox and the catalogue grow.
func OutboxQueries() []OutboxQuery {
	now := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	return []OutboxQuery{
		{"claim", sqlClaim, []any{now, now.Add(time.Minute), 16}, "outbox_events_live_idx"},
		{"backfill candidates", sqlNeedingPoster, nil, "movies_needing_poster_idx"},
		{"backfill pending check", sqlNeedingPoster, nil, "outbox_events_discovered_idx"},
		{"dead list", sqlDead, []any{10}, "outbox_events_dead_idx"},
		{"pending count", `SELECT count(*) FROM outbox_events WHERE NOT dead`, nil, "outbox_events_live_idx"},
		{"by event ID", `DELETE FROM outbox_events WHERE id = $1`, []any{uuid.New()}, "outbox_events_pkey"},
	}
}

// StoreEvents inserts events as SaveViewing would in outbox mode, in one
// transaction, for benchmarks that need a backlog fast.
func (o *Outbox) StoreEvents(ctx context.Context, events []domain.Event) error {
	return inTx(ctx, o.db, "store events", func(tx *sqlx.Tx) error { return insertEvents(ctx, tx, "store events", events) })
}
