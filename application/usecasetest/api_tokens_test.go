package application_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

func newAPITokens(t *testing.T) (*application.APITokens, *mock.MockAPITokenRepository) {
	t.Helper()
	repo := mock.NewMockAPITokenRepository(gomock.NewController(t))
	return must(application.NewAPITokens(repo, clock)), repo
}

func TestAPITokensCreate(t *testing.T) {
	t.Parallel()
	user := domain.NewUserID()
	expires := fixedNow.Add(30 * 24 * time.Hour)
	tests := []struct {
		name        string
		cmd         application.CreateAPITokenCommand
		wantName    string
		wantExpires time.Time
	}{
		{"a token that never expires", application.CreateAPITokenCommand{UserID: user, Name: "phone"}, "phone", time.Time{}},
		{"a token with an expiry and a name to trim", application.CreateAPITokenCommand{UserID: user, Name: "  backup script ", ExpiresAt: &expires}, "backup script", expires},
		{"an expiry given in another zone is kept as its instant", application.CreateAPITokenCommand{UserID: user, Name: "cron",
			ExpiresAt: ptr(expires.In(time.FixedZone("JST", 9*60*60)))}, "cron", expires},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			uc, repo := newAPITokens(t)
			var saved domain.APIToken
			repo.EXPECT().SaveAPIToken(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.APIToken) error {
				saved = r
				return nil
			})
			got, err := uc.Create(t.Context(), tt.cmd)
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			if got.Record != saved {
				t.Errorf("returned record %+v, want the stored %+v", got.Record, saved)
			}
			r := saved
			if r.ID.IsZero() || r.UserID != user || r.Name != tt.wantName || !r.CreatedAt.Equal(fixedNow) ||
				!r.ExpiresAt.Equal(tt.wantExpires) || !r.LastUsedAt.IsZero() {
				t.Errorf("stored %+v, want user %v, name %q, created now, expiring %v, never used", r, user, tt.wantName, tt.wantExpires)
			}
			requireWellMadeToken(t, got.Token, r)
			if !r.ActiveAt(fixedNow) {
				t.Error("a new token is not active")
			}
		})
	}
}

// requireWellMadeToken checks that token is a personal API token with 256
// random bits, stored as r: by its hash and a prefix, never itself.
func requireWellMadeToken(t *testing.T, token string, r domain.APIToken) {
	t.Helper()
	if !strings.HasPrefix(token, domain.APITokenPrefix) || domain.APITokenPrefix != "mdpat_" || !domain.IsAPIToken(token) {
		t.Errorf("token %q lacks the mdpat_ prefix", token)
	}
	random := strings.TrimPrefix(token, domain.APITokenPrefix)
	raw, err := base64.RawURLEncoding.DecodeString(random)
	if err != nil || len(random) < 43 || len(raw) < 32 {
		t.Errorf("token %q: want at least 43 base64url characters (256 bits) after the prefix (%d bytes, %v)", token, len(raw), err)
	}
	if r.Hash != domain.HashAPIToken(token) {
		t.Error("stored hash is not HashAPIToken(token)")
	}
	if len(r.Prefix) <= len(domain.APITokenPrefix) || !strings.HasPrefix(token, r.Prefix) || len(r.Prefix) >= len(token)/2 {
		t.Errorf("prefix %q: want the token's first characters beyond the marker, a small part of %q", r.Prefix, token)
	}
	if strings.Contains(fmt.Sprintf("%+v", r), random) {
		t.Error("the stored record holds the token")
	}
}

func TestAPITokensCreateMakesADifferentTokenEachTime(t *testing.T) {
	t.Parallel()
	uc, repo := newAPITokens(t)
	repo.EXPECT().SaveAPIToken(gomock.Any(), gomock.Any()).Times(2).Return(nil)
	cmd := application.CreateAPITokenCommand{UserID: domain.NewUserID(), Name: "phone"}
	a, b := must(uc.Create(t.Context(), cmd)), must(uc.Create(t.Context(), cmd))
	if a.Token == b.Token || a.Record.Hash == b.Record.Hash || a.Record.ID == b.Record.ID {
		t.Errorf("two tokens share their token, hash or ID: %+v, %+v", a.Record, b.Record)
	}
}

