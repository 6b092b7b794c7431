package presentation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/moviediary/moviediary/adapters/eventpublisher"
	"github.com/moviediary/moviediary/adapters/outbox"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// outboxStore is a Store whose repositories can keep a transactional
// outbox (opened in outbox mode).
type outboxStore interface {
	Outbox() domain.Outbox
}

// outboxListener is a Store that can wake dispatchers the moment another
// process commits events (PostgreSQL's LISTEN/NOTIFY). ListenOutbox calls
// wake for every notification until ctx ends.
type outboxListener interface {
	ListenOutbox(ctx context.Context, wake func()) error
}

// storeOutbox returns store's outbox, or an error when the database cannot
// keep one.
func storeOutbox(store Store) (domain.Outbox, error) {
	if s, ok := store.(outboxStore); ok {
		if ob := s.Outbox(); ob != nil {
			return ob, nil
		}
	}
	return nil, &ConfigError{Var: "EVENT_BUS", Reason: "this database does not support the outbox; use EVENT_BUS=channel"}
}

// eventBus is the running side of event delivery: the publisher the use
// cases get and what delivers the events.
type eventBus struct {
	publisher domain.EventPublisher
	// run delivers events until stop was called (channel) or ctx ends
	// (outbox), then drains within the shutdown timeout and returns.
	run func(ctx context.Context) error
	// stop starts shutdown of the channel bus; nil for the outbox.
	stop func()
	// pending describes what was not delivered at a timed-out shutdown.
	pending func() string
	// dispatcher is nil for the channel bus and for a serve that leaves
	// delivery to workers.
	dispatcher *outbox.Dispatcher
	outbox     domain.Outbox
}

// newChannelBus is the seed's wiring: the poster sync retries in its own
// goroutine, events are lost on a crash.
func newChannelBus(cfg Config, logger *slog.Logger, metrics *Metrics, syncPoster PosterSyncer) *eventBus {
	retry := eventpublisher.RetryConfig{MaxRetries: cfg.PosterSyncMaxRetries, BaseDelay: cfg.PosterSyncBaseDelay}
	// The attempt hook belongs to the retry decorator, the only place that
	// sees each attempt.
	posterHandler := NewPosterSyncHandler(syncPoster, retry, logger,
		eventpublisher.WithAttemptHook(func(event domain.EventName, handler string, attempt int, err error) {
			// Other events pass through the handler as a no-op success:
			// they are not poster syncs.
			if handler != PosterSyncHandlerName || event != domain.EventMovieDiscovered {
				return
			}
			switch {
			case err == nil:
				metrics.PosterSyncAttempt("success")
			case attempt > cfg.PosterSyncMaxRetries || domain.IsPermanent(err):
				metrics.PosterSyncAttempt("failure")
			default:
				metrics.PosterSyncAttempt("retry")
			}
		}))
	publisher, worker := eventpublisher.CreateEventChannel(
		eventpublisher.Config{ChannelBuffer: cfg.EventChannelBuffer},
		[]eventpublisher.EventHandler{posterHandler},
		eventpublisher.WithLogger(logger),
		eventpublisher.WithPublishHook(func(name domain.EventName, err error) {
			if err == nil {
				metrics.EventPublished(name)
			}
		}),
		eventpublisher.WithHandledHook(metrics.EventHandled),
	)
	return &eventBus{
		publisher: publisher,
		run:       worker.Run,
		stop:      func() { _ = publisher.Close() },
		pending:   func() string { return fmt.Sprintf("%d buffered events", publisher.Len()) },
	}
}

