package porttest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// TestOutbox runs the Outbox contract together with the ViewingSaver that
// feeds it. newStore must return a new, empty outbox and a saver in outbox
// mode on the same store — SaveViewing stores SavedViewing.Events in the
// outbox in the transaction that stores the viewing; it is called once per
// subtest.
//
// The suite pins that a save's events appear in the outbox in order, once
// each, and unchanged after their round trip through the wire form; that a
// failed save stores no event; that, when the saver is also a
// domain.DiaryReader, reviews and their events become visible together;
// that, when it is also a domain.ReviewEditor, UpdateReview and
// DeleteReview store their events the same way and a failed edit or
// deletion stores none; that, when it is also a domain.MovieIdentifier,
// IdentifyMovie stores its event the same way and a merge stores none;
// ClaimEvents' limit, order and leases (claiming counts no attempt);
// CompleteEvent; FailEvent's attempt count, error, next due time and
// released lease, and its dead parking; DeadEvents' order and limit;
// RequeueEvent and its ErrNotFound; BackfillPosterEvents; PendingEvents;
// and that concurrent claimers never get one event twice while leases
// hold.
//
// Backfill counts only pending events: a movie whose MovieDiscovered event
// is dead gets a fresh one, so that a restart heals what an outage killed,
// while the dead event stays listed by DeadEvents until it is requeued.
//
// The suite's clock starts a second past the wall clock, so an adapter may
// make a saved event due at its occurrence or at the moment it is stored.
func TestOutbox(t *testing.T, newStore func(t *testing.T) (domain.Outbox, domain.ViewingSaver)) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s outboxStore)
	}{
		{"saved events are stored in order, once each, unchanged", testOutboxSavedEvents},
		{"a failed save stores no event", testOutboxFailedSave},
		{"reviews and their events become visible together", testOutboxVisibleTogether},
		{"edits and deletions store their events", testOutboxEditEvents},
		{"IdentifyMovie stores its event", testOutboxIdentify},
		{"ClaimEvents returns at most limit events, oldest first", testOutboxClaimOrder},
		{"a claimed event is leased until the lease ends", testOutboxLease},
		{"ExtendClaims renews held leases and nothing else", testOutboxExtendClaims},
		{"a completed event is never claimed again", testOutboxComplete},
		{"a failed event is due again at next with its attempt and error", testOutboxFail},
		{"an event failed as dead is listed, neither claimed nor pending", testOutboxDead},
		{"DeadEvents lists the oldest first, up to limit", testOutboxDeadOrder},
		{"RequeueEvent makes a dead event due with no attempts", testOutboxRequeue},
		{"RequeueEvent of an unknown, live or completed event is not found", testOutboxRequeueNotFound},
		{"BackfillPosterEvents stores one MovieDiscovered per movie still needing a poster", testOutboxBackfill},
		{"PendingEvents counts the events neither delivered nor dead", testOutboxPending},
		{"concurrent claimers never share an event while leases hold", testOutboxConcurrentClaims},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ob, saver := newStore(t)
			tc.run(t, outboxStore{ob: ob, saver: saver, start: outboxStart()})
		})
	}
}

