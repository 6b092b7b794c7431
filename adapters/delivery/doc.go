// Package delivery is moviediary's event delivery core, shared by every
// bus: the in-process channel (adapters/eventpublisher), the transactional
// outbox dispatcher (adapters/outbox) and the NATS JetStream consumer
// (adapters/nats).
//
//   - Handler is what reacts to events (the poster sync is one).
//   - RetryPolicy (policy.go) is the one retry policy: how many attempts an
//     event gets, the exponential backoff between them, its cap, and which
//     errors are permanent. Policy.Decide turns an attempt's result into an
//     Outcome — success, retry after a delay, or dead — and every bus acts
//     on that decision in its own way: the channel bus sleeps, the outbox
//     records the next attempt time in the database, the NATS consumer
//     naks with a delay.
//   - Invoker (invoke.go) runs one attempt: it logs the event, calls every
//     handler in order with panic recovery (a panic becomes a *PanicError),
//     logs each failure, reports each handler's result to a hook and
//     returns the combined error, permanent only when every failure was.
//   - LogAttempt logs a decided attempt (a retry at WARN, a give-up at
//     ERROR) with the same fields on every bus; Attempt is what the
//     outcome hook for metrics receives.
//
// Every event log line carries the top-level fields event, event_id,
// movie_id and, for review_logged, review_id (EventAttrs).
package delivery
