package presentation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/eventpublisher"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/presentation"
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

func (s *recordingSyncer) Handle(_ context.Context, id domain.MovieID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, id)
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

// recordingSleeper records the requested delays without waiting and
// returns ctx's error, as the real sleeper does when ctx is done.
type recordingSleeper struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (s *recordingSleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.delays = append(s.delays, d)
	s.mu.Unlock()
	return ctx.Err()
}

type syncLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncLogBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(b.buf.Bytes()))
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("decode log line: %v", err)
		}
		out = append(out, m)
	}
	return out
}

func discovered(t *testing.T) domain.MovieDiscovered {
	t.Helper()
	m, err := domain.NewMovie(domain.MustParseExternalMetadataID("tt0133093"),
		domain.MustNewMovieTitle("The Matrix"), domain.MustNewReleaseYear(1999), domain.Director{})
	if err != nil {
		t.Fatal(err)
	}
	return domain.NewMovieDiscovered(m, syncNow)
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

func newHandler(syncer presentation.PosterSyncer, sl *recordingSleeper, logs *syncLogBuffer) eventpublisher.EventHandler {
	cfg := eventpublisher.DefaultRetryConfig()
	cfg.Sleep = sl.sleep
	logger := slog.New(slog.DiscardHandler)
	if logs != nil {
		logger = slog.New(slog.NewJSONHandler(logs, nil))
	}
	return presentation.NewPosterSyncHandler(syncer, cfg, logger)
}

var errOMDbDown = fmt.Errorf("omdb: 503: %w", domain.ErrUnavailable)

func TestPosterSyncHandler_Attempts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		event        func(*testing.T) domain.Event
		syncer       *recordingSyncer
		wantAttempts int
		wantDelays   []time.Duration
		wantErr      error
	}{
		{
			name:         "review_logged is ignored without calling the syncer",
			event:        func(t *testing.T) domain.Event { return logged(t) },
			syncer:       &recordingSyncer{results: []error{errOMDbDown}, sticky: true},
			wantAttempts: 0,
		},
		{
			name:         "success takes one attempt",
			event:        func(t *testing.T) domain.Event { return discovered(t) },
			syncer:       &recordingSyncer{},
			wantAttempts: 1,
		},
		{
			name:         "a pointer to the event works the same",
			event:        func(t *testing.T) domain.Event { e := discovered(t); return &e },
			syncer:       &recordingSyncer{},
			wantAttempts: 1,
		},
		{
			name:         "fail, fail, succeed takes three attempts after 1s and 2s",
			event:        func(t *testing.T) domain.Event { return discovered(t) },
			syncer:       &recordingSyncer{results: []error{errOMDbDown, errOMDbDown}},
			wantAttempts: 3,
			wantDelays:   []time.Duration{time.Second, 2 * time.Second},
		},
		{
			name:         "always failing gives up after four attempts, waiting 1s, 2s, 4s",
			event:        func(t *testing.T) domain.Event { return discovered(t) },
			syncer:       &recordingSyncer{results: []error{errors.New("first"), errOMDbDown}, sticky: true},
			wantAttempts: 4,
			wantDelays:   []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
			wantErr:      errOMDbDown,
		},
		{
			name:         "not found is not retried",
			event:        func(t *testing.T) domain.Event { return discovered(t) },
			syncer:       &recordingSyncer{results: []error{fmt.Errorf("movie: %w", domain.ErrNotFound)}, sticky: true},
			wantAttempts: 1,
			wantErr:      domain.ErrNotFound,
		},
		{
			name:         "a permanent poster answer is not retried",
			event:        func(t *testing.T) domain.Event { return discovered(t) },
			syncer:       &recordingSyncer{results: []error{fmt.Errorf("poster: not an image: %w", domain.ErrPermanent)}, sticky: true},
			wantAttempts: 1,
			wantErr:      domain.ErrPermanent,
		},
		{
			name:  "a validation error is not retried",
			event: func(t *testing.T) domain.Event { return discovered(t) },
			syncer: &recordingSyncer{results: []error{&domain.ValidationError{
				Fields: []domain.FieldError{{Field: "poster_url", Rule: "must be an absolute http or https URL"}}}}, sticky: true},
			wantAttempts: 1,
			wantErr:      domain.ErrValidation,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var sl recordingSleeper
			h := newHandler(tt.syncer, &sl, nil)
			e := tt.event(t)
			err := h.Handle(context.Background(), e)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Handle = %v, want %v", err, tt.wantErr)
			}
			if got := tt.syncer.attempts(); got != tt.wantAttempts {
				t.Errorf("syncer called %d times, want %d", got, tt.wantAttempts)
			}
			for _, id := range tt.syncer.calls {
				if id != e.MovieID() {
					t.Errorf("syncer called with %s, want the event's movie %s", id, e.MovieID())
				}
			}
			if !slices.Equal(sl.delays, tt.wantDelays) {
				t.Errorf("delays = %v, want %v", sl.delays, tt.wantDelays)
			}
		})
	}
}

