package presentation_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	ownerEmail    = "owner@example.com"
	ownerPassword = "correct horse battery"
)

func TestLoginPageSetsCSRFCookieAndBoundToken(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	res := a.get("/login")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /login = %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want text/html", ct)
	}
	ck := cookieNamed(res, "moviediary_csrf")
	if ck == nil || len(ck.Value) < 32 {
		t.Fatalf("csrf cookie = %+v, want a random pre-session ID of at least 32 characters", ck)
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
		t.Errorf("csrf cookie = %+v, want HttpOnly, SameSite=Lax, Path=/", ck)
	}
	page := readBody(t, res)
	token := formToken(t, page)
	if len(token) < 32 || token == ck.Value {
		t.Errorf("form token %q: want a token of at least 32 characters derived from, not equal to, the cookie %q", token, ck.Value)
	}
	if !strings.Contains(page, `action="/login"`) || !strings.Contains(page, `name="email"`) || !strings.Contains(page, `name="password"`) {
		t.Errorf("login page lacks the form:\n%s", page)
	}

	// A request that already carries the cookie keeps it and its token.
	again := a.get("/login", ck)
	if c := cookieNamed(again, "moviediary_csrf"); c != nil {
		t.Errorf("a second GET re-issued the csrf cookie: %+v", c)
	}
	if got := formToken(t, readBody(t, again)); got != token {
		t.Errorf("second form token %q, want the first one %q", got, token)
	}
	// Another browser gets another cookie and another token.
	other := a.get("/login")
	if c := cookieNamed(other, "moviediary_csrf"); c == nil || c.Value == ck.Value {
		t.Errorf("a second browser got the cookie %+v, want a fresh one", c)
	}
	if got := formToken(t, readBody(t, other)); got == token {
		t.Errorf("a second browser got the same token %q", got)
	}
}

func TestLoginFormCSRF(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	csrf, token := a.loginForm()
	creds := url.Values{"email": {ownerEmail}, "password": {ownerPassword}}

	tests := []struct {
		name    string
		cookies []*http.Cookie
		token   string
	}{
		{"no token, no cookie", nil, ""},
		{"cookie but no token", []*http.Cookie{csrf}, ""},
		{"wrong token", []*http.Cookie{csrf}, strings.Repeat("x", len(token))},
		{"the cookie's value as the token", []*http.Cookie{csrf}, csrf.Value},
		{"token but no cookie", nil, token},
	}
	for _, tt := range tests {
		form := url.Values{"email": creds["email"], "password": creds["password"]}
		if tt.token != "" {
			form.Set("csrf_token", tt.token)
		}
		res := a.do(request{method: http.MethodPost, path: "/login", cookies: tt.cookies, form: form,
			header: http.Header{"Accept": {"text/html"}}})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", tt.name, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: Content-Type %q, want an HTML page", tt.name, ct)
		}
		if cookieNamed(res, "moviediary_session") != nil {
			t.Errorf("%s: a session cookie was set", tt.name)
		}
		if body := readBody(t, res); !strings.Contains(body, "403") {
			t.Errorf("%s: page does not say 403:\n%s", tt.name, body)
		}
	}

	// Wrong password with a good token: the form again, 401, no cookie.
	res := a.do(request{method: http.MethodPost, path: "/login", cookies: []*http.Cookie{csrf},
		form: url.Values{"csrf_token": {token}, "email": {ownerEmail}, "password": {"not the password"}}})
	if res.StatusCode != http.StatusUnauthorized || cookieNamed(res, "moviediary_session") != nil {
		t.Errorf("wrong password: status %d, cookies %q", res.StatusCode, res.Header.Values("Set-Cookie"))
	}
	body := readBody(t, res)
	if !strings.Contains(body, "Invalid email or password.") || !strings.Contains(body, `value="`+ownerEmail+`"`) {
		t.Errorf("wrong password page lacks the message or the entered email:\n%s", body)
	}
}

