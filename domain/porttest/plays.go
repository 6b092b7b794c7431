package porttest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// playNow is when the suites' plays are reported: after every play they
// report, so that none is in the future.
var playNow = FixtureTime.Add(2 * time.Hour)

// TestPlayRecorder runs the PlayRecorder contract. newRecorder must return
// a new, empty recorder each time; it is called once per subtest.
//
// The suite pins that a recorded play returns exactly one PlayReported
// carrying the play, occurring at now; that the same play — same kind,
// user, source and film (Play.FilmKey: the IMDb ID, else the title,
// ignoring case, and the year) — reported again less than
// PlayDedupWindow from a stored one is not recorded and returns no event,
// while one at PlayDedupWindow or more is; that a play left unrecorded
// stores nothing, so the window does not slide; that a play differing in
// any of kind, user, source or film is recorded; and that of concurrent
// identical reports exactly one is recorded.
func TestPlayRecorder(t *testing.T, newRecorder func(t *testing.T) domain.PlayRecorder) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, rec domain.PlayRecorder)
	}{
		{"a recorded play returns one PlayReported carrying it", testPlayRecorded},
		{"the same play less than the window away is recorded once", testPlayWindow},
		{"a play left unrecorded does not move the window", testPlayWindowStays},
		{"another kind, user, source or film is another play", testPlayDiffers},
		{"a film without IMDb ID is its title, ignoring case, and year", testPlayTitleKey},
		{"of concurrent identical reports exactly one is recorded", testPlayConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newRecorder(t))
		})
	}
}

// TestPlayRecorderOutbox runs the part of the PlayRecorder contract that
// concerns outbox mode. newStore must return a new, empty outbox and a
// recorder in outbox mode on the same store — RecordPlay stores its
// PlayReported in the outbox in the transaction that records the play; it
// is called once per subtest.
//
// The suite pins that a recorded play's event is in the outbox, unchanged
// after its round trip through the wire form, and that a play not recorded
// — reported again, or concurrently — stores no event.
func TestPlayRecorderOutbox(t *testing.T, newStore func(t *testing.T) (domain.Outbox, domain.PlayRecorder)) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, ob domain.Outbox, rec domain.PlayRecorder)
	}{
		{"a recorded play's event is in the outbox, unchanged", testPlayOutboxEvent},
		{"a play not recorded stores no event", testPlayOutboxDuplicate},
		{"concurrent identical reports store one event", testPlayOutboxConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ob, rec := newStore(t)
			tc.run(t, ob, rec)
		})
	}
}

func testPlayRecorded(t *testing.T, rec domain.PlayRecorder) {
	user := domain.NewUserID()
	plays := map[string]domain.Play{
		"watched, by IMDb ID":         newPlay(t, user, domain.SourcePlex, domain.PlayWatched, NewExternalID(t), "Ran", 1985, FixtureTime, 0),
		"watched, by title and year":  newPlay(t, user, domain.SourceJellyfin, domain.PlayWatched, domain.ExternalMetadataID{}, "Ikiru", 1952, FixtureTime, 0),
		"watched, by title alone":     newPlay(t, user, domain.SourceEmby, domain.PlayWatched, domain.ExternalMetadataID{}, "Home Movie", 0, FixtureTime, 0),
		"rated, by IMDb ID and title": newPlay(t, user, domain.SourcePlex, domain.PlayRated, NewExternalID(t), "Kagemusha", 1980, FixtureTime, 4.5),
	}
	for name, p := range plays {
		events := mustRecord(t, rec, p, playNow, true)
		checkPlayEvents(t, name, events, p, playNow)
	}
}

