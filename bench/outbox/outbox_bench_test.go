package outboxbench_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/adapters/eventpublisher"
	"github.com/moviediary/moviediary/adapters/memory"
	"github.com/moviediary/moviediary/adapters/outbox"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// benchStore is a store in outbox mode for the benchmarks.
type benchStore struct {
	saver domain.ViewingSaver
	ob    domain.Outbox
	user  domain.UserID // the author of the reviews, stored
	// listen, when set, wakes a dispatcher on commits made elsewhere
	// (PostgreSQL's LISTEN).
	listen func(ctx context.Context, wake func()) error
	// notifyOthers wakes the listeners of other processes after a commit,
	// as the server does after each save (PostgreSQL's NOTIFY).
	notifyOthers func(ctx context.Context) error
}

// benchStores are the outboxes benchmarked; the database ones are added by
// storage-specific files.
var benchStores = []struct {
	name string
	open func(b *testing.B) benchStore
}{
	{"memory", func(b *testing.B) benchStore {
		repo := memory.NewMovieRepository(memory.WithOutbox())
		return benchStore{saver: repo, ob: repo.Outbox(), user: porttest.NewUser(b, "bench@example.com").ID}
	}},
}

// saveViewing commits one viewing of a new film without an IMDb ID: one
// review_logged event.
func saveViewing(b *testing.B, s domain.ViewingSaver, user domain.UserID, i int) domain.EventID {
	m := porttest.NewMovie(b, domain.ExternalMetadataID{}, fmt.Sprintf("Film %d", i), 1900+i%120, "")
	saved, err := s.SaveViewing(context.Background(), domain.Viewing{Movie: m, Review: porttest.NewReview(b, m.ID, user, 4, porttest.FixtureTime)})
	if err != nil {
		b.Fatalf("SaveViewing: %v", err)
	}
	return saved.Events[len(saved.Events)-1].EventID()
}

// BenchmarkOutboxThroughput measures how fast one dispatcher (4 at once,
// no-op handler) delivers events already committed: b.N events are stored,
// then the clock runs until the last is complete. The channel bus is
// measured publishing and handling the same number.
func BenchmarkOutboxThroughput(b *testing.B) {
	b.Run("channel", func(b *testing.B) {
		var handled atomic.Int64
		done := make(chan struct{})
		n := int64(b.N)
		pub, worker := eventpublisher.CreateEventChannel(eventpublisher.DefaultConfig(),
			[]delivery.Handler{delivery.HandlerFunc("noop", func(context.Context, domain.Event) error {
				if handled.Add(1) == n {
					close(done)
				}
				return nil
			})}, eventpublisher.WithLogger(discard()))
		go func() { _ = worker.Run(context.Background()) }()
		defer pub.Close()
		e := domain.ReviewLogged{EventMeta: domain.NewEventMeta(time.Now())}
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			if err := pub.Publish(context.Background(), e); err != nil {
				b.Fatal(err)
			}
		}
		<-done
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	})
	for _, st := range benchStores {
		for _, conc := range []int{4, 16} {
			b.Run(fmt.Sprintf("outbox-%s/concurrency=%d", st.name, conc), func(b *testing.B) {
				s := st.open(b)
				for i := range b.N {
					saveViewing(b, s.saver, s.user, i)
				}
				var handled atomic.Int64
				done := make(chan struct{})
				n := int64(b.N)
				sink := sinkFunc(func(context.Context, domain.Event, int) error { return nil })
				d, err := outbox.New(countCompletions{Outbox: s.ob, n: n, count: &handled, done: done}, sink, outbox.Config{Concurrency: conc}, outbox.WithLogger(discard()))
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				b.ResetTimer()
				start := time.Now()
				ran := make(chan struct{})
				go func() { _ = d.Run(ctx); close(ran) }()
				<-done
				elapsed := time.Since(start)
				b.StopTimer()
				cancel()
				<-ran
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			})
		}
	}
}

// countCompletions closes done after n completed events.
type countCompletions struct {
	domain.Outbox
	n     int64
	count *atomic.Int64
	done  chan struct{}
}

