package presentation

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/moviediary/moviediary/domain"
)

type ctxKey int

const userKey ctxKey = iota

// withUser stores the signed-in user in the request context.
func withUser(c echo.Context, u domain.User) {
	c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), userKey, u)))
}

// currentUser returns the signed-in user; the zero User when none.
func currentUser(c echo.Context) domain.User {
	return currentUserOf(c.Request())
}

// currentUserOf is currentUser of a request.
func currentUserOf(r *http.Request) domain.User {
	u, _ := r.Context().Value(userKey).(domain.User)
	return u
}

// requireBearer admits requests with a valid "Authorization: Bearer" token
// and answers 401 with WWW-Authenticate otherwise.
func (s *server) requireBearer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		scheme, token, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return newHTTPError(http.StatusUnauthorized, "a bearer token is required: Authorization: Bearer <token>")
		}
		user, err := s.svc.Authenticate.Handle(c.Request().Context(), strings.TrimSpace(token))
		if err != nil {
			return err
		}
		withUser(c, user)
		return next(c)
	}
}

// clientIPs resolves the client address: the socket's peer, unless that
// peer is a trusted proxy, in which case X-Forwarded-For is walked from
// the right past every trusted hop.
type clientIPs struct {
	trusted []netip.Prefix
}

func (ci clientIPs) isTrusted(a netip.Addr) bool {
	for _, p := range ci.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (ci clientIPs) of(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !ci.isTrusted(peer) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !ci.isTrusted(a) {
			return a.String()
		}
		peer = a
	}
	return peer.String()
}

// ipLimiter keeps one token bucket per client IP; idle buckets are swept
// so a flood of addresses cannot grow it without bound.
type ipLimiter struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	buckets map[string]*bucket
	lastGC  time.Time
	now     func() time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newIPLimiter(perMinute, burst int, now func() time.Time) *ipLimiter {
	return &ipLimiter{every: rate.Limit(float64(perMinute) / 60), burst: burst, buckets: map[string]*bucket{}, now: now}
}

// reserve takes a token for ip; it returns 0 when allowed, else how long
// the client must wait.
func (l *ipLimiter) reserve(ip string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastGC) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 2*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.lastGC = now
	}
	b, ok := l.buckets[ip]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.buckets[ip] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// rateKey is the bucket a request's client is limited in: its IPv4
// address, or the network of its IPv6 address at the configured prefix
// length (a /64 by default), since one IPv6 client usually holds a whole
// /64 and could otherwise take a fresh bucket per address.
func (s *server) rateKey(r *http.Request) string {
	ip := s.clientIP.of(r)
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is6() {
		return ip
	}
	p, err := a.WithZone("").Prefix(s.ipv6Prefix)
	if err != nil {
		return ip
	}
	return p.String()
}

// rateLimit allows the client's bucket in l an attempt, or answers 429 with
// Retry-After in whole seconds, saying what was limited.
func (s *server) rateLimit(l *ipLimiter, what string, next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if wait := l.reserve(s.rateKey(c.Request())); wait > 0 {
			secs := int(math.Ceil(wait.Seconds()))
			if secs < 1 {
				secs = 1
			}
			c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
			return newHTTPError(http.StatusTooManyRequests, "too many %s attempts; try again in %d seconds", what, secs)
		}
		return next(c)
	}
}

// loginRateLimit allows 10 login attempts a minute per client (rateKey),
// whether they succeed or not; beyond that it answers 429 with
// Retry-After. Admitted attempts then wait their turn at the password gate.
func (s *server) loginRateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return s.rateLimit(s.limiter, "login", s.passwordWork(next))
}

// registerRateLimit is loginRateLimit for sign-ups, with a budget of its
// own: 10 attempts a minute per client, then 429 with Retry-After. A
// sign-up admitted while registration is closed (application.Register's
// Closed: ALLOW_REGISTRATION=false, or the owner is known to exist) is
// answered by refuse at once: its body is not read and it takes no place at
// the password gate, so a flood of refused sign-ups cannot keep the owner's
// login waiting.
func (s *server) registerRateLimit(refuse echo.HandlerFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		work := s.passwordWork(next)
		return s.rateLimit(s.registerLimiter, "sign-up", func(c echo.Context) error {
			if s.svc.Register.Closed() {
				return refuse(c)
			}
			return work(c)
		})
	}
}