func TestLoginSessionCookie(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		baseURL    string
		wantSecure bool
		prefix     string // of the cookie names
	}{
		{"http://localhost:3000", false, ""},
		{"https://diary.example.org", true, "__Host-"},
	} {
		t.Run(tt.baseURL, func(t *testing.T) {
			t.Parallel()
			a := newTestApp(t, map[string]string{"BASE_URL": tt.baseURL})
			a.register(ownerEmail, ownerPassword)
			form := a.get("/login")
			csrf := cookieNamed(form, tt.prefix+"moviediary_csrf")
			if csrf == nil {
				t.Fatalf("no %smoviediary_csrf cookie: %q", tt.prefix, form.Header.Values("Set-Cookie"))
			}
			token := formToken(t, readBody(t, form))
			if csrf.Secure != tt.wantSecure {
				t.Errorf("csrf cookie Secure = %v, want %v", csrf.Secure, tt.wantSecure)
			}
			res := a.do(request{method: http.MethodPost, path: "/login", cookies: []*http.Cookie{csrf},
				form: url.Values{"csrf_token": {token}, "email": {"  OWNER@example.com "}, "password": {ownerPassword}}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/diary" {
				t.Fatalf("POST /login = %d → %q, want 303 → /diary", res.StatusCode, res.Header.Get("Location"))
			}
			ck := cookieNamed(res, tt.prefix+"moviediary_session")
			if ck == nil || ck.Value == "" {
				t.Fatalf("no session cookie: %q", res.Header.Values("Set-Cookie"))
			}
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure != tt.wantSecure {
				t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Lax, Path=/, Secure=%v", ck, tt.wantSecure)
			}
			if !ck.Expires.After(time.Now()) {
				t.Errorf("session cookie expires %v, want the token's expiry", ck.Expires)
			}

			// The cookie signs the diary page in.
			page := readBody(t, a.get("/diary", ck, csrf))
			if !strings.Contains(page, ownerEmail) || !strings.Contains(page, `action="/reviews"`) {
				t.Errorf("signed-in diary lacks the email or the log form:\n%s", page)
			}
		})
	}
}

