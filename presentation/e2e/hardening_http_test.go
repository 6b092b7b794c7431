package e2e_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestHardening_ClosedSignUpAnswersAlike: once sign-up is closed, the
// owner's email, the same in other case and any other email get
// byte-identical 403 problem+json answers, on the API and the form.
func TestHardening_ClosedSignUpAnswersAlike(t *testing.T) {
	t.Parallel()
	creds := func(email string) map[string]string {
		return map[string]string{"email": email, "password": "correct horse battery"}
	}
	forEachDB(t, func(t *testing.T, db string) {
		for _, policy := range []string{"", "false"} {
			t.Run("ALLOW_REGISTRATION="+policy, func(t *testing.T) {
				t.Parallel()
				s := startApp(t, db, withEnv("ALLOW_REGISTRATION", policy))
				if policy == "" {
					s.account(t, "owner@example.com")
				}
				var first []byte
				for _, email := range []string{"owner@example.com", "OWNER@Example.com", "guest@example.com", "owner@example.com"} {
					r := s.postJSON(t, "/api/auth/register", creds(email), "")
					expectProblem(t, r, http.StatusForbidden, "registration is closed")
					if first == nil {
						first = r.Body
					} else if !bytes.Equal(r.Body, first) {
						t.Errorf("refusal of %s = %s, want the same bytes as %s", email, r.Body, first)
					}
				}
				for _, email := range []string{"owner@example.com", "guest@example.com"} {
					r := s.postForm(t, "/register", url.Values{"email": {email}, "password": {"correct horse battery"}})
					if r.Status != http.StatusForbidden || !bytes.Contains(r.Body, []byte("registration is closed")) {
						t.Errorf("form sign-up of %s = %s, want 403 registration is closed", email, r)
					}
				}
			})
		}
	})
}

// TestHardening_RegisterWithoutDatabase: while it cannot tell whether
// the email is taken, an open sign-up is a 503 problem.
func TestHardening_RegisterWithoutDatabase(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"), withDatabaseProxy())
		if s.dbProxy != nil {
			s.dbProxy.cut()
		} else if err := s.app.Store().Close(); err != nil {
			t.Fatalf("close the store: %v", err)
		}
		r := s.postJSON(t, "/api/auth/register", map[string]string{"email": "guest@example.com", "password": "correct horse battery"}, "")
		expectProblem(t, r, http.StatusServiceUnavailable)
	})
}

// postForm posts a signed-out HTML form with a fresh CSRF token, as a
// browser does.
func (s *server) postForm(t *testing.T, path string, form url.Values) response {
	t.Helper()
	cookie, token := s.signedOutForm(t)
	form.Set("csrf_token", token)
	return s.do(t, req{method: http.MethodPost, path: path, body: []byte(form.Encode()), header: map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "Accept": "text/html"}})
}

// signedOutForm fetches the login page and returns the Cookie header of its
// pre-session cookie and the CSRF token its form carries.
func (s *server) signedOutForm(t *testing.T) (cookie, token string) {
	t.Helper()
	r := s.get(t, "/login")
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "moviediary_csrf" {
			cookie = c.Name + "=" + c.Value
		}
	}
	_, rest, ok := strings.Cut(string(r.Body), `name="csrf_token" value="`)
	token, _, closed := strings.Cut(rest, `"`)
	if cookie == "" || !ok || !closed || token == "" {
		t.Fatalf("GET /login gave no pre-session cookie or no CSRF token: %s", r)
	}
	return cookie, token
}
