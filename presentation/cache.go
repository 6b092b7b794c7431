package presentation

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// DefaultCacheMaxBytes is the page cache's size unless CACHE_MAX_BYTES says
// otherwise.
const DefaultCacheMaxBytes = 64 << 20

// entryOverhead is what an entry costs besides its key and body: the
// list element, the map slot, the headers kept.
const entryOverhead = 256

// Cache scopes: what a cached answer depends on, so that a change drops
// exactly the answers it alters. A review logged, edited or deleted by user
// U of movie M changes the whole diary's answers (scopeDiary), U's
// (scopeUser) and M's (scopeMovie); anything else — a profile, a poster, a
// movie's metadata — changes every answer (an epoch).
const (
	scopeDiary = "d"
)

func scopeUser(id domain.UserID) string   { return "u:" + id.String() }
func scopeMovie(id domain.MovieID) string { return "m:" + id.String() }

// maxScopeGenerations bounds the generation map: past it, the next change
// starts a new epoch, which drops every answer and the map with it.
const maxScopeGenerations = 1 << 16

// applyEvery is how often, at most, the cache applies changes. A change
// that arrives within applyEvery of the last application waits for the
// next one, together with every change that arrives meanwhile, so that
// under a stream of writes each cached answer is read again about once per
// applyEvery rather than once per write. This process still reads its own
// writes at once: the answer to a request that changes something waits
// until its changes are applied (Settled). Other processes' changes wait
// too, and heardWithin accounts for it.
const applyEvery = 20 * time.Millisecond

// heardWithin is how recently the change listener's latest read of the
// store must have begun, its changes applied since, for the cache to
// answer: when it began longer ago (the listener stalled, its reads slowed
// by a loaded machine, its changes waiting for applyEvery), reads go to
// the database until it catches up. So a change another process committed more than
// heardWithin before a request always shows in its answer, whatever the
// listener's delays.
const heardWithin = 80 * time.Millisecond

// PageCache keeps the rendered answers of public reads (the diary pages,
// feeds, statistics, embeds) in memory, each with a strong ETag, and drops
// them when the events that change them arrive: from the use cases of this
// process (PageCache is the domain.EventPublisher they publish through
// first), and from other processes as the store reports their commits
// (Invalidate, fed by a domain.ChangeListener). Changes are applied at most
// once per applyEvery, those that arrive meanwhile together; a request
// that changed something answers only once its changes are applied
// (Settled), so this process reads its own writes at once.
//
// Correctness does not depend on timing: every answer is stored with the
// generations of its scopes as they were before it was read from the
// database, and is served only while those are still current. An answer
// read while a change committed is therefore never served after the change
// is applied here. Concurrent misses of one answer are read once.
//
// Memory is bounded by maxBytes (bodies, keys and a fixed overhead per
// entry), least recently used first out. A zero maxBytes keeps nothing:
// every read renders, still with its ETag.
type PageCache struct {
	maxBytes int64

	mu      sync.Mutex
	size    int64
	lru     *list.List // of *cachedPage, most recently used first
	entries map[string]*list.Element
	// epoch and gens are the scopes' generations: an All change starts a
	// new epoch; any other change adds one to its scopes' generations.
	epoch   uint64
	gens    map[string]uint64
	flights map[string]*flight
	// fresh are the reads made while the change listener is behind
	// (readAfter), by key.
	fresh map[string]*freshReads
	// applied is when changes were last applied; queued gathers the
	// changes waiting for the next application (nil: none wait), due
	// applyEvery after it.
	applied    time.Time
	queued     *pendingChanges
	applyEvery time.Duration

	// awaiting says a change listener reports what other processes
	// commit (AwaitListener): until it has reported a read, nothing can be
	// vouched for.
	awaiting atomic.Bool
	// heard is when the change listener's latest read of the store began,
	// in nanoseconds since born (monotonic: a step of the wall clock does
	// not move it): every change committed before then has been applied.
	// notHeard until a listener reports one.
	heard atomic.Int64
	born  time.Time

	hits, misses, evictions, invalidations, behind atomic.Uint64
}

// cachedPage is one stored answer.
type cachedPage struct {
	key   string
	page  Page
	stamp stamp
	size  int64
}

// Page is a rendered answer: its content type, body and strong ETag, and
// once withGzip has run, its gzip representation (gzipped: it ran; gzip is
// nil when the body is sent as it is). NewPage makes it.
type Page struct {
	ContentType string
	Body        []byte
	ETag        string

	gzipped  bool
	gzip     []byte
	gzipETag string

	// The header values of each representation, made once for every
	// answer that sends it (writePage).
	plainHeaders, gzipHeaders pageHeaders
}

