package domain

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// The wire form of events: a stable JSON payload per event name, used by
// durable buses (the outbox, NATS) to store and carry events. Field names
// are part of the format; change them only with a new event name.

type wireMeta struct {
	ID         uuid.UUID `json:"event_id"`
	OccurredAt time.Time `json:"occurred_at"`
}

type wireReviewLogged struct {
	wireMeta
	ReviewID  uuid.UUID `json:"review_id"`
	MovieID   uuid.UUID `json:"movie_id"`
	UserID    uuid.UUID `json:"user_id"`
	Rating    int       `json:"rating"`
	WatchedAt time.Time `json:"watched_at"`
}

type wireMovieDiscovered struct {
	wireMeta
	MovieID            uuid.UUID `json:"movie_id"`
	ExternalMetadataID string    `json:"external_metadata_id"`
}

// MarshalEvent encodes e in its wire form.
func MarshalEvent(e Event) ([]byte, error) {
	meta := wireMeta{ID: e.EventID().UUID(), OccurredAt: e.OccurredAt().UTC()}
	switch ev := e.(type) {
	case ReviewLogged:
		return json.Marshal(wireReviewLogged{meta, ev.ReviewID.UUID(), ev.Movie.UUID(), ev.UserID.UUID(), ev.Rating.Int(), ev.WatchedAt.UTC()})
	case *ReviewLogged:
		return MarshalEvent(*ev)
	case MovieDiscovered:
		return json.Marshal(wireMovieDiscovered{meta, ev.Movie.UUID(), ev.ExternalMetadataID.String()})
	case *MovieDiscovered:
		return MarshalEvent(*ev)
	}
	return nil, fmt.Errorf("%w: cannot encode event of type %T", ErrInfrastructure, e)
}

// UnmarshalEvent decodes the wire form of an event called name,
// re-validating every field. A payload that does not decode wraps
// ErrValidation.
func UnmarshalEvent(name EventName, payload []byte) (Event, error) {
	bad := func(err error) (Event, error) {
		return nil, fmt.Errorf("decode %s event: %w", name, &ValidationError{Fields: []FieldError{{Field: "payload", Rule: err.Error()}}})
	}
	switch name {
	case EventReviewLogged:
		var w wireReviewLogged
		if err := json.Unmarshal(payload, &w); err != nil {
			return bad(err)
		}
		var v Validation
		review, err := ReviewIDFromUUID(w.ReviewID)
		v.Check("review_id", err)
		movie, err := MovieIDFromUUID(w.MovieID)
		v.Check("movie_id", err)
		user, err := UserIDFromUUID(w.UserID)
		v.Check("user_id", err)
		rating, err := NewRating(w.Rating)
		v.Check("rating", err)
		meta, err := metaFromWire(w.wireMeta)
		v.Check("event_id", err)
		if err := v.Err(); err != nil {
			return nil, fmt.Errorf("decode %s event: %w", name, err)
		}
		return ReviewLogged{EventMeta: meta, ReviewID: review, Movie: movie, UserID: user, Rating: rating, WatchedAt: w.WatchedAt.UTC()}, nil
	case EventMovieDiscovered:
		var w wireMovieDiscovered
		if err := json.Unmarshal(payload, &w); err != nil {
			return bad(err)
		}
		var v Validation
		movie, err := MovieIDFromUUID(w.MovieID)
		v.Check("movie_id", err)
		ext, err := ParseExternalMetadataID(w.ExternalMetadataID)
		v.Check("external_metadata_id", err)
		meta, err := metaFromWire(w.wireMeta)
		v.Check("event_id", err)
		if err := v.Err(); err != nil {
			return nil, fmt.Errorf("decode %s event: %w", name, err)
		}
		return MovieDiscovered{EventMeta: meta, Movie: movie, ExternalMetadataID: ext}, nil
	}
	return nil, fmt.Errorf("decode event: %w", FieldError{Field: "event", Rule: fmt.Sprintf("unknown event name %q", name)})
}

func metaFromWire(w wireMeta) (EventMeta, error) {
	if w.ID == uuid.Nil {
		return EventMeta{}, fieldErr("event_id", "must be set")
	}
	return EventMeta{ID: EventID{w.ID}, Time: w.OccurredAt.UTC()}, nil
}
