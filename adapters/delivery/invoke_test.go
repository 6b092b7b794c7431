package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/domain"
)

// handled is one call of the handled hook.
type handled struct {
	event   domain.EventName
	handler string
	err     error
}

// hookRecorder records the handled hook's calls.
type hookRecorder struct {
	mu    sync.Mutex
	calls []handled
}

func (r *hookRecorder) hook(event domain.EventName, handler string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, handled{event, handler, err})
}

// recording returns a handler that appends its name to order and returns
// err.
func recording(name string, order *[]string, err error) delivery.Handler {
	return delivery.HandlerFunc(name, func(context.Context, domain.Event) error {
		*order = append(*order, name)
		return err
	})
}

func TestHandlerFunc(t *testing.T) {
	t.Parallel()
	e := MustMovieDiscovered(t)

	t.Run("Name is the given name", func(t *testing.T) {
		t.Parallel()
		if got := delivery.HandlerFunc("poster_sync", nil).Name(); got != "poster_sync" {
			t.Errorf("Name() = %q, want poster_sync", got)
		}
	})
	t.Run("nil function handles every event by doing nothing", func(t *testing.T) {
		t.Parallel()
		if err := delivery.HandlerFunc("noop", nil).Handle(context.Background(), e); err != nil {
			t.Errorf("Handle = %v, want nil", err)
		}
	})
	t.Run("function receives the context and event and its error is returned", func(t *testing.T) {
		t.Parallel()
		type key struct{}
		ctx := context.WithValue(context.Background(), key{}, "v")
		want := errors.New("nope")
		h := delivery.HandlerFunc("f", func(gotCtx context.Context, got domain.Event) error {
			if gotCtx.Value(key{}) != "v" {
				t.Error("handler did not receive the caller's context")
			}
			if got != domain.Event(e) {
				t.Errorf("handler got event %v, want %v", got, e)
			}
			return want
		})
		if err := h.Handle(ctx, e); err != want {
			t.Errorf("Handle = %v, want %v", err, want)
		}
	})
}

func TestNewInvoker(t *testing.T) {
	t.Parallel()
	h := delivery.HandlerFunc("a", nil)
	tests := []struct {
		name     string
		handlers []delivery.Handler
		want     int
	}{
		{"no handlers", nil, 0},
		{"nil handlers are dropped", []delivery.Handler{nil, h, nil, h, nil}, 2},
		{"only nil handlers", []delivery.Handler{nil, nil}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := delivery.NewInvoker(tt.handlers).Len(); got != tt.want {
				t.Errorf("Len() = %d, want %d", got, tt.want)
			}
		})
	}
	t.Run("nil options are ignored", func(t *testing.T) {
		t.Parallel()
		logger, _ := newLogger(slog.LevelInfo)
		inv := delivery.NewInvoker([]delivery.Handler{h}, nil, delivery.WithLogger(logger), nil, delivery.WithHandledHook(nil))
		if err := inv.Invoke(context.Background(), MustMovieDiscovered(t), 1); err != nil {
			t.Errorf("Invoke = %v, want nil", err)
		}
	})
	t.Run("no handlers is a success", func(t *testing.T) {
		t.Parallel()
		logger, _ := newLogger(slog.LevelInfo)
		if err := delivery.NewInvoker(nil, delivery.WithLogger(logger)).Invoke(context.Background(), MustReviewLogged(t), 1); err != nil {
			t.Errorf("Invoke = %v, want nil", err)
		}
	})
}

