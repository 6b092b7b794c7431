package domain

import (
	"context"
	"io"
	"time"
)

// MovieFinder looks movies up.
type MovieFinder interface {
	// MovieByExternalID returns the movie with that IMDb ID, or ErrNotFound.
	MovieByExternalID(ctx context.Context, id ExternalMetadataID) (Movie, error)
	// MovieByID returns the movie, or ErrNotFound.
	MovieByID(ctx context.Context, id MovieID) (Movie, error)
	// MoviesByTitleYear returns the movies whose title equals title ignoring
	// case and whose release year is year; none is not an error.
	MoviesByTitleYear(ctx context.Context, title MovieTitle, year ReleaseYear) ([]Movie, error)
}

// MovieWriter changes stored movies.
type MovieWriter interface {
	// UpsertMovie stores m and returns the stored movie. When another movie
	// already holds m's external ID, that movie is returned unchanged (one
	// row per IMDb ID, whatever the races); otherwise m is inserted, or
	// updated in place when its ID is stored.
	UpsertMovie(ctx context.Context, m Movie) (Movie, error)
	// SetPosterPath records where the movie's poster is stored, or
	// ErrNotFound when the movie is unknown.
	SetPosterPath(ctx context.Context, id MovieID, path PosterPath) error
}

// Viewing is what logging a review stores: a movie, new or already stored,
// and a review of it.
type Viewing struct {
	// Movie is the movie watched: already stored, or new.
	Movie Movie
	// Review is the new review of Movie.
	Review Review
	// PosterURL is the poster URL the metadata source returned when the
	// film was looked up, or the zero PosterURL; it travels on the
	// MovieDiscovered event so the poster sync need not ask again.
	PosterURL PosterURL
	// Idempotency is the client's key and request fingerprint when the
	// viewing was logged under an idempotency key; zero otherwise.
	Idempotency IdempotentRequest
}

// SavedViewing is what SaveViewing stored.
type SavedViewing struct {
	// Movie is the canonical stored movie, which may differ from the one
	// given when another request stored the same IMDb ID first.
	Movie Movie
	// Change says what saving did to the movie.
	Change MovieChange
	// Review is the stored review; its MovieID is Movie.ID.
	Review Review
	// Events are LogEvents(Movie, Change, Review, the viewing's PosterURL,
	// Review.CreatedAt): what the
	// caller publishes once the transaction committed.
	Events []Event
}

// ViewingSaver stores viewings.
type ViewingSaver interface {
	// SaveViewing stores v's movie and review in one transaction: a failure
	// stores neither. The movie is resolved like this:
	//   - v.Movie has an external ID that a stored movie holds: that movie
	//     is used (MovieUnchanged);
	//   - v.Movie's ID is stored: it is used; when the stored row has no
	//     external ID and v.Movie has one, it is attached (MovieIdentified),
	//     with v.Movie's director when the stored row has no director (a
	//     stored director is kept); a stored row with a different external
	//     ID gives ErrConflict;
	//   - otherwise v.Movie is inserted (MovieCreated).
	// Concurrent saves of new movies with one external ID end with one
	// movie, every review attached to it, and MovieCreated for exactly one
	// of them. The review is stored under the canonical movie's ID.
	//
	// With v.Idempotency set, the key is stored with the review, in the
	// same transaction, as an IdempotencyRecord created at
	// v.Review.CreatedAt. When the user's key is already held by a record
	// created less than IdempotencyWindow before that, nothing is stored
	// and the error wraps ErrConflict (concurrent saves under one key:
	// exactly one stores, whatever the races); an older record is
	// replaced. v.Idempotency.User is the review's author. A record
	// outlives its review: deleting the review leaves the key taken until
	// the window ends, so a late retry cannot log the film again.
	SaveViewing(ctx context.Context, v Viewing) (SavedViewing, error)
	// IdempotencyRecord returns the record of user's key created at or
	// after since, or ErrNotFound.
	IdempotencyRecord(ctx context.Context, user UserID, key IdempotencyKey, since time.Time) (IdempotencyRecord, error)
}

