package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/moviediary/moviediary/adapters/eventpublisher"
	"github.com/moviediary/moviediary/domain"
)

// HandlerSink delivers an event to in-process handlers; LocalSink builds
// it.
type HandlerSink struct {
	handlers  []eventpublisher.EventHandler
	logger    *slog.Logger
	onHandled func(domain.EventName, string, error)
}

var _ Sink = (*HandlerSink)(nil)

// LocalSink returns a Sink that logs each event (INFO, with the top-level
// fields event, event_id, movie_id and, for review_logged, review_id) and
// calls every handler in order, as the channel bus's EventWorker does: a
// handler's error or panic (recovered, an *eventpublisher.PanicError) is
// logged at WARN and does not skip the handlers after it. Deliver returns
// an error when any handler failed; it is permanent only when every
// failure was, so a transient failure is retried even if another handler
// failed for good (handlers are idempotent, so the ones that succeeded may
// run again). Options: WithLogger, WithHandledHook.
func LocalSink(handlers []eventpublisher.EventHandler, opts ...Option) *HandlerSink {
	o := buildOptions(opts)
	hs := make([]eventpublisher.EventHandler, 0, len(handlers))
	for _, h := range handlers {
		if h != nil {
			hs = append(hs, h)
		}
	}
	return &HandlerSink{handlers: hs, logger: o.logger, onHandled: o.onHandled}
}

// Deliver runs the handlers on e.
func (s *HandlerSink) Deliver(ctx context.Context, e domain.Event) error {
	if e == nil {
		return fmt.Errorf("outbox: deliver: %w", domain.FieldError{Field: "event", Rule: "must not be nil"})
	}
	if s.logger.Enabled(ctx, slog.LevelInfo) {
		s.logger.LogAttrs(ctx, slog.LevelInfo, "event", eventAttrs(e)...)
	}
	var failures []error
	for _, h := range s.handlers {
		err := callHandler(ctx, h, e)
		if err != nil {
			attrs := append(eventAttrs(e), slog.String("handler", h.Name()), slog.String("error", err.Error()))
			var pe *eventpublisher.PanicError
			if errors.As(err, &pe) {
				attrs = append(attrs, slog.String("stack", string(pe.Stack)))
			}
			s.logger.LogAttrs(ctx, slog.LevelWarn, "event handler failed", attrs...)
			failures = append(failures, fmt.Errorf("handler %s: %w", h.Name(), err))
		}
		if s.onHandled != nil {
			s.onHandled(e.EventName(), h.Name(), err)
		}
	}
	switch len(failures) {
	case 0:
		return nil
	case 1:
		return failures[0]
	}
	return &handlersError{failures: failures}
}

// handlersError reports several failed handlers. It unwraps to the
// transient failures when there are any, so domain.IsPermanent holds only
// when every failure is permanent.
type handlersError struct{ failures []error }

func (e *handlersError) Error() string {
	parts := make([]string, len(e.failures))
	for i, f := range e.failures {
		parts[i] = f.Error()
	}
	return strings.Join(parts, "; ")
}

func (e *handlersError) Unwrap() []error {
	var transient []error
	for _, f := range e.failures {
		if !domain.IsPermanent(f) {
			transient = append(transient, f)
		}
	}
	if len(transient) > 0 {
		return transient
	}
	return e.failures
}

// callHandler runs h, turning a panic into an *eventpublisher.PanicError.
func callHandler(ctx context.Context, h eventpublisher.EventHandler, e domain.Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &eventpublisher.PanicError{Handler: h.Name(), Value: v, Stack: debug.Stack()}
		}
	}()
	return h.Handle(ctx, e)
}

// Notifier is the domain.EventPublisher use cases get in outbox mode: the
// repository already stored the events with the data, so Publish only
// wakes the dispatcher, and never fails.
type Notifier struct {
	wake      func()
	onPublish func(domain.EventName, error)
}

var _ domain.EventPublisher = (*Notifier)(nil)

// NewNotifier returns a Notifier that wakes d; a nil d (a process that
// stores events but leaves their delivery to others) makes Publish a
// no-op. Options: WithPublishHook.
func NewNotifier(d *Dispatcher, opts ...Option) *Notifier {
	o := buildOptions(opts)
	n := &Notifier{onPublish: o.onPublish}
	if d != nil {
		n.wake = d.Notify
	}
	return n
}

// Publish wakes the dispatcher and returns nil.
func (n *Notifier) Publish(_ context.Context, e domain.Event) error {
	if n.wake != nil {
		n.wake()
	}
	if n.onPublish != nil && e != nil {
		n.onPublish(e.EventName(), nil)
	}
	return nil
}