// pageHeaders are the values of a representation's own header fields.
type pageHeaders struct {
	contentType, etag, length []string
}

func newPageHeaders(contentType, etag string, length int) pageHeaders {
	return pageHeaders{contentType: []string{contentType}, etag: []string{etag}, length: []string{strconv.Itoa(length)}}
}

// stamp is the generations an answer was read under.
type stamp struct {
	epoch uint64
	scope string
	gen   uint64
}

// notHeard is PageCache.heard before any report: no listener (a store of
// one process), so nothing to wait for.
const notHeard = math.MinInt64

// pendingChanges are changes waiting to be applied together; done is
// closed once they are.
type pendingChanges struct {
	all    bool
	scopes map[string]struct{}
	done   chan struct{}
	// through is the latest Through reported while they waited: heard
	// once they are applied.
	through time.Time
}

// closed is a channel that is closed: changes already applied.
var closed = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

// flight is a read of one answer in progress; the requests that miss the
// same answer under the same stamp wait for it.
type flight struct {
	stamp stamp
	done  chan struct{}
	page  Page
	err   error
}

// NewPageCache returns a cache of at most maxBytes; zero or less keeps
// nothing.
func NewPageCache(maxBytes int64) *PageCache {
	c := &PageCache{
		maxBytes: max(maxBytes, 0),
		lru:      list.New(),
		entries:  make(map[string]*list.Element),
		gens:     make(map[string]uint64),
		flights:  make(map[string]*flight),
		fresh:    make(map[string]*freshReads),

		applyEvery: applyEvery,
		born:       time.Now(),
	}
	c.heard.Store(notHeard)
	return c
}

// NewPage makes the Page of body, with its strong ETag: a quoted hex
// SHA-256 prefix of the body, so equal bodies share a tag across
// processes and restarts.
func NewPage(contentType string, body []byte) Page {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	return Page{ContentType: contentType, Body: body, ETag: etag, plainHeaders: newPageHeaders(contentType, etag, len(body))}
}

// Get returns the answer stored under key for scope when it is current, and
// otherwise reads it with read — once for all the requests missing it at
// the same time — and stores it. A read that fails is not stored; its
// error goes to every request that waited for it.
func (c *PageCache) Get(ctx context.Context, key, scope string, read func(ctx context.Context) (Page, error)) (Page, error) {
	if c.maxBytes == 0 { // off: every read goes to the database
		c.misses.Add(1)
		return read(ctx)
	}
	if c.listenerBehind() {
		c.misses.Add(1)
		c.behind.Add(1)
		return c.readAfter(ctx, key, read)
	}
	c.mu.Lock()
	st := c.stampLocked(scope)
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cachedPage)
		if e.stamp == st {
			c.lru.MoveToFront(el)
			c.mu.Unlock()
			c.hits.Add(1)
			return e.page, nil
		}
		c.removeLocked(el)
	}
	c.misses.Add(1)
	if f, ok := c.flights[key]; ok && f.stamp == st {
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.page, f.err
		case <-ctx.Done():
			return Page{}, ctx.Err()
		}
	}
	f := &flight{stamp: st, done: make(chan struct{})}
	c.flights[key] = f
	c.mu.Unlock()

	// The read runs without the caller's cancellation: others may be
	// waiting for it. The answer is compressed once here, for every hit
	// that accepts gzip.
	f.page, f.err = read(context.WithoutCancel(ctx))
	if f.err == nil {
		f.page = f.page.withGzip()
	}
	close(f.done)

	c.mu.Lock()
	if c.flights[key] == f {
		delete(c.flights, key)
	}
	if f.err == nil && c.stampLocked(scope) == st {
		c.storeLocked(key, f.page, st)
	}
	c.mu.Unlock()
	return f.page, f.err
}

// freshReads are the reads of one answer while the change listener is
// behind: running has begun, so a request that comes now cannot use it;
// next begins once running ends, and every request that comes meanwhile
// shares it.
type freshReads struct {
	running, next *flight
}

