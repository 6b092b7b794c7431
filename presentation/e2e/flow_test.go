package e2e_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLogReview_WholeFlow: register, log in, log a film by IMDb ID, get
// OMDb's metadata, and see the poster downloaded in the background and
// served with an ETag.
func TestLogReview_WholeFlow(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		token, userID := s.account(t, "owner@example.com")
		shawshank := filmByID(t, "tt0111161")

		before := time.Now().UTC().Add(-time.Second)
		omdbBefore := s.omdb.requests.Load()
		e := s.logReview(t, token, map[string]any{
			"external_metadata_id": "tt0111161",
			"rating":               5,
			"comment":              "  Hope is a good thing.  ",
			"watched_at":           "2024-05-01T20:30",
		})
		if e.Movie.ExternalMetadataID == nil || *e.Movie.ExternalMetadataID != "tt0111161" ||
			e.Movie.Title != shawshank.Title || e.Movie.ReleaseYear != 1994 ||
			e.Movie.Director == nil || *e.Movie.Director != shawshank.Director {
			t.Errorf("movie = %+v, want OMDb's Shawshank Redemption", e.Movie)
		}
		if e.Movie.PosterURL != nil {
			t.Errorf("poster_url = %q in the 201: the poster is fetched in the background", *e.Movie.PosterURL)
		}
		r := e.Review
		if r.UserID != userID || r.rating() != "5" || r.Comment == nil || *r.Comment != "Hope is a good thing." || r.WatchedAt != "2024-05-01T20:30:00" {
			t.Errorf("review = %+v", r)
		}
		created, err := time.Parse(time.RFC3339, r.CreatedAt)
		if err != nil || created.Before(before) || created.After(time.Now().Add(time.Second)) {
			t.Errorf("created_at = %q (%v), want RFC 3339 and about now", r.CreatedAt, err)
		}

		m := s.waitForPoster(t, e.Movie.ID)
		if *m.PosterURL != "/posters/"+e.Movie.ID || m.PosterPath == nil || *m.PosterPath == "" {
			t.Errorf("poster_url = %v, poster_path = %v", *m.PosterURL, m.PosterPath)
		}
		img := s.get(t, *m.PosterURL)
		if img.Status != http.StatusOK || !bytes.Equal(img.Body, posterImage(shawshank.PosterPath)) {
			t.Fatalf("GET %s = %d with %d bytes, want the host's %d bytes", *m.PosterURL, img.Status, len(img.Body), len(posterImage(shawshank.PosterPath)))
		}
		if ct := img.ContentType(); ct != "image/png" {
			t.Errorf("poster Content-Type = %q, want image/png", ct)
		}
		etag := img.Header.Get("ETag")
		if etag == "" {
			t.Fatal("poster has no ETag")
		}
		again := s.get(t, *m.PosterURL, "If-None-Match", etag)
		if again.Status != http.StatusNotModified || len(again.Body) != 0 {
			t.Errorf("If-None-Match: %d with %d bytes, want 304 and no body", again.Status, len(again.Body))
		}
		other := s.get(t, *m.PosterURL, "If-None-Match", `"not-it"`)
		if other.Status != http.StatusOK {
			t.Errorf("stale If-None-Match: %d, want 200", other.Status)
		}

		if n := s.posters.requests(shawshank.PosterPath); n != 1 {
			t.Errorf("poster host saw %d requests, want 1", n)
		}
		// The poster URL OMDb gave with the film's metadata travels on the
		// event: the background sync does not ask OMDb again.
		if n := s.omdb.requests.Load() - omdbBefore; n != 1 {
			t.Errorf("logging a film and syncing its poster asked OMDb %d times, want once", n)
		}
		s.waitMetric(t, "moviediary_events_published_total", `event="movie_discovered"`, 1)
		s.waitMetric(t, "moviediary_events_published_total", `event="review_logged"`, 1)
		s.waitMetric(t, "moviediary_poster_sync_attempts_total", `result="success"`, 1)

		d := s.diary(t, "")
		if d.TotalCount != 1 || len(d.Items) != 1 || d.Items[0].Review.ID != r.ID {
			t.Errorf("diary = %+v, want the one entry", d)
		}
	})
}

