package porttest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// TestMovieRepository runs the MovieRepository contract. newRepo must
// return a new, empty repository each time; it is called once per subtest.
//
// The suite pins lookups (not found versus found, title and year matching),
// UpsertMovie's insert, update and one-row-per-IMDb-ID rules, SetPosterPath,
// every branch of SaveViewing with its MovieChange and events (a stored
// movie identified takes the viewing's director when it has none, and
// keeps its own otherwise; exactly
// domain.LogEvents of the stored movie and review), SaveViewing's atomicity
// and its behaviour under concurrent first logs of one IMDb ID, QueryDiary's
// order, filters, offset and keyset paging and exact counts, ReviewHistory,
// and that every field survives a round trip, half-star and missing
// ratings included.
//
// It pins SaveViewing's idempotency keys too: the record IdempotencyRecord
// reads back, ErrConflict with nothing stored for a key the user used less
// than domain.IdempotencyWindow before, keys scoped to their user, an
// older record replaced, and exactly one of many concurrent saves under
// one key stored. And the ReviewEditor: EntryByReviewID, UpdateReview
// (rating, comment and watched_at replaced, movie, user and created_at
// kept, the ReviewEdited event, order and totals) and DeleteReview (totals
// of every filter drop, the movie stays, the ReviewDeleted event),
// ErrNotFound for unknown reviews. And IdentifyMovie (the external ID and a
// missing director attached with MovieDiscovered carrying the poster URL,
// an identified movie left alone, a duplicate merged into the movie
// holding the ID with every total right, ErrNotFound) and ExportDiary (a
// user's entries oldest first with their rewatch flags, fn's error).
func TestMovieRepository(t *testing.T, newRepo func(t *testing.T) domain.MovieRepository) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, repo domain.MovieRepository)
	}{
		{"unknown movie is not found", testMovieNotFound},
		{"UpsertMovie inserts a movie found by ID and external ID", testUpsertInserts},
		{"UpsertMovie updates a stored movie in place", testUpsertUpdates},
		{"UpsertMovie returns the movie that already holds the external ID", testUpsertCanonical},
		{"MoviesByTitleYear ignores case and matches the year exactly", testMoviesByTitleYear},
		{"SetPosterPath records the path", testSetPosterPath},
		{"SetPosterPath of an unknown movie is not found", testSetPosterPathUnknown},
		{"SaveViewing resolves the movie and reports its change and events", testSaveViewingBranches},
		{"SaveViewing refuses a stored movie with another external ID", testSaveViewingConflict},
		{"SaveViewing that fails stores nothing", testSaveViewingAtomic},
		{"SaveViewing of one new IMDb ID from many goroutines stores one movie", testSaveViewingConcurrent},
		{"QueryDiary orders by watched_at then review ID", testDiaryOrder},
		{"QueryDiary defaults to 20 entries newest first", testDiaryDefaults},
		{"QueryDiary pages by offset with exact counts", testDiaryOffsetPaging},
		{"QueryDiary pages by keyset like it pages by offset", testDiaryKeysetPaging},
		{"QueryDiary keyset position need not be an entry", testDiaryKeysetBetween},
		{"QueryDiary entries carry their movie", testDiaryEntriesCarryMovie},
		{"ReviewHistory lists viewings oldest first", testReviewHistory},
		{"ReviewHistory of an unknown movie is not found", testReviewHistoryUnknown},
		{"ReviewHistory of a movie without viewings is empty", testReviewHistoryEmpty},
		{"round trip preserves every field", testMovieRoundTrip},
		{"half-star and missing ratings round-trip", testRatingsRoundTrip},
		{"SaveViewing with a key stores its record", testIdempotencyRecordStored},
		{"SaveViewing with a key held within the window stores nothing", testIdempotencyKeyHeld},
		{"idempotency keys belong to their user", testIdempotencyPerUser},
		{"SaveViewing replaces a key record older than the window", testIdempotencyExpiredReplaced},
		{"SaveViewing under one key from many goroutines stores once", testIdempotencyConcurrent},
		{"EntryByReviewID returns the review with its movie", testEntryByReviewID},
		{"UpdateReview replaces rating, comment and watched_at only", testUpdateReview},
		{"DeleteReview removes the review and keeps the movie", testDeleteReview},
		{"IdentifyMovie gives a movie its external ID and director", testIdentifyMovie},
		{"IdentifyMovie leaves an identified movie as stored", testIdentifyMovieIdentified},
		{"IdentifyMovie merges into the movie holding the external ID", testIdentifyMovieMerges},
		{"IdentifyMovie of an unknown movie is not found", testIdentifyMovieUnknown},
		{"ExportDiary hands on a user's entries oldest first with rewatches", testExportDiary},
		{"ExportDiary of an empty diary never calls fn", testExportDiaryEmpty},
		{"ExportDiary stops at fn's error and returns it", testExportDiaryStops},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newRepo(t))
		})
	}
}

func testMovieNotFound(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	mustUpsert(t, repo, NewMovie(t, NewExternalID(t), "Stored", 1999, ""))
	if _, err := repo.MovieByID(ctx, domain.NewMovieID()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MovieByID(unknown) error = %v, want ErrNotFound", err)
	}
	if _, err := repo.MovieByExternalID(ctx, NewExternalID(t)); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MovieByExternalID(unknown) error = %v, want ErrNotFound", err)
	}
}

func testUpsertInserts(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	m := NewMovie(t, NewExternalID(t), "The Shawshank Redemption", 1994, "Frank Darabont")
	got := mustUpsert(t, repo, m)
	checkMovie(t, "UpsertMovie", got, m)

	byID, err := repo.MovieByID(ctx, m.ID)
	if err != nil {
		t.Fatalf("MovieByID: %v", err)
	}
	checkMovie(t, "MovieByID", byID, m)
	byExt, err := repo.MovieByExternalID(ctx, m.ExternalID)
	if err != nil {
		t.Fatalf("MovieByExternalID: %v", err)
	}
	checkMovie(t, "MovieByExternalID", byExt, m)

	noExt := NewMovie(t, domain.ExternalMetadataID{}, "Home Movie", 2020, "")
	checkMovie(t, "UpsertMovie without external ID", mustUpsert(t, repo, noExt), noExt)
	byID, err = repo.MovieByID(ctx, noExt.ID)
	if err != nil {
		t.Fatalf("MovieByID: %v", err)
	}
	checkMovie(t, "MovieByID without external ID", byID, noExt)
}

