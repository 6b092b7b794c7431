package application_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
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
	// stream is the poster body the fetcher mock hands out.
	stream *posterStream
}

// posterImage is the poster the fetcher mock serves.
var posterImage = []byte("\xff\xd8\xff\xe0 jpeg")

func newSyncPosterHarness(t *testing.T) syncPosterHarness {
	t.Helper()
	return newSyncPosterHarnessLimited(t, 4)
}

func newSyncPosterHarnessLimited(t *testing.T, maxConcurrent int) syncPosterHarness {
	t.Helper()
	ctrl := gomock.NewController(t)
	h := syncPosterHarness{
		movies:   mock.NewMockMovieRepository(ctrl),
		metadata: mock.NewMockMetadataClient(ctrl),
		fetcher:  mock.NewMockPosterFetcher(ctrl),
		storage:  mock.NewMockPosterStorage(ctrl),
		stream:   newPosterStream(posterImage),
	}
	h.uc = must(application.NewSyncPoster(h.movies, h.metadata, h.fetcher, h.storage, maxConcurrent))
	t.Cleanup(func() {
		if h.stream.handedOut.Load() && !h.stream.closed.Load() {
			t.Error("the poster stream the fetcher handed out was never closed")
		}
	})
	return h
}

// posterStream is a poster body as a fetcher hands it out; it records
// whether it was handed out and closed.
type posterStream struct {
	io.Reader
	handedOut, closed atomic.Bool
}

func newPosterStream(b []byte) *posterStream { return &posterStream{Reader: bytes.NewReader(b)} }

func (s *posterStream) Close() error {
	s.closed.Store(true)
	return nil
}

// expectFetch makes the fetcher hand out h.stream for url.
func (h syncPosterHarness) expectFetch(url domain.PosterURL) {
	h.fetcher.EXPECT().FetchPoster(gomock.Any(), url).DoAndReturn(func(context.Context, domain.PosterURL) (io.ReadCloser, error) {
		h.stream.handedOut.Store(true)
		return h.stream, nil
	})
}

// expectStore makes the storage read the stream the fetcher handed out,
// check it is the poster, and answer path and err.
func (h syncPosterHarness) expectStore(t *testing.T, movie domain.MovieID, path domain.PosterPath, err error) {
	h.storage.EXPECT().StorePoster(gomock.Any(), movie, h.stream).DoAndReturn(func(_ context.Context, _ domain.MovieID, r io.Reader) (domain.PosterPath, error) {
		if b, rerr := io.ReadAll(r); rerr != nil || !bytes.Equal(b, posterImage) {
			t.Errorf("the storage read %q, %v from the stream; want the poster", b, rerr)
		}
		return path, err
	})
}

func TestSyncPoster(t *testing.T) {
	t.Parallel()
	movie := mustMovie(shawshankID, shawshank, shawshankYear, "")
	manual := mustMovie("", "Home Movie", 2020, "")
	url := domain.MustParsePosterURL("https://img.example.com/poster.jpg")
	path := domain.MustNewPosterPath("posters/" + movie.ID.String())
	gone := fmt.Errorf("fetch: %w: HTTP 404", domain.ErrNotFound)
	tooLarge := fmt.Errorf("store: reading image: %w: body is over the cap", domain.ErrPermanent)
	notImage := fmt.Errorf("fetch: %w: not an image", domain.ErrPermanent)
	timeout := fmt.Errorf("fetch: %w: timeout", domain.ErrUnavailable)

	// Each step's expectation; a case lists the steps it reaches.
	load := func(h syncPosterHarness) {
		h.movies.EXPECT().MovieByID(gomock.Any(), movie.ID).Return(movie, nil)
	}
	lookup := func(h syncPosterHarness) {
		h.metadata.EXPECT().PosterURL(gomock.Any(), movie.ExternalID).Return(url, nil)
	}
	fetch := func(h syncPosterHarness) { h.expectFetch(url) }
	store := func(h syncPosterHarness) { h.expectStore(t, movie.ID, path, nil) }

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
				h.expectStore(t, movie.ID, domain.PosterPath{}, errDB)
			},
			wantKind: domain.ErrInfrastructure,
		},
		{
			name:    "a stream over the cap fails the store as permanent and records no path",
			movieID: movie.ID,
			steps:   []func(syncPosterHarness){load, lookup, fetch},
			last: func(h syncPosterHarness) {
				h.expectStore(t, movie.ID, domain.PosterPath{}, tooLarge)
			},
			wantKind: domain.ErrPermanent,
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
	_, err := application.NewSyncPoster(nil, md, nil, storage, 1)
	if !errors.Is(err, application.ErrMissingDependency) || err.Error() != "missing dependency: SyncPoster needs movies, fetcher" {
		t.Errorf("err = %v, want one naming every missing port", err)
	}
	if _, err := application.NewSyncPoster(movies, nil, fetcher, storage, 1); !errors.Is(err, application.ErrMissingDependency) {
		t.Errorf("nil metadata: err = %v", err)
	}
	if _, err := application.NewSyncPoster(movies, md, fetcher, nil, 1); !errors.Is(err, application.ErrMissingDependency) {
		t.Errorf("nil storage: err = %v", err)
	}
	for _, n := range []int{0, -1} {
		if _, err := application.NewSyncPoster(movies, md, fetcher, storage, n); !errors.Is(err, domain.ErrValidation) {
			t.Errorf("maxConcurrent %d: err = %v, want ErrValidation", n, err)
		}
	}
}

