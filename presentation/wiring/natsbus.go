package wiring

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
	natsadapter "github.com/moviediary/moviediary/adapters/nats"
	"github.com/moviediary/moviediary/adapters/outbox"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/presentation"
)

// relayRetry is the relay's retry policy: publishing to NATS is retried
// until it works, 250ms·2^n apart but never more than 10s, so an outage of
// any length parks no event as dead and the backlog is relayed within 10s
// of NATS coming back. Only a permanent error (an event that cannot be
// encoded) kills an event in the relay.
var relayRetry = delivery.RetryPolicy{
	MaxAttempts: math.MaxInt32,
	BaseDelay:   250 * time.Millisecond,
	MaxDelay:    10 * time.Second,
}

// natsConnectMaxPause caps the pause between attempts to make the first
// connection.
const natsConnectMaxPause = 5 * time.Second

// natsConfig is the adapter's configuration from ours: the poster retry
// policy becomes the consumer's and EVENT_LEASE its AckWait.
func natsConfig(cfg Config) natsadapter.Config {
	n := natsadapter.DefaultConfig()
	n.URL = cfg.NATSURL
	n.Stream = cfg.NATSStream
	n.SubjectPrefix = cfg.NATSSubjectPrefix
	n.Durable = cfg.NATSDurable
	n.DeadSubject = cfg.NATSSubjectPrefix + ".dead"
	n.Retry = cfg.PosterRetry()
	n.AckWait = cfg.EventLease
	return n
}

// natsLink is the relay's sink: the NATS bus's Sink once a connection was
// made. Until then every delivery fails with domain.ErrUnavailable, so the
// dispatcher keeps the event in the outbox and tries again later.
type natsLink struct {
	cfg    natsadapter.Config
	logger *slog.Logger
	bus    atomic.Pointer[natsadapter.Bus]
	ready  chan struct{} // closed once bus is set
}

var _ outbox.Sink = (*natsLink)(nil)

// Deliver publishes e to the stream and waits for JetStream's
// acknowledgement.
func (l *natsLink) Deliver(ctx context.Context, e domain.Event, attempt int) error {
	b := l.bus.Load()
	if b == nil {
		return fmt.Errorf("nats: not connected to %s yet: %w", maskURLs(l.cfg.URL), domain.ErrUnavailable)
	}
	return b.Sink().Deliver(ctx, e, attempt)
}

// connect makes the first connection, retrying with a growing pause until
// it succeeds or ctx ends. Once connected, the client reconnects by
// itself.
func (l *natsLink) connect(ctx context.Context) {
	pause := 250 * time.Millisecond
	for {
		b, err := natsadapter.Connect(ctx, l.cfg, natsadapter.WithLogger(l.logger))
		if err == nil {
			l.bus.Store(b)
			close(l.ready)
			l.logger.Info("connected to nats", "url", maskURLs(l.cfg.URL), "stream", l.cfg.Stream, "durable", l.cfg.Durable)
			return
		}
		if ctx.Err() != nil {
			return
		}
		l.logger.Warn("cannot reach nats; events wait in the outbox until it answers",
			"url", maskURLs(l.cfg.URL), "error", err.Error(), "retry_in", pause.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, natsConnectMaxPause)
	}
}

// newNATSBus stores events in the outbox as newOutboxBus does; an outbox
// dispatcher relays them to NATS JetStream (an event is complete in the
// outbox only once JetStream acknowledged it) and a consumer runs the
// handlers on what the stream delivers, retrying through the consumer's
// redeliveries (so the poster handler makes one attempt per delivery).
// With dispatch false the bus only stores events, leaving relay and
// consumption to worker processes.
//
// Connecting is not needed to start: run connects in the background,
// retrying, while the relay keeps the events in the outbox.
func newNATSBus(cfg Config, logger *slog.Logger, metrics *presentation.Metrics, store Store, hs []delivery.Handler, dispatch bool) (*eventBus, error) {
	if !dispatch {
		return newOutboxBus(cfg, logger, metrics, store, hs, false)
	}
	ob := store.Outbox()
	metrics.WatchOutboxPending(ob.PendingEvents)
	link := &natsLink{cfg: natsConfig(cfg), logger: logger, ready: make(chan struct{})}
	// The relay's dead events are only those that cannot be encoded.
	d, err := outbox.New(ob, link, dispatcherConfig(cfg, relayRetry), outbox.WithLogger(logger),
		outbox.WithAttemptHook(func(a delivery.Attempt) {
			if a.Outcome == delivery.OutcomeDead {
				metrics.EventDead(a.Event.EventName())
			}
		}))
	if err != nil {
		return nil, err
	}
	consumeOpts := []natsadapter.ConsumeOption{
		natsadapter.WithConcurrency(cfg.EventConcurrency),
		natsadapter.WithDrainTimeout(cfg.ShutdownTimeout),
		natsadapter.WithHandledHook(metrics.EventHandled),
		natsadapter.WithAttemptHook(attemptMetrics(metrics)),
	}
	bus := &eventBus{
		outbox:    ob,
		publisher: wakeOtherProcesses(store, outbox.NewNotifier(d, outbox.WithPublishHook(publishMetrics(metrics))), logger),
		pending: func() string {
			return "events not yet relayed stay in the outbox; unacknowledged ones are redelivered by NATS"
		},
	}
	bus.run = func(ctx context.Context) error {
		var wg sync.WaitGroup
		wg.Go(func() { link.connect(ctx) })
		if l, ok := store.(outboxListener); ok {
			go listenOutbox(ctx, l, d.Notify, logger)
		}
		wg.Go(func() {
			select {
			case <-link.ready:
			case <-ctx.Done():
				return
			}
			if err := link.bus.Load().Consume(ctx, hs, consumeOpts...); err != nil {
				logger.Error("nats consumer stopped; events are no longer handled by this process", "error", err.Error())
			}
		})
		err := d.Run(ctx)
		wg.Wait()
		if b := link.bus.Load(); b != nil {
			b.Close()
		}
		return err
	}
	return bus, nil
}
