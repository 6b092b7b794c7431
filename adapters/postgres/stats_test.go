package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// statsMismatches lists, one line each, the rows of the statistics tables
// that differ from what the reviews, the movies' current directors and the
// accounts' privacy say they must hold; the whole diary's scope is the nil
// UUID and counts the reviews of every user without a private account.
const statsMismatches = `
	WITH r AS (
		SELECT r.user_id, r.movie_id, r.rating_halves, m.director,
		       extract(year FROM r.watched_at AT TIME ZONE 'UTC')::integer AS year,
		       extract(month FROM r.watched_at AT TIME ZONE 'UTC')::smallint AS month,
		       (get_byte(uuid_send(r.id), 15) % 16)::smallint AS slot
		  FROM reviews r JOIN movies m ON m.id = r.movie_id
	), s AS (
		SELECT scope.user_id AS scope, r.* FROM r,
		       LATERAL (VALUES (r.user_id),
		                       (CASE WHEN EXISTS (SELECT FROM users u WHERE u.id = r.user_id AND u.private) THEN NULL
		                             ELSE '00000000-0000-0000-0000-000000000000'::uuid END)) AS scope (user_id)
		 WHERE scope.user_id IS NOT NULL
	), y AS (
		SELECT s.*, y.y FROM s, LATERAL (VALUES (s.year), (0)) AS y (y)
	), want_months AS (
		SELECT scope, year, month, slot, count(*)::integer AS viewings,
		       array_agg(rating_halves::integer ORDER BY rating_halves) FILTER (WHERE rating_halves IS NOT NULL) AS ratings
		  FROM s GROUP BY 1, 2, 3, 4
	), have_months AS (
		SELECT user_id, year, month, slot, viewings,
		       array(SELECT h FROM generate_series(0, 10) AS h,
		                           generate_series(1, (ARRAY[halves_0, halves_1, halves_2, halves_3, halves_4, halves_5,
		                                                     halves_6, halves_7, halves_8, halves_9, halves_10])[h + 1])
		             ORDER BY h) AS ratings
		  FROM review_stats_months
	), want_films AS (
		SELECT movie_id, scope, y, count(*)::integer AS n FROM y GROUP BY 1, 2, 3
	), want_years AS (
		SELECT scope, y, count(DISTINCT movie_id)::integer AS films FROM y GROUP BY 1, 2
	), have_years AS (
		SELECT user_id, year, sum(films)::integer AS films FROM review_stats_years GROUP BY 1, 2
	), want_directors AS (
		SELECT scope, y, director COLLATE "C" AS director, count(*)::integer AS n
		  FROM y WHERE director IS NOT NULL GROUP BY 1, 2, 3
	)
	SELECT format('months %s %s-%s slot %s: want %s %s, have %s %s', coalesce(w.scope, h.user_id), coalesce(w.year, h.year),
	              coalesce(w.month, h.month), coalesce(w.slot, h.slot), w.viewings, w.ratings, h.viewings, h.ratings)
	  FROM want_months w FULL JOIN have_months h
	    ON h.user_id = w.scope AND h.year = w.year AND h.month = w.month AND h.slot = w.slot
	 WHERE w.viewings IS DISTINCT FROM h.viewings OR coalesce(w.ratings, '{}') IS DISTINCT FROM h.ratings
	UNION ALL
	SELECT format('films %s %s %s: want %s, have %s', coalesce(w.movie_id, h.movie_id), coalesce(w.scope, h.user_id),
	              coalesce(w.y, h.year), w.n, h.n)
	  FROM want_films w FULL JOIN review_stats_films h ON h.movie_id = w.movie_id AND h.user_id = w.scope AND h.year = w.y
	 WHERE w.n IS DISTINCT FROM h.n
	UNION ALL
	SELECT format('years %s %s: want %s films, have %s', coalesce(w.scope, h.user_id), coalesce(w.y, h.year), w.films, h.films)
	  FROM want_years w FULL JOIN have_years h ON h.user_id = w.scope AND h.year = w.y
	 WHERE w.films IS DISTINCT FROM h.films
	UNION ALL
	SELECT format('slots of years %s %s %s: %s films', user_id, year, slot, films)
	  FROM review_stats_years WHERE films <= 0
	UNION ALL
	SELECT format('directors %s %s %s: want %s, have %s', coalesce(w.scope, h.user_id), coalesce(w.y, h.year),
	              coalesce(w.director, h.director), w.n, h.n)
	  FROM want_directors w FULL JOIN review_stats_directors h ON h.user_id = w.scope AND h.year = w.y AND h.director = w.director
	 WHERE w.n IS DISTINCT FROM h.n`

