package e2e_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The import and export API end to end: uploads through POST
// /api/imports, jobs followed through GET /api/imports/{id}, the diary
// checked through GET /api/diary, exports through GET /api/export.

// importFixtures holds the import fixtures of adapters/diaryfile (its
// README.md says what each holds).
var importFixtures = filepath.Join("..", "..", "adapters", "diaryfile", "testdata")

// importDeadline bounds the wait for an import job, or for the enrichment
// after it.
const importDeadline = 60 * time.Second

// upload is one file part of an import upload.
type upload struct {
	name string
	data []byte
}

// fixture reads a file of importFixtures as an upload.
func importFixture(t *testing.T, name string) upload {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(importFixtures, name))
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return upload{name: name, data: b}
}

// multipartBody builds a multipart/form-data body of files (parts named
// "file") and fields; it returns the body and its Content-Type.
func multipartBody(t *testing.T, files []upload, fields ...string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := mw.WriteField(fields[i], fields[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, f.name))
		h.Set("Content-Type", "application/octet-stream")
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(f.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// postImport uploads files (and form fields, name then value) to POST
// /api/imports?query.
func (s *server) postImport(t *testing.T, token, query string, files []upload, fields ...string) response {
	t.Helper()
	body, ct := multipartBody(t, files, fields...)
	path := "/api/imports"
	if query != "" {
		path += "?" + query
	}
	h := map[string]string{"Content-Type": ct}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	return s.do(t, req{method: http.MethodPost, path: path, body: body, header: h})
}

// startedImport answers POST /api/imports.
type startedImport struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	DryRun bool   `json:"dry_run"`
}

// startImport uploads files and requires a 202 with the job's location.
func (s *server) startImport(t *testing.T, token, query string, files []upload, fields ...string) startedImport {
	t.Helper()
	r := s.postImport(t, token, query, files, fields...)
	var out startedImport
	decodeStrict(t, r, http.StatusAccepted, &out)
	requireKeys(t, r.Body, "id", "state", "dry_run")
	if loc := r.Header.Get("Location"); loc != "/api/imports/"+out.ID {
		t.Errorf("Location = %q, want /api/imports/%s", loc, out.ID)
	}
	if out.State != "queued" && out.State != "running" {
		t.Errorf("started job state = %q, want queued", out.State)
	}
	return out
}

// importProblem is one problem of a job.
type importProblem struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// importJob is a job as GET /api/imports/{id} shows it.
type importJob struct {
	ID             string          `json:"id"`
	State          string          `json:"state"`
	DryRun         bool            `json:"dry_run"`
	RowsTotal      int             `json:"rows_total"`
	RowsDone       int             `json:"rows_done"`
	Imported       int             `json:"imported"`
	AlreadyPresent int             `json:"already_present"`
	Skipped        int             `json:"skipped"`
	Unmatched      int             `json:"unmatched"`
	Problems       []importProblem `json:"problems"`
	ProblemsMore   int             `json:"problems_more"`
}

// importJobKeys are the members of a job, every one always present.
var importJobKeys = []string{"id", "state", "dry_run", "rows_total", "rows_done", "imported", "already_present",
	"skipped", "unmatched", "problems", "problems_more"}

// importJobOf reads job id with token.
func (s *server) importJobOf(t *testing.T, token, id string) importJob {
	t.Helper()
	r := s.call(t, http.MethodGet, "/api/imports/"+id, nil, token)
	var j importJob
	decodeStrict(t, r, http.StatusOK, &j)
	requireKeys(t, r.Body, importJobKeys...)
	return j
}

// waitImport polls job id until it ends and requires it done.
func (s *server) waitImport(t *testing.T, token, id string) importJob {
	t.Helper()
	deadline := time.Now().Add(importDeadline)
	for {
		j := s.importJobOf(t, token, id)
		if j.State == "done" {
			if j.RowsDone != j.RowsTotal {
				t.Errorf("done job has rows_done %d of %d", j.RowsDone, j.RowsTotal)
			}
			return j
		}
		if j.State == "failed" {
			t.Fatalf("import %s failed: %+v", id, j)
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %s still %s after %s: %+v", id, j.State, importDeadline, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// importAndWait uploads files and waits for the job to end.
func (s *server) importAndWait(t *testing.T, token, query string, files []upload, fields ...string) importJob {
	t.Helper()
	started := s.startImport(t, token, query, files, fields...)
	return s.waitImport(t, token, started.ID)
}

// allEntries reads the whole diary (of user, or everyone's when ""),
// oldest viewing first, page by page.
func (s *server) allEntries(t *testing.T, user string) []entryJSON {
	t.Helper()
	var out []entryJSON
	q := "sort_by=asc&limit=100"
	if user != "" {
		q += "&user_id=" + user
	}
	cursor := ""
	for {
		query := q
		if cursor != "" {
			query += "&cursor=" + cursor
		}
		d := s.diary(t, query)
		out = append(out, d.Items...)
		if d.NextCursor == nil {
			return out
		}
		cursor = *d.NextCursor
	}
}

// viewing is what a diary entry says of a viewing, for comparisons.
type viewing struct {
	Title, Director, Rating, Comment, WatchedAt string
	Year                                        int
	IMDb                                        string
}

func (v viewing) String() string {
	return fmt.Sprintf("%s (%d) [%s] by %q on %s rated %s: %q", v.Title, v.Year, v.IMDb, v.Director, v.WatchedAt, v.Rating, v.Comment)
}

func viewingOf(e entryJSON) viewing {
	v := viewing{Title: e.Movie.Title, Year: e.Movie.ReleaseYear, Rating: e.Review.rating(), WatchedAt: e.Review.WatchedAt}
	if e.Movie.Director != nil {
		v.Director = *e.Movie.Director
	}
	if e.Review.Comment != nil {
		v.Comment = *e.Review.Comment
	}
	if e.Movie.ExternalMetadataID != nil {
		v.IMDb = *e.Movie.ExternalMetadataID
	}
	return v
}

func viewingsOf(entries []entryJSON) []viewing {
	out := make([]viewing, 0, len(entries))
	for _, e := range entries {
		out = append(out, viewingOf(e))
	}
	return out
}

// diffViewings lists how got differs from want, line by line.
func diffViewings(got, want []viewing) string {
	var b strings.Builder
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i].String()
		}
		if i < len(want) {
			w = want[i].String()
		}
		if g != w {
			fmt.Fprintf(&b, "  #%d\n    got  %s\n    want %s\n", i, g, w)
		}
	}
	return b.String()
}

// letterboxdDiary is a Letterboxd diary.csv of rows (each a line without
// its newline).
func letterboxdDiary(rows ...string) upload {
	return upload{name: "diary.csv", data: []byte("Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n" + strings.Join(rows, "\n") + "\n")}
}

// TestImportIMDbRatings: an IMDb ratings export imports its films, one
// viewing each dated by Date Rated and rated stars/2, and skips (counting
// them) the rows that are not films; importing it again adds nothing; a
// dry run reports without writing.
func TestImportIMDbRatings(t *testing.T) {
	t.Parallel()
	imdb := upload{name: "ratings.csv", data: []byte(
		"Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres,Num Votes,Release Date,Directors\n" +
			"tt0111161,10,2024-03-01,The Shawshank Redemption,The Shawshank Redemption,https://www.imdb.com/title/tt0111161/,Movie,9.3,142,1994,Drama,2900000,1994-09-23,Frank Darabont\n" +
			"tt0903747,9,2024-03-02,Breaking Bad,Breaking Bad,https://www.imdb.com/title/tt0903747/,TV Series,9.5,49,2008,\"Crime, Drama\",2100000,2008-01-20,\n" +
			"tt0133093,7,2024-03-03,The Matrix,The Matrix,https://www.imdb.com/title/tt0133093/,Movie,8.7,136,1999,\"Action, Sci-Fi\",2000000,1999-03-31,\"Lana Wachowski, Lilly Wachowski\"\n" +
			"tt2301451,10,2024-03-04,Ozymandias,Ozymandias,https://www.imdb.com/title/tt2301451/,TV Episode,10,47,2013,Drama,230000,2013-09-15,Rian Johnson\n")}
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		token, _ := s.account(t, "owner@example.com")

		dry := s.importAndWait(t, token, "dry_run=true", []upload{imdb})
		if !dry.DryRun || dry.RowsTotal != 4 || dry.Imported != 2 || dry.Skipped != 2 || dry.AlreadyPresent != 0 {
			t.Errorf("dry run = %+v, want 4 rows: 2 imported, 2 skipped", dry)
		}
		if n := s.totalCount(t); n != 0 {
			t.Fatalf("a dry run wrote %d entries", n)
		}

		job := s.importAndWait(t, token, "", []upload{imdb}, "source", "imdb")
		if job.DryRun || job.RowsTotal != 4 || job.Imported != 2 || job.Skipped != 2 || job.AlreadyPresent != 0 || job.Unmatched != 0 {
			t.Errorf("import = %+v, want 4 rows: 2 imported, 2 skipped (the series and the episode)", job)
		}
		want := []viewing{
			{Title: "The Shawshank Redemption", Year: 1994, IMDb: "tt0111161", Director: "Frank Darabont", Rating: "5", WatchedAt: "2024-03-01T00:00:00"},
			{Title: "The Matrix", Year: 1999, IMDb: "tt0133093", Director: "Lana Wachowski", Rating: "3.5", WatchedAt: "2024-03-03T00:00:00"},
		}
		// The director is the file's first.
		got := viewingsOf(s.allEntries(t, ""))
		if d := diffViewings(got, want); d != "" {
			t.Errorf("diary after the IMDb import differs:\n%s", d)
		}

		again := s.importAndWait(t, token, "", []upload{imdb})
		if again.Imported != 0 || again.AlreadyPresent != 2 || again.Skipped != 2 {
			t.Errorf("second import = %+v, want 0 imported, 2 already present, 2 skipped", again)
		}
		if n := s.totalCount(t); n != 2 {
			t.Errorf("after importing again the diary holds %d entries, want 2", n)
		}
	})
}

