package posterfetcher_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/posterfetcher"
	"github.com/moviediary/moviediary/domain"
)

// tinyImage is a 2×2 picture for the encoders.
func tinyImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{R: 200, A: 255})
	img.Set(1, 1, color.RGBA{B: 200, A: 255})
	return img
}

func mustPNG(tb testing.TB) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, tinyImage()); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func mustGIF(tb testing.TB) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, tinyImage(), nil); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func mustJPEG(tb testing.TB) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, tinyImage(), nil); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// webP is a 1×1 lossless WebP: a RIFF header of form WEBP holding one VP8L
// chunk (signature 0x2f, 14-bit width-1 and height-1, alpha bit, version
// 0, then the entropy-coded pixel).
func webP() []byte {
	vp8l := []byte{0x2f, 0x00, 0x00, 0x00, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07}
	chunk := append([]byte("VP8L"), byte(len(vp8l)), 0, 0, 0)
	chunk = append(chunk, vp8l...)
	chunk = append(chunk, 0) // pad to an even size
	body := append([]byte("WEBP"), chunk...)
	out := append([]byte("RIFF"), byte(len(body)), 0, 0, 0)
	return append(out, body...)
}

// padded returns a PNG signature followed by filler, n bytes in all: a body
// that sniffs as an image, of a chosen size.
func padded(n int) []byte {
	b := make([]byte, n)
	copy(b, "\x89PNG\r\n\x1a\n")
	return b
}

func newFetcher(tb testing.TB, cfg posterfetcher.Config) *posterfetcher.Fetcher {
	tb.Helper()
	f, err := posterfetcher.New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(f.CloseIdleConnections)
	return f
}

// fetchAll is FetchPoster, then the whole stream read and closed: the
// bytes, or the first error of either step.
func fetchAll(ctx context.Context, f *posterfetcher.Fetcher, u domain.PosterURL) ([]byte, error) {
	body, err := f.FetchPoster(ctx, u)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	return io.ReadAll(body)
}

func permissive(tb testing.TB) *posterfetcher.Fetcher {
	return newFetcher(tb, posterfetcher.Config{AllowPrivate: true})
}

func serve(tb testing.TB, h http.HandlerFunc) *httptest.Server {
	tb.Helper()
	s := httptest.NewServer(h)
	tb.Cleanup(s.Close)
	return s
}

func serveBytes(tb testing.TB, body []byte) *httptest.Server {
	return serve(tb, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) })
}

func posterURL(tb testing.TB, s string) domain.PosterURL {
	tb.Helper()
	u, err := domain.ParsePosterURL(s)
	if err != nil {
		tb.Fatalf("ParsePosterURL(%q): %v", s, err)
	}
	return u
}

// kind names the single error kind err wraps, for readable failures.
func kind(err error) string {
	for _, k := range []error{domain.ErrNotFound, domain.ErrPermanent, domain.ErrUnavailable, domain.ErrValidation} {
		if errors.Is(err, k) {
			return k.Error()
		}
	}
	if err == nil {
		return "nil"
	}
	return "unclassified"
}

func wantKind(tb testing.TB, err, want error) {
	tb.Helper()
	if !errors.Is(err, want) {
		tb.Fatalf("error = %v (%s), want %v", err, kind(err), want)
	}
	if want == domain.ErrUnavailable && domain.IsPermanent(err) {
		tb.Fatalf("error %v is transient but also reads as permanent", err)
	}
	if want != domain.ErrUnavailable && errors.Is(err, domain.ErrUnavailable) {
		tb.Fatalf("error %v is permanent but also reads as transient", err)
	}
}

func TestFetchPosterAcceptsEachImageType(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		body []byte
	}{
		{"jpeg", mustJPEG(t)},
		{"png", mustPNG(t)},
		{"gif", mustGIF(t)},
		{"webp", webP()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The declared type is wrong on purpose: the body decides.
			s := serve(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/octet-stream")
				_, _ = w.Write(tc.body)
			})
			got, err := fetchAll(t.Context(), permissive(t), posterURL(t, s.URL+"/poster"))
			if err != nil {
				t.Fatalf("FetchPoster: %v", err)
			}
			if !bytes.Equal(got, tc.body) {
				t.Fatalf("FetchPoster returned %d bytes, want the %d served", len(got), len(tc.body))
			}
		})
	}
}