// passwordWork admits a request that may hash or verify a password (a login
// or a sign-up) through the password gate, after reading its whole body so
// that a client trickling its body cannot hold a place. A client that
// signed in successfully before from the same address (rateKey) goes ahead
// of the others, so the owner is not starved by a flood of bad logins from
// other addresses. A full waiting room or a wait longer than the gate's
// limit is a 503 with Retry-After; the client's own rate limit was already
// charged.
func (s *server) passwordWork(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return bodyReadError(err)
		}
		_ = req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))

		key := s.rateKey(req)
		release, err := s.gate.enter(req.Context(), s.known.has(key, s.now()))
		if err != nil {
			if errors.Is(err, errGateBusy) {
				c.Response().Header().Set("Retry-After", "1")
				return newHTTPError(http.StatusServiceUnavailable, "the server is busy checking passwords; try again in a second")
			}
			return err
		}
		defer release()
		err = next(c)
		if err == nil && c.Response().Committed && c.Response().Status < http.StatusBadRequest {
			s.known.add(key, s.now())
		}
		return err
	}
}

// errGateBusy is the password gate's refusal: its waiting room is full, or
// a place did not come free in time.
var errGateBusy = errors.New("password gate: busy")

// passwordGate lets at most slots requests do password work at once and at
// most waiting more wait for a place, each for at most maxWait; priority
// waiters are served before the others. A refusal is quick, so a flood
// gets fast 503s instead of an ever longer queue.
type passwordGate struct {
	mu      sync.Mutex
	free    int
	queue   []*gateWaiter // priority waiters first, each class in arrival order
	waiting int
	maxWait time.Duration
}

type gateWaiter struct {
	ready    chan struct{} // closed when the waiter is handed a slot
	priority bool
}

func newPasswordGate(slots, waiting int, maxWait time.Duration) *passwordGate {
	return &passwordGate{free: slots, waiting: waiting, maxWait: maxWait}
}

// enter waits for a slot and returns the function that gives it back; it
// returns errGateBusy when the waiting room of the request's class is full
// or maxWait passes, and ctx's error when ctx ends first.
func (g *passwordGate) enter(ctx context.Context, priority bool) (release func(), err error) {
	g.mu.Lock()
	if g.free > 0 && len(g.queue) == 0 {
		g.free--
		g.mu.Unlock()
		return g.release, nil
	}
	ahead := 0
	for _, w := range g.queue {
		if w.priority == priority {
			ahead++
		}
	}
	if ahead >= g.waiting {
		g.mu.Unlock()
		return nil, errGateBusy
	}
	w := &gateWaiter{ready: make(chan struct{}), priority: priority}
	at := len(g.queue)
	if priority {
		at = 0
		for at < len(g.queue) && g.queue[at].priority {
			at++
		}
	}
	g.queue = slices.Insert(g.queue, at, w)
	g.mu.Unlock()

	timer := time.NewTimer(g.maxWait)
	defer timer.Stop()
	select {
	case <-w.ready:
		return g.release, nil
	case <-timer.C:
		err = errGateBusy
	case <-ctx.Done():
		err = ctx.Err()
	}
	g.mu.Lock()
	if i := slices.Index(g.queue, w); i >= 0 {
		g.queue = slices.Delete(g.queue, i, i+1)
		g.mu.Unlock()
		return nil, err
	}
	g.mu.Unlock()
	// The slot was handed over as the wait ended: pass it on.
	g.release()
	return nil, err
}

// release hands the slot to the first waiter, or frees it.
func (g *passwordGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) > 0 {
		w := g.queue[0]
		g.queue = g.queue[1:]
		close(w.ready)
		return
	}
	g.free++
}

// knownClients remembers, for a while, the clients (rateKey) that signed
// in or signed up successfully; the password gate serves them first. It
// holds at most max entries, forgetting the oldest.
type knownClients struct {
	mu     sync.Mutex
	seen   map[string]time.Time
	max    int
	forget time.Duration
}

