package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/adapters/outbox"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// newDispatcher builds a dispatcher on s with the fake clock and timers
// that never fire, so only Notify wakes it; the attempts it records go to
// the returned channel.
func newDispatcher(t *testing.T, s *store, sink outbox.Sink, cfg outbox.Config, clock *porttest.Clock, opts ...outbox.Option) (*outbox.Dispatcher, <-chan delivery.Attempt, *after) {
	t.Helper()
	attempts := make(chan delivery.Attempt, 100)
	a := &after{}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = time.Hour
	}
	opts = append([]outbox.Option{
		outbox.WithLogger(discard()),
		outbox.WithClock(clock.Now),
		outbox.WithAfter(a.After),
		outbox.WithAttemptHook(func(at delivery.Attempt) { attempts <- at }),
	}, opts...)
	d, err := outbox.New(s.spy, sink, cfg, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d, attempts, a
}

// receiveAttempts collects n attempts in the order of their numbers (the
// hook of one attempt may run after the next attempt started).
func receiveAttempts(t *testing.T, ch <-chan delivery.Attempt, n int) []delivery.Attempt {
	t.Helper()
	out := make([]delivery.Attempt, 0, n)
	for range n {
		out = append(out, receive(t, "attempt", ch))
	}
	slices.SortFunc(out, func(a, b delivery.Attempt) int { return a.Number - b.Number })
	return out
}

func TestSuccessCompletesTheEvent(t *testing.T) {
	t.Parallel()
	s := newStore()
	ids := s.logViewings(t, 1)
	var got atomic.Value
	d, attempts, _ := newDispatcher(t, s, sinkFunc(func(_ context.Context, e domain.Event) error {
		got.Store(e)
		return nil
	}), outbox.Config{}, porttest.NewClock(clockStart))
	start(t, d)

	if id := receive(t, "CompleteEvent", s.spy.completes); id != ids[0] {
		t.Fatalf("completed %s, want %s", id, ids[0])
	}
	a := receive(t, "the attempt", attempts)
	if a.Outcome != delivery.OutcomeSuccess || a.Number != 1 || a.Err != nil {
		t.Errorf("attempt = %+v, want success #1", a)
	}
	if e, _ := got.Load().(domain.Event); e == nil || e.EventID() != ids[0] || e.EventName() != domain.EventReviewLogged {
		t.Errorf("sink got %v, want the review_logged event %s", e, ids[0])
	}
	if n := s.pending(t); n != 0 {
		t.Errorf("pending = %d after success, want 0", n)
	}
}

func TestFailFailSucceedBacksOffExponentially(t *testing.T) {
	t.Parallel()
	s := newStore()
	ids := s.logViewings(t, 1)
	var calls atomic.Int32
	sink := sinkFunc(func(context.Context, domain.Event) error {
		if n := calls.Add(1); n <= 2 {
			return fmt.Errorf("poster host answered 503 (try %d): %w", n, domain.ErrUnavailable)
		}
		return nil
	})
	clock := porttest.NewClock(clockStart)
	const base = 10 * time.Second
	d, attempts, timers := newDispatcher(t, s, sink, outbox.Config{Retry: delivery.RetryPolicy{BaseDelay: base}}, clock)
	start(t, d)

	f1 := receive(t, "first failure", s.spy.fails)
	if f1.ID != ids[0] || f1.Dead || !f1.Next.Equal(clockStart.Add(base)) || !strings.Contains(f1.Failure, "try 1") {
		t.Fatalf("first FailEvent = %+v, want due at start+%v, not dead", f1, base)
	}
	// The dispatcher knows the retry time: it sleeps until then, not for
	// its hour-long poll interval.
	eventually(t, "a sleep of exactly the base delay", func() bool { return timers.Asked(base) })

	// Not due a moment before: a wake-up claims nothing.
	clock.Set(clockStart.Add(base - time.Millisecond))
	d.Notify()
	clock.Set(clockStart.Add(base))
	d.Notify()
	f2 := receive(t, "second failure", s.spy.fails)
	if want := clockStart.Add(base + 2*base); f2.Dead || !f2.Next.Equal(want) {
		t.Fatalf("second FailEvent = %+v, want due at %v (2·base later)", f2, want)
	}
	clock.Set(f2.Next)
	d.Notify()
	receive(t, "CompleteEvent", s.spy.completes)

	var outcomes []string
	for _, a := range receiveAttempts(t, attempts, 3) {
		outcomes = append(outcomes, fmt.Sprintf("%d:%s", a.Number, a.Outcome))
	}
	if got, want := strings.Join(outcomes, " "), "1:retry 2:retry 3:success"; got != want {
		t.Errorf("attempts = %s, want %s", got, want)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("sink called %d times, want 3", n)
	}
}

func TestAlwaysFailingEventDiesAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	s := newStore()
	ids := s.logViewings(t, 1)
	var calls atomic.Int32
	sink := sinkFunc(func(context.Context, domain.Event) error {
		return fmt.Errorf("boom %d: %w", calls.Add(1), domain.ErrUnavailable)
	})
	clock := porttest.NewClock(clockStart)
	d, attempts, _ := newDispatcher(t, s, sink, outbox.Config{Retry: delivery.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Second}}, clock)
	start(t, d)

	wantNext := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	for i := range 4 {
		f := receive(t, fmt.Sprintf("failure %d", i+1), s.spy.fails)
		if i < 3 {
			if f.Dead || f.Next.Sub(clock.Now()) != wantNext[i] {
				t.Fatalf("failure %d = %+v, want due %v later", i+1, f, wantNext[i])
			}
			clock.Set(f.Next)
			d.Notify()
			continue
		}
		if !f.Dead || !strings.Contains(f.Failure, "boom 4") {
			t.Fatalf("last failure = %+v, want dead with boom 4", f)
		}
	}
	for i, a := range receiveAttempts(t, attempts, 4) {
		want := delivery.OutcomeRetry
		if i == 3 {
			want = delivery.OutcomeDead
		}
		if a.Number != i+1 || a.Outcome != want {
			t.Errorf("attempt %d = #%d %s, want %s", i+1, a.Number, a.Outcome, want)
		}
	}
	dead, err := s.spy.DeadEvents(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Event.EventID() != ids[0] || dead[0].Attempts != 4 || !strings.Contains(dead[0].LastError, "boom 4") {
		t.Fatalf("dead events = %+v, want the event with 4 attempts and boom 4", dead)
	}
	if n := calls.Load(); n != 4 {
		t.Errorf("sink called %d times, want 4", n)
	}
}

// TestMaxDelayCapsTheBackoff: a relay that keeps failing (a broker's
// outage) with many attempts allowed waits base·2^n only up to MaxDelay,
// and is delivered once the sink works again.
func TestMaxDelayCapsTheBackoff(t *testing.T) {
	t.Parallel()
	s := newStore()
	s.logViewings(t, 1)
	var calls atomic.Int32
	sink := sinkFunc(func(context.Context, domain.Event) error {
		if n := calls.Add(1); n <= 5 {
			return fmt.Errorf("broker down (try %d): %w", n, domain.ErrUnavailable)
		}
		return nil
	})
	clock := porttest.NewClock(clockStart)
	cfg := outbox.Config{Retry: delivery.RetryPolicy{MaxAttempts: 1000, BaseDelay: time.Second, MaxDelay: 3 * time.Second}}
	d, attempts, _ := newDispatcher(t, s, sink, cfg, clock)
	start(t, d)

	wantNext := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second, 3 * time.Second}
	for i, want := range wantNext {
		f := receive(t, fmt.Sprintf("failure %d", i+1), s.spy.fails)
		if f.Dead || f.Next.Sub(clock.Now()) != want {
			t.Fatalf("failure %d = %+v, want due %v later, not dead", i+1, f, want)
		}
		clock.Set(f.Next)
		d.Notify()
	}
	receive(t, "CompleteEvent", s.spy.completes)
	got := receiveAttempts(t, attempts, 6)
	if last := got[5]; last.Number != 6 || last.Outcome != delivery.OutcomeSuccess {
		t.Errorf("last attempt = #%d %s, want #6 success", last.Number, last.Outcome)
	}
}

