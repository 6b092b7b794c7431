package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
)

// The tests in this file prove the outbox's delivery guarantee on the real
// binary: an event whose review got a 201 is delivered even when the
// server is killed, is handled once per worker fleet, and can be parked
// and requeued by the events commands.

// eventDeadline bounds every wait for background delivery.
const eventDeadline = 30 * time.Second

// omdbFake answers OMDb lookups by IMDb ID with a film whose poster is
// posterBase + "/" + ID + ".png".
func omdbFake(t *testing.T, posterBase func() string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("i")
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("apikey") != "test" || !regexp.MustCompile(`^tt\d{7,9}$`).MatchString(id) {
			_, _ = io.WriteString(w, `{"Response":"False","Error":"Incorrect IMDb ID."}`)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{
			"Title": "Film " + id, "Year": "1999", "Director": "N/A", "Poster": posterBase() + "/" + id + ".png",
			"imdbID": id, "Type": "movie", "Response": "True",
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// posterFake serves a PNG per path and counts requests per path. While
// blocked, requests wait until it is unblocked (or the client goes away);
// while failing, they get a 500.
type posterFake struct {
	srv      *httptest.Server
	mu       sync.Mutex
	hits     map[string]int
	block    chan struct{} // closed: not blocking
	inFlight chan string   // receives the path of each request that blocks
	failing  atomic.Bool
}

func newPosterFake(t *testing.T) *posterFake {
	t.Helper()
	p := &posterFake{hits: map[string]int{}, block: make(chan struct{}), inFlight: make(chan string, 16)}
	close(p.block)
	p.srv = httptest.NewServer(p)
	t.Cleanup(func() { p.unblock(); p.srv.Close() })
	return p
}

func (p *posterFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.hits[r.URL.Path]++
	block := p.block
	p.mu.Unlock()
	select {
	case <-block:
	default:
		p.inFlight <- r.URL.Path
		select {
		case <-block:
		case <-r.Context().Done():
			return
		}
	}
	if p.failing.Load() {
		http.Error(w, "poster host broken", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(pngFor(r.URL.Path))
}

func (p *posterFake) blockAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.block = make(chan struct{})
}

func (p *posterFake) unblock() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.block:
	default:
		close(p.block)
	}
}

func (p *posterFake) requests(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[path]
}

// pngFor is a 2×2 PNG whose colour depends on path.
func pngFor(path string) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	for i, c := range []byte(path) {
		img.Set(i%2, (i/2)%2, color.RGBA{R: c, G: byte(i), B: 200, A: 255})
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// deployment is the environment shared by the processes of one test.
type deployment struct {
	t       *testing.T
	dir     string
	env     []string
	posters *posterFake
}

// newDeployment prepares a data directory, the database (sqlite or
// postgres) and the fake OMDb and poster hosts.
func newDeployment(t *testing.T, db string, extra ...string) *deployment {
	t.Helper()
	dir := t.TempDir()
	var dbURL string
	switch db {
	case "sqlite":
		dbURL = "sqlite://" + filepath.Join(dir, "db.sqlite")
	case "postgres":
		dbURL = pgtest.NewDatabase(t)
	}
	posters := newPosterFake(t)
	omdb := omdbFake(t, func() string { return posters.srv.URL })
	env := []string{
		"DATABASE_URL=" + dbURL,
		"DATA_DIR=" + filepath.Join(dir, "data"),
		"JWT_SECRET=" + strings.Repeat("k", 40),
		"ALLOW_REGISTRATION=true",
		"OMDB_API_KEY=test",
		"OMDB_BASE_URL=" + omdb.URL + "/",
		"POSTER_FETCH_ALLOW_PRIVATE=true",
		"POSTER_FETCH_TIMEOUT_SECONDS=5",
		"OMDB_TIMEOUT_SECONDS=5",
		"EVENT_POLL_INTERVAL=100ms",
		"LOG_FORMAT=json",
		"HOST=127.0.0.1",
	}
	return &deployment{t: t, dir: dir, env: append(env, extra...), posters: posters}
}

// serve starts `moviediary serve` on a fresh port and waits until healthy.
func (d *deployment) serve(extra ...string) (*proc, string) {
	d.t.Helper()
	port := freePort(d.t)
	p := start(d.t, d.dir, append(append([]string{portEnv(port)}, d.env...), extra...), "", "serve")
	p.waitHealthy(port)
	return p, fmt.Sprintf("http://127.0.0.1:%d", port)
}

// run runs a command of the binary to completion.
func (d *deployment) run(args ...string) (int, string, string) {
	d.t.Helper()
	return run(d.t, d.dir, d.env, "", args...)
}

// postJSON posts body to base+path with an optional bearer token and
// decodes the answer into out (when not nil); it returns the status.
func postJSON(t *testing.T, base, path, token string, body any, out any) int {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("POST %s: decode %s: %v", path, b, err)
		}
	}
	if res.StatusCode >= 300 {
		t.Logf("POST %s = %d %s", path, res.StatusCode, b)
	}
	return res.StatusCode
}

// signIn registers an account on base and returns a token.
func signIn(t *testing.T, base string) string {
	t.Helper()
	creds := map[string]string{"email": "owner@example.com", "password": "a long passphrase"}
	if code := postJSON(t, base, "/api/auth/register", "", creds, nil); code != http.StatusCreated {
		t.Fatalf("register = %d", code)
	}
	var login struct{ Token string }
	if code := postJSON(t, base, "/api/auth/login", "", creds, &login); code != http.StatusOK {
		t.Fatalf("login = %d", code)
	}
	return login.Token
}

// logFilm logs a viewing of the IMDb title id and returns the movie's ID.
func logFilm(t *testing.T, base, token, id string) string {
	t.Helper()
	var entry struct {
		Movie struct{ ID string } `json:"movie"`
	}
	body := map[string]any{"external_metadata_id": id, "rating": 4, "watched_at": "2024-05-01T20:00:00"}
	if code := postJSON(t, base, "/api/reviews", token, body, &entry); code != http.StatusCreated {
		t.Fatalf("POST /api/reviews %s = %d, want 201", id, code)
	}
	return entry.Movie.ID
}

// posterURL returns the movie's poster_url in the diary ("" when null).
func posterURL(t *testing.T, base, movieID string) string {
	t.Helper()
	res, err := client.Get(base + "/api/diary?movie_id=" + movieID)
	if err != nil {
		t.Fatalf("GET /api/diary: %v", err)
	}
	defer res.Body.Close()
	var page struct {
		Items []struct {
			Movie struct {
				PosterURL *string `json:"poster_url"`
			} `json:"movie"`
		} `json:"items"`
	}
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil || len(page.Items) == 0 {
		t.Fatalf("GET /api/diary?movie_id=%s: %v %+v", movieID, err, page)
	}
	if p := page.Items[0].Movie.PosterURL; p != nil {
		return *p
	}
	return ""
}

// waitForPoster polls the diary until the movie has a poster, then checks
// the stored bytes are the host's.
func waitForPoster(t *testing.T, base, movieID, posterPath string, p *proc) {
	t.Helper()
	deadline := time.Now().Add(eventDeadline)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for posterURL(t, base, movieID) == "" {
		if time.Now().After(deadline) {
			t.Fatalf("movie %s has no poster after %v; log:\n%s", movieID, eventDeadline, p.stderr.String())
		}
		<-tick.C
	}
	res, err := client.Get(base + "/posters/" + movieID)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	img, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !bytes.Equal(img, pngFor(posterPath)) {
		t.Errorf("GET /posters/%s = %d with %d bytes, want the host's PNG", movieID, res.StatusCode, len(img))
	}
}

// TestKilledServerLosesNoPosterSync: the server answers 201 for a film,
// starts fetching its poster from a slow host, and is killed with SIGKILL
// in the middle of the download; restarted at once, with the default
// EVENT_LEASE, it stores the poster within 10s of the restart — the dead
// process's claim lapses within a lease, not a minute — and the host saw
// at most two downloads.
func TestKilledServerLosesNoPosterSync(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			d := newDeployment(t, db)
			d.posters.blockAll()
			p, base := d.serve()
			token := signIn(t, base)
			const film = "tt0133093"
			movieID := logFilm(t, base, token, film)

			// The delivery is in flight — the event is claimed and leased —
			// when the process dies.
			select {
			case <-d.posters.inFlight:
			case <-time.After(eventDeadline):
				t.Fatalf("the poster host saw no request; log:\n%s", p.stderr.String())
			}
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			p.wait(10 * time.Second)
			path := "/" + film + ".png"
			if n := d.posters.requests(path); n != 1 {
				t.Fatalf("poster requests before the kill = %d, want 1", n)
			}
			d.posters.unblock()

			restarted := time.Now()
			p2, base2 := d.serve()
			waitForPoster(t, base2, movieID, path, p2)
			took := time.Since(restarted)
			t.Logf("poster stored %v after the restart", took.Round(time.Millisecond))
			if took > 10*time.Second {
				t.Errorf("poster stored %v after the restart, want within 10s", took)
			}
			if n := d.posters.requests(path); n > 2 {
				t.Errorf("the poster host saw %d downloads, want at most 2", n)
			}
			p2.stop(syscall.SIGTERM)
		})
	}
}

