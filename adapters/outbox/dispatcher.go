package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moviediary/moviediary/adapters/eventpublisher"
	"github.com/moviediary/moviediary/domain"
)

// Sink receives the events a Dispatcher delivers. Deliver returns nil once
// the event was fully handled; an error makes the dispatcher retry it (or
// park it as dead when the error is permanent). Deliver must be safe for
// concurrent use and idempotent: an event may be delivered more than once.
type Sink interface {
	Deliver(ctx context.Context, e domain.Event) error
}

// ErrInterrupted is wrapped by the failure recorded for a delivery that
// shutdown cut short.
var ErrInterrupted = errors.New("delivery interrupted by shutdown")

// storeTimeout bounds each bookkeeping call to the outbox after a
// delivery, which runs even while Run stops.
const storeTimeout = 10 * time.Second

// Dispatcher delivers the events of an outbox to a sink; see the package
// documentation.
type Dispatcher struct {
	store domain.Outbox
	sink  Sink
	cfg   Config
	o     options

	notify  chan struct{}
	running atomic.Bool

	mu  sync.Mutex
	due []time.Time // retry times this dispatcher scheduled, ascending
}

// New returns a Dispatcher of store's events to sink; zero fields of cfg
// take their defaults. Options: WithLogger, WithClock, WithAfter,
// WithAttemptHook. A nil store or sink, or a negative field, is an error
// wrapping domain.ErrValidation.
func New(store domain.Outbox, sink Sink, cfg Config, opts ...Option) (*Dispatcher, error) {
	if store == nil || sink == nil {
		return nil, fmt.Errorf("outbox: new dispatcher: %w", domain.FieldError{Field: "store and sink", Rule: "must not be nil"})
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Dispatcher{store: store, sink: sink, cfg: cfg, o: buildOptions(opts), notify: make(chan struct{}, 1)}, nil
}

// Config returns the configuration in effect, defaults filled in.
func (d *Dispatcher) Config() Config { return d.cfg }

// Notify wakes Run for a claim now. It never blocks; wake-ups that arrive
// while Run is busy are merged into one.
func (d *Dispatcher) Notify() {
	select {
	case d.notify <- struct{}{}:
	default:
	}
}

// errAlreadyRunning is returned by a second concurrent Run.
var errAlreadyRunning = errors.New("outbox: dispatcher already running")

// Run delivers events until ctx is cancelled, then stops as the package
// documentation describes and returns nil. A failing claim is logged and
// retried at the next wake-up; it does not stop Run. Only one Run may be
// active at a time.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errAlreadyRunning
	}
	defer d.running.Store(false)

	// Deliveries outlive ctx: they are stopped by cancelDeliveries, only
	// once the shutdown timeout has passed.
	deliveries, cancelDeliveries := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelDeliveries()
	var (
		wg       sync.WaitGroup
		inflight atomic.Int64
		stopping atomic.Bool
	)
	start := func(ev domain.OutboxEvent) {
		inflight.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.deliver(deliveries, ev, &stopping)
			inflight.Add(-1)
			d.Notify() // a slot is free, and a retry time may have changed
		}()
	}
	// claim fills the free slots once; it reports whether it got a full
	// batch (more may be due) and whether a claim failed.
	claimFailing := false
	claim := func(ctx context.Context) (full bool) {
		free := d.cfg.Concurrency - int(inflight.Load())
		if free <= 0 {
			return false
		}
		n := min(free, d.cfg.BatchSize)
		now := d.o.now()
		events, err := d.store.ClaimEvents(ctx, now, n, d.cfg.Lease)
		if err != nil {
			if ctx.Err() != nil {
				return false // stopping, not failing
			}
			if !claimFailing {
				d.o.logger.LogAttrs(ctx, slog.LevelWarn, "claiming outbox events failed; retrying", slog.String("error", err.Error()))
			}
			claimFailing = true
			return false
		}
		if claimFailing {
			d.o.logger.LogAttrs(ctx, slog.LevelInfo, "claiming outbox events works again")
			claimFailing = false
		}
		d.forgetDue(now)
		for _, ev := range events {
			start(ev)
		}
		return len(events) == n
	}

	for ctx.Err() == nil {
		if claim(ctx) && int(inflight.Load()) < d.cfg.Concurrency {
			continue
		}
		wait, stop := d.sleep(d.sleepFor())
		select {
		case <-ctx.Done():
		case <-d.notify:
		case <-wait:
		}
		stop()
	}

	// Stopping.
	deadline := time.NewTimer(d.cfg.ShutdownTimeout)
	defer deadline.Stop()
	drainCtx, cancelDrain := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelDrain()
	if d.cfg.DrainOnStop {
		// Claim what is due now; stop at the deadline.
		go func() {
			select {
			case <-deadline.C:
				cancelDrain()
			case <-drainCtx.Done():
			}
		}()
		for drainCtx.Err() == nil {
			if claim(drainCtx) {
				continue
			}
			if inflight.Load() == 0 {
				break
			}
			if int(inflight.Load()) < d.cfg.Concurrency && !claimFailing {
				// Nothing more was due when we last looked: wait for the
				// deliveries in flight.
				break
			}
			select { // full: wait for a free slot
			case <-d.notify:
			case <-drainCtx.Done():
			}
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-drainCtx.Done():
		// DrainOnStop used the whole timeout.
		stopping.Store(true)
		cancelDeliveries()
		<-done
	case <-deadline.C:
		stopping.Store(true)
		cancelDeliveries()
		<-done
	}
	if d.o.logger.Enabled(ctx, slog.LevelInfo) {
		d.o.logger.LogAttrs(ctx, slog.LevelInfo, "outbox dispatcher stopped")
	}
	return nil
}

