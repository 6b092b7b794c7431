package nats_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/adapters/nats"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// The benchmarks run a NATS server inside the test process (file storage
// in a temporary directory), relay events through the Sink as an outbox
// dispatcher would, and consume them with Consume and one no-op handler.
// Logging is discarded.

// BenchmarkNATSThroughput measures events/s from the first Deliver to the
// last handler call, with 1 and 8 goroutines delivering (an outbox relays
// with its dispatcher's concurrency).
func BenchmarkNATSThroughput(b *testing.B) {
	s := startServer(b)
	for _, publishers := range []int{1, 8} {
		b.Run(fmt.Sprintf("publishers=%d", publishers), func(b *testing.B) {
			cfg := testConfig(b, s.url(), time.Second, 4)
			bus := connect(b, cfg)
			events := porttest.SampleEvents(b, b.N)
			var handled atomic.Int64
			done := make(chan struct{})
			n := int64(b.N)
			h := delivery.HandlerFunc("noop", func(context.Context, domain.Event) error {
				if handled.Add(1) == n {
					close(done)
				}
				return nil
			})
			consume(b, bus, handlers(h), nats.WithConcurrency(8))
			sink := bus.Sink()
			b.ResetTimer()
			var wg sync.WaitGroup
			for p := range publishers {
				wg.Go(func() {
					for i := p; i < len(events); i += publishers {
						if err := sink.Deliver(context.Background(), events[i], 1); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			select {
			case <-done:
			case <-time.After(time.Minute):
				b.Fatalf("handled %d of %d events", handled.Load(), n)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkNATSLatency measures the time from the start of Deliver to the
// start of the handler, one event at a time (an idle bus), and reports
// the median and the 99th percentile.
func BenchmarkNATSLatency(b *testing.B) {
	s := startServer(b)
	cfg := testConfig(b, s.url(), time.Second, 4)
	bus := connect(b, cfg)
	events := porttest.SampleEvents(b, b.N)
	started := make(chan time.Time, 1)
	h := delivery.HandlerFunc("noop", func(context.Context, domain.Event) error {
		started <- time.Now()
		return nil
	})
	consume(b, bus, handlers(h))
	sink := bus.Sink()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for _, e := range events {
		t0 := time.Now()
		if err := sink.Deliver(context.Background(), e, 1); err != nil {
			b.Fatal(err)
		}
		select {
		case t1 := <-started:
			lat = append(lat, t1.Sub(t0))
		case <-time.After(time.Minute):
			b.Fatal("event not handled within a minute")
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99_ms")
}
