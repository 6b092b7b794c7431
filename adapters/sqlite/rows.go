package sqlite

import (
	"database/sql"
	"encoding/hex"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/domain"
)

// Column lists, in the order of the row structs.
const (
	movieColumns  = `id, external_id, title, release_year, director, poster_path`
	reviewColumns = `id, movie_id, user_id, rating, comment, watched_at, created_at`
	userColumns   = `id, email, password_hash, created_at`
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
	ID           []byte `db:"id"`
	Email        string `db:"email"`
	PasswordHash string `db:"password_hash"`
	CreatedAt    int64  `db:"created_at"`
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

// Row converters: reading back re-validates through the domain's
// constructors; a row that fails is reported as corrupt storage.

func (r movieRow) toDomain() (domain.Movie, error) {
	m, err := r.convert()
	if err != nil {
		return domain.Movie{}, corrupt("movie "+hex.EncodeToString(r.ID), err)
	}
	return m, nil
}

func (r movieRow) convert() (domain.Movie, error) {
	u, err := uuid.FromBytes(r.ID)
	if err != nil {
		return domain.Movie{}, err
	}
	id, err := domain.MovieIDFromUUID(u)
	if err != nil {
		return domain.Movie{}, err
	}
	var ext domain.ExternalMetadataID
	if r.ExternalID.Valid {
		if ext, err = domain.ParseExternalMetadataID(r.ExternalID.String); err != nil {
			return domain.Movie{}, err
		}
	}
	title, err := domain.NewMovieTitle(r.Title)
	if err != nil {
		return domain.Movie{}, err
	}
	year, err := domain.NewReleaseYear(r.ReleaseYear)
	if err != nil {
		return domain.Movie{}, err
	}
	director, err := domain.NewDirector(r.Director.String)
	if err != nil {
		return domain.Movie{}, err
	}
	var poster domain.PosterPath
	if r.PosterPath.Valid {
		if poster, err = domain.NewPosterPath(r.PosterPath.String); err != nil {
			return domain.Movie{}, err
		}
	}
	return domain.RestoreMovie(id, ext, title, year, director, poster)
}

func (r reviewRow) toDomain() (domain.Review, error) {
	rv, err := r.convert()
	if err != nil {
		return domain.Review{}, corrupt("review "+hex.EncodeToString(r.ID), err)
	}
	return rv, nil
}

func (r reviewRow) convert() (domain.Review, error) {
	var u [3]uuid.UUID
	for i, b := range [][]byte{r.ID, r.MovieID, r.UserID} {
		var err error
		if u[i], err = uuid.FromBytes(b); err != nil {
			return domain.Review{}, err
		}
	}
	id, err := domain.ReviewIDFromUUID(u[0])
	if err != nil {
		return domain.Review{}, err
	}
	movieID, err := domain.MovieIDFromUUID(u[1])
	if err != nil {
		return domain.Review{}, err
	}
	userID, err := domain.UserIDFromUUID(u[2])
	if err != nil {
		return domain.Review{}, err
	}
	rating, err := domain.NewRating(r.Rating)
	if err != nil {
		return domain.Review{}, err
	}
	comment, err := domain.NewComment(r.Comment.String)
	if err != nil {
		return domain.Review{}, err
	}
	return domain.RestoreReview(id, movieID, userID, rating, comment,
		time.Unix(r.WatchedAt, 0).UTC(), time.UnixMicro(r.CreatedAt).UTC())
}

func (r entryRow) toDomain() (domain.DiaryEntry, error) {
	m, err := r.Movie.toDomain()
	if err != nil {
		return domain.DiaryEntry{}, err
	}
	rv, err := r.Review.toDomain()
	if err != nil {
		return domain.DiaryEntry{}, err
	}
	return domain.DiaryEntry{Movie: m, Review: rv}, nil
}

func (r userRow) toDomain() (domain.User, error) {
	u, err := r.convert()
	if err != nil {
		return domain.User{}, corrupt("user "+hex.EncodeToString(r.ID), err)
	}
	return u, nil
}

func (r userRow) convert() (domain.User, error) {
	u, err := uuid.FromBytes(r.ID)
	if err != nil {
		return domain.User{}, err
	}
	id, err := domain.UserIDFromUUID(u)
	if err != nil {
		return domain.User{}, err
	}
	email, err := domain.ParseEmail(r.Email)
	if err != nil {
		return domain.User{}, err
	}
	hash, err := domain.NewPasswordHash(r.PasswordHash)
	if err != nil {
		return domain.User{}, err
	}
	return domain.RestoreUser(id, email, hash, time.UnixMicro(r.CreatedAt).UTC())
}
