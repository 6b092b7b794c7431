package e2e_test

import (
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDiary_Paging logs 25 entries (two users, five films, ties in
// watched_at) and walks the diary by cursor and by offset, both ways, with
// and without filters.
func TestDiary_Paging(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"))
		alice, aliceID := s.account(t, "alice@example.com")
		bob, bobID := s.account(t, "bob@example.com")
		movieOf := map[int]string{} // film number → movie ID
		type logged struct{ review, movie, user string }
		var all []logged
		for i := range 25 {
			token, user := alice, aliceID
			if i%5 >= 3 {
				token, user = bob, bobID
			}
			f := i % 5
			e := s.logReview(t, token, map[string]any{
				"manual_title":        fmt.Sprintf("Paging Film %d", f),
				"manual_release_year": 2001 + f,
				"rating":              i % 6,
				"watched_at":          watched(i / 2), // pairs share a watched_at
			})
			if id, ok := movieOf[f]; ok && id != e.Movie.ID {
				t.Fatalf("film %d stored twice: %s and %s", f, id, e.Movie.ID)
			}
			movieOf[f] = e.Movie.ID
			all = append(all, logged{e.Review.ID, e.Movie.ID, user})
		}

		walks := []struct {
			name   string
			query  string
			want   func(logged) bool
			total  int
			limits []int
		}{
			{"everything", "", func(logged) bool { return true }, 25, []int{10, 7}},
			{"one movie", "movie_id=" + movieOf[0], func(l logged) bool { return l.movie == movieOf[0] }, 5, []int{2}},
			{"one user", "user_id=" + bobID, func(l logged) bool { return l.user == bobID }, 10, []int{10, 3}},
			{"movie and user", "movie_id=" + movieOf[4] + "&user_id=" + bobID, func(l logged) bool { return l.movie == movieOf[4] && l.user == bobID }, 5, []int{2}},
			{"movie of the other user", "movie_id=" + movieOf[0] + "&user_id=" + bobID, func(logged) bool { return false }, 0, []int{5}},
		}
		for _, w := range walks {
			var want []string
			for _, l := range all {
				if w.want(l) {
					want = append(want, l.review)
				}
			}
			if len(want) != w.total {
				t.Fatalf("%s: test data has %d entries, want %d", w.name, len(want), w.total)
			}
			for _, limit := range w.limits {
				t.Run(fmt.Sprintf("%s limit %d", w.name, limit), func(t *testing.T) {
					var desc []string
					for _, sort := range []string{"", "sort_by=desc", "sort_by=asc"} {
						q := strings.Trim(strings.Join([]string{w.query, sort, fmt.Sprintf("limit=%d", limit)}, "&"), "&")
						q = strings.ReplaceAll(q, "&&", "&")
						byCursor := walkCursor(t, s, q, limit, w.total)
						byOffset := walkOffset(t, s, q, limit, w.total)
						if !slices.Equal(ids(byCursor), ids(byOffset)) {
							t.Fatalf("%s: cursor walk %v differs from offset walk %v", q, ids(byCursor), ids(byOffset))
						}
						got := ids(byCursor)
						if !sameSet(got, want) {
							t.Fatalf("%s: walked %v, want the set %v", q, got, want)
						}
						asc := sort == "sort_by=asc"
						for i := 1; i < len(byCursor); i++ {
							a, b := byCursor[i-1].Review.WatchedAt, byCursor[i].Review.WatchedAt
							if (asc && a > b) || (!asc && a < b) {
								t.Fatalf("%s: watched_at %s before %s", q, a, b)
							}
						}
						switch sort {
						case "":
							desc = got
						case "sort_by=desc":
							if !slices.Equal(got, desc) {
								t.Errorf("sort_by=desc differs from the default order")
							}
						case "sort_by=asc":
							rev := slices.Clone(got)
							slices.Reverse(rev)
							if !slices.Equal(rev, desc) {
								t.Errorf("asc is not the reverse of desc:\n asc %v\ndesc %v", got, desc)
							}
						}
					}
				})
			}
		}

		// Past the end: an empty page that still counts everything.
		d := s.diary(t, "offset=30&limit=10")
		if len(d.Items) != 0 || d.TotalCount != 25 || d.NextCursor != nil || d.Offset == nil || *d.Offset != 30 {
			t.Errorf("offset past the end = %+v", d)
		}
		// Defaults: limit 20, offset 0, newest first.
		d = s.diary(t, "")
		if d.Limit != 20 || d.Offset == nil || *d.Offset != 0 || len(d.Items) != 20 || d.NextCursor == nil {
			t.Errorf("default page: limit %d offset %v items %d next %v", d.Limit, d.Offset, len(d.Items), d.NextCursor)
		}
	})
}

