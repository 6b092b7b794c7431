package application_test

import (
	"errors"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

type loginHarness struct {
	users  *mock.MockUserRepository
	hasher *mock.MockPasswordHasher
	auth   *mock.MockAuthService
	uc     *application.Login
	user   domain.User
}

func newLoginHarness(t *testing.T) loginHarness {
	t.Helper()
	ctrl := gomock.NewController(t)
	h := loginHarness{
		users:  mock.NewMockUserRepository(ctrl),
		hasher: mock.NewMockPasswordHasher(ctrl),
		auth:   mock.NewMockAuthService(ctrl),
		user:   must(domain.NewUser(domain.MustParseEmail("owner@example.com"), must(domain.NewPasswordHash(hashPHC)), fixedNow)),
	}
	h.uc = must(application.NewLogin(h.users, h.hasher, h.auth))
	return h
}

func TestLoginIssuesATokenForTheRightPassword(t *testing.T) {
	t.Parallel()
	h := newLoginHarness(t)
	token := domain.Token{Value: "signed", ExpiresAt: fixedNow.Add(24 * time.Hour)}
	h.users.EXPECT().UserByEmail(gomock.Any(), h.user.Email).Return(h.user, nil)
	h.hasher.EXPECT().VerifyPassword(gomock.Any(), password, h.user.PasswordHash).Return(true, nil)
	h.auth.EXPECT().IssueToken(gomock.Any(), domain.Session{User: h.user.ID}).Return(token, nil)

	res, err := h.uc.Handle(t.Context(), application.LoginCommand{Email: " OWNER@example.com", Password: password})
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if res.User != h.user || res.Token != token {
		t.Errorf("result = %+v, want the user and the token", res)
	}
}

func TestLoginIssuesTheTokenForTheCurrentSessionGeneration(t *testing.T) {
	t.Parallel()
	h := newLoginHarness(t)
	h.user.SessionGeneration = 4 // signed out four times
	token := domain.Token{Value: "signed", ExpiresAt: fixedNow.Add(24 * time.Hour)}
	h.users.EXPECT().UserByEmail(gomock.Any(), h.user.Email).Return(h.user, nil)
	h.hasher.EXPECT().VerifyPassword(gomock.Any(), password, h.user.PasswordHash).Return(true, nil)
	h.auth.EXPECT().IssueToken(gomock.Any(), domain.Session{User: h.user.ID, Generation: 4}).Return(token, nil)
	if _, err := h.uc.Handle(t.Context(), application.LoginCommand{Email: "owner@example.com", Password: password}); err != nil {
		t.Fatalf("Handle: %v", err)
	}
}

func TestLoginGivesOneErrorForUnknownEmailAndWrongPassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		email  string
		expect func(h loginHarness)
	}{
		{
			name:  "wrong password",
			email: "owner@example.com",
			expect: func(h loginHarness) {
				h.users.EXPECT().UserByEmail(gomock.Any(), h.user.Email).Return(h.user, nil)
				h.hasher.EXPECT().VerifyPassword(gomock.Any(), password, h.user.PasswordHash).Return(false, nil)
			},
		},
		{
			name:  "unknown email spends one verification on the zero hash",
			email: "nobody@example.com",
			expect: func(h loginHarness) {
				h.users.EXPECT().UserByEmail(gomock.Any(), domain.MustParseEmail("nobody@example.com")).Return(domain.User{}, errNoRow)
				h.hasher.EXPECT().VerifyPassword(gomock.Any(), password, domain.PasswordHash{}).Return(false, nil).Times(1)
			},
		},
		{
			name:  "malformed email is treated as unknown",
			email: "not an address",
			expect: func(h loginHarness) {
				h.hasher.EXPECT().VerifyPassword(gomock.Any(), password, domain.PasswordHash{}).Return(false, nil).Times(1)
			},
		},
		{
			name:  "a hasher that accepts the zero hash still lets no one in",
			email: "nobody@example.com",
			expect: func(h loginHarness) {
				h.users.EXPECT().UserByEmail(gomock.Any(), gomock.Any()).Return(domain.User{}, errNoRow)
				h.hasher.EXPECT().VerifyPassword(gomock.Any(), password, domain.PasswordHash{}).Return(true, nil)
			},
		},
	}
	var errs []error
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newLoginHarness(t)
			tt.expect(h) // no IssueToken
			res, err := h.uc.Handle(t.Context(), application.LoginCommand{Email: tt.email, Password: password})
			requireKind(t, err, domain.ErrUnauthorized)
			if res != (application.LoginResult{}) {
				t.Errorf("got result %+v along with the error", res)
			}
			errs = append(errs, err)
		})
	}
	for i, err := range errs {
		if err.Error() != "invalid email or password" || !errors.Is(err, application.ErrInvalidCredentials) {
			t.Errorf("%s: error %q, want application.ErrInvalidCredentials", tests[i].name, err)
		}
		if err.Error() != errs[0].Error() {
			t.Errorf("%s: message %q differs from %q", tests[i].name, err, errs[0])
		}
	}
}

func TestLoginKeepsTheKindOfPortFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		expect func(h loginHarness)
	}{
		{"repository failure", func(h loginHarness) {
			h.users.EXPECT().UserByEmail(gomock.Any(), gomock.Any()).Return(domain.User{}, errDB)
		}},
		{"hasher failure", func(h loginHarness) {
			h.users.EXPECT().UserByEmail(gomock.Any(), gomock.Any()).Return(h.user, nil)
			h.hasher.EXPECT().VerifyPassword(gomock.Any(), gomock.Any(), gomock.Any()).Return(false, errDB)
		}},
		{"token failure", func(h loginHarness) {
			h.users.EXPECT().UserByEmail(gomock.Any(), gomock.Any()).Return(h.user, nil)
			h.hasher.EXPECT().VerifyPassword(gomock.Any(), gomock.Any(), gomock.Any()).Return(true, nil)
			h.auth.EXPECT().IssueToken(gomock.Any(), h.user.Session()).Return(domain.Token{}, errDB)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newLoginHarness(t)
			tt.expect(h)
			_, err := h.uc.Handle(t.Context(), application.LoginCommand{Email: "owner@example.com", Password: password})
			requireKind(t, err, domain.ErrInfrastructure)
			if errors.Is(err, domain.ErrUnauthorized) {
				t.Errorf("error %v is passed off as bad credentials", err)
			}
		})
	}
}

func TestNewLoginRejectsMissingPorts(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	users, hasher, auth := mock.NewMockUserRepository(ctrl), mock.NewMockPasswordHasher(ctrl), mock.NewMockAuthService(ctrl)
	for name, build := range map[string]func() (*application.Login, error){
		"users":  func() (*application.Login, error) { return application.NewLogin(nil, hasher, auth) },
		"hasher": func() (*application.Login, error) { return application.NewLogin(users, nil, auth) },
		"auth":   func() (*application.Login, error) { return application.NewLogin(users, hasher, nil) },
	} {
		if _, err := build(); !errors.Is(err, application.ErrMissingDependency) {
			t.Errorf("nil %s: err = %v", name, err)
		}
	}
}
