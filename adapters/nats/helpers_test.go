package nats_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/adapters/nats"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// machineURL is the NATS server the machine may run; the suite also runs
// against it when it answers with JetStream enabled.
const machineURL = "nats://127.0.0.1:4222"

// waitTimeout guards every wait in the tests against a hang; it is never a
// synchronisation sleep.
const waitTimeout = 15 * time.Second

// natsServer is a NATS server with JetStream running inside the test
// process, storing in a temporary directory.
type natsServer struct {
	t    testing.TB
	dir  string
	port int
	srv  *server.Server
}

// startServer starts an in-process server on a random port.
func startServer(t testing.TB) *natsServer {
	t.Helper()
	s := &natsServer{t: t, dir: t.TempDir(), port: -1}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// start (re)starts the server on its port with its store.
func (s *natsServer) start() {
	s.t.Helper()
	opts := &server.Options{
		ServerName: "moviediary-test",
		Host:       "127.0.0.1",
		Port:       s.port,
		JetStream:  true,
		StoreDir:   s.dir,
		NoLog:      true,
		NoSigs:     true,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		s.t.Fatalf("nats server: %v", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		s.t.Fatal("nats server not ready within 10s")
	}
	s.srv = srv
	s.port = srv.Addr().(*net.TCPAddr).Port
}

// stop shuts the server down and waits for it.
func (s *natsServer) stop() {
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		s.srv = nil
	}
}

func (s *natsServer) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.port) }

// machineServerUp reports whether the machine's server answers with
// JetStream, and why not.
func machineServerUp() (bool, string) {
	nc, err := natsgo.Connect(machineURL, natsgo.Timeout(time.Second), natsgo.MaxReconnects(0))
	if err != nil {
		return false, err.Error()
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return false, err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		return false, "JetStream: " + err.Error()
	}
	return true, ""
}

var seq atomic.Int64

// testConfig returns a configuration with names of its own on url, and
// deletes its stream at cleanup.
func testConfig(t testing.TB, url string, base time.Duration, maxDeliver int) nats.Config {
	t.Helper()
	n := seq.Add(1)
	tag := fmt.Sprintf("t%d_%d", time.Now().UnixNano()%1_000_000_000, n)
	cfg := nats.Config{
		URL:            url,
		Stream:         "MDTEST_" + tag,
		SubjectPrefix:  "mdtest." + tag,
		Durable:        "handlers",
		DeadSubject:    "mdtest." + tag + ".dead",
		Retry:          delivery.RetryPolicy{MaxAttempts: maxDeliver, BaseDelay: base},
		PublishTimeout: 2 * time.Second,
	}
	t.Cleanup(func() {
		nc, err := natsgo.Connect(url, natsgo.Timeout(time.Second), natsgo.MaxReconnects(0))
		if err != nil {
			return // the server is gone with its store
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = js.DeleteStream(ctx, cfg.Stream)
	})
	return cfg
}

// connect makes a bus closed at cleanup. Under the race detector with the
// whole workspace's tests running, the in-process server has been seen to
// fail creating a stream's file store once (JetStream API error 10049);
// like the binary, which retries Connect until it succeeds, the helper
// tries again, at most three times.
func connect(t testing.TB, cfg nats.Config, opts ...nats.Option) *nats.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	opts = append([]nats.Option{nats.WithLogger(discardLogger())}, opts...)
	b, err := nats.Connect(ctx, cfg, opts...)
	for try := 1; err != nil && try < 3 && strings.Contains(err.Error(), "err_code=10049"); try++ {
		t.Logf("Connect: %v; trying again", err)
		time.Sleep(100 * time.Millisecond)
		b, err = nats.Connect(ctx, cfg, opts...)
	}
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

// consume runs b.Consume until cleanup, then waits for it to return.
func consume(t testing.TB, b *nats.Bus, handlers []delivery.Handler, opts ...nats.ConsumeOption) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Consume(ctx, handlers, opts...) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Consume: %v", err)
			}
		case <-time.After(waitTimeout):
			t.Error("Consume did not return after its context was cancelled")
		}
	})
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// call is one handler invocation.
type call struct {
	event domain.Event
	at    time.Time
}