// TestSlowDownloadIsNotTakenOver: while one process downloads a poster for
// many leases, a second process on the same database never takes the
// event over — the first renews its claim — so the host sees one download.
func TestSlowDownloadIsNotTakenOver(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			d := newDeployment(t, db, "EVENT_LEASE=1s")
			d.posters.blockAll()
			api, base := d.serve()
			worker := start(t, d.dir, d.env, "", "worker")
			waitLog(t, worker, "moviediary worker running")
			token := signIn(t, base)
			const film = "tt0062622"
			movieID := logFilm(t, base, token, film)
			select {
			case <-d.posters.inFlight:
			case <-time.After(eventDeadline):
				t.Fatalf("the poster host saw no request; log:\n%s", api.stderr.String())
			}
			// Four leases long: the other process polls every 100ms meanwhile.
			time.Sleep(4 * time.Second)
			d.posters.unblock()
			path := "/" + film + ".png"
			waitForPoster(t, base, movieID, path, api)
			if n := d.posters.requests(path); n != 1 {
				t.Errorf("the poster host saw %d downloads of a slow poster, want 1; serve log:\n%s\nworker log:\n%s",
					n, api.stderr.String(), worker.stderr.String())
			}
			worker.stop(syscall.SIGTERM)
			api.stop(syscall.SIGTERM)
		})
	}
}

