package application_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

// logPlaysHarness wires LogPlays to a real LogReview and EditReview, all
// three on one mocked movie repository (as in production, one store), and
// records what was saved, updated and published.
type logPlaysHarness struct {
	repo      *mock.MockMovieRepository
	metadata  *mock.MockMetadataClient
	publisher *mock.MockEventPublisher
	uc        *application.LogPlays

	saved     []domain.Viewing
	updated   []domain.Review
	published []domain.Event
}

func newLogPlaysHarness(t *testing.T) *logPlaysHarness {
	t.Helper()
	ctrl := gomock.NewController(t)
	logger, _ := newLogger()
	h := &logPlaysHarness{
		repo:      mock.NewMockMovieRepository(ctrl),
		metadata:  mock.NewMockMetadataClient(ctrl),
		publisher: mock.NewMockEventPublisher(ctrl),
	}
	log := must(application.NewLogReview(h.repo, h.metadata, h.publisher, logger, clock))
	edit := must(application.NewEditReview(h.repo, h.publisher, logger, clock))
	h.uc = must(application.NewLogPlays(log, edit, h.repo))
	h.publisher.EXPECT().Publish(gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, e domain.Event) error {
			h.published = append(h.published, e)
			return nil
		})
	return h
}

// The films of the cases below.
const (
	playID    = "tt0090728"
	playTitle = "Big Trouble in Little China"
	playYear  = 1986
)

// playedAt is when the plays below were watched.
var playedAt = fixedNow.Add(-3 * time.Hour)

// playEvent is the PlayReported event of a play of the film by IMDb ID,
// title and year, reported a minute before now; change adjusts the play.
func playEvent(t *testing.T, change func(p *domain.Play)) domain.PlayReported {
	t.Helper()
	p := domain.Play{
		User: domain.NewUserID(), Source: domain.SourcePlex, Kind: domain.PlayWatched,
		ExternalID: domain.MustParseExternalMetadataID(playID), Title: domain.MustNewMovieTitle(playTitle),
		Year: domain.MustNewReleaseYear(playYear), At: playedAt,
	}
	if change != nil {
		change(&p)
	}
	p, err := domain.NewPlay(p.User, p.Source, p.Kind, p.ExternalID, p.Title, p.Year, p.At, p.Rating, fixedNow)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return domain.NewPlayReported(p, fixedNow.Add(-time.Minute))
}

// rated makes a play a rating of stars.
func rated(stars float64) func(p *domain.Play) {
	return func(p *domain.Play) { p.Kind, p.Rating = domain.PlayRated, domain.MustNewRating(stars) }
}

// keyOf is the idempotency key LogPlays logs e's play under.
func keyOf(e domain.PlayReported) domain.IdempotencyKey {
	return must(domain.ParseIdempotencyKey("play:" + e.EventID().String()))
}

// expectNewKey makes the event's key unknown to the store.
func (h *logPlaysHarness) expectNewKey(e domain.PlayReported) {
	h.repo.EXPECT().IdempotencyRecord(gomock.Any(), e.Play.User, keyOf(e), idemSince).Return(domain.IdempotencyRecord{}, errNoRow)
}

// expectSave stores a viewing as given, reporting change.
func (h *logPlaysHarness) expectSave(change domain.MovieChange) {
	h.repo.EXPECT().SaveViewing(gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, v domain.Viewing) (domain.SavedViewing, error) {
			h.saved = append(h.saved, v)
			return domain.SavedViewing{Movie: v.Movie, Change: change, Review: v.Review,
				Events: domain.LogEvents(v.Movie, change, v.Review, v.PosterURL, v.Review.CreatedAt)}, nil
		})
}

