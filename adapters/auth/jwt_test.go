package auth_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/auth"
	"github.com/moviediary/moviediary/domain"
)

var (
	testSecret = []byte("0123456789abcdef0123456789abcdef")
	otherKey   = []byte("fedcba9876543210fedcba9876543210")
	t0         = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
	alice      = domain.MustParseUserID("0195a4c2-6b1e-7c3d-8e4f-5a6b7c8d9e0f")
)

func mustJWT(t *testing.T, secret []byte, now func() time.Time) *auth.JWT {
	t.Helper()
	j, err := auth.NewJWT(auth.JWTConfig{Secret: secret, TTL: time.Hour, Now: now})
	if err != nil {
		t.Fatalf("NewJWT: %v", err)
	}
	return j
}

func fixed(at time.Time) func() time.Time { return func() time.Time { return at } }

func b64(v any) string {
	var raw []byte
	switch v := v.(type) {
	case string:
		raw = []byte(v)
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			panic(err)
		}
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// craft builds a token by hand: header and claims as given, signed with an
// HMAC of h over key (nil h: an empty signature).
func craft(header, claims any, h func() hash.Hash, key []byte) string {
	input := b64(header) + "." + b64(claims)
	if h == nil {
		return input + "."
	}
	mac := hmac.New(h, key)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func goodClaims() map[string]any {
	return map[string]any{
		"iss": "moviediary",
		"sub": alice.String(),
		"iat": t0.Unix(),
		"exp": t0.Add(time.Hour).Unix(),
	}
}

func with(mutate func(map[string]any)) map[string]any {
	c := goodClaims()
	mutate(c)
	return c
}

var hs256 = map[string]any{"alg": "HS256", "typ": "JWT"}

func TestJWTIssuedTokenValidatesToItsUser(t *testing.T) {
	t.Parallel()
	j := mustJWT(t, testSecret, fixed(t0.Add(500*time.Millisecond)))
	tok, err := j.IssueToken(context.Background(), domain.Session{User: alice})
	if err != nil {
		t.Fatalf("IssueToken: %v", err)
	}
	if want := t0.Add(time.Hour); !tok.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v (whole seconds, like the exp claim)", tok.ExpiresAt, want)
	}
	got, err := j.ValidateToken(context.Background(), tok.Value)
	if err != nil {
		t.Fatalf("ValidateToken: %v", err)
	}
	if want := (domain.Session{User: alice}); got != want {
		t.Errorf("session = %+v, want %+v", got, want)
	}

	parts := strings.Split(tok.Value, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	var header, claims map[string]any
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
	}
	if header["alg"] != "HS256" {
		t.Errorf("alg = %v, want HS256", header["alg"])
	}
	want := map[string]any{"iss": "moviediary", "sub": alice.String(), "iat": float64(t0.Unix()), "exp": float64(t0.Add(time.Hour).Unix())}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
}

func TestJWTHandCraftedGoodTokenIsAccepted(t *testing.T) {
	// Proves the crafting helper makes tokens the service accepts, so the
	// refusals below are due to the one thing each case changes.
	t.Parallel()
	j := mustJWT(t, testSecret, fixed(t0))
	got, err := j.ValidateToken(context.Background(), craft(hs256, goodClaims(), sha256.New, testSecret))
	if err != nil || got != (domain.Session{User: alice}) {
		t.Fatalf("ValidateToken = %+v, %v; want %v at generation 0", got, err, alice)
	}
}

// Time claims that are numbers, as RFC 7519 has them, are accepted in
// every JSON number form: an nbf in the past, a fraction, an exponent.
func TestJWTAcceptsTimeClaimsThatAreNumbers(t *testing.T) {
	t.Parallel()
	j := mustJWT(t, testSecret, fixed(t0))
	tests := []struct {
		name   string
		claims map[string]any
	}{
		{"nbf in the past", with(func(c map[string]any) { c["nbf"] = t0.Add(-time.Minute).Unix() })},
		{"nbf now", with(func(c map[string]any) { c["nbf"] = t0.Unix() })},
		{"exp with a fraction", with(func(c map[string]any) { c["exp"] = float64(t0.Add(time.Hour).Unix()) + 0.5 })},
		{"exp with an exponent", with(func(c map[string]any) {
			c["exp"] = json.RawMessage(strconv.FormatInt(t0.Add(time.Hour).Unix()/10, 10) + "e1")
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := j.ValidateToken(context.Background(), craft(hs256, tt.claims, sha256.New, testSecret))
			if err != nil || got != (domain.Session{User: alice}) {
				t.Fatalf("ValidateToken = %+v, %v; want %v at generation 0", got, err, alice)
			}
		})
	}
}

func TestJWTRefusesEveryBadToken(t *testing.T) {
	t.Parallel()
	issued, err := mustJWT(t, testSecret, fixed(t0)).IssueToken(context.Background(), domain.Session{User: alice})
	if err != nil {
		t.Fatal(err)
	}
	fromOtherKey, err := mustJWT(t, otherKey, fixed(t0)).IssueToken(context.Background(), domain.Session{User: alice})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(issued.Value, ".")
	flipped := []byte(parts[2])
	if flipped[0] == 'A' {
		flipped[0] = 'B'
	} else {
		flipped[0] = 'A'
	}
	bob := domain.NewUserID()

	tests := []struct {
		name  string
		token string
	}{
		{"forged signature", parts[0] + "." + parts[1] + "." + string(flipped)},
		{"payload swapped to another user under the original signature", parts[0] + "." + b64(with(func(c map[string]any) { c["sub"] = bob.String() })) + "." + parts[2]},
		{"signature stripped", parts[0] + "." + parts[1] + "."},
		{"signed with another key", fromOtherKey.Value},
		{"alg none with empty signature", craft(map[string]any{"alg": "none", "typ": "JWT"}, goodClaims(), nil, nil)},
		{"alg none with an HS256 signature", craft(map[string]any{"alg": "none", "typ": "JWT"}, goodClaims(), sha256.New, testSecret)},
		{"alg None spelled otherwise", craft(map[string]any{"alg": "None"}, goodClaims(), nil, nil)},
		{"alg missing", craft(map[string]any{"typ": "JWT"}, goodClaims(), sha256.New, testSecret)},
		{"HS384 with the right key", craft(map[string]any{"alg": "HS384"}, goodClaims(), sha512.New384, testSecret)},
		{"HS512 with the right key", craft(map[string]any{"alg": "HS512"}, goodClaims(), sha512.New, testSecret)},
		{"RS256 label over an HMAC of the secret", craft(map[string]any{"alg": "RS256"}, goodClaims(), sha256.New, testSecret)},
		{"ES256 label over an HMAC of the secret", craft(map[string]any{"alg": "ES256"}, goodClaims(), sha256.New, testSecret)},
		{"EdDSA label", craft(map[string]any{"alg": "EdDSA"}, goodClaims(), sha256.New, testSecret)},
		{"missing exp", craft(hs256, with(func(c map[string]any) { delete(c, "exp") }), sha256.New, testSecret)},
		{"exp not a number", craft(hs256, with(func(c map[string]any) { c["exp"] = "tomorrow" }), sha256.New, testSecret)},
		{"exp a numeric string", craft(hs256, with(func(c map[string]any) { c["exp"] = "9999999999" }), sha256.New, testSecret)},
		{"exp a numeric string within the TTL", craft(hs256, with(func(c map[string]any) { c["exp"] = strconv.FormatInt(t0.Add(time.Hour).Unix(), 10) }), sha256.New, testSecret)},
		{"exp a numeric string with spaces", craft(hs256, with(func(c map[string]any) { c["exp"] = " 9999999999 " }), sha256.New, testSecret)},
		{"exp null", craft(hs256, with(func(c map[string]any) { c["exp"] = nil }), sha256.New, testSecret)},
		{"exp true", craft(hs256, with(func(c map[string]any) { c["exp"] = true }), sha256.New, testSecret)},
		{"exp an array", craft(hs256, with(func(c map[string]any) { c["exp"] = []int64{t0.Add(time.Hour).Unix()} }), sha256.New, testSecret)},
		{"EXP in capitals a numeric string", craft(hs256, with(func(c map[string]any) { c["EXP"] = "9999999999" }), sha256.New, testSecret)},
		{"iat a numeric string", craft(hs256, with(func(c map[string]any) { c["iat"] = strconv.FormatInt(t0.Unix(), 10) }), sha256.New, testSecret)},
		{"iat null", craft(hs256, with(func(c map[string]any) { c["iat"] = nil }), sha256.New, testSecret)},
		{"nbf a numeric string", craft(hs256, with(func(c map[string]any) { c["nbf"] = strconv.FormatInt(t0.Add(-time.Minute).Unix(), 10) }), sha256.New, testSecret)},
		{"nbf null", craft(hs256, with(func(c map[string]any) { c["nbf"] = nil }), sha256.New, testSecret)},
		{"Nbf in mixed case an object", craft(hs256, with(func(c map[string]any) { c["Nbf"] = map[string]any{"t": 1} }), sha256.New, testSecret)},
		{"missing iat", craft(hs256, with(func(c map[string]any) { delete(c, "iat") }), sha256.New, testSecret)},
		{"iat in the future", craft(hs256, with(func(c map[string]any) { c["iat"] = t0.Add(time.Minute).Unix() }), sha256.New, testSecret)},
		{"nbf in the future", craft(hs256, with(func(c map[string]any) { c["nbf"] = t0.Add(time.Minute).Unix() }), sha256.New, testSecret)},
		{"wrong issuer", craft(hs256, with(func(c map[string]any) { c["iss"] = "someone-else" }), sha256.New, testSecret)},
		{"missing issuer", craft(hs256, with(func(c map[string]any) { delete(c, "iss") }), sha256.New, testSecret)},
		{"missing sub", craft(hs256, with(func(c map[string]any) { delete(c, "sub") }), sha256.New, testSecret)},
		{"sub not a UUID", craft(hs256, with(func(c map[string]any) { c["sub"] = "admin" }), sha256.New, testSecret)},
		{"sub the nil UUID", craft(hs256, with(func(c map[string]any) { c["sub"] = "00000000-0000-0000-0000-000000000000" }), sha256.New, testSecret)},
		{"sub a non-canonical UUID", craft(hs256, with(func(c map[string]any) { c["sub"] = "urn:uuid:" + alice.String() }), sha256.New, testSecret)},
		{"sub a number", craft(hs256, with(func(c map[string]any) { c["sub"] = 42 }), sha256.New, testSecret)},
		{"empty", ""},
		{"one word", "garbage"},
		{"three empty parts", ".."},
		{"three junk parts", "a.b.c"},
		{"four parts", issued.Value + ".x"},
		{"bearer prefix left on", "Bearer " + issued.Value},
		{"header not JSON", b64("not json") + "." + parts[1] + "." + parts[2]},
		{"padded base64", parts[0] + "==." + parts[1] + "." + parts[2]},
		{"longer than the limit", parts[0] + "." + strings.Repeat("A", auth.MaxTokenBytes) + "." + parts[2]},
	}
	j := mustJWT(t, testSecret, fixed(t0))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id, err := j.ValidateToken(context.Background(), tt.token)
			if !errors.Is(err, domain.ErrUnauthorized) {
				t.Fatalf("ValidateToken = %v, %v; want ErrUnauthorized", id, err)
			}
			if id != (domain.Session{}) {
				t.Errorf("session = %+v, want zero", id)
			}
			if len(tt.token) > 8 && strings.Contains(err.Error(), tt.token) {
				t.Errorf("error repeats the token: %v", err)
			}
			if testing.Verbose() {
				t.Log(err)
			}
		})
	}
}

