package nats

import (
	"fmt"
	"strings"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// Defaults of Config.
const (
	DefaultURL             = "nats://127.0.0.1:4222"
	DefaultStream          = "MOVIEDIARY_EVENTS"
	DefaultSubjectPrefix   = "moviediary.events"
	DefaultDurable         = "moviediary-handlers"
	DefaultDeadSubject     = "moviediary.events.dead"
	DefaultMaxDeliver      = 4
	DefaultBaseDelay       = time.Second
	DefaultAckWait         = 30 * time.Second
	DefaultDuplicateWindow = 2 * time.Minute
	DefaultMaxAge          = 7 * 24 * time.Hour
	DefaultPublishTimeout  = 5 * time.Second
)

// Config names the NATS server, stream and consumer and sets the retry
// policy. Zero fields take the defaults above, except BackOff (see there).
type Config struct {
	// URL is the NATS server (default nats://127.0.0.1:4222); several
	// comma-separated URLs name a cluster.
	URL string
	// Stream is the JetStream stream holding the events (default
	// MOVIEDIARY_EVENTS). It captures SubjectPrefix.>.
	Stream string
	// SubjectPrefix starts every event's subject (default
	// moviediary.events): an event goes to "<prefix>.<event name>".
	SubjectPrefix string
	// Durable is the name of the durable pull consumer that every consuming
	// process shares (default moviediary-handlers).
	Durable string
	// MaxDeliver is how many times a message is delivered at most
	// (default 4, that is 1 + POSTER_SYNC_MAX_RETRIES).
	MaxDeliver int
	// BackOff[n-1] is the wait after a failed delivery n before the next
	// one (applied with NakWithDelay; see the package comment); the last
	// entry serves for any later delivery. Build it with
	// BackOffSchedule(base, MaxDeliver) for base·2^n. Empty means failed
	// deliveries are redelivered at once (a base delay of 0). Every entry
	// must be positive.
	BackOff []time.Duration
	// AckWait is how long a delivery may go unacknowledged before the
	// server hands it out again (default 30s). Consume extends it while a
	// handler runs, so it only matters when a consuming process dies.
	AckWait time.Duration
	// DeadSubject receives a DeadAdvisory for every event given up
	// (default moviediary.events.dead). Under SubjectPrefix, advisories are
	// stored in the stream too (and skipped by Consume).
	DeadSubject string
	// DuplicateWindow is how long the stream remembers event IDs to drop
	// duplicate publications (default 2m).
	DuplicateWindow time.Duration
	// MaxAge is how long the stream keeps messages, handled or not
	// (default 7 days).
	MaxAge time.Duration
	// PublishTimeout bounds one Deliver, acknowledgement included
	// (default 5s).
	PublishTimeout time.Duration
}

// DefaultConfig returns the defaults with BackOffSchedule(1s, 4):
// 1s, 2s, 4s — SPEC §5's poster sync policy.
func DefaultConfig() Config {
	return Config{
		URL:             DefaultURL,
		Stream:          DefaultStream,
		SubjectPrefix:   DefaultSubjectPrefix,
		Durable:         DefaultDurable,
		MaxDeliver:      DefaultMaxDeliver,
		BackOff:         BackOffSchedule(DefaultBaseDelay, DefaultMaxDeliver),
		AckWait:         DefaultAckWait,
		DeadSubject:     DefaultDeadSubject,
		DuplicateWindow: DefaultDuplicateWindow,
		MaxAge:          DefaultMaxAge,
		PublishTimeout:  DefaultPublishTimeout,
	}
}

// BackOffSchedule returns base, 2·base, 4·base, … with maxDeliver−1
// entries: the waits between maxDeliver deliveries. It returns nil when
// base ≤ 0 or maxDeliver ≤ 1.
func BackOffSchedule(base time.Duration, maxDeliver int) []time.Duration {
	if base <= 0 || maxDeliver <= 1 {
		return nil
	}
	out := make([]time.Duration, maxDeliver-1)
	for i := range out {
		out[i] = base << i
	}
	return out
}

// withDefaults fills zero fields and validates the result; errors wrap
// domain.ErrValidation.
func (c Config) withDefaults() (Config, error) {
	def := DefaultConfig()
	fill := func(s *string, d string) {
		if strings.TrimSpace(*s) == "" {
			*s = d
		}
	}
	fill(&c.URL, def.URL)
	fill(&c.Stream, def.Stream)
	fill(&c.SubjectPrefix, def.SubjectPrefix)
	fill(&c.Durable, def.Durable)
	fill(&c.DeadSubject, def.DeadSubject)
	if c.MaxDeliver == 0 {
		c.MaxDeliver = def.MaxDeliver
	}
	if c.AckWait == 0 {
		c.AckWait = def.AckWait
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = def.DuplicateWindow
	}
	if c.MaxAge == 0 {
		c.MaxAge = def.MaxAge
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = def.PublishTimeout
	}
	var v domain.Validation
	for field, s := range map[string]string{"stream": c.Stream, "durable": c.Durable} {
		if strings.ContainsAny(s, " \t\r\n.*>/\\") {
			v.Add(field, fmt.Sprintf("must not contain spaces, '.', '*', '>' or slashes, got %q", s))
		}
	}
	for field, s := range map[string]string{"subject_prefix": c.SubjectPrefix, "dead_subject": c.DeadSubject} {
		if !validSubject(s) {
			v.Add(field, fmt.Sprintf("must be a NATS subject without wildcards, got %q", s))
		}
	}
	if c.MaxDeliver < 1 {
		v.Add("max_deliver", fmt.Sprintf("must be 1 or more, got %d", c.MaxDeliver))
	}
	for _, d := range c.BackOff {
		if d <= 0 {
			v.Add("backoff", fmt.Sprintf("entries must be positive, got %v", d))
			break
		}
	}
	for field, d := range map[string]time.Duration{"duplicate_window": c.DuplicateWindow, "max_age": c.MaxAge, "publish_timeout": c.PublishTimeout} {
		if d < 0 {
			v.Add(field, fmt.Sprintf("must not be negative, got %v", d))
		}
	}
	if c.AckWait < time.Second {
		v.Add("ack_wait", fmt.Sprintf("must be 1s or more, got %v", c.AckWait))
	}
	if err := v.Err(); err != nil {
		return Config{}, fmt.Errorf("nats config: %w", err)
	}
	return c, nil
}

// validSubject reports whether s is a literal NATS subject: dot-separated
// non-empty tokens without wildcards or whitespace.
func validSubject(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n*>") {
		return false
	}
	for tok := range strings.SplitSeq(s, ".") {
		if tok == "" {
			return false
		}
	}
	return true
}

// retryDelay is the wait after failed delivery n (1-based).
func (c Config) retryDelay(n int) time.Duration {
	if len(c.BackOff) == 0 {
		return 0
	}
	return c.BackOff[min(max(n-1, 0), len(c.BackOff)-1)]
}

// subject is where events called name are published.
func (c Config) subject(name domain.EventName) string {
	return c.SubjectPrefix + "." + string(name)
}
