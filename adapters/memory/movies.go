package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

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
	// A stored review never changes: an edit replaces it in every index, so
	// the indexes share pointers. reviewIDs finds a review by ID.
	reviews   reviewIndex
	byMovie   map[domain.MovieID]reviewIndex
	byUser    map[domain.UserID]reviewIndex
	reviewIDs map[domain.ReviewID]*domain.Review
	// keys holds SaveViewing's idempotency records by user and key.
	keys map[idempotencyKey]domain.IdempotencyRecord
	// box holds the outbox's events under the same lock, and outboxMode
	// says whether SaveViewing stores its events there (see WithOutbox).
	box        outboxState
	outboxMode bool
	outbox     *Outbox
	// users, when set (WithUsers), says whose diaries are private; the
	// viewings of users it does not know are public.
	users *UserRepository
}

// NewMovieRepository returns an empty repository configured by opts.
func NewMovieRepository(opts ...Option) *MovieRepository {
	r := &MovieRepository{
		movies:    make(map[domain.MovieID]domain.Movie),
		byExt:     make(map[domain.ExternalMetadataID]domain.MovieID),
		byMovie:   make(map[domain.MovieID]reviewIndex),
		byUser:    make(map[domain.UserID]reviewIndex),
		reviewIDs: make(map[domain.ReviewID]*domain.Review),
		keys:      make(map[idempotencyKey]domain.IdempotencyRecord),
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
// ErrConflict, and so is a stored movie with another external ID, and so
// is v.Idempotency's key when the user used it less than
// domain.IdempotencyWindow before v.Review.CreatedAt; either way nothing is
// stored. With a key, its record is stored in the same step (replacing an
// older one). In outbox mode the returned events are stored in the Outbox
// in the same step.
func (r *MovieRepository) SaveViewing(_ context.Context, v domain.Viewing) (domain.SavedViewing, error) {
	if err := validMovie(v.Movie); err != nil {
		return domain.SavedViewing{}, fmt.Errorf("save viewing: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.reviewIDs[v.Review.ID]; ok {
		return domain.SavedViewing{}, fmt.Errorf("save viewing: review %v already stored: %w", v.Review.ID, domain.ErrConflict)
	}
	req := v.Idempotency
	if !req.IsZero() {
		if req.User.IsZero() {
			return domain.SavedViewing{}, fmt.Errorf("save viewing: %w", domain.FieldError{Field: "idempotency.user", Rule: "must be set"})
		}
		cutoff := v.Review.CreatedAt.Add(-domain.IdempotencyWindow)
		if held, ok := r.keys[idempotencyKey{req.User, req.Key}]; ok && held.CreatedAt.After(cutoff) {
			return domain.SavedViewing{}, fmt.Errorf("save viewing: idempotency key %q of user %v is held by a request of the last %v: %w",
				req.Key, req.User, domain.IdempotencyWindow, domain.ErrConflict)
		}
	}

	movie, change, err := movieView{r: r}.resolve(v.Movie)
	if err != nil {
		return domain.SavedViewing{}, fmt.Errorf("save viewing: %w", err)
	}

	review, err := domain.RestoreReview(v.Review.ID, movie.ID, v.Review.UserID, v.Review.Rating, v.Review.Comment, v.Review.WatchedAt, v.Review.CreatedAt)
	if err != nil {
		return domain.SavedViewing{}, fmt.Errorf("save viewing: %w", err)
	}
	events := domain.LogEvents(movie, change, review, v.PosterURL, review.CreatedAt)
	// Encode before changing anything, so a failure stores nothing.
	stored, err := r.encodeIfOutbox(events)
	if err != nil {
		return domain.SavedViewing{}, fmt.Errorf("save viewing: %w", err)
	}
	if change != domain.MovieUnchanged {
		r.put(movie)
	}
	r.insertReview(review)
	if !req.IsZero() {
		r.keys[idempotencyKey{req.User, req.Key}] = domain.IdempotencyRecord{Request: req, ReviewID: review.ID, CreatedAt: review.CreatedAt}
	}
	r.box.add(stored)
	return domain.SavedViewing{
		Movie:  movie,
		Change: change,
		Review: review,
		Events: events,
	}, nil
}

// movieView is the stored movies with, on top, the movies a batch has
// resolved but not stored yet (nil maps when there are none). The caller
// holds the lock.
type movieView struct {
	r      *MovieRepository
	movies map[domain.MovieID]domain.Movie
	byExt  map[domain.ExternalMetadataID]domain.MovieID
}

func (v movieView) byID(id domain.MovieID) (domain.Movie, bool) {
	if m, ok := v.movies[id]; ok {
		return m, true
	}
	m, ok := v.r.movies[id]
	return m, ok
}

func (v movieView) holder(ext domain.ExternalMetadataID) (domain.MovieID, bool) {
	if id, ok := v.byExt[ext]; ok && !ext.IsZero() {
		return id, true
	}
	return v.r.holder(ext)
}

// resolve finds the movie a viewing of given is stored under, as
// domain.ViewingSaver describes, and what storing it changes.
func (v movieView) resolve(given domain.Movie) (domain.Movie, domain.MovieChange, error) {
	if id, ok := v.holder(given.ExternalID); ok {
		m, _ := v.byID(id)
		return m, domain.MovieUnchanged, nil
	}
	stored, ok := v.byID(given.ID)
	if !ok {
		return given, domain.MovieCreated, nil
	}
	switch {
	case given.ExternalID.IsZero() || given.ExternalID == stored.ExternalID:
		return stored, domain.MovieUnchanged, nil
	case stored.ExternalID.IsZero():
		stored.ExternalID = given.ExternalID
		if stored.Director.IsZero() {
			stored.Director = given.Director
		}
		return stored, domain.MovieIdentified, nil
	}
	return domain.Movie{}, 0, fmt.Errorf("movie %v has external ID %q, not %q: %w",
		stored.ID, stored.ExternalID, given.ExternalID, domain.ErrConflict)
}

// idempotencyKey is a key of one user.
type idempotencyKey struct {
	user domain.UserID
	key  domain.IdempotencyKey
}

// IdempotencyRecord returns the record of user's key created at or after
// since, or ErrNotFound.
func (r *MovieRepository) IdempotencyRecord(_ context.Context, user domain.UserID, key domain.IdempotencyKey, since time.Time) (domain.IdempotencyRecord, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	rec, ok := r.keys[idempotencyKey{user, key}]
	if !ok || rec.CreatedAt.Before(since) {
		return domain.IdempotencyRecord{}, fmt.Errorf("idempotency key %q of user %v since %v: %w", key, user, since, domain.ErrNotFound)
	}
	return rec, nil
}

// insertReview stores rev in every index.
func (r *MovieRepository) insertReview(rev domain.Review) {
	p := &rev
	r.reviews = r.reviews.insert(p)
	r.byMovie[rev.MovieID] = r.byMovie[rev.MovieID].insert(p)
	r.byUser[rev.UserID] = r.byUser[rev.UserID].insert(p)
	r.reviewIDs[rev.ID] = p
}

// removeReview drops the stored review p from every index.
func (r *MovieRepository) removeReview(p *domain.Review) {
	r.reviews = r.reviews.remove(p)
	r.byMovie[p.MovieID] = r.byMovie[p.MovieID].remove(p)
	r.byUser[p.UserID] = r.byUser[p.UserID].remove(p)
	delete(r.reviewIDs, p.ID)
}

// EntryByReviewID returns the review and its movie, or ErrNotFound.
func (r *MovieRepository) EntryByReviewID(_ context.Context, id domain.ReviewID) (domain.DiaryEntry, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	p, ok := r.reviewIDs[id]
	if !ok {
		return domain.DiaryEntry{}, fmt.Errorf("entry of review %v: %w", id, domain.ErrNotFound)
	}
	return domain.DiaryEntry{Movie: r.movies[p.MovieID], Review: *p}, nil
}

// UpdateReview replaces the rating, comment and watched_at of the stored
// review rv.ID with rv's, keeping its movie, user and created_at, and
// returns it with its movie and the ReviewEdited event occurring at at,
// which outbox mode stores in the same step. ErrNotFound when the review
// is unknown.
func (r *MovieRepository) UpdateReview(_ context.Context, rv domain.Review, at time.Time) (domain.EditedReview, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.reviewIDs[rv.ID]
	if !ok {
		return domain.EditedReview{}, fmt.Errorf("update review %v: %w", rv.ID, domain.ErrNotFound)
	}
	edited, err := domain.RestoreReview(p.ID, p.MovieID, p.UserID, rv.Rating, rv.Comment, rv.WatchedAt, p.CreatedAt)
	if err != nil {
		return domain.EditedReview{}, fmt.Errorf("update review %v: %w", rv.ID, err)
	}
	events := []domain.Event{domain.NewReviewEdited(edited, at)}
	stored, err := r.encodeIfOutbox(events)
	if err != nil {
		return domain.EditedReview{}, fmt.Errorf("update review %v: %w", rv.ID, err)
	}
	r.removeReview(p)
	r.insertReview(edited)
	r.box.add(stored)
	return domain.EditedReview{Entry: domain.DiaryEntry{Movie: r.movies[edited.MovieID], Review: edited}, Events: events}, nil
}

// DeleteReview removes the review and returns the ReviewDeleted event
// occurring at at, which outbox mode stores in the same step; the movie
// stays. ErrNotFound when the review is unknown.
func (r *MovieRepository) DeleteReview(_ context.Context, id domain.ReviewID, at time.Time) ([]domain.Event, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.reviewIDs[id]
	if !ok {
		return nil, fmt.Errorf("delete review %v: %w", id, domain.ErrNotFound)
	}
	events := []domain.Event{domain.NewReviewDeleted(*p, at)}
	stored, err := r.encodeIfOutbox(events)
	if err != nil {
		return nil, fmt.Errorf("delete review %v: %w", id, err)
	}
	r.removeReview(p)
	r.box.add(stored)
	return events, nil
}

// encodeIfOutbox encodes events for the outbox in outbox mode, before
// anything changes, so that a failure stores nothing; otherwise it returns
// none.
func (r *MovieRepository) encodeIfOutbox(events []domain.Event) ([]*storedEvent, error) {
	if !r.outboxMode {
		return nil, nil
	}
	return encodeEvents(events)
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

// remove takes rev, a pointer the index holds, out and returns the index.
func (ix reviewIndex) remove(rev *domain.Review) reviewIndex {
	entry := domain.DiaryEntry{Review: *rev}
	i := sort.Search(len(ix), func(i int) bool {
		return ascending(domain.DiaryEntry{Review: *ix[i]}, entry) >= 0
	})
	if i < len(ix) && ix[i] == rev {
		return slices.Delete(ix, i, i+1)
	}
	return ix
}

// QueryDiary returns one page of the entries matching q.Filter, ordered by
// watched_at then review ID in the filter's direction, with the exact
// total count. With q.After set the page starts after that position and
// the offset is ignored. The viewings of private diaries other than
// q.Filter.Viewer's are left out (see WithUsers): while any diary is
// private, a page of the whole diary or of a movie costs a walk of the
// reviews it selects.
func (r *MovieRepository) QueryDiary(_ context.Context, q domain.DiaryQuery) (domain.DiaryPage, error) {
	hidden := r.users.hidden(q.Filter.Viewer)
	r.mu.RLock()
	defer r.mu.RUnlock()

	if u := q.Filter.UserID; !u.IsZero() {
		if hidden[u] {
			return domain.DiaryPage{Entries: []domain.DiaryEntry{}}, nil
		}
		hidden = nil // one visible user: the filter keeps no one else
	}
	matches := r.matching(q.Filter).visible(hidden)
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

// visible returns the reviews of ix whose user is not hidden, in order:
// ix itself when no one is hidden. The result may share ix and must not
// be changed.
func (ix reviewIndex) visible(hidden map[domain.UserID]bool) reviewIndex {
	if len(hidden) == 0 {
		return ix
	}
	out := make(reviewIndex, 0, len(ix))
	for _, rev := range ix {
		if !hidden[rev.UserID] {
			out = append(out, rev)
		}
	}
	return out
}

// ReviewHistory returns the movie and its viewings oldest first, leaving
// out those of private diaries other than viewer's (see WithUsers), or
// ErrNotFound when the movie is unknown.
func (r *MovieRepository) ReviewHistory(_ context.Context, id domain.MovieID, viewer domain.UserID) (domain.ReviewHistory, error) {
	hidden := r.users.hidden(viewer)
	r.mu.RLock()
	defer r.mu.RUnlock()
	m, err := r.movie(id)
	if err != nil {
		return domain.ReviewHistory{}, fmt.Errorf("review history: %w", err)
	}
	ofMovie := r.byMovie[id].visible(hidden)
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
