package porttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// TestPosterFetcher runs the PosterFetcher contract against fetchers that
// newFetcher makes; it is called once per subtest. The suite serves posters
// from its own httptest servers on 127.0.0.1, so the fetcher must be
// configured to allow loopback (private) addresses.
//
// The suite pins that images come back byte for byte, how answers are
// classified (404 and 410 not found or permanent, 5xx unavailable, a body
// that is not an image permanent — all before any body is handed over),
// that up to three redirects are followed and a fourth is refused as
// permanent, that a cancelled context ends a download promptly, and that
// the body is a stream: FetchPoster returns while the body is still
// arriving, a body without end fails while reading with a permanent error
// (whatever the cap, it is finite), a body that breaks off fails while
// reading with an unavailable one, and closing the stream early ends the
// download.
func TestPosterFetcher(t *testing.T, newFetcher func(t *testing.T) domain.PosterFetcher) {
	t.Helper()
	t.Run("images come back byte for byte", func(t *testing.T) {
		for _, img := range []struct {
			name, contentType string
			body              []byte
		}{
			{"png", "image/png", PNG()},
			{"jpeg", "image/jpeg", JPEG()},
			{"gif", "image/gif", GIF()},
			{"webp", "image/webp", WebP()},
		} {
			t.Run(img.name, func(t *testing.T) {
				url := serve(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", img.contentType)
					_, _ = w.Write(img.body)
				})
				got, err := fetchAll(t.Context(), newFetcher(t), url)
				if err != nil {
					t.Fatalf("FetchPoster: %v", err)
				}
				if !bytes.Equal(got, img.body) {
					t.Errorf("FetchPoster returned %d bytes differing from the %d served", len(got), len(img.body))
				}
			})
		}
	})

	t.Run("answers are classified", func(t *testing.T) {
		for _, tc := range []struct {
			name        string
			status      int
			contentType string
			body        []byte
			permanent   bool
			kinds       []error // the error must wrap one of these
		}{
			{"404 is permanent", http.StatusNotFound, "text/plain", []byte("no such poster"), true, []error{domain.ErrNotFound, domain.ErrPermanent}},
			{"410 is permanent", http.StatusGone, "text/plain", []byte("gone"), true, []error{domain.ErrNotFound, domain.ErrPermanent}},
			{"500 is unavailable", http.StatusInternalServerError, "text/plain", []byte("oops"), false, []error{domain.ErrUnavailable}},
			{"502 is unavailable", http.StatusBadGateway, "text/plain", []byte("bad gateway"), false, []error{domain.ErrUnavailable}},
			{"503 is unavailable", http.StatusServiceUnavailable, "text/plain", []byte("later"), false, []error{domain.ErrUnavailable}},
			{"an HTML page is permanent", http.StatusOK, "text/html; charset=utf-8", []byte("<!DOCTYPE html><html><body>not a poster</body></html>"), true, []error{domain.ErrPermanent, domain.ErrNotFound}},
			{"an HTML page labelled as an image is permanent", http.StatusOK, "image/jpeg", []byte("<!DOCTYPE html><html><body>not a poster</body></html>"), true, []error{domain.ErrPermanent, domain.ErrNotFound}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				url := serve(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", tc.contentType)
					w.WriteHeader(tc.status)
					_, _ = w.Write(tc.body)
				})
				body, err := newFetcher(t).FetchPoster(t.Context(), url)
				if err == nil {
					got, _ := io.ReadAll(body)
					_ = body.Close()
					t.Fatalf("FetchPoster succeeded with %d bytes, want an error before the body", len(got))
				}
				if !wrapsOneOf(err, tc.kinds) {
					t.Errorf("FetchPoster error = %v, want one wrapping one of %v", err, tc.kinds)
				}
				if p := domain.IsPermanent(err); p != tc.permanent {
					t.Errorf("IsPermanent(%v) = %v, want %v", err, p, tc.permanent)
				}
			})
		}
	})

	t.Run("redirects", func(t *testing.T) {
		for _, tc := range []struct {
			hops int
			ok   bool
		}{{1, true}, {2, true}, {3, true}, {4, false}} {
			t.Run(fmt.Sprintf("%d", tc.hops), func(t *testing.T) {
				url := serveRedirects(t, tc.hops, PNG())
				got, err := fetchAll(t.Context(), newFetcher(t), url)
				if tc.ok {
					if err != nil {
						t.Fatalf("FetchPoster through %d redirects: %v", tc.hops, err)
					}
					if !bytes.Equal(got, PNG()) {
						t.Errorf("FetchPoster through %d redirects returned other bytes", tc.hops)
					}
					return
				}
				if err == nil || !domain.IsPermanent(err) {
					t.Errorf("FetchPoster through %d redirects error = %v, want a permanent error", tc.hops, err)
				}
			})
		}
	})

	t.Run("cancelled context ends the download promptly", func(t *testing.T) {
		started := make(chan struct{}, 1)
		release := make(chan struct{})
		url := serve(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case started <- struct{}{}:
			default:
			}
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		t.Cleanup(func() { close(release) }) // runs before the server closes

		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := make(chan error, 1)
		f := newFetcher(t)
		go func() {
			_, err := fetchAll(ctx, f, url)
			done <- err
		}()
		select {
		case <-started:
		case <-time.After(waitTimeout):
			t.Fatal("the fetcher never reached the server")
		}
		cancel()
		select {
		case err := <-done:
			if err == nil {
				t.Error("FetchPoster with a cancelled context succeeded, want an error")
			}
		case <-time.After(waitTimeout):
			t.Fatal("FetchPoster did not return after its context was cancelled")
		}
	})

	t.Run("the body streams: FetchPoster returns while it is still arriving", func(t *testing.T) {
		release := make(chan struct{})
		head, tail := paddedPNG(64<<10), bytes.Repeat([]byte{0x5a}, 64<<10)
		url := serve(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(head)
			w.(http.Flusher).Flush()
			select {
			case <-release:
				_, _ = w.Write(tail)
			case <-r.Context().Done():
			}
		})
		var releaseOnce sync.Once
		releaseBody := func() { releaseOnce.Do(func() { close(release) }) }
		t.Cleanup(releaseBody) // runs before the server closes
		started := make(chan io.ReadCloser, 1)
		failed := make(chan error, 1)
		f := newFetcher(t)
		go func() {
			body, err := f.FetchPoster(t.Context(), url)
			if err != nil {
				failed <- err
				return
			}
			started <- body
		}()
		var body io.ReadCloser
		select {
		case body = <-started:
		case err := <-failed:
			t.Fatalf("FetchPoster: %v", err)
		case <-time.After(waitTimeout):
			t.Fatal("FetchPoster did not return while the server held back the rest of the body: the body is not streamed")
		}
		defer body.Close()
		releaseBody()
		got, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("reading the body: %v", err)
		}
		if want := append(bytes.Clone(head), tail...); !bytes.Equal(got, want) {
			t.Errorf("the stream gave %d bytes differing from the %d served", len(got), len(want))
		}
	})

	t.Run("a body without end fails while reading as permanent", func(t *testing.T) {
		url := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(PNG())
			chunk := make([]byte, 32<<10)
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		})
		body, err := newFetcher(t).FetchPoster(t.Context(), url)
		if err != nil {
			t.Fatalf("FetchPoster: %v, want the stream (the cap is found while reading)", err)
		}
		defer body.Close()
		// Far more than any poster cap: the guard only keeps a broken
		// fetcher from reading forever.
		n, err := io.Copy(io.Discard, io.LimitReader(body, 1<<30))
		if err == nil || !errors.Is(err, domain.ErrPermanent) {
			t.Fatalf("reading an endless body stopped after %d bytes with %v, want an error wrapping ErrPermanent", n, err)
		}
	})

	t.Run("a body that breaks off fails as unavailable", func(t *testing.T) {
		url := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1048576")
			_, _ = w.Write(paddedPNG(64 << 10)) // then the connection closes
		})
		_, err := fetchAll(t.Context(), newFetcher(t), url)
		if err == nil || !errors.Is(err, domain.ErrUnavailable) || domain.IsPermanent(err) {
			t.Fatalf("fetching a body cut short = %v, want a transient error wrapping ErrUnavailable", err)
		}
	})

	t.Run("cancelling the context while reading ends the read", func(t *testing.T) {
		url := serve(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(paddedPNG(64 << 10))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		body, err := newFetcher(t).FetchPoster(ctx, url)
		if err != nil {
			t.Fatalf("FetchPoster: %v", err)
		}
		defer body.Close()
		done := make(chan error, 1)
		go func() {
			_, err := io.Copy(io.Discard, body)
			done <- err
		}()
		cancel()
		select {
		case err := <-done:
			if err == nil {
				t.Error("reading after the context was cancelled ended without an error")
			}
		case <-time.After(waitTimeout):
			t.Fatal("reading did not end after the context was cancelled")
		}
	})

	t.Run("closing the stream early ends the download", func(t *testing.T) {
		ended := make(chan struct{})
		url := serve(t, func(w http.ResponseWriter, r *http.Request) {
			defer close(ended)
			_, _ = w.Write(paddedPNG(64 << 10))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		})
		body, err := newFetcher(t).FetchPoster(t.Context(), url)
		if err != nil {
			t.Fatalf("FetchPoster: %v", err)
		}
		if err := body.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		select {
		case <-ended:
		case <-time.After(waitTimeout):
			t.Fatal("the server still holds the download open after the stream was closed")
		}
	})
}

