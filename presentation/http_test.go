package presentation_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// loginAttempt is one cheap login attempt (no body, so no password hash is
// computed) from peer, with an optional X-Forwarded-For.
func (a *testApp) loginAttempt(peer, xff string) *http.Response {
	a.t.Helper()
	h := http.Header{}
	if xff != "" {
		h.Set("X-Forwarded-For", xff)
	}
	return a.do(request{method: http.MethodPost, path: "/api/auth/login", remoteAddr: peer, header: h})
}

// exhaust spends the burst of 10 attempts and fails if any was limited.
func (a *testApp) exhaust(peer string, xff func(i int) string) {
	a.t.Helper()
	for i := range 10 {
		res := a.loginAttempt(peer, xff(i))
		if res.StatusCode == http.StatusTooManyRequests {
			a.t.Fatalf("attempt %d of the burst was limited", i+1)
		}
	}
}

func wantLimited(t *testing.T, res *http.Response) {
	t.Helper()
	wantProblem(t, res, http.StatusTooManyRequests)
	secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Errorf("Retry-After = %q, want whole seconds ≥ 1", res.Header.Get("Retry-After"))
	}
}

func wantNotLimited(t *testing.T, res *http.Response) {
	t.Helper()
	if res.StatusCode == http.StatusTooManyRequests {
		t.Errorf("request was rate limited; want it admitted")
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	peer := "198.51.100.10:40000"
	good := fmt.Sprintf(`{"email":%q,"password":%q}`, ownerEmail, ownerPassword)
	login := func() *http.Response {
		return a.do(request{method: http.MethodPost, path: "/api/auth/login", remoteAddr: peer, body: good,
			header: http.Header{"Content-Type": {"application/json"}}})
	}
	// Successful and failed attempts count alike. The bucket refills one
	// attempt every 6 s, so the burst is spent with cheap attempts (no
	// password hash) and a single real login.
	for i := range 9 {
		if res := a.loginAttempt(peer, ""); res.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("attempt %d limited", i+1)
		}
	}
	if res := login(); res.StatusCode != http.StatusOK {
		t.Fatalf("10th attempt, a good login = %d, want 200", res.StatusCode)
	}
	wantLimited(t, login())
	// The HTML form shares the budget, and its 429 is a page.
	ck, token := a.loginForm()
	res := a.do(request{method: http.MethodPost, path: "/login", remoteAddr: peer, cookies: []*http.Cookie{ck},
		form:   map[string][]string{"csrf_token": {token}, "email": {ownerEmail}, "password": {ownerPassword}},
		header: http.Header{"Accept": {"text/html"}}})
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("HTML login from a limited IP: %d, Retry-After %q, Content-Type %q",
			res.StatusCode, res.Header.Get("Retry-After"), res.Header.Get("Content-Type"))
	}
	// Another client is unaffected.
	wantNotLimited(t, a.loginAttempt("198.51.100.11:40000", ""))
	// Other routes are not limited.
	if res := a.do(request{method: http.MethodGet, path: "/api/diary", remoteAddr: peer}); res.StatusCode != http.StatusOK {
		t.Errorf("GET /api/diary from a login-limited IP: %d", res.StatusCode)
	}
}

func TestClientIPIgnoresForwardedForFromUntrustedPeer(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8"})
	peer := "203.0.113.5:5555"
	a.exhaust(peer, func(i int) string { return fmt.Sprintf("192.0.2.%d", i+1) })
	// A fresh forged address does not buy a fresh budget.
	wantLimited(t, a.loginAttempt(peer, "192.0.2.200"))
}

func TestClientIPHonoursForwardedForFromTrustedProxy(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 2001:db8::/32"})
	proxy := "10.1.2.3:443"
	a.exhaust(proxy, func(int) string { return "198.51.100.7" })
	wantLimited(t, a.loginAttempt(proxy, "198.51.100.7"))
	// Another client behind the same proxy has its own budget…
	wantNotLimited(t, a.loginAttempt(proxy, "198.51.100.8"))
	// …and so does the same client through another trusted proxy, or
	// over IPv6 with an IPv4-mapped client address.
	wantLimited(t, a.loginAttempt("[2001:db8::1]:443", "::ffff:198.51.100.7"))
}