func (c countCompletions) CompleteEvent(ctx context.Context, id domain.EventID) error {
	err := c.Outbox.CompleteEvent(ctx, id)
	if c.count.Add(1) == c.n {
		close(c.done)
	}
	return err
}

// BenchmarkCommitToHandler measures the latency from the commit of a
// viewing (timed from the start of SaveViewing, so the commit itself is
// included) to the start of the handler of its event, one event at a time,
// reported as median and 99th percentile: through the channel bus
// (Publish → handler), and through each outbox woken by the Notifier the
// use case calls (notify), by the database's listener alone (listen; the
// event committed by another process), or by polling alone (poll, every
// 500ms; commits land at a random moment of the cycle, 40 samples).
func BenchmarkCommitToHandler(b *testing.B) {
	report := func(b *testing.B, lat []time.Duration) {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
	}
	b.Run("channel", func(b *testing.B) {
		started := make(chan time.Time, 1)
		pub, worker := eventpublisher.CreateEventChannel(eventpublisher.DefaultConfig(),
			[]delivery.Handler{delivery.HandlerFunc("noop", func(context.Context, domain.Event) error {
				started <- time.Now()
				return nil
			})}, eventpublisher.WithLogger(discard()))
		go func() { _ = worker.Run(context.Background()) }()
		defer pub.Close()
		lat := make([]time.Duration, 0, b.N)
		e := domain.ReviewLogged{EventMeta: domain.NewEventMeta(time.Now())}
		for range b.N {
			t0 := time.Now()
			if err := pub.Publish(context.Background(), e); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, (<-started).Sub(t0))
		}
		report(b, lat)
	})
	for _, st := range benchStores {
		for _, wake := range []string{"notify", "listen", "poll"} {
			b.Run("outbox-"+st.name+"/"+wake, func(b *testing.B) {
				s := st.open(b)
				if wake == "listen" && s.listen == nil {
					b.Skip("this store has no listener")
				}
				started := make(chan time.Time, 1)
				sink := sinkFunc(func(context.Context, domain.Event, int) error {
					started <- time.Now()
					return nil
				})
				d, err := outbox.New(s.ob, sink, outbox.Config{PollInterval: 500 * time.Millisecond}, outbox.WithLogger(discard()))
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				ran := make(chan struct{})
				go func() { _ = d.Run(ctx); close(ran) }()
				defer func() { cancel(); <-ran }()
				if wake == "listen" {
					go func() { _ = s.listen(ctx, d.Notify) }()
				}
				notifier := outbox.NewNotifier(d)
				if wake != "notify" {
					notifier = outbox.NewNotifier(nil)
				}
				samples := b.N
				if wake == "poll" {
					samples = min(samples, 40) // half a second each
				}
				lat := make([]time.Duration, 0, samples)
				saves := make([]time.Duration, 0, samples)
				for i := range samples {
					if wake == "poll" {
						// Commit at a random moment of the poll cycle, as
						// independent requests would.
						time.Sleep(rand.N(500 * time.Millisecond))
					}
					// From the start of the committing call: the dispatcher
					// may claim the event before SaveViewing has returned.
					t0 := time.Now()
					id := saveViewing(b, s.saver, s.user, i)
					saves = append(saves, time.Since(t0))
					_ = notifier.Publish(ctx, domain.ReviewLogged{EventMeta: domain.EventMeta{ID: id}})
					if wake == "listen" {
						if err := s.notifyOthers(ctx); err != nil {
							b.Fatal(err)
						}
					}
					lat = append(lat, (<-started).Sub(t0))
				}
				report(b, lat)
				slices.Sort(saves)
				b.ReportMetric(float64(saves[len(saves)/2])/1e6, "save-p50-ms")
			})
		}
	}
}

// sinkFunc turns a function into an outbox.Sink.
type sinkFunc func(ctx context.Context, e domain.Event, attempt int) error

func (f sinkFunc) Deliver(ctx context.Context, e domain.Event, attempt int) error {
	return f(ctx, e, attempt)
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
