package presentation

import (
	"context"
	"crypto/rand"
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
	"github.com/moviediary/moviediary/adapters/html"
	"github.com/moviediary/moviediary/adapters/omdb"
	"github.com/moviediary/moviediary/adapters/posterfetcher"
	"github.com/moviediary/moviediary/adapters/posterstorage"
	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/sqlite"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// Store is a database that holds the diary: SQLite or PostgreSQL.
type Store interface {
	Movies() domain.MovieRepository
	Users() domain.UserRepository
	Migrate(ctx context.Context) error
	Ping(ctx context.Context) error
	Close() error
}

// OpenStore opens the database named by a DATABASE_URL (sqlite:// or
// postgres://) without migrating it. Its repositories publish events
// without storing them (the channel bus, and the events commands).
func OpenStore(ctx context.Context, databaseURL string) (Store, error) {
	return openStore(ctx, databaseURL, false)
}

// openStore is OpenStore with the transactional outbox on or off: on, a
// saved viewing's events are stored in its transaction.
func openStore(ctx context.Context, databaseURL string, withOutbox bool) (Store, error) {
	switch {
	case strings.HasPrefix(databaseURL, "sqlite://"):
		cfg, err := sqlite.ParseURL(databaseURL)
		if err != nil {
			return nil, err
		}
		cfg.Outbox = withOutbox
		if dir := filepath.Dir(cfg.Path); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("create database directory: %w", err)
			}
		}
		db, err := sqlite.Open(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return sqliteStore{db}, nil
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		db, err := postgres.Open(ctx, postgres.Config{URL: databaseURL, Outbox: withOutbox})
		if err != nil {
			return nil, err
		}
		return postgresStore{db}, nil
	}
	return nil, &ConfigError{Var: "DATABASE_URL", Reason: "must start with sqlite:// or postgres://"}
}

type sqliteStore struct{ *sqlite.DB }

func (s sqliteStore) Movies() domain.MovieRepository { return s.DB.Movies() }
func (s sqliteStore) Users() domain.UserRepository   { return s.DB.Users() }
func (s sqliteStore) Outbox() domain.Outbox          { return s.DB.Outbox() }

type postgresStore struct{ *postgres.DB }

func (s postgresStore) Movies() domain.MovieRepository { return s.DB.Movies() }
func (s postgresStore) Users() domain.UserRepository   { return s.DB.Users() }
func (s postgresStore) Outbox() domain.Outbox          { return s.DB.Outbox() }

// App is the whole server, wired from a Config: the database, the
// adapters, the use cases, the event worker and the HTTP handler. The
// binary runs it; end-to-end tests and embedders reuse the same wiring.
type App struct {
	cfg     Config
	logger  *slog.Logger
	store   Store
	handler http.Handler
	metrics *Metrics

	bus *eventBus

	closeOnce sync.Once
}

// New wires an App. It creates DATA_DIR (and the local poster directory),
// opens and migrates the database, and loads or generates the JWT secret.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*App, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create DATA_DIR %s: %w", cfg.DataDir, err)
	}
	store, err := openStore(ctx, cfg.DatabaseURL, cfg.storesEvents())
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	app, err := build(ctx, cfg, logger, store)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	return app, nil
}

