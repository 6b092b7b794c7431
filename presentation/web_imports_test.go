package presentation_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The import and export pages: the upload form (CSRF-protected,
// multipart), the job page (progress, counts, problems; a meta refresh
// while the job waits or runs, none once it is done; another user's job a
// 404), and the export links of the signed-in user's diary.

// letterboxdDiary is a Letterboxd diary.csv: a film watched twice (the
// second a rewatch), a title with a comma, a half star, an unrated
// viewing, and a row with a rating Letterboxd never gives (line 5).
const letterboxdDiary = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\r\n" +
	"2024-01-02,Heat,1995,https://boxd.it/1a,4.5,,,2024-01-01\r\n" +
	"2024-02-02,Heat,1995,https://boxd.it/1b,5,Yes,,2024-02-01\r\n" +
	"2024-03-02,\"Crouching Tiger, Hidden Dragon\",2000,https://boxd.it/1c,,,,2024-03-01\r\n" +
	"2024-04-02,Thief,1981,https://boxd.it/1d,7,,,2024-04-01\r\n"

var importJobLocation = regexp.MustCompile(`^/imports/[0-9a-f-]{36}$`)

// upload is one file of a multipart upload.
type upload struct{ name, content string }

// postImport posts the import form as a browser does: multipart, with the
// CSRF token in the body, the fields and the files.
func (a *testApp) postImport(b browser, fields url.Values, files ...upload) *http.Response {
	a.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if b.token != "" {
		_ = mw.WriteField("csrf_token", b.token)
	}
	for name, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(name, v)
		}
	}
	for _, f := range files {
		w, err := mw.CreateFormFile("file", f.name)
		if err != nil {
			a.t.Fatalf("multipart: %v", err)
		}
		_, _ = w.Write([]byte(f.content))
	}
	if err := mw.Close(); err != nil {
		a.t.Fatalf("multipart: %v", err)
	}
	return a.do(request{method: http.MethodPost, path: "/import", body: body.String(), cookies: []*http.Cookie{b.session},
		header: http.Header{"Content-Type": {mw.FormDataContentType()}, "Accept": {"text/html"}}})
}

// runWorkers serves the app on a loopback port, which runs its import
// worker and event bus, until the test ends.
func (a *testApp) runWorkers() {
	a.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.app.Serve(ctx, ln) }()
	a.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			a.t.Errorf("Serve: %v", err)
		}
	})
}

// jobPageUntil polls the job page until it contains want.
func (a *testApp) jobPageUntil(b browser, path, want string) string {
	a.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		page := wantPage(a.t, "GET "+path, a.get(path, b.session), http.StatusOK)
		if strings.Contains(page, want) {
			return page
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("the job page never showed %q:\n%s", want, page)
		}
		<-tick.C
	}
}

const metaRefresh = `<meta http-equiv="refresh" content="2">`

