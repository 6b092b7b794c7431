package e2e_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/moviediary/moviediary/presentation/wiring"
)

// TestAuth_BearerTokens: POST /api/reviews refuses every token that is
// missing, malformed, signed with another key or algorithm, expired,
// without exp, or for an unknown user — 401 with WWW-Authenticate: Bearer
// — and accepts a token the app's own key signed the same way.
func TestAuth_BearerTokens(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		before := time.Now().UTC()
		r := s.postJSON(t, "/api/auth/register", map[string]string{"email": "Owner@Example.com", "password": "correct horse battery"}, "")
		var reg struct {
			UserID string `json:"user_id"`
			Email  string `json:"email"`
		}
		decodeStrict(t, r, http.StatusCreated, &reg)
		requireKeys(t, r.Body, "user_id", "email")
		if reg.Email != "owner@example.com" {
			t.Errorf("registered email = %q, want it in lower case", reg.Email)
		}

		login := s.postJSON(t, "/api/auth/login", map[string]string{"email": "OWNER@example.com", "password": "correct horse battery"}, "")
		var sess struct {
			Token     string `json:"token"`
			UserID    string `json:"user_id"`
			Email     string `json:"email"`
			ExpiresAt string `json:"expires_at"`
		}
		decodeStrict(t, login, http.StatusOK, &sess)
		requireKeys(t, login.Body, "token", "user_id", "email", "expires_at")
		exp, err := time.Parse(time.RFC3339, sess.ExpiresAt)
		if err != nil || sess.UserID != reg.UserID || sess.Email != "owner@example.com" ||
			exp.Before(before.Add(24*time.Hour-time.Minute)) || exp.After(time.Now().Add(24*time.Hour+time.Minute)) {
			t.Errorf("login = %+v (%v), want the user and expires_at in 24h", sess, err)
		}

		secret, err := os.ReadFile(filepath.Join(s.cfg.DataDir, "jwt_secret"))
		if err != nil {
			t.Fatalf("the app's generated secret: %v", err)
		}
		key := []byte(strings.TrimSpace(string(secret)))
		now := time.Now()
		claims := func(sub string, iat, exp time.Time) jwt.RegisteredClaims {
			c := jwt.RegisteredClaims{Issuer: "moviediary", Subject: sub, IssuedAt: jwt.NewNumericDate(iat)}
			if !exp.IsZero() {
				c.ExpiresAt = jwt.NewNumericDate(exp)
			}
			return c
		}
		sign := func(method jwt.SigningMethod, k any, c jwt.Claims) string {
			t.Helper()
			tok, err := jwt.NewWithClaims(method, c).SignedString(k)
			if err != nil {
				t.Fatalf("sign: %v", err)
			}
			return tok
		}
		valid := claims(reg.UserID, now, now.Add(time.Hour))
		body := map[string]any{"external_metadata_id": "tt0133093", "rating": 4, "watched_at": watched(0)}

		refused := []struct{ name, authorization string }{
			{"no Authorization header", ""},
			{"garbage token", "Bearer garbage"},
			{"empty bearer", "Bearer "},
			{"basic scheme", "Basic b3duZXI6cGFzc3dvcmQ="},
			{"another key", "Bearer " + sign(jwt.SigningMethodHS256, []byte(strings.Repeat("k", 64)), valid)},
			{"expired", "Bearer " + sign(jwt.SigningMethodHS256, key, claims(reg.UserID, now.Add(-2*time.Hour), now.Add(-time.Hour)))},
			{"no exp", "Bearer " + sign(jwt.SigningMethodHS256, key, claims(reg.UserID, now, time.Time{}))},
			{"alg none", "Bearer " + sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid)},
			{"HS512 with the right key", "Bearer " + sign(jwt.SigningMethodHS512, key, valid)},
			{"another issuer", "Bearer " + sign(jwt.SigningMethodHS256, key, jwt.RegisteredClaims{Issuer: "elsewhere", Subject: reg.UserID, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))})},
			{"unknown user", "Bearer " + sign(jwt.SigningMethodHS256, key, claims("0190a8a0-0000-7000-8000-000000000000", now, now.Add(time.Hour)))},
			{"token with its signature cut", "Bearer " + sess.Token[:strings.LastIndexByte(sess.Token, '.')+1]},
		}
		for _, c := range refused {
			t.Run(c.name, func(t *testing.T) {
				h := map[string]string{"Content-Type": "application/json"}
				if c.authorization != "" {
					h["Authorization"] = c.authorization
				}
				r := s.do(t, req{method: http.MethodPost, path: "/api/reviews", body: mustJSON(t, body), header: h})
				expectProblem(t, r, http.StatusUnauthorized)
				if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want Bearer …", got)
				}
			})
		}
		if got := s.totalCount(t); got != 0 {
			t.Fatalf("total_count = %d after refused tokens, want 0", got)
		}
		if n := s.omdb.requests.Load(); n != 0 {
			t.Errorf("refused requests reached OMDb %d times", n)
		}

		// The forging above is right: the same claims signed with the
		// app's key and HS256 are accepted, as is the login's own token.
		e := s.logReview(t, sign(jwt.SigningMethodHS256, key, valid), body)
		if e.Review.UserID != reg.UserID {
			t.Errorf("review user = %s, want %s", e.Review.UserID, reg.UserID)
		}
		s.logReview(t, sess.Token, body)
		if got := s.totalCount(t); got != 2 {
			t.Errorf("total_count = %d, want 2", got)
		}
	})
}

