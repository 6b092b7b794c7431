package memory

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/moviediary/moviediary/domain"
)

var _ domain.StatsReader = (*MovieRepository)(nil)

// WithUsers makes the repository see the accounts users keeps: the
// viewings of a user whose diary is private are left out of QueryDiary,
// ReviewHistory and the whole diary's DiaryStats for everyone but the
// user, from the moment UpdateProfile makes the diary private. Without
// it, and for a user users does not know, every diary is public.
func WithUsers(users *UserRepository) Option {
	return func(r *MovieRepository) { r.users = users }
}

// DiaryStats returns the statistics q asks for: of q.User's diary, private
// or not, or with a zero q.User of every diary but the private ones (see
// WithUsers). Unlike a database adapter, which keeps the figures up to
// date as it writes, it computes them by walking the viewings in scope —
// the user's, or the whole diary's — under the read lock: exact at once
// after every write, and costing what the scope's size does, which is
// fine for the diaries an in-memory store holds.
func (r *MovieRepository) DiaryStats(_ context.Context, q domain.StatsQuery) (domain.Stats, error) {
	var hidden map[domain.UserID]bool
	if q.User.IsZero() {
		hidden = r.users.hidden(domain.UserID{})
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	scope := r.reviews
	if !q.User.IsZero() {
		scope = r.byUser[q.User]
	}
	acc := newStatsAcc()
	for _, rev := range scope {
		if hidden[rev.UserID] {
			continue
		}
		if w := rev.WatchedAt.UTC(); q.Year == 0 || w.Year() == q.Year {
			acc.add(rev, w, r.movies[rev.MovieID].Director)
		}
	}
	return acc.stats(r.movies, q.TopOrDefault()), nil
}

// statsAcc accumulates the figures of the viewings it is given.
type statsAcc struct {
	s         domain.Stats
	films     map[domain.MovieID]int
	years     map[int]*yearAcc
	months    map[yearMonth]int
	ratings   map[int]int // by half stars
	directors map[domain.Director]int
}

type yearAcc struct {
	viewings int
	films    map[domain.MovieID]bool
}

type yearMonth struct {
	year  int
	month time.Month
}

func newStatsAcc() *statsAcc {
	return &statsAcc{
		films:     make(map[domain.MovieID]int),
		years:     make(map[int]*yearAcc),
		months:    make(map[yearMonth]int),
		ratings:   make(map[int]int),
		directors: make(map[domain.Director]int),
	}
}

// add counts rev, watched at w (UTC), of a film by director (zero when
// unknown).
func (a *statsAcc) add(rev *domain.Review, w time.Time, director domain.Director) {
	a.s.Viewings++
	a.films[rev.MovieID]++
	if !rev.Rating.IsZero() {
		a.s.Rated++
		a.s.RatingHalves += rev.Rating.Halves()
		a.ratings[rev.Rating.Halves()]++
	}
	y := a.years[w.Year()]
	if y == nil {
		y = &yearAcc{films: make(map[domain.MovieID]bool)}
		a.years[w.Year()] = y
	}
	y.viewings++
	y.films[rev.MovieID] = true
	a.months[yearMonth{w.Year(), w.Month()}]++
	if !director.IsZero() {
		a.directors[director]++
	}
}

// stats returns the figures, with top films and directors, in the orders
// domain.Stats documents; zero Stats when nothing was added.
func (a *statsAcc) stats(movies map[domain.MovieID]domain.Movie, top int) domain.Stats {
	s := a.s
	if s.Viewings == 0 {
		return domain.Stats{}
	}
	s.Films = len(a.films)
	for year, y := range a.years {
		s.ByYear = append(s.ByYear, domain.YearStats{Year: year, Viewings: y.viewings, Films: len(y.films)})
	}
	slices.SortFunc(s.ByYear, func(x, y domain.YearStats) int { return cmp.Compare(x.Year, y.Year) })
	for ym, n := range a.months {
		s.ByMonth = append(s.ByMonth, domain.MonthStats{Year: ym.year, Month: ym.month, Viewings: n})
	}
	slices.SortFunc(s.ByMonth, func(x, y domain.MonthStats) int {
		return cmp.Or(cmp.Compare(x.Year, y.Year), cmp.Compare(x.Month, y.Month))
	})
	for halves, n := range a.ratings {
		rating, _ := domain.RatingFromHalves(halves) // halves of a stored rating
		s.Ratings = append(s.Ratings, domain.RatingCount{Rating: rating, Count: n})
	}
	slices.SortFunc(s.Ratings, func(x, y domain.RatingCount) int { return cmp.Compare(y.Rating.Halves(), x.Rating.Halves()) })
	for id, n := range a.films {
		s.TopFilms = append(s.TopFilms, domain.FilmCount{Movie: movies[id], Viewings: n})
	}
	slices.SortFunc(s.TopFilms, func(x, y domain.FilmCount) int {
		return cmp.Or(cmp.Compare(y.Viewings, x.Viewings), compareUUID(x.Movie.ID.UUID(), y.Movie.ID.UUID()))
	})
	s.TopFilms = s.TopFilms[:min(len(s.TopFilms), top)]
	for d, n := range a.directors {
		s.TopDirectors = append(s.TopDirectors, domain.DirectorCount{Director: d, Viewings: n})
	}
	slices.SortFunc(s.TopDirectors, func(x, y domain.DirectorCount) int {
		return cmp.Or(cmp.Compare(y.Viewings, x.Viewings), strings.Compare(x.Director.String(), y.Director.String()))
	})
	s.TopDirectors = s.TopDirectors[:min(len(s.TopDirectors), top)]
	return s
}
