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
// the other events. For each delivery (attempt k, counted from 1):
//
//   - success → CompleteEvent;
//   - a permanent error (domain.IsPermanent) → the event is parked as dead
//     at once;
//   - another error with k < MaxAttempts → FailEvent, due again
//     BaseDelay·2^(k-1) later (1s, 2s, 4s with the defaults), never
//     more than Config.MaxDelay when one is set;
//   - another error with k = MaxAttempts → dead, with that error.
//
// # Leases
//
// A claim leases the event for Config.Lease; while the lease holds no
// other dispatcher (in this process or another) claims it. The port has no
// way to renew a lease, so the dispatcher sizes it instead: each delivery
// runs with a context that expires a margin before its lease does
// (HandlerTimeout), so a handler that overruns is cancelled — its attempt
// fails and is retried — rather than handled twice at once. Choose a Lease
// longer than the slowest normal delivery. A dispatcher that crashes
// leaves its claimed events leased: another claims them when the lease
// runs out, which bounds the delay a crash adds.
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
// LocalSink runs every eventpublisher.EventHandler in order, as the
// channel bus's EventWorker does; other sinks (a message broker relay)
// implement Sink. Notifier is the domain.EventPublisher use cases get in
// outbox mode: the events are already stored with the data, so Publish
// only wakes the dispatcher.
package outbox
