package outboxbench_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/adapters/sqlite"
	"github.com/moviediary/moviediary/domain/porttest"
)

func init() {
	benchStores = append(benchStores,
		struct {
			name string
			open func(b *testing.B) benchStore
		}{"sqlite", openSQLite},
		struct {
			name string
			open func(b *testing.B) benchStore
		}{"postgres", openPostgres},
	)
}

func openSQLite(b *testing.B) benchStore {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(b.TempDir(), "bench.db"), Outbox: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	user := porttest.NewUser(b, "bench@example.com")
	if err := db.Users().SaveUser(ctx, user); err != nil {
		b.Fatal(err)
	}
	return benchStore{saver: db.Movies(), ob: db.Outbox(), user: user.ID}
}

func openPostgres(b *testing.B) benchStore {
	ctx := context.Background()
	db, err := postgres.Open(ctx, postgres.Config{URL: pgtest.NewDatabase(b), Outbox: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	user := porttest.NewUser(b, "bench@example.com")
	if err := db.Users().SaveUser(ctx, user); err != nil {
		b.Fatal(err)
	}
	return benchStore{saver: db.Movies(), ob: db.Outbox(), user: user.ID, listen: db.ListenOutbox, notifyOthers: db.NotifyOutbox}
}
