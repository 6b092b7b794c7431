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
	Rating    *float64  `json:"rating"`
	WatchedAt time.Time `json:"watched_at"`
}

// wireReviewEdited has the shape of wireReviewLogged: the review's values
// after the edit.
type wireReviewEdited wireReviewLogged

type wireReviewDeleted struct {
	wireMeta
	ReviewID uuid.UUID `json:"review_id"`
	MovieID  uuid.UUID `json:"movie_id"`
	UserID   uuid.UUID `json:"user_id"`
}

type wirePlayReported struct {
	wireMeta
	UserID             uuid.UUID `json:"user_id"`
	Source             string    `json:"source"`
	Kind               string    `json:"kind"`
	ExternalMetadataID string    `json:"external_metadata_id,omitempty"`
	Title              string    `json:"title,omitempty"`
	Year               int       `json:"year,omitempty"`
	At                 time.Time `json:"at"`
	Rating             *float64  `json:"rating"`
}

type wireMovieDiscovered struct {
	wireMeta
	MovieID            uuid.UUID `json:"movie_id"`
	ExternalMetadataID string    `json:"external_metadata_id"`
	PosterURL          string    `json:"poster_url,omitempty"`
}

type wireMovieNeedsMetadata struct {
	wireMeta
	MovieID uuid.UUID `json:"movie_id"`
	Title   string    `json:"title"`
	Year    int       `json:"year"`
}

type wirePosterStored struct {
	wireMeta
	MovieID    uuid.UUID `json:"movie_id"`
	PosterPath string    `json:"poster_path"`
}

type wireProfileChanged struct {
	wireMeta
	UserID  uuid.UUID `json:"user_id"`
	Private bool      `json:"private"`
}

// MarshalEvent encodes e in its wire form. Events of other types, a nil
// event and nil pointers are refused with an error wrapping
// ErrInfrastructure: they are programming errors, not bad input.
func MarshalEvent(e Event) ([]byte, error) {
	switch ev := e.(type) {
	case ReviewLogged:
		return json.Marshal(wireReviewLogged{metaToWire(ev.EventMeta), ev.ReviewID.UUID(), ev.Movie.UUID(), ev.UserID.UUID(), ratingToWire(ev.Rating), ev.WatchedAt.UTC()})
	case *ReviewLogged:
		if ev != nil {
			return MarshalEvent(*ev)
		}
	case ReviewEdited:
		return json.Marshal(wireReviewEdited{metaToWire(ev.EventMeta), ev.ReviewID.UUID(), ev.Movie.UUID(), ev.UserID.UUID(), ratingToWire(ev.Rating), ev.WatchedAt.UTC()})
	case *ReviewEdited:
		if ev != nil {
			return MarshalEvent(*ev)
		}
	case ReviewDeleted:
		return json.Marshal(wireReviewDeleted{metaToWire(ev.EventMeta), ev.ReviewID.UUID(), ev.Movie.UUID(), ev.UserID.UUID()})
	case *ReviewDeleted:
		if ev != nil {
			return MarshalEvent(*ev)
		}
	case PlayReported:
		p := ev.Play
		return json.Marshal(wirePlayReported{metaToWire(ev.EventMeta), p.User.UUID(), string(p.Source), string(p.Kind),
			p.ExternalID.String(), p.Title.String(), p.Year.Int(), p.At.UTC(), ratingToWire(p.Rating)})
	case *PlayReported:
		if ev != nil {
			return MarshalEvent(*ev)
		}
	case MovieDiscovered:
		return json.Marshal(wireMovieDiscovered{metaToWire(ev.EventMeta), ev.Movie.UUID(), ev.ExternalMetadataID.String(), ev.PosterURL.String()})
	case *MovieDiscovered:
		if ev != nil {
			return MarshalEvent(*ev)
		}
	case MovieNeedsMetadata:
		return json.Marshal(wireMovieNeedsMetadata{metaToWire(ev.EventMeta), ev.Movie.UUID(), ev.Title.String(), ev.Year.Int()})
	case *MovieNeedsMetadata:
		if ev != nil {
			return MarshalEvent(*ev)
		}
	case PosterStored:
		return json.Marshal(wirePosterStored{metaToWire(ev.EventMeta), ev.Movie.UUID(), ev.Path.String()})
	case *PosterStored:
		if ev != nil {
			return MarshalEvent(*ev)
		}
	case ProfileChanged:
		return json.Marshal(wireProfileChanged{metaToWire(ev.EventMeta), ev.UserID.UUID(), ev.Private})
	case *ProfileChanged:
		if ev != nil {
			return MarshalEvent(*ev)
		}
	}
	return nil, fmt.Errorf("%w: cannot encode event of type %T", ErrInfrastructure, e)
}

