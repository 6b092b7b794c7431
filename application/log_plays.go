package application

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// rateWindow is how recent a viewing a media server's rating applies to:
// a rating within a day of a viewing rates that viewing; otherwise it is a
// rated viewing of its own.
const rateWindow = 24 * time.Hour

// LogPlaysRepository is what LogPlays reads: stored movies and the diary.
type LogPlaysRepository interface {
	domain.MovieFinder
	domain.DiaryReader
}

// LogPlays turns the plays media servers reported (PlayReported events)
// into diary entries: a watched play is an unrated viewing, logged by
// LogReview with the same rules as a manual log (the IMDb ID, then the
// title and year; never a second movie for one film); a rating rates the
// user's latest viewing of the film within a day, or is logged as a rated
// viewing.
//
// Delivery is at least once: a redelivered event logs nothing twice (the
// event's ID is the log's idempotency key).
type LogPlays struct {
	log    *LogReview
	edit   *EditReview
	movies LogPlaysRepository
}

// NewLogPlays returns the handler's use case; nothing may be nil.
func NewLogPlays(log *LogReview, edit *EditReview, movies LogPlaysRepository) (*LogPlays, error) {
	if err := checkDependencies("LogPlays",
		dependency{"log", nilIfNil(log)},
		dependency{"edit", nilIfNil(edit)},
		dependency{"movies", movies},
	); err != nil {
		return nil, err
	}
	return &LogPlays{log: log, edit: edit, movies: movies}, nil
}

// nilIfNil turns a nil pointer into a nil interface, for checkDependencies.
func nilIfNil[T any](p *T) any {
	if p == nil {
		return nil
	}
	return p
}

// Handle logs the play e reports. A failing database or metadata source
// keeps its kind, so the delivery is retried; so does a play that the
// metadata source cannot resolve now and that lacks a title or a year to
// log it by (an error wrapping domain.ErrUnavailable).
func (uc *LogPlays) Handle(ctx context.Context, e domain.PlayReported) error {
	p := e.Play
	cmd := LogReviewCommand{
		UserID:             p.User,
		ExternalMetadataID: p.ExternalID.String(),
		ManualTitle:        p.Title.String(),
		WatchedAt:          p.At,
		IdempotencyKey:     "play:" + e.EventID().String(),
	}
	if !p.Year.IsZero() {
		year := p.Year.Int()
		cmd.ManualReleaseYear = &year
	}
	if p.Kind == domain.PlayRated {
		stars := p.Rating.Stars()
		cmd.Rating = &stars
		done, err := uc.rateLatest(ctx, p)
		if err != nil || done {
			return err
		}
	}
	_, err := uc.log.Log(ctx, cmd)
	switch {
	case errors.Is(err, ErrIdempotentEntryGone):
		return nil // logged by an earlier delivery, and deleted since
	case errors.Is(err, domain.ErrValidation) && (p.Title.IsZero() || p.Year.IsZero()):
		// The play does not describe its film fully (no title and year to
		// log it by) and the metadata source could not resolve it: retry,
		// so that the play is logged once the source answers. The bus
		// gives up after its attempts, leaving the event dead and
		// requeueable (moviediary events).
		return fmt.Errorf("log %s play of %q: %w: the film cannot be resolved yet: %v", p.Source, p.FilmKey(), domain.ErrUnavailable, err)
	case err != nil:
		return fmt.Errorf("log %s play: %w", p.Source, err)
	}
	return nil
}

// rateLatest sets the rating of p's user's latest viewing of p's film when
// it lies within rateWindow before p.At; done is false when there is no
// such viewing (or the film is not stored).
func (uc *LogPlays) rateLatest(ctx context.Context, p domain.Play) (done bool, err error) {
	movie, found, err := uc.storedMovie(ctx, p)
	if err != nil || !found {
		return false, err
	}
	page, err := domain.NewPage(1, 0)
	if err != nil {
		return false, err
	}
	latest, err := uc.movies.QueryDiary(ctx, domain.DiaryQuery{
		Filter: domain.DiaryFilter{MovieID: movie.ID, UserID: p.User, Sort: domain.SortDesc},
		Page:   page,
	})
	if err != nil {
		return false, fmt.Errorf("find the latest viewing: %w", err)
	}
	if len(latest.Entries) == 0 || latest.Entries[0].Review.WatchedAt.Before(p.At.Add(-rateWindow)) {
		return false, nil
	}
	_, err = uc.edit.Handle(ctx, EditReviewCommand{
		UserID:   p.User,
		ReviewID: latest.Entries[0].Review.ID.String(),
		Rating:   To(p.Rating.Stars()),
	})
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil // deleted meanwhile: log a rated viewing instead
	}
	return err == nil, err
}

// storedMovie finds the stored movie p names, by IMDb ID or else by title
// and year; found is false when none is stored.
func (uc *LogPlays) storedMovie(ctx context.Context, p domain.Play) (domain.Movie, bool, error) {
	if !p.ExternalID.IsZero() {
		m, err := uc.movies.MovieByExternalID(ctx, p.ExternalID)
		switch {
		case err == nil:
			return m, true, nil
		case !errors.Is(err, domain.ErrNotFound):
			return domain.Movie{}, false, fmt.Errorf("find movie: %w", err)
		}
	}
	if p.Title.IsZero() || p.Year.IsZero() {
		return domain.Movie{}, false, nil
	}
	candidates, err := uc.movies.MoviesByTitleYear(ctx, p.Title, p.Year)
	if err != nil {
		return domain.Movie{}, false, fmt.Errorf("find movies by title and year: %w", err)
	}
	for _, c := range candidates {
		if c.IsManualMatch(p.Title, p.Year, domain.Director{}) && (p.ExternalID.IsZero() || c.ExternalID.IsZero() || c.ExternalID == p.ExternalID) {
			return c, true, nil
		}
	}
	return domain.Movie{}, false, nil
}