// TestKilledRightAfter201: SIGKILL the moment the 201 arrives, whatever
// the dispatcher had done by then; a restart delivers the event.
func TestKilledRightAfter201(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, "sqlite")
	d.posters.blockAll()
	p, base := d.serve()
	token := signIn(t, base)
	movieID := logFilm(t, base, token, "tt0114369")
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.wait(10 * time.Second)
	d.posters.unblock()
	p2, base2 := d.serve()
	waitForPoster(t, base2, movieID, "/tt0114369.png", p2)
	p2.stop(syscall.SIGTERM)
}

// logLine is the part of a JSON log line these tests read.
type logLine struct {
	Msg     string `json:"msg"`
	Event   string `json:"event"`
	EventID string `json:"event_id"`
}

func eventLines(logs string) []logLine {
	var out []logLine
	for _, l := range strings.Split(logs, "\n") {
		var ll logLine
		if json.Unmarshal([]byte(l), &ll) == nil && ll.Msg == "event" {
			out = append(out, ll)
		}
	}
	return out
}

// TestTwoWorkersHandleEachEventOnce: a serve that only stores events
// (EVENT_DISPATCH=false) and two worker processes on one PostgreSQL: every
// poster is fetched once and every event is handled by exactly one worker.
func TestTwoWorkersHandleEachEventOnce(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, "postgres", "EVENT_LEASE=1m")
	api, base := d.serve("EVENT_DISPATCH=false")
	w1 := start(t, d.dir, d.env, "", "worker")
	w2 := start(t, d.dir, d.env, "", "worker")
	for _, w := range []*proc{w1, w2} {
		waitLog(t, w, "moviediary worker running")
	}
	token := signIn(t, base)
	films := []string{"tt0000001", "tt0000002", "tt0000003", "tt0000004", "tt0000005", "tt0000006", "tt0000007", "tt0000008"}
	movies := make([]string, len(films))
	for i, f := range films {
		movies[i] = logFilm(t, base, token, f)
	}
	for i, f := range films {
		waitForPoster(t, base, movies[i], "/"+f+".png", api)
	}
	w1.stop(syscall.SIGTERM)
	w2.stop(syscall.SIGTERM)
	for _, f := range films {
		if n := d.posters.requests("/" + f + ".png"); n != 1 {
			t.Errorf("poster of %s fetched %d times, want 1", f, n)
		}
	}
	seen := map[string]int{}
	perWorker := []int{0, 0}
	for i, w := range []*proc{w1, w2} {
		for _, l := range eventLines(w.stderr.String()) {
			seen[l.EventID]++
			perWorker[i]++
		}
	}
	// One movie_discovered and one review_logged per film.
	if len(seen) != 2*len(films) {
		t.Errorf("the workers handled %d distinct events, want %d", len(seen), 2*len(films))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s handled %d times, want once", id, n)
		}
	}
	if lines := eventLines(api.stderr.String()); len(lines) != 0 {
		t.Errorf("serve with EVENT_DISPATCH=false handled %d events", len(lines))
	}
	t.Logf("events handled per worker: %v", perWorker)
	api.stop(syscall.SIGTERM)
}

