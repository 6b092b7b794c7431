package e2e_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// ratingRule is the rule a rating that is not 0 to 5 in steps of 0.5
// breaks, as the problem's errors[] names it.
const ratingRule = "steps of 0.5"

// problemFields returns the fields a problem's errors[] names.
func problemFields(p problemJSON) []string {
	out := make([]string, 0, len(p.Errors))
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// expectFieldProblem checks a 400 whose errors[] names field with a rule
// containing rule.
func expectFieldProblem(t *testing.T, r response, field, rule string) {
	t.Helper()
	p := expectProblem(t, r, http.StatusBadRequest, field)
	for _, e := range p.Errors {
		if e.Field == field && strings.Contains(e.Rule, rule) {
			return
		}
	}
	t.Errorf("errors %+v name no %s breaking %q", p.Errors, field, rule)
}

// rssFeed fetches /feed.rss and returns its text.
func (s *server) rssFeed(t *testing.T) string {
	t.Helper()
	r := s.get(t, "/feed.rss")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /feed.rss = %s", r)
	}
	return string(r.Body)
}

// TestRatings_HalfStarsAndUnrated: a rating is a JSON number in half
// stars or null, in and out, on both stores: 4.5 and 4 are logged as
// given, an omitted or null rating logs the viewing as not rated (null in
// every answer), the trend counts rated viewings only (none: null), and
// the feed says "4.5/5 — comment", or just the comment when not rated.
// 4.3, 6, -1 and "4" are 400s naming the field, and store nothing.
func TestRatings_HalfStarsAndUnrated(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		token, _ := s.account(t, "owner@example.com")
		logRaw := func(body map[string]any) (entryJSON, string) {
			t.Helper()
			r := s.postJSON(t, "/api/reviews", body, token)
			var e entryJSON
			decodeStrict(t, r, http.StatusCreated, &e)
			return e, string(r.Body)
		}
		half, raw := logRaw(map[string]any{"manual_title": "Half Film", "manual_release_year": 2001, "rating": 4.5, "comment": "Nearly perfect.", "watched_at": watched(0)})
		if half.Review.rating() != "4.5" || !strings.Contains(raw, `"rating":4.5,`) {
			t.Errorf("rating 4.5 answered %s", raw)
		}
		whole, raw := logRaw(map[string]any{"manual_title": "Half Film", "manual_release_year": 2001, "rating": 4, "watched_at": watched(1)})
		if whole.Review.rating() != "4" || !strings.Contains(raw, `"rating":4,`) {
			t.Errorf("rating 4 answered %s, want the number 4", raw)
		}
		omitted, raw := logRaw(map[string]any{"manual_title": "Unrated Film", "manual_release_year": 2002, "comment": "Watched, not rated.", "watched_at": watched(2)})
		if omitted.Review.Rating != nil || !strings.Contains(raw, `"rating":null`) {
			t.Errorf("a log without a rating answered %s, want rating null", raw)
		}
		null, raw := logRaw(map[string]any{"manual_title": "Unrated Film", "manual_release_year": 2002, "rating": nil, "watched_at": watched(3)})
		if null.Review.Rating != nil || !strings.Contains(raw, `"rating":null`) {
			t.Errorf("a log with rating null answered %s, want rating null", raw)
		}
		zero, _ := logRaw(map[string]any{"manual_title": "Zero Film", "manual_release_year": 2003, "rating": 0, "watched_at": watched(4)})
		if zero.Review.rating() != "0" {
			t.Errorf("rating 0 answered %s, want 0 (rated, not null)", zero.Review.rating())
		}

		want := map[string]string{half.Review.ID: "4.5", whole.Review.ID: "4", omitted.Review.ID: "null", null.Review.ID: "null", zero.Review.ID: "0"}
		d := s.diary(t, "")
		if d.TotalCount != len(want) {
			t.Fatalf("total_count = %d, want %d", d.TotalCount, len(want))
		}
		for _, e := range d.Items {
			if got := e.Review.rating(); got != want[e.Review.ID] {
				t.Errorf("diary rating of %s = %s, want %s", e.Review.ID, got, want[e.Review.ID])
			}
		}
		if h := s.history(t, omitted.Movie.ID); h.Trend != nil || len(h.Viewings) != 2 || h.Viewings[0].Rating != nil {
			t.Errorf("history of a film never rated: trend %s, viewings %+v; want trend null", h.trend(), h.Viewings)
		}
		if h := s.history(t, half.Movie.ID); h.trend() != "declined" || h.Viewings[0].rating() != "4.5" {
			t.Errorf("history 4.5 then 4: trend %s, viewings %+v; want declined", h.trend(), h.Viewings)
		}
		// One rated viewing among unrated ones is neutral: the unrated do
		// not count.
		s.logReview(t, token, map[string]any{"manual_title": "Unrated Film", "manual_release_year": 2002, "rating": 1, "watched_at": watched(0)})
		if h := s.history(t, omitted.Movie.ID); h.trend() != "neutral" {
			t.Errorf("history with one rated viewing: trend %s, want neutral", h.trend())
		}

		feed := s.rssFeed(t)
		for _, w := range []string{"4.5/5 — Nearly perfect.", "Watched, not rated."} {
			if !strings.Contains(feed, w) {
				t.Errorf("feed lacks %q:\n%s", w, feed)
			}
		}
		if strings.Contains(feed, "/5 — Watched, not rated.") {
			t.Errorf("feed gives the unrated viewing a rating:\n%s", feed)
		}

		before := s.totalCount(t)
		body := func(rating any) map[string]any {
			return map[string]any{"manual_title": "Refused Film", "manual_release_year": 2004, "rating": rating, "watched_at": watched(5)}
		}
		for _, c := range []struct {
			name   string
			rating any
			rule   string
		}{
			{"4.3", 4.3, ratingRule},
			{"0.25", 0.25, ratingRule},
			{"6", 6, ratingRule},
			{"5.5", 5.5, ratingRule},
			{"-1", -1, ratingRule},
			{"the string 4", "4", "must be a number"},
			{"true", true, "must be a number"},
		} {
			t.Run("rating "+c.name, func(t *testing.T) {
				expectFieldProblem(t, s.postJSON(t, "/api/reviews", body(c.rating), token), "rating", c.rule)
			})
		}
		if got := s.totalCount(t); got != before {
			t.Errorf("total_count = %d after refused ratings, want %d", got, before)
		}
	})
}

