package porttest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// The MovieRepository subtests of ratings, EntryByReviewID, UpdateReview
// and DeleteReview.

func testRatingsRoundTrip(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	m := NewMovie(t, NewExternalID(t), "Cléo from 5 to 7", 1962, "Agnès Varda")
	user := domain.NewUserID()
	base := time.Date(2024, 2, 1, 20, 0, 0, 0, time.UTC)
	ratings := []domain.Rating{{}, mustRating(t, 0), mustRating(t, 0.5), mustRating(t, 2.5), mustRating(t, 4.5), mustRating(t, 5), {}}
	byID := map[domain.ReviewID]domain.Review{}
	var want []domain.Review
	for i, rating := range ratings {
		r := reviewRated(t, m.ID, user, rating, base.Add(time.Duration(i)*time.Hour))
		saved := mustSaveViewing(t, repo, domain.Viewing{Movie: m, Review: r})
		checkReview(t, fmt.Sprintf("SavedViewing.Review rated %q", rating), saved.Review, r)
		checkLogEvents(t, saved, i == 0)
		byID[r.ID] = r
		want = append(want, r)
	}
	page := queryDiary(t, repo, domain.DiaryQuery{Filter: domain.DiaryFilter{Sort: domain.SortAsc}, Page: mustPage(t, domain.MaxPageLimit, 0)})
	if len(page.Entries) != len(want) {
		t.Fatalf("diary has %d entries, want %d", len(page.Entries), len(want))
	}
	for i, e := range page.Entries {
		checkReview(t, fmt.Sprintf("diary entry %d", i), e.Review, want[i])
	}
	h, err := repo.ReviewHistory(ctx, m.ID, domain.UserID{})
	if err != nil {
		t.Fatalf("ReviewHistory: %v", err)
	}
	if len(h.Viewings) != len(want) {
		t.Fatalf("ReviewHistory has %d viewings, want %d", len(h.Viewings), len(want))
	}
	for i, r := range h.Viewings {
		checkReview(t, fmt.Sprintf("history viewing %d", i), r, want[i])
	}
	if got, ok := h.LatestRating(); !ok || got != mustRating(t, 5) {
		t.Errorf("LatestRating = %q, %v; want the latest rated viewing's 5", got, ok)
	}
}

func testEntryByReviewID(t *testing.T, repo domain.MovieRepository) {
	f := seedDiary(t, repo)
	for _, i := range []int{0, 4, len(f.entries) - 1} {
		want := f.entries[i]
		got, err := repo.EntryByReviewID(t.Context(), want.Review.ID)
		if err != nil {
			t.Fatalf("EntryByReviewID(entry %d): %v", i, err)
		}
		checkMovie(t, fmt.Sprintf("entry %d movie", i), got.Movie, want.Movie)
		checkReview(t, fmt.Sprintf("entry %d review", i), got.Review, want.Review)
	}
	if _, err := repo.EntryByReviewID(t.Context(), domain.NewReviewID()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("EntryByReviewID(unknown) error = %v, want ErrNotFound", err)
	}
}

func testUpdateReview(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	f := seedDiary(t, repo)
	// The entry watched earliest, so a new watched_at moves it to the end.
	asc := f.want(domain.DiaryFilter{Sort: domain.SortAsc})
	before := asc[0]
	totals := f.totals(before)

	// The given review names another movie, user and created_at: they must
	// be ignored.
	edited := before.Review
	edited.Rating = mustRating(t, 2.5)
	edited.Comment = mustComment(t, "better the second time")
	edited.WatchedAt = time.Date(2024, 4, 1, 21, 15, 0, 0, time.UTC)
	given := edited
	given.MovieID = f.movies[2].ID
	given.UserID = domain.NewUserID()
	given.CreatedAt = FixtureTime.Add(time.Hour)
	at := FixtureTime.Add(2 * time.Hour)

	got, err := repo.UpdateReview(ctx, given, at)
	if err != nil {
		t.Fatalf("UpdateReview: %v", err)
	}
	checkMovie(t, "EditedReview.Entry.Movie", got.Entry.Movie, before.Movie)
	checkReview(t, "EditedReview.Entry.Review", got.Entry.Review, edited)
	checkEditedEvent(t, got.Events, edited, at)

	stored, err := repo.EntryByReviewID(ctx, edited.ID)
	if err != nil {
		t.Fatalf("EntryByReviewID: %v", err)
	}
	checkReview(t, "EntryByReviewID after the edit", stored.Review, edited)
	f.replace(edited)
	checkDiaryAgainst(t, repo, f)
	if last := f.want(domain.DiaryFilter{Sort: domain.SortAsc}); last[len(last)-1].Review.ID != edited.ID {
		t.Fatal("the fixture's edit did not move the entry to the end: the test proves less than it should")
	}
	for filter, n := range totals {
		checkDiaryTotal(t, repo, filter, n)
	}

	// A second edit clears the rating and the comment.
	cleared := edited
	cleared.Rating, cleared.Comment = domain.Rating{}, domain.Comment{}
	got, err = repo.UpdateReview(ctx, cleared, at.Add(time.Second))
	if err != nil {
		t.Fatalf("UpdateReview(clearing): %v", err)
	}
	checkReview(t, "EditedReview.Entry.Review after clearing", got.Entry.Review, cleared)
	checkEditedEvent(t, got.Events, cleared, at.Add(time.Second))
	f.replace(cleared)
	checkDiaryAgainst(t, repo, f)

	unknown := cleared
	unknown.ID = domain.NewReviewID()
	if _, err := repo.UpdateReview(ctx, unknown, at); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("UpdateReview(unknown review) error = %v, want ErrNotFound", err)
	}
	checkDiaryAgainst(t, repo, f)
}