// TestInvokerDefaultLogger swaps slog's default logger, so it does not run
// in parallel.
func TestInvokerDefaultLogger(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	logger, sink := newLogger(slog.LevelInfo)
	slog.SetDefault(logger)

	tests := []struct {
		name string
		opts []delivery.InvokerOption
	}{
		{"without WithLogger the default logger is used", nil},
		{"WithLogger(nil) keeps the default logger", []delivery.InvokerOption{delivery.WithLogger(nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(sink.Lines(t))
			inv := delivery.NewInvoker([]delivery.Handler{delivery.HandlerFunc("a", nil)}, tt.opts...)
			if err := inv.Invoke(context.Background(), MustMovieDiscovered(t), 1); err != nil {
				t.Fatalf("Invoke = %v", err)
			}
			if got := len(sink.Lines(t)) - before; got != 1 {
				t.Errorf("default logger got %d lines, want 1", got)
			}
		})
	}
}

func TestInvokerCallsEveryHandlerInOrder(t *testing.T) {
	t.Parallel()
	e := MustReviewLogged(t)
	errA := fmt.Errorf("a: %w", domain.ErrUnavailable)
	errC := fmt.Errorf("c: %w", domain.ErrNotFound)
	tests := []struct {
		name string
		errs []error // errs[i] is handler i's result
	}{
		{"all succeed", []error{nil, nil, nil}},
		{"a failing first handler does not skip the rest", []error{errA, nil, nil}},
		{"a failing middle handler does not skip the last", []error{nil, errC, nil}},
		{"every handler fails and every one runs", []error{errA, errC, errA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var order []string
			var handlers []delivery.Handler
			var wantOrder []string
			for i, err := range tt.errs {
				name := fmt.Sprintf("h%d", i)
				wantOrder = append(wantOrder, name)
				// nil handlers in between are dropped, not called.
				handlers = append(handlers, nil, recording(name, &order, err))
			}
			rec := &hookRecorder{}
			logger, _ := newLogger(slog.LevelInfo)
			inv := delivery.NewInvoker(handlers, delivery.WithLogger(logger), delivery.WithHandledHook(rec.hook))
			if inv.Len() != len(tt.errs) {
				t.Errorf("Len() = %d, want %d", inv.Len(), len(tt.errs))
			}
			err := inv.Invoke(context.Background(), e, 1)

			if !slices.Equal(order, wantOrder) {
				t.Errorf("handlers ran %v, want %v", order, wantOrder)
			}
			var wantHooks []handled
			failed := 0
			for i, herr := range tt.errs {
				wantHooks = append(wantHooks, handled{domain.EventReviewLogged, wantOrder[i], herr})
				if herr != nil {
					failed++
					if !errors.Is(err, herr) && !domain.IsPermanent(herr) {
						t.Errorf("Invoke error %v does not wrap transient %v", err, herr)
					}
					if err == nil || !strings.Contains(err.Error(), "handler "+wantOrder[i]+": "+herr.Error()) {
						t.Errorf("Invoke error %v does not name failed handler %s with its error", err, wantOrder[i])
					}
				}
			}
			if (failed == 0) != (err == nil) {
				t.Errorf("Invoke = %v with %d failed handlers", err, failed)
			}
			if !slices.Equal(rec.calls, wantHooks) {
				t.Errorf("hook calls = %v, want %v", rec.calls, wantHooks)
			}
		})
	}
}

func TestInvokerSingleFailure(t *testing.T) {
	t.Parallel()
	e := MustMovieDiscovered(t)
	for _, tt := range append(append([]struct {
		name string
		err  error
	}{}, permanentErrors...), transientErrors...) {
		t.Run(tt.name+" keeps its kind and names the handler", func(t *testing.T) {
			t.Parallel()
			logger, _ := newLogger(slog.LevelInfo)
			inv := delivery.NewInvoker([]delivery.Handler{
				delivery.HandlerFunc("ok", nil),
				delivery.HandlerFunc("poster_sync", func(context.Context, domain.Event) error { return tt.err }),
			}, delivery.WithLogger(logger))
			err := inv.Invoke(context.Background(), e, 2)
			if !errors.Is(err, tt.err) {
				t.Errorf("Invoke = %v, want it to wrap %v", err, tt.err)
			}
			if got, want := domain.IsPermanent(err), domain.IsPermanent(tt.err); got != want {
				t.Errorf("IsPermanent(Invoke error) = %v, want %v", got, want)
			}
			if want := "handler poster_sync: " + tt.err.Error(); err == nil || err.Error() != want {
				t.Errorf("Invoke error = %v, want %q", err, want)
			}
		})
	}
}

func TestInvokerCombinedError(t *testing.T) {
	t.Parallel()
	e := MustReviewLogged(t)
	panicking := func(context.Context, domain.Event) error { panic("boom") }
	tests := []struct {
		name          string
		handlers      map[string]func(context.Context, domain.Event) error
		order         []string
		wantPermanent bool
		wantIs        []error
	}{
		{
			name: "all failures permanent is permanent",
			handlers: map[string]func(context.Context, domain.Event) error{
				"a": func(context.Context, domain.Event) error { return errNotFound },
				"b": func(context.Context, domain.Event) error { return errValidation },
			},
			order:         []string{"a", "b"},
			wantPermanent: true,
			wantIs:        []error{domain.ErrNotFound, domain.ErrValidation},
		},
		{
			name: "one transient among permanent failures is not permanent",
			handlers: map[string]func(context.Context, domain.Event) error{
				"a": func(context.Context, domain.Event) error { return errNotFound },
				"b": func(context.Context, domain.Event) error { return errUnavailable },
				"c": func(context.Context, domain.Event) error { return errValidation },
			},
			order:         []string{"a", "b", "c"},
			wantPermanent: false,
			wantIs:        []error{domain.ErrUnavailable},
		},
		{
			name: "a panic among permanent failures is not permanent",
			handlers: map[string]func(context.Context, domain.Event) error{
				"a": func(context.Context, domain.Event) error { return errNotFound },
				"b": panicking,
			},
			order:         []string{"a", "b"},
			wantPermanent: false,
			wantIs:        []error{domain.ErrInfrastructure},
		},
		{
			name: "all failures transient is not permanent",
			handlers: map[string]func(context.Context, domain.Event) error{
				"a": func(context.Context, domain.Event) error { return errUnavailable },
				"b": panicking,
			},
			order:         []string{"a", "b"},
			wantPermanent: false,
			wantIs:        []error{domain.ErrUnavailable, domain.ErrInfrastructure},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var handlers []delivery.Handler
			for _, name := range tt.order {
				handlers = append(handlers, delivery.HandlerFunc(name, tt.handlers[name]))
				handlers = append(handlers, delivery.HandlerFunc(name+"_ok", nil))
			}
			logger, _ := newLogger(slog.LevelInfo)
			err := delivery.NewInvoker(handlers, delivery.WithLogger(logger)).Invoke(context.Background(), e, 1)
			if err == nil {
				t.Fatal("Invoke = nil, want an error")
			}
			if got := domain.IsPermanent(err); got != tt.wantPermanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, tt.wantPermanent)
			}
			for _, kind := range tt.wantIs {
				if !errors.Is(err, kind) {
					t.Errorf("Invoke error %v does not match %v", err, kind)
				}
			}
			parts := strings.Split(err.Error(), "; ")
			if len(parts) != len(tt.order) {
				t.Fatalf("error %q has %d parts, want one per failed handler (%d)", err, len(parts), len(tt.order))
			}
			for i, name := range tt.order {
				if !strings.HasPrefix(parts[i], "handler "+name+": ") {
					t.Errorf("error part %d = %q, want it to name handler %s", i, parts[i], name)
				}
				if strings.Contains(err.Error(), name+"_ok") {
					t.Errorf("error %q names a handler that succeeded", err)
				}
			}

			// The policy acts on the combined error the same way.
			a := delivery.DefaultRetryPolicy().Decide(e, 1, err)
			if wantDead := tt.wantPermanent; (a.Outcome == delivery.OutcomeDead) != wantDead {
				t.Errorf("Decide = %+v, want dead=%v", a, wantDead)
			}
		})
	}
}