// UnmarshalEvent decodes the wire form of an event called name,
// re-validating every field. A payload that is not JSON of the event's
// shape wraps ErrValidation (a *ValidationError on field "payload"); one
// whose fields break a rule — a missing or nil ID, a rating that is not 0–5
// in halves (null is no rating), a
// malformed external ID, a missing time — wraps ErrValidation with a
// *ValidationError naming every such field (event_id, occurred_at,
// review_id, movie_id, user_id, rating, watched_at, external_metadata_id).
// An unknown name wraps ErrValidation with a FieldError on field "event".
// Times are returned in UTC. Unknown JSON fields are ignored.
func UnmarshalEvent(name EventName, payload []byte) (Event, error) {
	bad := func(err error) (Event, error) {
		return nil, fmt.Errorf("decode %s event: %w", name, &ValidationError{Fields: []FieldError{{Field: "payload", Rule: err.Error()}}})
	}
	switch name {
	case EventReviewLogged, EventReviewEdited:
		var w wireReviewLogged
		if err := json.Unmarshal(payload, &w); err != nil {
			return bad(err)
		}
		var v Validation
		meta := metaFromWire(&v, w.wireMeta)
		review, movie, user := reviewIDsFromWire(&v, w.ReviewID, w.MovieID, w.UserID)
		var rating Rating
		if w.Rating != nil { // null: not rated
			var err error
			rating, err = NewRating(*w.Rating)
			v.Check("rating", err)
		}
		if w.WatchedAt.IsZero() {
			v.Add("watched_at", "must be set")
		}
		if err := v.Err(); err != nil {
			return nil, fmt.Errorf("decode %s event: %w", name, err)
		}
		if name == EventReviewEdited {
			return ReviewEdited{EventMeta: meta, ReviewID: review, Movie: movie, UserID: user, Rating: rating, WatchedAt: w.WatchedAt.UTC()}, nil
		}
		return ReviewLogged{EventMeta: meta, ReviewID: review, Movie: movie, UserID: user, Rating: rating, WatchedAt: w.WatchedAt.UTC()}, nil
	case EventReviewDeleted:
		var w wireReviewDeleted
		if err := json.Unmarshal(payload, &w); err != nil {
			return bad(err)
		}
		var v Validation
		meta := metaFromWire(&v, w.wireMeta)
		review, movie, user := reviewIDsFromWire(&v, w.ReviewID, w.MovieID, w.UserID)
		if err := v.Err(); err != nil {
			return nil, fmt.Errorf("decode %s event: %w", name, err)
		}
		return ReviewDeleted{EventMeta: meta, ReviewID: review, Movie: movie, UserID: user}, nil
	case EventPlayReported:
		var w wirePlayReported
		if err := json.Unmarshal(payload, &w); err != nil {
			return bad(err)
		}
		var v Validation
		meta := metaFromWire(&v, w.wireMeta)
		user, err := UserIDFromUUID(w.UserID)
		v.Check("user_id", err)
		var (
			ext    ExternalMetadataID
			title  MovieTitle
			year   ReleaseYear
			rating Rating
		)
		if w.ExternalMetadataID != "" {
			ext, err = ParseExternalMetadataID(w.ExternalMetadataID)
			v.Check("external_metadata_id", err)
		}
		if w.Title != "" {
			title, err = NewMovieTitle(w.Title)
			v.Check("title", err)
		}
		if w.Year != 0 && !w.OccurredAt.IsZero() { // without occurred_at, that is the error
			// Checked as of the report, as it was when received, so
			// that a stored event stays decodable.
			year, err = NewReleaseYearAt(w.Year, w.OccurredAt)
			v.Check("year", err)
		}
		if w.Rating != nil {
			rating, err = NewRating(*w.Rating)
			v.Check("rating", err)
		}
		if err := v.Err(); err != nil {
			return nil, fmt.Errorf("decode %s event: %w", name, err)
		}
		// The play was valid when reported: check it as of then.
		play, err := NewPlay(user, WebhookSource(w.Source), PlayKind(w.Kind), ext, title, year, w.At, rating, w.OccurredAt)
		if err != nil {
			return nil, fmt.Errorf("decode %s event: %w", name, err)
		}
		return PlayReported{EventMeta: meta, Play: play}, nil
	case EventMovieDiscovered:
		var w wireMovieDiscovered
		if err := json.Unmarshal(payload, &w); err != nil {
			return bad(err)
		}
		var v Validation
		meta := metaFromWire(&v, w.wireMeta)
		movie, err := MovieIDFromUUID(w.MovieID)
		v.Check("movie_id", err)
		ext, err := ParseExternalMetadataID(w.ExternalMetadataID)
		v.Check("external_metadata_id", err)
		var poster PosterURL
		if w.PosterURL != "" { // absent in events stored before it was carried
			poster, err = ParsePosterURL(w.PosterURL)
			v.Check("poster_url", err)
		}
		if err := v.Err(); err != nil {
			return nil, fmt.Errorf("decode %s event: %w", name, err)
		}
		return MovieDiscovered{EventMeta: meta, Movie: movie, ExternalMetadataID: ext, PosterURL: poster}, nil
	case EventPosterStored:
		var w wirePosterStored
		if err := json.Unmarshal(payload, &w); err != nil {
			return bad(err)
		}
		var v Validation
		meta := metaFromWire(&v, w.wireMeta)
		movie, err := MovieIDFromUUID(w.MovieID)
		v.Check("movie_id", err)
		path, err := NewPosterPath(w.PosterPath)
		v.Check("poster_path", err)
		if err := v.Err(); err != nil {
			return nil, fmt.Errorf("decode %s event: %w", name, err)
		}
		return PosterStored{EventMeta: meta, Movie: movie, Path: path}, nil
	case EventProfileChanged:
		var w wireProfileChanged
		if err := json.Unmarshal(payload, &w); err != nil {
			return bad(err)
		}
		var v Validation
		meta := metaFromWire(&v, w.wireMeta)
		user, err := UserIDFromUUID(w.UserID)
		v.Check("user_id", err)
		if err := v.Err(); err != nil {
			return nil, fmt.Errorf("decode %s event: %w", name, err)
		}
		return ProfileChanged{EventMeta: meta, UserID: user, Private: w.Private}, nil
	case EventMovieNeedsMetadata:
		var w wireMovieNeedsMetadata
		if err := json.Unmarshal(payload, &w); err != nil {
			return bad(err)
		}
		var v Validation
		meta := metaFromWire(&v, w.wireMeta)
		movie, err := MovieIDFromUUID(w.MovieID)
		v.Check("movie_id", err)
		title, err := NewMovieTitle(w.Title)
		v.Check("title", err)
		var year ReleaseYear
		if !w.OccurredAt.IsZero() { // without occurred_at, that is the error
			year, err = NewReleaseYearAt(w.Year, w.OccurredAt)
			v.Check("year", err)
		}
		if err := v.Err(); err != nil {
			return nil, fmt.Errorf("decode %s event: %w", name, err)
		}
		return MovieNeedsMetadata{EventMeta: meta, Movie: movie, Title: title, Year: year}, nil
	}
	return nil, fmt.Errorf("decode event: %w", FieldError{Field: "event", Rule: fmt.Sprintf("unknown event name %q", name)})
}

