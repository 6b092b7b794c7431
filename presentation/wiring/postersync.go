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

// PosterSyncer fetches and stores a discovered movie's poster, from the
// poster URL the event carries when it has one; application.SyncPoster
// satisfies it.
type PosterSyncer interface {
	HandleDiscovered(ctx context.Context, e domain.MovieDiscovered) error
}

// PosterSyncHandler runs the poster sync for every MovieDiscovered event,
// passing on what the event carries, and ignores every other event. It makes one attempt per delivery: the
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
	var md domain.MovieDiscovered
	switch ev := e.(type) {
	case domain.MovieDiscovered:
		md = ev
	case *domain.MovieDiscovered:
		if ev == nil {
			return nil
		}
		md = *ev
	default:
		return nil
	}
	if h.syncer == nil {
		return fmt.Errorf("poster sync of movie %s: no poster syncer configured: %w", md.Movie, domain.ErrMisconfigured)
	}
	if err := h.syncer.HandleDiscovered(ctx, md); err != nil {
		return fmt.Errorf("poster sync of movie %s: %w", md.Movie, err)
	}
	return nil
}