// expectDiary answers the query for the user's viewings of movie with
// entries (newest first), checking the filter.
func (h *logPlaysHarness) expectDiary(t *testing.T, user domain.UserID, movie domain.MovieID, entries ...domain.DiaryEntry) {
	h.repo.EXPECT().QueryDiary(gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, q domain.DiaryQuery) (domain.DiaryPage, error) {
			f := q.Filter
			if f.MovieID != movie || f.UserID != user || f.Sort != domain.SortDesc || q.After != nil {
				t.Errorf("diary query %+v: want the user's viewings of the movie, newest first", q)
			}
			page := entries
			if len(page) > q.Page.Limit() {
				page = page[:q.Page.Limit()]
			}
			return domain.DiaryPage{Entries: page, TotalCount: len(entries), HasMore: len(page) < len(entries)}, nil
		})
}

// expectEdit lets EditReview read entry and store its edit.
func (h *logPlaysHarness) expectEdit(entry domain.DiaryEntry) {
	h.repo.EXPECT().EntryByReviewID(gomock.Any(), entry.Review.ID).Return(entry, nil)
	h.repo.EXPECT().UpdateReview(gomock.Any(), gomock.Any(), fixedNow).DoAndReturn(
		func(_ context.Context, r domain.Review, at time.Time) (domain.EditedReview, error) {
			h.updated = append(h.updated, r)
			return domain.EditedReview{Entry: domain.DiaryEntry{Movie: entry.Movie, Review: r},
				Events: []domain.Event{domain.NewReviewEdited(r, at)}}, nil
		})
}

// viewing is a stored, unrated viewing of movie by user at watched.
func viewing(movie domain.Movie, user domain.UserID, watched time.Time) domain.DiaryEntry {
	r := must(domain.NewReview(movie.ID, user, domain.Rating{}, domain.Comment{}, watched, watched.Add(time.Minute)))
	return domain.DiaryEntry{Movie: movie, Review: r}
}

func (h *logPlaysHarness) publishedNames() []domain.EventName {
	names := make([]domain.EventName, len(h.published))
	for i, e := range h.published {
		names[i] = e.EventName()
	}
	return names
}

func TestNewLogPlaysRejectsMissingPorts(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	repo := mock.NewMockMovieRepository(ctrl)
	pub := mock.NewMockEventPublisher(ctrl)
	log := must(application.NewLogReview(repo, mock.NewMockMetadataClient(ctrl), pub, nil, clock))
	edit := must(application.NewEditReview(repo, pub, nil, clock))
	if _, err := application.NewLogPlays(nil, edit, repo); err == nil {
		t.Error("a nil LogReview was accepted")
	}
	if _, err := application.NewLogPlays(log, nil, repo); err == nil {
		t.Error("a nil EditReview was accepted")
	}
	if _, err := application.NewLogPlays(log, edit, nil); err == nil {
		t.Error("a nil repository was accepted")
	}
	if _, err := application.NewLogPlays(log, edit, repo); err != nil {
		t.Errorf("NewLogPlays: %v", err)
	}
}

func TestLogPlaysLogsAWatchedPlayAsAnUnratedViewing(t *testing.T) {
	t.Parallel()
	h := newLogPlaysHarness(t)
	e := playEvent(t, nil)
	stored := mustMovie(playID, playTitle, playYear, "John Carpenter")
	h.expectNewKey(e)
	h.repo.EXPECT().MovieByExternalID(gomock.Any(), stored.ExternalID).Return(stored, nil)
	h.expectSave(domain.MovieUnchanged)

	if err := h.uc.Handle(t.Context(), e); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if len(h.saved) != 1 {
		t.Fatalf("saved %d viewings, want 1", len(h.saved))
	}
	v := h.saved[0]
	if v.Movie.ID != stored.ID || v.Review.UserID != e.Play.User || !v.Review.WatchedAt.Equal(playedAt) ||
		!v.Review.Rating.IsZero() || !v.Review.Comment.IsZero() {
		t.Errorf("saved %+v: want the user's unrated viewing of the stored movie at the time of the play", v.Review)
	}
	if v.Idempotency.User != e.Play.User || v.Idempotency.Key != keyOf(e) || v.Idempotency.Fingerprint == "" {
		t.Errorf("idempotency %+v: want the user's key play:<event ID>", v.Idempotency)
	}
	if got := h.publishedNames(); len(got) != 1 || got[0] != domain.EventReviewLogged {
		t.Errorf("published %v, want review_logged", got)
	}
}

