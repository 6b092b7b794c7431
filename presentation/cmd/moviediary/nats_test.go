package main_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The tests in this file prove EVENT_BUS=nats on the real binary against a
// real NATS server with JetStream, started inside the test process: events
// are stored in the outbox with the review, relayed to the stream and
// consumed from it, and none is lost when the server is killed or NATS is
// down.

// natsServer is a NATS server with JetStream running in the test process,
// storing in a temporary directory; it can be stopped and started again on
// the same port with the same store.
type natsServer struct {
	t    *testing.T
	dir  string
	port int
	mu   sync.Mutex
	srv  *server.Server
}

// newNATSServer prepares a server on a free port without starting it.
func newNATSServer(t *testing.T) *natsServer {
	t.Helper()
	s := &natsServer{t: t, dir: t.TempDir(), port: freePort(t)}
	t.Cleanup(s.stop)
	return s
}

// startNATS starts a server for the test.
func startNATS(t *testing.T) *natsServer {
	t.Helper()
	s := newNATSServer(t)
	s.start()
	return s
}

// url is what NATS_URL names.
func (s *natsServer) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.port) }

// start (re)starts the server on its port with its store.
func (s *natsServer) start() {
	s.t.Helper()
	srv, err := server.NewServer(&server.Options{
		ServerName: "moviediary-test",
		Host:       "127.0.0.1",
		Port:       s.port,
		JetStream:  true,
		StoreDir:   s.dir,
		NoLog:      true,
		NoSigs:     true,
	})
	if err != nil {
		s.t.Fatalf("nats server: %v", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		s.t.Fatal("nats server not ready within 10s")
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
}

// stop shuts the server down and waits until it is gone.
func (s *natsServer) stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// streamMessages counts the messages of the events stream on subjects
// under the default prefix, by subject.
func (s *natsServer) streamMessages(t *testing.T) map[string]uint64 {
	t.Helper()
	nc, err := natsgo.Connect(s.url())
	if err != nil {
		t.Fatalf("connect to nats: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, "MOVIEDIARY_EVENTS")
	if err != nil {
		t.Fatalf("stream MOVIEDIARY_EVENTS: %v", err)
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter("moviediary.events.>"))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects
}

// natsDeployment is a deployment with EVENT_BUS=nats on SQLite.
func natsDeployment(t *testing.T, ns *natsServer, extra ...string) *deployment {
	t.Helper()
	return newDeployment(t, "sqlite", append([]string{
		"EVENT_BUS=nats",
		"NATS_URL=" + ns.url(),
		"POSTER_SYNC_BASE_DELAY=20ms",
	}, extra...)...)
}

// eventAttempts returns the delivery numbers the consumer logged for
// movie_discovered events, in log order.
func eventAttempts(logs string) []string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `"msg":"event"`) && strings.Contains(l, `"event":"movie_discovered"`) {
			i := strings.Index(l, `"attempt":`)
			if i < 0 {
				out = append(out, "?")
				continue
			}
			rest := l[i+len(`"attempt":`):]
			out = append(out, rest[:strings.IndexAny(rest, ",}")])
		}
	}
	return out
}

// discoveredIDs returns the IDs of the movie_discovered events the
// consumer logged, in log order.
func discoveredIDs(logs string) []string {
	var out []string
	for _, l := range eventLines(logs) {
		if l.Event == "movie_discovered" {
			out = append(out, l.EventID)
		}
	}
	return out
}

// TestNATSLogFilmStoresPoster: the whole flow with EVENT_BUS=nats — the
// 201, the relay to JetStream, the consumer, the poster stored — with the
// events visibly in the stream.
func TestNATSLogFilmStoresPoster(t *testing.T) {
	t.Parallel()
	ns := startNATS(t)
	d := natsDeployment(t, ns)
	p, base := d.serve()
	token := signIn(t, base)
	const film = "tt0133093"
	movieID := logFilm(t, base, token, film)
	waitForPoster(t, base, movieID, "/"+film+".png", p)
	if n := d.posters.requests("/" + film + ".png"); n != 1 {
		t.Errorf("poster requests = %d, want 1", n)
	}
	subjects := ns.streamMessages(t)
	for _, subject := range []string{"moviediary.events.movie_discovered", "moviediary.events.review_logged"} {
		if subjects[subject] != 1 {
			t.Errorf("stream holds %d messages on %s, want 1 (all: %v)", subjects[subject], subject, subjects)
		}
	}
	logs := p.stderr.String()
	for _, want := range []string{"connected to nats", "nats consumer started"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if got := eventAttempts(logs); strings.Join(got, " ") != "1" {
		t.Errorf("movie_discovered deliveries logged = %v, want [1]", got)
	}
	if code, out, stderr := d.run("events", "list", "--dead"); code != 0 || strings.TrimSpace(out) != "no dead events" {
		t.Errorf("events list --dead: exit %d, %q %s", code, out, stderr)
	}
	p.stop(syscall.SIGTERM)
}

// TestNATSWorkerRelaysAndConsumes: a serve that only stores events and a
// `moviediary worker` that relays them to NATS and consumes them.
func TestNATSWorkerRelaysAndConsumes(t *testing.T) {
	t.Parallel()
	ns := startNATS(t)
	d := natsDeployment(t, ns)
	api, base := d.serve("EVENT_DISPATCH=false")
	w := start(t, d.dir, d.env, "", "worker")
	waitLog(t, w, "nats consumer started")
	token := signIn(t, base)
	const film = "tt0062622"
	movieID := logFilm(t, base, token, film)
	waitForPoster(t, base, movieID, "/"+film+".png", w)
	w.stop(syscall.SIGTERM)
	if got := eventAttempts(w.stderr.String()); len(got) != 1 {
		t.Errorf("the worker logged %d movie_discovered deliveries, want 1", len(got))
	}
	if strings.Contains(api.stderr.String(), "connected to nats") {
		t.Error("serve with EVENT_DISPATCH=false connected to NATS")
	}
	api.stop(syscall.SIGTERM)
}

// flakyPosters fails the first failures requests per path with a 500, then
// serves the PNG; it counts requests per path.
type flakyPosters struct {
	failures int
	mu       sync.Mutex
	hits     map[string]int
}

func (f *flakyPosters) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits[r.URL.Path]++
	n := f.hits[r.URL.Path]
	f.mu.Unlock()
	if n <= f.failures {
		http.Error(w, "poster host broken", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(pngFor(r.URL.Path))
}

func (f *flakyPosters) requests(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

// TestNATSRetriesThroughRedelivery: a poster host that fails twice, then
// serves: the consumer's redeliveries (up to 1 + POSTER_SYNC_MAX_RETRIES
// deliveries) store the poster at the third delivery, one poster request
// per delivery.
func TestNATSRetriesThroughRedelivery(t *testing.T) {
	t.Parallel()
	ns := startNATS(t)
	flaky := &flakyPosters{failures: 2, hits: map[string]int{}}
	posterHost := httptest.NewServer(flaky)
	t.Cleanup(posterHost.Close)
	omdb := omdbFake(t, func() string { return posterHost.URL })
	d := natsDeployment(t, ns)
	p, base := d.serve("OMDB_BASE_URL=" + omdb.URL + "/")
	token := signIn(t, base)
	const film = "tt0078748"
	movieID := logFilm(t, base, token, film)
	waitForPoster(t, base, movieID, "/"+film+".png", p)
	if n := flaky.requests("/" + film + ".png"); n != 3 {
		t.Errorf("poster requests = %d, want 3 (two failures, then success)", n)
	}
	logs := p.stderr.String()
	if got := strings.Join(eventAttempts(logs), " "); got != "1 2 3" {
		t.Errorf("movie_discovered deliveries logged = %q, want \"1 2 3\"", got)
	}
	redelivered := 0
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "event delivery failed, retrying") && strings.Contains(line, `"event":"movie_discovered"`) {
			redelivered++
		}
	}
	if n := redelivered; n != 2 {
		t.Errorf("%d redeliveries logged, want 2; log:\n%s", n, logs)
	}
	waitMetric(t, base, `moviediary_poster_sync_attempts_total{result="success"} 1`)
	waitMetric(t, base, `moviediary_poster_sync_attempts_total{result="retry"} 2`)
	p.stop(syscall.SIGTERM)
}

// waitMetric polls base's /metrics until it has the line want.
func waitMetric(t *testing.T, base, want string) {
	t.Helper()
	deadline := time.Now().Add(eventDeadline)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var body string
	for {
		res, err := client.Get(base + "/metrics")
		if err != nil {
			t.Fatalf("GET /metrics: %v", err)
		}
		b, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		body = string(b)
		if slices.Contains(strings.Split(body, "\n"), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %q after %v:\n%s", want, eventDeadline, body)
		}
		<-tick.C
	}
}

// TestNATSDeadEventAdvised: a poster host that always fails: after 1 +
// POSTER_SYNC_MAX_RETRIES deliveries the event is given up, a dead
// advisory is stored on <prefix>.dead and the dead metric counts it.
func TestNATSDeadEventAdvised(t *testing.T) {
	t.Parallel()
	ns := startNATS(t)
	d := natsDeployment(t, ns, "POSTER_SYNC_MAX_RETRIES=1")
	d.posters.failing.Store(true)
	p, base := d.serve()
	token := signIn(t, base)
	const film = "tt0211915"
	logFilm(t, base, token, film)
	waitMetric(t, base, `moviediary_events_dead_total{event="movie_discovered"} 1`)
	waitMetric(t, base, `moviediary_poster_sync_attempts_total{result="failure"} 1`)
	if n := d.posters.requests("/" + film + ".png"); n != 2 {
		t.Errorf("poster requests = %d, want 2 (1 + POSTER_SYNC_MAX_RETRIES)", n)
	}
	if subjects := ns.streamMessages(t); subjects["moviediary.events.dead"] != 1 {
		t.Errorf("stream subjects = %v, want one dead advisory", subjects)
	}

	// The dead event is listed by the events command, and retrying it once
	// the host works again stores the poster.
	ids := slices.Compact(discoveredIDs(p.stderr.String()))
	if len(ids) != 1 {
		t.Fatalf("movie_discovered events logged: %v, want one", ids)
	}
	code, out, errOut := d.run("events", "list", "--dead")
	if code != 0 || !strings.Contains(out, ids[0]) || !strings.Contains(out, "movie_discovered") || !strings.Contains(out, "status 500") {
		t.Fatalf("events list --dead = %d, %q (stderr %q), want the dead movie_discovered %s", code, out, errOut, ids[0])
	}
	d.posters.failing.Store(false)
	if code, out, errOut := d.run("events", "retry", ids[0]); code != 0 || !strings.Contains(out, "requeued event "+ids[0]) {
		t.Fatalf("events retry = %d, %q (stderr %q)", code, out, errOut)
	}
	waitMetric(t, base, `moviediary_poster_sync_attempts_total{result="success"} 1`)
	if code, out, _ := d.run("events", "list", "--dead"); code != 0 || !strings.Contains(out, "no dead events") {
		t.Errorf("events list --dead after the retry = %d, %q, want none", code, out)
	}
	if code, _, errOut := d.run("events", "retry", ids[0]); code != 1 || !strings.Contains(errOut, "no dead event") {
		t.Errorf("a second events retry = %d, %q, want 1 and no dead event", code, errOut)
	}
	p.stop(syscall.SIGTERM)
}

// TestNATSKilledServerLosesNoPosterSync: SIGKILL right after the 201 while
// the poster host is slow — at once, or once the download is in flight
// (the message delivered and unacknowledged) — then a restart: the poster
// is stored.
func TestNATSKilledServerLosesNoPosterSync(t *testing.T) {
	t.Parallel()
	for _, when := range []string{"right after 201", "mid download"} {
		t.Run(strings.ReplaceAll(when, " ", "_"), func(t *testing.T) {
			t.Parallel()
			ns := startNATS(t)
			d := natsDeployment(t, ns)
			d.posters.blockAll()
			p, base := d.serve()
			token := signIn(t, base)
			const film = "tt0114369"
			movieID := logFilm(t, base, token, film)
			if when == "mid download" {
				select {
				case <-d.posters.inFlight:
				case <-time.After(eventDeadline):
					t.Fatalf("the poster host saw no request; log:\n%s", p.stderr.String())
				}
			}
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			p.wait(10 * time.Second)
			d.posters.unblock()

			restarted := time.Now()
			p2, base2 := d.serve()
			waitForPoster(t, base2, movieID, "/"+film+".png", p2)
			if when == "mid download" {
				// The restart's backfill may have healed the film first;
				// JetStream must still redeliver the message the killed
				// process never acknowledged, once its AckWait (the
				// default EVENT_LEASE, 6s after the last in-progress ack)
				// ran out: within 10s of the restart.
				ids := discoveredIDs(p.stderr.String())
				if len(ids) != 1 {
					t.Fatalf("the killed server logged movie_discovered events %v, want one", ids)
				}
				waitLog(t, p2, `"event_id":"`+ids[0]+`","movie_id":"`+movieID+`","attempt":2`)
				took := time.Since(restarted)
				t.Logf("redelivered %v after the restart", took.Round(time.Millisecond))
				if took > 10*time.Second {
					t.Errorf("the killed process's delivery came back %v after the restart, want within 10s", took)
				}
			}
			p2.stop(syscall.SIGTERM)
		})
	}
}

// TestNATSDownAtThe201: NATS stops before a film is logged; the 201 still
// comes (the event is in the outbox), the relay retries, and once NATS is
// back on the same port and store the poster is stored.
func TestNATSDownAtThe201(t *testing.T) {
	t.Parallel()
	ns := startNATS(t)
	d := natsDeployment(t, ns)
	p, base := d.serve()
	waitLog(t, p, "nats consumer started")
	token := signIn(t, base)
	ns.stop()

	const film = "tt0047478"
	movieID := logFilm(t, base, token, film)
	waitLog(t, p, "event delivery failed, retrying")
	if n := d.posters.requests("/" + film + ".png"); n != 0 {
		t.Fatalf("poster requested %d times while NATS was down", n)
	}
	ns.start()
	waitForPoster(t, base, movieID, "/"+film+".png", p)
	if subjects := ns.streamMessages(t); subjects["moviediary.events.movie_discovered"] != 1 {
		t.Errorf("stream subjects = %v, want one movie_discovered", subjects)
	}
	p.stop(syscall.SIGTERM)
}

// TestNATSUnreachableAtStart: serve starts, and takes reviews, with no
// NATS server at all; it connects once one answers, and the events waiting
// in the outbox are relayed and handled.
func TestNATSUnreachableAtStart(t *testing.T) {
	t.Parallel()
	ns := newNATSServer(t)
	d := natsDeployment(t, ns)
	p, base := d.serve()
	token := signIn(t, base)
	const film = "tt0056172"
	movieID := logFilm(t, base, token, film)
	waitLog(t, p, "cannot reach nats")
	ns.start()
	waitForPoster(t, base, movieID, "/"+film+".png", p)
	waitLog(t, p, "connected to nats")
	p.stop(syscall.SIGTERM)
}

// TestNATSConfigRefused: malformed NATS_* names stop start-up with exit 2.
func TestNATSConfigRefused(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"NATS_STREAM=a.b", "NATS_SUBJECT_PREFIX=events.>", "NATS_DURABLE=x y", "NATS_URL=::"} {
		code, _, stderr := run(t, t.TempDir(), []string{"EVENT_BUS=nats", env}, "", "serve")
		name, _, _ := strings.Cut(env, "=")
		if code != 2 || !strings.Contains(stderr, name) {
			t.Errorf("%s: exit %d, stderr %q; want 2 naming %s", env, code, stderr, name)
		}
	}
}