func TestFetchPosterRefusesBodiesThatAreNotImagesAsPermanent(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		contentType string
		body        []byte
	}{
		{"html claiming to be a jpeg", "image/jpeg", []byte("<!doctype html><html><body>not found</body></html>")},
		{"plain text", "text/plain", []byte("hello")},
		{"empty body", "image/png", nil},
		{"svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
		{"bmp", "image/bmp", []byte("BM\x00\x00\x00\x00\x00\x00\x00\x00")},
		{"icon", "image/x-icon", []byte("\x00\x00\x01\x00\x01\x00")},
		{"riff that is not webp", "image/webp", []byte("RIFF\x10\x00\x00\x00WAVEfmt \x00\x00\x00\x00")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := serve(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				_, _ = w.Write(tc.body)
			})
			_, err := fetchAll(t.Context(), permissive(t), posterURL(t, s.URL))
			wantKind(t, err, domain.ErrPermanent)
		})
	}
}

func TestFetchPosterMapsStatusCodesToErrorKinds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status int
		want   error
	}{
		{http.StatusNotFound, domain.ErrNotFound},
		{http.StatusGone, domain.ErrNotFound},
		{http.StatusInternalServerError, domain.ErrUnavailable},
		{http.StatusBadGateway, domain.ErrUnavailable},
		{http.StatusServiceUnavailable, domain.ErrUnavailable},
		{http.StatusGatewayTimeout, domain.ErrUnavailable},
		{http.StatusTooManyRequests, domain.ErrUnavailable},
		{http.StatusRequestTimeout, domain.ErrUnavailable},
		{http.StatusBadRequest, domain.ErrPermanent},
		{http.StatusUnauthorized, domain.ErrPermanent},
		{http.StatusForbidden, domain.ErrPermanent},
		{http.StatusNotModified, domain.ErrPermanent},
	}
	png := mustPNG(t)
	for _, tc := range cases {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			t.Parallel()
			// An image body does not rescue an error status.
			s := serve(t, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write(png)
			})
			_, err := fetchAll(t.Context(), permissive(t), posterURL(t, s.URL))
			wantKind(t, err, tc.want)
		})
	}
}

func TestFetchPosterEnforcesTheSizeCap(t *testing.T) {
	t.Parallel()
	const limit = 4096
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    error // nil: accepted
	}{
		{"exactly the cap is accepted", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(padded(limit))
		}, nil},
		{"one byte over the cap is refused", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(padded(limit + 1))
		}, domain.ErrPermanent},
		{"streamed without Content-Length over the cap is refused", func(w http.ResponseWriter, _ *http.Request) {
			w.(http.Flusher).Flush() // commits to chunked encoding, no Content-Length
			b := padded(limit + 1)
			_, _ = w.Write(b[:limit/2])
			w.(http.Flusher).Flush()
			_, _ = w.Write(b[limit/2:])
		}, domain.ErrPermanent},
		{"a declared Content-Length over the cap is refused before the body", func(w http.ResponseWriter, _ *http.Request) {
			// The header lies: it promises a gigabyte and sends a small image.
			w.Header().Set("Content-Length", strconv.Itoa(1<<30))
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(mustPNG(t))
		}, domain.ErrPermanent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := serve(t, tc.handler)
			f := newFetcher(t, posterfetcher.Config{AllowPrivate: true, MaxBytes: limit})
			got, err := fetchAll(t.Context(), f, posterURL(t, s.URL))
			if tc.want == nil {
				if err != nil || len(got) != limit {
					t.Fatalf("FetchPoster = %d bytes, %v; want %d bytes", len(got), err, limit)
				}
				return
			}
			wantKind(t, err, tc.want)
		})
	}
}

