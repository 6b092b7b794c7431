package application

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// DeleteReviewCommand asks to delete a review.
type DeleteReviewCommand struct {
	// UserID is the signed-in user; only the review's author may delete it.
	UserID domain.UserID
	// ReviewID names the review.
	ReviewID string
}

// DeleteReview removes a review from the diary. The movie stays.
type DeleteReview struct {
	reviews   domain.ReviewEditor
	publisher domain.EventPublisher
	logger    *slog.Logger
	now       func() time.Time
}

// NewDeleteReview returns the DeleteReview use case. The ports must not be
// nil; a nil logger means slog.Default() and a nil now time.Now.
func NewDeleteReview(reviews domain.ReviewEditor, publisher domain.EventPublisher, logger *slog.Logger, now func() time.Time) (*DeleteReview, error) {
	if err := checkDependencies("DeleteReview",
		dependency{"reviews", reviews},
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
	return &DeleteReview{reviews: reviews, publisher: publisher, logger: logger, now: now}, nil
}

// Handle deletes the review cmd names: a malformed ID is a validation
// error, an unknown review domain.ErrNotFound (also when it is deleted
// concurrently) and another user's domain.ErrForbidden. The deletion is
// stored with its ReviewDeleted event, which is then published.
func (uc *DeleteReview) Handle(ctx context.Context, cmd DeleteReviewCommand) error {
	var v domain.Validation
	if cmd.UserID.IsZero() {
		v.Add("user_id", ruleUserIDRequired)
	}
	id, err := domain.ParseReviewID(cmd.ReviewID)
	v.Check("review_id", err)
	if err := v.Err(); err != nil {
		return err
	}
	if _, err := authorsEntry(ctx, uc.reviews, cmd.UserID, id); err != nil {
		return fmt.Errorf("delete review: %w", err)
	}
	events, err := uc.reviews.DeleteReview(ctx, id, uc.now())
	if err != nil {
		return fmt.Errorf("delete review %s: %w", id, err)
	}
	publishStored(ctx, uc.publisher, uc.logger, events)
	return nil
}
