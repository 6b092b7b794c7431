package postgres_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// openOutboxURL opens a pool in outbox mode on url, migrating it when
// migrate is set; closed when the test ends.
func openOutboxURL(t *testing.T, url string, migrate bool) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), postgres.Config{URL: url, Outbox: true})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if migrate {
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	return db
}

func TestOutboxContract(t *testing.T) {
	t.Parallel()
	porttest.TestOutbox(t, func(t *testing.T) (domain.Outbox, domain.ViewingSaver) {
		db := openOutboxURL(t, pgtest.NewDatabase(t), true)
		return db.Outbox(), db.Movies()
	})
}

func TestMovieRepositoryContractInOutboxMode(t *testing.T) {
	t.Parallel()
	porttest.TestMovieRepository(t, func(t *testing.T) domain.MovieRepository {
		return openOutboxURL(t, pgtest.NewDatabase(t), true).Movies()
	})
}

func TestPlayRecorderContractInOutboxMode(t *testing.T) {
	t.Parallel()
	porttest.TestPlayRecorder(t, func(t *testing.T) domain.PlayRecorder {
		return openOutboxURL(t, pgtest.NewDatabase(t), true).Plays()
	})
}

func TestPlayRecorderOutboxContract(t *testing.T) {
	t.Parallel()
	porttest.TestPlayRecorderOutbox(t, func(t *testing.T) (domain.Outbox, domain.PlayRecorder) {
		db := openOutboxURL(t, pgtest.NewDatabase(t), true)
		return db.Outbox(), db.Plays()
	})
}

func TestTwoPoolsNeverClaimOneEventTwice(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	first := openOutboxURL(t, url, true)
	second := openOutboxURL(t, url, false) // as another process would
	porttest.CheckExclusiveClaims(t, first.Movies(), first.Outbox(), second.Outbox())
}

func TestSaveViewingStoresNoEventWithoutOutboxMode(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	m := porttest.NewMovie(t, porttest.NewExternalID(t), "Tokyo Story", 1953, "Yasujirō Ozu")
	saved, err := db.Movies().SaveViewing(t.Context(), domain.Viewing{Movie: m, Review: porttest.NewReview(t, m.ID, domain.NewUserID(), 5, porttest.FixtureTime)})
	if err != nil {
		t.Fatalf("SaveViewing: %v", err)
	}
	if len(saved.Events) != 2 {
		t.Fatalf("SaveViewing returned %d events, want 2 for the caller to publish", len(saved.Events))
	}
	if n, err := db.Outbox().PendingEvents(t.Context()); err != nil || n != 0 {
		t.Errorf("PendingEvents = %d, %v; want 0, nil: outbox mode is off", n, err)
	}
}

func TestConcurrentBackfillsStoreOneEventPerMovie(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	plain := openURL(t, url, true)
	const movies = 20
	for i := range movies {
		m := porttest.NewMovie(t, porttest.NewExternalID(t), "Early Film", 1950+i, "")
		if _, err := plain.Movies().SaveViewing(t.Context(), domain.Viewing{Movie: m, Review: porttest.NewReview(t, m.ID, domain.NewUserID(), 4, porttest.FixtureTime)}); err != nil {
			t.Fatalf("SaveViewing: %v", err)
		}
	}
	// Two servers starting at once, each backfilling.
	pools := []*postgres.DB{openOutboxURL(t, url, false), openOutboxURL(t, url, false)}
	counts := make(chan int, len(pools))
	errs := make(chan error, len(pools))
	now := time.Now().UTC()
	for _, db := range pools {
		go func() {
			n, err := db.Outbox().BackfillPosterEvents(t.Context(), now)
			counts <- n
			errs <- err
		}()
	}
	total := 0
	for range pools {
		total += <-counts
		if err := <-errs; err != nil {
			t.Errorf("BackfillPosterEvents: %v", err)
		}
	}
	if total != movies {
		t.Errorf("the backfills stored %d events together, want %d: one per movie", total, movies)
	}
	if n, err := pools[0].Outbox().PendingEvents(t.Context()); err != nil || n != movies {
		t.Errorf("PendingEvents = %d, %v; want %d", n, err, movies)
	}
}

