package sqlite

import (
	"database/sql"
	"encoding/hex"
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
	reviewColumns = `id, movie_id, user_id, rating, comment, watched_at, created_at`
	userColumns   = `id, email, password_hash, created_at, session_generation`
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
	Rating    int            `db:"rating"`
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
	ID                []byte `db:"id"`
	Email             string `db:"email"`
	PasswordHash      string `db:"password_hash"`
	CreatedAt         int64  `db:"created_at"`
	SessionGeneration int64  `db:"session_generation"`
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
		Rating:    r.Rating,
		Comment:   r.Comment,
		WatchedAt: watchedTime(r.WatchedAt),
		CreatedAt: createdTime(r.CreatedAt),
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

// toDomain rebuilds the user.
func (r userRow) toDomain() (domain.User, error) {
	u, err := r.decode().ToDomain()
	if err != nil {
		return domain.User{}, sqlrows.Corrupt("user "+hex.EncodeToString(r.ID), err)
	}
	return u, nil
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

// createdTime decodes created_at and the outbox's times, in Unix
// microseconds.
func createdTime(usec int64) time.Time { return time.UnixMicro(usec).UTC() }
