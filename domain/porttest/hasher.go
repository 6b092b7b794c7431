package porttest

import (
	"context"
	"strings"
	"testing"

	"github.com/moviediary/moviediary/domain"
)

// TestPasswordHasher runs the PasswordHasher contract against hashers that
// newHasher makes; it is called once per subtest. Use cheap cost
// parameters in the factory: the suite hashes a handful of times.
//
// The suite pins the round trip, that a wrong password, the zero hash and
// a foreign PHC string never verify, that hashes are salted PHC strings,
// and that a cancelled context never yields a match.
func TestPasswordHasher(t *testing.T, newHasher func(t *testing.T) domain.PasswordHasher) {
	t.Helper()
	const password = "correct horse battery staple"

	t.Run("hash verifies its password only", func(t *testing.T) {
		h := newHasher(t)
		hash := mustHashPassword(t, h, password)
		for _, tc := range []struct {
			name, password string
			want           bool
		}{
			{"same password", password, true},
			{"wrong password", "correct horse battery stapler", false},
			{"other case", strings.ToUpper(password), false},
			{"empty password", "", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ok, err := h.VerifyPassword(t.Context(), tc.password, hash)
				if err != nil {
					t.Fatalf("VerifyPassword: %v", err)
				}
				if ok != tc.want {
					t.Errorf("VerifyPassword(%q) = %v, want %v", tc.password, ok, tc.want)
				}
			})
		}
	})

	t.Run("hash is a salted PHC string", func(t *testing.T) {
		h := newHasher(t)
		a, b := mustHashPassword(t, h, password), mustHashPassword(t, h, password)
		for _, hash := range []domain.PasswordHash{a, b} {
			if _, err := domain.NewPasswordHash(hash.PHC()); err != nil || !strings.HasPrefix(hash.PHC(), "$") {
				t.Errorf("hash is not a PHC string: %v", err)
			}
			if strings.Contains(hash.PHC(), password) {
				t.Error("hash contains the password")
			}
		}
		if a == b {
			t.Error("hashing one password twice gave the same hash; hashes must be salted")
		}
		for _, hash := range []domain.PasswordHash{a, b} {
			if ok, err := h.VerifyPassword(t.Context(), password, hash); err != nil || !ok {
				t.Errorf("VerifyPassword(password, either hash) = %v, %v; want true, nil", ok, err)
			}
		}
	})

	t.Run("zero hash verifies nothing", func(t *testing.T) {
		h := newHasher(t)
		for _, pw := range []string{password, ""} {
			ok, err := h.VerifyPassword(t.Context(), pw, domain.PasswordHash{})
			if err != nil || ok {
				t.Errorf("VerifyPassword(%q, zero hash) = %v, %v; want false, nil", pw, ok, err)
			}
		}
	})

	t.Run("foreign PHC string never verifies", func(t *testing.T) {
		h := newHasher(t)
		foreign := mustPasswordHash(t, "$unknown$v=1$c2FsdA$aGFzaA")
		if ok, _ := h.VerifyPassword(t.Context(), password, foreign); ok {
			t.Error("VerifyPassword against a hash of an unknown algorithm = true")
		}
	})

	t.Run("cancelled context never verifies", func(t *testing.T) {
		h := newHasher(t)
		hash := mustHashPassword(t, h, password)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		ok, err := h.VerifyPassword(ctx, password, hash)
		if ok {
			t.Errorf("VerifyPassword with a cancelled context = true, %v; want false or an error", err)
		}
	})
}

func mustHashPassword(t *testing.T, h domain.PasswordHasher, password string) domain.PasswordHash {
	t.Helper()
	hash, err := h.HashPassword(t.Context(), password)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	if hash.IsZero() {
		t.Fatal("HashPassword returned the zero hash")
	}
	return hash
}
