package e2e_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// profileJSON is PATCH /api/users/me's answer.
type profileJSON struct {
	ID          string  `json:"id"`
	DisplayName *string `json:"display_name"`
	Private     bool    `json:"private"`
	Email       string  `json:"email"`
}

// statsJSON is a diary's statistics.
type statsJSON struct {
	Viewings      int      `json:"viewings"`
	Films         int      `json:"films"`
	Rated         int      `json:"rated"`
	AverageRating *float64 `json:"average_rating"`
	Rewatches     int      `json:"rewatches"`
	ByYear        []struct {
		Year     int `json:"year"`
		Viewings int `json:"viewings"`
		Films    int `json:"films"`
	} `json:"by_year"`
	ByMonth []struct {
		Month    string `json:"month"`
		Viewings int    `json:"viewings"`
	} `json:"by_month"`
	Ratings []struct {
		Rating float64 `json:"rating"`
		Count  int     `json:"count"`
	} `json:"ratings"`
	TopFilms []struct {
		Movie    movieJSON `json:"movie"`
		Viewings int       `json:"viewings"`
	} `json:"top_films"`
	TopDirectors []struct {
		Director string `json:"director"`
		Viewings int    `json:"viewings"`
	} `json:"top_directors"`
}

// setProfile PATCHes /api/users/me and requires 200.
func (s *server) setProfile(t *testing.T, token string, body map[string]any) profileJSON {
	t.Helper()
	var p profileJSON
	decodeStrict(t, s.call(t, http.MethodPatch, "/api/users/me", body, token), http.StatusOK, &p)
	return p
}

// stats GETs a statistics path and requires 200.
func (s *server) stats(t *testing.T, path, token string) statsJSON {
	t.Helper()
	var st statsJSON
	decodeStrict(t, s.call(t, http.MethodGet, path, nil, token), http.StatusOK, &st)
	return st
}

// conditional GETs path twice: the answer must carry a strong ETag, and the
// same request with If-None-Match must get 304 with no body.
func (s *server) conditional(t *testing.T, path string, header ...string) response {
	t.Helper()
	first := s.get(t, path, header...)
	if first.Status != http.StatusOK {
		t.Fatalf("GET %s: %s", path, first)
	}
	etag := first.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || strings.HasPrefix(etag, "W/") {
		t.Fatalf("GET %s: ETag %q, want a strong one", path, etag)
	}
	if cc := first.Header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
		t.Fatalf("GET %s: Cache-Control %q, want revalidation (no-cache)", path, cc)
	}
	again := s.get(t, path, append(slices.Clone(header), "If-None-Match", etag)...)
	if again.Status != http.StatusNotModified || len(again.Body) != 0 || again.Header.Get("ETag") != etag {
		t.Fatalf("GET %s with If-None-Match %s: %s (ETag %q), want an empty 304", path, etag, again, again.Header.Get("ETag"))
	}
	return first
}

