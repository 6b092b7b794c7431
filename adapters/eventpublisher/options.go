package eventpublisher

import (
	"log/slog"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// Option adjusts CreateEventChannel or Retry. Each option says which of the
// two it affects; the other ignores it.
type Option func(*options)

type options struct {
	logger       *slog.Logger
	onPublish    func(event domain.EventName, err error)
	onHandled    func(event domain.EventName, handler string, err error)
	onAttempt    func(event domain.EventName, handler string, attempt int, err error)
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

// WithLogger sets the logger of the worker and of the retry decorator
// (default slog.Default()). Events are logged at INFO, handler failures at
// ERROR, retries at WARN.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithPublishHook calls fn after every Publish with the event's name and
// Publish's result (CreateEventChannel). fn runs on the publisher's
// goroutine and must be quick and safe for concurrent use; metrics such as
// moviediary_events_published_total hang here.
func WithPublishHook(fn func(event domain.EventName, err error)) Option {
	return func(o *options) { o.onPublish = fn }
}

// WithHandledHook calls fn after each handler ran on an event, with the
// handler's name and its error (nil on success; a recovered panic is a
// *PanicError) (CreateEventChannel). fn runs on the worker goroutine;
// moviediary_events_handled_total hangs here.
func WithHandledHook(fn func(event domain.EventName, handler string, err error)) Option {
	return func(o *options) { o.onHandled = fn }
}

// WithAttemptHook calls fn after every attempt of the decorated handler,
// numbered from 1, with its error (Retry);
// moviediary_poster_sync_attempts_total hangs here.
func WithAttemptHook(fn func(event domain.EventName, handler string, attempt int, err error)) Option {
	return func(o *options) { o.onAttempt = fn }
}

// WithDrainTimeout bounds the drain at shutdown as a whole (CreateEventChannel).
// Drained events are handled with a context that is not cancelled; with a
// timeout d that context expires d after the drain began, so the events
// still buffered then are passed to the handlers with an expired context —
// they fail fast and are logged — instead of holding up shutdown. Zero (the
// default) means no bound.
func WithDrainTimeout(d time.Duration) Option { return func(o *options) { o.drainTimeout = d } }
