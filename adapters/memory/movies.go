package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/moviediary/moviediary/domain"
)

var _ domain.MovieRepository = (*MovieRepository)(nil)

// MovieRepository is an in-memory domain.MovieRepository. The zero value
// is not usable; make one with NewMovieRepository.
type MovieRepository struct {
	mu     sync.RWMutex
	movies map[domain.MovieID]domain.Movie
	byExt  map[domain.ExternalMetadataID]domain.MovieID
	// reviews holds every review in ascending diary order, (watched_at,
	// review ID); byMovie and byUser hold the same reviews per movie and per
	// user, so a filtered page costs the size of its filter, not the diary.
	// Stored reviews never change, so the indexes share pointers.
	reviews   reviewIndex
	byMovie   map[domain.MovieID]reviewIndex
	byUser    map[domain.UserID]reviewIndex
	reviewIDs map[domain.ReviewID]struct{}
	// box holds the outbox's events under the same lock, and outboxMode
	// says whether SaveViewing stores its events there (see WithOutbox).
	box        outboxState
	outboxMode bool
	outbox     *Outbox
}

// NewMovieRepository returns an empty repository configured by opts.
func NewMovieRepository(opts ...Option) *MovieRepository {
	r := &MovieRepository{
		movies:    make(map[domain.MovieID]domain.Movie),
		byExt:     make(map[domain.ExternalMetadataID]domain.MovieID),
		byMovie:   make(map[domain.MovieID]reviewIndex),
		byUser:    make(map[domain.UserID]reviewIndex),
		reviewIDs: make(map[domain.ReviewID]struct{}),
		box:       outboxState{events: make(map[domain.EventID]*storedEvent)},
	}
	r.outbox = &Outbox{r: r}
	for _, opt := range opts {
		opt(r)
	}
	return r
}

// MovieByExternalID returns the movie with that IMDb ID, or ErrNotFound.
func (r *MovieRepository) MovieByExternalID(_ context.Context, id domain.ExternalMetadataID) (domain.Movie, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if movieID, ok := r.byExt[id]; ok && !id.IsZero() {
		return r.movies[movieID], nil
	}
	return domain.Movie{}, fmt.Errorf("movie with external ID %q: %w", id, domain.ErrNotFound)
}

// MovieByID returns the movie, or ErrNotFound.
func (r *MovieRepository) MovieByID(_ context.Context, id domain.MovieID) (domain.Movie, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.movie(id)
}

func (r *MovieRepository) movie(id domain.MovieID) (domain.Movie, error) {
	if m, ok := r.movies[id]; ok {
		return m, nil
	}
	return domain.Movie{}, fmt.Errorf("movie %v: %w", id, domain.ErrNotFound)
}

// MoviesByTitleYear returns the movies whose title equals title ignoring
// case and whose release year is year, ordered by ID; none is an empty
// slice.
func (r *MovieRepository) MoviesByTitleYear(_ context.Context, title domain.MovieTitle, year domain.ReleaseYear) ([]domain.Movie, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := []domain.Movie{}
	for _, m := range r.movies {
		if m.ReleaseYear == year && m.Title.EqualFold(title) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b domain.Movie) int { return compareUUID(a.ID.UUID(), b.ID.UUID()) })
	return out, nil
}

