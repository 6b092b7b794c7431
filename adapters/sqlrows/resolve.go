package sqlrows

import (
	"context"
	"fmt"

	"github.com/moviediary/moviediary/domain"
)

// MaxResolveAttempts bounds how often one transaction looks a movie up
// again after losing a race to write it. Each lost race means another
// transaction committed the row, so the next look finds it; three is
// generous.
const MaxResolveAttempts = 3

// MovieTx is the dialect seam of ResolveMovie: the statements it runs, each
// in the store's own SQL, inside the transaction that saves the viewing.
// ok is false when no row was found or written. A method's error is the
// store's own, and ResolveMovie returns it unchanged.
type MovieTx interface {
	// MovieByExternalID reads the movie holding ext.
	MovieByExternalID(ctx context.Context, ext domain.ExternalMetadataID) (m domain.Movie, ok bool, err error)
	// MovieByID reads the movie with id. A store with row locks locks the
	// row until the transaction ends, so that a concurrent save attaching
	// an external ID to the same movie sees what this one did.
	MovieByID(ctx context.Context, id domain.MovieID) (m domain.Movie, ok bool, err error)
	// AttachExternalID gives the stored movie id, which has no external ID,
	// the external ID ext, and director when it has no director (a stored
	// one is kept; a zero director changes nothing), and returns the
	// updated movie. ok is false, with nothing changed and the transaction
	// still usable, when another movie has taken ext since
	// MovieByExternalID looked.
	AttachExternalID(ctx context.Context, id domain.MovieID, ext domain.ExternalMetadataID, director domain.Director) (m domain.Movie, ok bool, err error)
	// InsertMovie inserts m and returns the stored movie. ok is false, with
	// nothing inserted and the transaction still usable, when a movie with
	// m's ID or external ID exists or is being inserted by a transaction
	// that then commits.
	InsertMovie(ctx context.Context, m domain.Movie) (stored domain.Movie, ok bool, err error)
}

// ResolveMovie finds or stores the movie that a viewing of m is of, through
// tx, as domain.ViewingSaver documents:
//   - a stored movie holding m's external ID is used (MovieUnchanged);
//   - else the stored movie with m's ID is used: unchanged when m has no
//     external ID or the same one; given m's external ID when it had none,
//     and m's director when it had none too (MovieIdentified); when it
//     holds another, the error wraps
//     domain.ErrConflict;
//   - else m is inserted (MovieCreated).
//
// A write that loses a race to a concurrent transaction (ok false) makes it
// look again, at most MaxResolveAttempts times in all; past that the error
// wraps domain.ErrConflict.
func ResolveMovie(ctx context.Context, tx MovieTx, m domain.Movie) (domain.Movie, domain.MovieChange, error) {
	for range MaxResolveAttempts {
		if !m.ExternalID.IsZero() {
			holder, ok, err := tx.MovieByExternalID(ctx, m.ExternalID)
			if err != nil {
				return domain.Movie{}, 0, err
			}
			if ok {
				return holder, domain.MovieUnchanged, nil
			}
		}
		stored, ok, err := tx.MovieByID(ctx, m.ID)
		if err != nil {
			return domain.Movie{}, 0, err
		}
		if ok {
			switch {
			case m.ExternalID.IsZero() || stored.ExternalID == m.ExternalID:
				return stored, domain.MovieUnchanged, nil
			case !stored.ExternalID.IsZero():
				return domain.Movie{}, 0, fmt.Errorf("movie %s already has external ID %s, not %s: %w",
					m.ID, stored.ExternalID, m.ExternalID, domain.ErrConflict)
			}
			identified, ok, err := tx.AttachExternalID(ctx, m.ID, m.ExternalID, m.Director)
			if err != nil {
				return domain.Movie{}, 0, err
			}
			if ok {
				return identified, domain.MovieIdentified, nil
			}
			// Another movie took the external ID meanwhile: look again.
			continue
		}
		inserted, ok, err := tx.InsertMovie(ctx, m)
		if err != nil {
			return domain.Movie{}, 0, err
		}
		if ok {
			return inserted, domain.MovieCreated, nil
		}
		// Another transaction stored this movie ID or external ID first
		// and has committed: look again.
	}
	return domain.Movie{}, 0, fmt.Errorf("movie %s kept changing under concurrent writers: %w", m.ID, domain.ErrConflict)
}
