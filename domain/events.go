package domain

import "time"

// EventName is the stable, snake_case name of an event kind; it is what
// logs, metrics and stored events use.
type EventName string

// Event names.
const (
	EventReviewLogged    EventName = "review_logged"
	EventMovieDiscovered EventName = "movie_discovered"
	EventReviewEdited    EventName = "review_edited"
	EventReviewDeleted   EventName = "review_deleted"
	EventPlayReported    EventName = "play_reported"
	// EventMovieNeedsMetadata: a movie imported by title and year is to
	// be looked up in the metadata source.
	EventMovieNeedsMetadata EventName = "movie_needs_metadata"
	// EventPosterStored: a film's poster was stored.
	EventPosterStored EventName = "poster_stored"
	// EventProfileChanged: a user changed their display name or made
	// their diary private or public.
	EventProfileChanged EventName = "profile_changed"
)

// Event is something that happened in the diary. Every event carries an ID
// and the time it occurred, so consumers can de-duplicate redeliveries.
type Event interface {
	EventID() EventID
	OccurredAt() time.Time
	EventName() EventName
	// MovieID is the movie the event is about.
	MovieID() MovieID
}

// EventMeta holds what every event carries.
type EventMeta struct {
	// ID identifies the event; a redelivery carries the same ID.
	ID EventID
	// Time is when the event occurred, in UTC.
	Time time.Time
}

// NewEventMeta returns metadata for an event occurring at now.
func NewEventMeta(now time.Time) EventMeta {
	return EventMeta{ID: NewEventID(), Time: now.UTC()}
}

// EventID returns the event's ID.
func (m EventMeta) EventID() EventID { return m.ID }

// OccurredAt returns when the event occurred.
func (m EventMeta) OccurredAt() time.Time { return m.Time }

// ReviewLogged says a viewing was added to the diary.
type ReviewLogged struct {
	// EventMeta is the event's ID and time.
	EventMeta
	// ReviewID is the logged review.
	ReviewID ReviewID
	// Movie is the movie that was watched.
	Movie MovieID
	// UserID is the user who logged the viewing.
	UserID UserID
	// Rating is the viewing's rating; zero when not rated.
	Rating Rating
	// WatchedAt is when the film was watched, as the review holds it.
	WatchedAt time.Time
}

// EventName returns EventReviewLogged.
func (ReviewLogged) EventName() EventName { return EventReviewLogged }

// MovieID returns the movie that was watched.
func (e ReviewLogged) MovieID() MovieID { return e.Movie }

// NewReviewLogged describes the logging of r.
func NewReviewLogged(r Review, now time.Time) ReviewLogged {
	return ReviewLogged{
		EventMeta: NewEventMeta(now),
		ReviewID:  r.ID,
		Movie:     r.MovieID,
		UserID:    r.UserID,
		Rating:    r.Rating,
		WatchedAt: r.WatchedAt,
	}
}

// ReviewEdited says the author corrected a review; it carries the review's
// values after the edit.
type ReviewEdited struct {
	// EventMeta is the event's ID and time.
	EventMeta
	// ReviewID is the edited review.
	ReviewID ReviewID
	// Movie is the movie the review is of.
	Movie MovieID
	// UserID is the review's author.
	UserID UserID
	// Rating is the rating after the edit; zero when not rated.
	Rating Rating
	// WatchedAt is the time of viewing after the edit.
	WatchedAt time.Time
}

// EventName returns EventReviewEdited.
func (ReviewEdited) EventName() EventName { return EventReviewEdited }

// MovieID returns the movie the review is of.
func (e ReviewEdited) MovieID() MovieID { return e.Movie }

// NewReviewEdited describes the edit that left r as it is.
func NewReviewEdited(r Review, now time.Time) ReviewEdited {
	return ReviewEdited{EventMeta: NewEventMeta(now), ReviewID: r.ID, Movie: r.MovieID, UserID: r.UserID, Rating: r.Rating, WatchedAt: r.WatchedAt}
}

// ReviewDeleted says the author deleted a review. The movie stays.
type ReviewDeleted struct {
	// EventMeta is the event's ID and time.
	EventMeta
	// ReviewID is the deleted review.
	ReviewID ReviewID
	// Movie is the movie the review was of.
	Movie MovieID
	// UserID is the review's author.
	UserID UserID
}

// EventName returns EventReviewDeleted.
func (ReviewDeleted) EventName() EventName { return EventReviewDeleted }

// MovieID returns the movie the review was of.
func (e ReviewDeleted) MovieID() MovieID { return e.Movie }

// NewReviewDeleted describes the deletion of r.
func NewReviewDeleted(r Review, now time.Time) ReviewDeleted {
	return ReviewDeleted{EventMeta: NewEventMeta(now), ReviewID: r.ID, Movie: r.MovieID, UserID: r.UserID}
}

