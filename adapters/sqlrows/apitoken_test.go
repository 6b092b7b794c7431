package sqlrows_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

func TestAPITokenToDomain(t *testing.T) {
	t.Parallel()
	user, _ := domain.UserIDFromUUID(userUUID)
	tok, _, err := domain.NewAPIToken(user, "phone", created.Add(time.Hour), created)
	if err != nil {
		t.Fatalf("NewAPIToken: %v", err)
	}
	t.Run("a token round-trips through its row", func(t *testing.T) {
		t.Parallel()
		for _, want := range []domain.APIToken{tok, withLastUse(tok, created.Add(time.Minute))} {
			row := sqlrows.APITokenRow(want)
			row.CreatedAt = row.CreatedAt.In(time.FixedZone("CET", 3600))
			got, err := row.ToDomain()
			if err != nil {
				t.Fatalf("ToDomain: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ToDomain = %+v, want %+v", got, want)
			}
		}
	})
	t.Run("null times stay zero", func(t *testing.T) {
		t.Parallel()
		row := sqlrows.APITokenRow(tok)
		row.ExpiresAt, row.LastUsedAt = time.Time{}, time.Time{}
		got, err := row.ToDomain()
		if err != nil {
			t.Fatalf("ToDomain: %v", err)
		}
		if !got.ExpiresAt.IsZero() || !got.LastUsedAt.IsZero() || got.ExpiresAt != (time.Time{}) {
			t.Errorf("ToDomain = %+v, want zero ExpiresAt and LastUsedAt", got)
		}
	})
	t.Run("every bad column is reported", func(t *testing.T) {
		t.Parallel()
		row := sqlrows.APIToken{
			ID: uuid.Nil, UserID: uuid.Nil, Name: strings.Repeat("x", 101), Prefix: "ghp_1234",
			Hash: []byte{1, 2, 3},
		}
		_, err := row.ToDomain()
		want := sorted("id", "user_id", "name", "prefix", "hash", "created_at")
		if got := fieldsOf(t, err); !slices.Equal(got, want) {
			t.Errorf("ToDomain reports %q, want %q (error: %v)", got, want, err)
		}
		if err := sqlrows.CheckAPIToken(domain.APIToken{}); err == nil {
			t.Error("CheckAPIToken(zero token) = nil, want a validation error")
		}
		if err := sqlrows.CheckAPIToken(tok); err != nil {
			t.Errorf("CheckAPIToken(new token) = %v, want nil", err)
		}
	})
	for _, name := range []string{"", " phone", "ph\x00one", "\xff"} {
		row := sqlrows.APITokenRow(tok)
		row.Name = name
		if _, err := row.ToDomain(); !slices.Equal(fieldsOf(t, err), []string{"name"}) {
			t.Errorf("ToDomain(name %q) error = %v, want the name reported", name, err)
		}
	}
}

func withLastUse(t domain.APIToken, at time.Time) domain.APIToken {
	t.LastUsedAt = at
	return t
}

func TestIdempotencyRecordToDomain(t *testing.T) {
	t.Parallel()
	good := sqlrows.IdempotencyRecord{UserID: userUUID, Key: "3f6c-retry", Fingerprint: "sha256:abc", ReviewID: reviewUUID, CreatedAt: created}
	got, err := good.ToDomain()
	if err != nil {
		t.Fatalf("ToDomain: %v", err)
	}
	user, _ := domain.UserIDFromUUID(userUUID)
	review, _ := domain.ReviewIDFromUUID(reviewUUID)
	key, _ := domain.ParseIdempotencyKey("3f6c-retry")
	want := domain.IdempotencyRecord{Request: domain.IdempotentRequest{User: user, Key: key, Fingerprint: "sha256:abc"}, ReviewID: review, CreatedAt: created}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ToDomain = %+v, want %+v", got, want)
	}

	bad := sqlrows.IdempotencyRecord{Key: "tab\there", Fingerprint: strings.Repeat("f", 129)}
	_, err = bad.ToDomain()
	wantFields := sorted("user_id", "key", "fingerprint", "review_id", "created_at")
	if got := fieldsOf(t, err); !slices.Equal(got, wantFields) {
		t.Errorf("ToDomain reports %q, want %q (error: %v)", got, wantFields, err)
	}

	if c := sqlrows.IdempotencyCutoff(created); !c.Equal(created.Add(-domain.IdempotencyWindow)) {
		t.Errorf("IdempotencyCutoff = %v, want a window before %v", c, created)
	}
}
