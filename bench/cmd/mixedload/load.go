package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// watchedAtLayout is how moviediary writes and accepts watched_at: UTC,
// to the second, no zone.
const watchedAtLayout = "2006-01-02T15:04:05"

// config is one mixed-load run.
type config struct {
	// Targets are the two processes' base URLs: [0] is A, which takes
	// every write and must show it at once; [1] is B, on the same
	// database, which must show it within Bounds[1].
	Targets [2]string
	Bounds  [2]time.Duration
	// Emails and Password sign the writers in (POST /api/auth/login on A).
	Emails   []string
	Password string
	// IMDbIDs are stored movies the writers log (no metadata lookup).
	IMDbIDs []string
	// Duration of the load, Concurrency its connections (workers).
	Duration    time.Duration
	Concurrency int
	// WriteFraction of the requests are writes; the rest are reads.
	WriteFraction float64
	// Revalidate is the fraction of reads sent with If-None-Match set to
	// the ETag the same worker was last given for that page and process.
	Revalidate float64
	// Timeout bounds each request.
	Timeout time.Duration
	// Hello, if set, is a URL of a constant answer (the baseline's GET
	// /hello) loaded by the same client and connections for
	// HelloDuration before the mixed load: the yardstick of its reads/s.
	Hello         string
	HelloDuration time.Duration
	// Seed makes the choice of requests repeatable.
	Seed uint64
	// Now is the wall clock for watched_at (time.Now if nil).
	Now func() time.Time
}

// writer is a signed-in writer.
type writer struct {
	Email  string
	UserID string
	Token  string
}

// history is everything one run did.
type history struct {
	Writes   []writeRecord
	Reads    []readRecord
	WriteLat []time.Duration
	Errors   []string // failed requests, in no order (the first maxErrorsKept)
	Failed   int      // how many requests failed
	Elapsed  time.Duration
	UserIDs  []string
	// Hello is the yardstick run (zero without config.Hello).
	Hello helloRun
}

// maxErrorsKept bounds the failed requests a run remembers in full; the
// count is kept beyond it.
const maxErrorsKept = 20

// load runs the mixed load and returns what it did.
func load(ctx context.Context, cfg config) (*history, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Concurrency < 1 || len(cfg.Emails) == 0 || len(cfg.IMDbIDs) == 0 {
		return nil, errors.New("mixedload: need a positive concurrency, at least one writer and one IMDb ID")
	}
	client := &http.Client{
		Timeout: cfg.Timeout,
		Transport: &http.Transport{
			MaxIdleConns:        4 * cfg.Concurrency,
			MaxIdleConnsPerHost: 2 * cfg.Concurrency,
			DisableCompression:  true, // as wrk: the bodies' size is part of the load
		},
	}
	defer client.CloseIdleConnections()
	writers := make([]writer, len(cfg.Emails))
	for i, email := range cfg.Emails {
		w, err := login(ctx, client, cfg.Targets[0], email, cfg.Password)
		if err != nil {
			return nil, err
		}
		writers[i] = w
	}
	h := &history{UserIDs: make([]string, len(writers))}
	if cfg.Hello != "" {
		run, err := loadHello(ctx, client, cfg)
		if err != nil {
			return nil, err
		}
		h.Hello = run
	}
	for i, w := range writers {
		h.UserIDs[i] = w.UserID
	}

	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		errs   int
		start  = time.Now()
		finish = start.Add(cfg.Duration)
	)
	for i := range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := &worker{cfg: &cfg, client: client, writers: writers, ids: h.UserIDs, start: start,
				rnd: rand.New(rand.NewPCG(cfg.Seed, uint64(i))), seen: map[string]seenAnswer{}}
			// Each write comes with a read just before it, so that
			// WriteFraction of the requests are writes.
			pWrite := cfg.WriteFraction / (1 - cfg.WriteFraction)
			for ctx.Err() == nil && time.Now().Before(finish) {
				if wk.rnd.Float64() < pWrite {
					// Writers take turns by worker, so every writer writes
					// from several connections at once.
					u := i % len(writers)
					wk.readBefore(ctx, u)
					wk.write(ctx, u)
				} else {
					wk.read(ctx)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			h.Writes = append(h.Writes, wk.writes...)
			h.Reads = append(h.Reads, wk.reads...)
			h.WriteLat = append(h.WriteLat, wk.writeLat...)
			errs += wk.errCount
			for _, e := range wk.errs {
				if len(h.Errors) < maxErrorsKept {
					h.Errors = append(h.Errors, e)
				}
			}
		}()
	}
	wg.Wait()
	h.Elapsed = time.Since(start)
	h.Failed = errs
	return h, ctx.Err()
}