// listen runs ListenOutbox until the test ends and returns a channel that
// receives on every wake, once the listener is connected (the first wake
// comes at connection).
func listen(t *testing.T, db *postgres.DB) <-chan struct{} {
	t.Helper()
	woke := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- db.ListenOutbox(ctx, func() {
			select {
			case woke <- struct{}{}:
			default:
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("ListenOutbox returned %v after its context ended, want nil", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("ListenOutbox did not return after its context ended")
		}
	})
	waitWake(t, woke, "the listener to connect")
	return woke
}

func waitWake(t *testing.T, woke <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-woke:
	case <-time.After(15 * time.Second):
		t.Fatalf("no wake-up while waiting for %s", what)
	}
}

func TestListenOutboxWakesAtCommitOfAnotherPool(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	listener := openOutboxURL(t, url, true)
	writer := openOutboxURL(t, url, false) // another process
	woke := listen(t, listener)

	m := porttest.NewMovie(t, porttest.NewExternalID(t), "Night and Fog", 1956, "Alain Resnais")
	if _, err := writer.Movies().SaveViewing(t.Context(), domain.Viewing{Movie: m, Review: porttest.NewReview(t, m.ID, domain.NewUserID(), 5, porttest.FixtureTime)}); err != nil {
		t.Fatalf("SaveViewing: %v", err)
	}
	select { // the listener's first-connection wake may still be pending
	case <-woke:
	default:
	}
	if err := writer.NotifyOutbox(t.Context()); err != nil {
		t.Fatalf("NotifyOutbox: %v", err)
	}
	waitWake(t, woke, "the NOTIFY sent after a committed SaveViewing")

	// A dead event requeued wakes listeners too.
	ob := writer.Outbox()
	now := time.Now().UTC().Add(time.Second)
	claimed, err := ob.ClaimEvents(t.Context(), now, 10, time.Minute)
	if err != nil || len(claimed) == 0 {
		t.Fatalf("ClaimEvents = %d events, %v", len(claimed), err)
	}
	id := claimed[0].Event.EventID()
	if err := ob.FailEvent(t.Context(), id, "gave up", now, true); err != nil {
		t.Fatalf("FailEvent: %v", err)
	}
	select { // drop a wake-up that may still be pending
	case <-woke:
	default:
	}
	if err := ob.RequeueEvent(t.Context(), id, now); err != nil {
		t.Fatalf("RequeueEvent: %v", err)
	}
	waitWake(t, woke, "the NOTIFY of RequeueEvent")
}

func TestListenOutboxOnAMissingDatabaseIsMisconfigured(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(pgtest.ServerURL(t))
	if err != nil {
		t.Skipf("TEST_DATABASE_URL is not a URL: %v", err)
	}
	u.Path = "/moviediary_no_such_database"
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	// Open would refuse the URL; the listener is what is under test.
	err = postgres.ListenOutboxURL(ctx, u.String(), func() {})
	if !errors.Is(err, domain.ErrMisconfigured) {
		t.Errorf("ListenOutbox on a missing database: error = %v, want ErrMisconfigured", err)
	}
}

func TestListenOutboxReturnsWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	connected := make(chan struct{}, 1)
	go func() {
		done <- db.ListenOutbox(ctx, func() {
			select {
			case connected <- struct{}{}:
			default:
			}
		})
	}()
	waitWake(t, connected, "the listener to connect")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ListenOutbox = %v, want nil when its context ends", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("ListenOutbox did not return after its context ended")
	}
}

// TestOutboxQueriesUseTheirIndexes plans the outbox statements with
// sequential scans disabled and checks each uses the index made for it.
func TestOutboxQueriesUseTheirIndexes(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	openURL(t, url, true)
	conn := noSeqScanConn(t, url)
	for _, q := range postgres.OutboxQueries() {
		t.Run(q.Name, func(t *testing.T) {
			text := explain(t, conn, q.SQL, q.Args...)
			t.Logf("plan:\n%s", text)
			if strings.Contains(text, "Seq Scan") {
				t.Errorf("plan has a sequential scan:\n%s", text)
			}
			if !strings.Contains(text, q.Index) {
				t.Errorf("plan does not use %s:\n%s", q.Index, text)
			}
		})
	}
}
