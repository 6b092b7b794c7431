package eventpublisher

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// EventWorker is the consuming end of the channel: it logs each event and
// calls every handler in registration order, one event at a time.
type EventWorker struct {
	pub          *ChannelPublisher
	handlers     []EventHandler
	logger       *slog.Logger
	onHandled    func(domain.EventName, string, error)
	drainTimeout time.Duration
	running      atomic.Bool
}

// Run handles events until shutdown, then drains the buffer and returns
// nil. Shutdown begins when the publisher is closed or ctx is cancelled
// (cancelling ctx also closes the publisher); the events still buffered are
// handled with context.WithoutCancel(ctx), bounded by WithDrainTimeout if
// set. A handler's error or panic is logged at ERROR with the handler's
// name and does not stop the worker or skip later handlers. Run may be
// called once; a second call returns an error at once.
func (w *EventWorker) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return errAlreadyRunning
	}
	ctxDone := ctx.Done()
	for {
		var e domain.Event
		select {
		case e = <-w.pub.ch:
		default:
			select {
			case e = <-w.pub.ch:
			case <-w.pub.done:
				return w.drain(ctx, nil)
			case <-ctxDone:
				w.pub.Close()
				return w.drain(ctx, nil)
			}
		}
		if ctxDone != nil {
			select {
			case <-ctxDone:
				w.pub.Close()
				return w.drain(ctx, e)
			default:
			}
		}
		w.dispatch(ctx, e)
	}
}

// drain handles first (if any) and everything accepted before shutdown.
func (w *EventWorker) drain(ctx context.Context, first domain.Event) error {
	dctx := context.WithoutCancel(ctx)
	if w.drainTimeout > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(dctx, w.drainTimeout)
		defer cancel()
	}
	if first != nil {
		w.dispatch(dctx, first)
	}
	// Every Publish that started before Close either has put its event in
	// the buffer or is about to fail with ErrClosed; wait for them, after
	// which nothing more can arrive.
	w.pub.inflight.Wait()
	for {
		select {
		case e := <-w.pub.ch:
			w.dispatch(dctx, e)
		default:
			if w.logger.Enabled(ctx, slog.LevelInfo) {
				w.logger.LogAttrs(ctx, slog.LevelInfo, "event worker stopped")
			}
			return nil
		}
	}
}

func (w *EventWorker) dispatch(ctx context.Context, e domain.Event) {
	name := e.EventName()
	if w.logger.Enabled(ctx, slog.LevelInfo) {
		w.logger.LogAttrs(ctx, slog.LevelInfo, "event", eventAttrs(e)...)
	}
	for _, h := range w.handlers {
		err := callHandler(ctx, h, e)
		if err != nil {
			attrs := append(eventAttrs(e), slog.String("handler", h.Name()), slog.String("error", err.Error()))
			var pe *PanicError
			if errors.As(err, &pe) {
				attrs = append(attrs, slog.String("stack", string(pe.Stack)))
			}
			w.logger.LogAttrs(ctx, slog.LevelError, "event handler failed", attrs...)
		}
		if w.onHandled != nil {
			w.onHandled(name, h.Name(), err)
		}
	}
}

// callHandler runs h, turning a panic into a *PanicError.
func callHandler(ctx context.Context, h EventHandler, e domain.Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Handler: h.Name(), Value: v, Stack: debug.Stack()}
		}
	}()
	return h.Handle(ctx, e)
}

// eventAttrs returns the structured fields every event log line carries:
// event, event_id, movie_id, and review_id for review_logged.
func eventAttrs(e domain.Event) []slog.Attr {
	attrs := make([]slog.Attr, 0, 7)
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
