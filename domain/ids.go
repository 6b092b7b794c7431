package domain

import (
	"fmt"

	"github.com/google/uuid"
)

func newUUID() uuid.UUID {
	// Version 7 UUIDs are ordered by creation time, which keeps B-tree
	// indexes compact; fall back to a random one if the clock source fails.
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.New()
	}
	return id
}

func parseUUID(field, s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil || id == uuid.Nil {
		return uuid.Nil, fieldErr(field, "must be a UUID")
	}
	return id, nil
}

// MovieID identifies a movie.
type MovieID struct{ id uuid.UUID }

// NewMovieID generates a fresh, time-ordered MovieID.
func NewMovieID() MovieID { return MovieID{newUUID()} }

// ParseMovieID parses the canonical text form of a MovieID.
func ParseMovieID(s string) (MovieID, error) {
	id, err := parseUUID("movie_id", s)
	return MovieID{id}, err
}

// MovieIDFromUUID wraps a UUID read back from storage.
func MovieIDFromUUID(u uuid.UUID) (MovieID, error) {
	if u == uuid.Nil {
		return MovieID{}, fieldErr("movie_id", "must not be the nil UUID")
	}
	return MovieID{u}, nil
}

// UUID returns the underlying UUID.
func (id MovieID) UUID() uuid.UUID { return id.id }

// String returns the canonical text form.
func (id MovieID) String() string { return id.id.String() }

// IsZero reports whether the ID is unset.
func (id MovieID) IsZero() bool { return id.id == uuid.Nil }

// ReviewID identifies one logged viewing.
type ReviewID struct{ id uuid.UUID }

// NewReviewID generates a fresh, time-ordered ReviewID.
func NewReviewID() ReviewID { return ReviewID{newUUID()} }

// ParseReviewID parses the canonical text form of a ReviewID.
func ParseReviewID(s string) (ReviewID, error) {
	id, err := parseUUID("review_id", s)
	return ReviewID{id}, err
}

// ReviewIDFromUUID wraps a UUID read back from storage.
func ReviewIDFromUUID(u uuid.UUID) (ReviewID, error) {
	if u == uuid.Nil {
		return ReviewID{}, fieldErr("review_id", "must not be the nil UUID")
	}
	return ReviewID{u}, nil
}

// UUID returns the underlying UUID.
func (id ReviewID) UUID() uuid.UUID { return id.id }

// String returns the canonical text form.
func (id ReviewID) String() string { return id.id.String() }

// IsZero reports whether the ID is unset.
func (id ReviewID) IsZero() bool { return id.id == uuid.Nil }

// UserID identifies an account.
type UserID struct{ id uuid.UUID }

// NewUserID generates a fresh, time-ordered UserID.
func NewUserID() UserID { return UserID{newUUID()} }

// ParseUserID parses the canonical text form of a UserID.
func ParseUserID(s string) (UserID, error) {
	id, err := parseUUID("user_id", s)
	return UserID{id}, err
}

// UserIDFromUUID wraps a UUID read back from storage.
func UserIDFromUUID(u uuid.UUID) (UserID, error) {
	if u == uuid.Nil {
		return UserID{}, fieldErr("user_id", "must not be the nil UUID")
	}
	return UserID{u}, nil
}

// UUID returns the underlying UUID.
func (id UserID) UUID() uuid.UUID { return id.id }

// String returns the canonical text form.
func (id UserID) String() string { return id.id.String() }

// IsZero reports whether the ID is unset.
func (id UserID) IsZero() bool { return id.id == uuid.Nil }

// EventID identifies one event, so consumers can de-duplicate deliveries.
type EventID struct{ id uuid.UUID }

// NewEventID generates a fresh, time-ordered EventID.
func NewEventID() EventID { return EventID{newUUID()} }

// ParseEventID parses the canonical text form of an EventID.
func ParseEventID(s string) (EventID, error) {
	id, err := parseUUID("event_id", s)
	return EventID{id}, err
}

// UUID returns the underlying UUID.
func (id EventID) UUID() uuid.UUID { return id.id }

// String returns the canonical text form.
func (id EventID) String() string { return id.id.String() }

// IsZero reports whether the ID is unset.
func (id EventID) IsZero() bool { return id.id == uuid.Nil }

// mustParse panics with a clear message; used by the Must… test helpers only.
func mustParse[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("domain: %v", err))
	}
	return v
}

// MustParseMovieID is ParseMovieID that panics; for tests and constants only.
func MustParseMovieID(s string) MovieID { return mustParse(ParseMovieID(s)) }

// MustParseUserID is ParseUserID that panics; for tests and constants only.
func MustParseUserID(s string) UserID { return mustParse(ParseUserID(s)) }

// MustParseReviewID is ParseReviewID that panics; for tests and constants only.
func MustParseReviewID(s string) ReviewID { return mustParse(ParseReviewID(s)) }
