package application_test

import (
	"errors"
	"fmt"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

type syncPosterHarness struct {
	movies   *mock.MockMovieRepository
	metadata *mock.MockMetadataClient
	fetcher  *mock.MockPosterFetcher
	storage  *mock.MockPosterStorage
	uc       *application.SyncPoster
}

func newSyncPosterHarness(t *testing.T) syncPosterHarness {
	t.Helper()
	ctrl := gomock.NewController(t)
	h := syncPosterHarness{
		movies:   mock.NewMockMovieRepository(ctrl),
		metadata: mock.NewMockMetadataClient(ctrl),
		fetcher:  mock.NewMockPosterFetcher(ctrl),
		storage:  mock.NewMockPosterStorage(ctrl),
	}
	h.uc = must(application.NewSyncPoster(h.movies, h.metadata, h.fetcher, h.storage))
	return h
}

func TestSyncPoster(t *testing.T) {
	t.Parallel()
	movie := mustMovie(shawshankID, shawshank, shawshankYear, "")
	manual := mustMovie("", "Home Movie", 2020, "")
	url := domain.MustParsePosterURL("https://img.example.com/poster.jpg")
	image := []byte("\xff\xd8\xff\xe0 jpeg")
	path := domain.MustNewPosterPath("posters/" + movie.ID.String())
	gone := fmt.Errorf("fetch: %w: HTTP 404", domain.ErrNotFound)
	notImage := fmt.Errorf("fetch: %w: not an image", domain.ErrPermanent)
	timeout := fmt.Errorf("fetch: %w: timeout", domain.ErrUnavailable)

	// Each step's expectation; a case lists the steps it reaches.
	load := func(h syncPosterHarness) {
		h.movies.EXPECT().MovieByID(gomock.Any(), movie.ID).Return(movie, nil)
	}
	lookup := func(h syncPosterHarness) {
		h.metadata.EXPECT().PosterURL(gomock.Any(), movie.ExternalID).Return(url, nil)
	}
	fetch := func(h syncPosterHarness) {
		h.fetcher.EXPECT().FetchPoster(gomock.Any(), url).Return(image, nil)
	}
	store := func(h syncPosterHarness) {
		h.storage.EXPECT().StorePoster(gomock.Any(), movie.ID, image).Return(path, nil)
	}

	tests := []struct {
		name     string
		movieID  domain.MovieID
		steps    []func(h syncPosterHarness)
		last     func(h syncPosterHarness) // the step that ends the case
		wantKind error                     // nil: success
	}{
		{
			name:    "success stores the poster and records its path",
			movieID: movie.ID,
			steps:   []func(syncPosterHarness){load, lookup, fetch, store},
			last: func(h syncPosterHarness) {
				h.movies.EXPECT().SetPosterPath(gomock.Any(), movie.ID, path).Return(nil)
			},
		},
		{
			name:     "zero movie ID is a validation error",
			movieID:  domain.MovieID{},
			last:     func(syncPosterHarness) {},
			wantKind: domain.ErrValidation,
		},
		{
			name:    "unknown movie is not found",
			movieID: movie.ID,
			last: func(h syncPosterHarness) {
				h.movies.EXPECT().MovieByID(gomock.Any(), movie.ID).Return(domain.Movie{}, errNoRow)
			},
			wantKind: domain.ErrNotFound,
		},
		{
			name:    "movie without an external ID needs nothing",
			movieID: manual.ID,
			last: func(h syncPosterHarness) {
				h.movies.EXPECT().MovieByID(gomock.Any(), manual.ID).Return(manual, nil)
			},
		},
		{
			name:    "film without a poster needs nothing",
			movieID: movie.ID,
			steps:   []func(syncPosterHarness){load},
			last: func(h syncPosterHarness) {
				h.metadata.EXPECT().PosterURL(gomock.Any(), movie.ExternalID).Return(domain.PosterURL{}, nil)
			},
		},
		{
			name:    "metadata failure keeps its kind",
			movieID: movie.ID,
			steps:   []func(syncPosterHarness){load},
			last: func(h syncPosterHarness) {
				h.metadata.EXPECT().PosterURL(gomock.Any(), movie.ExternalID).Return(domain.PosterURL{}, errDown)
			},
			wantKind: domain.ErrUnavailable,
		},
		{
			name:    "missing image is not found",
			movieID: movie.ID,
			steps:   []func(syncPosterHarness){load, lookup},
			last: func(h syncPosterHarness) {
				h.fetcher.EXPECT().FetchPoster(gomock.Any(), url).Return(nil, gone)
			},
			wantKind: domain.ErrNotFound,
		},
		{
			name:    "refused image is permanent",
			movieID: movie.ID,
			steps:   []func(syncPosterHarness){load, lookup},
			last: func(h syncPosterHarness) {
				h.fetcher.EXPECT().FetchPoster(gomock.Any(), url).Return(nil, notImage)
			},
			wantKind: domain.ErrPermanent,
		},
		{
			name:    "fetch timeout is unavailable",
			movieID: movie.ID,
			steps:   []func(syncPosterHarness){load, lookup},
			last: func(h syncPosterHarness) {
				h.fetcher.EXPECT().FetchPoster(gomock.Any(), url).Return(nil, timeout)
			},
			wantKind: domain.ErrUnavailable,
		},
		{
			name:    "store failure keeps its kind and records no path",
			movieID: movie.ID,
			steps:   []func(syncPosterHarness){load, lookup, fetch},
			last: func(h syncPosterHarness) {
				h.storage.EXPECT().StorePoster(gomock.Any(), movie.ID, image).Return(domain.PosterPath{}, errDB)
			},
			wantKind: domain.ErrInfrastructure,
		},
		{
			name:    "set-path failure keeps its kind",
			movieID: movie.ID,
			steps:   []func(syncPosterHarness){load, lookup, fetch, store},
			last: func(h syncPosterHarness) {
				h.movies.EXPECT().SetPosterPath(gomock.Any(), movie.ID, path).Return(errNoRow)
			},
			wantKind: domain.ErrNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newSyncPosterHarness(t)
			for _, step := range tt.steps {
				step(h)
			}
			tt.last(h)
			err := h.uc.Handle(t.Context(), tt.movieID)
			if tt.wantKind == nil {
				if err != nil {
					t.Fatalf("Handle: %v", err)
				}
				return
			}
			requireKind(t, err, tt.wantKind)
			if got := domain.IsPermanent(err); got != domain.IsPermanent(tt.wantKind) {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, !got)
			}
		})
	}
}

func TestNewSyncPosterRejectsMissingPorts(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	movies, md := mock.NewMockMovieRepository(ctrl), mock.NewMockMetadataClient(ctrl)
	fetcher, storage := mock.NewMockPosterFetcher(ctrl), mock.NewMockPosterStorage(ctrl)
	_, err := application.NewSyncPoster(nil, md, nil, storage)
	if !errors.Is(err, application.ErrMissingDependency) || err.Error() != "missing dependency: SyncPoster needs movies, fetcher" {
		t.Errorf("err = %v, want one naming every missing port", err)
	}
	if _, err := application.NewSyncPoster(movies, nil, fetcher, storage); !errors.Is(err, application.ErrMissingDependency) {
		t.Errorf("nil metadata: err = %v", err)
	}
	if _, err := application.NewSyncPoster(movies, md, fetcher, nil); !errors.Is(err, application.ErrMissingDependency) {
		t.Errorf("nil storage: err = %v", err)
	}
}
