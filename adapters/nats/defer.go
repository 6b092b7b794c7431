package nats

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/domain"
)

// Headers of a deferred copy of an event (see the package comment,
// Deferrals).
const (
	// HeaderNotBefore carries the time, RFC 3339 in UTC, before which a
	// deferred copy's handlers are not run.
	HeaderNotBefore = "Moviediary-Not-Before"
	// HeaderAttempts carries how many attempts the event had before the
	// copy was published, the deferred one not counted.
	HeaderAttempts = "Moviediary-Attempts"
)

// deferral is what the headers of a deferred copy say; the zero value is
// a message published by Sink or RequeueEvent.
type deferral struct {
	notBefore time.Time // zero: not a deferred copy
	attempts  int       // attempts the event had before the copy
}

// readDeferral reads msg's deferral headers. Headers it cannot read (only
// Consume writes them) make it an ordinary message, with an error to log.
func readDeferral(msg jetstream.Msg) (deferral, error) {
	h := msg.Headers()
	nb := h.Get(HeaderNotBefore)
	if nb == "" {
		return deferral{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, nb)
	if err != nil {
		return deferral{}, fmt.Errorf("header %s: %w", HeaderNotBefore, err)
	}
	n, err := strconv.Atoi(h.Get(HeaderAttempts))
	if err != nil || n < 0 {
		return deferral{}, fmt.Errorf("header %s: not a count: %q", HeaderAttempts, h.Get(HeaderAttempts))
	}
	return deferral{notBefore: t, attempts: n}, nil
}

// attempt is the number of the attempt delivery d of a message with
// deferral df would be: a copy's first delivery is always its wait, so
// its delivery d ≥ 2 is the event's attempt attempts+d−1.
func (df deferral) attempt(d int) int {
	if df.notBefore.IsZero() {
		return d
	}
	return df.attempts + d - 1
}

// wait settles a deferred copy's delivery that must not run its handlers
// and reports whether it did so: the first delivery of every copy, and any
// other one that comes before the copy's not-before time. The first is
// negatively acknowledged with the time remaining, so the server hands the
// copy out again when it is due. A later early one (another process's
// clock behind, or a process that died holding the first) is replaced by a
// fresh copy with the same headers, so the copy's delivery count keeps
// meaning attempts; should that publication fail, it is Nak'd with the
// remaining time like a first one and costs the event an attempt. Waits
// are logged at DEBUG only and reach no hook.
func (b *Bus) wait(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata, e domain.Event, df deferral) bool {
	d := int(md.NumDelivered)
	remaining := time.Until(df.notBefore)
	if df.notBefore.IsZero() || (d > 1 && remaining <= 0) {
		return false
	}
	attrs := append(delivery.EventAttrs(e), slog.Uint64("stream_seq", md.Sequence.Stream), slog.Int("delivery", d),
		slog.Time("not_before", df.notBefore), slog.Duration("wait", max(remaining, 0)))
	var err error
	switch {
	case d > 1:
		if err = b.publishDeferred(ctx, msg, md, e, df); err == nil {
			attrs = append(attrs, slog.String("action", "republished"))
			err = msg.Ack()
			break
		}
		attrs = append(attrs, slog.String("republish_error", err.Error()))
		fallthrough
	case remaining > 0:
		err = msg.NakWithDelay(remaining)
	default:
		err = msg.Nak() // due already: its next delivery is its attempt
	}
	if err != nil {
		attrs = append(attrs, slog.String("settle_error", err.Error()))
	}
	b.logger.LogAttrs(ctx, slog.LevelDebug, "nats: deferred event waits", attrs...)
	return true
}

// publishDeferred publishes a deferred copy of msg's event with df's
// headers to the event's subject and waits for JetStream's
// acknowledgement. Its Nats-Msg-Id, "<event id>/defer/<msg's stream
// sequence>", is the same for every copy made of one message, so a copy
// published again after msg was redelivered (its acknowledgement lost, its
// process dead) is dropped by the stream within the duplicate window.
func (b *Bus) publishDeferred(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata, e domain.Event, df deferral) error {
	out := &natsgo.Msg{Subject: msg.Subject(), Data: msg.Data(), Header: natsgo.Header{}}
	out.Header.Set(jetstream.MsgIDHeader, e.EventID().String()+"/defer/"+strconv.FormatUint(md.Sequence.Stream, 10))
	out.Header.Set(HeaderEvent, string(e.EventName()))
	out.Header.Set(HeaderNotBefore, df.notBefore.UTC().Format(time.RFC3339Nano))
	out.Header.Set(HeaderAttempts, strconv.Itoa(df.attempts))
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.PublishTimeout)
	defer cancel()
	if _, err := b.js.PublishMsg(pctx, out, jetstream.WithExpectStream(b.cfg.Stream)); err != nil {
		return fmt.Errorf("publish deferred copy: %w", classify(err))
	}
	return nil
}

// deferEvent settles attempt a, deferred (delivery.ReasonDeferred), of
// msg: a copy not before now+a.Delay, carrying the attempts before a, is
// published and msg acknowledged, so neither the deferral nor the wait
// counts toward the event's attempts or the crash backstop. When the copy
// cannot be published, msg is Nak'd with a.Delay instead and the wait
// costs the event a delivery. It returns what to log with the attempt.
func (b *Bus) deferEvent(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata, a delivery.Attempt) []slog.Attr {
	nb := time.Now().Add(a.Delay)
	extra := []slog.Attr{slog.Uint64("stream_seq", md.Sequence.Stream), slog.Time("not_before", nb)}
	err := b.publishDeferred(ctx, msg, md, a.Event, deferral{notBefore: nb, attempts: a.Number - 1})
	if err == nil {
		err = msg.Ack()
	} else {
		extra = append(extra, slog.String("republish_error", err.Error()))
		err = msg.NakWithDelay(a.Delay)
	}
	if err != nil {
		extra = append(extra, slog.String("settle_error", err.Error()))
	}
	return extra
}
