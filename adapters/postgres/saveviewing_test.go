package postgres_test

import (
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// TestConcurrentSavesUnderOneKeyStoreOnce: eight saves under one user's
// key at once — a client's retries racing each other — store exactly one
// review, one key record, one set of totals and, in outbox mode, the
// events of that one review; the others fail with ErrConflict. Both forms
// of the save race: a stored movie (one statement) and a new movie whose
// IMDb ID every request carries under its own movie ID (the one statement,
// then the transaction for the losers).
func TestConcurrentSavesUnderOneKeyStoreOnce(t *testing.T) {
	t.Parallel()
	for _, outbox := range []bool{false, true} {
		for _, stored := range []bool{true, false} {
			t.Run(fmt.Sprintf("outbox=%v/stored movie=%v", outbox, stored), func(t *testing.T) {
				t.Parallel()
				url := pgtest.NewDatabase(t)
				var db *postgres.DB
				if outbox {
					db = openOutboxURL(t, url, true)
				} else {
					db = openURL(t, url, true)
				}
				repo := db.Movies()
				ctx := t.Context()
				ext := porttest.NewExternalID(t)
				storedMovie := porttest.NewMovie(t, ext, "Yi Yi", 2000, "Edward Yang")
				if stored {
					if _, err := repo.UpsertMovie(ctx, storedMovie); err != nil {
						t.Fatalf("UpsertMovie: %v", err)
					}
				}
				user := domain.NewUserID()
				key, err := domain.ParseIdempotencyKey("retry-0001")
				if err != nil {
					t.Fatal(err)
				}
				const n = 8
				viewings := make([]domain.Viewing, n)
				for i := range viewings {
					m := storedMovie
					if !stored {
						m = porttest.NewMovie(t, ext, "Yi Yi", 2000, "Edward Yang")
					}
					viewings[i] = domain.Viewing{
						Movie:       m,
						Review:      porttest.NewReview(t, m.ID, user, 4.5, porttest.FixtureTime.Add(-time.Hour)),
						Idempotency: domain.IdempotentRequest{User: user, Key: key, Fingerprint: "same request"},
					}
				}
				errs := make([]error, n)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						<-start
						_, errs[i] = repo.SaveViewing(ctx, viewings[i])
					})
				}
				close(start)
				wg.Wait()

				winner := -1
				for i, err := range errs {
					switch {
					case err == nil && winner >= 0:
						t.Errorf("saves %d and %d both stored under one key", winner, i)
					case err == nil:
						winner = i
					case !errors.Is(err, domain.ErrConflict):
						t.Errorf("save %d: error = %v, want ErrConflict", i, err)
					}
				}
				if winner < 0 {
					t.Fatal("no save stored, want exactly one")
				}
				raw := rawDB(t, url)
				if got := queryInt(t, raw, `SELECT count(*) FROM reviews`); got != 1 {
					t.Errorf("%d reviews stored, want 1", got)
				}
				if got := queryInt(t, raw, `SELECT count(*) FROM idempotency_keys WHERE review_id = $1`, viewings[winner].Review.ID.UUID()); got != 1 {
					t.Errorf("%d key records of the stored review, want 1", got)
				}
				if got := queryInt(t, raw, `SELECT count(*) FROM movies`); got != 1 {
					t.Errorf("%d movies stored, want 1", got)
				}
				checkCountsExact(t, raw)
				if outbox {
					want := 2 // MovieDiscovered of the new movie, ReviewLogged
					if stored {
						want = 1
					}
					if got := queryInt(t, raw, `SELECT count(*) FROM outbox_events`); got != want {
						t.Errorf("%d outbox events, want %d", got, want)
					}
					if got := queryInt(t, raw, `SELECT count(*) FROM outbox_events WHERE name = 'review_logged' AND payload->>'review_id' = $1`,
						viewings[winner].Review.ID.String()); got != 1 {
						t.Errorf("%d ReviewLogged events of the stored review, want 1", got)
					}
				}
			})
		}
	}
}

