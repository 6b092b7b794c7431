package postgres_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
)

// sessionGenerationMigration adds users.session_generation.
const sessionGenerationMigration = "0004_session_generation.sql"

// TestSessionGenerationMigrationKeepsExistingUsers: a database at the
// schema before the session generation, holding an account, migrates to
// the current schema with the account intact at generation 0, which then
// counts up.
func TestSessionGenerationMigrationKeepsExistingUsers(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	raw := rawDB(t, url)
	migrateRawBefore(t, raw, sessionGenerationMigration)
	id := uuid.New()
	const phc = "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0$b3RoZXJoYXNo"
	created := time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)
	if _, err := raw.Exec(`INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)`,
		id, "old@example.com", phc, created); err != nil {
		t.Fatalf("insert an account at the old schema: %v", err)
	}

	users := openURL(t, url, true).Users() // migrates
	userID, _ := domain.UserIDFromUUID(id)
	u, err := users.UserByID(t.Context(), userID)
	if err != nil {
		t.Fatalf("UserByID after migrating: %v", err)
	}
	if u.Email.String() != "old@example.com" || u.PasswordHash.PHC() != phc || !u.CreatedAt.Equal(created) || u.SessionGeneration != 0 {
		t.Errorf("migrated account = {%v %q %v generation %d}, want {old@example.com %q %v generation 0}",
			u.Email, u.PasswordHash.PHC(), u.CreatedAt, u.SessionGeneration, phc, created)
	}
	if gen, err := users.IncrementSessionGeneration(t.Context(), userID); err != nil || gen != 1 {
		t.Errorf("IncrementSessionGeneration of the migrated account = %d, %v; want 1", gen, err)
	}
}
