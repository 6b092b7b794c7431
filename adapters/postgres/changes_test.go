package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// changeFeed is a running listener's reports.
type changeFeed struct {
	t       *testing.T
	changes chan domain.DiaryChange
}

// listenFor starts a listener on db that prunes after pruneAge (the
// default minute when 0), stops it when the test ends, and waits for its
// first report, All.
func listenFor(t *testing.T, db *postgres.DB, pruneAge time.Duration) *changeFeed {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &changeFeed{t: t, changes: make(chan domain.DiaryChange, 4096)}
	done := make(chan error, 1)
	go func() {
		record := func(c domain.DiaryChange) {
			if c.Changes() { // not the reports of how far it has heard
				f.changes <- c
			}
		}
		if pruneAge == 0 {
			done <- db.ListenChanges(ctx, record)
			return
		}
		done <- postgres.ListenChangesPrunedAfter(ctx, db, record, pruneAge)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ListenChanges: %v", err)
		}
	})
	if c := f.next(); !c.All {
		t.Fatalf("first report = %+v, want All", c)
	}
	return f
}

// next returns the next report.
func (f *changeFeed) next() domain.DiaryChange {
	f.t.Helper()
	select {
	case c := <-f.changes:
		return c
	case <-time.After(5 * time.Second):
		f.t.Fatal("nothing reported in 5 s")
	}
	return domain.DiaryChange{}
}

// nextOf returns the next report, which must name user.
func (f *changeFeed) nextOf(what string, user uuid.UUID) domain.DiaryChange {
	f.t.Helper()
	c := f.next()
	if c.All || c.User.UUID() != user {
		f.t.Fatalf("%s: reported %+v, want user %v", what, c, user)
	}
	return c
}

// changesDB is a migrated database, through the repositories and raw.
func changesDB(t *testing.T) (*postgres.DB, *sql.DB) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	return openURL(t, url, true), rawDB(t, url)
}