// CheckExclusiveClaims saves events through saver, then claims them from
// several goroutines spread over claimers — handles of one store, such as
// two connections or two processes' pools — in a loop, limit 3 a claim,
// with a lease that outlasts the test. It fails t when two claims return
// one event or when the claims together miss one. The store must hold no
// due events beforehand.
func CheckExclusiveClaims(t *testing.T, saver domain.ViewingSaver, claimers ...domain.Outbox) {
	t.Helper()
	const events, goroutines, limit = 48, 8, 3
	if len(claimers) == 0 {
		t.Fatal("porttest: CheckExclusiveClaims needs at least one outbox")
	}
	want := make(map[domain.EventID]bool, events)
	for range events {
		saved := saveReviewOnly(t, saver, FixtureTime)
		want[saved.Events[0].EventID()] = true
	}
	now := outboxStart()
	claimed := make([][]domain.OutboxEvent, goroutines)
	errs := make(chan error, goroutines)
	// More claimed events than saved means leases do not hold; stop rather
	// than claim the same events forever.
	var total atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		ob := claimers[g%len(claimers)]
		wg.Go(func() {
			for total.Load() <= events {
				got, err := ob.ClaimEvents(t.Context(), now, limit, time.Hour)
				if err != nil {
					errs <- fmt.Errorf("claimer %d: ClaimEvents: %w", g, err)
					return
				}
				if len(got) > limit {
					errs <- fmt.Errorf("claimer %d: ClaimEvents(limit %d) returned %d events", g, limit, len(got))
					return
				}
				if len(got) == 0 {
					return
				}
				claimed[g] = append(claimed[g], got...)
				total.Add(int64(len(got)))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := make(map[domain.EventID]int)
	for g, got := range claimed {
		for _, e := range got {
			id := e.Event.EventID()
			if prev, dup := seen[id]; dup {
				t.Errorf("event %v was claimed by claimer %d and again by claimer %d while its lease held", id, prev, g)
			}
			seen[id] = g
			if !want[id] {
				t.Errorf("claimer %d got event %v, which was never saved", g, id)
			}
		}
	}
	if len(seen) != len(want) {
		t.Errorf("the claimers got %d distinct events, want all %d saved", len(seen), len(want))
	}
}

// outboxStore is what a TestOutbox subtest works on.
type outboxStore struct {
	ob    domain.Outbox
	saver domain.ViewingSaver
	// start is the suite's "now": later than every saved event.
	start time.Time
}

// outboxStart is a whole millisecond a second past the wall clock, so that
// every event saved before it is due by it, whichever time an adapter
// stores as due, and every store keeps it exactly.
func outboxStart() time.Time {
	return time.Now().UTC().Add(time.Second).Truncate(time.Millisecond)
}

func testOutboxSavedEvents(t *testing.T, s outboxStore) {
	ext := NewExternalID(t)
	movie := NewMovie(t, ext, "The Third Man", 1949, "Carol Reed")
	first := mustSaveViewingTo(t, s.saver, domain.Viewing{Movie: movie,
		Review: mustRestoreReview(t, movie.ID, domain.NewUserID(), 5, "", FixtureTime.Add(-time.Hour), FixtureTime)})
	checkLogEvents(t, first, true)
	again := mustSaveViewingTo(t, s.saver, domain.Viewing{Movie: movie,
		Review: mustRestoreReview(t, movie.ID, domain.NewUserID(), 4, "seen again", FixtureTime, FixtureTime.Add(time.Second))})
	checkLogEvents(t, again, false)
	other := saveReviewOnly(t, s.saver, FixtureTime.Add(2*time.Second))

	want := slices.Concat(first.Events, again.Events, other.Events)
	checkPending(t, s.ob, len(want))
	got := mustClaim(t, s.ob, s.start, 10, time.Minute)
	checkOutboxEvents(t, "ClaimEvents", got, want)
	for i, e := range got {
		checkDelivery(t, fmt.Sprintf("claimed event %d", i), e, 0, "", false)
	}
	if again := mustClaim(t, s.ob, s.start, 10, time.Minute); len(again) != 0 {
		t.Errorf("a second claim within the lease returned %s, want none: each event is stored once", describeOutbox(again))
	}
}

func testOutboxFailedSave(t *testing.T, s outboxStore) {
	ctx := t.Context()
	movie := NewMovie(t, NewExternalID(t), "Rashomon", 1950, "Akira Kurosawa")
	review := NewReview(t, movie.ID, domain.NewUserID(), 5, FixtureTime.Add(-time.Hour))
	stored := mustSaveViewingTo(t, s.saver, domain.Viewing{Movie: movie, Review: review})

	// A new movie whose review reuses a stored review ID: the save fails,
	// and neither its MovieDiscovered nor its ReviewLogged may be stored.
	second := NewMovie(t, NewExternalID(t), "Ikiru", 1952, "Akira Kurosawa")
	dup := review
	dup.MovieID = second.ID
	if _, err := s.saver.SaveViewing(ctx, domain.Viewing{Movie: second, Review: dup}); err == nil {
		t.Fatal("SaveViewing with a stored review ID succeeded, want an error")
	}
	// The stored movie given with another external ID: refused too.
	conflicting := movie
	conflicting.ExternalID = NewExternalID(t)
	if _, err := s.saver.SaveViewing(ctx, domain.Viewing{Movie: conflicting, Review: NewReview(t, movie.ID, domain.NewUserID(), 3, FixtureTime)}); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("SaveViewing of a stored movie with another external ID: error = %v, want ErrConflict", err)
	}

	checkPending(t, s.ob, len(stored.Events))
	checkOutboxEvents(t, "ClaimEvents after failed saves", mustClaim(t, s.ob, s.start, 10, time.Minute), stored.Events)
}

func testOutboxVisibleTogether(t *testing.T, s outboxStore) {
	diary, ok := s.saver.(domain.DiaryReader)
	if !ok {
		t.Skip("the saver is not a domain.DiaryReader: visibility of reviews cannot be observed")
	}
	ctx := t.Context()
	const saves = 30
	total := func() int {
		page, err := diary.QueryDiary(ctx, domain.DiaryQuery{Page: mustPage(t, 1, 0)})
		if err != nil {
			t.Fatalf("QueryDiary: %v", err)
		}
		return page.TotalCount
	}
	pending := func() int {
		n, err := s.ob.PendingEvents(ctx)
		if err != nil {
			t.Fatalf("PendingEvents: %v", err)
		}
		return n
	}
	// Movies without external ID: exactly one event (ReviewLogged) per
	// review.
	viewings := make([]domain.Viewing, saves)
	for i := range viewings {
		m := NewMovie(t, domain.ExternalMetadataID{}, fmt.Sprintf("Home Movie %d", i), 2001, "")
		viewings[i] = domain.Viewing{Movie: m, Review: NewReview(t, m.ID, domain.NewUserID(), 3, FixtureTime)}
	}
	done := make(chan error, 1)
	go func() {
		defer close(done)
		for _, v := range viewings {
			if _, err := s.saver.SaveViewing(ctx, v); err != nil {
				done <- err
				return
			}
		}
	}()
	// Reading events, then reviews, then events again: with every save
	// atomic, the reviews seen lie between the two event counts. A review
	// visible before its event, or an event before its review, breaks it.
	for finished := false; !finished; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("SaveViewing: %v", err)
			}
			finished = true
		default:
		}
		before := pending()
		reviews := total()
		after := pending()
		if reviews < before || reviews > after {
			t.Fatalf("saw %d events, then %d reviews, then %d events: a review and its event were not stored together", before, reviews, after)
		}
	}
	if e, r := pending(), total(); e != saves || r != saves {
		t.Errorf("after %d saves: %d events and %d reviews, want %d of each", saves, e, r, saves)
	}
}

