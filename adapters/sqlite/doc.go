// Package sqlite stores moviediary's movies, viewings, accounts, API
// tokens, media-server webhooks, reported plays, import jobs, quota
// counters and diary statistics in one SQLite file, using the pure-Go
// driver modernc.org/sqlite (no cgo) through sqlx. It is the embedded default behind `moviediary serve`.
//
// A DB holds two pools on the same file: a single writer connection, whose
// transactions begin IMMEDIATE, so that writes of this process queue in Go
// instead of failing with "database is locked"; and a pool of query-only
// reader connections, which in WAL mode never block the writer nor wait for
// it. Every connection runs with foreign keys on and a busy timeout, which
// covers other processes (a second migrator) sharing the file.
//
// The schema is created by embedded, versioned migrations (see Migrate and
// docs/decisions/0001-migrations.md). Exact diary counts are kept in a
// counters table that triggers update in the transaction of every review
// insert and delete, so a page with its total count costs a few index lookups however
// large the diary grows; cursor pages seek the index, and offset pages walk a
// covering index before joining only the rows they return.
//
// Opened with Config.Outbox, SaveViewing, UpdateReview, DeleteReview and
// RecordPlay also store their events in the table outbox_events, in the
// change's write transaction,
// and (*DB).Outbox serves them to a dispatcher as a domain.Outbox: claims
// lease events in one IMMEDIATE transaction, so claimers in several
// processes sharing the file never take one event twice.
//
// Rows are read back through adapters/sqlrows, which this package shares
// with adapters/postgres: each row decodes its SQLite encodings (16-byte
// blob IDs, integer times) into the shared row struct, whose converter
// re-validates every column; a stored row that no longer passes the
// domain's rules is an ErrInfrastructure failure naming every bad column.
// SaveViewing resolves its movie with sqlrows.ResolveMovie, running this
// package's own SQL, and claims an idempotency key, when given, with one
// upsert that sqlrows.IdempotencyCutoff bounds: writes are serialised and
// (user_id, key) is the primary key, so one of concurrent saves under a
// key stores. RecordPlay looks for the same play and records a new one in
// one write transaction, so of identical concurrent reports one records.
//
// (*DB).Imports keeps import jobs (one active job per user, held by a
// partial unique index) and stores an import batch in one write
// transaction with set-based statements: one query finds the rows already
// present, the batch's movies are read up front and resolved with
// sqlrows.ResolveMovie, and the movies, reviews, row keys and events are
// inserted with multi-row statements while the per-review counter trigger
// is paused for the batch, whose counts are added at once.
// IdentifyMovie merges a duplicate movie by moving its reviews and its
// counters in one transaction; ExportDiary reads the user's movies once
// and then streams one index walk over the review columns alone.
// (*DB).Quota counts OMDb requests per window with one conditional upsert.
//
// Accounts carry a display name and a private flag (migration 0008).
// QueryDiary and ReviewHistory leave out the reviews of private users
// other than the viewer: the total is review_counts' count less those
// users' counts (found through a partial index of private accounts), and
// the page walk skips their entries in the index itself, which carries
// user_id. (*DB).Statistics reads diary statistics from aggregate tables
// (per scope — a user, or the whole diary's public reviews — and year:
// viewings, films, ratings, months, films and directors by viewings),
// which row triggers on reviews, movies and users keep exact in the
// writing transaction; an import batch sums its own and adds them with a
// few upserts while the per-review triggers are paused. A read is a
// handful of primary-key and top-index seeks, whatever the diary's size.
// The statements whose triggers do the most (SaveViewing's insert, review
// edits and deletes) are prepared once on the writer connection.
// (*DB).ListenChanges reports commits by any connection, other processes'
// included, by polling PRAGMA data_version on a connection of its own.
//
// Errors wrap a domain error kind (domain.ErrNotFound, ErrConflict,
// ErrUnavailable, ErrInfrastructure, …) together with the driver's error, so
// callers classify them with errors.Is while logs keep the driver's text.
package sqlite