func testUpsertUpdates(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	m := mustUpsert(t, repo, NewMovie(t, domain.ExternalMetadataID{}, "Alien", 1979, ""))

	updated := m
	updated.Title = domain.MustNewMovieTitle("Alien: Director's Cut")
	updated.ExternalID = NewExternalID(t)
	updated.Director = mustDirector(t, "Ridley Scott")
	checkMovie(t, "UpsertMovie update", mustUpsert(t, repo, updated), updated)

	got, err := repo.MovieByID(ctx, m.ID)
	if err != nil {
		t.Fatalf("MovieByID: %v", err)
	}
	checkMovie(t, "MovieByID after update", got, updated)
	byExt, err := repo.MovieByExternalID(ctx, updated.ExternalID)
	if err != nil {
		t.Fatalf("MovieByExternalID after update: %v", err)
	}
	checkMovie(t, "MovieByExternalID after update", byExt, updated)
	old, err := repo.MoviesByTitleYear(ctx, m.Title, m.ReleaseYear)
	if err != nil {
		t.Fatalf("MoviesByTitleYear: %v", err)
	}
	if len(old) != 0 {
		t.Errorf("MoviesByTitleYear(old title) = %v, want none: the update must not leave a second row", old)
	}

	reidentified := updated
	reidentified.ExternalID = NewExternalID(t)
	checkMovie(t, "UpsertMovie with another external ID", mustUpsert(t, repo, reidentified), reidentified)
	if _, err := repo.MovieByExternalID(ctx, updated.ExternalID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MovieByExternalID(replaced ID) error = %v, want ErrNotFound", err)
	}
	byExt, err = repo.MovieByExternalID(ctx, reidentified.ExternalID)
	if err != nil {
		t.Fatalf("MovieByExternalID(new ID): %v", err)
	}
	checkMovie(t, "MovieByExternalID(new ID)", byExt, reidentified)
}

func testUpsertCanonical(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	ext := NewExternalID(t)
	first := mustUpsert(t, repo, NewMovie(t, ext, "Heat", 1995, "Michael Mann"))
	second := NewMovie(t, ext, "Heat (duplicate)", 1995, "")

	got := mustUpsert(t, repo, second)
	checkMovie(t, "UpsertMovie of a taken external ID", got, first)
	if _, err := repo.MovieByID(ctx, second.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MovieByID(second) error = %v, want ErrNotFound: one row per IMDb ID", err)
	}
	byExt, err := repo.MovieByExternalID(ctx, ext)
	if err != nil {
		t.Fatalf("MovieByExternalID: %v", err)
	}
	checkMovie(t, "MovieByExternalID", byExt, first)
}

func testMoviesByTitleYear(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	matrix := mustUpsert(t, repo, NewMovie(t, NewExternalID(t), "The Matrix", 1999, "Lana Wachowski"))
	mustUpsert(t, repo, NewMovie(t, NewExternalID(t), "The Matrix", 2003, ""))
	mustUpsert(t, repo, NewMovie(t, domain.ExternalMetadataID{}, "The Matrix Reloaded", 1999, ""))
	mustUpsert(t, repo, NewMovie(t, domain.ExternalMetadataID{}, "Fight Club", 1999, ""))
	homeA := mustUpsert(t, repo, NewMovie(t, domain.ExternalMetadataID{}, "Home Video", 2010, ""))
	homeB := mustUpsert(t, repo, NewMovie(t, domain.ExternalMetadataID{}, "HOME VIDEO", 2010, "Someone"))

	tests := []struct {
		name  string
		title string
		year  int
		want  []domain.Movie
	}{
		{"exact title", "The Matrix", 1999, []domain.Movie{matrix}},
		{"other case", "the MATRIX", 1999, []domain.Movie{matrix}},
		{"every movie of that title and year", "home video", 2010, []domain.Movie{homeA, homeB}},
		{"other year", "The Matrix", 2000, nil},
		{"prefix of a title", "The Matr", 1999, nil},
		{"unknown title", "Nothing Like It", 1999, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := repo.MoviesByTitleYear(ctx, domain.MustNewMovieTitle(tc.title), domain.MustNewReleaseYear(tc.year))
			if err != nil {
				t.Fatalf("MoviesByTitleYear: %v", err)
			}
			sortMovies(got)
			want := slices.Clone(tc.want)
			sortMovies(want)
			if !slices.Equal(got, want) {
				t.Errorf("MoviesByTitleYear(%q, %d) = %v, want %v", tc.title, tc.year, got, want)
			}
		})
	}
}

func testSetPosterPath(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	m := mustUpsert(t, repo, NewMovie(t, NewExternalID(t), "Vertigo", 1958, "Alfred Hitchcock"))
	for _, p := range []string{"posters/first.jpg", "posters/second.png"} {
		path := domain.MustNewPosterPath(p)
		if err := repo.SetPosterPath(ctx, m.ID, path); err != nil {
			t.Fatalf("SetPosterPath(%q): %v", p, err)
		}
		want := m
		want.PosterPath = path
		got, err := repo.MovieByID(ctx, m.ID)
		if err != nil {
			t.Fatalf("MovieByID: %v", err)
		}
		checkMovie(t, "MovieByID after SetPosterPath", got, want)
		got, err = repo.MovieByExternalID(ctx, m.ExternalID)
		if err != nil {
			t.Fatalf("MovieByExternalID: %v", err)
		}
		checkMovie(t, "MovieByExternalID after SetPosterPath", got, want)
	}
}

func testSetPosterPathUnknown(t *testing.T, repo domain.MovieRepository) {
	err := repo.SetPosterPath(t.Context(), domain.NewMovieID(), domain.MustNewPosterPath("posters/none.jpg"))
	if !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("SetPosterPath(unknown) error = %v, want ErrNotFound", err)
	}
}

