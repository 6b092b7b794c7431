// Package posterfetcher downloads moviediary's poster images over HTTP.
//
// The Fetcher keeps the rules of docs/security.md: only http and https, at most a
// few redirects (each re-checked), a size cap, a timeout, a body that must
// sniff as JPEG, PNG, GIF or WebP, and no connections to loopback, private,
// link-local and other non-public addresses unless allowed. The address
// rule is enforced on the resolved IP when the socket is dialled, so a
// hostname that resolves to 127.0.0.1, or a redirect to one, is refused as
// surely as a literal address.
package posterfetcher

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// Defaults applied to zero Config fields.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBytes     = 10 << 20
	DefaultMaxRedirects = 3
	DefaultUserAgent    = "moviediary-posterfetcher/1"
)

// Config configures a Fetcher. The zero value gives the documented defaults with
// private addresses refused.
type Config struct {
	// Timeout bounds one whole download, redirects and body included;
	// zero means DefaultTimeout.
	Timeout time.Duration
	// MaxBytes is the largest accepted body; zero means DefaultMaxBytes.
	MaxBytes int64
	// AllowPrivate lets the fetcher connect to loopback, private,
	// link-local and the other addresses CheckAddr refuses (tests).
	AllowPrivate bool
	// MaxRedirects is how many redirects one download may follow; zero
	// means DefaultMaxRedirects and a negative value follows none.
	MaxRedirects int
	// UserAgent is sent with every request; empty means DefaultUserAgent.
	UserAgent string
}

// Fetcher downloads posters. It implements domain.PosterFetcher and is safe
// for concurrent use.
type Fetcher struct {
	client    *http.Client
	transport *http.Transport
	timeout   time.Duration
	maxBytes  int64
	userAgent string
	// checkAddr judges every dialled address; nil allows all.
	checkAddr func(netip.AddrPort) error
}

var _ domain.PosterFetcher = (*Fetcher)(nil)

// New returns a Fetcher for cfg, or an error wrapping domain.ErrValidation
// when a field is negative where it may not be.
func New(cfg Config) (*Fetcher, error) {
	var v domain.Validation
	if cfg.Timeout < 0 {
		v.Add("timeout", "must not be negative")
	}
	if cfg.MaxBytes < 0 {
		v.Add("max_bytes", "must not be negative")
	}
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("posterfetcher: %w", err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	switch {
	case cfg.MaxRedirects == 0:
		cfg.MaxRedirects = DefaultMaxRedirects
	case cfg.MaxRedirects < 0:
		cfg.MaxRedirects = 0
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}

	f := &Fetcher{timeout: cfg.Timeout, maxBytes: cfg.MaxBytes, userAgent: cfg.UserAgent}
	if !cfg.AllowPrivate {
		f.checkAddr = func(ap netip.AddrPort) error { return CheckAddr(ap.Addr()) }
	}
	dialer := &net.Dialer{
		Timeout:   cfg.Timeout,
		KeepAlive: 30 * time.Second,
		Control:   f.control,
	}
	f.transport = &http.Transport{
		// No proxy, not even one from the environment: a proxy would dial
		// the poster host itself and bypass the address check.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           16,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  cfg.Timeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		// Posters are already compressed; asking for gzip would only let
		// a small body expand past the cap before we count it.
		DisableCompression: true,
	}
	maxRedirects := cfg.MaxRedirects
	f.client = &http.Client{
		Transport: f.transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return &redirectError{fmt.Sprintf("more than %d redirects", maxRedirects)}
			}
			if err := checkScheme(req.URL); err != nil {
				return err
			}
			return nil
		},
	}
	return f, nil
}

// CloseIdleConnections closes connections kept alive for reuse.
func (f *Fetcher) CloseIdleConnections() { f.transport.CloseIdleConnections() }

// control is the net.Dialer hook that sees the resolved address of every
// connection before it is made.
func (f *Fetcher) control(network, address string, _ syscall.RawConn) error {
	if f.checkAddr == nil {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &AddrRefusedError{Reason: "unparseable address " + address}
	}
	return f.checkAddr(ap)
}

// redirectError is a redirect the fetcher will not follow.
type redirectError struct{ reason string }

func (e *redirectError) Error() string        { return e.reason }
func (e *redirectError) Is(target error) bool { return target == domain.ErrPermanent }

// checkScheme refuses every URL that is not http or https.
func checkScheme(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return &redirectError{fmt.Sprintf("scheme %q is not http or https", u.Scheme)}
	}
	return nil
}

// sniffLen is how many leading bytes decide whether a body is an image:
// what http.DetectContentType considers.
const sniffLen = 512

