// Package memory holds in-memory adapters of moviediary's ports: a
// MovieRepository, a UserRepository, an APITokenRepository, a
// WebhookRepository, a PlayRecorder, an ImportRepository, a QuotaCounter, a
// PosterStorage, a MetadataClient and event publishers (EventPublisherFunc, DiscardEvents, EventRecorder).
//
// They are the zero-dependency start for embedders: a service built on the
// domain and application modules runs, and its tests run, with nothing but
// this package — no database, no object store, no OMDb key. Each adapter is
// safe for concurrent use, guards its state with one mutex, and copies
// values in and out so callers cannot change what is stored. Nothing is
// persisted: state lives as long as the value.
//
// MovieRepository also has an outbox mode (NewMovieRepository(WithOutbox())):
// SaveViewing, UpdateReview and DeleteReview then store their events in the
// repository's Outbox, a domain.Outbox, under the same lock as the change,
// so a dispatcher in the same process can deliver them at least once. A
// PlayRecorder made on such a repository (NewPlayRecorder) stores its
// PlayReported events there the same way, and so does an ImportRepository
// (NewImportRepository) with the events of its batches.
//
// MovieRepository is also a domain.StatsReader (DiaryStats), which
// computes the statistics by walking the viewings in scope rather than
// keeping aggregates as the database adapters do. Made with
// WithUsers(users), it sees the accounts of a UserRepository: the diaries
// users make private (UpdateProfile) are left out of QueryDiary,
// ReviewHistory and the whole diary's statistics for everyone but their
// owner. There is no domain.ChangeListener: one process holds the state.
//
// Every adapter passes its port's contract suite in package
// domain/porttest.
package memory
