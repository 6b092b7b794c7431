package wiring

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/moviediary/moviediary/adapters/auth"
	"github.com/moviediary/moviediary/adapters/omdb"
	"github.com/moviediary/moviediary/adapters/posterfetcher"
	"github.com/moviediary/moviediary/adapters/posterstorage"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/presentation"
)

// App is the whole server, wired from a Config: the database, the
// adapters, the use cases, the event bus and the HTTP handler. The binary
// runs it; end-to-end tests and embedders reuse the same wiring.
type App struct {
	cfg     Config
	logger  *slog.Logger
	store   Store
	handler http.Handler
	metrics *presentation.Metrics

	bus *eventBus

	// imports runs the import jobs (Serve runs its worker); wake tells
	// the worker a job was started.
	imports *application.Imports
	wake    chan struct{}
	// stopMetadata defers the OMDb lookups from the start of shutdown on.
	stopMetadata func()
	// cache keeps the answers of public reads; Serve feeds it the changes
	// other processes commit.
	cache *presentation.PageCache

	closeOnce sync.Once
}

// New wires an App: it opens and migrates the database (OpenStore), loads
// or generates the JWT secret, and builds every adapter, use case, the
// event bus and the HTTP handler.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*App, error) {
	store, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	app, err := build(ctx, cfg, logger, store)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	return app, nil
}

