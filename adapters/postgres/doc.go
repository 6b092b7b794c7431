// Package postgres stores moviediary's movies, viewings and accounts in
// PostgreSQL, through github.com/jmoiron/sqlx and github.com/lib/pq.
//
// Open a pool with Open, bring the schema up to date with (*DB).Migrate,
// then hand (*DB).Movies, (*DB).Users, (*DB).Tokens, (*DB).Webhooks,
// (*DB).Plays, (*DB).Imports, (*DB).Quota and (*DB).Statistics to the
// application: they implement domain.MovieRepository,
// domain.UserRepository, domain.APITokenRepository,
// domain.WebhookRepository, domain.PlayRecorder, domain.ImportRepository,
// domain.QuotaCounter and domain.StatsReader; *DB itself is a
// domain.ChangeListener (ListenChanges).
//
// Imports store a batch of rows in one transaction of a handful of
// set-based statements whatever its size (see SaveImportBatch); exports
// stream a diary through one query whose rows are decoded as they arrive.
//
// The schema uses native types (uuid, timestamptz, smallint with CHECK
// constraints) and an index for every query the repositories make.
// Migrations are embedded, versioned .sql files applied once each, in a
// transaction each, under a PostgreSQL advisory lock so that two servers
// starting at once never apply one twice. Diary totals are exact and read
// from a counter table that triggers keep in the inserting, updating and
// deleting transactions;
// diary pages are read by keyset (DiaryQuery.After) or by offset through a
// deferred join on an index-only scan. Private diaries are left out of
// pages, totals and histories for everyone but their owners: their
// accounts are read through a partial index, their entries skipped and
// their counts subtracted in the same statement.
//
// Diary statistics (StatsRepository) are read from aggregate tables that
// statement triggers keep exact in every writing transaction, per user
// and for the whole diary, so a read never scans the reviews. Triggers
// also record every change in the table diary_changes, which
// (*DB).ListenChanges polls and turns into domain.DiaryChange values for
// the caches of diary reads in every process.
//
// Opened with Config.Outbox, SaveViewing also stores the events of each
// viewing in the table outbox_events, in the viewing's transaction,
// SaveImportBatch and IdentifyMovie theirs likewise, and RecordPlay the
// PlayReported event of each play it records; writers then
// wake dispatchers with (*DB).NotifyOutbox on the channel OutboxChannel.
// RecordPlay records one play once: an advisory lock on the play's
// de-duplication key serialises concurrent reports of it. (*DB).Outbox serves them as
// a domain.Outbox that several processes share safely (FOR UPDATE SKIP
// LOCKED and a lease), and (*DB).ListenOutbox wakes a dispatcher on every
// such commit.
//
// Rows are read back through adapters/sqlrows, which this package shares
// with adapters/sqlite: the driver decodes uuid and timestamptz columns into
// the shared row structs, whose converters re-validate every column; a
// stored row that no longer passes the domain's rules is an
// ErrInfrastructure failure naming every bad column. SaveViewing resolves
// its movie with sqlrows.ResolveMovie, running this package's own SQL.
//
// Database failures are returned as *Error values that wrap a domain error
// kind (ErrConflict, ErrNotFound, ErrUnavailable, ErrValidation,
// ErrInfrastructure) and the driver's error: errors.Is classifies them,
// and the driver's text stays available for logs. It must not be shown to
// clients.
package postgres