// UpsertMovie stores m and returns the stored movie. When another movie
// holds m's external ID that movie is returned unchanged; otherwise m is
// inserted, or replaces the stored movie with its ID.
func (r *MovieRepository) UpsertMovie(_ context.Context, m domain.Movie) (domain.Movie, error) {
	if err := validMovie(m); err != nil {
		return domain.Movie{}, fmt.Errorf("upsert movie: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if other, ok := r.holder(m.ExternalID); ok && other != m.ID {
		return r.movies[other], nil
	}
	r.put(m)
	return m, nil
}

// holder returns the movie holding ext, if ext is set and held.
func (r *MovieRepository) holder(ext domain.ExternalMetadataID) (domain.MovieID, bool) {
	if ext.IsZero() {
		return domain.MovieID{}, false
	}
	id, ok := r.byExt[ext]
	return id, ok
}

// put inserts or replaces m, keeping the external ID index right. The
// caller has checked that no other movie holds m's external ID.
func (r *MovieRepository) put(m domain.Movie) {
	if old, ok := r.movies[m.ID]; ok && !old.ExternalID.IsZero() && old.ExternalID != m.ExternalID {
		delete(r.byExt, old.ExternalID)
	}
	r.movies[m.ID] = m
	if !m.ExternalID.IsZero() {
		r.byExt[m.ExternalID] = m.ID
	}
}

// SetPosterPath records where the movie's poster is stored, or ErrNotFound.
func (r *MovieRepository) SetPosterPath(_ context.Context, id domain.MovieID, path domain.PosterPath) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, err := r.movie(id)
	if err != nil {
		return fmt.Errorf("set poster path: %w", err)
	}
	m.PosterPath = path
	r.movies[id] = m
	return nil
}

