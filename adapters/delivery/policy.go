package delivery

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// Defaults of the poster sync's retry policy: one attempt and three
// retries, 1s → 2s → 4s apart.
const (
	DefaultMaxAttempts = 4
	DefaultBaseDelay   = time.Second
	DefaultMultiplier  = 2.0
)

// RetryPolicy is the one retry policy of event delivery, whatever the bus:
// how many attempts an event gets, how long to wait after each failure,
// and which failures are not worth another attempt.
type RetryPolicy struct {
	// MaxAttempts is how many attempts an event gets in all, the first
	// included; zero means DefaultMaxAttempts. 1 means no retry.
	MaxAttempts int
	// BaseDelay is the wait after the first failed attempt; zero means no
	// wait at all.
	BaseDelay time.Duration
	// Multiplier is how much each wait grows over the one before; zero
	// means DefaultMultiplier (doubling), 1 keeps every wait at BaseDelay.
	Multiplier float64
	// MaxDelay caps every wait, so an event retried many times (a relay to
	// a broker through its outage) is tried again at least every MaxDelay;
	// zero means no cap.
	MaxDelay time.Duration
	// Permanent reports a failure that retrying will not change; the event
	// is then given up at once. Nil means domain.IsPermanent (validation,
	// not found, refused upstream answers, misconfiguration).
	Permanent func(error) bool
}

// DefaultRetryPolicy returns the poster sync's policy: 4 attempts, 1s, 2s
// and 4s apart, permanent errors given up at once.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: DefaultMaxAttempts, BaseDelay: DefaultBaseDelay, Multiplier: DefaultMultiplier}
}

// Validate reports negative fields and a multiplier below 1 as an error
// wrapping domain.ErrValidation.
func (p RetryPolicy) Validate() error {
	var v domain.Validation
	if p.MaxAttempts < 0 {
		v.Add("max_attempts", fmt.Sprintf("must be 1 or more, got %d", p.MaxAttempts))
	}
	if p.BaseDelay < 0 {
		v.Add("base_delay", fmt.Sprintf("must not be negative, got %v", p.BaseDelay))
	}
	if p.Multiplier != 0 && (p.Multiplier < 1 || math.IsNaN(p.Multiplier) || math.IsInf(p.Multiplier, 0)) {
		v.Add("multiplier", fmt.Sprintf("must be 1 or more, got %v", p.Multiplier))
	}
	if p.MaxDelay < 0 {
		v.Add("max_delay", fmt.Sprintf("must not be negative, got %v", p.MaxDelay))
	}
	if err := v.Err(); err != nil {
		return fmt.Errorf("retry policy: %w", err)
	}
	return nil
}

// Attempts returns how many attempts an event gets: MaxAttempts, or
// DefaultMaxAttempts when it is zero.
func (p RetryPolicy) Attempts() int {
	if p.MaxAttempts <= 0 {
		return DefaultMaxAttempts
	}
	return p.MaxAttempts
}

// Delay is the one backoff function: the wait after failed attempt n
// (numbered from 1), BaseDelay·Multiplier^(n−1) capped at MaxDelay. It
// saturates at the largest duration instead of overflowing.
func (p RetryPolicy) Delay(n int) time.Duration {
	if p.BaseDelay <= 0 {
		return 0
	}
	mult := p.Multiplier
	switch {
	case mult == 0:
		mult = DefaultMultiplier
	case !(mult >= 1): // below 1 or NaN, which Validate refuses
		mult = 1
	}
	d := time.Duration(math.MaxInt64)
	if f := float64(p.BaseDelay) * math.Pow(mult, float64(max(n, 1)-1)); f < float64(math.MaxInt64) {
		d = time.Duration(f)
	}
	if p.MaxDelay > 0 && d > p.MaxDelay {
		d = p.MaxDelay
	}
	return d
}

// IsPermanent reports whether err is a failure the policy gives up on at
// once.
func (p RetryPolicy) IsPermanent(err error) bool {
	if p.Permanent != nil {
		return p.Permanent(err)
	}
	return domain.IsPermanent(err)
}

// Decide says what becomes of attempt number n at e, which ended with err:
// success when err is nil; a deferred retry when err is a
// *domain.DeferredError (a spent quota: the event waits until its Until,
// or Delay(1) when that is sooner, however many attempts it had — never
// dead); dead when err is permanent or n was the last attempt; otherwise a
// retry after Delay(n).
func (p RetryPolicy) Decide(e domain.Event, n int, err error) Attempt {
	a := Attempt{Event: e, Number: n, Err: err}
	var deferred *domain.DeferredError
	switch {
	case err == nil:
		a.Outcome = OutcomeSuccess
	case errors.As(err, &deferred):
		a.Outcome, a.Reason, a.Delay = OutcomeRetry, ReasonDeferred, max(time.Until(deferred.Until), p.Delay(1))
	case p.IsPermanent(err):
		a.Outcome, a.Reason = OutcomeDead, ReasonPermanent
	case n >= p.Attempts():
		a.Outcome, a.Reason = OutcomeDead, ReasonExhausted
	default:
		a.Outcome, a.Delay = OutcomeRetry, p.Delay(n)
	}
	return a
}

// Outcome is what became of one delivery attempt.
type Outcome string

// Outcomes of an attempt.
const (
	// OutcomeSuccess: every handler succeeded; the event is done.
	OutcomeSuccess Outcome = "success"
	// OutcomeRetry: the attempt failed; the event is tried again after
	// Attempt.Delay.
	OutcomeRetry Outcome = "retry"
	// OutcomeDead: the attempt failed and the event was given up.
	OutcomeDead Outcome = "dead"
)

// Reason says why an event was given up, or why a retry is special.
type Reason string

// Reasons.
const (
	// ReasonPermanent: the failure was permanent.
	ReasonPermanent Reason = "permanent"
	// ReasonExhausted: the last attempt failed.
	ReasonExhausted Reason = "exhausted"
	// ReasonCancelled: shutdown stopped the wait before the next attempt
	// (channel bus); the event is given up.
	ReasonCancelled Reason = "cancelled"
	// ReasonInterrupted: shutdown cut the attempt short; it is retried at
	// once, and the interruption itself never makes the event dead (the
	// outbox still counts it as an attempt; the NATS consumer redelivers it).
	ReasonInterrupted Reason = "interrupted"
	// ReasonDeferred: the attempt found a quota spent
	// (*domain.DeferredError); the event waits until it refills, and the
	// wait never makes it dead.
	ReasonDeferred Reason = "deferred"
)

// Attempt describes one finished delivery attempt and what became of it;
// it is what outcome hooks (metrics) receive from every bus.
type Attempt struct {
	// Event is the event delivered.
	Event domain.Event
	// Number counts the event's attempts from 1.
	Number int
	// Err is the attempt's error, nil on success.
	Err error
	// Outcome is what became of the event.
	Outcome Outcome
	// Delay is the wait before the next attempt when Outcome is
	// OutcomeRetry.
	Delay time.Duration
	// Reason says why the event was given up (OutcomeDead), or that a
	// retry was an interrupted attempt; empty otherwise.
	Reason Reason
}