func TestLogPlaysResolvesTheFilmLikeAManualLog(t *testing.T) {
	t.Parallel()
	ext := domain.MustParseExternalMetadataID(playID)
	title, year := domain.MustNewMovieTitle(playTitle), domain.MustNewReleaseYear(playYear)
	tests := []struct {
		name      string
		play      func(p *domain.Play)
		expect    func(h *logPlaysHarness)
		change    domain.MovieChange
		wantMovie func(t *testing.T, m domain.Movie)
	}{
		{
			name: "an unknown IMDb ID becomes a movie from the metadata source",
			expect: func(h *logPlaysHarness) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), ext).Return(domain.Movie{}, errNoRow)
				h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), ext).Return(metadataOf(playID, playTitle, playYear, "John Carpenter"), nil)
			},
			change: domain.MovieCreated,
			wantMovie: func(t *testing.T, m domain.Movie) {
				if m.ExternalID != ext || m.Director.String() != "John Carpenter" {
					t.Errorf("movie %+v, want the metadata's", m)
				}
			},
		},
		{
			name: "the metadata source down, the title and year describe the film and the IMDb ID is kept",
			expect: func(h *logPlaysHarness) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), ext).Return(domain.Movie{}, errNoRow)
				h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), ext).Return(domain.MovieMetadata{}, errDown)
				h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), title, year).Return(nil, nil)
			},
			change: domain.MovieCreated,
			wantMovie: func(t *testing.T, m domain.Movie) {
				if m.ExternalID != ext || m.Title != title || m.ReleaseYear != year {
					t.Errorf("movie %+v, want %s %q (%v)", m, ext, title, year)
				}
			},
		},
		{
			name: "without an IMDb ID, by title and year: the stored movie is reused, never a duplicate",
			play: func(p *domain.Play) { p.ExternalID = domain.ExternalMetadataID{} },
			expect: func(h *logPlaysHarness) {
				h.metadata.EXPECT().SearchMetadata(gomock.Any(), title, year).Return(domain.MovieMetadata{}, errUnknownFilm)
				h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), title, year).Return(
					[]domain.Movie{mustMovie("", "big trouble in little china", playYear, "John Carpenter")}, nil)
			},
			change: domain.MovieUnchanged,
			wantMovie: func(t *testing.T, m domain.Movie) {
				if m.Director.String() != "John Carpenter" || !m.ExternalID.IsZero() {
					t.Errorf("movie %+v, want the stored one", m)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newLogPlaysHarness(t)
			e := playEvent(t, tt.play)
			h.expectNewKey(e)
			tt.expect(h)
			h.expectSave(tt.change)
			if err := h.uc.Handle(t.Context(), e); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			tt.wantMovie(t, h.saved[0].Movie)
			if !h.saved[0].Review.Rating.IsZero() {
				t.Errorf("a watched play was rated %v", h.saved[0].Review.Rating)
			}
		})
	}
}