// gatedFetcher makes a fetcher mock block every download until released,
// counting the downloads in flight and the most ever at once.
type gatedFetcher struct {
	entered chan struct{}
	release chan struct{}

	mu             sync.Mutex
	inFlight, most int
	releaseOnce    sync.Once
}

func newGatedFetcher(t *testing.T, f *mock.MockPosterFetcher, url domain.PosterURL, times int) *gatedFetcher {
	g := &gatedFetcher{entered: make(chan struct{}, times), release: make(chan struct{})}
	t.Cleanup(g.open)
	f.EXPECT().FetchPoster(gomock.Any(), url).Times(times).DoAndReturn(func(ctx context.Context, _ domain.PosterURL) (io.ReadCloser, error) {
		g.mu.Lock()
		g.inFlight++
		g.most = max(g.most, g.inFlight)
		g.mu.Unlock()
		g.entered <- struct{}{}
		<-g.release
		g.mu.Lock()
		g.inFlight--
		g.mu.Unlock()
		return io.NopCloser(bytes.NewReader(posterImage)), nil
	})
	return g
}

// open lets every download, held or to come, through.
func (g *gatedFetcher) open() { g.releaseOnce.Do(func() { close(g.release) }) }

func (g *gatedFetcher) waitEntered(t *testing.T, n int) {
	t.Helper()
	for range n {
		<-g.entered
	}
}

func (g *gatedFetcher) mostAtOnce() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.most
}

// TestSyncPosterSharesOneLimitBetweenBackgroundAndManualSyncs: with two
// slots taken by background syncs, a manual sync is refused at once with
// ErrPosterSyncBusy (transient, nothing done), a further background sync
// waits — giving up with ErrUnavailable if its context ends first — and
// never more than two downloads run at once.
func TestSyncPosterSharesOneLimitBetweenBackgroundAndManualSyncs(t *testing.T) {
	t.Parallel()
	const limit = 2
	movie := mustMovie(shawshankID, shawshank, shawshankYear, "")
	url := domain.MustParsePosterURL("https://img.example.com/poster.jpg")
	path := domain.MustNewPosterPath("posters/" + movie.ID.String())
	h := newSyncPosterHarnessLimited(t, limit)
	// limit background syncs, one more that waits, then a manual sync.
	gate := newGatedFetcher(t, h.fetcher, url, limit+2)
	h.storage.EXPECT().StorePoster(gomock.Any(), movie.ID, gomock.Any()).Times(limit+2).Return(path, nil)
	h.movies.EXPECT().SetPosterPath(gomock.Any(), movie.ID, path).Times(limit + 2).Return(nil)
	// Only the last manual sync, which finds a free slot, reads the movie
	// and asks the source: the refused one asks nothing.
	h.movies.EXPECT().MovieByID(gomock.Any(), movie.ID).Times(1).Return(movie, nil)
	h.metadata.EXPECT().PosterURL(gomock.Any(), movie.ExternalID).Times(1).Return(url, nil)
	discovered := domain.NewMovieDiscovered(movie, url, fixedNow)

	done := make(chan error, limit+1)
	for range limit {
		go func() { done <- h.uc.HandleDiscovered(t.Context(), discovered) }()
	}
	gate.waitEntered(t, limit) // every slot is taken now

	// A manual sync finds no slot: refused at once, before any port is
	// asked (gomock fails on MovieByID).
	err := h.uc.Handle(t.Context(), movie.ID)
	if !errors.Is(err, application.ErrPosterSyncBusy) || !errors.Is(err, domain.ErrUnavailable) || domain.IsPermanent(err) {
		t.Fatalf("Handle with every slot taken = %v, want ErrPosterSyncBusy (transient)", err)
	}

	// A background sync whose context ends while it waits gives up.
	ctx, cancel := context.WithCancel(t.Context())
	gaveUp := make(chan error, 1)
	go func() { gaveUp <- h.uc.HandleDiscovered(ctx, discovered) }()
	cancel()
	if err := <-gaveUp; !errors.Is(err, domain.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("HandleDiscovered cancelled while waiting = %v, want ErrUnavailable wrapping context.Canceled", err)
	}

	// Another waits for a slot and runs once one is free.
	go func() { done <- h.uc.HandleDiscovered(t.Context(), discovered) }()
	gate.open()
	for range limit + 1 {
		if err := <-done; err != nil {
			t.Fatalf("HandleDiscovered: %v", err)
		}
	}
	// Every slot is free again: a manual sync runs.
	if err := h.uc.Handle(t.Context(), movie.ID); err != nil {
		t.Fatalf("Handle with free slots: %v", err)
	}
	if got := gate.mostAtOnce(); got > limit {
		t.Fatalf("%d downloads ran at once, want at most %d", got, limit)
	}
}
