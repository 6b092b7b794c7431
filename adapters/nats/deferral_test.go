package nats_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/adapters/nats"
	"github.com/moviediary/moviediary/domain"
)

// TestDeferral runs the deferral suite against a server started inside the
// test process.
func TestDeferral(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	deferralSuite(t, s.url())
}

// TestDeferralMachineServer runs it against the machine's NATS server when
// one answers at 127.0.0.1:4222 with JetStream.
func TestDeferralMachineServer(t *testing.T) {
	t.Parallel()
	if up, why := machineServerUp(); !up {
		t.Skipf("no NATS server with JetStream at %s (%s); the in-process server covers the suite", machineURL, why)
	}
	deferralSuite(t, machineURL)
}

// Steps of a deferrer's script.
type step int

const (
	deferIt step = iota // return a *domain.DeferredError for the wait
	succeed
	fail // return errRetryable
)

// deferrer is a handler that defers, succeeds or fails its calls as
// script says, deferring for wait each time, and records when each call
// came and until when it deferred.
type deferrer struct {
	script func(n int) step
	wait   time.Duration
	got    chan int

	mu     sync.Mutex
	calls  []time.Time
	untils []time.Time
}

func newDeferrer(wait time.Duration, script func(n int) step) *deferrer {
	return &deferrer{script: script, wait: wait, got: make(chan int, 1024)}
}

func (d *deferrer) Name() string { return "omdb-budget" }

func (d *deferrer) Handle(context.Context, domain.Event) error {
	now := time.Now()
	d.mu.Lock()
	d.calls = append(d.calls, now)
	n := len(d.calls)
	var err error
	switch d.script(n) {
	case deferIt:
		until := now.Add(d.wait)
		d.untils = append(d.untils, until)
		err = &domain.DeferredError{Until: until, Reason: "OMDb daily budget spent"}
	case fail:
		err = errRetryable
	}
	d.mu.Unlock()
	d.got <- n
	return err
}

