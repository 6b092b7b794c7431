package wiring

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/moviediary/moviediary/adapters/diaryfile"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/presentation"
)

// EnrichHandlerName labels the enrichment handler in logs and metrics.
const EnrichHandlerName = "enrich_movie"

// importLease is how long a process's claim on an import job outlives its
// last stored batch (a batch takes well under a second): a job whose
// process died is resumed by another, or by the next start, within this
// and importPollEvery.
const importLease = 15 * time.Second

// importPollEvery is how often the import worker looks for jobs nobody
// woke it for: started by another process, or left by one that stopped.
const importPollEvery = 10 * time.Second

// EnrichHandler delivers MovieNeedsMetadata events (films imported by
// title and year) to application.EnrichMovies, which looks them up in OMDb
// within its budget. Like PlayHandler, it belongs to a bus built before
// the use case that publishes through that bus, so its use case is set
// afterwards (build); deliveries start only once the app runs.
type EnrichHandler struct {
	enrich atomic.Pointer[application.EnrichMovies]
}

// Name returns EnrichHandlerName.
func (h *EnrichHandler) Name() string { return EnrichHandlerName }

// Handle looks up the film of a MovieNeedsMetadata event and ignores every
// other event. A spent budget is a *domain.DeferredError: the bus waits
// for the budget to refill, and never gives the event up for it.
func (h *EnrichHandler) Handle(ctx context.Context, e domain.Event) error {
	var ev domain.MovieNeedsMetadata
	switch v := e.(type) {
	case domain.MovieNeedsMetadata:
		ev = v
	case *domain.MovieNeedsMetadata:
		if v == nil {
			return nil
		}
		ev = *v
	default:
		return nil
	}
	enrich := h.enrich.Load()
	if enrich == nil {
		return fmt.Errorf("%w: the enrichment handler is not built yet", domain.ErrInfrastructure)
	}
	return enrich.Handle(ctx, ev)
}

// build makes the handler's use case.
func (h *EnrichHandler) build(movies domain.MovieRepository, metadata domain.MetadataClient, publisher domain.EventPublisher, logger *slog.Logger) error {
	enrich, err := application.NewEnrichMovies(movies, metadata, publisher, logger, time.Now)
	if err != nil {
		return err
	}
	h.enrich.Store(enrich)
	return nil
}

// newMetadataBudget wraps the OMDb client in the budget every OMDb request
// of the process goes through: OMDB_DAILY_LIMIT requests per
// OMDB_LIMIT_WINDOW, counted in the database across processes, at most
// OMDB_RATE a second.
func newMetadataBudget(cfg Config, inner domain.MetadataClient, quota domain.QuotaCounter) (*application.MetadataBudget, error) {
	return application.NewMetadataBudget(inner, quota, application.MetadataBudgetConfig{
		Limit:  cfg.OMDbDailyLimit,
		Window: cfg.OMDbLimitWindow,
		Rate:   cfg.OMDbRate,
	}, time.Now)
}

// newImportParser is the parser of import files, its ZIP bounds derived
// from IMPORT_MAX_BYTES: at most 4 times the upload bound decompressed (200 MiB by default),
// and 10,000 members.
func newImportParser(cfg Config) domain.ImportParser {
	return diaryfile.NewParser(diaryfile.Limits{MaxDecompressed: 4 * cfg.ImportMaxBytes, MaxMembers: 10000})
}

// newImports is the import use case over store, its rows counted in
// metrics (nil: not counted).
func newImports(cfg Config, store Store, publisher domain.EventPublisher, metrics *presentation.Metrics, logger *slog.Logger) (*application.Imports, error) {
	var repo application.ImportsRepository = importsStore{store.Imports(), store.Movies()}
	if metrics != nil {
		repo = countedImports{ImportsRepository: repo, metrics: metrics}
	}
	return application.NewImports(repo, store.Users(), newImportParser(cfg), publisher, application.ImportConfig{Lease: importLease}, logger, time.Now)
}

// csvExport is the CSV writer of exports: Letterboxd's import columns.
func csvExport(w io.Writer) presentation.EntryWriter { return diaryfile.NewCSVWriter(w) }