// TestImportBadInputs: what an import refuses, and how it says so.
func TestImportBadInputs(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"), withEnv("IMPORT_MAX_BYTES", "4096"))
		owner, _ := s.account(t, "owner@example.com")
		ann, annID := s.account(t, "ann@example.com")
		bob, bobID := s.account(t, "bob@example.com")
		good := letterboxdDiary("2024-01-01,Some Film,2001,https://boxd.it/a,4,,,2024-01-01")

		// A header that is no known file type names the columns missing.
		expectProblem(t, s.postImport(t, ann, "", []upload{{name: "diary.csv", data: []byte("Date,Name,Year,Rating\n2024-01-01,X,2001,4\n")}}, "source", "letterboxd"),
			http.StatusBadRequest, "diary.csv", "Letterboxd ratings.csv", "Letterboxd URI")
		expectProblem(t, s.postImport(t, ann, "", []upload{{name: "empty.csv"}}), http.StatusBadRequest, "empty.csv")
		expectProblem(t, s.postImport(t, ann, "", nil, "source", "letterboxd"), http.StatusBadRequest, "file")
		expectProblem(t, s.postImport(t, ann, "", []upload{good}, "source", "netflix"), http.StatusBadRequest, "source")
		expectProblem(t, s.postImport(t, ann, "dry_run=maybe", []upload{good}), http.StatusBadRequest, "dry_run")
		expectProblem(t, s.call(t, http.MethodPost, "/api/imports", map[string]string{"file": "x"}, ann), http.StatusUnsupportedMediaType, "multipart/form-data")
		expectProblem(t, s.postImport(t, "", "", []upload{good}), http.StatusUnauthorized)

		// Over IMPORT_MAX_BYTES: 413, whatever the token.
		big := upload{name: "diary.csv", data: bytes.Repeat([]byte("x"), 8192)}
		expectProblem(t, s.postImport(t, ann, "", []upload{big}), http.StatusRequestEntityTooLarge, "IMPORT_MAX_BYTES")

		// user_id: only the owner may name another account.
		expectProblem(t, s.postImport(t, ann, "", []upload{good}, "user_id", bobID), http.StatusForbidden, "owner")
		expectProblem(t, s.postImport(t, owner, "", []upload{good}, "user_id", "0190a000-0000-7000-8000-000000000000"), http.StatusNotFound)
		forBob := s.importAndWait(t, owner, "", []upload{good}, "user_id", bobID)
		if forBob.Imported != 1 {
			t.Errorf("owner's import for bob = %+v", forBob)
		}
		if d := s.allEntries(t, bobID); len(d) != 1 || d[0].Review.UserID != bobID {
			t.Errorf("bob's diary after the owner's import = %+v", d)
		}
		// Bob sees the job the owner started for him; Ann does not.
		s.importJobOf(t, bob, forBob.ID)
		expectProblem(t, s.call(t, http.MethodGet, "/api/imports/"+forBob.ID, nil, ann), http.StatusNotFound)
		expectProblem(t, s.call(t, http.MethodGet, "/api/imports/not-a-uuid", nil, ann), http.StatusBadRequest)
		expectProblem(t, s.call(t, http.MethodGet, "/api/imports/"+forBob.ID, nil, ""), http.StatusUnauthorized)

		// A second import while one runs: 409. The first is a dry run of
		// many rows, so it runs long enough and writes nothing.
		rows := make([]string, 10000)
		for i := range rows {
			rows[i] = fmt.Sprintf("2024-01-01,Film %05d,2001,https://boxd.it/%d,4,,,2024-01-01", i, i)
		}
		s2 := startApp(t, db)
		token2, _ := s2.account(t, "owner@example.com")
		long := s2.startImport(t, token2, "dry_run=true", []upload{letterboxdDiary(rows...)})
		expectProblem(t, s2.postImport(t, token2, "", []upload{good}), http.StatusConflict, "running")
		if j := s2.waitImport(t, token2, long.ID); j.Imported != len(rows) {
			t.Errorf("long dry run = %+v, want %d rows imported", j, len(rows))
		}
		s2.importAndWait(t, token2, "", []upload{good})

		_ = annID
	})
}

