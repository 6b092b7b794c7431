package sqlrows

import (
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/domain"
)

// Movie is a row of movies, decoded.
type Movie struct {
	// ID is the movie's ID.
	ID uuid.UUID
	// ExternalID is the IMDb ID, NULL when unknown.
	ExternalID sql.NullString
	// Title is the title as stored.
	Title string
	// ReleaseYear is the release year.
	ReleaseYear int
	// Director is the director's name, NULL when unknown.
	Director sql.NullString
	// PosterPath is the poster's storage key, NULL when none is stored.
	PosterPath sql.NullString
	// DecodeErrors lists the columns the store could not decode from its
	// own encoding, named for the column, with the rule they broke. They are
	// reported with the other failures, and not checked again.
	DecodeErrors []domain.FieldError
}

// ToDomain rebuilds the movie, re-validating every column through the
// domain's constructors. When columns fail it returns a
// *domain.ValidationError listing every one of them, named for the column
// ("id", "title", …).
func (r Movie) ToDomain() (domain.Movie, error) {
	var c checker
	m := r.restore(&c, "")
	if err := c.v.Err(); err != nil {
		return domain.Movie{}, err
	}
	return m, nil
}

// restore rebuilds the movie, filing its failed columns in c under prefix.
func (r *Movie) restore(c *checker, prefix string) domain.Movie {
	c.row(prefix, r.DecodeErrors)
	id, err := domain.MovieIDFromUUID(r.ID)
	c.check("id", err)
	var ext domain.ExternalMetadataID
	if r.ExternalID.Valid {
		ext, err = domain.ParseExternalMetadataID(r.ExternalID.String)
		c.check("external_id", err)
	}
	title, err := domain.NewMovieTitle(r.Title)
	c.check("title", err)
	year, err := domain.NewReleaseYear(r.ReleaseYear)
	c.check("release_year", err)
	director, err := domain.NewDirector(r.Director.String)
	c.check("director", err)
	var poster domain.PosterPath
	if r.PosterPath.Valid {
		poster, err = domain.NewPosterPath(r.PosterPath.String)
		c.check("poster_path", err)
	}
	if c.failed {
		return domain.Movie{}
	}
	m, err := domain.RestoreMovie(id, ext, title, year, director, poster)
	c.fields(err)
	return m
}

// Review is a row of reviews, decoded.
type Review struct {
	// ID is the review's ID.
	ID uuid.UUID
	// MovieID is the ID of the movie watched.
	MovieID uuid.UUID
	// UserID is the ID of the user who watched it.
	UserID uuid.UUID
	// RatingHalves is the rating in half stars, 0 to 10 (the rating_halves
	// column); NULL when the viewing is not rated.
	RatingHalves sql.NullInt64
	// Comment is the note, NULL when there is none.
	Comment sql.NullString
	// WatchedAt is when the movie was watched.
	WatchedAt time.Time
	// CreatedAt is when the review was logged.
	CreatedAt time.Time
	// DecodeErrors lists the columns the store could not decode, as
	// Movie.DecodeErrors does.
	DecodeErrors []domain.FieldError
}

// ToDomain rebuilds the review, re-validating every column. When columns
// fail it returns a *domain.ValidationError listing every one of them,
// named for the column.
func (r Review) ToDomain() (domain.Review, error) {
	var c checker
	rv := r.restore(&c, "")
	if err := c.v.Err(); err != nil {
		return domain.Review{}, err
	}
	return rv, nil
}

// restore rebuilds the review, filing its failed columns in c under prefix.
func (r *Review) restore(c *checker, prefix string) domain.Review {
	c.row(prefix, r.DecodeErrors)
	id, err := domain.ReviewIDFromUUID(r.ID)
	c.check("id", err)
	movieID, err := domain.MovieIDFromUUID(r.MovieID)
	c.check("movie_id", err)
	userID, err := domain.UserIDFromUUID(r.UserID)
	c.check("user_id", err)
	var rating domain.Rating
	if r.RatingHalves.Valid {
		rating, err = domain.RatingFromHalves(int(r.RatingHalves.Int64))
		c.check("rating_halves", err)
	}
	comment, err := domain.NewComment(r.Comment.String)
	c.check("comment", err)
	if r.WatchedAt.IsZero() {
		c.add("watched_at", ruleRequired)
	}
	if r.CreatedAt.IsZero() {
		c.add("created_at", ruleRequired)
	}
	if c.failed {
		return domain.Review{}
	}
	rv, err := domain.RestoreReview(id, movieID, userID, rating, comment, r.WatchedAt, r.CreatedAt)
	c.fields(err)
	return rv
}

