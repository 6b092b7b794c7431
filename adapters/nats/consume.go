package nats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/domain"
)

// crashAllowance is how many attempts past Config.Retry.Attempts() an
// event may have that were never settled (their process died, or shutdown
// cut them short) before it is given up without running its handlers
// again: the backstop against a message whose handling kills the process.
// Deferrals and their waits are no attempts (see the package comment).
const crashAllowance = 3

// DefaultConcurrency is how many messages Consume handles at once unless
// WithConcurrency says otherwise.
const DefaultConcurrency = 4

// DeadAdvisory is the JSON published on Config.DeadSubject for every event
// given up.
type DeadAdvisory struct {
	// Event is the event's name (from the subject when it did not decode).
	Event string `json:"event"`
	// EventID is the event's ID (from Nats-Msg-Id when it did not decode).
	EventID string `json:"event_id"`
	// MovieID is the movie the event is about; empty when it did not decode.
	MovieID string `json:"movie_id,omitempty"`
	// Attempts is how many attempts were made: deliveries that ran, or
	// might have run, the handlers (deferrals and their waits are not
	// counted; see the package comment).
	Attempts int `json:"attempts"`
	// Error is the failure of the last delivery.
	Error string `json:"error"`
	// Subject and StreamSequence locate the message in the stream.
	Subject        string `json:"subject"`
	StreamSequence uint64 `json:"stream_seq"`
	// Payload is the event's wire form when it is JSON, so the event can be
	// republished once its cause is fixed.
	Payload json.RawMessage `json:"payload,omitempty"`
	// Time is when the event was given up.
	Time time.Time `json:"time"`
}

// ConsumeOption adjusts Consume.
type ConsumeOption func(*consumeOptions)

type consumeOptions struct {
	concurrency  int
	onHandled    func(domain.EventName, string, error)
	onAttempt    func(delivery.Attempt)
	drainTimeout time.Duration
	pollWait     time.Duration
}

// WithConcurrency sets how many messages are handled at once (default
// DefaultConcurrency; less than 1 counts as 1). A hanging handler holds one
// slot and delays no other message while slots remain. With 1, messages
// are handled in stream order (redeliveries aside).
func WithConcurrency(n int) ConsumeOption {
	return func(o *consumeOptions) { o.concurrency = max(n, 1) }
}

// WithHandledHook calls fn after each handler ran on a delivery, with its
// error (nil on success; a recovered panic is a *delivery.PanicError), as
// on every bus. fn must be quick and safe for concurrent use.
func WithHandledHook(fn func(event domain.EventName, handler string, err error)) ConsumeOption {
	return func(o *consumeOptions) { o.onHandled = fn }
}

// WithAttemptHook calls fn once per delivery with what Config.Retry made
// of it (success: acknowledged; retry: redelivered after Attempt.Delay;
// dead: terminated with an advisory), as the other buses report their
// attempts, so the poster sync metrics hang on any bus alike. A delivery
// that shutdown cut short (see WithDrainTimeout) is reported as a retry
// with delivery.ReasonInterrupted, a deferred one (see the package
// comment, Deferrals) as a retry with delivery.ReasonDeferred; the waits
// of a deferred copy are not reported. An event that does not decode is
// reported dead with a nil Attempt.Event.
func WithAttemptHook(fn func(delivery.Attempt)) ConsumeOption {
	return func(o *consumeOptions) { o.onAttempt = fn }
}

// WithDrainTimeout bounds the wait for in-flight handlers once Consume's
// context is done: d later their context is cancelled. A delivery whose
// handlers fail with their context cancelled is not judged by Config.Retry
// (shutdown, not the handler, ended it): it is negatively acknowledged for
// immediate redelivery, to another process or a later Consume, and reported
// as a retry with delivery.ReasonInterrupted; it is never given up for it.
// Zero, the default, waits for them without a bound.
func WithDrainTimeout(d time.Duration) ConsumeOption {
	return func(o *consumeOptions) { o.drainTimeout = d }
}

