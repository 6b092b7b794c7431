package presentation_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moviediary/moviediary/adapters/posterstorage"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// onePixelPNG is a valid 1×1 PNG.
var onePixelPNG, _ = base64.StdEncoding.DecodeString(
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

func TestPosterServing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	posterDir := filepath.Join(dir, "posters")
	a := newTestApp(t, map[string]string{"POSTER_STORAGE_DIR": posterDir})
	a.register(ownerEmail, ownerPassword)
	id := a.logManual("Playtime", 1967)

	// No poster yet: 404 problem+json.
	wantProblem(t, a.do(request{method: http.MethodGet, path: "/posters/" + id}), http.StatusNotFound)

	// Store one where the app keeps posters and record it on the movie.
	ctx := context.Background()
	store, err := posterstorage.NewLocal(posterstorage.LocalConfig{Dir: posterDir})
	if err != nil {
		t.Fatal(err)
	}
	movieID := domain.MustParseMovieID(id)
	path, err := store.StorePoster(ctx, movieID, bytes.NewReader(onePixelPNG))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.app.Store().Movies().SetPosterPath(ctx, movieID, path); err != nil {
		t.Fatal(err)
	}

	res := a.do(request{method: http.MethodGet, path: "/posters/" + id})
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" || !bytes.Equal([]byte(body), onePixelPNG) {
		t.Fatalf("GET poster = %d %q, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(body))
	}
	etag := res.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 10 {
		t.Errorf("ETag = %q", etag)
	}
	for _, match := range []string{etag, `W/` + etag, `"other", ` + etag, "*"} {
		res := a.do(request{method: http.MethodGet, path: "/posters/" + id, header: http.Header{"If-None-Match": {match}}})
		if res.StatusCode != http.StatusNotModified {
			t.Errorf("If-None-Match %s = %d, want 304", match, res.StatusCode)
		}
	}
	res = a.do(request{method: http.MethodGet, path: "/posters/" + id, header: http.Header{"If-None-Match": {`"stale"`}}})
	if res.StatusCode != http.StatusOK {
		t.Errorf("stale If-None-Match = %d, want 200", res.StatusCode)
	}

	// The movie JSON points at it.
	var hist struct {
		Movie struct {
			PosterURL *string `json:"poster_url"`
		} `json:"movie"`
	}
	decodeJSONBody(t, a.do(request{method: http.MethodGet, path: "/api/movies/" + id + "/history"}), &hist)
	if hist.Movie.PosterURL == nil || *hist.Movie.PosterURL != "/posters/"+id {
		t.Errorf("poster_url = %v, want /posters/%s", hist.Movie.PosterURL, id)
	}

	// The recorded file disappears: 404, not 500.
	if err := a.app.Store().Movies().SetPosterPath(ctx, movieID, domain.MustNewPosterPath("gone/missing.png")); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, a.do(request{method: http.MethodGet, path: "/posters/" + id}), http.StatusNotFound)

	wantProblem(t, a.do(request{method: http.MethodGet, path: "/posters/not-a-uuid"}), http.StatusBadRequest)
	wantProblem(t, a.do(request{method: http.MethodGet, path: "/posters/0190b7c1-1111-7222-8333-944445555666"}), http.StatusNotFound)
}

