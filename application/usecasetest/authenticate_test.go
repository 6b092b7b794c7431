package application_test

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

// authHarness wires Authenticate to mocks; the tokens mock has no
// expectations unless a case sets them, so the session path is proven not
// to touch it.
type authHarness struct {
	auth   *mock.MockAuthService
	users  *mock.MockUserRepository
	tokens *mock.MockAPITokenRepository
	logs   *logRecorder
	uc     *application.Authenticate
}

func newAuthHarness(t *testing.T) *authHarness {
	t.Helper()
	ctrl := gomock.NewController(t)
	logger, logs := newLogger()
	h := &authHarness{
		auth:   mock.NewMockAuthService(ctrl),
		users:  mock.NewMockUserRepository(ctrl),
		tokens: mock.NewMockAPITokenRepository(ctrl),
		logs:   logs,
	}
	h.uc = must(application.NewAuthenticate(h.auth, h.users, h.tokens, logger, clock))
	return h
}

func authUser() domain.User {
	user := must(domain.NewUser(domain.MustParseEmail("owner@example.com"), must(domain.NewPasswordHash(hashPHC)), fixedNow))
	user.SessionGeneration = 2 // signed out twice
	return user
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	user := authUser()
	badToken := fmt.Errorf("jwt: %w: token expired", domain.ErrUnauthorized)
	tests := []struct {
		name     string
		token    string
		expect   func(auth *mock.MockAuthService, users *mock.MockUserRepository)
		wantKind error // nil: success
	}{
		{
			name:  "valid token gives its user",
			token: "good",
			expect: func(auth *mock.MockAuthService, users *mock.MockUserRepository) {
				auth.EXPECT().ValidateToken(gomock.Any(), "good").Return(user.Session(), nil)
				users.EXPECT().UserByID(gomock.Any(), user.ID).Return(user, nil)
			},
		},
		{
			name:     "no token is unauthorized without asking anyone",
			token:    "",
			expect:   func(*mock.MockAuthService, *mock.MockUserRepository) {},
			wantKind: domain.ErrUnauthorized,
		},
		{
			name:  "bad token is unauthorized",
			token: "expired",
			expect: func(auth *mock.MockAuthService, users *mock.MockUserRepository) {
				auth.EXPECT().ValidateToken(gomock.Any(), "expired").Return(domain.Session{}, badToken)
			},
			wantKind: domain.ErrUnauthorized,
		},
		{
			name:  "token of an ended session is unauthorized",
			token: "signed-out",
			expect: func(auth *mock.MockAuthService, users *mock.MockUserRepository) {
				auth.EXPECT().ValidateToken(gomock.Any(), "signed-out").Return(domain.Session{User: user.ID, Generation: 1}, nil)
				users.EXPECT().UserByID(gomock.Any(), user.ID).Return(user, nil)
			},
			wantKind: domain.ErrUnauthorized,
		},
		{
			name:  "token of a generation the account never reached is unauthorized",
			token: "ahead",
			expect: func(auth *mock.MockAuthService, users *mock.MockUserRepository) {
				auth.EXPECT().ValidateToken(gomock.Any(), "ahead").Return(domain.Session{User: user.ID, Generation: 3}, nil)
				users.EXPECT().UserByID(gomock.Any(), user.ID).Return(user, nil)
			},
			wantKind: domain.ErrUnauthorized,
		},
		{
			name:  "token of a deleted user is unauthorized",
			token: "orphan",
			expect: func(auth *mock.MockAuthService, users *mock.MockUserRepository) {
				auth.EXPECT().ValidateToken(gomock.Any(), "orphan").Return(user.Session(), nil)
				users.EXPECT().UserByID(gomock.Any(), user.ID).Return(domain.User{}, errNoRow)
			},
			wantKind: domain.ErrUnauthorized,
		},
		{
			name:  "repository failure keeps its kind",
			token: "good",
			expect: func(auth *mock.MockAuthService, users *mock.MockUserRepository) {
				auth.EXPECT().ValidateToken(gomock.Any(), "good").Return(user.Session(), nil)
				users.EXPECT().UserByID(gomock.Any(), user.ID).Return(domain.User{}, errDB)
			},
			wantKind: domain.ErrInfrastructure,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newAuthHarness(t) // the tokens mock expects nothing
			tt.expect(h.auth, h.users)
			got, err := h.uc.Handle(t.Context(), tt.token)
			if tt.wantKind == nil {
				if err != nil || got != user {
					t.Fatalf("got (%+v, %v), want the user", got, err)
				}
				return
			}
			requireKind(t, err, tt.wantKind)
			if tt.wantKind != domain.ErrNotFound && errors.Is(err, domain.ErrNotFound) {
				t.Errorf("error %v leaks not found", err)
			}
		})
	}
}