// walkCursor follows next_cursor from the first page of query and checks
// every page: total_count, offset (0 on the first page, null after),
// next_cursor (null only on the last page), page sizes.
func walkCursor(t *testing.T, s *server, query string, limit, total int) []entryJSON {
	t.Helper()
	var out []entryJSON
	d := s.diary(t, query)
	for page := 0; ; page++ {
		if d.TotalCount != total || d.Limit != limit {
			t.Fatalf("%s page %d: total_count %d limit %d, want %d and %d", query, page, d.TotalCount, d.Limit, total, limit)
		}
		switch {
		case page == 0 && (d.Offset == nil || *d.Offset != 0):
			t.Fatalf("%s: first page offset = %v, want 0", query, d.Offset)
		case page > 0 && d.Offset != nil:
			t.Fatalf("%s page %d: offset = %d on a cursor page, want null", query, page, *d.Offset)
		}
		out = append(out, d.Items...)
		if d.NextCursor == nil {
			break
		}
		if len(d.Items) != limit || len(out) >= total {
			t.Fatalf("%s page %d: %d items with a next_cursor after %d of %d", query, page, len(d.Items), len(out), total)
		}
		d = s.diary(t, query+"&cursor="+url.QueryEscape(*d.NextCursor))
	}
	if len(out) != total {
		t.Fatalf("%s: cursor walk read %d entries, want %d", query, len(out), total)
	}
	return out
}

// walkOffset pages through query by offset.
func walkOffset(t *testing.T, s *server, query string, limit, total int) []entryJSON {
	t.Helper()
	var out []entryJSON
	for offset := 0; ; offset += limit {
		d := s.diary(t, fmt.Sprintf("%s&offset=%d", query, offset))
		if d.TotalCount != total || d.Offset == nil || *d.Offset != offset {
			t.Fatalf("%s offset %d: total_count %d offset %v", query, offset, d.TotalCount, d.Offset)
		}
		out = append(out, d.Items...)
		last := offset+limit >= total
		if last != (d.NextCursor == nil) {
			t.Fatalf("%s offset %d: next_cursor %v on a page that is last=%v", query, offset, d.NextCursor, last)
		}
		if last {
			break
		}
	}
	return out
}