func TestPosterSyncHandler_IsNamedPosterSync(t *testing.T) {
	t.Parallel()
	h := presentation.NewPosterSyncHandler(&recordingSyncer{}, eventpublisher.DefaultRetryConfig(), nil)
	if h.Name() != "poster_sync" {
		t.Fatalf("Name = %q, want poster_sync", h.Name())
	}
}

func TestPosterSyncHandler_CancelledContextStopsBackoffAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		cancelBefore int // cancel when the sleeper is asked for this wait (1-based)
		wantAttempts int
	}{
		{"cancelled during the first wait", 1, 1},
		{"cancelled during the second wait", 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			syncer := &recordingSyncer{results: []error{errOMDbDown}, sticky: true}
			var waits []time.Duration
			cfg := eventpublisher.DefaultRetryConfig()
			cfg.Sleep = func(ctx context.Context, d time.Duration) error {
				waits = append(waits, d)
				if len(waits) == tt.cancelBefore {
					cancel() // shutdown arrives while waiting
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				default:
					return nil
				}
			}
			h := presentation.NewPosterSyncHandler(syncer, cfg, slog.New(slog.DiscardHandler))
			err := h.Handle(ctx, discovered(t))
			if !errors.Is(err, context.Canceled) || !errors.Is(err, errOMDbDown) {
				t.Fatalf("Handle = %v, want context.Canceled and the last sync error", err)
			}
			if got := syncer.attempts(); got != tt.wantAttempts {
				t.Fatalf("syncer called %d times, want %d", got, tt.wantAttempts)
			}
			if len(waits) != tt.cancelBefore {
				t.Fatalf("sleeper asked %d times, want %d", len(waits), tt.cancelBefore)
			}
		})
	}
}

func TestPosterSyncHandler_GiveUpLogsErrorWithAttempts(t *testing.T) {
	t.Parallel()
	var (
		sl   recordingSleeper
		logs syncLogBuffer
	)
	syncer := &recordingSyncer{results: []error{errOMDbDown}, sticky: true}
	e := discovered(t)
	if err := newHandler(syncer, &sl, &logs).Handle(context.Background(), e); !errors.Is(err, errOMDbDown) {
		t.Fatalf("Handle = %v, want %v", err, errOMDbDown)
	}
	var gaveUp []map[string]any
	for _, r := range logs.records(t) {
		if r["level"] == "ERROR" {
			gaveUp = append(gaveUp, r)
		}
	}
	if len(gaveUp) != 1 {
		t.Fatalf("got %d ERROR lines, want 1", len(gaveUp))
	}
	g := gaveUp[0]
	if g["attempts"] != 4.0 || g["handler"] != "poster_sync" || g["movie_id"] != e.Movie.String() ||
		g["event"] != "movie_discovered" {
		t.Fatalf("give-up line %v, want attempts 4, handler poster_sync, event movie_discovered, movie_id", g)
	}
}

func TestPosterSyncHandler_WithoutSyncerFailsPermanently(t *testing.T) {
	t.Parallel()
	var sl recordingSleeper
	err := newHandler(nil, &sl, nil).Handle(context.Background(), discovered(t))
	if !errors.Is(err, domain.ErrMisconfigured) || len(sl.delays) != 0 {
		t.Fatalf("Handle = %v after %d waits, want ErrMisconfigured and no retry", err, len(sl.delays))
	}
}

func TestPosterSyncHandler_RunsInTheEventWorker(t *testing.T) {
	t.Parallel()
	syncer := &recordingSyncer{}
	h := presentation.NewPosterSyncHandler(syncer, eventpublisher.DefaultRetryConfig(), slog.New(slog.DiscardHandler))
	p, w := eventpublisher.CreateEventChannel(eventpublisher.DefaultConfig(), []eventpublisher.EventHandler{h},
		eventpublisher.WithLogger(slog.New(slog.DiscardHandler)))
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
	if len(syncer.calls) != 1 || syncer.calls[0] != e.Movie {
		t.Fatalf("syncer calls %v, want exactly [%s]", syncer.calls, e.Movie)
	}
}
