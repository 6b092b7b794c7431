// Package nats carries moviediary's domain events over a NATS JetStream
// stream, so that events survive a crash of the process that produced them
// and their handling can spread over several machines.
//
// It has two sides, both reached through a *Bus made by Connect:
//
//   - The relay side, Bus.Sink, publishes an event's wire form
//     (domain.MarshalEvent) to the subject "<SubjectPrefix>.<event name>"
//     and waits for JetStream's acknowledgement. The event ID travels as the
//     Nats-Msg-Id header, so a second publication of the same event within
//     the stream's duplicate window is dropped by the server: an outbox that
//     redelivers an event after a lost acknowledgement does not publish it
//     twice. While NATS is unreachable, Deliver returns an error wrapping
//     domain.ErrUnavailable; the outbox keeps the event and tries later, so
//     nothing is lost.
//
//   - The consumer side, Bus.Consume, pulls from a durable consumer shared
//     by every process that consumes, decodes each message, runs every
//     handler in order through the shared delivery.Invoker and
//     acknowledges the message only when all of them succeeded.
//
// # Retries
//
// Config.Retry, the delivery.RetryPolicy every bus shares, decides each
// delivery's fate, and it alone gives events up. The durable consumer has
// no delivery limit (MaxDeliver -1), no cap on deliveries awaiting
// acknowledgement (MaxAckPending -1; see Deferrals) and AckWait (how long
// a delivery may go unacknowledged). A failure the policy retries is
// answered with NakWithDelay(Retry.Delay(n)), n being the attempt's
// number — the delivery's number from the message's metadata
// (NumDelivered), counted as Deferrals says for a deferred copy — so the
// server redelivers base, 2·base, 4·base, … after the failures.
//
// The limit is not the server's because the server counts every delivery,
// settled or not: with MaxDeliver = Retry.Attempts(), a last permitted
// delivery whose process died mid-handler (AckWait expired) would never be
// handed out again and no DeadAdvisory would say so. Instead such a
// delivery comes back as number Attempts()+1: its handlers run, and it is
// acknowledged if they succeed or given up with an advisory if they fail.
// A delivery that shutdown cut short (WithDrainTimeout) is not judged at
// all: it is Nak'd for immediate redelivery, reported as
// delivery.ReasonInterrupted. Either kind still counts in NumDelivered,
// so it may leave the event one attempt fewer before Attempts() is
// reached, but a delivery whose handlers did not run to completion never
// gives the event up. As a backstop against a message whose handling kills
// the process every time, a delivery numbered more than three past
// Attempts() is given up (with an advisory) without running the handlers.
//
// The schedule is deliberately not the consumer's own BackOff setting. In
// nats-server that setting is the acknowledgement deadline of each delivery
// (AckWait becomes BackOff[0]): a first delivery would have to be
// acknowledged within base — 1s by default, a few milliseconds in tests —
// or be handed out again while its handler still runs, and a plain Nak
// ignores it (immediate redelivery) while NakWithDelay adds
// BackOff[n-1]−BackOff[0] to the requested delay. Measured with a 20ms
// base on a loaded machine, that produced duplicate deliveries of events
// whose handlers had succeeded. With a generous AckWait instead, and
// InProgress every third of it while a handler runs, a slow handler is
// never handed a duplicate, and a process that dies mid-delivery has its
// message redelivered at most AckWait (6s by default) after its last
// InProgress.
//
// A permanent failure (by Config.Retry's predicate, on every failing
// handler's error), a failed delivery numbered Retry.Attempts() or more,
// or a message that does not decode is terminated (Term) and a
// DeadAdvisory is published on Config.DeadSubject. Delivery is
// at-least-once: handlers must be idempotent.
//
// # Deferrals
//
// A handler that returns a *domain.DeferredError (a spent quota, such as
// the OMDb daily budget) has not failed: Config.Retry makes it a retry
// with delivery.ReasonDeferred, due at its Until, which never makes the
// event dead. Nak'ing the message with that delay would not do on this
// bus, because every redelivery raises NumDelivered: an event deferred
// day after day would use up its attempts and then the crash backstop.
// Instead Consume publishes a deferred copy of the event — the same
// payload and subject, with the headers HeaderNotBefore (the time it is
// due) and HeaderAttempts (the attempts it had before, the deferred one
// not counted) — waits for JetStream's acknowledgement and only then
// acknowledges the message. The copy's Nats-Msg-Id is "<event
// id>/defer/<stream sequence of the deferred message>": should the
// acknowledgement be lost and the message handled and deferred again, the
// stream drops the second copy within its duplicate window. When the copy
// cannot be published, the message is Nak'd with the delay instead, and
// that wait costs the event a delivery.
//
// The first delivery of a copy is its wait: it is Nak'd with the time left
// until HeaderNotBefore (at once when none is left), without running the
// handlers, logged at DEBUG only and reported to no hook. Its delivery d
// ≥ 2 is the event's attempt HeaderAttempts+d−1: a copy of an event
// deferred on its first attempt is handled, when due, as attempt 1, and
// failures, unsettled deliveries and the crash backstop count from there
// as for any message. A later delivery that still comes early (another
// process's clock is behind, or a process died holding the wait) is
// replaced by a fresh copy with the same headers, so that count stays
// exact. An event may thus be deferred any number of times; each copy
// starts MaxAge afresh.
//
// A waiting copy is a delivery awaiting acknowledgement on the server.
// The durable consumer therefore has no cap on those (MaxAckPending -1):
// with the server's default of 1000, a large import waiting for the next
// day's OMDb budget would stop every other event until then.
package nats
