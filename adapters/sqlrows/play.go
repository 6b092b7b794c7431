package sqlrows

import (
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/domain"
)

// Play is a row of plays: what a store keeps of a recorded play to
// recognise the same play reported again. The play itself travels in its
// PlayReported event.
type Play struct {
	// UserID is whose diary the play goes to.
	UserID uuid.UUID
	// Source is the media server: "plex", "jellyfin" or "emby".
	Source string
	// Kind is "watched" or "rated".
	Kind string
	// FilmKey is domain.Play.FilmKey: the IMDb ID, else the case-folded
	// title and year.
	FilmKey string
	// At is when the film was watched (or rated), UTC, to the second.
	At time.Time
	// EventID is the ID of the PlayReported event that reported it.
	EventID uuid.UUID
}

// PlayRow is the row recording the play e reports, or a
// *domain.ValidationError listing every column that is missing or invalid
// when e was not built by domain.NewPlayReported from a domain.NewPlay.
func PlayRow(e domain.PlayReported) (Play, error) {
	var v domain.Validation
	p := e.Play
	if e.EventID().IsZero() {
		v.Add("event_id", ruleRequired)
	}
	if p.User.IsZero() {
		v.Add("user_id", ruleRequired)
	}
	if _, err := domain.ParseWebhookSource(string(p.Source)); err != nil {
		v.Check("source", err)
	}
	if p.Kind != domain.PlayWatched && p.Kind != domain.PlayRated {
		v.Add("kind", `must be "watched" or "rated"`)
	}
	if p.ExternalID.IsZero() && p.Title.IsZero() {
		v.Add("film_key", "needs an IMDb ID or a title")
	}
	if p.At.IsZero() {
		v.Add("at", ruleRequired)
	}
	if err := v.Err(); err != nil {
		return Play{}, err
	}
	return Play{
		UserID:  p.User.UUID(),
		Source:  string(p.Source),
		Kind:    string(p.Kind),
		FilmKey: p.FilmKey(),
		At:      p.At.UTC().Truncate(time.Second),
		EventID: e.EventID().UUID(),
	}, nil
}

// PlayWindow returns the open interval around at within which a stored
// play of the same kind, user, source and film is the same play: it is one
// when after < its at < before (less than domain.PlayDedupWindow away).
func PlayWindow(at time.Time) (after, before time.Time) {
	return at.Add(-domain.PlayDedupWindow), at.Add(domain.PlayDedupWindow)
}
