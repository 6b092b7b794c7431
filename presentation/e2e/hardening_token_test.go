package e2e_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestHardening_TokenTimesMustBeNumbers: a bearer token signed with the
// app's own key whose exp, iat or nbf is a JSON string — even a numeric
// one like "9999999999" — or null is refused with 401, on both stores, and
// nothing is stored. The same claims as numbers are accepted.
func TestHardening_TokenTimesMustBeNumbers(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		_, userID := s.account(t, "owner@example.com")
		secret, err := os.ReadFile(filepath.Join(s.cfg.DataDir, "jwt_secret"))
		if err != nil {
			t.Fatalf("the app's generated secret: %v", err)
		}
		key := []byte(strings.TrimSpace(string(secret)))
		now := time.Now().Unix()
		claims := func(set map[string]any) jwt.MapClaims {
			c := jwt.MapClaims{"iss": "moviediary", "sub": userID, "iat": now, "exp": now + 3600}
			for k, v := range set {
				c[k] = v // nil sends null
			}
			return c
		}
		sign := func(c jwt.MapClaims) string {
			t.Helper()
			tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(key)
			if err != nil {
				t.Fatalf("sign: %v", err)
			}
			return tok
		}
		body := map[string]any{"manual_title": "Token Film", "manual_release_year": 2001, "rating": 4, "watched_at": watched(0)}

		refused := []struct {
			name string
			set  map[string]any
		}{
			{"exp a numeric string", map[string]any{"exp": "9999999999"}},
			{"exp a numeric string an hour ahead", map[string]any{"exp": strconv.FormatInt(now+3600, 10)}},
			{"exp a fractional string", map[string]any{"exp": "9999999999.5"}},
			{"exp null", map[string]any{"exp": nil}},
			{"exp an array", map[string]any{"exp": []int64{now + 3600}}},
			{"iat a numeric string", map[string]any{"iat": strconv.FormatInt(now, 10)}},
			{"iat null", map[string]any{"iat": nil}},
			{"nbf a numeric string", map[string]any{"nbf": strconv.FormatInt(now-60, 10)}},
			{"nbf null", map[string]any{"nbf": nil}},
			{"nbf an object", map[string]any{"nbf": map[string]int64{"t": now - 60}}},
		}
		for _, c := range refused {
			t.Run(c.name, func(t *testing.T) {
				r := s.postJSON(t, "/api/reviews", body, sign(claims(c.set)))
				expectProblem(t, r, http.StatusUnauthorized)
				if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want Bearer …", got)
				}
			})
		}
		if got := s.totalCount(t); got != 0 {
			t.Fatalf("total_count = %d after refused tokens, want 0", got)
		}
		// The crafting is right: numbers, nbf included, are accepted.
		s.logReview(t, sign(claims(map[string]any{"nbf": now - 60})), body)
		s.logReview(t, sign(claims(nil)), body)
	})
}
