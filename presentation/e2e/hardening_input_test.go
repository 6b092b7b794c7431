package e2e_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestHardening_ControlCharacters: a title, director, comment or email
// holding NUL, another C0 control, DEL or a C1 control is refused with a
// 400 naming the field, on both stores, through the JSON API and the HTML
// forms, and nothing is stored. A comment keeps tab and newline; CRLF and
// lone CR (what an HTML textarea posts) are stored as LF. Titles and
// directors are single lines: no tab, no line break.
func TestHardening_ControlCharacters(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"))
		token, _ := s.account(t, "owner@example.com")
		s.logReview(t, token, map[string]any{"manual_title": "Seed Film", "manual_release_year": 2010, "rating": 3, "watched_at": watched(0)})
		const total = 1

		manual := func(set map[string]any) map[string]any {
			body := map[string]any{"manual_title": "Fresh Film", "manual_release_year": 2011, "rating": 4, "watched_at": watched(1)}
			for k, v := range set {
				body[k] = v
			}
			return body
		}
		refused := []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"comment that is one NUL", manual(map[string]any{"comment": "\u0000"}), "comment"},
			{"comment with a NUL inside", manual(map[string]any{"comment": "good\u0000film"}), "comment"},
			{"comment with an escape sequence", manual(map[string]any{"comment": "\u001b[31mred\u001b[0m"}), "comment"},
			{"comment with a bell", manual(map[string]any{"comment": "ding\u0007"}), "comment"},
			{"comment with a vertical tab", manual(map[string]any{"comment": "a\u000bb"}), "comment"},
			{"comment with DEL", manual(map[string]any{"comment": "oops\u007f"}), "comment"},
			{"comment with a C1 control", manual(map[string]any{"comment": "a\u0085b"}), "comment"},
			{"title that is one NUL", manual(map[string]any{"manual_title": "\u0000"}), "manual_title"},
			{"title with a NUL inside", manual(map[string]any{"manual_title": "Alien\u0000"}), "manual_title"},
			{"title with a newline", manual(map[string]any{"manual_title": "Alien\nResurrection"}), "manual_title"},
			{"title with a tab", manual(map[string]any{"manual_title": "Alien\tResurrection"}), "manual_title"},
			{"title with DEL", manual(map[string]any{"manual_title": "Alien\u007f"}), "manual_title"},
			{"director with a NUL", manual(map[string]any{"manual_director": "Ridley\u0000Scott"}), "manual_director"},
			{"director with a carriage return", manual(map[string]any{"manual_director": "Ridley\rScott"}), "manual_director"},
			{"director with an escape", manual(map[string]any{"manual_director": "\u001bRidley"}), "manual_director"},
		}
		for _, c := range refused {
			t.Run("api "+c.name, func(t *testing.T) {
				r := s.postJSON(t, "/api/reviews", c.body, token)
				p := expectProblem(t, r, http.StatusBadRequest, c.field)
				if !problemNames(p, c.field) {
					t.Errorf("errors = %+v, want one for %s", p.Errors, c.field)
				}
			})
		}
		t.Run("api every text field is reported", func(t *testing.T) {
			r := s.postJSON(t, "/api/reviews", manual(map[string]any{"manual_title": "A\u0001", "manual_director": "B\u0002", "comment": "C\u0003"}), token)
			p := expectProblem(t, r, http.StatusBadRequest, "manual_title", "manual_director", "comment")
			for _, f := range []string{"manual_title", "manual_director", "comment"} {
				if !problemNames(p, f) {
					t.Errorf("errors = %+v, want one for %s", p.Errors, f)
				}
			}
		})
		emails := []string{"owner\u0000@example.com", "a\u0001b@example.com", "\"a\tb\"@example.com", "\"a\u0085b\"@example.com", "ann@example.com\u007f"}
		for _, email := range emails {
			t.Run("api register "+url.QueryEscape(email), func(t *testing.T) {
				r := s.postJSON(t, "/api/auth/register", map[string]string{"email": email, "password": "long enough"}, "")
				p := expectProblem(t, r, http.StatusBadRequest, "email")
				if !problemNames(p, "email") {
					t.Errorf("errors = %+v, want one for email", p.Errors)
				}
			})
		}

		web := s.webSession(t, "owner@example.com", "correct horse battery")
		formRefused := []struct {
			name, field, value, label string
		}{
			{"form comment with a NUL", "comment", "bad\x00film", "Comment"},
			{"form comment with an escape", "comment", "\x1b[2J", "Comment"},
			{"form title with a NUL", "manual_title", "Alien\x00", "Title"},
			{"form title with a line break", "manual_title", "Alien\r\nResurrection", "Title"},
			{"form director with a NUL", "manual_director", "\x00", "Director"},
		}
		for _, c := range formRefused {
			t.Run(c.name, func(t *testing.T) {
				form := url.Values{"manual_title": {"Form Film"}, "manual_release_year": {"2012"}, "rating": {"4"}, "watched_at": {"2024-05-01T20:30"}}
				form.Set(c.field, c.value)
				r := web.post(t, s, "/reviews", form)
				if r.Status != http.StatusBadRequest || !strings.HasPrefix(r.ContentType(), "text/html") {
					t.Fatalf("POST /reviews = %s, want a 400 page", r)
				}
				if !strings.Contains(string(r.Body), c.label+" must") {
					t.Errorf("the page does not name the field %q:\n%s", c.label, r.Body)
				}
			})
		}
		t.Run("form register with a NUL in the email", func(t *testing.T) {
			r := web.post(t, s, "/register", url.Values{"email": {"new\x00@example.com"}, "password": {"long enough"}})
			if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "Email must") {
				t.Fatalf("POST /register = %s, want a 400 page naming the email", r)
			}
		})

		if got := s.totalCount(t); got != total {
			t.Fatalf("total_count = %d after refused input, want %d: something was stored", got, total)
		}
		for _, email := range emails {
			clean := strings.Map(func(r rune) rune {
				if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '"' {
					return -1
				}
				return r
			}, email)
			if r := s.postJSON(t, "/api/auth/login", map[string]string{"email": clean, "password": "long enough"}, ""); r.Status == http.StatusOK {
				t.Errorf("an account %q exists after its refused registration", clean)
			}
		}

		// What is allowed: tab and newline in a comment; CRLF and CR become
		// LF, so a textarea's line breaks are stored as one character.
		t.Run("comment line breaks", func(t *testing.T) {
			e := s.logReview(t, token, manual(map[string]any{"comment": "first line\r\nsecond\tline\rthird line\n"}))
			if e.Review.Comment == nil || *e.Review.Comment != "first line\nsecond\tline\nthird line" {
				t.Errorf("comment = %q, want CRLF and CR stored as LF, tab kept", deref(e.Review.Comment))
			}
			before := s.totalCount(t)
			form := url.Values{"manual_title": {"Form Film"}, "manual_release_year": {"2012"}, "rating": {"4"}, "watched_at": {"2024-05-01T20:30"}, "comment": {"from a\r\ntextarea"}}
			if r := web.post(t, s, "/reviews", form); r.Status != http.StatusSeeOther {
				t.Fatalf("POST /reviews = %s, want 303", r)
			}
			d := s.diary(t, "limit=100")
			if d.TotalCount != before+1 {
				t.Fatalf("total_count = %d, want %d", d.TotalCount, before+1)
			}
			found := false
			for _, it := range d.Items {
				if it.Movie.Title == "Form Film" {
					found = true
					if it.Review.Comment == nil || *it.Review.Comment != "from a\ntextarea" {
						t.Errorf("form comment = %q, want %q", deref(it.Review.Comment), "from a\ntextarea")
					}
				}
			}
			if !found {
				t.Error("the form's review is not in the diary")
			}
		})
	})
}

