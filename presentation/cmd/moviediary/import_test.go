package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests in this file import and export diaries through the real
// binary, on SQLite and on PostgreSQL: the Letterboxd and IMDb fixtures of
// adapters/diaryfile/testdata (see its README.md for the viewings they
// hold), an import killed mid-way and resumed, a JSON export imported into
// a fresh instance, and the OMDb budget of the enrichment that follows an
// import.

// fixtureDir holds the import fixtures shared with adapters/diaryfile.
var fixtureDir = filepath.Join("..", "..", "..", "adapters", "diaryfile", "testdata")

// importDeadline bounds the wait for an import job (or the enrichment
// after it) to finish.
const importDeadline = 60 * time.Second

// resumeDeadline bounds the wait for a restarted server to finish an
// import a killed one was running: the dead process's claim must lapse
// first (the import lease, 15 s), then the rest of the rows are stored.
const resumeDeadline = time.Minute

// metaFake is a fake OMDb that knows a table of films, answers lookups by
// title and year (?t=&y=) and by IMDb ID (?i=), says "Movie not found!"
// for any other title (any other IMDb ID is a film with no director and
// no poster), and records when each request arrived.
type metaFake struct {
	srv   *httptest.Server
	mu    sync.Mutex
	films []metaFilm
	hits  []time.Time
}

// metaFilm is a film the fake knows.
type metaFilm struct{ ID, Title, Year, Director string }