// TestPosterSync_RetriesTransientFailures: a poster host that answers 503
// twice, then serves, gets exactly three requests; the metrics count two
// retries and one success.
func TestPosterSync_RetriesTransientFailures(t *testing.T) {
	t.Parallel()
	matrix := filmByID(t, "tt0133093")
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withPosterScript(func(path string, n int) int {
			if path == matrix.PosterPath && n <= 2 {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		}))
		token, _ := s.account(t, "owner@example.com")
		e := s.logReview(t, token, map[string]any{"external_metadata_id": matrix.ID, "rating": 4, "watched_at": watched(0)})
		s.waitForPoster(t, e.Movie.ID)
		s.waitMetric(t, "moviediary_poster_sync_attempts_total", `result="success"`, 1)
		if got := s.metric(t, "moviediary_poster_sync_attempts_total", `result="retry"`); got != 2 {
			t.Errorf("retry attempts = %v, want 2", got)
		}
		if got := s.metric(t, "moviediary_poster_sync_attempts_total", `result="failure"`); got != 0 {
			t.Errorf("failed attempts = %v, want 0", got)
		}
		if got := s.metric(t, "moviediary_events_published_total", `event="movie_discovered"`); got != 1 {
			t.Errorf("movie_discovered published = %v, want 1", got)
		}
		if n := s.posters.requests(matrix.PosterPath); n != 3 {
			t.Errorf("poster host saw %d requests, want 3", n)
		}
		img := s.get(t, "/posters/"+e.Movie.ID)
		if img.Status != http.StatusOK || !bytes.Equal(img.Body, posterImage(matrix.PosterPath)) {
			t.Errorf("stored poster: %d, %d bytes", img.Status, len(img.Body))
		}
	})
}

// TestLogReview_Rewatch: logging a film again, by ID or by IMDb URL, reuses
// the movie; the history lists viewings by watched_at with the right
// trend, and the poster is downloaded once.
func TestLogReview_Rewatch(t *testing.T) {
	t.Parallel()
	matrix := filmByID(t, "tt0133093")
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		token, _ := s.account(t, "owner@example.com")
		first := s.logReview(t, token, map[string]any{"external_metadata_id": matrix.ID, "rating": 5, "watched_at": "2024-03-01T21:00:00"})
		s.waitForPoster(t, first.Movie.ID)
		// Logged second but watched earlier: the history sorts it first.
		second := s.logReview(t, token, map[string]any{"external_metadata_id": matrix.ID, "rating": 2, "watched_at": "2024-01-01T21:00:00"})
		if second.Movie.ID != first.Movie.ID || second.Review.ID == first.Review.ID {
			t.Fatalf("rewatch: movie %s review %s, want movie %s and a new review", second.Movie.ID, second.Review.ID, first.Movie.ID)
		}
		if second.Movie.PosterURL == nil || *second.Movie.PosterURL != "/posters/"+first.Movie.ID {
			t.Errorf("rewatch entry poster_url = %v, want the stored poster", second.Movie.PosterURL)
		}

		h := s.history(t, first.Movie.ID)
		if len(h.Viewings) != 2 || h.Viewings[0].ID != second.Review.ID || h.Viewings[1].ID != first.Review.ID {
			t.Fatalf("viewings = %+v, want [Jan, Mar]", h.Viewings)
		}
		if h.trend() != "improved" { // latest 5 > mean 3.5
			t.Errorf("trend = %s, want improved", h.trend())
		}

		third := s.logReview(t, token, map[string]any{"external_metadata_id": "https://www.imdb.com/title/tt0133093/?ref_=nv_sr_srsg_0", "rating": 1, "watched_at": "2024-04-01"})
		if third.Movie.ID != first.Movie.ID {
			t.Errorf("log by IMDb URL made movie %s, want %s", third.Movie.ID, first.Movie.ID)
		}
		h = s.history(t, first.Movie.ID)
		if len(h.Viewings) != 3 || h.Viewings[2].ID != third.Review.ID || h.Viewings[2].WatchedAt != "2024-04-01T00:00:00" {
			t.Fatalf("viewings = %+v", h.Viewings)
		}
		if h.trend() != "declined" { // latest 1 < mean 8/3
			t.Errorf("trend = %s, want declined", h.trend())
		}
		if d := s.diary(t, ""); d.TotalCount != 3 || !sameMovie(d.Items, first.Movie.ID) {
			t.Errorf("diary = %+v, want 3 entries of one movie", d)
		}
		s.waitMetric(t, "moviediary_events_published_total", `event="review_logged"`, 3)
		if got := s.metric(t, "moviediary_events_published_total", `event="movie_discovered"`); got != 1 {
			t.Errorf("movie_discovered published = %v, want 1", got)
		}
		if n := s.posters.requests(matrix.PosterPath); n != 1 {
			t.Errorf("poster downloaded %d times, want once", n)
		}
	})
}

