package application_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

// reviewEditHarness wires EditReview and DeleteReview to mocks and records
// what was published.
type reviewEditHarness struct {
	reviews   *mock.MockReviewEditor
	publisher *mock.MockEventPublisher
	logs      *logRecorder
	edit      *application.EditReview
	del       *application.DeleteReview

	// entry is a stored entry whose author is author.
	entry     domain.DiaryEntry
	author    domain.UserID
	published []domain.Event
}

func newReviewEditHarness(t *testing.T) *reviewEditHarness {
	t.Helper()
	ctrl := gomock.NewController(t)
	logger, logs := newLogger()
	h := &reviewEditHarness{
		reviews:   mock.NewMockReviewEditor(ctrl),
		publisher: mock.NewMockEventPublisher(ctrl),
		logs:      logs,
		author:    domain.NewUserID(),
	}
	h.edit = must(application.NewEditReview(h.reviews, h.publisher, logger, clock))
	h.del = must(application.NewDeleteReview(h.reviews, h.publisher, logger, clock))
	movie := mustMovie(shawshankID, shawshank, shawshankYear, shawshankDir)
	review := must(domain.NewReview(movie.ID, h.author, domain.MustNewRating(3), must(domain.NewComment("first take")),
		fixedNow.Add(-48*time.Hour), fixedNow.Add(-24*time.Hour)))
	h.entry = domain.DiaryEntry{Movie: movie, Review: review}
	return h
}

// expectEntry makes EntryByReviewID answer with the stored entry.
func (h *reviewEditHarness) expectEntry() *gomock.Call {
	return h.reviews.EXPECT().EntryByReviewID(gomock.Any(), h.entry.Review.ID).Return(h.entry, nil)
}

// expectPublish accepts n events, recording them, answering err.
func (h *reviewEditHarness) expectPublish(n int, err error) *gomock.Call {
	return h.publisher.EXPECT().Publish(gomock.Any(), gomock.Any()).Times(n).DoAndReturn(
		func(_ context.Context, e domain.Event) error {
			h.published = append(h.published, e)
			return err
		})
}

func (h *reviewEditHarness) command() application.EditReviewCommand {
	return application.EditReviewCommand{UserID: h.author, ReviewID: h.entry.Review.ID.String()}
}

func TestEditReviewChangesEachField(t *testing.T) {
	t.Parallel()
	newWatched := time.Date(2025, 5, 30, 23, 45, 10, 900_000_000, time.FixedZone("CEST", 2*60*60))
	tests := []struct {
		name string
		cmd  func(c *application.EditReviewCommand)
		want func(r *domain.Review) // from the stored review
	}{
		{
			name: "a half-star rating",
			cmd:  func(c *application.EditReviewCommand) { c.Rating = application.To(4.5) },
			want: func(r *domain.Review) { r.Rating = domain.MustNewRating(4.5) },
		},
		{
			name: "a rating of null makes the viewing not rated",
			cmd:  func(c *application.EditReviewCommand) { c.Rating = application.Null[float64]() },
			want: func(r *domain.Review) { r.Rating = domain.Rating{} },
		},
		{
			name: "a rating of 0 is a rating",
			cmd:  func(c *application.EditReviewCommand) { c.Rating = application.To(0.0) },
			want: func(r *domain.Review) { r.Rating = domain.MustNewRating(0) },
		},
		{
			name: "a comment, trimmed",
			cmd:  func(c *application.EditReviewCommand) { c.Comment = application.To("  second take \r\n") },
			want: func(r *domain.Review) { r.Comment = must(domain.NewComment("second take")) },
		},
		{
			name: "a comment of null removes it",
			cmd:  func(c *application.EditReviewCommand) { c.Comment = application.Null[string]() },
			want: func(r *domain.Review) { r.Comment = domain.Comment{} },
		},
		{
			name: "a blank comment removes it",
			cmd:  func(c *application.EditReviewCommand) { c.Comment = application.To("   ") },
			want: func(r *domain.Review) { r.Comment = domain.Comment{} },
		},
		{
			name: "watched_at, in UTC and whole seconds",
			cmd:  func(c *application.EditReviewCommand) { c.WatchedAt = application.To(newWatched) },
			want: func(r *domain.Review) { r.WatchedAt = time.Date(2025, 5, 30, 21, 45, 10, 0, time.UTC) },
		},
		{
			name: "watched_at within the clock skew",
			cmd:  func(c *application.EditReviewCommand) { c.WatchedAt = application.To(fixedNow.Add(domain.ClockSkew)) },
			want: func(r *domain.Review) { r.WatchedAt = fixedNow.Add(domain.ClockSkew) },
		},
		{
			name: "every field at once",
			cmd: func(c *application.EditReviewCommand) {
				c.Rating = application.To(1.0)
				c.Comment = application.To("changed my mind")
				c.WatchedAt = application.To(newWatched)
			},
			want: func(r *domain.Review) {
				r.Rating = domain.MustNewRating(1)
				r.Comment = must(domain.NewComment("changed my mind"))
				r.WatchedAt = time.Date(2025, 5, 30, 21, 45, 10, 0, time.UTC)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newReviewEditHarness(t)
			want := h.entry.Review
			tt.want(&want)
			// What the store answers: the review as it stored it, with a
			// movie the use case cannot have made up.
			storedMovie := mustMovie(shawshankID, shawshank, shawshankYear, "")
			storedMovie.ID = h.entry.Movie.ID
			var event domain.Event
			gomock.InOrder(
				h.expectEntry(),
				h.reviews.EXPECT().UpdateReview(gomock.Any(), gomock.Any(), fixedNow).DoAndReturn(
					func(_ context.Context, r domain.Review, at time.Time) (domain.EditedReview, error) {
						if r != want {
							t.Errorf("UpdateReview got\n%+v\nwant\n%+v", r, want)
						}
						event = domain.NewReviewEdited(r, at)
						return domain.EditedReview{Entry: domain.DiaryEntry{Movie: storedMovie, Review: r}, Events: []domain.Event{event}}, nil
					}),
				h.expectPublish(1, nil),
			)
			cmd := h.command()
			tt.cmd(&cmd)
			got, err := h.edit.Handle(t.Context(), cmd)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if got.Movie != storedMovie || got.Review != want {
				t.Errorf("entry = %+v, want the stored entry", got)
			}
			if len(h.published) != 1 || h.published[0] != event {
				t.Errorf("published %v, want the event UpdateReview returned", h.published)
			}
		})
	}
}