func testPlayWindow(t *testing.T, rec domain.PlayRecorder) {
	user := domain.NewUserID()
	tests := []struct {
		name   string
		offset time.Duration
		want   bool
	}{
		{"at the same time", 0, false},
		{"29 minutes later", 29 * time.Minute, false},
		{"29 minutes earlier", -29 * time.Minute, false},
		{"29 minutes 59 seconds later", 29*time.Minute + 59*time.Second, false},
		{"the window later", domain.PlayDedupWindow, true},
		{"the window earlier", -domain.PlayDedupWindow, true},
		{"31 minutes later", 31 * time.Minute, true},
		{"31 minutes earlier", -31 * time.Minute, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			film := NewExternalID(t)
			first := newPlay(t, user, domain.SourcePlex, domain.PlayWatched, film, "Ran", 1985, FixtureTime, 0)
			mustRecord(t, rec, first, playNow, true)
			again := newPlay(t, user, domain.SourcePlex, domain.PlayWatched, film, "Ran", 1985, FixtureTime.Add(tc.offset), 0)
			events := mustRecord(t, rec, again, playNow.Add(time.Minute), tc.want)
			if tc.want {
				checkPlayEvents(t, "RecordPlay", events, again, playNow.Add(time.Minute))
			}
		})
	}
}

func testPlayWindowStays(t *testing.T, rec domain.PlayRecorder) {
	user, film := domain.NewUserID(), NewExternalID(t)
	at := func(d time.Duration) domain.Play {
		return newPlay(t, user, domain.SourceEmby, domain.PlayWatched, film, "Ran", 1985, FixtureTime.Add(d), 0)
	}
	mustRecord(t, rec, at(0), playNow, true)
	// 20 minutes after the stored play: the same play, not stored.
	mustRecord(t, rec, at(20*time.Minute), playNow, false)
	// 40 minutes after the stored play, 20 after the unstored one.
	mustRecord(t, rec, at(40*time.Minute), playNow, true)
	// Within the window of the play just stored.
	mustRecord(t, rec, at(65*time.Minute), playNow, false)
}

func testPlayDiffers(t *testing.T, rec domain.PlayRecorder) {
	user, film := domain.NewUserID(), NewExternalID(t)
	base := newPlay(t, user, domain.SourcePlex, domain.PlayWatched, film, "Ran", 1985, FixtureTime, 0)
	mustRecord(t, rec, base, playNow, true)
	others := []struct {
		name string
		play domain.Play
	}{
		{"another kind", newPlay(t, user, domain.SourcePlex, domain.PlayRated, film, "Ran", 1985, FixtureTime, 4)},
		{"another user", newPlay(t, domain.NewUserID(), domain.SourcePlex, domain.PlayWatched, film, "Ran", 1985, FixtureTime, 0)},
		{"another source", newPlay(t, user, domain.SourceJellyfin, domain.PlayWatched, film, "Ran", 1985, FixtureTime, 0)},
		{"another film", newPlay(t, user, domain.SourcePlex, domain.PlayWatched, NewExternalID(t), "Ran", 1985, FixtureTime, 0)},
	}
	for _, o := range others {
		t.Run(o.name, func(t *testing.T) {
			events := mustRecord(t, rec, o.play, playNow, true)
			checkPlayEvents(t, "RecordPlay", events, o.play, playNow)
			// Recorded now, it is a stored play like any other.
			mustRecord(t, rec, o.play, playNow, false)
		})
	}
	mustRecord(t, rec, base, playNow, false)
}

func testPlayTitleKey(t *testing.T, rec domain.PlayRecorder) {
	user := domain.NewUserID()
	by := func(title string, year int) domain.Play {
		return newPlay(t, user, domain.SourceJellyfin, domain.PlayWatched, domain.ExternalMetadataID{}, title, year, FixtureTime, 0)
	}
	steps := []struct {
		name string
		play domain.Play
		want bool
	}{
		{"the first report", by("The Seventh Seal", 1957), true},
		{"the title in other case", by("THE SEVENTH SEAL", 1957), false},
		{"another year", by("The Seventh Seal", 1958), true},
		{"no year", by("The Seventh Seal", 0), true},
		{"no year, in other case", by("the seventh seal", 0), false},
		{"another title", by("The Seventh Seal II", 1957), true},
		{"an IMDb ID for the title", newPlay(t, user, domain.SourceJellyfin, domain.PlayWatched, NewExternalID(t), "The Seventh Seal", 1957, FixtureTime, 0), true},
	}
	for _, step := range steps {
		events, recorded, err := rec.RecordPlay(t.Context(), step.play, playNow)
		if err != nil {
			t.Fatalf("RecordPlay(%s): %v", step.name, err)
		}
		if recorded != step.want || (len(events) == 1) != step.want {
			t.Errorf("RecordPlay(%s, key %q) = %d events, recorded %v; want recorded %v", step.name, step.play.FilmKey(), len(events), recorded, step.want)
		}
	}
}

