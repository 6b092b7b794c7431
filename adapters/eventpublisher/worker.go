package eventpublisher

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/domain"
)

// EventWorker is the consuming end of the channel: it delivers one event
// at a time to every handler, through a delivery.Invoker, retrying each
// event by its policy.
type EventWorker struct {
	pub          *ChannelPublisher
	invoker      *delivery.Invoker
	retry        delivery.RetryPolicy
	logger       *slog.Logger
	onAttempt    func(delivery.Attempt)
	drainTimeout time.Duration
	running      atomic.Bool
}

// Run handles events until shutdown, then drains the buffer and returns
// nil. Shutdown begins when the publisher is closed or ctx is cancelled
// (cancelling ctx also closes the publisher); the events still buffered are
// handled with context.WithoutCancel(ctx), bounded by WithDrainTimeout if
// set. A handler's error or panic is logged at WARN with the handler's
// name and does not stop the worker or skip later handlers; giving an
// event up is logged at ERROR. Run may be
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

// dispatch delivers e: attempts until the retry policy says success or
// dead. Shutdown cancelling ctx during the wait before a retry gives the
// event up (reason cancelled), logged once more at ERROR.
func (w *EventWorker) dispatch(ctx context.Context, e domain.Event) {
	for n := 1; ; n++ {
		a := w.retry.Decide(e, n, w.invoker.Invoke(ctx, e, n))
		delivery.LogAttempt(ctx, w.logger, a)
		if w.onAttempt != nil {
			w.onAttempt(a)
		}
		if a.Outcome != delivery.OutcomeRetry {
			return
		}
		if err := delivery.Sleep(ctx, a.Delay); err != nil {
			a.Outcome, a.Reason, a.Delay = delivery.OutcomeDead, delivery.ReasonCancelled, 0
			a.Err = fmt.Errorf("%w (retry stopped: %w)", a.Err, err)
			delivery.LogAttempt(ctx, w.logger, a)
			return
		}
	}
}
