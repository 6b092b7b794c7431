package outbox

import (
	"fmt"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/domain"
)

// Defaults of Config; a zero field means its default.
const (
	// DefaultConcurrency is how many events are handled at once.
	DefaultConcurrency = 4
	// DefaultLease is how long a claim holds an event without renewal. The
	// dispatcher renews the claims of its running deliveries every third
	// of it, so it bounds how long the claims of a process that died keep
	// their events from everyone else, not how long a delivery may run.
	DefaultLease = 6 * time.Second
	// DefaultDeliveryTimeout bounds one delivery: a poster sync is bounded
	// by the OMDb timeout (10s) plus the poster download timeout (30s).
	DefaultDeliveryTimeout = time.Minute
	// DefaultPollInterval is the fallback wake-up when no Notify comes.
	DefaultPollInterval = 500 * time.Millisecond
	// DefaultShutdownTimeout bounds the wait for deliveries in flight when
	// Run stops.
	DefaultShutdownTimeout = 10 * time.Second
)

// Config is the delivery policy of a Dispatcher.
type Config struct {
	// Retry decides, after each failed attempt, whether the event is due
	// again (and when) or parked as dead. It is used as given: its zero
	// value means delivery.DefaultMaxAttempts attempts with no wait;
	// DefaultConfig sets delivery.DefaultRetryPolicy (1s → 2s → 4s).
	Retry delivery.RetryPolicy
	// Concurrency bounds the deliveries in flight; zero means
	// DefaultConcurrency.
	Concurrency int
	// BatchSize bounds one claim; zero means Concurrency. A claim never
	// asks for more than the free slots.
	BatchSize int
	// Lease is how long a claim holds an event unless renewed; zero means
	// DefaultLease. The dispatcher renews its deliveries' claims every
	// Lease/3, so a live process keeps its events however long they take,
	// and the events of a process that died are claimable again at most
	// Lease after its last renewal.
	Lease time.Duration
	// DeliveryTimeout bounds one delivery; a delivery that overruns is
	// cancelled, and its attempt fails and is retried. Zero means
	// DefaultDeliveryTimeout.
	DeliveryTimeout time.Duration
	// PollInterval is the longest sleep between claims; zero means
	// DefaultPollInterval.
	PollInterval time.Duration
	// ShutdownTimeout bounds the wait for deliveries in flight once Run's
	// context is cancelled; zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// DrainOnStop makes Run, once its context is cancelled, keep claiming
	// the events due at that moment (within ShutdownTimeout) before it
	// returns, as the channel bus drains its buffer. Off, Run stops
	// claiming at once.
	DrainOnStop bool
}

// DefaultConfig returns the defaults: delivery.DefaultRetryPolicy, 4 at
// once, a 6-second lease renewed every 2 seconds, deliveries bounded to a
// minute, a 500ms poll.
func DefaultConfig() Config {
	return Config{
		Retry:           delivery.DefaultRetryPolicy(),
		Concurrency:     DefaultConcurrency,
		BatchSize:       DefaultConcurrency,
		Lease:           DefaultLease,
		DeliveryTimeout: DefaultDeliveryTimeout,
		PollInterval:    DefaultPollInterval,
		ShutdownTimeout: DefaultShutdownTimeout,
	}
}

// withDefaults fills zero fields and rejects negative ones.
func (c Config) withDefaults() (Config, error) {
	var v domain.Validation
	if err := c.Retry.Validate(); err != nil {
		v.Add("retry", err.Error())
	}
	for _, f := range []struct {
		name string
		bad  bool
	}{
		{"concurrency", c.Concurrency < 0},
		{"batch_size", c.BatchSize < 0},
		{"lease", c.Lease < 0 || c.Lease > 0 && c.Lease < 3*time.Millisecond},
		{"delivery_timeout", c.DeliveryTimeout < 0},
		{"poll_interval", c.PollInterval < 0},
		{"shutdown_timeout", c.ShutdownTimeout < 0},
	} {
		if f.bad {
			v.Add(f.name, "must be positive")
		}
	}
	if err := v.Err(); err != nil {
		return Config{}, fmt.Errorf("outbox: config: %w", err)
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.BatchSize == 0 || c.BatchSize > c.Concurrency {
		c.BatchSize = c.Concurrency
	}
	fill := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	fill(&c.Lease, DefaultLease)
	fill(&c.DeliveryTimeout, DefaultDeliveryTimeout)
	fill(&c.PollInterval, DefaultPollInterval)
	fill(&c.ShutdownTimeout, DefaultShutdownTimeout)
	return c, nil
}

// renewEvery is how often running deliveries' claims are renewed: a third
// of the lease, so two renewals may fail before a lease lapses.
func (c Config) renewEvery() time.Duration { return c.Lease / 3 }
