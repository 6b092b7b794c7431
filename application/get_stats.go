package application

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/moviediary/moviediary/domain"
)

// StatsRequest asks for statistics; its fields are raw client input.
type StatsRequest struct {
	// UserID is the diary; "" asks for the whole diary (public diaries
	// only).
	UserID string
	// Year restricts the figures to viewings watched that year; "" means
	// all time.
	Year string
	// Viewer is who asks; zero when signed out.
	Viewer domain.UserID
}

// StatsResult is the statistics asked for, with the diary they are of.
type StatsResult struct {
	// User is the diary's owner; zero for the whole diary.
	User domain.User
	// Year is the year the figures are restricted to; 0 for all time.
	Year int
	// Stats are the figures.
	Stats domain.Stats
}

// GetStats reads the statistics of one diary or of the whole diary.
type GetStats struct {
	stats domain.StatsReader
	users UserFinder
}

// NewGetStats returns the GetStats use case; no port may be nil
// (ErrMissingDependency).
func NewGetStats(stats domain.StatsReader, users UserFinder) (*GetStats, error) {
	if err := checkDependencies("GetStats", dependency{"stats", stats}, dependency{"users", users}); err != nil {
		return nil, err
	}
	return &GetStats{stats: stats, users: users}, nil
}

// Handle validates r (fields user_id, year, reported together) and returns
// the statistics: of the user's diary when r.UserID is set — an error
// wrapping domain.ErrNotFound when the user is unknown or their diary is
// private to someone else — or of the whole diary, where private diaries
// never count, the viewer's own included.
func (uc *GetStats) Handle(ctx context.Context, r StatsRequest) (StatsResult, error) {
	var (
		v   domain.Validation
		q   domain.StatsQuery
		err error
	)
	if r.UserID != "" {
		q.User, err = domain.ParseUserID(strings.TrimSpace(r.UserID))
		v.Check("user_id", err)
	}
	if r.Year != "" {
		y, err := strconv.Atoi(strings.TrimSpace(r.Year))
		if err != nil || y < domain.MinStatsYear || y > domain.MaxStatsYear {
			v.Add("year", fmt.Sprintf("must be a year from %d to %d", domain.MinStatsYear, domain.MaxStatsYear))
		}
		q.Year = y
	}
	if err := v.Err(); err != nil {
		return StatsResult{}, err
	}
	res := StatsResult{Year: q.Year}
	if !q.User.IsZero() {
		if res.User, err = visibleUser(ctx, uc.users, q.User, r.Viewer); err != nil {
			return StatsResult{}, fmt.Errorf("statistics: %w", err)
		}
	}
	if res.Stats, err = uc.stats.DiaryStats(ctx, q); err != nil {
		return StatsResult{}, fmt.Errorf("statistics: %w", err)
	}
	return res, nil
}
