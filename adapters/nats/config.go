package nats

import (
	"fmt"
	"strings"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/domain"
)

// Defaults of Config.
const (
	DefaultURL             = "nats://127.0.0.1:4222"
	DefaultStream          = "MOVIEDIARY_EVENTS"
	DefaultSubjectPrefix   = "moviediary.events"
	DefaultDurable         = "moviediary-handlers"
	DefaultDeadSubject     = "moviediary.events.dead"
	DefaultAckWait         = 6 * time.Second
	DefaultDuplicateWindow = 2 * time.Minute
	DefaultMaxAge          = 7 * 24 * time.Hour
	DefaultPublishTimeout  = 5 * time.Second
)

// Config names the NATS server, stream and consumer and sets the retry
// policy. Zero fields take the defaults above, except Retry (see there).
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
	// Retry is the one delivery policy every bus shares, and the only
	// judge of when an event is given up: a failed delivery n is
	// redelivered after Retry.Delay(n) (applied with NakWithDelay; see the
	// package comment); a permanent failure, or a failed delivery n ≥
	// Retry.Attempts(), is terminated with a DeadAdvisory. The durable
	// consumer's MaxDeliver is unlimited (-1), so a delivery that was never
	// settled (its process died) is always handed out again; a delivery
	// numbered past Attempts() is still handled, and given up if it fails.
	// A deferral (*domain.DeferredError) is no failed attempt: the event
	// waits as a deferred copy, never given up for it (see the package
	// comment, Deferrals).
	// It is used as given; DefaultConfig sets delivery.DefaultRetryPolicy.
	Retry delivery.RetryPolicy
	// AckWait is how long a delivery may go unacknowledged before the
	// server hands it out again (default 6s). Consume extends it every
	// third of it while a handler runs, so it only bounds how long the
	// deliveries of a consuming process that died wait before another
	// process gets them.
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

// DefaultConfig returns the defaults with delivery.DefaultRetryPolicy (4
// deliveries, 1s, 2s and 4s apart): the poster sync's policy.
func DefaultConfig() Config {
	return Config{
		URL:             DefaultURL,
		Stream:          DefaultStream,
		SubjectPrefix:   DefaultSubjectPrefix,
		Durable:         DefaultDurable,
		Retry:           delivery.DefaultRetryPolicy(),
		AckWait:         DefaultAckWait,
		DeadSubject:     DefaultDeadSubject,
		DuplicateWindow: DefaultDuplicateWindow,
		MaxAge:          DefaultMaxAge,
		PublishTimeout:  DefaultPublishTimeout,
	}
}

// Validate reports what Connect would refuse in cfg, defaults filled in:
// an error wrapping domain.ErrValidation naming each bad field.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
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
	if err := c.Retry.Validate(); err != nil {
		v.Add("retry", err.Error())
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

// subject is where events called name are published.
func (c Config) subject(name domain.EventName) string {
	return c.SubjectPrefix + "." + string(name)
}