func testPlayConcurrent(t *testing.T, rec domain.PlayRecorder) {
	p := newPlay(t, domain.NewUserID(), domain.SourcePlex, domain.PlayWatched, NewExternalID(t), "Ran", 1985, FixtureTime, 0)
	recorded := recordConcurrently(t, rec, p)
	if len(recorded) != 1 {
		t.Fatalf("%d of %d concurrent identical RecordPlay calls recorded the play, want exactly one", len(recorded), concurrentPlays)
	}
	checkPlayEvents(t, "the recording RecordPlay", recorded[0], p, playNow)
	mustRecord(t, rec, p, playNow, false)
}

func testPlayOutboxEvent(t *testing.T, ob domain.Outbox, rec domain.PlayRecorder) {
	user := domain.NewUserID()
	watched := newPlay(t, user, domain.SourcePlex, domain.PlayWatched, NewExternalID(t), "Ran", 1985, FixtureTime, 0)
	rated := newPlay(t, user, domain.SourceEmby, domain.PlayRated, domain.ExternalMetadataID{}, "Ikiru", 1952, FixtureTime, 3.5)
	var want []domain.Event
	for _, p := range []domain.Play{watched, rated} {
		want = append(want, mustRecord(t, rec, p, playNow, true)...)
	}
	checkPending(t, ob, 2)
	got := mustClaim(t, ob, outboxStart(), 10, time.Minute)
	checkOutboxEvents(t, "ClaimEvents", got, want)
	if len(got) == 2 {
		checkPlayEvents(t, "outbox event", []domain.Event{got[0].Event}, watched, playNow)
		checkPlayEvents(t, "outbox event", []domain.Event{got[1].Event}, rated, playNow)
	}
}

func testPlayOutboxDuplicate(t *testing.T, ob domain.Outbox, rec domain.PlayRecorder) {
	film := NewExternalID(t)
	user := domain.NewUserID()
	first := newPlay(t, user, domain.SourceJellyfin, domain.PlayWatched, film, "Ran", 1985, FixtureTime, 0)
	want := mustRecord(t, rec, first, playNow, true)
	again := newPlay(t, user, domain.SourceJellyfin, domain.PlayWatched, film, "Ran", 1985, FixtureTime.Add(10*time.Minute), 0)
	mustRecord(t, rec, again, playNow.Add(time.Minute), false)
	checkPending(t, ob, 1)
	checkOutboxEvents(t, "ClaimEvents", mustClaim(t, ob, outboxStart(), 10, time.Minute), want)
}

func testPlayOutboxConcurrent(t *testing.T, ob domain.Outbox, rec domain.PlayRecorder) {
	p := newPlay(t, domain.NewUserID(), domain.SourceEmby, domain.PlayWatched, NewExternalID(t), "Ran", 1985, FixtureTime, 0)
	recorded := recordConcurrently(t, rec, p)
	if len(recorded) != 1 {
		t.Fatalf("%d of %d concurrent identical RecordPlay calls recorded the play, want exactly one", len(recorded), concurrentPlays)
	}
	checkPending(t, ob, 1)
	checkOutboxEvents(t, "ClaimEvents", mustClaim(t, ob, outboxStart(), 10, time.Minute), recorded[0])
}

// concurrentPlays is how many goroutines report one play at once.
const concurrentPlays = 10

