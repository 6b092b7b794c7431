package sqlrows

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/domain"
)

// OutboxEvent is a row of outbox_events, decoded; the store's sequence
// number, which only orders the rows, is left out.
type OutboxEvent struct {
	// ID is the event's ID, which its payload holds too.
	ID uuid.UUID
	// Name is the event's name, which selects the payload's form.
	Name string
	// Payload is the event in its wire form (domain.MarshalEvent).
	Payload []byte
	// CreatedAt is when the event was stored.
	CreatedAt time.Time
	// NextAttemptAt is when the event is next due.
	NextAttemptAt time.Time
	// Attempts counts the deliveries tried so far.
	Attempts int
	// LastError is the failure of the latest attempt, "" when none failed.
	LastError string
	// Dead reports that delivery was given up.
	Dead bool
	// DecodeErrors lists the columns the store could not decode, as
	// Movie.DecodeErrors does.
	DecodeErrors []domain.FieldError
}

// ToDomain decodes the stored event with domain.UnmarshalEvent, which
// re-validates every field of the payload, and checks that the row's ID is
// the payload's event ID. When anything fails it returns a
// *domain.ValidationError listing every failure: "name" for an unknown
// event name, "payload" for a payload that is not the event's JSON,
// "payload.<field>" for a field of the payload, "id" for the row's ID.
// Times are returned in UTC.
func (r OutboxEvent) ToDomain() (domain.OutboxEvent, error) {
	var c checker
	c.row("", r.DecodeErrors)
	e, err := domain.UnmarshalEvent(domain.EventName(r.Name), r.Payload)
	if err != nil {
		c.failed = true
		var ve *domain.ValidationError
		if errors.As(err, &ve) {
			for _, f := range ve.Fields {
				field := "payload"
				if f.Field != field {
					field += "." + f.Field
				}
				c.v.Add(field, f.Rule)
			}
		} else {
			c.check("name", err)
		}
	}
	switch {
	case r.ID == uuid.Nil:
		c.check("id", errors.New("must not be the nil UUID"))
	case e != nil && e.EventID().UUID() != r.ID:
		c.check("id", fmt.Errorf("does not match the payload's event_id %v", e.EventID()))
	}
	if c.failed {
		return domain.OutboxEvent{}, c.v.Err()
	}
	return domain.OutboxEvent{
		Event:         e,
		Attempts:      r.Attempts,
		NextAttemptAt: r.NextAttemptAt.UTC(),
		LastError:     r.LastError,
		Dead:          r.Dead,
		CreatedAt:     r.CreatedAt.UTC(),
	}, nil
}

// ToDomainAll converts rows, in order, with convert, stopping at the first
// row that fails: a store's rows of one query become domain values.
func ToDomainAll[R, T any](rows []R, convert func(R) (T, error)) ([]T, error) {
	out := make([]T, len(rows))
	for i, row := range rows {
		v, err := convert(row)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// OneEvent checks the outcome of a statement meant to change the outbox
// event id: err, the statement's error, or an error from RowsAffected is
// returned as it is, for the store to classify; a statement that changed no
// row gives an error wrapping domain.ErrNotFound.
func OneEvent(res sql.Result, err error, id domain.EventID) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("event %v: %w", id, domain.ErrNotFound)
	}
	return nil
}
