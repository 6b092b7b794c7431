package application_test

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

// enrichStore is an application.EnrichRepository made of two mocks.
type enrichStore struct {
	*mock.MockMovieIdentifier
	*mock.MockMovieFinder
}

type enrichHarness struct {
	identifier *mock.MockMovieIdentifier
	finder     *mock.MockMovieFinder
	metadata   *mock.MockMetadataClient
	publisher  *mock.MockEventPublisher
	logs       *logRecorder
	uc         *application.EnrichMovies
}

func newEnrichHarness(t *testing.T) enrichHarness {
	t.Helper()
	ctrl := gomock.NewController(t)
	logger, logs := newLogger()
	h := enrichHarness{
		identifier: mock.NewMockMovieIdentifier(ctrl),
		finder:     mock.NewMockMovieFinder(ctrl),
		metadata:   mock.NewMockMetadataClient(ctrl),
		publisher:  mock.NewMockEventPublisher(ctrl),
		logs:       logs,
	}
	h.uc = must(application.NewEnrichMovies(enrichStore{h.identifier, h.finder}, h.metadata, h.publisher, logger, clock))
	return h
}

func TestNewEnrichMoviesRejectsNilPorts(t *testing.T) {
	_, err := application.NewEnrichMovies(nil, nil, nil, nil, nil)
	requireKind(t, err, application.ErrMissingDependency)
}

func TestEnrichMovies(t *testing.T) {
	unknown := mustMovie("", "Brazil", 1985, "")
	event := domain.NewMovieNeedsMetadata(unknown, fixedNow.Add(-time.Hour))
	found := metadataOf("tt0088846", "Brazil", 1985, "Terry Gilliam")
	identified := unknown
	identified.ExternalID, identified.Director = found.ExternalID, found.Director
	discovered := domain.NewMovieDiscovered(identified, found.PosterURL, fixedNow)
	deferred := &domain.DeferredError{Until: fixedNow.Add(12 * time.Hour), Reason: "budget spent"}

	tests := []struct {
		name    string
		expect  func(h enrichHarness)
		check   func(t *testing.T, err error, h enrichHarness)
		wantErr bool
	}{
		{"a movie identified meanwhile needs no request", func(h enrichHarness) {
			h.finder.EXPECT().MovieByID(gomock.Any(), unknown.ID).Return(identified, nil)
		}, nil, false},
		{"a movie merged away needs nothing", func(h enrichHarness) {
			h.finder.EXPECT().MovieByID(gomock.Any(), unknown.ID).Return(domain.Movie{}, domain.ErrNotFound)
		}, nil, false},
		{"a film the source does not know stays as it is", func(h enrichHarness) {
			h.finder.EXPECT().MovieByID(gomock.Any(), unknown.ID).Return(unknown, nil)
			h.metadata.EXPECT().SearchMetadata(gomock.Any(), unknown.Title, unknown.ReleaseYear).Return(domain.MovieMetadata{}, domain.ErrNotFound)
		}, func(t *testing.T, _ error, h enrichHarness) {
			if len(h.logs.at(slog.LevelDebug)) != 1 || len(h.logs.at(slog.LevelWarn)) != 0 {
				t.Error("want one DEBUG record and no warning")
			}
		}, false},
		{"an unavailable source is retried", func(h enrichHarness) {
			h.finder.EXPECT().MovieByID(gomock.Any(), unknown.ID).Return(unknown, nil)
			h.metadata.EXPECT().SearchMetadata(gomock.Any(), gomock.Any(), gomock.Any()).Return(domain.MovieMetadata{}, fmt.Errorf("omdb: %w", domain.ErrUnavailable))
		}, func(t *testing.T, err error, _ enrichHarness) { requireKind(t, err, domain.ErrUnavailable) }, true},
		{"a spent budget defers", func(h enrichHarness) {
			h.finder.EXPECT().MovieByID(gomock.Any(), unknown.ID).Return(unknown, nil)
			h.metadata.EXPECT().SearchMetadata(gomock.Any(), gomock.Any(), gomock.Any()).Return(domain.MovieMetadata{}, deferred)
		}, func(t *testing.T, err error, _ enrichHarness) {
			var d *domain.DeferredError
			if !errors.As(err, &d) || !d.Until.Equal(deferred.Until) {
				t.Errorf("error %v, want the DeferredError", err)
			}
		}, true},
		{"a film found is attached and its events published", func(h enrichHarness) {
			h.finder.EXPECT().MovieByID(gomock.Any(), unknown.ID).Return(unknown, nil)
			h.metadata.EXPECT().SearchMetadata(gomock.Any(), unknown.Title, unknown.ReleaseYear).Return(found, nil)
			h.identifier.EXPECT().IdentifyMovie(gomock.Any(), unknown.ID, found, fixedNow).Return(identified, []domain.Event{discovered}, nil)
			h.publisher.EXPECT().Publish(gomock.Any(), discovered).Return(nil)
		}, nil, false},
		{"a movie merged while it was looked up needs nothing", func(h enrichHarness) {
			h.finder.EXPECT().MovieByID(gomock.Any(), unknown.ID).Return(unknown, nil)
			h.metadata.EXPECT().SearchMetadata(gomock.Any(), gomock.Any(), gomock.Any()).Return(found, nil)
			h.identifier.EXPECT().IdentifyMovie(gomock.Any(), unknown.ID, found, fixedNow).Return(domain.Movie{}, nil, domain.ErrNotFound)
		}, nil, false},
		{"a failing store is retried", func(h enrichHarness) {
			h.finder.EXPECT().MovieByID(gomock.Any(), unknown.ID).Return(domain.Movie{}, fmt.Errorf("db: %w", domain.ErrInfrastructure))
		}, func(t *testing.T, err error, _ enrichHarness) { requireKind(t, err, domain.ErrInfrastructure) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newEnrichHarness(t)
			tt.expect(h)
			err := h.uc.Handle(t.Context(), event)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Handle = %v, want error %v", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, err, h)
			}
		})
	}
}
