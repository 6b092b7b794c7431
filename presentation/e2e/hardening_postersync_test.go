package e2e_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hostilePosterHost is a poster host that holds every download open: it
// sends the start of a PNG, then nothing until released, and then an
// endless body. It counts the downloads in flight and the most at once.
// Behave makes it serve a small image instead.
type hostilePosterHost struct {
	srv     *httptest.Server
	release chan struct{}
	once    sync.Once
	behave  atomic.Bool

	mu             sync.Mutex
	inFlight, most int
	total          int
}

func newHostilePosterHost(t *testing.T) *hostilePosterHost {
	t.Helper()
	h := &hostilePosterHost{release: make(chan struct{})}
	h.srv = httptest.NewServer(h)
	t.Cleanup(h.srv.Close)
	t.Cleanup(h.open) // runs first: lets held handlers end before Close
	return h
}

func (h *hostilePosterHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.behave.Load() {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(posterImage(r.URL.Path))
		return
	}
	h.mu.Lock()
	h.inFlight++
	h.total++
	h.most = max(h.most, h.inFlight)
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.inFlight--
		h.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(posterImage(r.URL.Path))
	w.(http.Flusher).Flush()
	select {
	case <-h.release:
	case <-r.Context().Done():
		return
	}
	chunk := make([]byte, 32<<10)
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// open releases every held download, and those to come.
func (h *hostilePosterHost) open() { h.once.Do(func() { close(h.release) }) }

// counts returns the downloads in flight, the most at once and how many
// there were in all.
func (h *hostilePosterHost) counts() (inFlight, most, total int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.inFlight, h.most, h.total
}

// TestSyncPoster_ManualSyncsShareABoundedNumberOfSlots: 30 concurrent
// manual syncs against a poster host that holds every download open. At
// most POSTER_SYNC_CONCURRENCY of them reach the host; the others are
// answered 429 with Retry-After while the host still holds those — they
// never wait for a slot. Released, the held downloads stream past the size
// cap and fail as 502, leaving no poster and no temporary file; the slots
// are then free for a sync that succeeds.
func TestSyncPoster_ManualSyncsShareABoundedNumberOfSlots(t *testing.T) {
	t.Parallel()
	const (
		slots    = 3
		requests = 30
	)
	shawshank := filmByID(t, "tt0111161")
	forEachDB(t, func(t *testing.T, db string) {
		host := newHostilePosterHost(t)
		omdb := newFakeOMDb(t, host.srv.URL)
		s := startApp(t, db,
			withEnv("OMDB_BASE_URL", omdb.srv.URL+"/"),
			withEnv("EVENT_DISPATCH", "false"), // no background sync: the slots are the manual syncs'
			withEnv("POSTER_SYNC_CONCURRENCY", strconv.Itoa(slots)),
			withEnv("POSTER_MAX_BYTES", strconv.Itoa(1<<20)),
			withEnv("POSTER_FETCH_TIMEOUT_SECONDS", "60"))
		token, _ := s.account(t, "owner@example.com")
		e := s.logReview(t, token, map[string]any{"external_metadata_id": shawshank.ID, "rating": 5, "watched_at": watched(0)})
		path := "/api/movies/" + e.Movie.ID + "/sync-poster"

		type result struct {
			res response
			req *http.Request
			err error
		}
		results := make(chan result, requests)
		for range requests {
			go func() {
				res, req, err := s.send(http.MethodPost, path, nil, map[string]string{"Authorization": "Bearer " + token})
				results <- result{res, req, err}
			}()
		}
		next := func() result {
			t.Helper()
			select {
			case r := <-results:
				if r.err != nil {
					t.Fatalf("POST %s: %v", path, r.err)
				}
				checkExchange(t, r.req, nil, r.res)
				return r
			case <-time.After(pollDeadline): // a guard against hanging, not a measurement
				_, most, total := host.counts()
				t.Fatalf("no answer within %s; the host saw %d downloads, %d at once", pollDeadline, total, most)
				return result{}
			}
		}

		// While the host holds its downloads, everything else is refused.
		for range requests - slots {
			r := next()
			expectProblem(t, r.res, http.StatusTooManyRequests, "poster syncs")
			if secs, err := strconv.Atoi(r.res.Header.Get("Retry-After")); err != nil || secs < 1 {
				t.Errorf("Retry-After = %q, want whole seconds ≥ 1", r.res.Header.Get("Retry-After"))
			}
		}
		eventually(t, fmt.Sprintf("%d downloads held by the host", slots), func() bool {
			inFlight, _, _ := host.counts()
			return inFlight == slots
		})
		if _, most, total := host.counts(); most > slots || total != slots {
			t.Fatalf("the host saw %d downloads, %d at once; want %d, at most %d at once", total, most, slots, slots)
		}

		// Released, the held downloads run past the cap: 502, nothing kept.
		host.open()
		for range slots {
			expectProblem(t, next().res, http.StatusBadGateway, "not a usable image")
		}
		wantProblemStatus(t, s.get(t, "/posters/"+e.Movie.ID), http.StatusNotFound)
		if names := dirNames(t, s.cfg.PosterStorageDir); len(names) != 0 {
			t.Errorf("poster directory holds %q after over-cap downloads, want nothing", names)
		}

		// Every slot is free again.
		host.behave.Store(true)
		if r := s.postJSON(t, path, nil, token); r.Status != http.StatusNoContent {
			t.Fatalf("sync-poster after the flood = %s, want 204", r)
		}
		if _, most, _ := host.counts(); most > slots {
			t.Errorf("the host saw %d downloads at once, want at most %d", most, slots)
		}
	})
}

// posterSize is the size of the poster TestSyncPoster_StreamsAPosterWithoutHoldingIt
// syncs: the default POSTER_MAX_BYTES, 10 MiB.
const posterSize = 10 << 20

// servePoster serves a posterSize body that sniffs as a PNG, written from
// one small buffer so the host itself holds no poster in memory.
func servePoster(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(posterSize))
	chunk := make([]byte, 32<<10)
	copy(chunk, posterImage("/10MiB"))
	for left := posterSize; left > 0; left -= len(chunk) {
		if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
			return
		}
		clear(chunk[:64]) // only the first chunk starts like a PNG
	}
}