// TestPublicReadsAreCachedAndNeverStale: ETag/304 on every public read, and
// a log, an edit, a delete and a stored poster each change the very next
// read in the same process.
func TestPublicReadsAreCachedAndNeverStale(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		// The poster host refuses (503, retried) until the test has read
		// the page without the poster.
		var postersOpen atomic.Bool
		s := startApp(t, db, withEnv("POSTER_SYNC_MAX_RETRIES", "12"), withPosterScript(func(string, int) int {
			if postersOpen.Load() {
				return http.StatusOK
			}
			return http.StatusServiceUnavailable
		}))
		s.waitCacheListening(t)
		token, ann := s.account(t, "ann-cache@example.com")
		s.setProfile(t, token, map[string]any{"display_name": "Ann"})
		first := s.logReview(t, token, map[string]any{"manual_title": "Cache Me If You Can", "manual_release_year": 2002, "rating": 4, "watched_at": watched(0), "comment": "first-viewing"})
		movie := first.Movie.ID

		paths := []string{
			"/api/diary", "/api/diary?user_id=" + ann, "/api/movies/" + movie + "/history",
			"/api/stats", "/api/users/" + ann, "/api/users/" + ann + "/stats",
			"/diary", "/feed.rss", "/users/" + ann, "/users/" + ann + "/feed.rss", "/embed/users/" + ann,
			"/stats", "/stats/2024", "/users/" + ann + "/years/2024",
		}
		etags := map[string]string{}
		for _, p := range paths {
			etags[p] = s.conditional(t, p).Header.Get("ETag")
		}
		// Read again: answered from the cache now. (On SQLite the change
		// listener reports this process's own writes too, up to a poll
		// interval later, which may empty the cache once more: a pass of
		// reads that are all hits must come.)
		eventually(t, "a pass of reads all answered from the cache", func() bool {
			hits := s.metric(t, "moviediary_cache_hits_total", "")
			for _, p := range paths {
				if r := s.get(t, p); r.Header.Get("ETag") != etags[p] {
					t.Fatalf("GET %s changed with nothing written: %s", p, r.Header.Get("ETag"))
				}
			}
			return s.metric(t, "moviediary_cache_hits_total", "") >= hits+float64(len(paths))
		})

		// changed requires the next read of every path but the profile
		// (which no viewing changes) to differ from the last.
		changed := func(what string, contains map[string]string) {
			t.Helper()
			for _, p := range paths {
				if p == "/api/users/"+ann {
					continue
				}
				r := s.get(t, p)
				if r.Status != http.StatusOK {
					t.Fatalf("after %s, GET %s: %s", what, p, r)
				}
				if tag := r.Header.Get("ETag"); tag == etags[p] {
					t.Errorf("after %s, GET %s still answers %s", what, p, tag)
				} else {
					etags[p] = tag
				}
				if want, ok := contains[p]; ok && !strings.Contains(string(r.Body), want) {
					t.Errorf("after %s, GET %s does not show %q", what, p, want)
				}
			}
		}

		// A log: the next read of every page shows it.
		second := s.logReview(t, token, map[string]any{"manual_title": "Cache Me If You Can", "manual_release_year": 2002, "rating": 2.5, "watched_at": watched(24), "comment": "second-viewing"})
		changed("a log", map[string]string{"/api/diary": second.Review.ID, "/diary": "second-viewing", "/feed.rss": "second-viewing", "/users/" + ann: "second-viewing", "/embed/users/" + ann: "Cache Me If You Can"})
		if st := s.stats(t, "/api/users/"+ann+"/stats", ""); st.Viewings != 2 || st.Rewatches != 1 || st.Films != 1 {
			t.Fatalf("stats after two viewings of one film: %+v", st)
		}

		// An edit.
		r := s.call(t, http.MethodPatch, "/api/reviews/"+second.Review.ID, map[string]any{"comment": "edited-viewing", "rating": 5}, token)
		if r.Status != http.StatusOK {
			t.Fatalf("edit: %s", r)
		}
		changed("an edit", map[string]string{"/diary": "edited-viewing", "/feed.rss": "edited-viewing", "/users/" + ann: "edited-viewing"})
		if st := s.stats(t, "/api/stats", ""); st.AverageRating == nil || *st.AverageRating != 4.5 {
			t.Fatalf("average after the edit: %+v", st.AverageRating)
		}

		// A delete.
		if r := s.call(t, http.MethodDelete, "/api/reviews/"+second.Review.ID, nil, token); r.Status != http.StatusNoContent {
			t.Fatalf("delete: %s", r)
		}
		changed("a delete", nil)
		for _, p := range []string{"/diary", "/feed.rss", "/users/" + ann, "/api/diary"} {
			if body := string(s.get(t, p).Body); strings.Contains(body, "edited-viewing") || strings.Contains(body, second.Review.ID) {
				t.Errorf("GET %s still shows the deleted viewing", p)
			}
		}

		// A stored poster: the film's poster arrives in the background;
		// the pages showing it change without anything else written.
		withPoster := s.logReview(t, token, map[string]any{"external_metadata_id": "tt0111161", "watched_at": watched(48)})
		before := s.get(t, "/users/"+ann)
		if before.Status != http.StatusOK || strings.Contains(string(before.Body), "/posters/"+withPoster.Movie.ID) {
			t.Fatalf("the user page before the poster was stored: %s", before)
		}
		s.get(t, "/users/"+ann) // cached now
		postersOpen.Store(true)
		s.waitForPoster(t, withPoster.Movie.ID)
		after := s.get(t, "/users/"+ann)
		if !strings.Contains(string(after.Body), "/posters/"+withPoster.Movie.ID) || after.Header.Get("ETag") == before.Header.Get("ETag") {
			t.Fatalf("the user page does not show the stored poster: %s", after)
		}
	})
}

