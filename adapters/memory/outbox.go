package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// Option configures a MovieRepository.
type Option func(*MovieRepository)

// WithOutbox turns on outbox mode: SaveViewing, UpdateReview and
// DeleteReview store their events in the repository's Outbox, atomically
// with the change.
// Without it the outbox only holds what BackfillPosterEvents stores.
func WithOutbox() Option {
	return func(r *MovieRepository) { r.outboxMode = true }
}

var _ domain.Outbox = (*Outbox)(nil)

// Outbox is the in-memory domain.Outbox of one MovieRepository; get it
// from (*MovieRepository).Outbox. It shares the repository's lock, so an
// event is visible exactly when the viewing that caused it is, and it
// stores events in their wire form (domain.MarshalEvent), so what it
// hands out went through the same encoding as a database's. Completed
// events are forgotten.
type Outbox struct {
	r *MovieRepository
}

// outboxState is the stored events of a repository, guarded by its mutex.
type outboxState struct {
	seq    uint64 // the seq of the latest stored event
	events map[domain.EventID]*storedEvent
}

// storedEvent is an event waiting for delivery, in its wire form.
type storedEvent struct {
	seq         uint64 // storage order
	id          domain.EventID
	name        domain.EventName
	payload     []byte
	movie       domain.MovieID
	createdAt   time.Time
	next        time.Time
	attempts    int
	lastError   string
	dead        bool
	lockedUntil time.Time
}

// Outbox returns the repository's outbox. It works whether or not the
// repository is in outbox mode (WithOutbox); only in that mode do
// SaveViewing, UpdateReview and DeleteReview fill it.
func (r *MovieRepository) Outbox() *Outbox { return r.outbox }

// encodeEvents returns events in their stored form, due at their
// occurrence, or an error wrapping domain.ErrInfrastructure when one cannot
// be encoded.
func encodeEvents(events []domain.Event) ([]*storedEvent, error) {
	out := make([]*storedEvent, len(events))
	for i, e := range events {
		payload, err := domain.MarshalEvent(e)
		if err != nil {
			return nil, err
		}
		at := e.OccurredAt().UTC()
		out[i] = &storedEvent{id: e.EventID(), name: e.EventName(), payload: payload, movie: e.MovieID(), createdAt: at, next: at}
	}
	return out, nil
}

// add stores events in order. The caller holds the write lock and has
// encoded them.
func (s *outboxState) add(events []*storedEvent) {
	for _, e := range events {
		s.seq++
		e.seq = s.seq
		s.events[e.id] = e
	}
}

// ClaimEvents leases up to limit events due at now, oldest first, for
// lease.
func (o *Outbox) ClaimEvents(_ context.Context, now time.Time, limit int, lease time.Duration) ([]domain.OutboxEvent, error) {
	if limit <= 0 {
		return []domain.OutboxEvent{}, nil
	}
	o.r.mu.Lock()
	defer o.r.mu.Unlock()
	due := o.r.box.matching(func(e *storedEvent) bool {
		return !e.dead && !e.next.After(now) && !e.lockedUntil.After(now)
	})
	due = due[:min(limit, len(due))]
	out := make([]domain.OutboxEvent, 0, len(due))
	for _, e := range due {
		oe, err := e.toDomain()
		if err != nil {
			return nil, fmt.Errorf("claim events: %w", err)
		}
		out = append(out, oe)
	}
	until := now.Add(lease)
	for _, e := range due {
		e.lockedUntil = until
	}
	return out, nil
}

// ExtendClaims leases the listed events that are leased at now until
// now + lease; others are left alone.
func (o *Outbox) ExtendClaims(_ context.Context, ids []domain.EventID, now time.Time, lease time.Duration) error {
	o.r.mu.Lock()
	defer o.r.mu.Unlock()
	until := now.Add(lease)
	for _, id := range ids {
		if e, ok := o.r.box.events[id]; ok && !e.dead && e.lockedUntil.After(now) {
			e.lockedUntil = until
		}
	}
	return nil
}

// CompleteEvent forgets the event; an unknown ID is not an error.
func (o *Outbox) CompleteEvent(_ context.Context, id domain.EventID) error {
	o.r.mu.Lock()
	defer o.r.mu.Unlock()
	delete(o.r.box.events, id)
	return nil
}