func sameMovie(items []entryJSON, id string) bool {
	for _, e := range items {
		if e.Movie.ID != id {
			return false
		}
	}
	return len(items) > 0
}

// history fetches /api/movies/{id}/history and requires a 200.
func (s *server) history(t *testing.T, movieID string) historyJSON {
	t.Helper()
	r := s.get(t, "/api/movies/"+movieID+"/history")
	var h historyJSON
	decodeStrict(t, r, http.StatusOK, &h)
	requireKeys(t, r.Body, "movie", "viewings", "trend")
	return h
}

// TestLogReview_ConcurrentFirstLogs: eight clients log the same new film at
// once; all succeed, one movie is stored with eight reviews, one
// MovieDiscovered is published and the poster is downloaded once.
func TestLogReview_ConcurrentFirstLogs(t *testing.T) {
	t.Parallel()
	chihiro := filmByID(t, "tt0245429")
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		token, _ := s.account(t, "owner@example.com")
		const clients = 8
		type result struct {
			res  response
			req  *http.Request
			body []byte
			err  error
		}
		results := make([]result, clients)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := []byte(`{"external_metadata_id":"tt0245429","rating":4,"watched_at":"` + watched(i) + `"}`)
				<-start
				res, req, err := s.send(http.MethodPost, "/api/reviews", body, map[string]string{
					"Content-Type": "application/json", "Authorization": "Bearer " + token,
				})
				results[i] = result{res, req, body, err}
			}()
		}
		close(start)
		wg.Wait()
		movies := map[string]bool{}
		for i, r := range results {
			if r.err != nil {
				t.Fatalf("client %d: %v", i, r.err)
			}
			checkExchange(t, r.req, r.body, r.res)
			var e entryJSON
			decodeStrict(t, r.res, http.StatusCreated, &e)
			movies[e.Movie.ID] = true
		}
		if len(movies) != 1 {
			t.Fatalf("%d movies made for one film: %v", len(movies), movies)
		}
		var id string
		for id = range movies {
		}
		if h := s.history(t, id); len(h.Viewings) != clients {
			t.Errorf("history has %d viewings, want %d", len(h.Viewings), clients)
		}
		if d := s.diary(t, ""); d.TotalCount != clients {
			t.Errorf("total_count = %d, want %d", d.TotalCount, clients)
		}
		s.waitForPoster(t, id)
		s.waitMetric(t, "moviediary_poster_sync_attempts_total", `result="success"`, 1)
		if got := s.metric(t, "moviediary_events_published_total", `event="movie_discovered"`); got != 1 {
			t.Errorf("movie_discovered published = %v, want exactly 1", got)
		}
		if got := s.metric(t, "moviediary_events_published_total", `event="review_logged"`); got != clients {
			t.Errorf("review_logged published = %v, want %d", got, clients)
		}
		if n := s.posters.requests(chihiro.PosterPath); n != 1 {
			t.Errorf("poster downloaded %d times, want once", n)
		}
	})
}

