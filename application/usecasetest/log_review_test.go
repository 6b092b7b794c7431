package application_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

// logReviewHarness wires LogReview to mocks and records what it saved and
// published.
type logReviewHarness struct {
	repo      *mock.MockMovieRepository
	metadata  *mock.MockMetadataClient
	publisher *mock.MockEventPublisher
	logs      *logRecorder
	uc        *application.LogReview

	saved     []domain.Viewing
	published []domain.Event
}

func newLogReviewHarness(t *testing.T) *logReviewHarness {
	t.Helper()
	ctrl := gomock.NewController(t)
	logger, logs := newLogger()
	h := &logReviewHarness{
		repo:      mock.NewMockMovieRepository(ctrl),
		metadata:  mock.NewMockMetadataClient(ctrl),
		publisher: mock.NewMockEventPublisher(ctrl),
		logs:      logs,
	}
	h.uc = must(application.NewLogReview(h.repo, h.metadata, h.publisher, logger, clock))
	return h
}

// expectSave makes SaveViewing store the viewing as given, reporting change
// and the events a repository computes for it.
func (h *logReviewHarness) expectSave(change domain.MovieChange) {
	h.repo.EXPECT().SaveViewing(gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, v domain.Viewing) (domain.SavedViewing, error) {
			h.saved = append(h.saved, v)
			return domain.SavedViewing{
				Movie:  v.Movie,
				Change: change,
				Review: v.Review,
				Events: domain.LogEvents(v.Movie, change, v.Review, v.PosterURL, v.Review.CreatedAt),
			}, nil
		})
}

// expectPublish accepts n events, recording them, answering err.
func (h *logReviewHarness) expectPublish(n int, err error) {
	h.publisher.EXPECT().Publish(gomock.Any(), gomock.Any()).Times(n).DoAndReturn(
		func(_ context.Context, e domain.Event) error {
			h.published = append(h.published, e)
			return err
		})
}

func (h *logReviewHarness) publishedNames() []domain.EventName {
	names := make([]domain.EventName, len(h.published))
	for i, e := range h.published {
		names[i] = e.EventName()
	}
	return names
}

var (
	errDown        = fmt.Errorf("omdb: %w: timeout", domain.ErrUnavailable)
	errBadKey      = fmt.Errorf("omdb: %w: invalid API key", domain.ErrMisconfigured)
	errUnknownFilm = fmt.Errorf("omdb: %w: movie not found", domain.ErrNotFound)
	errNoRow       = fmt.Errorf("repo: %w", domain.ErrNotFound)
	errDB          = fmt.Errorf("repo: %w: connection reset", domain.ErrInfrastructure)
)

const (
	shawshankID    = "tt0111161"
	otherID        = "tt0068646"
	shawshank      = "The Shawshank Redemption"
	shawshankYear  = 1994
	shawshankDir   = "Frank Darabont"
	watchedAtInput = "2025-05-31T20:15:30.5+02:00"
)

func baseCommand(t *testing.T) application.LogReviewCommand {
	t.Helper()
	watched := must(time.Parse(time.RFC3339Nano, watchedAtInput))
	return application.LogReviewCommand{
		UserID:    domain.MustParseUserID("0190a5b2-0000-7000-8000-000000000001"),
		Rating:    ptr(4.0),
		Comment:   "  hope is a good thing  ",
		WatchedAt: watched,
	}
}