func testOutboxEditEvents(t *testing.T, s outboxStore) {
	editor, ok := s.saver.(domain.ReviewEditor)
	if !ok {
		t.Skip("the saver is not a domain.ReviewEditor")
	}
	ctx := t.Context()
	saved := saveReviewOnly(t, s.saver, FixtureTime)
	edited := saved.Review
	edited.Rating = domain.Rating{}
	edited.Comment = mustComment(t, "on reflection")
	edited.WatchedAt = FixtureTime.Add(-2 * time.Hour).Truncate(time.Second)
	got, err := editor.UpdateReview(ctx, edited, FixtureTime.Add(time.Second))
	if err != nil {
		t.Fatalf("UpdateReview: %v", err)
	}
	checkEditedEvent(t, got.Events, edited, FixtureTime.Add(time.Second))
	deleted, err := editor.DeleteReview(ctx, edited.ID, FixtureTime.Add(2*time.Second))
	if err != nil {
		t.Fatalf("DeleteReview: %v", err)
	}
	checkDeletedEvent(t, deleted, edited, FixtureTime.Add(2*time.Second))

	// Failed: the review is gone.
	if _, err := editor.UpdateReview(ctx, edited, FixtureTime.Add(3*time.Second)); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("UpdateReview of a deleted review: error = %v, want ErrNotFound", err)
	}
	if _, err := editor.DeleteReview(ctx, edited.ID, FixtureTime.Add(3*time.Second)); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("DeleteReview of a deleted review: error = %v, want ErrNotFound", err)
	}

	want := slices.Concat(saved.Events, got.Events, deleted)
	checkPending(t, s.ob, len(want))
	checkOutboxEvents(t, "ClaimEvents", mustClaim(t, s.ob, s.start, 10, time.Minute), want)
}

func testOutboxClaimOrder(t *testing.T, s outboxStore) {
	var want []domain.Event
	for i := range 5 {
		want = append(want, saveReviewOnly(t, s.saver, FixtureTime.Add(time.Duration(i)*time.Second)).Events...)
	}
	for _, batch := range [][]domain.Event{want[0:2], want[2:4], want[4:5], nil} {
		got := mustClaim(t, s.ob, s.start, 2, time.Minute)
		checkOutboxEvents(t, "ClaimEvents(limit 2)", got, batch)
	}
}

