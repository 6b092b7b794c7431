package memory_test

import (
	"testing"

	"github.com/moviediary/moviediary/adapters/memory"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

func TestMovieRepositoryContract(t *testing.T) {
	porttest.TestMovieRepository(t, func(*testing.T) domain.MovieRepository {
		return memory.NewMovieRepository()
	})
}

func TestUserRepositoryContract(t *testing.T) {
	porttest.TestUserRepository(t, func(*testing.T) domain.UserRepository {
		return memory.NewUserRepository()
	})
}

func TestAPITokenRepositoryContract(t *testing.T) {
	porttest.TestAPITokenRepository(t, func(*testing.T) domain.APITokenRepository {
		return memory.NewAPITokenRepository()
	})
}

func TestPosterStorageContract(t *testing.T) {
	porttest.TestPosterStorage(t, func(*testing.T) domain.PosterStorage {
		return memory.NewPosterStorage()
	})
}

func TestMetadataClientContract(t *testing.T) {
	porttest.TestMetadataClient(t, func(_ *testing.T, films []domain.MovieMetadata) domain.MetadataClient {
		return memory.NewMetadata(films...)
	})
}

func TestPublicDiaryContract(t *testing.T) {
	porttest.TestPublicDiary(t, func(*testing.T) porttest.PublicStore {
		users := memory.NewUserRepository()
		movies := memory.NewMovieRepository(memory.WithUsers(users))
		return porttest.PublicStore{Movies: movies, Users: users, Stats: movies, Imports: memory.NewImportRepository(movies)}
	})
}
