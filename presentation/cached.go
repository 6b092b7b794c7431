package presentation

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/moviediary/moviediary/adapters/html"
	"github.com/moviediary/moviediary/domain"
)

// Who a cached answer is for. Answers for someone signed out are shared by
// everyone signed out and may be kept by a reverse proxy; answers for a
// signed-in reader are theirs alone.
var (
	cacheControlPublic  = []string{"public, no-cache"}
	cacheControlPrivate = []string{"private, no-cache"}
	// varyCached names what a cached answer depends on besides its URL.
	varyCached   = []string{"Accept-Encoding, Authorization, Cookie"}
	varyEncoding = []string{"Accept-Encoding"}
	gzipEncoding = []string{"gzip"}
	// cacheControlForever is for answers whose path names their content.
	cacheControlForever = []string{"public, max-age=31536000, immutable"}
)

// cacheKey is what identifies an answer: the route, the query parameters the
// handler reads (others are ignored, so random ones cannot crowd the cache)
// and the reader, whose identity decides which private diaries show.
func cacheKey(c echo.Context, viewer domain.UserID, params ...string) string {
	var b strings.Builder
	b.WriteString(c.Request().URL.Path)
	q := url.Values{}
	all := c.QueryParams()
	for _, p := range params {
		if vs, ok := all[p]; ok {
			q[p] = vs
		}
	}
	if len(q) > 0 {
		b.WriteByte('?')
		b.WriteString(q.Encode())
	}
	b.WriteString("|viewer=")
	if !viewer.IsZero() {
		b.WriteString(viewer.String())
	}
	return b.String()
}

// read is how a handler renders an answer to cache.
type read func(ctx context.Context) (Page, error)

// serveCached answers a public read through the page cache: from memory
// while the answer is current, otherwise read and kept. shared says whether
// the answer may be cached at all: an HTML page for a signed-in reader
// carries their CSRF token and is rendered every time. Either way the
// answer has a strong ETag, and a request whose If-None-Match holds it gets
// 304 with no body.
func (s *server) serveCached(c echo.Context, key, scope string, shared bool, viewer domain.UserID, r read) error {
	ctx := c.Request().Context()
	var (
		page Page
		err  error
	)
	if shared {
		page, err = s.cache.Get(ctx, key, scope, r)
	} else {
		page, err = r(ctx)
	}
	if err != nil {
		return err
	}
	cacheControl := cacheControlPublic
	if !viewer.IsZero() {
		cacheControl = cacheControlPrivate
	}
	return writePage(c, page, cacheControl, varyCached)
}

// writePage answers page, in gzip when the client accepts it, with the
// representation's ETag and the Cache-Control and Vary given; or 304 with
// no body when If-None-Match holds that ETag.
func writePage(c echo.Context, page Page, cacheControl, vary []string) error {
	body, rh := page.Body, page.plainHeaders
	h := c.Response().Header()
	if acceptsGzip(c.Request()) {
		page = page.withGzip() // done already when the cache kept it
		if page.gzip != nil {
			body, rh = page.gzip, page.gzipHeaders
			h[echo.HeaderContentEncoding] = gzipEncoding
		}
	}
	// The header values are shared, read-only slices: set into the map
	// without the copies Header.Set makes, on every hit.
	h["Etag"] = rh.etag
	h["Cache-Control"] = cacheControl
	h["Vary"] = vary
	if etagMatches(c.Request().Header.Get("If-None-Match"), rh.etag[0]) {
		delete(h, echo.HeaderContentEncoding)
		return c.NoContent(http.StatusNotModified)
	}
	// A known length keeps net/http from chunking the body, which costs a
	// write of its own at the end of every answer.
	h[echo.HeaderContentLength] = rh.length
	h[echo.HeaderContentType] = rh.contentType
	return c.Blob(http.StatusOK, page.ContentType, body)
}

// stylesheets serves the pages' stylesheets (html.Renderer.Stylesheets),
// compressed once, to be kept for good: each path names its content.
func (s *server) stylesheets() echo.HandlerFunc {
	sheets := map[string]Page{}
	for _, sh := range s.pages.Stylesheets() {
		sheets[strings.TrimPrefix(sh.Path, html.StaticPath)] = NewPage(html.StylesheetContentType, sh.Body).withGzip()
	}
	return func(c echo.Context) error {
		page, ok := sheets[c.Param("name")]
		if !ok {
			return newHTTPError(http.StatusNotFound, "no stylesheet %s", c.Request().URL.Path)
		}
		return writePage(c, page, cacheControlForever, varyEncoding)
	}
}

// jsonPage renders v as the API writes JSON (one line, a final newline).
func jsonPage(v any) (Page, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return Page{}, err
	}
	return NewPage(echo.MIMEApplicationJSON, buf.Bytes()), nil
}

// htmlPage renders an HTML page with draw.
func htmlPage(draw func(*bytes.Buffer) error) (Page, error) {
	var buf bytes.Buffer
	if err := draw(&buf); err != nil {
		return Page{}, err
	}
	return NewPage(html.ContentType, buf.Bytes()), nil
}

// optionalBearer signs the request in when it carries a bearer token, as
// requireBearer does, and lets it through signed out when it carries none:
// the public reads, which show a signed-in reader their own private diary
// too. A token that does not sign in is refused (401), not ignored.
func (s *server) optionalBearer(next echo.HandlerFunc) echo.HandlerFunc {
	withBearer := s.requireBearer(next)
	return func(c echo.Context) error {
		if c.Request().Header.Get(echo.HeaderAuthorization) == "" {
			return next(c)
		}
		return withBearer(c)
	}
}

// settleWrites holds the answer to every request that may change something
// (any method but GET, HEAD and OPTIONS) until the page cache has applied
// the changes received so far, its own among them: the reads its client
// sends next never show the state before it. Requests that change nothing
// wait at most applyEvery; a client gone meanwhile stops the wait.
func (s *server) settleWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		ctx := c.Request().Context()
		c.Response().Before(func() {
			select {
			case <-s.cache.Settled():
			case <-ctx.Done():
			}
		})
		return next(c)
	}
}
