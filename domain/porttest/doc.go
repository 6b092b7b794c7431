// Package porttest holds the contract suites of moviediary's ports: one
// exported Test… function per port in package domain, which every adapter
// runs from its own tests against the real thing it wraps.
//
// A suite is a set of t.Run subtests; each subtest calls the factory it was
// given for a fresh instance, so a factory must return a new, empty
// implementation every time (a new in-memory store, a new SQLite file, a new
// PostgreSQL database). A typical use:
//
//	func TestMovieRepository(t *testing.T) {
//		porttest.TestMovieRepository(t, func(t *testing.T) domain.MovieRepository {
//			return memory.NewMovieRepository()
//		})
//	}
//
// The suites pin what the port doc comments in package domain promise, and
// nothing an adapter may legitimately choose differently. They depend only
// on the standard library, github.com/google/uuid and package domain, so
// running them pulls nothing into an adapter's module. The exported
// fixture helpers (NewMovie, NewReview, NewUser, PNG, …) build valid domain
// values for adapter-specific tests too.
//
// The suites: TestMovieRepository (with SaveViewing's idempotency keys, the
// ReviewEditor, IdentifyMovie and ExportDiary), TestOutbox and
// CheckExclusiveClaims, TestUserRepository, TestAPITokenRepository,
// TestWebhookRepository, TestPlayRecorder and TestPlayRecorderOutbox,
// TestImportRepository and TestImportRepositoryOutbox, TestQuotaCounter,
// TestEventPublisher, TestMetadataClient, TestPosterFetcher,
// TestPosterStorage, TestAuthService and TestPasswordHasher; TestPublicDiary
// (profiles, private diaries in the movie repository's reads, and the
// StatsReader) and TestChangeListener.
package porttest
