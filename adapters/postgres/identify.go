package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// Statements of IdentifyMovie, each by a primary key or the unique
// external ID. Moving the reviews is a range of reviews_movie_watched_idx;
// the schema's update trigger (migration 0008) moves their totals.
// SaveViewing attaches an external ID and a missing director with
// sqlAttachIdentity too (movieTx.AttachExternalID).
const (
	sqlLockMovie      = sqlMovieByID + ` FOR UPDATE`
	sqlAttachIdentity = `UPDATE movies SET external_id = $2, director = coalesce(director, $3)
		WHERE id = $1 RETURNING ` + movieColumns
	sqlMoveReviews = `UPDATE reviews SET movie_id = $2 WHERE movie_id = $1`
	sqlDeleteMovie = `DELETE FROM movies WHERE id = $1`
)

// IdentifyMovie attaches what the metadata source found, md, to the movie
// id, in one transaction that first locks the movie's row, so concurrent
// identifications of one movie take turns and the second finds what the
// first did:
//   - a movie that has an external ID already is returned as stored, with
//     no event;
//   - when no movie holds md.ExternalID, the movie gets it, and md.Director
//     when it has none; it is returned with MovieDiscovered (occurring at
//     at, carrying md.PosterURL) when it has no poster;
//   - when another movie holds it, every review of id moves to that movie
//     (the exact totals follow, by the schema's update trigger) and id is
//     deleted; that movie is returned, with no event.
//
// A concurrent writer that gives md.ExternalID to another movie between
// the look-up and the update makes the update fail under a savepoint, and
// the merge is taken instead. In outbox mode the event is stored in the
// transaction. ErrNotFound when id is unknown (merged meanwhile).
func (r *MovieRepository) IdentifyMovie(ctx context.Context, id domain.MovieID, md domain.MovieMetadata, at time.Time) (domain.Movie, []domain.Event, error) {
	const op = "identify movie"
	if md.ExternalID.IsZero() {
		return domain.Movie{}, nil, dbError(op, domain.FieldError{Field: "external_metadata_id", Rule: "is required"})
	}
	var (
		movie  domain.Movie
		events []domain.Event
	)
	err := inTx(ctx, r.db, op, func(tx *sqlx.Tx) error {
		events = nil
		stored, ok, err := selectMovie(ctx, tx, op, sqlLockMovie, id.UUID())
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("postgres: %s: movie %s: %w", op, id, domain.ErrNotFound)
		}
		if !stored.ExternalID.IsZero() {
			movie = stored
			return nil
		}
		for range sqlrows.MaxResolveAttempts {
			holder, ok, err := selectMovie(ctx, tx, op, sqlMovieByExternalID, md.ExternalID.String())
			if err != nil {
				return err
			}
			if ok {
				if _, err := tx.ExecContext(ctx, sqlMoveReviews, id.UUID(), holder.ID.UUID()); err != nil {
					return dbError(op+": move reviews", err)
				}
				if _, err := tx.ExecContext(ctx, sqlDeleteMovie, id.UUID()); err != nil {
					return dbError(op+": delete merged movie", err)
				}
				movie = holder
				return nil
			}
			identified, ok, err := withSavepoint(ctx, tx, op, func() (domain.Movie, bool, error) {
				return selectMovie(ctx, tx, op, sqlAttachIdentity, id.UUID(), md.ExternalID.String(), nullString(md.Director.String()))
			})
			if err != nil {
				return err
			}
			if ok {
				movie = identified
				if !movie.HasPoster() {
					events = []domain.Event{domain.NewMovieDiscovered(movie, md.PosterURL, at)}
				}
				if r.outbox {
					return insertEvents(ctx, tx, op, events)
				}
				return nil
			}
			// Another movie took the external ID meanwhile: merge into it.
		}
		return fmt.Errorf("postgres: %s: external ID %s kept changing under concurrent writers: %w", op, md.ExternalID, domain.ErrConflict)
	})
	if err != nil {
		return domain.Movie{}, nil, err
	}
	return movie, events, nil
}
