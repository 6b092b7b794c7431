package delivery

import (
	"context"
	"fmt"

	"github.com/moviediary/moviediary/domain"
)

// Handler reacts to domain events. Name is stable (it labels logs and
// metrics, e.g. "poster_sync"); Handle must be safe for concurrent use,
// idempotent (every bus delivers at least once) and should return nil at
// once for events it does not care about.
type Handler interface {
	Name() string
	Handle(ctx context.Context, e domain.Event) error
}

// HandlerFunc turns a function into a Handler called name. A nil fn
// handles every event by doing nothing.
func HandlerFunc(name string, fn func(ctx context.Context, e domain.Event) error) Handler {
	return funcHandler{name: name, fn: fn}
}

type funcHandler struct {
	name string
	fn   func(context.Context, domain.Event) error
}

func (h funcHandler) Name() string { return h.name }

func (h funcHandler) Handle(ctx context.Context, e domain.Event) error {
	if h.fn == nil {
		return nil
	}
	return h.fn(ctx, e)
}

// PanicError is what a handler's recovered panic becomes. It matches
// domain.ErrInfrastructure with errors.Is, so it is retried — unless the
// handler panicked with an error of a permanent kind, which Unwrap
// exposes.
type PanicError struct {
	// Handler is the name of the handler that panicked.
	Handler string
	// Value is what it panicked with.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// Error says which handler panicked and with what.
func (e *PanicError) Error() string {
	return fmt.Sprintf("event handler %q panicked: %v", e.Handler, e.Value)
}

// Is makes a PanicError match domain.ErrInfrastructure.
func (e *PanicError) Is(target error) bool { return target == domain.ErrInfrastructure }

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