func ids(entries []entryJSON) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Review.ID
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestLogReview_OMDbDown: with OMDb answering 503, a log by IMDb ID with a
// title and year makes a manual movie that keeps the ID; without them it is
// a 400 that says why. OMDb is asked once per request, never twice.
func TestLogReview_OMDbDown(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		// No poster retries: the one background attempt is easy to count.
		s := startApp(t, db, withEnv("POSTER_SYNC_MAX_RETRIES", "0"))
		token, _ := s.account(t, "owner@example.com")
		s.omdb.down.Store(true)

		before := s.omdb.requests.Load()
		e := s.logReview(t, token, map[string]any{
			"external_metadata_id": "tt7654321", "manual_title": "Offline Film", "manual_release_year": 2020,
			"manual_director": "Jane Doe", "rating": 3, "watched_at": watched(0),
		})
		m := e.Movie
		if m.ExternalMetadataID == nil || *m.ExternalMetadataID != "tt7654321" || m.Title != "Offline Film" ||
			m.ReleaseYear != 2020 || m.Director == nil || *m.Director != "Jane Doe" || m.PosterURL != nil || m.PosterPath != nil {
			t.Errorf("manual movie = %+v, want the given title, year, director and external ID", m)
		}
		// The new movie has an external ID: MovieDiscovered, whose one
		// poster attempt asks the (down) OMDb once more and gives up. It
		// runs in the background, so the log's own request is counted
		// together with it: one each.
		s.waitMetric(t, "moviediary_poster_sync_attempts_total", `result="failure"`, 1)
		afterSync := s.omdb.requests.Load()
		if afterSync-before != 2 {
			t.Errorf("OMDb requests = %d, want 2 (the log and the poster sync)", afterSync-before)
		}

		r := s.postJSON(t, "/api/reviews", map[string]any{"external_metadata_id": "tt7654322", "rating": 3, "watched_at": watched(1)}, token)
		expectProblem(t, r, http.StatusBadRequest, "manual_title", "lookup", "failed", "title and a release year")
		if n := s.omdb.requests.Load() - afterSync; n != 1 {
			t.Errorf("a refused log asked OMDb %d times, want once", n)
		}
		if got := s.totalCount(t); got != 1 {
			t.Errorf("total_count = %d, want 1", got)
		}

		// OMDb is back: the kept ID is the film's identity, so a log by it
		// reuses the movie without asking OMDb.
		s.omdb.down.Store(false)
		again := s.omdb.requests.Load()
		e2 := s.logReview(t, token, map[string]any{"external_metadata_id": "tt7654321", "rating": 4, "watched_at": watched(2)})
		if e2.Movie.ID != m.ID {
			t.Errorf("log by the kept ID made movie %s, want %s", e2.Movie.ID, m.ID)
		}
		if n := s.omdb.requests.Load() - again; n != 0 {
			t.Errorf("a log of a stored film asked OMDb %d times", n)
		}
	})
}

