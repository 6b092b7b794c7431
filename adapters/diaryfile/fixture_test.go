package diaryfile_test

import (
	"archive/zip"
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/diaryfile"
	"github.com/moviediary/moviediary/domain"
)

// update rewrites the generated fixtures: go test -run Fixture -update.
var update = flag.Bool("update", false, "rewrite testdata/letterboxd-export.zip and testdata/moviediary/export.csv")

// letterboxdFiles are the fixture's files a person uploads one by one.
var letterboxdFiles = []string{
	"letterboxd/diary.csv", "letterboxd/reviews.csv", "letterboxd/ratings.csv",
	"letterboxd/watched.csv", "letterboxd/watchlist.csv", "letterboxd/profile.csv",
}

// letterboxdWant are the viewings of testdata/letterboxd, as
// testdata/README.md lists them.
var letterboxdWant = []view{
	{File: "diary.csv", Line: 2, Title: "Parasite", Year: 2019, Watched: "2023-01-04", Rating: "4.5"},
	{File: "diary.csv", Line: 3, Title: "Everything Everywhere All at Once", Year: 2022, Watched: "2023-02-11", Rating: "4",
		Comment: "Hot dog fingers. That's all, that's the review."},
	{File: "diary.csv", Line: 4, Title: "The Lighthouse", Year: 2019, Watched: "2023-03-01"},
	{File: "diary.csv", Line: 5, Title: "The Lighthouse", Year: 2019, Watched: "2023-03-01", Rating: "3"},
	{File: "diary.csv", Line: 6, Title: "Crouching Tiger, Hidden Dragon", Year: 2000, Watched: "2023-04-15", Rating: "3.5"},
	{File: "diary.csv", Line: 7, Title: "Cats", Year: 2019, Watched: "2023-05-20", Rating: "0.5"},
	{File: "diary.csv", Line: 8, Title: "Tár", Year: 2022, Watched: "2023-06-01", Rating: "4"},
	{File: "diary.csv", Line: 9, Title: "Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb", Year: 1964, Watched: "2023-07-04", Rating: "5"},
	{File: "diary.csv", Line: 10, Title: `"Crocodile" Dundee`, Year: 1986, Watched: "2023-07-30", Rating: "2.5"},
	{File: "diary.csv", Line: 11, Title: "Parasite", Year: 2019, Watched: "2024-03-10", Rating: "5",
		Comment: "Second time.\n\nStill the \"peach\" scene gets me."},
	{File: "reviews.csv", Line: 6, Title: "Aftersun", Year: 2022, Watched: "2023-08-12", Rating: "4.5",
		Comment: "Under Pressure, at 1:13 — devastating."},
	{File: "ratings.csv", Line: 2, Title: "Heat", Year: 1995, Watched: "2022-10-01", Rating: "4"},
	{File: "ratings.csv", Line: 3, Title: "Spirited Away", Year: 2001, Watched: "2022-11-20", Rating: "5"},
	{File: "watched.csv", Line: 2, Title: "Alien", Year: 1979, Watched: "2022-09-15"},
}

var imdbWant = []view{
	{File: "ratings.csv", Line: 2, Title: "The Shawshank Redemption", Year: 1994, Watched: "2021-03-14", Rating: "5", Director: "Frank Darabont", IMDb: "tt0111161"},
	{File: "ratings.csv", Line: 5, Title: "Fargo", Year: 1996, Watched: "2021-05-09", Rating: "4", Director: "Joel Coen", IMDb: "tt0116282"},
	{File: "ratings.csv", Line: 7, Title: "Spirited Away", Year: 2001, Watched: "2021-07-01", Rating: "4.5", Director: "Hayao Miyazaki", IMDb: "tt0245429"},
	{File: "ratings.csv", Line: 8, Title: "Crouching Tiger, Hidden Dragon", Year: 2000, Watched: "2021-08-15", Rating: "3.5", Director: "Ang Lee", IMDb: "tt0190332"},
	{File: "ratings.csv", Line: 9, Title: "Sherlock: The Abominable Bride", Year: 2016, Watched: "2021-09-04", Rating: "3.5", Director: "Douglas Mackinnon", IMDb: "tt3845232"},
	{File: "ratings.csv", Line: 10, Title: "Bao", Year: 2018, Watched: "2021-10-10", Rating: "3.5", Director: "Domee Shi", IMDb: "tt6840134"},
	{File: "ratings.csv", Line: 12, Title: "Cats", Year: 2019, Watched: "2021-12-24", Rating: "0.5", Director: "Tom Hooper", IMDb: "tt5697572"},
}

