package postgres_test

import (
	"testing"

	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

func TestImportRepositoryContract(t *testing.T) {
	t.Parallel()
	porttest.TestImportRepository(t, func(t *testing.T) (domain.ImportRepository, domain.MovieRepository, domain.UserRepository) {
		db := openDB(t)
		return db.Imports(), db.Movies(), db.Users()
	})
}

func TestImportRepositoryContractInOutboxMode(t *testing.T) {
	t.Parallel()
	porttest.TestImportRepositoryOutbox(t, func(t *testing.T) (domain.Outbox, domain.ImportRepository, domain.UserRepository) {
		db := openOutboxURL(t, pgtest.NewDatabase(t), true)
		return db.Outbox(), db.Imports(), db.Users()
	})
}

func TestQuotaCounterContract(t *testing.T) {
	t.Parallel()
	porttest.TestQuotaCounter(t, func(t *testing.T) domain.QuotaCounter {
		return openDB(t).Quota()
	})
}
