package presentation_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The HTML pages that correct the record: half-star and unrated ratings in
// the log form, the edit and delete pages of an entry, and the API tokens
// page.

const (
	otherEmail    = "other@example.com"
	otherPassword = "another horse battery"
)

// browser is a signed-in browser: its session cookie and the CSRF token
// its pages carry.
type browser struct {
	session *http.Cookie
	token   string
}

func (a *testApp) signedInBrowser(email, password string) browser {
	a.t.Helper()
	a.register(email, password)
	session, token := a.signIn(email, password)
	return browser{session: session, token: token}
}

// post posts form (with the browser's CSRF token) to path.
func (a *testApp) post(b browser, path string, form url.Values) *http.Response {
	a.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", b.token)
	return a.do(request{method: http.MethodPost, path: path, cookies: []*http.Cookie{b.session}, form: form,
		header: http.Header{"Accept": {"text/html"}}})
}

// logFilm logs a viewing through the log form and returns its review ID.
func (a *testApp) logFilm(b browser, title, rating, comment string) string {
	a.t.Helper()
	res := a.post(b, "/reviews", url.Values{"manual_title": {title}, "manual_release_year": {"1958"},
		"rating": {rating}, "comment": {comment}, "watched_at": {"2024-01-01T20:30"}})
	if res.StatusCode != http.StatusSeeOther {
		a.t.Fatalf("log %s: status %d: %s", title, res.StatusCode, readBody(a.t, res))
	}
	return a.apiEntry(title).Review.ID
}

