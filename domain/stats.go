package domain

import (
	"context"
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
	// title, then movie ID).
	TopFilms []FilmCount
	// TopDirectors are the directors of the most-viewed films, most
	// viewings first (ties by name); films without a director do not
	// count.
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
	Year     int
	Viewings int
	Films    int
}

// MonthStats are one month's viewings.
type MonthStats struct {
	Year     int
	Month    time.Month
	Viewings int
}

// RatingCount is how many viewings got one rating.
type RatingCount struct {
	Rating Rating
	Count  int
}

// FilmCount is how many times a film was viewed.
type FilmCount struct {
	Movie    Movie
	Viewings int
}

// DirectorCount is how many viewings were of a director's films.
type DirectorCount struct {
	Director Director
	Viewings int
}

// StatsReader reads diary statistics. Implementations keep them up to date
// as reviews are logged, edited, deleted and moved (movie merges, a
// director found later), so that a read costs what the figures' size does,
// not what the diary's does: never a scan of the reviews.
type StatsReader interface {
	// DiaryStats returns the statistics q asks for. A user with no
	// viewings, or unknown, has zero Stats (not an error); whether a
	// private diary may be shown is the caller's question.
	DiaryStats(ctx context.Context, q StatsQuery) (Stats, error)
}

// ProfileWriter changes public profiles.
type ProfileWriter interface {
	// UpdateProfile applies p to the user's stored profile and returns
	// the user as stored. ErrNotFound when the user is unknown.
	UpdateProfile(ctx context.Context, id UserID, p ProfileUpdate) (User, error)
}

// DiaryChange says what a committed change may have altered, for caches of
// diary reads: the diaries of User and the history of Movie, and with them
// the whole diary; with All set, anything at all (a profile, a movie's
// metadata or poster, a merge, a change the source could not narrow).
type DiaryChange struct {
	All   bool
	User  UserID
	Movie MovieID
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

// ChangeListener is a store that reports the changes other processes
// commit (PostgreSQL's LISTEN/NOTIFY, SQLite's data version).
type ChangeListener interface {
	// ListenChanges calls fn for every change committed to the store, by
	// any process, until ctx ends or the connection fails (then it
	// returns the error; the caller reconnects and must assume anything
	// changed meanwhile). Changes of this process may be reported too.
	ListenChanges(ctx context.Context, fn func(DiaryChange)) error
}

// The years statistics may be asked for: films exist from 1888, and
// watched_at is a four-digit year.
const (
	MinStatsYear = 1888
	MaxStatsYear = 9999
)
