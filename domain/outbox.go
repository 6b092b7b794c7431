package domain

import (
	"context"
	"time"
)

// OutboxEvent is an event stored for delivery, with its delivery state.
type OutboxEvent struct {
	// Event is the stored event, decoded.
	Event Event
	// Attempts counts the deliveries tried so far.
	Attempts int
	// NextAttemptAt is when the event is next due.
	NextAttemptAt time.Time
	// LastError is the failure of the latest attempt, "" when none failed.
	LastError string
	// Dead reports that delivery was given up; only RequeueEvent revives it.
	Dead bool
	// CreatedAt is when the event was stored.
	CreatedAt time.Time
}

// Outbox is the durable store behind the transactional outbox: repositories
// that support it store a use case's events in the transaction that saves
// its data, and a dispatcher delivers them from here. Delivery is
// at-least-once.
type Outbox interface {
	// ClaimEvents leases up to limit events that are due at now (not dead,
	// NextAttemptAt ≤ now, no unexpired lease), oldest first, for lease.
	// While a lease holds, no other claimer — in this process or another —
	// gets the event. Claiming does not count an attempt.
	ClaimEvents(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]OutboxEvent, error)
	// ExtendClaims renews the leases of events a claimer still holds: every
	// listed event that is stored, not dead and leased at now is leased
	// until now + lease. Events completed, failed, dead, unknown or whose
	// lease had already ended are left alone, so a renewal never revives a
	// claim that was given back. Dispatchers renew the claims of the
	// deliveries they are running, so a short lease bounds how long a dead
	// process's claims keep their events from everyone else.
	ExtendClaims(ctx context.Context, ids []EventID, now time.Time, lease time.Duration) error
	// CompleteEvent records that the event was delivered; it is not claimed
	// again. Completing an unknown or completed event is not an error.
	CompleteEvent(ctx context.Context, id EventID) error
	// FailEvent records a failed attempt: Attempts grows by one, LastError
	// becomes failure and the lease is released. With dead false the event
	// is due again at next; with dead true it is parked until requeued.
	FailEvent(ctx context.Context, id EventID, failure string, next time.Time, dead bool) error
	// DeadEvents lists up to limit parked events, oldest first.
	DeadEvents(ctx context.Context, limit int) ([]OutboxEvent, error)
	// RequeueEvent makes a dead event due at now with its attempts reset;
	// ErrNotFound when no dead event has that ID.
	RequeueEvent(ctx context.Context, id EventID, now time.Time) error
	// BackfillPosterEvents stores a MovieDiscovered event (occurring at now)
	// for every movie that has an external ID, no poster and no pending
	// MovieDiscovered event, and returns how many it stored. Dead events do
	// not count: their movies get a fresh event, and the dead one stays
	// listed until requeued.
	BackfillPosterEvents(ctx context.Context, now time.Time) (int, error)
	// PendingEvents counts the events not yet delivered and not dead.
	PendingEvents(ctx context.Context) (int, error)
}