func testDeleteReview(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	f := seedDiary(t, repo)
	gone := f.entries[4]
	totals := f.totals(gone)
	at := FixtureTime.Add(time.Hour)

	events, err := repo.DeleteReview(ctx, gone.Review.ID, at)
	if err != nil {
		t.Fatalf("DeleteReview: %v", err)
	}
	checkDeletedEvent(t, events, gone.Review, at)
	for filter, n := range totals {
		checkDiaryTotal(t, repo, filter, n-1)
	}
	f.remove(gone.Review.ID)
	checkDiaryAgainst(t, repo, f)
	if _, err := repo.EntryByReviewID(ctx, gone.Review.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("EntryByReviewID(deleted) error = %v, want ErrNotFound", err)
	}
	if _, err := repo.DeleteReview(ctx, gone.Review.ID, at); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("DeleteReview(deleted again) error = %v, want ErrNotFound", err)
	}
	if _, err := repo.DeleteReview(ctx, domain.NewReviewID(), at); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("DeleteReview(unknown) error = %v, want ErrNotFound", err)
	}
	checkDiaryAgainst(t, repo, f)

	// Every review of a movie deleted: the movie stays, with no viewings.
	m := gone.Movie
	for _, e := range f.want(domain.DiaryFilter{MovieID: m.ID}) {
		if _, err := repo.DeleteReview(ctx, e.Review.ID, at); err != nil {
			t.Fatalf("DeleteReview: %v", err)
		}
		f.remove(e.Review.ID)
	}
	stored, err := repo.MovieByID(ctx, m.ID)
	if err != nil {
		t.Fatalf("MovieByID of a movie whose reviews were all deleted: %v, want the movie", err)
	}
	checkMovie(t, "movie without reviews", stored, m)
	h, err := repo.ReviewHistory(ctx, m.ID, domain.UserID{})
	if err != nil {
		t.Fatalf("ReviewHistory of a movie whose reviews were all deleted: %v, want an empty history", err)
	}
	if len(h.Viewings) != 0 {
		t.Errorf("ReviewHistory has %d viewings, want none", len(h.Viewings))
	}
	checkDiaryTotal(t, repo, domain.DiaryFilter{MovieID: m.ID}, 0)
	checkDiaryAgainst(t, repo, f)
}

// totals returns the number of entries of every filter that selects e: the
// whole diary, e's movie, e's user, and both.
func (f diaryFixture) totals(e domain.DiaryEntry) map[domain.DiaryFilter]int {
	out := map[domain.DiaryFilter]int{}
	for _, filter := range []domain.DiaryFilter{
		{},
		{MovieID: e.Movie.ID},
		{UserID: e.Review.UserID},
		{MovieID: e.Movie.ID, UserID: e.Review.UserID},
	} {
		out[filter] = len(f.want(filter))
	}
	return out
}

// replace puts r in place of the fixture's review with r's ID.
func (f *diaryFixture) replace(r domain.Review) {
	for i := range f.entries {
		if f.entries[i].Review.ID == r.ID {
			f.entries[i].Review = r
		}
	}
}

// remove drops the fixture's review id.
func (f *diaryFixture) remove(id domain.ReviewID) {
	f.entries = slices.DeleteFunc(f.entries, func(e domain.DiaryEntry) bool { return e.Review.ID == id })
}

