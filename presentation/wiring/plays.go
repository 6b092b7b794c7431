package wiring

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// PlayHandlerName labels the play handler in logs and metrics.
const PlayHandlerName = "log_play"

// PlayHandler delivers the plays media servers reported (PlayReported
// events) to application.LogPlays, which logs them in the diary. The bus
// it belongs to is built before the use cases that publish through it, so
// its LogPlays is set afterwards (build); deliveries start only once the
// app runs, after that.
type PlayHandler struct {
	plays atomic.Pointer[application.LogPlays]
}

// Name returns PlayHandlerName.
func (h *PlayHandler) Name() string { return PlayHandlerName }

// Handle logs a PlayReported event's play and ignores every other event.
func (h *PlayHandler) Handle(ctx context.Context, e domain.Event) error {
	var ev domain.PlayReported
	switch v := e.(type) {
	case domain.PlayReported:
		ev = v
	case *domain.PlayReported:
		if v == nil {
			return nil
		}
		ev = *v
	default:
		return nil
	}
	plays := h.plays.Load()
	if plays == nil {
		return fmt.Errorf("%w: the play handler is not built yet", domain.ErrInfrastructure)
	}
	return plays.Handle(ctx, ev)
}

// build makes the handler's LogPlays from the use case that logs viewings
// and an EditReview publishing to publisher.
func (h *PlayHandler) build(logReview *application.LogReview, movies domain.MovieRepository, publisher domain.EventPublisher, logger *slog.Logger) error {
	edit, err := application.NewEditReview(movies, publisher, logger, time.Now)
	if err != nil {
		return err
	}
	plays, err := application.NewLogPlays(logReview, edit, movies)
	if err != nil {
		return err
	}
	h.plays.Store(plays)
	return nil
}
