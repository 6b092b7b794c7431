package porttest

import (
	"errors"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// identifyAt is when the suite's identifications happen.
var identifyAt = FixtureTime.Add(3 * time.Hour)

// metadataFor returns what a metadata source would say about m under ext.
func metadataFor(t *testing.T, m domain.Movie, ext domain.ExternalMetadataID, director string) domain.MovieMetadata {
	t.Helper()
	return domain.MovieMetadata{
		ExternalID: ext, Title: m.Title, ReleaseYear: m.ReleaseYear, Director: mustDirector(t, director),
		PosterURL: domain.MustParsePosterURL("https://img.example/" + ext.String() + ".jpg"),
	}
}

func mustIdentify(t *testing.T, repo domain.MovieIdentifier, id domain.MovieID, md domain.MovieMetadata) (domain.Movie, []domain.Event) {
	t.Helper()
	m, events, err := repo.IdentifyMovie(t.Context(), id, md, identifyAt)
	if err != nil {
		t.Fatalf("IdentifyMovie(%v, %v): %v", id, md.ExternalID, err)
	}
	return m, events
}

// checkDiscovered checks that events is one MovieDiscovered of m carrying
// poster, occurring at identifyAt.
func checkDiscovered(t *testing.T, events []domain.Event, m domain.Movie, poster domain.PosterURL) {
	t.Helper()
	if len(events) != 1 {
		t.Fatalf("IdentifyMovie returned %s, want one MovieDiscovered", describeEvents(events))
	}
	md, ok := events[0].(domain.MovieDiscovered)
	switch {
	case !ok:
		t.Errorf("IdentifyMovie returned %T, want domain.MovieDiscovered", events[0])
	case md.Movie != m.ID || md.ExternalMetadataID != m.ExternalID || md.PosterURL != poster:
		t.Errorf("MovieDiscovered{Movie %v, ExternalMetadataID %v, PosterURL %q}, want {%v, %v, %q}", md.Movie, md.ExternalMetadataID, md.PosterURL, m.ID, m.ExternalID, poster)
	case md.EventID().IsZero() || !md.OccurredAt().Equal(identifyAt):
		t.Errorf("MovieDiscovered{ID %v, OccurredAt %v}, want a fresh ID and %v", md.EventID(), md.OccurredAt(), identifyAt)
	}
}

func testIdentifyMovie(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	tests := []struct {
		name, director, wantDirector string
		poster                       bool
	}{
		{name: "without director", director: "", wantDirector: "Akira Kurosawa"},
		{name: "with a director", director: "Kept As Typed", wantDirector: "Kept As Typed"},
		{name: "with a poster", director: "", wantDirector: "Akira Kurosawa", poster: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stored := mustUpsert(t, repo, NewMovie(t, domain.ExternalMetadataID{}, "The Hidden Fortress", 1958, tc.director))
			if tc.poster {
				path := domain.MustNewPosterPath("posters/" + stored.ID.String() + ".jpg")
				if err := repo.SetPosterPath(ctx, stored.ID, path); err != nil {
					t.Fatalf("SetPosterPath: %v", err)
				}
				stored.PosterPath = path
			}
			user := domain.NewUserID()
			r := NewReview(t, stored.ID, user, 4, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
			mustSaveViewing(t, repo, domain.Viewing{Movie: stored, Review: r})

			md := metadataFor(t, stored, NewExternalID(t), "Akira Kurosawa")
			got, events := mustIdentify(t, repo, stored.ID, md)
			want := stored
			want.ExternalID = md.ExternalID
			want.Director = mustDirector(t, tc.wantDirector)
			checkMovie(t, "IdentifyMovie", got, want)
			if tc.poster {
				if len(events) != 0 {
					t.Errorf("IdentifyMovie of a movie with a poster returned %s, want no event", describeEvents(events))
				}
			} else {
				checkDiscovered(t, events, want, md.PosterURL)
			}
			byExt, err := repo.MovieByExternalID(ctx, md.ExternalID)
			if err != nil {
				t.Fatalf("MovieByExternalID: %v", err)
			}
			checkMovie(t, "MovieByExternalID", byExt, want)
			checkDiaryTotal(t, repo, domain.DiaryFilter{MovieID: stored.ID}, 1)

			// Identified now: the same call again changes nothing.
			again, events := mustIdentify(t, repo, stored.ID, metadataFor(t, stored, NewExternalID(t), "Someone Else"))
			checkMovie(t, "IdentifyMovie again", again, want)
			if len(events) != 0 {
				t.Errorf("IdentifyMovie of an identified movie returned %s, want no event", describeEvents(events))
			}
		})
	}
}

func testIdentifyMovieIdentified(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	stored := mustUpsert(t, repo, NewMovie(t, NewExternalID(t), "Throne of Blood", 1957, ""))
	md := metadataFor(t, stored, NewExternalID(t), "Akira Kurosawa")
	got, events := mustIdentify(t, repo, stored.ID, md)
	checkMovie(t, "IdentifyMovie(identified movie)", got, stored)
	if len(events) != 0 {
		t.Errorf("IdentifyMovie(identified movie) returned %s, want no event", describeEvents(events))
	}
	if _, err := repo.MovieByExternalID(ctx, md.ExternalID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MovieByExternalID(metadata's ID) error = %v, want ErrNotFound", err)
	}
	again, err := repo.MovieByID(ctx, stored.ID)
	if err != nil {
		t.Fatalf("MovieByID: %v", err)
	}
	checkMovie(t, "MovieByID", again, stored)
}

func testIdentifyMovieMerges(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	ext := NewExternalID(t)
	canonical := mustUpsert(t, repo, NewMovie(t, ext, "Seven Samurai", 1954, "Akira Kurosawa"))
	dup := mustUpsert(t, repo, NewMovie(t, domain.ExternalMetadataID{}, "Seven Samurai", 1954, ""))
	other := mustUpsert(t, repo, NewMovie(t, domain.ExternalMetadataID{}, "Sanshiro Sugata", 1943, ""))
	ann, bob := domain.NewUserID(), domain.NewUserID()
	base := time.Date(2023, 3, 3, 20, 0, 0, 0, time.UTC)
	var want []domain.DiaryEntry
	for i, v := range []struct {
		movie domain.Movie
		user  domain.UserID
	}{{canonical, ann}, {dup, ann}, {dup, bob}, {dup, ann}, {other, bob}, {canonical, bob}} {
		r := NewReviewWithComment(t, v.movie.ID, v.user, float64(i%5)+0.5, "viewing", base.Add(time.Duration(i)*time.Hour))
		mustSaveViewing(t, repo, domain.Viewing{Movie: v.movie, Review: r})
		if v.movie.ID == dup.ID {
			r.MovieID = canonical.ID
			v.movie = canonical
		}
		want = append(want, domain.DiaryEntry{Movie: v.movie, Review: r})
	}

	got, events := mustIdentify(t, repo, dup.ID, metadataFor(t, dup, ext, "Someone Else"))
	checkMovie(t, "IdentifyMovie(duplicate)", got, canonical)
	if len(events) != 0 {
		t.Errorf("IdentifyMovie merging into a stored movie returned %s, want no event", describeEvents(events))
	}
	if _, err := repo.MovieByID(ctx, dup.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MovieByID(merged movie) error = %v, want ErrNotFound", err)
	}
	if _, err := repo.ReviewHistory(ctx, dup.ID, domain.UserID{}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("ReviewHistory(merged movie) error = %v, want ErrNotFound", err)
	}
	if _, _, err := repo.IdentifyMovie(ctx, dup.ID, metadataFor(t, dup, ext, ""), identifyAt); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("IdentifyMovie(merged movie) error = %v, want ErrNotFound", err)
	}
	h, err := repo.ReviewHistory(ctx, canonical.ID, domain.UserID{})
	if err != nil {
		t.Fatalf("ReviewHistory: %v", err)
	}
	if len(h.Viewings) != 5 {
		t.Errorf("the movie merged into has %d viewings, want 5", len(h.Viewings))
	}
	byTitle, err := repo.MoviesByTitleYear(ctx, canonical.Title, canonical.ReleaseYear)
	if err != nil || len(byTitle) != 1 {
		t.Errorf("MoviesByTitleYear = %d movies, %v; want the one", len(byTitle), err)
	}
	// Every total and every page is right after the merge.
	f := diaryFixture{movies: []domain.Movie{canonical, other}, users: []domain.UserID{ann, bob}, entries: want}
	for _, filter := range []domain.DiaryFilter{
		{}, {MovieID: canonical.ID}, {MovieID: dup.ID}, {MovieID: other.ID}, {UserID: ann}, {UserID: bob},
		{MovieID: canonical.ID, UserID: ann}, {MovieID: dup.ID, UserID: bob}, {MovieID: canonical.ID, UserID: bob, Sort: domain.SortAsc},
	} {
		page := checkDiaryTotal(t, repo, filter, len(f.want(filter)))
		checkEntries(t, page.Entries, f.want(filter))
	}
}

func testIdentifyMovieUnknown(t *testing.T, repo domain.MovieRepository) {
	mustUpsert(t, repo, NewMovie(t, domain.ExternalMetadataID{}, "Stored", 2000, ""))
	m := NewMovie(t, domain.ExternalMetadataID{}, "Unknown", 2000, "")
	md := metadataFor(t, m, NewExternalID(t), "")
	if _, _, err := repo.IdentifyMovie(t.Context(), m.ID, md, identifyAt); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("IdentifyMovie(unknown) error = %v, want ErrNotFound", err)
	}
	if _, err := repo.MovieByExternalID(t.Context(), md.ExternalID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MovieByExternalID after IdentifyMovie(unknown) error = %v, want ErrNotFound", err)
	}
}

