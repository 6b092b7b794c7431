package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/moviediary/moviediary/adapters/auth"
	"github.com/moviediary/moviediary/domain"
)

// TestJWTCarriesTheSessionGeneration: IssueToken writes the session's
// generation as the JSON integer claim sgen, and ValidateToken reads it
// back; a token without sgen is of generation 0.
func TestJWTCarriesTheSessionGeneration(t *testing.T) {
	t.Parallel()
	j := mustJWT(t, testSecret, fixed(t0))
	for _, gen := range []uint64{0, 1, 7, 1 << 53, 1<<64 - 1} {
		s := domain.Session{User: alice, Generation: gen}
		tok, err := j.IssueToken(context.Background(), s)
		if err != nil {
			t.Fatalf("IssueToken(%+v): %v", s, err)
		}
		payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok.Value, ".")[1])
		if err != nil {
			t.Fatal(err)
		}
		var claims map[string]json.RawMessage
		if err := json.Unmarshal(payload, &claims); err != nil {
			t.Fatal(err)
		}
		if got, want := string(claims[auth.GenerationClaim]), strconvU(gen); got != want {
			t.Errorf("sgen = %s, want the JSON integer %s", got, want)
		}
		got, err := j.ValidateToken(context.Background(), tok.Value)
		if err != nil || got != s {
			t.Errorf("ValidateToken = %+v, %v; want %+v", got, err, s)
		}
	}

	for _, tt := range []struct {
		name string
		sgen any
		want uint64
	}{
		{"absent", nil, 0},
		{"zero", 0, 0},
		{"twelve", 12, 12},
		{"the largest", json.RawMessage("18446744073709551615"), 1<<64 - 1},
	} {
		claims := goodClaims()
		if tt.sgen != nil {
			claims["sgen"] = tt.sgen
		}
		got, err := j.ValidateToken(context.Background(), craft(hs256, claims, sha256.New, testSecret))
		if want := (domain.Session{User: alice, Generation: tt.want}); err != nil || got != want {
			t.Errorf("sgen %s: ValidateToken = %+v, %v; want %+v", tt.name, got, err, want)
		}
	}
}

// TestJWTRefusesABadSessionGeneration: sgen must be a JSON integer from 0
// to 2^64-1, given once; anything else is refused like any bad token.
func TestJWTRefusesABadSessionGeneration(t *testing.T) {
	t.Parallel()
	j := mustJWT(t, testSecret, fixed(t0))
	for _, tt := range []struct {
		name   string
		claims map[string]any
	}{
		{"a numeric string", with(func(c map[string]any) { c["sgen"] = "3" })},
		{"null", with(func(c map[string]any) { c["sgen"] = nil })},
		{"negative", with(func(c map[string]any) { c["sgen"] = -1 })},
		{"a fraction", with(func(c map[string]any) { c["sgen"] = 1.5 })},
		{"an exponent", with(func(c map[string]any) { c["sgen"] = json.RawMessage("1e3") })},
		{"a boolean", with(func(c map[string]any) { c["sgen"] = true })},
		{"an array", with(func(c map[string]any) { c["sgen"] = []int{1} })},
		{"an object", with(func(c map[string]any) { c["sgen"] = map[string]int{"n": 1} })},
		{"beyond 2^64-1", with(func(c map[string]any) { c["sgen"] = json.RawMessage("18446744073709551616") })},
		{"in another case, a string", with(func(c map[string]any) { c["SGEN"] = "3" })},
		{"given twice in two cases", with(func(c map[string]any) { c["sgen"] = 1; c["Sgen"] = 2 })},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			token := craft(hs256, tt.claims, sha256.New, testSecret)
			s, err := j.ValidateToken(context.Background(), token)
			if !errors.Is(err, domain.ErrUnauthorized) || s != (domain.Session{}) {
				t.Fatalf("ValidateToken = %+v, %v; want ErrUnauthorized", s, err)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("the error repeats the token: %v", err)
			}
		})
	}
}

func strconvU(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
