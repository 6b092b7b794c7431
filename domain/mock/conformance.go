package mock

import "github.com/moviediary/moviediary/domain"

// The mocks implement the ports they stand in for.
var (
	_ domain.MovieFinder     = (*MockMovieFinder)(nil)
	_ domain.MovieWriter     = (*MockMovieWriter)(nil)
	_ domain.ViewingSaver    = (*MockViewingSaver)(nil)
	_ domain.DiaryReader     = (*MockDiaryReader)(nil)
	_ domain.MovieRepository = (*MockMovieRepository)(nil)
	_ domain.UserRepository  = (*MockUserRepository)(nil)
	_ domain.MetadataClient  = (*MockMetadataClient)(nil)
	_ domain.PosterFetcher   = (*MockPosterFetcher)(nil)
	_ domain.PosterStorage   = (*MockPosterStorage)(nil)
	_ domain.AuthService     = (*MockAuthService)(nil)
	_ domain.PasswordHasher  = (*MockPasswordHasher)(nil)
	_ domain.EventPublisher  = (*MockEventPublisher)(nil)
)