// ratingToWire is a rating in stars, or nil (JSON null) when not rated.
func ratingToWire(r Rating) *float64 {
	if r.IsZero() {
		return nil
	}
	stars := r.Stars()
	return &stars
}

// reviewIDsFromWire rebuilds the IDs a review event carries, recording a
// missing one in v.
func reviewIDsFromWire(v *Validation, r, m, u uuid.UUID) (ReviewID, MovieID, UserID) {
	review, err := ReviewIDFromUUID(r)
	v.Check("review_id", err)
	movie, err := MovieIDFromUUID(m)
	v.Check("movie_id", err)
	user, err := UserIDFromUUID(u)
	v.Check("user_id", err)
	return review, movie, user
}

func metaToWire(m EventMeta) wireMeta {
	return wireMeta{ID: m.ID.UUID(), OccurredAt: m.Time.UTC()}
}

// metaFromWire rebuilds the event metadata, recording a missing ID or time
// in v.
func metaFromWire(v *Validation, w wireMeta) EventMeta {
	if w.ID == uuid.Nil {
		v.Add("event_id", "must be set")
	}
	if w.OccurredAt.IsZero() {
		v.Add("occurred_at", "must be set")
	}
	return EventMeta{ID: EventID{w.ID}, Time: w.OccurredAt.UTC()}
}