func testSaveViewingBranches(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	watched := time.Date(2024, 1, 10, 20, 0, 0, 0, time.UTC)

	tests := []struct {
		name string
		// setup stores what the case needs and returns the viewing to save
		// and the movie SaveViewing must resolve it to.
		setup          func(t *testing.T) (v domain.Movie, want domain.Movie)
		wantChange     domain.MovieChange
		wantDiscovered bool
	}{
		{
			name: "new movie with external ID is created and discovered",
			setup: func(t *testing.T) (domain.Movie, domain.Movie) {
				m := NewMovie(t, NewExternalID(t), "Arrival", 2016, "Denis Villeneuve")
				return m, m
			},
			wantChange:     domain.MovieCreated,
			wantDiscovered: true,
		},
		{
			name: "new movie without external ID is created, not discovered",
			setup: func(t *testing.T) (domain.Movie, domain.Movie) {
				m := NewMovie(t, domain.ExternalMetadataID{}, "Holiday Film", 2019, "")
				return m, m
			},
			wantChange: domain.MovieCreated,
		},
		{
			name: "another movie of a stored external ID resolves to the stored one",
			setup: func(t *testing.T) (domain.Movie, domain.Movie) {
				ext := NewExternalID(t)
				stored := mustUpsert(t, repo, NewMovie(t, ext, "Stalker", 1979, "Andrei Tarkovsky"))
				return NewMovie(t, ext, "Stalker (again)", 1979, ""), stored
			},
			wantChange: domain.MovieUnchanged,
		},
		{
			name: "stored movie with its external ID is unchanged",
			setup: func(t *testing.T) (domain.Movie, domain.Movie) {
				stored := mustUpsert(t, repo, NewMovie(t, NewExternalID(t), "Solaris", 1972, ""))
				return stored, stored
			},
			wantChange: domain.MovieUnchanged,
		},
		{
			name: "stored movie without external ID is unchanged",
			setup: func(t *testing.T) (domain.Movie, domain.Movie) {
				stored := mustUpsert(t, repo, NewMovie(t, domain.ExternalMetadataID{}, "Garden Party", 2021, ""))
				return stored, stored
			},
			wantChange: domain.MovieUnchanged,
		},
		{
			name: "stored movie given without its external ID keeps it, unchanged",
			setup: func(t *testing.T) (domain.Movie, domain.Movie) {
				stored := mustUpsert(t, repo, NewMovie(t, NewExternalID(t), "Mirror", 1975, ""))
				given := stored
				given.ExternalID = domain.ExternalMetadataID{}
				return given, stored
			},
			wantChange: domain.MovieUnchanged,
		},
		{
			name: "stored movie without external ID gets the given one and is discovered",
			setup: func(t *testing.T) (domain.Movie, domain.Movie) {
				stored := mustUpsert(t, repo, NewMovie(t, domain.ExternalMetadataID{}, "Ivan's Childhood", 1962, ""))
				given := stored
				given.ExternalID = NewExternalID(t)
				return given, given
			},
			wantChange:     domain.MovieIdentified,
			wantDiscovered: true,
		},
		{
			name: "stored movie without external ID or director gets the given ones",
			setup: func(t *testing.T) (domain.Movie, domain.Movie) {
				stored := mustUpsert(t, repo, NewMovie(t, domain.ExternalMetadataID{}, "Cats", 2019, ""))
				given := NewMovie(t, NewExternalID(t), "Cats", 2019, "Tom Hooper")
				given.ID = stored.ID
				return given, given
			},
			wantChange:     domain.MovieIdentified,
			wantDiscovered: true,
		},
		{
			name: "stored movie without external ID keeps its director",
			setup: func(t *testing.T) (domain.Movie, domain.Movie) {
				stored := mustUpsert(t, repo, NewMovie(t, domain.ExternalMetadataID{}, "The Mirror", 1975, "Andrei Tarkovsky"))
				given := NewMovie(t, NewExternalID(t), "The Mirror", 1975, "A. Tarkovsky")
				given.ID = stored.ID
				want := stored
				want.ExternalID = given.ExternalID
				return given, want
			},
			wantChange:     domain.MovieIdentified,
			wantDiscovered: true,
		},
		{
			name: "stored movie with a poster gets the given external ID, not discovered",
			setup: func(t *testing.T) (domain.Movie, domain.Movie) {
				stored := mustUpsert(t, repo, NewMovie(t, domain.ExternalMetadataID{}, "Andrei Rublev", 1966, ""))
				path := domain.MustNewPosterPath("posters/rublev.jpg")
				if err := repo.SetPosterPath(ctx, stored.ID, path); err != nil {
					t.Fatalf("SetPosterPath: %v", err)
				}
				stored.PosterPath = path
				given := stored
				given.ExternalID = NewExternalID(t)
				return given, given
			},
			wantChange: domain.MovieIdentified,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			given, want := tc.setup(t)
			review := NewReviewWithComment(t, given.ID, domain.NewUserID(), 4, "seen again", watched)
			posterURL := domain.MustParsePosterURL("https://img.example/" + given.ID.String() + ".jpg")
			saved, err := repo.SaveViewing(ctx, domain.Viewing{Movie: given, Review: review, PosterURL: posterURL})
			if err != nil {
				t.Fatalf("SaveViewing: %v", err)
			}
			if md, ok := firstEvent(saved).(domain.MovieDiscovered); ok && md.PosterURL != posterURL {
				t.Errorf("MovieDiscovered.PosterURL = %q, want the viewing's %q", md.PosterURL, posterURL)
			}
			checkMovie(t, "SavedViewing.Movie", saved.Movie, want)
			if saved.Change != tc.wantChange {
				t.Errorf("SavedViewing.Change = %v, want %v", saved.Change, tc.wantChange)
			}
			wantReview := review
			wantReview.MovieID = want.ID
			checkReview(t, "SavedViewing.Review", saved.Review, wantReview)
			checkLogEvents(t, saved, tc.wantDiscovered)

			stored, err := repo.MovieByID(ctx, want.ID)
			if err != nil {
				t.Fatalf("MovieByID(resolved movie): %v", err)
			}
			checkMovie(t, "stored movie", stored, want)
			if !want.ExternalID.IsZero() {
				byExt, err := repo.MovieByExternalID(ctx, want.ExternalID)
				if err != nil {
					t.Fatalf("MovieByExternalID: %v", err)
				}
				checkMovie(t, "MovieByExternalID", byExt, want)
			}
			if given.ID != want.ID {
				if _, err := repo.MovieByID(ctx, given.ID); !errors.Is(err, domain.ErrNotFound) {
					t.Errorf("MovieByID(given movie) error = %v, want ErrNotFound: it resolved to a stored movie", err)
				}
			}
			h, err := repo.ReviewHistory(ctx, want.ID, domain.UserID{})
			if err != nil {
				t.Fatalf("ReviewHistory: %v", err)
			}
			if len(h.Viewings) != 1 {
				t.Fatalf("ReviewHistory has %d viewings, want 1", len(h.Viewings))
			}
			checkReview(t, "ReviewHistory viewing", h.Viewings[0], wantReview)
		})
	}
}