func build(ctx context.Context, cfg Config, logger *slog.Logger, store Store) (*App, error) {
	secret, err := jwtSecret(cfg, logger)
	if err != nil {
		return nil, err
	}
	tokens, err := auth.NewJWT(auth.JWTConfig{Secret: secret, TTL: cfg.JWTTTL})
	if err != nil {
		return nil, err
	}
	hasher, err := auth.NewArgon2id(auth.Argon2Config{})
	if err != nil {
		return nil, err
	}
	movies, users := store.Movies(), store.Users()
	metrics := presentation.NewMetrics()
	// The page cache hears of every change: the events of this process
	// before the bus gets them (so a read after a write is fresh at once),
	// posters stored here, and what other processes commit (listenChanges).
	cache := presentation.NewPageCache(cfg.CacheMaxBytes)
	if _, ok := store.(domain.ChangeListener); ok {
		cache.AwaitListener() // Run starts it
	}
	metrics.WatchCache(cache)
	posters, err := newPosterSync(ctx, cfg, logger, movies, store.Quota(), metrics, application.PublishPosterStored(cache))
	if err != nil {
		return nil, err
	}
	plays, enrich := new(PlayHandler), new(EnrichHandler)
	bus, err := newBus(cfg, logger, metrics, store, handlers(posters.sync, plays, enrich), cfg.EventDispatch)
	if err != nil {
		return nil, err
	}
	bus.publisher = presentation.InvalidatingPublisher(cache, bus.publisher)

	now := time.Now
	wake := make(chan struct{}, 1)
	svc := presentation.Services{
		SyncPoster: posters.sync,
		Movies:     movies,
		Posters:    posters.storage,
		Ready:      store.Ping,
		CSVExport:  csvExport,
		Cache:      cache,
		WakeImports: func() {
			select {
			case wake <- struct{}{}:
			default: // a wake-up is pending already
			}
		},
	}
	if svc.LogReview, err = application.NewLogReview(movies, posters.metadata, bus.publisher, logger, now); err != nil {
		return nil, err
	}
	if svc.GetDiary, err = application.NewGetDiary(movies, users, application.WithCursorKey(deriveKey(secret, cursorKeyLabel)), application.WithDiaryClock(now)); err != nil {
		return nil, err
	}
	if svc.History, err = application.NewGetReviewHistory(movies); err != nil {
		return nil, err
	}
	if svc.EditReview, err = application.NewEditReview(movies, bus.publisher, logger, now); err != nil {
		return nil, err
	}
	if svc.DeleteReview, err = application.NewDeleteReview(movies, bus.publisher, logger, now); err != nil {
		return nil, err
	}
	if err := plays.build(svc.LogReview, movies, bus.publisher, logger); err != nil {
		return nil, err
	}
	if err := enrich.build(movies, posters.metadata, bus.publisher, logger); err != nil {
		return nil, err
	}
	if svc.Imports, err = newImports(cfg, store, bus.publisher, metrics, logger); err != nil {
		return nil, err
	}
	if svc.Export, err = application.NewExportDiary(movies, users); err != nil {
		return nil, err
	}
	if svc.Webhooks, err = application.NewWebhooks(store.Webhooks(), logger, now); err != nil {
		return nil, err
	}
	if svc.ReportPlay, err = application.NewReportPlay(store.Plays(), bus.publisher, logger, now); err != nil {
		return nil, err
	}
	// Accounts and API tokens are read through the one credential cache,
	// so that sign-outs and revocations made here reach it at once.
	ttl := cfg.AuthCacheTTL
	if ttl == 0 {
		ttl = -1 // AUTH_CACHE_TTL=0: off
	}
	creds, err := application.NewCredentialCache(users, store.Tokens(), ttl, now)
	if err != nil {
		return nil, err
	}
	if svc.Stats, err = application.NewGetStats(store.Statistics(), users); err != nil {
		return nil, err
	}
	// Profiles are read from the store, never the credential cache: what a
	// page shows of a user, and whether it may, must be as fresh as the
	// change that dropped the cached page.
	if svc.Profiles, err = application.NewProfiles(users, bus.publisher, logger, now); err != nil {
		return nil, err
	}
	if svc.Register, err = application.NewRegister(creds, hasher, cfg.Registration, now); err != nil {
		return nil, err
	}
	if svc.Login, err = application.NewLogin(creds, hasher, tokens); err != nil {
		return nil, err
	}
	if svc.Authenticate, err = application.NewAuthenticate(tokens, creds, creds, logger, now); err != nil {
		return nil, err
	}
	if svc.Logout, err = application.NewLogout(creds); err != nil {
		return nil, err
	}
	if svc.APITokens, err = application.NewAPITokens(creds, now); err != nil {
		return nil, err
	}
	handler, err := presentation.NewHandler(presentation.Config{
		BaseURL:             cfg.BaseURL,
		DiaryTitle:          cfg.DiaryTitle,
		Registration:        cfg.Registration,
		TrustedProxies:      cfg.TrustedProxies,
		CSRFKey:             deriveKey(secret, csrfKeyLabel),
		RateLimitIPv6Prefix: cfg.RateLimitIPv6Prefix,
		ImportMaxBytes:      cfg.ImportMaxBytes,
		EmbedOrigins:        cfg.EmbedOrigins,
	}, svc, metrics, logger, now)
	if err != nil {
		return nil, err
	}
	return &App{
		cfg:          cfg,
		logger:       logger,
		store:        store,
		handler:      handler,
		metrics:      metrics,
		bus:          bus,
		imports:      svc.Imports,
		wake:         wake,
		stopMetadata: posters.stopMetadata,
		cache:        cache,
	}, nil
}

// Handler is the HTTP handler of every route.
func (a *App) Handler() http.Handler { return a.handler }

// Store is the app's database.
func (a *App) Store() Store { return a.store }

// Run serves HTTP on cfg.Addr() and runs the event worker until ctx is
// cancelled; then it stops accepting, lets in-flight requests finish (up to
// SHUTDOWN_TIMEOUT), drains the buffered events and returns.
func (a *App) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Addr())
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr(), err)
	}
	return a.Serve(ctx, ln)
}

