package wiring_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/adapters/eventpublisher"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/presentation/wiring"
)

var syncNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// recordingSyncer answers the n-th call with results[n-1] (nil once they
// run out, or the last one forever when sticky) and records every call.
type recordingSyncer struct {
	results []error
	sticky  bool

	mu    sync.Mutex
	calls []domain.MovieID
}

func (s *recordingSyncer) HandleDiscovered(_ context.Context, e domain.MovieDiscovered) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, e.Movie)
	n := len(s.calls)
	switch {
	case n <= len(s.results):
		return s.results[n-1]
	case s.sticky && len(s.results) > 0:
		return s.results[len(s.results)-1]
	}
	return nil
}

func (s *recordingSyncer) attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

func discovered(t *testing.T) domain.MovieDiscovered {
	t.Helper()
	m, err := domain.NewMovie(domain.MustParseExternalMetadataID("tt0133093"),
		domain.MustNewMovieTitle("The Matrix"), domain.MustNewReleaseYear(1999), domain.Director{})
	if err != nil {
		t.Fatal(err)
	}
	return domain.NewMovieDiscovered(m, domain.PosterURL{}, syncNow)
}

func logged(t *testing.T) domain.ReviewLogged {
	t.Helper()
	r, err := domain.NewReview(domain.NewMovieID(), domain.NewUserID(), domain.MustNewRating(5),
		domain.Comment{}, syncNow.Add(-time.Hour), syncNow)
	if err != nil {
		t.Fatal(err)
	}
	return domain.NewReviewLogged(r, syncNow)
}

var errOMDbDown = fmt.Errorf("omdb: 503: %w", domain.ErrUnavailable)

// TestPosterSyncHandler_OneAttemptPerDelivery: the handler syncs the
// discovered movie once per call, keeps the failure's kind (the bus's
// retry policy decides on it) and ignores other events.
func TestPosterSyncHandler_OneAttemptPerDelivery(t *testing.T) {
	t.Parallel()
	notFound := fmt.Errorf("no such film: %w", domain.ErrNotFound)
	tests := []struct {
		name      string
		event     func(*testing.T) domain.Event
		result    error
		wantCalls int
		wantKind  error
	}{
		{"a discovered movie is synced", func(t *testing.T) domain.Event { return discovered(t) }, nil, 1, nil},
		{"a pointer to one too", func(t *testing.T) domain.Event { e := discovered(t); return &e }, nil, 1, nil},
		{"a transient failure keeps its kind", func(t *testing.T) domain.Event { return discovered(t) }, errOMDbDown, 1, domain.ErrUnavailable},
		{"a permanent failure keeps its kind", func(t *testing.T) domain.Event { return discovered(t) }, notFound, 1, domain.ErrNotFound},
		{"another event is ignored", func(t *testing.T) domain.Event { return logged(t) }, nil, 0, nil},
		{"a nil pointer is ignored", func(*testing.T) domain.Event { return (*domain.MovieDiscovered)(nil) }, nil, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			syncer := &recordingSyncer{results: []error{tc.result}}
			err := wiring.NewPosterSyncHandler(syncer).Handle(context.Background(), tc.event(t))
			if tc.wantKind == nil && err != nil || tc.wantKind != nil && !errors.Is(err, tc.wantKind) {
				t.Errorf("Handle = %v, want kind %v", err, tc.wantKind)
			}
			if got := syncer.attempts(); got != tc.wantCalls {
				t.Errorf("syncer called %d times, want %d", got, tc.wantCalls)
			}
		})
	}
}

func TestPosterSyncHandler_IsNamedPosterSync(t *testing.T) {
	t.Parallel()
	if got := wiring.NewPosterSyncHandler(&recordingSyncer{}).Name(); got != "poster_sync" || wiring.PosterSyncHandlerName != "poster_sync" {
		t.Fatalf("Name() = %q, want poster_sync", got)
	}
}

func TestPosterSyncHandler_WithoutSyncerFailsPermanently(t *testing.T) {
	t.Parallel()
	err := wiring.NewPosterSyncHandler(nil).Handle(context.Background(), discovered(t))
	if !errors.Is(err, domain.ErrMisconfigured) || !domain.IsPermanent(err) {
		t.Fatalf("Handle = %v, want a permanent ErrMisconfigured", err)
	}
}

// TestPosterSyncHandler_RetriedByThePosterPolicy: on the channel bus with
// the configured poster policy (POSTER_SYNC_MAX_RETRIES,
// POSTER_SYNC_BASE_DELAY), a sync failing twice is retried after the
// base delay and then its double, and succeeds at the third attempt.
func TestPosterSyncHandler_RetriedByThePosterPolicy(t *testing.T) {
	t.Parallel()
	cfg, err := wiring.LoadConfig(envOf(map[string]string{"POSTER_SYNC_MAX_RETRIES": "3", "POSTER_SYNC_BASE_DELAY": "5ms"}))
	if err != nil {
		t.Fatal(err)
	}
	syncer := &recordingSyncer{results: []error{errOMDbDown, errOMDbDown}}
	var logs jsonLogBuffer
	var (
		mu       sync.Mutex
		attempts []delivery.Attempt
	)
	p, w := eventpublisher.CreateEventChannel(eventpublisher.Config{Retry: cfg.PosterRetry()},
		[]delivery.Handler{wiring.NewPosterSyncHandler(syncer)},
		eventpublisher.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
		eventpublisher.WithAttemptHook(func(a delivery.Attempt) {
			mu.Lock()
			defer mu.Unlock()
			attempts = append(attempts, a)
		}))
	e := discovered(t)
	for _, ev := range []domain.Event{logged(t), e} {
		if err := p.Publish(context.Background(), ev); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	p.Close()
	if err := w.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := syncer.attempts(); got != 3 {
		t.Fatalf("syncer called %d times, want 3", got)
	}
	mu.Lock()
	defer mu.Unlock()
	var got []string
	for _, a := range attempts {
		if a.Event.EventName() == domain.EventMovieDiscovered {
			got = append(got, fmt.Sprintf("%d:%s:%v", a.Number, a.Outcome, a.Delay))
		}
	}
	if want := []string{"1:retry:5ms", "2:retry:10ms", "3:success:0s"}; !slices.Equal(got, want) {
		t.Errorf("poster sync attempts = %v, want %v", got, want)
	}
	if n := len(findLogs(logs.records(t), "event delivery failed, retrying")); n != 2 {
		t.Errorf("retry log lines = %d, want 2", n)
	}
}

func findLogs(recs []map[string]any, msg string) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

// jsonLogBuffer collects a JSON logger's lines for inspection.
type jsonLogBuffer struct{ syncBuffer }

func (b *jsonLogBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(strings.NewReader(b.String()))
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("decode log line: %v", err)
		}
		out = append(out, m)
	}
	return out
}