// ReviewEditor corrects and deletes stored reviews.
type ReviewEditor interface {
	// EntryByReviewID returns the review and its movie, or ErrNotFound.
	EntryByReviewID(ctx context.Context, id ReviewID) (DiaryEntry, error)
	// UpdateReview replaces the rating, comment and watched_at of the
	// stored review r.ID with r's, in one transaction with the
	// ReviewEdited event (occurring at at) that it returns; in outbox mode
	// the event is stored in that transaction. The movie, user and
	// created_at stored stay as they are. ErrNotFound when the review is
	// unknown (deleted meanwhile, say).
	UpdateReview(ctx context.Context, r Review, at time.Time) (EditedReview, error)
	// DeleteReview removes the review, in one transaction with the
	// ReviewDeleted event (occurring at at) that it returns, stored in the
	// outbox in outbox mode. Totals drop at once; the movie stays, even
	// when this was its last review. ErrNotFound when the review is
	// unknown.
	DeleteReview(ctx context.Context, id ReviewID, at time.Time) ([]Event, error)
}

// EditedReview is what UpdateReview stored.
type EditedReview struct {
	// Entry is the review as stored after the edit, with its movie.
	Entry DiaryEntry
	// Events are what the caller publishes once the transaction committed:
	// the ReviewEdited event.
	Events []Event
}

// DiaryReader reads the diary.
type DiaryReader interface {
	// QueryDiary returns one page of entries matching q.Filter, ordered by
	// watched_at then review ID in q.Filter.Sort's direction, with the exact
	// total count of matching entries. With q.After set the page starts
	// right after that position and the offset is ignored.
	QueryDiary(ctx context.Context, q DiaryQuery) (DiaryPage, error)
	// ReviewHistory returns the movie and all its viewings oldest first,
	// leaving out the viewings of private diaries other than viewer's own
	// (a zero viewer sees public diaries only), or ErrNotFound when the
	// movie is unknown.
	ReviewHistory(ctx context.Context, id MovieID, viewer UserID) (ReviewHistory, error)
}

// MovieRepository is the persistence port for movies and their viewings.
type MovieRepository interface {
	MovieFinder
	MovieWriter
	MovieIdentifier
	ViewingSaver
	ReviewEditor
	DiaryReader
	DiaryExporter
}

// APITokenRepository keeps personal API tokens (their hashes, never the
// tokens).
type APITokenRepository interface {
	// SaveAPIToken stores a new token; ErrConflict when its ID or hash is
	// stored.
	SaveAPIToken(ctx context.Context, t APIToken) error
	// APITokenByHash returns the token with that hash, expired or not, or
	// ErrNotFound (a revoked token is gone).
	APITokenByHash(ctx context.Context, hash APITokenHash) (APIToken, error)
	// APITokens returns the user's tokens, newest first; none is not an
	// error.
	APITokens(ctx context.Context, user UserID) ([]APIToken, error)
	// DeleteAPIToken revokes the user's token id; ErrNotFound when the
	// user has no such token (another user's token included).
	DeleteAPIToken(ctx context.Context, user UserID, id APITokenID) error
	// TouchAPIToken records a use of token id at at: LastUsedAt becomes at
	// unless it is already later. An unknown token is not an error (it may
	// have been revoked meanwhile).
	TouchAPIToken(ctx context.Context, id APITokenID, at time.Time) error
}

// UserRepository is the persistence port for accounts.
type UserRepository interface {
	// UserByEmail returns the user with that address, or ErrNotFound.
	UserByEmail(ctx context.Context, email Email) (User, error)
	// UserByID returns the user (display name and privacy included), or
	// ErrNotFound.
	UserByID(ctx context.Context, id UserID) (User, error)
	// UsersByID returns the users of ids that exist, in no particular
	// order and each once; unknown IDs are left out, so that none found
	// is an empty result, not an error. Callers pass a page's worth of IDs
	// (a diary page's authors), not thousands.
	UsersByID(ctx context.Context, ids []UserID) ([]User, error)
	// SaveUser stores a new user, or ErrConflict when the email is taken.
	SaveUser(ctx context.Context, u User) error
	// Owner returns the first account (the owner), or ErrNotFound when
	// there is none yet.
	Owner(ctx context.Context) (User, error)
	// SaveFirstUser stores u only if no user exists yet (the owner),
	// atomically; ErrForbidden when one does.
	SaveFirstUser(ctx context.Context, u User) error
	// IncrementSessionGeneration adds one to the user's SessionGeneration
	// and returns the new value, atomically: concurrent calls each get
	// their own value. ErrNotFound when the user is unknown.
	IncrementSessionGeneration(ctx context.Context, id UserID) (uint64, error)
	// ProfileWriter changes display names and diary privacy.
	ProfileWriter
}