// TestFetchPosterHandsOverAtMostTheCap: a body without a Content-Length
// is streamed, and the stream fails as permanent before handing over a
// byte beyond the cap, so a store reading it never holds more.
func TestFetchPosterHandsOverAtMostTheCap(t *testing.T) {
	t.Parallel()
	const limit = 4096
	cases := []struct {
		name string
		size int
		want error // nil: the whole body
	}{
		{"exactly the cap", limit, nil},
		{"one byte over", limit + 1, domain.ErrPermanent},
		{"a megabyte over", limit + 1<<20, domain.ErrPermanent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := serve(t, func(w http.ResponseWriter, _ *http.Request) {
				w.(http.Flusher).Flush() // chunked: no Content-Length to refuse early
				_, _ = w.Write(padded(tc.size))
			})
			f := newFetcher(t, posterfetcher.Config{AllowPrivate: true, MaxBytes: limit})
			body, err := f.FetchPoster(t.Context(), posterURL(t, s.URL))
			if err != nil {
				t.Fatalf("FetchPoster: %v; want the stream, failing only when read past the cap", err)
			}
			defer body.Close()
			got, err := io.ReadAll(body)
			if len(got) > limit {
				t.Fatalf("the stream handed over %d bytes, more than the %d-byte cap", len(got), limit)
			}
			if tc.want == nil {
				if err != nil || len(got) != tc.size {
					t.Fatalf("reading = %d bytes, %v; want %d bytes", len(got), err, tc.size)
				}
				return
			}
			wantKind(t, err, tc.want)
			if _, again := body.Read(make([]byte, 1)); !errors.Is(again, tc.want) {
				t.Fatalf("a Read after the failure = %v, want the same failure", again)
			}
		})
	}
}

// TestFetchPosterSniffsOnlyTheFirst512Bytes: FetchPoster returns as soon as
// 512 bytes arrived, while the host holds back the rest.
func TestFetchPosterSniffsOnlyTheFirst512Bytes(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(padded(512))
		w.(http.Flusher).Flush()
		select {
		case <-release:
			_, _ = w.Write([]byte("tail"))
		case <-r.Context().Done():
		}
	})
	body, err := permissive(t).FetchPoster(t.Context(), posterURL(t, s.URL))
	close(release)
	if err != nil {
		t.Fatalf("FetchPoster: %v", err)
	}
	defer body.Close()
	got, err := io.ReadAll(body)
	if want := append(padded(512), "tail"...); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("reading = %d bytes, %v; want the %d served", len(got), err, len(want))
	}
}

// redirectChain serves /hop/N, which redirects to /hop/N-1, down to /hop/0,
// which serves an image.
func redirectChain(tb testing.TB, body []byte) *httptest.Server {
	return serve(tb, func(w http.ResponseWriter, r *http.Request) {
		var n int
		if _, err := fmt.Sscanf(r.URL.Path, "/hop/%d", &n); err != nil {
			http.NotFound(w, r)
			return
		}
		if n == 0 {
			_, _ = w.Write(body)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
	})
}

func TestFetchPosterFollowsAtMostMaxRedirects(t *testing.T) {
	t.Parallel()
	img := mustPNG(t)
	s := redirectChain(t, img)
	cases := []struct {
		name         string
		maxRedirects int
		hops         int
		want         error
	}{
		{"no redirect", 0, 0, nil},
		{"three redirects by default", 0, 3, nil},
		{"four redirects by default are refused", 0, 4, domain.ErrPermanent},
		{"ten redirects by default are refused", 0, 10, domain.ErrPermanent},
		{"one allowed, one followed", 1, 1, nil},
		{"one allowed, two refused", 1, 2, domain.ErrPermanent},
		{"none allowed, one refused", -1, 1, domain.ErrPermanent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFetcher(t, posterfetcher.Config{AllowPrivate: true, MaxRedirects: tc.maxRedirects})
			got, err := fetchAll(t.Context(), f, posterURL(t, fmt.Sprintf("%s/hop/%d", s.URL, tc.hops)))
			if tc.want == nil {
				if err != nil || !bytes.Equal(got, img) {
					t.Fatalf("FetchPoster = %d bytes, %v; want the image", len(got), err)
				}
				return
			}
			wantKind(t, err, tc.want)
		})
	}
}