var moviediaryJSONWant = []view{
	{File: "export.json", Line: 6, Title: "The Shawshank Redemption", Year: 1994, Watched: "2024-01-05T21:30:00", Rating: "5",
		Comment: "Hope is a good thing, maybe the best of things.", Director: "Frank Darabont", IMDb: "tt0111161"},
	{File: "export.json", Line: 25, Title: "Parasite", Year: 2019, Watched: "2024-02-01T20:00:00", Rating: "4.5", Director: "Bong Joon Ho", IMDb: "tt6751668"},
	{File: "export.json", Line: 44, Title: "Parasite", Year: 2019, Watched: "2024-06-15T19:45:00",
		Comment: "=HYPERLINK(\"http://evil.example\",\"click\")\nStill great the second time.", Director: "Bong Joon Ho", IMDb: "tt6751668"},
	{File: "export.json", Line: 63, Title: "My Cousin's Wedding Tape", Year: 2003, Watched: "2024-07-04T12:00:00", Rating: "0",
		Comment: "-- home movie, no IMDb entry"},
}

func fixtures(t *testing.T, paths ...string) []domain.ImportFile {
	t.Helper()
	out := make([]domain.ImportFile, len(paths))
	for i, p := range paths {
		out[i] = fixture(t, p)
	}
	return out
}

func keysByView(rows []domain.ImportRow) map[string]domain.ImportRowKey {
	out := map[string]domain.ImportRowKey{}
	for _, r := range rows {
		v := viewOf(r)
		v.File, v.Line = "", 0
		out[v.String()] = r.Key
	}
	return out
}

func TestLetterboxdFixtureFilesOneByOne(t *testing.T) {
	t.Parallel()
	got := parse(t, "", fixtures(t, letterboxdFiles...)...)
	if got.Source != domain.ImportLetterboxd || got.Skipped != 0 {
		t.Errorf("source %q skipped %d, want letterboxd 0", got.Source, got.Skipped)
	}
	assertViews(t, got.Rows, letterboxdWant)
	assertUniqueKeys(t, got.Rows)
	want := []string{"watchlist.csv:0 ignored: not a diary file", "profile.csv:0 ignored: not a diary file"}
	if p := problemsOf(got); !slices.Equal(p, want) {
		t.Errorf("problems %q, want %q", p, want)
	}
	again := parse(t, domain.ImportLetterboxd, fixtures(t, letterboxdFiles...)...)
	if !reflect.DeepEqual(got, again) {
		t.Error("parsing the same files twice gave different results")
	}
}

// TestKeysArePinned: a release that changed how keys are made would import
// every earlier import again.
func TestKeysArePinned(t *testing.T) {
	t.Parallel()
	lb := parse(t, "", fixture(t, "letterboxd-export.zip")).Rows
	md := parse(t, "", fixture(t, "moviediary/export.csv")).Rows
	for _, c := range []struct {
		row  domain.ImportRow
		want domain.ImportRowKey
	}{
		{lb[0], "b0bfb337eaee00414923ad9ba561c44c5772d106249ab619c6ddbc9b07cef0e9"},  // Parasite, diary
		{lb[10], "647ed8622bfdf65b71f6e12e83beb88f1363a22ac9f0e78dd764fb7cae6e0523"}, // Aftersun, review
		{lb[11], "643079433a74403c1be0d46bd6edeb5702a7471d263dd2aa30c9022ad30912ca"}, // Heat, rated
		{md[3], "9a10387bf19cc6f089af3638f071fee6fc838f74788d0433b2fee60be4bd76a4"},  // moviediary CSV, no IMDb ID
	} {
		if c.row.Key != c.want {
			t.Errorf("%s: key %s, want %s", c.row.Title, c.row.Key, c.want)
		}
	}
}

func TestLetterboxdFixtureKeysDoNotDependOnUploadOrder(t *testing.T) {
	t.Parallel()
	inOrder := parse(t, "", fixtures(t, letterboxdFiles[:4]...)...)
	reversed := parse(t, "", fixtures(t, "letterboxd/watched.csv", "letterboxd/ratings.csv", "letterboxd/reviews.csv", "letterboxd/diary.csv")...)
	zipped := parse(t, "", fixture(t, "letterboxd-export.zip"))
	a, b, c := keysByView(inOrder.Rows), keysByView(reversed.Rows), keysByView(zipped.Rows)
	if len(a) != len(letterboxdWant) || !reflect.DeepEqual(a, b) || !reflect.DeepEqual(a, c) {
		t.Errorf("keys differ:\nin order %v\nreversed %v\nzipped   %v", a, b, c)
	}
}

func TestLetterboxdFixtureZip(t *testing.T) {
	t.Parallel()
	got := parse(t, "", fixture(t, "letterboxd-export.zip"))
	assertViews(t, got.Rows, letterboxdWant)
	want := []string{
		"likes/films.csv:0 ignored: not a diary file",
		"lists/favourites.csv:0 ignored: not a diary file",
		"profile.csv:0 ignored: not a diary file",
		"watchlist.csv:0 ignored: not a diary file",
	}
	if p := problemsOf(got); !slices.Equal(p, want) || got.Skipped != 0 {
		t.Errorf("problems %q skipped %d, want %q 0", p, got.Skipped, want)
	}
}

