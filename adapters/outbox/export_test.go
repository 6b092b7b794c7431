package outbox

import "time"

// Test-only options, kept out of the package's API.

// WithClock sets the clock the dispatcher claims, renews and schedules
// retries by (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithAfter replaces time.After for the dispatcher's sleeps between claims,
// so tests see how long it means to sleep and end the sleep themselves.
func WithAfter(after func(time.Duration) <-chan time.Time) Option {
	return func(o *options) { o.after = after }
}
