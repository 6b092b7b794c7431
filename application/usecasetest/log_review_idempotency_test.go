package application_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// idemKey is the idempotency key of the cases below.
const idemKey = "7f1c2e8a-retry-me"

// idemSince is the earliest creation time of a record that still counts.
var idemSince = fixedNow.Add(-domain.IdempotencyWindow)

// storedCommand is baseCommand for a film already stored, so that
// resolving it asks the repository once and never the metadata source.
func storedCommand(t *testing.T) application.LogReviewCommand {
	t.Helper()
	cmd := baseCommand(t)
	cmd.ExternalMetadataID = shawshankID
	return cmd
}

func TestLogReviewRatingIsOptionalAndInHalves(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		rating *float64
		want   domain.Rating
	}{
		{"no rating is not rated", nil, domain.Rating{}},
		{"a half star rating is kept exactly", ptr(4.5), domain.MustNewRating(4.5)},
		{"zero stars is a rating, not its absence", ptr(0.0), domain.MustNewRating(0)},
		{"whole stars", ptr(5.0), domain.MustNewRating(5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newLogReviewHarness(t)
			stored := mustMovie(shawshankID, shawshank, shawshankYear, "")
			h.repo.EXPECT().MovieByExternalID(gomock.Any(), stored.ExternalID).Return(stored, nil)
			h.expectSave(domain.MovieUnchanged)
			h.expectPublish(1, nil)

			cmd := storedCommand(t)
			cmd.Rating = tt.rating
			res, err := h.uc.Log(t.Context(), cmd)
			if err != nil {
				t.Fatalf("Log: %v", err)
			}
			if res.Replayed {
				t.Error("a first request is reported as replayed")
			}
			saved := h.saved[0]
			if saved.Review.Rating != tt.want || saved.Review.Rating.IsZero() != (tt.rating == nil) {
				t.Errorf("saved rating = %q (not rated: %v), want %q", saved.Review.Rating, saved.Review.Rating.IsZero(), tt.want)
			}
			if res.Entry.Review.Rating != tt.want {
				t.Errorf("entry rating = %q, want %q", res.Entry.Review.Rating, tt.want)
			}
			if !saved.Idempotency.IsZero() {
				t.Errorf("a command without a key saved idempotency %+v", saved.Idempotency)
			}
			logged, ok := h.published[0].(domain.ReviewLogged)
			if !ok || logged.Rating != tt.want {
				t.Errorf("published %#v, want a ReviewLogged with rating %q", h.published[0], tt.want)
			}
		})
	}
}

// fingerprintOf logs cmd under a key that is not stored yet and returns the
// fingerprint SaveViewing was given.
func fingerprintOf(t *testing.T, cmd application.LogReviewCommand) string {
	t.Helper()
	h := newLogReviewHarness(t)
	stored := mustMovie(shawshankID, shawshank, shawshankYear, "")
	h.repo.EXPECT().IdempotencyRecord(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).Return(domain.IdempotencyRecord{}, errNoRow)
	h.repo.EXPECT().MovieByExternalID(gomock.Any(), gomock.Any()).Return(stored, nil)
	h.expectSave(domain.MovieUnchanged)
	h.expectPublish(1, nil)
	if cmd.IdempotencyKey == "" {
		cmd.IdempotencyKey = idemKey
	}
	if _, err := h.uc.Log(t.Context(), cmd); err != nil {
		t.Fatalf("Log: %v", err)
	}
	fp := h.saved[0].Idempotency.Fingerprint
	if fp == "" || len(fp) > 128 {
		t.Fatalf("fingerprint %q: want 1 to 128 characters", fp)
	}
	return fp
}