func testOutboxLease(t *testing.T, s outboxStore) {
	saved := saveReviewOnly(t, s.saver, FixtureTime)
	const lease = time.Minute
	tests := []struct {
		name string
		at   time.Time
		want []domain.Event
	}{
		{"the first claim gets the event", s.start, saved.Events},
		{"a claim before the lease ends gets nothing", s.start.Add(lease / 2), nil},
		{"a claim after the lease ended gets it again", s.start.Add(lease + time.Millisecond), saved.Events},
		{"the new claim leases it again", s.start.Add(lease + lease/2), nil},
		{"until that lease ends too", s.start.Add(2*lease + 2*time.Millisecond), saved.Events},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mustClaim(t, s.ob, tc.at, 10, lease)
			checkOutboxEvents(t, "ClaimEvents", got, tc.want)
			for _, e := range got {
				checkDelivery(t, "reclaimed event", e, 0, "", false) // claiming counts no attempt
			}
		})
	}
}

func testOutboxExtendClaims(t *testing.T, s outboxStore) {
	ctx := t.Context()
	held := saveReviewOnly(t, s.saver, FixtureTime).Events[0]
	failed := saveReviewOnly(t, s.saver, FixtureTime.Add(time.Second)).Events[0]
	completed := saveReviewOnly(t, s.saver, FixtureTime.Add(2*time.Second)).Events[0]
	lapsed := saveReviewOnly(t, s.saver, FixtureTime.Add(3*time.Second)).Events[0]
	const lease = 10 * time.Second
	claimed := mustClaim(t, s.ob, s.start, 3, lease)
	checkOutboxEvents(t, "ClaimEvents", claimed, []domain.Event{held, failed, completed})
	if err := s.ob.FailEvent(ctx, failed.EventID(), "boom", s.start, false); err != nil {
		t.Fatalf("FailEvent: %v", err)
	}
	if err := s.ob.CompleteEvent(ctx, completed.EventID()); err != nil {
		t.Fatalf("CompleteEvent: %v", err)
	}

	// Renewed before the lease ends: held is leased until renewal+lease,
	// past its first lease. failed was given back, lapsed never claimed,
	// completed is gone, and an unknown ID is ignored.
	renewal := s.start.Add(lease / 2)
	ids := []domain.EventID{held.EventID(), failed.EventID(), completed.EventID(), lapsed.EventID(), domain.NewEventID()}
	if err := s.ob.ExtendClaims(ctx, ids, renewal, lease); err != nil {
		t.Fatalf("ExtendClaims: %v", err)
	}
	if err := s.ob.ExtendClaims(ctx, nil, renewal, lease); err != nil {
		t.Errorf("ExtendClaims of no events: %v, want nil", err)
	}
	afterFirstLease := s.start.Add(lease + time.Second)
	checkOutboxEvents(t, "ClaimEvents after the first lease, before the renewed one ends",
		mustClaim(t, s.ob, afterFirstLease, 10, lease), []domain.Event{failed, lapsed})
	checkOutboxEvents(t, "ClaimEvents after the renewed lease ended",
		mustClaim(t, s.ob, renewal.Add(lease+time.Millisecond), 10, lease), []domain.Event{held})

	// A lease that ran out is not renewed: the event may already be
	// another claimer's to deliver.
	expired := renewal.Add(lease + time.Millisecond).Add(2 * lease)
	if err := s.ob.ExtendClaims(ctx, []domain.EventID{held.EventID()}, expired, lease); err != nil {
		t.Fatalf("ExtendClaims of a lapsed lease: %v", err)
	}
	checkOutboxEvents(t, "ClaimEvents after renewing a lapsed lease",
		mustClaim(t, s.ob, expired.Add(time.Millisecond), 10, lease), []domain.Event{held, failed, lapsed})
}

