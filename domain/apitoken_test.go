package domain_test

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

func TestNewAPIToken(t *testing.T) {
	t.Parallel()
	user := domain.NewUserID()
	expires := time.Date(2027, 1, 1, 0, 0, 0, 0, time.FixedZone("CET", 60*60))
	rec, token, err := domain.NewAPIToken(user, "  phone ", expires, now)
	if err != nil {
		t.Fatalf("NewAPIToken: %v", err)
	}
	if !strings.HasPrefix(token, "mdpat_") || !domain.IsAPIToken(token) {
		t.Errorf("token %q lacks the mdpat_ prefix", token)
	}
	random := strings.TrimPrefix(token, domain.APITokenPrefix)
	raw, err := base64.RawURLEncoding.DecodeString(random)
	if err != nil || len(raw) < 32 || len(random) < 43 {
		t.Errorf("token %q: want at least 256 bits in base64url after the prefix (%d bytes, %v)", token, len(raw), err)
	}
	if rec.ID.IsZero() || rec.UserID != user || rec.Name != "phone" || !rec.CreatedAt.Equal(now) ||
		!rec.ExpiresAt.Equal(expires) || rec.ExpiresAt.Location() != time.UTC || !rec.LastUsedAt.IsZero() {
		t.Errorf("record = %+v", rec)
	}
	if rec.Hash != domain.HashAPIToken(token) || rec.Hash != sha256.Sum256([]byte(token)) {
		t.Error("the record's hash is not the token's SHA-256")
	}
	if !strings.HasPrefix(token, rec.Prefix) || len(rec.Prefix) != len(domain.APITokenPrefix)+8 {
		t.Errorf("prefix %q: want the marker and 8 characters of %q", rec.Prefix, token)
	}

	rec2, token2, err := domain.NewAPIToken(user, "phone", time.Time{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if token2 == token || rec2.Hash == rec.Hash || rec2.ID == rec.ID {
		t.Error("two tokens share their token, hash or ID")
	}
	if !rec2.ExpiresAt.IsZero() {
		t.Errorf("a token without expiry expires at %v", rec2.ExpiresAt)
	}
}

func TestNewAPIToken_Validates(t *testing.T) {
	t.Parallel()
	user := domain.NewUserID()
	tests := []struct {
		name    string
		user    domain.UserID
		tokName string
		expires time.Time
		fields  []string
	}{
		{"a blank name", user, " \t ", time.Time{}, []string{"name"}},
		{"100 characters is enough", user, strings.Repeat("é", 100), time.Time{}, nil},
		{"a name of 101 characters", user, strings.Repeat("é", 101), time.Time{}, []string{"name"}},
		{"a name with a control character", user, "ph\x1bone", time.Time{}, []string{"name"}},
		{"a name that is not UTF-8", user, "ph\xffone", time.Time{}, []string{"name"}},
		{"an expiry now", user, "x", now, []string{"expires_at"}},
		{"an expiry in the past", user, "x", now.Add(-time.Hour), []string{"expires_at"}},
		{"no user", domain.UserID{}, "x", time.Time{}, []string{"user_id"}},
		{"everything at once", domain.UserID{}, "", now.Add(-time.Hour), []string{"user_id", "name", "expires_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, token, err := domain.NewAPIToken(tt.user, tt.tokName, tt.expires, now)
			if tt.fields == nil {
				if err != nil || token == "" {
					t.Fatalf("NewAPIToken: (%q, %v), want a token", token, err)
				}
				return
			}
			if got := validationFields(t, err); strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Errorf("fields = %v, want %v", got, tt.fields)
			}
			if token != "" || rec != (domain.APIToken{}) {
				t.Errorf("got (%+v, %q) along with the error", rec, token)
			}
		})
	}
}

// A token NewAPIToken accepts works at once: its expiry, stored to the
// second, still lies after the time it was made.
func TestNewAPIToken_AnAcceptedExpiryIsInTheFuture(t *testing.T) {
	t.Parallel()
	made := now.Add(300 * time.Millisecond)
	for _, expires := range []time.Time{made.Add(time.Nanosecond), made.Add(500 * time.Millisecond), made.Add(time.Second)} {
		rec, _, err := domain.NewAPIToken(domain.NewUserID(), "x", expires, made)
		if err != nil {
			continue // refusing it is fine too
		}
		if !rec.ActiveAt(made) {
			t.Errorf("expiry %v accepted at %v, stored as %v: the new token is already expired", expires, made, rec.ExpiresAt)
		}
	}
}

func TestAPIToken_ActiveAt(t *testing.T) {
	t.Parallel()
	never := domain.APIToken{}
	if !never.ActiveAt(now) || !never.ActiveAt(now.AddDate(100, 0, 0)) {
		t.Error("a token without expiry is not active")
	}
	expiring := domain.APIToken{ExpiresAt: now}
	if !expiring.ActiveAt(now.Add(-time.Nanosecond)) {
		t.Error("a token is not active just before its expiry")
	}
	if expiring.ActiveAt(now) || expiring.ActiveAt(now.Add(time.Hour)) {
		t.Error("a token is active at or after its expiry")
	}
}

func TestIsAPIToken(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"mdpat_abc":            true,
		"mdpat_":               true,
		"MDPAT_abc":            false,
		"eyJhbGciOiJIUzI1NiJ9": false,
		"":                     false,
		" mdpat_abc":           false,
	} {
		if got := domain.IsAPIToken(s); got != want {
			t.Errorf("IsAPIToken(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestHashAPIToken(t *testing.T) {
	t.Parallel()
	if domain.HashAPIToken("mdpat_a") == domain.HashAPIToken("mdpat_b") {
		t.Error("two tokens hash alike")
	}
	token := "mdpat_" + strings.Repeat("a", 43)
	if got, want := domain.HashAPIToken(token), sha256.Sum256([]byte(token)); got != want {
		t.Errorf("HashAPIToken = %x, want the SHA-256 of the token, %x", got, want)
	}
}

func TestAPITokenID(t *testing.T) {
	t.Parallel()
	id := domain.NewAPITokenID()
	if id.IsZero() {
		t.Fatal("a new ID is zero")
	}
	back, err := domain.ParseAPITokenID(id.String())
	if err != nil || back != id {
		t.Errorf("ParseAPITokenID(%q) = (%v, %v)", id, back, err)
	}
	if fromUUID, err := domain.APITokenIDFromUUID(id.UUID()); err != nil || fromUUID != id {
		t.Errorf("APITokenIDFromUUID = (%v, %v)", fromUUID, err)
	}
	for _, s := range []string{"", "phone", "00000000-0000-0000-0000-000000000000"} {
		_, err := domain.ParseAPITokenID(s)
		checkFieldErr(t, err, "token_id")
	}
	_, err = domain.APITokenIDFromUUID([16]byte{})
	checkFieldErr(t, err, "token_id")
}