func TestEditReviewValidatesEverythingBeforeCallingAnyPort(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		cmd        func(c *application.EditReviewCommand)
		wantFields []string
		wantRule   map[string]string
	}{
		{
			name:       "watched_at cannot be null",
			cmd:        func(c *application.EditReviewCommand) { c.WatchedAt = application.Null[time.Time]() },
			wantFields: []string{"watched_at"},
			wantRule:   map[string]string{"watched_at": "cannot be removed"},
		},
		{
			name: "watched_at cannot lie in the future",
			cmd: func(c *application.EditReviewCommand) {
				c.WatchedAt = application.To(fixedNow.Add(domain.ClockSkew + time.Second))
			},
			wantFields: []string{"watched_at"},
			wantRule:   map[string]string{"watched_at": "future"},
		},
		{
			name:       "watched_at cannot be the zero time",
			cmd:        func(c *application.EditReviewCommand) { c.WatchedAt = application.To(time.Time{}) },
			wantFields: []string{"watched_at"},
		},
		{
			name:       "a rating off the half-star steps",
			cmd:        func(c *application.EditReviewCommand) { c.Rating = application.To(4.3) },
			wantFields: []string{"rating"},
			wantRule:   map[string]string{"rating": "steps of 0.5"},
		},
		{
			name: "every malformed field is reported at once",
			cmd: func(c *application.EditReviewCommand) {
				c.UserID = domain.UserID{}
				c.ReviewID = "not-a-review"
				c.Rating = application.To(6.0)
				c.Comment = application.To(strings.Repeat("x", domain.MaxCommentRunes+1))
				c.WatchedAt = application.Null[time.Time]()
			},
			wantFields: []string{"user_id", "review_id", "rating", "comment", "watched_at"},
		},
		{
			name: "a comment with a control character and a negative rating",
			cmd: func(c *application.EditReviewCommand) {
				c.Rating = application.To(-1.0)
				c.Comment = application.To("bell\a")
			},
			wantFields: []string{"rating", "comment"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newReviewEditHarness(t) // no expectations: any port call fails the test
			cmd := h.command()
			tt.cmd(&cmd)
			got, err := h.edit.Handle(t.Context(), cmd)
			rules := requireFields(t, err, tt.wantFields...)
			for field, want := range tt.wantRule {
				if r := strings.Join(rules[field], "; "); !strings.Contains(r, want) {
					t.Errorf("%s rule = %q, want it to say %q", field, r, want)
				}
			}
			if got != (domain.DiaryEntry{}) {
				t.Errorf("entry %+v along with the error", got)
			}
		})
	}
}

