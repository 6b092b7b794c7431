package application

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// Change is one field of a partial update (JSON merge-patch semantics):
// Set says the request names the field; a Set change with a nil Value
// clears it, where the field may be cleared.
type Change[T any] struct {
	// Set is true when the field was given.
	Set bool
	// Value is the new value; nil means null.
	Value *T
}

// To returns the change that sets v.
func To[T any](v T) Change[T] { return Change[T]{Set: true, Value: &v} }

// Null is the change that clears the field.
func Null[T any]() Change[T] { return Change[T]{Set: true} }

// EditReviewCommand asks to correct a review. Fields that are not Set stay
// as they are.
type EditReviewCommand struct {
	// UserID is the signed-in user; only the review's author may edit it.
	UserID domain.UserID
	// ReviewID names the review.
	ReviewID string
	// Rating is the new rating in stars (0 to 5 in steps of 0.5); null
	// makes the viewing not rated.
	Rating Change[float64]
	// Comment is the new comment; null or blank removes it.
	Comment Change[string]
	// WatchedAt is the new time of viewing; it cannot be null.
	WatchedAt Change[time.Time]
}

// EditReview corrects a review's rating, comment or time of viewing.
type EditReview struct {
	reviews   domain.ReviewEditor
	publisher domain.EventPublisher
	logger    *slog.Logger
	now       func() time.Time
}

// NewEditReview returns the EditReview use case. The ports must not be
// nil; a nil logger means slog.Default() and a nil now time.Now.
func NewEditReview(reviews domain.ReviewEditor, publisher domain.EventPublisher, logger *slog.Logger, now func() time.Time) (*EditReview, error) {
	if err := checkDependencies("EditReview",
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
	return &EditReview{reviews: reviews, publisher: publisher, logger: logger, now: now}, nil
}

// Handle validates cmd (every malformed field in one *domain.ValidationError
// before any port is called), finds the review (domain.ErrNotFound),
// checks that cmd.UserID wrote it (domain.ErrForbidden), stores the edit
// with its ReviewEdited event and publishes the event. It returns the
// entry as stored. A command that sets nothing changes nothing and
// returns the entry as it is; nothing is changed on any error.
func (uc *EditReview) Handle(ctx context.Context, cmd EditReviewCommand) (domain.DiaryEntry, error) {
	now := uc.now()
	id, edit, err := validateEditReview(cmd, now)
	if err != nil {
		return domain.DiaryEntry{}, err
	}
	entry, err := authorsEntry(ctx, uc.reviews, cmd.UserID, id)
	if err != nil {
		return domain.DiaryEntry{}, fmt.Errorf("edit review: %w", err)
	}
	if edit.IsZero() {
		return entry, nil
	}
	edited, err := entry.Review.Edit(edit, now)
	if err != nil {
		return domain.DiaryEntry{}, err
	}
	stored, err := uc.reviews.UpdateReview(ctx, edited, now)
	if err != nil {
		return domain.DiaryEntry{}, fmt.Errorf("edit review %s: %w", id, err)
	}
	publishStored(ctx, uc.publisher, uc.logger, stored.Events)
	return stored.Entry, nil
}

// validateEditReview checks every field of cmd and reports all failures.
func validateEditReview(cmd EditReviewCommand, now time.Time) (domain.ReviewID, domain.ReviewEdit, error) {
	var (
		v    domain.Validation
		edit domain.ReviewEdit
	)
	if cmd.UserID.IsZero() {
		v.Add("user_id", ruleUserIDRequired)
	}
	id, err := domain.ParseReviewID(cmd.ReviewID)
	v.Check("review_id", err)
	if cmd.Rating.Set {
		var r domain.Rating // null: not rated
		if cmd.Rating.Value != nil {
			r, err = domain.NewRating(*cmd.Rating.Value)
			v.Check(fieldRating, err)
		}
		edit.Rating = &r
	}
	if cmd.Comment.Set {
		var c domain.Comment // null: no comment
		if cmd.Comment.Value != nil {
			c, err = domain.NewComment(*cmd.Comment.Value)
			v.Check(fieldComment, err)
		}
		edit.Comment = &c
	}
	if cmd.WatchedAt.Set {
		if cmd.WatchedAt.Value == nil {
			v.Add(fieldWatchedAt, "cannot be removed: a viewing has a time")
		} else {
			v.Check(fieldWatchedAt, domain.ValidateWatchedAt(*cmd.WatchedAt.Value, now))
			t := cmd.WatchedAt.Value.UTC().Truncate(time.Second)
			edit.WatchedAt = &t
		}
	}
	return id, edit, v.Err()
}

// authorsEntry reads the entry of review id and checks that user wrote it:
// domain.ErrNotFound for an unknown review, domain.ErrForbidden for
// another user's.
func authorsEntry(ctx context.Context, reviews domain.ReviewEditor, user domain.UserID, id domain.ReviewID) (domain.DiaryEntry, error) {
	entry, err := reviews.EntryByReviewID(ctx, id)
	if err != nil {
		return domain.DiaryEntry{}, fmt.Errorf("find review %s: %w", id, err)
	}
	if entry.Review.UserID != user {
		return domain.DiaryEntry{}, fmt.Errorf("%w: only the review's author may change it", domain.ErrForbidden)
	}
	return entry, nil
}