// WebhookRepository keeps users' media-server webhooks (the hashes of
// their secrets, never the secrets).
type WebhookRepository interface {
	// SaveWebhook stores a new webhook; ErrConflict when its ID or secret
	// hash is stored.
	SaveWebhook(ctx context.Context, w Webhook) error
	// WebhookBySecret returns the webhook of source whose secret hashes to
	// hash, or ErrNotFound (a rotated or deleted secret is gone).
	WebhookBySecret(ctx context.Context, source WebhookSource, hash WebhookSecretHash) (Webhook, error)
	// Webhooks returns the user's webhooks, newest first; none is not an
	// error.
	Webhooks(ctx context.Context, user UserID) ([]Webhook, error)
	// RotateWebhook replaces the secret hash of the user's webhook id and
	// returns the webhook as stored; the old secret stops working at once.
	// ErrNotFound when the user has no such webhook.
	RotateWebhook(ctx context.Context, user UserID, id WebhookID, hash WebhookSecretHash) (Webhook, error)
	// DeleteWebhook removes the user's webhook id; ErrNotFound when the
	// user has no such webhook.
	DeleteWebhook(ctx context.Context, user UserID, id WebhookID) error
	// TouchWebhook records a use at at: LastUsedAt becomes at unless it is
	// already later. An unknown webhook is not an error.
	TouchWebhook(ctx context.Context, id WebhookID, at time.Time) error
}

// PlayRecorder records the plays media servers report.
type PlayRecorder interface {
	// RecordPlay stores p with its PlayReported event (occurring at now),
	// in one transaction, and returns the event for the caller to publish
	// once committed; in outbox mode the event is stored in the outbox in
	// that transaction. When a play of the same kind, user, source and
	// film (Play.FilmKey) at a time less than PlayDedupWindow from p.At is
	// stored, nothing is stored and recorded is false: the same play
	// reported twice is recorded once, whatever the races.
	RecordPlay(ctx context.Context, p Play, now time.Time) (events []Event, recorded bool, err error)
}

// MovieMetadata is what a metadata source knows about a film.
type MovieMetadata struct {
	// ExternalID is the film's IMDb ID; zero when the source did not give
	// one.
	ExternalID ExternalMetadataID
	// Title is the film's title.
	Title MovieTitle
	// ReleaseYear is the film's release year.
	ReleaseYear ReleaseYear
	// Director is the film's director; zero when unknown.
	Director Director
	// PosterURL is the zero PosterURL when the source has no poster.
	PosterURL PosterURL
}

// MetadataClient looks films up in a metadata source such as OMDb. Methods
// return ErrNotFound when the source does not know the film, ErrUnavailable
// when it cannot answer now (timeouts, 5xx, rate limits, garbage), and
// ErrMisconfigured when it refuses our credentials.
type MetadataClient interface {
	// MetadataByExternalID looks a film up by IMDb ID.
	MetadataByExternalID(ctx context.Context, id ExternalMetadataID) (MovieMetadata, error)
	// SearchMetadata looks a film up by title and, unless year is zero, year.
	SearchMetadata(ctx context.Context, title MovieTitle, year ReleaseYear) (MovieMetadata, error)
	// PosterURL returns the film's poster URL; the zero PosterURL means the
	// film has none.
	PosterURL(ctx context.Context, id ExternalMetadataID) (PosterURL, error)
}

// PosterFetcher downloads poster images.
type PosterFetcher interface {
	// FetchPoster starts downloading the image at url and returns its body
	// as a stream, so a poster never has to be held whole in memory. It
	// returns once the answer's status is known and the first bytes sniff
	// as an image; the caller reads the rest and must Close the stream.
	// Answers that retrying will not change (404, 410, not an image, a
	// declared size over the cap, refused address, too many redirects)
	// wrap ErrNotFound or ErrPermanent; timeouts, connection errors and
	// 5xx wrap ErrUnavailable. Reading the stream fails with an error
	// wrapping ErrPermanent once the body passes the size cap, and with
	// one wrapping ErrUnavailable when the download breaks off or times
	// out; a caller must then discard what it read.
	FetchPoster(ctx context.Context, url PosterURL) (io.ReadCloser, error)
}

