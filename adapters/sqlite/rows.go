package sqlite

import (
	"database/sql"
	"encoding/hex"
	"errors"
	"strconv"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// Column lists, in the order of the row structs.
const (
	movieColumns  = `id, external_id, title, release_year, director, poster_path`
	reviewColumns = `id, movie_id, user_id, rating_halves, comment, watched_at, created_at`
	userColumns   = `id, email, password_hash, created_at, session_generation, display_name, private`
)

// movieRow is a row of movies.
type movieRow struct {
	ID          []byte         `db:"id"`
	ExternalID  sql.NullString `db:"external_id"`
	Title       string         `db:"title"`
	ReleaseYear int            `db:"release_year"`
	Director    sql.NullString `db:"director"`
	PosterPath  sql.NullString `db:"poster_path"`
}

// reviewRow is a row of reviews.
type reviewRow struct {
	ID        []byte         `db:"id"`
	MovieID   []byte         `db:"movie_id"`
	UserID    []byte         `db:"user_id"`
	Rating    sql.NullInt64  `db:"rating_halves"`
	Comment   sql.NullString `db:"comment"`
	WatchedAt int64          `db:"watched_at"`
	CreatedAt int64          `db:"created_at"`
}

// entryRow is a diary entry read with a join, columns named "m.…" and "r.…".
type entryRow struct {
	Movie  movieRow  `db:"m"`
	Review reviewRow `db:"r"`
}

// userRow is a row of users.
type userRow struct {
	ID                []byte         `db:"id"`
	Email             string         `db:"email"`
	PasswordHash      string         `db:"password_hash"`
	CreatedAt         int64          `db:"created_at"`
	SessionGeneration int64          `db:"session_generation"`
	DisplayName       sql.NullString `db:"display_name"`
	Private           bool           `db:"private"`
}

// tokenColumns lists tokenRow's columns.
const tokenColumns = `id, user_id, name, prefix, hash, created_at, last_used_at, expires_at`

// tokenRow is a row of api_tokens.
type tokenRow struct {
	ID         []byte        `db:"id"`
	UserID     []byte        `db:"user_id"`
	Name       string        `db:"name"`
	Prefix     string        `db:"prefix"`
	Hash       []byte        `db:"hash"`
	CreatedAt  int64         `db:"created_at"`
	LastUsedAt sql.NullInt64 `db:"last_used_at"`
	ExpiresAt  sql.NullInt64 `db:"expires_at"`
}

// keyColumns lists keyRow's columns.
const keyColumns = `user_id, key, fingerprint, review_id, created_at`

// keyRow is a row of idempotency_keys.
type keyRow struct {
	UserID      []byte `db:"user_id"`
	Key         string `db:"key"`
	Fingerprint string `db:"fingerprint"`
	ReviewID    []byte `db:"review_id"`
	CreatedAt   int64  `db:"created_at"`
}

// outboxColumns lists outboxRow's columns.
const outboxColumns = `seq, id, name, payload, created_at, next_attempt_at, attempts, last_error, dead`

// outboxRow is a row of outbox_events.
type outboxRow struct {
	Seq           int64  `db:"seq"`
	ID            []byte `db:"id"`
	Name          string `db:"name"`
	Payload       string `db:"payload"`
	CreatedAt     int64  `db:"created_at"`
	NextAttemptAt int64  `db:"next_attempt_at"`
	Attempts      int    `db:"attempts"`
	LastError     string `db:"last_error"`
	Dead          bool   `db:"dead"`
}

// Argument converters: what the domain values look like in the database.

func idArg(u uuid.UUID) []byte { return u[:] }

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func watchedArg(t time.Time) int64 { return t.Unix() }

func createdArg(t time.Time) int64 { return t.UnixMicro() }

// nullTimeArg is t in Unix microseconds, or NULL when t is zero.
func nullTimeArg(t time.Time) sql.NullInt64 {
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: !t.IsZero()}
}

