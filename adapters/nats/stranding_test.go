package nats_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/adapters/nats"
	"github.com/moviediary/moviediary/domain"
)

// rawConsumer opens the durable consumer on a connection of its own, as
// another process's client would, closed at cleanup.
func rawConsumer(t *testing.T, cfg nats.Config) jetstream.Consumer {
	t.Helper()
	nc, err := natsgo.Connect(cfg.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := js.Consumer(t.Context(), cfg.Stream, cfg.Durable)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fetchOne fetches the next delivery from c and checks its number.
func fetchOne(t *testing.T, c jetstream.Consumer, wantDelivery uint64) jetstream.Msg {
	t.Helper()
	batch, err := c.Fetch(1, jetstream.FetchMaxWait(waitTimeout))
	if err != nil {
		t.Fatal(err)
	}
	var msg jetstream.Msg
	for m := range batch.Messages() {
		msg = m
	}
	if msg == nil {
		t.Fatalf("no delivery fetched: %v", batch.Error())
	}
	md, err := msg.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if md.NumDelivered != wantDelivery {
		t.Fatalf("fetched delivery %d, want %d", md.NumDelivered, wantDelivery)
	}
	return msg
}

// TestUnsettledLastDelivery: the last permitted delivery goes to a process
// that dies before settling it (the message is fetched on the durable
// consumer and never acknowledged). Once AckWait expires the server hands
// it out again — the durable consumer has no delivery limit — and Consume
// settles it as Config.Retry says: a failure gives it up with an
// advisory, a success acknowledges it. It is never stranded.
func TestUnsettledLastDelivery(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for name, fail := range map[string]bool{"handlers fail: given up with an advisory": true, "handlers succeed: acknowledged": false} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t, s.url(), 20*time.Millisecond, 2)
			cfg.AckWait = time.Second // the smallest Config allows
			b := connect(t, cfg)
			e := sampleEvents(t, 1)[0]
			deliver(t, b.Sink(), e)

			raw := rawConsumer(t, cfg)
			if err := fetchOne(t, raw, 1).Nak(); err != nil { // a failed first delivery
				t.Fatal(err)
			}
			fetchOne(t, raw, 2) // the last permitted one: its process dies, nothing settles it

			h := newRecorder("after-crash", func(int, domain.Event) error {
				if fail {
					return errRetryable
				}
				return nil
			})
			hook, settled := settledHook()
			dead := subscribeDead(t, cfg)
			consume(t, b, handlers(h), hook)

			if c := h.waitCalls(t, 1)[0]; c.event.EventID() != e.EventID() {
				t.Fatalf("handled %v, want %v", c.event.EventID(), e.EventID())
			}
			st := waitSettled(t, settled)
			if fail {
				if st.attempt != 3 || st.outcome != delivery.OutcomeDead || st.reason != delivery.ReasonExhausted {
					t.Errorf("settled %+v, want attempt 3 dead (exhausted)", st)
				}
				adv := nextAdvisory(t, dead)
				if adv.EventID != e.EventID().String() || adv.Attempts != 3 || !strings.Contains(adv.Error, errRetryable.Error()) {
					t.Errorf("advisory %+v, want %v after 3 deliveries with %q", adv, e.EventID(), errRetryable)
				}
			} else {
				if st.attempt != 3 || st.outcome != delivery.OutcomeSuccess {
					t.Errorf("settled %+v, want attempt 3 acknowledged", st)
				}
				if m, err := dead.NextMsg(100 * time.Millisecond); err == nil {
					t.Errorf("unexpected dead advisory %s", m.Data)
				}
			}
			wantFloor := uint64(1)
			if fail {
				wantFloor = 2 // the advisory, stored in the stream and skipped
			}
			// The advisory reaches the stream, and the consumer's skip of
			// it the ack floor, a moment after the settle: poll for the
			// floor rather than take the first idle reading.
			deadline := time.Now().Add(waitTimeout)
			for info := waitIdle(t, cfg); info.AckFloor.Stream != wantFloor; info = waitIdle(t, cfg) {
				if time.Now().After(deadline) {
					t.Fatalf("ack floor %d, want %d: the event settled", info.AckFloor.Stream, wantFloor)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if h.count() != 1 {
				t.Errorf("%d handler calls, want 1", h.count())
			}
		})
	}
}