// login signs a writer in on base and returns its session token and ID.
func login(ctx context.Context, client *http.Client, base, email, password string) (writer, error) {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/auth/login", bytes.NewReader(body))
	if err != nil {
		return writer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return writer{}, fmt.Errorf("mixedload: sign in %s: %w", email, err)
	}
	defer resp.Body.Close()
	var out struct {
		Token  string `json:"token"`
		UserID string `json:"user_id"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return writer{}, fmt.Errorf("mixedload: sign in %s: %s: %s", email, resp.Status, bytes.TrimSpace(raw))
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.Token == "" || out.UserID == "" {
		return writer{}, fmt.Errorf("mixedload: sign in %s: unexpected answer %q", email, raw)
	}
	return writer{Email: email, UserID: out.UserID, Token: out.Token}, nil
}

// worker is one connection's loop: its own random choices, its own
// remembered ETags (as one browser would keep them) and its records.
type worker struct {
	cfg     *config
	client  *http.Client
	writers []writer
	ids     []string
	start   time.Time
	rnd     *rand.Rand
	seen    map[string]seenAnswer // by process and path
	buf     bytes.Buffer          // the answer being read

	writes   []writeRecord
	reads    []readRecord
	writeLat []time.Duration
	errs     []string
	errCount int
}

// seenAnswer is what a worker remembers of a page's last 200 answer.
type seenAnswer struct {
	etag      string
	body      uint64
	newest    entryKey
	hasNewest bool
}

// bodySeed seeds the fingerprints of answers' bodies, the same for every
// worker of a run.
var bodySeed = maphash.MakeSeed()

// since is t as a time since the run's start (monotonic).
func (w *worker) since(t time.Time) time.Duration { return t.Sub(w.start) }

func (w *worker) fail(format string, args ...any) {
	w.errCount++
	if len(w.errs) < maxErrorsKept {
		w.errs = append(w.errs, fmt.Sprintf(format, args...))
	}
}

// write logs a review of a stored movie as writer u on A, watched now
// (so it is the newest entry of u and of the whole diary).
func (w *worker) write(ctx context.Context, u int) {
	body, _ := json.Marshal(map[string]any{
		"external_metadata_id": w.cfg.IMDbIDs[w.rnd.IntN(len(w.cfg.IMDbIDs))],
		"rating":               float64(1+w.rnd.IntN(10)) / 2,
		"watched_at":           w.cfg.Now().UTC().Format(watchedAtLayout),
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.Targets[0]+"/api/reviews", bytes.NewReader(body))
	if err != nil {
		w.fail("POST /api/reviews: %v", err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+w.writers[u].Token)
	sent := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		w.fail("POST /api/reviews: %v", err)
		return
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	acked := time.Now()
	if err != nil || resp.StatusCode != http.StatusCreated {
		w.fail("POST /api/reviews as %s: %s %v: %.200s", w.writers[u].Email, resp.Status, err, raw)
		return
	}
	var out struct {
		Review struct {
			ID        string `json:"id"`
			UserID    string `json:"user_id"`
			WatchedAt string `json:"watched_at"`
		} `json:"review"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.Review.ID == "" || out.Review.UserID != w.writers[u].UserID {
		w.fail("POST /api/reviews as %s: unexpected answer %.200s", w.writers[u].Email, raw)
		return
	}
	w.writes = append(w.writes, writeRecord{User: u, Sent: w.since(sent), Acked: w.since(acked),
		Key: entryKey{WatchedAt: out.Review.WatchedAt, ID: strings.ToLower(out.Review.ID)}})
	w.writeLat = append(w.writeLat, acked.Sub(sent))
}

// read loads one page, chosen at random, from A or B.
func (w *worker) read(ctx context.Context) {
	p := page{Kind: pageKind(w.rnd.IntN(int(pageKinds))), User: allWriters}
	if p.isUsers() {
		p.User = w.rnd.IntN(len(w.writers))
	}
	w.readPage(ctx, p, w.rnd.IntN(2))
}

// readBefore loads from A, just before writer u writes, one of the HTML
// or RSS pages the write will change: a body answered before a write is
// sent is what proves a later answer with that body stale (checker), so
// these reads make that proof available for every write.
func (w *worker) readBefore(ctx context.Context, u int) {
	switch w.rnd.IntN(3) {
	case 0:
		w.readPage(ctx, page{Kind: userHTML, User: u}, 0)
	case 1:
		w.readPage(ctx, page{Kind: diaryHTML, User: allWriters}, 0)
	default:
		w.readPage(ctx, page{Kind: feedRSS, User: allWriters}, 0)
	}
}

// readPage loads p from the target process, revalidating what this worker
// saw before with the configured probability, and records the answer.
func (w *worker) readPage(ctx context.Context, p page, target int) {
	path := p.path(w.ids)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.cfg.Targets[target]+path, nil)
	if err != nil {
		w.fail("GET %s: %v", path, err)
		return
	}
	seenKey := fmt.Sprint(target, path)
	prev, revalidate := w.seen[seenKey]
	revalidate = revalidate && prev.etag != "" && w.rnd.Float64() < w.cfg.Revalidate
	if revalidate {
		req.Header.Set("If-None-Match", prev.etag)
	}
	start := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		w.fail("GET %s: %v", path, err)
		return
	}
	w.buf.Reset()
	_, err = w.buf.ReadFrom(resp.Body)
	resp.Body.Close()
	end := time.Now()
	raw := w.buf.Bytes()
	r := readRecord{Target: target, Page: p, Start: w.since(start), End: w.since(end), Status: resp.StatusCode,
		ETag: resp.Header.Get("ETag")}
	switch {
	case err != nil:
		w.fail("GET %s: %v", path, err)
		return
	case resp.StatusCode == http.StatusNotModified && revalidate:
		r.ETag, r.Body, r.Newest, r.HasNewest = prev.etag, prev.body, prev.newest, prev.hasNewest
	case resp.StatusCode == http.StatusOK:
		r.Body = maphash.Bytes(bodySeed, raw)
		if p.isJSON() {
			if r.Newest, r.HasNewest, err = newestEntry(raw); err != nil {
				w.fail("GET %s: %v", path, err)
				return
			}
		}
		w.seen[seenKey] = seenAnswer{etag: r.ETag, body: r.Body, newest: r.Newest, hasNewest: r.HasNewest}
	default:
		w.fail("GET %s (If-None-Match %t): %s: %.200s", path, revalidate, resp.Status, raw)
		return
	}
	w.reads = append(w.reads, r)
}