// titleKey maps every character of a title to the smallest member of its
// Unicode simple case-folding orbit. strings.EqualFold compares titles rune
// by rune under exactly that folding, so two titles have equal keys if and
// only if they are EqualFold — for every script, unlike SQLite's NOCASE,
// which folds ASCII only.
func titleKey(t domain.MovieTitle) string {
	s := t.String()
	out := make([]rune, 0, len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		out = append(out, least)
	}
	return string(out)
}

// Row converters: each row decodes its SQLite encodings into the shared
// sqlrows struct (blobs to UUIDs, integers to times; a column that does
// not decode is recorded, not fatal) and converts that, re-validating every
// column and reporting every one that fails. A row that fails is corrupt
// storage.

// decode decodes the row's columns.
func (r movieRow) decode() sqlrows.Movie {
	m := sqlrows.Movie{
		ExternalID:  r.ExternalID,
		Title:       r.Title,
		ReleaseYear: r.ReleaseYear,
		Director:    r.Director,
		PosterPath:  r.PosterPath,
	}
	m.ID = blobUUID(&m.DecodeErrors, "id", r.ID)
	return m
}

// toDomain rebuilds the movie.
func (r movieRow) toDomain() (domain.Movie, error) {
	m, err := r.decode().ToDomain()
	if err != nil {
		return domain.Movie{}, sqlrows.Corrupt("movie "+hex.EncodeToString(r.ID), err)
	}
	return m, nil
}

// decode decodes the row's columns.
func (r reviewRow) decode() sqlrows.Review {
	rv := sqlrows.Review{
		RatingHalves: r.Rating,
		Comment:      r.Comment,
		WatchedAt:    watchedTime(r.WatchedAt),
		CreatedAt:    createdTime(r.CreatedAt),
	}
	rv.ID = blobUUID(&rv.DecodeErrors, "id", r.ID)
	rv.MovieID = blobUUID(&rv.DecodeErrors, "movie_id", r.MovieID)
	rv.UserID = blobUUID(&rv.DecodeErrors, "user_id", r.UserID)
	return rv
}

// toDomain rebuilds the review.
func (r reviewRow) toDomain() (domain.Review, error) {
	rv, err := r.decode().ToDomain()
	if err != nil {
		return domain.Review{}, sqlrows.Corrupt("review "+hex.EncodeToString(r.ID), err)
	}
	return rv, nil
}

// toDomain rebuilds the diary entry.
func (r entryRow) toDomain() (domain.DiaryEntry, error) {
	e, err := sqlrows.Entry{Movie: r.Movie.decode(), Review: r.Review.decode()}.ToDomain()
	if err != nil {
		return domain.DiaryEntry{}, sqlrows.Corrupt("review "+hex.EncodeToString(r.Review.ID), err)
	}
	return e, nil
}

// decode decodes the row's columns.
func (r userRow) decode() sqlrows.User {
	u := sqlrows.User{Email: r.Email, PasswordHash: r.PasswordHash, CreatedAt: createdTime(r.CreatedAt), SessionGeneration: r.SessionGeneration}
	u.ID = blobUUID(&u.DecodeErrors, "id", r.ID)
	return u
}

// toDomain rebuilds the user, its display name re-validated too: a stored
// name must be what domain.NewDisplayName makes of it.
func (r userRow) toDomain() (domain.User, error) {
	name, nameErr := storedDisplayName(r.DisplayName)
	u, err := r.decode().ToDomain()
	if err := errors.Join(err, nameErr); err != nil {
		return domain.User{}, sqlrows.Corrupt("user "+hex.EncodeToString(r.ID), err)
	}
	u.DisplayName, u.Private = name, r.Private
	return u, nil
}