func TestEditReviewChangesNothingOnRefusal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		expect   func(h *reviewEditHarness)
		cmd      func(h *reviewEditHarness, c *application.EditReviewCommand)
		wantKind error
	}{
		{
			name:   "another user's review is forbidden",
			expect: func(h *reviewEditHarness) { h.expectEntry() },
			cmd: func(_ *reviewEditHarness, c *application.EditReviewCommand) {
				c.UserID = domain.NewUserID()
				c.Rating = application.To(1.0)
			},
			wantKind: domain.ErrForbidden,
		},
		{
			name:   "another user's review is forbidden even for an empty edit",
			expect: func(h *reviewEditHarness) { h.expectEntry() },
			cmd: func(_ *reviewEditHarness, c *application.EditReviewCommand) {
				c.UserID = domain.NewUserID()
			},
			wantKind: domain.ErrForbidden,
		},
		{
			name: "an unknown review is not found",
			expect: func(h *reviewEditHarness) {
				h.reviews.EXPECT().EntryByReviewID(gomock.Any(), h.entry.Review.ID).Return(domain.DiaryEntry{}, errNoRow)
			},
			cmd:      func(_ *reviewEditHarness, c *application.EditReviewCommand) { c.Rating = application.To(1.0) },
			wantKind: domain.ErrNotFound,
		},
		{
			name: "a review deleted before the update is not found, and nothing is published",
			expect: func(h *reviewEditHarness) {
				h.expectEntry()
				h.reviews.EXPECT().UpdateReview(gomock.Any(), gomock.Any(), fixedNow).Return(domain.EditedReview{}, errNoRow)
			},
			cmd:      func(_ *reviewEditHarness, c *application.EditReviewCommand) { c.Rating = application.To(1.0) },
			wantKind: domain.ErrNotFound,
		},
		{
			name: "a failing store keeps its kind",
			expect: func(h *reviewEditHarness) {
				h.expectEntry()
				h.reviews.EXPECT().UpdateReview(gomock.Any(), gomock.Any(), fixedNow).Return(domain.EditedReview{}, errDB)
			},
			cmd:      func(_ *reviewEditHarness, c *application.EditReviewCommand) { c.Comment = application.Null[string]() },
			wantKind: domain.ErrInfrastructure,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newReviewEditHarness(t)
			tt.expect(h) // no UpdateReview unless set, no Publish
			cmd := h.command()
			tt.cmd(h, &cmd)
			got, err := h.edit.Handle(t.Context(), cmd)
			requireKind(t, err, tt.wantKind)
			if got != (domain.DiaryEntry{}) {
				t.Errorf("entry %+v along with the error", got)
			}
			for _, other := range []error{domain.ErrForbidden, domain.ErrNotFound, domain.ErrValidation} {
				if other != tt.wantKind && errors.Is(err, other) {
					t.Errorf("error %v is also %v", err, other)
				}
			}
		})
	}
}

func TestEditReviewWithNothingToChangeReturnsTheEntry(t *testing.T) {
	t.Parallel()
	h := newReviewEditHarness(t)
	h.expectEntry() // no UpdateReview, no Publish
	got, err := h.edit.Handle(t.Context(), h.command())
	if err != nil || got != h.entry {
		t.Fatalf("got (%+v, %v), want the entry unchanged", got, err)
	}
}

func TestEditReviewPublishFailureIsLoggedNotReturned(t *testing.T) {
	t.Parallel()
	h := newReviewEditHarness(t)
	h.expectEntry()
	h.reviews.EXPECT().UpdateReview(gomock.Any(), gomock.Any(), fixedNow).DoAndReturn(
		func(_ context.Context, r domain.Review, at time.Time) (domain.EditedReview, error) {
			return domain.EditedReview{Entry: domain.DiaryEntry{Movie: h.entry.Movie, Review: r},
				Events: []domain.Event{domain.NewReviewEdited(r, at)}}, nil
		})
	h.expectPublish(1, errors.New("bus closed"))
	cmd := h.command()
	cmd.Rating = application.To(2.5)
	got, err := h.edit.Handle(t.Context(), cmd)
	if err != nil {
		t.Fatalf("Handle: %v, want success: the edit is stored", err)
	}
	if got.Review.Rating != domain.MustNewRating(2.5) {
		t.Errorf("rating = %q, want 2.5", got.Review.Rating)
	}
	errs := h.logs.at(slog.LevelError)
	if len(errs) != 1 || attr(errs[0], "event") != string(domain.EventReviewEdited) || !strings.Contains(attr(errs[0], "error"), "bus closed") {
		t.Errorf("error logs = %v, want one naming the review_edited event and the error", errs)
	}
}

func TestNewEditReviewRejectsMissingPorts(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	reviews, pub := mock.NewMockReviewEditor(ctrl), mock.NewMockEventPublisher(ctrl)
	if _, err := application.NewEditReview(nil, pub, nil, nil); !errors.Is(err, application.ErrMissingDependency) {
		t.Errorf("nil reviews: err = %v", err)
	}
	if _, err := application.NewEditReview(reviews, nil, nil, nil); !errors.Is(err, application.ErrMissingDependency) {
		t.Errorf("nil publisher: err = %v", err)
	}
	if uc, err := application.NewEditReview(reviews, pub, nil, nil); err != nil || uc == nil {
		t.Errorf("nil logger and clock: (%v, %v), want the defaults", uc, err)
	}
}
