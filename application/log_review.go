package application

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// LogReviewRepository is what LogReview needs of the movie repository:
// finding stored movies, saving a viewing atomically, and reading back the
// entry an idempotency key logged.
type LogReviewRepository interface {
	domain.MovieFinder
	domain.ViewingSaver
	// EntryByReviewID is domain.ReviewEditor's.
	EntryByReviewID(ctx context.Context, id domain.ReviewID) (domain.DiaryEntry, error)
}

// LogReviewCommand asks to log one viewing of a film. The film is named by
// an IMDb ID, by a title (and year), or both; the Manual… fields describe
// it when the metadata source cannot.
type LogReviewCommand struct {
	// UserID is the authenticated user logging the viewing.
	UserID domain.UserID
	// ExternalMetadataID is an IMDb title ID or title URL; "" when not given.
	ExternalMetadataID string
	// ManualTitle is the film's title; "" when not given.
	ManualTitle string
	// ManualReleaseYear is the film's release year; nil when not given.
	ManualReleaseYear *int
	// ManualDirector is the film's director; "" when not given.
	ManualDirector string
	// Rating is 0 to 5 stars in steps of 0.5; nil when not rated.
	Rating *float64
	// Comment is an optional note; blank means none.
	Comment string
	// WatchedAt is when the film was watched; it may not lie in the future.
	WatchedAt time.Time
	// IdempotencyKey is the client's key for this request (an
	// Idempotency-Key header); "" when not given. Within
	// domain.IdempotencyWindow the same key from the same user logs once:
	// a retry with the same command gets the first entry back, and one
	// with another command ErrIdempotencyKeyReused.
	IdempotencyKey string
}

// LogReviewResult is what logging a viewing gave.
type LogReviewResult struct {
	// Entry is the stored entry: the movie and the review.
	Entry domain.DiaryEntry
	// Replayed is true when the command's idempotency key had already
	// logged this entry, so nothing was logged now.
	Replayed bool
}

// ErrIdempotencyKeyReused is the error of a command whose idempotency key
// the user already sent, within domain.IdempotencyWindow, with a different
// command. It wraps domain.ErrConflict.
var ErrIdempotencyKeyReused = fmt.Errorf("%w: the idempotency key was already used for a different request", domain.ErrConflict)

// ErrIdempotentEntryGone is the error of a retry whose first request's
// entry has since been deleted: nothing is logged again. It wraps
// domain.ErrConflict.
var ErrIdempotentEntryGone = fmt.Errorf("%w: the entry this idempotency key logged has since been deleted", domain.ErrConflict)

// publishTimeout bounds how long LogReview waits to hand the events of a
// stored viewing to the publisher.
const publishTimeout = 5 * time.Second

// LogReview logs a viewing: it resolves the movie (stored, from the metadata
// source, or described manually), stores the movie and the review in one
// transaction, and publishes the resulting events.
type LogReview struct {
	movies    LogReviewRepository
	metadata  domain.MetadataClient
	publisher domain.EventPublisher
	logger    *slog.Logger
	now       func() time.Time
	// known remembers stored movies by external ID, to spare the lookup
	// of a film logged again.
	known movieIndex
}

// maxKnownMovies bounds LogReview's index of stored movies.
const maxKnownMovies = 4096

// movieIndex maps external IDs to the stored movies holding them; it is
// safe for concurrent use and holds at most maxKnownMovies.
type movieIndex struct {
	mu     sync.Mutex
	movies map[domain.ExternalMetadataID]domain.Movie
}

func (x *movieIndex) get(id domain.ExternalMetadataID) (domain.Movie, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	m, ok := x.movies[id]
	return m, ok
}