// FetchPoster starts downloading the image at u and returns the body as a
// stream once its first bytes (up to 512) sniff as a JPEG, PNG, GIF or
// WebP image; the caller reads the rest and must Close it. The timeout
// covers the whole download, reading included, until Close.
//
// 404 and 410 wrap domain.ErrNotFound; a body that is not an image, a
// declared Content-Length over the size cap, too many redirects, a
// non-http(s) redirect, a refused address and other 4xx answers wrap
// domain.ErrPermanent; timeouts, connection errors, 5xx, 408 and 429 wrap
// domain.ErrUnavailable. Reading the stream fails with domain.ErrPermanent
// as soon as the body passes the cap — never handing over a byte beyond
// it — and with domain.ErrUnavailable when the download breaks off, times
// out or is cancelled.
func (f *Fetcher) FetchPoster(ctx context.Context, u domain.PosterURL) (io.ReadCloser, error) {
	if u.IsZero() {
		return nil, fmt.Errorf("fetch poster: %w", domain.FieldError{Field: "poster_url", Rule: "must be set"})
	}
	parsed, err := url.Parse(u.String())
	if err != nil {
		return nil, fmt.Errorf("fetch poster: %w: %w", domain.ErrPermanent, err)
	}
	if err := checkScheme(parsed); err != nil {
		return nil, fmt.Errorf("fetch poster: %w", err)
	}

	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, parsed.String(), nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("fetch poster: %w: %w", domain.ErrPermanent, err)
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", "image/jpeg, image/png, image/gif, image/webp")

	resp, err := f.client.Do(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("fetch poster: %w", classify(err))
	}
	body := &posterBody{body: resp.Body, cancel: cancel, left: f.maxBytes, max: f.maxBytes}
	fail := func(err error) (io.ReadCloser, error) {
		_ = body.Close()
		return nil, err
	}
	if err := checkStatus(resp.StatusCode); err != nil {
		return fail(fmt.Errorf("fetch poster %s: %w", redact(resp.Request.URL), err))
	}
	if resp.ContentLength > f.maxBytes {
		return fail(fmt.Errorf("fetch poster: %w: declared size %d bytes is over the %d-byte cap", domain.ErrPermanent, resp.ContentLength, f.maxBytes))
	}
	head := make([]byte, min(sniffLen, f.maxBytes))
	n, _ := io.ReadFull(body, head)
	if body.err != nil {
		return fail(body.err) // a broken download, classified by posterBody
	}
	head = head[:n] // shorter when the whole body is
	if _, ok := SniffImage(head); !ok {
		return fail(fmt.Errorf("fetch poster: %w: body is %s, not a JPEG, PNG, GIF or WebP image", domain.ErrPermanent, http.DetectContentType(head)))
	}
	body.head = head
	return body, nil
}

// posterBody is the stream FetchPoster returns: the sniffed head, then the
// rest of the response body up to the size cap, with every failure
// classified. Close ends the download.
type posterBody struct {
	head   []byte // read before the body and not yet handed over
	body   io.ReadCloser
	cancel context.CancelFunc
	left   int64 // bytes the cap still allows
	max    int64
	err    error // the first failure, returned by every later Read
}

func (b *posterBody) Read(p []byte) (int, error) {
	if len(b.head) > 0 {
		n := copy(p, b.head)
		b.head = b.head[n:]
		return n, nil
	}
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if b.left == 0 {
		// At the cap the body must end: one more byte is one too many.
		var probe [1]byte
		n, err := io.ReadFull(b.body, probe[:])
		switch {
		case n > 0:
			b.err = fmt.Errorf("fetch poster: %w: body is over the %d-byte cap", domain.ErrPermanent, b.max)
		case errors.Is(err, io.EOF):
			return 0, io.EOF
		default:
			b.err = fmt.Errorf("fetch poster: reading body: %w", classify(err))
		}
		return 0, b.err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.body.Read(p)
	b.left -= int64(n)
	switch {
	case err == nil:
		return n, nil
	case errors.Is(err, io.EOF):
		return n, io.EOF
	default:
		b.err = fmt.Errorf("fetch poster: reading body: %w", classify(err))
		return n, b.err
	}
}

// Close ends the download, whether or not the body was read to its end.
func (b *posterBody) Close() error {
	err := b.body.Close()
	b.cancel()
	return err
}

// checkStatus maps a status code to nil for success or to an error kind.
func checkStatus(code int) error {
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusNotFound || code == http.StatusGone:
		return fmt.Errorf("%w: status %d", domain.ErrNotFound, code)
	case code >= 500, code == http.StatusTooManyRequests, code == http.StatusRequestTimeout:
		return fmt.Errorf("%w: status %d", domain.ErrUnavailable, code)
	default:
		return fmt.Errorf("%w: status %d", domain.ErrPermanent, code)
	}
}

// classify turns a transport error into a domain error kind. Refusals the
// fetcher made itself (a refused address, a redirect it would not follow)
// are permanent; everything else — timeouts, refused or reset connections,
// DNS failures, cancellation — is transient.
func classify(err error) error {
	var refused *AddrRefusedError
	if errors.As(err, &refused) {
		return refused
	}
	var redirect *redirectError
	if errors.As(err, &redirect) {
		return redirect
	}
	return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
}

// redact drops the query and credentials of u for error messages.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.Fragment = ""
	return c.String()
}

// SniffImage reports the media type of an accepted poster image —
// "image/jpeg", "image/png", "image/gif" or "image/webp" — and whether b is
// one, judged by its leading bytes.
func SniffImage(b []byte) (string, bool) {
	if isWebP(b) {
		return "image/webp", true
	}
	switch ct := http.DetectContentType(b); ct {
	case "image/jpeg", "image/png", "image/gif", "image/webp":
		return ct, true
	default:
		return ct, false
	}
}

// isWebP reports whether b starts with a RIFF header of form WEBP and a
// VP8, VP8L or VP8X chunk.
func isWebP(b []byte) bool {
	return len(b) >= 16 && bytes.Equal(b[0:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")) &&
		bytes.Equal(b[12:15], []byte("VP8"))
}
