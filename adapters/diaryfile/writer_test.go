package diaryfile_test

import (
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/diaryfile"
	"github.com/moviediary/moviediary/domain"
)

// entry builds an exported entry; ext may be "".
func entry(t testing.TB, ext, title string, year int, director string, rating *float64, comment string, watched time.Time, rewatch bool) domain.ExportedEntry {
	t.Helper()
	var id domain.ExternalMetadataID
	if ext != "" {
		id = domain.MustParseExternalMetadataID(ext)
	}
	d, err := domain.NewDirector(director)
	if err != nil {
		t.Fatal(err)
	}
	m, err := domain.RestoreMovie(domain.NewMovieID(), id, domain.MustNewMovieTitle(title), domain.MustNewReleaseYear(year), d, domain.PosterPath{})
	if err != nil {
		t.Fatal(err)
	}
	var r domain.Rating
	if rating != nil {
		r = domain.MustNewRating(*rating)
	}
	c, err := domain.NewComment(comment)
	if err != nil {
		t.Fatal(err)
	}
	rv, err := domain.RestoreReview(domain.NewReviewID(), m.ID, domain.NewUserID(), r, c, watched, watched)
	if err != nil {
		t.Fatal(err)
	}
	return domain.ExportedEntry{DiaryEntry: domain.DiaryEntry{Movie: m, Review: rv}, Rewatch: rewatch}
}

func stars(f float64) *float64 { return &f }