// RatingArg is r as the rating_halves column holds it: the count of half
// stars, or NULL (the invalid sql.NullInt64) when r is no rating. Both
// stores pass it as a statement argument.
func RatingArg(r domain.Rating) sql.NullInt64 {
	return sql.NullInt64{Int64: int64(r.Halves()), Valid: !r.IsZero()}
}

// Entry is a diary entry: a review and its movie, read with a join.
type Entry struct {
	// Movie is the movie's columns.
	Movie Movie
	// Review is the review's columns.
	Review Review
}

// ToDomain rebuilds the entry. When columns fail it returns one
// *domain.ValidationError listing every failed column of the movie and of
// the review, named "movie.<column>" and "review.<column>".
func (r Entry) ToDomain() (domain.DiaryEntry, error) {
	var c checker
	m := r.Movie.restore(&c, "movie.")
	rv := r.Review.restore(&c, "review.")
	if err := c.v.Err(); err != nil {
		return domain.DiaryEntry{}, err
	}
	return domain.DiaryEntry{Movie: m, Review: rv}, nil
}

// User is a row of users, decoded.
type User struct {
	// ID is the user's ID.
	ID uuid.UUID
	// Email is the address as stored.
	Email string
	// PasswordHash is the PHC string of the password's hash.
	PasswordHash string
	// CreatedAt is when the account was created.
	CreatedAt time.Time
	// SessionGeneration is the account's session generation, never
	// negative.
	SessionGeneration int64
	// DecodeErrors lists the columns the store could not decode, as
	// Movie.DecodeErrors does.
	DecodeErrors []domain.FieldError
}

// ToDomain rebuilds the user, re-validating every column. When columns
// fail it returns a *domain.ValidationError listing every one of them,
// named for the column.
func (r User) ToDomain() (domain.User, error) {
	var c checker
	c.row("", r.DecodeErrors)
	id, err := domain.UserIDFromUUID(r.ID)
	c.check("id", err)
	email, err := domain.ParseEmail(r.Email)
	c.check("email", err)
	hash, err := domain.NewPasswordHash(r.PasswordHash)
	c.check("password_hash", err)
	if r.SessionGeneration < 0 {
		c.add("session_generation", "must not be negative")
	}
	if !c.failed {
		u, err := domain.RestoreUser(id, email, hash, r.CreatedAt)
		if err == nil {
			u.SessionGeneration = uint64(r.SessionGeneration)
			return u, nil
		}
		c.fields(err)
	}
	return domain.User{}, c.v.Err()
}

// ruleRequired is the rule a missing required column breaks.
const ruleRequired = "is required"

// checker collects the failed columns of the rows of one result (a movie,
// or a movie and its review) in v, each named prefix + column. It
// allocates nothing while no column fails. It holds v by value: escape
// analysis sees a struct as one, so a pointer kept beside prefix, which
// leaks into v's fields, would move the caller's Validation to the heap.
type checker struct {
	v domain.Validation
	// The row being checked:
	prefix string
	// undecoded are the columns the store could not decode: reported once,
	// as the store described them, and not checked again.
	undecoded []domain.FieldError
	failed    bool // a column of the row failed
}

// row starts checking a row whose columns are named prefix + column and
// records the columns the store could not decode.
func (c *checker) row(prefix string, undecoded []domain.FieldError) {
	c.prefix, c.undecoded, c.failed = prefix, undecoded, false
	for _, f := range undecoded {
		c.add(f.Field, f.Rule)
	}
}

// add records that column broke rule.
func (c *checker) add(column, rule string) {
	c.failed = true
	c.v.Add(c.prefix+column, rule)
}

// check records err, when not nil, under column, unless the column is one
// the store could not decode.
func (c *checker) check(column string, err error) {
	if err == nil {
		return
	}
	for _, f := range c.undecoded {
		if f.Field == column {
			return
		}
	}
	c.failed = true
	c.v.Check(c.prefix+column, err)
}

// fields records the fields of err, a failure of a domain Restore…
// constructor, under prefix + their own names.
func (c *checker) fields(err error) {
	if err != nil {
		c.failed = true
		addFields(&c.v, c.prefix, err)
	}
}

// addFields records every field of a *domain.ValidationError or a
// domain.FieldError in err under prefix + the field's name; any other error
// under prefix alone (trimmed of its final dot).
func addFields(v *domain.Validation, prefix string, err error) {
	var ve *domain.ValidationError
	var fe domain.FieldError
	switch {
	case errors.As(err, &ve):
		for _, f := range ve.Fields {
			v.Add(prefix+f.Field, f.Rule)
		}
	case errors.As(err, &fe):
		v.Add(prefix+fe.Field, fe.Rule)
	default:
		field := prefix
		if n := len(field); n > 0 && field[n-1] == '.' {
			field = field[:n-1]
		}
		v.Add(field, err.Error())
	}
}
