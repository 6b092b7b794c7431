package nats

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/moviediary/moviediary/domain"
)

// Bus is a connection to NATS with moviediary's stream and durable
// consumer in place. It is safe for concurrent use.
type Bus struct {
	cfg    Config
	nc     *natsgo.Conn
	js     jetstream.JetStream
	cons   jetstream.Consumer
	logger *slog.Logger
}

// Option adjusts Connect.
type Option func(*connectOptions)

type connectOptions struct {
	logger   *slog.Logger
	natsOpts []natsgo.Option
}

// WithLogger sets the logger of the bus and its consumers (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *connectOptions) { o.logger = l } }

// WithNATSOptions appends options of the NATS client (credentials, TLS,
// reconnect timing); they override the bus's own defaults.
func WithNATSOptions(opts ...natsgo.Option) Option {
	return func(o *connectOptions) { o.natsOpts = append(o.natsOpts, opts...) }
}

// Connect connects to cfg.URL and makes sure the stream and the durable
// consumer exist with cfg's settings, creating or updating them; calling it
// from several processes at once is safe. The connection reconnects
// forever after it was established; while it is down, Deliver fails fast
// with domain.ErrUnavailable. A server that cannot be reached is an error
// wrapping domain.ErrUnavailable; a bad cfg wraps domain.ErrValidation; a
// server without JetStream wraps domain.ErrMisconfigured.
func Connect(ctx context.Context, cfg Config, opts ...Option) (*Bus, error) {
	b, err := dial(ctx, cfg, opts)
	if err != nil {
		return nil, err
	}
	if err := b.setup(ctx); err != nil {
		b.nc.Close()
		return nil, err
	}
	return b, nil
}

// Attach connects to cfg.URL and finds the stream, changing nothing on the
// server: it is for tools that only read or requeue (the events commands),
// so that a shell whose settings differ from the servers' never rewrites
// the stream or the durable consumer. A stream that does not exist is an
// error wrapping domain.ErrNotFound; other errors are Connect's. An
// attached Bus can publish (Sink), list and requeue dead events, but not
// Consume.
func Attach(ctx context.Context, cfg Config, opts ...Option) (*Bus, error) {
	b, err := dial(ctx, cfg, opts)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(b.nc)
	if err == nil {
		_, err = js.Stream(ctx, b.cfg.Stream)
	}
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		b.nc.Close()
		return nil, fmt.Errorf("nats: stream %s: %w", b.cfg.Stream, domain.ErrNotFound)
	case err != nil:
		b.nc.Close()
		return nil, fmt.Errorf("nats: find stream %s: %w", b.cfg.Stream, classify(err))
	}
	b.js = js
	return b, nil
}

// dial validates cfg and makes the connection.
func dial(ctx context.Context, cfg Config, opts []Option) (*Bus, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	var o connectOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	logger := o.logger
	natsOpts := []natsgo.Option{
		natsgo.Name("moviediary"),
		natsgo.MaxReconnects(-1),
		natsgo.ReconnectWait(250 * time.Millisecond),
		// No buffering while disconnected: Deliver must fail so the outbox
		// keeps the event, not pretend to have sent it.
		natsgo.ReconnectBufSize(-1),
		natsgo.DisconnectErrHandler(func(_ *natsgo.Conn, err error) {
			logger.LogAttrs(context.Background(), slog.LevelWarn, "nats disconnected", errAttr(err))
		}),
		natsgo.ReconnectHandler(func(nc *natsgo.Conn) {
			logger.LogAttrs(context.Background(), slog.LevelInfo, "nats reconnected", slog.String("url", nc.ConnectedUrlRedacted()))
		}),
	}
	natsOpts = append(natsOpts, o.natsOpts...)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	nc, err := natsgo.Connect(cfg.URL, natsOpts...)
	if err != nil {
		return nil, fmt.Errorf("nats: connect to %s: %w: %w", redact(cfg.URL), domain.ErrUnavailable, err)
	}
	return &Bus{cfg: cfg, nc: nc, logger: logger}, nil
}

// setup ensures the stream and the durable consumer.
func (b *Bus) setup(ctx context.Context) error {
	js, err := jetstream.New(b.nc)
	if err != nil {
		return fmt.Errorf("nats: jetstream: %w", classify(err))
	}
	b.js = js
	cfg := b.cfg
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "moviediary domain events",
		Subjects:    []string{cfg.SubjectPrefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Duplicates:  cfg.DuplicateWindow,
		MaxAge:      cfg.MaxAge,
	})
	if err != nil {
		return fmt.Errorf("nats: ensure stream %s: %w", cfg.Stream, classify(err))
	}
	cc := jetstream.ConsumerConfig{
		Durable:       cfg.Durable,
		Description:   "moviediary event handlers",
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		FilterSubject: cfg.SubjectPrefix + ".>",
		// Unlimited: Consume gives an event up (Term and a DeadAdvisory)
		// when Config.Retry says so. A server-side limit would also count
		// deliveries that expired unacknowledged (a process that died
		// mid-handler) and silently strand the event after the last one,
		// with no advisory.
		MaxDeliver: -1,
		// Unlimited too: a deferred event waits for its quota as a
		// message Nak'd with a delay, which the server counts as awaiting
		// acknowledgement. Under the default cap of 1000, a large import
		// whose enrichment waits for tomorrow's OMDb budget would stop
		// every other event until then. Consume still fetches no more
		// messages than it has free slots.
		MaxAckPending: -1,
		AckWait:       cfg.AckWait,
		// No BackOff: see the package comment.
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, cfg.Stream, cc)
	if err != nil {
		return fmt.Errorf("nats: ensure consumer %s: %w", cfg.Durable, classify(err))
	}
	b.cons = cons
	return nil
}

// Config returns the bus's configuration, defaults filled in.
func (b *Bus) Config() Config { return b.cfg }

// Close closes the connection. A running Consume then returns an error.
// Close is idempotent.
func (b *Bus) Close() { b.nc.Close() }

// classify wraps a NATS error in the domain kind it amounts to.
func classify(err error) error {
	switch {
	case errors.Is(err, jetstream.ErrJetStreamNotEnabled), errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount):
		return fmt.Errorf("%w: %w", domain.ErrMisconfigured, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, natsgo.ErrTimeout), errors.Is(err, natsgo.ErrNoResponders),
		errors.Is(err, natsgo.ErrConnectionClosed), errors.Is(err, natsgo.ErrConnectionReconnecting),
		errors.Is(err, natsgo.ErrConnectionDraining), errors.Is(err, natsgo.ErrReconnectBufExceeded),
		errors.Is(err, natsgo.ErrDisconnected), errors.Is(err, jetstream.ErrNoStreamResponse):
		return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
	}
	return fmt.Errorf("%w: %w", domain.ErrInfrastructure, err)
}

// redact hides passwords in a comma-separated URL list before it is
// shown.
func redact(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil {
			parts[i] = u.Redacted()
		}
	}
	return strings.Join(parts, ",")
}

func errAttr(err error) slog.Attr {
	if err == nil {
		return slog.String("error", "")
	}
	return slog.String("error", err.Error())
}
