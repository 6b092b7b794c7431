package postgres_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
)

func TestMigrateTwiceIsNoOp(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	db := openURL(t, url, false)
	ms, err := postgres.Migrations()
	if err != nil {
		t.Fatalf("Migrations: %v", err)
	}
	var all []int
	for _, m := range ms {
		all = append(all, m.Version)
	}

	first, err := db.MigrateReport(t.Context())
	if err != nil {
		t.Fatalf("first Migrate: %v", err)
	}
	if !slices.Equal(first, all) {
		t.Errorf("first Migrate applied %v, want every version %v", first, all)
	}
	second, err := db.MigrateReport(t.Context())
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if len(second) != 0 {
		t.Errorf("second Migrate applied %v, want nothing", second)
	}
	if n := queryInt(t, rawDB(t, url), `SELECT count(*) FROM schema_migrations`); n != len(ms) {
		t.Errorf("schema_migrations holds %d rows, want %d", n, len(ms))
	}
}

// TestConcurrentMigratorWaitsAndSucceeds starts two migrators, as two
// servers starting at once would, while a third session holds the
// migration lock; both must wait for it, then both succeed with every
// migration applied exactly once.
func TestConcurrentMigratorWaitsAndSucceeds(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	raw := rawDB(t, url)
	ctx := t.Context()

	holder, err := raw.Conn(ctx)
	if err != nil {
		t.Fatalf("Conn: %v", err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, postgres.MigrationLockKey); err != nil {
		t.Fatalf("take lock: %v", err)
	}

	servers := []*postgres.DB{openURL(t, url, false), openURL(t, url, false)}
	applied := make([][]int, len(servers))
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, db := range servers {
		wg.Go(func() { applied[i], errs[i] = db.MigrateReport(ctx) })
	}

	// Both migrators must be queued on the lock before it is released.
	waitFor(t, func() bool {
		return queryInt(t, raw, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`) == len(servers)
	})
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, postgres.MigrationLockKey); err != nil {
		t.Fatalf("release lock: %v", err)
	}
	wg.Wait()

	ms, err := postgres.Migrations()
	if err != nil {
		t.Fatalf("Migrations: %v", err)
	}
	total := 0
	for i := range servers {
		if errs[i] != nil {
			t.Errorf("migrator %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	if total != len(ms) {
		t.Errorf("migrators applied %v between them, want each of the %d migrations once", applied, len(ms))
	}
	if n := queryInt(t, raw, `SELECT count(*) FROM schema_migrations`); n != len(ms) {
		t.Errorf("schema_migrations holds %d rows, want %d", n, len(ms))
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	db := openURL(t, url, true)
	if _, err := rawDB(t, url).ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future.sql')`); err != nil {
		t.Fatalf("insert future version: %v", err)
	}
	if err := db.Migrate(t.Context()); !errors.Is(err, domain.ErrMisconfigured) {
		t.Errorf("Migrate on a newer schema: error = %v, want ErrMisconfigured", err)
	}
}

// waitFor polls cond until it holds, failing the test after ten seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		<-tick.C
	}
}
