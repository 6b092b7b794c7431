package postgres_test

import (
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// statsMigration adds profiles, private diaries, the statistics tables
// and the change notifications.
const statsMigration = "0009_profiles_stats.sql"

// TestStatsMigrationBackfillsTheDiary: a database at the schema before
// statistics, holding two accounts, reviews of a user with no account,
// rated and unrated viewings over three years (some on either side of a
// new year in UTC), movies with and without a director, and a bulk insert,
// migrates with every statistic counted from the reviews; the accounts
// read back public and nameless; the statistics then follow a diary made
// private, a merge and a director found later; and the schema refuses a
// display name that is blank, untrimmed or too long.
func TestStatsMigrationBackfillsTheDiary(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	raw := rawDB(t, url)
	migrateRawBefore(t, raw, statsMigration)

	old := openURL(t, url, false)
	ann, bob := porttest.NewUser(t, "ann@example.com"), porttest.NewUser(t, "bob@example.com")
	bob.CreatedAt = ann.CreatedAt.Add(time.Minute)
	for _, u := range []domain.User{ann, bob} {
		if err := old.Users().SaveUser(ctx, u); err != nil {
			t.Fatalf("SaveUser at the old schema: %v", err)
		}
	}
	ghost := domain.NewUserID()
	ext := porttest.NewExternalID(t)
	ran := porttest.NewMovie(t, ext, "Ran", 1985, "Akira Kurosawa")
	copyOfRan := porttest.NewMovie(t, domain.ExternalMetadataID{}, "Ran", 1985, "")
	ikiru := porttest.NewMovie(t, porttest.NewExternalID(t), "Ikiru", 1952, "Akira Kurosawa")
	cleo := porttest.NewMovie(t, porttest.NewExternalID(t), "Cléo from 5 to 7", 1962, "Agnès Varda")
	start := time.Date(2022, 12, 31, 22, 0, 0, 0, time.UTC)
	for i := range 30 {
		m := []domain.Movie{ran, copyOfRan, ikiru, cleo}[i%4]
		user := []domain.UserID{ann.ID, bob.ID, ghost}[i%3]
		stars := float64(i%11) / 2
		r := porttest.NewReview(t, m.ID, user, stars, start.Add(time.Duration(i)*37*24*time.Hour+time.Duration(i)*time.Hour))
		if i%7 == 0 {
			r.Rating = domain.Rating{}
		}
		sv, err := old.Movies().SaveViewing(ctx, domain.Viewing{Movie: m, Review: r})
		if err != nil {
			t.Fatalf("SaveViewing at the old schema: %v", err)
		}
		switch m.ID {
		case ran.ID:
			ran = sv.Movie
		case copyOfRan.ID:
			copyOfRan = sv.Movie
		}
	}
	// The old schema's bulk path: one statement, many rows.
	if _, err := raw.ExecContext(ctx, `INSERT INTO reviews (id, movie_id, user_id, rating_halves, watched_at, created_at)
		SELECT gen_random_uuid(), $1, $2, nullif(i % 12, 11), $3::timestamptz + i * interval '9 days', $3
		FROM generate_series(1, 200) AS i`, ikiru.ID.UUID(), ann.ID.UUID(), start); err != nil {
		t.Fatalf("bulk insert at the old schema: %v", err)
	}

	db := openURL(t, url, false)
	applied, err := db.MigrateReport(ctx)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if len(applied) == 0 || applied[0] != 9 {
		t.Errorf("Migrate applied %v, want 9 and the later versions", applied)
	}
	checkStatsExact(t, raw, "after the migration")
	checkCountsExact(t, raw)
	for _, u := range []domain.User{ann, bob} {
		got, err := db.Users().UserByID(ctx, u.ID)
		if err != nil || !got.DisplayName.IsZero() || got.Private {
			t.Errorf("UserByID(%s) after the migration = %+v, %v; want no display name, public", u.Email, got, err)
		}
	}

	// The statistics DiaryStats reads, against the reviews counted here.
	annStats, err := db.Statistics().DiaryStats(ctx, domain.StatsQuery{User: ann.ID})
	if err != nil {
		t.Fatal(err)
	}
	if want := queryInt(t, raw, `SELECT count(*) FROM reviews WHERE user_id = $1`, ann.ID.UUID()); annStats.Viewings != want {
		t.Errorf("Ann's viewings %d, want %d", annStats.Viewings, want)
	}
	if want := queryInt(t, raw, `SELECT count(*) FROM reviews WHERE user_id = $1 AND rating_halves IS NOT NULL`, ann.ID.UUID()); annStats.Rated != want {
		t.Errorf("Ann's rated viewings %d, want %d", annStats.Rated, want)
	}
	if want := queryInt(t, raw, `SELECT coalesce(sum(rating_halves), 0) FROM reviews WHERE user_id = $1`, ann.ID.UUID()); annStats.RatingHalves != want {
		t.Errorf("Ann's rating sum %d half stars, want %d", annStats.RatingHalves, want)
	}
	if want := queryInt(t, raw, `SELECT count(DISTINCT extract(year FROM watched_at AT TIME ZONE 'UTC')) FROM reviews WHERE user_id = $1`, ann.ID.UUID()); len(annStats.ByYear) != want {
		t.Errorf("Ann's years %+v, want %d of them", annStats.ByYear, want)
	}
	if len(annStats.TopFilms) == 0 || annStats.TopFilms[0].Movie.ID != ikiru.ID {
		t.Errorf("Ann's top films %+v, want Ikiru first", annStats.TopFilms)
	}
	year := annStats.ByYear[1].Year
	inYear, err := db.Statistics().DiaryStats(ctx, domain.StatsQuery{User: ann.ID, Year: year})
	if err != nil {
		t.Fatal(err)
	}
	if inYear.Viewings != annStats.ByYear[1].Viewings || inYear.Films != annStats.ByYear[1].Films || len(inYear.ByYear) != 1 {
		t.Errorf("Ann's %d: %d viewings of %d films, years %+v; want the all-time ByYear's %+v",
			year, inYear.Viewings, inYear.Films, inYear.ByYear, annStats.ByYear[1])
	}
	whole, err := db.Statistics().DiaryStats(ctx, domain.StatsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if want := queryInt(t, raw, `SELECT count(*) FROM reviews`); whole.Viewings != want {
		t.Errorf("the whole diary's viewings %d, want every review's %d", whole.Viewings, want)
	}

	// The migrated statistics follow later writes.
	on := true
	if _, err := db.Users().UpdateProfile(ctx, ann.ID, domain.ProfileUpdate{Private: &on}); err != nil {
		t.Fatalf("UpdateProfile: %v", err)
	}
	checkStatsExact(t, raw, "after a migrated diary made private")
	got, _, err := db.Movies().IdentifyMovie(ctx, copyOfRan.ID, domain.MovieMetadata{ExternalID: ext, Title: ran.Title, ReleaseYear: ran.ReleaseYear}, porttest.FixtureTime)
	if err != nil || got.ID != ran.ID {
		t.Fatalf("IdentifyMovie(copy) = %v, %v; want a merge into Ran", got.ID, err)
	}
	checkStatsExact(t, raw, "after a merge")
	if _, err := raw.ExecContext(ctx, `UPDATE movies SET director = 'Agnès Varda' WHERE director IS NULL`); err != nil {
		t.Fatal(err)
	}
	checkStatsExact(t, raw, "after a director found later")

	for _, name := range []string{"", "  ", " Ann", "Ann ", strings.Repeat("é", 51)} {
		if _, err := raw.ExecContext(ctx, `UPDATE users SET display_name = $2 WHERE id = $1`, bob.ID.UUID(), name); err == nil {
			t.Errorf("the schema stored the display name %q", name)
		}
	}
	if _, err := raw.ExecContext(ctx, `UPDATE users SET display_name = $2 WHERE id = $1`, bob.ID.UUID(), strings.Repeat("é", 50)); err != nil {
		t.Errorf("the schema refused a display name of 50 characters: %v", err)
	}
	if n := queryInt(t, raw, `SELECT count(*) FROM reviews WHERE movie_id = $1`, copyOfRan.ID.UUID()); n != 0 {
		t.Errorf("%d reviews left on the merged movie", n)
	}
}
