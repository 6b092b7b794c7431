package e2e_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// openAPIFile is the document the server embeds and serves at /openapi.json.
const openAPIFile = "../openapi.json"

// The OpenAPI drift test: every /api and /webhooks exchange the end-to-end tests make is
// validated against openAPIFile (OpenAPI 3.1, validated by kin-openapi with
// its JSON Schema 2020-12 validator, which openapi3filter turns on for 3.1
// documents). A status the document does not list is a
// failure too. At the end, every documented (operation, status) pair must
// have been produced at least once.

var spec struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error

	mu      sync.Mutex
	covered map[string]map[int]bool // "POST /api/reviews" → statuses seen
}

func loadSpec() (*openapi3.T, routers.Router, error) {
	spec.once.Do(func() {
		data, err := os.ReadFile(openAPIFile)
		if err != nil {
			spec.err = err
			return
		}
		doc, err := openapi3.NewLoader().LoadFromData(data)
		if err != nil {
			spec.err = fmt.Errorf("load OpenAPI document: %w", err)
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			spec.err = fmt.Errorf("OpenAPI document is invalid: %w", err)
			return
		}
		router, err := legacy.NewRouter(doc)
		if err != nil {
			spec.err = fmt.Errorf("OpenAPI router: %w", err)
			return
		}
		spec.doc, spec.router = doc, router
		spec.covered = map[string]map[int]bool{}
	})
	return spec.doc, spec.router, spec.err
}

// checkExchange validates one real /api request and response against the
// document. A 2xx answer means the server accepted the request, so the
// request must be valid for the document as well; on 4xx the request is
// often invalid on purpose and only the response is checked.
func checkExchange(t *testing.T, httpReq *http.Request, reqBody []byte, res response) {
	t.Helper()
	_, router, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	// A fresh request with the same method, path, query, headers and body.
	// Its URL is relative: the document's server is "/", which the router
	// matches against the URL as written.
	vr, err := http.NewRequest(httpReq.Method, httpReq.URL.RequestURI(), bytes.NewReader(reqBody))
	if err != nil {
		t.Fatal(err)
	}
	vr.Header = httpReq.Header.Clone()
	route, params, err := router.FindRoute(vr)
	if err != nil {
		t.Errorf("OpenAPI drift: %s %s is not in the document: %v", httpReq.Method, httpReq.URL.Path, err)
		return
	}
	spec.mu.Lock()
	key := route.Method + " " + route.Path
	if spec.covered[key] == nil {
		spec.covered[key] = map[int]bool{}
	}
	spec.covered[key][res.Status] = true
	spec.mu.Unlock()

	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	}
	in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route, Options: opts}
	if res.Status >= 200 && res.Status < 300 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("OpenAPI drift: the server accepted (%d) a request the document refuses: %s %s %s: %v",
				res.Status, httpReq.Method, httpReq.URL.RequestURI(), reqBody, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 res.Status,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(res.Body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("OpenAPI drift: %s %s answered %d that the document does not describe: %v\nbody: %s",
			httpReq.Method, httpReq.URL.RequestURI(), res.Status, err, res.Body)
	}
}

// uncovered lists every documented (operation, status) the tests never
// produced.
func uncovered() ([]string, error) {
	doc, _, err := loadSpec()
	if err != nil {
		return nil, err
	}
	spec.mu.Lock()
	defer spec.mu.Unlock()
	var missing []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + path
			seen := spec.covered[key]
			if len(seen) == 0 {
				missing = append(missing, key+" (never called)")
				continue
			}
			for code := range op.Responses.Map() {
				n, err := strconv.Atoi(code)
				if err != nil {
					continue // "default" or a range such as "4XX"
				}
				if !seen[n] {
					missing = append(missing, fmt.Sprintf("%s → %d", key, n))
				}
			}
		}
	}
	slices.Sort(missing)
	return missing, nil
}

// TestMain runs the tests, then — when the whole package ran — fails unless
// every /api operation and every status it documents was exercised.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code != 0 || flagSet("test.run") || flagSet("test.skip") || testing.Short() {
		os.Exit(code)
	}
	missing, err := uncovered()
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: OpenAPI coverage:", err)
		os.Exit(1)
	}
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: OpenAPI coverage: the end-to-end tests never produced:\n  %s\n", strings.Join(missing, "\n  "))
		os.Exit(1)
	}
	os.Exit(code)
}

func flagSet(name string) bool {
	f := flag.Lookup(name)
	return f != nil && f.Value.String() != ""
}