func testSaveViewingConflict(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	stored := mustUpsert(t, repo, NewMovie(t, NewExternalID(t), "Ran", 1985, "Akira Kurosawa"))
	given := stored
	given.ExternalID = NewExternalID(t)
	review := NewReview(t, given.ID, domain.NewUserID(), 5, time.Date(2024, 2, 2, 20, 0, 0, 0, time.UTC))

	_, err := repo.SaveViewing(ctx, domain.Viewing{Movie: given, Review: review})
	if !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("SaveViewing(stored movie, other external ID) error = %v, want ErrConflict", err)
	}
	got, err := repo.MovieByID(ctx, stored.ID)
	if err != nil {
		t.Fatalf("MovieByID: %v", err)
	}
	checkMovie(t, "stored movie after conflict", got, stored)
	if _, err := repo.MovieByExternalID(ctx, given.ExternalID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MovieByExternalID(refused ID) error = %v, want ErrNotFound", err)
	}
	checkDiaryTotal(t, repo, domain.DiaryFilter{}, 0)
}

func testSaveViewingAtomic(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	user := domain.NewUserID()
	watched := time.Date(2024, 3, 3, 20, 0, 0, 0, time.UTC)
	first := NewMovie(t, NewExternalID(t), "Playtime", 1967, "Jacques Tati")
	review := NewReview(t, first.ID, user, 5, watched)
	if _, err := repo.SaveViewing(ctx, domain.Viewing{Movie: first, Review: review}); err != nil {
		t.Fatalf("SaveViewing: %v", err)
	}

	// A second viewing of a new movie whose review reuses a stored review ID
	// must fail, and the new movie must not be stored either.
	second := NewMovie(t, NewExternalID(t), "Mon Oncle", 1958, "Jacques Tati")
	dup := review
	dup.MovieID = second.ID
	dup.WatchedAt = watched.Add(time.Hour)
	if _, err := repo.SaveViewing(ctx, domain.Viewing{Movie: second, Review: dup}); err == nil {
		t.Fatal("SaveViewing with a stored review ID succeeded, want an error")
	}
	if _, err := repo.MovieByID(ctx, second.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MovieByID(movie of the failed save) error = %v, want ErrNotFound", err)
	}
	if _, err := repo.MovieByExternalID(ctx, second.ExternalID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MovieByExternalID(movie of the failed save) error = %v, want ErrNotFound", err)
	}
	page := checkDiaryTotal(t, repo, domain.DiaryFilter{}, 1)
	if len(page.Entries) == 1 {
		checkReview(t, "surviving review", page.Entries[0].Review, review)
		checkMovie(t, "surviving movie", page.Entries[0].Movie, first)
	}
}

func testSaveViewingConcurrent(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	const n = 16
	ext := NewExternalID(t)
	watched := time.Date(2024, 4, 4, 20, 0, 0, 0, time.UTC)

	viewings := make([]domain.Viewing, n)
	for i := range viewings {
		m := NewMovie(t, ext, "Spirited Away", 2001, "Hayao Miyazaki")
		viewings[i] = domain.Viewing{Movie: m, Review: NewReview(t, m.ID, domain.NewUserID(), float64(i%6), watched.Add(time.Duration(i)*time.Minute))}
	}
	results := make([]domain.SavedViewing, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			results[i], errs[i] = repo.SaveViewing(ctx, viewings[i])
		})
	}
	close(start)
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Fatalf("SaveViewing #%d: %v (concurrent first logs must never fail)", i, err)
		}
	}
	canonical, err := repo.MovieByExternalID(ctx, ext)
	if err != nil {
		t.Fatalf("MovieByExternalID: %v", err)
	}
	created := 0
	for i, r := range results {
		if r.Movie.ID != canonical.ID {
			t.Errorf("SaveViewing #%d resolved to movie %v, want the one stored movie %v", i, r.Movie.ID, canonical.ID)
		}
		if r.Review.MovieID != canonical.ID {
			t.Errorf("SaveViewing #%d stored its review under %v, want %v", i, r.Review.MovieID, canonical.ID)
		}
		switch r.Change {
		case domain.MovieCreated:
			created++
			checkLogEvents(t, r, true)
		case domain.MovieUnchanged:
			checkLogEvents(t, r, false)
		default:
			t.Errorf("SaveViewing #%d change = %v, want created or unchanged", i, r.Change)
		}
	}
	if created != 1 {
		t.Errorf("%d saves report MovieCreated, want exactly 1", created)
	}
	stored := 0
	for _, v := range viewings {
		if _, err := repo.MovieByID(ctx, v.Movie.ID); err == nil {
			stored++
		} else if !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("MovieByID: %v", err)
		}
	}
	if stored != 1 {
		t.Errorf("%d of the given movies are stored, want exactly 1", stored)
	}
	h, err := repo.ReviewHistory(ctx, canonical.ID, domain.UserID{})
	if err != nil {
		t.Fatalf("ReviewHistory: %v", err)
	}
	if len(h.Viewings) != n {
		t.Errorf("the movie has %d viewings, want %d", len(h.Viewings), n)
	}
	page := checkDiaryTotal(t, repo, domain.DiaryFilter{}, n)
	for _, e := range page.Entries {
		if e.Movie.ID != canonical.ID || e.Review.MovieID != canonical.ID {
			t.Errorf("diary entry %v is under movie %v, want %v", e.Review.ID, e.Movie.ID, canonical.ID)
		}
	}
}

