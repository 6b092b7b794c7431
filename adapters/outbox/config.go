package outbox

import (
	"fmt"
	"math"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// Defaults of Config; a zero field means its default.
const (
	// DefaultMaxAttempts is the seed's poster sync policy: one attempt and
	// three retries.
	DefaultMaxAttempts = 4
	// DefaultBaseDelay is the wait after the first failed attempt.
	DefaultBaseDelay = time.Second
	// DefaultConcurrency is how many events are handled at once.
	DefaultConcurrency = 4
	// DefaultLease is how long a claim holds an event. It must outlast a
	// normal delivery: a poster sync is bounded by the OMDb timeout (10s)
	// plus the poster download timeout (30s).
	DefaultLease = time.Minute
	// DefaultPollInterval is the fallback wake-up when no Notify comes.
	DefaultPollInterval = 500 * time.Millisecond
	// DefaultShutdownTimeout bounds the wait for deliveries in flight when
	// Run stops.
	DefaultShutdownTimeout = 10 * time.Second
)

// Config is the delivery policy of a Dispatcher.
type Config struct {
	// MaxAttempts is how many deliveries an event gets before it is parked
	// as dead; zero means DefaultMaxAttempts.
	MaxAttempts int
	// BaseDelay is the wait after the first failed attempt; attempt k+1
	// comes BaseDelay·2^(k-1) after attempt k failed. Zero means
	// DefaultBaseDelay; a negative value means no wait at all.
	BaseDelay time.Duration
	// MaxDelay caps the wait between attempts, so an event retried many
	// times (a relay to a message broker during its outage, with a large
	// MaxAttempts) is tried again at least every MaxDelay. Zero means no
	// cap.
	MaxDelay time.Duration
	// Concurrency bounds the deliveries in flight; zero means
	// DefaultConcurrency.
	Concurrency int
	// BatchSize bounds one claim; zero means Concurrency. A claim never
	// asks for more than the free slots.
	BatchSize int
	// Lease is how long a claim holds an event; zero means DefaultLease.
	Lease time.Duration
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

// DefaultConfig returns the defaults: 4 attempts 1s·2^n apart, 4 at once,
// a 1-minute lease, a 500ms poll.
func DefaultConfig() Config {
	return Config{
		MaxAttempts:     DefaultMaxAttempts,
		BaseDelay:       DefaultBaseDelay,
		Concurrency:     DefaultConcurrency,
		BatchSize:       DefaultConcurrency,
		Lease:           DefaultLease,
		PollInterval:    DefaultPollInterval,
		ShutdownTimeout: DefaultShutdownTimeout,
	}
}

// withDefaults fills zero fields and rejects negative ones.
func (c Config) withDefaults() (Config, error) {
	var v domain.Validation
	if c.MaxAttempts < 0 {
		v.Add("max_attempts", "must be 1 or more")
	}
	if c.MaxDelay < 0 {
		v.Add("max_delay", "must not be negative")
	}
	if c.Concurrency < 0 {
		v.Add("concurrency", "must be 1 or more")
	}
	if c.BatchSize < 0 {
		v.Add("batch_size", "must be 1 or more")
	}
	if c.Lease < 0 {
		v.Add("lease", "must be positive")
	}
	if c.PollInterval < 0 {
		v.Add("poll_interval", "must be positive")
	}
	if c.ShutdownTimeout < 0 {
		v.Add("shutdown_timeout", "must be positive")
	}
	if err := v.Err(); err != nil {
		return Config{}, fmt.Errorf("outbox: config: %w", err)
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	switch {
	case c.BaseDelay == 0:
		c.BaseDelay = DefaultBaseDelay
	case c.BaseDelay < 0:
		c.BaseDelay = 0
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.BatchSize == 0 || c.BatchSize > c.Concurrency {
		c.BatchSize = c.Concurrency
	}
	if c.Lease == 0 {
		c.Lease = DefaultLease
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	return c, nil
}

// HandlerTimeout is how long one delivery may run under this
// configuration: the lease less a margin (a tenth of it, at most 5s), so a
// delivery is cancelled before another dispatcher could claim its event.
func (c Config) HandlerTimeout() time.Duration {
	lease := c.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	margin := min(lease/10, 5*time.Second)
	return lease - margin
}

// retryDelay is the wait after failed attempt k: Backoff, capped at
// MaxDelay when one is set.
func (c Config) retryDelay(attempt int) time.Duration {
	d := Backoff(c.BaseDelay, attempt)
	if c.MaxDelay > 0 {
		d = min(d, c.MaxDelay)
	}
	return d
}

// Backoff returns the wait after failed attempt k (1-based): base·2^(k-1),
// saturating instead of overflowing.
func Backoff(base time.Duration, attempt int) time.Duration {
	n := attempt - 1
	if base <= 0 || n < 0 {
		return max(base, 0)
	}
	if n >= 62 || base > time.Duration(math.MaxInt64>>uint(n)) {
		return time.Duration(math.MaxInt64)
	}
	return base << uint(n)
}
