package wiring

import (
	"context"
	"fmt"

	"github.com/moviediary/moviediary/adapters/delivery"
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
// and ignores every other event. It makes one attempt per delivery: the
// bus retries it by the poster retry policy.
type PosterSyncHandler struct {
	syncer PosterSyncer
}

var _ delivery.Handler = (*PosterSyncHandler)(nil)

// NewPosterSyncHandler returns the handler of syncer's poster syncs.
func NewPosterSyncHandler(syncer PosterSyncer) *PosterSyncHandler {
	return &PosterSyncHandler{syncer: syncer}
}

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
