package postgres

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/domain"
)

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
	ID        uuid.UUID      `db:"id"`
	MovieID   uuid.UUID      `db:"movie_id"`
	UserID    uuid.UUID      `db:"user_id"`
	Rating    int            `db:"rating"`
	Comment   sql.NullString `db:"comment"`
	WatchedAt time.Time      `db:"watched_at"`
	CreatedAt time.Time      `db:"created_at"`
}

// reviewColumns lists reviewRow's columns in table order.
const reviewColumns = `id, movie_id, user_id, rating, comment, watched_at, created_at`

// entryRow is a review joined with its movie.
type entryRow struct {
	ID          uuid.UUID      `db:"id"`
	MovieID     uuid.UUID      `db:"movie_id"`
	UserID      uuid.UUID      `db:"user_id"`
	Rating      int            `db:"rating"`
	Comment     sql.NullString `db:"comment"`
	WatchedAt   time.Time      `db:"watched_at"`
	CreatedAt   time.Time      `db:"created_at"`
	ExternalID  sql.NullString `db:"external_id"`
	Title       string         `db:"title"`
	ReleaseYear int            `db:"release_year"`
	Director    sql.NullString `db:"director"`
	PosterPath  sql.NullString `db:"poster_path"`
}

// entryColumns selects an entryRow from reviews r joined with movies m.
const entryColumns = `r.id, r.movie_id, r.user_id, r.rating, r.comment, r.watched_at, r.created_at,
	m.external_id, m.title, m.release_year, m.director, m.poster_path`

// scan reads a row of entryColumns followed by one bigint (the diary's
// total) into r and total, without reflection: small integers arrive as
// int64 and UUIDs as text, which are converted here rather than by
// database/sql's generic conversions.
func (r *entryRow) scan(rows *sql.Rows, total *int64) error {
	var (
		id, movieID, userID sql.RawBytes
		rating, year        int64
	)
	err := rows.Scan(&id, &movieID, &userID, &rating, &r.Comment, &r.WatchedAt, &r.CreatedAt,
		&r.ExternalID, &r.Title, &year, &r.Director, &r.PosterPath, total)
	if err != nil {
		return err
	}
	if r.ID, err = uuid.ParseBytes(id); err != nil {
		return fmt.Errorf("id: %w", err)
	}
	if r.MovieID, err = uuid.ParseBytes(movieID); err != nil {
		return fmt.Errorf("review %s: movie_id: %w", r.ID, err)
	}
	if r.UserID, err = uuid.ParseBytes(userID); err != nil {
		return fmt.Errorf("review %s: user_id: %w", r.ID, err)
	}
	r.Rating, r.ReleaseYear = int(rating), int(year)
	return nil
}

// userRow is a row of users.
type userRow struct {
	ID           uuid.UUID `db:"id"`
	Email        string    `db:"email"`
	PasswordHash string    `db:"password_hash"`
	CreatedAt    time.Time `db:"created_at"`
}

// userColumns lists userRow's columns in table order.
const userColumns = `id, email, password_hash, created_at`

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// toMovie rebuilds a movie, re-validating every stored value.
func (r movieRow) toMovie() (domain.Movie, error) {
	var v domain.Validation
	id, err := domain.MovieIDFromUUID(r.ID)
	v.Check("id", err)
	var ext domain.ExternalMetadataID
	if r.ExternalID.Valid {
		ext, err = domain.ParseExternalMetadataID(r.ExternalID.String)
		v.Check("external_id", err)
	}
	title, err := domain.NewMovieTitle(r.Title)
	v.Check("title", err)
	year, err := domain.NewReleaseYear(r.ReleaseYear)
	v.Check("release_year", err)
	director, err := domain.NewDirector(r.Director.String)
	v.Check("director", err)
	var poster domain.PosterPath
	if r.PosterPath.Valid {
		poster, err = domain.NewPosterPath(r.PosterPath.String)
		v.Check("poster_path", err)
	}
	if err := v.Err(); err != nil {
		return domain.Movie{}, err
	}
	return domain.RestoreMovie(id, ext, title, year, director, poster)
}

// toReview rebuilds a review, re-validating every stored value.
func (r reviewRow) toReview() (domain.Review, error) {
	var v domain.Validation
	id, err := domain.ReviewIDFromUUID(r.ID)
	v.Check("id", err)
	movieID, err := domain.MovieIDFromUUID(r.MovieID)
	v.Check("movie_id", err)
	userID, err := domain.UserIDFromUUID(r.UserID)
	v.Check("user_id", err)
	rating, err := domain.NewRating(r.Rating)
	v.Check("rating", err)
	comment, err := domain.NewComment(r.Comment.String)
	v.Check("comment", err)
	if err := v.Err(); err != nil {
		return domain.Review{}, err
	}
	return domain.RestoreReview(id, movieID, userID, rating, comment, r.WatchedAt, r.CreatedAt)
}

// toEntry rebuilds a diary entry.
func (r entryRow) toEntry() (domain.DiaryEntry, error) {
	m, err := movieRow{
		ID: r.MovieID, ExternalID: r.ExternalID, Title: r.Title, ReleaseYear: r.ReleaseYear,
		Director: r.Director, PosterPath: r.PosterPath,
	}.toMovie()
	if err != nil {
		return domain.DiaryEntry{}, err
	}
	rev, err := reviewRow{
		ID: r.ID, MovieID: r.MovieID, UserID: r.UserID, Rating: r.Rating, Comment: r.Comment,
		WatchedAt: r.WatchedAt, CreatedAt: r.CreatedAt,
	}.toReview()
	if err != nil {
		return domain.DiaryEntry{}, err
	}
	return domain.DiaryEntry{Movie: m, Review: rev}, nil
}

// toUser rebuilds a user, re-validating every stored value.
func (r userRow) toUser() (domain.User, error) {
	var v domain.Validation
	id, err := domain.UserIDFromUUID(r.ID)
	v.Check("id", err)
	email, err := domain.ParseEmail(r.Email)
	v.Check("email", err)
	hash, err := domain.NewPasswordHash(r.PasswordHash)
	v.Check("password_hash", err)
	if err := v.Err(); err != nil {
		return domain.User{}, err
	}
	return domain.RestoreUser(id, email, hash, r.CreatedAt)
}

func movieArgs(m domain.Movie) []any {
	return []any{
		m.ID.UUID(), nullString(m.ExternalID.String()), m.Title.String(), m.ReleaseYear.Int(),
		nullString(m.Director.String()), nullString(m.PosterPath.String()),
	}
}