// insertMovie stores a movie with no director.
func insertMovie(t *testing.T, db *sql.DB) uuid.UUID {
	t.Helper()
	id := uuid.New()
	if _, err := db.ExecContext(t.Context(), `INSERT INTO movies (id, title, release_year) VALUES ($1, 'Stalker', 1979)`, id); err != nil {
		t.Fatal(err)
	}
	return id
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insertReview stores a review of movie by user through db.
func insertReview(t *testing.T, db execer, movie, user uuid.UUID) {
	t.Helper()
	insertReviewAt(t, db, movie, user, uuid.New(), time.Now())
}

// insertReviewAt stores the review id of movie by user, watched at.
func insertReviewAt(t *testing.T, db execer, movie, user, id uuid.UUID, at time.Time) {
	t.Helper()
	if _, err := db.ExecContext(t.Context(), `INSERT INTO reviews (id, movie_id, user_id, watched_at, created_at)
		VALUES ($1, $2, $3, $4, now())`, id, movie, user, at); err != nil {
		t.Fatal(err)
	}
}

// changeText is the row the triggers record for a review of movie by user.
func changeText(user, movie uuid.UUID) string {
	return fmt.Sprintf("u=%s m=%s", user, movie)
}

// xactID returns tx's transaction ID, assigning one if it has none.
func xactID(t *testing.T, tx *sql.Tx) uint64 {
	t.Helper()
	var id uint64
	if err := tx.QueryRowContext(t.Context(), `SELECT pg_current_xact_id()`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestChangesCommittedOutOfOrder: a transaction that began first, with the
// lower ID, and commits after a later one is still reported, although
// listeners have read the later one's change and pruned meanwhile.
func TestChangesCommittedOutOfOrder(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, raw := changesDB(t)
	movie := insertMovie(t, raw)
	// Rows are pruned 2 s after a read above them: within the test.
	feed := listenFor(t, db, 2*time.Second)

	early := uuid.New()
	insertReview(t, raw, movie, early)
	feed.nextOf("a review committed before both", early)

	// The two reviews share no row of the counters and statistics the
	// triggers update (other movie, year and counter slot), so the later
	// transaction does not wait for the earlier one; should it, it fails
	// after lock_timeout rather than hang.
	first, second := uuid.New(), uuid.New()
	firstID, secondID := uuid.New(), uuid.New()
	firstID[15], secondID[15] = 1, 2
	other := insertMovie(t, raw)
	t1, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer t1.Rollback() //nolint:errcheck // a no-op after Commit
	insertReviewAt(t, t1, movie, first, firstID, time.Date(2001, 1, 1, 20, 0, 0, 0, time.UTC))
	t2, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer t2.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := t2.ExecContext(ctx, `SET LOCAL lock_timeout = '5s'`); err != nil {
		t.Fatal(err)
	}
	insertReviewAt(t, t2, other, second, secondID, time.Date(2002, 1, 1, 20, 0, 0, 0, time.UTC))
	if id1, id2 := xactID(t, t1), xactID(t, t2); id1 >= id2 {
		t.Fatalf("transaction IDs %d and %d: want the first lower", id1, id2)
	}
	if err := t2.Commit(); err != nil {
		t.Fatal(err)
	}
	feed.nextOf("the later transaction, committed first", second)

	// A prune runs while the first transaction is open: the early row
	// goes, the later transaction's stays (its ID is above the horizon
	// the open transaction holds).
	waitFor(t, func() bool {
		return queryInt(t, raw, `SELECT count(*) FROM diary_changes WHERE change = $1`, changeText(early, movie)) == 0
	})
	if n := queryInt(t, raw, `SELECT count(*) FROM diary_changes WHERE change = $1`, changeText(second, other)); n != 1 {
		t.Errorf("the later transaction's rows after a prune = %d, want 1", n)
	}

	if err := t1.Commit(); err != nil {
		t.Fatal(err)
	}
	feed.nextOf("the earlier transaction, committed last", first)
}

// TestChangesRolledBackNotReported: a write rolled back is never reported.
func TestChangesRolledBackNotReported(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, raw := changesDB(t)
	movie := insertMovie(t, raw)
	feed := listenFor(t, db, 0)

	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	insertReview(t, tx, movie, uuid.New())
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	// Whatever is reported before the marker came from the rolled back
	// write.
	marker := uuid.New()
	insertReview(t, raw, movie, marker)
	feed.nextOf("a rollback, then a marker", marker)
}

// TestChangesPruned: the rows a listener has read are deleted once their
// horizon is pruneAge old, those written while no listener ran included.
func TestChangesPruned(t *testing.T) {
	t.Parallel()
	db, raw := changesDB(t)
	movie := insertMovie(t, raw)
	for range 3 {
		insertReview(t, raw, movie, uuid.New())
	}
	if n := queryInt(t, raw, `SELECT count(*) FROM diary_changes`); n != 3 {
		t.Fatalf("rows written with no listener = %d, want 3", n)
	}
	feed := listenFor(t, db, 200*time.Millisecond)
	waitFor(t, func() bool { return queryInt(t, raw, `SELECT count(*) FROM diary_changes`) == 0 })

	user := uuid.New()
	insertReview(t, raw, movie, user)
	for c := feed.next(); !c.All && c.User.UUID() != user; c = feed.next() {
		t.Errorf("reported %+v, want the new review's user or All", c)
	}
	waitFor(t, func() bool { return queryInt(t, raw, `SELECT count(*) FROM diary_changes`) == 0 })
}

// TestChangesAllForProfilesAndMovies: a profile changed, a movie changed
// or deleted, and the reviews emptied each report All, and nothing else.
func TestChangesAllForProfilesAndMovies(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, raw := changesDB(t)
	movie := insertMovie(t, raw)
	u := porttest.NewUser(t, "changes@example.com")
	if err := db.Users().SaveUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	id := u.ID
	feed := listenFor(t, db, 0)
	name := domain.MustNewDisplayName("Changes")
	on := true
	steps := []struct {
		name  string
		write func() error
	}{
		{"display name", func() error {
			_, err := db.Users().UpdateProfile(ctx, id, domain.ProfileUpdate{DisplayName: &name})
			return err
		}},
		{"private diary", func() error {
			_, err := db.Users().UpdateProfile(ctx, id, domain.ProfileUpdate{Private: &on})
			return err
		}},
		{"movie updated", func() error {
			_, err := raw.ExecContext(ctx, `UPDATE movies SET director = 'Andrei Tarkovsky' WHERE id = $1`, movie)
			return err
		}},
		{"movie deleted", func() error {
			_, err := raw.ExecContext(ctx, `DELETE FROM movies WHERE id = $1`, insertMovie(t, raw))
			return err
		}},
		{"reviews truncated", func() error {
			_, err := raw.ExecContext(ctx, `TRUNCATE reviews`)
			return err
		}},
	}
	for _, step := range steps {
		if err := step.write(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if c := feed.next(); !c.All {
			t.Errorf("%s: reported %+v, want All", step.name, c)
		}
		marker := uuid.New()
		insertReview(t, raw, movie, marker)
		feed.nextOf(step.name+", then a marker", marker)
	}
}

// TestChangesOnADroppedDatabaseAreMisconfigured: a listener whose
// database is gone ends with ErrMisconfigured, for its caller to report.
func TestChangesOnADroppedDatabaseAreMisconfigured(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDatabase(t)
	db := openURL(t, dbURL, true)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	server := rawDB(t, pgtest.ServerURL(t))
	if _, err := server.ExecContext(t.Context(), `DROP DATABASE `+pq.QuoteIdentifier(strings.TrimPrefix(u.Path, "/"))+` WITH (FORCE)`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	err = db.ListenChanges(ctx, func(domain.DiaryChange) {})
	if !errors.Is(err, domain.ErrMisconfigured) {
		t.Errorf("ListenChanges on a dropped database: error = %v, want ErrMisconfigured", err)
	}
}