// TestShutdownInterruptsLastDelivery: a handler still running on the last
// permitted delivery when Consume's drain timeout cancels it is not given
// up: the delivery is Nak'd, reported as an interrupted retry, and another
// consumer receives the event again; no advisory is published. The
// consumer logs that it stopped only after the interrupted delivery was
// settled.
func TestShutdownInterruptsLastDelivery(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	cfg := testConfig(t, s.url(), 20*time.Millisecond, 2)
	var logs syncBuffer
	b1 := connect(t, cfg, nats.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	entered := make(chan int, 4)
	var calls atomic.Int32
	h1 := delivery.HandlerFunc("slow", func(ctx context.Context, _ domain.Event) error {
		n := int(calls.Add(1))
		if n == 1 {
			return errRetryable
		}
		entered <- n
		<-ctx.Done() // a poster host that does not answer before shutdown
		return ctx.Err()
	})
	hook1, settled1 := settledHook()
	dead := subscribeDead(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- b1.Consume(ctx, handlers(h1), hook1, nats.WithDrainTimeout(50*time.Millisecond)) }()

	e := sampleEvents(t, 1)[0]
	deliver(t, b1.Sink(), e)
	if st := waitSettled(t, settled1); st.attempt != 1 || st.outcome != delivery.OutcomeRetry {
		t.Fatalf("settled %+v, want attempt 1 retried", st)
	}
	select {
	case <-entered:
	case <-time.After(waitTimeout):
		t.Fatal("the last permitted delivery never reached the handler")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Consume: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Consume did not return after its drain timeout")
	}
	if st := waitSettled(t, settled1); st.attempt != 2 || st.outcome != delivery.OutcomeRetry || st.reason != delivery.ReasonInterrupted {
		t.Fatalf("settled %+v, want attempt 2 retried as interrupted", st)
	}

	b2 := connect(t, cfg)
	h2 := newRecorder("next-process", nil)
	hook2, settled2 := settledHook()
	consume(t, b2, handlers(h2), hook2)
	if c := h2.waitCalls(t, 1)[0]; c.event.EventID() != e.EventID() {
		t.Fatalf("second consumer handled %v, want %v", c.event.EventID(), e.EventID())
	}
	if st := waitSettled(t, settled2); st.attempt != 3 || st.outcome != delivery.OutcomeSuccess {
		t.Errorf("second consumer settled %+v, want attempt 3 acknowledged", st)
	}
	if m, err := dead.NextMsg(100 * time.Millisecond); err == nil {
		t.Errorf("unexpected dead advisory %s", m.Data)
	}
	if info := waitIdle(t, cfg); info.AckFloor.Stream != 1 {
		t.Errorf("ack floor %d, want the event acknowledged", info.AckFloor.Stream)
	}

	out := logs.String()
	interrupted := strings.Index(out, `"reason":"interrupted"`)
	stopped := strings.Index(out, `"msg":"nats consumer stopped"`)
	switch {
	case interrupted < 0:
		t.Errorf("no interrupted delivery logged:\n%s", out)
	case stopped < interrupted:
		t.Errorf("\"nats consumer stopped\" logged at %d, before the interrupted delivery was settled (%d):\n%s", stopped, interrupted, out)
	}
	if strings.Contains(out, "event delivery gave up") {
		t.Errorf("the interrupted delivery was given up:\n%s", out)
	}
}

// unencodable is an event type the codec does not know.
type unencodable struct{ domain.ReviewLogged }

// TestSinkRefusesUnencodableEvent: an event domain.MarshalEvent refuses is
// a permanent failure of Deliver, so a relay gives it up at once; nothing
// is published.
func TestSinkRefusesUnencodableEvent(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	cfg := testConfig(t, s.url(), 20*time.Millisecond, 4)
	b := connect(t, cfg)
	var rl domain.ReviewLogged
	for _, e := range sampleEvents(t, 4) {
		if r, ok := e.(domain.ReviewLogged); ok {
			rl = r
		}
	}
	if rl.EventID().IsZero() {
		t.Fatal("no review_logged among the sample events")
	}
	e := unencodable{rl}
	err := b.Sink().Deliver(t.Context(), e, 1)
	if !errors.Is(err, domain.ErrPermanent) || !errors.Is(err, domain.ErrInfrastructure) || !domain.IsPermanent(err) {
		t.Fatalf("Deliver of an unencodable event = %v, want ErrPermanent and ErrInfrastructure", err)
	}
	if a := delivery.DefaultRetryPolicy().Decide(e, 1, err); a.Outcome != delivery.OutcomeDead || a.Reason != delivery.ReasonPermanent {
		t.Errorf("the relay's policy makes %s (%s) of it, want dead (permanent)", a.Outcome, a.Reason)
	}
	if info := consumerInfo(t, cfg); info.NumPending != 0 || info.Delivered.Stream != 0 {
		t.Errorf("consumer sees %d pending, %d delivered; want nothing published", info.NumPending, info.Delivered.Stream)
	}
}

// TestDeliveriesThatNeverSettleAreGivenUpUnrun: an event delivered more
// than three times past its attempts without ever being settled — its
// handling keeps ending the process — is given up with an advisory
// without running its handlers again.
func TestDeliveriesThatNeverSettleAreGivenUpUnrun(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	cfg := testConfig(t, s.url(), 20*time.Millisecond, 2)
	b := connect(t, cfg)
	e := sampleEvents(t, 1)[0]
	deliver(t, b.Sink(), e)

	// Five deliveries, none settled by a handler: each is handed back at
	// once, as deliveries of crashed processes come back after AckWait.
	raw := rawConsumer(t, cfg)
	for n := uint64(1); n <= 5; n++ {
		if err := fetchOne(t, raw, n).Nak(); err != nil {
			t.Fatal(err)
		}
	}
	h := newRecorder("never-again", func(int, domain.Event) error { return nil })
	hook, settled := settledHook()
	dead := subscribeDead(t, cfg)
	consume(t, b, handlers(h), hook)

	st := waitSettled(t, settled)
	if st.attempt != 6 || st.outcome != delivery.OutcomeDead || st.reason != delivery.ReasonExhausted {
		t.Errorf("settled %+v, want delivery 6 given up (exhausted)", st)
	}
	adv := nextAdvisory(t, dead)
	if adv.EventID != e.EventID().String() || adv.Attempts != 6 || !strings.Contains(adv.Error, "without being settled") {
		t.Errorf("advisory %+v, want %v after 6 unsettled deliveries", adv, e.EventID())
	}
	if n := h.count(); n != 0 {
		t.Errorf("the handler ran %d times, want none", n)
	}
}