// Delivery is at least once: the same event again logs nothing twice.
func TestLogPlaysRedeliveryLogsOnce(t *testing.T) {
	t.Parallel()
	h := newLogPlaysHarness(t)
	e := playEvent(t, nil)
	stored := mustMovie(playID, playTitle, playYear, "")
	h.expectNewKey(e)
	h.repo.EXPECT().MovieByExternalID(gomock.Any(), stored.ExternalID).Return(stored, nil).AnyTimes()
	h.expectSave(domain.MovieUnchanged) // once: gomock fails on a second save
	if err := h.uc.Handle(t.Context(), e); err != nil {
		t.Fatalf("first delivery: %v", err)
	}
	first := h.saved[0]

	rec := domain.IdempotencyRecord{Request: first.Idempotency, ReviewID: first.Review.ID, CreatedAt: fixedNow}
	h.repo.EXPECT().IdempotencyRecord(gomock.Any(), e.Play.User, keyOf(e), idemSince).Return(rec, nil)
	h.repo.EXPECT().EntryByReviewID(gomock.Any(), first.Review.ID).Return(domain.DiaryEntry{Movie: first.Movie, Review: first.Review}, nil)
	published := len(h.published)
	if err := h.uc.Handle(t.Context(), e); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if len(h.saved) != 1 || len(h.published) != published {
		t.Errorf("a redelivery saved %d viewings and published %d events, want nothing more", len(h.saved)-1, len(h.published)-published)
	}
}

// A redelivery after the user deleted the logged viewing logs nothing
// and is done: the user meant it.
func TestLogPlaysRedeliveryOfADeletedViewingIsDone(t *testing.T) {
	t.Parallel()
	h := newLogPlaysHarness(t)
	e := playEvent(t, nil)
	stored := mustMovie(playID, playTitle, playYear, "")
	h.expectNewKey(e)
	h.repo.EXPECT().MovieByExternalID(gomock.Any(), stored.ExternalID).Return(stored, nil)
	h.expectSave(domain.MovieUnchanged)
	if err := h.uc.Handle(t.Context(), e); err != nil {
		t.Fatalf("first delivery: %v", err)
	}
	first := h.saved[0]

	rec := domain.IdempotencyRecord{Request: first.Idempotency, ReviewID: first.Review.ID, CreatedAt: fixedNow}
	h.repo.EXPECT().IdempotencyRecord(gomock.Any(), e.Play.User, keyOf(e), idemSince).Return(rec, nil)
	h.repo.EXPECT().EntryByReviewID(gomock.Any(), first.Review.ID).Return(domain.DiaryEntry{}, errNoRow)
	if err := h.uc.Handle(t.Context(), e); err != nil {
		t.Errorf("redelivery of a deleted viewing = %v, want nil (nothing to do, nothing to retry)", err)
	}
	if len(h.saved) != 1 {
		t.Errorf("the deleted viewing was logged again")
	}
}

func TestLogPlaysRatesTheLatestViewingWithinADay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		latest  time.Duration // before the play
		wantNew bool          // a rated viewing is logged instead
	}{
		{"a viewing two hours before", 2 * time.Hour, false},
		{"a viewing at the time of the play", 0, false},
		{"a viewing exactly a day before", 24 * time.Hour, false},
		{"a viewing a day and a second before", 24*time.Hour + time.Second, true},
		{"a viewing a week before", 7 * 24 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newLogPlaysHarness(t)
			e := playEvent(t, rated(4.5))
			stored := mustMovie(playID, playTitle, playYear, "")
			h.repo.EXPECT().MovieByExternalID(gomock.Any(), stored.ExternalID).Return(stored, nil).AnyTimes()
			latest := viewing(stored, e.Play.User, playedAt.Add(-tt.latest))
			older := viewing(stored, e.Play.User, playedAt.Add(-tt.latest-time.Hour))
			h.expectDiary(t, e.Play.User, stored.ID, latest, older)
			if tt.wantNew {
				h.expectNewKey(e)
				h.expectSave(domain.MovieUnchanged)
			} else {
				h.expectEdit(latest)
			}
			if err := h.uc.Handle(t.Context(), e); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if tt.wantNew {
				if len(h.saved) != 1 || h.saved[0].Review.Rating != domain.MustNewRating(4.5) || !h.saved[0].Review.WatchedAt.Equal(playedAt) {
					t.Fatalf("saved %+v: want one viewing rated 4.5 at the time of the play", h.saved)
				}
				return
			}
			if len(h.updated) != 1 {
				t.Fatalf("updated %d reviews, want 1", len(h.updated))
			}
			r := h.updated[0]
			want := latest.Review
			want.Rating = domain.MustNewRating(4.5)
			if r != want {
				t.Errorf("updated %+v, want the latest viewing %+v rated 4.5, nothing else changed", r, want)
			}
			if got := h.publishedNames(); len(got) != 1 || got[0] != domain.EventReviewEdited {
				t.Errorf("published %v, want review_edited", got)
			}
		})
	}
}