func TestJWTExpiresExactlyAtExp(t *testing.T) {
	t.Parallel()
	now := t0
	j := mustJWT(t, testSecret, func() time.Time { return now })
	tok, err := j.IssueToken(context.Background(), domain.Session{User: alice})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		at    time.Time
		valid bool
	}{
		{"just issued", t0, true},
		{"one second before exp", t0.Add(time.Hour - time.Second), true},
		{"at exp", t0.Add(time.Hour), false},
		{"a day later", t0.Add(25 * time.Hour), false},
		{"before it was issued", t0.Add(-time.Minute), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = tt.at
			_, err := j.ValidateToken(context.Background(), tok.Value)
			if tt.valid && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tt.valid && !errors.Is(err, domain.ErrUnauthorized) {
				t.Errorf("err = %v, want ErrUnauthorized", err)
			}
		})
	}
}

func TestNewJWTRefusesBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  auth.JWTConfig
	}{
		{"no secret", auth.JWTConfig{}},
		{"31-byte secret", auth.JWTConfig{Secret: testSecret[:31]}},
		{"negative TTL", auth.JWTConfig{Secret: testSecret, TTL: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := auth.NewJWT(tt.cfg); !errors.Is(err, domain.ErrMisconfigured) {
				t.Errorf("NewJWT err = %v, want ErrMisconfigured", err)
			}
		})
	}
}