// TestAuth_Registration: ALLOW_REGISTRATION unset lets only the owner sign
// up, false closes sign-up (accounts come from wiring.AddUser), true
// opens it; a second account with the same email is a 409.
func TestAuth_Registration(t *testing.T) {
	t.Parallel()
	creds := func(email string) map[string]string {
		return map[string]string{"email": email, "password": "correct horse battery"}
	}
	forEachDB(t, func(t *testing.T, db string) {
		t.Run("owner only by default", func(t *testing.T) {
			t.Parallel()
			s := startApp(t, db)
			if r := s.postJSON(t, "/api/auth/register", creds("owner@example.com"), ""); r.Status != http.StatusCreated {
				t.Fatalf("first registration: %s", r)
			}
			expectProblem(t, s.postJSON(t, "/api/auth/register", creds("guest@example.com"), ""), http.StatusForbidden, "registration")
			expectProblem(t, s.postJSON(t, "/api/auth/login", creds("guest@example.com"), ""), http.StatusUnauthorized)
		})
		t.Run("closed", func(t *testing.T) {
			t.Parallel()
			s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "false"))
			expectProblem(t, s.postJSON(t, "/api/auth/register", creds("owner@example.com"), ""), http.StatusForbidden, "registration")
			u, err := wiring.AddUser(context.Background(), s.cfg, s.logger, "Admin@Example.com", "correct horse battery")
			if err != nil {
				t.Fatalf("AddUser with registration closed: %v", err)
			}
			_, userID := s.login(t, "admin@example.com", "correct horse battery")
			if userID != u.ID.String() {
				t.Errorf("login user = %s, want %s", userID, u.ID)
			}
			if _, err := wiring.AddUser(context.Background(), s.cfg, s.logger, "admin@example.com", "another password"); err == nil {
				t.Error("AddUser accepted a duplicate email")
			}
		})
		t.Run("open", func(t *testing.T) {
			t.Parallel()
			s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"))
			for _, email := range []string{"owner@example.com", "guest@example.com"} {
				if r := s.postJSON(t, "/api/auth/register", creds(email), ""); r.Status != http.StatusCreated {
					t.Fatalf("register %s: %s", email, r)
				}
			}
			expectProblem(t, s.postJSON(t, "/api/auth/register", creds("Guest@Example.com"), ""), http.StatusConflict, "email")
			wrong := expectProblem(t, s.postJSON(t, "/api/auth/login", map[string]string{"email": "guest@example.com", "password": "not the password"}, ""), http.StatusUnauthorized)
			unknown := expectProblem(t, s.postJSON(t, "/api/auth/login", creds("nobody@example.com"), ""), http.StatusUnauthorized)
			if wrong.Detail != unknown.Detail {
				t.Errorf("wrong password says %q, unknown email says %q: they must not differ", wrong.Detail, unknown.Detail)
			}
		})
	})
}

// TestAuth_LoginRateLimit: at most 10 login attempts a minute from one
// address, whether they succeed, fail or do not even parse; the next is
// refused with 429 and a whole-second Retry-After, and X-Forwarded-For from
// an untrusted peer does not get around it.
//
// The bucket refills one attempt every 6 s, so on a machine slow enough to
// take that long for ten requests one more may pass: the bound allowed
// grows with the time taken, and is exactly 10 when the attempts are quick.
func TestAuth_LoginRateLimit(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		good := mustJSON(t, map[string]string{"email": "owner@example.com", "password": "correct horse battery"})
		if r := s.postJSON(t, "/api/auth/register", good, ""); r.Status != http.StatusCreated {
			t.Fatalf("register: %s", r)
		}
		attempts := []struct {
			body   []byte
			status int
		}{
			{good, http.StatusOK},
			{mustJSON(t, map[string]string{"email": "owner@example.com", "password": "wrong password"}), http.StatusUnauthorized},
			{[]byte(`{"email":`), http.StatusBadRequest}, // no password hashing: cheap
		}
		start := time.Now()
		admitted := 0
		var refused response
		for {
			a := attempts[min(admitted, len(attempts)-1)]
			r := s.postJSON(t, "/api/auth/login", a.body, "")
			if r.Status == http.StatusTooManyRequests {
				refused = r
				break
			}
			if r.Status != a.status {
				t.Fatalf("attempt %d: %s, want %d", admitted+1, r, a.status)
			}
			admitted++
			if allowed := 10 + int(time.Since(start)/(6*time.Second)); admitted > allowed {
				t.Fatalf("%d attempts admitted in %s, at most %d allowed", admitted, time.Since(start).Round(time.Millisecond), allowed)
			}
		}
		refusedAt := time.Now()
		if admitted < 10 {
			t.Fatalf("refused after %d attempts, want 10 allowed", admitted)
		}
		retryAfter := func(r response) int {
			t.Helper()
			expectProblem(t, r, http.StatusTooManyRequests, "try again")
			ra := r.Header.Get("Retry-After")
			n, err := strconv.Atoi(ra)
			if err != nil || n < 1 || n > 60 {
				t.Errorf("Retry-After = %q, want whole seconds from 1 to 60", ra)
			}
			return n
		}
		wait := retryAfter(refused)
		r := s.do(t, req{method: http.MethodPost, path: "/api/auth/login", body: good, header: map[string]string{
			"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9",
		}})
		if r.Status != http.StatusTooManyRequests && time.Since(refusedAt) < time.Duration(wait-1)*time.Second {
			t.Fatalf("X-Forwarded-For from an untrusted peer got around the limit: %s", r)
		}
		if r.Status == http.StatusTooManyRequests {
			retryAfter(r)
		}
	})
}
