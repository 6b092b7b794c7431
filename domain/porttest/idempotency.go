package porttest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// The MovieRepository subtests of SaveViewing's idempotency keys and
// IdempotencyRecord.

func testIdempotencyRecordStored(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	user := domain.NewUserID()
	req := idempotentRequest(t, user, "key-1", "fingerprint-1")
	v := keyedViewing(t, req, FixtureTime)
	saved := mustSaveViewing(t, repo, v)
	checkReview(t, "SavedViewing.Review", saved.Review, v.Review)
	checkLogEvents(t, saved, true)

	for _, since := range []time.Time{FixtureTime.Add(-domain.IdempotencyWindow), FixtureTime.Add(-time.Microsecond), FixtureTime} {
		rec, err := repo.IdempotencyRecord(ctx, user, req.Key, since)
		if err != nil {
			t.Fatalf("IdempotencyRecord(since %v): %v", since, err)
		}
		checkRecord(t, fmt.Sprintf("IdempotencyRecord(since %v)", since), rec, req, v.Review.ID, FixtureTime)
	}
	for _, tc := range []struct {
		name  string
		user  domain.UserID
		key   string
		since time.Time
	}{
		{"since after the record was created", user, "key-1", FixtureTime.Add(time.Microsecond)},
		{"another key", user, "key-2", FixtureTime.Add(-domain.IdempotencyWindow)},
		{"another user's key", domain.NewUserID(), "key-1", FixtureTime.Add(-domain.IdempotencyWindow)},
	} {
		if _, err := repo.IdempotencyRecord(ctx, tc.user, mustKey(t, tc.key), tc.since); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("IdempotencyRecord(%s) error = %v, want ErrNotFound", tc.name, err)
		}
	}
	// Without a key nothing is recorded, and keys are unrelated to it.
	mustSaveViewing(t, repo, keyedViewing(t, domain.IdempotentRequest{}, FixtureTime.Add(time.Second)))
	checkDiaryTotal(t, repo, domain.DiaryFilter{}, 2)
}

func testIdempotencyKeyHeld(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	user := domain.NewUserID()
	req := idempotentRequest(t, user, "retry-me", "first")
	first := keyedViewing(t, req, FixtureTime)
	mustSaveViewing(t, repo, first)

	for _, created := range []time.Time{FixtureTime, FixtureTime.Add(time.Hour), FixtureTime.Add(domain.IdempotencyWindow - time.Second)} {
		again := keyedViewing(t, idempotentRequest(t, user, "retry-me", "second"), created)
		if _, err := repo.SaveViewing(ctx, again); !errors.Is(err, domain.ErrConflict) {
			t.Fatalf("SaveViewing with a key held since %v, at %v: error = %v, want ErrConflict", FixtureTime, created, err)
		}
		if _, err := repo.MovieByID(ctx, again.Movie.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("MovieByID(movie of the refused save) error = %v, want ErrNotFound: nothing may be stored", err)
		}
	}
	checkDiaryTotal(t, repo, domain.DiaryFilter{}, 1)
	checkDiaryTotal(t, repo, domain.DiaryFilter{UserID: user}, 1)
	rec, err := repo.IdempotencyRecord(ctx, user, req.Key, FixtureTime.Add(-domain.IdempotencyWindow))
	if err != nil {
		t.Fatalf("IdempotencyRecord: %v", err)
	}
	checkRecord(t, "IdempotencyRecord after refused saves", rec, req, first.Review.ID, FixtureTime)

	// A save with a key that fails for another reason stores no key: a
	// retry of it goes through.
	stored := mustUpsert(t, repo, NewMovie(t, NewExternalID(t), "Ran", 1985, ""))
	conflicting := stored
	conflicting.ExternalID = NewExternalID(t)
	failing := idempotentRequest(t, user, "fails-once", "f")
	v := domain.Viewing{Movie: conflicting, Review: NewReview(t, stored.ID, user, 3, FixtureTime.Add(-time.Hour)), Idempotency: failing}
	if _, err := repo.SaveViewing(ctx, v); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("SaveViewing of a stored movie with another external ID: error = %v, want ErrConflict", err)
	}
	if _, err := repo.IdempotencyRecord(ctx, user, failing.Key, FixtureTime.Add(-domain.IdempotencyWindow)); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("IdempotencyRecord of a failed save's key: error = %v, want ErrNotFound", err)
	}
	v.Movie = stored
	mustSaveViewing(t, repo, v)
	checkDiaryTotal(t, repo, domain.DiaryFilter{}, 2)
}

func testIdempotencyPerUser(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	ann, bob := domain.NewUserID(), domain.NewUserID()
	annReq := idempotentRequest(t, ann, "shared-key", "ann's")
	bobReq := idempotentRequest(t, bob, "shared-key", "bob's")
	annV := keyedViewing(t, annReq, FixtureTime)
	bobV := keyedViewing(t, bobReq, FixtureTime.Add(time.Second))
	mustSaveViewing(t, repo, annV)
	mustSaveViewing(t, repo, bobV)
	since := FixtureTime.Add(-domain.IdempotencyWindow)
	for _, c := range []struct {
		req     domain.IdempotentRequest
		review  domain.ReviewID
		created time.Time
	}{{annReq, annV.Review.ID, FixtureTime}, {bobReq, bobV.Review.ID, FixtureTime.Add(time.Second)}} {
		rec, err := repo.IdempotencyRecord(ctx, c.req.User, c.req.Key, since)
		if err != nil {
			t.Fatalf("IdempotencyRecord(%v): %v", c.req.User, err)
		}
		checkRecord(t, "IdempotencyRecord", rec, c.req, c.review, c.created)
	}
	checkDiaryTotal(t, repo, domain.DiaryFilter{}, 2)
}