// TestPrivateDiaryIsAbsentFromEveryPublicRead: a private diary's viewings
// are on no public page, feed, embed, statistic or API read, for anyone but
// its owner; and no public output carries an email address.
func TestPrivateDiaryIsAbsentFromEveryPublicRead(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"))
		pubToken, pub := s.account(t, "quinn-public@example.com")
		privToken, priv := s.account(t, "petra-private@example.com")
		p := s.setProfile(t, privToken, map[string]any{"display_name": "Petra", "private": true})
		if !p.Private || p.DisplayName == nil || *p.DisplayName != "Petra" || p.Email != "petra-private@example.com" || p.ID != priv {
			t.Fatalf("PATCH /api/users/me answered %+v", p)
		}
		s.setProfile(t, pubToken, map[string]any{"display_name": "Quinn"})
		shared := s.logReview(t, pubToken, map[string]any{"manual_title": "Shared Film", "manual_release_year": 1999, "rating": 3, "watched_at": watched(0), "comment": "quinn-public-comment"})
		secret := s.logReview(t, privToken, map[string]any{"manual_title": "Shared Film", "manual_release_year": 1999, "rating": 1, "watched_at": watched(1), "comment": "petra-secret-comment"})
		s.logReview(t, privToken, map[string]any{"manual_title": "Petra Secret Film", "manual_release_year": 2010, "watched_at": watched(2)})
		if shared.Movie.ID != secret.Movie.ID {
			t.Fatalf("the two viewings are of two films")
		}
		movie := shared.Movie.ID
		secrets := []string{"petra-secret-comment", "Petra Secret Film", secret.Review.ID, "Petra"}
		emails := []string{"quinn-public@example.com", "petra-private@example.com", "@example.com"}

		// Signed out (and signed in as someone else): the private diary
		// is nowhere.
		for _, viewer := range []string{"", pubToken} {
			public := []string{
				"/api/diary", "/api/diary?movie_id=" + movie, "/api/movies/" + movie + "/history", "/api/stats",
				"/api/users/" + pub, "/api/users/" + pub + "/stats",
				"/diary", "/diary?movie_id=" + movie, "/feed.rss", "/stats", "/stats/2024",
				"/users/" + pub, "/users/" + pub + "/feed.rss", "/users/" + pub + "/years/2024", "/embed/users/" + pub,
			}
			for _, path := range public {
				r := s.call(t, http.MethodGet, path, nil, viewer)
				if r.Status != http.StatusOK {
					t.Fatalf("GET %s: %s", path, r)
				}
				body := string(r.Body)
				for _, s := range secrets {
					if strings.Contains(body, s) {
						t.Errorf("GET %s (signed in: %v) shows the private diary's %q", path, viewer != "", s)
					}
				}
				if viewer == "" {
					for _, e := range emails {
						if strings.Contains(body, e) {
							t.Errorf("GET %s shows an email address (%s)", path, e)
						}
					}
				}
			}
			for _, path := range []string{
				"/api/diary?user_id=" + priv, "/api/users/" + priv, "/api/users/" + priv + "/stats",
				"/users/" + priv, "/users/" + priv + "/feed.rss", "/users/" + priv + "/years/2024", "/embed/users/" + priv,
			} {
				if r := s.call(t, http.MethodGet, path, nil, viewer); r.Status != http.StatusNotFound {
					t.Errorf("GET %s (signed in: %v): %d, want 404", path, viewer != "", r.Status)
				}
			}
			d := diaryOf(t, s, "", viewer)
			if d.TotalCount != 1 || len(d.Items) != 1 || d.Items[0].Review.ID != shared.Review.ID {
				t.Errorf("the whole diary signed in %v: %d entries, total %d; want Quinn's one", viewer != "", len(d.Items), d.TotalCount)
			}
			var h historyJSON
			decodeStrict(t, s.call(t, http.MethodGet, "/api/movies/"+movie+"/history", nil, viewer), http.StatusOK, &h)
			if len(h.Viewings) != 1 || h.Viewings[0].ID != shared.Review.ID {
				t.Errorf("history signed in %v: %d viewings, want Quinn's one", viewer != "", len(h.Viewings))
			}
			if st := s.stats(t, "/api/stats", viewer); st.Viewings != 1 || st.Films != 1 || st.AverageRating == nil || *st.AverageRating != 3 {
				t.Errorf("whole-diary stats signed in %v count the private diary: %+v", viewer != "", st)
			}
		}
		// Its owner sees it all.
		d := diaryOf(t, s, "", privToken)
		if d.TotalCount != 3 {
			t.Errorf("the owner's whole diary: total %d, want 3 (theirs and Quinn's)", d.TotalCount)
		}
		if d := diaryOf(t, s, "user_id="+priv, privToken); d.TotalCount != 2 {
			t.Errorf("the owner's own diary: total %d, want 2", d.TotalCount)
		}
		if st := s.stats(t, "/api/users/"+priv+"/stats", privToken); st.Viewings != 2 || st.Rated != 1 {
			t.Errorf("the owner's stats: %+v", st)
		}
		if st := s.stats(t, "/api/stats", privToken); st.Viewings != 1 {
			t.Errorf("the whole diary's stats never count a private diary, the reader's own included: %+v", st)
		}
		var me profileJSON
		decodeStrict(t, s.call(t, http.MethodGet, "/api/users/me", nil, privToken), http.StatusOK, &me)
		if me.Email != "petra-private@example.com" || !me.Private {
			t.Errorf("GET /api/users/me: %+v", me)
		}
		var u struct {
			ID          string  `json:"id"`
			DisplayName *string `json:"display_name"`
		}
		decodeStrict(t, s.call(t, http.MethodGet, "/api/users/"+priv, nil, privToken), http.StatusOK, &u)
		if u.ID != priv || u.DisplayName == nil || *u.DisplayName != "Petra" {
			t.Errorf("GET /api/users/{own id}: %+v", u)
		}

		// Made public again, the diary shows at once.
		s.setProfile(t, privToken, map[string]any{"private": false})
		if r := s.get(t, "/users/"+priv); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "Petra") {
			t.Fatalf("the diary made public: %s", r)
		}
		if d := diaryOf(t, s, "", ""); d.TotalCount != 3 {
			t.Fatalf("the whole diary after the diary was made public: total %d, want 3", d.TotalCount)
		}

		// Bad profile input: 400 naming the field, nothing changed.
		for _, bad := range []string{`{"display_name":""}`, `{"display_name":"` + strings.Repeat("x", 51) + `"}`, `{"private":"yes"}`, `{"nickname":"x"}`} {
			r := s.call(t, http.MethodPatch, "/api/users/me", bad, privToken)
			if r.Status != http.StatusBadRequest {
				t.Errorf("PATCH %s: %s, want 400", bad, r)
			}
		}
		decodeStrict(t, s.call(t, http.MethodGet, "/api/users/me", nil, privToken), http.StatusOK, &me)
		if me.DisplayName == nil || *me.DisplayName != "Petra" || me.Private {
			t.Errorf("a refused PATCH changed the profile: %+v", me)
		}
		if r := s.call(t, http.MethodPatch, "/api/users/me", map[string]any{"private": true}, ""); r.Status != http.StatusUnauthorized {
			t.Errorf("PATCH signed out: %s, want 401", r)
		}
	})
}