// diaryFixture is a diary of 13 viewings of 3 movies by 2 users, with ties
// of watched_at, stored in an order unrelated to review IDs.
type diaryFixture struct {
	movies  []domain.Movie
	users   []domain.UserID
	entries []domain.DiaryEntry
}

func seedDiary(t *testing.T, repo domain.MovieRepository) diaryFixture {
	t.Helper()
	f := diaryFixture{
		movies: []domain.Movie{
			mustUpsert(t, repo, NewMovie(t, NewExternalID(t), "Tokyo Story", 1953, "Yasujirō Ozu")),
			mustUpsert(t, repo, NewMovie(t, domain.ExternalMetadataID{}, "Late Spring", 1949, "")),
			mustUpsert(t, repo, NewMovie(t, NewExternalID(t), "Floating Weeds", 1959, "")),
		},
		users: []domain.UserID{domain.NewUserID(), domain.NewUserID()},
	}
	base := time.Date(2024, 3, 1, 20, 0, 0, 0, time.UTC)
	hours := []int{0, 0, 0, 5, -3, -3, 24, 48, 48, 1, 2, -100, 7}
	for i, h := range hours {
		m := f.movies[i%len(f.movies)]
		comment := ""
		if i%4 == 0 {
			comment = fmt.Sprintf("viewing %d", i)
		}
		r := NewReviewWithComment(t, m.ID, f.users[i%len(f.users)], float64(i%6), comment, base.Add(time.Duration(h)*time.Hour))
		mustSaveViewing(t, repo, domain.Viewing{Movie: m, Review: r})
		f.entries = append(f.entries, domain.DiaryEntry{Movie: m, Review: r})
	}
	return f
}

// want returns the entries matching filter in its order.
func (f diaryFixture) want(filter domain.DiaryFilter) []domain.DiaryEntry {
	var out []domain.DiaryEntry
	for _, e := range f.entries {
		if (filter.MovieID.IsZero() || e.Movie.ID == filter.MovieID) && (filter.UserID.IsZero() || e.Review.UserID == filter.UserID) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, domain.CompareDiaryEntries(filter.Sort))
	return out
}

// filters returns every filter the diary tests try, in both orders.
func (f diaryFixture) filters() []struct {
	name   string
	filter domain.DiaryFilter
} {
	type nf = struct {
		name   string
		filter domain.DiaryFilter
	}
	var out []nf
	for _, order := range []domain.SortOrder{domain.SortDesc, domain.SortAsc} {
		for _, c := range []nf{
			{"all", domain.DiaryFilter{}},
			{"movie", domain.DiaryFilter{MovieID: f.movies[0].ID}},
			{"user", domain.DiaryFilter{UserID: f.users[1]}},
			{"movie and user", domain.DiaryFilter{MovieID: f.movies[1].ID, UserID: f.users[0]}},
			{"unknown movie", domain.DiaryFilter{MovieID: domain.NewMovieID()}},
			{"unknown user", domain.DiaryFilter{UserID: domain.NewUserID()}},
		} {
			c.filter.Sort = order
			out = append(out, nf{name: c.name + " " + order.String(), filter: c.filter})
		}
	}
	return out
}

func testDiaryOrder(t *testing.T, repo domain.MovieRepository) {
	f := seedDiary(t, repo)
	for _, c := range f.filters() {
		t.Run(c.name, func(t *testing.T) {
			page := queryDiary(t, repo, domain.DiaryQuery{Filter: c.filter, Page: mustPage(t, domain.MaxPageLimit, 0)})
			want := f.want(c.filter)
			checkEntries(t, page.Entries, want)
			if page.TotalCount != len(want) {
				t.Errorf("TotalCount = %d, want %d", page.TotalCount, len(want))
			}
			if page.HasMore {
				t.Error("HasMore = true on a page holding every entry")
			}
		})
	}
}

func testDiaryDefaults(t *testing.T, repo domain.MovieRepository) {
	const n = domain.DefaultPageLimit + 5
	m := mustUpsert(t, repo, NewMovie(t, NewExternalID(t), "Koyaanisqatsi", 1982, ""))
	user := domain.NewUserID()
	base := time.Date(2023, 1, 1, 12, 0, 0, 0, time.UTC)
	var all []domain.DiaryEntry
	for i := range n {
		r := NewReview(t, m.ID, user, float64(i%6), base.Add(time.Duration(i*7%n)*time.Hour))
		mustSaveViewing(t, repo, domain.Viewing{Movie: m, Review: r})
		all = append(all, domain.DiaryEntry{Movie: m, Review: r})
	}
	slices.SortFunc(all, domain.CompareDiaryEntries(domain.SortDesc))

	page := queryDiary(t, repo, domain.DiaryQuery{})
	checkEntries(t, page.Entries, all[:domain.DefaultPageLimit])
	if page.TotalCount != n || !page.HasMore {
		t.Errorf("TotalCount, HasMore = %d, %v; want %d, true", page.TotalCount, page.HasMore, n)
	}
}