// readAfter returns the answer under key as read by a read that began
// after it was called: what the cache does while it cannot vouch for other
// processes' changes (listenerBehind). Requests that come while a read of
// the same answer runs share the next one instead of each reading it, so
// a listener that falls behind under load does not set every request on
// the database at once: at most two reads of an answer run at a time. The
// answers are not kept.
func (c *PageCache) readAfter(ctx context.Context, key string, read func(ctx context.Context) (Page, error)) (Page, error) {
	c.mu.Lock()
	fr := c.fresh[key]
	if fr == nil {
		fr = &freshReads{}
		c.fresh[key] = fr
	}
	if fr.running == nil {
		f := &flight{done: make(chan struct{})}
		fr.running = f
		c.mu.Unlock()
		c.runFresh(ctx, key, fr, f, read)
		return f.page, f.err
	}
	running, f := fr.running, fr.next
	leader := f == nil
	if leader {
		f = &flight{done: make(chan struct{})}
		fr.next = f
	}
	c.mu.Unlock()
	if leader {
		// Others wait for this read: it runs even if this client goes.
		<-running.done
		c.mu.Lock()
		fr.running, fr.next = f, nil
		c.mu.Unlock()
		c.runFresh(ctx, key, fr, f, read)
		return f.page, f.err
	}
	select {
	case <-f.done:
		return f.page, f.err
	case <-ctx.Done():
		return Page{}, ctx.Err()
	}
}

// runFresh runs f, a read of readAfter's.
func (c *PageCache) runFresh(ctx context.Context, key string, fr *freshReads, f *flight, read func(ctx context.Context) (Page, error)) {
	f.page, f.err = read(context.WithoutCancel(ctx))
	if f.err == nil {
		f.page = f.page.withGzip()
	}
	close(f.done)
	c.mu.Lock()
	if fr.running == f {
		fr.running = nil
		if fr.next == nil && c.fresh[key] == fr {
			delete(c.fresh, key)
		}
	}
	c.mu.Unlock()
}

// stampLocked is scope's current stamp.
func (c *PageCache) stampLocked(scope string) stamp {
	return stamp{epoch: c.epoch, scope: scope, gen: c.gens[scope]}
}

func (c *PageCache) storeLocked(key string, p Page, st stamp) {
	size := int64(len(key)+len(p.Body)+len(p.ETag)+len(p.ContentType)+len(p.gzip)+len(p.gzipETag)) + entryOverhead
	if size > c.maxBytes/4 { // a zero cache, or an answer that would crowd out the rest
		return
	}
	if el, ok := c.entries[key]; ok {
		c.removeLocked(el)
	}
	c.entries[key] = c.lru.PushFront(&cachedPage{key: key, page: p, stamp: st, size: size})
	c.size += size
	for c.size > c.maxBytes {
		c.removeLocked(c.lru.Back())
		c.evictions.Add(1)
	}
}

func (c *PageCache) removeLocked(el *list.Element) {
	e := c.lru.Remove(el).(*cachedPage)
	delete(c.entries, e.key)
	c.size -= e.size
}