// sleepFor is the next sleep: PollInterval, or less when a retry this
// dispatcher scheduled falls due sooner.
func (d *Dispatcher) sleepFor() time.Duration {
	wait := d.cfg.PollInterval
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.due) > 0 {
		if until := d.due[0].Sub(d.o.now()); until < wait {
			wait = max(until, 0)
		}
	}
	return wait
}

// sleep returns a channel that fires after dur, and a stop function.
func (d *Dispatcher) sleep(dur time.Duration) (<-chan time.Time, func()) {
	if d.o.after != nil {
		return d.o.after(dur), func() {}
	}
	t := time.NewTimer(dur)
	return t.C, func() { t.Stop() }
}

// rememberDue records a retry time so Run wakes for it.
func (d *Dispatcher) rememberDue(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := sort.Search(len(d.due), func(i int) bool { return d.due[i].After(t) })
	d.due = append(d.due, time.Time{})
	copy(d.due[i+1:], d.due[i:])
	d.due[i] = t
}

// forgetDue drops the retry times a claim at now has covered.
func (d *Dispatcher) forgetDue(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := sort.Search(len(d.due), func(i int) bool { return d.due[i].After(now) })
	d.due = d.due[i:]
}

// deliver makes one attempt at ev and records its outcome.
func (d *Dispatcher) deliver(ctx context.Context, ev domain.OutboxEvent, stopping *atomic.Bool) {
	attempt := ev.Attempts + 1
	hctx, cancel := context.WithTimeout(ctx, d.cfg.HandlerTimeout())
	err := d.callSink(hctx, ev.Event)
	cancel()

	a := Attempt{Event: ev.Event, Number: attempt, Err: err}
	now := d.o.now()
	sctx, cancelStore := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancelStore()
	id := ev.Event.EventID()
	var storeErr error
	switch {
	case err == nil:
		a.Outcome = OutcomeSuccess
		storeErr = d.store.CompleteEvent(sctx, id)
	case stopping.Load() && ctx.Err() != nil:
		// Shutdown cut the attempt short: not the handler's fault, so it
		// never kills the event; it is due again at once.
		a.Outcome, a.Next, a.Interrupted = OutcomeRetry, now, true
		a.Err = fmt.Errorf("%w: %w", ErrInterrupted, err)
		storeErr = d.store.FailEvent(sctx, id, a.Err.Error(), now, false)
	case domain.IsPermanent(err), attempt >= d.cfg.MaxAttempts:
		a.Outcome = OutcomeDead
		storeErr = d.store.FailEvent(sctx, id, err.Error(), now, true)
	default:
		a.Outcome = OutcomeRetry
		a.Next = now.Add(d.cfg.retryDelay(attempt))
		storeErr = d.store.FailEvent(sctx, id, err.Error(), a.Next, false)
		if storeErr == nil {
			d.rememberDue(a.Next)
		}
	}
	d.logAttempt(sctx, a, storeErr)
	if d.o.onAttempt != nil {
		d.o.onAttempt(a)
	}
}

// callSink runs the sink, turning a panic into an error.
func (d *Dispatcher) callSink(ctx context.Context, e domain.Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &eventpublisher.PanicError{Handler: "sink", Value: v, Stack: debug.Stack()}
		}
	}()
	return d.sink.Deliver(ctx, e)
}

func (d *Dispatcher) logAttempt(ctx context.Context, a Attempt, storeErr error) {
	log := d.o.logger
	if storeErr != nil {
		// The event stays leased; it is delivered again once the lease
		// runs out (at-least-once).
		attrs := append(eventAttrs(a.Event),
			slog.Int("attempt", a.Number),
			slog.String("outcome", string(a.Outcome)),
			slog.String("error", storeErr.Error()))
		log.LogAttrs(ctx, slog.LevelError, "recording an outbox delivery failed; the event will be delivered again after its lease", attrs...)
		return
	}
	switch a.Outcome {
	case OutcomeRetry:
		if log.Enabled(ctx, slog.LevelWarn) {
			attrs := append(eventAttrs(a.Event),
				slog.Int("attempt", a.Number),
				slog.Duration("retry_in", a.Next.Sub(d.o.now()).Round(time.Millisecond)),
				slog.Bool("interrupted", a.Interrupted),
				slog.String("error", a.Err.Error()))
			log.LogAttrs(ctx, slog.LevelWarn, "event delivery failed, retrying", attrs...)
		}
	case OutcomeDead:
		reason := "exhausted"
		if domain.IsPermanent(a.Err) {
			reason = "permanent"
		}
		attrs := append(eventAttrs(a.Event),
			slog.Int("attempts", a.Number),
			slog.String("reason", reason),
			slog.String("error", a.Err.Error()))
		log.LogAttrs(ctx, slog.LevelError, "event delivery gave up; the event is dead until requeued", attrs...)
	}
}

// eventAttrs returns the structured fields every event log line carries:
// event, event_id, movie_id, and review_id for review_logged.
func eventAttrs(e domain.Event) []slog.Attr {
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs,
		slog.String("event", string(e.EventName())),
		slog.String("event_id", e.EventID().String()),
		slog.String("movie_id", e.MovieID().String()),
	)
	switch ev := e.(type) {
	case domain.ReviewLogged:
		attrs = append(attrs, slog.String("review_id", ev.ReviewID.String()))
	case *domain.ReviewLogged:
		attrs = append(attrs, slog.String("review_id", ev.ReviewID.String()))
	}
	return attrs
}