func testIdempotencyExpiredReplaced(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	user := domain.NewUserID()
	old := idempotentRequest(t, user, "reused", "old")
	mustSaveViewing(t, repo, keyedViewing(t, old, FixtureTime))

	later := FixtureTime.Add(domain.IdempotencyWindow + time.Second)
	fresh := idempotentRequest(t, user, "reused", "new")
	v := keyedViewing(t, fresh, later)
	mustSaveViewing(t, repo, v)
	checkDiaryTotal(t, repo, domain.DiaryFilter{}, 2)

	rec, err := repo.IdempotencyRecord(ctx, user, fresh.Key, FixtureTime.Add(-domain.IdempotencyWindow))
	if err != nil {
		t.Fatalf("IdempotencyRecord: %v", err)
	}
	checkRecord(t, "IdempotencyRecord after the key was reused", rec, fresh, v.Review.ID, later)
	// The replacement holds the key in turn.
	if _, err := repo.SaveViewing(ctx, keyedViewing(t, fresh, later.Add(time.Minute))); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("SaveViewing with the replaced key: error = %v, want ErrConflict", err)
	}
}

func testIdempotencyConcurrent(t *testing.T, repo domain.MovieRepository) {
	ctx := t.Context()
	const n = 8
	user := domain.NewUserID()
	viewings := make([]domain.Viewing, n)
	for i := range viewings {
		viewings[i] = keyedViewing(t, idempotentRequest(t, user, "double-click", fmt.Sprintf("request %d", i)), FixtureTime)
	}
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = repo.SaveViewing(ctx, viewings[i])
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("SaveViewing #%d and #%d both stored under one key, want exactly one", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, domain.ErrConflict):
			t.Errorf("SaveViewing #%d: error = %v, want ErrConflict or success", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no SaveViewing stored under the key, want exactly one")
	}
	page := checkDiaryTotal(t, repo, domain.DiaryFilter{}, 1)
	if len(page.Entries) == 1 && page.Entries[0].Review.ID != viewings[winner].Review.ID {
		t.Errorf("the diary holds review %v, want the winner's %v", page.Entries[0].Review.ID, viewings[winner].Review.ID)
	}
	rec, err := repo.IdempotencyRecord(ctx, user, viewings[winner].Idempotency.Key, FixtureTime.Add(-domain.IdempotencyWindow))
	if err != nil {
		t.Fatalf("IdempotencyRecord: %v", err)
	}
	checkRecord(t, "IdempotencyRecord", rec, viewings[winner].Idempotency, viewings[winner].Review.ID, FixtureTime)
}

// keyedViewing is a viewing by req.User (a new user when req has no key)
// of a new movie with an external ID, logged at created, under req.
func keyedViewing(t *testing.T, req domain.IdempotentRequest, created time.Time) domain.Viewing {
	t.Helper()
	user := req.User
	if user.IsZero() {
		user = domain.NewUserID()
	}
	m := NewMovie(t, NewExternalID(t), "Chungking Express", 1994, "Wong Kar-wai")
	r := NewReview(t, m.ID, user, 4.5, FixtureTime.Add(-time.Hour))
	r.CreatedAt = created.UTC()
	return domain.Viewing{Movie: m, Review: r, Idempotency: req}
}

func idempotentRequest(t *testing.T, user domain.UserID, key, fingerprint string) domain.IdempotentRequest {
	t.Helper()
	return domain.IdempotentRequest{User: user, Key: mustKey(t, key), Fingerprint: fingerprint}
}

func mustKey(t *testing.T, s string) domain.IdempotencyKey {
	t.Helper()
	k, err := domain.ParseIdempotencyKey(s)
	if err != nil {
		t.Fatalf("idempotency key %q: %v", s, err)
	}
	return k
}

// checkRecord checks every field of a stored idempotency record.
func checkRecord(t *testing.T, what string, got domain.IdempotencyRecord, req domain.IdempotentRequest, review domain.ReviewID, created time.Time) {
	t.Helper()
	if got.Request != req || got.ReviewID != review || !got.CreatedAt.Equal(created) {
		t.Errorf("%s = {User %v, Key %q, Fingerprint %q, ReviewID %v, CreatedAt %v}, want {%v, %q, %q, %v, %v}", what,
			got.Request.User, got.Request.Key, got.Request.Fingerprint, got.ReviewID, got.CreatedAt.Format(time.RFC3339Nano),
			req.User, req.Key, req.Fingerprint, review, created.Format(time.RFC3339Nano))
	}
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("%s.CreatedAt is in %v, want UTC", what, got.CreatedAt.Location())
	}
}