func testOutboxComplete(t *testing.T, s outboxStore) {
	ctx := t.Context()
	first := saveReviewOnly(t, s.saver, FixtureTime).Events[0]
	second := saveReviewOnly(t, s.saver, FixtureTime.Add(time.Second)).Events[0]
	mustClaim(t, s.ob, s.start, 10, time.Minute)

	if err := s.ob.CompleteEvent(ctx, first.EventID()); err != nil {
		t.Fatalf("CompleteEvent: %v", err)
	}
	checkPending(t, s.ob, 1)
	later := s.start.Add(time.Hour)
	checkOutboxEvents(t, "ClaimEvents after the lease", mustClaim(t, s.ob, later, 10, time.Minute), []domain.Event{second})

	for _, id := range []domain.EventID{first.EventID(), domain.NewEventID()} {
		if err := s.ob.CompleteEvent(ctx, id); err != nil {
			t.Errorf("CompleteEvent(%v) of a completed or unknown event: %v, want nil", id, err)
		}
	}
	if err := s.ob.CompleteEvent(ctx, second.EventID()); err != nil {
		t.Fatalf("CompleteEvent: %v", err)
	}
	checkPending(t, s.ob, 0)
	if got := mustClaim(t, s.ob, later.Add(24*time.Hour), 10, time.Minute); len(got) != 0 {
		t.Errorf("ClaimEvents after every event completed = %s, want none", describeOutbox(got))
	}
	checkDead(t, s.ob, nil)
}

func testOutboxFail(t *testing.T, s outboxStore) {
	ctx := t.Context()
	event := saveReviewOnly(t, s.saver, FixtureTime).Events[0]
	mustClaim(t, s.ob, s.start, 10, time.Hour)

	next := s.start.Add(time.Minute)
	if err := s.ob.FailEvent(ctx, event.EventID(), "poster host down", next, false); err != nil {
		t.Fatalf("FailEvent: %v", err)
	}
	checkPending(t, s.ob, 1)
	if got := mustClaim(t, s.ob, next.Add(-time.Millisecond), 10, time.Hour); len(got) != 0 {
		t.Errorf("ClaimEvents before next = %s, want none", describeOutbox(got))
	}
	got := mustClaim(t, s.ob, next, 10, time.Hour)
	checkOutboxEvents(t, "ClaimEvents at next", got, []domain.Event{event})
	if len(got) == 1 {
		checkDelivery(t, "event after one failure", got[0], 1, "poster host down", false)
		if !got[0].NextAttemptAt.Equal(next) {
			t.Errorf("NextAttemptAt = %v, want %v", got[0].NextAttemptAt, next)
		}
	}

	// Failing releases the lease: with next at once, the event is due again
	// although the last claim leased it for an hour.
	if err := s.ob.FailEvent(ctx, event.EventID(), "poster host still down", next, false); err != nil {
		t.Fatalf("FailEvent: %v", err)
	}
	got = mustClaim(t, s.ob, next, 10, time.Hour)
	checkOutboxEvents(t, "ClaimEvents right after a second failure", got, []domain.Event{event})
	if len(got) == 1 {
		checkDelivery(t, "event after two failures", got[0], 2, "poster host still down", false)
	}
	checkDead(t, s.ob, nil)
}

func testOutboxDead(t *testing.T, s outboxStore) {
	ctx := t.Context()
	event := saveReviewOnly(t, s.saver, FixtureTime).Events[0]
	mustClaim(t, s.ob, s.start, 10, time.Hour)
	if err := s.ob.FailEvent(ctx, event.EventID(), "poster is not an image", s.start, true); err != nil {
		t.Fatalf("FailEvent(dead): %v", err)
	}
	if got := mustClaim(t, s.ob, s.start.Add(30*24*time.Hour), 10, time.Hour); len(got) != 0 {
		t.Errorf("ClaimEvents of a dead event = %s, want none", describeOutbox(got))
	}
	checkPending(t, s.ob, 0)
	dead := checkDead(t, s.ob, []domain.Event{event})
	if len(dead) == 1 {
		checkDelivery(t, "dead event", dead[0], 1, "poster is not an image", true)
	}
}

func testOutboxDeadOrder(t *testing.T, s outboxStore) {
	ctx := t.Context()
	var events []domain.Event
	for i := range 4 {
		events = append(events, saveReviewOnly(t, s.saver, FixtureTime.Add(time.Duration(i)*time.Second)).Events...)
	}
	mustClaim(t, s.ob, s.start, 10, time.Hour)
	// Parked newest first: the list still goes by age.
	for _, e := range []domain.Event{events[2], events[1], events[0]} {
		if err := s.ob.FailEvent(ctx, e.EventID(), "gave up", s.start, true); err != nil {
			t.Fatalf("FailEvent(dead): %v", err)
		}
	}
	got, err := s.ob.DeadEvents(ctx, 2)
	if err != nil {
		t.Fatalf("DeadEvents(2): %v", err)
	}
	checkOutboxEvents(t, "DeadEvents(2)", got, events[:2])
	checkDead(t, s.ob, events[:3])
}