func TestClientIPWalksRightToLeftPastTrustedHops(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8"})
	proxy := "10.0.0.1:443"
	// The client prepends a forged address each time; the hops appended by
	// trusted proxies and the real client are the same.
	a.exhaust(proxy, func(i int) string { return fmt.Sprintf("192.0.2.%d, 198.51.100.20, 10.0.0.9", i+1) })
	wantLimited(t, a.loginAttempt(proxy, "192.0.2.99, 198.51.100.20, 10.0.0.9"))
	// Several header lines are one list.
	h := http.Header{"X-Forwarded-For": {"192.0.2.98", "198.51.100.20, 10.0.0.9"}}
	wantLimited(t, a.do(request{method: http.MethodPost, path: "/api/auth/login", remoteAddr: proxy, header: h}))
	// The client is the first untrusted hop from the right, not the leftmost.
	wantNotLimited(t, a.loginAttempt(proxy, "198.51.100.20, 198.51.100.21, 10.0.0.9"))
}

func TestClientIPWhenEveryHopIsTrusted(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8"})
	proxy := "10.0.0.1:443"
	// All hops trusted: the leftmost one is the client.
	a.exhaust(proxy, func(int) string { return "10.9.9.9, 10.0.0.5" })
	wantLimited(t, a.loginAttempt(proxy, "10.9.9.9, 10.0.0.6"))
	// An unparseable hop stops the walk at the last trusted address.
	wantLimited(t, a.loginAttempt("10.0.0.2:443", "garbage, 10.9.9.9"))
	// No header: the trusted peer itself.
	wantNotLimited(t, a.loginAttempt("10.0.0.3:443", ""))
}

func TestHTMLAndProblemErrorPages(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)

	res := a.get("/no/such/page")
	body := readBody(t, res)
	if res.StatusCode != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("unknown HTML route: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if !strings.Contains(body, "Error 404") || !strings.Contains(body, `href="/diary"`) {
		t.Errorf("404 page:\n%s", body)
	}

	// Under /api it is problem+json even when the client prefers HTML.
	res = a.do(request{method: http.MethodGet, path: "/api/no/such", header: http.Header{"Accept": {"text/html"}}})
	wantProblem(t, res, http.StatusNotFound)

	// A client that asks for JSON only gets problem+json off /api too.
	res = a.do(request{method: http.MethodGet, path: "/no/such/page", header: http.Header{"Accept": {"application/json"}}})
	wantProblem(t, res, http.StatusNotFound)

	// A wrong method on a known route is a client error, not a 500.
	res = a.do(request{method: http.MethodDelete, path: "/api/diary"})
	if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /api/diary = %d, want 404 or 405", res.StatusCode)
	}
	wantProblem(t, res, res.StatusCode)
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	for _, path := range []string{"/diary", "/login", "/no/such/page"} {
		res := a.get(path)
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		if csp == "" || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP = %q", path, csp)
		}
		for _, bad := range []string{"script-src", "unsafe-inline", "unsafe-eval", "*"} {
			if strings.Contains(csp, bad) {
				t.Errorf("%s: CSP %q allows scripts or wildcards (%s)", path, csp, bad)
			}
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", path, h)
		}
		// Pages with forms are never stored; the public diary, the same
		// for everyone signed out, may be kept by a proxy that revalidates
		// it (its ETag).
		switch want := map[string]string{"/login": "no-store", "/diary": "public, no-cache"}[path]; {
		case want != "" && h.Get("Cache-Control") != want:
			t.Errorf("%s: Cache-Control = %q, want %q", path, h.Get("Cache-Control"), want)
		case path == "/diary" && h.Get("ETag") == "":
			t.Errorf("%s: no ETag", path)
		}
	}
	res := a.do(request{method: http.MethodGet, path: "/api/diary"})
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("API lacks nosniff")
	}
	if res.Header.Get("Content-Security-Policy") != "" {
		t.Errorf("API responses get the page CSP: %q", res.Header.Get("Content-Security-Policy"))
	}
}

// TestSecurityHeadersOnRefusedBodies: a body refused before any handler
// runs (413) gets the same security headers: the page answer its CSP,
// X-Frame-Options and nosniff, the problem+json answer the latter two.
func TestSecurityHeadersOnRefusedBodies(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	tooLarge := strings.Repeat("x", 1<<20+1)
	for _, tt := range []struct {
		name, path, contentType string
		page                    bool
	}{
		{"HTML form", "/reviews", "application/x-www-form-urlencoded", true},
		{"API", "/api/auth/login", "application/json", false},
	} {
		res := a.do(request{method: http.MethodPost, path: tt.path, body: tooLarge,
			header: http.Header{"Content-Type": {tt.contentType}, "Accept": {"text/html,application/xhtml+xml"}}})
		body := readBody(t, res)
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("%s: %d %s, want 413", tt.name, res.StatusCode, body)
		}
		h := res.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s: the 413 lacks security headers: %v", tt.name, h)
		}
		if csp := h.Get("Content-Security-Policy"); tt.page != strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: the 413's CSP = %q (a page: %v)", tt.name, csp, tt.page)
		}
		if ct := h.Get("Content-Type"); tt.page != strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: the 413 is %q (want a page: %v)", tt.name, ct, tt.page)
		}
	}
}