// importsStore is what the import use case reads and writes: the jobs and
// the movies their rows are matched against.
type importsStore struct {
	domain.ImportRepository
	domain.MovieFinder
}

// countedImports counts the rows SaveImportBatch stores and the jobs that
// end in the metrics.
type countedImports struct {
	application.ImportsRepository
	metrics *presentation.Metrics
}

// SaveImportBatch stores b and counts its rows: imported, or already
// present.
func (c countedImports) SaveImportBatch(ctx context.Context, b domain.ImportBatch) (domain.ImportBatchResult, error) {
	res, err := c.ImportsRepository.SaveImportBatch(ctx, b)
	if err == nil {
		c.metrics.ImportRows("imported", len(res.Saved))
		c.metrics.ImportRows("already_present", len(b.Viewings)-len(res.Saved))
	}
	return res, err
}

// UpdateImportJob writes job and counts it when it ends.
func (c countedImports) UpdateImportJob(ctx context.Context, job domain.ImportJob) error {
	err := c.ImportsRepository.UpdateImportJob(ctx, job)
	if err == nil && !job.State.Active() {
		c.metrics.ImportJobEnded(job.State)
	}
	return err
}

// shutdownDeferral is how long a metadata lookup cut short by a shutdown
// is put off: past the drain of the shutdown, so that the draining
// dispatcher does not take it again, and soon enough after a restart.
const shutdownDeferral = 30 * time.Second

// stoppableMetadata is the process's metadata client (the OMDb budget
// and OMDb behind it) that stops waiting the moment the process starts
// shutting down: a lookup waiting for its turn at OMDB_RATE, or for OMDb,
// is cut short, and later ones are not started. Either way the lookup
// fails with a *domain.DeferredError, so its event waits in the outbox for
// the next start instead of counting an attempt or holding the shutdown.
type stoppableMetadata struct {
	inner    domain.MetadataClient
	stopping context.Context
	stop     context.CancelFunc
}

var _ domain.MetadataClient = (*stoppableMetadata)(nil)

func newStoppableMetadata(inner domain.MetadataClient) *stoppableMetadata {
	stopping, stop := context.WithCancel(context.Background())
	return &stoppableMetadata{inner: inner, stopping: stopping, stop: stop}
}

// call runs fn with a context that also ends when the process starts
// shutting down; a failure then is a deferral.
func (m *stoppableMetadata) call(ctx context.Context, fn func(ctx context.Context) error) error {
	if m.stopping.Err() != nil {
		return m.deferred()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(m.stopping, cancel)()
	err := fn(ctx)
	if err != nil && m.stopping.Err() != nil {
		return m.deferred()
	}
	return err
}

func (m *stoppableMetadata) deferred() error {
	return &domain.DeferredError{Until: time.Now().Add(shutdownDeferral), Reason: "the process is shutting down"}
}

// MetadataByExternalID is the inner client's, until shutdown.
func (m *stoppableMetadata) MetadataByExternalID(ctx context.Context, id domain.ExternalMetadataID) (md domain.MovieMetadata, err error) {
	err = m.call(ctx, func(ctx context.Context) error {
		md, err = m.inner.MetadataByExternalID(ctx, id)
		return err
	})
	return md, err
}

// SearchMetadata is the inner client's, until shutdown.
func (m *stoppableMetadata) SearchMetadata(ctx context.Context, title domain.MovieTitle, year domain.ReleaseYear) (md domain.MovieMetadata, err error) {
	err = m.call(ctx, func(ctx context.Context) error {
		md, err = m.inner.SearchMetadata(ctx, title, year)
		return err
	})
	return md, err
}

// PosterURL is the inner client's, until shutdown.
func (m *stoppableMetadata) PosterURL(ctx context.Context, id domain.ExternalMetadataID) (u domain.PosterURL, err error) {
	err = m.call(ctx, func(ctx context.Context) error {
		u, err = m.inner.PosterURL(ctx, id)
		return err
	})
	return u, err
}