func deferralSuite(t *testing.T, url string) {
	// Attempts() is 2, so Attempts()+crashAllowance is 5: 12 deferrals in
	// a row are more than the crash backstop would let through if they
	// counted.
	const deferrals = 12

	t.Run("deferred again and again: handled at last as attempt 1, never dead, not before each Until", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 20*time.Millisecond, 2)
		b := connect(t, cfg)
		h := newDeferrer(200*time.Millisecond, func(n int) step {
			if n > deferrals {
				return succeed
			}
			return deferIt
		})
		hook, settled := settledHook()
		dead := subscribeDead(t, cfg)
		consume(t, b, handlers(h), hook)
		e := sampleEvents(t, 1)[0]
		deliver(t, b.Sink(), e)

		for i := 1; i <= deferrals; i++ {
			if st := waitSettled(t, settled); st.attempt != 1 || st.outcome != delivery.OutcomeRetry || st.reason != delivery.ReasonDeferred {
				t.Fatalf("deferral %d settled %+v, want attempt 1 retried (deferred)", i, st)
			}
		}
		if st := waitSettled(t, settled); st.attempt != 1 || st.outcome != delivery.OutcomeSuccess {
			t.Fatalf("after %d deferrals settled %+v, want attempt 1 acknowledged", deferrals, st)
		}
		waitIdle(t, cfg)
		select {
		case st := <-settled:
			t.Errorf("unexpected settlement after the success: %+v (a wait reached the hook?)", st)
		default:
		}
		if m, err := dead.NextMsg(100 * time.Millisecond); err == nil {
			t.Errorf("unexpected dead advisory %s", m.Data)
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if len(h.calls) != deferrals+1 {
			t.Fatalf("%d handler calls, want %d", len(h.calls), deferrals+1)
		}
		for i, until := range h.untils {
			if next := h.calls[i+1]; next.Before(until) {
				t.Errorf("call %d at %v, %v before the Until of the deferral before it", i+2, next, until.Sub(next))
			}
		}
	})

	t.Run("fail, deferred many times, fail: the failures count, the deferrals do not", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 20*time.Millisecond, 2)
		b := connect(t, cfg)
		h := newDeferrer(30*time.Millisecond, func(n int) step {
			if n == 1 || n == deferrals+2 {
				return fail
			}
			return deferIt
		})
		hook, settled := settledHook()
		dead := subscribeDead(t, cfg)
		consume(t, b, handlers(h), hook)
		e := sampleEvents(t, 1)[0]
		deliver(t, b.Sink(), e)

		if st := waitSettled(t, settled); st.attempt != 1 || st.outcome != delivery.OutcomeRetry || st.reason != "" {
			t.Fatalf("first delivery settled %+v, want attempt 1 retried", st)
		}
		for i := 1; i <= deferrals; i++ {
			if st := waitSettled(t, settled); st.attempt != 2 || st.outcome != delivery.OutcomeRetry || st.reason != delivery.ReasonDeferred {
				t.Fatalf("deferral %d settled %+v, want attempt 2 retried (deferred)", i, st)
			}
		}
		if st := waitSettled(t, settled); st.attempt != 2 || st.outcome != delivery.OutcomeDead || st.reason != delivery.ReasonExhausted {
			t.Fatalf("the failure after the deferrals settled %+v, want attempt 2 dead (exhausted)", st)
		}
		adv := nextAdvisory(t, dead)
		if adv.EventID != e.EventID().String() || adv.Attempts != 2 || !strings.Contains(adv.Error, errRetryable.Error()) {
			t.Errorf("advisory %+v, want %v after 2 attempts with %q", adv, e.EventID(), errRetryable)
		}
	})

	t.Run("more events waiting than the server's default cap of 1000 awaiting acknowledgement: others still flow", func(t *testing.T) {
		t.Parallel()
		const waiting = 1001
		cfg := testConfig(t, url, 20*time.Millisecond, 2)
		b := connect(t, cfg)
		if got := consumerInfo(t, cfg).Config.MaxAckPending; got != -1 {
			t.Errorf("durable consumer MaxAckPending %d, want -1 (unlimited)", got)
		}
		events := sampleEvents(t, waiting+1)
		last := events[waiting].EventID()
		handled := make(chan domain.EventID, 1)
		h := delivery.HandlerFunc("omdb-budget", func(_ context.Context, e domain.Event) error {
			if e.EventID() == last {
				handled <- e.EventID()
				return nil
			}
			return &domain.DeferredError{Until: time.Now().Add(time.Minute), Reason: "OMDb daily budget spent"}
		})
		consume(t, b, handlers(h), nats.WithConcurrency(16))
		for _, e := range events[:waiting] {
			deliver(t, b.Sink(), e)
		}
		deadline := time.Now().Add(waitTimeout)
		for info := consumerInfo(t, cfg); info.NumAckPending < waiting; info = consumerInfo(t, cfg) {
			if time.Now().After(deadline) {
				t.Fatalf("%d deferred copies waiting, want %d", info.NumAckPending, waiting)
			}
			time.Sleep(10 * time.Millisecond) // polling interval
		}
		deliver(t, b.Sink(), events[waiting])
		select {
		case <-handled:
		case <-time.After(waitTimeout):
			t.Fatalf("an event published while %d deferred events wait was not handled", waiting)
		}
	})

	t.Run("a deferred copy whose deliveries never settle is still given up unrun", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 20*time.Millisecond, 2)
		b := connect(t, cfg)
		h := newDeferrer(50*time.Millisecond, func(int) step { return deferIt })
		hook, settled := settledHook()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- b.Consume(ctx, handlers(h), hook) }()
		e := sampleEvents(t, 1)[0]
		deliver(t, b.Sink(), e)
		if st := waitSettled(t, settled); st.attempt != 1 || st.reason != delivery.ReasonDeferred {
			t.Fatalf("settled %+v, want attempt 1 deferred", st)
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Consume: %v", err)
			}
		case <-time.After(waitTimeout):
			t.Fatal("Consume did not return")
		}

		// The copy's deliveries up to the sixth go to processes that die
		// holding them (Nak'd unsettled): the first is its wait, the
		// others attempts 1 to 5, Attempts()+crashAllowance.
		raw := rawConsumer(t, cfg)
		var notBefore time.Time
		for {
			msg := fetchAny(t, raw)
			md, err := msg.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			nb, err := time.Parse(time.RFC3339Nano, msg.Headers().Get(nats.HeaderNotBefore))
			if err != nil || msg.Headers().Get(nats.HeaderAttempts) != "0" {
				t.Fatalf("delivery %d of the copy: headers %v, want a not-before time and 0 attempts", md.NumDelivered, msg.Headers())
			}
			notBefore = nb
			if err := msg.Nak(); err != nil {
				t.Fatal(err)
			}
			if md.NumDelivered >= 6 {
				break
			}
		}
		// The next delivery must find the copy due, or it would wait again.
		time.Sleep(time.Until(notBefore))

		h2 := newRecorder("never-again", nil)
		hook2, settled2 := settledHook()
		dead := subscribeDead(t, cfg)
		consume(t, b, handlers(h2), hook2)
		st := waitSettled(t, settled2)
		if st.attempt != 6 || st.outcome != delivery.OutcomeDead || st.reason != delivery.ReasonExhausted {
			t.Errorf("settled %+v, want attempt 6 given up (exhausted)", st)
		}
		adv := nextAdvisory(t, dead)
		if adv.EventID != e.EventID().String() || adv.Attempts != 6 || !strings.Contains(adv.Error, "without being settled") {
			t.Errorf("advisory %+v, want %v after 6 unsettled attempts", adv, e.EventID())
		}
		if n := h2.count(); n != 0 {
			t.Errorf("the handler ran %d times, want none", n)
		}
	})
}

// fetchAny fetches the next delivery from c, whatever its number.
func fetchAny(t *testing.T, c jetstream.Consumer) jetstream.Msg {
	t.Helper()
	batch, err := c.Fetch(1, jetstream.FetchMaxWait(waitTimeout))
	if err != nil {
		t.Fatal(err)
	}
	for m := range batch.Messages() {
		return m
	}
	t.Fatalf("no delivery fetched: %v", batch.Error())
	return nil
}