// TestSaveViewingEveryPathStoresTheSame saves viewings down each path of
// SaveViewing — the one statement for a stored movie and for a new one,
// the transaction for a stored movie gaining its IMDb ID and for an IMDb
// ID held by another movie ID — in outbox mode, and checks what each
// stored: the review as given under the canonical movie, the change, the
// returned events exactly as the outbox holds them, in order.
func TestSaveViewingEveryPathStoresTheSame(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	db := openOutboxURL(t, url, true)
	repo := db.Movies()
	ctx := t.Context()
	ext := porttest.NewExternalID(t)
	noExt := porttest.NewMovie(t, domain.ExternalMetadataID{}, "Close-Up", 1990, "Abbas Kiarostami")
	if _, err := repo.UpsertMovie(ctx, noExt); err != nil {
		t.Fatal(err)
	}
	identified := noExt
	identified.ExternalID = porttest.NewExternalID(t)
	created := porttest.NewMovie(t, ext, "Taste of Cherry", 1997, "Abbas Kiarostami")
	sameExtOtherID := porttest.NewMovie(t, ext, "Taste of Cherry", 1997, "Abbas Kiarostami")
	user := domain.NewUserID()
	watched := porttest.FixtureTime.Add(-time.Hour)
	unrated := porttest.NewReview(t, created.ID, user, 0, watched)
	unrated.Rating = domain.Rating{}

	for _, tc := range []struct {
		name      string
		movie     domain.Movie
		review    domain.Review
		wantMovie domain.Movie
		change    domain.MovieChange
	}{
		{"new movie", created, unrated, created, domain.MovieCreated},
		{"stored movie", created, porttest.NewReview(t, created.ID, user, 0.5, watched), created, domain.MovieUnchanged},
		{"stored movie without external ID", noExt, porttest.NewReview(t, noExt.ID, user, 3, watched), noExt, domain.MovieUnchanged},
		{"external ID held by another movie ID", sameExtOtherID, porttest.NewReview(t, sameExtOtherID.ID, user, 5, watched), created, domain.MovieUnchanged},
		{"stored movie gains its external ID", identified, porttest.NewReview(t, identified.ID, user, 2.5, watched), identified, domain.MovieIdentified},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := queryInt(t, rawDB(t, url), `SELECT coalesce(max(seq), 0) FROM outbox_events`)
			saved, err := repo.SaveViewing(ctx, domain.Viewing{Movie: tc.movie, Review: tc.review})
			if err != nil {
				t.Fatalf("SaveViewing: %v", err)
			}
			if saved.Movie != tc.wantMovie || saved.Change != tc.change {
				t.Errorf("SaveViewing stored movie %+v (%v), want %+v (%v)", saved.Movie, saved.Change, tc.wantMovie, tc.change)
			}
			want := tc.review
			want.MovieID = tc.wantMovie.ID
			if saved.Review != want {
				t.Errorf("SaveViewing returned review %+v, want %+v", saved.Review, want)
			}
			wantEvents := domain.LogEvents(saved.Movie, saved.Change, saved.Review, domain.PosterURL{}, want.CreatedAt)
			if len(saved.Events) != len(wantEvents) {
				t.Fatalf("SaveViewing returned %d events, want %d", len(saved.Events), len(wantEvents))
			}
			for i, e := range saved.Events {
				if e.EventName() != wantEvents[i].EventName() || e.MovieID() != saved.Movie.ID {
					t.Errorf("event %d is %s of movie %v, want %s of %v", i, e.EventName(), e.MovieID(), wantEvents[i].EventName(), saved.Movie.ID)
				}
			}
			rows, err := rawDB(t, url).QueryContext(ctx, `SELECT id, name, payload::text FROM outbox_events WHERE seq > $1 ORDER BY seq`, before)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			i := 0
			for ; rows.Next(); i++ {
				var id, name, payload string
				if err := rows.Scan(&id, &name, &payload); err != nil {
					t.Fatal(err)
				}
				if i >= len(saved.Events) {
					continue
				}
				e := saved.Events[i]
				stored, err := domain.UnmarshalEvent(domain.EventName(name), []byte(payload))
				if err != nil {
					t.Fatalf("outbox event %d: %v", i, err)
				}
				payload2, err := domain.MarshalEvent(e)
				if err != nil {
					t.Fatal(err)
				}
				returned, err := domain.UnmarshalEvent(e.EventName(), payload2)
				if err != nil {
					t.Fatal(err)
				}
				if id != e.EventID().String() || !reflect.DeepEqual(stored, returned) {
					t.Errorf("outbox event %d is %+v, want the returned %+v", i, stored, e)
				}
			}
			if i != len(saved.Events) {
				t.Errorf("the save stored %d outbox events, want the %d returned", i, len(saved.Events))
			}
			entry, err := repo.EntryByReviewID(ctx, want.ID)
			if err != nil {
				t.Fatalf("EntryByReviewID: %v", err)
			}
			if entry.Review != want || entry.Movie != tc.wantMovie {
				t.Errorf("stored %+v of %+v, want %+v of %+v", entry.Review, entry.Movie, want, tc.wantMovie)
			}
		})
	}
	checkCountsExact(t, rawDB(t, url))
}

