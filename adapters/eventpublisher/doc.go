// Package eventpublisher is moviediary's in-process event bus: a buffered
// channel between the use cases that publish domain events and a single
// worker that hands each event to every registered delivery.Handler in
// turn. Events are lost when the process dies; the outbox bus
// (adapters/outbox) is the durable alternative.
//
// CreateEventChannel returns the two ends. ChannelPublisher implements
// domain.EventPublisher; EventWorker.Run consumes events and delivers each
// through the shared delivery core (adapters/delivery): a delivery.Invoker
// logs the event and calls the handlers in registration order — a
// handler's error or panic is logged and neither stops the worker nor
// skips the handlers after it — and Config.Retry, a delivery.RetryPolicy,
// decides whether a failed event is tried again, after how long (the
// worker waits in its own goroutine) or given up.
//
// # Shutdown protocol
//
// Shutdown is started by either of:
//
//   - ChannelPublisher.Close (the preferred way: in-flight handlers keep a
//     live context and finish normally), or
//   - cancelling the context given to EventWorker.Run (the handler running
//     at that moment sees its context cancelled, so a retry backoff stops
//     at once).
//
// From that moment Publish refuses new events with an error wrapping
// ErrClosed (and so domain.ErrUnavailable); it never panics. A Publish that
// was already waiting for buffer space either delivers its event or returns
// that error — an event for which Publish returned nil is always handled.
// Run then drains every event already accepted, calling the handlers with
// context.WithoutCancel of Run's context (its values, no cancellation), so
// the drain is not aborted the moment it starts; WithDrainTimeout bounds
// the drain as a whole. When the buffer is empty Run returns nil. A
// composition root therefore stops the bus with
//
//	publisher.Close()
//	<-runReturned // with its own shutdown deadline if it wants one
package eventpublisher