// checkStatsExact fails t unless every row of the statistics tables holds
// what the reviews say, and no row holds a zero count.
func checkStatsExact(t *testing.T, raw *sql.DB, what string) {
	t.Helper()
	rows, err := raw.QueryContext(t.Context(), statsMismatches)
	if err != nil {
		t.Fatalf("%s: compare the statistics: %v", what, err)
	}
	defer rows.Close()
	var bad []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		bad = append(bad, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("%s: %d statistics rows differ from the reviews:\n%s", what, len(bad), strings.Join(bad[:min(len(bad), 20)], "\n"))
	}
}

// TestStatsExactThroughEveryWritePath keeps the statistics tables equal
// to what the reviews say through every way a review or a movie changes:
// SaveViewing (one statement, and the transaction that attaches an IMDb
// ID and a director), UpdateReview of the rating and of watched_at across
// a new year, DeleteReview, an import batch, IdentifyMovie giving a
// director and merging a copy (its reviews move, the copy is deleted),
// UpsertMovie changing a director, removing one by hand, UpdateProfile
// making a diary private and public, reviews moved to another user by
// hand, and a TRUNCATE of the reviews.
func TestStatsExactThroughEveryWritePath(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	db := openURL(t, url, true)
	raw := rawDB(t, url)
	repo, users, stats := db.Movies(), db.Users(), db.Statistics()

	ann, bob := porttest.NewUser(t, "ann@example.com"), porttest.NewUser(t, "bob@example.com")
	for _, u := range []domain.User{ann, bob} {
		if err := users.SaveUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	ghost := domain.NewUserID() // no account: public
	ranExt := porttest.NewExternalID(t)
	ran := porttest.NewMovie(t, ranExt, "Ran", 1985, "Akira Kurosawa")
	ikiru := porttest.NewMovie(t, porttest.NewExternalID(t), "Ikiru", 1952, "Akira Kurosawa")
	copyOfRan := porttest.NewMovie(t, domain.ExternalMetadataID{}, "Ran", 1985, "")
	stray := porttest.NewMovie(t, domain.ExternalMetadataID{}, "Jeanne Dielman", 1975, "")
	newYear := time.Date(2023, 12, 31, 23, 30, 0, 0, time.UTC)

	var saved []domain.Review
	save := func(m domain.Movie, user domain.UserID, stars float64, at time.Time) domain.Review {
		t.Helper()
		r := porttest.NewReview(t, m.ID, user, stars, at)
		sv, err := repo.SaveViewing(ctx, domain.Viewing{Movie: m, Review: r})
		if err != nil {
			t.Fatalf("SaveViewing: %v", err)
		}
		saved = append(saved, sv.Review)
		return sv.Review
	}
	for i, m := range []domain.Movie{ran, ikiru, copyOfRan, stray, ran, copyOfRan} {
		for j, u := range []domain.UserID{ann.ID, bob.ID, ghost} {
			save(m, u, float64((i+j)%6), newYear.Add(time.Duration(i*j)*time.Hour))
		}
	}
	checkStatsExact(t, raw, "after SaveViewing")

	// The transaction path: the stored copy gets the IMDb ID of a viewing
	// of it, and its director.
	strayIdentified := stray
	strayIdentified.ExternalID = porttest.NewExternalID(t)
	strayIdentified.Director = mustDirector(t, "Chantal Akerman")
	save(strayIdentified, ann.ID, 4.5, newYear.Add(48*time.Hour))
	checkStatsExact(t, raw, "after a SaveViewing attaching an IMDb ID and a director")

	first := saved[0]
	first.Rating = mustRatingFromHalves(t, 3)
	if _, err := repo.UpdateReview(ctx, first, porttest.FixtureTime); err != nil {
		t.Fatal(err)
	}
	checkStatsExact(t, raw, "after UpdateReview of a rating")
	moved := saved[1]
	moved.WatchedAt = newYear.AddDate(-2, 0, 0)
	moved.Rating = domain.Rating{}
	if _, err := repo.UpdateReview(ctx, moved, porttest.FixtureTime); err != nil {
		t.Fatal(err)
	}
	checkStatsExact(t, raw, "after UpdateReview of watched_at and the rating")
	if _, err := repo.DeleteReview(ctx, saved[2].ID, porttest.FixtureTime); err != nil {
		t.Fatal(err)
	}
	checkStatsExact(t, raw, "after DeleteReview")

	job := domain.ImportJob{
		ID: domain.NewImportJobID(), User: bob.ID, StartedBy: bob.ID, Source: domain.ImportIMDb,
		State: domain.ImportQueued, RowsTotal: 3, CreatedAt: porttest.FixtureTime, UpdatedAt: porttest.FixtureTime,
	}
	if err := db.Imports().CreateImportJob(ctx, job, []domain.ImportFile{{Name: "ratings.csv", Data: []byte("Const\n")}}); err != nil {
		t.Fatal(err)
	}
	var batch []domain.ImportedViewing
	for i, m := range []domain.Movie{ran, ikiru, porttest.NewMovie(t, porttest.NewExternalID(t), "Tokyo Story", 1953, "Yasujirō Ozu")} {
		batch = append(batch, domain.ImportedViewing{
			Key:     domain.ImportRowKey(fmt.Sprintf("imdb:ratings.csv:%d", i)),
			Viewing: domain.Viewing{Movie: m, Review: porttest.NewReview(t, m.ID, bob.ID, 3, newYear.AddDate(0, i, 0))},
		})
	}
	if _, err := db.Imports().SaveImportBatch(ctx, domain.ImportBatch{Job: job, Viewings: batch}); err != nil {
		t.Fatalf("SaveImportBatch: %v", err)
	}
	checkStatsExact(t, raw, "after an import batch")

	// The copy has no director; identified, it merges into Ran.
	got, _, err := repo.IdentifyMovie(ctx, copyOfRan.ID, domain.MovieMetadata{ExternalID: ranExt, Title: ran.Title, ReleaseYear: ran.ReleaseYear}, porttest.FixtureTime)
	if err != nil || got.ID != ran.ID {
		t.Fatalf("IdentifyMovie(copy) = %v, %v; want a merge into %v", got.ID, err, ran.ID)
	}
	if n := queryInt(t, raw, `SELECT count(*) FROM review_stats_films WHERE movie_id = $1`, copyOfRan.ID.UUID()); n != 0 {
		t.Errorf("the merged movie keeps %d statistics rows", n)
	}
	checkStatsExact(t, raw, "after a merge")

	// Directors: changed by UpsertMovie, removed, set again by hand.
	ikiru.Director = mustDirector(t, "黒澤明")
	if _, err := repo.UpsertMovie(ctx, ikiru); err != nil {
		t.Fatal(err)
	}
	checkStatsExact(t, raw, "after a director changed")
	if _, err := raw.ExecContext(ctx, `UPDATE movies SET director = NULL WHERE id = $1`, ran.ID.UUID()); err != nil {
		t.Fatal(err)
	}
	checkStatsExact(t, raw, "after a director removed")
	if _, err := raw.ExecContext(ctx, `UPDATE movies SET director = 'Akira Kurosawa'`); err != nil {
		t.Fatal(err)
	}
	checkStatsExact(t, raw, "after every movie's director set at once")

	on, off := true, false
	for _, step := range []struct {
		user    domain.UserID
		private *bool
	}{{bob.ID, &on}, {ann.ID, &on}, {bob.ID, &off}, {ann.ID, &off}, {ann.ID, &on}} {
		if _, err := users.UpdateProfile(ctx, step.user, domain.ProfileUpdate{Private: step.private}); err != nil {
			t.Fatal(err)
		}
		checkStatsExact(t, raw, fmt.Sprintf("after making %v private %v", step.user, *step.private))
	}
	// Ann is private: her reviews moved to Bob join the whole diary, and
	// deleting some of Bob's leaves it.
	if _, err := raw.ExecContext(ctx, `UPDATE reviews SET user_id = $2 WHERE id IN (
		SELECT id FROM reviews WHERE user_id = $1 ORDER BY id LIMIT 3)`, ann.ID.UUID(), bob.ID.UUID()); err != nil {
		t.Fatal(err)
	}
	checkStatsExact(t, raw, "after reviews moved from a private user to a public one")
	if _, err := raw.ExecContext(ctx, `DELETE FROM reviews WHERE user_id = $1`, bob.ID.UUID()); err != nil {
		t.Fatal(err)
	}
	checkStatsExact(t, raw, "after a user's reviews deleted")

	whole, err := stats.DiaryStats(ctx, domain.StatsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if want := queryInt(t, raw, `SELECT count(*) FROM reviews WHERE user_id <> $1`, ann.ID.UUID()); whole.Viewings != want {
		t.Errorf("whole diary: %d viewings, want %d (the ghost's)", whole.Viewings, want)
	}
	if _, err := raw.ExecContext(ctx, `TRUNCATE reviews, review_counts`); err != nil {
		t.Fatal(err)
	}
	checkStatsExact(t, raw, "after TRUNCATE")
	if s, err := stats.DiaryStats(ctx, domain.StatsQuery{User: ann.ID}); err != nil || s.Viewings != 0 || s.ByMonth != nil {
		t.Errorf("DiaryStats after TRUNCATE = %+v, %v; want zero", s, err)
	}
}

// TestStatsExactUnderConcurrentWrites saves and deletes viewings of shared
// movies by shared users from many goroutines while directors change and
// diaries turn private and public: no deadlock, no error, and every
// statistic equals what the reviews say afterwards.
func TestStatsExactUnderConcurrentWrites(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	db := openURL(t, url, true)
	raw := rawDB(t, url)
	repo := db.Movies()

	var people []domain.UserID
	for i := range 3 {
		u := porttest.NewUser(t, fmt.Sprintf("u%d@example.com", i))
		if err := db.Users().SaveUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		people = append(people, u.ID)
	}
	people = append(people, domain.NewUserID()) // no account
	movies := []domain.Movie{
		porttest.NewMovie(t, porttest.NewExternalID(t), "Stalker", 1979, "Andrei Tarkovsky"),
		porttest.NewMovie(t, porttest.NewExternalID(t), "Mirror", 1975, ""),
		porttest.NewMovie(t, porttest.NewExternalID(t), "Solaris", 1972, "Andrei Tarkovsky"),
	}
	watched := time.Date(2024, 1, 31, 23, 0, 0, 0, time.UTC)
	var stored []domain.ReviewID
	for i := range 24 {
		m := movies[i%len(movies)]
		r := porttest.NewReview(t, m.ID, people[i%len(people)], float64(i%6), watched.Add(time.Duration(i)*time.Hour))
		sv, err := repo.SaveViewing(ctx, domain.Viewing{Movie: m, Review: r})
		if err != nil {
			t.Fatal(err)
		}
		movies[i%len(movies)] = sv.Movie
		stored = append(stored, r.ID)
	}

	const writers = 24
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	start := make(chan struct{})
	for i := range writers {
		wg.Go(func() {
			<-start
			m := movies[i%len(movies)]
			r := porttest.NewReview(t, m.ID, people[(i+1)%len(people)], float64(i%5)+0.5, watched.Add(time.Duration(i*7)*time.Hour))
			if _, err := repo.SaveViewing(ctx, domain.Viewing{Movie: m, Review: r}); err != nil {
				fail(fmt.Errorf("SaveViewing: %w", err))
			}
			if _, err := repo.DeleteReview(ctx, stored[i], porttest.FixtureTime); err != nil && !errors.Is(err, domain.ErrNotFound) {
				fail(fmt.Errorf("DeleteReview: %w", err))
			}
		})
	}
	for i := range 6 {
		wg.Go(func() {
			<-start
			private := i%2 == 0
			if _, err := db.Users().UpdateProfile(ctx, people[i%3], domain.ProfileUpdate{Private: &private}); err != nil {
				fail(fmt.Errorf("UpdateProfile: %w", err))
			}
		})
		wg.Go(func() {
			<-start
			director := []string{"Андрей Тарковский", "Andrei Tarkovsky", ""}[i%3]
			if _, err := raw.ExecContext(ctx, `UPDATE movies SET director = nullif($2, '') WHERE id = $1`,
				movies[i%len(movies)].ID.UUID(), director); err != nil {
				fail(fmt.Errorf("change a director: %w", err))
			}
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	checkStatsExact(t, raw, "after concurrent writes")
	checkCountsExact(t, raw)
}

// TestDiaryStatsReadsOnlyTheScope: the whole diary's statistics are those
// of the public diaries and of users without an account, a private user's
// own statistics stay readable, and a year restricts every figure.
func TestDiaryStatsReadsOnlyTheScope(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openDB(t)
	owner := porttest.NewUser(t, "owner@example.com")
	if err := db.Users().SaveUser(ctx, owner); err != nil {
		t.Fatal(err)
	}
	on := true
	if _, err := db.Users().UpdateProfile(ctx, owner.ID, domain.ProfileUpdate{Private: &on}); err != nil {
		t.Fatal(err)
	}
	ghost := domain.NewUserID()
	heat := porttest.NewMovie(t, porttest.NewExternalID(t), "Heat", 1995, "Michael Mann")
	thief := porttest.NewMovie(t, porttest.NewExternalID(t), "Thief", 1981, "Michael Mann")
	for i, v := range []struct {
		m    domain.Movie
		user domain.UserID
		at   time.Time
	}{
		{heat, owner.ID, time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC)},
		{heat, ghost, time.Date(2023, 5, 2, 0, 0, 0, 0, time.UTC)},
		{thief, ghost, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		{heat, ghost, time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)},
	} {
		sv, err := db.Movies().SaveViewing(ctx, domain.Viewing{Movie: v.m, Review: porttest.NewReview(t, v.m.ID, v.user, float64(i+1), v.at)})
		if err != nil {
			t.Fatal(err)
		}
		if v.m.ID == heat.ID {
			heat = sv.Movie
		}
	}
	whole, err := db.Statistics().DiaryStats(ctx, domain.StatsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if whole.Viewings != 3 || whole.Films != 2 || len(whole.ByYear) != 2 || whole.ByYear[0] != (domain.YearStats{Year: 2023, Viewings: 1, Films: 1}) {
		t.Errorf("whole diary = %+v; want the ghost's 3 viewings of 2 films, 1 in 2023", whole)
	}
	if len(whole.TopFilms) != 2 || whole.TopFilms[0].Movie.ID != heat.ID || whole.TopFilms[0].Viewings != 2 {
		t.Errorf("whole diary's top films = %+v; want Heat twice first", whole.TopFilms)
	}
	if len(whole.TopDirectors) != 1 || whole.TopDirectors[0].Viewings != 3 {
		t.Errorf("whole diary's top directors = %+v; want Michael Mann, 3", whole.TopDirectors)
	}
	own, err := db.Statistics().DiaryStats(ctx, domain.StatsQuery{User: owner.ID})
	if err != nil || own.Viewings != 1 || own.Rated != 1 || own.RatingHalves != 2 {
		t.Errorf("the private user's own statistics = %+v, %v; want 1 viewing rated 1 star", own, err)
	}
	year, err := db.Statistics().DiaryStats(ctx, domain.StatsQuery{Year: 2024, Top: 1})
	if err != nil {
		t.Fatal(err)
	}
	if year.Viewings != 2 || year.Films != 2 || len(year.ByMonth) != 2 || len(year.ByYear) != 1 || len(year.TopFilms) != 1 {
		t.Errorf("whole diary in 2024 with top 1 = %+v; want 2 viewings of 2 films in 2 months, one top film", year)
	}
	// Ties of top films go by movie ID in byte order.
	ids := []uuid.UUID{year.TopFilms[0].Movie.ID.UUID(), heat.ID.UUID(), thief.ID.UUID()}
	if want := min(ids[1].String(), ids[2].String()); ids[0].String() != want {
		t.Errorf("2024's top film with a tie = %v, want the lower ID %v", ids[0], want)
	}
}

// TestParseChange reads the notification payloads of the schema's
// triggers, and takes anything else for All.
func TestParseChange(t *testing.T) {
	t.Parallel()
	user, movie := domain.NewUserID(), domain.NewMovieID()
	tests := []struct {
		payload string
		want    domain.DiaryChange
	}{
		{"u=" + user.String() + " m=" + movie.String(), domain.DiaryChange{User: user, Movie: movie}},
		{"all", domain.DiaryChange{All: true}},
		{"", domain.DiaryChange{All: true}},
		{"m=" + movie.String() + " u=" + user.String(), domain.DiaryChange{All: true}},
		{"u=" + user.String() + " m=nope", domain.DiaryChange{All: true}},
		{"u=00000000-0000-0000-0000-000000000000 m=" + movie.String(), domain.DiaryChange{All: true}},
	}
	for _, tc := range tests {
		if got := postgres.ParseChange(tc.payload); got != tc.want {
			t.Errorf("ParseChange(%q) = %+v, want %+v", tc.payload, got, tc.want)
		}
	}
}

// TestChangeNotifications: a statement writing reviews notifies each of
// its users and movies, one writing more than 64 of them notifies "all",
// and so do a movie's change and a profile's; a movie update that changes
// nothing, and a movie insert, notify nothing.
func TestChangeNotifications(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	db := openURL(t, url, true)
	raw := rawDB(t, url)
	changes := make(chan domain.DiaryChange, 1024)
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- db.ListenChanges(lctx, func(c domain.DiaryChange) {
			if c.Changes() {
				changes <- c
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ListenChanges: %v", err)
		}
	})
	next := func() domain.DiaryChange {
		t.Helper()
		select {
		case c := <-changes:
			return c
		case <-time.After(5 * time.Second):
			t.Fatal("no change reported in 5 s")
		}
		return domain.DiaryChange{}
	}
	if c := next(); !c.All {
		t.Fatalf("first report = %+v, want All (connected)", c)
	}
	var movieIDs []uuid.UUID
	for i := range 70 {
		id := uuid.New()
		movieIDs = append(movieIDs, id)
		if _, err := raw.ExecContext(ctx, `INSERT INTO movies (id, title, release_year) VALUES ($1, $2, 2000)`, id, fmt.Sprint("Film ", i)); err != nil {
			t.Fatal(err)
		}
	}
	quiet := func(what string) {
		t.Helper()
		// A marker insert: whatever is reported before it came from the
		// statements under test.
		marker := domain.NewUserID()
		if _, err := raw.ExecContext(ctx, `INSERT INTO reviews (id, movie_id, user_id, watched_at, created_at)
			VALUES ($1, $2, $3, now(), now())`, uuid.New(), movieIDs[0], marker.UUID()); err != nil {
			t.Fatal(err)
		}
		if c := next(); c.User != marker {
			t.Errorf("%s: reported %+v, want nothing", what, c)
		}
	}
	quiet("inserting movies")

	user := domain.NewUserID()
	if _, err := raw.ExecContext(ctx, `INSERT INTO reviews (id, movie_id, user_id, watched_at, created_at)
		SELECT gen_random_uuid(), m, $1, now(), now() FROM unnest($2::uuid[]) AS m`, user.UUID(), pq.Array(movieIDs[:2])); err != nil {
		t.Fatal(err)
	}
	got := map[domain.MovieID]bool{}
	for range 2 {
		c := next()
		if c.All || c.User != user {
			t.Fatalf("two reviews inserted: reported %+v, want their user and movies", c)
		}
		got[c.Movie] = true
	}
	if !got[mustMovieID(t, movieIDs[0])] || !got[mustMovieID(t, movieIDs[1])] {
		t.Errorf("two reviews inserted: movies reported %v, want %v", got, movieIDs[:2])
	}
	if _, err := raw.ExecContext(ctx, `INSERT INTO reviews (id, movie_id, user_id, watched_at, created_at)
		SELECT gen_random_uuid(), m, $1, now(), now() FROM unnest($2::uuid[]) AS m`, user.UUID(), pq.Array(movieIDs[:65])); err != nil {
		t.Fatal(err)
	}
	if c := next(); !c.All {
		t.Errorf("65 reviews inserted: reported %+v, want All", c)
	}
	quiet("after All")

	if _, err := raw.ExecContext(ctx, `UPDATE movies SET title = title WHERE id = $1`, movieIDs[3]); err != nil {
		t.Fatal(err)
	}
	quiet("a movie update that changes nothing")
	if _, err := raw.ExecContext(ctx, `UPDATE movies SET director = 'Someone' WHERE id = $1`, movieIDs[3]); err != nil {
		t.Fatal(err)
	}
	if c := next(); !c.All {
		t.Errorf("a director set: reported %+v, want All", c)
	}
	account := porttest.NewUser(t, "notified@example.com")
	if err := db.Users().SaveUser(ctx, account); err != nil {
		t.Fatal(err)
	}
	quiet("a new account")
	name := domain.MustNewDisplayName("Notified")
	if _, err := db.Users().UpdateProfile(ctx, account.ID, domain.ProfileUpdate{DisplayName: &name}); err != nil {
		t.Fatal(err)
	}
	if c := next(); !c.All {
		t.Errorf("a display name set: reported %+v, want All", c)
	}
}

// mustDirector parses s.
func mustDirector(t *testing.T, s string) domain.Director {
	t.Helper()
	d, err := domain.NewDirector(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