func TestLogPlaysLogsARatedViewingWhenThereIsNoneToRate(t *testing.T) {
	t.Parallel()
	ext := domain.MustParseExternalMetadataID(playID)
	title, year := domain.MustNewMovieTitle(playTitle), domain.MustNewReleaseYear(playYear)
	tests := []struct {
		name   string
		play   func(p *domain.Play)
		expect func(t *testing.T, h *logPlaysHarness, e domain.PlayReported)
		change domain.MovieChange
	}{
		{
			name: "a stored film the user never logged",
			expect: func(t *testing.T, h *logPlaysHarness, e domain.PlayReported) {
				stored := mustMovie(playID, playTitle, playYear, "")
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), ext).Return(stored, nil).AnyTimes()
				h.expectDiary(t, e.Play.User, stored.ID)
			},
			change: domain.MovieUnchanged,
		},
		{
			name: "a film not stored: no diary to look at",
			expect: func(t *testing.T, h *logPlaysHarness, e domain.PlayReported) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), ext).Return(domain.Movie{}, errNoRow).Times(2)
				h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), title, year).Return(nil, nil)
				h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), ext).Return(metadataOf(playID, playTitle, playYear, "John Carpenter"), nil)
			},
			change: domain.MovieCreated,
		},
		{
			name: "a stored film of that title and year holding another IMDb ID is another film",
			expect: func(t *testing.T, h *logPlaysHarness, e domain.PlayReported) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), ext).Return(domain.Movie{}, errNoRow).Times(2)
				h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), title, year).Return(
					[]domain.Movie{mustMovie(otherID, playTitle, playYear, "")}, nil)
				h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), ext).Return(metadataOf(playID, playTitle, playYear, "John Carpenter"), nil)
			},
			change: domain.MovieCreated,
		},
		{
			name: "the viewing to rate was deleted meanwhile",
			expect: func(t *testing.T, h *logPlaysHarness, e domain.PlayReported) {
				stored := mustMovie(playID, playTitle, playYear, "")
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), ext).Return(stored, nil).AnyTimes()
				gone := viewing(stored, e.Play.User, playedAt.Add(-time.Hour))
				h.expectDiary(t, e.Play.User, stored.ID, gone)
				h.repo.EXPECT().EntryByReviewID(gomock.Any(), gone.Review.ID).Return(domain.DiaryEntry{}, errNoRow)
			},
			change: domain.MovieUnchanged,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newLogPlaysHarness(t)
			e := playEvent(t, rated(2))
			tt.expect(t, h, e)
			h.expectNewKey(e)
			h.expectSave(tt.change)
			if err := h.uc.Handle(t.Context(), e); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if len(h.saved) != 1 || h.saved[0].Review.Rating != domain.MustNewRating(2) || h.saved[0].Idempotency.Key != keyOf(e) {
				t.Fatalf("saved %+v: want one viewing rated 2 under the event's key", h.saved)
			}
			if len(h.updated) != 0 {
				t.Errorf("updated %v as well", h.updated)
			}
		})
	}
}

