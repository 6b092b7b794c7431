package sqlrows_test

import (
	"database/sql"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

var (
	movieUUID  = uuid.MustParse("01900000-0000-7000-8000-000000000001")
	reviewUUID = uuid.MustParse("01900000-0000-7000-8000-000000000002")
	userUUID   = uuid.MustParse("01900000-0000-7000-8000-000000000003")
	watched    = time.Date(2024, 3, 3, 20, 0, 0, 0, time.UTC)
	created    = time.Date(2024, 3, 3, 22, 15, 30, 123456000, time.UTC)
)

func valid(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }

// goodMovie is a row that passes every rule.
func goodMovie() sqlrows.Movie {
	return sqlrows.Movie{
		ID: movieUUID, ExternalID: valid("tt0062136"), Title: "Playtime", ReleaseYear: 1967,
		Director: valid("Jacques Tati"), PosterPath: valid("posters/tt0062136.jpg"),
	}
}

// goodReview is a row that passes every rule.
func goodReview() sqlrows.Review {
	return sqlrows.Review{
		ID: reviewUUID, MovieID: movieUUID, UserID: userUUID, RatingHalves: sql.NullInt64{Int64: 9, Valid: true},
		Comment: valid("The roundabout!"), WatchedAt: watched, CreatedAt: created,
	}
}

// wantMovie is goodMovie as a domain value, built by the domain's
// constructors.
func wantMovie(t *testing.T) domain.Movie {
	t.Helper()
	id, _ := domain.MovieIDFromUUID(movieUUID)
	director, _ := domain.NewDirector("Jacques Tati")
	m, err := domain.RestoreMovie(id, domain.MustParseExternalMetadataID("tt0062136"), domain.MustNewMovieTitle("Playtime"),
		mustYear(t, 1967), director, domain.MustNewPosterPath("posters/tt0062136.jpg"))
	if err != nil {
		t.Fatalf("RestoreMovie: %v", err)
	}
	return m
}

// wantReview is goodReview as a domain value.
func wantReview(t *testing.T) domain.Review {
	t.Helper()
	id, _ := domain.ReviewIDFromUUID(reviewUUID)
	movieID, _ := domain.MovieIDFromUUID(movieUUID)
	userID, _ := domain.UserIDFromUUID(userUUID)
	comment, _ := domain.NewComment("The roundabout!")
	rv, err := domain.RestoreReview(id, movieID, userID, domain.MustNewRating(4.5), comment, watched, created)
	if err != nil {
		t.Fatalf("RestoreReview: %v", err)
	}
	return rv
}

func mustYear(t *testing.T, y int) domain.ReleaseYear {
	t.Helper()
	year, err := domain.NewReleaseYear(y)
	if err != nil {
		t.Fatalf("NewReleaseYear(%d): %v", y, err)
	}
	return year
}

// fieldsOf returns the fields err reports, sorted, or fails the test when
// err is not a *domain.ValidationError.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *domain.ValidationError", err)
	}
	if !errors.Is(err, domain.ErrValidation) {
		t.Errorf("error %v does not match domain.ErrValidation", err)
	}
	var fields []string
	for _, f := range ve.Fields {
		fields = append(fields, f.Field)
	}
	slices.Sort(fields)
	return fields
}

func sorted(fields ...string) []string {
	slices.Sort(fields)
	return fields
}

