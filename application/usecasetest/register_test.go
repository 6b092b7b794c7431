package application_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

func TestParseRegistrationPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    application.RegistrationPolicy
		wantStr string
		wantErr bool
	}{
		{"", application.RegistrationOwnerOnly, "owner-only", false},
		{"true", application.RegistrationOpen, "open", false},
		{"false", application.RegistrationClosed, "closed", false},
		{"yes", 0, "", true},
		{"TRUE", 0, "", true},
		{" true", 0, "", true},
	}
	for _, tt := range tests {
		t.Run("ALLOW_REGISTRATION="+tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := application.ParseRegistrationPolicy(tt.in)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "true or false") {
					t.Fatalf("err = %v, want one naming the allowed values", err)
				}
				return
			}
			if err != nil || got != tt.want || got.String() != tt.wantStr {
				t.Errorf("got (%v %q, %v), want %v %q", got, got.String(), err, tt.want, tt.wantStr)
			}
		})
	}
	if application.RegistrationPolicy(0) != application.RegistrationOwnerOnly {
		t.Error("the zero policy is not owner-only")
	}
}

const (
	hashPHC  = "$argon2id$v=19$m=65536,t=1,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
	password = "correct horse"
)

type registerHarness struct {
	users  *mock.MockUserRepository
	hasher *mock.MockPasswordHasher
	uc     *application.Register
}

func newRegisterHarness(t *testing.T, policy application.RegistrationPolicy) registerHarness {
	t.Helper()
	ctrl := gomock.NewController(t)
	h := registerHarness{users: mock.NewMockUserRepository(ctrl), hasher: mock.NewMockPasswordHasher(ctrl)}
	h.uc = must(application.NewRegister(h.users, h.hasher, policy, clock))
	return h
}

// expectFree makes the email unknown and the password hash.
func (h registerHarness) expectFree(pw string) {
	h.users.EXPECT().UserByEmail(gomock.Any(), gomock.Any()).Return(domain.User{}, errNoRow)
	h.hasher.EXPECT().HashPassword(gomock.Any(), pw).Return(must(domain.NewPasswordHash(hashPHC)), nil)
}

func TestRegisterCreatesTheAccount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy application.RegistrationPolicy
		save   func(h registerHarness) *domain.User
	}{
		{
			name:   "open registration saves any new user",
			policy: application.RegistrationOpen,
			save: func(h registerHarness) *domain.User {
				var saved domain.User
				h.users.EXPECT().UserByEmail(gomock.Any(), domain.MustParseEmail("owner@example.com")).Return(domain.User{}, errNoRow)
				h.users.EXPECT().SaveUser(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, u domain.User) error { saved = u; return nil })
				return &saved
			},
		},
		{
			name:   "owner-only registration saves the first user atomically, looking no email up",
			policy: application.RegistrationOwnerOnly,
			save: func(h registerHarness) *domain.User {
				var saved domain.User
				h.users.EXPECT().SaveFirstUser(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, u domain.User) error { saved = u; return nil })
				return &saved
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newRegisterHarness(t, tt.policy)
			h.hasher.EXPECT().HashPassword(gomock.Any(), password).Return(must(domain.NewPasswordHash(hashPHC)), nil)
			saved := tt.save(h)
			u, err := h.uc.Handle(t.Context(), application.RegisterCommand{Email: " Owner@Example.com ", Password: password})
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if u.ID.IsZero() || u.Email.String() != "owner@example.com" || u.PasswordHash.PHC() != hashPHC || !u.CreatedAt.Equal(fixedNow) {
				t.Errorf("user = %+v, want a fresh ID, the lower-case email, the hash and the clock's time", u)
			}
			if *saved != u {
				t.Errorf("saved %+v, returned %+v", *saved, u)
			}
		})
	}
}

func TestRegisterPasswordBoundsCountBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		password string
		wantRule string // "" means accepted
	}{
		{"7 bytes are too short", "abcdefg", "at least 8 bytes"},
		{"7 bytes of 4 characters are too short", "éé" + "abc", "at least 8 bytes"},
		{"8 bytes are enough", "abcdefgh", ""},
		{"8 bytes of 4 characters are enough", "éééé", ""},
		{"1024 bytes are accepted", strings.Repeat("é", 512), ""},
		{"1025 bytes are too long", strings.Repeat("é", 512) + "x", "at most 1024 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newRegisterHarness(t, application.RegistrationOpen)
			if tt.wantRule == "" {
				h.expectFree(tt.password)
				h.users.EXPECT().SaveUser(gomock.Any(), gomock.Any()).Return(nil)
			}
			_, err := h.uc.Handle(t.Context(), application.RegisterCommand{Email: "a@example.com", Password: tt.password})
			if tt.wantRule == "" {
				if err != nil {
					t.Fatalf("Handle: %v", err)
				}
				return
			}
			rules := requireFields(t, err, "password")
			if !strings.Contains(rules["password"][0], tt.wantRule) {
				t.Errorf("rule = %q, want %q", rules["password"][0], tt.wantRule)
			}
		})
	}
}