// Consume pulls messages from the durable consumer and handles up to
// WithConcurrency of them at once until ctx is done, then waits for the
// in-flight ones (their handlers run with ctx's values but not its
// cancellation; see WithDrainTimeout) and returns nil. Several processes
// may consume at once; each message goes to one of them.
//
// Each message is decoded and logged at INFO ("event", with top-level
// event, event_id, movie_id, review_id for review_logged, and attempt);
// every handler then runs in order, a panic being recovered as a
// *delivery.PanicError. All succeeded: the message is acknowledged. The
// failure is permanent by Config.Retry's judgement (RetryPolicy.IsPermanent
// on the Invoker's error, which is permanent only when every handler's
// failure was), or the attempt's number is Config.Retry.Attempts() or
// more: the message is terminated and a DeadAdvisory is published.
// Otherwise the server redelivers it after the backoff (see the package
// comment), and every handler runs again — handlers must be idempotent.
// A deferral (*domain.DeferredError) is settled by publishing a deferred
// copy of the event, whose handlers run when it is due (see the package
// comment, Deferrals); it never counts as an attempt. A delivery cut
// short by shutdown is redelivered at once (see WithDrainTimeout). A
// message on Config.DeadSubject is acknowledged and skipped; one that does
// not decode is given up at once.
//
// Consume returns an error at once if handlers is empty or holds nil, and
// an error wrapping domain.ErrUnavailable when the bus is closed under it.
// Transient NATS errors are logged and retried.
func (b *Bus) Consume(ctx context.Context, handlers []delivery.Handler, opts ...ConsumeOption) error {
	if len(handlers) == 0 {
		return fmt.Errorf("nats: consume: %w", domain.FieldError{Field: "handlers", Rule: "at least one handler is required"})
	}
	for i, h := range handlers {
		if h == nil {
			return fmt.Errorf("nats: consume: %w", domain.FieldError{Field: fmt.Sprintf("handlers[%d]", i), Rule: "must not be nil"})
		}
	}
	if b.cons == nil {
		return fmt.Errorf("nats: consume: %w: an attached bus has no consumer (use Connect)", domain.ErrMisconfigured)
	}
	o := consumeOptions{concurrency: DefaultConcurrency, pollWait: time.Second}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	inv := delivery.NewInvoker(handlers, delivery.WithLogger(b.logger), delivery.WithHandledHook(o.onHandled))
	hctx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()
	stopDrainTimer := context.AfterFunc(ctx, func() {
		if o.drainTimeout > 0 {
			time.AfterFunc(o.drainTimeout, cancelHandlers)
		}
	})
	defer stopDrainTimer()

	sem := make(chan struct{}, o.concurrency)
	release := func(n int) {
		for range n {
			<-sem
		}
	}
	var wg sync.WaitGroup
	b.logger.LogAttrs(ctx, slog.LevelInfo, "nats consumer started",
		slog.String("stream", b.cfg.Stream), slog.String("durable", b.cfg.Durable), slog.Int("concurrency", o.concurrency))
	defer func() {
		// Stopped means the in-flight handlers are done and their
		// messages settled.
		wg.Wait()
		b.logger.LogAttrs(ctx, slog.LevelInfo, "nats consumer stopped", slog.String("durable", b.cfg.Durable))
	}()

	for {
		if ctx.Err() != nil {
			return nil
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		// Fetch only as many messages as there are free slots: a fetched
		// message's acknowledgement deadline is already running.
		n := 1
	grab:
		for n < cap(sem) {
			select {
			case sem <- struct{}{}:
				n++
			default:
				break grab
			}
		}
		fctx, cancel := context.WithTimeout(ctx, o.pollWait)
		batch, err := b.cons.Fetch(n, jetstream.FetchContext(fctx))
		if err != nil {
			cancel()
			release(n)
			if stop, rerr := b.fetchFailed(ctx, err); stop {
				return rerr
			}
			continue
		}
		got := 0
		for msg := range batch.Messages() {
			got++
			wg.Go(func() {
				defer release(1)
				b.handle(hctx, msg, inv, &o)
			})
		}
		cancel()
		release(n - got)
		if err := batch.Error(); err != nil && !benignFetchError(err) {
			if stop, rerr := b.fetchFailed(ctx, err); stop {
				return rerr
			}
		}
	}
}

// fetchFailed logs a failed fetch and pauses; it reports whether Consume
// must stop, with what.
func (b *Bus) fetchFailed(ctx context.Context, err error) (bool, error) {
	if b.nc.IsClosed() {
		return true, fmt.Errorf("nats: consume: %w: connection closed", domain.ErrUnavailable)
	}
	if ctx.Err() != nil {
		return true, nil
	}
	b.logger.LogAttrs(ctx, slog.LevelWarn, "nats fetch failed", errAttr(err))
	if delivery.Sleep(ctx, 250*time.Millisecond) != nil {
		return true, nil
	}
	return false, nil
}

// benignFetchError reports whether a fetch merely ended without messages.
func benignFetchError(err error) bool {
	return errors.Is(err, jetstream.ErrNoMessages) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) || errors.Is(err, natsgo.ErrTimeout)
}

