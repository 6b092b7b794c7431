package application_test

import (
	"context"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/domain"
)

// What the metadata source said about a film's poster as it was logged
// travels on the MovieDiscovered event, so the poster sync neither re-reads
// the movie nor asks the source again.

func TestLogReviewCarriesThePosterURLToTheEvent(t *testing.T) {
	t.Parallel()
	extID := domain.MustParseExternalMetadataID(shawshankID)
	poster := domain.MustParsePosterURL("https://img.example.com/shawshank.jpg")
	found := domain.MovieMetadata{
		ExternalID:  extID,
		Title:       domain.MustNewMovieTitle(shawshank),
		ReleaseYear: domain.MustNewReleaseYear(shawshankYear),
		PosterURL:   poster,
	}
	tests := []struct {
		name   string
		byID   bool
		expect func(h *logReviewHarness)
	}{
		{"looked up by IMDb ID", true, func(h *logReviewHarness) {
			h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errNoRow)
			h.metadata.EXPECT().MetadataByExternalID(gomock.Any(), extID).Return(found, nil)
		}},
		{"found by title", false, func(h *logReviewHarness) {
			h.metadata.EXPECT().SearchMetadata(gomock.Any(), found.Title, found.ReleaseYear).Return(found, nil)
			h.repo.EXPECT().MovieByExternalID(gomock.Any(), extID).Return(domain.Movie{}, errNoRow)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newLogReviewHarness(t)
			tc.expect(h)
			h.expectSave(domain.MovieCreated)
			h.expectPublish(2, nil)
			cmd := baseCommand(t)
			if tc.byID {
				cmd.ExternalMetadataID = shawshankID
			} else {
				year := shawshankYear
				cmd.ManualTitle, cmd.ManualReleaseYear = shawshank, &year
			}
			if _, err := h.uc.Handle(context.Background(), cmd); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if len(h.saved) != 1 || h.saved[0].PosterURL != poster {
				t.Fatalf("saved viewings %+v, want one carrying %s", h.saved, poster)
			}
			md, ok := h.published[0].(domain.MovieDiscovered)
			if !ok || md.PosterURL != poster {
				t.Errorf("first event %#v, want MovieDiscovered carrying %s", h.published[0], poster)
			}
		})
	}
}

func TestSyncPosterHandleDiscovered(t *testing.T) {
	t.Parallel()
	movie := mustMovie(shawshankID, shawshank, shawshankYear, "")
	url := domain.MustParsePosterURL("https://img.example.com/poster.jpg")
	path := domain.MustNewPosterPath("posters/" + movie.ID.String())

	t.Run("a carried poster URL is fetched without reading the movie or asking the source", func(t *testing.T) {
		t.Parallel()
		h := newSyncPosterHarness(t) // gomock fails on MovieByID or PosterURL
		h.expectFetch(url)
		h.expectStore(t, movie.ID, path, nil)
		h.movies.EXPECT().SetPosterPath(gomock.Any(), movie.ID, path).Return(nil)
		if err := h.uc.HandleDiscovered(context.Background(), domain.NewMovieDiscovered(movie, url, fixedNow)); err != nil {
			t.Fatalf("HandleDiscovered: %v", err)
		}
	})
	t.Run("without one it reads the movie and asks the source", func(t *testing.T) {
		t.Parallel()
		h := newSyncPosterHarness(t)
		h.movies.EXPECT().MovieByID(gomock.Any(), movie.ID).Return(movie, nil)
		h.metadata.EXPECT().PosterURL(gomock.Any(), movie.ExternalID).Return(url, nil)
		h.expectFetch(url)
		h.expectStore(t, movie.ID, path, nil)
		h.movies.EXPECT().SetPosterPath(gomock.Any(), movie.ID, path).Return(nil)
		if err := h.uc.HandleDiscovered(context.Background(), domain.NewMovieDiscovered(movie, domain.PosterURL{}, fixedNow)); err != nil {
			t.Fatalf("HandleDiscovered: %v", err)
		}
	})
	t.Run("a movie deleted meanwhile is not found", func(t *testing.T) {
		t.Parallel()
		h := newSyncPosterHarness(t)
		h.expectFetch(url)
		h.expectStore(t, movie.ID, path, nil)
		h.movies.EXPECT().SetPosterPath(gomock.Any(), movie.ID, path).Return(errNoRow)
		err := h.uc.HandleDiscovered(context.Background(), domain.NewMovieDiscovered(movie, url, fixedNow))
		if !domain.IsPermanent(err) {
			t.Fatalf("HandleDiscovered = %v, want a permanent not-found", err)
		}
	})
	t.Run("a zero movie ID is a validation error", func(t *testing.T) {
		t.Parallel()
		h := newSyncPosterHarness(t)
		e := domain.NewMovieDiscovered(movie, url, fixedNow)
		e.Movie = domain.MovieID{}
		if err := h.uc.HandleDiscovered(context.Background(), e); !domain.IsPermanent(err) {
			t.Fatalf("HandleDiscovered = %v, want a validation error", err)
		}
	})
}