func readCSV(t *testing.T, data []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestCSVWriterWritesTheHeaderEvenWithNoEntry(t *testing.T) {
	t.Parallel()
	if got := string(writeCSV(t, nil)); got != "imdbID,Title,Year,Directors,WatchedDate,Rating,Rewatch,Review\n" {
		t.Errorf("got %q", got)
	}
}

func TestCSVWriterCells(t *testing.T) {
	t.Parallel()
	day := time.Date(2024, 1, 5, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		name  string
		entry domain.ExportedEntry
		want  []string
	}{
		{"a full entry", entry(t, "tt0111161", "The Shawshank Redemption", 1994, "Frank Darabont", stars(4.5), "Hope.", day, false),
			[]string{"tt0111161", "The Shawshank Redemption", "1994", "Frank Darabont", "2024-01-05", "4.5", "false", "Hope."}},
		{"a rewatch, not rated, no IMDb ID, no director, no comment", entry(t, "", "Home Movie", 2003, "", nil, "", day, true),
			[]string{"", "Home Movie", "2003", "", "2024-01-05", "", "true", ""}},
		{"zero stars", entry(t, "", "Cats", 2019, "", stars(0), "", day, false),
			[]string{"", "Cats", "2019", "", "2024-01-05", "0", "false", ""}},
		{"formula cells neutralised", entry(t, "", "=1+1", 2019, "@admin", stars(1), "-2+3", day, false),
			[]string{"", "'=1+1", "2019", "'@admin", "2024-01-05", "1", "false", "'-2+3"}},
		{"a plus sign", entry(t, "", "+cmd", 2019, "", nil, "+", day, false),
			[]string{"", "'+cmd", "2019", "", "2024-01-05", "", "false", "'+"}},
		{"a leading quote before a formula character gets one more", entry(t, "", "'=x", 2019, "''@y", nil, "'-z", day, false),
			[]string{"", "''=x", "2019", "'''@y", "2024-01-05", "", "false", "''-z"}},
		{"a leading quote before anything else is left", entry(t, "", "'Burbs", 1989, "", nil, "'tis fine; a=b", day, false),
			[]string{"", "'Burbs", "1989", "", "2024-01-05", "", "false", "'tis fine; a=b"}},
		{"a multi-line comment with quotes", entry(t, "", "Heat", 1995, "", nil, "Line \"one\"\n=line two", day, false),
			[]string{"", "Heat", "1995", "", "2024-01-05", "", "false", "Line \"one\"\n=line two"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			recs := readCSV(t, writeCSV(t, []domain.ExportedEntry{tt.entry}))
			if len(recs) != 2 || strings.Join(recs[1], "|") != strings.Join(tt.want, "|") {
				t.Errorf("wrote %q, want %q", recs, tt.want)
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestCSVWriterReportsWriteErrors(t *testing.T) {
	t.Parallel()
	w := diaryfile.NewCSVWriter(failingWriter{})
	_ = w.Write(entry(t, "", "Heat", 1995, "", nil, "", now, false))
	if err := w.Flush(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Flush: %v, want the write error", err)
	}
}

// TestCSVRoundTrip writes entries and parses them back: every value the
// CSV holds comes back as it was.
func TestCSVRoundTrip(t *testing.T) {
	t.Parallel()
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	entries := []domain.ExportedEntry{
		entry(t, "tt0111161", "The Shawshank Redemption", 1994, "Frank Darabont", stars(5), "Hope is a good thing.", day(1), false),
		entry(t, "tt0111161", "The Shawshank Redemption", 1994, "Frank Darabont", stars(4.5), "Again,\n\"still\" good.\n\n-- me", day(2), true),
		entry(t, "tt0111161", "The Shawshank Redemption", 1994, "Frank Darabont", nil, "", day(2), true),
		entry(t, "", "=HYPERLINK(\"x\")", 2003, "+Director, With Comma", stars(0), "@mention", day(3), false),
		entry(t, "", "'Burbs", 1989, "'=quoted", stars(0.5), "'-", day(4), false),
		entry(t, "", "Tár", 2022, "Todd Field", stars(3.5), "Ünïcödé — “quotes” 🎬", day(5), false),
	}
	got := parse(t, "", domain.ImportFile{Name: "export.csv", Data: writeCSV(t, entries)})
	if got.Source != domain.ImportMoviediary || len(got.Problems) != 0 || got.Skipped != 0 {
		t.Fatalf("source %q problems %q skipped %d", got.Source, problemsOf(got), got.Skipped)
	}
	want := make([]view, len(entries))
	for i, e := range entries {
		want[i] = view{
			Title: e.Movie.Title.String(), Year: e.Movie.ReleaseYear.Int(), Watched: e.Review.WatchedAt.Format("2006-01-02"),
			Rating: e.Review.Rating.String(), Comment: e.Review.Comment.String(), Director: e.Movie.Director.String(),
			IMDb: e.Movie.ExternalID.String(),
		}
	}
	assertViews(t, got.Rows, want)
	assertUniqueKeys(t, got.Rows)
}

// FuzzCSVRoundTrip checks that any title, director and comment the domain
// accepts survives the CSV export and import.
func FuzzCSVRoundTrip(f *testing.F) {
	for _, s := range [][3]string{
		{"Heat", "Michael Mann", "Good."},
		{"=1+1", "@x", "-\n+"},
		{"'=x", "''", "'\t@"},
		{`"Crocodile" Dundee`, "a,b", "line\r\nbreak"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, title, director, comment string) {
		mt, err1 := domain.NewMovieTitle(title)
		d, err2 := domain.NewDirector(director)
		c, err3 := domain.NewComment(comment)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Skip()
		}
		e := entry(t, "", mt.String(), 2000, d.String(), nil, c.String(), now.Truncate(24*time.Hour), false)
		got, err := diaryfile.NewParser(diaryfile.Limits{}).ParseImport(
			[]domain.ImportFile{{Name: "export.csv", Data: writeCSV(t, []domain.ExportedEntry{e})}}, "", now)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Rows) != 1 {
			t.Fatalf("rows %d, problems %q", len(got.Rows), problemsOf(got))
		}
		r := got.Rows[0]
		if r.Title != mt || r.Director != d || r.Comment != c {
			t.Errorf("got %q %q %q, want %q %q %q", r.Title, r.Director, r.Comment, mt, d, c)
		}
	})
}
