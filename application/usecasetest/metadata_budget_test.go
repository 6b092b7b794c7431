package application_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

func TestNewMetadataBudgetChecksItsConfig(t *testing.T) {
	ctrl := gomock.NewController(t)
	inner, quota := mock.NewMockMetadataClient(ctrl), mock.NewMockQuotaCounter(ctrl)
	_, err := application.NewMetadataBudget(nil, quota, application.MetadataBudgetConfig{}, nil)
	requireKind(t, err, application.ErrMissingDependency)
	_, err = application.NewMetadataBudget(inner, nil, application.MetadataBudgetConfig{Limit: 10}, nil)
	requireKind(t, err, application.ErrMissingDependency)
	_, err = application.NewMetadataBudget(inner, quota, application.MetadataBudgetConfig{Limit: -1, Rate: -2}, nil)
	requireKind(t, err, domain.ErrValidation)
	if _, err := application.NewMetadataBudget(inner, nil, application.MetadataBudgetConfig{}, nil); err != nil {
		t.Fatalf("no limit needs no quota counter: %v", err)
	}
}

var heatID = domain.MustParseExternalMetadataID("tt0113277")

func TestMetadataBudgetTakesAUnitOfTheWindowsQuota(t *testing.T) {
	tests := []struct {
		name       string
		window     time.Duration
		now        time.Time
		wantWindow time.Time
	}{
		{"24h windows are UTC days", 0, time.Date(2025, 6, 1, 23, 59, 0, 0, time.FixedZone("CEST", 2*3600)),
			time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)},
		{"hours", time.Hour, time.Date(2025, 6, 1, 12, 34, 56, 7, time.UTC), time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)},
		// 5h windows since the Unix epoch: 2025-06-01T12:00Z is 485,772h
		// after it, 97,154 windows and 2h (time.Truncate, which counts from
		// year 1, would say 12:00).
		{"aligned to the Unix epoch", 5 * time.Hour, time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctrl := gomock.NewController(t)
			inner, quota := mock.NewMockMetadataClient(ctrl), mock.NewMockQuotaCounter(ctrl)
			b := must(application.NewMetadataBudget(inner, quota, application.MetadataBudgetConfig{Limit: 1000, Window: tt.window},
				func() time.Time { return tt.now }))
			quota.EXPECT().TakeQuota(gomock.Any(), "omdb", tt.wantWindow, 1000).Return(true, nil)
			inner.EXPECT().MetadataByExternalID(gomock.Any(), heatID).Return(metadataOf("tt0113277", "Heat", 1995, ""), nil)
			if _, err := b.MetadataByExternalID(t.Context(), heatID); err != nil {
				t.Fatal(err)
			}
			quota.EXPECT().QuotaUsed(gomock.Any(), "omdb", tt.wantWindow).Return(1, nil)
			s, err := b.Stats(t.Context())
			if err != nil || s != (application.MetadataBudgetStats{Limit: 1000, Used: 1, Requests: 1}) {
				t.Fatalf("Stats = %+v, %v", s, err)
			}
		})
	}
}

func TestMetadataBudgetSpentDefersUntilTheNextWindow(t *testing.T) {
	ctrl := gomock.NewController(t)
	inner, quota := mock.NewMockMetadataClient(ctrl), mock.NewMockQuotaCounter(ctrl)
	now := time.Date(2025, 6, 1, 18, 30, 0, 0, time.UTC)
	b := must(application.NewMetadataBudget(inner, quota, application.MetadataBudgetConfig{Limit: 2},
		func() time.Time { return now }))
	day := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	// Once spent, the window is not asked again: the inner client never is.
	quota.EXPECT().TakeQuota(gomock.Any(), "omdb", day, 2).Return(false, nil)
	for _, call := range []func() error{
		func() error {
			_, err := b.SearchMetadata(t.Context(), domain.MustNewMovieTitle("Heat"), domain.ReleaseYear{})
			return err
		},
		func() error { _, err := b.PosterURL(t.Context(), heatID); return err },
	} {
		err := call()
		var d *domain.DeferredError
		if !errors.As(err, &d) || !d.Until.Equal(day.Add(24*time.Hour)) {
			t.Fatalf("error %v, want a DeferredError until %v", err, day.Add(24*time.Hour))
		}
		requireKind(t, err, domain.ErrUnavailable)
	}
	// The next window asks again.
	now = now.Add(6 * time.Hour)
	quota.EXPECT().TakeQuota(gomock.Any(), "omdb", day.Add(24*time.Hour), 2).Return(true, nil)
	inner.EXPECT().PosterURL(gomock.Any(), heatID).Return(domain.PosterURL{}, nil)
	if _, err := b.PosterURL(t.Context(), heatID); err != nil {
		t.Fatal(err)
	}
	quota.EXPECT().QuotaUsed(gomock.Any(), "omdb", day.Add(24*time.Hour)).Return(1, nil)
	if s, err := b.Stats(t.Context()); err != nil || s.Deferred != 2 || s.Requests != 1 || s.Used != 1 {
		t.Fatalf("Stats = %+v, %v", s, err)
	}
}