// TestFeedAndPages: the RSS feed and the HTML diary.
func TestFeedAndPages(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		token, _ := s.account(t, "owner@example.com")
		first := s.logReview(t, token, map[string]any{"external_metadata_id": "tt0211915", "rating": 5, "comment": "Le fabuleux <destin> & co", "watched_at": "2024-02-01T20:00:00"})
		newest := s.logReview(t, token, map[string]any{"external_metadata_id": "tt0903747", "rating": 4, "watched_at": "2024-03-01T20:00:00"})
		middle := s.logReview(t, token, map[string]any{"manual_title": "Tom & Jerry: The Movie", "manual_release_year": 1992, "rating": 2, "watched_at": "2024-02-15T20:00:00"})

		r := s.get(t, "/feed.rss")
		if r.Status != http.StatusOK || r.ContentType() != "application/rss+xml; charset=utf-8" {
			t.Fatalf("GET /feed.rss = %d %q", r.Status, r.ContentType())
		}
		var feed struct {
			XMLName xml.Name `xml:"rss"`
			Version string   `xml:"version,attr"`
			Channel struct {
				Title string `xml:"title"`
				Links []struct {
					XMLName xml.Name
					Value   string `xml:",chardata"`
					Href    string `xml:"href,attr"`
				} `xml:"link"` // the RSS link and the atom:link rel="self"
				Items []struct {
					Title       string `xml:"title"`
					Link        string `xml:"link"`
					Description string `xml:"description"`
					PubDate     string `xml:"pubDate"`
					GUID        struct {
						Value     string `xml:",chardata"`
						PermaLink string `xml:"isPermaLink,attr"`
					} `xml:"guid"`
				} `xml:"item"`
			} `xml:"channel"`
		}
		if err := xml.Unmarshal(r.Body, &feed); err != nil {
			t.Fatalf("feed is not XML: %v\n%s", err, r.Body)
		}
		var link, self string
		for _, l := range feed.Channel.Links {
			if l.XMLName.Space == "" {
				link = l.Value
			} else {
				self = l.Href
			}
		}
		if feed.Version != "2.0" || feed.Channel.Title != "Movie Diary" || link != "http://diary.example/" || self != "http://diary.example/feed.rss" {
			t.Errorf("channel = %q link %q self %q (version %q)", feed.Channel.Title, link, self, feed.Version)
		}
		wantOrder := []entryJSON{newest, middle, first}
		if len(feed.Channel.Items) != len(wantOrder) {
			t.Fatalf("feed has %d items, want %d", len(feed.Channel.Items), len(wantOrder))
		}
		var prev time.Time
		for i, it := range feed.Channel.Items {
			e := wantOrder[i]
			if it.GUID.Value != e.Review.ID || it.GUID.PermaLink != "false" {
				t.Errorf("item %d guid = %q (isPermaLink %q), want %s", i, it.GUID.Value, it.GUID.PermaLink, e.Review.ID)
			}
			if want := fmt.Sprintf("%s (%d)", e.Movie.Title, e.Movie.ReleaseYear); it.Title != want {
				t.Errorf("item %d title = %q, want %q", i, it.Title, want)
			}
			if want := "http://diary.example/diary?movie_id=" + e.Movie.ID; it.Link != want {
				t.Errorf("item %d link = %q, want %q", i, it.Link, want)
			}
			pub, err := time.Parse(time.RFC1123Z, it.PubDate)
			if err != nil {
				t.Errorf("item %d pubDate %q: %v", i, it.PubDate, err)
			}
			if i > 0 && !pub.Before(prev) {
				t.Errorf("item %d is not older than item %d", i, i-1)
			}
			prev = pub
		}
		// HTML-escaped inside the XML: readers render descriptions as HTML
		// (TestHardening_FeedShowsCommentsLiterally).
		if d := feed.Channel.Items[2].Description; d != "5/5 — Le fabuleux &lt;destin&gt; &amp; co" {
			t.Errorf("description = %q", d)
		}

		root := s.get(t, "/")
		if root.Status != http.StatusSeeOther || root.Header.Get("Location") != "/diary" {
			t.Errorf("GET / = %d to %q, want 303 to /diary", root.Status, root.Header.Get("Location"))
		}
		page := s.get(t, "/diary")
		if page.Status != http.StatusOK || page.ContentType() != "text/html; charset=utf-8" {
			t.Fatalf("GET /diary = %d %q", page.Status, page.ContentType())
		}
		body := string(page.Body)
		for _, e := range wantOrder {
			if !strings.Contains(body, html.EscapeString(e.Movie.Title)) {
				t.Errorf("the diary page does not show %q", e.Movie.Title)
			}
		}
		if strings.Contains(body, "<destin>") || !strings.Contains(body, "&lt;destin&gt;") {
			t.Error("the comment is not escaped on the diary page")
		}
		if i, j := strings.Index(body, "Breaking Bad"), strings.Index(body, "Am\u00e9lie"); i < 0 || j < 0 || i > j {
			t.Error("the diary page does not list the newest entry first")
		}
	})
}