func TestSyncPosterEndpointWithoutOMDb(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	token := a.token()
	post := func(id, token string) *http.Response {
		h := http.Header{}
		if token != "" {
			h.Set("Authorization", "Bearer "+token)
		}
		return a.do(request{method: http.MethodPost, path: "/api/movies/" + id + "/sync-poster", header: h})
	}

	manual := a.logManual("Mon Oncle", 1958)
	res := post(manual, "")
	wantProblem(t, res, http.StatusUnauthorized)
	if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("WWW-Authenticate = %q", res.Header.Get("WWW-Authenticate"))
	}
	wantProblem(t, post(manual, "not.a.token"), http.StatusUnauthorized)

	// A film without an IMDb ID has no poster to find: nothing to do.
	if res := post(manual, token); res.StatusCode != http.StatusNoContent {
		t.Errorf("sync of a film without IMDb ID = %d: %s", res.StatusCode, readBody(t, res))
	}
	wantProblem(t, post("0190b7c1-1111-7222-8333-944445555666", token), http.StatusNotFound)
	wantProblem(t, post("nope", token), http.StatusBadRequest)

	// A film with an IMDb ID while lookups are off: the source refuses, 502.
	body := `{"external_metadata_id":"tt0050706","manual_title":"Mon Oncle","manual_release_year":1958,"rating":5,"watched_at":"2024-01-01"}`
	res = a.do(request{method: http.MethodPost, path: "/api/reviews", body: body, header: http.Header{
		"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}}})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("log with an IMDb ID and lookups off = %d: %s", res.StatusCode, readBody(t, res))
	}
	var entry struct {
		Movie struct {
			ID                 string `json:"id"`
			ExternalMetadataID string `json:"external_metadata_id"`
		} `json:"movie"`
	}
	decodeJSONBody(t, res, &entry)
	if entry.Movie.ExternalMetadataID != "tt0050706" {
		t.Fatalf("entry = %+v, want the IMDb ID kept", entry)
	}
	p := wantProblem(t, post(entry.Movie.ID, token), http.StatusBadGateway)
	if strings.Contains(p.Detail, "OMDB_API_KEY") || p.Detail == "" {
		t.Errorf("502 detail = %q", p.Detail)
	}
}

// token logs the owner in through the API.
func (a *testApp) token() string {
	a.t.Helper()
	res := a.postJSON("/api/auth/login", fmt.Sprintf(`{"email":%q,"password":%q}`, ownerEmail, ownerPassword))
	if res.StatusCode != http.StatusOK {
		a.t.Fatalf("login = %d: %s", res.StatusCode, readBody(a.t, res))
	}
	var login struct {
		Token string `json:"token"`
	}
	decodeJSONBody(a.t, res, &login)
	return login.Token
}

// TestSyncPosterLooksTheMovieUpOnlyWhenItFails: the endpoint leaves reading
// the movie to application.SyncPoster, which takes a slot first (so a 429
// comes before any lookup): a sync that succeeds makes no lookup of the
// handler's own, and only a failing one reads the movie again, to tell an
// unknown movie (404) from a failing source (502).
func TestSyncPosterLooksTheMovieUpOnlyWhenItFails(t *testing.T) {
	t.Parallel()
	s := newTracedServer(t, t.TempDir(), application.RegistrationOwnerOnly)
	creds := fmt.Sprintf(`{"email":%q,"password":%q}`, ownerEmail, ownerPassword)
	if status, body := s.post(t, "/api/auth/register", "application/json", creds); status != http.StatusCreated {
		t.Fatalf("register: %d %s", status, body)
	}
	_, body := s.post(t, "/api/auth/login", "application/json", creds)
	var login struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &login); err != nil || login.Token == "" {
		t.Fatalf("login: %s", body)
	}
	send := func(path, body string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+login.Token)
		res, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	status, body := send("/api/reviews", `{"manual_title":"Mon Oncle","manual_release_year":1958,"rating":5,"watched_at":"2024-01-01"}`)
	var entry struct {
		Movie struct {
			ID string `json:"id"`
		} `json:"movie"`
	}
	if err := json.Unmarshal(body, &entry); status != http.StatusCreated || err != nil {
		t.Fatalf("log a film: %d %s", status, body)
	}
	s.calls.take()

	if status, body := send("/api/movies/"+entry.Movie.ID+"/sync-poster", ""); status != http.StatusNoContent {
		t.Fatalf("sync of a film without an IMDb ID: %d %s, want 204", status, body)
	}
	if got := s.calls.take(); len(got) != 0 {
		t.Errorf("a sync that succeeded made the handler's lookups %q, want none", got)
	}
	const unknown = "0190b7c1-1111-7222-8333-944445555666"
	status, body = send("/api/movies/"+unknown+"/sync-poster", "")
	var p problem
	if err := json.Unmarshal(body, &p); status != http.StatusNotFound || err != nil || p.Detail != "no movie with id "+unknown {
		t.Errorf("sync of an unknown movie: %d %s, want 404 no movie with id %s", status, body, unknown)
	}
	if got := s.calls.take(); !slices.Equal(got, []string{"MovieByID"}) {
		t.Errorf("a sync of an unknown movie made the handler's lookups %q, want one MovieByID after it failed", got)
	}
}
