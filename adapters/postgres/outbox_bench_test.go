package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// BenchmarkOutbox measures what the outbox adds to a save, how fast a
// backlog drains through ClaimEvents and CompleteEvent (claims of 16, one
// complete per event) with one claimer and with four pools sharing the
// database, and how long after a save's commit a listener wakes.
//
//	TEST_DATABASE_URL=… go test -run '^$' -bench Outbox -count 5 ./adapters/postgres
func BenchmarkOutbox(b *testing.B) {
	for _, mode := range []struct {
		name   string
		outbox bool
	}{{"plain", false}, {"outbox", true}} {
		b.Run("save-viewing/"+mode.name, func(b *testing.B) {
			db := openBenchOutbox(b, pgtest.NewDatabase(b), mode.outbox, true)
			saveLoop(b, db, nil)
		})
	}
	for _, workers := range []int{1, 4} {
		b.Run(fmt.Sprintf("claim-complete/workers=%d", workers), func(b *testing.B) {
			url := pgtest.NewDatabase(b)
			pools := []*postgres.DB{openBenchOutbox(b, url, true, true)}
			for range workers - 1 {
				pools = append(pools, openBenchOutbox(b, url, true, false)) // other processes
			}
			events := porttest.SampleEvents(b, b.N)
			for chunk := range slices.Chunk(events, 5000) {
				if err := pools[0].Outbox().StoreEvents(b.Context(), chunk); err != nil {
					b.Fatal(err)
				}
			}
			now := time.Now().Add(time.Minute)
			b.ResetTimer()
			var wg sync.WaitGroup
			for _, db := range pools {
				wg.Go(func() { drain(b, db.Outbox(), now) })
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			if n, err := pools[0].Outbox().PendingEvents(b.Context()); err != nil || n != 0 {
				b.Fatalf("after draining, PendingEvents = %d, %v", n, err)
			}
		})
	}
	b.Run("commit-to-wake", func(b *testing.B) {
		url := pgtest.NewDatabase(b)
		db := openBenchOutbox(b, url, true, true)
		listener := openBenchOutbox(b, url, true, false)
		woke := make(chan time.Time, 1)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- listener.ListenOutbox(ctx, func() {
				select {
				case woke <- time.Now():
				default:
				}
			})
		}()
		b.Cleanup(func() { cancel(); <-done })
		<-woke // connected
		saveLoop(b, db, woke)
	})
}

// saveLoop saves viewings of new movies with an IMDb ID. With woke set it
// then notifies the listeners, as the server does after each save
// (SaveViewing itself sends no NOTIFY, see insertEvents), waits for the
// wake-up and reports the median and p99 of the time from SaveViewing's
// return (just after commit) to the wake-up, the notification included.
func saveLoop(b *testing.B, db *postgres.DB, woke <-chan time.Time) {
	var lat []time.Duration
	for b.Loop() {
		b.StopTimer()
		m := porttest.NewMovie(b, porttest.NewExternalID(b), "Bench Film", 2000, "")
		v := domain.Viewing{Movie: m, Review: porttest.NewReview(b, m.ID, domain.NewUserID(), 3, porttest.FixtureTime)}
		b.StartTimer()
		if _, err := db.Movies().SaveViewing(b.Context(), v); err != nil {
			b.Fatal(err)
		}
		if woke != nil {
			committed := time.Now()
			if err := db.NotifyOutbox(b.Context()); err != nil {
				b.Fatal(err)
			}
			select {
			case at := <-woke:
				lat = append(lat, max(at.Sub(committed), 0))
			case <-time.After(10 * time.Second):
				b.Fatal("no wake-up within 10s of a commit")
			}
		}
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-wake-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-wake-µs")
	}
}

// drain claims and completes events until none is due.
func drain(b *testing.B, ob domain.Outbox, now time.Time) {
	for {
		got, err := ob.ClaimEvents(b.Context(), now, 16, time.Minute)
		if err != nil {
			b.Error(err)
			return
		}
		if len(got) == 0 {
			return
		}
		for _, e := range got {
			if err := ob.CompleteEvent(b.Context(), e.Event.EventID()); err != nil {
				b.Error(err)
				return
			}
		}
	}
}

func openBenchOutbox(b *testing.B, url string, outbox, migrate bool) *postgres.DB {
	b.Helper()
	db, err := postgres.Open(b.Context(), postgres.Config{URL: url, Outbox: outbox})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	if migrate {
		if err := db.Migrate(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	return db
}
