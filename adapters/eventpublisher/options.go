package eventpublisher

import (
	"log/slog"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/domain"
)

// Option adjusts CreateEventChannel.
type Option func(*options)

type options struct {
	logger       *slog.Logger
	onPublish    func(event domain.EventName, err error)
	onHandled    func(event domain.EventName, handler string, err error)
	onAttempt    func(delivery.Attempt)
	drainTimeout time.Duration
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
	return o
}

// WithLogger sets the logger of the worker (default slog.Default()).
// Events are logged at INFO, handler failures and retries at WARN, a
// give-up at ERROR (see delivery.Invoker and delivery.LogAttempt).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithPublishHook calls fn after every Publish with the event's name and
// Publish's result. fn runs on the publisher's goroutine and must be quick
// and safe for concurrent use; moviediary_events_published_total hangs
// here.
func WithPublishHook(fn func(event domain.EventName, err error)) Option {
	return func(o *options) { o.onPublish = fn }
}

// WithHandledHook calls fn after each handler ran on an event, with the
// handler's name and its error (nil on success; a recovered panic is a
// *delivery.PanicError). fn runs on the worker goroutine;
// moviediary_events_handled_total hangs here.
func WithHandledHook(fn func(event domain.EventName, handler string, err error)) Option {
	return func(o *options) { o.onHandled = fn }
}

// WithAttemptHook calls fn after every delivery attempt with what the
// retry policy made of it; the poster sync attempt metric hangs here, as
// it does on the outbox and NATS buses.
func WithAttemptHook(fn func(delivery.Attempt)) Option {
	return func(o *options) { o.onAttempt = fn }
}

// WithDrainTimeout bounds the drain at shutdown as a whole. Drained events
// are handled with a context that is not cancelled; with a timeout d that
// context expires d after the drain began, so the events still buffered
// then are passed to the handlers with an expired context — they fail fast
// and are logged — instead of holding up shutdown. Zero (the default)
// means no bound.
func WithDrainTimeout(d time.Duration) Option { return func(o *options) { o.drainTimeout = d } }
