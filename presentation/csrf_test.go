package presentation_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The CSRF token of a form is bound to the browser it was served to: to
// the session cookie when signed in, to the random pre-session cookie
// otherwise, through an HMAC under a server key. It is read from the form
// body only.

// postReview posts the log form for one film with token and cookies.
func (a *testApp) postReview(title, token, query string, cookies ...*http.Cookie) *http.Response {
	a.t.Helper()
	form := url.Values{"manual_title": {title}, "manual_release_year": {"1958"}, "rating": {"4"}, "watched_at": {"2024-01-01"}}
	if token != "" {
		form.Set("csrf_token", token)
	}
	return a.do(request{method: http.MethodPost, path: "/reviews" + query, cookies: cookies, form: form,
		header: http.Header{"Accept": {"text/html"}}})
}

// totalCount is the diary's total_count through the JSON API.
func (a *testApp) totalCount() int {
	a.t.Helper()
	var diary struct {
		TotalCount int `json:"total_count"`
	}
	decodeJSONBody(a.t, a.do(request{method: http.MethodGet, path: "/api/diary"}), &diary)
	return diary.TotalCount
}

func wantForbidden(t *testing.T, what string, res *http.Response) {
	t.Helper()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("%s: status %d, want 403; Location %q", what, res.StatusCode, res.Header.Get("Location"))
	}
	if ck := cookieNamed(res, "moviediary_session"); ck != nil && ck.Value != "" {
		t.Errorf("%s: a session cookie was set", what)
	}
}

// TestCSRFNormalFlow: the tokens the pages carry work: sign in through the
// login form, log a film and sign out through the diary's forms.
func TestCSRFNormalFlow(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	pre, token := a.loginForm()
	if token == "" || len(pre.Value) < 32 {
		t.Fatalf("pre-session cookie %q, token %q: want a random cookie and a token", pre.Value, token)
	}
	res := a.do(request{method: http.MethodPost, path: "/login", cookies: []*http.Cookie{pre},
		form: url.Values{"csrf_token": {token}, "email": {ownerEmail}, "password": {ownerPassword}}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /login with the form's token = %d: %s", res.StatusCode, readBody(t, res))
	}
	session := cookieNamed(res, "moviediary_session")
	if session == nil || session.Value == "" {
		t.Fatalf("no session cookie: %q", res.Header.Values("Set-Cookie"))
	}
	signedIn := a.diaryToken(session, pre)
	if res := a.postReview("Vertigo", signedIn, "", session, pre); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/diary" {
		t.Fatalf("POST /reviews with the diary's token = %d → %q: %s", res.StatusCode, res.Header.Get("Location"), readBody(t, res))
	}
	// The token stays valid for the session: a second post, and one sent
	// without the pre-session cookie, pass too.
	if res := a.postReview("Psycho", signedIn, "", session); res.StatusCode != http.StatusSeeOther {
		t.Errorf("second POST /reviews = %d", res.StatusCode)
	}
	if n := a.totalCount(); n != 2 {
		t.Errorf("total_count = %d, want 2", n)
	}
	res = a.do(request{method: http.MethodPost, path: "/logout", cookies: []*http.Cookie{session, pre},
		form: url.Values{"csrf_token": {signedIn}}})
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("POST /logout with the diary's token = %d", res.StatusCode)
	}
}

// TestCSRFTokenFromAnotherSessionIsRefused: a token is good for the session
// it was served to only. An attacker's own tokens — with the attacker's
// pre-session cookie planted beside the victim's session cookie, the
// double-submit pair of old — are refused.
func TestCSRFTokenFromAnotherSessionIsRefused(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, map[string]string{"ALLOW_REGISTRATION": "true"})
	const attackerEmail = "mallory@example.com"
	a.register(ownerEmail, ownerPassword)
	a.register(attackerEmail, ownerPassword)
	victim, _ := a.signIn(ownerEmail, ownerPassword)
	victimToken := a.diaryToken(victim)

	// The attacker's signed-out pair and signed-in token.
	attackerPre, attackerPreToken := a.loginForm()
	attacker, _ := a.signIn(attackerEmail, ownerPassword)
	attackerToken := a.diaryToken(attacker)
	if attackerToken == victimToken {
		t.Fatalf("two sessions were served one token %q", victimToken)
	}

	wantForbidden(t, "victim's session, attacker's pre-session pair",
		a.postReview("Forged", attackerPreToken, "", victim, attackerPre))
	wantForbidden(t, "victim's session, attacker's session token",
		a.postReview("Forged", attackerToken, "", victim, attackerPre))
	// Logging out is a form too.
	res := a.do(request{method: http.MethodPost, path: "/logout", cookies: []*http.Cookie{victim, attackerPre},
		form: url.Values{"csrf_token": {attackerPreToken}}})
	wantForbidden(t, "logout with the attacker's pair", res)
	if n := a.totalCount(); n != 0 {
		t.Fatalf("forged posts stored %d entries", n)
	}
	// The victim's own token still works.
	if res := a.postReview("Real", victimToken, "", victim); res.StatusCode != http.StatusSeeOther {
		t.Errorf("victim's own token: %d, want 303", res.StatusCode)
	}
}

