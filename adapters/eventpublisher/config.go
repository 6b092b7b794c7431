package eventpublisher

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// Environment variables read by ConfigFromEnv and RetryConfigFromEnv.
const (
	EnvChannelBuffer = "EVENT_CHANNEL_BUFFER"
	EnvMaxRetries    = "POSTER_SYNC_MAX_RETRIES"
	EnvBaseDelay     = "POSTER_SYNC_BASE_DELAY"
)

// Defaults and limits of the configuration.
const (
	// DefaultChannelBuffer is how many events the channel holds before
	// Publish waits.
	DefaultChannelBuffer = 128
	// MaxChannelBuffer bounds EVENT_CHANNEL_BUFFER so a typo cannot
	// allocate gigabytes.
	MaxChannelBuffer = 1 << 20
	// DefaultMaxRetries is how many times a failing handler is retried
	// after its first attempt (four attempts in all).
	DefaultMaxRetries = 3
	// DefaultBaseDelay is the wait before the first retry; each further
	// retry waits twice as long as the one before.
	DefaultBaseDelay = time.Second
)

// Config configures the channel between publisher and worker.
type Config struct {
	// ChannelBuffer is the channel's capacity. Zero or less means
	// DefaultChannelBuffer.
	ChannelBuffer int
}

// DefaultConfig returns a Config with a buffer of DefaultChannelBuffer.
func DefaultConfig() Config { return Config{ChannelBuffer: DefaultChannelBuffer} }

// ConfigFromEnv reads EVENT_CHANNEL_BUFFER through getenv (pass os.Getenv);
// unset or blank means the default. A value that is not a whole number from
// 1 to MaxChannelBuffer is an error wrapping domain.ErrValidation that
// names the variable.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	v := strings.TrimSpace(getenv(EnvChannelBuffer))
	if v == "" {
		return cfg, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxChannelBuffer {
		return Config{}, domain.FieldError{
			Field: EnvChannelBuffer,
			Rule:  "must be a whole number from 1 to " + strconv.Itoa(MaxChannelBuffer) + ", got " + strconv.Quote(v),
		}
	}
	cfg.ChannelBuffer = n
	return cfg, nil
}

func (c Config) buffer() int {
	if c.ChannelBuffer <= 0 {
		return DefaultChannelBuffer
	}
	return c.ChannelBuffer
}

// RetryConfig is the policy of the Retry decorator.
type RetryConfig struct {
	// MaxRetries is how many times a failed attempt is repeated: 3 means up
	// to four attempts. Negative counts as 0.
	MaxRetries int
	// BaseDelay is the wait before the first retry; retry n+1 waits
	// BaseDelay·2^n (1s, 2s, 4s, …). Negative counts as 0.
	BaseDelay time.Duration
	// ShouldRetry reports whether an error is worth another attempt; nil
	// means DefaultShouldRetry (everything but permanent errors).
	ShouldRetry func(error) bool
	// Sleep waits d or until ctx is done, returning ctx's error in the
	// latter case; nil means SleepContext. Tests inject their own.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultRetryConfig returns the policy of the poster sync: three retries
// after 1s, 2s and 4s, permanent errors not retried.
func DefaultRetryConfig() RetryConfig {
	return RetryConfig{MaxRetries: DefaultMaxRetries, BaseDelay: DefaultBaseDelay}
}

// RetryConfigFromEnv reads POSTER_SYNC_MAX_RETRIES (a whole number ≥ 0,
// default 3) and POSTER_SYNC_BASE_DELAY (a Go duration ≥ 0 such as "1s" or
// "250ms", default 1s) through getenv (pass os.Getenv). A bad value is an
// error wrapping domain.ErrValidation that names the variable.
func RetryConfigFromEnv(getenv func(string) string) (RetryConfig, error) {
	cfg := DefaultRetryConfig()
	var v domain.Validation
	if s := strings.TrimSpace(getenv(EnvMaxRetries)); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			v.Add(EnvMaxRetries, "must be a whole number of 0 or more, got "+strconv.Quote(s))
		}
		cfg.MaxRetries = n
	}
	if s := strings.TrimSpace(getenv(EnvBaseDelay)); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			v.Add(EnvBaseDelay, "must be a Go duration of 0 or more such as 1s or 250ms, got "+strconv.Quote(s))
		}
		cfg.BaseDelay = d
	}
	if err := v.Err(); err != nil {
		return RetryConfig{}, err
	}
	return cfg, nil
}

// DefaultShouldRetry retries everything except permanent errors
// (domain.IsPermanent: validation, not found, permanent upstream answers, …).
func DefaultShouldRetry(err error) bool { return !domain.IsPermanent(err) }

// SleepContext waits d, or returns ctx.Err() as soon as ctx is done.
func SleepContext(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