func testDiaryOffsetPaging(t *testing.T, repo domain.MovieRepository) {
	f := seedDiary(t, repo)
	for _, c := range f.filters() {
		for _, limit := range []int{1, 2, 5, 13} {
			t.Run(fmt.Sprintf("%s limit %d", c.name, limit), func(t *testing.T) {
				want := f.want(c.filter)
				var got []domain.DiaryEntry
				for offset := 0; ; offset += limit {
					page := queryDiary(t, repo, domain.DiaryQuery{Filter: c.filter, Page: mustPage(t, limit, offset)})
					end := min(offset+limit, len(want))
					checkEntries(t, page.Entries, want[min(offset, len(want)):end])
					if page.TotalCount != len(want) {
						t.Errorf("offset %d: TotalCount = %d, want %d", offset, page.TotalCount, len(want))
					}
					if wantMore := offset+limit < len(want); page.HasMore != wantMore {
						t.Errorf("offset %d: HasMore = %v, want %v", offset, page.HasMore, wantMore)
					}
					got = append(got, page.Entries...)
					if !page.HasMore || offset >= len(want) || t.Failed() {
						break
					}
				}
				checkEntries(t, got, want)

				past := queryDiary(t, repo, domain.DiaryQuery{Filter: c.filter, Page: mustPage(t, limit, len(want)+limit)})
				if len(past.Entries) != 0 || past.HasMore || past.TotalCount != len(want) {
					t.Errorf("page past the end: %d entries, HasMore %v, TotalCount %d; want 0, false, %d",
						len(past.Entries), past.HasMore, past.TotalCount, len(want))
				}
			})
		}
	}
}

func testDiaryKeysetPaging(t *testing.T, repo domain.MovieRepository) {
	f := seedDiary(t, repo)
	for _, c := range f.filters() {
		for _, limit := range []int{1, 2, 5, 13} {
			t.Run(fmt.Sprintf("%s limit %d", c.name, limit), func(t *testing.T) {
				want := f.want(c.filter)
				var byOffset []domain.DiaryEntry
				for offset := 0; ; offset += limit {
					page := queryDiary(t, repo, domain.DiaryQuery{Filter: c.filter, Page: mustPage(t, limit, offset)})
					byOffset = append(byOffset, page.Entries...)
					if !page.HasMore || offset >= len(want) {
						break
					}
				}

				var got []domain.DiaryEntry
				var after *domain.DiaryPosition
				for pages := 0; pages <= len(want)+1; pages++ {
					page := queryDiary(t, repo, domain.DiaryQuery{Filter: c.filter, Page: mustPage(t, limit, 0), After: after})
					start := len(got)
					end := min(start+limit, len(want))
					checkEntries(t, page.Entries, want[min(start, len(want)):end])
					if page.TotalCount != len(want) {
						t.Errorf("page %d: TotalCount = %d, want %d", pages, page.TotalCount, len(want))
					}
					if wantMore := end < len(want); page.HasMore != wantMore {
						t.Errorf("page %d: HasMore = %v, want %v", pages, page.HasMore, wantMore)
					}
					got = append(got, page.Entries...)
					if !page.HasMore || len(page.Entries) == 0 || t.Failed() {
						break
					}
					pos := domain.PositionOf(page.Entries[len(page.Entries)-1])
					after = &pos
				}
				checkEntries(t, got, want)
				checkEntries(t, got, byOffset)

				if len(want) > 0 {
					pos := domain.PositionOf(want[len(want)-1])
					last := queryDiary(t, repo, domain.DiaryQuery{Filter: c.filter, Page: mustPage(t, limit, 0), After: &pos})
					if len(last.Entries) != 0 || last.HasMore || last.TotalCount != len(want) {
						t.Errorf("page after the last entry: %d entries, HasMore %v, TotalCount %d; want 0, false, %d",
							len(last.Entries), last.HasMore, last.TotalCount, len(want))
					}
				}
			})
		}
	}
}

func testDiaryKeysetBetween(t *testing.T, repo domain.MovieRepository) {
	f := seedDiary(t, repo)
	// Half past the hour lies between entries; the base hour holds a tie of
	// three entries, so a position there with a random review ID splits it.
	positions := []domain.DiaryPosition{
		{WatchedAt: time.Date(2024, 3, 1, 21, 30, 0, 0, time.UTC), ReviewID: domain.NewReviewID()},
		{WatchedAt: time.Date(2024, 3, 1, 20, 0, 0, 0, time.UTC), ReviewID: f.entries[1].Review.ID},
		{WatchedAt: time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), ReviewID: domain.NewReviewID()},
		{WatchedAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), ReviewID: domain.NewReviewID()},
	}
	for _, c := range f.filters() {
		for i, pos := range positions {
			t.Run(fmt.Sprintf("%s position %d", c.name, i), func(t *testing.T) {
				var want []domain.DiaryEntry
				for _, e := range f.want(c.filter) {
					if pos.Precedes(e, c.filter.Sort) {
						want = append(want, e)
					}
				}
				page := queryDiary(t, repo, domain.DiaryQuery{Filter: c.filter, Page: mustPage(t, domain.MaxPageLimit, 0), After: &pos})
				checkEntries(t, page.Entries, want)
				if total := len(f.want(c.filter)); page.TotalCount != total {
					t.Errorf("TotalCount = %d, want %d (the whole filter, not what follows the position)", page.TotalCount, total)
				}
			})
		}
	}
}

func testDiaryEntriesCarryMovie(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	f := seedDiary(t, repo)
	path := domain.MustNewPosterPath("posters/" + f.movies[2].ID.String())
	if err := repo.SetPosterPath(ctx, f.movies[2].ID, path); err != nil {
		t.Fatalf("SetPosterPath: %v", err)
	}
	want := map[domain.MovieID]domain.Movie{}
	for _, m := range f.movies {
		want[m.ID] = m
	}
	m := want[f.movies[2].ID]
	m.PosterPath = path
	want[m.ID] = m

	page := queryDiary(t, repo, domain.DiaryQuery{Page: mustPage(t, domain.MaxPageLimit, 0)})
	if len(page.Entries) != len(f.entries) {
		t.Fatalf("diary has %d entries, want %d", len(page.Entries), len(f.entries))
	}
	for _, e := range page.Entries {
		if e.Review.MovieID != e.Movie.ID {
			t.Errorf("entry %v: review of movie %v carries movie %v", e.Review.ID, e.Review.MovieID, e.Movie.ID)
		}
		checkMovie(t, "entry movie", e.Movie, want[e.Review.MovieID])
	}
}