func TestInvokerPanic(t *testing.T) {
	t.Parallel()
	errBoom := errors.New("boom error")
	tests := []struct {
		name       string
		value      any
		wantUnwrap error
		wantText   string
	}{
		{"string panic", "boom", nil, `event handler "poster_sync" panicked: boom`},
		{"error panic unwraps to the error", errBoom, errBoom, `event handler "poster_sync" panicked: boom error`},
		{"int panic", 42, nil, `event handler "poster_sync" panicked: 42`},
		{"nil panic is still caught", nil, nil, `event handler "poster_sync" panicked: panic called with nil argument`},
	}
	for _, tt := range tests {
		t.Run(tt.name+" becomes a *PanicError", func(t *testing.T) {
			t.Parallel()
			e := MustMovieDiscovered(t)
			var order []string
			rec := &hookRecorder{}
			logger, sink := newLogger(slog.LevelInfo)
			inv := delivery.NewInvoker([]delivery.Handler{
				delivery.HandlerFunc("poster_sync", func(context.Context, domain.Event) error { panic(tt.value) }),
				recording("after", &order, nil),
			}, delivery.WithLogger(logger), delivery.WithHandledHook(rec.hook))

			err := inv.Invoke(context.Background(), e, 3)

			var pe *delivery.PanicError
			if !errors.As(err, &pe) {
				t.Fatalf("Invoke = %#v, want a *PanicError inside", err)
			}
			if pe.Handler != "poster_sync" {
				t.Errorf("Handler = %q, want poster_sync", pe.Handler)
			}
			if tt.value != nil && pe.Value != tt.value {
				t.Errorf("Value = %#v, want %#v", pe.Value, tt.value)
			}
			if pe.Error() != tt.wantText {
				t.Errorf("Error() = %q, want %q", pe.Error(), tt.wantText)
			}
			if tt.value == nil {
				// Since Go 1.21 panic(nil) panics with a *runtime.PanicNilError.
				var pne *runtime.PanicNilError
				if !errors.As(pe.Unwrap(), &pne) {
					t.Errorf("Unwrap() = %#v, want a *runtime.PanicNilError", pe.Unwrap())
				}
			} else if got := pe.Unwrap(); got != tt.wantUnwrap {
				t.Errorf("Unwrap() = %v, want %v", got, tt.wantUnwrap)
			}
			if tt.wantUnwrap != nil && !errors.Is(err, tt.wantUnwrap) {
				t.Errorf("Invoke error %v does not match the panicked error", err)
			}
			if !strings.Contains(string(pe.Stack), "goroutine ") || !strings.Contains(string(pe.Stack), "delivery_test") {
				t.Errorf("Stack does not show the panicking goroutine:\n%s", pe.Stack)
			}
			if !errors.Is(err, domain.ErrInfrastructure) {
				t.Errorf("Invoke error %v does not match domain.ErrInfrastructure", err)
			}
			if domain.IsPermanent(err) {
				t.Errorf("a panic is permanent: %v", err)
			}
			if a := delivery.DefaultRetryPolicy().Decide(e, 1, err); a.Outcome != delivery.OutcomeRetry {
				t.Errorf("Decide = %+v, want a retry", a)
			}
			if !slices.Equal(order, []string{"after"}) {
				t.Errorf("handlers after the panic ran %v, want [after]", order)
			}

			if len(rec.calls) != 2 {
				t.Fatalf("hook called %d times, want 2", len(rec.calls))
			}
			var hookPE *delivery.PanicError
			if rec.calls[0].handler != "poster_sync" || !errors.As(rec.calls[0].err, &hookPE) || hookPE != pe {
				t.Errorf("hook got %+v, want poster_sync with the *PanicError", rec.calls[0])
			}

			var warn logLine
			for _, l := range sink.Lines(t) {
				if l["msg"] == "event handler failed" {
					warn = l
				}
			}
			if warn == nil {
				t.Fatal(`no "event handler failed" line`)
			}
			if got := warn.str(t, "stack"); got != string(pe.Stack) {
				t.Errorf("stack field = %q, want the panic's stack", got)
			}
			if got := warn.str(t, "handler"); got != "poster_sync" {
				t.Errorf("handler field = %q, want poster_sync", got)
			}
			if got := warn.str(t, "error"); got != tt.wantText {
				t.Errorf("error field = %q, want %q", got, tt.wantText)
			}
		})
	}

	t.Run("a PanicError matches only domain.ErrInfrastructure among the kinds", func(t *testing.T) {
		t.Parallel()
		pe := &delivery.PanicError{Handler: "h", Value: "x"}
		for _, kind := range []error{domain.ErrValidation, domain.ErrNotFound, domain.ErrUnavailable, domain.ErrPermanent} {
			if errors.Is(pe, kind) {
				t.Errorf("PanicError matches %v", kind)
			}
		}
	})

	t.Run("a panic with an error of a permanent kind is permanent", func(t *testing.T) {
		t.Parallel()
		// PanicError matches domain.ErrInfrastructure, and Unwrap exposes
		// a panicked error, whose permanent kind then decides.
		logger, _ := newLogger(slog.LevelInfo)
		inv := delivery.NewInvoker([]delivery.Handler{
			delivery.HandlerFunc("h", func(context.Context, domain.Event) error { panic(errNotFound) }),
		}, delivery.WithLogger(logger))
		err := inv.Invoke(context.Background(), MustMovieDiscovered(t), 1)
		if !domain.IsPermanent(err) || !errors.Is(err, domain.ErrInfrastructure) || !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Invoke = %v, want a permanent failure matching both ErrInfrastructure and ErrNotFound", err)
		}
	})
}