func testOutboxRequeue(t *testing.T, s outboxStore) {
	ctx := t.Context()
	event := saveReviewOnly(t, s.saver, FixtureTime).Events[0]
	mustClaim(t, s.ob, s.start, 10, time.Hour)
	if err := s.ob.FailEvent(ctx, event.EventID(), "poster host down", s.start, true); err != nil {
		t.Fatalf("FailEvent(dead): %v", err)
	}
	at := s.start.Add(time.Minute)
	if err := s.ob.RequeueEvent(ctx, event.EventID(), at); err != nil {
		t.Fatalf("RequeueEvent: %v", err)
	}
	checkDead(t, s.ob, nil)
	checkPending(t, s.ob, 1)
	got := mustClaim(t, s.ob, at, 10, time.Hour)
	checkOutboxEvents(t, "ClaimEvents after RequeueEvent", got, []domain.Event{event})
	if len(got) == 1 {
		if got[0].Attempts != 0 || got[0].Dead {
			t.Errorf("requeued event has Attempts %d, Dead %v; want 0 and false", got[0].Attempts, got[0].Dead)
		}
	}
	// Requeued, it is a live event again: a second requeue finds no dead one.
	if err := s.ob.RequeueEvent(ctx, event.EventID(), at); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("RequeueEvent of the requeued event: error = %v, want ErrNotFound", err)
	}
}

func testOutboxRequeueNotFound(t *testing.T, s outboxStore) {
	ctx := t.Context()
	live := saveReviewOnly(t, s.saver, FixtureTime).Events[0]
	completed := saveReviewOnly(t, s.saver, FixtureTime.Add(time.Second)).Events[0]
	mustClaim(t, s.ob, s.start, 10, time.Hour)
	if err := s.ob.CompleteEvent(ctx, completed.EventID()); err != nil {
		t.Fatalf("CompleteEvent: %v", err)
	}
	tests := []struct {
		name string
		id   domain.EventID
	}{
		{"unknown", domain.NewEventID()},
		{"live", live.EventID()},
		{"completed", completed.EventID()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.ob.RequeueEvent(ctx, tc.id, s.start); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("RequeueEvent: error = %v, want ErrNotFound", err)
			}
		})
	}
	checkPending(t, s.ob, 1)
}