func build(ctx context.Context, cfg Config, logger *slog.Logger, store Store) (*App, error) {
	if err := store.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate database: %w", err)
	}
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
	posters, err := posterStorage(ctx, cfg)
	if err != nil {
		return nil, err
	}
	metadata, err := metadataClient(cfg, logger)
	if err != nil {
		return nil, err
	}
	fetcher, err := newPosterFetcher(cfg)
	if err != nil {
		return nil, err
	}
	pages, err := html.New(html.Config{Title: cfg.DiaryTitle})
	if err != nil {
		return nil, err
	}

	movies, users := store.Movies(), store.Users()
	now := time.Now
	metrics := NewMetrics()

	syncPoster, err := application.NewSyncPoster(movies, metadata, fetcher, posters)
	if err != nil {
		return nil, err
	}
	var bus *eventBus
	switch cfg.EventBus {
	case EventBusOutbox:
		if bus, err = newOutboxBus(cfg, logger, metrics, store, syncPoster, cfg.EventDispatch); err != nil {
			return nil, err
		}
	case EventBusNATS:
		if bus, err = newNATSBus(cfg, logger, metrics, store, syncPoster, cfg.EventDispatch); err != nil {
			return nil, err
		}
	default:
		bus = newChannelBus(cfg, logger, metrics, syncPoster)
	}

	s := &server{
		cfg:      cfg,
		logger:   logger,
		now:      now,
		movies:   movies,
		posters:  posters,
		ready:    store.Ping,
		metrics:  metrics,
		limiter:  newIPLimiter(10, 10, now),
		clientIP: clientIPs{trusted: cfg.TrustedProxies},
		pages:    pages,
		secure:   cfg.BaseURL.Scheme == "https",
	}
	s.syncPoster = syncPoster
	if s.logReview, err = application.NewLogReview(movies, metadata, bus.publisher, logger, now); err != nil {
		return nil, err
	}
	if s.getDiary, err = application.NewGetDiary(movies); err != nil {
		return nil, err
	}
	if s.history, err = application.NewGetReviewHistory(movies); err != nil {
		return nil, err
	}
	if s.register, err = application.NewRegister(users, hasher, cfg.Registration, now); err != nil {
		return nil, err
	}
	if s.login, err = application.NewLogin(users, hasher, tokens); err != nil {
		return nil, err
	}
	if s.authenticate, err = application.NewAuthenticate(tokens, users); err != nil {
		return nil, err
	}
	return &App{
		cfg:     cfg,
		logger:  logger,
		store:   store,
		handler: s.newEcho(),
		metrics: metrics,
		bus:     bus,
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
		ReadTimeout:       30 * time.Second,
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
	if err := srv.Shutdown(shutdownCtx); err != nil {
		a.logger.Warn("in-flight requests did not finish in time", "error", err.Error())
		_ = srv.Close()
	}
	// No request can publish any more: stop the bus and let the worker
	// drain what is buffered (the dispatcher: what is due).
	if a.bus.stop != nil {
		a.bus.stop()
	}
	stopBus()
	select {
	case err := <-workerDone:
		if err != nil && !errors.Is(err, context.Canceled) {
			a.logger.Warn("event worker stopped with an error", "error", err.Error())
		}
	case <-shutdownCtx.Done():
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
// DATA_DIR/jwt_secret, generating that file (mode 0600) on first start.
func jwtSecret(cfg Config, logger *slog.Logger) ([]byte, error) {
	if len(cfg.JWTSecret) > 0 {
		return cfg.JWTSecret, nil
	}
	path := filepath.Join(cfg.DataDir, "jwt_secret")
	if b, err := os.ReadFile(path); err == nil {
		secret := []byte(strings.TrimSpace(string(b)))
		if len(secret) < 32 {
			return nil, fmt.Errorf("%s holds a secret shorter than 32 bytes: delete it to generate a new one", path)
		}
		return secret, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
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

func newPosterFetcher(cfg Config) (*posterfetcher.Fetcher, error) {
	return posterfetcher.New(posterfetcher.Config{
		Timeout:      cfg.PosterFetchTimeout,
		MaxBytes:     cfg.PosterMaxBytes,
		AllowPrivate: cfg.PosterFetchAllowPrivate,
	})
}

func posterStorage(ctx context.Context, cfg Config) (domain.PosterStorage, error) {
	if cfg.PosterStorage == "s3" {
		return posterstorage.NewS3(ctx, posterstorage.S3Config{
			Endpoint:        cfg.S3.Endpoint,
			AccessKeyID:     cfg.S3.AccessKeyID,
			SecretAccessKey: cfg.S3.SecretAccessKey,
			Bucket:          cfg.S3.Bucket,
			Region:          cfg.S3.Region,
			UseSSL:          cfg.S3.UseSSL,
			CreateBucket:    true,
		})
	}
	return posterstorage.NewLocal(posterstorage.LocalConfig{Dir: cfg.PosterStorageDir})
}

func metadataClient(cfg Config, logger *slog.Logger) (domain.MetadataClient, error) {
	if cfg.OMDbAPIKey == "" {
		logger.Warn("OMDB_API_KEY is not set: metadata lookups are off; log films by title and year")
		return omdb.Disabled("OMDB_API_KEY is not set"), nil
	}
	return omdb.New(omdb.Config{APIKey: cfg.OMDbAPIKey, BaseURL: cfg.OMDbBaseURL, Timeout: cfg.OMDbTimeout})
}