// exportedDoc is a moviediary JSON export.
type exportedDoc struct {
	Format     string      `json:"format"`
	Version    int         `json:"version"`
	ExportedAt string      `json:"exported_at"`
	Entries    []entryJSON `json:"entries"`
}

// logExportSample logs viewings that exercise every part of an export:
// films known to OMDb and manual ones, rewatches out of logging order,
// half stars, unrated viewings, comments with commas, quotes, newlines and
// a spreadsheet formula.
func logExportSample(t *testing.T, s *server, token string) {
	t.Helper()
	var known []string
	for _, body := range []map[string]any{
		{"external_metadata_id": "tt0111161", "rating": 4.5, "comment": "Hope, \"redemption\"\nand a second line", "watched_at": watched(48)},
		{"manual_title": "A Home Movie", "manual_release_year": 2019, "manual_director": "Ann Example", "comment": "=SUM(A1:A3)", "watched_at": watched(24)},
		{"external_metadata_id": "tt0111161", "rating": 5, "watched_at": watched(0)},
		{"external_metadata_id": "tt0133093", "rating": 0.5, "comment": "-not a formula, just a dash", "watched_at": watched(72)},
		{"external_metadata_id": "tt0111161", "watched_at": watched(96)},
	} {
		if e := s.logReview(t, token, body); e.Movie.ExternalMetadataID != nil {
			known = append(known, e.Movie.ID)
		}
	}
	// The posters are stored in the background: wait, so that the diary
	// does not change under the comparisons.
	for _, id := range known {
		s.waitForPoster(t, id)
	}
}

