package main

import (
	"sort"
	"time"
)

// entryKey places a diary entry in the diary's default order: newest
// watched_at first, ties by review ID descending. watched_at is written
// to the second in a fixed-width layout and IDs are lowercase UUIDs, so
// both compare as strings in the server's order.
type entryKey struct {
	WatchedAt string
	ID        string
}

// less reports whether k sorts before (is older than) o.
func (k entryKey) less(o entryKey) bool {
	if k.WatchedAt != o.WatchedAt {
		return k.WatchedAt < o.WatchedAt
	}
	return k.ID < o.ID
}

// writeRecord is one acknowledged POST /api/reviews: who logged it, when
// it was sent and when its 201 answer had been read (times since the
// run's start, monotonic), and the entry it created.
type writeRecord struct {
	User  int
	Sent  time.Duration
	Acked time.Duration
	Key   entryKey
}

// readRecord is one answered read: of which page, from which process,
// when it was sent and when its answer had been read, and what it showed:
// its ETag, a fingerprint of its body (a hash) and, for a JSON page, its
// newest entry (HasNewest false for an empty page). A 304 stands for the
// earlier answer with the ETag it confirmed: its body and entry are that
// answer's.
type readRecord struct {
	Target    int
	Page      page
	Start     time.Duration
	End       time.Duration
	Status    int
	ETag      string
	Body      uint64
	Newest    entryKey
	HasNewest bool
}

// verdict is what the checker found about one read under one bound.
type verdict struct {
	// Checked: a write was due (acknowledged at least bound before the
	// read started) and the answer could have shown it missing. A JSON
	// page always can; an HTML or RSS page only when its body had been
	// answered before, by a read that finished before this one started.
	Checked bool
	// Stale: the answer did not show the due write or a later one.
	Stale bool
}

// checker judges reads against the writes of one run.
//
// A JSON page is stale when its newest entry sorts before the newest
// entry of the due writes (its user's for a user's page, every writer's
// for the whole diary): it shows neither the due write nor a later one.
//
// An HTML or RSS page does not name its entries' reviews, so it is judged
// by its body: it is stale when a read of the same page, from either
// process, had been given the same body before the due write was sent,
// for that body cannot include the write. Pages only grow during a run
// (nothing is deleted or edited) and show the newest entries first, so no
// later state has an earlier state's body. This misses a stale answer
// nobody had been given before (e.g. B always exactly 200 ms behind while
// every write changes the page): the JSON pages, judged exactly, cover it.
//
// It also checks the ETags: a strong ETag answered twice for one page by
// one process must come with the same body.
type checker struct {
	groups    map[int]*writeGroup // by user index; allWriters for the whole diary
	firstSeen map[seenKey]time.Duration
	etagBody  map[etagKey]uint64
	// ETagConflicts counts reads whose ETag the same process had answered
	// for the same page with another body.
	ETagConflicts int
}

// allWriters is the group of every writer's writes.
const allWriters = -1

// writeGroup holds writes ordered by acknowledgement, with running
// maxima so that "every write acknowledged by t" is one binary search.
type writeGroup struct {
	writes  []writeRecord // by Acked
	maxKey  []entryKey    // maxKey[i]: the newest entry of writes[:i+1]
	maxSent []time.Duration
}

// seenKey names one body of one page.
type seenKey struct {
	page page
	body uint64
}

// etagKey names one ETag of one page of one process.
type etagKey struct {
	target int
	page   page
	etag   string
}

// newChecker indexes a run's writes and reads.
func newChecker(writes []writeRecord, reads []readRecord) *checker {
	c := &checker{groups: map[int]*writeGroup{}, firstSeen: map[seenKey]time.Duration{}, etagBody: map[etagKey]uint64{}}
	byGroup := map[int][]writeRecord{}
	for _, w := range writes {
		byGroup[w.User] = append(byGroup[w.User], w)
		byGroup[allWriters] = append(byGroup[allWriters], w)
	}
	for g, ws := range byGroup {
		sort.Slice(ws, func(i, j int) bool { return ws[i].Acked < ws[j].Acked })
		grp := &writeGroup{writes: ws, maxKey: make([]entryKey, len(ws)), maxSent: make([]time.Duration, len(ws))}
		for i, w := range ws {
			grp.maxKey[i], grp.maxSent[i] = w.Key, w.Sent
			if i > 0 {
				if w.Key.less(grp.maxKey[i-1]) {
					grp.maxKey[i] = grp.maxKey[i-1]
				}
				grp.maxSent[i] = max(grp.maxSent[i], grp.maxSent[i-1])
			}
		}
		c.groups[g] = grp
	}
	for _, r := range reads {
		k := seenKey{r.Page, r.Body}
		if t, ok := c.firstSeen[k]; !ok || r.End < t {
			c.firstSeen[k] = r.End
		}
		if r.ETag == "" {
			continue
		}
		ek := etagKey{r.Target, r.Page, r.ETag}
		if b, ok := c.etagBody[ek]; !ok {
			c.etagBody[ek] = r.Body
		} else if b != r.Body {
			c.ETagConflicts++
		}
	}
	return c
}

// due returns the group of writes a page must show and how many of them
// (a prefix in acknowledgement order) had been acknowledged by t.
func (c *checker) due(p page, t time.Duration) (*writeGroup, int) {
	g := c.groups[p.writerGroup()]
	if g == nil || t < 0 {
		return g, 0
	}
	return g, sort.Search(len(g.writes), func(i int) bool { return g.writes[i].Acked > t })
}

// judge decides whether r was stale given that every write acknowledged
// at least bound before r started had to show.
func (c *checker) judge(r readRecord, bound time.Duration) verdict {
	g, n := c.due(r.Page, r.Start-bound)
	if n == 0 {
		return verdict{}
	}
	if r.Page.isJSON() {
		return verdict{Checked: true, Stale: !r.HasNewest || r.Newest.less(g.maxKey[n-1])}
	}
	seen := c.firstSeen[seenKey{r.Page, r.Body}]
	if seen >= r.Start {
		return verdict{}
	}
	// Only a body answered before the due write was sent proves the
	// answer old; one first seen later may or may not include it.
	return verdict{Checked: true, Stale: seen < g.maxSent[n-1]}
}

// lag is how long before r started the oldest write r did not show had
// been acknowledged (0 when r showed every acknowledged write, as far as
// the checker can tell): a lower bound of how far behind the answer was.
func (c *checker) lag(r readRecord) time.Duration {
	if !c.judge(r, 0).Stale {
		return 0
	}
	g, n := c.due(r.Page, r.Start)
	seen := c.firstSeen[seenKey{r.Page, r.Body}]
	for _, w := range g.writes[:n] { // by Acked: the first missed is the oldest
		missed := w.Sent > seen
		if r.Page.isJSON() {
			missed = !r.HasNewest || r.Newest.less(w.Key)
		}
		if missed {
			return r.Start - w.Acked
		}
	}
	return 0
}
