package nats_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/adapters/nats"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// sinkPublisher publishes through a Sink, as an outbox relay would.
type sinkPublisher struct{ s *nats.Sink }

func (p sinkPublisher) Publish(ctx context.Context, e domain.Event) error {
	return p.s.Deliver(ctx, e, 1)
}

var _ domain.EventPublisher = sinkPublisher{}

// TestSinkAndConsumer_PortContract runs the EventPublisher contract through
// NATS: Publish delivers via the Sink, a consumer's handler receives.
func TestSinkAndConsumer_PortContract(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	porttest.TestEventPublisher(t, func(t *testing.T, deliver func(domain.Event)) domain.EventPublisher {
		cfg := testConfig(t, s.url(), 20*time.Millisecond, 4)
		b := connect(t, cfg)
		h := delivery.HandlerFunc("deliver", func(_ context.Context, e domain.Event) error {
			deliver(e)
			return nil
		})
		consume(t, b, handlers(h), nats.WithConcurrency(1))
		return sinkPublisher{b.Sink()}
	})
}

// TestOutage stops the server under a running bus: Deliver fails with
// ErrUnavailable while it is down, and after a restart on the same store
// the stream and the durable consumer are still there and delivery
// resumes, without the event handled before being handled again.
func TestOutage(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	cfg := testConfig(t, s.url(), 20*time.Millisecond, 4)
	cfg.PublishTimeout = 500 * time.Millisecond
	b := connect(t, cfg, nats.WithNATSOptions(natsgo.ReconnectWait(20*time.Millisecond)))
	h := newRecorder("poster", nil)
	consume(t, b, handlers(h))
	events := sampleEvents(t, 2)

	deliver(t, b.Sink(), events[0])
	h.waitCalls(t, 1)
	waitIdle(t, cfg)

	s.stop()
	err := b.Sink().Deliver(t.Context(), events[1], 1)
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("Deliver while NATS is down = %v, want ErrUnavailable", err)
	}

	s.start()
	deadline := time.Now().Add(waitTimeout)
	for {
		err := b.Sink().Deliver(t.Context(), events[1], 1)
		if err == nil {
			break
		}
		if !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("Deliver after the restart = %v, want nil or ErrUnavailable", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("Deliver still failing %v after the restart: %v", waitTimeout, err)
		}
		time.Sleep(20 * time.Millisecond) // polling interval while the client reconnects
	}
	if c := h.waitCalls(t, 1)[0]; c.event.EventID() != events[1].EventID() {
		t.Fatalf("after the restart the handler got %v, want %v", c.event.EventID(), events[1].EventID())
	}
	info := waitIdle(t, cfg)
	if info.AckFloor.Stream != 2 {
		t.Errorf("ack floor %d, want both events acked", info.AckFloor.Stream)
	}
	if h.count() != 2 {
		t.Errorf("%d handler calls, want 2: the first event must not come back after the restart", h.count())
	}
}