// TestSyncPoster_StreamsAPosterWithoutHoldingIt syncs a 10 MiB poster through
// the real server and samples the heap while it runs: the poster streams
// from the host into the storage, so the heap grows by far less than the
// poster. Not parallel, so no other test's allocations are counted. Run
// with -v to see the figures.
func TestSyncPoster_StreamsAPosterWithoutHoldingIt(t *testing.T) {
	shawshank := filmByID(t, "tt0111161")
	host := httptest.NewServer(http.HandlerFunc(servePoster))
	t.Cleanup(host.Close)
	omdb := newFakeOMDb(t, host.URL)
	s := startApp(t, "sqlite",
		withEnv("OMDB_BASE_URL", omdb.srv.URL+"/"),
		withEnv("EVENT_DISPATCH", "false"))
	token, _ := s.account(t, "owner@example.com")
	e := s.logReview(t, token, map[string]any{"external_metadata_id": shawshank.ID, "rating": 5, "watched_at": watched(0)})

	// A low GC target keeps garbage from hiding in the figures: what is
	// counted is what the sync holds, not what it dropped.
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	stop, peak := make(chan struct{}), make(chan uint64)
	go func() {
		most := before.HeapInuse
		var m runtime.MemStats
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			most = max(most, m.HeapInuse)
			select {
			case <-stop:
				peak <- most
				return
			case <-tick.C:
			}
		}
	}()
	r := s.postJSON(t, "/api/movies/"+e.Movie.ID+"/sync-poster", nil, token)
	close(stop)
	most := <-peak
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if r.Status != http.StatusNoContent {
		t.Fatalf("sync-poster = %s, want 204", r)
	}
	fi, err := os.Stat(filepath.Join(s.cfg.PosterStorageDir, e.Movie.ID+".img"))
	if err != nil || fi.Size() != posterSize {
		t.Fatalf("stored poster: %v, %v; want %d bytes", fi, err, posterSize)
	}

	growth := int64(most) - int64(before.HeapInuse)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("syncing a %d MiB poster: peak HeapInuse %.2f MiB over the %.2f MiB before; %.2f MiB allocated in all (server, client and host)",
		posterSize>>20, float64(growth)/(1<<20), float64(before.HeapInuse)/(1<<20), float64(allocated)/(1<<20))
	// Holding the poster would take at least its 10 MiB; streaming takes
	// buffers of tens of KiB. A quarter of the poster leaves room for the
	// server's own noise and none for a copy.
	if limit := int64(posterSize / 4); growth > limit {
		t.Errorf("the heap grew by %.2f MiB during the sync, want under %.2f MiB: the poster is held in memory", float64(growth)/(1<<20), float64(limit)/(1<<20))
	}
}

// wantProblemStatus checks only the status and type of a problem answer.
func wantProblemStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.Status != status || r.ContentType() != "application/problem+json" {
		t.Fatalf("got %s, want %d problem+json", r, status)
	}
}

// dirNames lists the names in dir; a missing dir has none.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}
