package postgres

import (
	"context"

	"github.com/moviediary/moviediary/domain"
)

// sqlExportDiary reads a user's whole diary, oldest viewing first (ties by
// review ID), each entry with whether an earlier entry of the same movie
// precedes it: the user's reviews come through reviews_user_watched_idx
// in the diary's order, the window numbers each movie's viewings in that
// same order.
const sqlExportDiary = `SELECT ` + entryColumns + `,
		row_number() OVER (PARTITION BY r.movie_id ORDER BY r.watched_at, r.id) > 1 AS rewatch
	FROM reviews r JOIN movies m ON m.id = r.movie_id
	WHERE r.user_id = $1
	ORDER BY r.watched_at, r.id`

// ExportDiary calls fn with every entry of user, oldest viewing first
// (watched_at, then review ID), and stops at fn's first error, which it
// returns. It is one query whose rows the driver hands on as they arrive,
// so memory stays flat at any size: one entry is decoded at a time. When fn
// fails, the query is cancelled rather than read to its end.
func (r *MovieRepository) ExportDiary(ctx context.Context, user domain.UserID, fn func(domain.ExportedEntry) error) error {
	const op = "export diary"
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rows, err := r.db.QueryContext(ctx, sqlExportDiary, user.UUID())
	if err != nil {
		return dbError(op, err)
	}
	defer rows.Close()
	var (
		row     entryRow
		rewatch bool
	)
	for rows.Next() {
		row = entryRow{}
		if err := row.scanRewatch(rows, &rewatch); err != nil {
			return dbError(op, err)
		}
		e, err := row.toDomain()
		if err != nil {
			return dbError(op, err)
		}
		if err := fn(domain.ExportedEntry{DiaryEntry: e, Rewatch: rewatch}); err != nil {
			// Stop the server's side: closing rows would read the rest.
			cancel()
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return dbError(op, err)
	}
	return dbError(op, rows.Close())
}
