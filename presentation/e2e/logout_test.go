package e2e_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAuth_Logout: logging out ends every session of the account at once,
// on both stores. After POST /logout (the HTML form) the old page cookie
// shows the signed-out diary and is a 401 as a bearer token, and the
// account's API tokens are 401s too; POST /api/auth/logout (204) does the
// same for a bearer token and the page sessions. Signing in again works.
func TestAuth_Logout(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		const email, password = "owner@example.com", "correct horse battery"
		apiToken, _ := s.account(t, email)
		body := map[string]any{"manual_title": "Logout Film", "manual_release_year": 2001, "rating": 4, "watched_at": watched(0)}

		t.Run("the HTML form", func(t *testing.T) {
			w := s.webSession(t, email, password)
			cookie := sessionCookieOf(t, w)
			s.logReview(t, cookie, body) // the page cookie is a bearer token
			if r := w.post(t, s, "/logout", url.Values{}); r.Status != http.StatusSeeOther {
				t.Fatalf("POST /logout = %s, want 303", r)
			}
			s.wantSignedOut(t, cookie)
			expectProblem(t, s.postJSON(t, "/api/reviews", body, cookie), http.StatusUnauthorized)
			expectProblem(t, s.postJSON(t, "/api/reviews", body, apiToken), http.StatusUnauthorized)
		})

		t.Run("the API", func(t *testing.T) {
			token, _ := s.login(t, email, password)
			w := s.webSession(t, email, password)
			cookie := sessionCookieOf(t, w)
			s.logReview(t, token, body)
			expectProblem(t, s.postJSON(t, "/api/auth/logout", nil, ""), http.StatusUnauthorized)
			if r := s.postJSON(t, "/api/auth/logout", nil, token); r.Status != http.StatusNoContent || len(r.Body) != 0 {
				t.Fatalf("POST /api/auth/logout = %s, want 204 without a body", r)
			}
			expectProblem(t, s.postJSON(t, "/api/reviews", body, token), http.StatusUnauthorized)
			expectProblem(t, s.postJSON(t, "/api/auth/logout", nil, token), http.StatusUnauthorized)
			s.wantSignedOut(t, cookie)
		})

		// A new sign-in is a new session.
		token, _ := s.login(t, email, password)
		s.logReview(t, token, body)
		if got := s.totalCount(t); got != 3 {
			t.Errorf("total_count = %d, want 3", got)
		}
	})
}

// TestAuth_LogoutWithoutTheDatabase: with the database gone, logging out
// answers 503 — it cannot record the sign-out, so it does not claim to —
// and the token keeps its session.
func TestAuth_LogoutWithoutTheDatabase(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withDatabaseProxy())
		token, _ := s.account(t, "owner@example.com")
		if s.dbProxy != nil {
			s.dbProxy.cut()
		} else if err := s.app.Store().Close(); err != nil {
			t.Fatalf("close the store: %v", err)
		}
		expectProblem(t, s.postJSON(t, "/api/auth/logout", nil, token), http.StatusServiceUnavailable)
		if s.dbProxy == nil {
			return
		}
		s.dbProxy.restore()
		eventually(t, "/readyz to recover", func() bool { return s.get(t, "/readyz").Status == http.StatusOK })
		s.logReview(t, token, map[string]any{"manual_title": "After the Outage", "manual_release_year": 2001, "rating": 4, "watched_at": watched(0)})
	})
}

// sessionCookieOf returns the value of the web session's session cookie.
func sessionCookieOf(t *testing.T, w *webSession) string {
	t.Helper()
	for _, c := range w.cookies {
		if c.Name == "moviediary_session" {
			return c.Value
		}
	}
	t.Fatalf("the web session has no session cookie: %v", w.cookies)
	return ""
}

// wantSignedOut checks that the diary page served with the session cookie
// is the signed-out view and clears the cookie.
func (s *server) wantSignedOut(t *testing.T, session string) {
	t.Helper()
	r := s.do(t, req{method: http.MethodGet, path: "/diary", header: map[string]string{"Cookie": "moviediary_session=" + session}})
	page := string(r.Body)
	if r.Status != http.StatusOK || !strings.Contains(page, `<a href="/login">Sign in</a>`) || strings.Contains(page, `action="/reviews"`) {
		t.Errorf("the diary with the ended session is not the signed-out view: %s", r)
	}
	cleared := false
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "moviediary_session" && c.Value == "" && c.MaxAge < 0 {
			cleared = true
		}
	}
	if !cleared {
		t.Errorf("the ended session cookie was not cleared: %q", r.Header.Values("Set-Cookie"))
	}
}