// TestExport: GET /api/export streams the diary as an attachment: JSON
// with every entry exactly as GET /api/diary shows it, oldest first; CSV
// with Letterboxd's import columns, rewatches marked and formulas
// neutralised. Only the owner may export another account's diary.
func TestExport(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"))
		owner, ownerID := s.account(t, "owner@example.com")
		ann, annID := s.account(t, "ann@example.com")
		logExportSample(t, s, owner)
		s.logReview(t, ann, map[string]any{"manual_title": "Ann's Film", "manual_release_year": 2001, "rating": 3, "watched_at": watched(1)})
		today := time.Now().UTC().Format(time.DateOnly)

		r := s.call(t, http.MethodGet, "/api/export?format=json", nil, owner)
		var doc exportedDoc
		decodeStrict(t, r, http.StatusOK, &doc)
		requireKeys(t, r.Body, "format", "version", "exported_at", "entries")
		if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="moviediary-`+today+`.json"` {
			t.Errorf("Content-Disposition = %q", cd)
		}
		if doc.Format != "moviediary" || doc.Version != 1 {
			t.Errorf("format %q version %d", doc.Format, doc.Version)
		}
		if _, err := time.Parse(time.RFC3339, doc.ExportedAt); err != nil {
			t.Errorf("exported_at %q: %v", doc.ExportedAt, err)
		}
		// Entries exactly as the diary shows them: compare the JSON.
		diary := s.allEntries(t, ownerID)
		if got, want := mustJSON(t, doc.Entries), mustJSON(t, diary); !bytes.Equal(got, want) {
			t.Errorf("export entries differ from the diary's:\n got %s\nwant %s", got, want)
		}
		// The default format is JSON.
		if r := s.call(t, http.MethodGet, "/api/export", nil, owner); r.Status != http.StatusOK || !strings.HasPrefix(r.ContentType(), "application/json") {
			t.Errorf("GET /api/export = %s", r)
		}

		r = s.call(t, http.MethodGet, "/api/export?format=csv", nil, owner)
		if r.Status != http.StatusOK || r.ContentType() != "text/csv; charset=utf-8" {
			t.Fatalf("CSV export = %s", r)
		}
		if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="moviediary-`+today+`.csv"` {
			t.Errorf("Content-Disposition = %q", cd)
		}
		records, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatalf("CSV export does not parse: %v\n%s", err, r.Body)
		}
		wantCSV := [][]string{
			{"imdbID", "Title", "Year", "Directors", "WatchedDate", "Rating", "Rewatch", "Review"},
			{"tt0111161", "The Shawshank Redemption", "1994", "Frank Darabont", "2024-01-01", "5", "false", ""},
			{"", "A Home Movie", "2019", "Ann Example", "2024-01-02", "", "false", "'=SUM(A1:A3)"},
			{"tt0111161", "The Shawshank Redemption", "1994", "Frank Darabont", "2024-01-03", "4.5", "true", "Hope, \"redemption\"\nand a second line"},
			{"tt0133093", "The Matrix", "1999", "Lana Wachowski, Lilly Wachowski", "2024-01-04", "0.5", "false", "'-not a formula, just a dash"},
			{"tt0111161", "The Shawshank Redemption", "1994", "Frank Darabont", "2024-01-05", "", "true", ""},
		}
		if got, want := fmt.Sprintf("%q", records), fmt.Sprintf("%q", wantCSV); got != want {
			t.Errorf("CSV export:\n got %s\nwant %s", got, want)
		}

		// Another account's diary: the owner may, others may not.
		r = s.call(t, http.MethodGet, "/api/export?format=json&user_id="+annID, nil, owner)
		decodeStrict(t, r, http.StatusOK, &doc)
		if len(doc.Entries) != 1 || doc.Entries[0].Movie.Title != "Ann's Film" {
			t.Errorf("owner's export of ann's diary = %+v", doc.Entries)
		}
		expectProblem(t, s.call(t, http.MethodGet, "/api/export?user_id="+ownerID, nil, ann), http.StatusForbidden, "owner")
		expectProblem(t, s.call(t, http.MethodGet, "/api/export?user_id=0190a000-0000-7000-8000-000000000000", nil, owner), http.StatusNotFound)
		expectProblem(t, s.call(t, http.MethodGet, "/api/export?format=xml", nil, owner), http.StatusBadRequest, "format")
		expectProblem(t, s.call(t, http.MethodGet, "/api/export", nil, ""), http.StatusUnauthorized)

		// An empty diary exports an empty list, and a CSV of its header.
		carl, _ := s.account(t, "carl@example.com")
		r = s.call(t, http.MethodGet, "/api/export?format=json", nil, carl)
		decodeStrict(t, r, http.StatusOK, &doc)
		if doc.Entries == nil || len(doc.Entries) != 0 {
			t.Errorf("empty export entries = %v, want []", doc.Entries)
		}
		r = s.call(t, http.MethodGet, "/api/export?format=csv", nil, carl)
		if r.Status != http.StatusOK || string(r.Body) != "imdbID,Title,Year,Directors,WatchedDate,Rating,Rewatch,Review\n" {
			t.Errorf("empty CSV export = %s", r)
		}
	})
}