// waitCacheListening waits until the server's page cache hears the
// changes of other processes: until its change listener's first read it is
// suspended and every read goes to the database.
func (s *server) waitCacheListening(t *testing.T) {
	t.Helper()
	eventually(t, "the page cache to listen", func() bool {
		return s.metric(t, "moviediary_cache_suspended", "") == 0 && strings.Contains(string(s.get(t, "/metrics").Body), "moviediary_cache_suspended 0")
	})
}

// diaryOf GETs /api/diary?query as token's owner ("" signed out).
func diaryOf(t *testing.T, s *server, query, token string) diaryJSON {
	t.Helper()
	var d diaryJSON
	decodeStrict(t, s.call(t, http.MethodGet, "/api/diary?"+query, nil, token), http.StatusOK, &d)
	return d
}

// TestOnlyTheEmbedIsFramable: the widget may be framed by EMBED_ORIGINS
// only; every other page by no one.
func TestOnlyTheEmbedIsFramable(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("EMBED_ORIGINS", "https://blog.example, https://me.example:8443/"))
		token, user := s.account(t, "frame@example.com")
		s.logReview(t, token, map[string]any{"manual_title": "Framed", "manual_release_year": 2001, "watched_at": watched(0)})

		embed := s.get(t, "/embed/users/"+user)
		csp := embed.Header.Get("Content-Security-Policy")
		if embed.Status != http.StatusOK || embed.Header.Get("X-Frame-Options") != "" ||
			!strings.Contains(csp, "frame-ancestors https://blog.example https://me.example:8443") {
			t.Fatalf("embed: %d, X-Frame-Options %q, CSP %q", embed.Status, embed.Header.Get("X-Frame-Options"), csp)
		}
		if !strings.Contains(string(embed.Body), "Framed") || !strings.Contains(string(embed.Body), `target="_top"`) && !strings.Contains(string(embed.Body), `target="_blank"`) {
			t.Fatalf("embed body: %s", embed)
		}
		for _, p := range []string{"/diary", "/users/" + user, "/stats", "/login", "/users/" + user + "/years/2024"} {
			r := s.get(t, p)
			if r.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
				t.Errorf("GET %s: X-Frame-Options %q, CSP %q; want it not framable", p, r.Header.Get("X-Frame-Options"), r.Header.Get("Content-Security-Policy"))
			}
		}
		// Without EMBED_ORIGINS no one may frame the widget either.
		plain := startApp(t, db)
		token, user = plain.account(t, "frame2@example.com")
		plain.logReview(t, token, map[string]any{"manual_title": "Framed", "manual_release_year": 2001, "watched_at": watched(0)})
		if csp := plain.get(t, "/embed/users/"+user).Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("embed without EMBED_ORIGINS: CSP %q", csp)
		}
	})
}

