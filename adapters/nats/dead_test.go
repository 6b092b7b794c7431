package nats_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/adapters/nats"
	"github.com/moviediary/moviediary/domain"
)

// TestDeadEvents runs the dead-event suite (listing and requeueing the
// events the consumer gave up) against an in-process server.
func TestDeadEvents(t *testing.T) {
	t.Parallel()
	deadSuite(t, startServer(t).url())
}

// TestDeadEventsMachineServer runs the same suite against the machine's
// NATS server when one answers with JetStream.
func TestDeadEventsMachineServer(t *testing.T) {
	t.Parallel()
	if up, why := machineServerUp(); !up {
		t.Skipf("no NATS server with JetStream at %s (%s); the in-process server covers the suite", machineURL, why)
	}
	deadSuite(t, machineURL)
}

// errGone is a failure the consumer gives up at once; errFlaky one it
// retries until the last delivery.
var (
	errGone  = fmt.Errorf("poster host: %w", domain.ErrPermanent)
	errFlaky = fmt.Errorf("poster host: %w", domain.ErrUnavailable)
)

func deadSuite(t *testing.T, url string) {
	t.Run("given-up events are listed with their event, attempts and error, oldest first", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 5*time.Millisecond, 3)
		b := connect(t, cfg)
		events := sampleEvents(t, 2)
		permanent, retryable := events[0], events[1]
		h := newRecorder("poster_sync", func(_ int, e domain.Event) error {
			if e.EventID() == permanent.EventID() {
				return errGone
			}
			return errFlaky
		})
		consume(t, b, handlers(h))

		deliver(t, b.Sink(), permanent)
		waitDead(t, b, 1)
		deliver(t, b.Sink(), retryable)
		got := waitDead(t, b, 2)

		checkDead(t, got[0], permanent, 1, errGone.Error())
		checkDead(t, got[1], retryable, 3, errFlaky.Error())
		if n := streamConsumers(t, cfg); n != 1 {
			t.Errorf("the stream has %d consumers after listing, want only the durable one", n)
		}
	})

	t.Run("requeue delivers the event again with a fresh count and unlists it", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 5*time.Millisecond, 3)
		b := connect(t, cfg)
		h := newRecorder("poster_sync", func(n int, _ domain.Event) error {
			if n == 1 {
				return errGone
			}
			return nil
		})
		hook, settled := settledHook()
		consume(t, b, handlers(h), hook)
		e := sampleEvents(t, 1)[0]

		deliver(t, b.Sink(), e)
		h.waitCalls(t, 1)
		if s := waitSettled(t, settled); s.outcome != delivery.OutcomeDead {
			t.Fatalf("first delivery settled %+v, want dead", s)
		}
		waitDead(t, b, 1)
		if err := b.RequeueEvent(t.Context(), e.EventID()); err != nil {
			t.Fatalf("RequeueEvent: %v", err)
		}
		again := h.waitCalls(t, 1)[0].event
		if again.EventID() != e.EventID() || again.EventName() != e.EventName() {
			t.Errorf("requeued delivery = %s %v, want %s %v", again.EventName(), again.EventID(), e.EventName(), e.EventID())
		}
		if s := waitSettled(t, settled); s.outcome != delivery.OutcomeSuccess || s.attempt != 1 {
			t.Errorf("requeued delivery settled %+v, want acked at attempt 1", s)
		}
		waitIdle(t, cfg)
		if got := deadEvents(t, b, 10); len(got) != 0 {
			t.Errorf("DeadEvents after the requeue = %d events, want none", len(got))
		}
		if n := storedOn(t, cfg, cfg.DeadSubject); n != 0 {
			t.Errorf("%d advisories left in the stream, want 0", n)
		}
	})

	t.Run("an unknown ID is not found", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 5*time.Millisecond, 3)
		b := connect(t, cfg)
		unknown := domain.NewEventID()
		if err := b.RequeueEvent(t.Context(), unknown); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("RequeueEvent on an empty stream = %v, want ErrNotFound", err)
		}

		consume(t, b, handlers(newRecorder("poster_sync", func(int, domain.Event) error { return errGone })))
		deliver(t, b.Sink(), sampleEvents(t, 1)[0])
		waitDead(t, b, 1)
		if err := b.RequeueEvent(t.Context(), unknown); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("RequeueEvent with another event dead = %v, want ErrNotFound", err)
		}
		waitDead(t, b, 1)
	})

	t.Run("limit keeps the oldest", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 5*time.Millisecond, 3)
		b := connect(t, cfg)
		consume(t, b, handlers(newRecorder("poster_sync", func(int, domain.Event) error { return errGone })))
		events := sampleEvents(t, 3)
		for i, e := range events {
			deliver(t, b.Sink(), e)
			waitDead(t, b, i+1) // one at a time, so the order is known
		}
		for _, tc := range []struct {
			limit int
			want  []domain.Event
		}{
			{-1, nil},
			{0, nil},
			{1, events[:1]},
			{2, events[:2]},
			{3, events},
			{100, events},
		} {
			got := deadEvents(t, b, tc.limit)
			if len(got) != len(tc.want) {
				t.Errorf("DeadEvents(%d) = %d events, want %d", tc.limit, len(got), len(tc.want))
				continue
			}
			for i, e := range tc.want {
				if got[i].Event.EventID() != e.EventID() {
					t.Errorf("DeadEvents(%d)[%d] = %v, want %v", tc.limit, i, got[i].Event.EventID(), e.EventID())
				}
			}
		}
	})

	t.Run("requeued twice at once, then again, the event is delivered once more", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 5*time.Millisecond, 3)
		b := connect(t, cfg)
		h := newRecorder("poster_sync", func(n int, _ domain.Event) error {
			if n == 1 {
				return errGone
			}
			return nil
		})
		consume(t, b, handlers(h))
		e := sampleEvents(t, 1)[0]
		deliver(t, b.Sink(), e)
		waitDead(t, b, 1)

		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = b.RequeueEvent(t.Context(), e.EventID()) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, domain.ErrNotFound):
				t.Errorf("concurrent RequeueEvent: %v", err)
			}
		}
		if ok == 0 {
			t.Errorf("neither concurrent RequeueEvent succeeded: %v", errs)
		}
		if err := b.RequeueEvent(t.Context(), e.EventID()); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("RequeueEvent after the requeue = %v, want ErrNotFound", err)
		}

		// Every publication was acknowledged before RequeueEvent returned,
		// so once the consumer is idle every delivery has been made.
		waitIdle(t, cfg)
		if n := h.count(); n != 2 {
			t.Errorf("handler ran %d times, want 2 (the dead delivery and one requeue)", n)
		}
		if n := storedOn(t, cfg, eventSubject(cfg, e)); n != 2 {
			t.Errorf("%d messages stored on the event's subject, want 2 (the original and one requeue)", n)
		}
	})

	t.Run("an event dead twice is listed once with its latest advisory; requeue clears both", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 5*time.Millisecond, 3)
		b := connect(t, cfg)
		h := newRecorder("poster_sync", func(n int, _ domain.Event) error {
			if n <= 2 {
				return fmt.Errorf("call %d: %w", n, errGone)
			}
			return nil
		})
		consume(t, b, handlers(h))
		e := sampleEvents(t, 1)[0]
		deliver(t, b.Sink(), e)
		waitDead(t, b, 1)

		// Republished under another message ID (as a relay does after the
		// duplicate window), it dies again.
		publishRaw(t, cfg, eventSubject(cfg, e), e.EventID().String()+"/again", mustMarshal(t, e))
		got := waitDeadWhere(t, b, "the second advisory", func(got []domain.OutboxEvent) bool {
			return len(got) == 1 && strings.Contains(got[0].LastError, "call 2")
		})
		checkDead(t, got[0], e, 1, "call 2: "+errGone.Error())
		if n := storedOn(t, cfg, cfg.DeadSubject); n != 2 {
			t.Fatalf("%d advisories stored, want 2", n)
		}

		if err := b.RequeueEvent(t.Context(), e.EventID()); err != nil {
			t.Fatalf("RequeueEvent: %v", err)
		}
		h.waitCalls(t, 3)
		waitIdle(t, cfg)
		if got := deadEvents(t, b, 10); len(got) != 0 {
			t.Errorf("DeadEvents after the requeue = %d events, want none", len(got))
		}
		if n := storedOn(t, cfg, cfg.DeadSubject); n != 0 {
			t.Errorf("%d advisories left in the stream, want 0", n)
		}
	})

	t.Run("advisories whose event does not decode are not listed and cannot be requeued", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 5*time.Millisecond, 3)
		b := connect(t, cfg)
		consume(t, b, handlers(newRecorder("poster_sync", func(int, domain.Event) error { return errGone })))
		bad := domain.NewEventID()
		publishRaw(t, cfg, cfg.SubjectPrefix+"."+string(domain.EventMovieDiscovered), bad.String(), []byte(`{"movie_id":"nope"}`))
		publishRaw(t, cfg, cfg.DeadSubject, "garbage", []byte("not an advisory"))
		e := sampleEvents(t, 1)[0]
		deliver(t, b.Sink(), e)

		waitDeadWhere(t, b, "the decodable event alone", func(got []domain.OutboxEvent) bool {
			return len(got) == 1 && got[0].Event.EventID() == e.EventID()
		})
		waitStored(t, cfg, cfg.DeadSubject, 3) // two advisories and the garbage
		got := deadEvents(t, b, 10)
		if len(got) != 1 || got[0].Event.EventID() != e.EventID() {
			t.Errorf("DeadEvents = %d events, want only %v", len(got), e.EventID())
		}
		if err := b.RequeueEvent(t.Context(), bad); !errors.Is(err, domain.ErrValidation) {
			t.Errorf("RequeueEvent of an undecodable event = %v, want ErrValidation", err)
		}
	})

	t.Run("a dead subject outside the prefix is misconfigured", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t, url, 5*time.Millisecond, 3)
		cfg.DeadSubject = strings.Replace(cfg.SubjectPrefix, "mdtest.", "mdtestdead.", 1)
		b := connect(t, cfg)
		if _, err := b.DeadEvents(t.Context(), 10); !errors.Is(err, domain.ErrMisconfigured) {
			t.Errorf("DeadEvents = %v, want ErrMisconfigured", err)
		} else if !strings.Contains(err.Error(), "not stored") {
			t.Errorf("DeadEvents error %q does not say advisories are not stored", err)
		}
		if err := b.RequeueEvent(t.Context(), domain.NewEventID()); !errors.Is(err, domain.ErrMisconfigured) {
			t.Errorf("RequeueEvent = %v, want ErrMisconfigured", err)
		}
	})
}