// Invalidate drops the answers ch alters — with ch.All every answer; else
// the whole diary's, ch.User's and ch.Movie's — as Publish does, without
// waiting. It is how the changes other processes commit arrive (a
// domain.ChangeListener); the changes of this process that the listener
// reports again join those waiting rather than drop answers twice. A
// report of ch.Through counts once the changes received before it are
// applied (heardWithin).
func (c *PageCache) Invalidate(ch domain.DiaryChange) {
	if ch.Changes() {
		c.queue(ch)
	}
	if ch.Through.IsZero() {
		return
	}
	c.mu.Lock()
	if q := c.queued; q != nil {
		if ch.Through.After(q.through) {
			q.through = ch.Through
		}
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.hear(ch.Through)
}

// hear records that every change committed before t has been applied.
func (c *PageCache) hear(t time.Time) {
	if t.IsZero() {
		return
	}
	n := int64(t.Sub(c.born))
	for {
		h := c.heard.Load()
		if n <= h || c.heard.CompareAndSwap(h, n) {
			return
		}
	}
}

// queue applies ch at once unless changes were applied less than
// applyEvery ago; then ch waits to be applied with the next ones, at most
// applyEvery from now. It returns a channel closed once ch is applied.
func (c *PageCache) queue(ch domain.DiaryChange) <-chan struct{} {
	c.invalidations.Add(1)
	if c.maxBytes == 0 { // nothing kept, nothing to drop
		return closed
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.queued == nil && now.Sub(c.applied) >= c.applyEvery {
		c.applyLocked(ch.All, changedScopes(ch)...)
		c.applied = now
		return closed
	}
	if c.queued == nil {
		c.queued = &pendingChanges{scopes: make(map[string]struct{}), done: make(chan struct{})}
		time.AfterFunc(c.applied.Add(c.applyEvery).Sub(now), c.applyQueued)
	}
	q := c.queued
	q.all = q.all || ch.All
	for _, s := range changedScopes(ch) {
		q.scopes[s] = struct{}{}
	}
	return q.done
}

// applyQueued applies the changes that waited, if any still do.
func (c *PageCache) applyQueued() {
	c.mu.Lock()
	q := c.queued
	if q == nil {
		c.mu.Unlock()
		return
	}
	c.queued = nil
	c.applyLocked(q.all, q.scopeList()...)
	c.applied = time.Now()
	c.mu.Unlock()
	close(q.done)
	c.hear(q.through)
}

// scopeList is q's scopes.
func (q *pendingChanges) scopeList() []string {
	scopes := make([]string, 0, len(q.scopes))
	for s := range q.scopes {
		scopes = append(scopes, s)
	}
	return scopes
}

// Settled returns a channel closed once every change received so far is
// applied: a request that changed something answers after it, so that the
// reads its client sends next show the change.
func (c *PageCache) Settled() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.queued == nil {
		return closed
	}
	return c.queued.done
}

// changedScopes are the scopes ch names besides the whole diary's.
func changedScopes(ch domain.DiaryChange) []string {
	var scopes []string
	if !ch.User.IsZero() {
		scopes = append(scopes, scopeUser(ch.User))
	}
	if !ch.Movie.IsZero() {
		scopes = append(scopes, scopeMovie(ch.Movie))
	}
	return scopes
}

// applyLocked drops every answer when all is set (a new epoch), and
// otherwise the whole diary's and those of scopes.
func (c *PageCache) applyLocked(all bool, scopes ...string) {
	if all || len(c.gens)+len(scopes) >= maxScopeGenerations {
		c.epoch++
		clear(c.gens)
		// Every entry is stale now: free them.
		c.lru.Init()
		clear(c.entries)
		c.size = 0
		return
	}
	c.gens[scopeDiary]++
	for _, s := range scopes {
		c.gens[s]++
	}
}

// AwaitListener says that other processes write to the store and that a
// domain.ChangeListener reports their changes (Invalidate): until it has
// reported a read (DiaryChange.Through), and whenever its latest read began
// more than heardWithin ago — it stalled, or lost its connection and
// reconnects — every read goes to the database. A cache whose store only
// this process writes needs no listener.
func (c *PageCache) AwaitListener() { c.awaiting.Store(true) }

// listenerBehind reports whether the changes of other processes cannot be
// vouched for now: a listener is awaited and has reported no read yet, or
// its latest read began more than heardWithin ago.
func (c *PageCache) listenerBehind() bool {
	h := c.heard.Load()
	if h == notHeard {
		return c.awaiting.Load()
	}
	return int64(time.Since(c.born))-h > int64(heardWithin)
}

// Publish drops the answers e changes (domain.ChangeOf): at once unless
// changes were applied less than applyEvery ago, else with the next ones,
// at most applyEvery from now. It never fails: PageCache sits in front of
// the event bus as the first publisher the use cases call once a change is
// committed, and the request that made the change answers once it is
// applied (Settled).
func (c *PageCache) Publish(_ context.Context, e domain.Event) error {
	if ch, ok := domain.ChangeOf(e); ok {
		c.queue(ch)
	}
	return nil
}

// CacheStats are a PageCache's counters, for /metrics.
type CacheStats struct {
	Hits, Misses, Evictions, Invalidations uint64
	// Behind counts the misses (among Misses) read from the database
	// because the change listener's latest read began too long ago.
	Behind          uint64
	Entries         int
	Bytes, MaxBytes int64
	// ListenerBehind says every read goes to the database for now: the
	// change listener has not read the store within heardWithin.
	ListenerBehind bool
}

// Stats returns the counters.
func (c *PageCache) Stats() CacheStats {
	c.mu.Lock()
	entries, size := len(c.entries), c.size
	c.mu.Unlock()
	return CacheStats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load(), Invalidations: c.invalidations.Load(), Behind: c.behind.Load(),
		Entries: entries, Bytes: size, MaxBytes: c.maxBytes, ListenerBehind: c.listenerBehind(),
	}
}

// invalidatingPublisher publishes to the cache, then to the bus.
type invalidatingPublisher struct {
	cache *PageCache
	next  domain.EventPublisher
}

// InvalidatingPublisher returns the publisher the use cases get: each event
// first drops the cached answers it changes, then goes to next (the bus).
func InvalidatingPublisher(cache *PageCache, next domain.EventPublisher) domain.EventPublisher {
	return invalidatingPublisher{cache: cache, next: next}
}

// Publish invalidates, then publishes to the bus.
func (p invalidatingPublisher) Publish(ctx context.Context, e domain.Event) error {
	_ = p.cache.Publish(ctx, e)
	return p.next.Publish(ctx, e)
}