func TestLogReviewUnderANewKeyStoresTheKeyWithTheReview(t *testing.T) {
	t.Parallel()
	h := newLogReviewHarness(t)
	stored := mustMovie(shawshankID, shawshank, shawshankYear, "")
	cmd := storedCommand(t)
	cmd.IdempotencyKey = idemKey
	key := domain.IdempotencyKey{}
	gomock.InOrder(
		h.repo.EXPECT().IdempotencyRecord(gomock.Any(), cmd.UserID, gomock.Any(), idemSince).DoAndReturn(
			func(_ context.Context, _ domain.UserID, k domain.IdempotencyKey, _ time.Time) (domain.IdempotencyRecord, error) {
				key = k
				return domain.IdempotencyRecord{}, errNoRow
			}),
		h.repo.EXPECT().MovieByExternalID(gomock.Any(), stored.ExternalID).Return(stored, nil),
	)
	h.expectSave(domain.MovieUnchanged)
	h.expectPublish(1, nil)

	res, err := h.uc.Log(t.Context(), cmd)
	if err != nil {
		t.Fatalf("Log: %v", err)
	}
	if key.String() != idemKey {
		t.Errorf("looked the key up as %q, want %q", key, idemKey)
	}
	if res.Replayed {
		t.Error("the first request under a key is reported as replayed")
	}
	idem := h.saved[0].Idempotency
	if idem.User != cmd.UserID || idem.Key.String() != idemKey || idem.Fingerprint == "" {
		t.Errorf("saved idempotency = %+v, want user %v, key %q and a fingerprint", idem, cmd.UserID, idemKey)
	}
	if res.Entry.Review != h.saved[0].Review {
		t.Errorf("entry = %+v, want the saved review", res.Entry.Review)
	}
}

func TestLogReviewReplaysARetryWithoutLoggingAgain(t *testing.T) {
	t.Parallel()
	cmd := storedCommand(t)
	cmd.IdempotencyKey = idemKey
	fp := fingerprintOf(t, cmd)

	h := newLogReviewHarness(t) // no MovieByExternalID, metadata, SaveViewing or Publish
	movie := mustMovie(shawshankID, shawshank, shawshankYear, "")
	first := must(domain.NewReview(movie.ID, cmd.UserID, domain.MustNewRating(4), domain.Comment{}, fixedNow.Add(-time.Hour), fixedNow.Add(-time.Minute)))
	entry := domain.DiaryEntry{Movie: movie, Review: first}
	rec := domain.IdempotencyRecord{
		Request:   domain.IdempotentRequest{User: cmd.UserID, Key: must(domain.ParseIdempotencyKey(idemKey)), Fingerprint: fp},
		ReviewID:  first.ID,
		CreatedAt: fixedNow.Add(-time.Minute),
	}
	h.repo.EXPECT().IdempotencyRecord(gomock.Any(), cmd.UserID, rec.Request.Key, idemSince).Return(rec, nil)
	h.repo.EXPECT().EntryByReviewID(gomock.Any(), first.ID).Return(entry, nil)

	res, err := h.uc.Log(t.Context(), cmd)
	if err != nil {
		t.Fatalf("Log: %v", err)
	}
	if !res.Replayed || res.Entry != entry {
		t.Errorf("got %+v, want the stored entry, replayed", res)
	}
	// Handle gives the same entry.
	h.repo.EXPECT().IdempotencyRecord(gomock.Any(), cmd.UserID, rec.Request.Key, idemSince).Return(rec, nil)
	h.repo.EXPECT().EntryByReviewID(gomock.Any(), first.ID).Return(entry, nil)
	if got, err := h.uc.Handle(t.Context(), cmd); err != nil || got != entry {
		t.Errorf("Handle = (%+v, %v), want the stored entry", got, err)
	}
}

