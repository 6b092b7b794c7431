package eventpublisher_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/adapters/eventpublisher"
	"github.com/moviediary/moviediary/domain"
)

// flaky fails its first failures calls with err, then succeeds.
type flaky struct {
	mu       sync.Mutex
	failures int
	err      error
	calls    int
}

func (f *flaky) Name() string { return "flaky" }

func (f *flaky) Handle(context.Context, domain.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.failures {
		return f.err
	}
	return nil
}

// TestWorker_RetriesByThePolicy: the channel bus applies the one retry
// policy per event — transient failures are retried until success or the
// last attempt, permanent ones are given up at once — and reports every
// attempt to the attempt hook.
func TestWorker_RetriesByThePolicy(t *testing.T) {
	t.Parallel()
	transient := fmt.Errorf("poster host down: %w", domain.ErrUnavailable)
	permanent := fmt.Errorf("no such film: %w", domain.ErrNotFound)
	tests := []struct {
		name      string
		failures  int
		err       error
		wantCalls int
		want      string // outcomes of the attempts
	}{
		{"success at once", 0, nil, 1, "[1:success]"},
		{"two transient failures, then success", 2, transient, 3, "[1:retry 2:retry 3:success]"},
		{"transient failures use every attempt", 10, transient, 4, "[1:retry 2:retry 3:retry 4:dead/exhausted]"},
		{"a permanent failure is not retried", 10, permanent, 1, "[1:dead/permanent]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &flaky{failures: tc.failures, err: tc.err}
			var (
				mu       sync.Mutex
				outcomes []string
				delays   []time.Duration
			)
			done := make(chan struct{})
			policy := delivery.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond}
			p, w := eventpublisher.CreateEventChannel(eventpublisher.Config{Retry: policy}, []delivery.Handler{h},
				eventpublisher.WithLogger(discardLogger()),
				eventpublisher.WithAttemptHook(func(a delivery.Attempt) {
					mu.Lock()
					defer mu.Unlock()
					s := fmt.Sprintf("%d:%s", a.Number, a.Outcome)
					if a.Reason != "" {
						s += "/" + string(a.Reason)
					}
					outcomes = append(outcomes, s)
					if a.Outcome == delivery.OutcomeRetry {
						delays = append(delays, a.Delay)
					}
					if a.Outcome != delivery.OutcomeRetry {
						close(done)
					}
				}))
			startWorker(t, context.Background(), p, w)
			if err := p.Publish(context.Background(), movieDiscovered(t)); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the event was never settled")
			}
			p.Close()
			mu.Lock()
			defer mu.Unlock()
			if got := fmt.Sprint(outcomes); got != tc.want {
				t.Errorf("attempts = %s, want %s", got, tc.want)
			}
			for i, d := range delays {
				if want := policy.Delay(i + 1); d != want {
					t.Errorf("delay after attempt %d = %v, want %v", i+1, d, want)
				}
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.calls != tc.wantCalls {
				t.Errorf("handler called %d times, want %d", h.calls, tc.wantCalls)
			}
		})
	}
}

// TestWorker_ShutdownStopsTheBackoff: cancelling Run's context while the
// worker waits to retry gives the event up at once (reason cancelled)
// instead of holding shutdown for the whole backoff.
func TestWorker_ShutdownStopsTheBackoff(t *testing.T) {
	t.Parallel()
	h := &flaky{failures: 100, err: fmt.Errorf("down: %w", domain.ErrUnavailable)}
	var logs logBuffer
	retried := make(chan struct{}, 1)
	p, w := eventpublisher.CreateEventChannel(
		eventpublisher.Config{Retry: delivery.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Hour}},
		[]delivery.Handler{h},
		eventpublisher.WithLogger(jsonLogger(&logs)),
		eventpublisher.WithAttemptHook(func(a delivery.Attempt) {
			if a.Outcome == delivery.OutcomeRetry {
				retried <- struct{}{}
			}
		}),
		eventpublisher.WithDrainTimeout(time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	if err := p.Publish(context.Background(), movieDiscovered(t)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	<-retried
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run kept waiting for the one-hour backoff")
	}
	gaveUp := findRecords(logs.records(t), "event delivery gave up")
	if len(gaveUp) != 1 || gaveUp[0]["reason"] != "cancelled" || gaveUp[0]["level"] != "ERROR" {
		t.Fatalf("give-up lines = %v, want one ERROR with reason cancelled", gaveUp)
	}
}