func TestAuthenticateWithAnAPIToken(t *testing.T) {
	t.Parallel()
	user := authUser()
	// A real token and its record, as APITokens.Create makes them.
	record, token := func() (domain.APIToken, string) {
		r, tok, err := domain.NewAPIToken(user.ID, "script", time.Time{}, fixedNow.Add(-24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return r, tok
	}()
	hash := domain.HashAPIToken(token)
	with := func(change func(*domain.APIToken)) domain.APIToken {
		r := record
		change(&r)
		return r
	}
	errTouch := fmt.Errorf("repo: %w: read-only transaction", domain.ErrInfrastructure)

	tests := []struct {
		name      string
		expect    func(h *authHarness)
		wantKind  error // nil: success
		wantWarns int
	}{
		{
			name: "a token never used signs its user in and its use is recorded",
			expect: func(h *authHarness) {
				h.tokens.EXPECT().APITokenByHash(gomock.Any(), hash).Return(record, nil)
				h.users.EXPECT().UserByID(gomock.Any(), user.ID).Return(user, nil)
				h.tokens.EXPECT().TouchAPIToken(gomock.Any(), record.ID, fixedNow).Return(nil)
			},
		},
		{
			name: "a use last recorded more than a minute ago is recorded again",
			expect: func(h *authHarness) {
				tok := with(func(r *domain.APIToken) { r.LastUsedAt = fixedNow.Add(-domain.LastUseGranularity - time.Second) })
				h.tokens.EXPECT().APITokenByHash(gomock.Any(), hash).Return(tok, nil)
				h.users.EXPECT().UserByID(gomock.Any(), user.ID).Return(user, nil)
				h.tokens.EXPECT().TouchAPIToken(gomock.Any(), record.ID, fixedNow).Return(nil)
			},
		},
		{
			name: "a use recorded within the minute is not recorded again",
			expect: func(h *authHarness) {
				tok := with(func(r *domain.APIToken) { r.LastUsedAt = fixedNow.Add(-30 * time.Second) })
				h.tokens.EXPECT().APITokenByHash(gomock.Any(), hash).Return(tok, nil)
				h.users.EXPECT().UserByID(gomock.Any(), user.ID).Return(user, nil)
			},
		},
		{
			name: "a token that expires later signs in",
			expect: func(h *authHarness) {
				tok := with(func(r *domain.APIToken) {
					r.ExpiresAt = fixedNow.Add(time.Second)
					r.LastUsedAt = fixedNow
				})
				h.tokens.EXPECT().APITokenByHash(gomock.Any(), hash).Return(tok, nil)
				h.users.EXPECT().UserByID(gomock.Any(), user.ID).Return(user, nil)
			},
		},
		{
			name: "a failure to record the use is logged and does not refuse the request",
			expect: func(h *authHarness) {
				h.tokens.EXPECT().APITokenByHash(gomock.Any(), hash).Return(record, nil)
				h.users.EXPECT().UserByID(gomock.Any(), user.ID).Return(user, nil)
				h.tokens.EXPECT().TouchAPIToken(gomock.Any(), record.ID, fixedNow).Return(errTouch)
			},
			wantWarns: 1,
		},
		{
			name: "an unknown or revoked token is unauthorized",
			expect: func(h *authHarness) {
				h.tokens.EXPECT().APITokenByHash(gomock.Any(), hash).Return(domain.APIToken{}, errNoRow)
			},
			wantKind: domain.ErrUnauthorized,
		},
		{
			name: "an expired token is unauthorized and its user is not read",
			expect: func(h *authHarness) {
				tok := with(func(r *domain.APIToken) { r.ExpiresAt = fixedNow })
				h.tokens.EXPECT().APITokenByHash(gomock.Any(), hash).Return(tok, nil)
			},
			wantKind: domain.ErrUnauthorized,
		},
		{
			name: "a token whose user no longer exists is unauthorized and not touched",
			expect: func(h *authHarness) {
				h.tokens.EXPECT().APITokenByHash(gomock.Any(), hash).Return(record, nil)
				h.users.EXPECT().UserByID(gomock.Any(), user.ID).Return(domain.User{}, errNoRow)
			},
			wantKind: domain.ErrUnauthorized,
		},
		{
			name: "a failure to read the token keeps its kind",
			expect: func(h *authHarness) {
				h.tokens.EXPECT().APITokenByHash(gomock.Any(), hash).Return(domain.APIToken{}, errDB)
			},
			wantKind: domain.ErrInfrastructure,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newAuthHarness(t) // the auth service expects nothing: no JWT check
			tt.expect(h)
			got, err := h.uc.Handle(t.Context(), token)
			if tt.wantKind == nil {
				if err != nil || got != user {
					t.Fatalf("got (%+v, %v), want the user", got, err)
				}
			} else {
				requireKind(t, err, tt.wantKind)
				if tt.wantKind != domain.ErrNotFound && errors.Is(err, domain.ErrNotFound) {
					t.Errorf("error %v leaks not found", err)
				}
			}
			if warns := h.logs.at(slog.LevelWarn); len(warns) != tt.wantWarns {
				t.Errorf("%d warnings, want %d", len(warns), tt.wantWarns)
			}
		})
	}
}

// A bearer token without the API token prefix is a session token, however
// it looks otherwise.
func TestAuthenticateSendsOtherTokensToTheAuthService(t *testing.T) {
	t.Parallel()
	h := newAuthHarness(t)
	h.auth.EXPECT().ValidateToken(gomock.Any(), "MDPAT_x").Return(domain.Session{}, fmt.Errorf("jwt: %w", domain.ErrUnauthorized))
	_, err := h.uc.Handle(t.Context(), "MDPAT_x")
	requireKind(t, err, domain.ErrUnauthorized)
}

func TestNewAuthenticateRejectsMissingPorts(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	auth, users, tokens := mock.NewMockAuthService(ctrl), mock.NewMockUserRepository(ctrl), mock.NewMockAPITokenRepository(ctrl)
	if _, err := application.NewAuthenticate(nil, users, tokens, nil, nil); !errors.Is(err, application.ErrMissingDependency) {
		t.Errorf("nil auth: err = %v", err)
	}
	if _, err := application.NewAuthenticate(auth, nil, tokens, nil, nil); !errors.Is(err, application.ErrMissingDependency) {
		t.Errorf("nil users: err = %v", err)
	}
	if _, err := application.NewAuthenticate(auth, users, nil, nil, nil); !errors.Is(err, application.ErrMissingDependency) {
		t.Errorf("nil tokens: err = %v", err)
	}
	if _, err := application.NewAuthenticate(auth, users, tokens, nil, nil); err != nil {
		t.Errorf("nil logger and clock: err = %v, want the defaults", err)
	}
}