// TestLetterboxdFixtureZipIsCurrent checks that letterboxd-export.zip holds
// testdata/letterboxd; with -update it writes it.
func TestLetterboxdFixtureZipIsCurrent(t *testing.T) {
	const path = "testdata/letterboxd-export.zip"
	if *update {
		if err := os.WriteFile(path, zipDir(t, "testdata/letterboxd"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("testdata/letterboxd", filepath.FromSlash(f.Name)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: member differs from testdata/letterboxd (%v); run go test -run FixtureZipIsCurrent -update", f.Name, err)
		}
	}
	want := []string{"diary.csv", "likes/films.csv", "lists/favourites.csv", "profile.csv", "ratings.csv", "reviews.csv", "watched.csv", "watchlist.csv"}
	if !slices.Equal(names, want) {
		t.Errorf("members %q, want %q", names, want)
	}
}

func TestIMDbFixture(t *testing.T) {
	t.Parallel()
	got := parse(t, "", fixture(t, "imdb/ratings.csv"))
	if got.Source != domain.ImportIMDb || got.Skipped != 4 || len(got.Problems) != 0 {
		t.Errorf("source %q skipped %d problems %q, want imdb, 4 (series, episode, mini series, game), none",
			got.Source, got.Skipped, problemsOf(got))
	}
	assertViews(t, got.Rows, imdbWant)
	for _, r := range got.Rows {
		if string(r.Key) != "imdb:"+r.ExternalID.String() {
			t.Errorf("key %q for %s", r.Key, r.ExternalID)
		}
	}
}

func TestMoviediaryJSONFixture(t *testing.T) {
	t.Parallel()
	got := parse(t, "", fixture(t, "moviediary/export.json"))
	if got.Source != domain.ImportMoviediary || got.Skipped != 0 || len(got.Problems) != 0 {
		t.Errorf("source %q skipped %d problems %q", got.Source, got.Skipped, problemsOf(got))
	}
	assertViews(t, got.Rows, moviediaryJSONWant)
	first := got.Rows[0]
	if first.MovieID.String() != "01890a5d-ac96-774b-bcce-b302099a8057" ||
		first.ReviewID.String() != "018cd9a1-5e3f-7c21-9b0a-3f4e5d6c7b8a" ||
		string(first.Key) != first.ReviewID.String() ||
		!first.CreatedAt.Equal(time.Date(2024, 1, 5, 22, 1, 12, 123456000, time.UTC)) {
		t.Errorf("IDs and creation not restored: %+v", first)
	}
	if got.Rows[1].MovieID != got.Rows[2].MovieID {
		t.Error("the two viewings of Parasite have different movie IDs")
	}
}

func TestMoviediaryCSVFixture(t *testing.T) {
	t.Parallel()
	got := parse(t, "", fixture(t, "moviediary/export.csv"))
	if got.Source != domain.ImportMoviediary || got.Skipped != 0 || len(got.Problems) != 0 {
		t.Errorf("source %q skipped %d problems %q", got.Source, got.Skipped, problemsOf(got))
	}
	want := slices.Clone(moviediaryJSONWant)
	lines := []int{2, 3, 4, 6}
	for i := range want {
		want[i].File, want[i].Line = "export.csv", lines[i]
		want[i].Watched = want[i].Watched[:len("2006-01-02")]
	}
	assertViews(t, got.Rows, want)
	assertUniqueKeys(t, got.Rows)
}

// entriesOf rebuilds the diary entries a moviediary JSON export's rows
// came from, marking rewatches.
func entriesOf(t testing.TB, rows []domain.ImportRow) []domain.ExportedEntry {
	t.Helper()
	user := domain.NewUserID()
	seen := map[domain.MovieID]bool{}
	out := make([]domain.ExportedEntry, len(rows))
	for i, r := range rows {
		movieID, reviewID, created := r.MovieID, r.ReviewID, r.CreatedAt
		if movieID.IsZero() {
			movieID, reviewID, created = domain.NewMovieID(), domain.NewReviewID(), now
		}
		m, err := domain.RestoreMovie(movieID, r.ExternalID, r.Title, r.Year, r.Director, domain.PosterPath{})
		if err != nil {
			t.Fatal(err)
		}
		rv, err := domain.RestoreReview(reviewID, movieID, user, r.Rating, r.Comment, r.WatchedAt, created)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = domain.ExportedEntry{DiaryEntry: domain.DiaryEntry{Movie: m, Review: rv}, Rewatch: seen[movieID]}
		seen[movieID] = true
	}
	return out
}

func writeCSV(t testing.TB, entries []domain.ExportedEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := diaryfile.NewCSVWriter(&buf)
	for _, e := range entries {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestMoviediaryCSVFixtureIsWhatTheWriterWrites checks that export.csv is
// CSVWriter's export of export.json; with -update it writes it.
func TestMoviediaryCSVFixtureIsWhatTheWriterWrites(t *testing.T) {
	const path = "testdata/moviediary/export.csv"
	got := writeCSV(t, entriesOf(t, parse(t, "", fixture(t, "moviediary/export.json")).Rows))
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("CSVWriter wrote\n%s\nexport.csv holds\n%s", got, want)
	}
}