func TestPermanentErrorDiesAtOnce(t *testing.T) {
	t.Parallel()
	s := newStore()
	s.logViewings(t, 1)
	var calls atomic.Int32
	sink := sinkFunc(func(context.Context, domain.Event) error {
		calls.Add(1)
		return fmt.Errorf("poster host answered 404: %w", domain.ErrNotFound)
	})
	d, attempts, _ := newDispatcher(t, s, sink, outbox.Config{Retry: delivery.RetryPolicy{MaxAttempts: 4}}, porttest.NewClock(clockStart))
	start(t, d)
	f := receive(t, "FailEvent", s.spy.fails)
	if !f.Dead || !strings.Contains(f.Failure, "404") {
		t.Fatalf("FailEvent = %+v, want dead with the 404", f)
	}
	if a := receive(t, "attempt", attempts); a.Number != 1 || a.Outcome != delivery.OutcomeDead || !errors.Is(a.Err, domain.ErrNotFound) {
		t.Errorf("attempt = %+v, want #1 dead", a)
	}
	dead, err := s.spy.DeadEvents(context.Background(), 10)
	if err != nil || len(dead) != 1 || dead[0].Attempts != 1 {
		t.Fatalf("dead = %+v (%v), want one event with 1 attempt", dead, err)
	}
}

func TestPanickingSinkIsAFailedAttempt(t *testing.T) {
	t.Parallel()
	s := newStore()
	s.logViewings(t, 1)
	sink := sinkFunc(func(context.Context, domain.Event) error { panic("handler bug") })
	d, _, _ := newDispatcher(t, s, sink, outbox.Config{}, porttest.NewClock(clockStart))
	start(t, d)
	f := receive(t, "FailEvent", s.spy.fails)
	if f.Dead || !strings.Contains(f.Failure, "handler bug") {
		t.Fatalf("FailEvent = %+v, want a retry naming the panic", f)
	}
}

// TestHangingEventDoesNotDelayOthers: event A's handler hangs; event B,
// stored after it, is delivered while A is still blocked.
func TestHangingEventDoesNotDelayOthers(t *testing.T) {
	t.Parallel()
	s := newStore()
	ids := s.logViewings(t, 2)
	a, b := ids[0], ids[1]
	release := make(chan struct{})
	aStarted := make(chan struct{})
	var aReturned atomic.Bool
	sink := sinkFunc(func(ctx context.Context, e domain.Event) error {
		if e.EventID() == a {
			close(aStarted)
			<-release
			aReturned.Store(true)
		}
		return nil
	})
	d, _, _ := newDispatcher(t, s, sink, outbox.Config{Concurrency: 4}, porttest.NewClock(clockStart))
	start(t, d)

	receive(t, "A to start", aStarted)
	if id := receive(t, "B to complete", s.spy.completes); id != b {
		t.Fatalf("first completed %s, want B %s", id, b)
	}
	if aReturned.Load() {
		t.Fatal("A returned before it was released")
	}
	close(release)
	if id := receive(t, "A to complete", s.spy.completes); id != a {
		t.Fatalf("completed %s, want A", id)
	}
}

func TestConcurrencyBound(t *testing.T) {
	t.Parallel()
	s := newStore()
	const events, limit = 7, 2
	s.logViewings(t, events)
	var cur, peak atomic.Int32
	started := make(chan struct{}, events)
	release := make(chan struct{}, events)
	sink := sinkFunc(func(ctx context.Context, e domain.Event) error {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		started <- struct{}{}
		<-release
		cur.Add(-1)
		return nil
	})
	d, _, _ := newDispatcher(t, s, sink, outbox.Config{Concurrency: limit, BatchSize: 10}, porttest.NewClock(clockStart))
	start(t, d)
	for i := range limit {
		receive(t, fmt.Sprintf("delivery %d to start", i+1), started)
	}
	for i := limit; i < events+limit; i++ {
		// Every event is due: wake the dispatcher again and again while
		// the slots are full; it must not start more.
		for range 5 {
			d.Notify()
		}
		release <- struct{}{} // one slot frees: one more starts
		if i < events {
			receive(t, fmt.Sprintf("delivery %d to start", i+1), started)
		}
	}
	for range events {
		receive(t, "completion", s.spy.completes)
	}
	if p := peak.Load(); p != limit {
		t.Errorf("peak concurrency = %d, want %d", p, limit)
	}
}