// TestExportImportRoundTrip: a JSON export imported into a fresh instance
// gives the same diary — titles, years, directors, ratings, comments,
// watched dates, rewatch order, and the IDs — and importing it again adds
// nothing.
func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		from := startApp(t, db)
		token, _ := from.account(t, "owner@example.com")
		logExportSample(t, from, token)
		r := from.call(t, http.MethodGet, "/api/export?format=json", nil, token)
		if r.Status != http.StatusOK {
			t.Fatalf("export: %s", r)
		}
		want := from.allEntries(t, "")

		to := startApp(t, db)
		token2, user2 := to.account(t, "owner@example.com")
		job := to.importAndWait(t, token2, "", []upload{{name: "moviediary-export.json", data: r.Body}})
		if job.Imported != len(want) || job.Skipped != 0 || len(job.Problems) != 0 {
			t.Errorf("import of the export = %+v, want %d imported", job, len(want))
		}
		got := to.allEntries(t, "")
		if d := diffViewings(viewingsOf(got), viewingsOf(want)); d != "" {
			t.Errorf("diary after the round trip differs:\n%s", d)
		}
		for i := range min(len(got), len(want)) {
			g, w := got[i], want[i]
			if g.Movie.ID != w.Movie.ID || g.Review.ID != w.Review.ID || g.Review.CreatedAt != w.Review.CreatedAt || g.Review.UserID != user2 {
				t.Errorf("entry %d: movie %s review %s created %s user %s, want movie %s review %s created %s user %s",
					i, g.Movie.ID, g.Review.ID, g.Review.CreatedAt, g.Review.UserID, w.Movie.ID, w.Review.ID, w.Review.CreatedAt, user2)
			}
		}
		again := to.importAndWait(t, token2, "", []upload{{name: "moviediary-export.json", data: r.Body}})
		if again.Imported != 0 || again.AlreadyPresent != len(want) {
			t.Errorf("second import of the export = %+v, want all %d already present", again, len(want))
		}

		// The CSV export imports too (as a moviediary CSV): the same films
		// and viewings, without the IDs.
		csvExport := from.call(t, http.MethodGet, "/api/export?format=csv", nil, token)
		third := startApp(t, db)
		token3, _ := third.account(t, "owner@example.com")
		third.importAndWait(t, token3, "", []upload{{name: "moviediary.csv", data: csvExport.Body}})
		// The CSV has dates, not times: compare the days.
		day := func(vs []viewing) []viewing {
			out := slices.Clone(vs)
			for i := range out {
				out[i].WatchedAt = out[i].WatchedAt[:10]
			}
			return out
		}
		if d := diffViewings(day(viewingsOf(third.allEntries(t, ""))), day(viewingsOf(want))); d != "" {
			t.Errorf("diary after the CSV round trip differs:\n%s", d)
		}
	})
}