// counts are the diary's totals an edit or a deletion must keep exact.
type counts struct{ all, movie, alice, bob int }

func (s *server) counts(t *testing.T, movieID, aliceID, bobID string) counts {
	t.Helper()
	return counts{
		all:   s.diary(t, "limit=1").TotalCount,
		movie: s.diary(t, "limit=1&movie_id="+movieID).TotalCount,
		alice: s.diary(t, "limit=1&user_id="+aliceID).TotalCount,
		bob:   s.diary(t, "limit=1&user_id="+bobID).TotalCount,
	}
}

// TestCorrections_EditAndDelete: the author edits (PATCH, JSON merge
// semantics, application/json and application/merge-patch+json) and
// deletes (DELETE → 204) their reviews; the answer is the entry as POST
// gives it; totals (all, per movie, per user), the history and its trend
// and the feed follow at once, and a movie stays when its last review
// goes. Another user gets 403, an unknown ID 404, a malformed ID or body
// 400, no token 401, and nothing changes on any of them.
func TestCorrections_EditAndDelete(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"))
		alice, aliceID := s.account(t, "alice@example.com")
		bob, bobID := s.account(t, "bob@example.com")
		film := func(rating any, hours int, comment string) map[string]any {
			return map[string]any{"manual_title": "Edit Film", "manual_release_year": 2001, "rating": rating, "comment": comment, "watched_at": watched(hours)}
		}
		a1 := s.logReview(t, alice, film(2, 0, "first look"))
		b1 := s.logReview(t, bob, film(3, 12, "bob's view"))
		a2 := s.logReview(t, alice, film(4, 24, "better"))
		other := s.logReview(t, alice, map[string]any{"manual_title": "Other Film", "manual_release_year": 2002, "rating": 5, "comment": "the only one", "watched_at": watched(1)})
		movie := a1.Movie.ID
		if h := s.history(t, movie); h.trend() != "improved" { // latest 4 > mean 3
			t.Fatalf("trend before edits = %s, want improved", h.trend())
		}
		start := s.counts(t, movie, aliceID, bobID)
		if start != (counts{all: 4, movie: 3, alice: 3, bob: 1}) {
			t.Fatalf("counts = %+v", start)
		}

		patch := func(token, id string, body any, header ...string) response {
			t.Helper()
			return s.call(t, http.MethodPatch, "/api/reviews/"+id, body, token, header...)
		}
		edited := func(r response) entryJSON {
			t.Helper()
			var e entryJSON
			decodeStrict(t, r, http.StatusOK, &e)
			requireKeys(t, r.Body, "movie", "review")
			requireKeys(t, mustJSON(t, e.Review), "id", "user_id", "rating", "comment", "watched_at", "created_at")
			return e
		}

		// Rating and comment at once.
		e := edited(patch(alice, a2.Review.ID, map[string]any{"rating": 1, "comment": "worse on a rewatch"}))
		if e.Review.ID != a2.Review.ID || e.Movie.ID != movie || e.Review.UserID != aliceID || e.Review.rating() != "1" ||
			e.Review.Comment == nil || *e.Review.Comment != "worse on a rewatch" || e.Review.WatchedAt != a2.Review.WatchedAt || e.Review.CreatedAt != a2.Review.CreatedAt {
			t.Errorf("edited entry = %+v, want a2 with rating 1 and the new comment", e)
		}
		if h := s.history(t, movie); h.trend() != "declined" { // latest 1 < mean 2
			t.Errorf("trend after the edit = %s, want declined", h.trend())
		}
		feed := s.rssFeed(t)
		if !strings.Contains(feed, "1/5 — worse on a rewatch") || strings.Contains(feed, "better") {
			t.Errorf("feed after the edit:\n%s", feed)
		}

		// Null clears the rating, as a merge patch; the comment stays.
		e = edited(patch(alice, a2.Review.ID, `{"rating":null}`, "Content-Type", "application/merge-patch+json"))
		if e.Review.Rating != nil || e.Review.Comment == nil || *e.Review.Comment != "worse on a rewatch" {
			t.Errorf("after rating null: %+v, want not rated with the comment kept", e.Review)
		}
		if h := s.history(t, movie); h.trend() != "improved" { // rated: 2, 3; latest 3 > 2.5
			t.Errorf("trend with the latest viewing unrated = %s, want improved (rated viewings only)", h.trend())
		}
		if feed := s.rssFeed(t); !strings.Contains(feed, "worse on a rewatch") || strings.Contains(feed, "/5 — worse on a rewatch") {
			t.Errorf("feed for the unrated viewing:\n%s", feed)
		}

		// Null clears the comment; a new watched_at reorders the history.
		e = edited(patch(alice, a2.Review.ID, map[string]any{"comment": nil, "watched_at": "2024-01-01T06:00:00"}))
		if e.Review.Comment != nil || e.Review.WatchedAt != "2024-01-01T06:00:00" || e.Review.Rating != nil {
			t.Errorf("after comment null and a new time: %+v", e.Review)
		}
		h := s.history(t, movie)
		if len(h.Viewings) != 3 || h.Viewings[0].ID != a2.Review.ID || h.Viewings[1].ID != a1.Review.ID || h.Viewings[2].ID != b1.Review.ID {
			t.Errorf("history after moving a2 first = %+v", h.Viewings)
		}
		// Nothing to change: the entry as it is.
		if e := edited(patch(alice, a2.Review.ID, map[string]any{})); e.Review.WatchedAt != "2024-01-01T06:00:00" {
			t.Errorf("empty patch answered %+v", e.Review)
		}
		if got := s.counts(t, movie, aliceID, bobID); got != start {
			t.Errorf("counts after edits = %+v, want %+v", got, start)
		}

		// Refusals change nothing: the history reads the same bytes after.
		snapshot := func() []byte { return s.get(t, "/api/movies/"+movie+"/history").Body }
		beforeRefusals := snapshot()
		unknown := "0190a8a0-0000-7000-8000-00000000beef"
		huge := `{"comment":"` + strings.Repeat("x", 1<<20) + `"}`
		for _, c := range []struct {
			name   string
			r      func() response
			status int
			field  string
		}{
			{"another user's edit", func() response { return patch(bob, a1.Review.ID, map[string]any{"rating": 5}) }, 403, ""},
			{"another user's deletion", func() response { return s.call(t, http.MethodDelete, "/api/reviews/"+a1.Review.ID, nil, bob) }, 403, ""},
			{"edit of an unknown review", func() response { return patch(alice, unknown, map[string]any{"rating": 5}) }, 404, ""},
			{"deletion of an unknown review", func() response { return s.call(t, http.MethodDelete, "/api/reviews/"+unknown, nil, alice) }, 404, ""},
			{"edit of a malformed ID", func() response { return patch(alice, "abc", map[string]any{"rating": 5}) }, 400, "review_id"},
			{"deletion of a malformed ID", func() response { return s.call(t, http.MethodDelete, "/api/reviews/abc", nil, alice) }, 400, "review_id"},
			{"rating 4.3", func() response { return patch(alice, a1.Review.ID, map[string]any{"rating": 4.3, "comment": "kept?"}) }, 400, "rating"},
			{"rating 6", func() response { return patch(alice, a1.Review.ID, map[string]any{"rating": 6}) }, 400, "rating"},
			{"rating the string 4", func() response { return patch(alice, a1.Review.ID, map[string]any{"rating": "4"}) }, 400, "rating"},
			{"comment a number", func() response { return patch(alice, a1.Review.ID, map[string]any{"comment": 5, "rating": 1}) }, 400, "comment"},
			{"watched_at null", func() response { return patch(alice, a1.Review.ID, map[string]any{"watched_at": nil, "rating": 1}) }, 400, "watched_at"},
			{"watched_at not a date", func() response { return patch(alice, a1.Review.ID, map[string]any{"watched_at": "yesterday"}) }, 400, "watched_at"},
			{"watched_at in the future", func() response {
				return patch(alice, a1.Review.ID, map[string]any{"watched_at": "2999-01-01T00:00:00"})
			}, 400, "watched_at"},
			{"unknown field", func() response { return patch(alice, a1.Review.ID, map[string]any{"ratting": 1}) }, 400, "ratting"},
			{"body an array", func() response { return patch(alice, a1.Review.ID, `[{"rating":1}]`) }, 400, ""},
			{"malformed JSON", func() response { return patch(alice, a1.Review.ID, `{"rating":`) }, 400, ""},
			{"text/plain", func() response {
				return patch(alice, a1.Review.ID, `{"rating":1}`, "Content-Type", "text/plain")
			}, 415, ""},
			{"body over 1 MiB", func() response { return patch(alice, a1.Review.ID, huge) }, 413, ""},
			{"edit without a token", func() response { return patch("", a1.Review.ID, map[string]any{"rating": 1}) }, 401, ""},
			{"deletion without a token", func() response { return s.call(t, http.MethodDelete, "/api/reviews/"+a1.Review.ID, nil, "") }, 401, ""},
			{"edit with a forged token", func() response { return patch("x.y.z", a1.Review.ID, map[string]any{"rating": 1}) }, 401, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := c.r()
				if c.field != "" {
					p := expectProblem(t, r, c.status, c.field)
					if !strings.Contains(strings.Join(problemFields(p), " "), c.field) && c.status == http.StatusBadRequest && c.field != "review_id" {
						t.Errorf("errors %+v do not name %s", p.Errors, c.field)
					}
					return
				}
				expectProblem(t, r, c.status)
			})
		}
		if after := snapshot(); !bytes.Equal(after, beforeRefusals) {
			t.Errorf("a refused request changed the history:\nbefore %s\nafter  %s", beforeRefusals, after)
		}
		if got := s.counts(t, movie, aliceID, bobID); got != start {
			t.Errorf("counts after refusals = %+v, want %+v", got, start)
		}

		// The author deletes: 204, totals drop at once, a second time 404.
		if r := s.call(t, http.MethodDelete, "/api/reviews/"+a1.Review.ID, nil, alice); r.Status != http.StatusNoContent || len(r.Body) != 0 {
			t.Fatalf("DELETE by the author = %s, want 204", r)
		}
		if got, want := s.counts(t, movie, aliceID, bobID), (counts{all: 3, movie: 2, alice: 2, bob: 1}); got != want {
			t.Errorf("counts after the deletion = %+v, want %+v", got, want)
		}
		h = s.history(t, movie)
		if len(h.Viewings) != 2 || h.Viewings[0].ID != a2.Review.ID || h.Viewings[1].ID != b1.Review.ID || h.trend() != "neutral" {
			t.Errorf("history after the deletion = %+v, trend %s; want a2 (unrated), b1 and neutral", h.Viewings, h.trend())
		}
		if strings.Contains(s.rssFeed(t), "first look") {
			t.Error("the feed still shows the deleted review")
		}
		expectProblem(t, s.call(t, http.MethodDelete, "/api/reviews/"+a1.Review.ID, nil, alice), http.StatusNotFound)
		expectProblem(t, patch(alice, a1.Review.ID, map[string]any{"rating": 1}), http.StatusNotFound)

		// The last review of a movie goes; the movie stays.
		if r := s.call(t, http.MethodDelete, "/api/reviews/"+other.Review.ID, nil, alice); r.Status != http.StatusNoContent {
			t.Fatalf("DELETE = %s, want 204", r)
		}
		if h := s.history(t, other.Movie.ID); len(h.Viewings) != 0 || h.Trend != nil || h.Movie.Title != "Other Film" {
			t.Errorf("history of a movie whose last review went = %+v, want the movie, no viewings, trend null", h)
		}
		if got, want := s.counts(t, movie, aliceID, bobID), (counts{all: 2, movie: 2, alice: 1, bob: 1}); got != want {
			t.Errorf("counts after the second deletion = %+v, want %+v", got, want)
		}
		// Each change is an event: three edits that changed something,
		// two deletions; the refusals and the empty patch made none.
		s.waitMetric(t, "moviediary_events_published_total", `event="review_edited"`, 3)
		s.waitMetric(t, "moviediary_events_published_total", `event="review_deleted"`, 2)
	})
}

