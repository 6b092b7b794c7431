package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// IdentifyMovie gives the movie md's external ID (and its director when it
// has none) with MovieDiscovered when it has no poster, or moves its
// reviews to the movie holding that ID and deletes it; a movie with an
// external ID is returned as stored. In outbox mode the event is stored in
// the same step. ErrNotFound when id is unknown.
func (r *MovieRepository) IdentifyMovie(_ context.Context, id domain.MovieID, md domain.MovieMetadata, at time.Time) (domain.Movie, []domain.Event, error) {
	if md.ExternalID.IsZero() {
		return domain.Movie{}, nil, fmt.Errorf("identify movie: %w", domain.FieldError{Field: "external_id", Rule: "must be set"})
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m, err := r.movie(id)
	if err != nil {
		return domain.Movie{}, nil, fmt.Errorf("identify movie: %w", err)
	}
	if !m.ExternalID.IsZero() {
		return m, nil, nil
	}
	if other, ok := r.holder(md.ExternalID); ok {
		for _, p := range append(reviewIndex(nil), r.byMovie[id]...) {
			moved := *p
			moved.MovieID = other
			r.removeReview(p)
			r.insertReview(moved)
		}
		delete(r.byMovie, id)
		delete(r.movies, id)
		return r.movies[other], nil, nil
	}
	m.ExternalID = md.ExternalID
	if m.Director.IsZero() {
		m.Director = md.Director
	}
	var events []domain.Event
	if !m.HasPoster() {
		events = []domain.Event{domain.NewMovieDiscovered(m, md.PosterURL, at)}
	}
	stored, err := r.encodeIfOutbox(events)
	if err != nil {
		return domain.Movie{}, nil, fmt.Errorf("identify movie: %w", err)
	}
	r.put(m)
	r.box.add(stored)
	return m, events, nil
}

// ExportDiary calls fn with every entry of user, oldest first, marking
// each viewing of a film after the user's first as a rewatch; it stops at
// fn's first error and returns it. The entries are copied under the lock
// and handed on after it, so fn may use the repository.
func (r *MovieRepository) ExportDiary(_ context.Context, user domain.UserID, fn func(domain.ExportedEntry) error) error {
	r.mu.RLock()
	ofUser := r.byUser[user]
	entries := make([]domain.ExportedEntry, len(ofUser))
	seen := make(map[domain.MovieID]bool)
	for i, p := range ofUser {
		entries[i] = domain.ExportedEntry{DiaryEntry: domain.DiaryEntry{Movie: r.movies[p.MovieID], Review: *p}, Rewatch: seen[p.MovieID]}
		seen[p.MovieID] = true
	}
	r.mu.RUnlock()
	for _, e := range entries {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}