// recorder is a handler that records its calls, signals each on got, and
// returns what fail says for the call's number (1-based).
type recorder struct {
	name string
	fail func(n int, e domain.Event) error
	got  chan call

	mu    sync.Mutex
	calls []call
}

func newRecorder(name string, fail func(n int, e domain.Event) error) *recorder {
	return &recorder{name: name, fail: fail, got: make(chan call, 1024)}
}

func (r *recorder) Name() string { return r.name }

func (r *recorder) Handle(_ context.Context, e domain.Event) error {
	c := call{event: e, at: time.Now()}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	n := len(r.calls)
	r.mu.Unlock()
	r.got <- c
	if r.fail != nil {
		return r.fail(n, e)
	}
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// waitCalls receives n calls or fails the test.
func (r *recorder) waitCalls(t *testing.T, n int) []call {
	t.Helper()
	out := make([]call, 0, n)
	timeout := time.After(waitTimeout)
	for len(out) < n {
		select {
		case c := <-r.got:
			out = append(out, c)
		case <-timeout:
			t.Fatalf("%s: %d calls, want %d", r.name, len(out), n)
		}
	}
	return out
}

// settlement is one delivery's outcome.
type settlement struct {
	event   domain.EventName
	attempt int
	outcome delivery.Outcome
	reason  delivery.Reason
}

// settledHook returns a WithAttemptHook option and the channel it feeds.
func settledHook() (nats.ConsumeOption, <-chan settlement) {
	ch := make(chan settlement, 1024)
	return nats.WithAttemptHook(func(a delivery.Attempt) {
		var name domain.EventName
		if a.Event != nil {
			name = a.Event.EventName()
		}
		ch <- settlement{name, a.Number, a.Outcome, a.Reason}
	}), ch
}

func waitSettled(t *testing.T, ch <-chan settlement) settlement {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(waitTimeout):
		t.Fatal("no delivery was settled in time")
	}
	return settlement{}
}

// subscribeDead subscribes to cfg's dead subject on a connection of its
// own.
func subscribeDead(t *testing.T, cfg nats.Config) *natsgo.Subscription {
	t.Helper()
	nc, err := natsgo.Connect(cfg.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	sub, err := nc.SubscribeSync(cfg.DeadSubject)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return sub
}

func nextAdvisory(t *testing.T, sub *natsgo.Subscription) nats.DeadAdvisory {
	t.Helper()
	m, err := sub.NextMsg(waitTimeout)
	if err != nil {
		t.Fatalf("no dead advisory: %v", err)
	}
	var adv nats.DeadAdvisory
	if err := json.Unmarshal(m.Data, &adv); err != nil {
		t.Fatalf("dead advisory %q: %v", m.Data, err)
	}
	return adv
}

// consumerInfo reads the durable consumer's state.
func consumerInfo(t *testing.T, cfg nats.Config) *jetstream.ConsumerInfo {
	t.Helper()
	nc, err := natsgo.Connect(cfg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := js.Consumer(t.Context(), cfg.Stream, cfg.Durable)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// waitIdle polls the consumer until nothing is pending or awaiting an
// acknowledgement, and returns its state.
func waitIdle(t *testing.T, cfg nats.Config) *jetstream.ConsumerInfo {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		info := consumerInfo(t, cfg)
		if info.NumAckPending == 0 && info.NumPending == 0 {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer not idle: %d pending, %d awaiting ack", info.NumPending, info.NumAckPending)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}

func sampleEvents(t *testing.T, n int) []domain.Event { return porttest.SampleEvents(t, n) }

func deliver(t *testing.T, s *nats.Sink, e domain.Event) {
	t.Helper()
	if err := s.Deliver(t.Context(), e, 1); err != nil {
		t.Fatalf("Deliver(%s %v): %v", e.EventName(), e.EventID(), err)
	}
}

func handlers(hs ...delivery.Handler) []delivery.Handler { return hs }
