package e2e_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHardening_ClosedSignUpAnswersAlike: once sign-up is closed, the
// owner's email, the same in other case and any other email get
// byte-identical 403 problem+json answers, on the API and the form.
func TestHardening_ClosedSignUpAnswersAlike(t *testing.T) {
	t.Parallel()
	creds := func(email string) map[string]string {
		return map[string]string{"email": email, "password": "correct horse battery"}
	}
	forEachDB(t, func(t *testing.T, db string) {
		for _, policy := range []string{"", "false"} {
			t.Run("ALLOW_REGISTRATION="+policy, func(t *testing.T) {
				t.Parallel()
				s := startApp(t, db, withEnv("ALLOW_REGISTRATION", policy))
				if policy == "" {
					s.account(t, "owner@example.com")
				}
				var first []byte
				for _, email := range []string{"owner@example.com", "OWNER@Example.com", "guest@example.com", "owner@example.com"} {
					r := s.postJSON(t, "/api/auth/register", creds(email), "")
					expectProblem(t, r, http.StatusForbidden, "registration is closed")
					if first == nil {
						first = r.Body
					} else if !bytes.Equal(r.Body, first) {
						t.Errorf("refusal of %s = %s, want the same bytes as %s", email, r.Body, first)
					}
				}
				for _, email := range []string{"owner@example.com", "guest@example.com"} {
					r := s.postForm(t, "/register", url.Values{"email": {email}, "password": {"correct horse battery"}})
					if r.Status != http.StatusForbidden || !bytes.Contains(r.Body, []byte("registration is closed")) {
						t.Errorf("form sign-up of %s = %s, want 403 registration is closed", email, r)
					}
				}
			})
		}
	})
}

// TestHardening_RegisterRateLimit: sign-ups are limited like logins — 10
// attempts a minute per client, whatever their outcome, then 429 with
// Retry-After — on the API and the form, which share the budget; the login
// budget is separate.
func TestHardening_RegisterRateLimit(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		s.account(t, "owner@example.com") // the first of the 10
		for i := range 8 {
			r := s.postJSON(t, "/api/auth/register", map[string]string{"email": fmt.Sprintf("guest%d@example.com", i), "password": "correct horse battery"}, "")
			expectProblem(t, r, http.StatusForbidden)
		}
		if r := s.postForm(t, "/register", url.Values{"email": {"form@example.com"}, "password": {"correct horse battery"}}); r.Status != http.StatusForbidden {
			t.Fatalf("10th attempt, on the form: %s, want 403", r)
		}
		r := s.postJSON(t, "/api/auth/register", map[string]string{"email": "late@example.com", "password": "correct horse battery"}, "")
		expectProblem(t, r, http.StatusTooManyRequests, "sign-up")
		if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 1 {
			t.Errorf("Retry-After = %q, want whole seconds ≥ 1", r.Header.Get("Retry-After"))
		}
		page := s.postForm(t, "/register", url.Values{"email": {"late@example.com"}, "password": {"correct horse battery"}})
		if page.Status != http.StatusTooManyRequests || page.Header.Get("Retry-After") == "" || !strings.HasPrefix(page.ContentType(), "text/html") {
			t.Errorf("form over the limit = %s (Retry-After %q), want a 429 page with Retry-After", page, page.Header.Get("Retry-After"))
		}
		s.login(t, "owner@example.com", "correct horse battery") // the login budget is untouched
	})
}

// TestHardening_RegisterWithoutDatabase: while it cannot tell whether
// the email is taken, an open sign-up is a 503 problem.
func TestHardening_RegisterWithoutDatabase(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"), withDatabaseProxy())
		if s.dbProxy != nil {
			s.dbProxy.cut()
		} else if err := s.app.Store().Close(); err != nil {
			t.Fatalf("close the store: %v", err)
		}
		r := s.postJSON(t, "/api/auth/register", map[string]string{"email": "guest@example.com", "password": "correct horse battery"}, "")
		expectProblem(t, r, http.StatusServiceUnavailable)
	})
}

// TestHardening_BodyLimit: one limit, 1 MiB (1,048,576 bytes), for every
// body: exactly 1 MiB is read, one byte more is a 413 — whether the length
// is declared or the body is chunked, on the API and on the HTML forms.
// The one body never read is a sign-up's on the API while sign-up is
// closed: declared over the limit it is a 413, chunked it is refused 403
// unread, like any closed sign-up.
func TestHardening_BodyLimit(t *testing.T) {
	t.Parallel()
	const limit = 1 << 20
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "false"))
		cookie, csrf := s.signedOutForm(t)
		// jsonOf is a login or sign-up body padded with spaces to n bytes.
		jsonOf := func(n int) []byte {
			b := []byte(`{"email":"guest@example.com","password":"correct horse battery"}`)
			return append(b, bytes.Repeat([]byte(" "), n-len(b))...)
		}
		// formOf is a form post padded with a field nobody reads to n bytes.
		formOf := func(n int) []byte {
			b := []byte(url.Values{"csrf_token": {csrf}, "email": {"guest@example.com"}, "password": {"correct horse battery"}}.Encode() + "&pad=")
			return append(b, bytes.Repeat([]byte("x"), n-len(b))...)
		}
		targets := []struct {
			path     string
			header   map[string]string
			body     func(n int) []byte
			withinIs int  // the status of a body of exactly 1 MiB
			unread   bool // a chunked body over the limit is refused unread, as a body within it
		}{
			{"/api/auth/login", map[string]string{"Content-Type": "application/json"}, jsonOf, http.StatusUnauthorized, false},
			{"/api/auth/register", map[string]string{"Content-Type": "application/json"}, jsonOf, http.StatusForbidden, true},
			{"/login", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "Accept": "application/json"}, formOf, http.StatusUnauthorized, false},
			{"/register", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "Accept": "application/json"}, formOf, http.StatusForbidden, false},
		}
		for _, tg := range targets {
			for _, chunked := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s chunked=%v", tg.path, chunked), func(t *testing.T) {
					if r := s.raw(t, tg.path, tg.header, tg.body(limit), chunked); r.Status != tg.withinIs {
						t.Errorf("exactly 1 MiB: %s, want %d", r, tg.withinIs)
					}
					r := s.raw(t, tg.path, tg.header, tg.body(limit+1), chunked)
					if chunked && tg.unread {
						expectProblem(t, r, tg.withinIs)
						return
					}
					expectProblem(t, r, http.StatusRequestEntityTooLarge, "larger than 1 MiB")
				})
			}
		}
		// A browser gets the 413 as a page.
		h := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "Accept": "text/html"}
		if r := s.raw(t, "/login", h, formOf(limit+1), true); r.Status != http.StatusRequestEntityTooLarge || !strings.HasPrefix(r.ContentType(), "text/html") {
			t.Errorf("form over the limit from a browser: %s, want a 413 page", r)
		}
	})
}

