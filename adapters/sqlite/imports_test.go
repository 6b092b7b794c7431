package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

func TestImportRepositoryContract(t *testing.T) {
	porttest.TestImportRepository(t, func(t *testing.T) (domain.ImportRepository, domain.MovieRepository, domain.UserRepository) {
		db, _ := mustOpenTemp(t)
		return db.Imports(), db.Movies(), db.Users()
	})
}

func TestImportRepositoryContractInOutboxMode(t *testing.T) {
	porttest.TestImportRepository(t, func(t *testing.T) (domain.ImportRepository, domain.MovieRepository, domain.UserRepository) {
		db := mustOpenOutbox(t, filepath.Join(t.TempDir(), "moviediary.db"))
		return db.Imports(), db.Movies(), db.Users()
	})
	porttest.TestImportRepositoryOutbox(t, func(t *testing.T) (domain.Outbox, domain.ImportRepository, domain.UserRepository) {
		db := mustOpenOutbox(t, filepath.Join(t.TempDir(), "moviediary.db"))
		return db.Outbox(), db.Imports(), db.Users()
	})
}

func TestQuotaCounterContract(t *testing.T) {
	porttest.TestQuotaCounter(t, func(t *testing.T) domain.QuotaCounter {
		db, _ := mustOpenTemp(t)
		return db.Quota()
	})
}
