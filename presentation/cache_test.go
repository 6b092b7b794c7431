package presentation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// counted is a read that renders body and counts its calls.
type counted struct {
	calls atomic.Int64
	body  string
}

func (r *counted) read(context.Context) (Page, error) {
	n := r.calls.Add(1)
	return NewPage("text/plain", fmt.Appendf(nil, "%s #%d", r.body, n)), nil
}

func get(t *testing.T, c *PageCache, key, scope string, r *counted) Page {
	t.Helper()
	p, err := c.Get(t.Context(), key, scope, r.read)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// publish publishes e to c and waits for it to be applied, as a request
// that changed something does before it answers.
func publish(t *testing.T, c *PageCache, e domain.Event) {
	t.Helper()
	if err := c.Publish(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	<-c.Settled()
}

func TestPageCacheServesUntilAChangeOfItsScope(t *testing.T) {
	t.Parallel()
	ann, bob, movie := domain.NewUserID(), domain.NewUserID(), domain.NewMovieID()
	c := NewPageCache(1 << 20)
	annPage, bobPage, diary, history := &counted{body: "ann"}, &counted{body: "bob"}, &counted{body: "diary"}, &counted{body: "history"}
	read := func() {
		get(t, c, "/users/ann", scopeUser(ann), annPage)
		get(t, c, "/users/bob", scopeUser(bob), bobPage)
		get(t, c, "/diary", scopeDiary, diary)
		get(t, c, "/history", scopeMovie(movie), history)
	}
	read()
	read()
	for _, r := range []*counted{annPage, bobPage, diary, history} {
		if n := r.calls.Load(); n != 1 {
			t.Fatalf("%s read %d times before any change, want 1", r.body, n)
		}
	}
	// Ann logs another film: her page and the whole diary change; Bob's
	// page and the film's history do not.
	publish(t, c, domain.ReviewLogged{UserID: ann, Movie: domain.NewMovieID()})
	read()
	want := map[*counted]int64{annPage: 2, bobPage: 1, diary: 2, history: 1}
	for r, n := range want {
		if got := r.calls.Load(); got != n {
			t.Errorf("after Ann's log, %s was read %d times, want %d", r.body, got, n)
		}
	}
	// Bob deletes a viewing of the film: its history changes too.
	publish(t, c, domain.ReviewDeleted{UserID: bob, Movie: movie})
	read()
	want = map[*counted]int64{annPage: 2, bobPage: 2, diary: 3, history: 2}
	for r, n := range want {
		if got := r.calls.Load(); got != n {
			t.Errorf("after Bob's deletion, %s was read %d times, want %d", r.body, got, n)
		}
	}
	// A profile change, a stored poster: everything.
	for _, e := range []domain.Event{domain.ProfileChanged{UserID: bob}, domain.PosterStored{Movie: movie}} {
		before := annPage.calls.Load()
		publish(t, c, e)
		read()
		if annPage.calls.Load() != before+1 {
			t.Errorf("%s did not drop Ann's page", e.EventName())
		}
	}
	// A play reported changes nothing readers see.
	before := diary.calls.Load()
	publish(t, c, domain.PlayReported{})
	read()
	if diary.calls.Load() != before {
		t.Error("a reported play dropped the diary")
	}
	if s := c.Stats(); s.Hits == 0 || s.Misses == 0 || s.Entries != 4 || s.Invalidations == 0 {
		t.Errorf("stats = %+v", s)
	}
}

func TestPageCacheAppliesChangesAtMostOncePerInterval(t *testing.T) {
	t.Parallel()
	c := NewPageCache(1 << 20)
	c.applyEvery = time.Hour // the changes below wait until one applies them
	ann, bob := domain.NewUserID(), domain.NewUserID()
	page := &counted{body: "ann"}
	read := func(want int64, when string) {
		t.Helper()
		get(t, c, "/users/ann", scopeUser(ann), page)
		if n := page.calls.Load(); n != want {
			t.Fatalf("%s: page read %d times, want %d", when, n, want)
		}
	}
	isClosed := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	read(1, "first read")
	if !isClosed(c.Settled()) {
		t.Fatal("Settled is not closed with no change waiting")
	}
	logged := func(user domain.UserID) domain.Event {
		return domain.ReviewLogged{UserID: user, Movie: domain.NewMovieID()}
	}
	// The first change after a quiet spell applies at once.
	_ = c.Publish(t.Context(), logged(ann))
	if !isClosed(c.Settled()) {
		t.Fatal("the first change was not applied at once")
	}
	read(2, "after the first change")
	// The next ones, within applyEvery, wait: meanwhile the page is served
	// as it was.
	for range 5 {
		_ = c.Publish(t.Context(), logged(ann))
		_ = c.Publish(t.Context(), logged(bob))
	}
	waiting := c.Settled()
	if isClosed(waiting) {
		t.Fatal("changes within applyEvery of the last did not wait")
	}
	read(2, "while changes wait")
	// A change from another process waits with them, and a report of how
	// far its listener has read counts only once they are applied.
	c.Invalidate(domain.DiaryChange{User: bob})
	heard := time.Now()
	c.Invalidate(domain.DiaryChange{Through: heard})
	if isClosed(waiting) || c.heard.Load() != notHeard {
		t.Fatal("another process's change, or how far its listener read, did not wait")
	}
	c.applyQueued() // what the timer does
	if !isClosed(waiting) || c.heard.Load() != int64(heard.Sub(c.born)) {
		t.Fatal("applying the waiting changes did not settle them and count the listener's read")
	}
	read(3, "after the changes applied together")
	read(3, "after the changes applied together, again")
	// Left alone, waiting changes are applied applyEvery after the last
	// application.
	// (The second change waits unless the machine stalls for 50 ms.)
	c.mu.Lock()
	c.applyEvery = 50 * time.Millisecond
	c.mu.Unlock()
	_ = c.Publish(t.Context(), logged(ann))
	_ = c.Publish(t.Context(), logged(ann))
	<-c.Settled()
	read(4, "after changes applied by the timer")
	if s := c.Stats(); s.Invalidations != 14 {
		t.Errorf("invalidations = %d, want 14", s.Invalidations)
	}
}

func TestPageCacheNeverKeepsAnAnswerReadAcrossAChange(t *testing.T) {
	t.Parallel()
	c := NewPageCache(1 << 20)
	user := domain.NewUserID()
	calls := 0
	// The change commits while the answer is being read: what was read
	// may predate it, so it must not be served afterwards.
	racing := func(context.Context) (Page, error) {
		calls++
		if calls == 1 {
			c.Invalidate(domain.DiaryChange{User: user})
			<-c.Settled()
		}
		return NewPage("text/plain", fmt.Appendf(nil, "read %d", calls)), nil
	}
	for range 2 {
		if _, err := c.Get(t.Context(), "k", scopeUser(user), racing); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 2 {
		t.Fatalf("reads = %d, want 2: an answer read across a change was kept", calls)
	}
	p, _ := c.Get(t.Context(), "k", scopeUser(user), racing)
	if calls != 2 || string(p.Body) != "read 2" {
		t.Fatalf("the answer read after the change was not kept: reads %d, body %q", calls, p.Body)
	}
}

func TestPageCacheReadsAMissOnceForConcurrentRequests(t *testing.T) {
	t.Parallel()
	c := NewPageCache(1 << 20)
	release, reading := make(chan struct{}), make(chan struct{})
	var calls atomic.Int64
	slow := func(context.Context) (Page, error) {
		if calls.Add(1) == 1 {
			close(reading)
		}
		<-release
		return NewPage("text/plain", []byte("x")), nil
	}
	var wg sync.WaitGroup
	const n = 16
	started := make(chan struct{}, n)
	for range n {
		wg.Go(func() {
			started <- struct{}{}
			if _, err := c.Get(context.Background(), "k", scopeDiary, slow); err != nil {
				t.Error(err)
			}
		})
	}
	for range n {
		<-started
	}
	// Every request has started and one is reading: let it finish.
	<-reading
	close(release)
	wg.Wait()
	// Requests that arrived after the read finished are hits; those
	// during it waited for it. None read a second time.
	if got := calls.Load(); got != 1 {
		t.Fatalf("the miss was read %d times, want 1", got)
	}
}

func TestPageCacheDoesNotKeepFailures(t *testing.T) {
	t.Parallel()
	c := NewPageCache(1 << 20)
	boom := errors.New("database down")
	calls := 0
	failing := func(context.Context) (Page, error) { calls++; return Page{}, boom }
	for range 2 {
		if _, err := c.Get(t.Context(), "k", scopeDiary, failing); !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
	}
	if calls != 2 {
		t.Fatalf("a failed read was kept: %d reads", calls)
	}
}

func TestPageCacheStaysWithinItsBound(t *testing.T) {
	t.Parallel()
	const maxBytes = 64 << 10
	c := NewPageCache(maxBytes)
	body := strings.Repeat("x", 4<<10)
	for i := range 100 {
		key := fmt.Sprintf("page-%d", i)
		if _, err := c.Get(t.Context(), key, scopeDiary, func(context.Context) (Page, error) { return NewPage("text/plain", []byte(body)), nil }); err != nil {
			t.Fatal(err)
		}
		if s := c.Stats(); s.Bytes > maxBytes {
			t.Fatalf("after %d pages the cache holds %d bytes, over %d", i+1, s.Bytes, maxBytes)
		}
	}
	s := c.Stats()
	if s.Evictions == 0 || s.Entries == 0 || s.Entries >= 100 {
		t.Fatalf("stats = %+v: want evictions and a bounded number of entries", s)
	}
	// The most recent page is still there; the first is gone.
	recent, first := &counted{body: "recent"}, &counted{body: "first"}
	get(t, c, "page-99", scopeDiary, recent)
	get(t, c, "page-0", scopeDiary, first)
	if recent.calls.Load() != 0 || first.calls.Load() != 1 {
		t.Fatalf("LRU order broken: recent read %d, first read %d", recent.calls.Load(), first.calls.Load())
	}
}

func TestPageCacheOffAndAwaitingItsListenerReadEveryTime(t *testing.T) {
	t.Parallel()
	off := NewPageCache(0)
	r := &counted{body: "off"}
	get(t, off, "k", scopeDiary, r)
	get(t, off, "k", scopeDiary, r)
	if r.calls.Load() != 2 || off.Stats().Entries != 0 {
		t.Fatalf("a cache of 0 bytes kept something: %d reads, %+v", r.calls.Load(), off.Stats())
	}

	c := NewPageCache(1 << 20)
	c.AwaitListener()
	r = &counted{body: "on"}
	get(t, c, "k", scopeDiary, r)
	get(t, c, "k", scopeDiary, r)
	if r.calls.Load() != 2 || !c.Stats().ListenerBehind {
		t.Fatalf("a cache awaiting its listener answered from memory: %d reads, want 2; %+v", r.calls.Load(), c.Stats())
	}
	// The listener's first read: everything may have changed, and it has
	// heard up to now.
	c.Invalidate(domain.DiaryChange{All: true})
	c.Invalidate(domain.DiaryChange{Through: time.Now()})
	<-c.Settled()
	get(t, c, "k", scopeDiary, r)
	get(t, c, "k", scopeDiary, r)
	if r.calls.Load() != 3 || c.Stats().ListenerBehind {
		t.Fatalf("once the listener read: %d reads, want 3 (one miss, then hits); %+v", r.calls.Load(), c.Stats())
	}
}

func TestETags(t *testing.T) {
	t.Parallel()
	a, b := NewPage("text/plain", []byte("a")), NewPage("text/plain", []byte("b"))
	if a.ETag == b.ETag || a.ETag != NewPage("text/html", []byte("a")).ETag || !strings.HasPrefix(a.ETag, `"`) {
		t.Fatalf("ETags %s %s: want strong, quoted, by body", a.ETag, b.ETag)
	}
	for header, want := range map[string]bool{
		a.ETag: true, "W/" + a.ETag: true, "*": true, b.ETag + ", " + a.ETag: true,
		b.ETag: false, "": false, strings.Trim(a.ETag, `"`): false,
	} {
		if got := etagMatches(header, a.ETag); got != want {
			t.Errorf("etagMatches(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestPageCacheAnswersOnlyWhileItsListenerIsCurrent(t *testing.T) {
	t.Parallel()
	c := NewPageCache(1 << 20)
	page := &counted{body: "diary"}
	reads := func(want int64, when string) {
		t.Helper()
		get(t, c, "/diary", scopeDiary, page)
		get(t, c, "/diary", scopeDiary, page)
		if n := page.calls.Load(); n != want {
			t.Fatalf("%s: read %d times, want %d", when, n, want)
		}
	}
	// No listener (a store of one process): the cache answers.
	reads(1, "with no listener")
	// A listener whose latest read began a second ago cannot vouch for
	// what other processes committed since: every read goes to the
	// database.
	c.Invalidate(domain.DiaryChange{Through: time.Now().Add(-time.Second)})
	reads(3, "with the listener a second behind")
	// Once it reads again, the cache answers again — with what it held,
	// since no change came before the report — and an older report does
	// not set it back.
	c.Invalidate(domain.DiaryChange{Through: time.Now()})
	c.Invalidate(domain.DiaryChange{Through: time.Now().Add(-time.Second)})
	reads(3, "with the listener current")
	if s := c.Stats(); s.Behind != 2 || s.Invalidations != 0 {
		t.Errorf("stats = %+v, want 2 behind and no invalidation (reports of Through alone change nothing)", s)
	}
}

// While its listener is behind, the cache answers every request with a
// read that began after the request came, and the requests that come
// during one read share the next instead of each reading.
func TestPageCacheCoalescesReadsWhileItsListenerIsBehind(t *testing.T) {
	t.Parallel()
	c := NewPageCache(1 << 20)
	c.AwaitListener() // behind until the listener reports a read
	var calls atomic.Int64
	release := make(chan struct{})
	started := make(chan int64, 10)
	read := func(context.Context) (Page, error) {
		n := calls.Add(1)
		started <- n
		<-release
		return NewPage("text/plain", fmt.Appendf(nil, "read %d", n)), nil
	}
	first := make(chan Page, 1)
	go func() {
		p, err := c.Get(t.Context(), "k", scopeDiary, read)
		if err != nil {
			t.Error(err)
		}
		first <- p
	}()
	if n := <-started; n != 1 {
		t.Fatalf("read %d began first", n)
	}
	// Ten requests come while read 1 runs: it began before them, so none
	// may have its answer; they share read 2.
	const later = 10
	var wg sync.WaitGroup
	answers := make(chan Page, later)
	for range later {
		wg.Go(func() {
			p, err := c.Get(t.Context(), "k", scopeDiary, read)
			if err != nil {
				t.Error(err)
			}
			answers <- p
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.Stats().Misses < 1+later {
		if time.Now().After(deadline) {
			t.Fatalf("the requests did not all arrive: %+v", c.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	close(answers)
	if p := <-first; string(p.Body) != "read 1" {
		t.Errorf("the first request got %q", p.Body)
	}
	for p := range answers {
		if string(p.Body) != "read 2" {
			t.Errorf("a request that came while read 1 ran got %q, want read 2", p.Body)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d reads for 11 requests in two waves, want 2", n)
	}
	if st := c.Stats(); st.Entries != 0 || st.Behind != 1+later {
		t.Errorf("stats %+v: want nothing kept and every request counted behind", st)
	}
	// A later request reads anew.
	r := &counted{body: "alone"}
	if p := get(t, c, "k", scopeDiary, r); string(p.Body) != "alone #1" || r.calls.Load() != 1 {
		t.Errorf("a later request got %q after %d reads of its own", p.Body, r.calls.Load())
	}
}