// storedDisplayName decodes display_name: NULL is no name, anything else
// must read back as domain.NewDisplayName makes it.
func storedDisplayName(s sql.NullString) (domain.DisplayName, error) {
	if !s.Valid {
		return domain.DisplayName{}, nil
	}
	name, err := domain.NewDisplayName(s.String)
	if err == nil && name.String() != s.String {
		err = &domain.ValidationError{Fields: []domain.FieldError{{Field: "display_name", Rule: "must be trimmed"}}}
	}
	return name, err
}

// decode decodes the row's columns.
func (r tokenRow) decode() sqlrows.APIToken {
	t := sqlrows.APIToken{Name: r.Name, Prefix: r.Prefix, Hash: r.Hash, CreatedAt: createdTime(r.CreatedAt)}
	if r.LastUsedAt.Valid {
		t.LastUsedAt = createdTime(r.LastUsedAt.Int64)
	}
	if r.ExpiresAt.Valid {
		t.ExpiresAt = createdTime(r.ExpiresAt.Int64)
	}
	t.ID = blobUUID(&t.DecodeErrors, "id", r.ID)
	t.UserID = blobUUID(&t.DecodeErrors, "user_id", r.UserID)
	return t
}

// toDomain rebuilds the token.
func (r tokenRow) toDomain() (domain.APIToken, error) {
	t, err := r.decode().ToDomain()
	if err != nil {
		return domain.APIToken{}, sqlrows.Corrupt("API token "+hex.EncodeToString(r.ID), err)
	}
	return t, nil
}

// toDomain rebuilds the idempotency record.
func (r keyRow) toDomain() (domain.IdempotencyRecord, error) {
	k := sqlrows.IdempotencyRecord{Key: r.Key, Fingerprint: r.Fingerprint, CreatedAt: createdTime(r.CreatedAt)}
	k.UserID = blobUUID(&k.DecodeErrors, "user_id", r.UserID)
	k.ReviewID = blobUUID(&k.DecodeErrors, "review_id", r.ReviewID)
	rec, err := k.ToDomain()
	if err != nil {
		return domain.IdempotencyRecord{}, sqlrows.Corrupt("idempotency key of user "+hex.EncodeToString(r.UserID), err)
	}
	return rec, nil
}

// decode decodes the row's columns.
func (r outboxRow) decode() sqlrows.OutboxEvent {
	e := sqlrows.OutboxEvent{
		Name:          r.Name,
		Payload:       []byte(r.Payload),
		CreatedAt:     createdTime(r.CreatedAt),
		NextAttemptAt: createdTime(r.NextAttemptAt),
		Attempts:      r.Attempts,
		LastError:     r.LastError,
		Dead:          r.Dead,
	}
	e.ID = blobUUID(&e.DecodeErrors, "id", r.ID)
	return e
}

// toDomain rebuilds the outbox event.
func (r outboxRow) toDomain() (domain.OutboxEvent, error) {
	e, err := r.decode().ToDomain()
	if err != nil {
		return domain.OutboxEvent{}, sqlrows.Corrupt("outbox event "+hex.EncodeToString(r.ID), err)
	}
	return e, nil
}

// outboxEvents rebuilds the outbox events of rows, in order.
func outboxEvents(rows []outboxRow) ([]domain.OutboxEvent, error) {
	return sqlrows.ToDomainAll(rows, outboxRow.toDomain)
}

// blobUUID decodes a 16-byte ID column. A blob of another length gives the
// nil UUID and is recorded in bad under column.
func blobUUID(bad *[]domain.FieldError, column string, b []byte) uuid.UUID {
	u, err := uuid.FromBytes(b)
	if err != nil {
		*bad = append(*bad, domain.FieldError{Field: column, Rule: "must be a 16-byte UUID, not " + strconv.Itoa(len(b)) + " bytes"})
	}
	return u
}

// watchedTime decodes watched_at, in Unix seconds.
func watchedTime(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// createdTime decodes created_at, the outbox's and the tokens' times, in
// Unix microseconds.
func createdTime(usec int64) time.Time { return time.UnixMicro(usec).UTC() }