func TestReviewFormLogsAViewing(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	session, token := a.signIn(ownerEmail, ownerPassword)
	cookies := []*http.Cookie{session}

	res := a.do(request{method: http.MethodPost, path: "/reviews", cookies: cookies, form: url.Values{
		"csrf_token":          {token},
		"manual_title":        {"The Third Man"},
		"manual_release_year": {"1949"},
		"manual_director":     {"Carol Reed"},
		"rating":              {"5"},
		"comment":             {"Zither & sewers <3"},
		"watched_at":          {"2024-03-09T20:30"},
	}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/diary" {
		t.Fatalf("POST /reviews = %d → %q: %s", res.StatusCode, res.Header.Get("Location"), readBody(t, res))
	}
	page := readBody(t, a.get("/diary", cookies...))
	for _, want := range []string{"The Third Man (1949)", "Carol Reed", html.EscapeString("Zither & sewers <3"), `datetime="2024-03-09T20:30`} {
		if !strings.Contains(page, want) {
			t.Errorf("diary lacks %q:\n%s", want, page)
		}
	}

	// The same entry is in the JSON diary.
	var diary struct {
		TotalCount int `json:"total_count"`
		Items      []struct {
			Movie struct {
				Title string `json:"title"`
			} `json:"movie"`
			Review struct {
				Rating    int    `json:"rating"`
				WatchedAt string `json:"watched_at"`
			} `json:"review"`
		} `json:"items"`
	}
	decodeJSONBody(t, a.do(request{method: http.MethodGet, path: "/api/diary"}), &diary)
	if diary.TotalCount != 1 || diary.Items[0].Movie.Title != "The Third Man" || diary.Items[0].Review.Rating != 5 ||
		diary.Items[0].Review.WatchedAt != "2024-03-09T20:30:00" {
		t.Errorf("API diary = %+v", diary)
	}
}

func TestReviewFormRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	session, token := a.signIn(ownerEmail, ownerPassword)
	cookies := []*http.Cookie{session}
	future := time.Now().UTC().AddDate(0, 0, 3).Format("2006-01-02T15:04")

	tests := []struct {
		name      string
		form      url.Values
		wantMsgs  []string
		wantKept  []string
		wantNoMsg []string
	}{
		{
			name: "rating 9 and a future date",
			form: url.Values{"manual_title": {"Vertigo"}, "manual_release_year": {"1958"}, "rating": {"9"},
				"comment": {"kept comment"}, "watched_at": {future}},
			wantMsgs: []string{"Rating", "Watched at"},
			wantKept: []string{`value="Vertigo"`, `value="1958"`, "kept comment", `value="` + future + `"`},
		},
		{
			name:     "unparseable numbers and time",
			form:     url.Values{"manual_title": {"Vertigo"}, "manual_release_year": {"nineteen"}, "rating": {"five"}, "watched_at": {"yesterday"}},
			wantMsgs: []string{"Rating must be a number from 0 to 5 in steps of 0.5, or not rated.", "Year must be a year like 1994.", "Watched at"},
			wantKept: []string{`value="nineteen"`, `value="yesterday"`},
		},
		{
			name:     "rating 9 and a malformed date",
			form:     url.Values{"manual_title": {"Vertigo"}, "manual_release_year": {"1958"}, "rating": {"9"}, "watched_at": {"tomorrow"}},
			wantMsgs: []string{"Rating must be a number from 0 to 5 in steps of 0.5, or not rated.", "Watched at must be a date-time"},
			wantKept: []string{`value="tomorrow"`},
		},
		{
			name:     "nothing to identify the film",
			form:     url.Values{"rating": {"3"}, "watched_at": {"2024-01-01"}},
			wantMsgs: []string{"title"},
		},
		{
			name:     "a rating between the halves",
			form:     url.Values{"manual_title": {"Vertigo"}, "manual_release_year": {"1958"}, "rating": {"4.3"}, "watched_at": {"2024-01-01"}},
			wantMsgs: []string{"Rating must be a number from 0 to 5 in steps of 0.5, or not rated."},
		},
		{
			// No rating is "not rated": only the date is missing.
			name:      "missing rating and date",
			form:      url.Values{"manual_title": {"Vertigo"}, "manual_release_year": {"1958"}},
			wantMsgs:  []string{"Watched at is required."},
			wantNoMsg: []string{"Rating"},
		},
	}
	for _, tt := range tests {
		tt.form.Set("csrf_token", token)
		res := a.do(request{method: http.MethodPost, path: "/reviews", cookies: cookies, form: tt.form})
		body := readBody(t, res)
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400\n%s", tt.name, res.StatusCode, body)
			continue
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: Content-Type %q, want HTML", tt.name, ct)
		}
		if !strings.Contains(body, `role="alert"`) {
			t.Errorf("%s: no error list on the page:\n%s", tt.name, body)
		}
		for _, m := range tt.wantMsgs {
			if !strings.Contains(body, m) {
				t.Errorf("%s: page lacks message %q:\n%s", tt.name, m, body)
			}
		}
		for _, k := range tt.wantKept {
			if !strings.Contains(body, k) {
				t.Errorf("%s: entered value %q not kept:\n%s", tt.name, k, body)
			}
		}
		for _, m := range tt.wantNoMsg {
			if alert := body[strings.Index(body, `role="alert"`):]; strings.Contains(alert[:strings.Index(alert, "</div>")], m) {
				t.Errorf("%s: error list mentions %q:\n%s", tt.name, m, body)
			}
		}
	}

	var diary struct {
		TotalCount int `json:"total_count"`
	}
	decodeJSONBody(t, a.do(request{method: http.MethodGet, path: "/api/diary"}), &diary)
	if diary.TotalCount != 0 {
		t.Errorf("invalid forms stored %d entries, want 0", diary.TotalCount)
	}
}

func TestReviewFormNeedsSessionAndCSRF(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	session, _ := a.signIn(ownerEmail, ownerPassword)
	form := url.Values{"manual_title": {"Vertigo"}, "manual_release_year": {"1958"}, "rating": {"4"}, "watched_at": {"2024-01-01"}}

	// Signed in, but without the token: 403.
	res := a.do(request{method: http.MethodPost, path: "/reviews", cookies: []*http.Cookie{session}, form: form})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("without csrf_token: status %d, want 403", res.StatusCode)
	}
	// With a signed-out browser's token but signed out: sent to the login
	// page.
	csrf, token := a.loginForm()
	form.Set("csrf_token", token)
	res = a.do(request{method: http.MethodPost, path: "/reviews", cookies: []*http.Cookie{csrf}, form: form})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Errorf("signed out: %d → %q, want 303 → /login", res.StatusCode, res.Header.Get("Location"))
	}
	// A forged session cookie is cleared and the request treated as signed out.
	forged := &http.Cookie{Name: "moviediary_session", Value: "eyJhbGciOiJub25lIn0.e30."}
	res = a.do(request{method: http.MethodPost, path: "/reviews", cookies: []*http.Cookie{forged, csrf}, form: form})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Errorf("forged session: %d → %q, want 303 → /login", res.StatusCode, res.Header.Get("Location"))
	}
	if ck := cookieNamed(res, "moviediary_session"); ck == nil || ck.Value != "" || ck.MaxAge >= 0 {
		t.Errorf("forged session cookie not cleared: %q", res.Header.Values("Set-Cookie"))
	}

	var diary struct {
		TotalCount int `json:"total_count"`
	}
	decodeJSONBody(t, a.do(request{method: http.MethodGet, path: "/api/diary"}), &diary)
	if diary.TotalCount != 0 {
		t.Errorf("refused posts stored %d entries", diary.TotalCount)
	}
}

