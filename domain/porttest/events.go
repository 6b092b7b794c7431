package porttest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// TestEventPublisher runs the EventPublisher contract. newPublisher must
// return a publisher that hands every published event to deliver (at once
// or from a worker of its own); it is called once per subtest. The
// factory's cleanup should stop whatever the publisher started.
//
// The suite pins that events arrive unchanged (same ID, time and fields),
// in publication order from one goroutine, and exactly once each when
// several goroutines publish at the same time.
func TestEventPublisher(t *testing.T, newPublisher func(t *testing.T, deliver func(domain.Event)) domain.EventPublisher) {
	t.Helper()
	t.Run("events arrive unchanged and in order", func(t *testing.T) {
		got := make(chan domain.Event, 64)
		p := newPublisher(t, func(e domain.Event) { got <- e })
		events := SampleEvents(t, 10)
		for _, e := range events {
			if err := p.Publish(t.Context(), e); err != nil {
				t.Fatalf("Publish(%s %v): %v", e.EventName(), e.EventID(), err)
			}
		}
		for i, want := range events {
			select {
			case e := <-got:
				checkEvent(t, fmt.Sprintf("event %d", i), e, want)
			case <-time.After(waitTimeout):
				t.Fatalf("only %d of %d events arrived", i, len(events))
			}
		}
	})

	t.Run("events from concurrent publishers arrive exactly once", func(t *testing.T) {
		const publishers, perPublisher = 4, 25
		got := make(chan domain.Event, 2*publishers*perPublisher)
		p := newPublisher(t, func(e domain.Event) { got <- e })
		events := SampleEvents(t, publishers*perPublisher)
		want := make(map[domain.EventID]domain.Event, len(events))
		for _, e := range events {
			want[e.EventID()] = e
		}
		errs := make(chan error, len(events))
		var wg sync.WaitGroup
		for w := range publishers {
			wg.Go(func() {
				for _, e := range events[w*perPublisher : (w+1)*perPublisher] {
					if err := p.Publish(t.Context(), e); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("Publish: %v", err)
		}
		for i := range events {
			select {
			case e := <-got:
				w, ok := want[e.EventID()]
				if !ok {
					t.Fatalf("event %v arrived twice or was never published", e.EventID())
				}
				delete(want, e.EventID())
				checkEvent(t, fmt.Sprintf("event %v", e.EventID()), e, w)
			case <-time.After(waitTimeout):
				t.Fatalf("only %d of %d events arrived", i, len(events))
			}
		}
	})
}

// SampleEvents returns n events of both kinds about a few movies, each
// with its own ID, alternating MovieDiscovered and ReviewLogged.
func SampleEvents(t testing.TB, n int) []domain.Event {
	t.Helper()
	base := time.Date(2024, 2, 29, 18, 30, 0, 0, time.UTC)
	movie := NewMovie(t, NewExternalID(t), "Paris, Texas", 1984, "Wim Wenders")
	events := make([]domain.Event, n)
	for i := range events {
		now := base.Add(time.Duration(i) * time.Second)
		if i%2 == 0 {
			events[i] = domain.NewMovieDiscovered(movie, domain.PosterURL{}, now)
			continue
		}
		r := NewReview(t, movie.ID, domain.NewUserID(), float64(i%6), now.Add(-time.Hour))
		events[i] = domain.NewReviewLogged(r, now)
	}
	return events
}

func checkEvent(t *testing.T, what string, got, want domain.Event) {
	t.Helper()
	if got.EventID() != want.EventID() || got.EventName() != want.EventName() || got.MovieID() != want.MovieID() || !got.OccurredAt().Equal(want.OccurredAt()) {
		t.Errorf("%s = %s %v about %v at %v, want %s %v about %v at %v", what,
			got.EventName(), got.EventID(), got.MovieID(), got.OccurredAt(),
			want.EventName(), want.EventID(), want.MovieID(), want.OccurredAt())
		return
	}
	switch w := want.(type) {
	case domain.MovieDiscovered:
		g, ok := got.(domain.MovieDiscovered)
		if !ok || g.ExternalMetadataID != w.ExternalMetadataID {
			t.Errorf("%s = %#v, want %#v", what, got, want)
		}
	case domain.ReviewLogged:
		g, ok := got.(domain.ReviewLogged)
		if !ok || g.ReviewID != w.ReviewID || g.UserID != w.UserID || g.Rating != w.Rating || !g.WatchedAt.Equal(w.WatchedAt) {
			t.Errorf("%s = %#v, want %#v", what, got, want)
		}
	case domain.ReviewEdited:
		g, ok := got.(domain.ReviewEdited)
		if !ok || g.ReviewID != w.ReviewID || g.UserID != w.UserID || g.Rating != w.Rating || !g.WatchedAt.Equal(w.WatchedAt) {
			t.Errorf("%s = %#v, want %#v", what, got, want)
		}
	case domain.ReviewDeleted:
		g, ok := got.(domain.ReviewDeleted)
		if !ok || g.ReviewID != w.ReviewID || g.UserID != w.UserID {
			t.Errorf("%s = %#v, want %#v", what, got, want)
		}
	}
}
