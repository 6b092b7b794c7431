package presentation_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// apiLogin logs in through the JSON API and returns the bearer token.
func (a *testApp) apiLogin(email, password string) string {
	a.t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res := a.postJSON("/api/auth/login", string(b))
	if res.StatusCode != http.StatusOK {
		a.t.Fatalf("login %s: status %d: %s", email, res.StatusCode, readBody(a.t, res))
	}
	var out struct {
		Token string `json:"token"`
	}
	decodeJSONBody(a.t, res, &out)
	return out.Token
}

// bearer posts a review with the bearer token and returns the status.
func (a *testApp) bearer(token string) int {
	a.t.Helper()
	res := a.do(request{method: http.MethodPost, path: "/api/reviews",
		body:   `{"manual_title":"Vertigo","manual_release_year":1958,"rating":4,"watched_at":"2024-01-01"}`,
		header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}}})
	_ = readBody(a.t, res)
	return res.StatusCode
}

// wantSignedOutPage checks that the diary served with cookie is the
// signed-out view and that the stale cookie is cleared.
func wantSignedOutPage(t *testing.T, a *testApp, what string, cookie *http.Cookie) {
	t.Helper()
	res := a.get("/diary", cookie)
	page := readBody(t, res)
	if res.StatusCode != http.StatusOK || strings.Contains(page, ownerEmail) || strings.Contains(page, `action="/reviews"`) ||
		!strings.Contains(page, `<a href="/login">Sign in</a>`) {
		t.Errorf("%s: the diary is not the signed-out view (%d):\n%s", what, res.StatusCode, page)
	}
	if ck := cookieNamed(res, cookie.Name); ck == nil || ck.Value != "" || ck.MaxAge >= 0 {
		t.Errorf("%s: the stale session cookie was not cleared: %q", what, res.Header.Values("Set-Cookie"))
	}
}

// TestLogoutEndsTheSession: after POST /logout the old session cookie
// signs nothing in — the page shows the signed-out view and clears it, and
// as a bearer token it is a 401 — and every other session of the account
// (a JWT from the API login) ends with it. Signing in again works.
func TestLogoutEndsTheSession(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	session, token := a.signIn(ownerEmail, ownerPassword)
	apiToken := a.apiLogin(ownerEmail, ownerPassword)
	if got := a.bearer(session.Value); got != http.StatusCreated {
		t.Fatalf("the session cookie as a bearer token before logout: %d, want 201", got)
	}

	res := a.do(request{method: http.MethodPost, path: "/logout", cookies: []*http.Cookie{session},
		form: url.Values{"csrf_token": {token}}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /logout = %d", res.StatusCode)
	}

	wantSignedOutPage(t, a, "old cookie after logout", session)
	if got := a.bearer(session.Value); got != http.StatusUnauthorized {
		t.Errorf("the old session cookie as a bearer token after logout: %d, want 401", got)
	}
	if got := a.bearer(apiToken); got != http.StatusUnauthorized {
		t.Errorf("another session's bearer token after logout: %d, want 401", got)
	}
	// The old cookie's form token is refused too, and nothing is stored.
	res = a.do(request{method: http.MethodPost, path: "/reviews", cookies: []*http.Cookie{session},
		form: url.Values{"csrf_token": {token}, "manual_title": {"Psycho"}, "manual_release_year": {"1960"}, "rating": {"4"}, "watched_at": {"2024-01-01"}}})
	if res.StatusCode == http.StatusSeeOther && res.Header.Get("Location") == "/diary" {
		t.Errorf("the old session logged a film after logout")
	}
	if n := a.totalCount(); n != 1 {
		t.Errorf("total_count = %d, want the 1 entry logged before logout", n)
	}

	fresh, _ := a.signIn(ownerEmail, ownerPassword)
	if page := readBody(t, a.get("/diary", fresh)); !strings.Contains(page, ownerEmail) {
		t.Errorf("signing in again does not sign the diary in:\n%s", page)
	}
	if got := a.bearer(a.apiLogin(ownerEmail, ownerPassword)); got != http.StatusCreated {
		t.Errorf("a token issued after logout: %d, want 201", got)
	}
}

// TestAPILogout: POST /api/auth/logout with a bearer token answers 204 and
// ends every session of the account: the token is then a 401, on the API
// and as a page cookie. Without a token, or with an ended one, it is a 401.
func TestAPILogout(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	token := a.apiLogin(ownerEmail, ownerPassword)
	page, _ := a.signIn(ownerEmail, ownerPassword)
	logout := func(token string) *http.Response {
		h := http.Header{}
		if token != "" {
			h.Set("Authorization", "Bearer "+token)
		}
		return a.do(request{method: http.MethodPost, path: "/api/auth/logout", header: h})
	}

	wantProblem(t, logout(""), http.StatusUnauthorized)
	res := logout(token)
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /api/auth/logout = %d, want 204: %s", res.StatusCode, readBody(t, res))
	}
	if body := readBody(t, res); body != "" {
		t.Errorf("204 with a body: %q", body)
	}
	if got := a.bearer(token); got != http.StatusUnauthorized {
		t.Errorf("the token after logout: %d, want 401", got)
	}
	wantSignedOutPage(t, a, "page session after an API logout", page)
	wantProblem(t, logout(token), http.StatusUnauthorized)
}

// TestSignOutWithASessionEndedElsewhere: a browser whose session was ended
// elsewhere (another browser signed out) still shows the signed-in page;
// its "Sign out", with the token that page carries, signs it out — the
// cookie is cleared and it is sent to the diary — instead of answering
// that the form expired. The token is still checked: without it, or with
// another session's, the post is a 403.
func TestSignOutWithASessionEndedElsewhere(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, map[string]string{"ALLOW_REGISTRATION": "true"})
	a.register(ownerEmail, ownerPassword)
	a.register("guest@example.com", ownerPassword)
	_, guestToken := a.signIn("guest@example.com", ownerPassword)
	stale, staleToken := a.signIn(ownerEmail, ownerPassword)
	other, otherToken := a.signIn(ownerEmail, ownerPassword)
	res := a.do(request{method: http.MethodPost, path: "/logout", cookies: []*http.Cookie{other}, form: url.Values{"csrf_token": {otherToken}}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the other browser's POST /logout = %d", res.StatusCode)
	}

	for _, tt := range []struct{ name, token string }{
		{"no token", ""},
		{"another account's session token", guestToken},
	} {
		form := url.Values{}
		if tt.token != "" {
			form.Set("csrf_token", tt.token)
		}
		res := a.do(request{method: http.MethodPost, path: "/logout", cookies: []*http.Cookie{stale}, form: form,
			header: http.Header{"Accept": {"text/html"}}})
		wantForbidden(t, "stale session, "+tt.name, res)
	}

	res = a.do(request{method: http.MethodPost, path: "/logout", cookies: []*http.Cookie{stale}, form: url.Values{"csrf_token": {staleToken}},
		header: http.Header{"Accept": {"text/html"}}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/diary" {
		t.Fatalf("POST /logout with a session ended elsewhere = %d → %q, want 303 → /diary:\n%s", res.StatusCode, res.Header.Get("Location"), readBody(t, res))
	}
	if ck := cookieNamed(res, stale.Name); ck == nil || ck.Value != "" || ck.MaxAge >= 0 {
		t.Errorf("the stale session cookie was not cleared: %q", res.Header.Values("Set-Cookie"))
	}
	if n := len(res.Header.Values("Set-Cookie")); n != 1 {
		t.Errorf("Set-Cookie sent %d times, want once: %q", n, res.Header.Values("Set-Cookie"))
	}
}
