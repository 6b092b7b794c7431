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
	return application.NewImports(repo, store.Users(), newImportParser(cfg), publisher, application.ImportConfig{}, logger, time.Now)
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
