package wiring

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// crossProcessWake wraps the publisher the use cases get in outbox mode:
// after the local wake-up it also tells other processes (workers) that
// events were committed. Notifications coalesce: while one is being sent,
// further publishes only mark that another is needed, so a burst of saves
// costs a handful of NOTIFYs, sent outside the saves' transactions.
type crossProcessWake struct {
	next     domain.EventPublisher
	notify   func(ctx context.Context) error
	logger   *slog.Logger
	wanted   atomic.Bool
	inFlight atomic.Bool
}

// Publish hands e to the local publisher, then schedules a notification.
func (w *crossProcessWake) Publish(ctx context.Context, e domain.Event) error {
	err := w.next.Publish(ctx, e)
	w.wanted.Store(true)
	if w.inFlight.CompareAndSwap(false, true) {
		go w.send()
	}
	return err
}

// send notifies until no publish asked for another notification since the
// last one started, so every committed event is followed by a NOTIFY.
func (w *crossProcessWake) send() {
	for {
		for w.wanted.Swap(false) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := w.notify(ctx); err != nil {
				w.logger.Warn("could not wake other workers; they will find the events at their next poll", "error", err.Error())
			}
			cancel()
		}
		w.inFlight.Store(false)
		// A publish that came between the last Swap and the Store above saw
		// inFlight set and started nothing: take its turn here.
		if !w.wanted.Load() || !w.inFlight.CompareAndSwap(false, true) {
			return
		}
	}
}

// wakeOtherProcesses wraps p so that other processes sharing the store are
// woken after each commit, when the store can do that; otherwise p as is.
func wakeOtherProcesses(store Store, p domain.EventPublisher, logger *slog.Logger) domain.EventPublisher {
	n, ok := store.(outboxNotifier)
	if !ok {
		return p
	}
	return &crossProcessWake{next: p, notify: n.NotifyOutbox, logger: logger}
}