// waitLog waits until p logged want.
func waitLog(t *testing.T, p *proc, want string) {
	t.Helper()
	deadline := time.Now().Add(eventDeadline)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(p.stderr.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("%q not logged; log:\n%s", want, p.stderr.String())
		}
		select {
		case <-p.done:
			t.Fatalf("the process exited (%v); log:\n%s", p.err, p.stderr.String())
		case <-tick.C:
		}
	}
}

// TestDeadEventListedAndRetried: a poster host that always fails kills the
// event after 1 + POSTER_SYNC_MAX_RETRIES attempts; `events list --dead`
// shows it, `events retry ID` requeues it and, the host fixed, the poster
// is stored.
func TestDeadEventListedAndRetried(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			d := newDeployment(t, db, "POSTER_SYNC_MAX_RETRIES=1", "POSTER_SYNC_BASE_DELAY=10ms")
			d.posters.failing.Store(true)
			p, base := d.serve()
			token := signIn(t, base)
			const film = "tt0211915"
			movieID := logFilm(t, base, token, film)

			var listing string
			deadline := time.Now().Add(eventDeadline)
			for !strings.Contains(listing, "movie_discovered") {
				if time.Now().After(deadline) {
					t.Fatalf("no dead event listed; last listing:\n%s\nlog:\n%s", listing, p.stderr.String())
				}
				code, out, stderr := d.run("events", "list", "--dead")
				if code != 0 {
					t.Fatalf("events list --dead: exit %d\n%s", code, stderr)
				}
				listing = out
			}
			if n := d.posters.requests("/" + film + ".png"); n != 2 {
				t.Errorf("poster host saw %d requests, want 2 (1 + POSTER_SYNC_MAX_RETRIES)", n)
			}
			header := strings.Fields(strings.SplitN(listing, "\n", 2)[0])
			if got := strings.Join(header, " "); got != "ID EVENT MOVIE ATTEMPTS LAST ERROR CREATED" {
				t.Errorf("listing header = %q", got)
			}
			var eventID string
			for _, l := range strings.Split(listing, "\n") {
				f := strings.Fields(l)
				if len(f) > 3 && f[1] == "movie_discovered" {
					eventID = f[0]
					if f[2] != movieID || f[3] != "2" || !strings.Contains(l, "500") {
						t.Errorf("dead row = %q, want movie %s, 2 attempts and the 500", l, movieID)
					}
				}
			}
			if !strings.Contains(p.stderr.String(), `"attempts":2`) {
				t.Errorf("the give-up is not logged with attempts=2:\n%s", p.stderr.String())
			}

			code, _, stderr := d.run("events", "retry", "01234567-89ab-7def-8123-456789abcdef")
			if code != 1 || !strings.Contains(stderr, "no dead event has this ID") {
				t.Errorf("retry of an unknown ID: exit %d, stderr %q; want 1 and a clear message", code, stderr)
			}
			code, _, stderr = d.run("events", "retry", "not-an-id")
			if code != 1 || !strings.Contains(stderr, "not an event ID") {
				t.Errorf("retry of a malformed ID: exit %d, stderr %q", code, stderr)
			}

			d.posters.failing.Store(false)
			code, out, stderr := d.run("events", "retry", eventID)
			if code != 0 || !strings.Contains(out, "requeued event "+eventID) {
				t.Fatalf("events retry %s: exit %d, stdout %q, stderr %q", eventID, code, out, stderr)
			}
			waitForPoster(t, base, movieID, "/"+film+".png", p)
			if code, out, _ := d.run("events", "list", "--dead"); code != 0 || strings.TrimSpace(out) != "no dead events" {
				t.Errorf("after the retry: exit %d, listing %q", code, out)
			}
			p.stop(syscall.SIGTERM)
		})
	}
}