// TestHardening_BodyCutOffByTheReadTimeout: a client that sends its
// headers and half its body, then stalls past the server's read timeout,
// is answered 408 problem+json — a real status; one that hangs up
// instead is counted as 499 in the metrics, a label only.
func TestHardening_BodyCutOffByTheReadTimeout(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("HTTP_READ_TIMEOUT", "300ms"))
		cookie, _ := s.signedOutForm(t)
		for _, tc := range []struct {
			path, route string
			header      map[string]string
		}{
			{"/api/auth/login", "/api/auth/login", map[string]string{"Content-Type": "application/json"}},
			{"/login", "/login", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "Accept": "application/json"}},
		} {
			t.Run(tc.path, func(t *testing.T) {
				conn := s.dial(t)
				writeHead(t, conn, tc.path, tc.header, 200)
				if _, err := conn.Write(bytes.Repeat([]byte(" "), 100)); err != nil {
					t.Fatalf("write half the body: %v", err)
				}
				// The client stalls here: the answer comes when the server's
				// read timeout ends.
				r := readResponse(t, conn)
				expectProblem(t, r, http.StatusRequestTimeout, "did not arrive in time")
				s.waitMetric(t, "moviediary_http_requests_total", `method="POST",route="`+tc.route+`",status="408"`, 1)

				conn = s.dial(t)
				writeHead(t, conn, tc.path, tc.header, 200)
				if _, err := conn.Write(bytes.Repeat([]byte(" "), 100)); err != nil {
					t.Fatalf("write half the body: %v", err)
				}
				_ = conn.Close() // hangs up
				s.waitMetric(t, "moviediary_http_requests_total", `method="POST",route="`+tc.route+`",status="499"`, 1)
			})
		}
	})
}

// postForm posts a signed-out HTML form with a fresh CSRF token, as a
// browser does.
func (s *server) postForm(t *testing.T, path string, form url.Values) response {
	t.Helper()
	cookie, token := s.signedOutForm(t)
	form.Set("csrf_token", token)
	return s.do(t, req{method: http.MethodPost, path: path, body: []byte(form.Encode()), header: map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "Accept": "text/html"}})
}

// signedOutForm fetches the login page and returns the Cookie header of its
// pre-session cookie and the CSRF token its form carries.
func (s *server) signedOutForm(t *testing.T) (cookie, token string) {
	t.Helper()
	r := s.get(t, "/login")
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "moviediary_csrf" {
			cookie = c.Name + "=" + c.Value
		}
	}
	_, rest, ok := strings.Cut(string(r.Body), `name="csrf_token" value="`)
	token, _, closed := strings.Cut(rest, `"`)
	if cookie == "" || !ok || !closed || token == "" {
		t.Fatalf("GET /login gave no pre-session cookie or no CSRF token: %s", r)
	}
	return cookie, token
}

// dial opens a raw connection to the server, closed when the test ends.
func (s *server) dial(t *testing.T) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(pollDeadline)); err != nil {
		t.Fatalf("deadline: %v", err)
	}
	return conn
}

// writeHead writes a POST's request line and headers; length -1 means
// Transfer-Encoding: chunked.
func writeHead(t *testing.T, conn net.Conn, path string, header map[string]string, length int) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: diary.example\r\nConnection: close\r\n", path)
	for k, v := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	if length < 0 {
		b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
	} else {
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", length)
	}
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatalf("write headers: %v", err)
	}
}

// readResponse reads one whole response from conn.
func readResponse(t *testing.T, conn net.Conn) response {
	t.Helper()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read response body: %v", err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: body}
}

// raw posts body over a connection of its own, with Content-Length or
// chunked, writing while it reads, so that an answer the server sends
// before reading the whole body is seen.
func (s *server) raw(t *testing.T, path string, header map[string]string, body []byte, chunked bool) response {
	t.Helper()
	conn := s.dial(t)
	length := len(body)
	if chunked {
		length = -1
	}
	writeHead(t, conn, path, header, length)
	go func() {
		// Errors are expected when the server refuses early and closes.
		if !chunked {
			_, _ = conn.Write(body)
			return
		}
		cw := httputil.NewChunkedWriter(conn)
		for rest := body; len(rest) > 0; {
			n := min(len(rest), 32<<10)
			if _, err := cw.Write(rest[:n]); err != nil {
				return
			}
			rest = rest[n:]
		}
		_ = cw.Close()
		_, _ = io.WriteString(conn, "\r\n")
	}()
	return readResponse(t, conn)
}