// SaveViewing stores v's movie and review atomically, resolving the movie
// as domain.ViewingSaver describes. A review ID that is already stored is
// ErrConflict, and so is a stored movie with another external ID; either
// way nothing is stored. In outbox mode the returned events are stored in
// the Outbox in the same step.
func (r *MovieRepository) SaveViewing(_ context.Context, v domain.Viewing) (domain.SavedViewing, error) {
	if err := validMovie(v.Movie); err != nil {
		return domain.SavedViewing{}, fmt.Errorf("save viewing: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.reviewIDs[v.Review.ID]; ok {
		return domain.SavedViewing{}, fmt.Errorf("save viewing: review %v already stored: %w", v.Review.ID, domain.ErrConflict)
	}

	movie, change := v.Movie, domain.MovieCreated
	if id, ok := r.holder(v.Movie.ExternalID); ok {
		movie, change = r.movies[id], domain.MovieUnchanged
	} else if stored, ok := r.movies[v.Movie.ID]; ok {
		movie, change = stored, domain.MovieUnchanged
		switch {
		case v.Movie.ExternalID.IsZero() || v.Movie.ExternalID == stored.ExternalID:
		case stored.ExternalID.IsZero():
			movie.ExternalID, change = v.Movie.ExternalID, domain.MovieIdentified
		default:
			return domain.SavedViewing{}, fmt.Errorf("save viewing: movie %v has external ID %q, not %q: %w",
				stored.ID, stored.ExternalID, v.Movie.ExternalID, domain.ErrConflict)
		}
	}

	review, err := domain.RestoreReview(v.Review.ID, movie.ID, v.Review.UserID, v.Review.Rating, v.Review.Comment, v.Review.WatchedAt, v.Review.CreatedAt)
	if err != nil {
		return domain.SavedViewing{}, fmt.Errorf("save viewing: %w", err)
	}
	events := domain.LogEvents(movie, change, review, v.PosterURL, review.CreatedAt)
	var stored []*storedEvent
	if r.outboxMode {
		// Encode before changing anything, so a failure stores nothing.
		if stored, err = encodeEvents(events); err != nil {
			return domain.SavedViewing{}, fmt.Errorf("save viewing: %w", err)
		}
	}
	if change != domain.MovieUnchanged {
		r.put(movie)
	}
	r.insertReview(review)
	r.box.add(stored)
	return domain.SavedViewing{
		Movie:  movie,
		Change: change,
		Review: review,
		Events: events,
	}, nil
}

// insertReview stores rev in every index.
func (r *MovieRepository) insertReview(rev domain.Review) {
	p := &rev
	r.reviews = r.reviews.insert(p)
	r.byMovie[rev.MovieID] = r.byMovie[rev.MovieID].insert(p)
	r.byUser[rev.UserID] = r.byUser[rev.UserID].insert(p)
	r.reviewIDs[rev.ID] = struct{}{}
}

// reviewIndex is a list of reviews in ascending diary order.
type reviewIndex []*domain.Review

var ascending = domain.CompareDiaryEntries(domain.SortAsc)

// insert puts rev at its place and returns the index.
func (ix reviewIndex) insert(rev *domain.Review) reviewIndex {
	entry := domain.DiaryEntry{Review: *rev}
	i := sort.Search(len(ix), func(i int) bool {
		return ascending(domain.DiaryEntry{Review: *ix[i]}, entry) > 0
	})
	return slices.Insert(ix, i, rev)
}

// QueryDiary returns one page of the entries matching q.Filter, ordered by
// watched_at then review ID in the filter's direction, with the exact
// total count. With q.After set the page starts after that position and
// the offset is ignored.
func (r *MovieRepository) QueryDiary(_ context.Context, q domain.DiaryQuery) (domain.DiaryPage, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()

	matches := r.matching(q.Filter)
	n := len(matches)
	at := func(i int) *domain.Review { // the i-th match in the filter's order
		if q.Filter.Sort == domain.SortDesc {
			return matches[n-1-i]
		}
		return matches[i]
	}

	start := q.Page.Offset()
	if q.After != nil {
		start = sort.Search(n, func(i int) bool {
			return q.After.Precedes(domain.DiaryEntry{Review: *at(i)}, q.Filter.Sort)
		})
	}
	start = min(start, n)
	end := min(start+q.Page.Limit(), n)

	page := domain.DiaryPage{
		Entries:    make([]domain.DiaryEntry, 0, end-start),
		TotalCount: n,
		HasMore:    end < n,
	}
	for i := start; i < end; i++ {
		rev := *at(i)
		page.Entries = append(page.Entries, domain.DiaryEntry{Movie: r.movies[rev.MovieID], Review: rev})
	}
	return page, nil
}

// matching returns the reviews f selects, in ascending order. The result
// may share the repository's indexes and must not be changed.
func (r *MovieRepository) matching(f domain.DiaryFilter) reviewIndex {
	switch {
	case f.MovieID.IsZero() && f.UserID.IsZero():
		return r.reviews
	case f.UserID.IsZero():
		return r.byMovie[f.MovieID]
	case f.MovieID.IsZero():
		return r.byUser[f.UserID]
	}
	// Both: walk the shorter list and keep what the other condition holds.
	ofMovie, ofUser := r.byMovie[f.MovieID], r.byUser[f.UserID]
	walk := ofMovie
	if len(ofUser) < len(ofMovie) {
		walk = ofUser
	}
	out := make(reviewIndex, 0, len(walk))
	for _, rev := range walk {
		if rev.MovieID == f.MovieID && rev.UserID == f.UserID {
			out = append(out, rev)
		}
	}
	return out
}

// ReviewHistory returns the movie and its viewings oldest first, or
// ErrNotFound when the movie is unknown.
func (r *MovieRepository) ReviewHistory(_ context.Context, id domain.MovieID) (domain.ReviewHistory, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	m, err := r.movie(id)
	if err != nil {
		return domain.ReviewHistory{}, fmt.Errorf("review history: %w", err)
	}
	ofMovie := r.byMovie[id]
	viewings := make([]domain.Review, len(ofMovie))
	for i, rev := range ofMovie {
		viewings[i] = *rev
	}
	return domain.NewReviewHistory(m, viewings), nil
}

// validMovie checks what domain.RestoreMovie checks, so a hand-built
// Movie with missing parts is refused as a validation error.
func validMovie(m domain.Movie) error {
	_, err := domain.RestoreMovie(m.ID, m.ExternalID, m.Title, m.ReleaseYear, m.Director, m.PosterPath)
	return err
}

func compareUUID(a, b [16]byte) int { return strings.Compare(string(a[:]), string(b[:])) }