func TestLogReviewResolvesTheMovie(t *testing.T) {
	t.Parallel()
	extID := domain.MustParseExternalMetadataID(shawshankID)
	other := domain.MustParseExternalMetadataID(otherID)
	title := domain.MustNewMovieTitle(shawshank)
	year := domain.MustNewReleaseYear(shawshankYear)

	type fixture = resolveFixture
	// Each case names its expectations; gomock fails on any other call,
	// which is how "asked at most once" and "skipped" are proven.
	tests := []struct {
		name         string
		cmd          func(c *application.LogReviewCommand)
		expect       func(t *testing.T, h *logReviewHarness, f fixture)
		change       domain.MovieChange
		wantMovie    func(t *testing.T, got domain.Movie, f fixture)
		wantEvents   []domain.EventName
		wantWarnings int
		wantDebugs   int // title searches that found no film
	}{
		{
			name: "stored movie with the external ID is reused without asking the metadata source",
			cmd: func(c *application.LogReviewCommand) {
				c.ExternalMetadataID = " https://www.imdb.com/title/tt0111161/?ref_=x "
			},
			expect: func(t *testing.T, h *logReviewHarness, f fixture) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(f.stored, nil)
			},
			change:     domain.MovieUnchanged,
			wantMovie:  sameMovie(func(f fixture) domain.Movie { return f.stored }),
			wantEvents: []domain.EventName{domain.EventReviewLogged},
		},
		{
			name: "unknown external ID is looked up and becomes a new movie from the metadata",
			cmd: func(c *application.LogReviewCommand) {
				c.ExternalMetadataID = shawshankID
				c.ManualTitle = "typo in the title" // the metadata wins
			},
			expect: func(t *testing.T, h *logReviewHarness, f fixture) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errNoRow)
				h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), extID).
					Return(metadataOf(shawshankID, shawshank, shawshankYear, shawshankDir), nil)
			},
			change:     domain.MovieCreated,
			wantMovie:  newMovie(shawshankID, shawshank, shawshankYear, shawshankDir),
			wantEvents: []domain.EventName{domain.EventMovieDiscovered, domain.EventReviewLogged},
		},
		{
			name: "failed lookup by external ID falls back to the title search",
			cmd: func(c *application.LogReviewCommand) {
				c.ExternalMetadataID = otherID
				c.ManualTitle = shawshank
				c.ManualReleaseYear = ptr(shawshankYear)
			},
			expect: func(t *testing.T, h *logReviewHarness, f fixture) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), other).Return(domain.Movie{}, errNoRow)
				h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), other).Return(domain.MovieMetadata{}, errUnknownFilm)
				h.metadata.EXPECT().SearchMetadata(gomock.Any(), title, year).
					Return(metadataOf(shawshankID, shawshank, shawshankYear, shawshankDir), nil)
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errNoRow)
			},
			change:       domain.MovieCreated,
			wantMovie:    newMovie(shawshankID, shawshank, shawshankYear, shawshankDir),
			wantEvents:   []domain.EventName{domain.EventMovieDiscovered, domain.EventReviewLogged},
			wantWarnings: 1,
		},
		{
			name: "failed lookups fall back to a manual movie that keeps the user's external ID",
			cmd: func(c *application.LogReviewCommand) {
				c.ExternalMetadataID = shawshankID
				c.ManualTitle = "  " + shawshank + " "
				c.ManualReleaseYear = ptr(shawshankYear)
				c.ManualDirector = shawshankDir
			},
			expect: func(t *testing.T, h *logReviewHarness, f fixture) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errNoRow)
				h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), extID).Return(domain.MovieMetadata{}, errUnknownFilm)
				h.metadata.EXPECT().SearchMetadata(gomock.Any(), title, year).Return(domain.MovieMetadata{}, errUnknownFilm)
				h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), title, year).Return(nil, nil)
			},
			change:       domain.MovieCreated,
			wantMovie:    newMovie(shawshankID, shawshank, shawshankYear, shawshankDir),
			wantEvents:   []domain.EventName{domain.EventMovieDiscovered, domain.EventReviewLogged},
			wantWarnings: 1,
			wantDebugs:   1, // the title search found nothing
		},
		{
			name: "unavailable metadata source is asked once and the title search is skipped",
			cmd: func(c *application.LogReviewCommand) {
				c.ExternalMetadataID = shawshankID
				c.ManualTitle = shawshank
				c.ManualReleaseYear = ptr(shawshankYear)
			},
			expect: func(t *testing.T, h *logReviewHarness, f fixture) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errNoRow)
				h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), extID).Return(domain.MovieMetadata{}, errDown).Times(1)
				h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), title, year).Return(nil, nil)
			},
			change:       domain.MovieCreated,
			wantMovie:    newMovie(shawshankID, shawshank, shawshankYear, ""),
			wantEvents:   []domain.EventName{domain.EventMovieDiscovered, domain.EventReviewLogged},
			wantWarnings: 2, // the failure, and the skipped search
		},
		{
			name: "misconfigured metadata source is asked once and the title search is skipped",
			cmd: func(c *application.LogReviewCommand) {
				c.ExternalMetadataID = shawshankID
				c.ManualTitle = shawshank
				c.ManualReleaseYear = ptr(shawshankYear)
			},
			expect: func(t *testing.T, h *logReviewHarness, f fixture) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errNoRow)
				h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), extID).Return(domain.MovieMetadata{}, errBadKey).Times(1)
				h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), title, year).Return(nil, nil)
			},
			change:       domain.MovieCreated,
			wantMovie:    newMovie(shawshankID, shawshank, shawshankYear, ""),
			wantEvents:   []domain.EventName{domain.EventMovieDiscovered, domain.EventReviewLogged},
			wantWarnings: 2,
		},
		{
			name: "incomplete metadata by external ID counts as a failed lookup",
			cmd: func(c *application.LogReviewCommand) {
				c.ExternalMetadataID = shawshankID
				c.ManualTitle = shawshank
				c.ManualReleaseYear = ptr(shawshankYear)
			},
			expect: func(t *testing.T, h *logReviewHarness, f fixture) {
				md := metadataOf(shawshankID, shawshank, shawshankYear, "")
				md.ReleaseYear = domain.ReleaseYear{} // the source had "N/A"
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errNoRow)
				h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), extID).Return(md, nil)
				h.metadata.EXPECT().SearchMetadata(gomock.Any(), title, year).Return(domain.MovieMetadata{}, errUnknownFilm)
				h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), title, year).Return(nil, nil)
			},
			change:       domain.MovieCreated,
			wantMovie:    newMovie(shawshankID, shawshank, shawshankYear, ""),
			wantEvents:   []domain.EventName{domain.EventMovieDiscovered, domain.EventReviewLogged},
			wantWarnings: 1,
			wantDebugs:   1, // the title search found nothing
		},
		{
			name: "title search hit reuses the stored movie with that external ID",
			cmd: func(c *application.LogReviewCommand) {
				c.ManualTitle = "the shawshank redemption"
			},
			expect: func(t *testing.T, h *logReviewHarness, f fixture) {
				h.metadata.EXPECT().SearchMetadata(gomock.Any(), domain.MustNewMovieTitle("the shawshank redemption"), domain.ReleaseYear{}).
					Return(metadataOf(shawshankID, shawshank, shawshankYear, shawshankDir), nil)
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(f.stored, nil)
			},
			change:     domain.MovieUnchanged,
			wantMovie:  sameMovie(func(f fixture) domain.Movie { return f.stored }),
			wantEvents: []domain.EventName{domain.EventReviewLogged},
		},
		{
			name: "title search hit unknown to the repository becomes a new movie",
			cmd: func(c *application.LogReviewCommand) {
				c.ManualTitle = shawshank
				c.ManualReleaseYear = ptr(shawshankYear)
			},
			expect: func(t *testing.T, h *logReviewHarness, f fixture) {
				h.metadata.EXPECT().SearchMetadata(gomock.Any(), title, year).
					Return(metadataOf(shawshankID, shawshank, shawshankYear, shawshankDir), nil)
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errNoRow)
			},
			change:     domain.MovieCreated,
			wantMovie:  newMovie(shawshankID, shawshank, shawshankYear, shawshankDir),
			wantEvents: []domain.EventName{domain.EventMovieDiscovered, domain.EventReviewLogged},
		},
		{
			name: "title search hit without an external ID counts as a miss",
			cmd: func(c *application.LogReviewCommand) {
				c.ManualTitle = shawshank
				c.ManualReleaseYear = ptr(shawshankYear)
			},
			expect: func(t *testing.T, h *logReviewHarness, f fixture) {
				md := metadataOf(shawshankID, shawshank, shawshankYear, "")
				md.ExternalID = domain.ExternalMetadataID{}
				h.metadata.EXPECT().SearchMetadata(gomock.Any(), title, year).Return(md, nil)
				h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), title, year).Return(nil, nil)
			},
			change:     domain.MovieCreated,
			wantMovie:  newMovie("", shawshank, shawshankYear, ""),
			wantEvents: []domain.EventName{domain.EventReviewLogged},
			wantDebugs: 1, // the title search found nothing
		},
		{
			name: "incomplete title search hit counts as a miss",
			cmd: func(c *application.LogReviewCommand) {
				c.ManualTitle = shawshank
				c.ManualReleaseYear = ptr(shawshankYear)
			},
			expect: func(t *testing.T, h *logReviewHarness, f fixture) {
				md := metadataOf(shawshankID, shawshank, shawshankYear, "")
				md.Title = domain.MovieTitle{}
				h.metadata.EXPECT().SearchMetadata(gomock.Any(), title, year).Return(md, nil)
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errNoRow)
				h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), title, year).Return(nil, nil)
			},
			change:       domain.MovieCreated,
			wantMovie:    newMovie("", shawshank, shawshankYear, ""),
			wantEvents:   []domain.EventName{domain.EventReviewLogged},
			wantWarnings: 1,
		},
		{
			name: "manual description reuses the stored movie it matches",
			cmd: func(c *application.LogReviewCommand) {
				c.ManualTitle = "THE SHAWSHANK REDEMPTION"
				c.ManualReleaseYear = ptr(shawshankYear)
				c.ManualDirector = shawshankDir // the stored movie has none: still a match
			},
			expect: func(t *testing.T, h *logReviewHarness, f fixture) {
				upper := domain.MustNewMovieTitle("THE SHAWSHANK REDEMPTION")
				h.metadata.EXPECT().SearchMetadata(gomock.Any(), upper, year).Return(domain.MovieMetadata{}, errUnknownFilm)
				h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), upper, year).Return([]domain.Movie{f.storedManual}, nil)
			},
			change:     domain.MovieUnchanged,
			wantMovie:  sameMovie(func(f fixture) domain.Movie { return f.storedManual }),
			wantEvents: []domain.EventName{domain.EventReviewLogged},
			wantDebugs: 1, // the title search found nothing
		},
		{
			name: "manual description with another director is a new movie",
			cmd: func(c *application.LogReviewCommand) {
				c.ManualTitle = shawshank
				c.ManualReleaseYear = ptr(shawshankYear)
				c.ManualDirector = "Someone Else"
			},
			expect: func(t *testing.T, h *logReviewHarness, f fixture) {
				withDirector := mustMovie("", shawshank, shawshankYear, shawshankDir)
				h.metadata.EXPECT().SearchMetadata(gomock.Any(), title, year).Return(domain.MovieMetadata{}, errUnknownFilm)
				h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), title, year).Return([]domain.Movie{withDirector}, nil)
			},
			change:     domain.MovieCreated,
			wantMovie:  newMovie("", shawshank, shawshankYear, "Someone Else"),
			wantEvents: []domain.EventName{domain.EventReviewLogged},
			wantDebugs: 1, // the title search found nothing
		},
		{
			name: "user's external ID is attached to the matched movie that has none",
			cmd: func(c *application.LogReviewCommand) {
				c.ExternalMetadataID = shawshankID
				c.ManualTitle = shawshank
				c.ManualReleaseYear = ptr(shawshankYear)
			},
			expect: func(t *testing.T, h *logReviewHarness, f fixture) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errNoRow)
				h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), extID).Return(domain.MovieMetadata{}, errDown)
				h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), title, year).Return([]domain.Movie{f.storedManual}, nil)
			},
			change: domain.MovieIdentified,
			wantMovie: func(t *testing.T, got domain.Movie, f fixture) {
				want := f.storedManual
				want.ExternalID = extID
				if got != want {
					t.Errorf("movie = %+v, want the stored manual movie with the user's ID %+v", got, want)
				}
			},
			wantEvents:   []domain.EventName{domain.EventMovieDiscovered, domain.EventReviewLogged},
			wantWarnings: 2,
		},
		{
			name: "stored movie with a different external ID is never a manual match",
			cmd: func(c *application.LogReviewCommand) {
				c.ExternalMetadataID = shawshankID
				c.ManualTitle = shawshank
				c.ManualReleaseYear = ptr(shawshankYear)
			},
			expect: func(t *testing.T, h *logReviewHarness, f fixture) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errNoRow)
				h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), extID).Return(domain.MovieMetadata{}, errUnknownFilm)
				h.metadata.EXPECT().SearchMetadata(gomock.Any(), title, year).Return(domain.MovieMetadata{}, errUnknownFilm)
				h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), title, year).Return([]domain.Movie{f.storedOther}, nil)
			},
			change: domain.MovieCreated,
			wantMovie: func(t *testing.T, got domain.Movie, f fixture) {
				newMovie(shawshankID, shawshank, shawshankYear, "")(t, got, f)
				if got.ID == f.storedOther.ID {
					t.Errorf("reused %v, which holds another external ID", f.storedOther.ExternalID)
				}
			},
			wantEvents:   []domain.EventName{domain.EventMovieDiscovered, domain.EventReviewLogged},
			wantWarnings: 1,
			wantDebugs:   1, // the title search found nothing
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := fixture{
				stored:       mustMovie(shawshankID, shawshank, shawshankYear, shawshankDir),
				storedManual: mustMovie("", shawshank, shawshankYear, ""),
				storedOther:  mustMovie(otherID, shawshank, shawshankYear, ""),
			}
			h := newLogReviewHarness(t)
			tt.expect(t, h, f)
			h.expectSave(tt.change)
			h.expectPublish(len(tt.wantEvents), nil)

			cmd := baseCommand(t)
			tt.cmd(&cmd)
			entry, err := h.uc.Handle(t.Context(), cmd)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}

			if len(h.saved) != 1 {
				t.Fatalf("SaveViewing called %d times, want 1", len(h.saved))
			}
			v := h.saved[0]
			tt.wantMovie(t, v.Movie, f)
			if entry.Movie != v.Movie {
				t.Errorf("entry movie = %+v, want the saved movie %+v", entry.Movie, v.Movie)
			}
			requireReviewOf(t, v.Review, v.Movie, cmd)
			if entry.Review != v.Review {
				t.Errorf("entry review = %+v, want the saved review %+v", entry.Review, v.Review)
			}
			if got := h.publishedNames(); !equalNames(got, tt.wantEvents) {
				t.Errorf("published %v, want %v", got, tt.wantEvents)
			}
			for _, e := range h.published {
				if e.MovieID() != v.Movie.ID {
					t.Errorf("event %s is about movie %v, want %v", e.EventName(), e.MovieID(), v.Movie.ID)
				}
			}
			warnings := h.logs.at(slog.LevelWarn)
			if len(warnings) != tt.wantWarnings {
				t.Errorf("logged %d warnings, want %d: %v", len(warnings), tt.wantWarnings, warnings)
			}
			for _, w := range warnings {
				if attr(w, "error") == "" && attr(w, "title") == "" {
					t.Errorf("warning %q carries neither the error nor the title", w.Message)
				}
			}
			if debugs := h.logs.at(slog.LevelDebug); len(debugs) != tt.wantDebugs {
				t.Errorf("logged %d debug records, want %d: %v", len(debugs), tt.wantDebugs, debugs)
			}
		})
	}
}

