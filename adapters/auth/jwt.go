package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/moviediary/moviediary/domain"
)

// Issuer is the iss claim of every token moviediary signs and accepts.
const Issuer = "moviediary"

// MinSecretBytes is the shortest signing secret NewJWT accepts: HS256 keys
// should be at least as long as the SHA-256 output.
const MinSecretBytes = 32

// DefaultTTL is the token lifetime used when JWTConfig.TTL is zero.
const DefaultTTL = 24 * time.Hour

// MaxTokenBytes bounds the tokens ValidateToken will parse; ours are about
// 200 bytes, so anything much longer is refused unread.
const MaxTokenBytes = 4096

// GenerationClaim is the claim that carries the session generation a token
// was issued in (domain.Session.Generation): a non-negative JSON integer.
// A token without it is of generation 0, as every token issued before the
// claim existed.
const GenerationClaim = "sgen"

// JWTConfig configures a JWT service.
type JWTConfig struct {
	// Secret is the HS256 signing key, at least MinSecretBytes long.
	Secret []byte
	// TTL is how long an issued token stays valid; zero means DefaultTTL.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// JWT issues and validates HS256-signed bearer tokens. It implements
// domain.AuthService and is safe for concurrent use.
type JWT struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
	parser *jwt.Parser
}

var _ domain.AuthService = (*JWT)(nil)

// NewJWT returns a token service, or an error when the secret is shorter than
// MinSecretBytes or the TTL is negative. The secret is copied.
func NewJWT(cfg JWTConfig) (*JWT, error) {
	if len(cfg.Secret) < MinSecretBytes {
		return nil, fmt.Errorf("auth: JWT secret is %d bytes, at least %d are required: %w", len(cfg.Secret), MinSecretBytes, domain.ErrMisconfigured)
	}
	if cfg.TTL < 0 {
		return nil, fmt.Errorf("auth: JWT TTL %s is negative: %w", cfg.TTL, domain.ErrMisconfigured)
	}
	ttl := cfg.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	j := &JWT{
		secret: append([]byte(nil), cfg.Secret...),
		ttl:    ttl,
		now:    now,
	}
	// Tokens are issued and checked by the same process and clock, so no
	// leeway is granted: a token is refused from the second its exp passes.
	j.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(Issuer),
		jwt.WithTimeFunc(now),
		jwt.WithStrictDecoding(),
	)
	return j, nil
}

// TTL returns the lifetime of the tokens this service issues.
func (j *JWT) TTL() time.Duration { return j.ttl }

// IssueToken returns an HS256 token for the session with sub = the user's
// UUID, sgen = the session generation, iss = Issuer, iat = now and exp =
// now + TTL, both whole seconds. The returned ExpiresAt equals the exp
// claim.
func (j *JWT) IssueToken(_ context.Context, s domain.Session) (domain.Token, error) {
	if s.User.IsZero() {
		return domain.Token{}, fmt.Errorf("auth: issue token: %w", fieldError("user_id", "must be set"))
	}
	now := j.now().UTC().Truncate(time.Second)
	exp := now.Add(j.ttl)
	claims := issuedClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   s.User.String(),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		Generation: s.Generation,
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(j.secret)
	if err != nil {
		return domain.Token{}, fmt.Errorf("auth: sign token: %w: %w", domain.ErrInfrastructure, err)
	}
	return domain.Token{Value: signed, ExpiresAt: exp}, nil
}

