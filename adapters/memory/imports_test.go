package memory_test

import (
	"testing"

	"github.com/moviediary/moviediary/adapters/memory"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

func TestImportRepositoryContract(t *testing.T) {
	porttest.TestImportRepository(t, func(*testing.T) (domain.ImportRepository, domain.MovieRepository, domain.UserRepository) {
		movies := memory.NewMovieRepository()
		return memory.NewImportRepository(movies), movies, memory.NewUserRepository()
	})
}

func TestImportRepositoryContractInOutboxMode(t *testing.T) {
	porttest.TestImportRepository(t, func(*testing.T) (domain.ImportRepository, domain.MovieRepository, domain.UserRepository) {
		movies := memory.NewMovieRepository(memory.WithOutbox())
		return memory.NewImportRepository(movies), movies, memory.NewUserRepository()
	})
	porttest.TestImportRepositoryOutbox(t, func(*testing.T) (domain.Outbox, domain.ImportRepository, domain.UserRepository) {
		movies := memory.NewMovieRepository(memory.WithOutbox())
		return movies.Outbox(), memory.NewImportRepository(movies), memory.NewUserRepository()
	})
}

func TestQuotaCounterContract(t *testing.T) {
	porttest.TestQuotaCounter(t, func(*testing.T) domain.QuotaCounter {
		return memory.NewQuotaCounter()
	})
}
