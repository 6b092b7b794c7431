package eventpublisher_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/adapters/eventpublisher"
	"github.com/moviediary/moviediary/domain"
)

// The benchmarks compare the bus against a bare buffered channel carrying
// the same events to a consumer goroutine that calls one no-op handler.
// The bus logs with a logger whose handler is never enabled, so the cost of
// formatting a log line per event is not measured (at INFO with a real
// handler, logging dominates).

type noop struct{}

func (noop) Name() string                               { return "noop" }
func (noop) Handle(context.Context, domain.Event) error { return nil }

func BenchmarkBareChannel(b *testing.B) {
	e := movieDiscovered(b)
	var h delivery.Handler = noop{}
	ch := make(chan domain.Event, eventpublisher.DefaultChannelBuffer)
	done := make(chan struct{})
	go func() {
		ctx := context.Background()
		for ev := range ch {
			_ = h.Handle(ctx, ev)
		}
		close(done)
	}()
	b.ResetTimer()
	for range b.N {
		ch <- e
	}
	close(ch)
	<-done
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkChannelBus(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("handlers=%d", n), func(b *testing.B) {
			e := movieDiscovered(b)
			hs := make([]delivery.Handler, n)
			for i := range hs {
				hs[i] = noop{}
			}
			p, w := eventpublisher.CreateEventChannel(eventpublisher.DefaultConfig(), hs,
				eventpublisher.WithLogger(discardLogger()))
			ctx := context.Background()
			done := make(chan struct{})
			go func() {
				_ = w.Run(ctx)
				close(done)
			}()
			b.ResetTimer()
			for range b.N {
				if err := p.Publish(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
			p.Close()
			<-done
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
