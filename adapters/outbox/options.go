package outbox

import (
	"log/slog"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// Outcome is what became of one delivery attempt.
type Outcome string

// Outcomes of an attempt.
const (
	// OutcomeSuccess: the sink succeeded; the event is complete.
	OutcomeSuccess Outcome = "success"
	// OutcomeRetry: the attempt failed and the event is due again at
	// Attempt.Next.
	OutcomeRetry Outcome = "retry"
	// OutcomeDead: the attempt failed and the event was parked as dead.
	OutcomeDead Outcome = "dead"
)

// Attempt describes one finished delivery attempt, for metrics.
type Attempt struct {
	Event domain.Event
	// Number counts this event's attempts from 1.
	Number int
	// Err is the sink's error, nil on success.
	Err error
	// Outcome is what the dispatcher recorded.
	Outcome Outcome
	// Next is when a retried event is due again.
	Next time.Time
	// Interrupted reports an attempt cut short by shutdown; it is due
	// again at once and never made dead.
	Interrupted bool
}

// Option adjusts New, LocalSink or NewNotifier; each option says which it
// affects, and the others ignore it.
type Option func(*options)

type options struct {
	logger    *slog.Logger
	now       func() time.Time
	after     func(time.Duration) <-chan time.Time
	onAttempt func(Attempt)
	onHandled func(event domain.EventName, handler string, err error)
	onPublish func(event domain.EventName, err error)
}

func buildOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if o.now == nil {
		o.now = time.Now
	}
	return o
}

// WithLogger sets the logger (New, LocalSink; default slog.Default()).
// LocalSink logs each event at INFO and a handler's failure at WARN; the
// dispatcher logs a scheduled retry at WARN and a dead event at ERROR with
// a top-level attempts field.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithClock sets the clock the dispatcher claims and schedules retries by
// (New; default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithAfter replaces time.After for the dispatcher's sleeps between claims
// (New); tests use it to see how long the dispatcher means to sleep and to
// end the sleep themselves.
func WithAfter(after func(time.Duration) <-chan time.Time) Option {
	return func(o *options) { o.after = after }
}

// WithAttemptHook calls fn after each delivery attempt was recorded (New).
// It runs on the delivery's goroutine and must be quick and safe for
// concurrent use.
func WithAttemptHook(fn func(Attempt)) Option { return func(o *options) { o.onAttempt = fn } }

// WithHandledHook calls fn after each handler ran on an event, with its
// error (nil on success; a recovered panic is an
// *eventpublisher.PanicError) (LocalSink).
func WithHandledHook(fn func(event domain.EventName, handler string, err error)) Option {
	return func(o *options) { o.onHandled = fn }
}

// WithPublishHook calls fn after every Notifier.Publish, whose error is
// always nil (NewNotifier).
func WithPublishHook(fn func(event domain.EventName, err error)) Option {
	return func(o *options) { o.onPublish = fn }
}
