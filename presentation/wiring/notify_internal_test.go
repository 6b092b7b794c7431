package wiring

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

type countingPublisher struct{ n atomic.Int64 }

func (p *countingPublisher) Publish(context.Context, domain.Event) error {
	p.n.Add(1)
	return nil
}

// TestCrossProcessWakeFollowsEveryPublishWithANotify proves the coalescing
// never leaves a published event without a NOTIFY sent after it, while a
// burst costs far fewer NOTIFYs than publishes.
func TestCrossProcessWakeFollowsEveryPublishWithANotify(t *testing.T) {
	var published, lastNotifiedAfter atomic.Int64
	var notifies atomic.Int64
	next := &countingPublisher{}
	release := make(chan struct{})
	w := &crossProcessWake{
		next:   next,
		logger: slog.New(slog.DiscardHandler),
		notify: func(context.Context) error {
			<-release // every notification waits, so publishes pile up behind it
			lastNotifiedAfter.Store(published.Load())
			notifies.Add(1)
			return nil
		},
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				published.Add(1)
				_ = w.Publish(context.Background(), nil)
			}
		}()
	}
	wg.Wait()
	close(release)
	deadline := time.Now().Add(10 * time.Second)
	for lastNotifiedAfter.Load() != 400 || w.inFlight.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("last NOTIFY came after %d of 400 publishes (in flight: %v)", lastNotifiedAfter.Load(), w.inFlight.Load())
		}
		time.Sleep(time.Millisecond)
	}
	if next.n.Load() != 400 {
		t.Errorf("local publisher got %d events, want 400", next.n.Load())
	}
	if n := notifies.Load(); n < 1 || n > 10 {
		t.Errorf("%d NOTIFYs for 400 publishes, want a coalesced handful", n)
	}
}