// logManual logs a viewing through the API with a fresh token and returns
// the created entry's movie ID.
func (a *testApp) logManual(title string, year int) string {
	a.t.Helper()
	token := a.token()
	body := fmt.Sprintf(`{"manual_title":%q,"manual_release_year":%d,"rating":4,"watched_at":"2024-02-03T04:05:06"}`, title, year)
	res := a.do(request{method: http.MethodPost, path: "/api/reviews", body: body, header: http.Header{
		"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}}})
	if res.StatusCode != http.StatusCreated {
		a.t.Fatalf("POST /api/reviews = %d: %s", res.StatusCode, readBody(a.t, res))
	}
	var entry struct {
		Movie struct {
			ID string `json:"id"`
		} `json:"movie"`
	}
	decodeJSONBody(a.t, res, &entry)
	return entry.Movie.ID
}

var uuidPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

func TestMetricsLabelRoutePatterns(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	id := a.logManual("Stalker", 1979)

	if res := a.do(request{method: http.MethodGet, path: "/api/movies/" + id + "/history"}); res.StatusCode != http.StatusOK {
		t.Fatalf("history = %d", res.StatusCode)
	}
	a.do(request{method: http.MethodGet, path: "/api/movies/0190b7c1-1111-7222-8333-944445555666/history"})
	a.do(request{method: http.MethodGet, path: "/posters/" + id})
	a.do(request{method: http.MethodGet, path: "/unmatched/" + id})
	a.do(request{method: http.MethodGet, path: "/api/unmatched/" + id})
	for _, m := range []string{"BREW", "PROPFIND", "X-" + id[:8]} {
		a.do(request{method: m, path: "/api/diary"})
		a.do(request{method: m, path: "/nothing/here/" + id})
	}

	res := a.do(request{method: http.MethodGet, path: "/metrics"})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/metrics = %d", res.StatusCode)
	}
	text := readBody(t, res)
	for _, want := range []string{
		`moviediary_http_requests_total{method="GET",route="/api/movies/:id/history",status="200"} 1`,
		`moviediary_http_requests_total{method="GET",route="/api/movies/:id/history",status="404"} 1`,
		`moviediary_http_requests_total{method="GET",route="/posters/:id",status="404"} 1`,
		`moviediary_http_requests_total{method="POST",route="/api/reviews",status="201"} 1`,
		`moviediary_http_request_duration_seconds_bucket{method="GET",route="/api/movies/:id/history",le="+Inf"} 2`,
		`route="unmatched"`,
		`method="other"`,
		`moviediary_events_published_total{event="review_logged"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if u := uuidPattern.FindString(text); u != "" {
		t.Errorf("metrics hold a raw ID %s", u)
	}
	for _, bad := range []string{"BREW", "PROPFIND", `method="X-`, "/unmatched/", "/nothing/here"} {
		if strings.Contains(text, bad) {
			t.Errorf("metrics hold an unbounded label value %q", bad)
		}
	}
	// Every route label is a registered pattern or "unmatched".
	for _, m := range regexp.MustCompile(`route="([^"]*)"`).FindAllStringSubmatch(text, -1) {
		if r := m[1]; r != "unmatched" && !strings.HasPrefix(r, "/") {
			t.Errorf("odd route label %q", r)
		}
	}
}

func TestJSONBodyRules(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		wantDetail  string
	}{
		{"no content type", "", `{"email":"a@b.c","password":"12345678"}`, http.StatusUnsupportedMediaType, "JSON"},
		{"form content type", "application/x-www-form-urlencoded", "email=a", http.StatusUnsupportedMediaType, "JSON"},
		{"empty body", "application/json", "", http.StatusBadRequest, "empty"},
		{"not JSON", "application/json", "{email", http.StatusBadRequest, "not valid JSON"},
		{"truncated", "application/json", `{"email":"a@b.c"`, http.StatusBadRequest, "not valid JSON"},
		{"array", "application/json", `["a"]`, http.StatusBadRequest, "JSON object"},
		{"wrong field type", "application/json", `{"email":5,"password":"12345678"}`, http.StatusBadRequest, "email"},
		{"unknown field", "application/json", `{"email":"a@b.c","password":"12345678","admin":true}`, http.StatusBadRequest, "admin"},
		{"two objects", "application/json", `{"email":"a@b.c"} {"x":1}`, http.StatusBadRequest, "single JSON object"},
		{"too large", "application/json", `{"email":"` + strings.Repeat("a", 1<<20) + `"}`, http.StatusRequestEntityTooLarge, ""},
		{"any +json type is JSON", "application/merge-patch+json; charset=utf-8", `{"email":"bad","password":"12345678"}`, http.StatusBadRequest, "email"},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.contentType != "" {
			h.Set("Content-Type", tt.contentType)
		}
		res := a.do(request{method: http.MethodPost, path: "/api/auth/register", body: tt.body, header: h})
		if res.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.name, res.StatusCode, tt.status, readBody(t, res))
			continue
		}
		p := wantProblem(t, res, tt.status)
		if !strings.Contains(p.Detail, tt.wantDetail) {
			t.Errorf("%s: detail %q lacks %q", tt.name, p.Detail, tt.wantDetail)
		}
	}
}