// Without an IMDb ID, the film a rating is for is the stored movie of that
// title and year.
func TestLogPlaysFindsTheFilmToRateByTitleAndYear(t *testing.T) {
	t.Parallel()
	h := newLogPlaysHarness(t)
	e := playEvent(t, func(p *domain.Play) {
		p.ExternalID = domain.ExternalMetadataID{}
		rated(3)(p)
	})
	stored := mustMovie("", "BIG TROUBLE IN LITTLE CHINA", playYear, "John Carpenter")
	h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), e.Play.Title, e.Play.Year).Return([]domain.Movie{stored}, nil)
	latest := viewing(stored, e.Play.User, playedAt.Add(-time.Hour))
	h.expectDiary(t, e.Play.User, stored.ID, latest)
	h.expectEdit(latest)
	if err := h.uc.Handle(t.Context(), e); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if len(h.updated) != 1 || h.updated[0].ID != latest.Review.ID || h.updated[0].Rating != domain.MustNewRating(3) {
		t.Errorf("updated %+v, want the latest viewing rated 3", h.updated)
	}
}

// A rating delivered again finds the viewing it logged (or rated) the
// first time: no second viewing.
func TestLogPlaysRedeliveredRatingLogsNoSecondViewing(t *testing.T) {
	t.Parallel()
	h := newLogPlaysHarness(t)
	e := playEvent(t, rated(4))
	stored := mustMovie(playID, playTitle, playYear, "")
	h.repo.EXPECT().MovieByExternalID(gomock.Any(), stored.ExternalID).Return(stored, nil).AnyTimes()
	h.expectDiary(t, e.Play.User, stored.ID)
	h.expectNewKey(e)
	h.expectSave(domain.MovieUnchanged)
	if err := h.uc.Handle(t.Context(), e); err != nil {
		t.Fatalf("first delivery: %v", err)
	}
	first := domain.DiaryEntry{Movie: stored, Review: h.saved[0].Review}

	h.expectDiary(t, e.Play.User, stored.ID, first)
	h.expectEdit(first)
	if err := h.uc.Handle(t.Context(), e); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if len(h.saved) != 1 {
		t.Errorf("a redelivered rating saved %d viewings", len(h.saved))
	}
	if len(h.updated) == 1 && h.updated[0].Rating != domain.MustNewRating(4) {
		t.Errorf("the redelivery changed the rating to %v", h.updated[0].Rating)
	}
}

// A failing store keeps its kind so that the delivery is retried.
func TestLogPlaysKeepsTheKindOfRepositoryFailures(t *testing.T) {
	t.Parallel()
	ext := domain.MustParseExternalMetadataID(playID)
	stored := mustMovie(playID, playTitle, playYear, "")
	errBusy := fmt.Errorf("repo: %w: too many connections", domain.ErrUnavailable)
	tests := []struct {
		name   string
		play   func(p *domain.Play)
		expect func(t *testing.T, h *logPlaysHarness, e domain.PlayReported)
		kind   error
	}{
		{
			name: "reading the idempotency key",
			expect: func(t *testing.T, h *logPlaysHarness, e domain.PlayReported) {
				h.repo.EXPECT().IdempotencyRecord(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).Return(domain.IdempotencyRecord{}, errDB)
			},
			kind: domain.ErrInfrastructure,
		},
		{
			name: "finding the movie to log",
			expect: func(t *testing.T, h *logPlaysHarness, e domain.PlayReported) {
				h.expectNewKey(e)
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), ext).Return(domain.Movie{}, errBusy)
			},
			kind: domain.ErrUnavailable,
		},
		{
			name: "saving the viewing",
			expect: func(t *testing.T, h *logPlaysHarness, e domain.PlayReported) {
				h.expectNewKey(e)
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), ext).Return(stored, nil)
				h.repo.EXPECT().SaveViewing(gomock.Any(), gomock.Any()).Return(domain.SavedViewing{}, errDB)
			},
			kind: domain.ErrInfrastructure,
		},
		{
			name: "finding the movie to rate",
			play: rated(3),
			expect: func(t *testing.T, h *logPlaysHarness, e domain.PlayReported) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), ext).Return(domain.Movie{}, errDB)
			},
			kind: domain.ErrInfrastructure,
		},
		{
			name: "finding the movie to rate by title and year",
			play: func(p *domain.Play) { p.ExternalID = domain.ExternalMetadataID{}; rated(3)(p) },
			expect: func(t *testing.T, h *logPlaysHarness, e domain.PlayReported) {
				h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil, errBusy)
			},
			kind: domain.ErrUnavailable,
		},
		{
			name: "reading the diary",
			play: rated(3),
			expect: func(t *testing.T, h *logPlaysHarness, e domain.PlayReported) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), ext).Return(stored, nil)
				h.repo.EXPECT().QueryDiary(gomock.Any(), gomock.Any()).Return(domain.DiaryPage{}, errDB)
			},
			kind: domain.ErrInfrastructure,
		},
		{
			name: "storing the rating",
			play: rated(3),
			expect: func(t *testing.T, h *logPlaysHarness, e domain.PlayReported) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), ext).Return(stored, nil)
				latest := viewing(stored, e.Play.User, playedAt)
				h.expectDiary(t, e.Play.User, stored.ID, latest)
				h.repo.EXPECT().EntryByReviewID(gomock.Any(), latest.Review.ID).Return(latest, nil)
				h.repo.EXPECT().UpdateReview(gomock.Any(), gomock.Any(), gomock.Any()).Return(domain.EditedReview{}, errBusy)
			},
			kind: domain.ErrUnavailable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newLogPlaysHarness(t)
			e := playEvent(t, tt.play)
			tt.expect(t, h, e)
			err := h.uc.Handle(t.Context(), e)
			requireKind(t, err, tt.kind)
			if domain.IsPermanent(err) {
				t.Errorf("error %v is permanent: the delivery would not be retried", err)
			}
			if len(h.saved)+len(h.updated)+len(h.published) != 0 {
				t.Errorf("a failure saved %v, updated %v, published %v", h.saved, h.updated, h.published)
			}
		})
	}
}

