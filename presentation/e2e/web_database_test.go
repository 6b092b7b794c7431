package e2e_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAuth_HTMLPostsWithoutTheDatabase: with the database gone, a signed-in
// browser's form posts (POST /logout, POST /reviews) answer the 503 page —
// its session cannot be checked, which is not the same as having none, so
// they are not refused as expired forms (403) and the session cookie is
// kept. When the database is back (PostgreSQL, through the proxy), the same
// browser signs out normally.
func TestAuth_HTMLPostsWithoutTheDatabase(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withDatabaseProxy())
		s.account(t, "owner@example.com")
		w := s.webSession(t, "owner@example.com", "correct horse battery")
		cookie := sessionCookieOf(t, w)
		if s.dbProxy != nil {
			s.dbProxy.cut()
		} else if err := s.app.Store().Close(); err != nil {
			t.Fatalf("close the store: %v", err)
		}
		for _, post := range []struct {
			path string
			form url.Values
		}{
			{"/logout", url.Values{}},
			{"/reviews", url.Values{"manual_title": {"Outage"}, "manual_release_year": {"2001"}, "rating": {"4"}, "watched_at": {"2024-01-01"}}},
		} {
			r := w.post(t, s, post.path, post.form)
			if r.Status != http.StatusServiceUnavailable || !strings.HasPrefix(r.ContentType(), "text/html") {
				t.Errorf("POST %s without the database = %s, want the 503 page", post.path, r)
			}
			for _, c := range (&http.Response{Header: r.Header}).Cookies() {
				if c.Name == "moviediary_session" {
					t.Errorf("POST %s without the database touched the session cookie: %q", post.path, r.Header.Values("Set-Cookie"))
				}
			}
		}
		if s.dbProxy == nil {
			return
		}
		s.dbProxy.restore()
		eventually(t, "/readyz to recover", func() bool { return s.get(t, "/readyz").Status == http.StatusOK })
		if r := w.post(t, s, "/logout", url.Values{}); r.Status != http.StatusSeeOther {
			t.Fatalf("POST /logout with the database back = %s, want 303", r)
		}
		s.wantSignedOut(t, cookie)
	})
}