// FailEvent records a failed attempt and releases the lease: the event is
// due again at next, or parked when dead is true. An unknown (or completed)
// ID gives domain.ErrNotFound.
func (o *Outbox) FailEvent(_ context.Context, id domain.EventID, failure string, next time.Time, dead bool) error {
	o.r.mu.Lock()
	defer o.r.mu.Unlock()
	e, ok := o.r.box.events[id]
	if !ok {
		return fmt.Errorf("fail event %v: %w", id, domain.ErrNotFound)
	}
	e.attempts++
	e.lastError = failure
	e.next = next.UTC()
	e.dead = dead
	e.lockedUntil = time.Time{}
	return nil
}

// DeadEvents lists up to limit parked events, oldest first.
func (o *Outbox) DeadEvents(_ context.Context, limit int) ([]domain.OutboxEvent, error) {
	if limit <= 0 {
		return []domain.OutboxEvent{}, nil
	}
	o.r.mu.RLock()
	defer o.r.mu.RUnlock()
	dead := o.r.box.matching(func(e *storedEvent) bool { return e.dead })
	out := make([]domain.OutboxEvent, 0, min(limit, len(dead)))
	for _, e := range dead[:min(limit, len(dead))] {
		oe, err := e.toDomain()
		if err != nil {
			return nil, fmt.Errorf("dead events: %w", err)
		}
		out = append(out, oe)
	}
	return out, nil
}

// RequeueEvent makes a dead event due at now with no attempts; its last
// error stays until the next failure replaces it. An ID that names no dead
// event gives domain.ErrNotFound.
func (o *Outbox) RequeueEvent(_ context.Context, id domain.EventID, now time.Time) error {
	o.r.mu.Lock()
	defer o.r.mu.Unlock()
	e, ok := o.r.box.events[id]
	if !ok || !e.dead {
		return fmt.Errorf("requeue event %v: no dead event has that ID: %w", id, domain.ErrNotFound)
	}
	e.dead = false
	e.attempts = 0
	e.next = now.UTC()
	e.lockedUntil = time.Time{}
	return nil
}

// BackfillPosterEvents stores a MovieDiscovered event, occurring at now,
// for every movie with an external ID and no poster that has no pending
// MovieDiscovered event, and returns how many it stored. Dead events are
// not pending: their movies get a new event, and the dead one stays listed
// by DeadEvents until it is requeued.
func (o *Outbox) BackfillPosterEvents(_ context.Context, now time.Time) (int, error) {
	o.r.mu.Lock()
	defer o.r.mu.Unlock()
	covered := make(map[domain.MovieID]bool)
	for _, e := range o.r.box.events {
		if e.name == domain.EventMovieDiscovered && !e.dead {
			covered[e.movie] = true
		}
	}
	var events []domain.Event
	for _, m := range o.r.movies {
		if !m.ExternalID.IsZero() && !m.HasPoster() && !covered[m.ID] {
			events = append(events, domain.NewMovieDiscovered(m, domain.PosterURL{}, now))
		}
	}
	// Map order is random: store in movie order, so runs are repeatable.
	slices.SortFunc(events, func(a, b domain.Event) int { return compareUUID(a.MovieID().UUID(), b.MovieID().UUID()) })
	stored, err := encodeEvents(events)
	if err != nil {
		return 0, fmt.Errorf("backfill poster events: %w", err)
	}
	o.r.box.add(stored)
	return len(stored), nil
}

// PendingEvents counts the stored events that are not dead.
func (o *Outbox) PendingEvents(_ context.Context) (int, error) {
	o.r.mu.RLock()
	defer o.r.mu.RUnlock()
	n := 0
	for _, e := range o.r.box.events {
		if !e.dead {
			n++
		}
	}
	return n, nil
}

// matching returns the events keep selects, oldest first. The caller holds
// the lock.
func (s *outboxState) matching(keep func(*storedEvent) bool) []*storedEvent {
	var out []*storedEvent
	for _, e := range s.events {
		if keep(e) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *storedEvent) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// toDomain decodes the stored event; a payload that no longer decodes is
// reported as an infrastructure failure.
func (e *storedEvent) toDomain() (domain.OutboxEvent, error) {
	ev, err := domain.UnmarshalEvent(e.name, e.payload)
	if err != nil {
		return domain.OutboxEvent{}, fmt.Errorf("%w: stored event %v does not decode: %v", domain.ErrInfrastructure, e.id, err)
	}
	return domain.OutboxEvent{
		Event:         ev,
		Attempts:      e.attempts,
		NextAttemptAt: e.next,
		LastError:     e.lastError,
		Dead:          e.dead,
		CreatedAt:     e.createdAt,
	}, nil
}