// checkDead compares a listed dead event with the event that died; its
// LastError must contain the handler's failure.
func checkDead(t *testing.T, got domain.OutboxEvent, want domain.Event, attempts int, failure string) {
	t.Helper()
	if got.Event == nil {
		t.Fatalf("dead event without Event: %+v", got)
	}
	if got.Event.EventID() != want.EventID() || got.Event.EventName() != want.EventName() || got.Event.MovieID() != want.MovieID() {
		t.Errorf("dead event = %s %v about %v, want %s %v about %v",
			got.Event.EventName(), got.Event.EventID(), got.Event.MovieID(), want.EventName(), want.EventID(), want.MovieID())
	}
	if got.Attempts != attempts {
		t.Errorf("%v: Attempts = %d, want %d", want.EventID(), got.Attempts, attempts)
	}
	if !strings.Contains(got.LastError, failure) {
		t.Errorf("%v: LastError = %q, want it to contain %q", want.EventID(), got.LastError, failure)
	}
	if !got.Dead {
		t.Errorf("%v: Dead = false", want.EventID())
	}
	if !got.CreatedAt.Equal(want.OccurredAt()) {
		t.Errorf("%v: CreatedAt = %v, want the event's OccurredAt %v", want.EventID(), got.CreatedAt, want.OccurredAt())
	}
}

