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

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/domain"
)

// Sink receives the events a Dispatcher delivers. Deliver makes attempt
// number attempt (from 1) at e and returns nil once the event was fully
// handled; an error makes the dispatcher retry it or park it as dead, as
// its retry policy decides. Deliver must be safe for concurrent use and
// idempotent: an event may be delivered more than once.
type Sink interface {
	Deliver(ctx context.Context, e domain.Event, attempt int) error
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

	mu   sync.Mutex
	due  []time.Time                 // retry times this dispatcher scheduled, ascending
	held map[domain.EventID]struct{} // claims of the deliveries running now
}

// New returns a Dispatcher of store's events to sink; zero fields of cfg
// take their defaults. Options: WithLogger, WithAttemptHook. A nil store or sink, or a negative field, is an error
// wrapping domain.ErrValidation.
func New(store domain.Outbox, sink Sink, cfg Config, opts ...Option) (*Dispatcher, error) {
	if store == nil || sink == nil {
		return nil, fmt.Errorf("outbox: new dispatcher: %w", domain.FieldError{Field: "store and sink", Rule: "must not be nil"})
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Dispatcher{
		store:  store,
		sink:   sink,
		cfg:    cfg,
		o:      buildOptions(opts),
		notify: make(chan struct{}, 1),
		held:   make(map[domain.EventID]struct{}),
	}, nil
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
	// The claims of running deliveries are renewed until the last one
	// ended, shutdown included.
	renewing, stopRenewing := context.WithCancel(context.WithoutCancel(ctx))
	renewed := make(chan struct{})
	go func() { defer close(renewed); d.renewClaims(renewing) }()
	defer func() { stopRenewing(); <-renewed }()
	start := func(ev domain.OutboxEvent) {
		inflight.Add(1)
		wg.Add(1)
		d.hold(ev.Event.EventID(), true)
		go func() {
			defer wg.Done()
			d.deliver(deliveries, ev, &stopping)
			d.hold(ev.Event.EventID(), false)
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
		// With every slot taken or claims failing, a retry that fell due
		// cannot be claimed now: wait for a free slot (Notify) or the poll
		// instead of spinning on its past due time.
		busy := int(inflight.Load()) >= d.cfg.Concurrency || claimFailing
		wait, stop := d.sleep(d.sleepFor(busy))
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
// dispatcher scheduled falls due sooner and could be claimed (not busy).
func (d *Dispatcher) sleepFor(busy bool) time.Duration {
	wait := d.cfg.PollInterval
	if busy {
		return wait
	}
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

// hold records that a claim is held by a running delivery (or no more).
func (d *Dispatcher) hold(id domain.EventID, held bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if held {
		d.held[id] = struct{}{}
	} else {
		delete(d.held, id)
	}
}

// renewClaims renews the claims of the running deliveries every third of
// the lease until ctx ends, so a live dispatcher keeps its events however
// long a delivery takes while a dead one's lapse within a lease. A failed
// renewal is logged once per failing streak; if renewals keep failing
// until a lease lapses, another dispatcher may deliver that event too
// (at-least-once).
func (d *Dispatcher) renewClaims(ctx context.Context) {
	t := time.NewTicker(d.cfg.renewEvery())
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		d.mu.Lock()
		ids := make([]domain.EventID, 0, len(d.held))
		for id := range d.held {
			ids = append(ids, id)
		}
		d.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, d.cfg.renewEvery())
		err := d.store.ExtendClaims(rctx, ids, d.o.now(), d.cfg.Lease)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			failing = true
			d.o.logger.LogAttrs(ctx, slog.LevelWarn, "renewing outbox claims failed; retrying",
				slog.Int("events", len(ids)), slog.String("error", err.Error()))
		case err == nil && failing:
			failing = false
			d.o.logger.LogAttrs(ctx, slog.LevelInfo, "renewing outbox claims works again")
		}
	}
}

// deliver makes one attempt at ev and records what the retry policy made
// of it.
func (d *Dispatcher) deliver(ctx context.Context, ev domain.OutboxEvent, stopping *atomic.Bool) {
	n := ev.Attempts + 1
	hctx, cancel := context.WithTimeout(ctx, d.cfg.DeliveryTimeout)
	err := d.callSink(hctx, ev.Event, n)
	cancel()

	a := d.cfg.Retry.Decide(ev.Event, n, err)
	if err != nil && stopping.Load() && ctx.Err() != nil {
		// Shutdown cut the attempt short: not the handler's fault, so it
		// never kills the event; it is due again at once.
		a.Outcome, a.Reason, a.Delay = delivery.OutcomeRetry, delivery.ReasonInterrupted, 0
		a.Err = fmt.Errorf("%w: %w", ErrInterrupted, err)
	}
	now := d.o.now()
	sctx, cancelStore := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancelStore()
	id := ev.Event.EventID()
	var storeErr error
	switch a.Outcome {
	case delivery.OutcomeSuccess:
		storeErr = d.store.CompleteEvent(sctx, id)
	case delivery.OutcomeDead:
		storeErr = d.store.FailEvent(sctx, id, a.Err.Error(), now, true)
	default:
		next := now.Add(a.Delay)
		storeErr = d.store.FailEvent(sctx, id, a.Err.Error(), next, false)
		if storeErr == nil && a.Delay > 0 {
			d.rememberDue(next)
		}
	}
	if storeErr != nil {
		// The event stays leased; it is delivered again once the lease
		// runs out (at-least-once).
		attrs := append(delivery.EventAttrs(a.Event),
			slog.Int("attempt", a.Number),
			slog.String("outcome", string(a.Outcome)),
			slog.String("error", storeErr.Error()))
		d.o.logger.LogAttrs(sctx, slog.LevelError, "recording an outbox delivery failed; the event will be delivered again after its lease", attrs...)
	} else {
		delivery.LogAttempt(sctx, d.o.logger, a)
	}
	if d.o.onAttempt != nil {
		d.o.onAttempt(a)
	}
}

// callSink runs the sink, turning a panic into an error.
func (d *Dispatcher) callSink(ctx context.Context, e domain.Event, n int) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &delivery.PanicError{Handler: "sink", Value: v, Stack: debug.Stack()}
		}
	}()
	return d.sink.Deliver(ctx, e, n)
}
