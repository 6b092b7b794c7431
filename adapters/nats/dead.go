package nats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/moviediary/moviediary/domain"
)

// deadScanBatch is how many advisories one fetch of the listing consumer
// asks for.
const deadScanBatch = 256

// storedAdvisory is a DeadAdvisory read back from the stream.
type storedAdvisory struct {
	seq   uint64 // the advisory's own sequence in the stream
	adv   DeadAdvisory
	event domain.Event // nil when the advisory's event does not decode
	err   error        // why event is nil
}

// DeadEvents lists the events the consumer gave up, read from the
// DeadAdvisory messages stored in the stream on Config.DeadSubject: at most
// limit, oldest advisory first (none when limit ≤ 0). An event given up
// more than once (republished and dead again) is listed once, with its
// latest advisory and at that advisory's place in the order.
//
// Each event is returned as the outbox would list it, so callers print one
// table for both buses: Event is decoded from the advisory's payload
// (domain.UnmarshalEvent), Attempts is the advisory's count of attempts
// (since the last requeue, which starts the count afresh), LastError is the
// advisory's error, Dead is true, CreatedAt is the event's OccurredAt (not
// when it was given up, which the advisory's Time holds), and NextAttemptAt
// is zero: a dead event is not due. An advisory whose event does not decode (the consumer
// also gives up messages it cannot read) cannot be listed in that form nor
// usefully requeued; it is skipped and logged at WARN, and stays in the
// stream until MaxAge.
//
// Reading uses a short-lived ephemeral consumer filtered on the dead
// subject, deleted before returning; the durable consumer is not touched.
// A dead subject outside Config.SubjectPrefix (advisories published but not
// stored) gives an error wrapping domain.ErrMisconfigured; NATS failures
// wrap domain.ErrUnavailable or domain.ErrInfrastructure.
func (b *Bus) DeadEvents(ctx context.Context, limit int) ([]domain.OutboxEvent, error) {
	const op = "nats: dead events"
	if err := b.deadStored(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if limit <= 0 {
		return []domain.OutboxEvent{}, nil
	}
	stored, err := b.scanAdvisories(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	latest := make(map[domain.EventID]storedAdvisory, len(stored))
	for _, s := range stored {
		if s.event == nil {
			b.logger.LogAttrs(ctx, slog.LevelWarn, "nats: dead advisory not listed: its event does not decode",
				slog.Uint64("advisory_seq", s.seq), slog.String("event", s.adv.Event),
				slog.String("event_id", s.adv.EventID), errAttr(s.err))
			continue
		}
		latest[s.event.EventID()] = s // stored is in stream order: the last one wins
	}
	list := make([]storedAdvisory, 0, len(latest))
	for _, s := range latest {
		list = append(list, s)
	}
	slices.SortFunc(list, func(x, y storedAdvisory) int {
		switch {
		case x.seq < y.seq:
			return -1
		case x.seq > y.seq:
			return 1
		}
		return 0
	})
	out := make([]domain.OutboxEvent, 0, min(limit, len(list)))
	for _, s := range list[:min(limit, len(list))] {
		out = append(out, domain.OutboxEvent{
			Event:     s.event,
			Attempts:  s.adv.Attempts,
			LastError: s.adv.Error,
			Dead:      true,
			CreatedAt: s.event.OccurredAt(),
		})
	}
	return out, nil
}

// RequeueEvent gives a dead event another round of deliveries: it
// republishes the payload of the event's latest advisory to the event's
// subject ("<SubjectPrefix>.<event name>"), where the durable consumer
// delivers it again with a fresh delivery count, then deletes every
// advisory of the event from the stream, so DeadEvents no longer lists it.
// If the event dies again, a new advisory lists it again.
//
// The republication's Nats-Msg-Id is "<event id>/requeue/<advisory
// sequence>": unlike the event ID, which the stream may still remember
// within its duplicate window, it is new for each death of the event, and
// the same for every requeue of one advisory. Two requeues of the same
// advisory — run concurrently, or retried after a failure between the
// publication and the deletion — therefore deliver the event once within
// the duplicate window. A requeue after the advisory was deleted finds
// nothing.
//
// Errors: no stored advisory for id wraps domain.ErrNotFound; an advisory
// whose payload does not decode into an event wraps domain.ErrValidation
// (republishing it would only fail again); a dead subject outside
// Config.SubjectPrefix wraps domain.ErrMisconfigured, since advisories are
// then not stored; NATS failures wrap domain.ErrUnavailable or
// domain.ErrInfrastructure. When the event was republished but an advisory
// could not be deleted, the error says so; calling RequeueEvent again is
// safe.
func (b *Bus) RequeueEvent(ctx context.Context, id domain.EventID) error {
	op := fmt.Sprintf("nats: requeue event %v", id)
	if err := b.deadStored(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	stored, err := b.scanAdvisories(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	var mine []storedAdvisory
	for _, s := range stored {
		if (s.event != nil && s.event.EventID() == id) || (s.event == nil && s.adv.EventID == id.String()) {
			mine = append(mine, s)
		}
	}
	if len(mine) == 0 {
		return fmt.Errorf("%s: no dead advisory in stream %s: %w", op, b.cfg.Stream, domain.ErrNotFound)
	}
	last := mine[len(mine)-1]
	if last.event == nil {
		return fmt.Errorf("%s: advisory %d cannot be requeued: %w", op, last.seq, last.err)
	}

	name := last.event.EventName()
	msg := &natsgo.Msg{
		Subject: b.cfg.subject(name),
		Data:    last.adv.Payload,
		Header:  natsgo.Header{},
	}
	msg.Header.Set(jetstream.MsgIDHeader, id.String()+"/requeue/"+strconv.FormatUint(last.seq, 10))
	msg.Header.Set(HeaderEvent, string(name))
	pctx, cancel := context.WithTimeout(ctx, b.cfg.PublishTimeout)
	ack, err := b.js.PublishMsg(pctx, msg, jetstream.WithExpectStream(b.cfg.Stream))
	cancel()
	if err != nil {
		return fmt.Errorf("%s: publish to %s: %w", op, msg.Subject, classify(err))
	}

	st, err := b.js.Stream(ctx, b.cfg.Stream)
	if err != nil {
		return fmt.Errorf("%s: republished, but advisories not deleted: %w", op, classify(err))
	}
	for _, s := range mine {
		if err := deleteAdvisory(ctx, st, s.seq); err != nil {
			return fmt.Errorf("%s: republished, but advisory %d not deleted: %w", op, s.seq, err)
		}
	}
	b.logger.LogAttrs(ctx, slog.LevelInfo, "dead event requeued",
		slog.String("event", string(name)), slog.String("event_id", id.String()),
		slog.Uint64("advisory_seq", last.seq), slog.Uint64("stream_seq", ack.Sequence),
		slog.Bool("duplicate", ack.Duplicate))
	return nil
}

// deadStored returns an error wrapping domain.ErrMisconfigured unless dead
// advisories are stored in the stream, that is unless the dead subject is
// under the prefix the stream captures.
func (b *Bus) deadStored() error {
	if strings.HasPrefix(b.cfg.DeadSubject, b.cfg.SubjectPrefix+".") {
		return nil
	}
	return fmt.Errorf("%w: dead subject %q is outside subject prefix %q, so dead advisories are published but not stored in stream %s; put it under the prefix (default %s) to list and requeue dead events",
		domain.ErrMisconfigured, b.cfg.DeadSubject, b.cfg.SubjectPrefix, b.cfg.Stream, DefaultDeadSubject)
}

// scanAdvisories reads every advisory stored on the dead subject, in
// stream order, through an ephemeral consumer of its own that it deletes
// before returning. A message that is not an advisory is skipped and
// logged.
func (b *Bus) scanAdvisories(ctx context.Context) ([]storedAdvisory, error) {
	st, err := b.js.Stream(ctx, b.cfg.Stream)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", b.cfg.Stream, classify(err))
	}
	cons, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{
		Description:   "moviediary dead events listing",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckNonePolicy,
		FilterSubject: b.cfg.DeadSubject,
		MemoryStorage: true,
		// Cleans up after a process that died before deleting it.
		InactiveThreshold: time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", b.cfg.DeadSubject, classify(err))
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.PublishTimeout)
		defer cancel()
		if err := st.DeleteConsumer(dctx, cons.CachedInfo().Name); err != nil {
			b.logger.LogAttrs(ctx, slog.LevelWarn, "nats: listing consumer not deleted; the server removes it within a minute",
				slog.String("consumer", cons.CachedInfo().Name), errAttr(err))
		}
	}()

	var out []storedAdvisory
	for {
		if err := ctx.Err(); err != nil {
			return nil, classify(err)
		}
		batch, err := cons.FetchNoWait(deadScanBatch)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", b.cfg.DeadSubject, classify(err))
		}
		got, caughtUp := 0, false
		for msg := range batch.Messages() {
			got++
			md, err := msg.Metadata()
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", b.cfg.DeadSubject, classify(err))
			}
			caughtUp = md.NumPending == 0
			s := storedAdvisory{seq: md.Sequence.Stream}
			if err := json.Unmarshal(msg.Data(), &s.adv); err != nil {
				b.logger.LogAttrs(ctx, slog.LevelWarn, "nats: message on the dead subject is not a dead advisory",
					slog.Uint64("advisory_seq", s.seq), errAttr(err))
				continue
			}
			s.event, s.err = domain.UnmarshalEvent(domain.EventName(s.adv.Event), s.adv.Payload)
			out = append(out, s)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, natsgo.ErrTimeout) {
			return nil, fmt.Errorf("read %s: %w", b.cfg.DeadSubject, classify(err))
		}
		if got == 0 || caughtUp {
			return out, nil
		}
	}
}

// deleteAdvisory deletes the message at seq; one already gone (deleted by
// a concurrent requeue, or aged out) is not an error.
func deleteAdvisory(ctx context.Context, st jetstream.Stream, seq uint64) error {
	err := st.DeleteMsg(ctx, seq)
	if err == nil {
		return nil
	}
	// The delete error does not tell "no such message" apart from other
	// failures; ask for the message instead.
	if _, gerr := st.GetMsg(ctx, seq); errors.Is(gerr, jetstream.ErrMsgNotFound) {
		return nil
	}
	return classify(err)
}
