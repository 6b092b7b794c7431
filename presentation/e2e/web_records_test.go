package e2e_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The HTML pages that correct the record, through the binary on SQLite and
// PostgreSQL: half-star and unrated logs by the form, edit and delete by
// the author (pages, API, history and feed agree), refused for another
// user and without the form's CSRF token, and the API tokens page.

const webPassword = "correct horse battery"

// page GETs path with the web session's cookies.
func (w *webSession) page(t *testing.T, s *server, path string) response {
	t.Helper()
	r := s.do(t, req{method: http.MethodGet, path: path, header: map[string]string{"Cookie": w.cookieHeader(), "Accept": "text/html"}})
	w.keep(r)
	return r
}

// wantHTML checks that r is an HTML page with status, sent with the
// security headers and not to be cached.
func wantHTML(t *testing.T, what string, r response, status int) string {
	t.Helper()
	if r.Status != status || !strings.HasPrefix(r.ContentType(), "text/html") {
		t.Errorf("%s = %s, want a %d page", what, r, status)
	}
	if !strings.Contains(r.Header.Get("Content-Security-Policy"), "default-src 'none'") || r.Header.Get("X-Frame-Options") != "DENY" ||
		r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: headers %v lack the page headers", what, r.Header)
	}
	return string(r.Body)
}

func wantSeeOther(t *testing.T, what string, r response, to string) {
	t.Helper()
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != to {
		t.Errorf("%s = %s (Location %q), want 303 → %s", what, r, r.Header.Get("Location"), to)
	}
}

// entryOf is the diary's entry of the film title.
func (s *server) entryOf(t *testing.T, title string) (entryJSON, bool) {
	t.Helper()
	for _, e := range s.diary(t, "limit=100").Items {
		if e.Movie.Title == title {
			return e, true
		}
	}
	return entryJSON{}, false
}

func (s *server) feed(t *testing.T) string {
	t.Helper()
	r := s.get(t, "/feed.rss")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /feed.rss = %s", r)
	}
	return string(r.Body)
}

func TestWeb_HalfStarsAndUnratedByTheForm(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		s.account(t, "owner@example.com")
		w := s.webSession(t, "owner@example.com", webPassword)
		for _, f := range []struct{ title, rating, comment string }{
			{"Vertigo", "3.5", "dizzy"},
			{"Rope", "", "one take"},
			{"Psycho", "0.5", ""},
		} {
			wantSeeOther(t, "log "+f.title, w.post(t, s, "/reviews", url.Values{"manual_title": {f.title}, "manual_release_year": {"1958"},
				"rating": {f.rating}, "comment": {f.comment}, "watched_at": {"2024-01-01T20:30"}}), "/diary")
		}
		for title, want := range map[string]string{"Vertigo": "3.5", "Rope": "null", "Psycho": "0.5"} {
			if e, ok := s.entryOf(t, title); !ok || e.Review.rating() != want {
				t.Errorf("%s rating = %s, want %s", title, e.Review.rating(), want)
			}
		}
		page := wantHTML(t, "diary", w.page(t, s, "/diary"), http.StatusOK)
		for _, want := range []string{"★★★½☆", "3.5 out of 5", "½☆☆☆☆", ">Not rated<"} {
			if !strings.Contains(page, want) {
				t.Errorf("diary lacks %q", want)
			}
		}
		feed := s.feed(t)
		for _, want := range []string{"<description>3.5/5 — dizzy</description>", "<description>one take</description>", "<description>0.5/5</description>"} {
			if !strings.Contains(feed, want) {
				t.Errorf("feed lacks %q:\n%s", want, feed)
			}
		}
	})
}

