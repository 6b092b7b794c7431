package presentation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/moviediary/moviediary/presentation/wiring"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testApp is an App on a fresh SQLite file, driven through its handler.
type testApp struct {
	t    *testing.T
	app  *wiring.App
	h    http.Handler
	logs *syncBuffer
}

// newTestApp wires an App from env (over a temp SQLite database and data
// directory, OMDB_API_KEY unset) and closes it when the test ends.
func newTestApp(t *testing.T, env map[string]string) *testApp {
	t.Helper()
	dir := t.TempDir()
	full := map[string]string{
		"DATABASE_URL": "sqlite://" + filepath.Join(dir, "db.sqlite"),
		"DATA_DIR":     filepath.Join(dir, "data"),
	}
	for k, v := range env {
		full[k] = v
	}
	cfg, err := wiring.LoadConfig(func(k string) string { return full[k] })
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	app, err := wiring.New(context.Background(), cfg, logger)
	if err != nil {
		t.Fatalf("wiring.New: %v", err)
	}
	t.Cleanup(func() {
		if err := app.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &testApp{t: t, app: app, h: app.Handler(), logs: logs}
}

// request describes one request to the handler.
type request struct {
	method, path string
	remoteAddr   string
	header       http.Header
	body         string
	form         url.Values
	cookies      []*http.Cookie
}

// do serves r and returns the recorded response.
func (a *testApp) do(r request) *http.Response {
	a.t.Helper()
	var body io.Reader
	if r.form != nil {
		body = strings.NewReader(r.form.Encode())
	} else if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req := httptest.NewRequest(r.method, r.path, body)
	if r.remoteAddr != "" {
		req.RemoteAddr = r.remoteAddr
	}
	for k, vs := range r.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if r.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range r.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return rec.Result()
}

// get is a GET that accepts HTML, as a browser sends it.
func (a *testApp) get(path string, cookies ...*http.Cookie) *http.Response {
	a.t.Helper()
	return a.do(request{method: http.MethodGet, path: path, cookies: cookies,
		header: http.Header{"Accept": {"text/html,application/xhtml+xml"}}})
}

// postJSON posts a JSON body.
func (a *testApp) postJSON(path, body string) *http.Response {
	a.t.Helper()
	return a.do(request{method: http.MethodPost, path: path, body: body,
		header: http.Header{"Content-Type": {"application/json"}}})
}

// register creates an account through the JSON API.
func (a *testApp) register(email, password string) {
	a.t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res := a.postJSON("/api/auth/register", string(b))
	if res.StatusCode != http.StatusCreated {
		a.t.Fatalf("register %s: status %d: %s", email, res.StatusCode, readBody(a.t, res))
	}
}

// loginForm fetches /login and returns the pre-session cookie it set and
// the CSRF token of its form, which is bound to that cookie.
func (a *testApp) loginForm() (*http.Cookie, string) {
	a.t.Helper()
	res := a.get("/login")
	ck := cookieNamed(res, "moviediary_csrf")
	if ck == nil {
		a.t.Fatalf("GET /login set no moviediary_csrf cookie; Set-Cookie: %q", res.Header.Values("Set-Cookie"))
	}
	return ck, formToken(a.t, readBody(a.t, res))
}

// diaryToken returns the CSRF token of the diary page served with cookies.
func (a *testApp) diaryToken(cookies ...*http.Cookie) string {
	a.t.Helper()
	return formToken(a.t, readBody(a.t, a.get("/diary", cookies...)))
}

// signIn logs in through the HTML form and returns the session cookie and
// the CSRF token the signed-in diary page carries for it.
func (a *testApp) signIn(email, password string) (session *http.Cookie, token string) {
	a.t.Helper()
	pre, preToken := a.loginForm()
	res := a.do(request{method: http.MethodPost, path: "/login", cookies: []*http.Cookie{pre},
		form: url.Values{"csrf_token": {preToken}, "email": {email}, "password": {password}}})
	if res.StatusCode != http.StatusSeeOther {
		a.t.Fatalf("POST /login: status %d: %s", res.StatusCode, readBody(a.t, res))
	}
	session = cookieNamed(res, "moviediary_session")
	if session == nil || session.Value == "" {
		a.t.Fatalf("POST /login set no session cookie; Set-Cookie: %q", res.Header.Values("Set-Cookie"))
	}
	return session, a.diaryToken(session)
}

func readBody(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	_ = res.Body.Close()
	return string(b)
}

func cookieNamed(res *http.Response, name string) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

// formToken returns the value of the first hidden csrf_token field.
func formToken(t *testing.T, page string) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("page has no csrf_token field:\n%s", page)
	}
	return m[1]
}

func decodeJSONBody(t *testing.T, res *http.Response, dst any) {
	t.Helper()
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(dst); err != nil {
		t.Fatalf("decode JSON body: %v", err)
	}
}

// problem is the problem+json shape.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field string `json:"field"`
		Rule  string `json:"rule"`
	} `json:"errors"`
}

// wantProblem checks that res is a problem+json reply with status and
// returns it.
func wantProblem(t *testing.T, res *http.Response, status int) problem {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("status = %d, want %d; body: %s", res.StatusCode, status, readBody(t, res))
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("Content-Type = %q, want application/problem+json; body: %s", ct, readBody(t, res))
	}
	var p problem
	decodeJSONBody(t, res, &p)
	if p.Status != status || p.Title == "" || p.Type == "" {
		t.Errorf("problem = %+v, want status %d with type and title", p, status)
	}
	return p
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}
