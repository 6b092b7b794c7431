package eventpublisher_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/adapters/eventpublisher"
	"github.com/moviediary/moviediary/domain"
)

func TestWorker_SingleHandlerReceivesEvent(t *testing.T) {
	t.Parallel()
	h := newRecorder("one")
	p, w := eventpublisher.CreateEventChannel(eventpublisher.Config{ChannelBuffer: 8},
		[]delivery.Handler{h}, eventpublisher.WithLogger(discardLogger()))
	startWorker(t, context.Background(), p, w)

	want := movieDiscovered(t)
	if err := p.Publish(context.Background(), want); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	got := h.waitFor(t, 1)
	if got[0].EventID() != want.EventID() || got[0].EventName() != domain.EventMovieDiscovered {
		t.Fatalf("handler got %v, want %v", got[0], want)
	}
}

func TestWorker_AllHandlersReceiveEachEventInRegistrationOrder(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		order []string
	)
	seen := make(chan struct{}, 3)
	mk := func(name string) delivery.Handler {
		return delivery.HandlerFunc(name, func(context.Context, domain.Event) error {
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			seen <- struct{}{}
			return nil
		})
	}
	p, w := eventpublisher.CreateEventChannel(eventpublisher.DefaultConfig(),
		[]delivery.Handler{mk("first"), mk("second"), nil, mk("third")},
		eventpublisher.WithLogger(discardLogger()))
	done := startWorker(t, context.Background(), p, w)

	if err := p.Publish(context.Background(), movieDiscovered(t)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	p.Close()
	if err := waitRun(t, done); err != nil {
		t.Fatalf("Run: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(order) != "[first second third]" {
		t.Fatalf("handlers ran in order %v, want [first second third]", order)
	}
}

func TestWorker_FailingHandlerStopsNeitherWorkerNorLaterHandlers(t *testing.T) {
	t.Parallel()
	failing := newRecorder("failing")
	failing.err = fmt.Errorf("boom: %w", domain.ErrInfrastructure)
	good := newRecorder("good")
	var handled []string
	var hmu sync.Mutex
	p, w := eventpublisher.CreateEventChannel(eventpublisher.Config{Retry: delivery.RetryPolicy{MaxAttempts: 1}},
		[]delivery.Handler{failing, good},
		eventpublisher.WithLogger(discardLogger()),
		eventpublisher.WithHandledHook(func(ev domain.EventName, handler string, err error) {
			hmu.Lock()
			handled = append(handled, fmt.Sprintf("%s/%s/%v", ev, handler, errors.Is(err, domain.ErrInfrastructure)))
			hmu.Unlock()
		}))
	startWorker(t, context.Background(), p, w)

	for _, e := range []domain.Event{movieDiscovered(t), reviewLogged(t)} {
		if err := p.Publish(context.Background(), e); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	good.waitFor(t, 2)
	failing.waitFor(t, 2)
	p.Close()
	hmu.Lock()
	defer hmu.Unlock()
	want := "[movie_discovered/failing/true movie_discovered/good/false review_logged/failing/true review_logged/good/false]"
	if fmt.Sprint(handled) != want {
		t.Fatalf("handled hook saw %v, want %v", handled, want)
	}
}

func TestWorker_PanickingHandlerIsRecoveredAsError(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	after := newRecorder("after")
	hookErr := make(chan error, 1)
	p, w := eventpublisher.CreateEventChannel(eventpublisher.Config{Retry: delivery.RetryPolicy{MaxAttempts: 1}},
		[]delivery.Handler{
			delivery.HandlerFunc("panicky", func(context.Context, domain.Event) error { panic("kaboom") }),
			after,
		},
		eventpublisher.WithLogger(jsonLogger(&logs)),
		eventpublisher.WithHandledHook(func(_ domain.EventName, handler string, err error) {
			if handler == "panicky" {
				hookErr <- err
			}
		}))
	done := startWorker(t, context.Background(), p, w)

	if err := p.Publish(context.Background(), movieDiscovered(t)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	after.waitFor(t, 1)
	err := <-hookErr
	var pe *delivery.PanicError
	if !errors.As(err, &pe) || pe.Value != "kaboom" || pe.Handler != "panicky" || len(pe.Stack) == 0 {
		t.Fatalf("handled hook got %#v, want a *PanicError for kaboom", err)
	}
	if !errors.Is(err, domain.ErrInfrastructure) {
		t.Errorf("errors.Is(%v, ErrInfrastructure) = false", err)
	}
	p.Close()
	if err := waitRun(t, done); err != nil {
		t.Fatalf("Run: %v", err)
	}
	failed := findRecords(logs.records(t), "event handler failed")
	if len(failed) != 1 || failed[0]["level"] != "WARN" || failed[0]["handler"] != "panicky" || failed[0]["stack"] == nil {
		t.Fatalf("want one WARN line for the panicky handler with its stack, got %v", failed)
	}
}

func TestPanicError_UnwrapsAnErrorValue(t *testing.T) {
	t.Parallel()
	cause := errors.New("cause")
	pe := &delivery.PanicError{Handler: "h", Value: cause}
	if !errors.Is(pe, cause) || !errors.Is(pe, domain.ErrInfrastructure) {
		t.Fatalf("PanicError %v does not match its cause and ErrInfrastructure", pe)
	}
	if (&delivery.PanicError{Value: 42}).Unwrap() != nil {
		t.Fatal("a non-error panic value must unwrap to nil")
	}
}

func TestWorker_LogsEveryEventWithTopLevelFields(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	failing := delivery.HandlerFunc("failing", func(context.Context, domain.Event) error {
		return fmt.Errorf("no luck: %w", domain.ErrUnavailable)
	})
	p, w := eventpublisher.CreateEventChannel(eventpublisher.Config{Retry: delivery.RetryPolicy{MaxAttempts: 1}},
		[]delivery.Handler{failing}, eventpublisher.WithLogger(jsonLogger(&logs)))
	md, rl := movieDiscovered(t), reviewLogged(t)
	for _, e := range []domain.Event{md, rl} {
		if err := p.Publish(context.Background(), e); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	p.Close()
	if err := w.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}

	recs := logs.records(t)
	events := findRecords(recs, "event")
	if len(events) != 2 {
		t.Fatalf("got %d event lines, want 2: %v", len(events), recs)
	}
	tests := []struct {
		name     string
		rec      map[string]any
		event    string
		eventID  string
		movieID  string
		reviewID any
	}{
		{"movie_discovered has no review_id", events[0], "movie_discovered", md.EventID().String(), md.Movie.String(), nil},
		{"review_logged has review_id", events[1], "review_logged", rl.EventID().String(), rl.Movie.String(), rl.ReviewID.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.rec["level"] != "INFO" || tt.rec["event"] != tt.event || tt.rec["event_id"] != tt.eventID ||
				tt.rec["movie_id"] != tt.movieID || tt.rec["review_id"] != tt.reviewID {
				t.Fatalf("log line %v, want event=%s event_id=%s movie_id=%s review_id=%v",
					tt.rec, tt.event, tt.eventID, tt.movieID, tt.reviewID)
			}
		})
	}
	failed := findRecords(recs, "event handler failed")
	if len(failed) != 2 {
		t.Fatalf("got %d failure lines, want 2", len(failed))
	}
	for _, f := range failed {
		if f["level"] != "WARN" || f["handler"] != "failing" || f["error"] != "no luck: upstream unavailable" {
			t.Errorf("failure line %v lacks level WARN, handler and error", f)
		}
	}
}

func TestRun_PreservesPublicationOrder(t *testing.T) {
	t.Parallel()
	h := newRecorder("order")
	p, w := eventpublisher.CreateEventChannel(eventpublisher.Config{ChannelBuffer: 4},
		[]delivery.Handler{h}, eventpublisher.WithLogger(discardLogger()))
	startWorker(t, context.Background(), p, w)

	const n = 200
	want := make([]domain.EventID, n)
	for i := range n {
		e := reviewLogged(t)
		want[i] = e.EventID()
		if err := p.Publish(context.Background(), e); err != nil {
			t.Fatalf("Publish %d: %v", i, err)
		}
	}
	got := h.waitFor(t, n)
	for i := range n {
		if got[i].EventID() != want[i] {
			t.Fatalf("event %d out of order", i)
		}
	}
}

func TestRun_DrainsBufferedEventsWhenPublisherCloses(t *testing.T) {
	t.Parallel()
	h := newRecorder("drain")
	p, w := eventpublisher.CreateEventChannel(eventpublisher.Config{ChannelBuffer: 8},
		[]delivery.Handler{h}, eventpublisher.WithLogger(discardLogger()))
	for range 5 {
		if err := p.Publish(context.Background(), movieDiscovered(t)); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	if p.Len() != 5 {
		t.Fatalf("Len = %d, want 5", p.Len())
	}
	p.Close()
	if err := w.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := len(h.snapshot()); got != 5 {
		t.Fatalf("drained %d events, want 5", got)
	}
}

func TestRun_CancelledContextDrainsWithUncancelledContext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		drainTimeout time.Duration
		wantDeadline bool
	}{
		{"no drain timeout", 0, false},
		{"drain timeout gives a deadline", time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var deadlines []bool
			h := newRecorder("drain")
			deadline := delivery.HandlerFunc("deadline", func(ctx context.Context, _ domain.Event) error {
				_, ok := ctx.Deadline()
				deadlines = append(deadlines, ok)
				return nil
			})
			p, w := eventpublisher.CreateEventChannel(eventpublisher.Config{ChannelBuffer: 8},
				[]delivery.Handler{h, deadline}, eventpublisher.WithLogger(discardLogger()),
				eventpublisher.WithDrainTimeout(tt.drainTimeout))
			for range 3 {
				if err := p.Publish(context.Background(), movieDiscovered(t)); err != nil {
					t.Fatalf("Publish: %v", err)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := w.Run(ctx); err != nil {
				t.Fatalf("Run: %v", err)
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			if len(h.ctxErr) != 3 {
				t.Fatalf("drained %d events, want 3", len(h.ctxErr))
			}
			for i, err := range h.ctxErr {
				if err != nil {
					t.Errorf("event %d handled with a done context: %v", i, err)
				}
				if deadlines[i] != tt.wantDeadline {
					t.Errorf("event %d: has deadline %v, want %v", i, deadlines[i], tt.wantDeadline)
				}
			}
			if err := p.Publish(context.Background(), movieDiscovered(t)); !errors.Is(err, eventpublisher.ErrClosed) {
				t.Fatalf("Publish after cancelled Run = %v, want ErrClosed", err)
			}
		})
	}
}

func TestRun_CancelWhileRunningStopsAndDrains(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	var ctxErrs []error
	blocking := delivery.HandlerFunc("blocking", func(ctx context.Context, _ domain.Event) error {
		started <- struct{}{}
		<-release
		ctxErrs = append(ctxErrs, ctx.Err())
		return nil
	})
	p, w := eventpublisher.CreateEventChannel(eventpublisher.Config{ChannelBuffer: 8},
		[]delivery.Handler{blocking}, eventpublisher.WithLogger(discardLogger()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	if err := p.Publish(context.Background(), movieDiscovered(t)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	<-started // the worker is inside the first event
	if err := p.Publish(context.Background(), movieDiscovered(t)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	cancel()
	close(release)
	if err := waitRun(t, done); err != nil {
		t.Fatalf("Run: %v", err)
	}
	// The first event ran under the live, then cancelled, context; the
	// second was drained with a context that is not cancelled.
	if len(ctxErrs) != 2 || !errors.Is(ctxErrs[0], context.Canceled) || ctxErrs[1] != nil {
		t.Fatalf("handler contexts: %v, want [context canceled <nil>]", ctxErrs)
	}
}

func TestRun_SecondCallFails(t *testing.T) {
	t.Parallel()
	p, w := eventpublisher.CreateEventChannel(eventpublisher.DefaultConfig(), nil, eventpublisher.WithLogger(discardLogger()))
	p.Close()
	if err := w.Run(context.Background()); err != nil {
		t.Fatalf("first Run: %v", err)
	}
	if err := w.Run(context.Background()); err == nil {
		t.Fatal("second Run returned nil, want an error")
	}
}

func TestPublish_AfterCloseReturnsUnavailable(t *testing.T) {
	t.Parallel()
	var hooked []error
	p, _ := eventpublisher.CreateEventChannel(eventpublisher.DefaultConfig(), nil,
		eventpublisher.WithPublishHook(func(_ domain.EventName, err error) { hooked = append(hooked, err) }))
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	err := p.Publish(context.Background(), movieDiscovered(t))
	if !errors.Is(err, eventpublisher.ErrClosed) || !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("Publish after Close = %v, want ErrClosed wrapping ErrUnavailable", err)
	}
	if len(hooked) != 1 || !errors.Is(hooked[0], eventpublisher.ErrClosed) {
		t.Fatalf("publish hook saw %v", hooked)
	}
}

func TestPublish_NilEventIsAValidationError(t *testing.T) {
	t.Parallel()
	p, _ := eventpublisher.CreateEventChannel(eventpublisher.DefaultConfig(), nil)
	if err := p.Publish(context.Background(), nil); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("Publish(nil) = %v, want ErrValidation", err)
	}
}

func TestPublish_ConcurrentWithCloseNeverPanicsOrLosesAcceptedEvents(t *testing.T) {
	t.Parallel()
	var handled atomic.Int64
	counter := delivery.HandlerFunc("count", func(context.Context, domain.Event) error {
		handled.Add(1)
		return nil
	})
	p, w := eventpublisher.CreateEventChannel(eventpublisher.Config{ChannelBuffer: 2},
		[]delivery.Handler{counter}, eventpublisher.WithLogger(discardLogger()))
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()

	const publishers, each = 8, 200
	var accepted, refused atomic.Int64
	var wg sync.WaitGroup
	halfway := make(chan struct{})
	var once sync.Once
	e := movieDiscovered(t)
	for i := range publishers {
		wg.Go(func() {
			for j := range each {
				if i == 0 && j == each/2 {
					once.Do(func() { close(halfway) })
				}
				switch err := p.Publish(context.Background(), e); {
				case err == nil:
					accepted.Add(1)
				case errors.Is(err, eventpublisher.ErrClosed):
					refused.Add(1)
				default:
					t.Errorf("Publish: unexpected %v", err)
				}
			}
		})
	}
	<-halfway
	p.Close()
	wg.Wait()
	if err := waitRun(t, done); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if accepted.Load()+refused.Load() != publishers*each {
		t.Fatalf("accepted %d + refused %d != %d", accepted.Load(), refused.Load(), publishers*each)
	}
	if handled.Load() != accepted.Load() {
		t.Fatalf("handled %d events, but Publish accepted %d", handled.Load(), accepted.Load())
	}
}

func TestPublish_WaitsOnFullBufferUntilContextDeadline(t *testing.T) {
	t.Parallel()
	p, _ := eventpublisher.CreateEventChannel(eventpublisher.Config{ChannelBuffer: 1}, nil)
	if err := p.Publish(context.Background(), movieDiscovered(t)); err != nil {
		t.Fatalf("first Publish: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := p.Publish(ctx, movieDiscovered(t))
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("Publish on a full buffer = %v, want DeadlineExceeded and ErrUnavailable", err)
	}
	if ctx.Err() == nil {
		t.Fatal("Publish returned before its context ended")
	}
	if p.Len() != 1 {
		t.Fatalf("Len = %d, want 1", p.Len())
	}
}

func TestPublish_BlockedPublishResumesWhenWorkerFreesSpace(t *testing.T) {
	t.Parallel()
	h := newRecorder("resume")
	p, w := eventpublisher.CreateEventChannel(eventpublisher.Config{ChannelBuffer: 1},
		[]delivery.Handler{h}, eventpublisher.WithLogger(discardLogger()))
	if err := p.Publish(context.Background(), movieDiscovered(t)); err != nil {
		t.Fatalf("first Publish: %v", err)
	}
	second := make(chan error, 1)
	go func() { second <- p.Publish(context.Background(), movieDiscovered(t)) }()
	startWorker(t, context.Background(), p, w)
	if err := waitRun(t, second); err != nil {
		t.Fatalf("blocked Publish: %v", err)
	}
	h.waitFor(t, 2)
}

func TestPublish_BlockedPublishFailsWhenPublisherCloses(t *testing.T) {
	t.Parallel()
	h := newRecorder("closed")
	p, w := eventpublisher.CreateEventChannel(eventpublisher.Config{ChannelBuffer: 1},
		[]delivery.Handler{h}, eventpublisher.WithLogger(discardLogger()))
	if err := p.Publish(context.Background(), movieDiscovered(t)); err != nil {
		t.Fatalf("first Publish: %v", err)
	}
	second := make(chan error, 1)
	go func() { second <- p.Publish(context.Background(), movieDiscovered(t)) }()
	p.Close()
	if err := waitRun(t, second); !errors.Is(err, eventpublisher.ErrClosed) {
		t.Fatalf("blocked Publish after Close = %v, want ErrClosed", err)
	}
	if err := w.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := len(h.snapshot()); n != 1 {
		t.Fatalf("handled %d events, want the 1 accepted", n)
	}
}