func TestWeb_EditAndDeleteByTheAuthor(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		token, _ := s.account(t, "owner@example.com")
		w := s.webSession(t, "owner@example.com", webPassword)
		first := s.logReview(t, token, map[string]any{"manual_title": "Vertigo", "manual_release_year": 1958, "rating": 4, "comment": "first", "watched_at": "2024-01-01T20:30:00"})
		s.logReview(t, token, map[string]any{"manual_title": "Vertigo", "manual_release_year": 1958, "rating": 2, "watched_at": "2024-03-01T20:30:00"})
		s.logReview(t, token, map[string]any{"manual_title": "Rope", "manual_release_year": 1948, "rating": 5, "watched_at": "2024-02-01T20:30:00"})
		id, movie := first.Review.ID, first.Movie.ID
		editPath, deletePath := "/reviews/"+id+"/edit", "/reviews/"+id+"/delete"

		diary := wantHTML(t, "diary", w.page(t, s, "/diary"), http.StatusOK)
		if !strings.Contains(diary, `href="`+editPath+`"`) || !strings.Contains(diary, `href="`+deletePath+`"`) {
			t.Errorf("the author's diary lacks the edit and delete links")
		}
		form := wantHTML(t, "edit page", w.page(t, s, editPath), http.StatusOK)
		for _, want := range []string{`action="` + editPath + `"`, `<option value="4" selected>`, ">first</textarea>", `value="2024-01-01T20:30"`} {
			if !strings.Contains(form, want) {
				t.Errorf("edit page lacks %q", want)
			}
		}
		// A refused edit changes nothing.
		wantHTML(t, "edit with a bad rating", w.post(t, s, editPath, url.Values{"rating": {"4.3"}, "comment": {"x"}, "watched_at": {"2024-01-01T20:30"}}), http.StatusBadRequest)
		// Without the form's token: refused.
		r := s.do(t, req{method: http.MethodPost, path: editPath, body: []byte("rating=1&watched_at=2024-01-01T20%3A30"),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": w.cookieHeader(), "Accept": "text/html"}})
		wantHTML(t, "edit without the CSRF token", r, http.StatusForbidden)

		wantSeeOther(t, "edit", w.post(t, s, editPath, url.Values{"rating": {"4.5"}, "comment": {"better"}, "watched_at": {"2024-01-02T21:00"}}), "/diary")
		e, _ := s.entryOf(t, "Vertigo")
		var hist historyJSON
		decodeStrict(t, s.get(t, "/api/movies/"+movie+"/history"), http.StatusOK, &hist)
		if len(hist.Viewings) != 2 || hist.Viewings[0].rating() != "4.5" || deref(hist.Viewings[0].Comment) != "better" ||
			hist.Viewings[0].WatchedAt != "2024-01-02T21:00:00" || hist.trend() != "declined" {
			t.Errorf("history after the edit: %+v trend %s (latest entry %+v)", hist.Viewings, hist.trend(), e.Review)
		}
		if !strings.Contains(s.feed(t), "<description>4.5/5 — better</description>") {
			t.Errorf("feed lacks the edited entry")
		}
		if page := string(w.page(t, s, "/diary").Body); !strings.Contains(page, "★★★★½") || !strings.Contains(page, ">better<") {
			t.Errorf("diary lacks the edited entry")
		}

		// Delete: a confirmation page first, which changes nothing.
		confirm := wantHTML(t, "delete page", w.page(t, s, deletePath), http.StatusOK)
		for _, want := range []string{"Vertigo (1958)", "2 January 2024", `action="` + deletePath + `"`, ">Delete</button>", `<a href="/diary">Cancel</a>`} {
			if !strings.Contains(confirm, want) {
				t.Errorf("confirmation lacks %q", want)
			}
		}
		if n := s.totalCount(t); n != 3 {
			t.Fatalf("total = %d after the confirmation page, want 3", n)
		}
		wantSeeOther(t, "delete", w.post(t, s, deletePath, url.Values{}), "/diary")
		if n := s.totalCount(t); n != 2 {
			t.Errorf("total = %d after the delete, want 2", n)
		}
		decodeStrict(t, s.get(t, "/api/movies/"+movie+"/history"), http.StatusOK, &hist)
		if len(hist.Viewings) != 1 || hist.Viewings[0].rating() != "2" || hist.trend() != "neutral" {
			t.Errorf("history after the delete: %+v trend %s", hist.Viewings, hist.trend())
		}
		if strings.Contains(s.feed(t), "better") {
			t.Errorf("feed still has the deleted entry")
		}
		if page := string(w.page(t, s, "/diary").Body); strings.Contains(page, ">better<") || !strings.Contains(page, "2 viewings") {
			t.Errorf("diary still shows the deleted entry or the old total")
		}
		wantHTML(t, "the deleted entry's edit page", w.page(t, s, editPath), http.StatusNotFound)
		wantHTML(t, "delete again", w.post(t, s, deletePath, url.Values{}), http.StatusNotFound)
	})
}