// TestWorkerRefusesTheChannelBus: the worker delivers the outbox only.
func TestWorkerRefusesTheChannelBus(t *testing.T) {
	t.Parallel()
	code, _, stderr := run(t, t.TempDir(), []string{"EVENT_BUS=channel"}, "", "worker")
	if code != 2 || !strings.Contains(stderr, "EVENT_BUS") {
		t.Errorf("worker with EVENT_BUS=channel: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, t.TempDir(), []string{"EVENT_BUS=kafka"}, "", "serve")
	if code != 2 || !strings.Contains(stderr, "EVENT_BUS") {
		t.Errorf("EVENT_BUS=kafka: exit %d, stderr %q", code, stderr)
	}
}

// TestWorkerServesMetricsAndHealth: `moviediary worker` with METRICS_ADDR
// serves /healthz and /metrics (its outbox and poster sync counters) there,
// and nothing else; without METRICS_ADDR it listens nowhere.
func TestWorkerServesMetricsAndHealth(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, "sqlite")
	api, base := d.serve("EVENT_DISPATCH=false")
	port := freePort(t)
	ops := fmt.Sprintf("http://127.0.0.1:%d", port)
	w := start(t, d.dir, append(d.env, fmt.Sprintf("METRICS_ADDR=127.0.0.1:%d", port)), "", "worker")
	waitLog(t, w, "moviediary worker running")

	res, err := client.Get(ops + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"ok"`) {
		t.Errorf("GET /healthz = %d %q", res.StatusCode, body)
	}
	token := signIn(t, base)
	movieID := logFilm(t, base, token, "tt0081505")
	waitForPoster(t, base, movieID, "/tt0081505.png", api)
	waitMetric(t, ops, `moviediary_poster_sync_attempts_total{result="success"} 1`)
	waitMetric(t, ops, `moviediary_outbox_pending 0`)
	res, err = client.Get(ops + "/api/diary")
	if err != nil {
		t.Fatalf("GET /api/diary on METRICS_ADDR: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /api/diary on METRICS_ADDR = %d, want 404", res.StatusCode)
	}
	w.stop(syscall.SIGTERM)
	if code, _, errOut := run(t, d.dir, append(d.env, "METRICS_ADDR=localhost"), "", "worker"); code != 2 || !strings.Contains(errOut, "METRICS_ADDR") {
		t.Errorf("worker with METRICS_ADDR=localhost = %d, %q, want 2 naming METRICS_ADDR", code, errOut)
	}
	api.stop(syscall.SIGTERM)
}