// PosterStorage keeps poster images.
type PosterStorage interface {
	// StorePoster stores the image read from image, to its end, as the
	// poster of movie, replacing any earlier one, and returns its path.
	// Storing twice leaves one poster. The image is streamed where the
	// store allows it. A zero movie or an empty image wraps
	// ErrValidation. When reading image fails the error is returned
	// wrapped, keeping its kind (a reader error without a kind wraps
	// ErrUnavailable), nothing is stored and any earlier poster stays as
	// it was.
	StorePoster(ctx context.Context, movie MovieID, image io.Reader) (PosterPath, error)
	// LoadPoster returns the bytes stored at path, or ErrNotFound.
	LoadPoster(ctx context.Context, path PosterPath) ([]byte, error)
}

// Token is a signed bearer token.
type Token struct {
	// Value is the token a client sends as "Authorization: Bearer <Value>".
	// It is a credential: never log it.
	Value string
	// ExpiresAt is when the token stops being accepted.
	ExpiresAt time.Time
}

// Session is what a token stands for: an account, and the generation of
// the account's sessions it was issued in (User.SessionGeneration then).
type Session struct {
	// User is the account signed in.
	User UserID
	// Generation is the account's session generation when the token was
	// issued; the token signs in only while it is still the account's.
	Generation uint64
}

// AuthService issues and checks bearer tokens.
type AuthService interface {
	// IssueToken returns a token for the session; a zero s.User is a
	// validation error.
	IssueToken(ctx context.Context, s Session) (Token, error)
	// ValidateToken returns the session a token was issued for, or
	// ErrUnauthorized for a token that is forged, expired or malformed.
	// Whether the session's generation is still the account's is the
	// caller's question (User.Accepts).
	ValidateToken(ctx context.Context, token string) (Session, error)
}

// PasswordHasher hashes and verifies passwords.
type PasswordHasher interface {
	// HashPassword returns a PHC hash of password.
	HashPassword(ctx context.Context, password string) (PasswordHash, error)
	// VerifyPassword reports whether password matches hash. Given the zero
	// PasswordHash it spends the same work against a fixed dummy hash and
	// reports false, so unknown accounts cost as much as wrong passwords.
	VerifyPassword(ctx context.Context, password string, hash PasswordHash) (bool, error)
}

// EventPublisher hands events to whoever handles them.
type EventPublisher interface {
	// Publish delivers e, waiting for room or for ctx.
	Publish(ctx context.Context, e Event) error
}

// ImportParser reads import files. Parsing the same files gives the same
// rows and keys every time, so an interrupted import resumes where it
// stopped.
type ImportParser interface {
	// ParseImport reads files as source, or detects the source from their
	// headers when source is zero. Files that cannot be read as a whole
	// (an empty file, a missing or unknown header, a corrupt or oversized
	// ZIP, files of different sources) give an error wrapping
	// ErrValidation that names the file and, for a header, the file type
	// expected and the columns missing; malformed rows are listed in
	// ParsedImport.Problems and the rest are read.
	ParseImport(files []ImportFile, source ImportSource, now time.Time) (ParsedImport, error)
}

// ImportRepository keeps import jobs and stores their rows.
type ImportRepository interface {
	// CreateImportJob stores job (state ImportQueued) and its files in one
	// transaction. ErrConflict when job.User already has an active
	// (queued or running) job, whatever the races.
	CreateImportJob(ctx context.Context, job ImportJob, files []ImportFile) error
	// ImportJob returns the job, or ErrNotFound.
	ImportJob(ctx context.Context, id ImportJobID) (ImportJob, error)
	// ImportFiles returns the job's files in upload order; none once the
	// job ended. ErrNotFound when the job is unknown.
	ImportFiles(ctx context.Context, id ImportJobID) ([]ImportFile, error)
	// ActiveImportJobs returns the queued and running jobs, oldest first.
	ActiveImportJobs(ctx context.Context) ([]ImportJob, error)
	// ClaimImportJob makes the caller the job's runner until until: it
	// sets the job running and reports true when the job is active and
	// unclaimed, or its claim ended before now; otherwise false, and
	// nothing changes. ErrNotFound when the job is unknown.
	ClaimImportJob(ctx context.Context, id ImportJobID, now, until time.Time) (bool, error)
	// SaveImportBatch stores b in one transaction: a viewing whose key
	// b.Job.User holds already, or whose review ID is stored, is already
	// present and stores nothing; every other one is stored as
	// SaveViewing stores a viewing, with its key, and its ImportEvents
	// (stored in the outbox in outbox mode). b.Job is written with those
	// counts added — Imported the viewings stored, Unmatched those of
	// them whose movie as stored has no external ID, AlreadyPresent the
	// rest — and its claim extended to b.ClaimUntil. ErrNotFound when the
	// job is unknown.
	SaveImportBatch(ctx context.Context, b ImportBatch) (ImportBatchResult, error)
	// PresentImportRows reports, for each of viewings, whether user holds
	// its key or its review ID is stored: what SaveImportBatch would find
	// already present (a dry run).
	PresentImportRows(ctx context.Context, user UserID, viewings []ImportedViewing) ([]bool, error)
	// UpdateImportJob writes job's state, progress, problems and error
	// (not its user, source or creation). A job that ends (done or
	// failed) loses its files and its claim. ErrNotFound when unknown.
	UpdateImportJob(ctx context.Context, job ImportJob) error
}