func TestShutdownWaitsForDeliveriesInFlight(t *testing.T) {
	t.Parallel()
	s := newStore()
	ids := s.logViewings(t, 1)
	started, release := make(chan struct{}), make(chan struct{})
	var ctxErr atomic.Value
	sink := sinkFunc(func(ctx context.Context, e domain.Event) error {
		close(started)
		<-release
		ctxErr.Store(fmt.Sprint(ctx.Err()))
		return nil
	})
	d, _, _ := newDispatcher(t, s, sink, outbox.Config{ShutdownTimeout: time.Hour}, porttest.NewClock(clockStart))
	r := start(t, d)
	receive(t, "the delivery to start", started)
	r.cancel()
	select {
	case <-r.done:
		t.Fatal("Run returned while a delivery was in flight")
	default:
	}
	close(release)
	if err := receive(t, "Run to return", r.done); err != nil {
		t.Errorf("Run = %v", err)
	}
	r.done <- nil
	if got := ctxErr.Load(); got != "<nil>" {
		t.Errorf("the delivery's context was cancelled by shutdown: %v", got)
	}
	select {
	case id := <-s.spy.completes:
		if id != ids[0] {
			t.Errorf("completed %s", id)
		}
	default:
		t.Error("the in-flight event was not completed before Run returned")
	}
}

func TestShutdownIsBounded(t *testing.T) {
	t.Parallel()
	s := newStore()
	ids := s.logViewings(t, 1)
	started := make(chan struct{})
	sink := sinkFunc(func(ctx context.Context, e domain.Event) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	clock := porttest.NewClock(clockStart)
	d, attempts, _ := newDispatcher(t, s, sink, outbox.Config{ShutdownTimeout: 20 * time.Millisecond, Retry: delivery.RetryPolicy{MaxAttempts: 1}}, clock)
	r := start(t, d)
	receive(t, "the delivery to start", started)
	r.stop(t)
	f := receive(t, "FailEvent", s.spy.fails)
	if f.ID != ids[0] || f.Dead || !f.Next.Equal(clock.Now()) || !strings.Contains(f.Failure, outbox.ErrInterrupted.Error()) {
		t.Errorf("FailEvent = %+v, want interrupted, due now, not dead even at MaxAttempts 1", f)
	}
	if a := receive(t, "attempt", attempts); a.Reason != delivery.ReasonInterrupted || a.Outcome != delivery.OutcomeRetry {
		t.Errorf("attempt = %+v, want an interrupted retry", a)
	}
	if n := s.pending(t); n != 1 {
		t.Errorf("pending = %d, want the event kept", n)
	}
}

func TestDrainOnStop(t *testing.T) {
	t.Parallel()
	for _, drain := range []bool{false, true} {
		t.Run(fmt.Sprintf("drain=%v", drain), func(t *testing.T) {
			t.Parallel()
			s := newStore()
			s.logViewings(t, 5)
			var delivered atomic.Int32
			sink := sinkFunc(func(context.Context, domain.Event) error { delivered.Add(1); return nil })
			// Nothing is due when Run starts: the clock is before the events.
			clock := porttest.NewClock(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
			d, _, timers := newDispatcher(t, s, sink, outbox.Config{Concurrency: 2, DrainOnStop: drain}, clock)
			r := start(t, d)
			eventually(t, "the first sleep", func() bool { return timers.Asked(time.Hour) })
			clock.Set(clockStart) // now all five are due, but nobody woke the dispatcher
			r.stop(t)
			want := 0
			if drain {
				want = 5
			}
			if n := int(delivered.Load()); n != want {
				t.Errorf("delivered %d events at stop, want %d", n, want)
			}
			if n := s.pending(t); n != 5-want {
				t.Errorf("pending = %d, want %d", n, 5-want)
			}
		})
	}
}

func TestDeliveryTimeoutBoundsADelivery(t *testing.T) {
	t.Parallel()
	s := newStore()
	s.logViewings(t, 1)
	var deadline atomic.Value
	sink := sinkFunc(func(ctx context.Context, e domain.Event) error {
		dl, _ := ctx.Deadline()
		deadline.Store(time.Until(dl))
		return nil
	})
	d, _, _ := newDispatcher(t, s, sink, outbox.Config{Lease: time.Second, DeliveryTimeout: time.Hour}, porttest.NewClock(clockStart))
	start(t, d)
	receive(t, "CompleteEvent", s.spy.completes)
	left, _ := deadline.Load().(time.Duration)
	if left <= time.Hour-time.Minute || left > time.Hour {
		t.Errorf("delivery deadline %v away, want the delivery timeout (1h), not the lease", left)
	}
}

// TestRunningDeliveriesKeepTheirClaims: a delivery that runs many leases
// long keeps its event — the dispatcher renews the claim — so no other
// claimer gets it meanwhile; once the delivery is over nothing renews it.
func TestRunningDeliveriesKeepTheirClaims(t *testing.T) {
	t.Parallel()
	s := newStore()
	s.logViewings(t, 1)
	const lease = 60 * time.Millisecond
	started, release := make(chan struct{}), make(chan struct{})
	sink := sinkFunc(func(ctx context.Context, e domain.Event) error {
		close(started)
		<-release
		return fmt.Errorf("still down: %w", domain.ErrUnavailable)
	})
	d, err := outbox.New(s.spy, sink, outbox.Config{Lease: lease, PollInterval: time.Hour,
		Retry: delivery.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Hour}}, outbox.WithLogger(discard()))
	if err != nil {
		t.Fatal(err)
	}
	start(t, d)
	receive(t, "delivery start", started)
	other := s.repo.Outbox()
	for deadline := time.Now().Add(10 * lease); time.Now().Before(deadline); {
		got, err := other.ClaimEvents(context.Background(), time.Now(), 10, lease)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			close(release)
			t.Fatalf("another claimer got %d events while the delivery ran, %v after it began", len(got), time.Until(deadline)+10*lease)
		}
		time.Sleep(lease / 6) // polling another claimer, as a second process would
	}
	close(release)
	receive(t, "FailEvent", s.spy.fails)
	if n := s.pending(t); n != 1 {
		t.Errorf("pending = %d, want the failed event still pending", n)
	}
}