func TestFetchPosterRefusesRedirectsToOtherSchemes(t *testing.T) {
	t.Parallel()
	targets := []string{
		"ftp://127.0.0.1/poster.jpg",
		"file:///etc/passwd",
		"gopher://127.0.0.1:70/",
		"data:image/png;base64,iVBORw0KGgo=",
		"javascript:alert(1)",
	}
	for _, target := range targets {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			s := serve(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Location", target)
				w.WriteHeader(http.StatusFound)
			})
			_, err := fetchAll(t.Context(), permissive(t), posterURL(t, s.URL))
			wantKind(t, err, domain.ErrPermanent)
		})
	}
}

// countingServer serves an image and counts the requests that reached it.
func countingServer(tb testing.TB, hits *atomic.Int64) *httptest.Server {
	img := mustPNG(tb)
	return serve(tb, func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write(img)
	})
}

func TestFetchPosterRefusesPrivateAddressesAtDialTime(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	s := countingServer(t, &hits)
	port := s.Listener.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port()
	hosts := []struct {
		name string
		host string
	}{
		{"loopback literal", "127.0.0.1"},
		{"hostname resolving to loopback", "localhost"},
		{"IPv4-mapped loopback literal", "[::ffff:127.0.0.1]"},
		{"IPv6 loopback literal", "[::1]"},
		{"unspecified address", "0.0.0.0"},
	}
	for _, h := range hosts {
		t.Run(h.name, func(t *testing.T) {
			t.Parallel()
			f := newFetcher(t, posterfetcher.Config{})
			_, err := fetchAll(t.Context(), f, posterURL(t, fmt.Sprintf("http://%s:%d/poster.png", h.host, port)))
			wantKind(t, err, domain.ErrPermanent)
			var refusal *posterfetcher.AddrRefusedError
			if !errors.As(err, &refusal) {
				t.Fatalf("error = %v, want an *AddrRefusedError", err)
			}
		})
	}
	t.Cleanup(func() {
		if n := hits.Load(); n != 0 {
			t.Errorf("the refused server was reached %d times", n)
		}
	})
}

func TestFetchPosterRechecksTheAddressOfEveryRedirect(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	private := countingServer(t, &hits)
	privateURL, err := url.Parse(private.URL)
	if err != nil {
		t.Fatal(err)
	}
	img := mustPNG(t)
	public := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/image":
			_, _ = w.Write(img)
		case "/to-private":
			http.Redirect(w, r, private.URL+"/poster.png", http.StatusFound)
		case "/to-localhost":
			http.Redirect(w, r, "http://localhost:"+privateURL.Port()+"/poster.png", http.StatusMovedPermanently)
		}
	})
	publicAddr := public.Listener.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort()
	// Only the "public" server's exact address is allowed: it stands in for
	// a poster host on the internet that redirects inwards.
	f, err := posterfetcher.NewAllowingOnly(posterfetcher.Config{}, publicAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.CloseIdleConnections)

	if got, err := fetchAll(t.Context(), f, posterURL(t, public.URL+"/image")); err != nil || !bytes.Equal(got, img) {
		t.Fatalf("the allowed host itself: FetchPoster = %d bytes, %v; want the image", len(got), err)
	}
	for _, path := range []string{"/to-private", "/to-localhost"} {
		t.Run(path, func(t *testing.T) {
			_, err := fetchAll(t.Context(), f, posterURL(t, public.URL+path))
			wantKind(t, err, domain.ErrPermanent)
			var refusal *posterfetcher.AddrRefusedError
			if !errors.As(err, &refusal) {
				t.Fatalf("error = %v, want an *AddrRefusedError", err)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the private server was reached %d times through redirects", n)
	}
}

func TestFetchPosterTimeoutsAreTransient(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"no response headers", func(_ http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}},
		{"body stalls halfway", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(padded(64))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}},
		{"body stalls after the sniffed head, while the caller reads", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(padded(4096))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := serve(t, tc.handler)
			f := newFetcher(t, posterfetcher.Config{AllowPrivate: true, Timeout: 50 * time.Millisecond})
			_, err := fetchAll(t.Context(), f, posterURL(t, s.URL))
			wantKind(t, err, domain.ErrUnavailable)
			// The deadline, or — on a loaded machine, where even the dial
			// can outlast 50 ms — the dialer's own timeout.
			var netErr net.Error
			if !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &netErr) && netErr.Timeout()) {
				t.Fatalf("error = %v, want a timeout (context.DeadlineExceeded or a net.Error timeout)", err)
			}
		})
	}
}