// MovieIdentifier attaches what the metadata source found to a movie
// stored without an external ID.
type MovieIdentifier interface {
	// IdentifyMovie, in one transaction:
	//   - a movie that has an external ID already is returned as stored,
	//     with no event;
	//   - when no other movie holds md.ExternalID, the movie gets it, and
	//     md.Director when it has no director; it is returned with
	//     MovieDiscovered (occurring at at, carrying md.PosterURL) when it
	//     has no poster;
	//   - when another movie holds md.ExternalID, every review of id moves
	//     to that movie and id is deleted: one movie per film. That movie
	//     is returned, with no event.
	// In outbox mode the events are stored in the outbox in the
	// transaction. ErrNotFound when id is unknown (merged meanwhile).
	IdentifyMovie(ctx context.Context, id MovieID, md MovieMetadata, at time.Time) (Movie, []Event, error)
}

// DiaryExporter streams a user's whole diary.
type DiaryExporter interface {
	// ExportDiary calls fn with every entry of user, oldest viewing first
	// (watched_at, then review ID), and stops at fn's first error, which
	// it returns. Memory stays flat whatever the count: entries are read
	// as they are handed on.
	ExportDiary(ctx context.Context, user UserID, fn func(ExportedEntry) error) error
}

// QuotaCounter counts the uses of a scarce outside resource (OMDb
// requests) in fixed windows, across processes and restarts.
type QuotaCounter interface {
	// TakeQuota counts one use of name in the window starting at window,
	// unless limit uses are counted there already: then taken is false
	// and nothing changes. Atomic, whatever the races.
	TakeQuota(ctx context.Context, name string, window time.Time, limit int) (taken bool, err error)
	// QuotaUsed returns the uses of name counted in the window starting
	// at window (0 when none).
	QuotaUsed(ctx context.Context, name string, window time.Time) (int, error)
}

// StatsReader reads diary statistics. Implementations keep them up to date
// as reviews are logged, edited, deleted and moved (movie merges, a
// director found later), so that a read costs what the figures' size does,
// not what the diary's does: never a scan of the reviews.
type StatsReader interface {
	// DiaryStats returns the statistics q asks for. A user with no
	// viewings, or unknown, has zero Stats (not an error); whether a
	// private diary may be shown is the caller's question.
	DiaryStats(ctx context.Context, q StatsQuery) (Stats, error)
}

// ProfileWriter changes public profiles.
type ProfileWriter interface {
	// UpdateProfile applies p to the user's stored profile and returns
	// the user as stored. ErrNotFound when the user is unknown.
	UpdateProfile(ctx context.Context, id UserID, p ProfileUpdate) (User, error)
}

// ChangeListener is a store that reports the changes other processes
// commit (PostgreSQL's table of changes, SQLite's data version).
type ChangeListener interface {
	// ListenChanges calls fn for every change committed to the store, by
	// any process, until ctx ends or the connection fails (then it
	// returns the error; the caller reconnects and must assume anything
	// changed meanwhile). Changes of this process may be reported too.
	// After each read of the store, once the changes it found are
	// reported, it calls fn with a DiaryChange holding only Through: when
	// that read began.
	ListenChanges(ctx context.Context, fn func(DiaryChange)) error
}