func TestMovieToDomain(t *testing.T) {
	t.Parallel()
	t.Run("a good row converts exactly", func(t *testing.T) {
		t.Parallel()
		got, err := goodMovie().ToDomain()
		if err != nil {
			t.Fatalf("ToDomain: %v", err)
		}
		if want := wantMovie(t); !reflect.DeepEqual(got, want) {
			t.Errorf("ToDomain = %+v, want %+v", got, want)
		}
	})
	t.Run("null optional columns are absent values", func(t *testing.T) {
		t.Parallel()
		row := goodMovie()
		row.ExternalID, row.Director, row.PosterPath = sql.NullString{}, sql.NullString{}, sql.NullString{}
		got, err := row.ToDomain()
		if err != nil {
			t.Fatalf("ToDomain: %v", err)
		}
		if !got.ExternalID.IsZero() || !got.Director.IsZero() || !got.PosterPath.IsZero() {
			t.Errorf("ToDomain = %+v, want no external ID, director or poster", got)
		}
	})

	for _, tc := range []struct {
		name  string
		edit  func(*sqlrows.Movie)
		wants []string
	}{
		{"one bad column", func(r *sqlrows.Movie) { r.Title = " " }, []string{"title"}},
		{
			"every bad column is reported",
			func(r *sqlrows.Movie) {
				r.ID = uuid.Nil
				r.ExternalID = valid("nm0000040")
				r.Title = ""
				r.ReleaseYear = 1700
				r.PosterPath = valid("")
			},
			sorted("id", "external_id", "title", "release_year", "poster_path"),
		},
		{
			"an undecodable column is reported once, as the store said",
			func(r *sqlrows.Movie) {
				r.ID = uuid.Nil
				r.DecodeErrors = []domain.FieldError{{Field: "id", Rule: "must be a 16-byte UUID, not 3 bytes"}}
				r.ReleaseYear = 0
			},
			sorted("id", "release_year"),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			row := goodMovie()
			tc.edit(&row)
			m, err := row.ToDomain()
			if got := fieldsOf(t, err); !slices.Equal(got, tc.wants) {
				t.Errorf("ToDomain reports %q, want %q (error: %v)", got, tc.wants, err)
			}
			if !reflect.DeepEqual(m, domain.Movie{}) {
				t.Errorf("ToDomain returned %+v with its error, want the zero Movie", m)
			}
		})
	}

	t.Run("the store's rule text is kept", func(t *testing.T) {
		t.Parallel()
		row := goodMovie()
		row.ID = uuid.Nil
		row.DecodeErrors = []domain.FieldError{{Field: "id", Rule: "must be a 16-byte UUID, not 3 bytes"}}
		_, err := row.ToDomain()
		var ve *domain.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0] != row.DecodeErrors[0] {
			t.Errorf("ToDomain error = %v, want exactly the decoding failure %v", err, row.DecodeErrors[0])
		}
	})
}

func TestReviewToDomain(t *testing.T) {
	t.Parallel()
	t.Run("a good row converts exactly", func(t *testing.T) {
		t.Parallel()
		row := goodReview()
		// A driver may hand back times in another zone.
		row.WatchedAt = row.WatchedAt.In(time.FixedZone("CET", 3600))
		got, err := row.ToDomain()
		if err != nil {
			t.Fatalf("ToDomain: %v", err)
		}
		if want := wantReview(t); !reflect.DeepEqual(got, want) {
			t.Errorf("ToDomain = %+v, want %+v", got, want)
		}
	})

	t.Run("a null rating is no rating, zero halves a rating of 0", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			col  sql.NullInt64
			want domain.Rating
		}{
			{sql.NullInt64{}, domain.Rating{}},
			{sql.NullInt64{Int64: 0, Valid: true}, domain.MustNewRating(0)},
			{sql.NullInt64{Int64: 1, Valid: true}, domain.MustNewRating(0.5)},
			{sql.NullInt64{Int64: 10, Valid: true}, domain.MustNewRating(5)},
		} {
			row := goodReview()
			row.RatingHalves = tc.col
			got, err := row.ToDomain()
			if err != nil {
				t.Fatalf("ToDomain(rating_halves %v): %v", tc.col, err)
			}
			if got.Rating != tc.want {
				t.Errorf("ToDomain(rating_halves %v).Rating = %q, want %q", tc.col, got.Rating, tc.want)
			}
			if back := sqlrows.RatingArg(got.Rating); back != tc.col {
				t.Errorf("RatingArg(%q) = %v, want the column %v back", got.Rating, back, tc.col)
			}
		}
	})

	for _, tc := range []struct {
		name  string
		edit  func(*sqlrows.Review)
		wants []string
	}{
		{"one bad column", func(r *sqlrows.Review) { r.RatingHalves.Int64 = -1 }, []string{"rating_halves"}},
		{"eleven halves are too many", func(r *sqlrows.Review) { r.RatingHalves.Int64 = 11 }, []string{"rating_halves"}},
		{
			"every bad column is reported",
			func(r *sqlrows.Review) {
				r.ID, r.MovieID, r.UserID = uuid.Nil, uuid.Nil, uuid.Nil
				r.RatingHalves.Int64 = 12
				r.Comment = valid("\xff")
				r.WatchedAt, r.CreatedAt = time.Time{}, time.Time{}
			},
			sorted("id", "movie_id", "user_id", "rating_halves", "comment", "watched_at", "created_at"),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			row := goodReview()
			tc.edit(&row)
			_, err := row.ToDomain()
			if got := fieldsOf(t, err); !slices.Equal(got, tc.wants) {
				t.Errorf("ToDomain reports %q, want %q (error: %v)", got, tc.wants, err)
			}
		})
	}
}