func TestMachineEndpoints(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, map[string]string{"DIARY_TITLE": "Ann's <Films>", "BASE_URL": "https://films.example"})
	a.register(ownerEmail, ownerPassword)
	a.logManual("Ran", 1985)

	res := a.do(request{method: http.MethodGet, path: "/healthz"})
	if res.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %d", res.StatusCode)
	}
	res = a.do(request{method: http.MethodGet, path: "/readyz"})
	if res.StatusCode != http.StatusOK {
		t.Errorf("/readyz = %d", res.StatusCode)
	}
	res = a.do(request{method: http.MethodGet, path: "/openapi.json"})
	var doc map[string]any
	decodeJSONBody(t, res, &doc)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1") {
		t.Errorf("openapi.json version = %v", doc["openapi"])
	}
	res = a.do(request{method: http.MethodGet, path: "/feed.rss"})
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/rss+xml; charset=utf-8" {
		t.Errorf("/feed.rss = %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{"Ran (1985)", "Ann&#39;s &lt;Films&gt;", "https://films.example/diary?movie_id="} {
		if !strings.Contains(body, want) {
			t.Errorf("feed lacks %q:\n%s", want, body)
		}
	}
}

func TestReadyzWhenDatabaseIsGone(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	if err := a.app.Store().Close(); err != nil {
		t.Fatal(err)
	}
	res := a.do(request{method: http.MethodGet, path: "/readyz"})
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with a closed database = %d, want 503", res.StatusCode)
	}
	// The API says so without internals.
	res = a.do(request{method: http.MethodGet, path: "/api/diary"})
	if res.StatusCode < 500 {
		t.Fatalf("/api/diary with a closed database = %d, want 5xx", res.StatusCode)
	}
	var p problem
	decodeJSONBody(t, res, &p)
	if strings.Contains(strings.ToLower(p.Detail), "sql") {
		t.Errorf("problem detail shows internals: %q", p.Detail)
	}
	if !strings.Contains(a.logs.String(), "not ready") {
		t.Errorf("the failed readiness check was not logged:\n%s", a.logs.String())
	}
}

