package memory

import (
	"context"
	"slices"
	"sync"

	"github.com/moviediary/moviediary/domain"
)

var (
	_ domain.EventPublisher = EventPublisherFunc(nil)
	_ domain.EventPublisher = (*EventRecorder)(nil)
)

// EventPublisherFunc adapts a function to domain.EventPublisher: Publish
// calls f. Handing events to a handler in the same goroutine is one line:
//
//	publisher := memory.EventPublisherFunc(func(ctx context.Context, e domain.Event) error {
//		return handler.Handle(ctx, e)
//	})
//
// It is as safe for concurrent use as f is.
type EventPublisherFunc func(ctx context.Context, e domain.Event) error

// Publish calls f(ctx, e).
func (f EventPublisherFunc) Publish(ctx context.Context, e domain.Event) error { return f(ctx, e) }

// DiscardEvents is a domain.EventPublisher that drops every event and
// reports success, for services that do not react to events.
var DiscardEvents domain.EventPublisher = EventPublisherFunc(func(context.Context, domain.Event) error { return nil })

// EventRecorder is a domain.EventPublisher that keeps every event published
// to it, in order, for tests and for inspecting what a use case published.
// The zero value is ready to use and it is safe for concurrent use.
type EventRecorder struct {
	mu     sync.Mutex
	events []domain.Event
}

// NewEventRecorder returns an empty recorder.
func NewEventRecorder() *EventRecorder { return &EventRecorder{} }

// Publish records e. It never fails.
func (r *EventRecorder) Publish(_ context.Context, e domain.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return nil
}

// Events returns the events published so far, oldest first. The slice is a
// copy: publishing later does not change it.
func (r *EventRecorder) Events() []domain.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Reset forgets the recorded events.
func (r *EventRecorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = nil
}
