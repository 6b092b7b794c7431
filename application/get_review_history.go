package application

import (
	"context"
	"fmt"
	"strings"

	"github.com/moviediary/moviediary/domain"
)

// GetReviewHistory returns a movie and every viewing of it, oldest first.
// The trend of the ratings is ReviewHistory.Trend.
type GetReviewHistory struct {
	reader domain.DiaryReader
}

// NewGetReviewHistory returns the GetReviewHistory use case; reader must not
// be nil.
func NewGetReviewHistory(reader domain.DiaryReader) (*GetReviewHistory, error) {
	if err := checkDependencies("GetReviewHistory", dependency{"reader", reader}); err != nil {
		return nil, err
	}
	return &GetReviewHistory{reader: reader}, nil
}

// Handle returns the history of the movie whose ID is movieID: a validation
// error (field movie_id) when it is not a movie ID, an error wrapping
// domain.ErrNotFound when no such movie is stored. The viewings are sorted
// by watched_at ascending whatever order the reader gave them in; the
// viewings of private diaries other than viewer's are left out (a zero
// viewer is signed out).
func (uc *GetReviewHistory) Handle(ctx context.Context, movieID string, viewer domain.UserID) (domain.ReviewHistory, error) {
	id, err := domain.ParseMovieID(strings.TrimSpace(movieID))
	if err != nil {
		var v domain.Validation
		v.Check("movie_id", err)
		return domain.ReviewHistory{}, v.Err()
	}
	h, err := uc.reader.ReviewHistory(ctx, id, viewer)
	if err != nil {
		return domain.ReviewHistory{}, fmt.Errorf("review history of movie %s: %w", id, err)
	}
	return domain.NewReviewHistory(h.Movie, h.Viewings), nil
}