func TestEntryToDomain(t *testing.T) {
	t.Parallel()
	t.Run("a good row converts exactly", func(t *testing.T) {
		t.Parallel()
		got, err := sqlrows.Entry{Movie: goodMovie(), Review: goodReview()}.ToDomain()
		if err != nil {
			t.Fatalf("ToDomain: %v", err)
		}
		want := domain.DiaryEntry{Movie: wantMovie(t), Review: wantReview(t)}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ToDomain = %+v, want %+v", got, want)
		}
	})
	t.Run("bad columns of the movie and the review are reported together", func(t *testing.T) {
		t.Parallel()
		e := sqlrows.Entry{Movie: goodMovie(), Review: goodReview()}
		e.Movie.Title, e.Movie.ReleaseYear = "", 3000
		e.Review.RatingHalves.Int64 = 19
		e.Review.UserID = uuid.Nil
		e.Review.DecodeErrors = []domain.FieldError{{Field: "user_id", Rule: "must be a UUID"}}
		_, err := e.ToDomain()
		want := sorted("movie.title", "movie.release_year", "review.rating_halves", "review.user_id")
		if got := fieldsOf(t, err); !slices.Equal(got, want) {
			t.Errorf("ToDomain reports %q, want %q (error: %v)", got, want, err)
		}
	})
}

// TestEntryToDomainAllocatesNothing guards the diary page path: converting
// a good row costs no allocation beyond the domain constructors', which
// allocate none either. Not parallel: AllocsPerRun counts every goroutine.
func TestEntryToDomainAllocatesNothing(t *testing.T) {
	e := sqlrows.Entry{Movie: goodMovie(), Review: goodReview()}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := e.ToDomain(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Entry.ToDomain allocates %v times per row, want 0", allocs)
	}
}

func TestUserToDomain(t *testing.T) {
	t.Parallel()
	good := sqlrows.User{ID: userUUID, Email: "ann@example.com", PasswordHash: "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA", CreatedAt: created}
	t.Run("a good row converts exactly", func(t *testing.T) {
		t.Parallel()
		got, err := good.ToDomain()
		if err != nil {
			t.Fatalf("ToDomain: %v", err)
		}
		id, _ := domain.UserIDFromUUID(userUUID)
		hash, _ := domain.NewPasswordHash(good.PasswordHash)
		want, err := domain.RestoreUser(id, domain.MustParseEmail("ann@example.com"), hash, created)
		if err != nil {
			t.Fatalf("RestoreUser: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ToDomain = %+v, want %+v", got, want)
		}
	})
	t.Run("every bad column is reported", func(t *testing.T) {
		t.Parallel()
		row := good
		row.ID, row.Email, row.PasswordHash = uuid.Nil, "ann at example.com", "hunter2"
		_, err := row.ToDomain()
		want := sorted("id", "email", "password_hash")
		if got := fieldsOf(t, err); !slices.Equal(got, want) {
			t.Errorf("ToDomain reports %q, want %q (error: %v)", got, want, err)
		}
	})
}

func TestCorruptIsAnInfrastructureFailure(t *testing.T) {
	t.Parallel()
	_, verr := sqlrows.Movie{}.ToDomain()
	err := sqlrows.Corrupt("movie 0191", verr)
	if !errors.Is(err, domain.ErrInfrastructure) {
		t.Errorf("Corrupt(…) = %v, want it to match domain.ErrInfrastructure", err)
	}
	if errors.Is(err, domain.ErrValidation) {
		t.Errorf("Corrupt(…) = %v matches domain.ErrValidation: a client would be blamed for stored data", err)
	}
}
