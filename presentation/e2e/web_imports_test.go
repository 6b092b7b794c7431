package e2e_test

import (
	"bytes"
	"encoding/csv"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The import page through the binary on SQLite and PostgreSQL: a
// Letterboxd diary uploaded on the page is imported by the server's worker
// while its job page follows it (a meta refresh until it is done, then
// none), a film OMDb knows gets its IMDb ID afterwards, another user cannot
// see the job, and the diary's export links download it.

// webLetterboxdDiary is a Letterboxd diary.csv: a rewatch, a half star, a
// quoted title with a comma, an unrated viewing, a film the fake OMDb
// knows (by title and year) and one it does not.
const webLetterboxdDiary = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n" +
	"2024-01-02,The Matrix,1999,https://boxd.it/2a,4.5,,,2024-01-01\n" +
	"2024-02-02,The Matrix,1999,https://boxd.it/2b,5,Yes,,2024-02-01\n" +
	"2024-03-02,\"Crouching Tiger, Hidden Dragon\",2000,https://boxd.it/2c,,,,2024-03-01\n"

var importPageLocation = regexp.MustCompile(`^/imports/[0-9a-f-]{36}$`)

// postImport posts the import form as a browser does: multipart, with the
// session's CSRF token, one file.
func (w *webSession) postImport(t *testing.T, s *server, name, content string) response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf_token", w.csrf)
	_ = mw.WriteField("source", "")
	f, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatalf("multipart: %v", err)
	}
	_, _ = f.Write([]byte(content))
	if err := mw.Close(); err != nil {
		t.Fatalf("multipart: %v", err)
	}
	r := s.do(t, req{method: http.MethodPost, path: "/import", body: body.Bytes(), header: map[string]string{
		"Content-Type": mw.FormDataContentType(), "Cookie": w.cookieHeader(), "Accept": "text/html",
	}})
	w.keep(r)
	return r
}

func TestWeb_ImportPageAndExportLinks(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"))
		s.account(t, "owner@example.com")
		s.account(t, "other@example.com")
		if r := s.get(t, "/import"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
			t.Errorf("signed-out GET /import = %s, want 303 → /login", r)
		}
		w := s.webSession(t, "owner@example.com", webPassword)
		page := wantHTML(t, "GET /import", w.page(t, s, "/import"), http.StatusOK)
		if !strings.Contains(page, `enctype="multipart/form-data"`) || !strings.Contains(page, `<a href="/import">Import</a>`) {
			t.Errorf("the import page lacks its upload form or the header its link")
		}

		r := w.postImport(t, s, "diary.csv", webLetterboxdDiary)
		job := r.Header.Get("Location")
		if r.Status != http.StatusSeeOther || !importPageLocation.MatchString(job) {
			t.Fatalf("POST /import = %s (Location %q), want 303 → /imports/{id}", r, job)
		}
		var done string
		eventually(t, "the import done on its page", func() bool {
			page := wantHTML(t, "GET "+job, w.page(t, s, job), http.StatusOK)
			active := strings.Contains(page, "<h1>Import queued</h1>") || strings.Contains(page, "<h1>Import running</h1>")
			if refresh := strings.Contains(page, `<meta http-equiv="refresh" content="2">`); refresh != active {
				t.Fatalf("meta refresh %v on a page that is active %v:\n%s", refresh, active, page)
			}
			done = page
			return strings.Contains(page, "<h1>Import done</h1>")
		})
		for _, want := range []string{`<th scope="row">Imported</th><td>3</td>`, `max="3" value="3"`, `href="/diary?user_id=`} {
			if !strings.Contains(done, want) {
				t.Errorf("the done job's page lacks %s:\n%s", want, done)
			}
		}
		if n := s.totalCount(t); n != 3 {
			t.Errorf("total_count = %d after the import, want 3", n)
		}
		eventually(t, "The Matrix identified after the import", func() bool {
			e, ok := s.entryOf(t, "The Matrix")
			return ok && e.Movie.ExternalMetadataID != nil && *e.Movie.ExternalMetadataID == "tt0133093"
		})

		other := s.webSession(t, "other@example.com", webPassword)
		wantHTML(t, "another user's job", other.page(t, s, job), http.StatusNotFound)

		// Importing the same file again adds nothing.
		r = w.postImport(t, s, "diary.csv", webLetterboxdDiary)
		again := r.Header.Get("Location")
		if r.Status != http.StatusSeeOther || !importPageLocation.MatchString(again) {
			t.Fatalf("the second POST /import = %s, want 303", r)
		}
		eventually(t, "the second import done", func() bool {
			return strings.Contains(string(w.page(t, s, again).Body), "<h1>Import done</h1>")
		})
		if page := string(w.page(t, s, again).Body); !strings.Contains(page, `<th scope="row">Already present</th><td>3</td>`) {
			t.Errorf("the second import's page:\n%s", page)
		}
		if n := s.totalCount(t); n != 3 {
			t.Errorf("total_count = %d after importing again, want 3", n)
		}

		diary := wantHTML(t, "GET /diary", w.page(t, s, "/diary"), http.StatusOK)
		if !strings.Contains(diary, `href="/export?format=csv"`) {
			t.Fatalf("the diary has no CSV export link")
		}
		csvRes := w.page(t, s, "/export?format=csv")
		if csvRes.Status != http.StatusOK || !strings.HasPrefix(csvRes.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("GET /export?format=csv = %s", csvRes)
		}
		rows, err := csv.NewReader(bytes.NewReader(csvRes.Body)).ReadAll()
		if err != nil || len(rows) != 4 {
			t.Fatalf("the CSV export: %v, %q", err, rows)
		}
		// Oldest viewing first; only the second viewing of a film is a
		// rewatch.
		var rewatch []string
		for _, row := range rows[1:] {
			rewatch = append(rewatch, row[1]+"="+map[bool]string{true: "rewatch", false: "first"}[row[6] == "true"])
		}
		if got := strings.Join(rewatch, " "); got != "The Matrix=first The Matrix=rewatch Crouching Tiger, Hidden Dragon=first" {
			t.Errorf("titles and rewatches = %s; the CSV:\n%s\nthe diary: %+v", got, csvRes.Body, s.diary(t, "limit=100").Items)
		}
	})
}
