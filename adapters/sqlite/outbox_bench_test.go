package sqlite_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/sqlite"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// BenchmarkOutbox measures what the outbox adds to a save and how fast a
// backlog drains through ClaimEvents and CompleteEvent (claims of 16, one
// complete per event), with one claimer and with four sharing one DB.
//
//	go test -run '^$' -bench Outbox -count 5 ./adapters/sqlite
func BenchmarkOutbox(b *testing.B) {
	for _, mode := range []struct {
		name   string
		outbox bool
	}{{"plain", false}, {"outbox", true}} {
		b.Run("save-viewing/"+mode.name, func(b *testing.B) {
			db := openBenchFile(b, mode.outbox)
			viewings := make([]domain.Viewing, 0, 1024)
			for b.Loop() {
				if len(viewings) == 0 {
					b.StopTimer()
					viewings = benchViewings(b, cap(viewings))
					b.StartTimer()
				}
				v := viewings[len(viewings)-1]
				viewings = viewings[:len(viewings)-1]
				if _, err := db.Movies().SaveViewing(b.Context(), v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, workers := range []int{1, 4} {
		b.Run(fmt.Sprintf("claim-complete/workers=%d", workers), func(b *testing.B) {
			db := openBenchFile(b, true)
			events := porttest.SampleEvents(b, b.N)
			for i := 0; i < len(events); i += 5000 {
				if err := db.Outbox().StoreEvents(b.Context(), events[i:min(i+5000, len(events))]); err != nil {
					b.Fatal(err)
				}
			}
			now := time.Now().Add(time.Minute)
			b.ResetTimer()
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() { drain(b, db.Outbox(), now) })
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			if n, err := db.Outbox().PendingEvents(b.Context()); err != nil || n != 0 {
				b.Fatalf("after draining, PendingEvents = %d, %v", n, err)
			}
		})
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

func openBenchFile(b *testing.B, outbox bool) *sqlite.DB {
	b.Helper()
	db, err := sqlite.Open(b.Context(), sqlite.Config{Path: filepath.Join(b.TempDir(), "bench.db"), Outbox: outbox})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	return db
}

// benchViewings returns n viewings of new movies with an IMDb ID: two
// events each.
func benchViewings(b *testing.B, n int) []domain.Viewing {
	out := make([]domain.Viewing, n)
	for i := range out {
		m := porttest.NewMovie(b, porttest.NewExternalID(b), "Bench Film", 2000, "")
		out[i] = domain.Viewing{Movie: m, Review: porttest.NewReview(b, m.ID, domain.NewUserID(), 3, porttest.FixtureTime)}
	}
	return out
}