func TestLogReviewRefusesAKeyReusedOrWhoseEntryIsGone(t *testing.T) {
	t.Parallel()
	cmd := storedCommand(t)
	cmd.IdempotencyKey = idemKey
	fp := fingerprintOf(t, cmd)
	key := must(domain.ParseIdempotencyKey(idemKey))
	reviewID := domain.NewReviewID()
	record := func(fp string) domain.IdempotencyRecord {
		return domain.IdempotencyRecord{
			Request:  domain.IdempotentRequest{User: cmd.UserID, Key: key, Fingerprint: fp},
			ReviewID: reviewID, CreatedAt: fixedNow.Add(-time.Hour),
		}
	}
	tests := []struct {
		name    string
		expect  func(h *logReviewHarness)
		wantErr error
		wantNot error
	}{
		{
			name: "the same key with another command",
			expect: func(h *logReviewHarness) {
				h.repo.EXPECT().IdempotencyRecord(gomock.Any(), cmd.UserID, key, idemSince).Return(record(fp+"0"), nil)
			},
			wantErr: application.ErrIdempotencyKeyReused,
			wantNot: application.ErrIdempotentEntryGone,
		},
		{
			name: "the entry the key logged was deleted since",
			expect: func(h *logReviewHarness) {
				h.repo.EXPECT().IdempotencyRecord(gomock.Any(), cmd.UserID, key, idemSince).Return(record(fp), nil)
				h.repo.EXPECT().EntryByReviewID(gomock.Any(), reviewID).Return(domain.DiaryEntry{}, errNoRow)
			},
			wantErr: application.ErrIdempotentEntryGone,
			wantNot: application.ErrIdempotencyKeyReused,
		},
		{
			name: "reading the key fails",
			expect: func(h *logReviewHarness) {
				h.repo.EXPECT().IdempotencyRecord(gomock.Any(), cmd.UserID, key, idemSince).Return(domain.IdempotencyRecord{}, errDB)
			},
			wantErr: domain.ErrInfrastructure,
			wantNot: domain.ErrConflict,
		},
		{
			name: "reading the key's entry fails",
			expect: func(h *logReviewHarness) {
				h.repo.EXPECT().IdempotencyRecord(gomock.Any(), cmd.UserID, key, idemSince).Return(record(fp), nil)
				h.repo.EXPECT().EntryByReviewID(gomock.Any(), reviewID).Return(domain.DiaryEntry{}, errDB)
			},
			wantErr: domain.ErrInfrastructure,
			wantNot: domain.ErrConflict,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newLogReviewHarness(t)
			tt.expect(h) // nothing is resolved, saved or published
			res, err := h.uc.Log(t.Context(), cmd)
			requireKind(t, err, tt.wantErr)
			if errors.Is(err, tt.wantNot) || res.Replayed || res.Entry != (domain.DiaryEntry{}) {
				t.Errorf("got (%+v, %v)", res, err)
			}
			if tt.wantErr != domain.ErrInfrastructure {
				requireKind(t, err, domain.ErrConflict)
			}
		})
	}
}

