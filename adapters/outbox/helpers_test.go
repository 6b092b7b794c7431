package outbox_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/memory"
	"github.com/moviediary/moviediary/adapters/outbox"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// waitDeadline bounds every wait for the dispatcher's goroutines.
const waitDeadline = 10 * time.Second

// eventually polls cond until it holds, failing t after waitDeadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitDeadline)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// receive waits for a value on ch, failing t after waitDeadline.
func receive[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitDeadline):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// clockStart is after every fixture event's occurrence.
var clockStart = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// failCall is one recorded FailEvent.
type failCall struct {
	ID      domain.EventID
	Failure string
	Next    time.Time
	Dead    bool
}

// spyOutbox is a real outbox that also reports the delivery outcomes the
// dispatcher records.
type spyOutbox struct {
	domain.Outbox
	fails     chan failCall
	completes chan domain.EventID
}

func newSpy(ob domain.Outbox) *spyOutbox {
	return &spyOutbox{Outbox: ob, fails: make(chan failCall, 100), completes: make(chan domain.EventID, 100)}
}

func (s *spyOutbox) CompleteEvent(ctx context.Context, id domain.EventID) error {
	err := s.Outbox.CompleteEvent(ctx, id)
	s.completes <- id
	return err
}

func (s *spyOutbox) FailEvent(ctx context.Context, id domain.EventID, failure string, next time.Time, dead bool) error {
	err := s.Outbox.FailEvent(ctx, id, failure, next, dead)
	s.fails <- failCall{id, failure, next, dead}
	return err
}

// sinkFunc adapts a function to outbox.Sink.
type sinkFunc func(ctx context.Context, e domain.Event) error

func (f sinkFunc) Deliver(ctx context.Context, e domain.Event, _ int) error { return f(ctx, e) }

// store is an in-memory repository in outbox mode.
type store struct {
	repo *memory.MovieRepository
	spy  *spyOutbox
}

func newStore() *store {
	repo := memory.NewMovieRepository(memory.WithOutbox())
	return &store{repo: repo, spy: newSpy(repo.Outbox())}
}

// logViewings saves n viewings of new movies without an IMDb ID — one
// review_logged event each, occurring at porttest.FixtureTime — and returns
// the event IDs in order.
func (s *store) logViewings(t *testing.T, n int) []domain.EventID {
	t.Helper()
	user := porttest.NewUser(t, "owner@example.com")
	ids := make([]domain.EventID, 0, n)
	for i := range n {
		m := porttest.NewMovie(t, domain.ExternalMetadataID{}, "Film", 1950+i, "")
		saved, err := s.repo.SaveViewing(context.Background(), domain.Viewing{
			Movie:  m,
			Review: porttest.NewReview(t, m.ID, user.ID, 4, porttest.FixtureTime),
		})
		if err != nil {
			t.Fatalf("SaveViewing: %v", err)
		}
		for _, e := range saved.Events {
			ids = append(ids, e.EventID())
		}
	}
	return ids
}

func (s *store) pending(t *testing.T) int {
	t.Helper()
	n, err := s.spy.PendingEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// after is a WithAfter stand-in whose timers never fire by themselves:
// tests wake the dispatcher with Notify. It records the durations asked
// for.
type after struct {
	mu    sync.Mutex
	asked []time.Duration
}

func (a *after) After(d time.Duration) <-chan time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, d)
	return nil
}

func (a *after) Asked(d time.Duration) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, x := range a.asked {
		if x == d {
			return true
		}
	}
	return false
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// running is a dispatcher running in the background.
type running struct {
	d      *outbox.Dispatcher
	cancel context.CancelFunc
	done   chan error
}

// start runs d until the test ends (or stop).
func start(t *testing.T, d *outbox.Dispatcher) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{d: d, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(waitDeadline):
			t.Errorf("Run did not return after cancel")
		}
	})
	return r
}

// stop cancels Run and waits for it to return nil.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	if err := receive(t, "Run to return", r.done); err != nil {
		t.Errorf("Run returned %v, want nil", err)
	}
	r.done <- nil // for the cleanup
}
