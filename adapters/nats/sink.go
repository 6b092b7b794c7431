package nats

import (
	"context"
	"fmt"
	"log/slog"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/domain"
)

// Header names set on every event message.
const (
	// HeaderEvent carries the event's name.
	HeaderEvent = "Moviediary-Event"
)

// Sink publishes events to the stream; it is the relay side of the bus,
// the sink an outbox dispatcher hands its stored events to.
type Sink struct{ b *Bus }

// Sink returns the bus's relay side.
func (b *Bus) Sink() *Sink { return &Sink{b: b} }

// Deliver publishes e's wire form to "<SubjectPrefix>.<event name>" with
// the event ID as Nats-Msg-Id and waits for JetStream's acknowledgement, at
// most Config.PublishTimeout. A publication the server recognises as a
// duplicate (the same event ID within the duplicate window) succeeds
// without storing the event again. While NATS is unreachable, or when the
// acknowledgement does not come, the error wraps domain.ErrUnavailable; an
// event that cannot be encoded (domain.MarshalEvent refuses it) wraps
// domain.ErrPermanent as well as MarshalEvent's domain.ErrInfrastructure,
// so a relay gives it up at once instead of retrying it forever.
// The attempt number plays no part: every publication carries the same
// message ID.
func (s *Sink) Deliver(ctx context.Context, e domain.Event, _ int) error {
	b := s.b
	name := e.EventName()
	payload, err := domain.MarshalEvent(e)
	if err != nil {
		return fmt.Errorf("nats: deliver %s %v: %w: %w", name, e.EventID(), domain.ErrPermanent, err)
	}
	if st := b.nc.Status(); st != natsgo.CONNECTED {
		return fmt.Errorf("nats: deliver %s %v: %w: connection %s", name, e.EventID(), domain.ErrUnavailable, st)
	}
	msg := &natsgo.Msg{
		Subject: b.cfg.subject(name),
		Data:    payload,
		Header:  natsgo.Header{},
	}
	msg.Header.Set(jetstream.MsgIDHeader, e.EventID().String())
	msg.Header.Set(HeaderEvent, string(name))
	pctx, cancel := context.WithTimeout(ctx, b.cfg.PublishTimeout)
	defer cancel()
	ack, err := b.js.PublishMsg(pctx, msg, jetstream.WithExpectStream(b.cfg.Stream))
	if err != nil {
		return fmt.Errorf("nats: deliver %s %v: %w: %w", name, e.EventID(), domain.ErrUnavailable, err)
	}
	if ack.Duplicate && b.logger.Enabled(ctx, slog.LevelDebug) {
		b.logger.LogAttrs(ctx, slog.LevelDebug, "nats: duplicate event dropped by the stream",
			append(delivery.EventAttrs(e), slog.Uint64("stream_seq", ack.Sequence))...)
	}
	return nil
}