// apiEntry is the entry of the film title in the JSON diary.
type apiEntryJSON struct {
	Movie struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"movie"`
	Review struct {
		ID        string   `json:"id"`
		Rating    *float64 `json:"rating"`
		Comment   *string  `json:"comment"`
		WatchedAt string   `json:"watched_at"`
	} `json:"review"`
}

func (a *testApp) apiDiary() (total int, items []apiEntryJSON) {
	a.t.Helper()
	var diary struct {
		TotalCount int            `json:"total_count"`
		Items      []apiEntryJSON `json:"items"`
	}
	decodeJSONBody(a.t, a.do(request{method: http.MethodGet, path: "/api/diary"}), &diary)
	return diary.TotalCount, diary.Items
}

func (a *testApp) apiEntry(title string) apiEntryJSON {
	a.t.Helper()
	_, items := a.apiDiary()
	for _, it := range items {
		if it.Movie.Title == title {
			return it
		}
	}
	a.t.Fatalf("no entry for %s in the diary", title)
	return apiEntryJSON{}
}

func ratingOf(e apiEntryJSON) string {
	if e.Review.Rating == nil {
		return "null"
	}
	b, _ := json.Marshal(*e.Review.Rating)
	return string(b)
}

// wantPage checks that res is an HTML page with status and the security
// headers, and returns its body.
func wantPage(t *testing.T, what string, res *http.Response, status int) string {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != status {
		t.Errorf("%s: status %d, want %d\n%s", what, res.StatusCode, status, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("%s: Content-Type %q, want HTML", what, ct)
	}
	if !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") ||
		res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: security headers missing: %v", what, res.Header)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("%s: Cache-Control %q, want no-store", what, got)
	}
	return body
}

func wantRedirect(t *testing.T, what string, res *http.Response, to string) {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != to {
		t.Errorf("%s: %d → %q, want 303 → %s\n%s", what, res.StatusCode, res.Header.Get("Location"), to, readBody(t, res))
	}
}

func TestReviewFormLogsHalfStarsAndUnratedViewings(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	ann := a.signedInBrowser(ownerEmail, ownerPassword)
	a.logFilm(ann, "Vertigo", "3.5", "")
	a.logFilm(ann, "Rope", "", "watched, not rated")

	if got := ratingOf(a.apiEntry("Vertigo")); got != "3.5" {
		t.Errorf("Vertigo rating = %s, want 3.5", got)
	}
	if got := ratingOf(a.apiEntry("Rope")); got != "null" {
		t.Errorf("Rope rating = %s, want null", got)
	}
	page := wantPage(t, "diary", a.get("/diary", ann.session), http.StatusOK)
	for _, want := range []string{"★★★½☆", "3.5 out of 5", `<span class="unrated">Not rated</span>`, `<option value="4.5">4.5 stars</option>`, `<option value="" selected>Not rated</option>`} {
		if !strings.Contains(page, want) {
			t.Errorf("diary lacks %q:\n%s", want, page)
		}
	}
}

func TestEditReviewThroughThePage(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	ann := a.signedInBrowser(ownerEmail, ownerPassword)
	id := a.logFilm(ann, "Vertigo", "4", "first <take>")
	editPath := "/reviews/" + id + "/edit"

	diary := wantPage(t, "diary", a.get("/diary", ann.session), http.StatusOK)
	if !strings.Contains(diary, `href="`+editPath+`"`) || !strings.Contains(diary, `href="/reviews/`+id+`/delete"`) {
		t.Errorf("the author's diary lacks the edit and delete links:\n%s", diary)
	}

	form := wantPage(t, "GET edit", a.get(editPath, ann.session), http.StatusOK)
	for _, want := range []string{`action="` + editPath + `"`, `<option value="4" selected>`, html.EscapeString("first <take>") + "</textarea>",
		`value="2024-01-01T20:30"`, `<option value="">Not rated</option>`, `name="csrf_token" value="` + ann.token + `"`} {
		if !strings.Contains(form, want) {
			t.Errorf("edit form lacks %q:\n%s", want, form)
		}
	}

	res := a.post(ann, editPath, url.Values{"rating": {"3.5"}, "comment": {"better & second"}, "watched_at": {"2024-02-03T21:00"}})
	wantRedirect(t, "POST edit", res, "/diary")
	e := a.apiEntry("Vertigo")
	if ratingOf(e) != "3.5" || e.Review.Comment == nil || *e.Review.Comment != "better & second" || e.Review.WatchedAt != "2024-02-03T21:00:00" {
		t.Errorf("after the edit: rating %s, comment %v, watched_at %s", ratingOf(e), e.Review.Comment, e.Review.WatchedAt)
	}
	diary = readBody(t, a.get("/diary", ann.session))
	for _, want := range []string{"★★★½☆", html.EscapeString("better & second"), "3 February 2024"} {
		if !strings.Contains(diary, want) {
			t.Errorf("diary lacks %q after the edit:\n%s", want, diary)
		}
	}

	// Not rated and no comment.
	wantRedirect(t, "POST edit to not rated", a.post(ann, editPath, url.Values{"rating": {""}, "comment": {""}, "watched_at": {"2024-02-03T21:00"}}), "/diary")
	if e := a.apiEntry("Vertigo"); ratingOf(e) != "null" || e.Review.Comment != nil {
		t.Errorf("after clearing: rating %s, comment %v", ratingOf(e), e.Review.Comment)
	}
	if total, _ := a.apiDiary(); total != 1 {
		t.Errorf("total = %d after edits, want 1", total)
	}
}

func TestEditReviewFormRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	ann := a.signedInBrowser(ownerEmail, ownerPassword)
	id := a.logFilm(ann, "Vertigo", "4", "kept")
	future := time.Now().UTC().AddDate(0, 0, 3).Format("2006-01-02T15:04")
	tests := []struct {
		name     string
		form     url.Values
		wantMsgs []string
		wantKept []string
	}{
		{"a rating between the halves and a future date",
			url.Values{"rating": {"4.3"}, "comment": {"typed"}, "watched_at": {future}},
			[]string{"Rating must be a number from 0 to 5 in steps of 0.5, or not rated.", "Watched at"},
			[]string{"typed</textarea>", `value="` + future + `"`}},
		{"a rating out of range and no date",
			url.Values{"rating": {"6"}, "comment": {"kept"}, "watched_at": {""}},
			[]string{"Rating must be a number", "Watched at is required."}, nil},
		{"an unparseable date",
			url.Values{"rating": {"2"}, "watched_at": {"yesterday"}},
			[]string{"Watched at must be a date-time"}, []string{`value="yesterday"`, `<option value="2" selected>`}},
		{"a comment too long",
			url.Values{"rating": {"2"}, "comment": {strings.Repeat("x", 10001)}, "watched_at": {"2024-01-01T10:00"}},
			[]string{"Comment"}, nil},
	}
	for _, tt := range tests {
		body := wantPage(t, tt.name, a.post(ann, "/reviews/"+id+"/edit", tt.form), http.StatusBadRequest)
		if !strings.Contains(body, `role="alert"`) || !strings.Contains(body, "Edit Vertigo (1958)") {
			t.Errorf("%s: not the edit form with errors:\n%s", tt.name, body)
		}
		for _, m := range append(tt.wantMsgs, tt.wantKept...) {
			if !strings.Contains(body, m) {
				t.Errorf("%s: page lacks %q:\n%s", tt.name, m, body)
			}
		}
	}
	if e := a.apiEntry("Vertigo"); ratingOf(e) != "4" || e.Review.Comment == nil || *e.Review.Comment != "kept" {
		t.Errorf("refused edits changed the entry: rating %s, comment %v", ratingOf(e), e.Review.Comment)
	}
}

func TestDeleteReviewThroughTheConfirmationPage(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	ann := a.signedInBrowser(ownerEmail, ownerPassword)
	id := a.logFilm(ann, "Vertigo", "4", "")
	a.logFilm(ann, "Rope", "2", "")
	deletePath := "/reviews/" + id + "/delete"

	page := wantPage(t, "GET delete", a.get(deletePath, ann.session), http.StatusOK)
	for _, want := range []string{"Delete this entry?", "Vertigo (1958)", "1 January 2024", `action="` + deletePath + `"`,
		`<button class="danger" type="submit">Delete</button>`, `<a href="/diary">Cancel</a>`} {
		if !strings.Contains(page, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, page)
		}
	}
	if total, _ := a.apiDiary(); total != 2 {
		t.Fatalf("the confirmation page deleted something: total %d", total)
	}

	wantRedirect(t, "POST delete", a.post(ann, deletePath, nil), "/diary")
	total, items := a.apiDiary()
	if total != 1 || len(items) != 1 || items[0].Movie.Title != "Rope" {
		t.Errorf("after the delete: total %d, items %+v", total, items)
	}
	diary := readBody(t, a.get("/diary", ann.session))
	if strings.Contains(diary, "Vertigo") || !strings.Contains(diary, "1 viewing") {
		t.Errorf("diary still shows the deleted entry or the old count:\n%s", diary)
	}
	// Gone now: both pages and the post say so.
	wantPage(t, "GET delete again", a.get(deletePath, ann.session), http.StatusNotFound)
	wantPage(t, "POST delete again", a.post(ann, deletePath, nil), http.StatusNotFound)
	wantPage(t, "GET edit of the deleted", a.get("/reviews/"+id+"/edit", ann.session), http.StatusNotFound)
}

func TestEditAndDeleteOfAnotherUsersReviewAreRefused(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, map[string]string{"ALLOW_REGISTRATION": "true"})
	ann := a.signedInBrowser(ownerEmail, ownerPassword)
	bob := a.signedInBrowser(otherEmail, otherPassword)
	id := a.logFilm(ann, "Vertigo", "4", "ann's")

	diary := readBody(t, a.get("/diary", bob.session))
	if !strings.Contains(diary, "Vertigo (1958)") || strings.Contains(diary, "/reviews/"+id+"/edit") || strings.Contains(diary, "/reviews/"+id+"/delete") {
		t.Errorf("another user's diary offers to edit or delete ann's entry:\n%s", diary)
	}
	edit := url.Values{"rating": {"1"}, "comment": {"bob's"}, "watched_at": {"2024-01-01T10:00"}}
	for _, tc := range []struct {
		what string
		res  *http.Response
	}{
		{"GET edit", a.get("/reviews/"+id+"/edit", bob.session)},
		{"POST edit", a.post(bob, "/reviews/"+id+"/edit", edit)},
		{"POST edit with a bad rating", a.post(bob, "/reviews/"+id+"/edit", url.Values{"rating": {"4.3"}, "watched_at": {"2024-01-01T10:00"}})},
		{"GET delete", a.get("/reviews/"+id+"/delete", bob.session)},
		{"POST delete", a.post(bob, "/reviews/"+id+"/delete", nil)},
	} {
		body := wantPage(t, tc.what, tc.res, http.StatusForbidden)
		if strings.Contains(body, "ann&#39;s") || strings.Contains(body, "ann's") {
			t.Errorf("%s: the refusal shows the entry:\n%s", tc.what, body)
		}
	}
	unknown := "01890a5d-ac96-774b-bcce-b302099a8057"
	for _, path := range []string{"/reviews/" + unknown + "/edit", "/reviews/" + unknown + "/delete", "/reviews/not-an-id/edit", "/reviews/not-an-id/delete"} {
		wantPage(t, "GET "+path, a.get(path, ann.session), http.StatusNotFound)
		wantPage(t, "POST "+path, a.post(ann, path, url.Values{"rating": {"1"}, "watched_at": {"2024-01-01T10:00"}}), http.StatusNotFound)
	}
	if e := a.apiEntry("Vertigo"); ratingOf(e) != "4" || e.Review.Comment == nil || *e.Review.Comment != "ann's" {
		t.Errorf("refused requests changed the entry: rating %s, comment %v", ratingOf(e), e.Review.Comment)
	}
	if total, _ := a.apiDiary(); total != 1 {
		t.Errorf("total = %d, want 1", total)
	}
}

func TestEditAndDeleteNeedSessionAndCSRF(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	ann := a.signedInBrowser(ownerEmail, ownerPassword)
	id := a.logFilm(ann, "Vertigo", "4", "")
	edit := url.Values{"rating": {"1"}, "watched_at": {"2024-01-01T10:00"}}

	for _, path := range []string{"/reviews/" + id + "/edit", "/reviews/" + id + "/delete"} {
		// Signed out: the pages send the browser to sign in.
		wantRedirect(t, "signed-out GET "+path, a.get(path), "/login")
		// Signed in, without the token, or with another browser's.
		res := a.do(request{method: http.MethodPost, path: path, cookies: []*http.Cookie{ann.session}, form: edit,
			header: http.Header{"Accept": {"text/html"}}})
		wantForbidden(t, "no token "+path, res)
		other := browser{session: ann.session, token: strings.Repeat("x", len(ann.token))}
		wantForbidden(t, "wrong token "+path, a.post(other, path, url.Values{"rating": {"1"}, "watched_at": {"2024-01-01T10:00"}}))
		// A token in the query string is not read.
		res = a.do(request{method: http.MethodPost, path: path + "?csrf_token=" + url.QueryEscape(ann.token), cookies: []*http.Cookie{ann.session},
			form: edit, header: http.Header{"Accept": {"text/html"}}})
		wantForbidden(t, "query token "+path, res)
		// Signed out with a pre-session token: sent to sign in.
		pre, preToken := a.loginForm()
		wantRedirect(t, "signed-out POST "+path, a.post(browser{session: pre, token: preToken}, path, url.Values{"rating": {"1"}, "watched_at": {"2024-01-01T10:00"}}), "/login")
	}
	if e := a.apiEntry("Vertigo"); ratingOf(e) != "4" {
		t.Errorf("refused posts changed the rating to %s", ratingOf(e))
	}
	if total, _ := a.apiDiary(); total != 1 {
		t.Errorf("refused posts deleted the entry: total %d", total)
	}
}

var newTokenCode = regexp.MustCompile(`<code class="token" id="new-token">([^<]+)</code>`)

func TestTokensPageCreatesShowsOnceListsAndRevokes(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, map[string]string{"ALLOW_REGISTRATION": "true"})
	ann := a.signedInBrowser(ownerEmail, ownerPassword)

	wantRedirect(t, "signed-out GET /tokens", a.get("/tokens"), "/login")
	page := wantPage(t, "GET /tokens", a.get("/tokens", ann.session), http.StatusOK)
	if !strings.Contains(page, "No tokens yet.") || !strings.Contains(page, `action="/tokens"`) || !strings.Contains(page, `<a href="/tokens">API tokens</a>`) {
		t.Errorf("empty tokens page:\n%s", page)
	}

	res := a.post(ann, "/tokens", url.Values{"name": {"ann-laptop"}, "expires_at": {time.Now().UTC().AddDate(1, 0, 0).Format(time.DateOnly)}})
	if loc := res.Header.Get("Location"); loc != "" {
		t.Errorf("creating a token redirects to %q; the token must be shown in this response", loc)
	}
	page = wantPage(t, "POST /tokens", res, http.StatusCreated)
	m := newTokenCode.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no new token on the page:\n%s", page)
	}
	secret := m[1]
	if !strings.HasPrefix(secret, "mdpat_") || strings.Count(page, secret) != 1 || !strings.Contains(page, "it will not be shown again") {
		t.Errorf("new token %q shown %d times, or without the note:\n%s", secret, strings.Count(page, secret), page)
	}
	if !strings.Contains(page, "<th scope=\"row\">ann-laptop</th>") || !strings.Contains(page, secret[:14]+"…") {
		t.Errorf("the list lacks the new token's name or prefix:\n%s", page)
	}

	// The token works as a bearer token.
	logWith := func(token string) *http.Response {
		return a.do(request{method: http.MethodPost, path: "/api/reviews",
			body:   `{"manual_title":"Rope","manual_release_year":1948,"rating":4.5,"watched_at":"2024-01-01T10:00:00"}`,
			header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}}})
	}
	if res := logWith(secret); res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/reviews with the new token: %d %s", res.StatusCode, readBody(t, res))
	}

	// Shown once: the list no longer carries it.
	page = wantPage(t, "GET /tokens again", a.get("/tokens", ann.session), http.StatusOK)
	if strings.Contains(page, secret) || strings.Contains(page, "not be shown again") {
		t.Errorf("the token is shown again:\n%s", page)
	}
	revoke := regexp.MustCompile(`action="(/tokens/[0-9a-f-]{36}/revoke)"`).FindStringSubmatch(page)
	if revoke == nil {
		t.Fatalf("no revoke form:\n%s", page)
	}

	// Another user can neither see nor revoke it.
	bob := a.signedInBrowser(otherEmail, otherPassword)
	if page := readBody(t, a.get("/tokens", bob.session)); strings.Contains(page, "ann-laptop") {
		t.Errorf("another user's tokens page lists ann's token:\n%s", page)
	}
	wantPage(t, "bob revokes ann's token", a.post(bob, revoke[1], nil), http.StatusNotFound)
	wantForbidden(t, "revoke without the token", a.do(request{method: http.MethodPost, path: revoke[1], cookies: []*http.Cookie{ann.session},
		form: url.Values{}, header: http.Header{"Accept": {"text/html"}}}))
	if res := logWith(secret); res.StatusCode != http.StatusCreated {
		t.Fatalf("refused revocations revoked the token: %d", res.StatusCode)
	}

	wantRedirect(t, "revoke", a.post(ann, revoke[1], nil), "/tokens")
	if res := logWith(secret); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a revoked token: %d, want 401", res.StatusCode)
	}
	if page := readBody(t, a.get("/tokens", ann.session)); !strings.Contains(page, "No tokens yet.") {
		t.Errorf("revoked token still listed:\n%s", page)
	}
	wantPage(t, "revoke again", a.post(ann, revoke[1], nil), http.StatusNotFound)
	wantPage(t, "revoke a malformed ID", a.post(ann, "/tokens/nope/revoke", nil), http.StatusNotFound)
}

func TestTokensFormRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	ann := a.signedInBrowser(ownerEmail, ownerPassword)
	tests := []struct {
		name    string
		form    url.Values
		wantMsg string
	}{
		{"blank name", url.Values{"name": {"  "}}, "Name must not be empty."},
		{"name too long", url.Values{"name": {strings.Repeat("n", 101)}}, "Name must be at most 100 characters."},
		{"expiry in the past", url.Values{"name": {"old"}, "expires_at": {"2020-01-01"}}, "Expiry date must be in the future."},
		{"expiry not a date", url.Values{"name": {"bad"}, "expires_at": {"next week"}}, "Expiry date must be a date like 2030-01-31."},
	}
	for _, tt := range tests {
		body := wantPage(t, tt.name, a.post(ann, "/tokens", tt.form), http.StatusBadRequest)
		if !strings.Contains(body, tt.wantMsg) || strings.Contains(body, `id="new-token"`) {
			t.Errorf("%s: page lacks %q or shows a token:\n%s", tt.name, tt.wantMsg, body)
		}
		if v := tt.form.Get("expires_at"); v != "" && !strings.Contains(body, `value="`+v+`"`) {
			t.Errorf("%s: the expiry typed is not kept", tt.name)
		}
	}
	if page := readBody(t, a.get("/tokens", ann.session)); !strings.Contains(page, "No tokens yet.") {
		t.Errorf("refused forms made tokens:\n%s", page)
	}
	wantRedirect(t, "signed-out POST", a.post(func() browser { pre, tok := a.loginForm(); return browser{pre, tok} }(), "/tokens", url.Values{"name": {"x"}}), "/login")
}