// TestOpenAPIDocument checks the document itself: it is OpenAPI 3.1, it is
// valid, /openapi.json serves exactly it, and it uses the 3.1 null type
// arrays that the drift test must understand.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	doc, _, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	movie := doc.Components.Schemas["Movie"].Value
	if typ := movie.Properties["director"].Value.Type; typ == nil || !typ.Includes("null") || !typ.Includes("string") {
		t.Errorf("Movie.director type = %v, want [string null]", typ)
	}
	var ops []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	slices.Sort(ops)
	want := []string{
		"DELETE /api/reviews/{id}", "DELETE /api/tokens/{id}", "DELETE /api/webhooks/{id}", "GET /api/diary", "GET /api/export",
		"GET /api/imports/{id}", "GET /api/movies/{id}/history", "GET /api/stats", "GET /api/tokens", "GET /api/users/me", "GET /api/users/{id}", "GET /api/users/{id}/stats",
		"GET /api/webhooks", "PATCH /api/reviews/{id}", "PATCH /api/users/me", "POST /api/auth/login", "POST /api/auth/logout",
		"POST /api/auth/register", "POST /api/imports", "POST /api/movies/{id}/sync-poster", "POST /api/reviews", "POST /api/tokens",
		"POST /api/webhooks", "POST /api/webhooks/{id}/rotate",
		"POST /webhooks/emby/{secret}", "POST /webhooks/jellyfin/{secret}", "POST /webhooks/plex/{secret}",
	}
	if !slices.Equal(ops, want) {
		t.Errorf("documented operations = %q, want %q", ops, want)
	}
}

// TestOpenAPISecurity checks that every operation says whether it needs a
// token, so that API tooling (and @redocly/cli's security-defined rule) does
// not have to guess: the routes behind requireBearer must ask for exactly
// the bearer scheme, and every other operation must declare "security": []
// (public). An operation without a security field fails, as does one whose
// requirement does not match the server.
func TestOpenAPISecurity(t *testing.T) {
	t.Parallel()
	doc, _, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Security) != 0 {
		t.Errorf("document-level security = %v, want none (each operation declares its own)", doc.Security)
	}
	scheme := doc.Components.SecuritySchemes["bearer"]
	if scheme == nil || scheme.Value == nil || scheme.Value.Type != "http" || !strings.EqualFold(scheme.Value.Scheme, "bearer") {
		t.Fatalf("components.securitySchemes.bearer = %+v, want an http bearer scheme", scheme)
	}
	// The routes registered with s.requireBearer (presentation/api.go).
	protected := map[string]bool{
		"POST /api/reviews":                 true,
		"PATCH /api/reviews/{id}":           true,
		"DELETE /api/reviews/{id}":          true,
		"POST /api/tokens":                  true,
		"GET /api/tokens":                   true,
		"DELETE /api/tokens/{id}":           true,
		"POST /api/movies/{id}/sync-poster": true,
		"POST /api/auth/logout":             true,
		"POST /api/webhooks":                true,
		"GET /api/webhooks":                 true,
		"POST /api/webhooks/{id}/rotate":    true,
		"DELETE /api/webhooks/{id}":         true,
		"POST /api/imports":                 true,
		"GET /api/imports/{id}":             true,
		"GET /api/export":                   true,
		"GET /api/users/me":                 true,
		"PATCH /api/users/me":               true,
	}
	// The public reads registered with s.optionalBearer
	// (presentation/public.go): anyone may read, and a bearer token makes
	// the reader's own private diary show too.
	optional := map[string]bool{
		"GET /api/diary":               true,
		"GET /api/movies/{id}/history": true,
		"GET /api/stats":               true,
		"GET /api/users/{id}":          true,
		"GET /api/users/{id}/stats":    true,
	}
	seen := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + path
			seen[key] = true
			if op.Security == nil {
				t.Errorf("%s declares no security; want %s", key, wantSecurity(protected[key]))
				continue
			}
			reqs := *op.Security
			if optional[key] {
				if len(reqs) != 2 || len(reqs[0]) != 0 || len(reqs[1]) != 1 || reqs[1]["bearer"] == nil {
					t.Errorf("%s security = %v, want [{}, {\"bearer\": []}] (a bearer token is optional)", key, reqs)
				}
				if op.Responses.Value("401") == nil {
					t.Errorf("%s takes a bearer token but does not document 401", key)
				}
				continue
			}
			if !protected[key] {
				if len(reqs) != 0 {
					t.Errorf("%s security = %v, want [] (public)", key, reqs)
				}
				continue
			}
			if len(reqs) != 1 || len(reqs[0]) != 1 || reqs[0]["bearer"] == nil || len(reqs[0]["bearer"]) != 0 {
				t.Errorf("%s security = %v, want %s", key, reqs, wantSecurity(true))
			}
			if op.Responses.Value("401") == nil {
				t.Errorf("%s requires a bearer token but does not document 401", key)
			}
		}
	}
	for key := range protected {
		if !seen[key] {
			t.Errorf("%s needs a bearer token but is not in the document", key)
		}
	}
}

func wantSecurity(protected bool) string {
	if protected {
		return `[{"bearer": []}] (a bearer token is required)`
	}
	return `[] (public)`
}