// resolveFixture holds the stored movies a resolution case may meet.
type resolveFixture struct {
	stored       domain.Movie // a stored movie with shawshankID
	storedManual domain.Movie // a stored manual movie without external ID or director
	storedOther  domain.Movie // a stored movie with the same title and year but otherID
}

// sameMovie checks that the viewing is of exactly the stored movie.
func sameMovie(stored func(f resolveFixture) domain.Movie) func(*testing.T, domain.Movie, resolveFixture) {
	return func(t *testing.T, got domain.Movie, f resolveFixture) {
		t.Helper()
		if want := stored(f); got != want {
			t.Errorf("movie = %+v, want the stored %+v", got, want)
		}
	}
}

// newMovie checks that the viewing is of a new movie with these values.
func newMovie(externalID, title string, year int, director string) func(*testing.T, domain.Movie, resolveFixture) {
	return func(t *testing.T, got domain.Movie, f resolveFixture) {
		t.Helper()
		for _, s := range []domain.Movie{f.stored, f.storedManual, f.storedOther} {
			if got.ID == s.ID {
				t.Errorf("movie reuses stored %v, want a new one", s.ID)
			}
		}
		if got.ID.IsZero() {
			t.Error("new movie has no ID")
		}
		if got.ExternalID.String() != externalID || got.Title.String() != title ||
			got.ReleaseYear.Int() != year || got.Director.String() != director || got.HasPoster() {
			t.Errorf("movie = (%q, %q, %d, %q, poster %v), want (%q, %q, %d, %q, no poster)",
				got.ExternalID, got.Title, got.ReleaseYear.Int(), got.Director, got.HasPoster(),
				externalID, title, year, director)
		}
	}
}