func testOutboxBackfill(t *testing.T, s outboxStore) {
	ctx := t.Context()
	if n, err := s.ob.BackfillPosterEvents(ctx, s.start); err != nil || n != 0 {
		t.Fatalf("BackfillPosterEvents of an empty store = %d, %v; want 0, nil", n, err)
	}

	save := func(title string, ext domain.ExternalMetadataID, poster string) domain.SavedViewing {
		m := NewMovie(t, ext, title, 1960, "")
		if poster != "" {
			m.PosterPath = domain.MustNewPosterPath(poster)
		}
		return mustSaveViewingTo(t, s.saver, domain.Viewing{Movie: m, Review: NewReview(t, m.ID, domain.NewUserID(), 4, FixtureTime)})
	}
	delivered := save("Delivered", NewExternalID(t), "")            // its MovieDiscovered was delivered
	pending := save("Pending", NewExternalID(t), "")                // its MovieDiscovered is leased
	retrying := save("Retrying", NewExternalID(t), "")              // its MovieDiscovered failed, due later
	died := save("Died", NewExternalID(t), "")                      // its MovieDiscovered is dead
	reviewOnly := save("Review Pending", NewExternalID(t), "")      // delivered too, but its ReviewLogged is leased
	withPoster := save("With Poster", NewExternalID(t), "p/wp.jpg") // has a poster: never discovered
	noExt := save("No External ID", domain.ExternalMetadataID{}, "")
	checkLogEvents(t, withPoster, false)
	checkLogEvents(t, noExt, false)

	mustClaim(t, s.ob, s.start, 100, time.Hour)
	for _, saved := range []domain.SavedViewing{delivered, reviewOnly} {
		if err := s.ob.CompleteEvent(ctx, saved.Events[0].EventID()); err != nil {
			t.Fatalf("CompleteEvent: %v", err)
		}
	}
	if err := s.ob.CompleteEvent(ctx, delivered.Events[1].EventID()); err != nil {
		t.Fatalf("CompleteEvent: %v", err)
	}
	if err := s.ob.FailEvent(ctx, retrying.Events[0].EventID(), "poster host down", s.start.Add(2*time.Hour), false); err != nil {
		t.Fatalf("FailEvent: %v", err)
	}
	if err := s.ob.FailEvent(ctx, died.Events[0].EventID(), "OMDb refused the key", s.start, true); err != nil {
		t.Fatalf("FailEvent(dead): %v", err)
	}

	at := s.start.Add(time.Second)
	n, err := s.ob.BackfillPosterEvents(ctx, at)
	if err != nil {
		t.Fatalf("BackfillPosterEvents: %v", err)
	}
	needing := []domain.Movie{delivered.Movie, died.Movie, reviewOnly.Movie}
	if n != len(needing) {
		t.Errorf("BackfillPosterEvents stored %d events, want %d (movies %q, %q and %q)", n, len(needing),
			needing[0].Title, needing[1].Title, needing[2].Title)
	}

	// Every other event is leased or not due: the claim gets the new ones.
	got := mustClaim(t, s.ob, at, 100, time.Hour)
	if len(got) != len(needing) {
		t.Fatalf("ClaimEvents after backfill = %s, want %d new MovieDiscovered events", describeOutbox(got), len(needing))
	}
	byMovie := make(map[domain.MovieID]domain.OutboxEvent)
	for _, e := range got {
		byMovie[e.Event.MovieID()] = e
	}
	for _, m := range needing {
		e, ok := byMovie[m.ID]
		if !ok {
			t.Errorf("no backfilled event for movie %q", m.Title)
			continue
		}
		md, ok := e.Event.(domain.MovieDiscovered)
		switch {
		case !ok:
			t.Errorf("backfilled event for %q is %T, want domain.MovieDiscovered", m.Title, e.Event)
		case md.ExternalMetadataID != m.ExternalID || md.EventID().IsZero() || !md.OccurredAt().Equal(at):
			t.Errorf("backfilled event for %q = {ID %v, ExternalMetadataID %v, OccurredAt %v}, want a fresh ID, %v, %v",
				m.Title, md.EventID(), md.ExternalMetadataID, md.OccurredAt(), m.ExternalID, at)
		}
		checkDelivery(t, "backfilled event", e, 0, "", false)
	}
	for _, saved := range []domain.SavedViewing{pending, retrying, withPoster, noExt} {
		if e, ok := byMovie[saved.Movie.ID]; ok {
			t.Errorf("backfill stored %s %v for movie %q, which needs none", e.Event.EventName(), e.Event.EventID(), saved.Movie.Title)
		}
	}
	if e, ok := byMovie[died.Movie.ID]; ok && e.Event.EventID() == died.Events[0].EventID() {
		t.Errorf("backfill revived the dead event %v instead of storing a new one", e.Event.EventID())
	}

	if n, err := s.ob.BackfillPosterEvents(ctx, at.Add(time.Second)); err != nil || n != 0 {
		t.Errorf("a second BackfillPosterEvents = %d, %v; want 0, nil: every movie has a pending event now", n, err)
	}
	dead := checkDead(t, s.ob, died.Events[:1])
	if len(dead) == 1 {
		checkDelivery(t, "dead event after backfill", dead[0], 1, "OMDb refused the key", true)
	}
	// Pending: pending's two, retrying's two, reviewOnly's ReviewLogged,
	// died's ReviewLogged, withPoster's and noExt's ReviewLogged, and the
	// three backfilled.
	checkPending(t, s.ob, 2+2+1+1+1+1+len(needing))
}

func testOutboxPending(t *testing.T, s outboxStore) {
	ctx := t.Context()
	checkPending(t, s.ob, 0)
	first := saveReviewOnly(t, s.saver, FixtureTime).Events[0]
	second := saveReviewOnly(t, s.saver, FixtureTime.Add(time.Second)).Events[0]
	saveReviewOnly(t, s.saver, FixtureTime.Add(2*time.Second))
	checkPending(t, s.ob, 3)
	mustClaim(t, s.ob, s.start, 10, time.Hour)
	checkPending(t, s.ob, 3) // leased events are still pending
	steps := []struct {
		name string
		do   func() error
		want int
	}{
		{"completed", func() error { return s.ob.CompleteEvent(ctx, first.EventID()) }, 2},
		{"failed, to retry", func() error { return s.ob.FailEvent(ctx, second.EventID(), "x", s.start, false) }, 2},
		{"failed, dead", func() error { return s.ob.FailEvent(ctx, second.EventID(), "x", s.start, true) }, 1},
		{"requeued", func() error { return s.ob.RequeueEvent(ctx, second.EventID(), s.start) }, 2},
	}
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if n, err := s.ob.PendingEvents(ctx); err != nil || n != step.want {
			t.Errorf("PendingEvents after an event was %s = %d, %v; want %d", step.name, n, err, step.want)
		}
	}
}