// send makes one request without a *testing.T, for use off the test's
// goroutine; the caller validates it with checkExchange afterwards.
func (s *server) send(method, path string, body []byte, header map[string]string) (response, *http.Request, error) {
	req, err := http.NewRequest(method, s.base+path, bytes.NewReader(body))
	if err != nil {
		return response{}, nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := s.client.Do(req)
	if err != nil {
		return response{}, req, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}, req, err
}

// TestSyncPosterEndpoint: POST /api/movies/{id}/sync-poster runs one sync
// inline: 204 once stored (or when OMDb has no poster), 404 for an unknown
// movie, 502 when the poster host fails, 401 without a token.
func TestSyncPosterEndpoint(t *testing.T) {
	t.Parallel()
	amelie, se7en, roundhay := filmByID(t, "tt0211915"), filmByID(t, "tt0114369"), filmByID(t, "tt0392728")
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withPosterScript(func(path string, n int) int {
			switch {
			case path == amelie.PosterPath && n == 1:
				return http.StatusNotFound // permanent: the background sync gives up at once
			case path == se7en.PosterPath:
				return http.StatusInternalServerError
			}
			return http.StatusOK
		}))
		token, _ := s.account(t, "owner@example.com")
		sync := func(id, token string) response {
			t.Helper()
			return s.postJSON(t, "/api/movies/"+id+"/sync-poster", nil, token)
		}

		a := s.logReview(t, token, map[string]any{"external_metadata_id": amelie.ID, "rating": 5, "watched_at": watched(0)})
		s.waitMetric(t, "moviediary_poster_sync_attempts_total", `result="failure"`, 1)
		if n := s.posters.requests(amelie.PosterPath); n != 1 {
			t.Fatalf("a 404 poster was fetched %d times in the background, want once (not retried)", n)
		}
		if d := s.diary(t, "movie_id="+a.Movie.ID); d.Items[0].Movie.PosterURL != nil {
			t.Fatalf("poster stored after a 404: %+v", d.Items[0].Movie)
		}
		if r := sync(a.Movie.ID, token); r.Status != http.StatusNoContent || len(r.Body) != 0 {
			t.Fatalf("sync-poster = %s, want 204 and no body", r)
		}
		if d := s.diary(t, "movie_id="+a.Movie.ID); d.Items[0].Movie.PosterURL == nil || *d.Items[0].Movie.PosterURL != "/posters/"+a.Movie.ID {
			t.Errorf("after 204 the diary shows %+v, want the poster", d.Items[0].Movie)
		}
		if img := s.get(t, "/posters/"+a.Movie.ID); !bytes.Equal(img.Body, posterImage(amelie.PosterPath)) {
			t.Errorf("stored poster: %s", img)
		}
		// A film that already has a poster is fetched again.
		if r := sync(a.Movie.ID, token); r.Status != http.StatusNoContent {
			t.Errorf("second sync-poster = %s, want 204", r)
		}
		if n := s.posters.requests(amelie.PosterPath); n != 3 {
			t.Errorf("poster host saw %d requests for Amélie, want 3", n)
		}

		// The host answers 500: the background retries give up, and the
		// endpoint tries once and answers 502.
		b := s.logReview(t, token, map[string]any{"external_metadata_id": se7en.ID, "rating": 3, "watched_at": watched(1)})
		s.waitMetric(t, "moviediary_poster_sync_attempts_total", `result="failure"`, 2)
		if n := s.posters.requests(se7en.PosterPath); n != 4 {
			t.Errorf("transient failures: %d attempts, want 4 (1 + 3 retries)", n)
		}
		expectProblem(t, sync(b.Movie.ID, token), http.StatusBadGateway, "poster")
		if n := s.posters.requests(se7en.PosterPath); n != 5 {
			t.Errorf("sync-poster made %d attempts, want 1 (no retry inline)", n-4)
		}
		if img := s.get(t, "/posters/"+b.Movie.ID); img.Status != http.StatusNotFound {
			t.Errorf("GET poster of a film without one = %d, want 404", img.Status)
		}

		// OMDb has no poster: nothing to do, success.
		c := s.logReview(t, token, map[string]any{"external_metadata_id": roundhay.ID, "rating": 3, "watched_at": watched(2)})
		if c.Movie.ReleaseYear != 1888 {
			t.Errorf("Roundhay Garden Scene year = %d", c.Movie.ReleaseYear)
		}
		if r := sync(c.Movie.ID, token); r.Status != http.StatusNoContent {
			t.Errorf("sync-poster without a poster = %s, want 204", r)
		}
		if d := s.diary(t, "movie_id="+c.Movie.ID); d.Items[0].Movie.PosterURL != nil {
			t.Errorf("poster_url = %q for a film without a poster", *d.Items[0].Movie.PosterURL)
		}

		expectProblem(t, sync("0190a8a0-0000-7000-8000-000000000000", token), http.StatusNotFound, "0190a8a0-0000-7000-8000-000000000000")
		expectProblem(t, sync("not-a-uuid", token), http.StatusBadRequest, "id")
		r := sync(a.Movie.ID, "")
		expectProblem(t, r, http.StatusUnauthorized)
		if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
		}
		if n := s.posters.requests(amelie.PosterPath); n != 3 {
			t.Errorf("an unauthenticated sync reached the poster host (%d requests)", n)
		}
	})
}