// checkDiaryAgainst checks that every filter of f reads exactly f's
// entries, in order, with exact totals, and that every movie's history
// lists its viewings.
func checkDiaryAgainst(t *testing.T, repo domain.MovieRepository, f diaryFixture) {
	t.Helper()
	for _, c := range f.filters() {
		page := queryDiary(t, repo, domain.DiaryQuery{Filter: c.filter, Page: mustPage(t, domain.MaxPageLimit, 0)})
		want := f.want(c.filter)
		checkEntries(t, page.Entries, want)
		if page.TotalCount != len(want) {
			t.Errorf("%s: TotalCount = %d, want %d", c.name, page.TotalCount, len(want))
		}
	}
	for _, m := range f.movies {
		h, err := repo.ReviewHistory(t.Context(), m.ID, domain.UserID{})
		if err != nil {
			t.Fatalf("ReviewHistory(%q): %v", m.Title, err)
		}
		want := f.want(domain.DiaryFilter{MovieID: m.ID, Sort: domain.SortAsc})
		if len(h.Viewings) != len(want) {
			t.Errorf("ReviewHistory(%q) has %d viewings, want %d", m.Title, len(h.Viewings), len(want))
			continue
		}
		for i := range want {
			checkReview(t, fmt.Sprintf("ReviewHistory(%q) viewing %d", m.Title, i), h.Viewings[i], want[i].Review)
		}
	}
}

// checkEditedEvent checks that events is one ReviewEdited describing r,
// with a fresh ID, occurring at at.
func checkEditedEvent(t *testing.T, events []domain.Event, r domain.Review, at time.Time) {
	t.Helper()
	if len(events) != 1 {
		t.Errorf("UpdateReview returned %s, want one ReviewEdited", describeEvents(events))
		return
	}
	e, ok := events[0].(domain.ReviewEdited)
	switch {
	case !ok:
		t.Errorf("UpdateReview's event is %T, want domain.ReviewEdited", events[0])
	case e.ReviewID != r.ID || e.Movie != r.MovieID || e.UserID != r.UserID || e.Rating != r.Rating || !e.WatchedAt.Equal(r.WatchedAt):
		t.Errorf("ReviewEdited{ReviewID %v, Movie %v, UserID %v, Rating %q, WatchedAt %v} does not describe the edited review %s",
			e.ReviewID, e.Movie, e.UserID, e.Rating, e.WatchedAt, describeReview(r))
	case e.EventID().IsZero() || !e.OccurredAt().Equal(at):
		t.Errorf("ReviewEdited has ID %v and occurred at %v, want a fresh ID and %v", e.EventID(), e.OccurredAt(), at)
	}
}

// checkDeletedEvent checks that events is one ReviewDeleted naming r, with
// a fresh ID, occurring at at.
func checkDeletedEvent(t *testing.T, events []domain.Event, r domain.Review, at time.Time) {
	t.Helper()
	if len(events) != 1 {
		t.Errorf("DeleteReview returned %s, want one ReviewDeleted", describeEvents(events))
		return
	}
	e, ok := events[0].(domain.ReviewDeleted)
	switch {
	case !ok:
		t.Errorf("DeleteReview's event is %T, want domain.ReviewDeleted", events[0])
	case e.ReviewID != r.ID || e.Movie != r.MovieID || e.UserID != r.UserID:
		t.Errorf("ReviewDeleted{ReviewID %v, Movie %v, UserID %v} does not name the deleted review %s",
			e.ReviewID, e.Movie, e.UserID, describeReview(r))
	case e.EventID().IsZero() || !e.OccurredAt().Equal(at):
		t.Errorf("ReviewDeleted has ID %v and occurred at %v, want a fresh ID and %v", e.EventID(), e.OccurredAt(), at)
	}
}

// reviewRated is NewReview with any rating, none included.
func reviewRated(t *testing.T, movie domain.MovieID, user domain.UserID, rating domain.Rating, watchedAt time.Time) domain.Review {
	t.Helper()
	r := NewReview(t, movie, user, 0, watchedAt)
	r.Rating = rating
	return r
}

func mustRating(t *testing.T, stars float64) domain.Rating {
	t.Helper()
	r, err := domain.NewRating(stars)
	if err != nil {
		t.Fatalf("rating %v: %v", stars, err)
	}
	return r
}

func mustComment(t *testing.T, s string) domain.Comment {
	t.Helper()
	c, err := domain.NewComment(s)
	if err != nil {
		t.Fatalf("comment: %v", err)
	}
	return c
}