// ValidateToken returns the session a token was issued for. Every refusal
// wraps domain.ErrUnauthorized (and, where the JWT library gave one, its
// error, for logs): a token that is not HS256, forged, signed with another
// key, expired, issued in the future, missing exp, iat or sub, whose exp,
// iat or nbf is not a JSON number (a numeric string included), whose sgen
// is not a non-negative JSON integer, from another issuer, whose sub is not
// a canonical UUID, or that is not a JWT at all.
func (j *JWT) ValidateToken(_ context.Context, token string) (domain.Session, error) {
	if token == "" {
		return domain.Session{}, refused("token is empty", nil)
	}
	if len(token) > MaxTokenBytes {
		return domain.Session{}, refused(fmt.Sprintf("token is longer than %d bytes", MaxTokenBytes), nil)
	}
	var claims strictClaims
	_, err := j.parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		// WithValidMethods has already refused every other algorithm; this
		// second check keeps the key from ever meeting a non-HMAC method.
		if t.Method != jwt.SigningMethodHS256 {
			return nil, fmt.Errorf("unexpected signing method %v", t.Header["alg"])
		}
		return j.secret, nil
	})
	if err != nil {
		return domain.Session{}, refused(reason(err), err)
	}
	if claims.IssuedAt == nil {
		return domain.Session{}, refused("token has no iat claim", nil)
	}
	id, err := domain.ParseUserID(claims.Subject)
	if err != nil || id.String() != claims.Subject {
		return domain.Session{}, refused("token sub is not a canonical user UUID", nil)
	}
	return domain.Session{User: id, Generation: claims.generation}, nil
}

// issuedClaims are the claims IssueToken signs.
type issuedClaims struct {
	jwt.RegisteredClaims
	// Generation is the session generation, GenerationClaim.
	Generation uint64 `json:"sgen"`
}

// timeClaims are the claims RFC 7519 makes NumericDates.
var timeClaims = [...]string{"exp", "iat", "nbf"}

// strictClaims are the registered claims with exp, iat and nbf held to
// JSON numbers, as RFC 7519 (§2, NumericDate) wants them: the library's
// NumericDate also takes a string holding a number ("exp":"9999999999")
// and treats null as absent. encoding/json matches keys without regard to
// case, so "EXP" is held to the same rule.
type strictClaims struct {
	jwt.RegisteredClaims
	// generation is GenerationClaim's value, 0 when absent.
	generation uint64
}

// UnmarshalJSON refuses a payload whose time claims are not numbers or
// whose sgen is not a non-negative integer, then decodes the registered
// claims.
func (c *strictClaims) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	sgen := 0
	for name, v := range raw {
		for _, tc := range timeClaims {
			if strings.EqualFold(name, tc) && !isJSONNumber(v) {
				return fmt.Errorf("claim %s is not a number", tc)
			}
		}
		if strings.EqualFold(name, GenerationClaim) {
			// Spelt in another case, it would be the same claim to a
			// case-insensitive reader; once is the only unambiguous count.
			if sgen++; sgen > 1 {
				return fmt.Errorf("claim %s is given more than once", GenerationClaim)
			}
			gen, err := parseGeneration(v)
			if err != nil {
				return err
			}
			c.generation = gen
		}
	}
	return json.Unmarshal(b, &c.RegisteredClaims)
}

// parseGeneration reads an sgen value: a JSON integer from 0 to 2^64-1,
// digits only (no sign, fraction or exponent).
func parseGeneration(v json.RawMessage) (uint64, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || bytes.ContainsFunc(v, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, fmt.Errorf("claim %s is not a non-negative integer", GenerationClaim)
	}
	gen, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("claim %s is out of range", GenerationClaim)
	}
	return gen, nil
}

// isJSONNumber reports whether v, a valid JSON value, is a number.
func isJSONNumber(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && (v[0] == '-' || ('0' <= v[0] && v[0] <= '9'))
}

// GenerateSecret returns MinSecretBytes random bytes from crypto/rand, fit to
// be a JWTConfig.Secret. The caller persists it.
func GenerateSecret() ([]byte, error) {
	b := make([]byte, MinSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("auth: generate secret: %w: %w", domain.ErrInfrastructure, err)
	}
	return b, nil
}

func refused(why string, cause error) error {
	if cause == nil {
		return fmt.Errorf("auth: token refused: %s: %w", why, domain.ErrUnauthorized)
	}
	return fmt.Errorf("auth: token refused: %s: %w: %w", why, domain.ErrUnauthorized, cause)
}

// reason names the refusal for logs; the client only ever sees unauthorized.
func reason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed token"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "bad signature or algorithm"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "unverifiable token"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "required claim missing"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "token issued in the future"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "token not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	default:
		return "invalid token"
	}
}

// fieldError builds a validation error without depending on domain
// internals.
func fieldError(field, rule string) error {
	return &domain.ValidationError{Fields: []domain.FieldError{{Field: field, Rule: rule}}}
}