// requireReviewOf checks the review built from cmd for movie.
func requireReviewOf(t *testing.T, r domain.Review, movie domain.Movie, cmd application.LogReviewCommand) {
	t.Helper()
	if r.ID.IsZero() || r.MovieID != movie.ID || r.UserID != cmd.UserID {
		t.Errorf("review IDs = (%v, movie %v, user %v), want a fresh ID for movie %v by %v", r.ID, r.MovieID, r.UserID, movie.ID, cmd.UserID)
	}
	wantRating := domain.Rating{} // not rated
	if cmd.Rating != nil {
		wantRating = domain.MustNewRating(*cmd.Rating)
	}
	if r.Rating != wantRating || r.Comment.String() != strings.TrimSpace(cmd.Comment) {
		t.Errorf("review = (%q, %q), want (%q, trimmed %q)", r.Rating, r.Comment, wantRating, cmd.Comment)
	}
	if want := cmd.WatchedAt.UTC().Truncate(time.Second); !r.WatchedAt.Equal(want) || r.WatchedAt.Location() != time.UTC {
		t.Errorf("watched_at = %v, want %v in UTC", r.WatchedAt, want)
	}
	if !r.CreatedAt.Equal(fixedNow) {
		t.Errorf("created_at = %v, want the clock's %v", r.CreatedAt, fixedNow)
	}
}