// TestOperationalEndpoints: health, readiness, metrics labelled by route
// pattern, the OpenAPI document, and what the server does when its
// database goes away (and, on PostgreSQL, comes back).
func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withDatabaseProxy())
		for _, path := range []string{"/healthz", "/readyz"} {
			if r := s.get(t, path); r.Status != http.StatusOK || !strings.HasPrefix(r.ContentType(), "application/json") {
				t.Errorf("GET %s = %s", path, r)
			}
		}
		want, err := os.ReadFile(openAPIFile)
		if err != nil {
			t.Fatal(err)
		}
		doc := s.get(t, "/openapi.json")
		if doc.Status != http.StatusOK || !strings.HasPrefix(doc.ContentType(), "application/json") || string(doc.Body) != string(want) {
			t.Errorf("GET /openapi.json = %d %q, %d bytes", doc.Status, doc.ContentType(), len(doc.Body))
		}

		unknown := "0190a8a0-0000-7000-8000-00000000abcd"
		expectProblem(t, s.get(t, "/api/movies/"+unknown+"/history"), http.StatusNotFound)
		expectProblem(t, s.get(t, "/posters/"+unknown), http.StatusNotFound)
		if r := s.get(t, "/no/such/page/"+unknown); r.Status != http.StatusNotFound {
			t.Errorf("unknown path = %d", r.Status)
		}
		m := s.get(t, "/metrics")
		if m.Status != http.StatusOK || !strings.HasPrefix(m.ContentType(), "text/plain") {
			t.Fatalf("GET /metrics = %d %q", m.Status, m.ContentType())
		}
		text := string(m.Body)
		for _, want := range []string{
			`moviediary_http_requests_total{method="GET",route="/api/movies/:id/history",status="404"} 1`,
			`moviediary_http_requests_total{method="GET",route="/posters/:id",status="404"} 1`,
			`moviediary_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
			`moviediary_http_request_duration_seconds_count{method="GET",route="/api/movies/:id/history"} 1`,
		} {
			if !strings.Contains(text, want+"\n") {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		if strings.Contains(text, unknown) || strings.Contains(text, "/no/such/page") {
			t.Error("/metrics has a raw path in a label")
		}

		// The database goes away: readiness says so, liveness does not,
		// and every API operation that needs it answers 503 as problem+json. PostgreSQL
		// is cut off behind a TCP proxy and comes back: the server recovers
		// by itself. SQLite's store is closed for good.
		token, _ := s.account(t, "owner@example.com")
		e := s.logReview(t, token, map[string]any{"manual_title": "Before the Outage", "manual_release_year": 2020, "rating": 4, "watched_at": watched(0)})
		apiToken := s.createToken(t, token, map[string]any{"name": "before the outage"})
		if s.dbProxy != nil {
			s.dbProxy.cut()
		} else if err := s.app.Store().Close(); err != nil {
			t.Fatalf("close the store: %v", err)
		}
		if r := s.get(t, "/readyz"); r.Status != http.StatusServiceUnavailable {
			t.Errorf("GET /readyz without the database = %s, want 503", r)
		}
		if r := s.get(t, "/healthz"); r.Status != http.StatusOK {
			t.Errorf("GET /healthz without the database = %s, want 200", r)
		}
		review := map[string]any{"manual_title": "During the Outage", "manual_release_year": 2021, "rating": 2, "watched_at": watched(1)}
		for _, r := range []response{
			s.get(t, "/api/diary"),
			s.get(t, "/api/movies/"+e.Movie.ID+"/history"),
			s.postJSON(t, "/api/auth/login", map[string]string{"email": "owner@example.com", "password": "correct horse battery"}, ""),
			s.postJSON(t, "/api/reviews", review, token),
			s.postJSON(t, "/api/movies/"+e.Movie.ID+"/sync-poster", nil, token),
			s.call(t, http.MethodPatch, "/api/reviews/"+e.Review.ID, map[string]any{"rating": 1}, token),
			s.call(t, http.MethodDelete, "/api/reviews/"+e.Review.ID, nil, token),
			s.call(t, http.MethodPost, "/api/tokens", map[string]any{"name": "during the outage"}, token),
			s.call(t, http.MethodGet, "/api/tokens", nil, token),
			s.call(t, http.MethodDelete, "/api/tokens/"+apiToken.ID, nil, token),
		} {
			p := expectProblem(t, r, http.StatusServiceUnavailable)
			if strings.Contains(p.Detail, "127.0.0.1") || strings.Contains(p.Detail, "sql") || strings.Contains(p.Detail, "moviediary_test") {
				t.Errorf("503 detail shows internals: %q", p.Detail)
			}
		}
		// Sign-up is closed once the owner exists, and the server knows it
		// without asking the database.
		expectProblem(t, s.postJSON(t, "/api/auth/register", map[string]string{"email": "second@example.com", "password": "long enough"}, ""), http.StatusForbidden, "registration is closed")
		if s.dbProxy == nil {
			return
		}
		s.dbProxy.restore()
		eventually(t, "/readyz to recover", func() bool { return s.get(t, "/readyz").Status == http.StatusOK })
		s.logReview(t, token, review)
		if d := s.diary(t, ""); d.TotalCount != 2 || d.Items[1].Review.ID != e.Review.ID || d.Items[1].Review.rating() != "4" {
			t.Errorf("after the outage the diary holds %+v, want the entry from before (unchanged) and the new one", d)
		}
		if got := s.tokens(t, token); len(got) != 1 || got[0].ID != apiToken.ID {
			t.Errorf("after the outage the tokens are %+v, want the one from before", got)
		}
	})
}
