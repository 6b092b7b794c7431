package presentation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/moviediary/moviediary/adapters/html"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// Config is what the HTTP layer needs to know of the deployment.
type Config struct {
	// BaseURL is the public URL: feed links, and Secure cookies when its
	// scheme is https.
	BaseURL *url.URL
	// DiaryTitle titles the page and the feed.
	DiaryTitle string
	// Registration decides whether the sign-up form is offered.
	Registration application.RegistrationPolicy
	// TrustedProxies are the networks whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// CSRFKey is the HMAC key that binds the forms' CSRF tokens to the
	// session or pre-session cookie, at least 32 bytes; a secret, shared by
	// every process of a deployment (the composition root derives it from
	// the JWT secret).
	CSRFKey []byte
	// RateLimitIPv6Prefix is the prefix length IPv6 clients are rate
	// limited by: every address in one such network shares one bucket.
	// 1 to 128; zero means 64.
	RateLimitIPv6Prefix int
	// ImportMaxBytes bounds an import upload (POST /api/imports); zero
	// means DefaultImportMaxBytes (50 MiB).
	ImportMaxBytes int64
	// EmbedOrigins are the origins (scheme://host[:port]) whose pages may
	// frame the embeddable widget (/embed/users/{id}); none means no one.
	// Every other page may not be framed at all.
	EmbedOrigins []string
}

// Services are the use cases and the few ports the handlers use; every
// field is required.
type Services struct {
	// LogReview logs a viewing.
	LogReview *application.LogReview
	// GetDiary reads pages of the diary (API, HTML page, feed).
	GetDiary *application.GetDiary
	// History reads a film's viewings.
	History *application.GetReviewHistory
	// Register creates accounts.
	Register *application.Register
	// Login issues bearer tokens.
	Login *application.Login
	// EditReview corrects a review (its author only).
	EditReview *application.EditReview
	// DeleteReview deletes a review (its author only).
	DeleteReview *application.DeleteReview
	// Authenticate checks bearer tokens (session and API tokens) and
	// sessions.
	Authenticate *application.Authenticate
	// APITokens creates, lists and revokes personal API tokens.
	APITokens *application.APITokens
	// Webhooks manages media-server webhooks and finds the one a
	// webhook URL names.
	Webhooks *application.Webhooks
	// ReportPlay records the plays media servers post to webhooks.
	ReportPlay *application.ReportPlay
	// Logout ends every session of the signed-in account.
	Logout *application.Logout
	// SyncPoster fetches a film's poster on demand.
	SyncPoster *application.SyncPoster
	// Movies finds the movie whose poster is asked for.
	Movies domain.MovieFinder
	// Posters serves stored posters.
	Posters domain.PosterStorage
	// Ready reports whether the database answers (/readyz).
	Ready func(ctx context.Context) error
	// Imports starts import jobs and shows them.
	Imports *application.Imports
	// WakeImports tells the import worker a job was started; nil when no
	// worker runs in this process (it finds the job at its next poll).
	WakeImports func()
	// Export streams a diary for download.
	Export *application.ExportDiary
	// CSVExport makes the writer of a CSV export onto w (Letterboxd's
	// import columns).
	CSVExport func(w io.Writer) EntryWriter
	// Profiles shows public profiles and changes the signed-in user's.
	Profiles *application.Profiles
	// Stats reads the statistics of a diary or of the whole diary.
	Stats *application.GetStats
	// Cache keeps the answers of public reads; the use cases must publish
	// their events through it (InvalidatingPublisher), and the changes of
	// other processes must reach its Invalidate.
	Cache *PageCache
}