func newKnownClients(maxEntries int, forget time.Duration) *knownClients {
	return &knownClients{seen: map[string]time.Time{}, max: maxEntries, forget: forget}
}

func (k *knownClients) has(key string, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	at, ok := k.seen[key]
	return ok && now.Sub(at) < k.forget
}

func (k *knownClients) add(key string, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.seen[key]; !ok && len(k.seen) >= k.max {
		oldest, first := "", true
		for kk, at := range k.seen {
			if first || at.Before(k.seen[oldest]) {
				oldest, first = kk, false
			}
		}
		delete(k.seen, oldest)
	}
	k.seen[key] = now
}

// bodyLimit caps every request body at maxBodyBytes (1 MiB): a declared
// Content-Length over it is refused before reading, and a body sent without
// one (chunked) is cut off at the limit, with the same 413 either way. Form
// posts are parsed here, so that a form over the limit, or whose body does
// not arrive in time, is refused as such instead of reaching its handler
// as an empty form. The exceptions: the webhook receiver bounds its body
// by source (webhookBodyBound: a Plex body carries a thumbnail) and reads
// it itself, form or not; import uploads (uploadBound) are bounded by
// IMPORT_MAX_BYTES, and the API's is read by its handler, part by part.
func (s *server) bodyLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if isWebhookPath(req.URL.Path) {
			return next(c)
		}
		limit, tooLarge := int64(maxBodyBytes), errBodyTooLarge
		if bound, stream, ok := s.uploadBound(req); ok {
			// An import upload: bounded by IMPORT_MAX_BYTES; the API's is
			// read part by part by its handler.
			limit, tooLarge = bound, errUploadTooLarge(bound)
			if stream {
				if req.ContentLength > limit {
					return tooLarge
				}
				req.Body = http.MaxBytesReader(c.Response().Writer, req.Body, limit)
				return next(c)
			}
		}
		if req.ContentLength > limit {
			return tooLarge
		}
		// The server's own writer, so that a body over the limit also closes
		// the connection after the answer.
		req.Body = http.MaxBytesReader(c.Response().Writer, req.Body, limit)
		mt, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
		var err error
		switch mt {
		case echo.MIMEApplicationForm:
			err = req.ParseForm()
		case echo.MIMEMultipartForm:
			err = req.ParseMultipartForm(maxBodyBytes)
		}
		if err != nil {
			if berr := bodyReadError(err); isBodyLimitOrTimeout(berr) {
				if errors.Is(berr, errBodyTooLarge) {
					return tooLarge
				}
				return berr
			}
			// Anything else is left to the handler, as before: a malformed
			// form reads as an empty one.
		}
		return next(c)
	}
}

// securityHeaders sets the headers every response gets; HTML pages also get
// the renderer's Content-Security-Policy (no scripts at all).
func (s *server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	// Shared, read-only values, set into the header map without the copy
	// Header.Set makes for every request (a handler replaces or deletes
	// them, never writes into them).
	var (
		nosniff    = []string{"nosniff"}
		sameOrigin = []string{"same-origin"}
		deny       = []string{"DENY"}
		csp        = []string{s.pages.ContentSecurityPolicy()}
	)
	return func(c echo.Context) error {
		h := c.Response().Header()
		h["X-Content-Type-Options"] = nosniff
		h["Referrer-Policy"] = sameOrigin
		h["X-Frame-Options"] = deny
		if !isMachinePath(c.Request().URL.Path) {
			h["Content-Security-Policy"] = csp
		}
		return next(c)
	}
}

// newRequestID is a request's ID when its client sent none: 128 random
// bits in hex, from the runtime's per-thread generator (an ID, not a
// secret).
func newRequestID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

// requestLog logs one structured line per request.
func (s *server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		s.logger.LogAttrs(c.Request().Context(), level, "request",
			slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
			slog.String("method", c.Request().Method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int64("bytes", c.Response().Size),
			slog.Duration("duration", time.Since(start)),
			slog.String("client_ip", s.clientIP.of(c.Request())))
		return nil
	}
}
