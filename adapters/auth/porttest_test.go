package auth_test

import (
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/auth"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

func TestJWTPassesTheAuthServiceContract(t *testing.T) {
	t.Parallel()
	porttest.TestAuthService(t, func(t *testing.T, now func() time.Time) domain.AuthService {
		secret, err := auth.GenerateSecret()
		if err != nil {
			t.Fatal(err)
		}
		j, err := auth.NewJWT(auth.JWTConfig{Secret: secret, TTL: time.Hour, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return j
	})
}

func TestArgon2idPassesThePasswordHasherContract(t *testing.T) {
	t.Parallel()
	// The production parameters, not cheaper ones: the suite hashes only a
	// handful of times.
	porttest.TestPasswordHasher(t, func(t *testing.T) domain.PasswordHasher {
		return mustArgon2id(t, auth.Argon2Config{})
	})
}