func TestAPITokensCreateValidatesBeforeStoring(t *testing.T) {
	t.Parallel()
	user := domain.NewUserID()
	tests := []struct {
		name       string
		cmd        application.CreateAPITokenCommand
		wantFields []string
	}{
		{"a blank name", application.CreateAPITokenCommand{UserID: user, Name: "  "}, []string{"name"}},
		{"a name of 101 characters", application.CreateAPITokenCommand{UserID: user, Name: strings.Repeat("é", 101)}, []string{"name"}},
		{"a name with a line break", application.CreateAPITokenCommand{UserID: user, Name: "a\nb"}, []string{"name"}},
		{"an expiry in the past", application.CreateAPITokenCommand{UserID: user, Name: "x", ExpiresAt: ptr(fixedNow.Add(-time.Second))}, []string{"expires_at"}},
		{"an expiry now", application.CreateAPITokenCommand{UserID: user, Name: "x", ExpiresAt: ptr(fixedNow)}, []string{"expires_at"}},
		{"the zero time as expiry", application.CreateAPITokenCommand{UserID: user, Name: "x", ExpiresAt: &time.Time{}}, []string{"expires_at"}},
		{"no user", application.CreateAPITokenCommand{Name: "x"}, []string{"user_id"}},
		{"every field at once", application.CreateAPITokenCommand{Name: "", ExpiresAt: ptr(fixedNow.Add(-time.Hour))}, []string{"user_id", "name", "expires_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			uc, _ := newAPITokens(t) // no SaveAPIToken
			got, err := uc.Create(t.Context(), tt.cmd)
			requireKind(t, err, domain.ErrValidation)
			var fe domain.FieldError
			if !(len(tt.wantFields) == 1 && errors.As(err, &fe) && fe.Field == tt.wantFields[0]) {
				// Not a single FieldError on the field: a *ValidationError
				// naming every field.
				requireFields(t, err, tt.wantFields...)
			}
			if got.Token != "" || got.Record != (domain.APIToken{}) {
				t.Errorf("got %+v along with the error", got)
			}
		})
	}
}

func TestAPITokensCreateReportsAStoreFailure(t *testing.T) {
	t.Parallel()
	uc, repo := newAPITokens(t)
	repo.EXPECT().SaveAPIToken(gomock.Any(), gomock.Any()).Return(fmt.Errorf("repo: %w: hash taken", domain.ErrConflict))
	got, err := uc.Create(t.Context(), application.CreateAPITokenCommand{UserID: domain.NewUserID(), Name: "phone"})
	requireKind(t, err, domain.ErrConflict)
	if got.Token != "" {
		t.Errorf("a token %q was handed out though it was not stored", got.Token)
	}
}

func TestAPITokensList(t *testing.T) {
	t.Parallel()
	user := domain.NewUserID()
	a, _ := must2(domain.NewAPIToken(user, "a", time.Time{}, fixedNow))
	b, _ := must2(domain.NewAPIToken(user, "b", time.Time{}, fixedNow))
	t.Run("the store's tokens, in its order", func(t *testing.T) {
		t.Parallel()
		uc, repo := newAPITokens(t)
		repo.EXPECT().APITokens(gomock.Any(), user).Return([]domain.APIToken{b, a}, nil)
		got, err := uc.List(t.Context(), user)
		if err != nil || len(got) != 2 || got[0] != b || got[1] != a {
			t.Errorf("List = (%v, %v), want [b a]", got, err)
		}
	})
	t.Run("a store failure keeps its kind", func(t *testing.T) {
		t.Parallel()
		uc, repo := newAPITokens(t)
		repo.EXPECT().APITokens(gomock.Any(), user).Return(nil, errDB)
		_, err := uc.List(t.Context(), user)
		requireKind(t, err, domain.ErrInfrastructure)
	})
	t.Run("no user is a validation error", func(t *testing.T) {
		t.Parallel()
		uc, _ := newAPITokens(t) // no APITokens call
		_, err := uc.List(t.Context(), domain.UserID{})
		requireKind(t, err, domain.ErrValidation)
	})
}

func TestAPITokensRevoke(t *testing.T) {
	t.Parallel()
	user := domain.NewUserID()
	id := domain.NewAPITokenID()
	tests := []struct {
		name     string
		id       string
		repoErr  error // returned by DeleteAPIToken
		callRepo bool
		wantKind error // nil: success
	}{
		{"the user's token is revoked", id.String(), nil, true, nil},
		{"an unknown or another user's token is not found", id.String(), errNoRow, true, domain.ErrNotFound},
		{"a store failure keeps its kind", id.String(), errDB, true, domain.ErrInfrastructure},
		{"a malformed ID is a validation error", "phone", nil, false, domain.ErrValidation},
		{"the nil UUID is a validation error", "00000000-0000-0000-0000-000000000000", nil, false, domain.ErrValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			uc, repo := newAPITokens(t)
			if tt.callRepo {
				repo.EXPECT().DeleteAPIToken(gomock.Any(), user, id).Return(tt.repoErr)
			}
			err := uc.Revoke(t.Context(), user, tt.id)
			if tt.wantKind == nil {
				if err != nil {
					t.Fatalf("Revoke: %v", err)
				}
				return
			}
			requireKind(t, err, tt.wantKind)
			if tt.wantKind == domain.ErrValidation {
				var fe domain.FieldError
				if !errors.As(err, &fe) || fe.Field != "token_id" {
					t.Errorf("error %v: want a FieldError on token_id", err)
				}
			}
		})
	}
}

func TestNewAPITokensRejectsANilRepository(t *testing.T) {
	t.Parallel()
	_, err := application.NewAPITokens(nil, nil)
	requireKind(t, err, application.ErrMissingDependency)
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(fmt.Sprintf("fixture: %v", err))
	}
	return a, b
}