// TestOMDbBudget: films imported without an IMDb ID are looked up within
// the OMDb budget — never more than OMDB_DAILY_LIMIT requests in one
// OMDB_LIMIT_WINDOW — and the lookups the budget refuses are deferred,
// not dead: every film is identified once the windows refill.
func TestOMDbBudget(t *testing.T) {
	t.Parallel()
	const limit, window = 2, 2 * time.Second
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("OMDB_DAILY_LIMIT", "2"), withEnv("OMDB_LIMIT_WINDOW", "2s"), withEnv("OMDB_RATE", "20"))
		token, _ := s.account(t, "owner@example.com")
		titles := []film{
			filmByID(t, "tt0111161"), filmByID(t, "tt0133093"), filmByID(t, "tt0114369"),
			filmByID(t, "tt0392728"), filmByID(t, "tt0090728"), filmByID(t, "tt0069945"),
		}
		rows := make([]string, 0, len(titles))
		for i, f := range titles {
			rows = append(rows, fmt.Sprintf("2024-02-0%d,%s,%s,https://boxd.it/%d,4,,,2024-02-0%d", i+1, f.Title, f.Year, i, i+1))
		}
		job := s.importAndWait(t, token, "", []upload{letterboxdDiary(rows...)})
		if job.Imported != len(titles) || job.Unmatched != len(titles) {
			t.Errorf("import = %+v, want %d imported, all unmatched", job, len(titles))
		}

		// Enrichment finishes once the windows refill: every film gets its
		// IMDb ID and director.
		deadline := time.Now().Add(importDeadline)
		for {
			entries := s.allEntries(t, "")
			identified := 0
			for _, e := range entries {
				if e.Movie.ExternalMetadataID != nil {
					identified++
				}
			}
			if identified == len(titles) {
				for _, e := range entries {
					f := filmByID(t, *e.Movie.ExternalMetadataID)
					if e.Movie.Title != f.Title || e.Movie.Director == nil || *e.Movie.Director != f.Director {
						t.Errorf("enriched movie = %+v, want %s by %s", e.Movie, f.Title, f.Director)
					}
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d films identified after %s", identified, len(titles), importDeadline)
			}
			time.Sleep(100 * time.Millisecond)
		}

		// Never more than the limit in one window (windows are aligned to
		// the Unix epoch). A request taken at the very end of a window may
		// arrive just after it: one that lands in a full window within
		// 50ms of its start counts to the window before, if that had room.
		counts := map[int64]int{}
		for _, at := range s.omdb.arrivals() {
			w := at.UnixNano() / int64(window)
			if counts[w] >= limit && at.UnixNano()-w*int64(window) < int64(50*time.Millisecond) && counts[w-1] < limit {
				w--
			}
			counts[w]++
		}
		for w, n := range counts {
			if n > limit {
				t.Errorf("%d OMDb requests in the window starting %s, want at most %d", n, time.Unix(0, w*int64(window)).UTC().Format(time.RFC3339Nano), limit)
			}
		}
		if len(counts) < len(titles)/limit {
			t.Errorf("the requests fell in %d windows, want at least %d", len(counts), len(titles)/limit)
		}
		if n := s.metric(t, "moviediary_omdb_requests_deferred_total", ""); n < 1 {
			t.Errorf("moviediary_omdb_requests_deferred_total = %v, want some deferred", n)
		}
		if n := s.metric(t, "moviediary_events_dead_total", `event="movie_needs_metadata"`); n != 0 {
			t.Errorf("%v enrichment events dead, want none", n)
		}
		if n := s.metric(t, "moviediary_omdb_budget_limit", ""); n != limit {
			t.Errorf("moviediary_omdb_budget_limit = %v", n)
		}
		if n := s.metric(t, "moviediary_import_rows_total", `result="imported"`); n != float64(len(titles)) {
			t.Errorf("moviediary_import_rows_total{imported} = %v", n)
		}
	})
}

