package wiring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/adapters/eventpublisher"
	"github.com/moviediary/moviediary/adapters/outbox"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/presentation"
)

// eventBus is the running side of event delivery: the publisher the use
// cases get and what delivers the events.
type eventBus struct {
	publisher domain.EventPublisher
	// run delivers events until stop was called (channel) or ctx ends
	// (outbox, nats), then drains within the shutdown timeout and returns.
	run func(ctx context.Context) error
	// stop starts shutdown of the channel bus; nil for the others.
	stop func()
	// pending describes what was not delivered at a timed-out shutdown.
	pending func() string
	// outbox is where events are stored; nil for the channel bus.
	outbox domain.Outbox
}

// newBus builds the bus EVENT_BUS names. With dispatch false (outbox,
// nats) the bus only stores events, leaving their delivery to `moviediary
// worker` processes.
func newBus(cfg Config, logger *slog.Logger, metrics *presentation.Metrics, store Store, hs []delivery.Handler, dispatch bool) (*eventBus, error) {
	switch cfg.EventBus {
	case EventBusOutbox:
		return newOutboxBus(cfg, logger, metrics, store, hs, dispatch)
	case EventBusNATS:
		return newNATSBus(cfg, logger, metrics, store, hs, dispatch)
	}
	return newChannelBus(cfg, logger, metrics, hs), nil
}

// handlers are the event handlers every bus delivers to: the poster sync,
// the logging of media-server plays and the enrichment of imported films.
func handlers(syncer PosterSyncer, plays *PlayHandler, enrich *EnrichHandler) []delivery.Handler {
	return []delivery.Handler{NewPosterSyncHandler(syncer), plays, enrich}
}

// attemptMetrics is the one outcome hook of every bus: dead events, and
// poster sync attempts by result.
func attemptMetrics(m *presentation.Metrics) func(delivery.Attempt) {
	return func(a delivery.Attempt) {
		if a.Event == nil { // undecodable: given up without an event
			return
		}
		if a.Outcome == delivery.OutcomeDead {
			m.EventDead(a.Event.EventName())
		}
		if a.Event.EventName() != domain.EventMovieDiscovered {
			return
		}
		switch a.Outcome {
		case delivery.OutcomeSuccess:
			m.PosterSyncAttempt("success")
		case delivery.OutcomeRetry:
			m.PosterSyncAttempt("retry")
		case delivery.OutcomeDead:
			m.PosterSyncAttempt("failure")
		}
	}
}

// publishMetrics counts the events published.
func publishMetrics(m *presentation.Metrics) func(domain.EventName, error) {
	return func(name domain.EventName, err error) {
		if err == nil {
			m.EventPublished(name)
		}
	}
}

// newChannelBus is the in-process channel: the worker retries each event
// by the poster retry policy in its own goroutine; events are lost on a
// crash.
func newChannelBus(cfg Config, logger *slog.Logger, metrics *presentation.Metrics, hs []delivery.Handler) *eventBus {
	publisher, worker := eventpublisher.CreateEventChannel(
		eventpublisher.Config{ChannelBuffer: cfg.EventChannelBuffer, Retry: cfg.PosterRetry()},
		hs,
		eventpublisher.WithLogger(logger),
		eventpublisher.WithPublishHook(publishMetrics(metrics)),
		eventpublisher.WithHandledHook(metrics.EventHandled),
		eventpublisher.WithAttemptHook(attemptMetrics(metrics)),
		eventpublisher.WithDrainTimeout(cfg.ShutdownTimeout),
	)
	return &eventBus{
		publisher: publisher,
		run:       worker.Run,
		stop:      func() { _ = publisher.Close() },
		pending:   func() string { return fmt.Sprintf("%d buffered events", publisher.Len()) },
	}
}

// dispatcherConfig is the outbox dispatcher's configuration from ours,
// delivering by retry.
func dispatcherConfig(cfg Config, retry delivery.RetryPolicy) outbox.Config {
	return outbox.Config{
		Retry:           retry,
		Concurrency:     cfg.EventConcurrency,
		Lease:           cfg.EventLease,
		DeliveryTimeout: cfg.deliveryTimeout(),
		PollInterval:    cfg.EventPollInterval,
		ShutdownTimeout: cfg.ShutdownTimeout,
		DrainOnStop:     true,
	}
}

// newOutboxBus delivers the events the repositories stored: the dispatcher
// retries by the poster retry policy, so the poster handler makes one
// attempt per delivery.
func newOutboxBus(cfg Config, logger *slog.Logger, metrics *presentation.Metrics, store Store, hs []delivery.Handler, dispatch bool) (*eventBus, error) {
	ob := store.Outbox()
	metrics.WatchOutboxPending(ob.PendingEvents)
	bus := &eventBus{outbox: ob}
	publishHook := outbox.WithPublishHook(publishMetrics(metrics))
	if !dispatch {
		bus.publisher = wakeOtherProcesses(store, outbox.NewNotifier(nil, publishHook), logger)
		bus.run = func(ctx context.Context) error { <-ctx.Done(); return nil }
		bus.pending = func() string { return "" }
		return bus, nil
	}
	sink := outbox.LocalSink(hs, outbox.WithLogger(logger), outbox.WithHandledHook(metrics.EventHandled))
	d, err := outbox.New(ob, sink, dispatcherConfig(cfg, cfg.PosterRetry()),
		outbox.WithLogger(logger), outbox.WithAttemptHook(attemptMetrics(metrics)))
	if err != nil {
		return nil, err
	}
	bus.publisher = wakeOtherProcesses(store, outbox.NewNotifier(d, publishHook), logger)
	bus.pending = func() string { return "undelivered events stay in the outbox for the next start" }
	bus.run = func(ctx context.Context) error {
		if l, ok := store.(outboxListener); ok {
			go listenOutbox(ctx, l, d.Notify, logger)
		}
		return d.Run(ctx)
	}
	return bus, nil
}

