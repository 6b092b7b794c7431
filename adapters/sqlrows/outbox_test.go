package sqlrows_test

import (
	"database/sql"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// storedEvent returns a ReviewLogged event and its outbox row.
func storedEvent(t *testing.T) (domain.Event, sqlrows.OutboxEvent) {
	t.Helper()
	e := domain.NewReviewLogged(wantReview(t), created)
	payload, err := domain.MarshalEvent(e)
	if err != nil {
		t.Fatalf("MarshalEvent: %v", err)
	}
	return e, sqlrows.OutboxEvent{
		ID: e.EventID().UUID(), Name: string(e.EventName()), Payload: payload,
		CreatedAt: created.In(time.FixedZone("CET", 3600)), NextAttemptAt: created.Add(time.Minute),
		Attempts: 2, LastError: "poster host unavailable", Dead: false,
	}
}

func TestOutboxEventToDomain(t *testing.T) {
	t.Parallel()
	t.Run("a good row converts exactly", func(t *testing.T) {
		t.Parallel()
		e, row := storedEvent(t)
		got, err := row.ToDomain()
		if err != nil {
			t.Fatalf("ToDomain: %v", err)
		}
		want := domain.OutboxEvent{
			Event: e, Attempts: 2, NextAttemptAt: created.Add(time.Minute),
			LastError: "poster host unavailable", CreatedAt: created,
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ToDomain = %+v, want %+v", got, want)
		}
	})

	for _, tc := range []struct {
		name  string
		edit  func(*sqlrows.OutboxEvent)
		wants []string
	}{
		{"an unknown name", func(r *sqlrows.OutboxEvent) { r.Name = "review_archived" }, []string{"name"}},
		{"a payload that is not JSON", func(r *sqlrows.OutboxEvent) { r.Payload = []byte("{") }, []string{"payload"}},
		{"a row ID that is not the payload's", func(r *sqlrows.OutboxEvent) { r.ID = uuid.New() }, []string{"id"}},
		{
			"every bad field of the payload, and the row's ID",
			func(r *sqlrows.OutboxEvent) {
				r.ID = uuid.Nil
				r.Payload = []byte(`{"event_id":"00000000-0000-0000-0000-000000000000","occurred_at":"2024-03-03T22:15:30Z",
					"review_id":"00000000-0000-0000-0000-000000000000","movie_id":"` + movieUUID.String() + `",
					"user_id":"` + userUUID.String() + `","rating":9,"watched_at":"2024-03-03T20:00:00Z"}`)
			},
			sorted("id", "payload.event_id", "payload.review_id", "payload.rating"),
		},
		{
			"an undecodable ID is reported once, as the store said",
			func(r *sqlrows.OutboxEvent) {
				r.ID = uuid.Nil
				r.DecodeErrors = []domain.FieldError{{Field: "id", Rule: "must be a 16-byte UUID, not 0 bytes"}}
				r.Name = ""
			},
			sorted("id", "name"),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, row := storedEvent(t)
			tc.edit(&row)
			_, err := row.ToDomain()
			if got := fieldsOf(t, err); !slices.Equal(got, tc.wants) {
				t.Errorf("ToDomain reports %q, want %q (error: %v)", got, tc.wants, err)
			}
		})
	}
}

// result is an sql.Result with a fixed outcome.
type result struct {
	n   int64
	err error
}

func (r result) LastInsertId() (int64, error) { return 0, errors.New("not supported") }
func (r result) RowsAffected() (int64, error) { return r.n, r.err }

func TestOneEvent(t *testing.T) {
	t.Parallel()
	id := domain.NewEventID()
	driverErr := errors.New("driver: connection reset")
	for _, tc := range []struct {
		name    string
		res     sql.Result
		err     error
		want    error // matched with errors.Is; nil for success
		notFind bool
	}{
		{"one row changed", result{n: 1}, nil, nil, false},
		{"no row changed is not found", result{n: 0}, nil, domain.ErrNotFound, true},
		{"the statement's error is returned as it is", nil, driverErr, driverErr, false},
		{"RowsAffected's error is returned as it is", result{err: driverErr}, nil, driverErr, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := sqlrows.OneEvent(tc.res, tc.err, id)
			if tc.want == nil {
				if err != nil {
					t.Errorf("OneEvent = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("OneEvent = %v, want it to match %v", err, tc.want)
			}
			if !tc.notFind && errors.Is(err, domain.ErrNotFound) {
				t.Errorf("OneEvent = %v matches ErrNotFound, want the driver's error alone", err)
			}
		})
	}
}