// TestImportAndExportWithoutTheDatabase: with the database gone, the
// import and export routes answer 503 problems, never a 500.
func TestImportAndExportWithoutTheDatabase(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withDatabaseProxy())
		token, _ := s.account(t, "owner@example.com")
		job := s.importAndWait(t, token, "", []upload{letterboxdDiary("2024-01-01,Some Film,2001,https://boxd.it/a,4,,,2024-01-01")})
		if s.dbProxy != nil {
			s.dbProxy.cut()
		} else if err := s.app.Store().Close(); err != nil {
			t.Fatalf("close the store: %v", err)
		}
		for _, r := range []response{
			s.postImport(t, token, "", []upload{letterboxdDiary("2024-01-02,Other Film,2002,https://boxd.it/b,3,,,2024-01-02")}),
			s.call(t, http.MethodGet, "/api/imports/"+job.ID, nil, token),
			s.call(t, http.MethodGet, "/api/export?format=csv", nil, token),
		} {
			p := expectProblem(t, r, http.StatusServiceUnavailable)
			if regexp.MustCompile(`(?i)sql|127\.0\.0\.1|moviediary_test`).MatchString(p.Detail) {
				t.Errorf("503 detail shows internals: %q", p.Detail)
			}
		}
		if s.dbProxy != nil {
			s.dbProxy.restore()
		}
	})
}

