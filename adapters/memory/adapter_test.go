package memory_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/memory"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

func TestIncompleteValuesAreValidationErrors(t *testing.T) {
	movie := porttest.NewMovie(t, porttest.NewExternalID(t), "Persona", 1966, "")
	review := porttest.NewReview(t, movie.ID, domain.NewUserID(), 4, time.Date(2024, 1, 1, 20, 0, 0, 0, time.UTC))
	noUser := review
	noUser.UserID = domain.UserID{}
	noWatchedAt := review
	noWatchedAt.WatchedAt = time.Time{}
	noTitle := movie
	noTitle.Title = domain.MovieTitle{}

	tests := []struct {
		name string
		call func(t *testing.T) error
	}{
		{"UpsertMovie of the zero movie", func(t *testing.T) error {
			_, err := memory.NewMovieRepository().UpsertMovie(t.Context(), domain.Movie{})
			return err
		}},
		{"SaveViewing of a movie without title", func(t *testing.T) error {
			_, err := memory.NewMovieRepository().SaveViewing(t.Context(), domain.Viewing{Movie: noTitle, Review: review})
			return err
		}},
		{"SaveViewing of a review without user", func(t *testing.T) error {
			_, err := memory.NewMovieRepository().SaveViewing(t.Context(), domain.Viewing{Movie: movie, Review: noUser})
			return err
		}},
		{"SaveViewing of a review without watched_at", func(t *testing.T) error {
			_, err := memory.NewMovieRepository().SaveViewing(t.Context(), domain.Viewing{Movie: movie, Review: noWatchedAt})
			return err
		}},
		{"SaveUser of the zero user", func(t *testing.T) error {
			return memory.NewUserRepository().SaveUser(t.Context(), domain.User{})
		}},
		{"SaveFirstUser of the zero user", func(t *testing.T) error {
			return memory.NewUserRepository().SaveFirstUser(t.Context(), domain.User{})
		}},
		{"StorePoster for the zero movie ID", func(t *testing.T) error {
			_, err := memory.NewPosterStorage().StorePoster(t.Context(), domain.MovieID{}, bytes.NewReader(porttest.PNG()))
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(t); !errors.Is(err, domain.ErrValidation) {
				t.Errorf("error = %v, want ErrValidation", err)
			}
		})
	}
}

func TestFailedSaveViewingLeavesTheRepositoryEmpty(t *testing.T) {
	repo := memory.NewMovieRepository()
	movie := porttest.NewMovie(t, porttest.NewExternalID(t), "Wild Strawberries", 1957, "")
	review := porttest.NewReview(t, movie.ID, domain.NewUserID(), 4, time.Date(2024, 1, 1, 20, 0, 0, 0, time.UTC))
	review.CreatedAt = time.Time{}
	if _, err := repo.SaveViewing(t.Context(), domain.Viewing{Movie: movie, Review: review}); err == nil {
		t.Fatal("SaveViewing of a review without created_at succeeded")
	}
	if _, err := repo.MovieByID(t.Context(), movie.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MovieByID after the failed save: error = %v, want ErrNotFound", err)
	}
}

func TestMetadataKeepsItsOwnCopyOfTheFilms(t *testing.T) {
	films := porttest.MetadataFixtures(t)
	want := films[0]
	c := memory.NewMetadata(films...)
	films[0] = films[1]

	got, err := c.MetadataByExternalID(t.Context(), want.ExternalID)
	if err != nil {
		t.Fatalf("MetadataByExternalID: %v", err)
	}
	if got != want {
		t.Errorf("after the caller changed its slice the client answers %v, want %v", got.Title, want.Title)
	}
}