func newMetaFake(t testing.TB, films ...metaFilm) *metaFake {
	t.Helper()
	f := &metaFake{films: films}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *metaFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.hits = append(f.hits, time.Now())
	var found *metaFilm
	for i, film := range f.films {
		switch {
		case q.Has("i") && q.Get("i") == film.ID,
			q.Has("t") && strings.EqualFold(q.Get("t"), film.Title) && (q.Get("y") == "" || q.Get("y") == film.Year):
			found = &f.films[i]
		}
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if q.Get("apikey") != "test" {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"Response":"False","Error":"Invalid API key!"}`)
		return
	}
	if found == nil && q.Has("i") {
		// Any other IMDb ID: a film without director or poster.
		found = &metaFilm{ID: q.Get("i"), Title: "Film " + q.Get("i"), Year: "2000", Director: "N/A"}
	}
	if found == nil {
		_, _ = io.WriteString(w, `{"Response":"False","Error":"Movie not found!"}`)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{
		"Title": found.Title, "Year": found.Year, "Director": found.Director, "Poster": "N/A",
		"imdbID": found.ID, "Type": "movie", "Response": "True",
	})
}

// requests returns when each request arrived.
func (f *metaFake) requests() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.hits)
}

// importDeployment is a deployment whose OMDb is meta.
func importDeployment(t *testing.T, db string, meta *metaFake, extra ...string) *deployment {
	t.Helper()
	return newDeployment(t, db, append([]string{"OMDB_BASE_URL=" + meta.srv.URL + "/"}, extra...)...)
}

// account registers owner@example.com on base and returns its token and
// user ID.
func account(t *testing.T, base string) (token, userID string) {
	t.Helper()
	creds := map[string]string{"email": "owner@example.com", "password": "a long passphrase"}
	if code := postJSON(t, base, "/api/auth/register", "", creds, nil); code != http.StatusCreated {
		t.Fatalf("register = %d", code)
	}
	return login(t, base, creds["email"])
}

// upload is a file part of an import.
type upload struct {
	name string
	data []byte
}

func fixture(t testing.TB, rel string) upload {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, rel))
	if err != nil {
		t.Fatalf("fixture %s: %v", rel, err)
	}
	return upload{name: filepath.Base(rel), data: data}
}

// importJob is GET /api/imports/{id}.
type importJob struct {
	ID             string `json:"id"`
	State          string `json:"state"`
	DryRun         bool   `json:"dry_run"`
	RowsTotal      int    `json:"rows_total"`
	RowsDone       int    `json:"rows_done"`
	Imported       int    `json:"imported"`
	AlreadyPresent int    `json:"already_present"`
	Skipped        int    `json:"skipped"`
	Unmatched      int    `json:"unmatched"`
	Problems       []struct {
		File   string `json:"file"`
		Line   int    `json:"line"`
		Reason string `json:"reason"`
	} `json:"problems"`
	ProblemsMore int `json:"problems_more"`
}

// startImport posts files to POST /api/imports and returns the job's ID;
// it checks the 202, its Location and its body.
func startImport(t testing.TB, base, token, source string, dryRun bool, files ...upload) string {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if source != "" {
		_ = mw.WriteField("source", source)
	}
	for _, f := range files {
		part, err := mw.CreateFormFile("file", f.name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = part.Write(f.data)
	}
	_ = mw.Close()
	path := "/api/imports"
	if dryRun {
		path += "?dry_run=true"
	}
	req, _ := http.NewRequest(http.MethodPost, base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("POST %s = %d %s, want 202", path, res.StatusCode, raw)
	}
	var job importJob
	if err := json.Unmarshal(raw, &job); err != nil || job.ID == "" {
		t.Fatalf("POST %s: body %s: %v", path, raw, err)
	}
	if loc := res.Header.Get("Location"); loc != "/api/imports/"+job.ID {
		t.Errorf("Location = %q, want /api/imports/%s", loc, job.ID)
	}
	if job.DryRun != dryRun || (job.State != "queued" && job.State != "running" && job.State != "done") {
		t.Errorf("POST %s answered %s", path, raw)
	}
	return job.ID
}

// jobStatus reads GET /api/imports/{id}.
func jobStatus(t testing.TB, base, token, id string) importJob {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/imports/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET /api/imports/%s: %v", id, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var job importJob
	if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &job) != nil {
		t.Fatalf("GET /api/imports/%s = %d %s", id, res.StatusCode, raw)
	}
	return job
}

// waitJob polls the job until it ended, and wants it done.
func waitJob(t testing.TB, base, token, id string, logs func() string) importJob {
	t.Helper()
	return waitJobFor(t, base, token, id, logs, importDeadline)
}

// waitJobFor is waitJob with a deadline of d.
func waitJobFor(t testing.TB, base, token, id string, logs func() string, d time.Duration) importJob {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		job := jobStatus(t, base, token, id)
		switch job.State {
		case "done":
			return job
		case "failed":
			t.Fatalf("import %s failed: %+v; log:\n%s", id, job, lastLines(logs(), 30))
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %s not done after %v: %+v; log:\n%s", id, d, job, lastLines(logs(), 30))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lastLines returns the last n lines of a log.
func lastLines(log string, n int) string {
	lines := strings.Split(strings.TrimRight(log, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// diaryItem is an entry of GET /api/diary.
type diaryItem struct {
	Movie struct {
		ID                 string  `json:"id"`
		ExternalMetadataID *string `json:"external_metadata_id"`
		Title              string  `json:"title"`
		ReleaseYear        int     `json:"release_year"`
		Director           *string `json:"director"`
	} `json:"movie"`
	Review struct {
		ID        string   `json:"id"`
		Rating    *float64 `json:"rating"`
		Comment   *string  `json:"comment"`
		WatchedAt string   `json:"watched_at"`
		CreatedAt string   `json:"created_at"`
	} `json:"review"`
}

// wholeDiary reads every page of the user's diary, following next_cursor,
// and checks total_count against the entries read.
func wholeDiary(t testing.TB, base, token, userID string) []diaryItem {
	t.Helper()
	var all []diaryItem
	total := -1
	path := "/api/diary?limit=100&user_id=" + url.QueryEscape(userID)
	for next := ""; ; {
		p := path
		if next != "" {
			p += "&cursor=" + url.QueryEscape(next)
		}
		var page struct {
			Items      []diaryItem `json:"items"`
			TotalCount int         `json:"total_count"`
			NextCursor *string     `json:"next_cursor"`
		}
		req, _ := http.NewRequest(http.MethodGet, base+p, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		raw, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &page) != nil {
			t.Fatalf("GET %s = %d %.300s", p, res.StatusCode, raw)
		}
		if total < 0 {
			total = page.TotalCount
		}
		all = append(all, page.Items...)
		if page.NextCursor == nil || len(page.Items) == 0 {
			break
		}
		next = *page.NextCursor
	}
	if len(all) != total {
		t.Errorf("the diary's pages hold %d entries, total_count says %d", len(all), total)
	}
	return all
}

// viewing is what the tests compare of a diary entry: the film, the day
// it was watched, the rating ("" when unrated) and the comment.
type viewing struct {
	Title   string
	Year    int
	Date    string
	Rating  string
	Comment string
}

func (v viewing) String() string {
	return fmt.Sprintf("%s (%d) %s ★%s %q", v.Title, v.Year, v.Date, v.Rating, v.Comment)
}

func viewingOf(e diaryItem) viewing {
	v := viewing{Title: e.Movie.Title, Year: e.Movie.ReleaseYear, Date: e.Review.WatchedAt}
	if len(v.Date) >= 10 {
		v.Date = v.Date[:10]
	}
	if e.Review.Rating != nil {
		v.Rating = strconv.FormatFloat(*e.Review.Rating, 'f', -1, 64)
	}
	if e.Review.Comment != nil {
		v.Comment = *e.Review.Comment
	}
	return v
}

// viewingCounts counts each viewing of entries: the same viewing twice is
// a duplicate.
func viewingCounts(entries []diaryItem) map[viewing]int {
	out := map[viewing]int{}
	for _, e := range entries {
		out[viewingOf(e)]++
	}
	return out
}

// compareViewings reports every viewing whose count differs from want's.
func compareViewings(t testing.TB, got []diaryItem, want []viewing) {
	t.Helper()
	wantCounts := map[viewing]int{}
	for _, v := range want {
		wantCounts[v]++
	}
	gotCounts := viewingCounts(got)
	var diffs []string
	for v, n := range wantCounts {
		if gotCounts[v] != n {
			diffs = append(diffs, fmt.Sprintf("  %v: %d in the diary, want %d", v, gotCounts[v], n))
		}
	}
	for v, n := range gotCounts {
		if _, ok := wantCounts[v]; !ok {
			diffs = append(diffs, fmt.Sprintf("  %v: %d in the diary, want none", v, n))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("the diary (%d entries) differs from the %d expected viewings:\n%s", len(got), len(want), strings.Join(diffs, "\n"))
	}
}

// TestImportLetterboxdAndIMDbThroughTheAPI: the Letterboxd ZIP and the
// IMDb ratings file imported through POST /api/imports give exactly the
// viewings adapters/diaryfile/testdata/README.md lists, the IMDb series
// skipped and counted; importing both again adds nothing.
func TestImportLetterboxdAndIMDbThroughTheAPI(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			d := importDeployment(t, db, newMetaFake(t))
			p, base := d.serve()
			token, userID := account(t, base)
			zip, imdb := fixture(t, "letterboxd-export.zip"), fixture(t, "imdb/ratings.csv")

			// A dry run reports and writes nothing.
			dry := waitJob(t, base, token, startImport(t, base, token, "letterboxd", true, zip), p.stderr.String)
			if !dry.DryRun || dry.Imported != letterboxdImported {
				t.Errorf("dry run = %+v, want dry_run and %d imported", dry, letterboxdImported)
			}
			if n := len(wholeDiary(t, base, token, userID)); n != 0 {
				t.Fatalf("a dry run wrote %d entries", n)
			}

			lb := waitJob(t, base, token, startImport(t, base, token, "letterboxd", false, zip), p.stderr.String)
			if lb.Imported != letterboxdImported || lb.AlreadyPresent != 0 || lb.Skipped != 0 || lb.RowsDone != lb.RowsTotal {
				t.Errorf("Letterboxd import = %+v, want %d imported, none present or skipped, every row done", lb, letterboxdImported)
			}
			var ignored []string
			for _, pr := range lb.Problems {
				if pr.Line == 0 {
					ignored = append(ignored, pr.File)
				}
			}
			sort.Strings(ignored)
			if want := []string{"likes/films.csv", "lists/favourites.csv", "profile.csv", "watchlist.csv"}; !slices.Equal(ignored, want) || len(lb.Problems) != len(want) {
				t.Errorf("Letterboxd import problems = %+v, want the ZIP's members %v ignored", lb.Problems, want)
			}
			if lb.Unmatched != letterboxdImported {
				t.Errorf("Letterboxd import: unmatched = %d, want %d (the export has no IMDb IDs)", lb.Unmatched, letterboxdImported)
			}
			im := waitJob(t, base, token, startImport(t, base, token, "", false, imdb), p.stderr.String)
			if im.Imported != imdbImported || im.Skipped != imdbSkipped || im.AlreadyPresent != 0 || im.Unmatched != 0 || im.RowsDone != im.RowsTotal {
				t.Errorf("IMDb import = %+v, want %d imported, %d skipped (series), none present or unmatched", im, imdbImported, imdbSkipped)
			}
			before := wholeDiary(t, base, token, userID)
			compareViewings(t, before, append(slices.Clone(letterboxdViewings), imdbViewings...))

			// Again: everything is already present, nothing is added.
			lb2 := waitJob(t, base, token, startImport(t, base, token, "letterboxd", false, zip), p.stderr.String)
			if lb2.Imported != 0 || lb2.AlreadyPresent != letterboxdImported {
				t.Errorf("Letterboxd again = %+v, want 0 imported and %d already present", lb2, letterboxdImported)
			}
			im2 := waitJob(t, base, token, startImport(t, base, token, "imdb", false, imdb), p.stderr.String)
			if im2.Imported != 0 || im2.AlreadyPresent != imdbImported || im2.Skipped != imdbSkipped {
				t.Errorf("IMDb again = %+v, want 0 imported, %d already present, %d skipped", im2, imdbImported, imdbSkipped)
			}
			after := wholeDiary(t, base, token, userID)
			if len(after) != len(before) {
				t.Errorf("importing again changed the diary from %d to %d entries", len(before), len(after))
			}
			compareViewings(t, after, append(slices.Clone(letterboxdViewings), imdbViewings...))
			p.stop(syscall.SIGTERM)
		})
	}
}

// exportFile is what the tests compare of a moviediary JSON export.
type exportFile struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Entries []struct {
		Movie struct {
			ID                 string  `json:"id"`
			ExternalMetadataID *string `json:"external_metadata_id"`
			Title              string  `json:"title"`
			ReleaseYear        int     `json:"release_year"`
			Director           *string `json:"director"`
		} `json:"movie"`
		Review struct {
			ID        string   `json:"id"`
			Rating    *float64 `json:"rating"`
			Comment   *string  `json:"comment"`
			WatchedAt string   `json:"watched_at"`
			CreatedAt string   `json:"created_at"`
		} `json:"review"`
	} `json:"entries"`
}

// exportLines renders an export one line per entry, in its order (oldest
// viewing first, so a film's rewatch order shows), for comparison.
func exportLines(t *testing.T, raw []byte) []string {
	t.Helper()
	var f exportFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("export is not JSON: %v\n%.500s", err, raw)
	}
	if f.Format != "moviediary" || f.Version != 1 {
		t.Errorf("export format %q version %d, want moviediary 1", f.Format, f.Version)
	}
	str := func(p *string) string {
		if p == nil {
			return "∅"
		}
		return *p
	}
	lines := make([]string, 0, len(f.Entries))
	for _, e := range f.Entries {
		rating := "∅"
		if e.Review.Rating != nil {
			rating = strconv.FormatFloat(*e.Review.Rating, 'f', -1, 64)
		}
		lines = append(lines, fmt.Sprintf("movie %s %s %q (%d) dir %q | review %s rating %s comment %q watched %s created %s",
			e.Movie.ID, str(e.Movie.ExternalMetadataID), e.Movie.Title, e.Movie.ReleaseYear, str(e.Movie.Director),
			e.Review.ID, rating, str(e.Review.Comment), e.Review.WatchedAt, e.Review.CreatedAt))
	}
	return lines
}

// TestImportAndExportOnTheCommandLine: `moviediary import` against the
// database a server runs on prints the report and imports; once the
// server enriched the films OMDb knows, `moviediary export --format json`
// of that diary imported into a fresh instance gives the same diary — the
// same movies, titles, years, directors, IMDb IDs, reviews, ratings,
// comments, watched dates and creation times, in the same order.
func TestImportAndExportOnTheCommandLine(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			meta := newMetaFake(t, knownFixtureFilms...)
			d := importDeployment(t, db, meta)
			const email = "cli@example.com"
			if code, _, stderr := run(t, d.dir, d.env, "a long passphrase\n", "user", "add", "--email", email); code != 0 {
				t.Fatalf("user add: exit %d\n%s", code, stderr)
			}
			p, base := d.serve()
			// The commands run in the deployment's directory.
			zip, err := filepath.Abs(filepath.Join(fixtureDir, "letterboxd-export.zip"))
			if err != nil {
				t.Fatal(err)
			}
			imdb, err := filepath.Abs(filepath.Join(fixtureDir, "imdb", "ratings.csv"))
			if err != nil {
				t.Fatal(err)
			}

			code, out, stderr := d.run("import", "--email", email, "--source", "letterboxd", "--dry-run", zip)
			if code != 0 || !strings.Contains(out, "dry run") && !strings.Contains(out, "dry-run") {
				t.Errorf("import --dry-run: exit %d, stdout %q, stderr %q", code, out, stderr)
			}
			code, out, stderr = d.run("import", "--email", email, zip)
			if code != 0 {
				t.Fatalf("import %s: exit %d\nstdout %s\nstderr %s", zip, code, out, stderr)
			}
			if !reportSays(out, "imported", letterboxdImported) {
				t.Errorf("import report lacks %d imported:\n%s", letterboxdImported, out)
			}
			code, out, stderr = d.run("import", "--email", email, "--source", "imdb", imdb)
			if code != 0 {
				t.Fatalf("import %s: exit %d\nstdout %s\nstderr %s", imdb, code, out, stderr)
			}
			if !reportSays(out, "imported", imdbImported) || !reportSays(out, "skipped", imdbSkipped) {
				t.Errorf("import report lacks %d imported and %d skipped:\n%s", imdbImported, imdbSkipped, out)
			}

			// The server's worker enriches the films the fake OMDb knows.
			token, userID := login(t, base, email)
			want := append(slices.Clone(letterboxdViewings), imdbViewings...)
			deadline := time.Now().Add(importDeadline)
			for {
				entries := wholeDiary(t, base, token, userID)
				if len(entries) == len(want) && enriched(entries, knownFixtureFilms) {
					compareViewings(t, entries, want)
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d entries (want %d), known films not all enriched after %v:\n%s\nlog:\n%s",
						len(entries), len(want), importDeadline, notEnriched(entries, knownFixtureFilms), lastLines(p.stderr.String(), 30))
				}
				time.Sleep(50 * time.Millisecond)
			}
			p.stop(syscall.SIGTERM)

			exported := filepath.Join(t.TempDir(), "diary.json")
			if code, _, stderr := d.run("export", "--email", email, "--format", "json", "--output", exported); code != 0 {
				t.Fatalf("export: exit %d\n%s", code, stderr)
			}
			first, err := os.ReadFile(exported)
			if err != nil {
				t.Fatal(err)
			}

			fresh := importDeployment(t, db, newMetaFake(t))
			if code, _, stderr := run(t, fresh.dir, fresh.env, "a long passphrase\n", "user", "add", "--email", email); code != 0 {
				t.Fatalf("fresh user add: exit %d\n%s", code, stderr)
			}
			if code, out, stderr := fresh.run("import", "--email", email, exported); code != 0 || !reportSays(out, "imported", len(want)) {
				t.Fatalf("import of the export: exit %d, want %d imported\nstdout %s\nstderr %s", code, len(want), out, stderr)
			}
			code, second, stderr := fresh.run("export", "--email", email, "--format", "json")
			if code != 0 {
				t.Fatalf("fresh export: exit %d\n%s", code, stderr)
			}
			a, b := exportLines(t, first), exportLines(t, []byte(second))
			if len(a) != len(want) {
				t.Errorf("the export holds %d entries, want %d", len(a), len(want))
			}
			if !slices.Equal(a, b) {
				t.Errorf("the fresh instance's diary differs from the exported one:\nexported:\n  %s\nre-imported:\n  %s",
					strings.Join(a, "\n  "), strings.Join(b, "\n  "))
			}
		})
	}
}

// reportSays reports whether an import report has a line or field that
// says n next to word ("imported: 12", "12 imported", "imported 12").
func reportSays(report, word string, n int) bool {
	num := strconv.Itoa(n)
	for _, line := range strings.Split(report, "\n") {
		fields := strings.FieldsFunc(strings.ToLower(line), func(r rune) bool {
			return r == ' ' || r == ':' || r == ',' || r == '=' || r == '\t' || r == '(' || r == ')'
		})
		for i, f := range fields {
			if f == word && (i > 0 && fields[i-1] == num || i+1 < len(fields) && fields[i+1] == num) {
				return true
			}
		}
	}
	return false
}

// enriched reports whether every film of known has its IMDb ID and
// director in entries.
func enriched(entries []diaryItem, known []metaFilm) bool { return notEnriched(entries, known) == "" }

// notEnriched describes the entries of films in known that lack their
// IMDb ID or director ("" when none does).
func notEnriched(entries []diaryItem, known []metaFilm) string {
	str := func(p *string) string {
		if p == nil {
			return "null"
		}
		return *p
	}
	var out []string
	for _, k := range known {
		for _, e := range entries {
			if !strings.EqualFold(e.Movie.Title, k.Title) || strconv.Itoa(e.Movie.ReleaseYear) != k.Year {
				continue
			}
			if str(e.Movie.ExternalMetadataID) != k.ID || str(e.Movie.Director) != k.Director {
				out = append(out, fmt.Sprintf("%s (%s) on %s: IMDb ID %s, director %s; want %s, %s",
					k.Title, k.Year, e.Review.WatchedAt, str(e.Movie.ExternalMetadataID), str(e.Movie.Director), k.ID, k.Director))
			}
		}
	}
	return strings.Join(out, "\n")
}

// login signs the account in (password "a long passphrase") and returns
// its token and user ID.
func login(t *testing.T, base, email string) (token, userID string) {
	t.Helper()
	var res struct {
		Token  string `json:"token"`
		UserID string `json:"user_id"`
	}
	creds := map[string]string{"email": email, "password": "a long passphrase"}
	if code := postJSON(t, base, "/api/auth/login", "", creds, &res); code != http.StatusOK || res.UserID == "" {
		t.Fatalf("login %s = %d, user %q", email, code, res.UserID)
	}
	return res.Token, res.UserID
}

// generatedDiary is a Letterboxd diary.csv of rows viewings of films
// films: row i is viewing i/films of film i%films, each film's viewings
// on distinct days (so (film, watched date) is unique), a rewatch after
// the first, rated in halves or unrated, and every row its own URI.
func generatedDiary(rows, films int, titlePrefix string) []byte {
	var b bytes.Buffer
	b.Grow(rows * 90)
	b.WriteString("Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n")
	day0 := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		f, v := i%films, i/films
		watched := day0.AddDate(0, 0, v*10+f%10).Format(time.DateOnly)
		rating := ""
		if r := i % 11; r > 0 {
			rating = strconv.FormatFloat(float64(r)/2, 'f', -1, 64)
		}
		rewatch := ""
		if v > 0 {
			rewatch = "Yes"
		}
		fmt.Fprintf(&b, "%s,%s %05d,%d,https://boxd.it/gen%d,%s,%s,,%s\n",
			watched, titlePrefix, f, generatedYear(f), i, rating, rewatch, watched)
	}
	return b.Bytes()
}

func generatedYear(film int) int { return 1950 + film%70 }

// TestKilledImportResumes: a 30,000-row Letterboxd diary is posted, the
// server is killed with SIGKILL while the job runs, and a restarted server
// on the same database finishes it: every row is in the diary exactly
// once.
func TestKilledImportResumes(t *testing.T) {
	t.Parallel()
	const rows, films = 30_000, 3_000
	diary := generatedDiary(rows, films, "Resumed Film")
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			// The import leaves ~30,000 events in the outbox; on SIGTERM
			// the dispatcher drains what is due until SHUTDOWN_TIMEOUT, so
			// a short one keeps the final stop within stop's 3 seconds.
			d := importDeployment(t, db, newMetaFake(t), "SHUTDOWN_TIMEOUT=1s")
			p, base := d.serve()
			token, userID := account(t, base)
			id := startImport(t, base, token, "letterboxd", false, upload{name: "diary.csv", data: diary})

			var seen importJob
			deadline := time.Now().Add(importDeadline)
			for {
				seen = jobStatus(t, base, token, id)
				if seen.RowsDone > 0 && seen.RowsDone < seen.RowsTotal {
					break
				}
				if seen.State == "done" || seen.State == "failed" {
					t.Fatalf("the import ended before it could be interrupted: %+v", seen)
				}
				if time.Now().After(deadline) {
					t.Fatalf("the import made no progress in %v: %+v; log:\n%s", importDeadline, seen, lastLines(p.stderr.String(), 30))
				}
				time.Sleep(5 * time.Millisecond)
			}
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			p.wait(10 * time.Second)
			t.Logf("killed at %d of %d rows", seen.RowsDone, seen.RowsTotal)

			// The restarted server takes the job over once the dead
			// process's claim on it lapsed: within the import lease.
			restarted := time.Now()
			p2, base2 := d.serve()
			job := waitJobFor(t, base2, token, id, p2.stderr.String, resumeDeadline)
			t.Logf("resumed and done %v after the restart: %+v", time.Since(restarted).Round(time.Millisecond), job)
			if job.RowsTotal != rows || job.RowsDone != rows || job.Imported+job.AlreadyPresent != rows || job.Skipped != 0 {
				t.Errorf("job = %+v, want %d rows done, imported + already present = %d", job, rows, rows)
			}
			entries := wholeDiary(t, base2, token, userID)
			if len(entries) != rows {
				t.Errorf("the diary holds %d entries, want %d", len(entries), rows)
			}
			type key struct {
				title string
				year  int
				date  string
			}
			counts := map[key]int{}
			for _, e := range entries {
				counts[key{e.Movie.Title, e.Movie.ReleaseYear, e.Review.WatchedAt[:10]}]++
			}
			var bad []string
			movies := map[string]bool{}
			for _, e := range entries {
				movies[e.Movie.ID] = true
			}
			for i := range rows {
				f, v := i%films, i/films
				k := key{fmt.Sprintf("Resumed Film %05d", f), generatedYear(f), time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, v*10+f%10).Format(time.DateOnly)}
				if counts[k] != 1 && len(bad) < 20 {
					bad = append(bad, fmt.Sprintf("  %v: %d times", k, counts[k]))
				}
			}
			if len(bad) > 0 {
				t.Errorf("rows not in the diary exactly once (first 20):\n%s", strings.Join(bad, "\n"))
			}
			if len(movies) != films {
				t.Errorf("the diary has %d movies, want %d: one per film", len(movies), films)
			}
			p2.stop(syscall.SIGTERM)
		})
	}
}

// TestOMDbBudgetHonoured: with OMDB_DAILY_LIMIT=5 per OMDB_LIMIT_WINDOW=2s,
// the enrichment of 12 imported films OMDb knows never sends more than 5
// requests in a window (the server's windows: unix time / 2s), finishes
// once the budget refilled — every film has its IMDb ID and director — and
// leaves no dead event.
func TestOMDbBudgetHonoured(t *testing.T) {
	t.Parallel()
	const limit, window = 5, 2 * time.Second
	var films []metaFilm
	var csv bytes.Buffer
	csv.WriteString("Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n")
	for i := range 12 {
		f := metaFilm{ID: fmt.Sprintf("tt%07d", 7100001+i), Title: fmt.Sprintf("Budget Film %c", 'A'+i), Year: strconv.Itoa(1980 + i), Director: fmt.Sprintf("Director %c", 'A'+i)}
		films = append(films, f)
		fmt.Fprintf(&csv, "2024-03-%02d,%s,%s,https://boxd.it/budget%d,4,,,2024-03-%02d\n", i+1, f.Title, f.Year, i, i+1)
	}
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			meta := newMetaFake(t, films...)
			d := importDeployment(t, db, meta, "OMDB_DAILY_LIMIT="+strconv.Itoa(limit), "OMDB_LIMIT_WINDOW="+window.String())
			p, base := d.serve()
			token, userID := account(t, base)
			job := waitJob(t, base, token, startImport(t, base, token, "letterboxd", false, upload{name: "diary.csv", data: csv.Bytes()}), p.stderr.String)
			if job.Imported != len(films) {
				t.Fatalf("import = %+v, want %d imported", job, len(films))
			}
			if job.Unmatched != len(films) {
				t.Errorf("import = %+v, want all %d unmatched", job, len(films))
			}
			started := time.Now()
			deadline := started.Add(importDeadline)
			for {
				entries := wholeDiary(t, base, token, userID)
				if len(entries) != len(films) {
					t.Fatalf("the diary holds %d entries, want %d", len(entries), len(films))
				}
				if enriched(entries, films) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("enrichment unfinished after %v (%d OMDb requests):\n%s\nlog:\n%s",
						importDeadline, len(meta.requests()), notEnriched(entries, films), lastLines(p.stderr.String(), 30))
				}
				time.Sleep(50 * time.Millisecond)
			}
			hits := meta.requests()
			t.Logf("enriched %d films with %d OMDb requests in %v", len(films), len(hits), time.Since(started).Round(time.Millisecond))
			if len(hits) < len(films) {
				t.Errorf("OMDb saw %d requests for %d films", len(hits), len(films))
			}
			if over := overBudget(hits, window, limit, 500*time.Millisecond); len(over) > 0 {
				times := make([]string, len(hits))
				for i, h := range hits {
					times[i] = h.UTC().Format("05.000")
				}
				t.Errorf("more than %d OMDb requests in a %v window: %v; requests at (s.ms): %v", limit, window, over, times)
			}
			code, out, stderr := d.run("events", "list", "--dead")
			if code != 0 || strings.TrimSpace(out) != "no dead events" {
				t.Errorf("events list --dead: exit %d, stdout %q, stderr %q", code, out, stderr)
			}
			p.stop(syscall.SIGTERM)
		})
	}
}

// overBudget returns the windows (unix time / window) in which more than
// limit of the requests arrived. A request arriving less than slack after
// a window starts may have taken its quota in the window before (the
// server counts a request before sending it; a loaded machine delays the
// send), so it is counted there when that window has room.
func overBudget(hits []time.Time, window time.Duration, limit int, slack time.Duration) []string {
	slices.SortFunc(hits, func(a, b time.Time) int { return a.Compare(b) })
	counts := map[int64]int{}
	for _, h := range hits {
		w := h.UnixNano() / int64(window)
		early := time.Duration(h.UnixNano()-w*int64(window)) < slack
		if early && counts[w-1] < limit {
			counts[w-1]++
			continue
		}
		counts[w]++
	}
	var over []string
	for w, n := range counts {
		if n > limit {
			over = append(over, fmt.Sprintf("%s: %d", time.Unix(0, w*int64(window)).UTC().Format("15:04:05"), n))
		}
	}
	sort.Strings(over)
	return over
}

// The viewings of the fixtures, as adapters/diaryfile/testdata/README.md
// lists them (by the rules of docs/import-export.md).
var (
	// letterboxdViewings: diary.csv's ten entries (The Lighthouse twice on
	// one day, Parasite rewatched), two with their text from reviews.csv;
	// Aftersun, reviewed with no diary entry; and the films only rated or
	// watched, on the earliest day of the two files: Heat (rated, and
	// watched a day before), Spirited Away and Alien.
	letterboxdViewings = []viewing{
		{"Parasite", 2019, "2023-01-04", "4.5", ""},
		{"Everything Everywhere All at Once", 2022, "2023-02-11", "4", "Hot dog fingers. That's all, that's the review."},
		{"The Lighthouse", 2019, "2023-03-01", "", ""},
		{"The Lighthouse", 2019, "2023-03-01", "3", ""},
		{"Crouching Tiger, Hidden Dragon", 2000, "2023-04-15", "3.5", ""},
		{"Cats", 2019, "2023-05-20", "0.5", ""},
		{"Tár", 2022, "2023-06-01", "4", ""},
		{"Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb", 1964, "2023-07-04", "5", ""},
		{`"Crocodile" Dundee`, 1986, "2023-07-30", "2.5", ""},
		{"Parasite", 2019, "2024-03-10", "5", "Second time.\n\nStill the \"peach\" scene gets me."},
		{"Aftersun", 2022, "2023-08-12", "4.5", "Under Pressure, at 1:13 — devastating."},
		{"Heat", 1995, "2022-10-01", "4", ""},
		{"Spirited Away", 2001, "2022-11-20", "5", ""},
		{"Alien", 1979, "2022-09-15", "", ""},
	}
	letterboxdImported = len(letterboxdViewings)

	// imdbViewings: the films of imdb/ratings.csv, stars = rating / 2; the
	// series, the episode, the mini series and the video game are skipped.
	imdbViewings = []viewing{
		{"The Shawshank Redemption", 1994, "2021-03-14", "5", ""},
		{"Fargo", 1996, "2021-05-09", "4", ""},
		{"Spirited Away", 2001, "2021-07-01", "4.5", ""},
		{"Crouching Tiger, Hidden Dragon", 2000, "2021-08-15", "3.5", ""},
		{"Sherlock: The Abominable Bride", 2016, "2021-09-04", "3.5", ""},
		{"Bao", 2018, "2021-10-10", "3.5", ""},
		{"Cats", 2019, "2021-12-24", "0.5", ""},
	}
	imdbImported = len(imdbViewings)
	imdbSkipped  = 4

	// knownFixtureFilms are the fixture films the fake OMDb knows by title
	// and year: the import stores them unmatched, the enrichment gives
	// them their IMDb ID and director.
	knownFixtureFilms = []metaFilm{
		{ID: "tt6751668", Title: "Parasite", Year: "2019", Director: "Bong Joon Ho"},
		{ID: "tt7784604", Title: "The Lighthouse", Year: "2019", Director: "Robert Eggers"},
		{ID: "tt14444726", Title: "Tár", Year: "2022", Director: "Todd Field"},
		{ID: "tt0113277", Title: "Heat", Year: "1995", Director: "Michael Mann"},
		// The IMDb ratings hold Cats under this ID: the two become one.
		{ID: "tt5697572", Title: "Cats", Year: "2019", Director: "Tom Hooper"},
	}
)