func deadEvents(t *testing.T, b *nats.Bus, limit int) []domain.OutboxEvent {
	t.Helper()
	got, err := b.DeadEvents(t.Context(), limit)
	if err != nil {
		t.Fatalf("DeadEvents(%d): %v", limit, err)
	}
	return got
}

// waitDead polls DeadEvents until it lists n events, and returns them.
func waitDead(t *testing.T, b *nats.Bus, n int) []domain.OutboxEvent {
	t.Helper()
	return waitDeadWhere(t, b, fmt.Sprintf("%d dead events", n), func(got []domain.OutboxEvent) bool { return len(got) == n })
}

// waitDeadWhere polls DeadEvents until ok accepts the list, and returns it.
func waitDeadWhere(t *testing.T, b *nats.Bus, what string, ok func([]domain.OutboxEvent) bool) []domain.OutboxEvent {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		got := deadEvents(t, b, 100)
		if ok(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("DeadEvents: %d events, want %s", len(got), what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}

// jsFor opens a JetStream context on a connection of its own, closed at
// cleanup.
func jsFor(t *testing.T, cfg nats.Config) jetstream.JetStream {
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
	return js
}

// storedOn counts the messages the stream holds on subject.
func storedOn(t *testing.T, cfg nats.Config, subject string) uint64 {
	t.Helper()
	st, err := jsFor(t, cfg).Stream(t.Context(), cfg.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context(), jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects[subject]
}

// waitStored polls until the stream holds n messages on subject.
func waitStored(t *testing.T, cfg nats.Config, subject string, n uint64) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		got := storedOn(t, cfg, subject)
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages stored on %s, want %d", got, subject, n)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}

// streamConsumers counts the stream's consumers.
func streamConsumers(t *testing.T, cfg nats.Config) int {
	t.Helper()
	st, err := jsFor(t, cfg).Stream(t.Context(), cfg.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Consumers
}

// publishRaw stores data on subject with msgID, bypassing the bus.
func publishRaw(t *testing.T, cfg nats.Config, subject, msgID string, data []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	if _, err := jsFor(t, cfg).Publish(ctx, subject, data, jetstream.WithMsgID(msgID)); err != nil {
		t.Fatalf("publish on %s: %v", subject, err)
	}
}

func eventSubject(cfg nats.Config, e domain.Event) string {
	return cfg.SubjectPrefix + "." + string(e.EventName())
}

func mustMarshal(t *testing.T, e domain.Event) []byte {
	t.Helper()
	data, err := domain.MarshalEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
