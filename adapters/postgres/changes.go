package postgres

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/moviediary/moviediary/domain"
)

// ChangesChannel is the channel on which the schema's triggers (migration
// 0009) notify every committed change that diary reads may show.
const ChangesChannel = "moviediary_changes"

var _ domain.ChangeListener = (*DB)(nil)

// ListenChanges calls fn for every change committed to this database, by
// any process (this one included), until ctx ends, then returns nil. It
// holds one dedicated connection (github.com/lib/pq's Listener) on
// ChangesChannel, outside the pool, as ListenOutbox does.
//
// The notifications come from the schema's triggers, in the writing
// transactions, so every writer is heard (psql and bulk loads too): a
// statement writing reviews reports each distinct user and movie of its
// old and new rows (domain.DiaryChange{User, Movie}), or All when it wrote
// more than 64 of them; a movie changed or deleted, the reviews emptied, or
// a display name or a diary's privacy changed, report All. fn is also
// called with All once the listener is connected and after every
// reconnection, since changes committed while it was away were not heard.
// fn runs on ListenChanges' goroutine and should return quickly (clear a
// cache entry, signal), since notifications wait meanwhile.
//
// A connection the server refuses for good — bad credentials, no such
// database — ends it with an error wrapping domain.ErrMisconfigured; other
// connection failures are retried for as long as ctx lasts.
func (db *DB) ListenChanges(ctx context.Context, fn func(domain.DiaryChange)) error {
	return db.listen(ctx, "listen changes", ChangesChannel, func(n *pq.Notification) {
		if n == nil {
			fn(domain.DiaryChange{All: true})
			return
		}
		fn(parseChange(n.Extra))
	})
}

// parseChange reads a notification's payload: "u=<user UUID> m=<movie
// UUID>" names a user and a movie, anything else ("all", or a payload this
// version does not know) means All.
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