// listenOutbox keeps a database listener waking the dispatcher until ctx
// ends; polling covers the gaps, and each reconnection wakes it to catch up
// on what was committed meanwhile.
func listenOutbox(ctx context.Context, l outboxListener, wake func(), logger *slog.Logger) {
	keepListening(ctx, time.Second, 30*time.Second, logger, "outbox listener stopped; polling until it reconnects",
		func(ctx context.Context) error { return l.ListenOutbox(ctx, wake) }, wake)
}

// listenChanges passes the changes other processes commit to cache until
// ctx ends, reconnecting after failures. The cache was told to await it
// (PageCache.AwaitListener): while no listener has read the store lately —
// from the start, from a failure until the next listener's first read —
// every read goes to the database.
func listenChanges(ctx context.Context, l domain.ChangeListener, cache *presentation.PageCache, logger *slog.Logger) {
	keepListening(ctx, 100*time.Millisecond, 10*time.Second, logger, "change listener stopped; public reads skip the page cache until it is back",
		func(ctx context.Context) error { return l.ListenChanges(ctx, cache.Invalidate) }, nil)
}

// keepListening runs listen until ctx ends, again after each return, with a
// pause that doubles from first up to most, logging msg each time;
// reconnected, when not nil, runs after each pause.
func keepListening(ctx context.Context, first, most time.Duration, logger *slog.Logger, msg string, listen func(context.Context) error, reconnected func()) {
	pause := first
	for ctx.Err() == nil {
		err := listen(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			logger.Warn(msg, "error", err.Error(), "retry_in", pause.String())
		} else {
			logger.Warn(msg, "retry_in", pause.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, most)
		if reconnected != nil {
			reconnected()
		}
	}
}

// backfill gives a sync event to every movie still waiting for its poster.
func backfill(ctx context.Context, ob domain.Outbox, logger *slog.Logger) {
	n, err := ob.BackfillPosterEvents(ctx, time.Now())
	if err != nil {
		logger.Warn("poster backfill failed; it runs again at the next start", "error", err.Error())
		return
	}
	logger.Info("poster backfill", "events", n)
}

// Work runs the event dispatcher and its handlers, without the API, until
// ctx is cancelled (SIGINT/SIGTERM): `moviediary worker`, for deployments
// that run API servers and workers apart. It needs EVENT_BUS=outbox or
// EVENT_BUS=nats (then it runs the relay to NATS and a consumer). With
// METRICS_ADDR set it serves /metrics and /healthz there.
func Work(ctx context.Context, cfg Config, logger *slog.Logger) error {
	if !cfg.storesEvents() {
		return &ConfigError{Var: "EVENT_BUS", Reason: "moviediary worker delivers the outbox: it needs EVENT_BUS=outbox or nats, got " + cfg.EventBus}
	}
	logger.Info("starting moviediary worker", "config", cfg)
	store, err := OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	metrics := presentation.NewMetrics()
	posters, err := newPosterSync(ctx, cfg, logger, store.Movies(), store.Quota(), metrics)
	if err != nil {
		return err
	}
	plays, enrich := new(PlayHandler), new(EnrichHandler)
	bus, err := newBus(cfg, logger, metrics, store, handlers(posters.sync, plays, enrich), true)
	if err != nil {
		return err
	}
	logReview, err := application.NewLogReview(store.Movies(), posters.metadata, bus.publisher, logger, time.Now)
	if err != nil {
		return err
	}
	if err := plays.build(logReview, store.Movies(), bus.publisher, logger); err != nil {
		return err
	}
	if err := enrich.build(store.Movies(), posters.metadata, bus.publisher, logger); err != nil {
		return err
	}
	if cfg.MetricsAddr != "" {
		stop, err := serveOps(cfg, logger, metrics)
		if err != nil {
			return err
		}
		defer stop()
	}
	backfill(ctx, bus.outbox, logger)
	logger.Info("moviediary worker running", "concurrency", cfg.EventConcurrency)
	// From SIGTERM on, OMDb lookups are deferred to the next start rather
	// than held through the drain.
	defer context.AfterFunc(ctx, posters.stopMetadata)()
	return bus.run(ctx)
}

// serveOps serves presentation.OpsHandler on METRICS_ADDR until the
// returned function is called.
func serveOps(cfg Config, logger *slog.Logger, metrics *presentation.Metrics) (func(), error) {
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
	}
	srv := &http.Server{
		Handler:           presentation.OpsHandler(metrics),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server stopped", "error", err.Error())
		}
	}()
	logger.Info("serving metrics and health", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