func TestRegisterRefusals(t *testing.T) {
	t.Parallel()
	existing := domain.User{ID: domain.NewUserID(), Email: domain.MustParseEmail("a@example.com")}
	tests := []struct {
		name     string
		policy   application.RegistrationPolicy
		cmd      application.RegisterCommand
		expect   func(h registerHarness)
		wantKind error
		wantMsg  string
	}{
		{
			name:     "closed registration is forbidden before anything else",
			policy:   application.RegistrationClosed,
			cmd:      application.RegisterCommand{Email: "not an email", Password: "short"},
			expect:   func(registerHarness) {},
			wantKind: domain.ErrForbidden,
			wantMsg:  "registration is closed",
		},
		{
			name:     "malformed email and password are reported together",
			policy:   application.RegistrationOpen,
			cmd:      application.RegisterCommand{Email: "Someone <a@example.com>", Password: "1234567"},
			expect:   func(registerHarness) {},
			wantKind: domain.ErrValidation,
		},
		{
			name:   "taken email is a conflict, found before hashing",
			policy: application.RegistrationOpen,
			cmd:    application.RegisterCommand{Email: "A@example.com", Password: password},
			expect: func(h registerHarness) {
				h.users.EXPECT().UserByEmail(gomock.Any(), existing.Email).Return(existing, nil)
			},
			wantKind: domain.ErrConflict,
			wantMsg:  "already exists",
		},
		{
			name:   "email taken by a concurrent sign-up is a conflict",
			policy: application.RegistrationOpen,
			cmd:    application.RegisterCommand{Email: "a@example.com", Password: password},
			expect: func(h registerHarness) {
				h.expectFree(password)
				h.users.EXPECT().SaveUser(gomock.Any(), gomock.Any()).Return(domain.ErrConflict)
			},
			wantKind: domain.ErrConflict,
		},
		{
			name:   "owner-only: a later sign-up is forbidden",
			policy: application.RegistrationOwnerOnly,
			cmd:    application.RegisterCommand{Email: "second@example.com", Password: password},
			expect: func(h registerHarness) {
				h.hasher.EXPECT().HashPassword(gomock.Any(), password).Return(must(domain.NewPasswordHash(hashPHC)), nil)
				h.users.EXPECT().SaveFirstUser(gomock.Any(), gomock.Any()).Return(domain.ErrForbidden)
			},
			wantKind: domain.ErrForbidden,
			wantMsg:  "owner",
		},
		{
			name:   "owner-only: the owner's own email is forbidden too, the same way, without a conflict",
			policy: application.RegistrationOwnerOnly,
			cmd:    application.RegisterCommand{Email: "a@example.com", Password: password},
			expect: func(h registerHarness) {
				h.hasher.EXPECT().HashPassword(gomock.Any(), password).Return(must(domain.NewPasswordHash(hashPHC)), nil)
				h.users.EXPECT().SaveFirstUser(gomock.Any(), gomock.Any()).Return(domain.ErrForbidden)
			},
			wantKind: domain.ErrForbidden,
		},
		{
			name:   "repository failure looking up the email keeps its kind",
			policy: application.RegistrationOpen,
			cmd:    application.RegisterCommand{Email: "a@example.com", Password: password},
			expect: func(h registerHarness) {
				h.users.EXPECT().UserByEmail(gomock.Any(), gomock.Any()).Return(domain.User{}, errDB)
			},
			wantKind: domain.ErrInfrastructure,
		},
		{
			name:   "hashing failure keeps its kind",
			policy: application.RegistrationOpen,
			cmd:    application.RegisterCommand{Email: "a@example.com", Password: password},
			expect: func(h registerHarness) {
				h.users.EXPECT().UserByEmail(gomock.Any(), gomock.Any()).Return(domain.User{}, errNoRow)
				h.hasher.EXPECT().HashPassword(gomock.Any(), password).Return(domain.PasswordHash{}, errDB)
			},
			wantKind: domain.ErrInfrastructure,
		},
		{
			name:   "a hasher that returns no hash is not trusted",
			policy: application.RegistrationOpen,
			cmd:    application.RegisterCommand{Email: "a@example.com", Password: password},
			expect: func(h registerHarness) {
				h.users.EXPECT().UserByEmail(gomock.Any(), gomock.Any()).Return(domain.User{}, errNoRow)
				h.hasher.EXPECT().HashPassword(gomock.Any(), password).Return(domain.PasswordHash{}, nil)
			},
			wantKind: domain.ErrInfrastructure, // not the client's fault: no 400
		},
		{
			name:   "saving failure keeps its kind",
			policy: application.RegistrationOpen,
			cmd:    application.RegisterCommand{Email: "a@example.com", Password: password},
			expect: func(h registerHarness) {
				h.expectFree(password)
				h.users.EXPECT().SaveUser(gomock.Any(), gomock.Any()).Return(errDB)
			},
			wantKind: domain.ErrInfrastructure,
		},
		{
			name:   "owner-only saving failure keeps its kind",
			policy: application.RegistrationOwnerOnly,
			cmd:    application.RegisterCommand{Email: "a@example.com", Password: password},
			expect: func(h registerHarness) {
				h.hasher.EXPECT().HashPassword(gomock.Any(), password).Return(must(domain.NewPasswordHash(hashPHC)), nil)
				h.users.EXPECT().SaveFirstUser(gomock.Any(), gomock.Any()).Return(errDB)
			},
			wantKind: domain.ErrInfrastructure,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newRegisterHarness(t, tt.policy)
			tt.expect(h)
			u, err := h.uc.Handle(t.Context(), tt.cmd)
			requireKind(t, err, tt.wantKind)
			if !u.ID.IsZero() {
				t.Errorf("got user %v along with the error", u.ID)
			}
			if tt.wantKind == domain.ErrValidation {
				requireFields(t, err, "email", "password")
			} else if errors.Is(err, domain.ErrValidation) {
				t.Errorf("error %v is also a validation error", err)
			}
			if tt.wantMsg != "" && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			if tt.wantKind == domain.ErrForbidden && errors.Is(err, domain.ErrConflict) {
				t.Errorf("error %v reveals a conflict", err)
			}
		})
	}
}

func TestNewRegisterRejectsBadDependencies(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	users, hasher := mock.NewMockUserRepository(ctrl), mock.NewMockPasswordHasher(ctrl)
	if _, err := application.NewRegister(nil, hasher, application.RegistrationOpen, nil); !errors.Is(err, application.ErrMissingDependency) {
		t.Errorf("nil users: err = %v", err)
	}
	if _, err := application.NewRegister(users, nil, application.RegistrationOpen, nil); !errors.Is(err, application.ErrMissingDependency) {
		t.Errorf("nil hasher: err = %v", err)
	}
	if _, err := application.NewRegister(users, hasher, application.RegistrationPolicy(7), nil); err == nil {
		t.Error("unknown policy accepted")
	}
	if uc, err := application.NewRegister(users, hasher, application.RegistrationClosed, nil); err != nil || uc == nil {
		t.Errorf("nil clock: got (%v, %v), want a use case on time.Now", uc, err)
	}
}