func TestMetadataSearchWithoutYearReturnsTheFirstFilmGiven(t *testing.T) {
	films := porttest.MetadataFixtures(t)
	dune1984, dune2021 := films[3], films[4]
	for _, tc := range []struct {
		name  string
		order []domain.MovieMetadata
		want  domain.MovieMetadata
	}{
		{"older first", []domain.MovieMetadata{dune1984, dune2021}, dune1984},
		{"newer first", []domain.MovieMetadata{dune2021, dune1984}, dune2021},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := memory.NewMetadata(tc.order...).SearchMetadata(t.Context(), dune1984.Title, domain.ReleaseYear{})
			if err != nil {
				t.Fatalf("SearchMetadata: %v", err)
			}
			if got != tc.want {
				t.Errorf("SearchMetadata = %v (%v), want %v (%v)", got.Title, got.ReleaseYear, tc.want.Title, tc.want.ReleaseYear)
			}
		})
	}
}

func TestMetadataWithoutExternalIDIsFoundByTitleOnly(t *testing.T) {
	film := domain.MovieMetadata{Title: domain.MustNewMovieTitle("Home Movie"), ReleaseYear: domain.MustNewReleaseYear(2001)}
	c := memory.NewMetadata(film)
	if _, err := c.SearchMetadata(t.Context(), film.Title, film.ReleaseYear); err != nil {
		t.Errorf("SearchMetadata: %v", err)
	}
	if _, err := c.MetadataByExternalID(t.Context(), domain.ExternalMetadataID{}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("MetadataByExternalID(zero) error = %v, want ErrNotFound", err)
	}
}

func TestSaveUserWithATakenIDIsAConflict(t *testing.T) {
	repo := memory.NewUserRepository()
	first := porttest.NewUser(t, "first@example.com")
	if err := repo.SaveUser(t.Context(), first); err != nil {
		t.Fatalf("SaveUser: %v", err)
	}
	again := porttest.NewUser(t, "other@example.com")
	again.ID = first.ID
	if err := repo.SaveUser(t.Context(), again); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("SaveUser with a taken ID: error = %v, want ErrConflict", err)
	}
	if _, err := repo.UserByEmail(t.Context(), again.Email); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("UserByEmail(refused user) error = %v, want ErrNotFound", err)
	}
}

func TestQueryDiaryByMovieAndUserWhicheverListIsShorter(t *testing.T) {
	repo := memory.NewMovieRepository()
	popular := porttest.NewMovie(t, porttest.NewExternalID(t), "Casablanca", 1942, "")
	rare := porttest.NewMovie(t, porttest.NewExternalID(t), "Obscure", 1970, "")
	fan, casual := domain.NewUserID(), domain.NewUserID()
	base := time.Date(2024, 1, 1, 20, 0, 0, 0, time.UTC)
	save := func(m domain.Movie, u domain.UserID, i int) {
		r := porttest.NewReview(t, m.ID, u, 3, base.Add(time.Duration(i)*time.Hour))
		if _, err := repo.SaveViewing(t.Context(), domain.Viewing{Movie: m, Review: r}); err != nil {
			t.Fatalf("SaveViewing: %v", err)
		}
	}
	for i := range 6 {
		save(popular, fan, i) // the fan's list and the popular movie's list are long
	}
	save(popular, casual, 10)
	save(rare, fan, 11)
	save(rare, fan, 12)

	for _, tc := range []struct {
		name   string
		filter domain.DiaryFilter
		want   int
	}{
		{"user list shorter", domain.DiaryFilter{MovieID: popular.ID, UserID: casual}, 1},
		{"movie list shorter", domain.DiaryFilter{MovieID: rare.ID, UserID: fan}, 2},
		{"both long", domain.DiaryFilter{MovieID: popular.ID, UserID: fan}, 6},
		{"no overlap", domain.DiaryFilter{MovieID: rare.ID, UserID: casual}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := repo.QueryDiary(t.Context(), domain.DiaryQuery{Filter: tc.filter})
			if err != nil {
				t.Fatalf("QueryDiary: %v", err)
			}
			if page.TotalCount != tc.want || len(page.Entries) != tc.want {
				t.Fatalf("%d entries, TotalCount %d; want %d", len(page.Entries), page.TotalCount, tc.want)
			}
			for _, e := range page.Entries {
				if e.Movie.ID != tc.filter.MovieID || e.Review.UserID != tc.filter.UserID {
					t.Errorf("entry of movie %v by %v does not match the filter", e.Movie.ID, e.Review.UserID)
				}
			}
		})
	}
}
