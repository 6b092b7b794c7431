package presentation

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// enterAsync starts enter in a goroutine and returns where its result
// arrives.
func enterAsync(g *passwordGate, ctx context.Context, priority bool) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := g.enter(ctx, priority)
		done <- err
	}()
	return done
}

// waitQueued waits until n requests wait at the gate.
func waitQueued(t *testing.T, g *passwordGate, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		g.mu.Lock()
		got := len(g.queue)
		g.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests wait at the gate, want %d", got, n)
		}
		<-tick.C
	}
}

// TestPasswordGateBoundsWorkAndWaiting: at most slots requests work at
// once and at most waiting more wait; one more is refused at once.
func TestPasswordGateBoundsWorkAndWaiting(t *testing.T) {
	t.Parallel()
	g := newPasswordGate(2, 3, time.Hour)
	var releases []func()
	for range 2 {
		release, err := g.enter(t.Context(), false)
		if err != nil {
			t.Fatalf("free slot: %v", err)
		}
		releases = append(releases, release)
	}
	var waiters []<-chan error
	for i := range 3 {
		waiters = append(waiters, enterAsync(g, t.Context(), false))
		waitQueued(t, g, i+1) // one at a time, so the order is known
	}
	if _, err := g.enter(t.Context(), false); !errors.Is(err, errGateBusy) {
		t.Fatalf("with the waiting room full: err = %v, want errGateBusy at once", err)
	}
	// Each release admits the longest waiter.
	for i, w := range waiters {
		releases[0]()
		if err := <-w; err != nil {
			t.Fatalf("waiter %d: %v", i, err)
		}
	}
}

// TestPasswordGateServesKnownClientsFirst: a known client waits behind
// other known clients only, and has a waiting room of its own, so a flood
// of strangers can neither queue ahead of it nor fill its room.
func TestPasswordGateServesKnownClientsFirst(t *testing.T) {
	t.Parallel()
	g := newPasswordGate(1, 2, time.Hour)
	release, err := g.enter(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	strangers := []<-chan error{enterAsync(g, t.Context(), false)}
	waitQueued(t, g, 1)
	strangers = append(strangers, enterAsync(g, t.Context(), false))
	waitQueued(t, g, 2)
	if _, err := g.enter(t.Context(), false); !errors.Is(err, errGateBusy) {
		t.Fatalf("a third stranger: err = %v, want errGateBusy", err)
	}
	known := enterAsync(g, t.Context(), true)
	waitQueued(t, g, 3)
	release()
	select {
	case err := <-known:
		if err != nil {
			t.Fatalf("known client: %v", err)
		}
	case err := <-strangers[0]:
		t.Fatalf("a stranger who came first was served before the known client (err %v)", err)
	}
	g.release()
	if err := <-strangers[0]; err != nil {
		t.Fatal(err)
	}
	g.release()
	if err := <-strangers[1]; err != nil {
		t.Fatal(err)
	}
}

// TestPasswordGateWaitEnds: a waiter gives up after maxWait (errGateBusy)
// or when its context ends, and leaves no trace: the slot it never got
// goes to the next.
func TestPasswordGateWaitEnds(t *testing.T) {
	t.Parallel()
	g := newPasswordGate(1, 4, time.Millisecond)
	release, err := g.enter(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.enter(t.Context(), false); !errors.Is(err, errGateBusy) {
		t.Errorf("after maxWait: err = %v, want errGateBusy", err)
	}
	g.maxWait = time.Hour
	ctx, cancel := context.WithCancel(t.Context())
	w := enterAsync(g, ctx, false)
	waitQueued(t, g, 1)
	cancel()
	if err := <-w; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled waiter: err = %v, want context.Canceled", err)
	}
	waitQueued(t, g, 0)
	release()
	if _, err := g.enter(t.Context(), false); err != nil {
		t.Errorf("after everyone left: %v, want the free slot", err)
	}
}

// TestPasswordWorkRefusesWhenTheGateIsBusy: a login the gate cannot admit
// is a 503 with Retry-After and a sentence saying why; the body was read
// before waiting.
func TestPasswordWorkRefusesWhenTheGateIsBusy(t *testing.T) {
	t.Parallel()
	s := &server{
		now:        time.Now,
		ipv6Prefix: 64,
		gate:       newPasswordGate(0, 0, time.Hour),
		known:      newKnownClients(4, time.Hour),
	}
	req := httptest.NewRequest(http.MethodPost, "/api/auth/login", strings.NewReader(`{"email":"a@example.com"}`))
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(req, rec)
	reached := false
	err := s.passwordWork(func(echo.Context) error { reached = true; return nil })(c)
	p := problemFor(err)
	if reached || p.Status != http.StatusServiceUnavailable || !strings.Contains(p.Detail, "busy") || rec.Header().Get("Retry-After") != "1" {
		t.Errorf("busy gate: reached %v, problem %+v, Retry-After %q; want 503 busy with Retry-After 1", reached, p, rec.Header().Get("Retry-After"))
	}
}

// TestKnownClientsForgetTheOldest: the memory of known clients is bounded
// and forgets after a while.
func TestKnownClientsForgetTheOldest(t *testing.T) {
	t.Parallel()
	k := newKnownClients(2, time.Hour)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	k.add("a", t0)
	k.add("b", t0.Add(time.Minute))
	k.add("c", t0.Add(2*time.Minute))
	if k.has("a", t0.Add(3*time.Minute)) || !k.has("b", t0.Add(3*time.Minute)) || !k.has("c", t0.Add(3*time.Minute)) {
		t.Errorf("after a third client: %v, want a forgotten", k.seen)
	}
	if k.has("c", t0.Add(2*time.Minute+time.Hour)) {
		t.Error("a client is still known after the forget period")
	}
}