func TestImportPageStartsAnImportAndItsPageFollowsIt(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, map[string]string{"ALLOW_REGISTRATION": "true"})
	ann := a.signedInBrowser(ownerEmail, ownerPassword)

	wantRedirect(t, "signed-out GET /import", a.get("/import"), "/login")
	page := wantPage(t, "GET /import", a.get("/import", ann.session), http.StatusOK)
	for _, want := range []string{`<form class="stack" method="post" action="/import" enctype="multipart/form-data">`,
		`name="csrf_token" value="` + ann.token + `"`, `name="file" type="file" multiple`, `<a href="/import">Import</a>`,
		"Settings → Import &amp; Export → Export your data", "Up to 50 MiB", `href="/export?format=csv"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the import page lacks %s:\n%s", want, page)
		}
	}
	diary := wantPage(t, "GET /diary", a.get("/diary", ann.session), http.StatusOK)
	if !strings.Contains(diary, `Export: <a href="/export?format=json"`) {
		t.Errorf("the signed-in diary has no export links:\n%s", diary)
	}

	// Without the form's token, nothing is started.
	wantForbidden(t, "POST /import without the token", a.postImport(browser{session: ann.session}, nil, upload{"diary.csv", letterboxdDiary}))

	// No worker runs yet: the job waits, and its page says so and
	// refreshes itself.
	res := a.postImport(ann, url.Values{"source": {"letterboxd"}}, upload{"diary.csv", letterboxdDiary})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !importJobLocation.MatchString(loc) {
		t.Fatalf("POST /import: %d → %q, want 303 → /imports/{id}\n%s", res.StatusCode, loc, readBody(t, res))
	}
	page = wantPage(t, "the queued job", a.get(loc, ann.session), http.StatusOK)
	for _, want := range []string{metaRefresh, "<h1>Import queued</h1>", `<a href="` + loc + `">Refresh</a>`, `<progress`} {
		if !strings.Contains(page, want) {
			t.Errorf("the queued job's page lacks %s:\n%s", want, page)
		}
	}

	// One import at a time: the next is refused while this one waits.
	again := wantPage(t, "a second import", a.postImport(ann, nil, upload{"diary.csv", letterboxdDiary}), http.StatusConflict)
	if !strings.Contains(again, "still running") || !strings.Contains(again, `action="/import"`) {
		t.Errorf("the 409 page does not say why, or lacks the form:\n%s", again)
	}

	// Another user cannot see the job; a malformed or unknown ID is no job.
	bob := a.signedInBrowser(otherEmail, otherPassword)
	wantPage(t, "bob opens ann's job", a.get(loc, bob.session), http.StatusNotFound)
	wantPage(t, "a malformed job ID", a.get("/imports/nope", ann.session), http.StatusNotFound)
	wantPage(t, "an unknown job", a.get("/imports/0190f5d6-8a8e-7cc1-b2a4-3c6f1e0d9a77", ann.session), http.StatusNotFound)
	wantRedirect(t, "signed-out job page", a.get(loc), "/login")

	a.runWorkers()
	page = a.jobPageUntil(ann, loc, "<h1>Import done</h1>")
	if strings.Contains(page, "http-equiv") || strings.Contains(page, `">Refresh</a>`) {
		t.Errorf("the done job's page still refreshes:\n%s", page)
	}
	counts := regexp.MustCompile(`<th scope="row">([^<]+)</th><td>(\d+)</td>`).FindAllStringSubmatch(page, -1)
	var got []string
	for _, m := range counts {
		got = append(got, m[1]+"="+m[2])
	}
	if want := "Imported=3 Already present=0 Skipped=1 Unmatched=3"; strings.Join(got, " ") != want {
		t.Errorf("counts = %v, want %s", got, want)
	}
	for _, want := range []string{`<progress id="import-progress" max="4" value="4">`, "<code>diary.csv:5</code>", `href="/diary?user_id=`} {
		if !strings.Contains(page, want) {
			t.Errorf("the done job's page lacks %s:\n%s", want, page)
		}
	}
	if total, _ := a.apiDiary(); total != 3 {
		t.Errorf("the diary holds %d entries, want 3", total)
	}
}

func TestImportFormRefusalsShowTheFormAgain(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	ann := a.signedInBrowser(ownerEmail, ownerPassword)
	tests := []struct {
		name    string
		fields  url.Values
		files   []upload
		wantMsg string
	}{
		{"no file", url.Values{"source": {"imdb"}}, nil, "Files:"},
		{"an unknown source", url.Values{"source": {"trakt"}}, []upload{{"diary.csv", letterboxdDiary}}, "Source:"},
		{"a file of no known kind", nil, []upload{{"notes.csv", "a,b\n1,2\n"}}, "notes.csv"},
	}
	for _, tt := range tests {
		page := wantPage(t, tt.name, a.postImport(ann, tt.fields, tt.files...), http.StatusBadRequest)
		if !strings.Contains(page, `<div class="errors" role="alert">`) || !strings.Contains(page, tt.wantMsg) {
			t.Errorf("%s: the page does not say %q:\n%s", tt.name, tt.wantMsg, page)
		}
		if s := tt.fields.Get("source"); s == "imdb" && !strings.Contains(page, `<option value="imdb" selected>`) {
			t.Errorf("%s: the source chosen is not kept", tt.name)
		}
	}
	if total, _ := a.apiDiary(); total != 0 {
		t.Errorf("refused uploads imported %d entries", total)
	}
	pre, tok := a.loginForm()
	wantRedirect(t, "signed-out POST /import", a.postImport(browser{pre, tok}, nil, upload{"diary.csv", letterboxdDiary}), "/login")
}

