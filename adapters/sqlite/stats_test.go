package sqlite_test

import (
	"bytes"
	"cmp"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/adapters/sqlite"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// statsMigration is the migration that adds profiles and statistics.
const statsMigration = "0008_profiles_stats.sql"

// statsTables are the statistics tables, each with its columns in primary
// key order.
var statsTables = []string{
	"stats_years (user_id, year, viewings, films, rated, rating_sum)",
	"stats_months (user_id, month, viewings)",
	"stats_ratings (user_id, year, rating_halves, n)",
	"stats_films (user_id, year, movie_id, n)",
	"stats_directors (user_id, year, director, n)",
}

// statsBackfillSQL is the backfill part of the statistics migration: from
// its "-- Backfill:" comment to its "-- Triggers." one.
func statsBackfillSQL(tb testing.TB) string {
	tb.Helper()
	body, err := os.ReadFile(filepath.Join("migrations", statsMigration))
	if err != nil {
		tb.Fatal(err)
	}
	s := string(body)
	from, to := strings.Index(s, "-- Backfill:"), strings.Index(s, "-- Triggers.")
	if from < 0 || to < from {
		tb.Fatalf("%s has no backfill section between -- Backfill: and -- Triggers.", statsMigration)
	}
	return s[from:to]
}

// statsTriggerSQL returns the SQL of every trigger that keeps the
// statistics, by name.
func statsTriggerSQL(tb testing.TB, q interface {
	Query(string, ...any) (*sql.Rows, error)
}) map[string]string {
	tb.Helper()
	rows, err := q.Query(`SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '%stats%'`)
	if err != nil {
		tb.Fatalf("read triggers: %v", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			tb.Fatal(err)
		}
		out[name] = sql
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// dumpStats lists every row of the statistics tables as text, sorted.
func dumpStats(tb testing.TB, q interface {
	Query(string, ...any) (*sql.Rows, error)
}) []string {
	tb.Helper()
	var out []string
	for _, table := range statsTables {
		name, cols, _ := strings.Cut(table, " ")
		rows, err := q.Query(`SELECT ` + strings.Trim(cols, "()") + ` FROM ` + name)
		if err != nil {
			tb.Fatalf("read %s: %v", name, err)
		}
		n := strings.Count(cols, ",") + 1
		for rows.Next() {
			vals := make([]any, n)
			ptrs := make([]any, n)
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatal(err)
			}
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					vals[i] = fmt.Sprintf("x'%x'", b)
				}
			}
			out = append(out, fmt.Sprint(name, vals))
		}
		if err := rows.Close(); err != nil {
			tb.Fatal(err)
		}
	}
	slices.Sort(out)
	return out
}

