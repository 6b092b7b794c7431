package application_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

func TestDeleteReviewByItsAuthorPublishesTheEvent(t *testing.T) {
	t.Parallel()
	h := newReviewEditHarness(t)
	deleted := domain.NewReviewDeleted(h.entry.Review, fixedNow)
	gomock.InOrder(
		h.expectEntry(),
		h.reviews.EXPECT().DeleteReview(gomock.Any(), h.entry.Review.ID, fixedNow).Return([]domain.Event{deleted}, nil),
		h.expectPublish(1, nil),
	)
	err := h.del.Handle(t.Context(), application.DeleteReviewCommand{UserID: h.author, ReviewID: h.entry.Review.ID.String()})
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if len(h.published) != 1 || h.published[0] != deleted {
		t.Errorf("published %v, want the ReviewDeleted event DeleteReview returned", h.published)
	}
}

func TestDeleteReviewRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		cmd        func(h *reviewEditHarness) application.DeleteReviewCommand
		expect     func(h *reviewEditHarness)
		wantKind   error
		wantFields []string // for validation errors
	}{
		{
			name: "another user's review is forbidden and not deleted",
			cmd: func(h *reviewEditHarness) application.DeleteReviewCommand {
				return application.DeleteReviewCommand{UserID: domain.NewUserID(), ReviewID: h.entry.Review.ID.String()}
			},
			expect:   func(h *reviewEditHarness) { h.expectEntry() },
			wantKind: domain.ErrForbidden,
		},
		{
			name: "an unknown review is not found",
			cmd: func(h *reviewEditHarness) application.DeleteReviewCommand {
				return application.DeleteReviewCommand{UserID: h.author, ReviewID: h.entry.Review.ID.String()}
			},
			expect: func(h *reviewEditHarness) {
				h.reviews.EXPECT().EntryByReviewID(gomock.Any(), h.entry.Review.ID).Return(domain.DiaryEntry{}, errNoRow)
			},
			wantKind: domain.ErrNotFound,
		},
		{
			name: "a review deleted concurrently is not found, and nothing is published",
			cmd: func(h *reviewEditHarness) application.DeleteReviewCommand {
				return application.DeleteReviewCommand{UserID: h.author, ReviewID: h.entry.Review.ID.String()}
			},
			expect: func(h *reviewEditHarness) {
				h.expectEntry()
				h.reviews.EXPECT().DeleteReview(gomock.Any(), h.entry.Review.ID, fixedNow).Return(nil, errNoRow)
			},
			wantKind: domain.ErrNotFound,
		},
		{
			name: "a failing store keeps its kind",
			cmd: func(h *reviewEditHarness) application.DeleteReviewCommand {
				return application.DeleteReviewCommand{UserID: h.author, ReviewID: h.entry.Review.ID.String()}
			},
			expect: func(h *reviewEditHarness) {
				h.expectEntry()
				h.reviews.EXPECT().DeleteReview(gomock.Any(), h.entry.Review.ID, fixedNow).Return(nil, errDB)
			},
			wantKind: domain.ErrInfrastructure,
		},
		{
			name: "a malformed ID and no user are both reported before any port call",
			cmd: func(*reviewEditHarness) application.DeleteReviewCommand {
				return application.DeleteReviewCommand{ReviewID: "42"}
			},
			expect:     func(*reviewEditHarness) {},
			wantKind:   domain.ErrValidation,
			wantFields: []string{"user_id", "review_id"},
		},
		{
			name: "the nil UUID is not a review ID",
			cmd: func(h *reviewEditHarness) application.DeleteReviewCommand {
				return application.DeleteReviewCommand{UserID: h.author, ReviewID: "00000000-0000-0000-0000-000000000000"}
			},
			expect:     func(*reviewEditHarness) {},
			wantKind:   domain.ErrValidation,
			wantFields: []string{"review_id"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newReviewEditHarness(t)
			tt.expect(h) // no DeleteReview unless set, no Publish
			err := h.del.Handle(t.Context(), tt.cmd(h))
			requireKind(t, err, tt.wantKind)
			if tt.wantFields != nil {
				requireFields(t, err, tt.wantFields...)
			}
			for _, other := range []error{domain.ErrForbidden, domain.ErrNotFound, domain.ErrValidation} {
				if other != tt.wantKind && errors.Is(err, other) {
					t.Errorf("error %v is also %v", err, other)
				}
			}
		})
	}
}

func TestDeleteReviewPublishFailureIsLoggedNotReturned(t *testing.T) {
	t.Parallel()
	h := newReviewEditHarness(t)
	h.expectEntry()
	h.reviews.EXPECT().DeleteReview(gomock.Any(), h.entry.Review.ID, fixedNow).
		Return([]domain.Event{domain.NewReviewDeleted(h.entry.Review, fixedNow)}, nil)
	h.expectPublish(1, errors.New("bus closed"))
	if err := h.del.Handle(t.Context(), application.DeleteReviewCommand{UserID: h.author, ReviewID: h.entry.Review.ID.String()}); err != nil {
		t.Fatalf("Handle: %v, want success: the deletion is stored", err)
	}
	errs := h.logs.at(slog.LevelError)
	if len(errs) != 1 || attr(errs[0], "event") != string(domain.EventReviewDeleted) ||
		attr(errs[0], "movie_id") != h.entry.Movie.ID.String() || !strings.Contains(attr(errs[0], "error"), "bus closed") {
		t.Errorf("error logs = %v, want one naming the review_deleted event, its movie and the error", errs)
	}
}

func TestNewDeleteReviewRejectsMissingPorts(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	reviews, pub := mock.NewMockReviewEditor(ctrl), mock.NewMockEventPublisher(ctrl)
	if _, err := application.NewDeleteReview(nil, pub, nil, nil); !errors.Is(err, application.ErrMissingDependency) {
		t.Errorf("nil reviews: err = %v", err)
	}
	if _, err := application.NewDeleteReview(reviews, nil, nil, nil); !errors.Is(err, application.ErrMissingDependency) {
		t.Errorf("nil publisher: err = %v", err)
	}
	if uc, err := application.NewDeleteReview(reviews, pub, nil, nil); err != nil || uc == nil {
		t.Errorf("nil logger and clock: (%v, %v), want the defaults", uc, err)
	}
}