// Serve is Run on a listener the caller opened.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cmp.Or(a.cfg.HTTPReadTimeout, 30*time.Second),
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
	if a.bus.outbox != nil {
		backfill(ctx, a.bus.outbox, a.logger)
	}
	// The channel worker stops when the bus is closed; the dispatcher when
	// busCtx ends, after the HTTP server drained.
	busCtx, stopBus := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBus()
	workerDone := make(chan error, 1)
	if a.bus.stop != nil {
		go func() { workerDone <- a.bus.run(context.WithoutCancel(ctx)) }()
	} else {
		go func() { workerDone <- a.bus.run(busCtx) }()
	}

	// What other processes commit reaches the page cache.
	if l, ok := a.store.(domain.ChangeListener); ok {
		go listenChanges(busCtx, l, a.cache, a.logger)
	}

	// The import worker runs the jobs the API starts (and those another
	// process left), until shutdown starts.
	importCtx, stopImports := context.WithCancel(context.WithoutCancel(ctx))
	defer stopImports()
	importsDone := make(chan struct{})
	go func() {
		defer close(importsDone)
		if err := a.imports.Work(importCtx, a.wake, importPollEvery); err != nil && !errors.Is(err, context.Canceled) {
			a.logger.Error("import worker stopped", "error", err.Error())
		}
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	a.logger.Info("moviediary listening", "addr", ln.Addr().String(), "base_url", a.cfg.BaseURL.String())

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			runErr = fmt.Errorf("serve: %w", err)
		}
	}
	a.logger.Info("shutting down", "timeout", a.cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
	defer cancel()
	// A job cut short stays claimed until its lease ends; the next start
	// (or another process) resumes it without duplicates. Lookups waiting
	// on OMDb (its rate, its budget) are deferred to the next start rather
	// than held through the drain.
	stopImports()
	a.stopMetadata()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		a.logger.Warn("in-flight requests did not finish in time", "error", err.Error())
		_ = srv.Close()
	}
	select {
	case <-importsDone:
	case <-shutdownCtx.Done():
		a.logger.Warn("the import worker did not stop before the shutdown timeout")
	}
	// No request can publish any more: stop the bus and let the worker
	// drain what is buffered (the dispatcher: what is due).
	if a.bus.stop != nil {
		a.bus.stop()
	}
	stopBus()
	// The bus bounds its own drain by SHUTDOWN_TIMEOUT, counted from now
	// (the HTTP drain above may have used the first one up), and then
	// records what it cut short; this wait is only a safety net, so the
	// database is not closed under deliveries still recording.
	drainWait := time.NewTimer(a.cfg.ShutdownTimeout + 5*time.Second)
	defer drainWait.Stop()
	select {
	case err := <-workerDone:
		if err != nil && !errors.Is(err, context.Canceled) {
			a.logger.Warn("event worker stopped with an error", "error", err.Error())
		}
	case <-drainWait.C:
		a.logger.Warn("events were not drained before the shutdown timeout", "pending", a.bus.pending())
	}
	return runErr
}

// Close releases the database. Call it after Run returned.
func (a *App) Close() error {
	var err error
	a.closeOnce.Do(func() {
		if a.bus.stop != nil {
			a.bus.stop()
		}
		err = a.store.Close()
	})
	return err
}

// jwtSecret returns JWT_SECRET, or the secret persisted in
// DATA_DIR/jwt_secret, generating that file (mode 0600, the hex form of
// auth.GenerateSecret) on first start.
func jwtSecret(cfg Config, logger *slog.Logger) ([]byte, error) {
	if len(cfg.JWTSecret) > 0 {
		return cfg.JWTSecret, nil
	}
	path := filepath.Join(cfg.DataDir, "jwt_secret")
	if b, err := os.ReadFile(path); err == nil {
		secret := []byte(strings.TrimSpace(string(b)))
		if len(secret) < auth.MinSecretBytes {
			return nil, fmt.Errorf("%s holds a secret shorter than %d bytes: delete it to generate a new one", path, auth.MinSecretBytes)
		}
		return secret, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	raw, err := auth.GenerateSecret()
	if err != nil {
		return nil, err
	}
	secret := []byte(hex.EncodeToString(raw))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process won the race
			return jwtSecret(cfg, logger)
		}
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.Write(append(secret, '\n')); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	logger.Info("generated a JWT signing secret; set JWT_SECRET to manage it yourself", "path", path)
	return secret, nil
}

