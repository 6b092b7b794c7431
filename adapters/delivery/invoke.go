package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime/debug"
	"strings"

	"github.com/moviediary/moviediary/domain"
)

// Invoker runs one delivery attempt of an event: it calls every handler in
// order, the same way on every bus. Build it with NewInvoker; it is safe
// for concurrent use.
type Invoker struct {
	handlers  []Handler
	logger    *slog.Logger
	onHandled func(event domain.EventName, handler string, err error)
}

// InvokerOption adjusts NewInvoker.
type InvokerOption func(*Invoker)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) InvokerOption {
	return func(i *Invoker) {
		if l != nil {
			i.logger = l
		}
	}
}

// WithHandledHook calls fn after each handler ran, with the handler's name
// and its error (nil on success; a recovered panic is a *PanicError). It
// must be quick and safe for concurrent use;
// moviediary_events_handled_total hangs here.
func WithHandledHook(fn func(event domain.EventName, handler string, err error)) InvokerOption {
	return func(i *Invoker) { i.onHandled = fn }
}

// NewInvoker returns an Invoker of handlers, nil ones dropped.
func NewInvoker(handlers []Handler, opts ...InvokerOption) *Invoker {
	inv := &Invoker{logger: slog.Default()}
	for _, h := range handlers {
		if h != nil {
			inv.handlers = append(inv.handlers, h)
		}
	}
	for _, opt := range opts {
		if opt != nil {
			opt(inv)
		}
	}
	return inv
}

// Len returns how many handlers the Invoker calls.
func (inv *Invoker) Len() int { return len(inv.handlers) }

// Invoke makes attempt number n at e: it logs the event at INFO (with
// EventAttrs and attempt), then calls every handler in order. A handler's
// error or panic (recovered as a *PanicError) is logged at WARN with the
// handler's name (and the stack of a panic) and does not skip the
// handlers after it. Invoke returns nil when every handler succeeded, and
// otherwise an error naming each failed handler; it is permanent
// (domain.IsPermanent) only when every failure was, so a transient failure
// is retried even if another handler failed for good — handlers are
// idempotent, so the ones that succeeded may run again. That judgement
// uses domain.IsPermanent, whatever predicate the caller's RetryPolicy
// holds.
func (inv *Invoker) Invoke(ctx context.Context, e domain.Event, n int) error {
	if isNil(e) {
		return fmt.Errorf("deliver: %w", domain.FieldError{Field: "event", Rule: "must not be nil"})
	}
	if inv.logger.Enabled(ctx, slog.LevelInfo) {
		inv.logger.LogAttrs(ctx, slog.LevelInfo, "event", append(EventAttrs(e), slog.Int("attempt", n))...)
	}
	var failures []error
	for _, h := range inv.handlers {
		err := call(ctx, h, e)
		if err != nil {
			attrs := append(EventAttrs(e), slog.Int("attempt", n), slog.String("handler", h.Name()), slog.String("error", err.Error()))
			var pe *PanicError
			if errors.As(err, &pe) {
				attrs = append(attrs, slog.String("stack", string(pe.Stack)))
			}
			inv.logger.LogAttrs(ctx, slog.LevelWarn, "event handler failed", attrs...)
			failures = append(failures, fmt.Errorf("handler %s: %w", h.Name(), err))
		}
		if inv.onHandled != nil {
			inv.onHandled(e.EventName(), h.Name(), err)
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

// call runs h, turning a panic into a *PanicError.
func call(ctx context.Context, h Handler, e domain.Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Handler: h.Name(), Value: v, Stack: debug.Stack()}
		}
	}()
	return h.Handle(ctx, e)
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

// EventAttrs returns the structured fields every event log line carries:
// event, event_id, movie_id, and review_id for review_logged.
func EventAttrs(e domain.Event) []slog.Attr {
	attrs := make([]slog.Attr, 0, 10)
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

// isNil reports a nil event, typed nil pointers included.
func isNil(e domain.Event) bool {
	if e == nil {
		return true
	}
	v := reflect.ValueOf(e)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// LogAttempt logs a decided attempt the same way on every bus: a retry at
// WARN ("event delivery failed, retrying", with attempt, retry_in and
// error), a give-up at ERROR ("event delivery gave up", with attempts,
// reason and error); a success is not logged. extra fields are appended.
func LogAttempt(ctx context.Context, logger *slog.Logger, a Attempt, extra ...slog.Attr) {
	if isNil(a.Event) {
		return
	}
	errText := ""
	if a.Err != nil {
		errText = a.Err.Error()
	}
	switch a.Outcome {
	case OutcomeRetry:
		if !logger.Enabled(ctx, slog.LevelWarn) {
			return
		}
		attrs := append(EventAttrs(a.Event), slog.Int("attempt", a.Number), slog.Duration("retry_in", a.Delay))
		if a.Reason != "" {
			attrs = append(attrs, slog.String("reason", string(a.Reason)))
		}
		attrs = append(append(attrs, slog.String("error", errText)), extra...)
		logger.LogAttrs(ctx, slog.LevelWarn, "event delivery failed, retrying", attrs...)
	case OutcomeDead:
		attrs := append(EventAttrs(a.Event), slog.Int("attempts", a.Number), slog.String("reason", string(a.Reason)), slog.String("error", errText))
		logger.LogAttrs(ctx, slog.LevelError, "event delivery gave up", append(attrs, extra...)...)
	}
}