func equalNames(a, b []domain.EventName) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLogReviewValidatesEverythingBeforeCallingAnyPort(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", domain.MaxTitleRunes+1)
	tests := []struct {
		name       string
		cmd        func(c *application.LogReviewCommand)
		wantFields []string
		wantRule   map[string]string // a substring of the rule per field
	}{
		{
			name: "every malformed field is reported at once",
			cmd: func(c *application.LogReviewCommand) {
				c.UserID = domain.UserID{}
				c.ExternalMetadataID = "tt12"
				c.ManualTitle = long
				c.ManualReleaseYear = ptr(1700)
				c.ManualDirector = long
				c.Rating = ptr(6.0)
				c.Comment = strings.Repeat("x", domain.MaxCommentRunes+1)
				c.WatchedAt = fixedNow.Add(domain.ClockSkew + time.Second)
			},
			wantFields: []string{"user_id", "external_metadata_id", "manual_title", "manual_release_year", "manual_director", "rating", "comment", "watched_at"},
			wantRule: map[string]string{
				"external_metadata_id": "tt followed by 7 to 10 digits",
				"manual_title":         "at most 255",
				"manual_release_year":  "1888",
				"rating":               "0 to 5",
				"watched_at":           "future",
			},
		},
		{
			name: "a missing watched_at and a negative rating are both reported",
			cmd: func(c *application.LogReviewCommand) {
				c.ExternalMetadataID = shawshankID
				c.Rating = ptr(-1.0)
				c.WatchedAt = time.Time{}
			},
			wantFields: []string{"rating", "watched_at"},
			wantRule:   map[string]string{"watched_at": "required"},
		},
		{
			name: "without an external ID and a title, a title and a year are required",
			cmd: func(c *application.LogReviewCommand) {
				c.ManualTitle = "   "
			},
			wantFields: []string{"manual_title", "manual_release_year"},
			wantRule: map[string]string{
				"manual_title":        "no external_metadata_id was given, so a title and a release year are needed",
				"manual_release_year": "no external_metadata_id was given, so a title and a release year are needed",
			},
		},
		{
			name: "a year alone is not enough without a title",
			cmd: func(c *application.LogReviewCommand) {
				c.ManualReleaseYear = ptr(shawshankYear)
				c.Rating = ptr(9.0)
			},
			wantFields: []string{"manual_title", "rating"},
			wantRule:   map[string]string{"manual_title": "a title and a release year are needed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newLogReviewHarness(t) // no expectations: any port call fails the test
			cmd := baseCommand(t)
			tt.cmd(&cmd)
			_, err := h.uc.Handle(t.Context(), cmd)
			rules := requireFields(t, err, tt.wantFields...)
			for field, want := range tt.wantRule {
				if got := strings.Join(rules[field], "; "); !strings.Contains(got, want) {
					t.Errorf("%s rule = %q, want it to say %q", field, got, want)
				}
			}
		})
	}
}

