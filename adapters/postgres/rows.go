package postgres

import (
	"database/sql"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// Row converters: the driver decodes uuid, timestamptz and text columns
// into their Go values itself, so a row's decode only copies them into the
// shared sqlrows struct, whose converter re-validates every column and
// reports every one that fails. A row that fails is corrupt storage. The
// rows that sqlx scans by reflection are this package's own structs, with
// no room for decoding failures, which keeps them as small as the columns.

// movieRow is a row of movies.
type movieRow struct {
	ID          uuid.UUID      `db:"id"`
	ExternalID  sql.NullString `db:"external_id"`
	Title       string         `db:"title"`
	ReleaseYear int            `db:"release_year"`
	Director    sql.NullString `db:"director"`
	PosterPath  sql.NullString `db:"poster_path"`
}

// movieColumns lists movieRow's columns in table order.
const movieColumns = `id, external_id, title, release_year, director, poster_path`

// reviewRow is a row of reviews.
type reviewRow struct {
	ID           uuid.UUID      `db:"id"`
	MovieID      uuid.UUID      `db:"movie_id"`
	UserID       uuid.UUID      `db:"user_id"`
	RatingHalves sql.NullInt64  `db:"rating_halves"`
	Comment      sql.NullString `db:"comment"`
	WatchedAt    time.Time      `db:"watched_at"`
	CreatedAt    time.Time      `db:"created_at"`
}

// reviewColumns lists reviewRow's columns in table order.
const reviewColumns = `id, movie_id, user_id, rating_halves, comment, watched_at, created_at`

// entryRow is a review joined with its movie, scanned without reflection
// (see scan) straight into the shared struct.
type entryRow sqlrows.Entry

// entryColumns selects an entryRow from reviews r joined with movies m; the
// movie's ID is the review's movie_id.
const entryColumns = `r.id, r.movie_id, r.user_id, r.rating_halves, r.comment, r.watched_at, r.created_at,
	m.external_id, m.title, m.release_year, m.director, m.poster_path`

// userRow is a row of users.
type userRow struct {
	ID                uuid.UUID      `db:"id"`
	Email             string         `db:"email"`
	PasswordHash      string         `db:"password_hash"`
	CreatedAt         time.Time      `db:"created_at"`
	SessionGeneration int64          `db:"session_generation"`
	DisplayName       sql.NullString `db:"display_name"`
	Private           bool           `db:"private"`
}

// userColumns lists userRow's columns in table order.
const userColumns = `id, email, password_hash, created_at, session_generation, display_name, private`

// outboxRow is a row of outbox_events.
type outboxRow struct {
	Seq           int64     `db:"seq"`
	ID            uuid.UUID `db:"id"`
	Name          string    `db:"name"`
	Payload       []byte    `db:"payload"`
	CreatedAt     time.Time `db:"created_at"`
	NextAttemptAt time.Time `db:"next_attempt_at"`
	Attempts      int       `db:"attempts"`
	LastError     string    `db:"last_error"`
	Dead          bool      `db:"dead"`
}

// outboxColumns lists outboxRow's columns.
const outboxColumns = `seq, id, name, payload, created_at, next_attempt_at, attempts, last_error, dead`

// scan reads a row of entryColumns, followed by one bigint (the diary's
// total) when total is not nil, into r and total, without reflection:
// small integers arrive as int64 (the rating as nil when NULL) and UUIDs as
// text, which are converted here rather than by database/sql's generic
// conversions. A UUID that does not parse is recorded in
// r.Review.DecodeErrors, for toDomain to report with the rest.
func (r *entryRow) scan(rows *sql.Rows, total *int64) error {
	if total == nil {
		return r.scanExtra(rows, nil)
	}
	return r.scanExtra(rows, total)
}

// scanRewatch reads a row of entryColumns followed by one boolean, the
// export's rewatch flag, into r and rewatch, as scan does.
func (r *entryRow) scanRewatch(rows *sql.Rows, rewatch *bool) error {
	return r.scanExtra(rows, rewatch)
}

// scanExtra is scan with the column after entryColumns, when there is one,
// read into extra (a pointer), or none when extra is nil.
func (r *entryRow) scanExtra(rows *sql.Rows, extra any) error {
	var (
		id, movieID, userID sql.RawBytes
		rating              any
		year                int64
	)
	rv, m := &r.Review, &r.Movie
	dest := [...]any{&id, &movieID, &userID, &rating, &rv.Comment, &rv.WatchedAt, &rv.CreatedAt,
		&m.ExternalID, &m.Title, &year, &m.Director, &m.PosterPath, extra}
	n := len(dest)
	if extra == nil {
		n--
	}
	if err := rows.Scan(dest[:n]...); err != nil {
		return err
	}
	rv.ID = textUUID(&rv.DecodeErrors, "id", id)
	rv.MovieID = textUUID(&rv.DecodeErrors, "movie_id", movieID)
	rv.UserID = textUUID(&rv.DecodeErrors, "user_id", userID)
	switch v := rating.(type) {
	case nil:
		rv.RatingHalves = sql.NullInt64{}
	case int64:
		rv.RatingHalves = sql.NullInt64{Int64: v, Valid: true}
	default:
		rv.DecodeErrors = append(rv.DecodeErrors, domain.FieldError{Field: "rating_halves", Rule: "must be a smallint"})
	}
	m.ReleaseYear = int(year)
	m.ID = rv.MovieID
	return nil
}

// textUUID parses a uuid column read as text. Text that does not parse
// gives the nil UUID and is recorded in bad under column.
func textUUID(bad *[]domain.FieldError, column string, b []byte) uuid.UUID {
	u, err := uuid.ParseBytes(b)
	if err != nil {
		*bad = append(*bad, domain.FieldError{Field: column, Rule: "must be a UUID"})
	}
	return u
}

// decode returns the row's columns; the driver decoded them.
func (r movieRow) decode() sqlrows.Movie {
	return sqlrows.Movie{
		ID: r.ID, ExternalID: r.ExternalID, Title: r.Title, ReleaseYear: r.ReleaseYear,
		Director: r.Director, PosterPath: r.PosterPath,
	}
}

// toDomain rebuilds the movie.
func (r movieRow) toDomain() (domain.Movie, error) {
	m, err := r.decode().ToDomain()
	if err != nil {
		return domain.Movie{}, sqlrows.Corrupt("movie "+r.ID.String(), err)
	}
	return m, nil
}

// decode returns the row's columns; the driver decoded them.
func (r reviewRow) decode() sqlrows.Review {
	return sqlrows.Review{
		ID: r.ID, MovieID: r.MovieID, UserID: r.UserID, RatingHalves: r.RatingHalves, Comment: r.Comment,
		WatchedAt: r.WatchedAt, CreatedAt: r.CreatedAt,
	}
}

// toDomain rebuilds the review.
func (r reviewRow) toDomain() (domain.Review, error) {
	rv, err := r.decode().ToDomain()
	if err != nil {
		return domain.Review{}, sqlrows.Corrupt("review "+r.ID.String(), err)
	}
	return rv, nil
}

// toDomain rebuilds the diary entry.
func (r *entryRow) toDomain() (domain.DiaryEntry, error) {
	e, err := (*sqlrows.Entry)(r).ToDomain()
	if err != nil {
		return domain.DiaryEntry{}, sqlrows.Corrupt("review "+r.Review.ID.String(), err)
	}
	return e, nil
}

// decode returns the row's columns; the driver decoded them.
func (r userRow) decode() sqlrows.User {
	return sqlrows.User{ID: r.ID, Email: r.Email, PasswordHash: r.PasswordHash, CreatedAt: r.CreatedAt, SessionGeneration: r.SessionGeneration}
}

// toDomain rebuilds the user, with the profile columns, which the shared
// row leaves out: a stored display name must be one NewDisplayName keeps
// as it is.
func (r userRow) toDomain() (domain.User, error) {
	u, err := r.decode().ToDomain()
	if err != nil {
		return domain.User{}, sqlrows.Corrupt("user "+r.ID.String(), err)
	}
	if r.DisplayName.Valid {
		name, err := domain.NewDisplayName(r.DisplayName.String)
		if err == nil && name.String() != r.DisplayName.String {
			err = domain.FieldError{Field: "display_name", Rule: "must be trimmed"}
		}
		if err != nil {
			return domain.User{}, sqlrows.Corrupt("user "+r.ID.String(), err)
		}
		u.DisplayName = name
	}
	u.Private = r.Private
	return u, nil
}

// decode returns the row's columns; the driver decoded them.
func (r outboxRow) decode() sqlrows.OutboxEvent {
	return sqlrows.OutboxEvent{
		ID: r.ID, Name: r.Name, Payload: r.Payload, CreatedAt: r.CreatedAt, NextAttemptAt: r.NextAttemptAt,
		Attempts: r.Attempts, LastError: r.LastError, Dead: r.Dead,
	}
}

// toDomain rebuilds the outbox event.
func (r outboxRow) toDomain() (domain.OutboxEvent, error) {
	e, err := r.decode().ToDomain()
	if err != nil {
		return domain.OutboxEvent{}, sqlrows.Corrupt("outbox event "+r.ID.String(), err)
	}
	return e, nil
}

// outboxEvents rebuilds the outbox events of rows, in order.
func outboxEvents(rows []outboxRow) ([]domain.OutboxEvent, error) {
	return sqlrows.ToDomainAll(rows, outboxRow.toDomain)
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

func movieArgs(m domain.Movie) []any {
	return []any{
		m.ID.UUID(), nullString(m.ExternalID.String()), m.Title.String(), m.ReleaseYear.Int(),
		nullString(m.Director.String()), nullString(m.PosterPath.String()),
	}
}