// TestRegisterOwnerOnlyRefusesEveryEmailWithTheSameWork: under the
// owner-only policy no email is looked up, so the owner's address and any
// other are refused after the same calls — a hash and SaveFirstUser the
// first time, while the use case does not yet know that the owner exists,
// and no call at all from then on (the mocks fail on any other call).
func TestRegisterOwnerOnlyRefusesEveryEmailWithTheSameWork(t *testing.T) {
	t.Parallel()
	firstTrace := func(t *testing.T, h registerHarness, email string) []string {
		t.Helper()
		var trace []string
		h.hasher.EXPECT().HashPassword(gomock.Any(), password).DoAndReturn(func(context.Context, string) (domain.PasswordHash, error) {
			trace = append(trace, "HashPassword")
			return must(domain.NewPasswordHash(hashPHC)), nil
		})
		h.users.EXPECT().SaveFirstUser(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, u domain.User) error {
			trace = append(trace, "SaveFirstUser "+u.PasswordHash.PHC())
			return domain.ErrForbidden
		})
		_, err := h.uc.Handle(t.Context(), application.RegisterCommand{Email: email, Password: password})
		requireKind(t, err, domain.ErrForbidden)
		return trace
	}
	ownerFirst := newRegisterHarness(t, application.RegistrationOwnerOnly)
	otherFirst := newRegisterHarness(t, application.RegistrationOwnerOnly)
	a := firstTrace(t, ownerFirst, "owner@example.com")
	b := firstTrace(t, otherFirst, "guest@example.com")
	if strings.Join(a, "|") != strings.Join(b, "|") {
		t.Errorf("first refusal: the owner's email made the calls %q, another email %q", a, b)
	}
	for _, h := range []registerHarness{ownerFirst, otherFirst} {
		for _, cmd := range []application.RegisterCommand{
			{Email: "owner@example.com", Password: password},
			{Email: "OWNER@example.com", Password: password},
			{Email: "guest@example.com", Password: password},
			{Email: "not an email", Password: "short"},
		} {
			_, err := h.uc.Handle(t.Context(), cmd)
			requireKind(t, err, domain.ErrForbidden)
			if errors.Is(err, domain.ErrValidation) {
				t.Errorf("%q: refusal %v also reports the input", cmd.Email, err)
			}
		}
	}
}

// TestRegisterOwnerOnlyClosesOnceTheOwnerSignedUp: the sign-up that stores
// the owner closes registration for every later one, before any call.
func TestRegisterOwnerOnlyClosesOnceTheOwnerSignedUp(t *testing.T) {
	t.Parallel()
	h := newRegisterHarness(t, application.RegistrationOwnerOnly)
	h.hasher.EXPECT().HashPassword(gomock.Any(), password).Return(must(domain.NewPasswordHash(hashPHC)), nil)
	h.users.EXPECT().SaveFirstUser(gomock.Any(), gomock.Any()).Return(nil)
	if _, err := h.uc.Handle(t.Context(), application.RegisterCommand{Email: "owner@example.com", Password: password}); err != nil {
		t.Fatalf("owner sign-up: %v", err)
	}
	for _, email := range []string{"owner@example.com", "guest@example.com"} {
		_, err := h.uc.Handle(t.Context(), application.RegisterCommand{Email: email, Password: password})
		requireKind(t, err, domain.ErrForbidden)
	}
}

// TestRegisterOwnerOnlyDecidesOneSignUpAtATime: a burst of sign-ups against
// an owner the use case has not seen yet costs one hash, not one each.
func TestRegisterOwnerOnlyDecidesOneSignUpAtATime(t *testing.T) {
	t.Parallel()
	h := newRegisterHarness(t, application.RegistrationOwnerOnly)
	h.hasher.EXPECT().HashPassword(gomock.Any(), password).Return(must(domain.NewPasswordHash(hashPHC)), nil).Times(1)
	h.users.EXPECT().SaveFirstUser(gomock.Any(), gomock.Any()).Return(domain.ErrForbidden).Times(1)
	const n = 16
	errs := make(chan error, n)
	for i := range n {
		go func() {
			var err error
			defer func() { errs <- err }() // also when a mock ends the goroutine
			_, err = h.uc.Handle(t.Context(), application.RegisterCommand{Email: fmt.Sprintf("guest%d@example.com", i), Password: password})
		}()
	}
	for range n {
		requireKind(t, <-errs, domain.ErrForbidden)
	}
}