func TestNewJWTDefaultsTTLToADay(t *testing.T) {
	t.Parallel()
	j, err := auth.NewJWT(auth.JWTConfig{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if j.TTL() != 24*time.Hour {
		t.Errorf("TTL = %v, want 24h", j.TTL())
	}
}

func TestJWTCopiesTheSecret(t *testing.T) {
	t.Parallel()
	secret := bytes.Clone(testSecret)
	j := mustJWT(t, secret, fixed(t0))
	tok, err := j.IssueToken(context.Background(), domain.Session{User: alice})
	if err != nil {
		t.Fatal(err)
	}
	secret[0] ^= 0xff
	if _, err := j.ValidateToken(context.Background(), tok.Value); err != nil {
		t.Errorf("changing the caller's slice changed the key: %v", err)
	}
}

func TestJWTIssueRefusesTheZeroUser(t *testing.T) {
	t.Parallel()
	_, err := mustJWT(t, testSecret, fixed(t0)).IssueToken(context.Background(), domain.Session{Generation: 1})
	if !errors.Is(err, domain.ErrValidation) {
		t.Errorf("err = %v, want ErrValidation", err)
	}
}

func TestGenerateSecretIsThirtyTwoFreshBytes(t *testing.T) {
	t.Parallel()
	a, err := auth.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := auth.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 32 || len(b) != 32 {
		t.Fatalf("lengths %d, %d; want 32", len(a), len(b))
	}
	if bytes.Equal(a, b) {
		t.Error("two secrets are equal")
	}
	if _, err := auth.NewJWT(auth.JWTConfig{Secret: a}); err != nil {
		t.Errorf("NewJWT refuses a generated secret: %v", err)
	}
}