// handle runs the handlers on one message and settles it as Config.Retry
// decides, unless shutdown cut the handlers short (ctx, the handlers'
// context, done): such a delivery is Nak'd for immediate redelivery and
// reported as an interrupted retry, whatever its number.
func (b *Bus) handle(ctx context.Context, msg jetstream.Msg, inv *delivery.Invoker, o *consumeOptions) {
	md, err := msg.Metadata()
	if err != nil {
		b.logger.LogAttrs(ctx, slog.LevelError, "nats: message without JetStream metadata", slog.String("subject", msg.Subject()), errAttr(err))
		_ = msg.Term()
		return
	}
	if msg.Subject() == b.cfg.DeadSubject {
		_ = msg.Ack()
		return
	}
	df, dfErr := readDeferral(msg)
	n := df.attempt(int(md.NumDelivered))
	name := domain.EventName(strings.TrimPrefix(msg.Subject(), b.cfg.SubjectPrefix+"."))
	e, err := domain.UnmarshalEvent(name, msg.Data())
	if err != nil {
		adv := b.advisory(msg, md, n, err)
		adv.Event, adv.EventID = string(name), msg.Headers().Get(jetstream.MsgIDHeader)
		b.giveUp(ctx, msg, adv, nil)
		if o.onAttempt != nil {
			o.onAttempt(delivery.Attempt{Number: n, Err: err, Outcome: delivery.OutcomeDead, Reason: delivery.ReasonPermanent})
		}
		return
	}
	if dfErr != nil {
		b.logger.LogAttrs(ctx, slog.LevelWarn, "nats: deferral headers ignored",
			append(delivery.EventAttrs(e), slog.Uint64("stream_seq", md.Sequence.Stream), errAttr(dfErr))...)
	}
	if b.wait(ctx, msg, md, e, df) {
		return
	}

	if limit := b.cfg.Retry.Attempts() + crashAllowance; n > limit {
		// Delivered this often without ever being settled: its handlers
		// keep ending the process (a fatal error no recover catches), so
		// running them again would crash again. Give it up unrun.
		a := delivery.Attempt{Event: e, Number: n, Outcome: delivery.OutcomeDead, Reason: delivery.ReasonExhausted,
			Err: fmt.Errorf("attempted %d times, %d more than its %d attempts, without being settled: the handlers keep ending the process", n, n-b.cfg.Retry.Attempts(), b.cfg.Retry.Attempts())}
		adv := b.advisory(msg, md, n, a.Err)
		adv.Event, adv.EventID, adv.MovieID = string(name), e.EventID().String(), e.MovieID().String()
		delivery.LogAttempt(ctx, b.logger, a, slog.Uint64("stream_seq", md.Sequence.Stream))
		b.giveUp(ctx, msg, adv, delivery.EventAttrs(e))
		if o.onAttempt != nil {
			o.onAttempt(a)
		}
		return
	}

	stopKeepAlive := keepAlive(msg, b.cfg.AckWait)
	err = inv.Invoke(ctx, e, n)
	stopKeepAlive()

	streamSeq := slog.Uint64("stream_seq", md.Sequence.Stream)
	if err != nil && ctx.Err() != nil {
		// Shutdown (WithDrainTimeout) cut the handlers short: not their
		// fault, so Config.Retry does not judge it, and even the last
		// permitted delivery is not given up. A plain Nak hands it out
		// again at once, to a process still consuming.
		a := delivery.Attempt{Event: e, Number: n, Err: fmt.Errorf("interrupted by shutdown: %w", err),
			Outcome: delivery.OutcomeRetry, Reason: delivery.ReasonInterrupted}
		extra := []slog.Attr{streamSeq}
		if nakErr := msg.Nak(); nakErr != nil {
			extra = append(extra, slog.String("settle_error", nakErr.Error()))
		}
		delivery.LogAttempt(ctx, b.logger, a, extra...)
		if o.onAttempt != nil {
			o.onAttempt(a)
		}
		return
	}
	a := b.cfg.Retry.Decide(e, n, err)
	switch a.Outcome {
	case delivery.OutcomeSuccess:
		if err := msg.Ack(); err != nil {
			b.logger.LogAttrs(ctx, slog.LevelWarn, "nats ack failed; the event will be redelivered",
				append(delivery.EventAttrs(e), slog.Int("attempt", n), errAttr(err))...)
		}
	case delivery.OutcomeDead:
		adv := b.advisory(msg, md, n, a.Err)
		adv.Event, adv.EventID, adv.MovieID = string(name), e.EventID().String(), e.MovieID().String()
		delivery.LogAttempt(ctx, b.logger, a, streamSeq, slog.String("dead_subject", b.cfg.DeadSubject))
		b.giveUp(ctx, msg, adv, delivery.EventAttrs(e))
	case delivery.OutcomeRetry:
		if a.Reason == delivery.ReasonDeferred {
			delivery.LogAttempt(ctx, b.logger, a, b.deferEvent(ctx, msg, md, a)...)
			break
		}
		fallthrough
	default:
		var settleErr error
		if a.Delay > 0 {
			settleErr = msg.NakWithDelay(a.Delay)
		} else {
			settleErr = msg.Nak()
		}
		extra := []slog.Attr{streamSeq}
		if settleErr != nil {
			extra = append(extra, slog.String("settle_error", settleErr.Error()))
		}
		delivery.LogAttempt(ctx, b.logger, a, extra...)
	}
	if o.onAttempt != nil {
		o.onAttempt(a)
	}
}