func TestLogReviewNeedsTitleAndYearWhenLookupsFail(t *testing.T) {
	t.Parallel()
	extID := domain.MustParseExternalMetadataID(shawshankID)
	title := domain.MustNewMovieTitle(shawshank)
	tests := []struct {
		name       string
		cmd        func(c *application.LogReviewCommand)
		expect     func(h *logReviewHarness)
		wantFields []string
		wantRule   string
	}{
		{
			name: "lookup by external ID failed and no title or year was given",
			cmd:  func(c *application.LogReviewCommand) { c.ExternalMetadataID = shawshankID },
			expect: func(h *logReviewHarness) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errNoRow)
				h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), extID).Return(domain.MovieMetadata{}, errUnknownFilm)
			},
			wantFields: []string{"manual_title", "manual_release_year"},
			wantRule:   "the metadata lookup by external_metadata_id failed, so a title and a release year are needed",
		},
		{
			name: "lookup by external ID failed and only a title was given",
			cmd: func(c *application.LogReviewCommand) {
				c.ExternalMetadataID = shawshankID
				c.ManualTitle = shawshank
			},
			expect: func(h *logReviewHarness) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errNoRow)
				h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), extID).Return(domain.MovieMetadata{}, errDown)
			},
			wantFields: []string{"manual_release_year"},
			wantRule:   "the metadata lookup by external_metadata_id failed",
		},
		{
			name: "title search failed and no year was given",
			cmd:  func(c *application.LogReviewCommand) { c.ManualTitle = shawshank },
			expect: func(h *logReviewHarness) {
				h.metadata.EXPECT().SearchMetadata(gomock.Any(), title, domain.ReleaseYear{}).Return(domain.MovieMetadata{}, errDown)
			},
			wantFields: []string{"manual_release_year"},
			wantRule:   "the metadata lookup by title failed, so a title and a release year are needed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newLogReviewHarness(t)
			tt.expect(h) // no SaveViewing, no Publish
			cmd := baseCommand(t)
			tt.cmd(&cmd)
			_, err := h.uc.Handle(t.Context(), cmd)
			rules := requireFields(t, err, tt.wantFields...)
			for _, f := range tt.wantFields {
				if got := strings.Join(rules[f], "; "); !strings.Contains(got, tt.wantRule) {
					t.Errorf("%s rule = %q, want it to say %q", f, got, tt.wantRule)
				}
			}
		})
	}
}

func TestLogReviewPublishFailureDoesNotFailTheRequest(t *testing.T) {
	t.Parallel()
	h := newLogReviewHarness(t)
	extID := domain.MustParseExternalMetadataID(shawshankID)
	h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errNoRow)
	h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), extID).
		Return(metadataOf(shawshankID, shawshank, shawshankYear, shawshankDir), nil)
	h.expectSave(domain.MovieCreated)
	publishErr := errors.New("event channel closed")
	h.expectPublish(2, publishErr) // both events are still attempted, in order

	cmd := baseCommand(t)
	cmd.ExternalMetadataID = shawshankID
	entry, err := h.uc.Handle(t.Context(), cmd)
	if err != nil {
		t.Fatalf("Handle: %v, want success: the viewing is stored", err)
	}
	if entry.Review.ID != h.saved[0].Review.ID {
		t.Errorf("entry review %v, want the stored %v", entry.Review.ID, h.saved[0].Review.ID)
	}
	want := []domain.EventName{domain.EventMovieDiscovered, domain.EventReviewLogged}
	if got := h.publishedNames(); !equalNames(got, want) {
		t.Errorf("attempted %v, want %v", got, want)
	}
	errs := h.logs.at(slog.LevelError)
	if len(errs) != 2 {
		t.Fatalf("logged %d errors, want one per failed event", len(errs))
	}
	for i, rec := range errs {
		if attr(rec, "event") != string(want[i]) || attr(rec, "event_id") == "" ||
			attr(rec, "movie_id") != entry.Movie.ID.String() || !strings.Contains(attr(rec, "error"), publishErr.Error()) {
			t.Errorf("error log %d = %q %v, want event, event_id, movie_id and error fields", i, rec.Message, rec)
		}
	}
}