// TestCacheFollowsAnotherProcess: two server processes on one PostgreSQL;
// what one writes, the other's cached reads show once its change listener
// hears of it (the benchmark measures how soon: docs/bench/http.md).
func TestCacheFollowsAnotherProcess(t *testing.T) {
	t.Parallel()
	a := startApp(t, "postgres")
	b := startApp(t, "postgres", withDatabaseOf(a))
	b.waitCacheListening(t)
	token, user := a.account(t, "two-processes@example.com")
	a.logReview(t, token, map[string]any{"manual_title": "Process One", "manual_release_year": 2003, "watched_at": watched(0)})

	paths := []string{"/api/diary?user_id=" + user, "/users/" + user, "/feed.rss", "/api/users/" + user + "/stats"}
	// B answers from its cache.
	eventually(t, "process B to answer from its cache", func() bool {
		hits := b.metric(t, "moviediary_cache_hits_total", "")
		for _, p := range paths {
			b.get(t, p)
			b.get(t, p)
		}
		return b.metric(t, "moviediary_cache_hits_total", "") >= hits+float64(len(paths))
	})
	var lags []time.Duration
	for i := range 5 {
		etags := map[string]string{}
		for _, p := range paths {
			etags[p] = b.get(t, p).Header.Get("ETag")
		}
		title := fmt.Sprintf("Process Two %d", i)
		// A log changes every one of the paths; a display name only the
		// pages that show it.
		changes := paths
		if i%3 == 2 {
			a.setProfile(t, token, map[string]any{"display_name": title})
			changes = []string{"/users/" + user}
		} else {
			a.logReview(t, token, map[string]any{"manual_title": title, "manual_release_year": 2004, "watched_at": watched(10 + i)})
		}
		written := time.Now()
		for _, p := range changes {
			eventually(t, "process B to show what A wrote on "+p, func() bool {
				return b.get(t, p).Header.Get("ETag") != etags[p]
			})
		}
		lags = append(lags, time.Since(written))
		if body := string(b.get(t, "/users/"+user).Body); !strings.Contains(body, title) {
			t.Fatalf("process B's page of the user does not show %q", title)
		}
	}
	slices.Sort(lags)
	t.Logf("process B showed A's writes after %v (sorted; includes the polling reads)", lags)
}