func testReviewHistory(t *testing.T, repo domain.MovieRepository) {
	f := seedDiary(t, repo)
	for _, m := range f.movies {
		t.Run(m.Title.String(), func(t *testing.T) {
			h, err := repo.ReviewHistory(t.Context(), m.ID, domain.UserID{})
			if err != nil {
				t.Fatalf("ReviewHistory: %v", err)
			}
			checkMovie(t, "ReviewHistory.Movie", h.Movie, m)
			var want []domain.Review
			for _, e := range f.want(domain.DiaryFilter{MovieID: m.ID, Sort: domain.SortAsc}) {
				want = append(want, e.Review)
			}
			if len(h.Viewings) != len(want) {
				t.Fatalf("ReviewHistory has %d viewings, want %d", len(h.Viewings), len(want))
			}
			for i := range want {
				checkReview(t, fmt.Sprintf("viewing %d", i), h.Viewings[i], want[i])
			}
		})
	}
}

func testReviewHistoryUnknown(t *testing.T, repo domain.MovieRepository) {
	seedDiary(t, repo)
	if _, err := repo.ReviewHistory(t.Context(), domain.NewMovieID(), domain.UserID{}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("ReviewHistory(unknown) error = %v, want ErrNotFound", err)
	}
}

func testReviewHistoryEmpty(t *testing.T, repo domain.MovieRepository) {
	seedDiary(t, repo)
	m := mustUpsert(t, repo, NewMovie(t, NewExternalID(t), "Unwatched", 2001, ""))
	h, err := repo.ReviewHistory(t.Context(), m.ID, domain.UserID{})
	if err != nil {
		t.Fatalf("ReviewHistory: %v", err)
	}
	checkMovie(t, "ReviewHistory.Movie", h.Movie, m)
	if len(h.Viewings) != 0 {
		t.Errorf("ReviewHistory has %d viewings, want none", len(h.Viewings))
	}
}

func testMovieRoundTrip(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	title := strings.Repeat("映画é", 85) // 255 runes, 595 bytes
	full := NewMovie(t, NewExternalID(t), title, 2019, "Agnès Varda")
	bare := NewMovie(t, domain.ExternalMetadataID{}, "Untitled", 1888, "")
	user := domain.NewUserID()
	cest := time.FixedZone("CEST", 2*60*60)
	created := time.Date(2024, 5, 6, 7, 8, 9, 987654321, cest)

	reviews := []domain.Review{
		mustRestoreReview(t, full.ID, user, 0, "Très bien — 素晴らしい\nsecond line", time.Date(2023, 7, 14, 21, 30, 45, 999_000_000, cest), created),
		mustRestoreReview(t, full.ID, user, 5, "", time.Date(2023, 7, 15, 1, 2, 3, 0, time.UTC), created.Add(time.Microsecond)),
		mustRestoreReview(t, bare.ID, user, 3, "x", time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), created.Add(time.Second)),
	}
	byID := map[domain.ReviewID]domain.Review{}
	for _, r := range reviews {
		m := full
		if r.MovieID == bare.ID {
			m = bare
		}
		saved := mustSaveViewing(t, repo, domain.Viewing{Movie: m, Review: r})
		checkMovie(t, "SavedViewing.Movie", saved.Movie, m)
		checkReview(t, "SavedViewing.Review", saved.Review, r)
		byID[r.ID] = r
	}

	for _, m := range []domain.Movie{full, bare} {
		got, err := repo.MovieByID(ctx, m.ID)
		if err != nil {
			t.Fatalf("MovieByID: %v", err)
		}
		checkMovie(t, "MovieByID", got, m)
		if got.Title.String() != m.Title.String() {
			t.Errorf("title = %q, want %q", got.Title, m.Title)
		}
	}
	page := queryDiary(t, repo, domain.DiaryQuery{Page: mustPage(t, domain.MaxPageLimit, 0)})
	if len(page.Entries) != len(reviews) {
		t.Fatalf("diary has %d entries, want %d", len(page.Entries), len(reviews))
	}
	for _, e := range page.Entries {
		checkReview(t, "diary review", e.Review, byID[e.Review.ID])
	}
	h, err := repo.ReviewHistory(ctx, full.ID, domain.UserID{})
	if err != nil {
		t.Fatalf("ReviewHistory: %v", err)
	}
	for _, r := range h.Viewings {
		checkReview(t, "history viewing", r, byID[r.ID])
	}
}

func mustRestoreReview(t *testing.T, movie domain.MovieID, user domain.UserID, rating float64, comment string, watched, created time.Time) domain.Review {
	t.Helper()
	c, err := domain.NewComment(comment)
	if err != nil {
		t.Fatalf("comment: %v", err)
	}
	r, err := domain.RestoreReview(domain.NewReviewID(), movie, user, domain.MustNewRating(rating), c, watched, created)
	if err != nil {
		t.Fatalf("review: %v", err)
	}
	return r
}

func mustUpsert(t *testing.T, repo domain.MovieRepository, m domain.Movie) domain.Movie {
	t.Helper()
	got, err := repo.UpsertMovie(t.Context(), m)
	if err != nil {
		t.Fatalf("UpsertMovie(%q): %v", m.Title, err)
	}
	return got
}

func mustSaveViewing(t *testing.T, repo domain.MovieRepository, v domain.Viewing) domain.SavedViewing {
	t.Helper()
	saved, err := repo.SaveViewing(t.Context(), v)
	if err != nil {
		t.Fatalf("SaveViewing(%q): %v", v.Movie.Title, err)
	}
	return saved
}

func mustDirector(t *testing.T, s string) domain.Director {
	t.Helper()
	d, err := domain.NewDirector(s)
	if err != nil {
		t.Fatalf("director: %v", err)
	}
	return d
}

func mustPage(t *testing.T, limit, offset int) domain.Page {
	t.Helper()
	p, err := domain.NewPage(limit, offset)
	if err != nil {
		t.Fatalf("NewPage(%d, %d): %v", limit, offset, err)
	}
	return p
}

