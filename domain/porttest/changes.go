package porttest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// changeTimeout bounds the wait for one reported change. It is a guard
// against hanging, never a measurement: how fast a change is reported is
// measured by benchmarks, not by this suite.
const changeTimeout = 5 * time.Second

// ChangeStores is what a TestChangeListener subtest works on: two
// separate handles on one database, as two processes would hold them (two
// connection pools, two opened files). Listener is one; Movies and Users
// are the other, through which the suite writes.
type ChangeStores struct {
	// Listener reports the changes committed to the database.
	Listener domain.ChangeListener
	// Movies writes movies and viewings through the other handle.
	Movies domain.MovieRepository
	// Users writes accounts through the other handle.
	Users domain.UserRepository
}

// TestChangeListener runs the domain.ChangeListener contract. open must
// return two fresh handles on one new, empty database each time; it is
// called once per subtest.
//
// The suite pins that a change committed through the other handle — a
// viewing logged (SaveViewing), edited (UpdateReview) or deleted
// (DeleteReview), a profile changed (UpdateProfile), a poster stored
// (SetPosterPath) — is reported to the listener's fn as a DiaryChange
// with All set, or naming the review's user and movie (in one change or
// several), or the profile's user, or the poster's movie; and that
// ListenChanges returns, with nil or an error wrapping context.Canceled,
// once its ctx is cancelled. Before its first check it repeats a write
// until some report arrives, so a listener that subscribes in the
// background has the time it needs.
//
// The suite never counts reports: a store may report changes more than
// once, report more than the suite made (changes of its own process
// included, which the port allows), or report All where it cannot narrow
// a change down. Nor does it time them beyond the generous changeTimeout.
//
// It also pins the reports of how far the listener has heard: after a
// write commits, a report with Through after the commit arrives, and the
// write's change is reported before it — what caches rely on to know how
// current they are.
func TestChangeListener(t *testing.T, open func(t *testing.T) ChangeStores) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s ChangeStores)
	}{
		{"every kind of write through the other handle is reported", testChangesReported},
		{"a read that began after a commit is reported after its change", testThroughFollowsChanges},
		{"ListenChanges returns once its context is cancelled", testListenChangesCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, open(t))
		})
	}
}

// changeRecorder keeps every change reported, for the suite to wait on.
type changeRecorder struct {
	mu      sync.Mutex
	changes []domain.DiaryChange
	// signal gets a value, without blocking, after each report.
	signal chan struct{}
}

func newChangeRecorder() *changeRecorder {
	return &changeRecorder{signal: make(chan struct{}, 1)}
}

// record is the fn given to ListenChanges: it never blocks.
func (r *changeRecorder) record(c domain.DiaryChange) {
	r.mu.Lock()
	r.changes = append(r.changes, c)
	r.mu.Unlock()
	select {
	case r.signal <- struct{}{}:
	default:
	}
}

// mark returns the position of the next report.
func (r *changeRecorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.changes)
}

// since returns the reports from position from on.
func (r *changeRecorder) since(from int) []domain.DiaryChange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]domain.DiaryChange(nil), r.changes[from:]...)
}

// waitFor waits until the reports from position from on satisfy covered,
// or timeout passes, and reports whether they did.
func (r *changeRecorder) waitFor(from int, timeout time.Duration, covered func([]domain.DiaryChange) bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if covered(r.since(from)) {
			return true
		}
		select {
		case <-r.signal:
		case <-deadline.C:
			return covered(r.since(from))
		}
	}
}

// coversReview reports whether changes say that user's diary and movie's
// history changed.
func coversReview(user domain.UserID, movie domain.MovieID) func([]domain.DiaryChange) bool {
	return func(changes []domain.DiaryChange) bool {
		var u, m bool
		for _, c := range changes {
			if c.All {
				return true
			}
			u = u || c.User == user
			m = m || c.Movie == movie
		}
		return u && m
	}
}

// coversUser reports whether changes say that user's profile changed.
func coversUser(user domain.UserID) func([]domain.DiaryChange) bool {
	return func(changes []domain.DiaryChange) bool {
		for _, c := range changes {
			if c.All || c.User == user {
				return true
			}
		}
		return false
	}
}

// coversMovie reports whether changes say that movie changed.
func coversMovie(movie domain.MovieID) func([]domain.DiaryChange) bool {
	return func(changes []domain.DiaryChange) bool {
		for _, c := range changes {
			if c.All || c.Movie == movie {
				return true
			}
		}
		return false
	}
}

// listen starts ListenChanges in a goroutine and returns its recorder and
// a channel receiving its result. The listener is stopped, and waited
// for, when the test ends.
func listen(t *testing.T, l domain.ChangeListener) (*changeRecorder, context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rec := newChangeRecorder()
	done := make(chan error, 1)
	go func() { done <- l.ListenChanges(ctx, rec.record) }()
	stopped := make(chan error, 1)
	go func() {
		err := <-done
		stopped <- err
		close(stopped)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(changeTimeout):
			t.Errorf("ListenChanges still running %v after the test ended and its context was cancelled", changeTimeout)
		}
	})
	return rec, cancel, stopped
}