// TestPublicReadsRefusals: the profile and statistics routes refuse bad
// input with a problem naming it, a bearer token that does not sign in
// with 401 (also on the public reads, where a token is optional), and
// answer 503 while the database is away.
func TestPublicReadsRefusals(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withDatabaseProxy())
		token, user := s.account(t, "refusals@example.com")
		e := s.logReview(t, token, map[string]any{"manual_title": "Refused", "manual_release_year": 2011, "watched_at": watched(0)})

		for _, path := range []string{"/api/diary", "/api/movies/" + e.Movie.ID + "/history", "/api/stats", "/api/users/" + user, "/api/users/" + user + "/stats", "/api/users/me"} {
			expectProblem(t, s.call(t, http.MethodGet, path, nil, "not-a-token"), http.StatusUnauthorized)
		}
		expectProblem(t, s.call(t, http.MethodGet, "/api/users/me", nil, ""), http.StatusUnauthorized)
		for _, path := range []string{"/api/stats?year=24", "/api/users/" + user + "/stats?year=twenty"} {
			expectProblem(t, s.get(t, path), http.StatusBadRequest, "year")
		}
		if r := s.get(t, "/api/users/not-an-id/stats"); r.Status != http.StatusNotFound {
			t.Errorf("stats of a malformed user ID: %s, want 404", r)
		}
		huge := `{"display_name":"` + strings.Repeat("x", 1<<20) + `"}`
		expectProblem(t, s.call(t, http.MethodPatch, "/api/users/me", huge, token), http.StatusRequestEntityTooLarge)
		expectProblem(t, s.call(t, http.MethodPatch, "/api/users/me", "display_name=Ann", token, "Content-Type", "application/x-www-form-urlencoded"), http.StatusUnsupportedMediaType)
		var me profileJSON
		decodeStrict(t, s.call(t, http.MethodGet, "/api/users/me", nil, token), http.StatusOK, &me)
		if me.DisplayName != nil {
			t.Fatalf("a refused PATCH set the name: %+v", me)
		}

		// The database goes away: nothing is answered from memory that
		// cannot be vouched for, and what needs the database is a 503.
		if s.dbProxy != nil {
			s.dbProxy.cut()
		} else if err := s.app.Store().Close(); err != nil {
			t.Fatalf("close the store: %v", err)
		}
		for _, r := range []response{
			s.get(t, "/api/stats?year=2020"),
			s.get(t, "/api/users/"+user),
			s.get(t, "/api/users/"+user+"/stats?year=2020"),
			s.call(t, http.MethodGet, "/api/users/me", nil, token),
			s.call(t, http.MethodPatch, "/api/users/me", map[string]any{"display_name": "Outage"}, token),
		} {
			expectProblem(t, r, http.StatusServiceUnavailable)
		}
		if s.dbProxy != nil {
			s.dbProxy.restore()
		}
	})
}

// TestPublicReadsAreCompressed: a client that accepts gzip gets every
// public read compressed, under an ETag of its own, and revalidates it with
// that tag; a client that does not (or refuses gzip) gets the same body as
// it is.
func TestPublicReadsAreCompressed(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		s.waitCacheListening(t)
		token, ann := s.account(t, "ann-gzip@example.com")
		for i := range 5 {
			s.logReview(t, token, map[string]any{"manual_title": fmt.Sprintf("Compressible %d", i), "manual_release_year": 2000 + i, "rating": 3.5, "watched_at": watched(i), "comment": "a comment long enough to be worth compressing, as most are"})
		}
		raw := func(path string, header map[string]string) response {
			t.Helper()
			r, _, err := s.send(http.MethodGet, path, nil, header) // the header set: the client does not decompress
			if err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			return r
		}
		for _, p := range []string{"/api/diary", "/diary", "/feed.rss", "/users/" + ann, "/api/users/" + ann + "/stats", "/embed/users/" + ann} {
			plain := raw(p, map[string]string{"Accept-Encoding": "identity"})
			if plain.Status != http.StatusOK || plain.Header.Get("Content-Encoding") != "" {
				t.Fatalf("GET %s, identity: %s (Content-Encoding %q)", p, plain, plain.Header.Get("Content-Encoding"))
			}
			if n, _ := strconv.Atoi(plain.Header.Get("Content-Length")); n != len(plain.Body) {
				t.Errorf("GET %s, identity: Content-Length %q for %d bytes", p, plain.Header.Get("Content-Length"), len(plain.Body))
			}
			gz := raw(p, map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
			if gz.Status != http.StatusOK || gz.Header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("GET %s, gzip: %s (Content-Encoding %q)", p, gz, gz.Header.Get("Content-Encoding"))
			}
			zr, err := gzip.NewReader(bytes.NewReader(gz.Body))
			if err != nil {
				t.Fatalf("GET %s, gzip: %v", p, err)
			}
			if body, err := io.ReadAll(zr); err != nil || !bytes.Equal(body, plain.Body) {
				t.Fatalf("GET %s: the gzip body (%d bytes) does not decompress to the plain one (%d bytes): %v", p, len(gz.Body), len(plain.Body), err)
			}
			if len(gz.Body) >= len(plain.Body) {
				t.Errorf("GET %s: %d bytes compressed from %d", p, len(gz.Body), len(plain.Body))
			}
			if !strings.Contains(gz.Header.Get("Vary"), "Accept-Encoding") || !strings.Contains(plain.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("GET %s: Vary %q / %q, want Accept-Encoding named", p, plain.Header.Get("Vary"), gz.Header.Get("Vary"))
			}
			plainTag, gzTag := plain.Header.Get("ETag"), gz.Header.Get("ETag")
			if plainTag == gzTag || !strings.HasPrefix(gzTag, `"`) {
				t.Fatalf("GET %s: ETag %s plain, %s gzip: want two strong tags", p, plainTag, gzTag)
			}
			if r := raw(p, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": gzTag}); r.Status != http.StatusNotModified || len(r.Body) != 0 || r.Header.Get("ETag") != gzTag {
				t.Errorf("GET %s, gzip, If-None-Match its tag: %s", p, r)
			}
			if r := raw(p, map[string]string{"Accept-Encoding": "identity", "If-None-Match": gzTag}); r.Status != http.StatusOK || !bytes.Equal(r.Body, plain.Body) {
				t.Errorf("GET %s, identity, If-None-Match the gzip tag: %s, want the plain 200", p, r)
			}
			if r := raw(p, map[string]string{"Accept-Encoding": "gzip;q=0, *"}); r.Header.Get("Content-Encoding") != "" || !bytes.Equal(r.Body, plain.Body) {
				t.Errorf("GET %s, gzip refused: Content-Encoding %q", p, r.Header.Get("Content-Encoding"))
			}
		}
	})
}