// testOutboxIdentify runs when the outbox suite's saver is a
// MovieIdentifier too: IdentifyMovie's event is stored in the outbox,
// and a merge stores none.
func testOutboxIdentify(t *testing.T, s outboxStore) {
	ident, ok := s.saver.(domain.MovieIdentifier)
	if !ok {
		t.Skip("the saver is not a domain.MovieIdentifier")
	}
	saved := saveReviewOnly(t, s.saver, FixtureTime)
	// Another copy of the film, merged into the first below: no event.
	dup := saveReviewOnly(t, s.saver, FixtureTime)
	md := metadataFor(t, saved.Movie, NewExternalID(t), "Kaneto Shindo")
	_, events := mustIdentify(t, ident, saved.Movie.ID, md)
	if len(events) != 1 {
		t.Fatalf("IdentifyMovie returned %s, want one MovieDiscovered", describeEvents(events))
	}
	if _, merged := mustIdentify(t, ident, dup.Movie.ID, md); len(merged) != 0 {
		t.Errorf("IdentifyMovie merging returned %s, want no event", describeEvents(merged))
	}
	// A failed identification stores nothing either.
	if _, _, err := ident.IdentifyMovie(t.Context(), domain.NewMovieID(), metadataFor(t, saved.Movie, NewExternalID(t), ""), identifyAt); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("IdentifyMovie(unknown) error = %v, want ErrNotFound", err)
	}
	checkPending(t, s.ob, 3)
	want := []domain.Event{saved.Events[0], dup.Events[0], events[0]}
	checkOutboxEvents(t, "ClaimEvents", mustClaim(t, s.ob, s.start, 10, time.Minute), want)
}