func TestInvokerNilEvent(t *testing.T) {
	t.Parallel()
	called := false
	rec := &hookRecorder{}
	logger, sink := newLogger(slog.LevelDebug)
	inv := delivery.NewInvoker([]delivery.Handler{
		delivery.HandlerFunc("h", func(context.Context, domain.Event) error { called = true; return nil }),
	}, delivery.WithLogger(logger), delivery.WithHandledHook(rec.hook))

	err := inv.Invoke(context.Background(), nil, 1)
	if !errors.Is(err, domain.ErrValidation) {
		t.Errorf("Invoke(nil) = %v, want a validation error", err)
	}
	var fe domain.FieldError
	if !errors.As(err, &fe) || fe.Field != "event" {
		t.Errorf("Invoke(nil) = %#v, want a FieldError for event", err)
	}
	if a := delivery.DefaultRetryPolicy().Decide(nil, 1, err); a.Outcome != delivery.OutcomeDead || a.Reason != delivery.ReasonPermanent {
		t.Errorf("Decide = %+v, want dead, permanent", a)
	}
	if called || len(rec.calls) != 0 {
		t.Errorf("handler called = %v, hook calls = %d; want neither", called, len(rec.calls))
	}
	if lines := sink.Lines(t); len(lines) != 0 {
		t.Errorf("logged %v, want nothing", lines)
	}
}

