package porttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
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
// that is not an image permanent), that up to three redirects are followed
// and a fourth is refused as permanent, and that a cancelled context ends a
// download promptly.
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
				got, err := newFetcher(t).FetchPoster(t.Context(), url)
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
				got, err := newFetcher(t).FetchPoster(t.Context(), url)
				if err == nil {
					t.Fatalf("FetchPoster succeeded with %d bytes, want an error", len(got))
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
				got, err := newFetcher(t).FetchPoster(t.Context(), url)
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
			_, err := f.FetchPoster(ctx, url)
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