// checkStatsExact compares the statistics tables with what the migration's
// backfill computes from the reviews stored now: in one transaction on
// the file it drops the triggers, empties the tables, runs the backfill,
// reads the tables and rolls everything back.
func checkStatsExact(t *testing.T, path, when string) {
	t.Helper()
	raw := rawDB(t, path)
	raw.SetMaxOpenConns(1)
	stored := dumpStats(t, raw)
	tx, err := raw.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	for name := range statsTriggerSQL(t, tx) {
		if _, err := tx.Exec(`DROP TRIGGER ` + name); err != nil {
			t.Fatal(err)
		}
	}
	for _, table := range statsTables {
		name, _, _ := strings.Cut(table, " ")
		if _, err := tx.Exec(`DELETE FROM ` + name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Exec(statsBackfillSQL(t)); err != nil {
		t.Fatalf("backfill: %v", err)
	}
	rebuilt := dumpStats(t, tx)
	if !slices.Equal(stored, rebuilt) {
		var missing, extra []string
		for _, r := range rebuilt {
			if !slices.Contains(stored, r) {
				missing = append(missing, r)
			}
		}
		for _, r := range stored {
			if !slices.Contains(rebuilt, r) {
				extra = append(extra, r)
			}
		}
		t.Errorf("%s: the statistics tables differ from a rebuild from the reviews:\nmissing %q\nwrong or extra %q", when, missing, extra)
	}
}

// storedViewing is a review as the model of the statistics sees it.
type storedViewing struct {
	review   domain.Review
	director string
	private  bool
}

// storedViewings reads every review with its movie's director and whether
// its user's account is private.
func storedViewings(t *testing.T, db *sqlite.DB, path string) []storedViewing {
	t.Helper()
	rows, err := rawDB(t, path).Query(`SELECT r.id, coalesce(m.director, ''), coalesce(u.private, 0)
		FROM reviews AS r JOIN movies AS m ON m.id = r.movie_id LEFT JOIN users AS u ON u.id = r.user_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []storedViewing
	for rows.Next() {
		var (
			id []byte
			v  storedViewing
		)
		if err := rows.Scan(&id, &v.director, &v.private); err != nil {
			t.Fatal(err)
		}
		e, err := db.Movies().EntryByReviewID(t.Context(), mustReviewID(t, uuid.UUID(id)))
		if err != nil {
			t.Fatal(err)
		}
		v.review = e.Review
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// modelStats computes the statistics q asks for from the viewings, as
// domain.StatsReader documents them.
func modelStats(t *testing.T, db *sqlite.DB, viewings []storedViewing, q domain.StatsQuery) domain.Stats {
	t.Helper()
	var s domain.Stats
	films := map[domain.MovieID]int{}
	directors := map[string]int{}
	ratings := map[int]int{}
	years := map[int]*domain.YearStats{}
	yearFilms := map[[2]any]bool{}
	months := map[[2]int]int{}
	for _, v := range viewings {
		r := v.review
		if q.User.IsZero() && v.private || !q.User.IsZero() && r.UserID != q.User {
			continue
		}
		y := r.WatchedAt.UTC().Year()
		if q.Year != 0 && y != q.Year {
			continue
		}
		s.Viewings++
		films[r.MovieID]++
		if v.director != "" {
			directors[v.director]++
		}
		if !r.Rating.IsZero() {
			s.Rated++
			s.RatingHalves += r.Rating.Halves()
			ratings[r.Rating.Halves()]++
		}
		if years[y] == nil {
			years[y] = &domain.YearStats{Year: y}
		}
		years[y].Viewings++
		if !yearFilms[[2]any{y, r.MovieID}] {
			yearFilms[[2]any{y, r.MovieID}] = true
			years[y].Films++
		}
		months[[2]int{y, int(r.WatchedAt.UTC().Month())}]++
	}
	if s.Viewings == 0 {
		return domain.Stats{}
	}
	s.Films = len(films)
	for _, y := range years {
		s.ByYear = append(s.ByYear, *y)
	}
	slices.SortFunc(s.ByYear, func(a, b domain.YearStats) int { return cmp.Compare(a.Year, b.Year) })
	for ym, n := range months {
		s.ByMonth = append(s.ByMonth, domain.MonthStats{Year: ym[0], Month: time.Month(ym[1]), Viewings: n})
	}
	slices.SortFunc(s.ByMonth, func(a, b domain.MonthStats) int {
		return cmp.Or(cmp.Compare(a.Year, b.Year), cmp.Compare(a.Month, b.Month))
	})
	for h, n := range ratings {
		rating, err := domain.RatingFromHalves(h)
		if err != nil {
			t.Fatal(err)
		}
		s.Ratings = append(s.Ratings, domain.RatingCount{Rating: rating, Count: n})
	}
	slices.SortFunc(s.Ratings, func(a, b domain.RatingCount) int { return cmp.Compare(b.Rating.Halves(), a.Rating.Halves()) })
	for id, n := range films {
		m, err := db.Movies().MovieByID(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		s.TopFilms = append(s.TopFilms, domain.FilmCount{Movie: m, Viewings: n})
	}
	slices.SortFunc(s.TopFilms, func(a, b domain.FilmCount) int {
		ai, bi := a.Movie.ID.UUID(), b.Movie.ID.UUID()
		return cmp.Or(cmp.Compare(b.Viewings, a.Viewings), bytes.Compare(ai[:], bi[:]))
	})
	s.TopFilms = s.TopFilms[:min(len(s.TopFilms), q.TopOrDefault())]
	for name, n := range directors {
		s.TopDirectors = append(s.TopDirectors, domain.DirectorCount{Director: mustDirector(t, name), Viewings: n})
	}
	slices.SortFunc(s.TopDirectors, func(a, b domain.DirectorCount) int {
		return cmp.Or(cmp.Compare(b.Viewings, a.Viewings), strings.Compare(a.Director.String(), b.Director.String()))
	})
	s.TopDirectors = s.TopDirectors[:min(len(s.TopDirectors), q.TopOrDefault())]
	return s
}

// checkStatsMatch compares DiaryStats with the model for the whole diary
// and each user, for all time and every year from 2020 to 2025, with the
// default top and a top of 2.
func checkStatsMatch(t *testing.T, db *sqlite.DB, path, when string, users ...domain.UserID) {
	t.Helper()
	viewings := storedViewings(t, db, path)
	for _, user := range append([]domain.UserID{{}}, users...) {
		for _, year := range []int{0, 2020, 2021, 2022, 2023, 2024, 2025} {
			for _, top := range []int{0, 2} {
				q := domain.StatsQuery{User: user, Year: year, Top: top}
				got, err := db.Statistics().DiaryStats(t.Context(), q)
				if err != nil {
					t.Fatalf("%s: DiaryStats(%+v): %v", when, q, err)
				}
				if want := modelStats(t, db, viewings, q); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: DiaryStats(%+v) =\n%+v\nwant\n%+v", when, q, got, want)
				}
			}
		}
	}
}

// checkVisibleDiary compares QueryDiary, for each viewer and filter, with
// the stored reviews visible to that viewer: the entries and total of one
// page holding all, and the same entries read two at a time by offset
// and by position.
func checkVisibleDiary(t *testing.T, db *sqlite.DB, path, when string, users []domain.UserID, movies []domain.MovieID) {
	t.Helper()
	viewings := storedViewings(t, db, path)
	viewers := append([]domain.UserID{{}}, users...)
	filters := []domain.DiaryFilter{{}}
	for _, u := range users {
		filters = append(filters, domain.DiaryFilter{UserID: u})
	}
	for _, m := range movies {
		filters = append(filters, domain.DiaryFilter{MovieID: m})
		for _, u := range users {
			filters = append(filters, domain.DiaryFilter{MovieID: m, UserID: u})
		}
	}
	for _, viewer := range viewers {
		for _, f := range filters {
			f.Viewer = viewer
			var want []domain.ReviewID
			for _, v := range viewings {
				r := v.review
				if (!f.UserID.IsZero() && r.UserID != f.UserID) || (!f.MovieID.IsZero() && r.MovieID != f.MovieID) ||
					(v.private && r.UserID != viewer) {
					continue
				}
				want = append(want, r.ID)
			}
			for _, sort := range []domain.SortOrder{domain.SortDesc, domain.SortAsc} {
				f.Sort = sort
				page, err := db.Movies().QueryDiary(t.Context(), domain.DiaryQuery{Filter: f, Page: mustNewPage(t, domain.MaxPageLimit)})
				if err != nil {
					t.Fatalf("QueryDiary: %v", err)
				}
				var got []domain.ReviewID
				for _, e := range page.Entries {
					got = append(got, e.Review.ID)
				}
				if page.TotalCount != len(want) || !sameIDs(got, want) {
					t.Errorf("%s: viewer %v, filter %+v: %d entries, TotalCount %d; want %d", when, viewer, f, len(got), page.TotalCount, len(want))
					continue
				}
				// Two at a time, by offset (the far half read backwards) and
				// by position, give the same entries in the same order.
				var byOffset, byCursor []domain.ReviewID
				var after *domain.DiaryPosition
				for offset := 0; offset < len(want)+2; offset += 2 {
					p, _ := domain.NewPage(2, offset)
					pg, err := db.Movies().QueryDiary(t.Context(), domain.DiaryQuery{Filter: f, Page: p})
					if err != nil {
						t.Fatal(err)
					}
					for _, e := range pg.Entries {
						byOffset = append(byOffset, e.Review.ID)
					}
					pg, err = db.Movies().QueryDiary(t.Context(), domain.DiaryQuery{Filter: f, Page: mustNewPage(t, 2), After: after})
					if err != nil {
						t.Fatal(err)
					}
					for _, e := range pg.Entries {
						byCursor = append(byCursor, e.Review.ID)
						pos := domain.PositionOf(e)
						after = &pos
					}
				}
				if !slices.Equal(byOffset, got) || !slices.Equal(byCursor, got) {
					t.Errorf("%s: viewer %v, filter %+v: paged by offset %v, by position %v, want %v", when, viewer, f, byOffset, byCursor, got)
				}
			}
		}
	}
	for _, id := range movies {
		for _, viewer := range viewers {
			h, err := db.Movies().ReviewHistory(t.Context(), id, viewer)
			if err != nil {
				t.Fatalf("ReviewHistory: %v", err)
			}
			n := 0
			for _, v := range viewings {
				if v.review.MovieID == id && (!v.private || v.review.UserID == viewer) {
					n++
				}
			}
			if len(h.Viewings) != n {
				t.Errorf("%s: ReviewHistory(%v, viewer %v) has %d viewings, want %d", when, id, viewer, len(h.Viewings), n)
			}
			for _, r := range h.Viewings {
				if i := slices.IndexFunc(viewings, func(v storedViewing) bool { return v.review.ID == r.ID }); i < 0 || viewings[i].private && r.UserID != viewer {
					t.Errorf("%s: ReviewHistory(%v, viewer %v) shows hidden review %v", when, id, viewer, r.ID)
				}
			}
		}
	}
}

func sameIDs(a, b []domain.ReviewID) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	less := func(x, y domain.ReviewID) int { return strings.Compare(x.String(), y.String()) }
	slices.SortFunc(a, less)
	slices.SortFunc(b, less)
	return slices.Equal(a, b)
}

// TestStatsFollowEveryWrite logs, edits, deletes, merges, identifies,
// imports and hides viewings of three users (one with no account) and
// after each step checks the statistics tables against a rebuild from
// the reviews, DiaryStats against a model of the same reviews, and
// QueryDiary and ReviewHistory for every viewer.
func TestStatsFollowEveryWrite(t *testing.T) {
	ctx := t.Context()
	db, path := mustOpenTemp(t)
	movies, users := db.Movies(), db.Users()
	ann, bob := porttest.NewUser(t, "ann@example.com"), porttest.NewUser(t, "bob@example.com")
	for _, u := range []domain.User{ann, bob} {
		if err := users.SaveUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	carl := domain.NewUserID() // no account
	people := []domain.UserID{ann.ID, bob.ID, carl}

	varda := porttest.NewMovie(t, domain.ExternalMetadataID{}, "Cléo from 5 to 7", 1962, "Agnès Varda")
	tarr := porttest.NewMovie(t, porttest.NewExternalID(t), "Sátántangó", 1994, "Béla Tarr")
	nameless := porttest.NewMovie(t, porttest.NewExternalID(t), "Werckmeister Harmonies", 2000, "")
	other := porttest.NewMovie(t, domain.ExternalMetadataID{}, "Vagabond", 1985, "")
	films := []domain.Movie{varda, tarr, nameless, other}
	var reviews []domain.Review
	for i := range 24 {
		m := films[i%4]
		stars := float64(i%11) / 2
		r := porttest.NewReview(t, m.ID, people[i%3], stars, time.Date(2022+i%3, time.Month(1+i%12), 1+i, 20, 0, 0, 0, time.UTC))
		if i%5 == 0 {
			r.Rating = domain.Rating{}
		}
		if _, err := movies.SaveViewing(ctx, domain.Viewing{Movie: m, Review: r}); err != nil {
			t.Fatalf("SaveViewing: %v", err)
		}
		reviews = append(reviews, r)
	}
	movieIDs := func() []domain.MovieID {
		var ids []domain.MovieID
		for _, m := range films {
			if _, err := movies.MovieByID(ctx, m.ID); err == nil {
				ids = append(ids, m.ID)
			}
		}
		return ids
	}
	check := func(when string) {
		t.Helper()
		checkStatsExact(t, path, when)
		checkStatsMatch(t, db, path, when, people...)
		checkVisibleDiary(t, db, path, when, people, movieIDs())
	}
	check("after logging")

	// Edits: a new rating, another year, a rating removed; a comment
	// alone changes nothing counted.
	edit := func(r domain.Review, e domain.ReviewEdit) {
		t.Helper()
		r, err := r.Edit(e, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := movies.UpdateReview(ctx, r, porttest.FixtureTime); err != nil {
			t.Fatalf("UpdateReview: %v", err)
		}
	}
	four := domain.MustNewRating(4)
	edit(reviews[1], domain.ReviewEdit{Rating: &four})
	later := time.Date(2025, 2, 2, 0, 0, 0, 0, time.UTC)
	edit(reviews[2], domain.ReviewEdit{WatchedAt: &later})
	none := domain.Rating{}
	edit(reviews[3], domain.ReviewEdit{Rating: &none})
	check("after edits")

	if _, err := movies.DeleteReview(ctx, reviews[4].ID, porttest.FixtureTime); err != nil {
		t.Fatal(err)
	}
	check("after a delete")

	// A director found later, then changed.
	named := nameless
	named.Director = mustDirector(t, "Béla Tarr")
	mustUpsert(t, movies, named)
	check("after a director was set")
	named.Director = mustDirector(t, "Ágnes Hranitzky")
	mustUpsert(t, movies, named)
	check("after a director was changed")

	// Varda's film is identified as Tarr's: a merge.
	merged, _, err := movies.IdentifyMovie(ctx, varda.ID, domain.MovieMetadata{ExternalID: tarr.ExternalID, Title: tarr.Title, ReleaseYear: tarr.ReleaseYear}, porttest.FixtureTime)
	if err != nil || merged.ID != tarr.ID {
		t.Fatalf("IdentifyMovie = %v, %v; want a merge into %v", merged.ID, err, tarr.ID)
	}
	check("after a merge")

	// Bob's diary private: out of the whole diary, and of what others see.
	private, public := true, false
	if _, err := users.UpdateProfile(ctx, bob.ID, domain.ProfileUpdate{Private: &private}); err != nil {
		t.Fatal(err)
	}
	check("after bob's diary was made private")

	// Viewings logged and imported while private stay out of the whole
	// diary; a new film with a director, an existing one.
	late := porttest.NewReview(t, other.ID, bob.ID, 3, time.Date(2023, 7, 7, 0, 0, 0, 0, time.UTC))
	if _, err := movies.SaveViewing(ctx, domain.Viewing{Movie: other, Review: late}); err != nil {
		t.Fatal(err)
	}
	importRows(t, db, bob.ID, []domain.Movie{tarr, porttest.NewMovie(t, domain.ExternalMetadataID{}, "Damnation", 1988, "Béla Tarr"), other})
	check("after bob logged and imported in private")

	// A director found while bob's diary is private: his scope and the
	// whole diary's (the others' viewings) move.
	directed := other
	directed.Director = mustDirector(t, "Agnès Varda")
	mustUpsert(t, movies, directed)
	check("after a director was set while bob's diary is private")

	if _, err := users.UpdateProfile(ctx, bob.ID, domain.ProfileUpdate{Private: &public}); err != nil {
		t.Fatal(err)
	}
	importRows(t, db, ann.ID, []domain.Movie{tarr, porttest.NewMovie(t, porttest.NewExternalID(t), "The Turin Horse", 2011, "Béla Tarr")})
	check("after bob's diary was made public again and ann imported")

	// A film identified within a batch gets its director there: the
	// batch's earlier viewings of it count under that director too; and
	// one stored by an earlier batch is identified by a later one.
	fresh := porttest.NewMovie(t, domain.ExternalMetadataID{}, "Almanac of Fall", 1984, "")
	identified := fresh
	identified.ExternalID = porttest.NewExternalID(t)
	identified.Director = mustDirector(t, "Béla Tarr")
	importRows(t, db, ann.ID, []domain.Movie{fresh, identified})
	check("after a film was identified within a batch")
	stored := porttest.NewMovie(t, domain.ExternalMetadataID{}, "Family Nest", 1979, "")
	importRows(t, db, carl, []domain.Movie{stored})
	identified = stored
	identified.ExternalID = porttest.NewExternalID(t)
	identified.Director = mustDirector(t, "Béla Tarr")
	importRows(t, db, carl, []domain.Movie{identified})
	check("after a stored film was identified by a batch")

	// Every review deleted: nothing left anywhere.
	for _, v := range storedViewings(t, db, path) {
		if _, err := movies.DeleteReview(ctx, v.review.ID, porttest.FixtureTime); err != nil {
			t.Fatal(err)
		}
	}
	check("after deleting everything")
	if rows := dumpStats(t, rawDB(t, path)); len(rows) != 0 {
		t.Errorf("statistics rows left with no reviews: %q", rows)
	}
}

// importRows stores one import batch for user: a viewing of each movie in
// 2024, and a second of the first.
func importRows(t *testing.T, db *sqlite.DB, user domain.UserID, ms []domain.Movie) {
	t.Helper()
	ctx := t.Context()
	job := domain.ImportJob{ID: domain.NewImportJobID(), User: user, StartedBy: user, Source: domain.ImportLetterboxd,
		State: domain.ImportQueued, CreatedAt: porttest.FixtureTime, UpdatedAt: porttest.FixtureTime}
	if err := db.Imports().CreateImportJob(ctx, job, nil); err != nil {
		t.Fatal(err)
	}
	job.State = domain.ImportRunning
	var rows []domain.ImportedViewing
	for i, m := range append(ms, ms[0]) {
		r := porttest.NewReview(t, m.ID, user, float64(i%5), time.Date(2024, time.Month(1+i), 3, 0, 0, 0, 0, time.UTC))
		rows = append(rows, domain.ImportedViewing{Key: domain.ImportRowKey(fmt.Sprintf("test:%v:%d", job.ID, i)),
			Viewing: domain.Viewing{Movie: m, Review: r}})
	}
	res, err := db.Imports().SaveImportBatch(ctx, domain.ImportBatch{Job: job, Viewings: rows, ClaimUntil: porttest.FixtureTime.Add(time.Hour)})
	if err != nil {
		t.Fatalf("SaveImportBatch: %v", err)
	}
	if len(res.Saved) != len(rows) {
		t.Fatalf("SaveImportBatch saved %d rows, want %d", len(res.Saved), len(rows))
	}
	job = res.Job
	job.State = domain.ImportDone
	if err := db.Imports().UpdateImportJob(ctx, job); err != nil {
		t.Fatal(err)
	}
}

// TestStatsMigrationBackfillsExistingReviews: a database at the schema
// before statistics, holding reviews of three users (two with accounts)
// over several years, some unrated, of movies with and without a
// director, migrates with the accounts public and nameless and the
// statistics of every review in place.
func TestStatsMigrationBackfillsExistingReviews(t *testing.T) {
	path := filepath.Join(t.TempDir(), "moviediary.db")
	raw := rawDB(t, path)
	migrateRawBefore(t, raw, statsMigration)
	userIDs := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	for i, u := range userIDs[:2] {
		if _, err := raw.Exec(`INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)`,
			u[:], fmt.Sprintf("user%d@example.com", i), porttest.NewUser(t, "x@example.com").PasswordHash.PHC(), porttest.FixtureTime.UnixMicro()+int64(i)); err != nil {
			t.Fatalf("insert user at the old schema: %v", err)
		}
	}
	movieIDs := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	for i, m := range movieIDs {
		director := sql.NullString{String: []string{"Chantal Akerman", "Chantal Akerman", ""}[i], Valid: i < 2}
		title := fmt.Sprintf("Old Film %d", i)
		if _, err := raw.Exec(`INSERT INTO movies (id, title, title_key, release_year, director) VALUES (?, ?, ?, 1975, ?)`,
			m[:], title, strings.ToUpper(title), director); err != nil {
			t.Fatalf("insert movie at the old schema: %v", err)
		}
	}
	for i := range 40 {
		id := uuid.New()
		rating := sql.NullInt64{Int64: int64(i % 11), Valid: i%7 != 0}
		watched := time.Date(2019+i%4, time.Month(1+i%12), 1+i%28, 12, 0, 0, 0, time.UTC)
		if _, err := raw.Exec(`INSERT INTO reviews (id, movie_id, user_id, rating_halves, watched_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			id[:], movieIDs[i%3][:], userIDs[i%3*i%2+i%3/2][:], rating, watched.Unix(), porttest.FixtureTime.UnixMicro()); err != nil {
			t.Fatalf("insert review at the old schema: %v", err)
		}
	}
	_ = raw.Close()

	db := mustOpen(t, path) // migrates
	checkStatsExact(t, path, "after migrating")
	var people []domain.UserID
	for _, u := range userIDs {
		people = append(people, mustUserID(t, u))
	}
	checkStatsMatch(t, db, path, "after migrating", people...)
	whole, err := db.Statistics().DiaryStats(t.Context(), domain.StatsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if whole.Viewings != 40 || whole.Films != 3 || len(whole.TopDirectors) != 1 || len(whole.ByYear) != 4 {
		t.Errorf("whole diary after migrating: %d viewings of %d films, %d directors, %d years; want 40, 3, 1, 4",
			whole.Viewings, whole.Films, len(whole.TopDirectors), len(whole.ByYear))
	}
	for _, u := range people[:2] {
		got, err := db.Users().UserByID(t.Context(), u)
		if err != nil {
			t.Fatal(err)
		}
		if got.Private || !got.DisplayName.IsZero() {
			t.Errorf("user after migrating: private %v, display name %q; want public and nameless", got.Private, got.DisplayName)
		}
	}
	// The triggers run from now on.
	m, err := db.Movies().MovieByID(t.Context(), mustMovieID(t, movieIDs[2]))
	if err != nil {
		t.Fatal(err)
	}
	m.Director = mustDirector(t, "Delphine Seyrig")
	mustUpsert(t, db.Movies(), m)
	checkStatsExact(t, path, "after a director set after migrating")
	checkStatsMatch(t, db, path, "after a director set after migrating", people...)
}

// TestProfileColumnsRefuseWhatTheDomainRefuses: the CHECKs of the new
// columns.
func TestProfileColumnsRefuseWhatTheDomainRefuses(t *testing.T) {
	db, path := mustOpenTemp(t)
	u := porttest.NewUser(t, "ann@example.com")
	if err := db.Users().SaveUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	id := u.ID.UUID()
	raw := rawDB(t, path)
	for _, set := range []string{`display_name = ''`, `display_name = '   '`, `display_name = '` + strings.Repeat("é", 51) + `'`, `private = 2`} {
		if _, err := raw.Exec(`UPDATE users SET `+set+` WHERE id = ?`, id[:]); err == nil {
			t.Errorf("UPDATE users SET %s succeeded, want a CHECK to refuse it", set)
		}
	}
	if _, err := raw.Exec(`UPDATE users SET display_name = ? WHERE id = ?`, strings.Repeat("é", 50), id[:]); err != nil {
		t.Errorf("a name of 50 characters refused: %v", err)
	}
}

// TestUpdateProfile sets and removes a name and privacy, reads the user
// back three ways, and finds no unknown user.
func TestUpdateProfile(t *testing.T) {
	ctx := t.Context()
	db, _ := mustOpenTemp(t)
	users := db.Users()
	u := porttest.NewUser(t, "ann@example.com")
	if err := users.SaveUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	name, noName := domain.MustNewDisplayName("Ann Onymous"), domain.DisplayName{}
	yes, no := true, false
	steps := []struct {
		p    domain.ProfileUpdate
		name domain.DisplayName
		priv bool
	}{
		{domain.ProfileUpdate{DisplayName: &name}, name, false},
		{domain.ProfileUpdate{Private: &yes}, name, true},
		{domain.ProfileUpdate{}, name, true},
		{domain.ProfileUpdate{DisplayName: &noName, Private: &no}, noName, false},
		{domain.ProfileUpdate{DisplayName: &name, Private: &yes}, name, true},
	}
	for i, s := range steps {
		got, err := users.UpdateProfile(ctx, u.ID, s.p)
		if err != nil {
			t.Fatalf("step %d: UpdateProfile: %v", i, err)
		}
		for what, read := range map[string]func() (domain.User, error){
			"UpdateProfile": func() (domain.User, error) { return got, nil },
			"UserByID":      func() (domain.User, error) { return users.UserByID(ctx, u.ID) },
			"UserByEmail":   func() (domain.User, error) { return users.UserByEmail(ctx, u.Email) },
			"Owner":         func() (domain.User, error) { return users.Owner(ctx) },
		} {
			r, err := read()
			if err != nil {
				t.Fatalf("step %d: %s: %v", i, what, err)
			}
			if r.DisplayName != s.name || r.Private != s.priv || r.ID != u.ID || r.Email != u.Email {
				t.Errorf("step %d: %s = name %q, private %v; want %q, %v", i, what, r.DisplayName, r.Private, s.name, s.priv)
			}
		}
	}
	if _, err := users.UpdateProfile(ctx, domain.NewUserID(), domain.ProfileUpdate{Private: &yes}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("UpdateProfile(unknown) error = %v, want ErrNotFound", err)
	}
	if _, err := users.UpdateProfile(ctx, domain.NewUserID(), domain.ProfileUpdate{}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("UpdateProfile(unknown, nothing) error = %v, want ErrNotFound", err)
	}
}

func mustDirector(t *testing.T, name string) domain.Director {
	t.Helper()
	d, err := domain.NewDirector(name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestStatsOfAnAccountCreatedPrivate: reviews logged for a user ID before
// its account existed count in the whole diary until the account is
// created private, and again once it is deleted.
func TestStatsOfAnAccountCreatedPrivate(t *testing.T) {
	ctx := t.Context()
	db, path := mustOpenTemp(t)
	u := porttest.NewUser(t, "late@example.com")
	u.Private = true
	m := porttest.NewMovie(t, porttest.NewExternalID(t), "Jeanne Dielman", 1975, "Chantal Akerman")
	for i := range 3 {
		r := porttest.NewReview(t, m.ID, u.ID, float64(i+3), time.Date(2023+i, 3, 3, 0, 0, 0, 0, time.UTC))
		if _, err := db.Movies().SaveViewing(ctx, domain.Viewing{Movie: m, Review: r}); err != nil {
			t.Fatal(err)
		}
	}
	whole := func(when string, want int) {
		t.Helper()
		s, err := db.Statistics().DiaryStats(ctx, domain.StatsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if s.Viewings != want {
			t.Errorf("%s: the whole diary has %d viewings, want %d", when, s.Viewings, want)
		}
		checkStatsExact(t, path, when)
		checkStatsMatch(t, db, path, when, u.ID)
	}
	whole("before the account", 3)
	if err := db.Users().SaveUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Users().UserByID(ctx, u.ID); err != nil || !got.Private {
		t.Fatalf("UserByID = private %v, %v; want a private account", got.Private, err)
	}
	whole("after the account was created private", 0)
	id := u.ID.UUID()
	if _, err := rawDB(t, path).Exec(`DELETE FROM users WHERE id = ?`, id[:]); err != nil {
		t.Fatal(err)
	}
	whole("after the account was deleted", 3)
}
