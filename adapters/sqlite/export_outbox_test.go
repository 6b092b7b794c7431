package sqlite

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/domain"
)

// OutboxQuery is one outbox statement with sample arguments and the index
// its plan must use.
type OutboxQuery struct {
	Name  string
	SQL   string
	Args  []any
	Index string
}

// OutboxQueries returns the outbox statements whose plans matter as the
// outbox grows.
func OutboxQueries() []OutboxQuery {
	id := make([]byte, 16)
	return []OutboxQuery{
		{"claim", sqlClaim, []any{int64(1), int64(2), 16}, "outbox_events_live"},
		{"backfill candidates", sqlNeedingPoster, nil, "movies_needing_poster"},
		{"backfill pending check", sqlNeedingPoster, nil, "outbox_events_discovered"},
		{"dead list", sqlDead, []any{10}, "outbox_events_dead"},
		{"pending count", `SELECT count(*) FROM outbox_events WHERE dead = 0`, nil, "outbox_events_live"},
		{"by event ID", `UPDATE outbox_events SET locked_until = 0 WHERE id = ?`, []any{id}, "sqlite_autoindex_outbox_events_1"},
	}
}

// StoreEvents inserts events as SaveViewing would in outbox mode, in one
// transaction, for benchmarks that need a backlog fast.
func (o *Outbox) StoreEvents(ctx context.Context, events []domain.Event) error {
	return o.db.write(ctx, "store events", func(tx *sqlx.Tx) error { return insertEvents(ctx, tx, events) })
}