// TestConcurrentDeletesAndSavesKeepTotalsExact deletes reviews while
// others are saved, for the same movies and users, from many goroutines:
// no deadlock between the insert and delete triggers, and every total
// equals the rows it counts.
func TestConcurrentDeletesAndSavesKeepTotalsExact(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	repo := openURL(t, url, true).Movies()
	ctx := t.Context()
	movies := []domain.Movie{
		porttest.NewMovie(t, porttest.NewExternalID(t), "Stalker", 1979, "Andrei Tarkovsky"),
		porttest.NewMovie(t, porttest.NewExternalID(t), "Mirror", 1975, "Andrei Tarkovsky"),
	}
	users := []domain.UserID{domain.NewUserID(), domain.NewUserID()}
	const n = 24
	watched := porttest.FixtureTime.Add(-time.Hour)
	var stored []domain.ReviewID
	for i := range n {
		m := movies[i%2]
		r := porttest.NewReview(t, m.ID, users[i/2%2], float64(i%6), watched)
		if _, err := repo.SaveViewing(ctx, domain.Viewing{Movie: m, Review: r}); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, r.ID)
	}
	errs := make([]error, 2*n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = repo.DeleteReview(ctx, stored[i], porttest.FixtureTime)
		})
		wg.Go(func() {
			<-start
			m := movies[(i+1)%2]
			r := porttest.NewReview(t, m.ID, users[i%2], 4, watched)
			_, errs[n+i] = repo.SaveViewing(ctx, domain.Viewing{Movie: m, Review: r})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("operation %d: %v", i, err)
		}
	}
	raw := rawDB(t, url)
	if got := queryInt(t, raw, `SELECT count(*) FROM reviews`); got != n {
		t.Errorf("%d reviews left, want %d", got, n)
	}
	checkCountsExact(t, raw)
	page, err := repo.QueryDiary(ctx, domain.DiaryQuery{})
	if err != nil || page.TotalCount != n {
		t.Errorf("QueryDiary total = %d, %v; want %d", page.TotalCount, err, n)
	}
}

// checkCountsExact fails t unless every diary total review_counts holds
// (by movie and user, by movie, by user, in all) equals the count of the
// reviews it stands for.
func checkCountsExact(t *testing.T, raw *sql.DB) {
	t.Helper()
	const mismatches = `
		WITH counted AS (
			SELECT movie_id, user_id, sum(n) AS n FROM review_counts GROUP BY 1, 2
		), actual AS (
			SELECT movie_id, user_id, count(*) AS n FROM reviews GROUP BY 1, 2
			UNION ALL
			SELECT movie_id, '00000000-0000-0000-0000-000000000000'::uuid, count(*) FROM reviews GROUP BY 1
			UNION ALL
			SELECT '00000000-0000-0000-0000-000000000000'::uuid, user_id, count(*) FROM reviews GROUP BY 2
			UNION ALL
			SELECT '00000000-0000-0000-0000-000000000000'::uuid, '00000000-0000-0000-0000-000000000000'::uuid, count(*) FROM reviews
		)
		SELECT count(*) FROM counted c FULL JOIN actual a USING (movie_id, user_id)
		 WHERE coalesce(c.n, 0) <> coalesce(a.n, 0)`
	if got := queryInt(t, raw, mismatches); got != 0 {
		t.Errorf("%d diary totals in review_counts differ from the reviews they count", got)
		rows, err := raw.Query(strings.Replace(mismatches, "SELECT count(*) FROM counted",
			"SELECT format('movie %s user %s: counted %s, stored %s', movie_id, user_id, coalesce(c.n, 0), coalesce(a.n, 0)) FROM counted", 1))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			t.Log(s)
		}
	}
}