// tokenCreated is POST /api/tokens's answer.
type tokenCreated struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Token     string  `json:"token"`
	Prefix    string  `json:"prefix"`
	CreatedAt string  `json:"created_at"`
	ExpiresAt *string `json:"expires_at"`
}

// tokenListed is one item of GET /api/tokens.
type tokenListed struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Prefix     string  `json:"prefix"`
	CreatedAt  string  `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
	ExpiresAt  *string `json:"expires_at"`
}

// createToken creates a token with bearer and requires a 201.
func (s *server) createToken(t *testing.T, bearer string, body any) tokenCreated {
	t.Helper()
	r := s.call(t, http.MethodPost, "/api/tokens", body, bearer)
	var out tokenCreated
	decodeStrict(t, r, http.StatusCreated, &out)
	requireKeys(t, r.Body, "id", "name", "token", "prefix", "created_at", "expires_at")
	return out
}

// tokens lists bearer's tokens and requires a 200.
func (s *server) tokens(t *testing.T, bearer string) []tokenListed {
	t.Helper()
	r := s.call(t, http.MethodGet, "/api/tokens", nil, bearer)
	var out struct {
		Items []tokenListed `json:"items"`
	}
	decodeStrict(t, r, http.StatusOK, &out)
	for _, raw := range bytes.Split(r.Body, []byte(`"token"`))[1:] {
		t.Errorf("GET /api/tokens shows a token: …%s", raw)
	}
	var items struct {
		Items []json.RawMessage `json:"items"`
	}
	_ = json.Unmarshal(r.Body, &items)
	for _, it := range items.Items {
		requireKeys(t, it, "id", "name", "prefix", "created_at", "last_used_at", "expires_at")
	}
	return out.Items
}

// refusal is what a 401 looks like to a client: body and challenge.
type refusal struct{ body, challenge string }

func refusalOf(t *testing.T, r response) refusal {
	t.Helper()
	expectProblem(t, r, http.StatusUnauthorized)
	return refusal{body: string(r.Body), challenge: r.Header.Get("WWW-Authenticate")}
}

// TestAPITokens_Lifecycle: a personal API token is created (shown once,
// mdpat_ prefix), logs a film as its user, is listed without the token
// (last use recorded), works wherever a bearer JWT does, and once revoked
// — or expired, or never issued — gets exactly the 401 of a bad JWT.
// Another user's token is a 404 to revoke; bad bodies are 400s.
func TestAPITokens_Lifecycle(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"))
		jwt, userID := s.account(t, "owner@example.com")
		other, _ := s.account(t, "other@example.com")

		tok := s.createToken(t, jwt, map[string]any{"name": "phone", "expires_at": "2099-01-01T00:00:00Z"})
		if !strings.HasPrefix(tok.Token, "mdpat_") || !strings.HasPrefix(tok.Token, tok.Prefix) || len(tok.Token) < 6+43 ||
			tok.Name != "phone" || tok.ExpiresAt == nil || *tok.ExpiresAt != "2099-01-01T00:00:00Z" || !strings.HasSuffix(tok.CreatedAt, "Z") {
			t.Errorf("created token = %+v", tok)
		}
		forever := s.createToken(t, jwt, map[string]any{"name": "script", "expires_at": nil})
		if forever.ExpiresAt != nil {
			t.Errorf("a token with expires_at null expires at %s", *forever.ExpiresAt)
		}
		if noExpiry := s.createToken(t, jwt, map[string]any{"name": "laptop"}); noExpiry.ExpiresAt != nil {
			t.Errorf("a token without expires_at expires at %s", *noExpiry.ExpiresAt)
		}

		// The token logs a film as its user, and works wherever a JWT does.
		e := s.logReview(t, tok.Token, map[string]any{"manual_title": "Token Film", "manual_release_year": 2001, "rating": 3.5, "watched_at": watched(0)})
		if e.Review.UserID != userID {
			t.Errorf("the token logged as %s, want %s", e.Review.UserID, userID)
		}
		edited := s.call(t, http.MethodPatch, "/api/reviews/"+e.Review.ID, map[string]any{"comment": "via token"}, tok.Token)
		if edited.Status != http.StatusOK {
			t.Errorf("PATCH with the token = %s", edited)
		}
		made := s.createToken(t, tok.Token, map[string]any{"name": "made by a token"})

		list := s.tokens(t, tok.Token)
		byID := map[string]tokenListed{}
		for _, it := range list {
			byID[it.ID] = it
		}
		if len(list) != 4 || list[0].ID != made.ID {
			t.Errorf("tokens = %+v, want 4, newest first", list)
		}
		if it := byID[tok.ID]; it.Name != "phone" || it.Prefix != tok.Prefix || it.CreatedAt != tok.CreatedAt || it.LastUsedAt == nil ||
			it.ExpiresAt == nil || *it.ExpiresAt != "2099-01-01T00:00:00Z" {
			t.Errorf("listed token = %+v, want phone with its last use recorded", it)
		}
		if it := byID[forever.ID]; it.LastUsedAt != nil || it.ExpiresAt != nil {
			t.Errorf("unused token without expiry listed as %+v, want last_used_at and expires_at null", it)
		}
		if got := s.tokens(t, other); len(got) != 0 {
			t.Errorf("another user lists %+v", got)
		}

		// What a bad JWT gets, every bad token gets.
		badJWT := refusalOf(t, s.call(t, http.MethodGet, "/api/tokens", nil, "x.y.z"))
		unknown := refusalOf(t, s.call(t, http.MethodGet, "/api/tokens", nil, "mdpat_"+strings.Repeat("A", 43)))
		if unknown != badJWT {
			t.Errorf("an unknown token's 401 %+v differs from a bad JWT's %+v", unknown, badJWT)
		}

		// Another user's token, an unknown one and a malformed ID.
		expectProblem(t, s.call(t, http.MethodDelete, "/api/tokens/"+tok.ID, nil, other), http.StatusNotFound)
		expectProblem(t, s.call(t, http.MethodDelete, "/api/tokens/0190a8a0-0000-7000-8000-00000000beef", nil, jwt), http.StatusNotFound)
		expectProblem(t, s.call(t, http.MethodDelete, "/api/tokens/abc", nil, jwt), http.StatusBadRequest, "token_id")
		if len(s.tokens(t, jwt)) != 4 {
			t.Error("a refused revocation removed a token")
		}

		// Revoked: refused at once, like a bad JWT, for every route.
		if r := s.call(t, http.MethodDelete, "/api/tokens/"+tok.ID, nil, jwt); r.Status != http.StatusNoContent {
			t.Fatalf("DELETE /api/tokens/{id} = %s, want 204", r)
		}
		body := map[string]any{"manual_title": "Token Film", "manual_release_year": 2001, "rating": 4, "watched_at": watched(1)}
		for _, r := range []response{
			s.call(t, http.MethodGet, "/api/tokens", nil, tok.Token),
			s.postJSON(t, "/api/reviews", body, tok.Token),
		} {
			if got := refusalOf(t, r); got != badJWT {
				t.Errorf("a revoked token's 401 %+v differs from a bad JWT's %+v", got, badJWT)
			}
		}
		if len(s.tokens(t, jwt)) != 3 {
			t.Error("the revoked token is still listed")
		}
		expectProblem(t, s.call(t, http.MethodDelete, "/api/tokens/"+tok.ID, nil, jwt), http.StatusNotFound)

		// Bad bodies.
		for _, c := range []struct {
			name   string
			body   any
			header []string
			status int
			field  string
		}{
			{"no name", map[string]any{}, nil, 400, "name"},
			{"blank name", map[string]any{"name": "   "}, nil, 400, "name"},
			{"name of 101 characters", map[string]any{"name": strings.Repeat("n", 101)}, nil, 400, "name"},
			{"expiry in the past", map[string]any{"name": "old", "expires_at": "2001-01-01T00:00:00Z"}, nil, 400, "expires_at"},
			{"expiry not a time", map[string]any{"name": "soon", "expires_at": "tomorrow"}, nil, 400, "expires_at"},
			{"expiry a number", map[string]any{"name": "soon", "expires_at": 1}, nil, 400, "expires_at"},
			{"unknown field", map[string]any{"name": "x", "scope": "all"}, nil, 400, "scope"},
			{"text/plain", `{"name":"x"}`, []string{"Content-Type", "text/plain"}, 415, ""},
			{"body over 1 MiB", `{"name":"` + strings.Repeat("x", 1<<20) + `"}`, nil, 413, ""},
		} {
			t.Run("create: "+c.name, func(t *testing.T) {
				r := s.call(t, http.MethodPost, "/api/tokens", c.body, jwt, c.header...)
				if c.field != "" {
					expectProblem(t, r, c.status, c.field)
					return
				}
				expectProblem(t, r, c.status)
			})
		}
		for _, c := range []struct{ method, path string }{
			{http.MethodPost, "/api/tokens"}, {http.MethodGet, "/api/tokens"}, {http.MethodDelete, "/api/tokens/" + forever.ID},
		} {
			var body any
			if c.method == http.MethodPost {
				body = map[string]any{"name": "x"}
			}
			if got := refusalOf(t, s.call(t, c.method, c.path, body, "")); got.challenge != badJWT.challenge {
				t.Errorf("%s %s without a token: challenge %q", c.method, c.path, got.challenge)
			}
		}
		if len(s.tokens(t, jwt)) != 3 {
			t.Error("a refused creation stored a token")
		}

		// Expired: refused like the others once its time passes.
		soon := s.createToken(t, jwt, map[string]any{"name": "brief", "expires_at": timeIn(3)})
		if r := s.call(t, http.MethodGet, "/api/tokens", nil, soon.Token); r.Status != http.StatusOK {
			t.Fatalf("a token before its expiry = %s", r)
		}
		var expired response
		eventually(t, "the token to expire", func() bool {
			expired = s.call(t, http.MethodGet, "/api/tokens", nil, soon.Token)
			return expired.Status == http.StatusUnauthorized
		})
		if got := refusalOf(t, expired); got != badJWT {
			t.Errorf("an expired token's 401 %+v differs from a bad JWT's %+v", got, badJWT)
		}
	})
}

// timeIn is the RFC 3339 time seconds from now.
func timeIn(seconds int) string {
	return time.Now().UTC().Add(time.Duration(seconds) * time.Second).Format(time.RFC3339)
}

// TestAPITokens_RevokedInEveryProcess: two server processes on one
// PostgreSQL database. A token created on the first works on the second
// (which then holds it in its credential cache); revoked on the first, it
// is refused there at once and by the second within 1 s.
func TestAPITokens_RevokedInEveryProcess(t *testing.T) {
	t.Parallel()
	a := startApp(t, "postgres")
	b := startApp(t, "postgres", withDatabaseOf(a))
	jwt, userID := a.account(t, "owner@example.com")
	tok := a.createToken(t, jwt, map[string]any{"name": "script"})
	e := b.logReview(t, tok.Token, map[string]any{"manual_title": "Two Servers", "manual_release_year": 2001, "rating": 4.5, "watched_at": watched(0)})
	if e.Review.UserID != userID {
		t.Fatalf("the second server logged as %s, want %s", e.Review.UserID, userID)
	}
	if got := b.tokens(t, tok.Token); len(got) != 1 || got[0].ID != tok.ID {
		t.Fatalf("the second server lists %+v", got)
	}

	if r := a.call(t, http.MethodDelete, "/api/tokens/"+tok.ID, nil, jwt); r.Status != http.StatusNoContent {
		t.Fatalf("revoke = %s", r)
	}
	revoked := time.Now()
	expectProblem(t, a.call(t, http.MethodGet, "/api/tokens", nil, tok.Token), http.StatusUnauthorized)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		r := b.call(t, http.MethodGet, "/api/tokens", nil, tok.Token)
		if r.Status == http.StatusUnauthorized {
			t.Logf("the second server refused the revoked token after %s", time.Since(revoked).Round(time.Millisecond))
			break
		}
		if r.Status != http.StatusOK {
			t.Fatalf("the second server answered %s", r)
		}
		if time.Since(revoked) > time.Second {
			t.Fatalf("the second server still accepts the token %s after it was revoked", time.Since(revoked).Round(time.Millisecond))
		}
		<-tick.C
	}
	expectProblem(t, b.postJSON(t, "/api/reviews", map[string]any{"manual_title": "Two Servers", "manual_release_year": 2001, "watched_at": watched(1)}, tok.Token), http.StatusUnauthorized)
	if got := a.totalCount(t); got != 1 {
		t.Errorf("total_count = %d, want 1", got)
	}
}

// TestIdempotency_ConcurrentRetriesLogOnce: the same Idempotency-Key and
// body sent 20 times at once logs one entry; all 20 answers are 201 with
// that entry, and all but the first carry Idempotent-Replayed: true. A
// later retry replays too; the key with another body is a 422, another
// user's same key is theirs alone, a key whose entry was deleted is a 409,
// and a malformed key is a 400. Nothing is logged by any refusal.
func TestIdempotency_ConcurrentRetriesLogOnce(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"))
		token, _ := s.account(t, "owner@example.com")
		other, _ := s.account(t, "other@example.com")
		s.logReview(t, token, map[string]any{"manual_title": "Already There", "manual_release_year": 1999, "rating": 2, "watched_at": watched(0)})
		before := s.totalCount(t)

		const n = 20
		const key = "0190b7c1-retry-key-1"
		body := mustJSON(t, map[string]any{"manual_title": "Retried Film", "manual_release_year": 2001, "rating": 4.5, "comment": "once", "watched_at": watched(1)})
		header := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + token, "Idempotency-Key": key}
		type answer struct {
			res response
			req *http.Request
			err error
		}
		answers := make([]answer, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res, req, err := s.send(http.MethodPost, "/api/reviews", body, header)
				answers[i] = answer{res, req, err}
			}()
		}
		close(start)
		wg.Wait()
		ids := map[string]int{}
		replayed := 0
		var first entryJSON
		for i, a := range answers {
			if a.err != nil {
				t.Fatalf("request %d: %v", i, a.err)
			}
			checkExchange(t, a.req, body, a.res)
			var e entryJSON
			decodeStrict(t, a.res, http.StatusCreated, &e)
			ids[e.Review.ID]++
			first = e
			switch a.res.Header.Get("Idempotent-Replayed") {
			case "true":
				replayed++
			case "":
			default:
				t.Errorf("Idempotent-Replayed = %q", a.res.Header.Get("Idempotent-Replayed"))
			}
		}
		if len(ids) != 1 {
			t.Fatalf("20 answers carry %d entries: %v", len(ids), ids)
		}
		if replayed != n-1 {
			t.Errorf("%d answers replayed, want %d (one logged)", replayed, n-1)
		}
		if got := s.totalCount(t); got != before+1 {
			t.Fatalf("total_count = %d after 20 identical requests, want %d", got, before+1)
		}
		if first.Review.rating() != "4.5" || first.Review.Comment == nil || *first.Review.Comment != "once" {
			t.Errorf("entry = %+v", first.Review)
		}

		// A retry later replays the same entry.
		again := s.call(t, http.MethodPost, "/api/reviews", body, token, "Idempotency-Key", key)
		var e entryJSON
		decodeStrict(t, again, http.StatusCreated, &e)
		if e.Review.ID != first.Review.ID || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("retry answered %s, want the first entry replayed", again)
		}
		// Without the key, or with a fresh one, the same body logs anew:
		// no Idempotent-Replayed.
		fresh := s.call(t, http.MethodPost, "/api/reviews", body, token, "Idempotency-Key", "another-key")
		decodeStrict(t, fresh, http.StatusCreated, &e)
		if e.Review.ID == first.Review.ID || fresh.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("a fresh key answered %s, want a new entry", fresh)
		}
		// The same key from another user is that user's own.
		theirs := s.call(t, http.MethodPost, "/api/reviews", body, other, "Idempotency-Key", key)
		decodeStrict(t, theirs, http.StatusCreated, &e)
		if e.Review.ID == first.Review.ID || theirs.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("another user's same key answered %s, want their own entry", theirs)
		}
		logged := s.totalCount(t)

		// The key with another body: 422, nothing logged.
		changed := mustJSON(t, map[string]any{"manual_title": "Retried Film", "manual_release_year": 2001, "rating": 4, "comment": "once", "watched_at": watched(1)})
		expectProblem(t, s.call(t, http.MethodPost, "/api/reviews", changed, token, "Idempotency-Key", key), http.StatusUnprocessableEntity, "Idempotency-Key")
		// A key whose entry was deleted since: 409, nothing logged again.
		gone := s.call(t, http.MethodPost, "/api/reviews", body, token, "Idempotency-Key", "soon-gone")
		decodeStrict(t, gone, http.StatusCreated, &e)
		if r := s.call(t, http.MethodDelete, "/api/reviews/"+e.Review.ID, nil, token); r.Status != http.StatusNoContent {
			t.Fatalf("delete = %s", r)
		}
		expectProblem(t, s.call(t, http.MethodPost, "/api/reviews", body, token, "Idempotency-Key", "soon-gone"), http.StatusConflict, "deleted")
		// Malformed keys: 400 naming the header.
		for name, k := range map[string]string{
			"empty":          "",
			"256 characters": strings.Repeat("k", 256),
			"not ASCII":      "clé",
			"a tab":          "a\tb",
			"blank":          "   \t",
		} {
			t.Run("key "+name, func(t *testing.T) {
				expectProblem(t, s.call(t, http.MethodPost, "/api/reviews", body, token, "Idempotency-Key", k), http.StatusBadRequest, "Idempotency-Key")
			})
		}
		if got := s.totalCount(t); got != logged {
			t.Errorf("total_count = %d after refused keys, want %d", got, logged)
		}
		// 255 printable characters are a key.
		long := s.call(t, http.MethodPost, "/api/reviews", body, token, "Idempotency-Key", strings.Repeat("~", 255))
		decodeStrict(t, long, http.StatusCreated, &e)
	})
}
