// Package outbox delivers the events a transactional outbox stored: a
// Dispatcher claims due events from a domain.Outbox, hands each to a Sink
// and records the outcome, so an event is marked done only after its
// handlers succeeded. Delivery is at-least-once; handlers are idempotent.
//
// # Delivery
//
// Run claims up to Config.BatchSize due events at a time, never holding
// more than Config.Concurrency at once, and handles each on its own
// goroutine: a slow or hanging handler occupies one slot and never delays
// the other events. After each delivery (attempt k, counted from 1) the
// dispatcher asks Config.Retry — the one delivery.RetryPolicy every bus
// shares — what became of it:
//
//   - success → CompleteEvent;
//   - retry → FailEvent, due again after the policy's delay (1s, 2s, 4s
//     with the poster sync's policy; capped by its MaxDelay);
//   - dead (a permanent error, or the last attempt failed) → FailEvent
//     parks it until `moviediary events retry` requeues it.
//
// # Leases
//
// A claim leases the event for Config.Lease (6s by default); while the
// lease holds no other dispatcher, in this process or another, claims it.
// The dispatcher renews the claims of its running deliveries every third
// of the lease (domain.Outbox.ExtendClaims), so a live process keeps an
// event however long its delivery takes — a 40-second poster download is
// never taken over — while the events of a process that died are
// claimable again at most one lease after its last renewal. Each delivery
// is bounded by Config.DeliveryTimeout; one that overruns is cancelled and
// its attempt fails.
//
// # Wake-ups
//
// Between claims Run sleeps until the earliest of: Notify (called by the
// Notifier when a use case publishes, by a database listener such as
// PostgreSQL's LISTEN, or by a finished delivery), Config.PollInterval
// (events stored by other processes), and the next retry time it scheduled
// itself.
//
// # Shutdown
//
// When Run's context is cancelled it stops claiming — or, with
// Config.DrainOnStop, first claims what is due at that moment — and waits
// for the deliveries in flight, at most Config.ShutdownTimeout; then it
// cancels their contexts, records their attempts as interrupted (due again
// at once) and returns. Nothing is lost either way: what was not delivered
// stays in the outbox for the next start.
//
// # Sinks
//
// LocalSink runs every delivery.Handler in order through the shared
// delivery.Invoker, as the channel bus and the NATS consumer do; other sinks (a message broker relay)
// implement Sink. Notifier is the domain.EventPublisher use cases get in
// outbox mode: the events are already stored with the data, so Publish
// only wakes the dispatcher.
package outbox