// TestRegisterOwnerOnlyWaitingSignUpHonoursItsContext: a sign-up waiting
// for another to be decided gives up when its context ends.
func TestRegisterOwnerOnlyWaitingSignUpHonoursItsContext(t *testing.T) {
	t.Parallel()
	h := newRegisterHarness(t, application.RegistrationOwnerOnly)
	hashing, release := make(chan struct{}), make(chan struct{})
	h.hasher.EXPECT().HashPassword(gomock.Any(), password).DoAndReturn(func(context.Context, string) (domain.PasswordHash, error) {
		close(hashing)
		<-release
		return must(domain.NewPasswordHash(hashPHC)), nil
	})
	h.users.EXPECT().SaveFirstUser(gomock.Any(), gomock.Any()).Return(nil)
	first := make(chan error, 1)
	go func() {
		var err error
		defer func() { first <- err }() // also when a mock ends the goroutine
		_, err = h.uc.Handle(context.Background(), application.RegisterCommand{Email: "owner@example.com", Password: password})
	}()
	select {
	case <-hashing:
	case err := <-first:
		t.Fatalf("the first sign-up ended without hashing: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := h.uc.Handle(ctx, application.RegisterCommand{Email: "guest@example.com", Password: password}); !errors.Is(err, context.Canceled) {
		t.Errorf("waiting sign-up with an ended context: err = %v, want context.Canceled", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Errorf("owner sign-up: %v", err)
	}
}

// TestRegisterClosed: Closed says, without a call, whether Handle would
// refuse every sign-up before its input — always under
// RegistrationClosed, never under RegistrationOpen, and under
// RegistrationOwnerOnly once a sign-up found or stored the owner.
func TestRegisterClosed(t *testing.T) {
	t.Parallel()
	if !newRegisterHarness(t, application.RegistrationClosed).uc.Closed() {
		t.Error("RegistrationClosed: Closed() = false")
	}
	if newRegisterHarness(t, application.RegistrationOpen).uc.Closed() {
		t.Error("RegistrationOpen: Closed() = true")
	}
	for _, tt := range []struct {
		name  string
		saved error
	}{
		{"the owner signs up", nil},
		{"the owner exists", domain.ErrForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newRegisterHarness(t, application.RegistrationOwnerOnly)
			if h.uc.Closed() {
				t.Fatal("owner-only before any sign-up: Closed() = true")
			}
			h.hasher.EXPECT().HashPassword(gomock.Any(), password).Return(must(domain.NewPasswordHash(hashPHC)), nil)
			h.users.EXPECT().SaveFirstUser(gomock.Any(), gomock.Any()).Return(tt.saved)
			_, _ = h.uc.Handle(t.Context(), application.RegisterCommand{Email: "owner@example.com", Password: password})
			if !h.uc.Closed() {
				t.Error("owner-only once the owner is known: Closed() = false")
			}
		})
	}
	// A failed store decides nothing: sign-up stays open.
	h := newRegisterHarness(t, application.RegistrationOwnerOnly)
	h.hasher.EXPECT().HashPassword(gomock.Any(), password).Return(must(domain.NewPasswordHash(hashPHC)), nil)
	h.users.EXPECT().SaveFirstUser(gomock.Any(), gomock.Any()).Return(domain.ErrUnavailable)
	_, _ = h.uc.Handle(t.Context(), application.RegisterCommand{Email: "owner@example.com", Password: password})
	if h.uc.Closed() {
		t.Error("owner-only after a failed store: Closed() = true")
	}
}