// newOutboxBus delivers the events the repositories stored: the dispatcher
// does the retrying (1 + POSTER_SYNC_MAX_RETRIES attempts,
// POSTER_SYNC_BASE_DELAY·2^n apart, permanent errors once), so the poster
// handler makes one attempt per delivery. With dispatch false the bus only
// stores events, leaving them to worker processes.
func newOutboxBus(cfg Config, logger *slog.Logger, metrics *Metrics, store Store, syncPoster PosterSyncer, dispatch bool) (*eventBus, error) {
	ob, err := storeOutbox(store)
	if err != nil {
		return nil, err
	}
	metrics.WatchOutboxPending(func(ctx context.Context) (int, error) { return ob.PendingEvents(ctx) })
	bus := &eventBus{outbox: ob}
	publishHook := outbox.WithPublishHook(func(name domain.EventName, err error) {
		if err == nil {
			metrics.EventPublished(name)
		}
	})
	if !dispatch {
		bus.publisher = wakeOtherProcesses(store, outbox.NewNotifier(nil, publishHook), logger)
		bus.run = func(ctx context.Context) error { <-ctx.Done(); return nil }
		bus.pending = func() string { return "" }
		return bus, nil
	}
	sink := outbox.LocalSink(
		[]eventpublisher.EventHandler{&PosterSyncHandler{syncer: syncPoster}},
		outbox.WithLogger(logger),
		outbox.WithHandledHook(metrics.EventHandled),
	)
	base := cfg.PosterSyncBaseDelay
	if base == 0 {
		base = -1 // the dispatcher's "no wait"
	}
	dcfg := outbox.Config{
		MaxAttempts:     1 + cfg.PosterSyncMaxRetries,
		BaseDelay:       base,
		Concurrency:     cfg.EventConcurrency,
		Lease:           cfg.EventLease,
		PollInterval:    cfg.EventPollInterval,
		ShutdownTimeout: cfg.ShutdownTimeout,
		DrainOnStop:     true,
	}
	d, err := outbox.New(ob, sink, dcfg,
		outbox.WithLogger(logger),
		outbox.WithAttemptHook(func(a outbox.Attempt) {
			if a.Outcome == outbox.OutcomeDead {
				metrics.EventDead(a.Event.EventName())
			}
			if a.Event.EventName() != domain.EventMovieDiscovered {
				return
			}
			switch a.Outcome {
			case outbox.OutcomeSuccess:
				metrics.PosterSyncAttempt("success")
			case outbox.OutcomeRetry:
				metrics.PosterSyncAttempt("retry")
			case outbox.OutcomeDead:
				metrics.PosterSyncAttempt("failure")
			}
		}),
	)
	if err != nil {
		return nil, err
	}
	if need := time.Duration(cfg.OMDbTimeout + cfg.PosterFetchTimeout); dcfg.HandlerTimeout() < need {
		logger.Warn("EVENT_LEASE is shorter than a slow poster sync may take: such deliveries are cut short and retried",
			"delivery_timeout", dcfg.HandlerTimeout().String(), "slowest_sync", need.String())
	}
	bus.dispatcher = d
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
// ends, reconnecting with a growing pause; polling covers the gaps.
func listenOutbox(ctx context.Context, l outboxListener, wake func(), logger *slog.Logger) {
	pause := time.Second
	for ctx.Err() == nil {
		err := l.ListenOutbox(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		msg := "outbox listener stopped; polling until it reconnects"
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
		pause = min(2*pause, 30*time.Second)
		wake() // catch up on what was committed meanwhile
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

// Work runs the event dispatcher and its handlers, without HTTP, until ctx
// is cancelled (SIGINT/SIGTERM): `moviediary worker`, for deployments that
// run API servers and workers apart. It needs EVENT_BUS=outbox or
// EVENT_BUS=nats (then it runs the relay to NATS and a consumer).
func Work(ctx context.Context, cfg Config, logger *slog.Logger) error {
	if !cfg.storesEvents() {
		return &ConfigError{Var: "EVENT_BUS", Reason: "moviediary worker delivers the outbox: it needs EVENT_BUS=outbox or nats, got " + cfg.EventBus}
	}
	logger.Info("starting moviediary worker", "config", cfg)
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create DATA_DIR %s: %w", cfg.DataDir, err)
	}
	store, err := openStore(ctx, cfg.DatabaseURL, true)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	syncPoster, err := newSyncPoster(ctx, cfg, logger, store.Movies())
	if err != nil {
		return err
	}
	newBus := newOutboxBus
	if cfg.EventBus == EventBusNATS {
		newBus = newNATSBus
	}
	bus, err := newBus(cfg, logger, NewMetrics(), store, syncPoster, true)
	if err != nil {
		return err
	}
	backfill(ctx, bus.outbox, logger)
	logger.Info("moviediary worker running", "concurrency", cfg.EventConcurrency)
	return bus.run(ctx)
}

// newSyncPoster wires the SyncPoster use case from the configuration.
func newSyncPoster(ctx context.Context, cfg Config, logger *slog.Logger, movies domain.MovieRepository) (*application.SyncPoster, error) {
	posters, err := posterStorage(ctx, cfg)
	if err != nil {
		return nil, err
	}
	metadata, err := metadataClient(cfg, logger)
	if err != nil {
		return nil, err
	}
	fetcher, err := newPosterFetcher(cfg)
	if err != nil {
		return nil, err
	}
	return application.NewSyncPoster(movies, metadata, fetcher, posters)
}

// openOutbox opens and migrates the database for an events command.
func openOutbox(ctx context.Context, cfg Config) (Store, domain.Outbox, error) {
	store, err := OpenStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, fmt.Errorf("open database: %w", err)
	}
	if err := store.Migrate(ctx); err != nil {
		_ = store.Close()
		return nil, nil, fmt.Errorf("migrate database: %w", err)
	}
	ob, err := storeOutbox(store)
	if err != nil {
		_ = store.Close()
		return nil, nil, err
	}
	return store, ob, nil
}

// ListDeadEvents writes up to limit dead events to w as a table: ID,
// event, movie, attempts, last error and creation time.
func ListDeadEvents(ctx context.Context, cfg Config, w io.Writer, limit int) error {
	store, ob, err := openOutbox(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	dead, err := ob.DeadEvents(ctx, limit)
	if err != nil {
		return fmt.Errorf("list dead events: %w", err)
	}
	if len(dead) == 0 {
		_, err := fmt.Fprintln(w, "no dead events")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEVENT\tMOVIE\tATTEMPTS\tLAST ERROR\tCREATED")
	for _, e := range dead {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", e.Event.EventID(), e.Event.EventName(), e.Event.MovieID(),
			e.Attempts, oneLine(e.LastError, 100), e.CreatedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

// oneLine squeezes s onto one line of at most n runes, keeping the end:
// a wrapped error names its root cause last.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = "…" + string(r[len(r)-n+1:])
	}
	return s
}

// ErrUnknownEvent is returned by RetryEvent when no dead event has the ID.
var ErrUnknownEvent = errors.New("no dead event has this ID")

// RetryEvent makes the dead event id due again with its attempts reset; a
// running dispatcher delivers it at its next poll. An ID that is malformed
// or names no dead event is an error wrapping ErrUnknownEvent.
func RetryEvent(ctx context.Context, cfg Config, logger *slog.Logger, id string) error {
	eid, err := domain.ParseEventID(strings.TrimSpace(id))
	if err != nil {
		return fmt.Errorf("event %q: not an event ID: %w", id, ErrUnknownEvent)
	}
	store, ob, err := openOutbox(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := ob.RequeueEvent(ctx, eid, time.Now()); err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return fmt.Errorf("event %s: %w (see moviediary events list --dead)", eid, ErrUnknownEvent)
		}
		return fmt.Errorf("requeue event %s: %w", eid, err)
	}
	logger.Info("event requeued", "event_id", eid.String())
	return nil
}
