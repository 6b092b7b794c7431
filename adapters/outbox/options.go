package outbox

import (
	"log/slog"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/domain"
)

// Option adjusts New, LocalSink or NewNotifier; each option says which it
// affects, and the others ignore it.
type Option func(*options)

type options struct {
	logger    *slog.Logger
	now       func() time.Time
	after     func(time.Duration) <-chan time.Time
	onAttempt func(delivery.Attempt)
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
// dispatcher logs a scheduled retry at WARN and a dead event at ERROR (see
// delivery.LogAttempt).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithAttemptHook calls fn after each delivery attempt was recorded (New),
// with what the retry policy made of it. It runs on the delivery's
// goroutine and must be quick and safe for concurrent use.
func WithAttemptHook(fn func(delivery.Attempt)) Option {
	return func(o *options) { o.onAttempt = fn }
}

// WithHandledHook calls fn after each handler ran on an event, with its
// error (nil on success; a recovered panic is a *delivery.PanicError)
// (LocalSink).
func WithHandledHook(fn func(event domain.EventName, handler string, err error)) Option {
	return func(o *options) { o.onHandled = fn }
}

// WithPublishHook calls fn after every Notifier.Publish, whose error is
// always nil (NewNotifier).
func WithPublishHook(fn func(event domain.EventName, err error)) Option {
	return func(o *options) { o.onPublish = fn }
}