func TestExportLinksDownloadTheSignedInUsersDiary(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, map[string]string{"ALLOW_REGISTRATION": "true"})
	ann := a.signedInBrowser(ownerEmail, ownerPassword)
	a.logFilm(ann, "=HYPERLINK(\"http://evil\")", "4.5", "first")
	a.logFilm(ann, "Vertigo", "", "+1 would watch again")
	bob := a.signedInBrowser(otherEmail, otherPassword)
	a.logFilm(bob, "Rope", "3", "bob's")

	wantRedirect(t, "signed-out GET /export", a.get("/export?format=csv"), "/login")

	res := a.get("/export?format=csv", ann.session)
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("GET /export?format=csv: %d %v\n%s", res.StatusCode, res.Header, body)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, body)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != "imdbID,Title,Year,Directors,WatchedDate,Rating,Rewatch,Review" {
		t.Fatalf("CSV = %q, want the header and ann's 2 entries", rows)
	}
	for _, r := range rows[1:] {
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("cell %q starts a formula", cell)
			}
		}
		if strings.Contains(strings.Join(r, ","), "Rope") {
			t.Errorf("bob's entry is in ann's export: %q", r)
		}
	}

	res = a.get("/export?format=json", ann.session)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("GET /export?format=json: %d %v\n%s", res.StatusCode, res.Header, readBody(t, res))
	}
	var doc struct {
		Format  string         `json:"format"`
		Version int            `json:"version"`
		Entries []apiEntryJSON `json:"entries"`
	}
	decodeJSONBody(t, res, &doc)
	if doc.Format != "moviediary" || doc.Version != 1 || len(doc.Entries) != 2 {
		t.Errorf("JSON export = %+v, want ann's 2 entries", doc)
	}
	wantPage(t, "an unknown format", a.get("/export?format=xml", ann.session), http.StatusBadRequest)
}

// The JSON export is read back by the import: exporting from one
// instance and importing into a fresh one gives the same entries.
func TestExportedJSONImportsIntoAFreshInstance(t *testing.T) {
	t.Parallel()
	src := newTestApp(t, nil)
	ann := src.signedInBrowser(ownerEmail, ownerPassword)
	src.logFilm(ann, "Vertigo", "4.5", "dizzy")
	src.logFilm(ann, "Rope", "", "")
	res := src.get("/export?format=json", ann.session)
	export := readBody(t, res)

	dst := newTestApp(t, nil)
	ann2 := dst.signedInBrowser(ownerEmail, ownerPassword)
	res = dst.postImport(ann2, nil, upload{"moviediary.json", export})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !importJobLocation.MatchString(loc) {
		t.Fatalf("POST /import: %d → %q\n%s", res.StatusCode, loc, readBody(t, res))
	}
	dst.runWorkers()
	dst.jobPageUntil(ann2, loc, "<h1>Import done</h1>")
	_, want := src.apiDiary()
	_, got := dst.apiDiary()
	wb, _ := json.Marshal(want)
	gb, _ := json.Marshal(got)
	if !bytes.Equal(wb, gb) {
		t.Errorf("the fresh instance's diary\n%s\nwant\n%s", gb, wb)
	}
}
