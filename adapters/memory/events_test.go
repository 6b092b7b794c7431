package memory_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/moviediary/moviediary/adapters/memory"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

func TestEventPublisherFuncContract(t *testing.T) {
	porttest.TestEventPublisher(t, func(_ *testing.T, deliver func(domain.Event)) domain.EventPublisher {
		return memory.EventPublisherFunc(func(_ context.Context, e domain.Event) error {
			deliver(e)
			return nil
		})
	})
}

type ctxKey struct{}

func TestEventPublisherFuncPassesContextEventAndError(t *testing.T) {
	errFull := errors.New("full")
	ctx := context.WithValue(t.Context(), ctxKey{}, "request")
	want := porttest.SampleEvents(t, 1)[0]
	p := memory.EventPublisherFunc(func(ctx context.Context, e domain.Event) error {
		if ctx.Value(ctxKey{}) != "request" {
			t.Error("Publish did not pass its context on")
		}
		if e.EventID() != want.EventID() {
			t.Errorf("Publish passed %v, want %v", e.EventID(), want.EventID())
		}
		return errFull
	})
	if err := p.Publish(ctx, want); !errors.Is(err, errFull) {
		t.Errorf("Publish = %v, want the function's error", err)
	}
}

func TestDiscardEventsAcceptsEverything(t *testing.T) {
	for _, e := range porttest.SampleEvents(t, 4) {
		if err := memory.DiscardEvents.Publish(t.Context(), e); err != nil {
			t.Errorf("Publish(%s): %v", e.EventName(), err)
		}
	}
	if err := memory.DiscardEvents.Publish(t.Context(), nil); err != nil {
		t.Errorf("Publish(nil): %v", err)
	}
}

func TestEventRecorderKeepsEventsInOrder(t *testing.T) {
	var r memory.EventRecorder // the zero value is ready to use
	if got := r.Events(); len(got) != 0 {
		t.Fatalf("a new recorder has %d events", len(got))
	}
	events := porttest.SampleEvents(t, 6)
	for _, e := range events[:3] {
		if err := r.Publish(t.Context(), e); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	first := r.Events()
	for _, e := range events[3:] {
		if err := r.Publish(t.Context(), e); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	if len(first) != 3 {
		t.Errorf("Events() taken after 3 publishes changed to %d events", len(first))
	}
	got := r.Events()
	if len(got) != len(events) {
		t.Fatalf("recorded %d events, want %d", len(got), len(events))
	}
	for i := range events {
		if got[i].EventID() != events[i].EventID() {
			t.Errorf("event %d = %v, want %v", i, got[i].EventID(), events[i].EventID())
		}
	}
	got[0] = nil
	if r.Events()[0] == nil {
		t.Error("changing the returned slice changed the recorder")
	}
	r.Reset()
	if n := len(r.Events()); n != 0 {
		t.Errorf("after Reset the recorder has %d events", n)
	}
}

func TestEventRecorderUnderConcurrentPublishers(t *testing.T) {
	const publishers, perPublisher = 8, 50
	r := memory.NewEventRecorder()
	events := porttest.SampleEvents(t, publishers*perPublisher)
	var wg sync.WaitGroup
	for w := range publishers {
		wg.Go(func() {
			for _, e := range events[w*perPublisher : (w+1)*perPublisher] {
				if err := r.Publish(t.Context(), e); err != nil {
					t.Errorf("Publish: %v", err)
				}
			}
		})
	}
	wg.Wait()
	seen := map[domain.EventID]int{}
	for _, e := range r.Events() {
		seen[e.EventID()]++
	}
	for _, e := range events {
		if seen[e.EventID()] != 1 {
			t.Errorf("event %v recorded %d times, want once", e.EventID(), seen[e.EventID()])
		}
	}
}