func testOutboxConcurrentClaims(t *testing.T, s outboxStore) {
	CheckExclusiveClaims(t, s.saver, s.ob)
}

// saveReviewOnly saves a viewing of a new movie without external ID,
// logged at created: its only event is one ReviewLogged.
func saveReviewOnly(t *testing.T, saver domain.ViewingSaver, created time.Time) domain.SavedViewing {
	t.Helper()
	m := NewMovie(t, domain.ExternalMetadataID{}, "Home Movie", 2005, "")
	saved := mustSaveViewingTo(t, saver, domain.Viewing{Movie: m,
		Review: mustRestoreReview(t, m.ID, domain.NewUserID(), 3, "", FixtureTime.Add(-time.Hour), created)})
	if len(saved.Events) != 1 {
		t.Fatalf("SaveViewing of a movie without external ID returned %d events, want one ReviewLogged", len(saved.Events))
	}
	return saved
}

func mustSaveViewingTo(t *testing.T, saver domain.ViewingSaver, v domain.Viewing) domain.SavedViewing {
	t.Helper()
	saved, err := saver.SaveViewing(t.Context(), v)
	if err != nil {
		t.Fatalf("SaveViewing(%q): %v", v.Movie.Title, err)
	}
	return saved
}

func mustClaim(t *testing.T, ob domain.Outbox, now time.Time, limit int, lease time.Duration) []domain.OutboxEvent {
	t.Helper()
	got, err := ob.ClaimEvents(t.Context(), now, limit, lease)
	if err != nil {
		t.Fatalf("ClaimEvents: %v", err)
	}
	if len(got) > limit {
		t.Fatalf("ClaimEvents(limit %d) returned %d events", limit, len(got))
	}
	return got
}

func checkPending(t *testing.T, ob domain.Outbox, want int) {
	t.Helper()
	n, err := ob.PendingEvents(t.Context())
	if err != nil {
		t.Fatalf("PendingEvents: %v", err)
	}
	if n != want {
		t.Errorf("PendingEvents = %d, want %d", n, want)
	}
}

// checkDead checks that DeadEvents lists exactly want, in order, and
// returns what it listed.
func checkDead(t *testing.T, ob domain.Outbox, want []domain.Event) []domain.OutboxEvent {
	t.Helper()
	got, err := ob.DeadEvents(t.Context(), 100)
	if err != nil {
		t.Fatalf("DeadEvents: %v", err)
	}
	checkOutboxEvents(t, "DeadEvents", got, want)
	return got
}

// checkOutboxEvents compares stored events with the events they must be,
// IDs and order first, then every field.
func checkOutboxEvents(t *testing.T, what string, got []domain.OutboxEvent, want []domain.Event) {
	t.Helper()
	gotIDs := make([]domain.EventID, len(got))
	for i, e := range got {
		gotIDs[i] = e.Event.EventID()
	}
	wantIDs := make([]domain.EventID, len(want))
	for i, e := range want {
		wantIDs[i] = e.EventID()
	}
	if !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("%s = %s,\nwant %s", what, describeOutbox(got), describeEvents(want))
		return
	}
	for i := range want {
		checkEvent(t, fmt.Sprintf("%s[%d]", what, i), got[i].Event, want[i])
	}
}

// checkDelivery checks an event's delivery state.
func checkDelivery(t *testing.T, what string, e domain.OutboxEvent, attempts int, lastError string, dead bool) {
	t.Helper()
	if e.Attempts != attempts || e.LastError != lastError || e.Dead != dead {
		t.Errorf("%s has Attempts %d, LastError %q, Dead %v; want %d, %q, %v", what, e.Attempts, e.LastError, e.Dead, attempts, lastError, dead)
	}
	if e.CreatedAt.IsZero() {
		t.Errorf("%s has no CreatedAt", what)
	}
}

func describeOutbox(es []domain.OutboxEvent) string {
	events := make([]domain.Event, len(es))
	for i, e := range es {
		events[i] = e.Event
	}
	return describeEvents(events)
}

func describeEvents(es []domain.Event) string {
	parts := make([]string, len(es))
	for i, e := range es {
		id := e.EventID().String()
		parts[i] = fmt.Sprintf("%s …%s", e.EventName(), id[len(id)-8:]) // the random end of a time-ordered ID
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