func TestConnect(t *testing.T) {
	t.Parallel()
	s := startServer(t)

	t.Run("ensuring the stream and consumer is idempotent", func(t *testing.T) {
		cfg := testConfig(t, s.url(), time.Second, 4)
		connect(t, cfg)
		b := connect(t, cfg)
		info := consumerInfo(t, cfg)
		// MaxDeliver is unlimited: Config.Retry gives events up, not the
		// server (which would strand an unsettled last delivery).
		if info.Config.MaxDeliver != -1 || info.Config.AckPolicy != jetstream.AckExplicitPolicy || info.Config.AckWait != nats.DefaultAckWait {
			t.Errorf("consumer config %+v, want MaxDeliver -1 (unlimited), explicit ack, AckWait %v", info.Config, nats.DefaultAckWait)
		}
		if got := b.Config(); got.DuplicateWindow != nats.DefaultDuplicateWindow || got.Stream != cfg.Stream {
			t.Errorf("Config() = %+v, want defaults filled in", got)
		}
	})

	t.Run("an existing consumer loses its delivery limit", func(t *testing.T) {
		cfg := testConfig(t, s.url(), time.Second, 4)
		connect(t, cfg)
		nc, err := natsgo.Connect(cfg.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		old := consumerInfo(t, cfg).Config
		old.MaxDeliver = 4 // as versions with a server-side limit made it
		if _, err := js.UpdateConsumer(t.Context(), cfg.Stream, old); err != nil {
			t.Fatal(err)
		}
		connect(t, cfg)
		if got := consumerInfo(t, cfg).Config.MaxDeliver; got != -1 {
			t.Errorf("MaxDeliver after Connect = %d, want -1", got)
		}
	})

	t.Run("a bad configuration is a validation error", func(t *testing.T) {
		for name, mutate := range map[string]func(*nats.Config){
			"stream with a dot":     func(c *nats.Config) { c.Stream = "A.B" },
			"wildcard prefix":       func(c *nats.Config) { c.SubjectPrefix = "moviediary.*" },
			"negative max deliver":  func(c *nats.Config) { c.Retry.MaxAttempts = -1 },
			"negative base delay":   func(c *nats.Config) { c.Retry.BaseDelay = -time.Second },
			"ack wait under 1s":     func(c *nats.Config) { c.AckWait = time.Millisecond },
			"empty subject segment": func(c *nats.Config) { c.DeadSubject = "a..b" },
		} {
			t.Run(name, func(t *testing.T) {
				cfg := nats.DefaultConfig()
				cfg.URL = s.url()
				mutate(&cfg)
				if _, err := nats.Connect(t.Context(), cfg); !errors.Is(err, domain.ErrValidation) {
					t.Errorf("Connect = %v, want ErrValidation", err)
				}
			})
		}
	})

	t.Run("no server is ErrUnavailable", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		cfg := nats.DefaultConfig()
		cfg.URL = "nats://" + addr
		if _, err := nats.Connect(t.Context(), cfg); !errors.Is(err, domain.ErrUnavailable) {
			t.Errorf("Connect = %v, want ErrUnavailable", err)
		}
	})

	t.Run("Consume checks its handlers and stops when the bus is closed", func(t *testing.T) {
		cfg := testConfig(t, s.url(), time.Second, 4)
		b := connect(t, cfg)
		if err := b.Consume(t.Context(), nil); !errors.Is(err, domain.ErrValidation) {
			t.Errorf("Consume without handlers = %v, want ErrValidation", err)
		}
		done := make(chan error, 1)
		go func() { done <- b.Consume(t.Context(), handlers(newRecorder("h", nil))) }()
		b.Close()
		select {
		case err := <-done:
			if !errors.Is(err, domain.ErrUnavailable) {
				t.Errorf("Consume after Close = %v, want ErrUnavailable", err)
			}
		case <-time.After(waitTimeout):
			t.Fatal("Consume did not return after Close")
		}
	})
}

// TestAttach: Attach finds the stream and changes nothing on the server —
// a tool run with other settings than the servers' leaves the durable
// consumer as the servers made it — and refuses a stream that is not
// there; an attached bus cannot consume.
func TestAttach(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	cfg := testConfig(t, s.url(), time.Second, 4)
	connect(t, cfg) // the servers' settings: AckWait 6s

	other := cfg
	other.AckWait = 45 * time.Second
	b, err := nats.Attach(t.Context(), other, nats.WithLogger(discardLogger()))
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	defer b.Close()
	if info := consumerInfo(t, cfg); info.Config.AckWait != nats.DefaultAckWait {
		t.Errorf("consumer AckWait %v after Attach with %v, want the servers' %v", info.Config.AckWait, other.AckWait, nats.DefaultAckWait)
	}
	if _, err := b.DeadEvents(t.Context(), 10); err != nil {
		t.Errorf("DeadEvents on an attached bus: %v", err)
	}
	if err := b.Consume(t.Context(), handlers(newRecorder("h", nil))); !errors.Is(err, domain.ErrMisconfigured) {
		t.Errorf("Consume on an attached bus = %v, want ErrMisconfigured", err)
	}

	missing := cfg
	missing.Stream = cfg.Stream + "_MISSING"
	if _, err := nats.Attach(t.Context(), missing); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Attach to a missing stream = %v, want ErrNotFound", err)
	}
}