func TestLogoutAndSignedOutDiary(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	session, _ := a.signIn(ownerEmail, ownerPassword)

	signedIn := readBody(t, a.get("/diary", session))
	token := formToken(t, signedIn)
	if !strings.Contains(signedIn, `action="/logout"`) {
		t.Fatalf("signed-in page has no sign-out form:\n%s", signedIn)
	}

	res := a.do(request{method: http.MethodPost, path: "/logout", cookies: []*http.Cookie{session},
		form: url.Values{"csrf_token": {token}}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/diary" {
		t.Fatalf("POST /logout = %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	cleared := cookieNamed(res, "moviediary_session")
	if cleared == nil || cleared.Value != "" || cleared.MaxAge >= 0 {
		t.Errorf("logout did not clear the session cookie: %q", res.Header.Values("Set-Cookie"))
	}

	// Signed out (the browser dropped the cookie): a sign-in link, no log form.
	page := readBody(t, a.get("/diary"))
	if !strings.Contains(page, `<a href="/login">Sign in</a>`) {
		t.Errorf("signed-out diary has no sign-in link:\n%s", page)
	}
	if strings.Contains(page, `action="/reviews"`) || strings.Contains(page, `action="/logout"`) {
		t.Errorf("signed-out diary shows a form for signed-in users:\n%s", page)
	}

	// Logout needs the token too.
	res = a.do(request{method: http.MethodPost, path: "/logout", cookies: []*http.Cookie{session}, form: url.Values{}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("logout without csrf_token: %d, want 403", res.StatusCode)
	}
}

func TestRootRedirectsToDiary(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	res := a.get("/")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/diary" {
		t.Errorf("GET / = %d → %q, want 303 → /diary", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestRegisterForm(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil) // owner only: the first account may register
	res := a.get("/register")
	ck := cookieNamed(res, "moviediary_csrf")
	page := readBody(t, res)
	if res.StatusCode != http.StatusOK || ck == nil {
		t.Fatalf("GET /register = %d, cookie %v", res.StatusCode, ck)
	}
	token := formToken(t, page)
	post := func(email, password string) *http.Response {
		return a.do(request{method: http.MethodPost, path: "/register", cookies: []*http.Cookie{ck},
			form: url.Values{"csrf_token": {token}, "email": {email}, "password": {password}}})
	}

	res = post("new@example.com", "short")
	body := readBody(t, res)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Password") || !strings.Contains(body, `value="new@example.com"`) {
		t.Errorf("short password: %d\n%s", res.StatusCode, body)
	}

	res = post("new@example.com", "long enough password")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/diary" || cookieNamed(res, "moviediary_session") == nil {
		t.Fatalf("register: %d → %q, cookies %q", res.StatusCode, res.Header.Get("Location"), res.Header.Values("Set-Cookie"))
	}

	res = post("second@example.com", "long enough password")
	body = readBody(t, res)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "registration is closed") {
		t.Errorf("second account under owner-only: %d\n%s", res.StatusCode, body)
	}
}

func TestRegisterFormConflictWhenOpen(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, map[string]string{"ALLOW_REGISTRATION": "true"})
	a.register(ownerEmail, ownerPassword)
	ck, token := a.loginForm()
	res := a.do(request{method: http.MethodPost, path: "/register", cookies: []*http.Cookie{ck},
		form: url.Values{"csrf_token": {token}, "email": {ownerEmail}, "password": {"another password"}}})
	body := readBody(t, res)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "already exists") {
		t.Errorf("duplicate email: %d\n%s", res.StatusCode, body)
	}
}