func TestInvokerLogs(t *testing.T) {
	t.Parallel()
	review := MustReviewLogged(t)
	tests := []struct {
		name  string
		event domain.Event
		level slog.Level
	}{
		{"review_logged lines carry review_id", review, slog.LevelInfo},
		{"review_logged behind a pointer carries review_id", &review, slog.LevelInfo},
		{"movie_discovered lines carry no review_id", MustMovieDiscovered(t), slog.LevelInfo},
		{"at WARN only the failures are logged", MustMovieDiscovered(t), slog.LevelWarn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logger, sink := newLogger(tt.level)
			inv := delivery.NewInvoker([]delivery.Handler{
				delivery.HandlerFunc("ok", nil),
				delivery.HandlerFunc("omdb", func(context.Context, domain.Event) error { return errUnavailable }),
				delivery.HandlerFunc("store", func(context.Context, domain.Event) error { return errNotFound }),
			}, delivery.WithLogger(logger))
			_ = inv.Invoke(context.Background(), tt.event, 3)

			lines := sink.Lines(t)
			wantFailures := []struct{ handler, err string }{
				{"omdb", errUnavailable.Error()},
				{"store", errNotFound.Error()},
			}
			wantLines := len(wantFailures)
			if tt.level <= slog.LevelInfo {
				wantLines++
			}
			if len(lines) != wantLines {
				t.Fatalf("logged %d lines, want %d: %v", len(lines), wantLines, lines)
			}
			if tt.level <= slog.LevelInfo {
				info := lines[0]
				lines = lines[1:]
				if info.str(t, "level") != "INFO" || info.str(t, "msg") != "event" {
					t.Errorf("first line = %v, want the INFO event line", info)
				}
				checkEventFields(t, info, tt.event)
				if got := info.int(t, "attempt"); got != 3 {
					t.Errorf("attempt = %d, want 3", got)
				}
				if _, has := info["handler"]; has {
					t.Errorf("event line names a handler: %v", info)
				}
			}
			for i, l := range lines {
				if l.str(t, "level") != "WARN" || l.str(t, "msg") != "event handler failed" {
					t.Errorf("line = %v, want a WARN event handler failed", l)
				}
				checkEventFields(t, l, tt.event)
				if got := l.int(t, "attempt"); got != 3 {
					t.Errorf("attempt = %d, want 3", got)
				}
				if got := l.str(t, "handler"); got != wantFailures[i].handler {
					t.Errorf("handler = %q, want %q", got, wantFailures[i].handler)
				}
				if got := l.str(t, "error"); got != wantFailures[i].err {
					t.Errorf("error = %q, want %q", got, wantFailures[i].err)
				}
				if _, has := l["stack"]; has {
					t.Errorf("a plain failure carries a stack: %v", l)
				}
			}
		})
	}
}

