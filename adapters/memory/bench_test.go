package memory_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/memory"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// seedBench stores n viewings of 100 movies by 10 users, watched an hour
// apart in a scattered order.
func seedBench(b *testing.B, n int) (*memory.MovieRepository, []domain.Movie, []domain.UserID) {
	b.Helper()
	repo := memory.NewMovieRepository()
	movies := make([]domain.Movie, 100)
	for i := range movies {
		movies[i] = porttest.NewMovie(b, porttest.NewExternalID(b), fmt.Sprintf("Film %d", i), 1950+i%70, "")
	}
	users := make([]domain.UserID, 10)
	for i := range users {
		users[i] = domain.NewUserID()
	}
	base := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		m := movies[i%len(movies)]
		r := porttest.NewReview(b, m.ID, users[i%len(users)], float64(i%6), base.Add(time.Duration(i*7919%n)*time.Hour))
		if _, err := repo.SaveViewing(b.Context(), domain.Viewing{Movie: m, Review: r}); err != nil {
			b.Fatal(err)
		}
	}
	return repo, movies, users
}

func BenchmarkQueryDiary(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		repo, movies, users := seedBench(b, n)
		page, _ := domain.NewPage(20, 0)
		deep, _ := domain.NewPage(20, n/2)
		mid, err := repo.QueryDiary(b.Context(), domain.DiaryQuery{Page: deep})
		if err != nil {
			b.Fatal(err)
		}
		after := domain.PositionOf(mid.Entries[0])
		for _, bc := range []struct {
			name string
			q    domain.DiaryQuery
		}{
			{"first page", domain.DiaryQuery{Page: page}},
			{"middle page by offset", domain.DiaryQuery{Page: deep}},
			{"middle page by keyset", domain.DiaryQuery{Page: page, After: &after}},
			{"filtered by movie", domain.DiaryQuery{Page: page, Filter: domain.DiaryFilter{MovieID: movies[3].ID}}},
			{"filtered by user", domain.DiaryQuery{Page: page, Filter: domain.DiaryFilter{UserID: users[3]}}},
			{"filtered by movie and user", domain.DiaryQuery{Page: page, Filter: domain.DiaryFilter{MovieID: movies[3].ID, UserID: users[3]}}},
		} {
			b.Run(fmt.Sprintf("%d entries/%s", n, bc.name), func(b *testing.B) {
				for b.Loop() {
					if _, err := repo.QueryDiary(b.Context(), bc.q); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkSaveViewing(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("into %d entries", n), func(b *testing.B) {
			repo, movies, _ := seedBench(b, n)
			user := domain.NewUserID()
			watched := time.Date(2005, 6, 7, 8, 0, 0, 0, time.UTC)
			for b.Loop() {
				m := movies[0]
				r := porttest.NewReview(b, m.ID, user, 3, watched)
				if _, err := repo.SaveViewing(b.Context(), domain.Viewing{Movie: m, Review: r}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