func TestRegisterPageWhenClosed(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, map[string]string{"ALLOW_REGISTRATION": "false"})
	login := readBody(t, a.get("/login"))
	if strings.Contains(login, `href="/register"`) {
		t.Errorf("login page offers registration while it is closed:\n%s", login)
	}
	ck, token := a.loginForm()
	res := a.do(request{method: http.MethodPost, path: "/register", cookies: []*http.Cookie{ck},
		form: url.Values{"csrf_token": {token}, "email": {ownerEmail}, "password": {ownerPassword}}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("register while closed: %d, want 403", res.StatusCode)
	}
}

func TestDiaryPageFilterAndPaging(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	session, token := a.signIn(ownerEmail, ownerPassword)
	for _, title := range []string{"Alpha", "Beta", "Gamma"} {
		res := a.do(request{method: http.MethodPost, path: "/reviews", cookies: []*http.Cookie{session}, form: url.Values{
			"csrf_token": {token}, "manual_title": {title}, "manual_release_year": {"2001"}, "rating": {"3"}, "watched_at": {"2024-01-02"},
		}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("log %s: %d %s", title, res.StatusCode, readBody(t, res))
		}
	}
	first := readBody(t, a.get("/diary?limit=2"))
	if !strings.Contains(first, `rel="next"`) || strings.Contains(first, `class="newest"`) {
		t.Errorf("first page of 2 lacks an Older link or shows Newest:\n%s", first)
	}
	second := readBody(t, a.get("/diary?limit=2&offset=2"))
	if !strings.Contains(second, `class="newest"`) {
		t.Errorf("offset page lacks the Newest link:\n%s", second)
	}

	var diary struct {
		Items []struct {
			Movie struct {
				ID string `json:"id"`
			} `json:"movie"`
		} `json:"items"`
	}
	decodeJSONBody(t, a.do(request{method: http.MethodGet, path: "/api/diary?limit=1"}), &diary)
	filtered := readBody(t, a.get("/diary?movie_id="+diary.Items[0].Movie.ID))
	if !strings.Contains(filtered, "Back to the full diary") {
		t.Errorf("movie filter page lacks its heading:\n%s", filtered)
	}

	res := a.get("/diary?limit=abc")
	body := readBody(t, res)
	if res.StatusCode != http.StatusBadRequest || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "limit") {
		t.Errorf("bad limit on the page: %d %q\n%s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
}

// TestCredentialsInTheQueryStringAreIgnored: the login and sign-up forms
// read the email and password from the form body only. A password (or an
// email) only in the query string, where logs and browser history keep
// it, is not accepted: the login fails and the sign-up creates nothing.
func TestCredentialsInTheQueryStringAreIgnored(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, map[string]string{"ALLOW_REGISTRATION": "true"})
	a.register(ownerEmail, ownerPassword)
	ck, token := a.loginForm()
	post := func(path string, query, form url.Values) *http.Response {
		form.Set("csrf_token", token)
		return a.do(request{method: http.MethodPost, path: path + "?" + query.Encode(), cookies: []*http.Cookie{ck}, form: form,
			header: http.Header{"Accept": {"text/html"}}})
	}
	for _, tt := range []struct {
		name        string
		query, form url.Values
	}{
		{"password in the query", url.Values{"password": {ownerPassword}}, url.Values{"email": {ownerEmail}}},
		{"both in the query", url.Values{"email": {ownerEmail}, "password": {ownerPassword}}, url.Values{}},
	} {
		res := post("/login", tt.query, tt.form)
		if res.StatusCode != http.StatusUnauthorized || cookieNamed(res, "moviediary_session") != nil {
			t.Errorf("login, %s: %d, cookies %q; want 401 and no session", tt.name, res.StatusCode, res.Header.Values("Set-Cookie"))
		}
	}
	const guest = "guest@example.com"
	res := post("/register", url.Values{"password": {ownerPassword}}, url.Values{"email": {guest}})
	body := readBody(t, res)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Password") || cookieNamed(res, "moviediary_session") != nil {
		t.Errorf("sign-up with the password in the query: %d\n%s", res.StatusCode, body)
	}
	if got := a.postJSON("/api/auth/login", `{"email":"`+guest+`","password":"`+ownerPassword+`"}`); got.StatusCode != http.StatusUnauthorized {
		t.Errorf("the sign-up with the password in the query created the account: login %d", got.StatusCode)
	}
	// The same fields in the body work.
	if res := post("/login", url.Values{}, url.Values{"email": {ownerEmail}, "password": {ownerPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("login with the credentials in the body: %d, want 303", res.StatusCode)
	}
}