func TestMetadataBudgetWithoutLimitCountsNothing(t *testing.T) {
	ctrl := gomock.NewController(t)
	inner := mock.NewMockMetadataClient(ctrl)
	b := must(application.NewMetadataBudget(inner, nil, application.MetadataBudgetConfig{}, clock))
	inner.EXPECT().MetadataByExternalID(gomock.Any(), heatID).Return(domain.MovieMetadata{}, domain.ErrNotFound).Times(3)
	for range 3 {
		if _, err := b.MetadataByExternalID(t.Context(), heatID); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("error %v, want the inner client's", err)
		}
	}
	if s, err := b.Stats(t.Context()); err != nil || s != (application.MetadataBudgetStats{Requests: 3}) {
		t.Fatalf("Stats = %+v, %v", s, err)
	}
}

func TestMetadataBudgetSpacesRequestsAtItsRate(t *testing.T) {
	ctrl := gomock.NewController(t)
	inner := mock.NewMockMetadataClient(ctrl)
	const rate = 20 // 50ms apart
	b := must(application.NewMetadataBudget(inner, nil, application.MetadataBudgetConfig{Rate: rate}, nil))
	var at []time.Time
	inner.EXPECT().PosterURL(gomock.Any(), heatID).DoAndReturn(func(context.Context, domain.ExternalMetadataID) (domain.PosterURL, error) {
		at = append(at, time.Now())
		return domain.PosterURL{}, nil
	}).Times(4)
	for range 4 {
		if _, err := b.PosterURL(t.Context(), heatID); err != nil {
			t.Fatal(err)
		}
	}
	// Turns are 50ms apart: the fourth request goes at least 150ms after
	// the first (timers never fire early).
	if d := at[3].Sub(at[0]); d < 150*time.Millisecond {
		t.Fatalf("4 requests at %d/s took %v", rate, d)
	}
}

func TestMetadataBudgetRateWaitIsBoundedByTheContext(t *testing.T) {
	ctrl := gomock.NewController(t)
	inner := mock.NewMockMetadataClient(ctrl)
	b := must(application.NewMetadataBudget(inner, nil, application.MetadataBudgetConfig{Rate: 0.1}, nil)) // 10s apart
	inner.EXPECT().PosterURL(gomock.Any(), heatID).Return(domain.PosterURL{}, nil)
	if _, err := b.PosterURL(t.Context(), heatID); err != nil {
		t.Fatal(err)
	}
	// The next turn is 10s away: a context with a shorter deadline is
	// refused at once, and one cancelled while waiting gives up its turn.
	short, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	start := time.Now()
	_, err := b.PosterURL(short, heatID)
	requireKind(t, err, domain.ErrUnavailable)
	requireKind(t, err, context.DeadlineExceeded)
	if time.Since(start) > 500*time.Millisecond {
		t.Fatal("a wait that cannot end before the deadline was waited for")
	}
	cancelled, cancelNow := context.WithCancel(t.Context())
	cancelNow()
	_, err = b.PosterURL(cancelled, heatID)
	requireKind(t, err, context.Canceled)
}
