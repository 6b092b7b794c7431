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
// no delivery limit (MaxDeliver -1) and AckWait (how long a delivery may
// go unacknowledged). A failure the policy retries is answered with
// NakWithDelay(Retry.Delay(n)), n being the delivery's number from the
// message's metadata (NumDelivered), so the server redelivers base,
// 2·base, 4·base, … after the failures.
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
package nats