// NewHandler returns the HTTP handler of every route: the JSON API, the
// HTML pages and forms, the feed, posters and the machine endpoints.
// metrics records every request and is served on /metrics; a nil logger
// means slog.Default(), a nil now time.Now. A missing service is an error
// wrapping domain.ErrValidation.
func NewHandler(cfg Config, svc Services, metrics *Metrics, logger *slog.Logger, now func() time.Time) (http.Handler, error) {
	s, err := newServer(cfg, svc, metrics, logger, now)
	if err != nil {
		return nil, err
	}
	return s.newEcho(), nil
}

// newServer checks what NewHandler is given and builds the server its
// routes use.
func newServer(cfg Config, svc Services, metrics *Metrics, logger *slog.Logger, now func() time.Time) (*server, error) {
	var v domain.Validation
	for name, missing := range map[string]bool{
		"base_url": cfg.BaseURL == nil, "log_review": svc.LogReview == nil, "get_diary": svc.GetDiary == nil,
		"history": svc.History == nil, "register": svc.Register == nil, "login": svc.Login == nil,
		"authenticate": svc.Authenticate == nil, "edit_review": svc.EditReview == nil, "delete_review": svc.DeleteReview == nil, "api_tokens": svc.APITokens == nil, "webhooks": svc.Webhooks == nil, "report_play": svc.ReportPlay == nil, "logout": svc.Logout == nil, "sync_poster": svc.SyncPoster == nil, "movies": svc.Movies == nil,
		"posters": svc.Posters == nil, "ready": svc.Ready == nil, "metrics": metrics == nil,
		"imports": svc.Imports == nil, "export": svc.Export == nil, "csv_export": svc.CSVExport == nil,
		"profiles": svc.Profiles == nil, "stats": svc.Stats == nil, "cache": svc.Cache == nil,
		"csrf_key": len(cfg.CSRFKey) < minCSRFKeyBytes,
	} {
		if missing {
			v.Add(name, "is required")
		}
	}
	for _, o := range cfg.EmbedOrigins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			v.Add("embed_origins", "must be origins like https://example.com, got "+strconv.Quote(o))
		}
	}
	if cfg.ImportMaxBytes < 0 {
		v.Add("import_max_bytes", "must not be negative (0 for 50 MiB)")
	}
	if cfg.RateLimitIPv6Prefix < 0 || cfg.RateLimitIPv6Prefix > 128 {
		v.Add("rate_limit_ipv6_prefix", "must be from 1 to 128 (or 0 for 64)")
	}
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("http handler: %w", err)
	}
	ipv6Prefix := cfg.RateLimitIPv6Prefix
	if ipv6Prefix == 0 {
		ipv6Prefix = 64
	}
	if logger == nil {
		logger = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	pages, err := html.New(html.Config{Title: cfg.DiaryTitle})
	if err != nil {
		return nil, err
	}
	s := &server{
		cfg:             cfg,
		svc:             svc,
		logger:          logger,
		now:             now,
		metrics:         metrics,
		limiter:         newIPLimiter(10, 10, now),
		registerLimiter: newIPLimiter(10, 10, now),
		ipv6Prefix:      ipv6Prefix,
		gate:            newPasswordGate(runtime.NumCPU(), 2*runtime.NumCPU(), 2*time.Second),
		known:           newKnownClients(1024, 30*24*time.Hour),
		clientIP:        clientIPs{trusted: cfg.TrustedProxies},
		pages:           pages,
		secure:          cfg.BaseURL.Scheme == "https",
		cache:           svc.Cache,
		embedCSP:        pages.ContentSecurityPolicyFramedBy(cfg.EmbedOrigins),
	}
	return s, nil
}