// TestPagesLinkTheirStylesheet: every HTML page links one stylesheet of the
// diary's own, served as CSS to be kept for good (its path names its
// content), compressed for clients that accept it; the page's policy
// allows stylesheets from the site and nothing inline.
func TestPagesLinkTheirStylesheet(t *testing.T) {
	s := startApp(t, "sqlite")
	_, ann := s.account(t, "ann-style@example.com")
	hrefs := map[string]bool{}
	for _, p := range []string{"/diary", "/login", "/users/" + ann, "/stats", "/embed/users/" + ann, "/no-such-page"} {
		r := s.get(t, p, "Accept", "text/html")
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'self';") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("GET %s: Content-Security-Policy %q", p, csp)
		}
		if strings.Contains(string(r.Body), "<style") {
			t.Errorf("GET %s: an inline style element", p)
		}
		m := regexp.MustCompile(`<link rel="stylesheet" href="(/static/[a-z]+\.[0-9a-f]{12}\.css)">`).FindStringSubmatch(string(r.Body))
		if m == nil {
			t.Fatalf("GET %s links no stylesheet: %.300s", p, r.Body)
		}
		hrefs[m[1]] = true
	}
	if len(hrefs) != 2 {
		t.Errorf("the pages link %d stylesheets, want 2 (the pages', the widget's): %v", len(hrefs), hrefs)
	}
	for href := range hrefs {
		r := s.get(t, href)
		if r.Status != http.StatusOK || r.ContentType() != "text/css; charset=utf-8" || !strings.Contains(string(r.Body), "prefers-color-scheme: dark") {
			t.Fatalf("GET %s: %s", href, r)
		}
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("GET %s: Cache-Control %q, want it kept for good", href, cc)
		}
		gz, _, err := s.send(http.MethodGet, href, nil, map[string]string{"Accept-Encoding": "gzip"})
		if err != nil || gz.Header.Get("Content-Encoding") != "gzip" || len(gz.Body) >= len(r.Body) {
			t.Errorf("GET %s with gzip: Content-Encoding %q, %d bytes of %d (%v)", href, gz.Header.Get("Content-Encoding"), len(gz.Body), len(r.Body), err)
		}
		if again := s.get(t, href, "If-None-Match", r.Header.Get("ETag")); again.Status != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: %s, want 304", href, again)
		}
	}
	if r := s.get(t, "/static/style.000000000000.css"); r.Status != http.StatusNotFound || r.ContentType() != "application/problem+json" {
		t.Errorf("an unknown stylesheet: %s, want a problem+json 404", r)
	}
}