// fetchAll is FetchPoster followed by reading the whole stream and closing
// it: the bytes, or the first error of either step.
func fetchAll(ctx context.Context, f domain.PosterFetcher, url domain.PosterURL) ([]byte, error) {
	body, err := f.FetchPoster(ctx, url)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(body)
	if cerr := body.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// paddedPNG is a PNG signature and header followed by filler, n bytes in
// all: a body that sniffs as an image, of a chosen size.
func paddedPNG(n int) []byte {
	b := make([]byte, n)
	copy(b, PNG())
	return b
}

// serve starts an httptest server on 127.0.0.1 answering every request
// with h, and returns the URL of a poster on it.
func serve(t *testing.T, h http.HandlerFunc) domain.PosterURL {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return domain.MustParsePosterURL(srv.URL + "/poster.img")
}

// serveRedirects serves img at the end of a chain of hops redirects.
func serveRedirects(t *testing.T, hops int, img []byte) domain.PosterURL {
	t.Helper()
	mux := http.NewServeMux()
	for i := range hops {
		mux.HandleFunc(fmt.Sprintf("/hop/%d", i), func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", i+1), http.StatusFound)
		})
	}
	mux.HandleFunc(fmt.Sprintf("/hop/%d", hops), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(img)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return domain.MustParsePosterURL(srv.URL + "/hop/0")
}

func wrapsOneOf(err error, kinds []error) bool {
	for _, k := range kinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}
