package application

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// ReportPlayCommand is a play (or a rating) a media server posted to a
// webhook, as the server's payload gave it.
type ReportPlayCommand struct {
	// Kind is domain.PlayWatched or domain.PlayRated.
	Kind domain.PlayKind
	// ExternalMetadataID is the film's IMDb ID or IMDb URL; "" when the
	// server gave none.
	ExternalMetadataID string
	// Title is the film's title; "" when the server gave none.
	Title string
	// Year is the film's release year; nil when the server gave none.
	Year *int
	// At is when the film was watched (or rated); the zero time means at
	// receipt. A time ahead of the server's clock counts as now.
	At time.Time
	// Rating is the rating in stars (0 to 5 in halves) of a rated play.
	Rating *float64
	// Account is the media server's account the play is of (Plex's
	// Account.title); "" when the payload names none.
	Account string
}

// ReportPlayResult says what became of a report.
type ReportPlayResult struct {
	// Recorded is true when the play was stored, to be logged by the
	// PlayReported event's handler (LogPlays).
	Recorded bool
	// Ignored is true when the webhook is limited to another Plex account.
	Ignored bool
}

// ReportPlay receives the plays media servers post to webhooks: it
// validates them and stores each, once, with its PlayReported event. It
// never waits on the metadata source: the event's handler resolves the
// film.
type ReportPlay struct {
	plays     domain.PlayRecorder
	publisher domain.EventPublisher
	logger    *slog.Logger
	now       func() time.Time
}

// NewReportPlay returns the use case; the ports must not be nil. A nil
// logger means slog.Default() and a nil now time.Now.
func NewReportPlay(plays domain.PlayRecorder, publisher domain.EventPublisher, logger *slog.Logger, now func() time.Time) (*ReportPlay, error) {
	if err := checkDependencies("ReportPlay",
		dependency{"plays", plays},
		dependency{"publisher", publisher},
	); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	return &ReportPlay{plays: plays, publisher: publisher, logger: logger, now: now}, nil
}

// Handle records cmd for hook's user. A play of a Plex account the hook is
// not limited to is ignored. A report that names no film (neither an
// IMDb ID nor a title) or breaks another rule is a *domain.ValidationError
// naming the fields (film, external_metadata_id, title, year, rating);
// nothing is stored then. The same play reported again within
// domain.PlayDedupWindow is not recorded twice (Recorded false).
func (uc *ReportPlay) Handle(ctx context.Context, hook domain.Webhook, cmd ReportPlayCommand) (ReportPlayResult, error) {
	if hook.Source == domain.SourcePlex && !hook.Accepts(cmd.Account) {
		return ReportPlayResult{Ignored: true}, nil
	}
	now := uc.now()
	play, err := newPlay(hook, cmd, now)
	if err != nil {
		return ReportPlayResult{}, err
	}
	events, recorded, err := uc.plays.RecordPlay(ctx, play, now)
	if err != nil {
		return ReportPlayResult{}, fmt.Errorf("report play: %w", err)
	}
	publishStored(ctx, uc.publisher, uc.logger, events)
	return ReportPlayResult{Recorded: recorded}, nil
}

// newPlay turns a report into a domain.Play, reporting every broken rule.
func newPlay(hook domain.Webhook, cmd ReportPlayCommand, now time.Time) (domain.Play, error) {
	var (
		v      domain.Validation
		ext    domain.ExternalMetadataID
		title  domain.MovieTitle
		year   domain.ReleaseYear
		rating domain.Rating
		err    error
	)
	if strings.TrimSpace(cmd.ExternalMetadataID) != "" {
		ext, err = domain.ParseExternalMetadataID(cmd.ExternalMetadataID)
		v.Check(fieldExternalID, err)
	}
	if strings.TrimSpace(cmd.Title) != "" {
		title, err = domain.NewMovieTitle(cmd.Title)
		v.Check("title", err)
	}
	if cmd.Year != nil {
		year, err = domain.NewReleaseYearAt(*cmd.Year, now)
		v.Check("year", err)
	}
	if cmd.Rating != nil {
		rating, err = domain.NewRating(*cmd.Rating)
		v.Check(fieldRating, err)
	}
	if strings.TrimSpace(cmd.ExternalMetadataID) == "" && strings.TrimSpace(cmd.Title) == "" {
		v.Add("film", "needs an IMDb ID or a title") // domain.NewPlay's rule, reported with the others
	}
	if err := v.Err(); err != nil {
		return domain.Play{}, err
	}
	at := cmd.At
	if at.IsZero() || at.After(now) {
		at = now // at receipt; a server clock running ahead counts as now
	}
	return domain.NewPlay(hook.UserID, hook.Source, cmd.Kind, ext, title, year, at, rating, now)
}