func TestLogReviewPublishesEvenWhenTheCallerHasGone(t *testing.T) {
	t.Parallel()
	h := newLogReviewHarness(t)
	stored := mustMovie(shawshankID, shawshank, shawshankYear, "")
	h.repo.EXPECT().MovieByExternalID(gomock.Any(), gomock.Any()).Return(stored, nil)
	ctx, cancel := context.WithCancel(t.Context())
	h.repo.EXPECT().SaveViewing(gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, v domain.Viewing) (domain.SavedViewing, error) {
			cancel() // the client hangs up right after the commit
			return domain.SavedViewing{Movie: v.Movie, Review: v.Review,
				Events: domain.LogEvents(v.Movie, domain.MovieUnchanged, v.Review, v.PosterURL, fixedNow)}, nil
		})
	h.publisher.EXPECT().Publish(gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, e domain.Event) error {
			if err := ctx.Err(); err != nil {
				t.Errorf("Publish got a done context: %v", err)
			}
			if _, ok := ctx.Deadline(); !ok {
				t.Error("Publish got a context without a deadline: it could wait forever")
			}
			return ctx.Err()
		})

	cmd := baseCommand(t)
	cmd.ExternalMetadataID = shawshankID
	if _, err := h.uc.Handle(ctx, cmd); err != nil {
		t.Fatalf("Handle: %v", err)
	}
}

func TestLogReviewReturnsTheCanonicalMovie(t *testing.T) {
	t.Parallel()
	// Another request stored the same IMDb ID first: SaveViewing answers
	// with its movie, and the entry shows that one.
	h := newLogReviewHarness(t)
	extID := domain.MustParseExternalMetadataID(shawshankID)
	canonical := mustMovie(shawshankID, shawshank, shawshankYear, shawshankDir)
	h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errNoRow)
	h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), extID).
		Return(metadataOf(shawshankID, shawshank, shawshankYear, shawshankDir), nil)
	h.repo.EXPECT().SaveViewing(gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, v domain.Viewing) (domain.SavedViewing, error) {
			r := v.Review
			r.MovieID = canonical.ID
			return domain.SavedViewing{Movie: canonical, Change: domain.MovieUnchanged, Review: r,
				Events: domain.LogEvents(canonical, domain.MovieUnchanged, r, domain.PosterURL{}, r.CreatedAt)}, nil
		})
	h.expectPublish(1, nil)

	cmd := baseCommand(t)
	cmd.ExternalMetadataID = shawshankID
	entry := must(h.uc.Handle(t.Context(), cmd))
	if entry.Movie != canonical || entry.Review.MovieID != canonical.ID {
		t.Errorf("entry = %+v, want the canonical movie %v", entry, canonical.ID)
	}
	if got := h.publishedNames(); !equalNames(got, []domain.EventName{domain.EventReviewLogged}) {
		t.Errorf("published %v, want only review_logged: the movie was not new to this request", got)
	}
}

func TestLogReviewPassesOnRepositoryFailures(t *testing.T) {
	t.Parallel()
	extID := domain.MustParseExternalMetadataID(shawshankID)
	title := domain.MustNewMovieTitle(shawshank)
	year := domain.MustNewReleaseYear(shawshankYear)
	tests := []struct {
		name   string
		cmd    func(c *application.LogReviewCommand)
		expect func(h *logReviewHarness)
	}{
		{
			name: "finding by external ID fails",
			cmd:  func(c *application.LogReviewCommand) { c.ExternalMetadataID = shawshankID },
			expect: func(h *logReviewHarness) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errDB)
			},
		},
		{
			name: "finding the title search hit fails",
			cmd:  func(c *application.LogReviewCommand) { c.ManualTitle = shawshank },
			expect: func(h *logReviewHarness) {
				h.metadata.EXPECT().SearchMetadata(gomock.Any(), title, domain.ReleaseYear{}).
					Return(metadataOf(shawshankID, shawshank, shawshankYear, ""), nil)
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errDB)
			},
		},
		{
			name: "finding manual matches fails",
			cmd: func(c *application.LogReviewCommand) {
				c.ManualTitle = shawshank
				c.ManualReleaseYear = ptr(shawshankYear)
			},
			expect: func(h *logReviewHarness) {
				h.metadata.EXPECT().SearchMetadata(gomock.Any(), title, year).Return(domain.MovieMetadata{}, errUnknownFilm)
				h.repo.EXPECT().MoviesByTitleYear(gomock.Any(), title, year).Return(nil, errDB)
			},
		},
		{
			name: "saving the viewing fails",
			cmd:  func(c *application.LogReviewCommand) { c.ExternalMetadataID = shawshankID },
			expect: func(h *logReviewHarness) {
				h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(mustMovie(shawshankID, shawshank, shawshankYear, ""), nil)
				h.repo.EXPECT().SaveViewing(gomock.Any(), gomock.Any()).Return(domain.SavedViewing{}, errDB)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newLogReviewHarness(t)
			tt.expect(h) // no Publish: nothing was stored
			cmd := baseCommand(t)
			tt.cmd(&cmd)
			_, err := h.uc.Handle(t.Context(), cmd)
			requireKind(t, err, domain.ErrInfrastructure)
			if errors.Is(err, domain.ErrValidation) || errors.Is(err, domain.ErrNotFound) {
				t.Errorf("error %v has the wrong kind too", err)
			}
		})
	}
}