// A play that names its film only partly (an IMDb ID without a title and
// year, or a title without a year) can only be logged once the metadata
// source answers. While it is down the delivery must be retried, as
// LogPlays.Handle documents ("a failing ... metadata source keeps its
// kind"), not refused for good: a permanent error sends the play to the
// dead letters and it is never logged.
func TestLogPlaysRetriesWhileTheMetadataSourceIsDownAndNothingElseNamesTheFilm(t *testing.T) {
	t.Parallel()
	ext := domain.MustParseExternalMetadataID(playID)
	title := domain.MustNewMovieTitle(playTitle)
	tests := []struct {
		name   string
		play   func(p *domain.Play)
		expect func(h *logPlaysHarness)
	}{
		{
			name: "by IMDb ID alone",
			play: func(p *domain.Play) { p.Title, p.Year = domain.MovieTitle{}, domain.ReleaseYear{} },
			expect: func(h *logPlaysHarness) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), ext).Return(domain.Movie{}, errNoRow)
				h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), ext).Return(domain.MovieMetadata{}, errDown)
			},
		},
		{
			name: "by title without a year",
			play: func(p *domain.Play) { p.ExternalID, p.Year = domain.ExternalMetadataID{}, domain.ReleaseYear{} },
			expect: func(h *logPlaysHarness) {
				h.metadata.EXPECT().SearchMetadata(gomock.Any(), title, domain.ReleaseYear{}).Return(domain.MovieMetadata{}, errDown)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newLogPlaysHarness(t)
			e := playEvent(t, tt.play)
			h.expectNewKey(e)
			tt.expect(h)
			err := h.uc.Handle(t.Context(), e)
			if err == nil {
				t.Fatal("Handle logged a film nothing named")
			}
			if domain.IsPermanent(err) || !errors.Is(err, domain.ErrUnavailable) {
				t.Errorf("error %v: want the metadata source's ErrUnavailable (retried), not a permanent error", err)
			}
			if len(h.saved) != 0 {
				t.Errorf("saved %v", h.saved)
			}
		})
	}
}
