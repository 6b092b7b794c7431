package eventpublisher

import "github.com/moviediary/moviediary/adapters/delivery"

// Defaults and limits of the configuration.
const (
	// DefaultChannelBuffer is how many events the channel holds before
	// Publish waits.
	DefaultChannelBuffer = 128
)

// Config configures the channel between publisher and worker.
type Config struct {
	// ChannelBuffer is the channel's capacity. Zero or less means
	// DefaultChannelBuffer.
	ChannelBuffer int
	// Retry is the policy the worker applies to each event: a failed
	// attempt is repeated after the policy's delay, in the worker's
	// goroutine, until it succeeds, fails permanently or runs out of
	// attempts. The zero value means delivery.DefaultRetryPolicy's
	// attempts with no wait; use delivery.DefaultRetryPolicy for 1s → 2s →
	// 4s.
	Retry delivery.RetryPolicy
}

// DefaultConfig returns a Config with a buffer of DefaultChannelBuffer and
// delivery.DefaultRetryPolicy.
func DefaultConfig() Config {
	return Config{ChannelBuffer: DefaultChannelBuffer, Retry: delivery.DefaultRetryPolicy()}
}

func (c Config) buffer() int {
	if c.ChannelBuffer <= 0 {
		return DefaultChannelBuffer
	}
	return c.ChannelBuffer
}