// advisory fills the parts of a DeadAdvisory that come from the message
// and its attempt number n.
func (b *Bus) advisory(msg jetstream.Msg, md *jetstream.MsgMetadata, n int, err error) DeadAdvisory {
	adv := DeadAdvisory{
		Attempts:       n,
		Error:          err.Error(),
		Subject:        msg.Subject(),
		StreamSequence: md.Sequence.Stream,
		Time:           time.Now().UTC(),
	}
	if json.Valid(msg.Data()) {
		adv.Payload = json.RawMessage(msg.Data())
	}
	return adv
}

// giveUp publishes adv on the dead subject and terminates msg. The
// advisory is also logged at ERROR in full, so it survives a failed
// publication.
func (b *Bus) giveUp(ctx context.Context, msg jetstream.Msg, adv DeadAdvisory, attrs []slog.Attr) {
	if attrs == nil {
		attrs = []slog.Attr{slog.String("event", adv.Event), slog.String("event_id", adv.EventID)}
	}
	la := append(attrs[:len(attrs):len(attrs)], slog.Int("attempts", adv.Attempts), slog.String("error", adv.Error),
		slog.String("dead_subject", b.cfg.DeadSubject), slog.Uint64("stream_seq", adv.StreamSequence))
	data, err := json.Marshal(adv)
	if err == nil {
		err = b.publishAdvisory(ctx, data)
	}
	if err != nil {
		la = append(la, slog.String("advisory_error", err.Error()))
		b.logger.LogAttrs(ctx, slog.LevelError, "event dead; publishing its advisory failed", la...)
	} else {
		b.logger.LogAttrs(ctx, slog.LevelInfo, "event dead: advisory published", la...)
	}
	// A plain Term: servers before 2.10 do not understand a reason and
	// would leave the message pending; the reason is in the advisory.
	if err := msg.Term(); err != nil {
		b.logger.LogAttrs(ctx, slog.LevelWarn, "nats term failed", append(attrs, errAttr(err))...)
	}
}

// publishAdvisory stores data in the stream when the dead subject is under
// the prefix, else publishes it plainly.
func (b *Bus) publishAdvisory(ctx context.Context, data []byte) error {
	if !strings.HasPrefix(b.cfg.DeadSubject, b.cfg.SubjectPrefix+".") {
		return b.nc.Publish(b.cfg.DeadSubject, data)
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.PublishTimeout)
	defer cancel()
	_, err := b.js.Publish(pctx, b.cfg.DeadSubject, data)
	return err
}

// keepAlive signals InProgress every third of deadline until the returned
// function is called (which waits for the signalling to stop).
func keepAlive(msg jetstream.Msg, deadline time.Duration) func() {
	every := max(deadline/3, time.Millisecond)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = msg.InProgress()
			case <-done:
				return
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}
