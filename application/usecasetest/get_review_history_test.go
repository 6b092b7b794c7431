package application_test

import (
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

func TestGetReviewHistory(t *testing.T) {
	t.Parallel()
	movie := mustMovie(shawshankID, shawshank, shawshankYear, shawshankDir)
	user := domain.NewUserID()
	viewer := user // the reader is asked as the viewer given
	viewing := func(rating float64, daysAgo int) domain.Review {
		return must(domain.NewReview(movie.ID, user, domain.MustNewRating(rating), domain.Comment{},
			fixedNow.Add(-time.Duration(daysAgo)*24*time.Hour), fixedNow))
	}
	first, second, third := viewing(2, 30), viewing(3, 20), viewing(5, 10)
	unrated := must(domain.NewReview(movie.ID, user, domain.Rating{}, domain.Comment{}, fixedNow.Add(-5*24*time.Hour), fixedNow))

	tests := []struct {
		name      string
		viewings  []domain.Review // as the reader returns them
		wantOrder []domain.Review
		wantTrend domain.Trend
	}{
		{"no viewings has no trend", nil, nil, domain.TrendNone},
		{"only unrated viewings have no trend", []domain.Review{unrated}, []domain.Review{unrated}, domain.TrendNone},
		{"an unrated latest viewing does not count", []domain.Review{unrated, first, third}, []domain.Review{first, third, unrated}, domain.TrendImproved},
		{"one viewing is neutral", []domain.Review{first}, []domain.Review{first}, domain.TrendNeutral},
		{"viewings come back oldest first whatever the reader's order", []domain.Review{third, first, second}, []domain.Review{first, second, third}, domain.TrendImproved},
		{"a lower latest rating declined", []domain.Review{third, viewing(1, 1)}, []domain.Review{third, {}}, domain.TrendDeclined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reader := mock.NewMockDiaryReader(gomock.NewController(t))
			uc := must(application.NewGetReviewHistory(reader))
			reader.EXPECT().ReviewHistory(gomock.Any(), movie.ID, viewer).
				Return(domain.ReviewHistory{Movie: movie, Viewings: tt.viewings}, nil)
			h, err := uc.Handle(t.Context(), " "+movie.ID.String()+" ", viewer)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if h.Movie != movie || len(h.Viewings) != len(tt.wantOrder) {
				t.Fatalf("history = %+v, want movie %v with %d viewings", h, movie.ID, len(tt.wantOrder))
			}
			for i, w := range tt.wantOrder {
				if w.ID.IsZero() {
					continue // unnamed in the table; the trend checks it
				}
				if h.Viewings[i].ID != w.ID {
					t.Errorf("viewing %d = %v, want %v", i, h.Viewings[i].ID, w.ID)
				}
			}
			if got := h.Trend(); got != tt.wantTrend {
				t.Errorf("trend = %s, want %s", got, tt.wantTrend)
			}
		})
	}
}

func TestGetReviewHistoryErrors(t *testing.T) {
	t.Parallel()
	id := domain.NewMovieID()
	tests := []struct {
		name     string
		movieID  string
		readErr  error // nil: the reader must not be asked
		wantKind error
	}{
		{"malformed movie ID is a validation error", "not-a-uuid", nil, domain.ErrValidation},
		{"nil UUID is a validation error", "00000000-0000-0000-0000-000000000000", nil, domain.ErrValidation},
		{"unknown movie is not found", id.String(), errNoRow, domain.ErrNotFound},
		{"reader failure keeps its kind", id.String(), errDB, domain.ErrInfrastructure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reader := mock.NewMockDiaryReader(gomock.NewController(t))
			uc := must(application.NewGetReviewHistory(reader))
			if tt.readErr != nil {
				reader.EXPECT().ReviewHistory(gomock.Any(), id, domain.UserID{}).Return(domain.ReviewHistory{}, tt.readErr)
			}
			_, err := uc.Handle(t.Context(), tt.movieID, domain.UserID{})
			requireKind(t, err, tt.wantKind)
			if tt.wantKind == domain.ErrValidation {
				requireFields(t, err, "movie_id")
			}
		})
	}
}

func TestNewGetReviewHistoryRejectsANilReader(t *testing.T) {
	t.Parallel()
	_, err := application.NewGetReviewHistory(nil)
	requireKind(t, err, application.ErrMissingDependency)
}
