package postgres_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// newPlay is a watched play of the film with IMDb ID ext, reported by
// Jellyfin for user at at.
func newPlay(t *testing.T, user domain.UserID, ext domain.ExternalMetadataID, at time.Time) domain.Play {
	t.Helper()
	p, err := domain.NewPlay(user, domain.SourceJellyfin, domain.PlayWatched, ext, domain.MovieTitle{}, domain.ReleaseYear{}, at, domain.Rating{}, at.Add(time.Hour))
	if err != nil {
		t.Fatalf("NewPlay: %v", err)
	}
	return p
}

// TestConcurrentReportsOfOnePlayRecordOnce: twenty reports of one play,
// at times up to 19 minutes apart, race with reports of five other films
// on a pool of twenty connections; exactly one of the twenty is recorded,
// with one event (one row in outbox_events in outbox mode), and every
// other film is recorded once.
func TestConcurrentReportsOfOnePlayRecordOnce(t *testing.T) {
	t.Parallel()
	for _, outbox := range []bool{false, true} {
		t.Run(fmt.Sprintf("outbox %v", outbox), func(t *testing.T) {
			t.Parallel()
			url := pgtest.NewDatabase(t)
			db, err := postgres.Open(t.Context(), postgres.Config{URL: url, MaxOpenConns: 20, Outbox: outbox})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() { _ = db.Close() })
			if err := db.Migrate(t.Context()); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			plays := db.Plays()
			user := domain.NewUserID()
			at := porttest.FixtureTime
			warmUp(t, plays, 20)
			same := porttest.NewExternalID(t)
			others := make([]domain.ExternalMetadataID, 5)
			for i := range others {
				others[i] = porttest.NewExternalID(t)
			}

			const n = 20
			var (
				wg                     sync.WaitGroup
				mu                     sync.Mutex
				recorded, otherRecords int
				events                 []domain.Event
			)
			start := make(chan struct{})
			report := func(p domain.Play, isSame bool) {
				defer wg.Done()
				<-start
				evs, ok, err := plays.RecordPlay(t.Context(), p, at.Add(time.Hour))
				if err != nil {
					t.Errorf("RecordPlay: %v", err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				switch {
				case ok && isSame:
					recorded++
					events = append(events, evs...)
				case ok:
					otherRecords++
				case len(evs) != 0:
					t.Errorf("RecordPlay returned %d events with recorded false", len(evs))
				}
			}
			for i := range n {
				wg.Add(1)
				go report(newPlay(t, user, same, at.Add(time.Duration(i)*time.Minute)), true)
			}
			for _, ext := range others {
				wg.Add(1)
				go report(newPlay(t, user, ext, at), false)
			}
			close(start)
			wg.Wait()

			if recorded != 1 || len(events) != 1 {
				t.Fatalf("%d concurrent reports of one play: %d recorded with %d events, want 1 with 1", n, recorded, len(events))
			}
			if otherRecords != len(others) {
				t.Errorf("%d other films recorded, want %d", otherRecords, len(others))
			}
			raw := rawDB(t, url)
			if got := queryInt(t, raw, `SELECT count(*) FROM plays WHERE film_key = $1`, "imdb:"+same.String()); got != 1 {
				t.Errorf("plays holds %d rows of the play, want 1", got)
			}
			if got := queryInt(t, raw, `SELECT count(*) FROM plays WHERE event_id = $1`, events[0].EventID().UUID()); got != 1 {
				t.Errorf("the recorded play's row carries its event's ID %d times, want once", got)
			}
			wantOutbox := 0
			if outbox {
				wantOutbox = 1 + len(others)
			}
			if got := queryInt(t, raw, `SELECT count(*) FROM outbox_events WHERE name = 'play_reported' AND payload->>'user_id' = $1`, user.String()); got != wantOutbox {
				t.Errorf("outbox_events holds %d play_reported events, want %d", got, wantOutbox)
			}
		})
	}
}

// warmUp records n plays of distinct films at once, so that the pool holds
// n open connections before a race starts: a race on a cold pool is spread
// out by the connections it opens.
func warmUp(t *testing.T, plays *postgres.PlayRecorder, n int) {
	t.Helper()
	user := domain.NewUserID()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			p := newPlay(t, user, porttest.NewExternalID(t), porttest.FixtureTime)
			if _, _, err := plays.RecordPlay(t.Context(), p, porttest.FixtureTime.Add(time.Hour)); err != nil {
				t.Errorf("RecordPlay (warm-up): %v", err)
			}
		})
	}
	wg.Wait()
}
