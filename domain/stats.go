package domain

import (
	"time"
)

// StatsQuery asks for the statistics of one diary, or of the whole diary.
type StatsQuery struct {
	// User is the diary; zero asks for the whole diary: the viewings of
	// every public diary (private diaries are left out, their owner's
	// included).
	User UserID
	// Year, when not zero, restricts every figure to the viewings watched
	// that year (UTC).
	Year int
	// Top is how many films and directors TopFilms and TopDirectors list;
	// zero means DefaultStatsTop.
	Top int
}

// Statistics bounds.
const (
	// DefaultStatsTop is how many films and directors are listed unless
	// a query says otherwise.
	DefaultStatsTop = 10
	// MaxStatsTop is the most a query may ask for.
	MaxStatsTop = 100
)

// TopOrDefault returns q.Top, or DefaultStatsTop when it is zero.
func (q StatsQuery) TopOrDefault() int {
	if q.Top <= 0 {
		return DefaultStatsTop
	}
	return min(q.Top, MaxStatsTop)
}

// Stats are the figures of a diary over the viewings a StatsQuery selects.
type Stats struct {
	// Viewings counts the viewings.
	Viewings int
	// Films counts the distinct films viewed.
	Films int
	// Rated counts the rated viewings.
	Rated int
	// RatingHalves is the sum of the rated viewings' ratings, in half
	// stars: AverageRating is RatingHalves / 2 / Rated.
	RatingHalves int
	// ByYear are the viewings and distinct films of each year with any,
	// oldest first.
	ByYear []YearStats
	// ByMonth are the viewings of each month with any, oldest first.
	ByMonth []MonthStats
	// Ratings are the rated viewings per rating, highest rating first,
	// ratings without a viewing left out.
	Ratings []RatingCount
	// TopFilms are the most-viewed films, most viewings first (ties by
	// movie ID, in the byte order of the UUID).
	TopFilms []FilmCount
	// TopDirectors are the directors of the most-viewed films, most
	// viewings first (ties by name, in byte order); films without a
	// director do not count.
	TopDirectors []DirectorCount
}

// Rewatches counts the viewings of a film after its first within the
// viewings selected: Viewings − Films.
func (s Stats) Rewatches() int { return s.Viewings - s.Films }

// AverageRating returns the mean rating of the rated viewings in stars,
// and false when none is rated.
func (s Stats) AverageRating() (float64, bool) {
	if s.Rated == 0 {
		return 0, false
	}
	return float64(s.RatingHalves) / 2 / float64(s.Rated), true
}

// YearStats are one year's figures.
type YearStats struct {
	// Year is the year (UTC) the viewings were watched in.
	Year int
	// Viewings counts the year's viewings.
	Viewings int
	// Films counts the distinct films viewed that year.
	Films int
}

// MonthStats are one month's viewings.
type MonthStats struct {
	// Year and Month are the month (UTC) the viewings were watched in.
	Year int
	// Month is the month of Year.
	Month time.Month
	// Viewings counts the month's viewings.
	Viewings int
}

// RatingCount is how many viewings got one rating.
type RatingCount struct {
	// Rating is the rating, never zero.
	Rating Rating
	// Count counts the viewings rated so.
	Count int
}

// FilmCount is how many times a film was viewed.
type FilmCount struct {
	// Movie is the film as stored.
	Movie Movie
	// Viewings counts its viewings.
	Viewings int
}

// DirectorCount is how many viewings were of a director's films.
type DirectorCount struct {
	// Director is the director, never zero.
	Director Director
	// Viewings counts the viewings of their films.
	Viewings int
}

// DiaryChange says what a committed change may have altered, for caches of
// diary reads: the diaries of User and the history of Movie, and with them
// the whole diary; with All set, anything at all (a profile, a movie's
// metadata or poster, a merge, a change the source could not narrow).
//
// A ChangeListener also reports how far it has heard: a DiaryChange with
// only Through set changes nothing, and says every change committed before
// Through has been reported.
type DiaryChange struct {
	// All says anything may have changed.
	All bool
	// User is the user whose diary changed; zero when not known.
	User UserID
	// Movie is the movie whose history changed; zero when not known.
	Movie MovieID
	// Through, when not zero, is when the listener's latest read of the
	// store began, by this machine's clock: every change committed before
	// then has been reported.
	Through time.Time
}

// Changes reports whether c says something changed; false for a report of
// Through alone.
func (c DiaryChange) Changes() bool {
	return c.All || !c.User.IsZero() || !c.Movie.IsZero()
}

// ChangeOf returns what e changes in the diary, and false for an event
// that changes nothing readers see (a play reported, a film waiting for
// its metadata).
func ChangeOf(e Event) (DiaryChange, bool) {
	switch ev := e.(type) {
	case ReviewLogged:
		return DiaryChange{User: ev.UserID, Movie: ev.Movie}, true
	case *ReviewLogged:
		return ChangeOf(*ev)
	case ReviewEdited:
		return DiaryChange{User: ev.UserID, Movie: ev.Movie}, true
	case *ReviewEdited:
		return ChangeOf(*ev)
	case ReviewDeleted:
		return DiaryChange{User: ev.UserID, Movie: ev.Movie}, true
	case *ReviewDeleted:
		return ChangeOf(*ev)
	case MovieDiscovered, *MovieDiscovered, PosterStored, *PosterStored, ProfileChanged, *ProfileChanged:
		return DiaryChange{All: true}, true
	}
	return DiaryChange{}, false
}

// The years statistics may be asked for: films exist from 1888, and
// watched_at is a four-digit year.
const (
	MinStatsYear = 1888
	MaxStatsYear = 9999
)