func TestEventAttrs(t *testing.T) {
	t.Parallel()
	review := MustReviewLogged(t)
	movie := MustMovieDiscovered(t)
	tests := []struct {
		name  string
		event domain.Event
		want  []slog.Attr
	}{
		{"review_logged", review, []slog.Attr{
			slog.String("event", "review_logged"),
			slog.String("event_id", review.ID.String()),
			slog.String("movie_id", review.Movie.String()),
			slog.String("review_id", review.ReviewID.String()),
		}},
		{"pointer to review_logged", &review, []slog.Attr{
			slog.String("event", "review_logged"),
			slog.String("event_id", review.ID.String()),
			slog.String("movie_id", review.Movie.String()),
			slog.String("review_id", review.ReviewID.String()),
		}},
		{"movie_discovered", movie, []slog.Attr{
			slog.String("event", "movie_discovered"),
			slog.String("event_id", movie.ID.String()),
			slog.String("movie_id", movie.Movie.String()),
		}},
		{"pointer to movie_discovered", &movie, []slog.Attr{
			slog.String("event", "movie_discovered"),
			slog.String("event_id", movie.ID.String()),
			slog.String("movie_id", movie.Movie.String()),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" has the event fields", func(t *testing.T) {
			t.Parallel()
			got := delivery.EventAttrs(tt.event)
			if !slices.EqualFunc(got, tt.want, slog.Attr.Equal) {
				t.Errorf("EventAttrs = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestInvokerConcurrentUse(t *testing.T) {
	t.Parallel()
	const goroutines, rounds = 8, 50
	var okCalls, failCalls, panicCalls, hookCalls atomic.Int64
	logger, sink := newLogger(slog.LevelInfo)
	inv := delivery.NewInvoker([]delivery.Handler{
		delivery.HandlerFunc("ok", func(context.Context, domain.Event) error { okCalls.Add(1); return nil }),
		delivery.HandlerFunc("fail", func(context.Context, domain.Event) error { failCalls.Add(1); return errUnavailable }),
		delivery.HandlerFunc("panic", func(_ context.Context, e domain.Event) error {
			panicCalls.Add(1)
			if e.EventName() == domain.EventMovieDiscovered {
				panic("boom")
			}
			return nil
		}),
	}, delivery.WithLogger(logger), delivery.WithHandledHook(func(domain.EventName, string, error) { hookCalls.Add(1) }))

	events := []domain.Event{MustReviewLogged(t), MustMovieDiscovered(t)}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*rounds)
	for g := range goroutines {
		wg.Go(func() {
			for r := range rounds {
				e := events[(g+r)%len(events)]
				err := inv.Invoke(context.Background(), e, r+1)
				if !errors.Is(err, domain.ErrUnavailable) {
					errs <- fmt.Errorf("Invoke(%s) = %v, want it to wrap ErrUnavailable", e.EventName(), err)
				}
				var pe *delivery.PanicError
				if panicked := errors.As(err, &pe); panicked != (e.EventName() == domain.EventMovieDiscovered) {
					errs <- fmt.Errorf("Invoke(%s) = %v: panic reported = %v", e.EventName(), err, panicked)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	const total = goroutines * rounds
	for name, got := range map[string]int64{"ok": okCalls.Load(), "fail": failCalls.Load(), "panic": panicCalls.Load()} {
		if got != total {
			t.Errorf("handler %s called %d times, want %d", name, got, total)
		}
	}
	if got := hookCalls.Load(); got != 3*total {
		t.Errorf("hook called %d times, want %d", got, 3*total)
	}
	// Each invocation logs its event line and one line per failure: fail
	// always, panic for half of them.
	if got, want := len(sink.Lines(t)), total+total+total/2; got != want {
		t.Errorf("logged %d lines, want %d", got, want)
	}
}

func TestInvokerPassesContext(t *testing.T) {
	t.Parallel()
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "trace-1")
	var got any
	inv := delivery.NewInvoker([]delivery.Handler{
		delivery.HandlerFunc("h", func(ctx context.Context, _ domain.Event) error { got = ctx.Value(key{}); return nil }),
	}, delivery.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err := inv.Invoke(ctx, MustMovieDiscovered(t), 1); err != nil {
		t.Fatalf("Invoke = %v", err)
	}
	if got != "trace-1" {
		t.Errorf("handler saw context value %v, want trace-1", got)
	}
}