// PlayReported says a media server reported a play (or a rating) through a
// user's webhook; its handler resolves the film and logs the viewing.
type PlayReported struct {
	// EventMeta is the event's ID and time.
	EventMeta
	// Play is what was reported, validated.
	Play Play
}

// EventName returns EventPlayReported.
func (PlayReported) EventName() EventName { return EventPlayReported }

// MovieID returns the zero MovieID: the film is not resolved yet.
func (PlayReported) MovieID() MovieID { return MovieID{} }

// NewPlayReported describes the report of p, received at now.
func NewPlayReported(p Play, now time.Time) PlayReported {
	return PlayReported{EventMeta: NewEventMeta(now), Play: p}
}

// MovieDiscovered says a movie with an IMDb ID and no poster entered the
// diary, so its poster can be fetched.
type MovieDiscovered struct {
	// EventMeta is the event's ID and time.
	EventMeta
	// Movie is the discovered movie.
	Movie MovieID
	// ExternalMetadataID is the movie's IMDb ID, never zero: what the poster
	// is looked up by.
	ExternalMetadataID ExternalMetadataID
	// PosterURL is where the metadata source said the poster is, when the
	// film was looked up as it was logged; the zero PosterURL when that is
	// not known (a backfilled event), and the poster sync asks again.
	PosterURL PosterURL
}

// EventName returns EventMovieDiscovered.
func (MovieDiscovered) EventName() EventName { return EventMovieDiscovered }

// MovieID returns the discovered movie.
func (e MovieDiscovered) MovieID() MovieID { return e.Movie }

// NewMovieDiscovered describes the discovery of m, which must have an
// external ID; poster is the poster URL already known, or the zero
// PosterURL.
func NewMovieDiscovered(m Movie, poster PosterURL, now time.Time) MovieDiscovered {
	return MovieDiscovered{EventMeta: NewEventMeta(now), Movie: m.ID, ExternalMetadataID: m.ExternalID, PosterURL: poster}
}

// MovieChange says what saving a viewing did to its movie.
type MovieChange int

// Movie changes.
const (
	// MovieUnchanged: the movie was already stored as given.
	MovieUnchanged MovieChange = iota
	// MovieCreated: the movie is new.
	MovieCreated
	// MovieIdentified: a stored movie without an external ID got one.
	MovieIdentified
)

// LogEvents returns the events that saving review of movie produces, in
// publication order: MovieDiscovered (carrying poster, the poster URL the
// metadata lookup returned, if any) when the movie is new or was just given
// an external ID, has one, and has no poster yet; then ReviewLogged.
// Repositories call it inside the transaction that saves the viewing, so a
// durable outbox can store the events with the data.
func LogEvents(movie Movie, change MovieChange, review Review, poster PosterURL, now time.Time) []Event {
	events := make([]Event, 0, 2)
	if change != MovieUnchanged && !movie.ExternalID.IsZero() && !movie.HasPoster() {
		events = append(events, NewMovieDiscovered(movie, poster, now))
	}
	return append(events, NewReviewLogged(review, now))
}

// PosterStored says a film's poster was stored: pages showing the film
// change.
type PosterStored struct {
	// EventMeta is the event's ID and time.
	EventMeta
	// Movie is the film.
	Movie MovieID
	// Path is where the poster is stored.
	Path PosterPath
}

// EventName returns EventPosterStored.
func (PosterStored) EventName() EventName { return EventPosterStored }

// MovieID returns the film.
func (e PosterStored) MovieID() MovieID { return e.Movie }

// NewPosterStored describes the storing of movie's poster at path.
func NewPosterStored(movie MovieID, path PosterPath, now time.Time) PosterStored {
	return PosterStored{EventMeta: NewEventMeta(now), Movie: movie, Path: path}
}

// ProfileChanged says a user changed their public profile: their display
// name, or whether their diary is private. Every page, feed and statistic
// showing their viewings changes.
type ProfileChanged struct {
	// EventMeta is the event's ID and time.
	EventMeta
	// UserID is the user.
	UserID UserID
	// Private is whether the diary is private now.
	Private bool
}

// EventName returns EventProfileChanged.
func (ProfileChanged) EventName() EventName { return EventProfileChanged }

// MovieID returns the zero MovieID: the event is about no one movie.
func (ProfileChanged) MovieID() MovieID { return MovieID{} }

// NewProfileChanged describes a change of u's profile, as now stored.
func NewProfileChanged(u User, now time.Time) ProfileChanged {
	return ProfileChanged{EventMeta: NewEventMeta(now), UserID: u.ID, Private: u.Private}
}
