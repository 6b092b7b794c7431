package nats_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/adapters/nats"
	"github.com/moviediary/moviediary/domain"
	natsgo "github.com/nats-io/nats.go"
)

// TestDelivery runs the delivery suite against a server started inside the
// test process.
func TestDelivery(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	deliverySuite(t, s.url())
}

// TestDeliveryMachineServer runs the same suite against the machine's NATS
// server when one answers at 127.0.0.1:4222 with JetStream; each test uses
// a stream of its own and deletes it.
func TestDeliveryMachineServer(t *testing.T) {
	t.Parallel()
	if up, why := machineServerUp(); !up {
		t.Skipf("no NATS server with JetStream at %s (%s); the in-process server covers the suite", machineURL, why)
	}
	deliverySuite(t, machineURL)
}

// errRetryable is a failure worth retrying.
var errRetryable = fmt.Errorf("poster host: %w", domain.ErrUnavailable)

func deliverySuite(t *testing.T, url string) {
	t.Run("delivered once to all handlers in order and acked", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 20*time.Millisecond, 4)
		var logs syncBuffer
		logger := slog.New(slog.NewJSONHandler(&logs, nil))
		b := connect(t, cfg, nats.WithLogger(logger))
		var order []string
		orderCh := make(chan string, 16)
		first := newRecorder("first", func(int, domain.Event) error { orderCh <- "first"; return nil })
		second := newRecorder("second", func(int, domain.Event) error { orderCh <- "second"; return nil })
		hook, settled := settledHook()
		consume(t, b, handlers(first, second), hook)

		e := sampleEvents(t, 2)[1] // a review_logged
		deliver(t, b.Sink(), e)
		got := first.waitCalls(t, 1)[0].event
		second.waitCalls(t, 1)
		if s := waitSettled(t, settled); s.outcome != delivery.OutcomeSuccess || s.attempt != 1 || s.event != e.EventName() {
			t.Fatalf("settled %+v, want %s acked on attempt 1", s, e.EventName())
		}
		order = append(order, <-orderCh, <-orderCh)
		if order[0] != "first" || order[1] != "second" {
			t.Errorf("handler order %v, want [first second]", order)
		}
		if got.EventID() != e.EventID() || got.MovieID() != e.MovieID() {
			t.Errorf("handled %v about %v, want %v about %v", got.EventID(), got.MovieID(), e.EventID(), e.MovieID())
		}
		info := waitIdle(t, cfg)
		if info.AckFloor.Stream != 1 || info.Delivered.Consumer != 1 {
			t.Errorf("consumer ack floor %d after %d deliveries, want the 1 message acked after 1 delivery", info.AckFloor.Stream, info.Delivered.Consumer)
		}
		if first.count() != 1 || second.count() != 1 {
			t.Errorf("handler calls %d and %d, want 1 each", first.count(), second.count())
		}
		// The event's log line carries the EventWorker's top-level fields.
		var line map[string]any
		for l := range strings.SplitSeq(logs.String(), "\n") {
			if strings.Contains(l, `"msg":"event"`) {
				if err := json.Unmarshal([]byte(l), &line); err != nil {
					t.Fatal(err)
				}
			}
		}
		rl := e.(domain.ReviewLogged)
		want := map[string]any{"event": "review_logged", "event_id": e.EventID().String(), "movie_id": e.MovieID().String(), "review_id": rl.ReviewID.String(), "attempt": 1.0}
		for k, v := range want {
			if line[k] != v {
				t.Errorf("event log line %s = %v, want %v (line %v)", k, line[k], v, line)
			}
		}
	})

	t.Run("fail, fail, succeed: three deliveries about base then 2·base apart", func(t *testing.T) {
		t.Parallel()
		const base = 20 * time.Millisecond
		cfg := testConfig(t, url, base, 4)
		b := connect(t, cfg)
		h := newRecorder("flaky", func(n int, _ domain.Event) error {
			if n <= 2 {
				return errRetryable
			}
			return nil
		})
		hook, settled := settledHook()
		dead := subscribeDead(t, cfg)
		consume(t, b, handlers(h), hook)
		e := sampleEvents(t, 1)[0]
		deliver(t, b.Sink(), e)
		calls := h.waitCalls(t, 3)
		for i, want := range []delivery.Outcome{delivery.OutcomeRetry, delivery.OutcomeRetry, delivery.OutcomeSuccess} {
			if s := waitSettled(t, settled); s.attempt != i+1 || s.outcome != want {
				t.Fatalf("delivery %d settled %+v, want attempt %d %s", i+1, s, i+1, want)
			}
		}
		waitIdle(t, cfg)
		if h.count() != 3 {
			t.Errorf("%d calls, want 3", h.count())
		}
		for i, c := range calls {
			if c.event.EventID() != e.EventID() {
				t.Errorf("call %d got event %v, want %v", i+1, c.event.EventID(), e.EventID())
			}
		}
		if m, err := dead.NextMsg(50 * time.Millisecond); err == nil {
			t.Errorf("unexpected dead advisory %s", m.Data)
		}
		// Timings are reported, never asserted.
		t.Logf("gaps between deliveries: %v, %v (backoff %v)", calls[1].at.Sub(calls[0].at), calls[2].at.Sub(calls[1].at), cfg.Retry)
	})

	t.Run("always failing: MaxDeliver deliveries then a dead advisory", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 20*time.Millisecond, 3)
		b := connect(t, cfg)
		h := newRecorder("broken", func(int, domain.Event) error { return errRetryable })
		hook, settled := settledHook()
		dead := subscribeDead(t, cfg)
		consume(t, b, handlers(h), hook)
		e := sampleEvents(t, 1)[0]
		deliver(t, b.Sink(), e)
		adv := nextAdvisory(t, dead)
		if adv.Event != string(e.EventName()) || adv.EventID != e.EventID().String() || adv.MovieID != e.MovieID().String() ||
			adv.Attempts != 3 || !strings.Contains(adv.Error, errRetryable.Error()) || !strings.Contains(adv.Error, "broken") {
			t.Errorf("advisory %+v, want %s %v about %v after 3 attempts with %q from broken", adv, e.EventName(), e.EventID(), e.MovieID(), errRetryable)
		}
		if _, err := domain.UnmarshalEvent(domain.EventName(adv.Event), adv.Payload); err != nil {
			t.Errorf("advisory payload does not decode: %v", err)
		}
		for i, want := range []delivery.Outcome{delivery.OutcomeRetry, delivery.OutcomeRetry, delivery.OutcomeDead} {
			if s := waitSettled(t, settled); s.attempt != i+1 || s.outcome != want {
				t.Fatalf("delivery %d settled %+v, want attempt %d %s", i+1, s, i+1, want)
			}
		}
		waitIdle(t, cfg)
		if h.count() != 3 {
			t.Errorf("%d calls, want 3", h.count())
		}
	})

	t.Run("permanent failure: one delivery then a dead advisory", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 20*time.Millisecond, 4)
		b := connect(t, cfg)
		perm := fmt.Errorf("poster is not an image: %w", domain.ErrPermanent)
		ok := newRecorder("ok", nil)
		h := newRecorder("strict", func(int, domain.Event) error { return perm })
		hook, settled := settledHook()
		dead := subscribeDead(t, cfg)
		consume(t, b, handlers(ok, h), hook)
		e := sampleEvents(t, 1)[0]
		deliver(t, b.Sink(), e)
		adv := nextAdvisory(t, dead)
		if adv.EventID != e.EventID().String() || adv.Attempts != 1 || !strings.Contains(adv.Error, perm.Error()) {
			t.Errorf("advisory %+v, want %v after 1 attempt with %q", adv, e.EventID(), perm)
		}
		if s := waitSettled(t, settled); s.outcome != delivery.OutcomeDead || s.attempt != 1 {
			t.Errorf("settled %+v, want dead on attempt 1", s)
		}
		waitIdle(t, cfg)
		if h.count() != 1 || ok.count() != 1 {
			t.Errorf("calls %d and %d, want 1 each", ok.count(), h.count())
		}
	})

	t.Run("a panicking handler is recovered and retried", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 20*time.Millisecond, 2)
		b := connect(t, cfg)
		h := delivery.HandlerFunc("panicky", func(context.Context, domain.Event) error { panic("boom") })
		var handled []error
		hook, settled := settledHook()
		dead := subscribeDead(t, cfg)
		handledCh := make(chan error, 8)
		consume(t, b, handlers(h), hook, nats.WithHandledHook(func(_ domain.EventName, _ string, err error) { handledCh <- err }))
		deliver(t, b.Sink(), sampleEvents(t, 1)[0])
		adv := nextAdvisory(t, dead)
		if adv.Attempts != 2 || !strings.Contains(adv.Error, "boom") {
			t.Errorf("advisory %+v, want 2 attempts with the panic", adv)
		}
		for range 2 {
			waitSettled(t, settled)
			handled = append(handled, <-handledCh)
		}
		for _, err := range handled {
			var pe *delivery.PanicError
			if !errors.As(err, &pe) || pe.Handler != "panicky" {
				t.Errorf("handled hook got %v, want a PanicError of panicky", err)
			}
		}
	})

	t.Run("the same event published twice is handled once", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 20*time.Millisecond, 4)
		b := connect(t, cfg)
		h := newRecorder("once", nil)
		consume(t, b, handlers(h), nats.WithConcurrency(1))
		events := sampleEvents(t, 2)
		deliver(t, b.Sink(), events[0])
		deliver(t, b.Sink(), events[0]) // an outbox redelivery
		deliver(t, b.Sink(), events[1]) // a marker behind it
		calls := h.waitCalls(t, 2)
		if calls[0].event.EventID() != events[0].EventID() || calls[1].event.EventID() != events[1].EventID() {
			t.Errorf("handled %v then %v, want %v then %v", calls[0].event.EventID(), calls[1].event.EventID(), events[0].EventID(), events[1].EventID())
		}
		info := waitIdle(t, cfg)
		if info.Delivered.Stream != 2 {
			t.Errorf("stream holds %d events, want 2", info.Delivered.Stream)
		}
		if h.count() != 2 {
			t.Errorf("%d calls, want 2", h.count())
		}
	})

	t.Run("a hanging handler does not delay another event", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, time.Second, 4)
		b := connect(t, cfg)
		events := sampleEvents(t, 2)
		release := make(chan struct{})
		h := newRecorder("poster", func(_ int, e domain.Event) error {
			if e.EventID() == events[0].EventID() {
				<-release // a poster host that does not answer
			}
			return nil
		})
		hook, settled := settledHook()
		consume(t, b, handlers(h), hook, nats.WithConcurrency(2))
		deliver(t, b.Sink(), events[0])
		if c := h.waitCalls(t, 1)[0]; c.event.EventID() != events[0].EventID() {
			t.Fatalf("first call got %v, want the hanging event", c.event.EventID())
		}
		deliver(t, b.Sink(), events[1])
		if c := h.waitCalls(t, 1)[0]; c.event.EventID() != events[1].EventID() {
			t.Fatalf("second call got %v, want the other event", c.event.EventID())
		}
		if s := waitSettled(t, settled); s.outcome != delivery.OutcomeSuccess || s.event != events[1].EventName() {
			t.Fatalf("settled %+v while the first event hangs, want the second acked", s)
		}
		close(release)
		if s := waitSettled(t, settled); s.outcome != delivery.OutcomeSuccess || s.event != events[0].EventName() {
			t.Fatalf("settled %+v, want the released event acked", s)
		}
		waitIdle(t, cfg)
		if h.count() != 2 {
			t.Errorf("%d calls, want 2 (the hanging one must not be redelivered while it runs)", h.count())
		}
	})

	t.Run("a message that does not decode is given up at once", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 20*time.Millisecond, 4)
		b := connect(t, cfg)
		h := newRecorder("never", nil)
		hook, settled := settledHook()
		dead := subscribeDead(t, cfg)
		consume(t, b, handlers(h), hook)
		nc, err := natsgo.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		if _, err := js.Publish(t.Context(), cfg.SubjectPrefix+".review_logged", []byte(`{"event_id":"nope"}`), jetstream.WithMsgID("bad-1")); err != nil {
			t.Fatal(err)
		}
		adv := nextAdvisory(t, dead)
		if adv.Event != "review_logged" || adv.EventID != "bad-1" || adv.Attempts != 1 || adv.Error == "" {
			t.Errorf("advisory %+v, want review_logged bad-1 after 1 attempt with the decode error", adv)
		}
		if s := waitSettled(t, settled); s.outcome != delivery.OutcomeDead {
			t.Errorf("settled %+v, want dead", s)
		}
		waitIdle(t, cfg)
		if h.count() != 0 {
			t.Errorf("handler called %d times for an undecodable message", h.count())
		}
	})

	t.Run("two consumers share the durable consumer: each event handled once", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 20*time.Millisecond, 4)
		b1, b2 := connect(t, cfg), connect(t, cfg)
		h1, h2 := newRecorder("one", nil), newRecorder("two", nil)
		consume(t, b1, handlers(h1))
		consume(t, b2, handlers(h2))
		events := sampleEvents(t, 40)
		for _, e := range events {
			deliver(t, b1.Sink(), e)
		}
		deadline := time.Now().Add(waitTimeout)
		for h1.count()+h2.count() < len(events) {
			if time.Now().After(deadline) {
				t.Fatalf("%d handler calls for %d events", h1.count()+h2.count(), len(events))
			}
			time.Sleep(10 * time.Millisecond) // polling interval
		}
		waitIdle(t, cfg)
		seen := map[domain.EventID]int{}
		for _, r := range []*recorder{h1, h2} {
			r.mu.Lock()
			for _, c := range r.calls {
				seen[c.event.EventID()]++
			}
			r.mu.Unlock()
		}
		for _, e := range events {
			if seen[e.EventID()] != 1 {
				t.Errorf("event %v handled %d times, want 1", e.EventID(), seen[e.EventID()])
			}
		}
		t.Logf("split between consumers: %d and %d", h1.count(), h2.count())
	})
}