func TestNotifierWakesTheDispatcher(t *testing.T) {
	t.Parallel()
	s := newStore()
	var published []domain.EventName
	var mu sync.Mutex
	d, _, timers := newDispatcher(t, s, sinkFunc(func(context.Context, domain.Event) error { return nil }), outbox.Config{}, porttest.NewClock(clockStart))
	n := outbox.NewNotifier(d, outbox.WithPublishHook(func(name domain.EventName, err error) {
		mu.Lock()
		defer mu.Unlock()
		published = append(published, name)
	}))
	start(t, d)
	eventually(t, "the first sleep", func() bool { return timers.Asked(time.Hour) })
	ids := s.logViewings(t, 1) // stored while the dispatcher sleeps for an hour
	ev := domain.ReviewLogged{EventMeta: domain.EventMeta{ID: ids[0]}}
	if err := n.Publish(context.Background(), ev); err != nil {
		t.Fatalf("Publish = %v", err)
	}
	if id := receive(t, "CompleteEvent", s.spy.completes); id != ids[0] {
		t.Errorf("completed %s", id)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(published) != 1 || published[0] != domain.EventReviewLogged {
		t.Errorf("publish hook saw %v", published)
	}
	if err := outbox.NewNotifier(nil).Publish(context.Background(), ev); err != nil {
		t.Errorf("a Notifier without a dispatcher = %v, want nil", err)
	}
}

func TestNewRefusesBadArguments(t *testing.T) {
	t.Parallel()
	s := newStore()
	sink := sinkFunc(func(context.Context, domain.Event) error { return nil })
	for name, build := range map[string]func() (*outbox.Dispatcher, error){
		"nil store":        func() (*outbox.Dispatcher, error) { return outbox.New(nil, sink, outbox.Config{}) },
		"nil sink":         func() (*outbox.Dispatcher, error) { return outbox.New(s.spy, nil, outbox.Config{}) },
		"negative lease":   func() (*outbox.Dispatcher, error) { return outbox.New(s.spy, sink, outbox.Config{Lease: -1}) },
		"negative workers": func() (*outbox.Dispatcher, error) { return outbox.New(s.spy, sink, outbox.Config{Concurrency: -1}) },
		"negative cap": func() (*outbox.Dispatcher, error) {
			return outbox.New(s.spy, sink, outbox.Config{Retry: delivery.RetryPolicy{MaxDelay: -1}})
		},
	} {
		if _, err := build(); !errors.Is(err, domain.ErrValidation) {
			t.Errorf("%s: err = %v, want a validation error", name, err)
		}
	}
	d, err := outbox.New(s.spy, sink, outbox.Config{Retry: delivery.DefaultRetryPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Config(), outbox.DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
}

// flakyClaims fails the first claims, as a database outage would.
type flakyClaims struct {
	*spyOutbox
	failures atomic.Int32
}

func (f *flakyClaims) ClaimEvents(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]domain.OutboxEvent, error) {
	if f.failures.Add(-1) >= 0 {
		return nil, fmt.Errorf("connection refused: %w", domain.ErrUnavailable)
	}
	return f.spyOutbox.ClaimEvents(ctx, now, limit, lease)
}

func TestFailingClaimsAreRetried(t *testing.T) {
	t.Parallel()
	s := newStore()
	ids := s.logViewings(t, 1)
	store := &flakyClaims{spyOutbox: s.spy}
	store.failures.Store(3)
	logs := &syncBuffer{}
	d, err := outbox.New(store, sinkFunc(func(context.Context, domain.Event) error { return nil }),
		outbox.Config{PollInterval: time.Millisecond}, outbox.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	start(t, d)
	if id := receive(t, "CompleteEvent after the outage", s.spy.completes); id != ids[0] {
		t.Errorf("completed %s", id)
	}
	if n := strings.Count(logs.String(), "claiming outbox events failed"); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "claiming outbox events works again") {
		t.Errorf("the recovery was not logged:\n%s", logs)
	}
}

// TestDueRetryWithNoFreeSlotDoesNotSpin: a retry falls due while every slot
// is taken; the dispatcher waits for the slot instead of asking, over and
// over, for a sleep until a time already past.
func TestDueRetryWithNoFreeSlotDoesNotSpin(t *testing.T) {
	t.Parallel()
	s := newStore()
	ids := s.logViewings(t, 2)
	var (
		failedOnce atomic.Bool
		sleeps     atomic.Int64
	)
	release := make(chan struct{})
	sink := sinkFunc(func(ctx context.Context, e domain.Event) error {
		if e.EventID() == ids[0] && failedOnce.CompareAndSwap(false, true) {
			return fmt.Errorf("poster host down: %w", domain.ErrUnavailable)
		}
		if e.EventID() == ids[1] {
			<-release // holds the only slot while the first event's retry falls due
		}
		return nil
	})
	d, err := outbox.New(s.spy, sink, outbox.Config{Concurrency: 1, PollInterval: time.Hour,
		Retry: delivery.RetryPolicy{MaxAttempts: 3, BaseDelay: 5 * time.Millisecond}},
		outbox.WithLogger(discard()),
		outbox.WithAfter(func(d time.Duration) <-chan time.Time { sleeps.Add(1); return time.After(d) }))
	if err != nil {
		t.Fatal(err)
	}
	start(t, d)
	receive(t, "the first event's failure", s.spy.fails)
	time.Sleep(200 * time.Millisecond) // the retry is overdue for most of this; the slot stays taken
	spins := sleeps.Load()
	close(release)
	for range 2 {
		receive(t, "CompleteEvent", s.spy.completes)
	}
	if spins > 20 {
		t.Errorf("the dispatcher asked for %d sleeps while its only slot was taken, want a handful", spins)
	}
}