// Labels of the keys derived from the JWT secret.
const (
	cursorKeyLabel = "moviediary cursor v1" // signs diary cursors
	csrfKeyLabel   = "moviediary csrf v1"   // binds the HTML forms' CSRF tokens to their session
)

// deriveKey derives a key of its own for one use from the JWT secret:
// HMAC-SHA256(secret, label). Every process that shares the secret derives
// the same keys (a restart keeps cursors and forms valid; a new secret
// refuses them), and the labels keep the uses apart: a cursor tag is never
// a CSRF token or a token signature.
func deriveKey(jwtSecret []byte, label string) []byte {
	mac := hmac.New(sha256.New, jwtSecret)
	mac.Write([]byte(label))
	return mac.Sum(nil)
}

// posterSync is the poster sync use case with the outside services it
// reaches; LogReview and the enrichment of imported films share the
// metadata client and the HTTP layer the storage.
type posterSync struct {
	sync     *application.SyncPoster
	metadata domain.MetadataClient
	storage  domain.PosterStorage
	// stopMetadata cuts short the lookups waiting on OMDb (or its budget)
	// and defers later ones: the process is shutting down.
	stopMetadata func()
}

// newPosterSync is the one construction of the poster sync and its
// adapters: OMDb behind its budget (newMetadataBudget, counted in quota
// and exported in metrics), or the disabled client without OMDB_API_KEY;
// the poster fetcher and the poster storage (local or S3).
func newPosterSync(ctx context.Context, cfg Config, logger *slog.Logger, movies application.SyncPosterRepository, quota domain.QuotaCounter, metrics *presentation.Metrics, opts ...application.SyncPosterOption) (posterSync, error) {
	var (
		p   posterSync
		err error
	)
	if cfg.PosterStorage == "s3" {
		p.storage, err = posterstorage.NewS3(ctx, posterstorage.S3Config{
			Endpoint:        cfg.S3.Endpoint,
			AccessKeyID:     cfg.S3.AccessKeyID,
			SecretAccessKey: cfg.S3.SecretAccessKey,
			Bucket:          cfg.S3.Bucket,
			Region:          cfg.S3.Region,
			UseSSL:          cfg.S3.UseSSL,
			CreateBucket:    true,
		})
	} else {
		p.storage, err = posterstorage.NewLocal(posterstorage.LocalConfig{Dir: cfg.PosterStorageDir})
	}
	if err != nil {
		return posterSync{}, err
	}
	if cfg.OMDbAPIKey == "" {
		logger.Warn("OMDB_API_KEY is not set: metadata lookups are off; log films by title and year")
		p.metadata = omdb.Disabled("OMDB_API_KEY is not set")
	} else {
		client, err := omdb.New(omdb.Config{APIKey: cfg.OMDbAPIKey, BaseURL: cfg.OMDbBaseURL, Timeout: cfg.OMDbTimeout})
		if err != nil {
			return posterSync{}, err
		}
		budget, err := newMetadataBudget(cfg, client, quota)
		if err != nil {
			return posterSync{}, err
		}
		metrics.WatchMetadataBudget(budget.Stats)
		p.metadata = budget
	}
	stoppable := newStoppableMetadata(p.metadata)
	p.metadata, p.stopMetadata = stoppable, stoppable.stop
	fetcher, err := posterfetcher.New(posterfetcher.Config{
		Timeout:      cfg.PosterFetchTimeout,
		MaxBytes:     cfg.PosterMaxBytes,
		AllowPrivate: cfg.PosterFetchAllowPrivate,
	})
	if err != nil {
		return posterSync{}, err
	}
	if p.sync, err = application.NewSyncPoster(movies, p.metadata, fetcher, p.storage, cfg.PosterSyncConcurrency, opts...); err != nil {
		return posterSync{}, err
	}
	return p, nil
}