// put remembers m when it holds an external ID; a full index forgets an
// arbitrary entry first.
func (x *movieIndex) put(m domain.Movie) {
	if m.ExternalID.IsZero() {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.movies == nil {
		x.movies = make(map[domain.ExternalMetadataID]domain.Movie)
	}
	if _, ok := x.movies[m.ExternalID]; !ok && len(x.movies) >= maxKnownMovies {
		for k := range x.movies {
			delete(x.movies, k)
			break
		}
	}
	x.movies[m.ExternalID] = m
}

// NewLogReview returns the LogReview use case. The ports must not be nil; a
// nil logger means slog.Default() and a nil now means time.Now.
func NewLogReview(movies LogReviewRepository, metadata domain.MetadataClient, publisher domain.EventPublisher, logger *slog.Logger, now func() time.Time) (*LogReview, error) {
	if err := checkDependencies("LogReview",
		dependency{"movies", movies},
		dependency{"metadata", metadata},
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
	return &LogReview{movies: movies, metadata: metadata, publisher: publisher, logger: logger, now: now}, nil
}

// logReviewInput is a LogReviewCommand turned into value objects.
type logReviewInput struct {
	userID     domain.UserID
	externalID domain.ExternalMetadataID
	title      domain.MovieTitle
	year       domain.ReleaseYear
	director   domain.Director
	rating     domain.Rating
	comment    domain.Comment
	watchedAt  time.Time
	key        domain.IdempotencyKey
}

// Field names of LogReviewCommand as clients send them.
const (
	fieldExternalID = "external_metadata_id"
	fieldTitle      = "manual_title"
	fieldYear       = "manual_release_year"
	fieldDirector   = "manual_director"
	fieldRating     = "rating"
	fieldComment    = "comment"
	fieldWatchedAt  = "watched_at"
)

// Why a title and a year are needed, by what was tried before.
const (
	needsNoExternalID  = "is required: no external_metadata_id was given, so a title and a release year are needed"
	needsIDLookup      = "is required: the metadata lookup by external_metadata_id failed, so a title and a release year are needed"
	needsTitleLookup   = "is required: the metadata lookup by title failed, so a title and a release year are needed"
	ruleUserIDRequired = "must be set"
)

// Handle validates cmd, resolves the movie, stores the viewing and publishes
// its events. It returns the stored entry.
//
// Every malformed field is reported at once in a *domain.ValidationError
// before any port is called. The movie is resolved in this order:
//  1. an external ID that a stored movie holds; else the metadata source by
//     that ID (a new movie);
//  2. the metadata source searched by title (and year), reusing the stored
//     movie that holds the external ID found;
//  3. the manual description, which needs a title and a year: a stored
//     movie that IsManualMatch-es it (and holds no other external ID), else
//     a new movie. A well-formed external ID the user gave is kept on it.
//
// A metadata source that is unavailable or misconfigured is asked at most
// once per call. Metadata failures are logged as warnings and fall through
// to the next step, except a title search that finds no film
// (domain.ErrNotFound), an everyday outcome logged at DEBUG. A failure to
// publish after the viewing was stored is logged at ERROR and does not fail
// the call.
func (uc *LogReview) Handle(ctx context.Context, cmd LogReviewCommand) (domain.DiaryEntry, error) {
	res, err := uc.Log(ctx, cmd)
	return res.Entry, err
}

// Log is Handle that also says whether the entry was replayed for a
// repeated idempotency key (cmd.IdempotencyKey).
//
// With a key, the user's record of it is looked up first: the same command
// gets the entry it logged (Replayed, nothing is logged or published), a
// different one ErrIdempotencyKeyReused, and a key whose entry was deleted
// since ErrIdempotentEntryGone. Otherwise the key is stored with the
// review in the save's transaction; when a concurrent request with the
// same key stored first, the save stores nothing and the answer is that
// request's, as for a retry.
func (uc *LogReview) Log(ctx context.Context, cmd LogReviewCommand) (LogReviewResult, error) {
	now := uc.now()
	in, err := validateLogReview(cmd, now)
	if err != nil {
		return LogReviewResult{}, err
	}
	var idem domain.IdempotentRequest
	if !in.key.IsZero() {
		idem = domain.IdempotentRequest{User: in.userID, Key: in.key, Fingerprint: in.fingerprint()}
		if res, found, err := uc.replay(ctx, idem, now); found || err != nil {
			return res, err
		}
	}
	movie, posterURL, err := uc.resolveMovie(ctx, in)
	if err != nil {
		return LogReviewResult{}, fmt.Errorf("log review: %w", err)
	}
	review, err := domain.NewReview(movie.ID, in.userID, in.rating, in.comment, in.watchedAt, now)
	if err != nil {
		return LogReviewResult{}, fmt.Errorf("log review: %w", err)
	}
	saved, err := uc.movies.SaveViewing(ctx, domain.Viewing{Movie: movie, Review: review, PosterURL: posterURL, Idempotency: idem})
	if err != nil {
		if !idem.IsZero() && errors.Is(err, domain.ErrConflict) {
			// A concurrent request with this key stored first: answer as
			// its retry.
			if res, found, rerr := uc.replay(ctx, idem, now); found || rerr != nil {
				return res, rerr
			}
		}
		return LogReviewResult{}, fmt.Errorf("log review: save viewing: %w", err)
	}
	uc.known.put(saved.Movie)
	uc.publish(ctx, saved.Events)
	return LogReviewResult{Entry: domain.DiaryEntry{Movie: saved.Movie, Review: saved.Review}}, nil
}

// replay answers a request whose idempotency key is already stored:
// found is false when it is not (or expired).
func (uc *LogReview) replay(ctx context.Context, req domain.IdempotentRequest, now time.Time) (LogReviewResult, bool, error) {
	rec, err := uc.movies.IdempotencyRecord(ctx, req.User, req.Key, now.Add(-domain.IdempotencyWindow))
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return LogReviewResult{}, false, nil
	case err != nil:
		return LogReviewResult{}, true, fmt.Errorf("log review: read idempotency key: %w", err)
	case rec.Request.Fingerprint != req.Fingerprint:
		return LogReviewResult{}, true, ErrIdempotencyKeyReused
	}
	entry, err := uc.movies.EntryByReviewID(ctx, rec.ReviewID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return LogReviewResult{}, true, ErrIdempotentEntryGone
	case err != nil:
		return LogReviewResult{}, true, fmt.Errorf("log review: read the entry of idempotency key: %w", err)
	}
	return LogReviewResult{Entry: entry, Replayed: true}, true, nil
}

// fingerprint identifies what in asks for, whatever the form it was sent
// in: equal commands have equal fingerprints.
func (in logReviewInput) fingerprint() string {
	h := sha256.New()
	rating := "-"
	if !in.rating.IsZero() {
		rating = strconv.Itoa(in.rating.Halves())
	}
	for _, f := range []string{
		in.externalID.String(), in.title.String(), strconv.Itoa(in.year.Int()), in.director.String(),
		rating, in.comment.String(), strconv.FormatInt(in.watchedAt.Unix(), 10),
	} {
		// Length-prefixed, so no two field lists hash alike.
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// validateLogReview checks every field of cmd and reports all failures.
func validateLogReview(cmd LogReviewCommand, now time.Time) (logReviewInput, error) {
	var (
		in  logReviewInput
		v   domain.Validation
		err error
	)
	if cmd.UserID.IsZero() {
		v.Add("user_id", ruleUserIDRequired)
	}
	in.userID = cmd.UserID
	if strings.TrimSpace(cmd.ExternalMetadataID) != "" {
		in.externalID, err = domain.ParseExternalMetadataID(cmd.ExternalMetadataID)
		v.Check(fieldExternalID, err)
	}
	titleGiven := strings.TrimSpace(cmd.ManualTitle) != ""
	if titleGiven {
		in.title, err = domain.NewMovieTitle(cmd.ManualTitle)
		v.Check(fieldTitle, err)
	}
	if cmd.ManualReleaseYear != nil {
		in.year, err = domain.NewReleaseYearAt(*cmd.ManualReleaseYear, now)
		v.Check(fieldYear, err)
	}
	in.director, err = domain.NewDirector(cmd.ManualDirector)
	v.Check(fieldDirector, err)
	if cmd.Rating != nil {
		in.rating, err = domain.NewRating(*cmd.Rating)
		v.Check(fieldRating, err)
	}
	if cmd.IdempotencyKey != "" {
		in.key, err = domain.ParseIdempotencyKey(cmd.IdempotencyKey)
		v.Check("idempotency_key", err)
	}
	in.comment, err = domain.NewComment(cmd.Comment)
	v.Check(fieldComment, err)
	v.Check(fieldWatchedAt, domain.ValidateWatchedAt(cmd.WatchedAt, now))
	in.watchedAt = cmd.WatchedAt.UTC().Truncate(time.Second)

	// Without an external ID and a title there is nothing to look up: the
	// manual description must be complete.
	if strings.TrimSpace(cmd.ExternalMetadataID) == "" && !titleGiven {
		v.Add(fieldTitle, needsNoExternalID)
		if cmd.ManualReleaseYear == nil {
			v.Add(fieldYear, needsNoExternalID)
		}
	}
	return in, v.Err()
}

// resolveMovie finds or creates the movie the viewing is of.
// resolveMovie also returns the poster URL the metadata source gave for a
// film it was asked about (the zero PosterURL otherwise), which the
// MovieDiscovered event carries to the poster sync.
func (uc *LogReview) resolveMovie(ctx context.Context, in logReviewInput) (domain.Movie, domain.PosterURL, error) {
	metadataDown := false
	needs := needsNoExternalID

	if !in.externalID.IsZero() {
		needs = needsIDLookup
		m, found, err := uc.storedByExternalID(ctx, in.externalID)
		if err != nil || found {
			return m, domain.PosterURL{}, err
		}
		md, err := uc.metadata.MetadataByExternalID(ctx, in.externalID)
		if err == nil {
			m, err = movieFromMetadata(md, in.externalID)
		}
		if err == nil {
			return m, md.PosterURL, nil
		}
		metadataDown = uc.warnLookup(ctx, "metadata lookup by external ID failed; falling back to the title",
			err, slog.String("external_metadata_id", in.externalID.String()))
	}

	if !in.title.IsZero() {
		if in.externalID.IsZero() {
			needs = needsTitleLookup
		}
		if metadataDown {
			uc.logger.WarnContext(ctx, "metadata source unavailable; skipping the title search",
				slog.String("title", in.title.String()))
		} else {
			m, poster, found, err := uc.searchByTitle(ctx, in)
			if err != nil || found {
				return m, poster, err
			}
		}
	}

	m, err := uc.manualMovie(ctx, in, needs)
	return m, domain.PosterURL{}, err
}

// storedByExternalID returns the stored movie holding id; found is false
// when there is none.
//
// A movie already seen holding id is taken from uc.known without a
// lookup: an external ID, once a stored movie holds it, is that movie's
// for good, and SaveViewing returns the movie as stored, so nothing the
// entry shows can be stale.
func (uc *LogReview) storedByExternalID(ctx context.Context, id domain.ExternalMetadataID) (m domain.Movie, found bool, err error) {
	if m, ok := uc.known.get(id); ok {
		return m, true, nil
	}
	m, err = uc.movies.MovieByExternalID(ctx, id)
	switch {
	case err == nil:
		uc.known.put(m)
		return m, true, nil
	case errors.Is(err, domain.ErrNotFound):
		return domain.Movie{}, false, nil
	}
	return domain.Movie{}, false, fmt.Errorf("find movie by external ID %s: %w", id, err)
}

// searchByTitle asks the metadata source for the described film and reuses
// the stored movie holding the external ID found; a new movie comes with
// the poster URL found. found is false when the search did not resolve a
// movie (the failure is logged).
func (uc *LogReview) searchByTitle(ctx context.Context, in logReviewInput) (domain.Movie, domain.PosterURL, bool, error) {
	md, err := uc.metadata.SearchMetadata(ctx, in.title, in.year)
	if err == nil && md.ExternalID.IsZero() {
		err = fmt.Errorf("%w: the search result has no external ID", domain.ErrNotFound)
	}
	if err != nil {
		// Not finding a film by title is an everyday outcome (a typo, an
		// obscure film) that the manual description handles: DEBUG, not WARN.
		level := slog.LevelWarn
		if errors.Is(err, domain.ErrNotFound) {
			level = slog.LevelDebug
		}
		uc.logLookup(ctx, level, "metadata search by title failed; falling back to the manual description",
			err, slog.String("title", in.title.String()))
		return domain.Movie{}, domain.PosterURL{}, false, nil
	}
	m, found, err := uc.storedByExternalID(ctx, md.ExternalID)
	if err != nil || found {
		return m, domain.PosterURL{}, found, err
	}
	m, err = movieFromMetadata(md, md.ExternalID)
	if err != nil {
		uc.warnLookup(ctx, "metadata search by title gave an unusable film; falling back to the manual description",
			err, slog.String("title", in.title.String()))
		return domain.Movie{}, domain.PosterURL{}, false, nil
	}
	return m, md.PosterURL, true, nil
}

// manualMovie resolves the movie from the manual description: a stored
// movie that matches it, else a new one. needs explains why a missing title
// or year is required.
func (uc *LogReview) manualMovie(ctx context.Context, in logReviewInput, needs string) (domain.Movie, error) {
	var v domain.Validation
	if in.title.IsZero() {
		v.Add(fieldTitle, needs)
	}
	if in.year.IsZero() {
		v.Add(fieldYear, needs)
	}
	if err := v.Err(); err != nil {
		return domain.Movie{}, err
	}
	candidates, err := uc.movies.MoviesByTitleYear(ctx, in.title, in.year)
	if err != nil {
		return domain.Movie{}, fmt.Errorf("find movies by title and year: %w", err)
	}
	for _, c := range candidates {
		// A stored movie that is another IMDb title is never this film.
		if !in.externalID.IsZero() && !c.ExternalID.IsZero() && c.ExternalID != in.externalID {
			continue
		}
		if !c.IsManualMatch(in.title, in.year, in.director) {
			continue
		}
		if c.ExternalID.IsZero() {
			// Keep the user's IMDb ID as the film's identity; saving
			// attaches it to the stored movie.
			c.ExternalID = in.externalID
		}
		return c, nil
	}
	m, err := domain.NewMovie(in.externalID, in.title, in.year, in.director)
	if err != nil {
		return domain.Movie{}, fmt.Errorf("new movie: %w", err)
	}
	return m, nil
}

// movieFromMetadata builds a new movie from what the metadata source knows;
// id stands in when the source did not echo the external ID.
func movieFromMetadata(md domain.MovieMetadata, id domain.ExternalMetadataID) (domain.Movie, error) {
	if !md.ExternalID.IsZero() {
		id = md.ExternalID
	}
	m, err := domain.NewMovie(id, md.Title, md.ReleaseYear, md.Director)
	if err != nil {
		return domain.Movie{}, fmt.Errorf("%w: metadata for %s is incomplete: %v", domain.ErrNotFound, id, err)
	}
	return m, nil
}

// warnLookup logs a failed metadata lookup as a warning and reports whether
// the source is down (unavailable or misconfigured), so that it is not asked
// again.
func (uc *LogReview) warnLookup(ctx context.Context, msg string, err error, attrs ...slog.Attr) (down bool) {
	return uc.logLookup(ctx, slog.LevelWarn, msg, err, attrs...)
}

// logLookup logs a failed metadata lookup at level and reports whether the
// source is down (unavailable or misconfigured).
func (uc *LogReview) logLookup(ctx context.Context, level slog.Level, msg string, err error, attrs ...slog.Attr) (down bool) {
	down = errors.Is(err, domain.ErrUnavailable) || errors.Is(err, domain.ErrMisconfigured)
	attrs = append(attrs, slog.Bool("metadata_unavailable", down), slog.String("error", err.Error()))
	uc.logger.LogAttrs(ctx, level, msg, attrs...)
	return down
}

// publish hands the events of a stored viewing to the publisher.
func (uc *LogReview) publish(ctx context.Context, events []domain.Event) {
	publishStored(ctx, uc.publisher, uc.logger, events)
}

// publishStored hands the events of a committed change to the publisher in
// order. The change is stored, so its events go out even if the caller
// has gone away; a failure is logged and does not undo anything.
func publishStored(ctx context.Context, publisher domain.EventPublisher, logger *slog.Logger, events []domain.Event) {
	pubCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	for _, e := range events {
		if err := publisher.Publish(pubCtx, e); err != nil {
			logger.LogAttrs(ctx, slog.LevelError, "publishing an event failed; the change is stored",
				slog.String("event", string(e.EventName())),
				slog.String("event_id", e.EventID().String()),
				slog.String("movie_id", e.MovieID().String()),
				slog.String("error", err.Error()))
		}
	}
}
