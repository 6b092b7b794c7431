package eventpublisher

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// Retry decorates h with exponential-backoff retry: a failed attempt whose
// error cfg.ShouldRetry accepts is repeated up to cfg.MaxRetries times,
// waiting cfg.BaseDelay·2^n before retry n+1. It stops at once, returning
// the last error, when
//   - an attempt succeeds (nil),
//   - an error is not retryable (by default a permanent one, see
//     domain.IsPermanent),
//   - the retries are used up, or
//   - ctx is done while waiting (the returned error then also wraps
//     ctx's error).
//
// Each retry is logged at WARN; giving up is logged at ERROR with the
// top-level fields handler, event, event_id, movie_id, attempts, reason
// (permanent, exhausted or cancelled) and error. The decorated handler keeps
// h's name. Options: WithLogger, WithAttemptHook.
func Retry(cfg RetryConfig, h EventHandler, opts ...Option) EventHandler {
	o := buildOptions(opts)
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.BaseDelay < 0 {
		cfg.BaseDelay = 0
	}
	if cfg.ShouldRetry == nil {
		cfg.ShouldRetry = DefaultShouldRetry
	}
	if cfg.Sleep == nil {
		cfg.Sleep = SleepContext
	}
	return &retryHandler{cfg: cfg, next: h, logger: o.logger, onAttempt: o.onAttempt}
}

type retryHandler struct {
	cfg       RetryConfig
	next      EventHandler
	logger    *slog.Logger
	onAttempt func(domain.EventName, string, int, error)
}

func (r *retryHandler) Name() string { return r.next.Name() }

func (r *retryHandler) Handle(ctx context.Context, e domain.Event) error {
	for attempt := 1; ; attempt++ {
		err := r.next.Handle(ctx, e)
		if r.onAttempt != nil {
			r.onAttempt(e.EventName(), r.next.Name(), attempt, err)
		}
		if err == nil {
			return nil
		}
		if !r.cfg.ShouldRetry(err) {
			r.giveUp(ctx, e, attempt, "permanent", err)
			return err
		}
		if attempt > r.cfg.MaxRetries {
			r.giveUp(ctx, e, attempt, "exhausted", err)
			return err
		}
		delay := backoff(r.cfg.BaseDelay, attempt-1)
		if r.logger.Enabled(ctx, slog.LevelWarn) {
			attrs := append(eventAttrs(e),
				slog.String("handler", r.next.Name()),
				slog.Int("attempt", attempt),
				slog.Duration("retry_in", delay),
				slog.String("error", err.Error()))
			r.logger.LogAttrs(ctx, slog.LevelWarn, "event handler failed, retrying", attrs...)
		}
		if serr := r.cfg.Sleep(ctx, delay); serr != nil {
			r.giveUp(ctx, e, attempt, "cancelled", err)
			return fmt.Errorf("%w (retry stopped: %w)", err, serr)
		}
	}
}

func (r *retryHandler) giveUp(ctx context.Context, e domain.Event, attempts int, reason string, err error) {
	attrs := append(eventAttrs(e),
		slog.String("handler", r.next.Name()),
		slog.Int("attempts", attempts),
		slog.String("reason", reason),
		slog.String("error", err.Error()))
	r.logger.LogAttrs(ctx, slog.LevelError, "event handler gave up", attrs...)
}

// backoff returns base·2^n, saturating instead of overflowing.
func backoff(base time.Duration, n int) time.Duration {
	if base <= 0 {
		return 0
	}
	if n >= 62 || base > time.Duration(math.MaxInt64>>uint(n)) {
		return time.Duration(math.MaxInt64)
	}
	return base << uint(n)
}
