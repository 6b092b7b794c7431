package outbox

import (
	"context"
	"fmt"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/domain"
)

// HandlerSink delivers an event to in-process handlers through the shared
// delivery.Invoker; LocalSink builds it.
type HandlerSink struct {
	invoker *delivery.Invoker
}

var _ Sink = (*HandlerSink)(nil)

// LocalSink returns a Sink that runs every handler in order through a
// delivery.Invoker, as the channel bus and the NATS consumer do: the event
// is logged at INFO, a handler's error or panic (recovered, a
// *delivery.PanicError) is logged at WARN and does not skip the handlers
// after it, and Deliver's error is permanent only when every failure was.
// Options: WithLogger, WithHandledHook.
func LocalSink(handlers []delivery.Handler, opts ...Option) *HandlerSink {
	o := buildOptions(opts)
	return &HandlerSink{invoker: delivery.NewInvoker(handlers,
		delivery.WithLogger(o.logger), delivery.WithHandledHook(o.onHandled))}
}

// Deliver runs the handlers on e.
func (s *HandlerSink) Deliver(ctx context.Context, e domain.Event, attempt int) error {
	if e == nil {
		return fmt.Errorf("outbox: deliver: %w", domain.FieldError{Field: "event", Rule: "must not be nil"})
	}
	return s.invoker.Invoke(ctx, e, attempt)
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