// newestEntry reads the first item of a diary page.
func newestEntry(raw []byte) (entryKey, bool, error) {
	var page struct {
		Items []struct {
			Review struct {
				ID        string `json:"id"`
				WatchedAt string `json:"watched_at"`
			} `json:"review"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return entryKey{}, false, fmt.Errorf("not a diary page: %w: %.200s", err, raw)
	}
	if len(page.Items) == 0 {
		return entryKey{}, false, nil
	}
	rv := page.Items[0].Review
	if rv.ID == "" || len(rv.WatchedAt) != len(watchedAtLayout) {
		return entryKey{}, false, fmt.Errorf("diary item without review id or watched_at: %.200s", raw)
	}
	return entryKey{WatchedAt: rv.WatchedAt, ID: strings.ToLower(rv.ID)}, true, nil
}

// helloRun is the yardstick: how many constant answers the client got.
type helloRun struct {
	Requests int
	Elapsed  time.Duration
	Lat      []time.Duration
}

// loadHello loads cfg.Hello from cfg.Concurrency connections for
// cfg.HelloDuration, as the mixed load's workers do their reads (same
// client, same reading of the body), so that the mixed load's reads/s can
// be compared with it rather than with another tool's figure.
func loadHello(ctx context.Context, client *http.Client, cfg config) (helloRun, error) {
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		run    helloRun
		failed error
		start  = time.Now()
		finish = start.Add(cfg.HelloDuration)
	)
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var (
				lat []time.Duration
				buf bytes.Buffer
				err error
			)
			for ctx.Err() == nil && err == nil && time.Now().Before(finish) {
				var req *http.Request
				if req, err = http.NewRequestWithContext(ctx, http.MethodGet, cfg.Hello, nil); err != nil {
					break
				}
				t := time.Now()
				var resp *http.Response
				if resp, err = client.Do(req); err != nil {
					break
				}
				buf.Reset()
				_, err = buf.ReadFrom(resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("%s", resp.Status)
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			defer mu.Unlock()
			run.Requests += len(lat)
			run.Lat = append(run.Lat, lat...)
			if err != nil && failed == nil {
				failed = fmt.Errorf("mixedload: GET %s: %w", cfg.Hello, err)
			}
		}()
	}
	wg.Wait()
	run.Elapsed = time.Since(start)
	return run, failed
}
