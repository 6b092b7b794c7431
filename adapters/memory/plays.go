package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/moviediary/moviediary/domain"
)

var _ domain.PlayRecorder = (*PlayRecorder)(nil)

// PlayRecorder is an in-memory domain.PlayRecorder. It records plays
// beside a MovieRepository, under that repository's lock, so that in
// outbox mode (WithOutbox) a play's PlayReported is in the repository's
// Outbox exactly when the play is recorded. The zero value is not usable;
// make one with NewPlayRecorder.
type PlayRecorder struct {
	r *MovieRepository
	// plays holds the times of the recorded plays by what makes two
	// reports one play; guarded by r.mu.
	plays map[playKey][]time.Time
}

// playKey is what two reports of one play share.
type playKey struct {
	user   domain.UserID
	source domain.WebhookSource
	kind   domain.PlayKind
	film   string // domain.Play.FilmKey
}

// NewPlayRecorder returns a recorder with no plays that stores its events
// in the outbox of movies when movies is in outbox mode.
func NewPlayRecorder(movies *MovieRepository) *PlayRecorder {
	return &PlayRecorder{r: movies, plays: make(map[playKey][]time.Time)}
}

// RecordPlay records p and returns its PlayReported, occurring at now,
// which outbox mode stores in the same step; when a play of the same kind,
// user, source and film less than domain.PlayDedupWindow from p.At is
// recorded, it records nothing and returns no event and false. A play
// domain.NewPlay would refuse is a validation error.
func (pr *PlayRecorder) RecordPlay(_ context.Context, p domain.Play, now time.Time) ([]domain.Event, bool, error) {
	if err := checkPlay(p); err != nil {
		return nil, false, fmt.Errorf("record play: %w", err)
	}
	event := domain.NewPlayReported(p, now)
	events := []domain.Event{event}
	stored, err := pr.r.encodeIfOutbox(events)
	if err != nil {
		return nil, false, fmt.Errorf("record play: %w", err)
	}
	key := playKey{user: p.User, source: p.Source, kind: p.Kind, film: p.FilmKey()}
	at := p.At.UTC()
	pr.r.mu.Lock()
	defer pr.r.mu.Unlock()
	for _, t := range pr.plays[key] {
		if d := t.Sub(at); d > -domain.PlayDedupWindow && d < domain.PlayDedupWindow {
			return nil, false, nil
		}
	}
	pr.plays[key] = append(pr.plays[key], at)
	pr.r.box.add(stored)
	return events, true, nil
}

// checkPlay refuses a play that was not made by domain.NewPlay, listing
// every missing field.
func checkPlay(p domain.Play) error {
	var v domain.Validation
	if p.User.IsZero() {
		v.Add("user_id", "must be set")
	}
	if _, err := domain.ParseWebhookSource(string(p.Source)); err != nil {
		v.Check("source", err)
	}
	if p.Kind != domain.PlayWatched && p.Kind != domain.PlayRated {
		v.Add("kind", `must be "watched" or "rated"`)
	}
	if p.ExternalID.IsZero() && p.Title.IsZero() {
		v.Add("film", "needs an IMDb ID or a title")
	}
	if p.At.IsZero() {
		v.Add("watched_at", "is required")
	}
	return v.Err()
}