// A concurrent request under the same key stored first: SaveViewing refuses
// with ErrConflict, and the answer is that request's.
func TestLogReviewAnswersAConcurrentDuplicateWithTheFirstEntry(t *testing.T) {
	t.Parallel()
	stored := mustMovie(shawshankID, shawshank, shawshankYear, "")
	winner := domain.DiaryEntry{Movie: stored, Review: must(domain.NewReview(stored.ID, domain.NewUserID(), domain.Rating{}, domain.Comment{}, fixedNow.Add(-time.Hour), fixedNow))}
	errKeyTaken := fmt.Errorf("repo: %w: idempotency key taken", domain.ErrConflict)
	tests := []struct {
		name string
		// fingerprint is what the winner's record holds, given the
		// loser's.
		fingerprint func(string) string
		wantErr     error // nil: the winner's entry, replayed
	}{
		{"the same command gets the first entry", func(fp string) string { return fp }, nil},
		{"another command under the key is refused", func(fp string) string { return "x" + fp }, application.ErrIdempotencyKeyReused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newLogReviewHarness(t)
			cmd := storedCommand(t)
			cmd.IdempotencyKey = idemKey
			var saved domain.Viewing
			gomock.InOrder(
				h.repo.EXPECT().IdempotencyRecord(gomock.Any(), cmd.UserID, gomock.Any(), idemSince).Return(domain.IdempotencyRecord{}, errNoRow),
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), stored.ExternalID).Return(stored, nil),
				h.repo.EXPECT().SaveViewing(gomock.Any(), gomock.Any()).DoAndReturn(
					func(_ context.Context, v domain.Viewing) (domain.SavedViewing, error) {
						saved = v
						return domain.SavedViewing{}, errKeyTaken
					}),
				h.repo.EXPECT().IdempotencyRecord(gomock.Any(), cmd.UserID, gomock.Any(), idemSince).DoAndReturn(
					func(_ context.Context, user domain.UserID, key domain.IdempotencyKey, _ time.Time) (domain.IdempotencyRecord, error) {
						req := saved.Idempotency
						req.Fingerprint = tt.fingerprint(req.Fingerprint)
						return domain.IdempotencyRecord{Request: req, ReviewID: winner.Review.ID, CreatedAt: fixedNow}, nil
					}),
			)
			if tt.wantErr == nil {
				h.repo.EXPECT().EntryByReviewID(gomock.Any(), winner.Review.ID).Return(winner, nil)
			}
			// No Publish: this request stored nothing.
			res, err := h.uc.Log(t.Context(), cmd)
			if tt.wantErr != nil {
				requireKind(t, err, tt.wantErr)
				return
			}
			if err != nil || !res.Replayed || res.Entry != winner {
				t.Fatalf("got (%+v, %v), want the winner's entry, replayed", res, err)
			}
		})
	}
}

func TestLogReviewConflictsWithoutAStoredKeyAreErrors(t *testing.T) {
	t.Parallel()
	stored := mustMovie(shawshankID, shawshank, shawshankYear, "")
	errMovieTaken := fmt.Errorf("repo: %w: the movie holds another external ID", domain.ErrConflict)
	for _, withKey := range []bool{false, true} {
		t.Run(fmt.Sprintf("with a key %v", withKey), func(t *testing.T) {
			t.Parallel()
			h := newLogReviewHarness(t)
			cmd := storedCommand(t)
			if withKey {
				cmd.IdempotencyKey = idemKey
				// Before the save and after its conflict: not stored.
				h.repo.EXPECT().IdempotencyRecord(gomock.Any(), cmd.UserID, gomock.Any(), idemSince).Times(2).Return(domain.IdempotencyRecord{}, errNoRow)
			}
			h.repo.EXPECT().MovieByExternalID(gomock.Any(), stored.ExternalID).Return(stored, nil)
			h.repo.EXPECT().SaveViewing(gomock.Any(), gomock.Any()).Return(domain.SavedViewing{}, errMovieTaken)
			res, err := h.uc.Log(t.Context(), cmd)
			requireKind(t, err, domain.ErrConflict)
			if errors.Is(err, application.ErrIdempotencyKeyReused) || errors.Is(err, application.ErrIdempotentEntryGone) || res.Replayed {
				t.Errorf("got (%+v, %v), want the save's conflict", res, err)
			}
		})
	}
}

