package presentation

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// exportEntry builds an entry for the export writer's tests.
func exportEntry(t testing.TB, title, director, comment string, rating float64, poster bool) domain.ExportedEntry {
	t.Helper()
	tt, err := domain.NewMovieTitle(title)
	if err != nil {
		t.Fatal(err)
	}
	d, err := domain.NewDirector(director)
	if err != nil {
		t.Fatal(err)
	}
	var ext domain.ExternalMetadataID
	if director != "" {
		ext = domain.MustParseExternalMetadataID("tt0111161")
	}
	m, err := domain.NewMovie(ext, tt, domain.MustNewReleaseYear(1994), d)
	if err != nil {
		t.Fatal(err)
	}
	if poster {
		m.PosterPath = domain.MustNewPosterPath("posters/" + m.ID.String() + ".jpg")
	}
	c, err := domain.NewComment(comment)
	if err != nil {
		t.Fatal(err)
	}
	var r domain.Rating
	if rating > 0 {
		r = domain.MustNewRating(rating)
	}
	return domain.ExportedEntry{DiaryEntry: domain.DiaryEntry{Movie: m, Review: domain.Review{
		ID: domain.NewReviewID(), MovieID: m.ID, UserID: domain.NewUserID(), Rating: r, Comment: c,
		WatchedAt: time.Date(2024, 5, 1, 20, 30, 0, 0, time.UTC), CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 67890, time.UTC),
	}}}
}

// TestJSONExportWriterEncodesAsTheAPI: the export's hand-written
// encoding gives, byte for byte, what encoding/json gives for the API's
// EntryJSON — quotes, backslashes, control characters, HTML characters,
// U+2028, non-ASCII, null values, half stars and posters included.
func TestJSONExportWriterEncodesAsTheAPI(t *testing.T) {
	t.Parallel()
	entries := []domain.ExportedEntry{
		exportEntry(t, "The Shawshank Redemption", "Frank Darabont", "Hope, \"redemption\"\nand a \\ second line\t<b>&</b>", 4.5, true),
		exportEntry(t, "Amélie — 東京 <&>", "", "", 0, false),
		exportEntry(t, "=SUM(A1)", "Jean-Pierre Jeunet", "line\r\nsep \u2028 para \u2029 end", 0.5, false),
		exportEntry(t, "Se7en", "David Fincher", "5 stars", 5, true),
	}
	for halves := 1; halves <= 10; halves++ {
		entries = append(entries, exportEntry(t, "Rated", "", "", float64(halves)/2, false))
	}
	var got bytes.Buffer
	w := NewJSONExportWriter(&got, time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC))
	var want bytes.Buffer
	want.WriteString(`{"format":"moviediary","version":1,"exported_at":"2026-12-03T07:00:00Z","entries":[` + "\n")
	for i, e := range entries {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			want.WriteString(",\n")
		}
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(entryJSON(e.DiaryEntry)); err != nil {
			t.Fatal(err)
		}
		want.Truncate(want.Len() - 1) // the encoder's newline
	}
	want.WriteString("\n]}\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("export:\n got %s\nwant %s", got.String(), want.String())
	}
	if !json.Valid(got.Bytes()) {
		t.Error("the export is not valid JSON")
	}
	if err := w.Write(entries[0]); err == nil {
		t.Error("a write after Flush succeeded")
	}
}

// TestAppendStringJSONInvalidUTF8: bytes that are not UTF-8 become
// U+FFFD, as encoding/json writes them.
func TestAppendStringJSONInvalidUTF8(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"a\xffb", "\xc3", "ok\xe2\x80", "\xed\xa0\x80x"} {
		want, _ := json.Marshal(s)
		if got := appendStringJSON(nil, s); string(got) != string(want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
}

func BenchmarkJSONExportWrite(b *testing.B) {
	e := exportEntry(b, "The Shawshank Redemption", "Frank Darabont", "Hope is a good thing, maybe the best of things.", 4.5, true)
	w := NewJSONExportWriter(io.Discard, time.Now())
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(e); err != nil {
			b.Fatal(err)
		}
	}
}