func TestNewLogReviewRejectsMissingPorts(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	repo, md, pub := mock.NewMockMovieRepository(ctrl), mock.NewMockMetadataClient(ctrl), mock.NewMockEventPublisher(ctrl)
	tests := []struct {
		name    string
		build   func() (*application.LogReview, error)
		wantErr bool
	}{
		{"nil repository", func() (*application.LogReview, error) { return application.NewLogReview(nil, md, pub, nil, nil) }, true},
		{"nil metadata client", func() (*application.LogReview, error) { return application.NewLogReview(repo, nil, pub, nil, nil) }, true},
		{"nil publisher", func() (*application.LogReview, error) { return application.NewLogReview(repo, md, nil, nil, nil) }, true},
		{"nil logger and clock default", func() (*application.LogReview, error) { return application.NewLogReview(repo, md, pub, nil, nil) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uc, err := tt.build()
			if tt.wantErr {
				requireKind(t, err, application.ErrMissingDependency)
				if uc != nil {
					t.Error("got a use case along with the error")
				}
				return
			}
			if err != nil || uc == nil {
				t.Fatalf("got (%v, %v), want a use case", uc, err)
			}
		})
	}
}

func TestLogReviewLooksAStoredMovieUpOnce(t *testing.T) {
	t.Parallel()
	// A film logged again by IMDb ID: the movie the first log stored (the
	// canonical one SaveViewing returned) is reused without a lookup, and
	// a film the lookup found is remembered too.
	h := newLogReviewHarness(t)
	extID := domain.MustParseExternalMetadataID(shawshankID)
	canonical := mustMovie(shawshankID, shawshank, shawshankYear, shawshankDir)
	h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errNoRow).Times(1)
	h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), extID).
		Return(metadataOf(shawshankID, shawshank, shawshankYear, shawshankDir), nil).Times(1)
	var given []domain.Movie
	h.repo.EXPECT().SaveViewing(gomock.Any(), gomock.Any()).Times(3).DoAndReturn(
		func(_ context.Context, v domain.Viewing) (domain.SavedViewing, error) {
			given = append(given, v.Movie)
			r := v.Review
			r.MovieID = canonical.ID
			return domain.SavedViewing{Movie: canonical, Change: domain.MovieUnchanged, Review: r,
				Events: domain.LogEvents(canonical, domain.MovieUnchanged, r, domain.PosterURL{}, r.CreatedAt)}, nil
		})
	other := mustMovie(otherID, "The Godfather", 1972, "")
	otherExt := domain.MustParseExternalMetadataID(otherID)
	h.repo.EXPECT().MovieByExternalID(gomock.Any(), otherExt).Return(other, nil).Times(1)
	h.repo.EXPECT().SaveViewing(gomock.Any(), gomock.Any()).Times(2).DoAndReturn(
		func(_ context.Context, v domain.Viewing) (domain.SavedViewing, error) {
			return domain.SavedViewing{Movie: v.Movie, Change: domain.MovieUnchanged, Review: v.Review,
				Events: domain.LogEvents(v.Movie, domain.MovieUnchanged, v.Review, domain.PosterURL{}, v.Review.CreatedAt)}, nil
		})
	h.expectPublish(5, nil)

	cmd := baseCommand(t)
	cmd.ExternalMetadataID = shawshankID
	for range 3 {
		if entry := must(h.uc.Handle(t.Context(), cmd)); entry.Movie != canonical {
			t.Fatalf("entry movie = %v, want the canonical %v", entry.Movie.ID, canonical.ID)
		}
	}
	if given[1] != canonical || given[2] != canonical {
		t.Errorf("the later logs saved %v and %v, want the canonical movie %v", given[1].ID, given[2].ID, canonical.ID)
	}
	cmd.ExternalMetadataID = otherID
	for range 2 {
		must(h.uc.Handle(t.Context(), cmd))
	}
}