func testChangesReported(t *testing.T, s ChangeStores) {
	ctx := t.Context()
	rec, _, stopped := listen(t, s.Listener)
	u := NewUser(t, "listened@example.com")
	mustSaveUser(t, s.Users, u)
	m := NewMovie(t, NewExternalID(t), "Sansho the Bailiff", 1954, "Kenji Mizoguchi")
	watched := time.Date(2024, 2, 3, 20, 0, 0, 0, time.UTC)

	// The listener may subscribe in the background: log viewings until one
	// is reported, or until waitTimeout passes.
	warmUp := time.Now().Add(waitTimeout)
	for reported := false; !reported; {
		select {
		case err := <-stopped:
			t.Fatalf("ListenChanges returned before any report: %v", err)
		default:
		}
		if time.Now().After(warmUp) {
			t.Fatalf("no change reported in %v of logging viewings", waitTimeout)
		}
		from := rec.mark()
		r := NewReview(t, m.ID, u.ID, 4, watched)
		saved := mustSaveViewing(t, s.Movies, domain.Viewing{Movie: m, Review: r})
		m = saved.Movie
		reported = rec.waitFor(from, 200*time.Millisecond, func(cs []domain.DiaryChange) bool { return len(cs) > 0 })
	}

	var last domain.Review
	steps := []struct {
		name    string
		write   func() error
		covered func() func([]domain.DiaryChange) bool
	}{
		{"SaveViewing", func() error {
			last = NewReview(t, m.ID, u.ID, 3, watched.Add(time.Hour))
			_, err := s.Movies.SaveViewing(ctx, domain.Viewing{Movie: m, Review: last})
			return err
		}, func() func([]domain.DiaryChange) bool { return coversReview(u.ID, m.ID) }},
		{"UpdateReview", func() error {
			r := last
			r.Rating = mustRating(t, 5)
			_, err := s.Movies.UpdateReview(ctx, r, FixtureTime)
			return err
		}, func() func([]domain.DiaryChange) bool { return coversReview(u.ID, m.ID) }},
		{"DeleteReview", func() error {
			_, err := s.Movies.DeleteReview(ctx, last.ID, FixtureTime)
			return err
		}, func() func([]domain.DiaryChange) bool { return coversReview(u.ID, m.ID) }},
		{"UpdateProfile", func() error {
			name := domain.MustNewDisplayName("Listener")
			_, err := s.Users.UpdateProfile(ctx, u.ID, domain.ProfileUpdate{DisplayName: &name})
			return err
		}, func() func([]domain.DiaryChange) bool { return coversUser(u.ID) }},
		{"UpdateProfile (private)", func() error {
			on := true
			_, err := s.Users.UpdateProfile(ctx, u.ID, domain.ProfileUpdate{Private: &on})
			return err
		}, func() func([]domain.DiaryChange) bool { return coversUser(u.ID) }},
		{"SetPosterPath", func() error {
			return s.Movies.SetPosterPath(ctx, m.ID, domain.MustNewPosterPath("posters/"+m.ID.String()))
		}, func() func([]domain.DiaryChange) bool { return coversMovie(m.ID) }},
	}
	for _, step := range steps {
		from := rec.mark()
		if err := step.write(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if !rec.waitFor(from, changeTimeout, step.covered()) {
			t.Errorf("%s through the other handle: not reported within %v; reports since: %+v", step.name, changeTimeout, rec.since(from))
		}
	}
}

// throughAfter reports whether changes hold a report of a read that began
// after t, and the position of the first.
func throughAfter(changes []domain.DiaryChange, t time.Time) (int, bool) {
	for i, c := range changes {
		if !c.Changes() && c.Through.After(t) {
			return i, true
		}
	}
	return 0, false
}

func testThroughFollowsChanges(t *testing.T, s ChangeStores) {
	rec, _, _ := listen(t, s.Listener)
	u := NewUser(t, "through@example.com")
	mustSaveUser(t, s.Users, u)
	m := NewMovie(t, NewExternalID(t), "Ugetsu", 1953, "Kenji Mizoguchi")
	watched := time.Date(2024, 3, 4, 20, 0, 0, 0, time.UTC)
	for i := range 3 {
		from := rec.mark()
		saved := mustSaveViewing(t, s.Movies, domain.Viewing{Movie: m, Review: NewReview(t, m.ID, u.ID, 4, watched.Add(time.Duration(i)*time.Hour))})
		m = saved.Movie
		committed := time.Now()
		heard := func(cs []domain.DiaryChange) bool { _, ok := throughAfter(cs, committed); return ok }
		if !rec.waitFor(from, changeTimeout, heard) {
			t.Fatalf("viewing %d: no report of a read begun after its commit within %v", i, changeTimeout)
		}
		cs := rec.since(from)
		at, _ := throughAfter(cs, committed)
		if !coversReview(u.ID, m.ID)(cs[:at]) {
			t.Errorf("viewing %d: a read begun after its commit was reported (%v) before its change; reports: %+v", i, cs[at].Through, cs[:at+1])
		}
	}
}

func testListenChangesCancelled(t *testing.T, s ChangeStores) {
	rec, cancel, stopped := listen(t, s.Listener)
	// Let it start (and, likely, subscribe) before it is stopped.
	u := NewUser(t, "cancelled@example.com")
	mustSaveUser(t, s.Users, u)
	name := domain.MustNewDisplayName("Soon Gone")
	from := rec.mark()
	if _, err := s.Users.UpdateProfile(t.Context(), u.ID, domain.ProfileUpdate{DisplayName: &name}); err != nil {
		t.Fatalf("UpdateProfile: %v", err)
	}
	rec.waitFor(from, time.Second, coversUser(u.ID)) // not required: the point is cancellation
	cancel()
	select {
	case err := <-stopped:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("ListenChanges returned %v after its context was cancelled, want nil or an error wrapping context.Canceled", err)
		}
	case <-time.After(changeTimeout):
		t.Fatalf("ListenChanges still running %v after its context was cancelled", changeTimeout)
	}
}