// TestImportLetterboxdExport: the Letterboxd export of
// adapters/diaryfile/testdata (its README lists the 14 viewings it holds),
// uploaded as its ZIP, gives exactly those viewings — diary rows with
// their rewatches, half stars and unrated rows, reviews merged into their
// diary viewings, films only rated or watched once each — and lists the
// ZIP members that hold no viewing. Uploading it again adds nothing; the
// same files uploaded one by one give the same diary. The owner sees
// every job, another user none but their own.
func TestImportLetterboxdExport(t *testing.T) {
	t.Parallel()
	want := []viewing{
		{Title: "Alien", Year: 1979, Rating: "null", WatchedAt: "2022-09-15T00:00:00"},
		{Title: "Heat", Year: 1995, Rating: "4", WatchedAt: "2022-10-01T00:00:00"},
		{Title: "Spirited Away", Year: 2001, Rating: "5", WatchedAt: "2022-11-20T00:00:00"},
		{Title: "Parasite", Year: 2019, Rating: "4.5", WatchedAt: "2023-01-04T00:00:00"},
		{Title: "Everything Everywhere All at Once", Year: 2022, Rating: "4", WatchedAt: "2023-02-11T00:00:00", Comment: "Hot dog fingers. That's all, that's the review."},
		{Title: "The Lighthouse", Year: 2019, Rating: "null", WatchedAt: "2023-03-01T00:00:00"},
		{Title: "The Lighthouse", Year: 2019, Rating: "3", WatchedAt: "2023-03-01T00:00:00"},
		{Title: "Crouching Tiger, Hidden Dragon", Year: 2000, Rating: "3.5", WatchedAt: "2023-04-15T00:00:00"},
		{Title: "Cats", Year: 2019, Rating: "0.5", WatchedAt: "2023-05-20T00:00:00"},
		{Title: "Tár", Year: 2022, Rating: "4", WatchedAt: "2023-06-01T00:00:00"},
		{Title: "Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb", Year: 1964, Rating: "5", WatchedAt: "2023-07-04T00:00:00"},
		{Title: `"Crocodile" Dundee`, Year: 1986, Rating: "2.5", WatchedAt: "2023-07-30T00:00:00"},
		{Title: "Aftersun", Year: 2022, Rating: "4.5", WatchedAt: "2023-08-12T00:00:00", Comment: "Under Pressure, at 1:13 — devastating."},
		{Title: "Parasite", Year: 2019, Rating: "5", WatchedAt: "2024-03-10T00:00:00", Comment: "Second time.\n\nStill the \"peach\" scene gets me."},
	}
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"))
		owner, _ := s.account(t, "owner@example.com")
		ann, annID := s.account(t, "ann@example.com")
		bob, bobID := s.account(t, "bob@example.com")

		started := s.startImport(t, ann, "", []upload{importFixture(t, "letterboxd-export.zip")})
		job := s.waitImport(t, ann, started.ID)
		if job.RowsTotal != 14 || job.Imported != 14 || job.Skipped != 0 || job.AlreadyPresent != 0 {
			t.Errorf("import = %+v, want 14 rows, all imported", job)
		}
		if job.Unmatched != 14 {
			t.Errorf("unmatched = %d, want 14 (a Letterboxd export has no IMDb IDs)", job.Unmatched)
		}
		var ignored []string
		for _, p := range job.Problems {
			if p.Line != 0 || !strings.Contains(p.Reason, "ignored") {
				t.Errorf("problem %+v, want only ignored members (line 0)", p)
			}
			ignored = append(ignored, p.File)
		}
		if want := []string{"likes/films.csv", "lists/favourites.csv", "profile.csv", "watchlist.csv"}; !slices.Equal(ignored, want) {
			t.Errorf("ignored members = %q, want %q", ignored, want)
		}
		if d := diffViewings(viewingsOf(s.allEntries(t, annID)), want); d != "" {
			t.Errorf("diary after the Letterboxd import differs:\n%s", d)
		}

		// Who sees the job: ann (hers), the owner (everyone's); not bob.
		s.importJobOf(t, owner, job.ID)
		expectProblem(t, s.call(t, http.MethodGet, "/api/imports/"+job.ID, nil, bob), http.StatusNotFound)

		again := s.importAndWait(t, ann, "", []upload{importFixture(t, "letterboxd-export.zip")})
		if again.Imported != 0 || again.AlreadyPresent != 14 {
			t.Errorf("second import = %+v, want 0 imported, 14 already present", again)
		}
		if n := len(s.allEntries(t, annID)); n != 14 {
			t.Errorf("after importing again ann's diary holds %d entries, want 14", n)
		}

		// The files one by one, into bob's diary: the same viewings, on the
		// same movies (one movie per film).
		var files []upload
		for _, name := range []string{"diary.csv", "reviews.csv", "ratings.csv", "watched.csv", "watchlist.csv"} {
			files = append(files, importFixture(t, filepath.Join("letterboxd", name)))
		}
		one := s.importAndWait(t, bob, "", files, "source", "letterboxd")
		if one.Imported != 14 || one.Skipped != 0 {
			t.Errorf("import of the files one by one = %+v, want 14 imported", one)
		}
		bobs, anns := s.allEntries(t, bobID), s.allEntries(t, annID)
		if d := diffViewings(viewingsOf(bobs), want); d != "" {
			t.Errorf("diary after importing the files one by one differs:\n%s", d)
		}
		for i := range min(len(bobs), len(anns)) {
			if bobs[i].Movie.ID != anns[i].Movie.ID {
				t.Errorf("entry %d: bob's movie %s, ann's %s: want one movie per film", i, bobs[i].Movie.ID, anns[i].Movie.ID)
			}
		}
		if n := s.metric(t, "moviediary_import_jobs_total", `state="done"`); n != 3 {
			t.Errorf("moviediary_import_jobs_total{done} = %v, want 3", n)
		}
	})
}