// recordConcurrently reports p from concurrentPlays goroutines at once and
// returns the events of the calls that recorded it. Any error fails t.
func recordConcurrently(t *testing.T, rec domain.PlayRecorder, p domain.Play) [][]domain.Event {
	t.Helper()
	var (
		mu       sync.Mutex
		recorded [][]domain.Event
		wg       sync.WaitGroup
	)
	start := make(chan struct{})
	for g := range concurrentPlays {
		wg.Go(func() {
			<-start
			events, ok, err := rec.RecordPlay(t.Context(), p, playNow)
			if err != nil {
				t.Errorf("goroutine %d: RecordPlay: %v", g, err)
				return
			}
			if !ok && len(events) != 0 {
				t.Errorf("goroutine %d: RecordPlay did not record the play but returned %s", g, describeEvents(events))
			}
			if ok {
				mu.Lock()
				recorded = append(recorded, events)
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	return recorded
}

// newPlay returns a play as domain.NewPlay makes it, reported at playNow.
// A zero ext, an empty title and a zero year or rating mean none.
func newPlay(t testing.TB, user domain.UserID, source domain.WebhookSource, kind domain.PlayKind, ext domain.ExternalMetadataID, title string, year int, at time.Time, rating float64) domain.Play {
	t.Helper()
	var (
		tt  domain.MovieTitle
		y   domain.ReleaseYear
		r   domain.Rating
		err error
	)
	if title != "" {
		if tt, err = domain.NewMovieTitle(title); err != nil {
			t.Fatalf("porttest: play title: %v", err)
		}
	}
	if year != 0 {
		if y, err = domain.NewReleaseYear(year); err != nil {
			t.Fatalf("porttest: play year: %v", err)
		}
	}
	if rating != 0 {
		if r, err = domain.NewRating(rating); err != nil {
			t.Fatalf("porttest: play rating: %v", err)
		}
	}
	p, err := domain.NewPlay(user, source, kind, ext, tt, y, at, r, playNow)
	if err != nil {
		t.Fatalf("porttest: play: %v", err)
	}
	return p
}

// mustRecord reports p at now, checks that it was recorded or not as want
// says, with one event or none, and returns the events.
func mustRecord(t *testing.T, rec domain.PlayRecorder, p domain.Play, now time.Time, want bool) []domain.Event {
	t.Helper()
	events, recorded, err := rec.RecordPlay(t.Context(), p, now)
	if err != nil {
		t.Fatalf("RecordPlay(%s %s of %q at %s): %v", p.Source, p.Kind, p.FilmKey(), p.At.Format(time.RFC3339), err)
	}
	wantEvents := 0
	if want {
		wantEvents = 1
	}
	if recorded != want || len(events) != wantEvents {
		t.Errorf("RecordPlay(%s %s of %q at %s) = %s, recorded %v; want recorded %v with %d event(s)",
			p.Source, p.Kind, p.FilmKey(), p.At.Format(time.RFC3339), describeEvents(events), recorded, want, wantEvents)
	}
	return events
}

// checkPlayEvents checks that events is one PlayReported of p occurring
// at now.
func checkPlayEvents(t *testing.T, what string, events []domain.Event, p domain.Play, now time.Time) {
	t.Helper()
	if len(events) != 1 {
		t.Errorf("%s returned %s, want one PlayReported", what, describeEvents(events))
		return
	}
	e, ok := events[0].(domain.PlayReported)
	switch {
	case !ok:
		t.Errorf("%s returned %T, want domain.PlayReported", what, events[0])
	case e.EventID().IsZero() || !e.OccurredAt().Equal(now) || e.OccurredAt().Location() != time.UTC || !e.MovieID().IsZero():
		t.Errorf("%s = PlayReported{ID %v, OccurredAt %v, MovieID %v}, want a fresh ID, %v in UTC and no movie",
			what, e.EventID(), e.OccurredAt(), e.MovieID(), now)
	case !samePlay(e.Play, p):
		t.Errorf("%s carries %s, want %s", what, describePlay(e.Play), describePlay(p))
	}
}

func samePlay(a, b domain.Play) bool {
	return a.User == b.User && a.Source == b.Source && a.Kind == b.Kind && a.ExternalID == b.ExternalID &&
		a.Title == b.Title && a.Year == b.Year && a.At.Equal(b.At) && a.Rating == b.Rating
}

func describePlay(p domain.Play) string {
	return fmt.Sprintf("{User %v, Source %s, Kind %s, ExternalID %v, Title %q, Year %v, At %s, Rating %v}",
		p.User, p.Source, p.Kind, p.ExternalID, p.Title, p.Year, p.At.Format(time.RFC3339), p.Rating)
}