func TestAPIErrorDetails(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	a.register(ownerEmail, ownerPassword)
	token := a.token()
	review := func(body string) *http.Response {
		return a.do(request{method: http.MethodPost, path: "/api/reviews", body: body, header: http.Header{
			"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}}})
	}
	tests := []struct {
		name       string
		res        *http.Response
		status     int
		wantFields []string
		wantDetail string
	}{
		{"rating as a string", review(`{"rating":"five","watched_at":"2024-01-01"}`), 400, []string{"rating"}, "must be a number"},
		{"rating between half stars", review(`{"manual_title":"X","manual_release_year":2000,"rating":4.3,"watched_at":"2024-01-01"}`), 400, []string{"rating"}, "steps of 0.5"},
		{"comment as a number", review(`{"rating":3,"comment":5,"watched_at":"2024-01-01"}`), 400, []string{"comment"}, "must be a string"},
		{"date missing", review(`{"manual_title":"X","manual_release_year":2000}`), 400, []string{"watched_at"}, "is required"},
		{"rating out of range, bad date", review(`{"manual_title":"X","manual_release_year":2000,"rating":9,"watched_at":"01/02/2024"}`), 400, []string{"rating", "watched_at"}, "rating"},
		{"no bearer", a.do(request{method: http.MethodPost, path: "/api/reviews", body: "{}", header: http.Header{"Content-Type": {"application/json"}}}), 401, nil, "bearer token"},
		{"basic auth", a.do(request{method: http.MethodPost, path: "/api/reviews", body: "{}", header: http.Header{"Authorization": {"Basic YTpi"}}}), 401, nil, "bearer token"},
		{"forged bearer", a.do(request{method: http.MethodPost, path: "/api/reviews", body: "{}", header: http.Header{"Authorization": {"Bearer x.y.z"}}}), 401, nil, "valid bearer token"},
		{"wrong password", a.postJSON("/api/auth/login", fmt.Sprintf(`{"email":%q,"password":"wrong password"}`, ownerEmail)), 401, nil, "invalid email or password"},
		{"unknown email", a.postJSON("/api/auth/login", `{"email":"nobody@example.com","password":"wrong password"}`), 401, nil, "invalid email or password"},
		{"second owner", a.postJSON("/api/auth/register", `{"email":"second@example.com","password":"12345678"}`), 403, nil, "registration is closed"},
		{"owner email again, owner only", a.postJSON("/api/auth/register", fmt.Sprintf(`{"email":%q,"password":"12345678"}`, ownerEmail)), 403, nil, "registration is closed"},
		{"bad limit", a.do(request{method: http.MethodGet, path: "/api/diary?limit=abc"}), 400, []string{"limit"}, "limit"},
		{"limit too large", a.do(request{method: http.MethodGet, path: "/api/diary?limit=101"}), 400, nil, "limit"},
		{"cursor with offset", a.do(request{method: http.MethodGet, path: "/api/diary?cursor=abc&offset=0"}), 400, nil, "cursor"},
		{"empty cursor", a.do(request{method: http.MethodGet, path: "/api/diary?cursor="}), 400, nil, "cursor"},
		{"bad sort", a.do(request{method: http.MethodGet, path: "/api/diary?sort_by=sideways"}), 400, nil, "sort"},
		{"history of a non-ID", a.do(request{method: http.MethodGet, path: "/api/movies/42/history"}), 400, nil, "id"},
		{"history of an unknown movie", a.do(request{method: http.MethodGet, path: "/api/movies/0190b7c1-1111-7222-8333-944445555666/history"}), 404, nil, "no movie with id"},
	}
	for _, tt := range tests {
		if tt.res.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.name, tt.res.StatusCode, tt.status, readBody(t, tt.res))
			continue
		}
		if tt.status == http.StatusUnauthorized && !strings.HasPrefix(tt.res.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate = %q", tt.name, tt.res.Header.Get("WWW-Authenticate"))
		}
		p := wantProblem(t, tt.res, tt.status)
		if !strings.Contains(strings.ToLower(p.Detail), strings.ToLower(tt.wantDetail)) {
			t.Errorf("%s: detail %q lacks %q", tt.name, p.Detail, tt.wantDetail)
		}
		for _, f := range tt.wantFields {
			found := false
			for _, e := range p.Errors {
				found = found || e.Field == f
			}
			if !found {
				t.Errorf("%s: errors %+v lack field %s", tt.name, p.Errors, f)
			}
		}
	}
}

func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	served := readBody(t, a.do(request{method: http.MethodGet, path: "/openapi.json"}))
	if doc, err := os.ReadFile("openapi.json"); err != nil {
		t.Fatal(err)
	} else if string(doc) != served {
		t.Error("/openapi.json differs from presentation/openapi.json")
	}
	var parsed struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(served), &parsed); err != nil {
		t.Fatal(err)
	}
	for _, route := range []struct{ method, path string }{
		{"post", "/api/auth/register"}, {"post", "/api/auth/login"}, {"post", "/api/auth/logout"}, {"get", "/api/diary"},
		{"get", "/api/movies/{id}/history"}, {"post", "/api/reviews"}, {"post", "/api/movies/{id}/sync-poster"},
		{"patch", "/api/reviews/{id}"}, {"delete", "/api/reviews/{id}"}, {"post", "/api/tokens"}, {"get", "/api/tokens"},
		{"delete", "/api/tokens/{id}"},
	} {
		if _, ok := parsed.Paths[route.path][route.method]; !ok {
			t.Errorf("openapi.json lacks %s %s", route.method, route.path)
		}
	}
}