func queryDiary(t *testing.T, repo domain.MovieRepository, q domain.DiaryQuery) domain.DiaryPage {
	t.Helper()
	page, err := repo.QueryDiary(t.Context(), q)
	if err != nil {
		t.Fatalf("QueryDiary: %v", err)
	}
	return page
}

func checkDiaryTotal(t *testing.T, repo domain.MovieRepository, filter domain.DiaryFilter, want int) domain.DiaryPage {
	t.Helper()
	page := queryDiary(t, repo, domain.DiaryQuery{Filter: filter, Page: mustPage(t, domain.MaxPageLimit, 0)})
	if page.TotalCount != want || len(page.Entries) != want {
		t.Errorf("diary holds %d entries (TotalCount %d), want %d", len(page.Entries), page.TotalCount, want)
	}
	return page
}

func sortMovies(ms []domain.Movie) {
	slices.SortFunc(ms, func(a, b domain.Movie) int { return strings.Compare(a.ID.String(), b.ID.String()) })
}

func checkMovie(t *testing.T, what string, got, want domain.Movie) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %s, want %s", what, describeMovie(got), describeMovie(want))
	}
}

func describeMovie(m domain.Movie) string {
	return fmt.Sprintf("{ID %v, ExternalID %q, Title %q, Year %v, Director %q, PosterPath %q}",
		m.ID, m.ExternalID, m.Title, m.ReleaseYear, m.Director, m.PosterPath)
}

// checkReview compares every field; times must be equal instants in UTC.
func checkReview(t *testing.T, what string, got, want domain.Review) {
	t.Helper()
	same := got.ID == want.ID && got.MovieID == want.MovieID && got.UserID == want.UserID &&
		got.Rating == want.Rating && got.Comment == want.Comment &&
		got.WatchedAt.Equal(want.WatchedAt) && got.CreatedAt.Equal(want.CreatedAt)
	if !same {
		t.Errorf("%s = %s, want %s", what, describeReview(got), describeReview(want))
	}
	if got.WatchedAt.Location() != time.UTC || got.CreatedAt.Location() != time.UTC {
		t.Errorf("%s times are in %v and %v, want UTC", what, got.WatchedAt.Location(), got.CreatedAt.Location())
	}
}

func describeReview(r domain.Review) string {
	return fmt.Sprintf("{ID %v, MovieID %v, UserID %v, Rating %v, Comment %q, WatchedAt %s, CreatedAt %s}",
		r.ID, r.MovieID, r.UserID, r.Rating, r.Comment, r.WatchedAt.Format(time.RFC3339Nano), r.CreatedAt.Format(time.RFC3339Nano))
}

// checkEntries compares two lists of entries by review ID first, so a wrong
// order reads as such, then every field.
func checkEntries(t *testing.T, got, want []domain.DiaryEntry) {
	t.Helper()
	ids := func(es []domain.DiaryEntry) []string {
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.Review.WatchedAt.Format(time.RFC3339) + "/" + e.Review.ID.String()[:8]
		}
		return out
	}
	if !slices.Equal(ids(got), ids(want)) {
		t.Errorf("entries (watched_at/review ID):\n got %v\nwant %v", ids(got), ids(want))
		return
	}
	for i := range want {
		checkMovie(t, fmt.Sprintf("entry %d movie", i), got[i].Movie, want[i].Movie)
		checkReview(t, fmt.Sprintf("entry %d review", i), got[i].Review, want[i].Review)
	}
}

// checkLogEvents checks that saved.Events are domain.LogEvents of the saved
// movie and review: MovieDiscovered when discovered is true, then
// ReviewLogged, each with a fresh ID and occurring at the review's
// created_at.
func checkLogEvents(t *testing.T, saved domain.SavedViewing, discovered bool) {
	t.Helper()
	want := 1
	if discovered {
		want = 2
	}
	if len(saved.Events) != want {
		names := make([]domain.EventName, len(saved.Events))
		for i, e := range saved.Events {
			names[i] = e.EventName()
		}
		t.Errorf("SavedViewing.Events = %v, want %d events (MovieDiscovered: %v, then ReviewLogged)", names, want, discovered)
		return
	}
	if discovered {
		md, ok := saved.Events[0].(domain.MovieDiscovered)
		switch {
		case !ok:
			t.Errorf("first event is %T, want domain.MovieDiscovered", saved.Events[0])
		case md.Movie != saved.Movie.ID || md.ExternalMetadataID != saved.Movie.ExternalID:
			t.Errorf("MovieDiscovered{Movie %v, ExternalMetadataID %v}, want {%v, %v}", md.Movie, md.ExternalMetadataID, saved.Movie.ID, saved.Movie.ExternalID)
		}
	}
	rl, ok := saved.Events[len(saved.Events)-1].(domain.ReviewLogged)
	if !ok {
		t.Errorf("last event is %T, want domain.ReviewLogged", saved.Events[len(saved.Events)-1])
	} else if r := saved.Review; rl.ReviewID != r.ID || rl.Movie != saved.Movie.ID || rl.UserID != r.UserID || rl.Rating != r.Rating || !rl.WatchedAt.Equal(r.WatchedAt) {
		t.Errorf("ReviewLogged{ReviewID %v, Movie %v, UserID %v, Rating %v, WatchedAt %v} does not describe the saved review %s",
			rl.ReviewID, rl.Movie, rl.UserID, rl.Rating, rl.WatchedAt, describeReview(r))
	}
	seen := map[domain.EventID]bool{}
	for _, e := range saved.Events {
		if e.EventID().IsZero() || seen[e.EventID()] {
			t.Errorf("event %s has ID %v, want a fresh non-zero ID", e.EventName(), e.EventID())
		}
		seen[e.EventID()] = true
		if !e.OccurredAt().Equal(saved.Review.CreatedAt) {
			t.Errorf("event %s occurred at %v, want the review's created_at %v", e.EventName(), e.OccurredAt(), saved.Review.CreatedAt)
		}
	}
}

// firstEvent is the first of saved's events, or nil.
func firstEvent(saved domain.SavedViewing) domain.Event {
	if len(saved.Events) == 0 {
		return nil
	}
	return saved.Events[0]
}