func TestLogReviewFingerprint(t *testing.T) {
	t.Parallel()
	base := func(t *testing.T) application.LogReviewCommand {
		cmd := storedCommand(t)
		cmd.ManualTitle = shawshank
		cmd.ManualReleaseYear = ptr(shawshankYear)
		cmd.ManualDirector = shawshankDir
		cmd.Rating = ptr(4.5)
		return cmd
	}
	want := fingerprintOf(t, base(t))

	same := map[string]func(c *application.LogReviewCommand){
		"watched_at in UTC":      func(c *application.LogReviewCommand) { c.WatchedAt = c.WatchedAt.UTC() },
		"watched_at in New York": func(c *application.LogReviewCommand) { c.WatchedAt = c.WatchedAt.In(time.FixedZone("EDT", -4*60*60)) },
		"the IMDb URL for the ID": func(c *application.LogReviewCommand) {
			c.ExternalMetadataID = "https://www.imdb.com/title/" + shawshankID + "/"
		},
		"the comment with other spaces":   func(c *application.LogReviewCommand) { c.Comment = "hope is a good thing\n" },
		"the title with spaces around it": func(c *application.LogReviewCommand) { c.ManualTitle = "  " + shawshank + " " },
		"another key":                     func(c *application.LogReviewCommand) { c.IdempotencyKey = "another-key" },
	}
	for name, change := range same {
		t.Run("equal/"+name, func(t *testing.T) {
			t.Parallel()
			cmd := base(t)
			change(&cmd)
			if got := fingerprintOf(t, cmd); got != want {
				t.Errorf("fingerprint %s, want %s as for the same command", got, want)
			}
		})
	}

	different := map[string]func(c *application.LogReviewCommand){
		"external ID":                    func(c *application.LogReviewCommand) { c.ExternalMetadataID = otherID },
		"title":                          func(c *application.LogReviewCommand) { c.ManualTitle = "The Godfather" },
		"no title":                       func(c *application.LogReviewCommand) { c.ManualTitle = "" },
		"year":                           func(c *application.LogReviewCommand) { c.ManualReleaseYear = ptr(shawshankYear + 1) },
		"no year":                        func(c *application.LogReviewCommand) { c.ManualReleaseYear = nil },
		"director":                       func(c *application.LogReviewCommand) { c.ManualDirector = "Rob Reiner" },
		"rating":                         func(c *application.LogReviewCommand) { c.Rating = ptr(4.0) },
		"no rating":                      func(c *application.LogReviewCommand) { c.Rating = nil },
		"a rating of 0":                  func(c *application.LogReviewCommand) { c.Rating = ptr(0.0) },
		"comment":                        func(c *application.LogReviewCommand) { c.Comment = "get busy living" },
		"no comment":                     func(c *application.LogReviewCommand) { c.Comment = "" },
		"watched_at a second later":      func(c *application.LogReviewCommand) { c.WatchedAt = c.WatchedAt.Add(time.Second) },
		"the director's name as a title": func(c *application.LogReviewCommand) { c.ManualTitle, c.ManualDirector = shawshankDir, shawshank },
	}
	for name, change := range different {
		t.Run("different/"+name, func(t *testing.T) {
			t.Parallel()
			cmd := base(t)
			change(&cmd)
			if got := fingerprintOf(t, cmd); got == want {
				t.Errorf("fingerprint %s equals the original command's", got)
			}
		})
	}
	// Unrated and rated 0 differ from each other too.
	t.Run("different/no rating and a rating of 0", func(t *testing.T) {
		t.Parallel()
		a, b := base(t), base(t)
		a.Rating, b.Rating = nil, ptr(0.0)
		if fingerprintOf(t, a) == fingerprintOf(t, b) {
			t.Error("not rated and rated 0 have one fingerprint")
		}
	})
}

func TestLogReviewRefusesAMalformedKeyBeforeAnyPortCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		key        string
		rating     *float64
		wantFields []string
	}{
		{"a key with a line break", "abc\ndef", ptr(4.0), []string{"idempotency_key"}},
		{"a key with a non-ASCII letter", "clé", ptr(4.0), []string{"idempotency_key"}},
		{"a key of 256 characters", strings.Repeat("k", 256), ptr(4.0), []string{"idempotency_key"}},
		{"a bad key and a bad rating together", "\x00", ptr(4.3), []string{"idempotency_key", "rating"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newLogReviewHarness(t) // no expectations: any port call fails the test
			cmd := storedCommand(t)
			cmd.IdempotencyKey = tt.key
			cmd.Rating = tt.rating
			_, err := h.uc.Log(t.Context(), cmd)
			requireFields(t, err, tt.wantFields...)
		})
	}
}