// TestCSRFTokenInTheQueryStringIsIgnored: only the form body carries the
// token; the same valid token in the query string is a 403.
func TestCSRFTokenInTheQueryStringIsIgnored(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	session, _ := a.signIn(ownerEmail, ownerPassword)
	token := a.diaryToken(session)
	wantForbidden(t, "POST /reviews?csrf_token=…", a.postReview("Vertigo", "", "?csrf_token="+url.QueryEscape(token), session))

	pre, preToken := a.loginForm()
	res := a.do(request{method: http.MethodPost, path: "/login?csrf_token=" + url.QueryEscape(preToken), cookies: []*http.Cookie{pre},
		form: url.Values{"email": {ownerEmail}, "password": {ownerPassword}}})
	wantForbidden(t, "POST /login?csrf_token=…", res)
	if n := a.totalCount(); n != 0 {
		t.Errorf("a post with the token in the query stored %d entries", n)
	}
}

// TestCSRFClientChosenCookieAndFormPairIsRefused: a client cannot make up a
// cookie and a form token that agree — neither equal values (the
// double-submit pattern) nor a real token under a cookie of its choosing.
func TestCSRFClientChosenCookieAndFormPairIsRefused(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	_, realToken := a.loginForm()
	chosen := strings.Repeat("A", 43)
	for _, tt := range []struct {
		name, cookie, token string
	}{
		{"equal cookie and token", chosen, chosen},
		{"a real token under a chosen cookie", chosen, realToken},
		{"short equal values", "x", "x"},
	} {
		res := a.do(request{method: http.MethodPost, path: "/login",
			cookies: []*http.Cookie{{Name: "moviediary_csrf", Value: tt.cookie}},
			form:    url.Values{"csrf_token": {tt.token}, "email": {ownerEmail}, "password": {ownerPassword}}})
		wantForbidden(t, tt.name, res)
	}
}

// TestCSRFHostPrefixedCookiesWithHTTPSBaseURL: with an https BASE_URL both
// cookies are named __Host-…, Secure, Path=/ and without Domain, and the
// unprefixed names are not read (a sibling host could plant those).
func TestCSRFHostPrefixedCookiesWithHTTPSBaseURL(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, map[string]string{"BASE_URL": "https://diary.example.org"})
	a.register(ownerEmail, ownerPassword)
	res := a.get("/login")
	pre := cookieNamed(res, "__Host-moviediary_csrf")
	if pre == nil {
		t.Fatalf("GET /login set no __Host-moviediary_csrf cookie; Set-Cookie: %q", res.Header.Values("Set-Cookie"))
	}
	if cookieNamed(res, "moviediary_csrf") != nil {
		t.Errorf("an unprefixed csrf cookie was set too: %q", res.Header.Values("Set-Cookie"))
	}
	token := formToken(t, readBody(t, res))
	wantHostCookie(t, pre)

	res = a.do(request{method: http.MethodPost, path: "/login", cookies: []*http.Cookie{pre},
		form: url.Values{"csrf_token": {token}, "email": {ownerEmail}, "password": {ownerPassword}}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /login = %d: %s", res.StatusCode, readBody(t, res))
	}
	session := cookieNamed(res, "__Host-moviediary_session")
	if session == nil || session.Value == "" {
		t.Fatalf("no __Host-moviediary_session cookie: %q", res.Header.Values("Set-Cookie"))
	}
	wantHostCookie(t, session)
	if page := readBody(t, a.get("/diary", session)); !strings.Contains(page, ownerEmail) {
		t.Errorf("the __Host- session cookie does not sign the diary in:\n%s", page)
	}

	// The same values under the unprefixed names are not read.
	plain := &http.Cookie{Name: "moviediary_session", Value: session.Value}
	if page := readBody(t, a.get("/diary", plain)); strings.Contains(page, ownerEmail) {
		t.Errorf("an unprefixed session cookie signed the diary in")
	}
	res = a.do(request{method: http.MethodPost, path: "/login", cookies: []*http.Cookie{{Name: "moviediary_csrf", Value: pre.Value}},
		form: url.Values{"csrf_token": {token}, "email": {ownerEmail}, "password": {ownerPassword}}})
	wantForbidden(t, "login with the pre-session cookie under its unprefixed name", res)
}

func wantHostCookie(t *testing.T, ck *http.Cookie) {
	t.Helper()
	if !ck.Secure || ck.Path != "/" || ck.Domain != "" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie %s = %+v, want Secure, Path=/, no Domain, HttpOnly, SameSite=Lax", ck.Name, ck)
	}
}
