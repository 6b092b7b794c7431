package main_test

import (
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLogoutOnOneServerEndsTheSessionOnAnother: two `moviediary serve`
// processes on one PostgreSQL database. A token signed in on A works on B;
// once it is logged out on A, A refuses it at once and B within a second
// (B's credential cache trusts what it read for AUTH_CACHE_TTL, 500 ms) —
// as a bearer token (401) and as a page session (the signed-out diary,
// the cookie cleared).
func TestLogoutOnOneServerEndsTheSessionOnAnother(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, "postgres")
	a, baseA := d.serve()
	b, baseB := d.serve()
	token := signIn(t, baseA)
	review := map[string]any{"manual_title": "Two Servers", "manual_release_year": 2001, "rating": 4, "watched_at": "2024-05-01T20:00:00"}

	if code := postJSON(t, baseB, "/api/reviews", token, review, nil); code != http.StatusCreated {
		t.Fatalf("B with A's token before logout: %d, want 201", code)
	}
	if !signedInPage(t, baseB, token) {
		t.Fatal("B's diary page is not signed in with A's session before logout")
	}
	if code := postJSON(t, baseA, "/api/auth/logout", token, nil, nil); code != http.StatusNoContent {
		t.Fatalf("POST /api/auth/logout on A = %d, want 204", code)
	}
	loggedOut := time.Now()
	if code := postJSON(t, baseA, "/api/reviews", token, review, nil); code != http.StatusUnauthorized {
		t.Errorf("A with the token it logged out: %d, want 401", code)
	}
	for postJSON(t, baseB, "/api/reviews", token, review, nil) != http.StatusUnauthorized {
		if time.Since(loggedOut) > time.Second {
			t.Fatal("B still accepts the token logged out on A after 1 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if signedInPage(t, baseB, token) {
		t.Error("B's diary page is still signed in with the session logged out on A")
	}
	a.stop(syscall.SIGTERM)
	b.stop(syscall.SIGTERM)
}

// signedInPage reports whether base's diary page, served with session as
// the session cookie, is signed in; a signed-out answer must clear the
// cookie.
func signedInPage(t *testing.T, base, session string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/diary", nil)
	req.AddCookie(&http.Cookie{Name: "moviediary_session", Value: session})
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET /diary: %v", err)
	}
	defer res.Body.Close()
	page, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /diary = %d", res.StatusCode)
	}
	if strings.Contains(string(page), `action="/logout"`) {
		return true
	}
	cleared := false
	for _, c := range res.Cookies() {
		cleared = cleared || (c.Name == "moviediary_session" && c.Value == "" && c.MaxAge < 0)
	}
	if !cleared {
		t.Errorf("B's signed-out answer did not clear the stale cookie: %q", res.Header.Values("Set-Cookie"))
	}
	return false
}
