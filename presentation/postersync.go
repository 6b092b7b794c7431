// Package presentation is moviediary's outermost layer: the HTTP server and
// the wiring that connects use cases to the outside world, such as the
// event handler that syncs posters in the background.
package presentation

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/moviediary/moviediary/adapters/eventpublisher"
	"github.com/moviediary/moviediary/domain"
)

// PosterSyncHandlerName is the stable name of the poster sync handler in
// logs and metrics.
const PosterSyncHandlerName = "poster_sync"

// PosterSyncer fetches and stores a movie's poster; application.SyncPoster
// satisfies it.
type PosterSyncer interface {
	Handle(ctx context.Context, id domain.MovieID) error
}

// PosterSyncHandler runs the poster sync for every MovieDiscovered event
// and ignores every other event. It makes one attempt; NewPosterSyncHandler
// wraps it in the retry decorator.
type PosterSyncHandler struct {
	syncer PosterSyncer
}

var _ eventpublisher.EventHandler = (*PosterSyncHandler)(nil)

// Name returns PosterSyncHandlerName.
func (h *PosterSyncHandler) Name() string { return PosterSyncHandlerName }

// Handle syncs the poster of a discovered movie; any other event returns
// nil at once. A handler built without a syncer fails every
// MovieDiscovered with an error wrapping domain.ErrMisconfigured (permanent,
// so it is not retried).
func (h *PosterSyncHandler) Handle(ctx context.Context, e domain.Event) error {
	var id domain.MovieID
	switch ev := e.(type) {
	case domain.MovieDiscovered:
		id = ev.Movie
	case *domain.MovieDiscovered:
		if ev == nil {
			return nil
		}
		id = ev.Movie
	default:
		return nil
	}
	if h.syncer == nil {
		return fmt.Errorf("poster sync of movie %s: no poster syncer configured: %w", id, domain.ErrMisconfigured)
	}
	if err := h.syncer.Handle(ctx, id); err != nil {
		return fmt.Errorf("poster sync of movie %s: %w", id, err)
	}
	return nil
}

// NewPosterSyncHandler returns the poster sync handler wrapped in the retry
// decorator: up to cfg.MaxRetries retries after the first attempt, waiting
// cfg.BaseDelay·2^n before retry n+1 (eventpublisher.DefaultRetryConfig:
// 1s, 2s, 4s), permanent errors not retried, the backoff stopped at once by
// a cancelled context, and the give-up logged at ERROR with a top-level
// attempts field. A nil logger means slog.Default(). Further options (an
// attempt hook for metrics) are passed on to eventpublisher.Retry.
func NewPosterSyncHandler(syncer PosterSyncer, cfg eventpublisher.RetryConfig, logger *slog.Logger, opts ...eventpublisher.Option) eventpublisher.EventHandler {
	if logger == nil {
		logger = slog.Default()
	}
	opts = append([]eventpublisher.Option{eventpublisher.WithLogger(logger)}, opts...)
	return eventpublisher.Retry(cfg, &PosterSyncHandler{syncer: syncer}, opts...)
}