// server holds what the HTTP handlers use: use cases, the few ports read
// directly (posters), and the HTTP-only machinery.
type server struct {
	cfg    Config
	svc    Services
	logger *slog.Logger
	now    func() time.Time

	metrics *Metrics
	// limiter and registerLimiter are the per-client budgets of logins
	// and of sign-ups; clients are keyed by rateKey, IPv6 ones by their
	// network of ipv6Prefix bits.
	limiter         *ipLimiter
	registerLimiter *ipLimiter
	ipv6Prefix      int
	// gate bounds the logins and sign-ups doing password work: as many
	// at once as there are CPUs, twice as many waiting; known clients,
	// those that signed in before from the same address, go first.
	gate     *passwordGate
	known    *knownClients
	clientIP clientIPs
	pages    *html.Renderer
	secure   bool
	// cache keeps the answers of public reads (serveCached).
	cache *PageCache
	// embedCSP is the embeddable widget's policy: framable by
	// Config.EmbedOrigins only.
	embedCSP string
}

// newEcho builds the router with every route and middleware.
func (s *server) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = s.clientIP.of

	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{Generator: newRequestID}))
	// Before anything that can answer, so that every response carries them:
	// a 413 or 408 from bodyLimit too.
	e.Use(s.securityHeaders)
	e.Use(s.requestLog)
	e.Use(s.metrics.middleware)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
		s.logger.Error("panic in handler", "route", c.Path(), "error", err.Error(), "stack", string(stack))
		return err
	}}))
	e.Use(s.bodyLimit)
	e.Use(s.settleWrites)

	s.registerAPI(e)
	s.registerWeb(e)

	e.GET(html.PostersPath+":id", s.poster)
	e.GET(html.StaticPath+":name", s.stylesheets())
	// Browsers ask for an icon on every page; there is none, and saying so
	// with 204 keeps 404 pages out of the log.
	e.GET("/favicon.ico", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=86400")
		return c.NoContent(http.StatusNoContent)
	})
	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(s.metrics.Handler()))
	e.GET("/openapi.json", func(c echo.Context) error { return c.Blob(http.StatusOK, "application/json", openAPIDocument) })
	return e
}

func (s *server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.svc.Ready(ctx); err != nil {
		s.logger.Warn("not ready", "error", err.Error())
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "the database is unreachable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// handleError is the one place errors become responses: problem+json under
// /api, /posters and the machine endpoints, an HTML page elsewhere.
func (s *server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := problemFor(err)
	// The request's context ends when the connection fails: the client hung
	// up, or (a 408) its body did not arrive before the read timeout, and
	// then it is still there, waiting for the answer.
	gone := errors.Is(c.Request().Context().Err(), context.Canceled) && p.Status != http.StatusRequestTimeout
	if gone {
		s.logger.Debug("client went away", "route", c.Path(), "error", err.Error())
	} else {
		logError(s.logger, c, err, p.Status)
	}
	if p.Status == http.StatusRequestTimeout || p.Status == http.StatusRequestEntityTooLarge {
		// The rest of the body is not read: the connection cannot be reused.
		c.Response().Header().Set(echo.HeaderConnection, "close")
	}
	path := c.Request().URL.Path
	var werr error
	if isMachinePath(path) || !acceptsHTML(c.Request()) {
		werr = writeProblem(c, p)
	} else {
		werr = s.errorPage(c, p)
	}
	if werr != nil && !errors.Is(werr, context.Canceled) {
		s.logger.Debug("writing error response failed", "error", werr.Error())
	}
	if gone {
		// A real status went out, to nobody; the request log and the
		// metrics, which read the status after this, say 499, what
		// proxies log for a client that hung up.
		c.Response().Status = statusClientClosedRequest
	}
}

// statusClientClosedRequest labels, in the log and the metrics only, a
// request whose client hung up before the answer.
const statusClientClosedRequest = 499

func isMachinePath(path string) bool {
	for _, prefix := range []string{"/api/", "/api", "/posters/", html.StaticPath, "/feed.rss", "/healthz", "/readyz", "/metrics", "/openapi.json"} {
		if path == prefix || strings.HasPrefix(path, prefix) && strings.HasSuffix(prefix, "/") {
			return true
		}
	}
	return false
}

func acceptsHTML(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return accept == "" || strings.Contains(accept, "text/html") || strings.Contains(accept, "*/*")
}