// problemNames reports whether p lists an error for field.
func problemNames(p problemJSON, field string) bool {
	for _, e := range p.Errors {
		if e.Field == field {
			return true
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

// webSession is a browser signed in through the HTML login form: its
// cookies (pre-session and session) and the CSRF token its forms carry.
type webSession struct {
	cookies []*http.Cookie
	csrf    string
}

// webSession signs email in through GET and POST /login. The CSRF token is
// bound to the browser's cookies, so it is read from the pages: the login
// form's before, the diary's after signing in.
func (s *server) webSession(t *testing.T, email, password string) *webSession {
	t.Helper()
	page := s.get(t, "/login")
	if page.Status != http.StatusOK {
		t.Fatalf("GET /login: %s", page)
	}
	w := &webSession{}
	w.keep(page)
	w.csrf = pageCSRFToken(t, page)
	r := w.post(t, s, "/login", url.Values{"email": {email}, "password": {password}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("POST /login = %s, want 303", r)
	}
	diary := s.do(t, req{method: http.MethodGet, path: "/diary", header: map[string]string{"Cookie": w.cookieHeader()}})
	w.keep(diary)
	w.csrf = pageCSRFToken(t, diary)
	return w
}

// pageCSRFToken returns the value of the page's first csrf_token field.
func pageCSRFToken(t *testing.T, page response) string {
	t.Helper()
	_, rest, ok := strings.Cut(string(page.Body), `name="csrf_token" value="`)
	token, _, closed := strings.Cut(rest, `"`)
	if !ok || !closed || token == "" {
		t.Fatalf("page has no csrf_token field: %s", page)
	}
	return token
}

// cookieHeader is the Cookie header of the session's cookies.
func (w *webSession) cookieHeader() string {
	var cookie []string
	for _, c := range w.cookies {
		cookie = append(cookie, c.Name+"="+c.Value)
	}
	return strings.Join(cookie, "; ")
}

// keep remembers the cookies r sets.
func (w *webSession) keep(r response) {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		kept := w.cookies[:0]
		for _, old := range w.cookies {
			if old.Name != c.Name {
				kept = append(kept, old)
			}
		}
		w.cookies = kept
		if c.MaxAge >= 0 && c.Value != "" {
			w.cookies = append(w.cookies, c)
		}
	}
}

// post sends form (plus the CSRF token) with the session's cookies.
func (w *webSession) post(t *testing.T, s *server, path string, form url.Values) response {
	t.Helper()
	form.Set("csrf_token", w.csrf)
	r := s.do(t, req{method: http.MethodPost, path: path, body: []byte(form.Encode()), header: map[string]string{
		"Content-Type": "application/x-www-form-urlencoded",
		"Cookie":       w.cookieHeader(),
	}})
	w.keep(r)
	return r
}