func TestFetchPosterConnectionErrorsAreTransient(t *testing.T) {
	t.Parallel()
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		s := httptest.NewServer(http.NotFoundHandler())
		u := s.URL
		s.Close()
		_, err := fetchAll(t.Context(), permissive(t), posterURL(t, u))
		wantKind(t, err, domain.ErrUnavailable)
	})
	t.Run("connection closed without a response", func(t *testing.T) {
		t.Parallel()
		s := serve(t, func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		})
		_, err := fetchAll(t.Context(), permissive(t), posterURL(t, s.URL))
		wantKind(t, err, domain.ErrUnavailable)
	})
	t.Run("body cut short of its Content-Length", func(t *testing.T) {
		t.Parallel()
		s := serve(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "1000")
			_, _ = w.Write(padded(100))
		})
		_, err := fetchAll(t.Context(), permissive(t), posterURL(t, s.URL))
		wantKind(t, err, domain.ErrUnavailable)
	})
	t.Run("caller cancelled", func(t *testing.T) {
		t.Parallel()
		s := serveBytes(t, mustPNG(t))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := fetchAll(ctx, permissive(t), posterURL(t, s.URL))
		wantKind(t, err, domain.ErrUnavailable)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want it to wrap context.Canceled", err)
		}
	})
}

func TestFetchPosterSendsItsUserAgent(t *testing.T) {
	t.Parallel()
	img := mustPNG(t)
	agent := make(chan string, 1)
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		agent <- r.UserAgent()
		_, _ = w.Write(img)
	})
	f := newFetcher(t, posterfetcher.Config{AllowPrivate: true, UserAgent: "moviediary-test/1"})
	if _, err := fetchAll(t.Context(), f, posterURL(t, s.URL)); err != nil {
		t.Fatal(err)
	}
	if got := <-agent; got != "moviediary-test/1" {
		t.Fatalf("User-Agent = %q, want moviediary-test/1", got)
	}
}

func TestFetchPosterRefusesTheZeroURL(t *testing.T) {
	t.Parallel()
	_, err := fetchAll(t.Context(), permissive(t), domain.PosterURL{})
	wantKind(t, err, domain.ErrValidation)
}

func TestNewRejectsNegativeLimits(t *testing.T) {
	t.Parallel()
	cases := map[string]posterfetcher.Config{
		"negative timeout":   {Timeout: -time.Second},
		"negative max bytes": {MaxBytes: -1},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := posterfetcher.New(cfg); !errors.Is(err, domain.ErrValidation) {
				t.Fatalf("New(%+v) = %v, want ErrValidation", cfg, err)
			}
		})
	}
}

func TestSniffImage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		body []byte
		want string
		ok   bool
	}{
		{"jpeg", mustJPEG(t), "image/jpeg", true},
		{"png", mustPNG(t), "image/png", true},
		{"gif", mustGIF(t), "image/gif", true},
		{"webp", webP(), "image/webp", true},
		{"html", []byte("<html></html>"), "text/html; charset=utf-8", false},
		{"empty", nil, "text/plain; charset=utf-8", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := posterfetcher.SniffImage(tc.body)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("SniffImage = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