func TestWeb_AnotherUsersEntryIsRefused(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"))
		token, _ := s.account(t, "ann@example.com")
		s.account(t, "bob@example.com")
		e := s.logReview(t, token, map[string]any{"manual_title": "Vertigo", "manual_release_year": 1958, "rating": 4, "comment": "ann's", "watched_at": "2024-01-01T20:30:00"})
		bob := s.webSession(t, "bob@example.com", webPassword)
		editPath, deletePath := "/reviews/"+e.Review.ID+"/edit", "/reviews/"+e.Review.ID+"/delete"

		if page := string(bob.page(t, s, "/diary").Body); !strings.Contains(page, "Vertigo (1958)") || strings.Contains(page, editPath) || strings.Contains(page, deletePath) {
			t.Errorf("bob's diary offers to change ann's entry")
		}
		wantHTML(t, "bob's GET edit", bob.page(t, s, editPath), http.StatusForbidden)
		wantHTML(t, "bob's GET delete", bob.page(t, s, deletePath), http.StatusForbidden)
		wantHTML(t, "bob's POST edit", bob.post(t, s, editPath, url.Values{"rating": {"1"}, "comment": {"bob's"}, "watched_at": {"2024-01-01T20:30"}}), http.StatusForbidden)
		wantHTML(t, "bob's POST delete", bob.post(t, s, deletePath, url.Values{}), http.StatusForbidden)
		if got, ok := s.entryOf(t, "Vertigo"); !ok || got.Review.rating() != "4" || deref(got.Review.Comment) != "ann's" {
			t.Errorf("bob's refused requests changed ann's entry: %+v", got.Review)
		}
		// A signed-out browser is sent to sign in.
		if r := s.get(t, editPath); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
			t.Errorf("signed-out GET edit = %s, want 303 → /login", r)
		}
	})
}

var (
	newTokenRe = regexp.MustCompile(`<code class="token" id="new-token">(mdpat_[A-Za-z0-9_-]+)</code>`)
	revokeRe   = regexp.MustCompile(`action="(/tokens/[0-9a-f-]{36}/revoke)"`)
)

func TestWeb_TokensPage(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		s.account(t, "owner@example.com")
		if r := s.get(t, "/tokens"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
			t.Errorf("signed-out GET /tokens = %s, want 303 → /login", r)
		}
		w := s.webSession(t, "owner@example.com", webPassword)
		if page := wantHTML(t, "GET /tokens", w.page(t, s, "/tokens"), http.StatusOK); !strings.Contains(page, "No tokens yet.") {
			t.Errorf("a new account's tokens page lists tokens")
		}
		wantHTML(t, "a token without a name", w.post(t, s, "/tokens", url.Values{"name": {" "}}), http.StatusBadRequest)

		expires := time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly)
		r := w.post(t, s, "/tokens", url.Values{"name": {"script"}, "expires_at": {expires}})
		page := wantHTML(t, "POST /tokens", r, http.StatusCreated)
		m := newTokenRe.FindStringSubmatch(page)
		if m == nil || !strings.Contains(page, "it will not be shown again") || r.Header.Get("Location") != "" {
			t.Fatalf("the new token is not on the page with its note: %s", r)
		}
		secret := m[1]

		e := s.logReview(t, secret, map[string]any{"manual_title": "Rope", "manual_release_year": 1948, "rating": 4.5, "watched_at": watched(1)})
		if e.Review.rating() != "4.5" {
			t.Errorf("logged with the token: rating %s", e.Review.rating())
		}
		list := wantHTML(t, "GET /tokens with a token", w.page(t, s, "/tokens"), http.StatusOK)
		if strings.Contains(list, secret) || !strings.Contains(list, ">script<") || !strings.Contains(list, secret[:14]+"…") {
			t.Errorf("the list shows the token again, or lacks its name or prefix")
		}
		revoke := revokeRe.FindStringSubmatch(list)
		if revoke == nil {
			t.Fatalf("no revoke button on the tokens page")
		}
		wantSeeOther(t, "revoke", w.post(t, s, revoke[1], url.Values{}), "/tokens")
		if r := s.postJSON(t, "/api/reviews", map[string]any{"manual_title": "Rope", "manual_release_year": 1948, "watched_at": watched(1)}, secret); r.Status != http.StatusUnauthorized {
			t.Errorf("the revoked token = %s, want 401", r)
		}
		if page := string(w.page(t, s, "/tokens").Body); !strings.Contains(page, "No tokens yet.") {
			t.Errorf("the revoked token is still listed")
		}
	})
}
