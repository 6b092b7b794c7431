package e2e_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestBadInput sends every class of bad input of the API and checks that
// each gets the right 4xx as problem+json naming the field, that nothing
// is stored, and that a malformed value never reaches OMDb.
func TestBadInput(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		// Sign-ups are limited to 10 a minute per client: the registrations
		// that must succeed after the refused ones come from other
		// addresses, through the trusted proxy 127.0.0.1.
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"), withEnv("TRUSTED_PROXIES", "127.0.0.1/32"))
		registerFrom := func(addr string, creds map[string]string) response {
			t.Helper()
			return s.do(t, req{method: http.MethodPost, path: "/api/auth/register", body: mustJSON(t, creds),
				header: map[string]string{"Content-Type": "application/json", "X-Forwarded-For": addr}})
		}
		token, _ := s.account(t, "owner@example.com")
		matrix := s.logReview(t, token, map[string]any{"external_metadata_id": "tt0133093", "rating": 4, "watched_at": watched(0)})
		s.logReview(t, token, map[string]any{"manual_title": "Seed Film", "manual_release_year": 2010, "rating": 3, "watched_at": watched(1)})
		first := s.diary(t, "limit=1")
		if first.NextCursor == nil {
			t.Fatalf("no next_cursor on a first page of 1 of 2: %+v", first)
		}
		cursor := *first.NextCursor
		const total = 2
		// The Matrix's poster sync asks OMDb in the background: let it finish
		// before counting, so only this test's requests are counted.
		s.waitForPoster(t, matrix.Movie.ID)
		omdbBefore := s.omdb.requests.Load()

		// review is a valid log body for a film not stored yet, changed by
		// set (a nil value deletes the key).
		review := func(set map[string]any) string {
			body := map[string]any{"external_metadata_id": "tt0114369", "rating": 4, "watched_at": "2024-05-01T20:30:00"}
			for k, v := range set {
				if v == nil {
					delete(body, k)
				} else {
					body[k] = v
				}
			}
			b, _ := json.Marshal(body)
			return string(b)
		}
		huge := `{"external_metadata_id":"tt0114369","rating":4,"watched_at":"2024-05-01","comment":"` + strings.Repeat("x", 1<<20) + `"}`
		hugeCreds := `{"email":"big@example.com","password":"` + strings.Repeat("x", 1<<20) + `"}`
		future := time.Now().UTC().Add(24 * time.Hour).Format("2006-01-02T15:04:05")

		cases := []struct {
			name        string
			method      string
			path        string
			contentType string // "" means application/json; "-" sends none
			body        string
			status      int
			mentions    []string
		}{
			// Wrong JSON types.
			{"rating as a string", "POST", "/api/reviews", "", review(map[string]any{"rating": "5"}), 400, []string{"rating"}},
			{"rating with a fraction", "POST", "/api/reviews", "", review(map[string]any{"rating": 4.3}), 400, []string{"rating", "0.5"}},
			{"watched_at as a number", "POST", "/api/reviews", "", review(map[string]any{"watched_at": 123}), 400, []string{"watched_at"}},
			{"release year as a string", "POST", "/api/reviews", "", review(map[string]any{"manual_title": "Heat", "manual_release_year": "1995"}), 400, []string{"manual_release_year"}},
			{"body is an array", "POST", "/api/reviews", "", `[{"rating":4}]`, 400, []string{"JSON object"}},
			// Out of range.
			{"rating 6", "POST", "/api/reviews", "", review(map[string]any{"rating": 6}), 400, []string{"rating"}},
			{"rating -1", "POST", "/api/reviews", "", review(map[string]any{"rating": -1}), 400, []string{"rating"}},
			{"release year 1887", "POST", "/api/reviews", "", review(map[string]any{"external_metadata_id": nil, "manual_title": "Too Early", "manual_release_year": 1887}), 400, []string{"manual_release_year"}},
			{"title of 256 runes", "POST", "/api/reviews", "", review(map[string]any{"external_metadata_id": nil, "manual_title": strings.Repeat("é", 256), "manual_release_year": 2000}), 400, []string{"manual_title"}},
			{"blank title", "POST", "/api/reviews", "", review(map[string]any{"external_metadata_id": nil, "manual_title": "   ", "manual_release_year": 2000}), 400, []string{"manual_title"}},
			{"comment of 10,001 runes", "POST", "/api/reviews", "", review(map[string]any{"comment": strings.Repeat("ü", 10001)}), 400, []string{"comment"}},
			{"malformed IMDb ID", "POST", "/api/reviews", "", review(map[string]any{"external_metadata_id": "tt12"}), 400, []string{"external_metadata_id"}},
			{"person ID instead of a title ID", "POST", "/api/reviews", "", review(map[string]any{"external_metadata_id": "nm0000209"}), 400, []string{"external_metadata_id"}},
			// Missing fields and bad times.
			{"watched_at missing", "POST", "/api/reviews", "", review(map[string]any{"watched_at": nil}), 400, []string{"watched_at"}},
			{"watched_at empty", "POST", "/api/reviews", "", review(map[string]any{"watched_at": ""}), 400, []string{"watched_at"}},
			{"watched_at not a date", "POST", "/api/reviews", "", review(map[string]any{"watched_at": "yesterday"}), 400, []string{"watched_at"}},
			{"watched_at month 13", "POST", "/api/reviews", "", review(map[string]any{"watched_at": "2024-13-01"}), 400, []string{"watched_at"}},
			{"watched_at in the future", "POST", "/api/reviews", "", review(map[string]any{"watched_at": future}), 400, []string{"watched_at"}},
			{"no film at all", "POST", "/api/reviews", "", review(map[string]any{"external_metadata_id": nil}), 400, []string{"manual_title"}},
			{"every broken field reported", "POST", "/api/reviews", "", review(map[string]any{"rating": 9, "comment": strings.Repeat("c", 10001), "external_metadata_id": "tt1"}), 400, []string{"rating", "comment", "external_metadata_id"}},
			// Body shape.
			{"unknown field", "POST", "/api/reviews", "", `{"ratting":4,"watched_at":"2024-05-01"}`, 400, []string{"ratting"}},
			{"malformed JSON", "POST", "/api/reviews", "", `{"rating": 4,`, 400, []string{"JSON"}},
			{"empty body", "POST", "/api/reviews", "", ``, 400, []string{"empty"}},
			{"two objects", "POST", "/api/reviews", "", `{"rating":4,"watched_at":"2024-05-01","external_metadata_id":"tt0114369"} {}`, 400, []string{"single JSON object"}},
			{"body over 1 MiB", "POST", "/api/reviews", "", huge, 413, nil},
			{"text/plain", "POST", "/api/reviews", "text/plain", review(nil), 415, []string{"JSON"}},
			{"form encoded", "POST", "/api/reviews", "application/x-www-form-urlencoded", "rating=4&watched_at=2024-05-01", 415, []string{"JSON"}},
			{"no content type", "POST", "/api/reviews", "-", review(nil), 415, []string{"JSON"}},

			// Registration.
			{"email without @", "POST", "/api/auth/register", "", `{"email":"nobody.example.com","password":"long enough"}`, 400, []string{"email"}},
			{"email with a display name", "POST", "/api/auth/register", "", `{"email":"Nobody <nobody@example.com>","password":"long enough"}`, 400, []string{"email"}},
			{"password of 7 bytes", "POST", "/api/auth/register", "", `{"email":"short@example.com","password":"1234567"}`, 400, []string{"password"}},
			{"password of 1025 bytes", "POST", "/api/auth/register", "", `{"email":"long@example.com","password":"` + strings.Repeat("p", 1025) + `"}`, 400, []string{"password"}},
			{"email as a number", "POST", "/api/auth/register", "", `{"email":42,"password":"long enough"}`, 400, []string{"email"}},
			{"register unknown field", "POST", "/api/auth/register", "", `{"email":"x@example.com","password":"long enough","admin":true}`, 400, []string{"admin"}},
			{"register malformed", "POST", "/api/auth/register", "", `{"email":`, 400, []string{"JSON"}},
			{"register text/plain", "POST", "/api/auth/register", "text/plain", `{"email":"x@example.com","password":"long enough"}`, 415, []string{"JSON"}},
			{"register over 1 MiB", "POST", "/api/auth/register", "", hugeCreds, 413, nil},

			// Login (each counts against the rate limit: keep them few).
			{"login malformed", "POST", "/api/auth/login", "", `{"email":"owner@example.com",`, 400, []string{"JSON"}},
			{"login password as a number", "POST", "/api/auth/login", "", `{"email":"owner@example.com","password":12345678}`, 400, []string{"password"}},
			{"login text/plain", "POST", "/api/auth/login", "text/plain", `{"email":"owner@example.com","password":"correct horse battery"}`, 415, []string{"JSON"}},
			{"login over 1 MiB", "POST", "/api/auth/login", "", hugeCreds, 413, nil},

			// Query parameters.
			{"movie_id not a UUID", "GET", "/api/diary?movie_id=abc", "", "", 400, []string{"movie_id"}},
			{"user_id not a UUID", "GET", "/api/diary?user_id=abc", "", "", 400, []string{"user_id"}},
			{"limit 0", "GET", "/api/diary?limit=0", "", "", 400, []string{"limit"}},
			{"limit 101", "GET", "/api/diary?limit=101", "", "", 400, []string{"limit"}},
			{"limit abc", "GET", "/api/diary?limit=abc", "", "", 400, []string{"limit"}},
			{"offset -1", "GET", "/api/diary?offset=-1", "", "", 400, []string{"offset"}},
			{"offset 1.5", "GET", "/api/diary?offset=1.5", "", "", 400, []string{"offset"}},
			{"sort_by sideways", "GET", "/api/diary?sort_by=sideways", "", "", 400, []string{"sort_by"}},
			{"cursor garbage", "GET", "/api/diary?cursor=garbage", "", "", 400, []string{"cursor"}},
			{"cursor empty", "GET", "/api/diary?cursor=", "", "", 400, []string{"cursor"}},
			{"cursor with offset", "GET", "/api/diary?limit=1&offset=0&cursor=" + cursor, "", "", 400, []string{"cursor"}},
			{"cursor with another sort", "GET", "/api/diary?limit=1&sort_by=asc&cursor=" + cursor, "", "", 400, []string{"cursor"}},
			{"cursor with another movie_id", "GET", "/api/diary?limit=1&movie_id=" + matrix.Movie.ID + "&cursor=" + url.QueryEscape(cursor), "", "", 400, []string{"cursor"}},
			{"cursor truncated", "GET", "/api/diary?limit=1&cursor=" + url.QueryEscape(cursor[:len(cursor)-4]), "", "", 400, []string{"cursor"}},
			{"cursor of another version", "GET", "/api/diary?limit=1&cursor=" + url.QueryEscape("B"+cursor[1:]), "", "", 400, []string{"cursor"}},
			{"several bad parameters", "GET", "/api/diary?limit=0&offset=-1&sort_by=up", "", "", 400, []string{"limit", "offset", "sort_by"}},

			// Path parameters.
			{"history of abc", "GET", "/api/movies/abc/history", "", "", 400, []string{"id"}},
			{"history of an unknown movie", "GET", "/api/movies/0190a8a0-0000-7000-8000-000000000000/history", "", "", 404, []string{"0190a8a0-0000-7000-8000-000000000000"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				h := map[string]string{}
				switch c.contentType {
				case "":
					if c.method == http.MethodPost {
						h["Content-Type"] = "application/json"
					}
				case "-":
				default:
					h["Content-Type"] = c.contentType
				}
				if c.path == "/api/reviews" {
					h["Authorization"] = "Bearer " + token
				}
				var body []byte
				if c.method == http.MethodPost {
					body = []byte(c.body)
				}
				r := s.do(t, req{method: c.method, path: c.path, body: body, header: h})
				expectProblem(t, r, c.status, c.mentions...)
			})
		}

		if got := s.totalCount(t); got != total {
			t.Errorf("total_count = %d after bad input, want %d: something was stored", got, total)
		}
		if n := s.omdb.requests.Load() - omdbBefore; n != 0 {
			t.Errorf("bad input made %d OMDb requests, want 0: validation comes before any lookup", n)
		}
		// Nothing of the refused registrations was kept.
		for _, email := range []string{"short@example.com", "long@example.com", "x@example.com"} {
			if r := registerFrom("192.0.2.1", map[string]string{"email": email, "password": "long enough"}); r.Status != http.StatusCreated {
				t.Errorf("register %s after a refused attempt: %s", email, r)
			}
		}

		// The limits are inclusive, and counted in runes and bytes.
		t.Run("boundaries accepted", func(t *testing.T) {
			title := strings.Repeat("é", 255)
			e := s.logReview(t, token, map[string]any{"manual_title": title, "manual_release_year": 1888, "rating": 0, "comment": strings.Repeat("ü", 10000), "watched_at": "2024-05-01T22:30:00+02:00"})
			if e.Movie.Title != title || utf8.RuneCountInString(e.Movie.Title) != 255 || e.Movie.ReleaseYear != 1888 {
				t.Errorf("movie = %q (%d)", e.Movie.Title, e.Movie.ReleaseYear)
			}
			if e.Review.rating() != "0" || e.Review.Comment == nil || utf8.RuneCountInString(*e.Review.Comment) != 10000 || e.Review.WatchedAt != "2024-05-01T20:30:00" {
				t.Errorf("review = rating %s, watched_at %s", e.Review.rating(), e.Review.WatchedAt)
			}
			blank := s.logReview(t, token, map[string]any{"manual_title": "Seed Film", "manual_release_year": 2010, "rating": 5, "comment": "   ", "watched_at": "2024-05-02"})
			if blank.Review.Comment != nil {
				t.Errorf("a blank comment is stored as %q, want null", *blank.Review.Comment)
			}
			if r := registerFrom("192.0.2.2", map[string]string{"email": "eight@example.com", "password": "éééé"}); r.Status != http.StatusCreated {
				t.Errorf("8-byte password: %s", r)
			}
			if r := registerFrom("192.0.2.2", map[string]string{"email": "max@example.com", "password": strings.Repeat("p", 1024)}); r.Status != http.StatusCreated {
				t.Errorf("1024-byte password: %s", r)
			}
			if got := s.totalCount(t); got != total+2 {
				t.Errorf("total_count = %d, want %d", got, total+2)
			}
		})
	})
}
