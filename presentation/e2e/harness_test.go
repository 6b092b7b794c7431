// Package e2e_test runs moviediary end to end: the real App, wired by
// wiring.New from a Config read through wiring.LoadConfig,
// serving on a real TCP port, on a real SQLite file and on a real
// PostgreSQL database, with fake OMDb and poster hosts that are real HTTP
// servers. Every /api exchange is validated against the served OpenAPI
// document.
package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
	"github.com/moviediary/moviediary/presentation/wiring"
)

// databases are the stores every scenario runs on.
var databases = []string{"sqlite", "postgres"}

// forEachDB runs fn as a parallel subtest per database.
func forEachDB(t *testing.T, fn func(t *testing.T, db string)) {
	t.Helper()
	for _, db := range databases {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			fn(t, db)
		})
	}
}

// pollDeadline bounds every wait for background work: a guard against
// hanging, not a measurement. It is generous because the race detector on
// a shared 2-core machine, with the package's tests in parallel, makes the
// 200 webhook deliveries' background logging take over 10 s.
const pollDeadline = 30 * time.Second

// eventually polls cond every few milliseconds until it holds or the
// deadline passes; then it fails the test with what.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(pollDeadline)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", pollDeadline, what)
		}
		<-tick.C
	}
}

// ---------------------------------------------------------------------
// Fake OMDb

// film is one OMDb title the fake knows.
type film struct {
	ID, Title, Year, Director string
	// PosterPath is the path on the fake poster host; "" means "N/A".
	PosterPath string
}

// films are the titles the fake OMDb serves, by ?i= and by ?t= (+ ?y=).
var films = []film{
	{ID: "tt0111161", Title: "The Shawshank Redemption", Year: "1994", Director: "Frank Darabont", PosterPath: "/images/M/shawshank._V1_SX300.jpg"},
	{ID: "tt0133093", Title: "The Matrix", Year: "1999", Director: "Lana Wachowski, Lilly Wachowski", PosterPath: "/images/M/matrix._V1_SX300.jpg"},
	{ID: "tt0211915", Title: "Amélie", Year: "2001", Director: "Jean-Pierre Jeunet", PosterPath: "/images/M/amelie._V1_SX300.jpg"},
	{ID: "tt0245429", Title: "Sen to Chihiro no kamikakushi", Year: "2001", Director: "Hayao Miyazaki", PosterPath: "/images/M/chihiro._V1_SX300.jpg"},
	{ID: "tt0114369", Title: "Se7en", Year: "1995", Director: "David Fincher", PosterPath: "/images/M/se7en._V1_SX300.jpg"},
	{ID: "tt0903747", Title: "Breaking Bad", Year: "2008–2013", Director: "N/A", PosterPath: "/images/M/breakingbad._V1_SX300.jpg"},
	{ID: "tt0392728", Title: "Roundhay Garden Scene", Year: "1888", Director: "Louis Le Prince"},
	// The films of the media servers' webhook fixtures
	// (adapters/mediaserver/testdata).
	{ID: "tt0090728", Title: "Big Trouble in Little China", Year: "1986", Director: "John Carpenter", PosterPath: "/images/M/bigtrouble._V1_SX300.jpg"},
	{ID: "tt0069945", Title: "Dark Star", Year: "1974", Director: "John Carpenter", PosterPath: "/images/M/darkstar._V1_SX300.jpg"},
}

// generatedIDPrefix starts the IMDb IDs of the films the fake OMDb makes
// up on demand (generatedFilm): as many distinct films as a test needs.
const generatedIDPrefix = "tt95"

// generatedFilm is the made-up film with IMDb ID id (generatedIDPrefix and
// five digits), with a poster; ok is false for other IDs.
func generatedFilm(id string) (f film, ok bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(id, generatedIDPrefix))
	if !strings.HasPrefix(id, generatedIDPrefix) || len(id) != len(generatedIDPrefix)+5 || err != nil {
		return film{}, false
	}
	return film{ID: id, Title: fmt.Sprintf("Delivery %05d", n), Year: "2001", Director: "N/A", PosterPath: "/images/M/" + id + "._V1_SX300.jpg"}, true
}

func filmByID(t *testing.T, id string) film {
	t.Helper()
	for _, f := range films {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no fake film %s", id)
	return film{}
}

// fakeOMDb answers like OMDb: every field a string, "N/A" for missing
// values, "Response":"False" with an Error for misses. Down makes it answer
// 503 to everything.
type fakeOMDb struct {
	srv        *httptest.Server
	posterBase string
	down       atomic.Bool
	requests   atomic.Int64

	mu sync.Mutex
	at []time.Time // when each request arrived
}

// arrivals returns when each request arrived, in order.
func (f *fakeOMDb) arrivals() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.at...)
}

func newFakeOMDb(t testing.TB, posterBase string) *fakeOMDb {
	t.Helper()
	f := &fakeOMDb{posterBase: posterBase}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOMDb) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	f.mu.Lock()
	f.at = append(f.at, time.Now())
	f.mu.Unlock()
	q := r.URL.Query()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if f.down.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "<html><body><h1>503 Service Unavailable</h1></body></html>")
		return
	}
	if q.Get("apikey") != "test" {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"Response":"False","Error":"Invalid API key!"}`)
		return
	}
	for _, m := range films {
		byID := q.Has("i") && q.Get("i") == m.ID
		byTitle := q.Has("t") && strings.EqualFold(q.Get("t"), m.Title) && (q.Get("y") == "" || strings.HasPrefix(m.Year, q.Get("y")))
		if byID || byTitle {
			_, _ = w.Write(f.answer(m))
			return
		}
	}
	if m, ok := generatedFilm(q.Get("i")); ok {
		_, _ = w.Write(f.answer(m))
		return
	}
	if q.Has("i") {
		_, _ = io.WriteString(w, `{"Response":"False","Error":"Incorrect IMDb ID."}`)
		return
	}
	_, _ = io.WriteString(w, `{"Response":"False","Error":"Movie not found!"}`)
}

func (f *fakeOMDb) answer(m film) []byte {
	poster := "N/A"
	if m.PosterPath != "" {
		poster = f.posterBase + m.PosterPath
	}
	typ := "movie"
	if strings.Contains(m.Year, "–") {
		typ = "series"
	}
	b, _ := json.Marshal(map[string]any{
		"Title": m.Title, "Year": m.Year, "Rated": "R", "Released": "N/A", "Runtime": "120 min",
		"Genre": "Drama", "Director": m.Director, "Writer": "N/A", "Actors": "N/A",
		"Plot": "A film.", "Language": "English", "Country": "N/A", "Awards": "N/A",
		"Poster":    poster,
		"Ratings":   []map[string]string{{"Source": "Internet Movie Database", "Value": "8.5/10"}},
		"Metascore": "N/A", "imdbRating": "8.5", "imdbVotes": "1,234", "imdbID": m.ID,
		"Type": typ, "DVD": "N/A", "BoxOffice": "N/A", "Production": "N/A", "Website": "N/A",
		"Response": "True",
	})
	return b
}

// ---------------------------------------------------------------------
// Fake poster host

// posterHost serves a distinct small PNG per path and counts requests per
// path. A script may make it answer other statuses: script(path, n) is the
// status of the n-th request (1-based) to path; 200 serves the image.
type posterHost struct {
	srv    *httptest.Server
	script func(path string, n int) int

	mu   sync.Mutex
	hits map[string]int
}

func newPosterHost(t testing.TB, script func(path string, n int) int) *posterHost {
	t.Helper()
	h := &posterHost{script: script, hits: map[string]int{}}
	h.srv = httptest.NewServer(h)
	t.Cleanup(h.srv.Close)
	return h
}

func (h *posterHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.hits[r.URL.Path]++
	n := h.hits[r.URL.Path]
	h.mu.Unlock()
	status := http.StatusOK
	if h.script != nil {
		status = h.script(r.URL.Path, n)
	}
	if status != http.StatusOK {
		http.Error(w, http.StatusText(status), status)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(posterImage(r.URL.Path))
}

// requests returns how many requests path received.
func (h *posterHost) requests(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits[path]
}

// posterImage is the PNG the host serves at path: 3×2 pixels in a colour
// derived from the path, so every film has different bytes.
func posterImage(path string) []byte {
	sum := fnv.New32a()
	_, _ = sum.Write([]byte(path))
	v := sum.Sum32()
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for x := range 3 {
		for y := range 2 {
			img.Set(x, y, color.RGBA{R: uint8(v), G: uint8(v >> 8), B: uint8(v>>16) + uint8(x+y), A: 255})
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// ---------------------------------------------------------------------
// The app under test

// option adjusts how startApp wires the server.
type option func(*settings)

type settings struct {
	env          map[string]string
	posterScript func(path string, n int) int
	dbProxy      bool
	databaseURL  string
}

// withDatabaseOf makes the server use other's database (and its data
// directory's JWT secret): a second server process of one deployment.
// Only PostgreSQL is shared between processes this way.
func withDatabaseOf(other *server) option {
	return func(s *settings) {
		s.databaseURL = other.cfg.DatabaseURL
		s.env["DATA_DIR"] = other.cfg.DataDir
	}
}

// withDatabaseProxy puts a TCP proxy between the app and PostgreSQL, so a
// test can make the database unreachable and bring it back (server.dbProxy).
// SQLite has no connection to cut; the option is ignored there.
func withDatabaseProxy() option {
	return func(s *settings) { s.dbProxy = true }
}

// withEnv sets an environment variable of the app's configuration.
func withEnv(name, value string) option {
	return func(s *settings) { s.env[name] = value }
}

// withPosterScript scripts the poster host's answers.
func withPosterScript(script func(path string, n int) int) option {
	return func(s *settings) { s.posterScript = script }
}

// server is one running moviediary on a real port.
type server struct {
	t       testing.TB
	db      string
	base    string // http://127.0.0.1:port
	app     *wiring.App
	cfg     wiring.Config
	logger  *slog.Logger
	omdb    *fakeOMDb
	posters *posterHost
	dbProxy *tcpProxy // nil unless withDatabaseProxy on PostgreSQL
	client  *http.Client
}

// syncBuffer collects the app's log lines; they are shown when a test fails.
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

// startApp starts the real App on db ("sqlite" or "postgres") and stops it
// when the test ends: ctx cancelled, Serve waited for, App closed.
func startApp(t testing.TB, db string, opts ...option) *server {
	t.Helper()
	st := settings{env: map[string]string{}}
	for _, o := range opts {
		o(&st)
	}
	dataDir := t.TempDir()
	var dbURL string
	var proxy *tcpProxy
	switch {
	case st.databaseURL != "":
		dbURL = st.databaseURL
	case db == "sqlite":
		dbURL = "sqlite://" + filepath.Join(dataDir, "db.sqlite")
	case db == "postgres":
		dbURL = pgtest.NewDatabase(t)
		if st.dbProxy {
			u, err := url.Parse(dbURL)
			if err != nil {
				t.Fatalf("database URL: %v", err)
			}
			proxy = newTCPProxy(t, u.Host)
			u.Host = proxy.ln.Addr().String()
			dbURL = u.String()
		}
	default:
		t.Fatalf("unknown database %q", db)
	}
	posters := newPosterHost(t, st.posterScript)
	omdb := newFakeOMDb(t, posters.srv.URL)

	// OMDB_RATE=0: no rate bound, for the tests' bursts of lookups (the
	// budget's own test sets one); OMDB_DAILY_LIMIT keeps its default.
	env := map[string]string{
		"DATA_DIR":                     dataDir,
		"DATABASE_URL":                 dbURL,
		"BASE_URL":                     "http://diary.example",
		"OMDB_API_KEY":                 "test",
		"OMDB_BASE_URL":                omdb.srv.URL + "/",
		"OMDB_TIMEOUT_SECONDS":         "5",
		"OMDB_RATE":                    "0",
		"POSTER_FETCH_ALLOW_PRIVATE":   "true",
		"POSTER_FETCH_TIMEOUT_SECONDS": "5",
		"POSTER_SYNC_BASE_DELAY":       "10ms",
		"SHUTDOWN_TIMEOUT":             "10s",
		"LOG_LEVEL":                    "error",
	}
	for k, v := range st.env {
		env[k] = v
	}
	cfg, err := wiring.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	logs := &syncBuffer{}
	logger := wiring.NewLogger(logs, cfg)

	ctx, cancel := context.WithCancel(context.Background())
	app, err := wiring.New(ctx, cfg, logger)
	if err != nil {
		cancel()
		t.Fatalf("wiring.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		_ = app.Close()
		t.Fatalf("listen: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve returned %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("Serve did not return within 30s of cancellation")
		}
		if err := app.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() {
			t.Logf("server log (%s):\n%s", db, logs.String())
		}
	})
	return &server{
		t:       t,
		db:      db,
		base:    "http://" + ln.Addr().String(),
		app:     app,
		cfg:     cfg,
		logger:  logger,
		omdb:    omdb,
		posters: posters,
		dbProxy: proxy,
		client: &http.Client{
			Timeout:       15 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// ---------------------------------------------------------------------
// Requests

// response is a fully read HTTP response.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// ContentType is the response's Content-Type header.
func (r response) ContentType() string { return r.Header.Get("Content-Type") }

func (r response) String() string {
	body := r.Body
	if len(body) > 600 {
		body = append(body[:600:600], "…"...)
	}
	return fmt.Sprintf("%d %s %s", r.Status, r.ContentType(), body)
}

// req describes one request.
type req struct {
	method string
	path   string
	body   []byte
	header map[string]string
}

// do sends rq over the real listener, reads the whole response and, for
// /api routes and webhook URLs, validates the exchange against the OpenAPI
// document.
func (s *server) do(t *testing.T, rq req) response {
	t.Helper()
	out, httpReq, err := s.send(rq.method, rq.path, rq.body, rq.header)
	if err != nil {
		t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	if strings.HasPrefix(rq.path, "/api/") || isWebhookURLPath(rq.path) {
		checkExchange(t, httpReq, rq.body, out)
	}
	return out
}

// isWebhookURLPath reports whether path is a media server's webhook URL,
// /webhooks/{plex,jellyfin,emby}/{secret}, not a form of the HTML
// webhooks page (/webhooks/{id}/rotate).
func isWebhookURLPath(path string) bool {
	for _, source := range []string{"plex", "jellyfin", "emby"} {
		if strings.HasPrefix(path, "/webhooks/"+source+"/") {
			return true
		}
	}
	return false
}

// get sends a GET.
func (s *server) get(t *testing.T, path string, header ...string) response {
	t.Helper()
	return s.do(t, req{method: http.MethodGet, path: path, header: pairs(t, header)})
}

// postJSON sends body (marshalled unless it is a string or []byte, sent as
// it is) as application/json, with a bearer token when token is not "".
func (s *server) postJSON(t *testing.T, path string, body any, token string) response {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatalf("marshal: %v", err)
		}
	}
	h := map[string]string{"Content-Type": "application/json"}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	return s.do(t, req{method: http.MethodPost, path: path, body: raw, header: h})
}

// call sends method to path with a bearer token when token is not "", and
// header pairs. A body (marshalled unless it is a string or []byte) goes
// as application/json unless the pairs name another Content-Type.
func (s *server) call(t *testing.T, method, path string, body any, token string, header ...string) response {
	t.Helper()
	h := map[string]string{}
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		raw = mustJSON(t, b)
	}
	if body != nil {
		h["Content-Type"] = "application/json"
	}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	for k, v := range pairs(t, header) {
		h[k] = v
	}
	return s.do(t, req{method: method, path: path, body: raw, header: h})
}

func pairs(t *testing.T, kv []string) map[string]string {
	t.Helper()
	if len(kv)%2 != 0 {
		t.Fatalf("odd header list %q", kv)
	}
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// ---------------------------------------------------------------------
// The API's JSON, decoded strictly

// movieJSON is a movie as the API shows it.
type movieJSON struct {
	ID                 string  `json:"id"`
	ExternalMetadataID *string `json:"external_metadata_id"`
	Title              string  `json:"title"`
	ReleaseYear        int     `json:"release_year"`
	Director           *string `json:"director"`
	PosterPath         *string `json:"poster_path"`
	PosterURL          *string `json:"poster_url"`
}

// reviewJSON is one viewing.
type reviewJSON struct {
	ID        string   `json:"id"`
	UserID    string   `json:"user_id"`
	Rating    *float64 `json:"rating"`
	Comment   *string  `json:"comment"`
	WatchedAt string   `json:"watched_at"`
	CreatedAt string   `json:"created_at"`
}

// rating is the review's rating as text: "4.5", or "null" when not rated.
func (r reviewJSON) rating() string {
	if r.Rating == nil {
		return "null"
	}
	return strconv.FormatFloat(*r.Rating, 'f', -1, 64)
}

// entryJSON is one diary entry.
type entryJSON struct {
	Movie  movieJSON  `json:"movie"`
	Review reviewJSON `json:"review"`
}

// diaryJSON is a page of the diary.
type diaryJSON struct {
	Items      []entryJSON `json:"items"`
	TotalCount int         `json:"total_count"`
	Limit      int         `json:"limit"`
	Offset     *int        `json:"offset"`
	NextCursor *string     `json:"next_cursor"`
}

// historyJSON is a movie's history.
type historyJSON struct {
	Movie    movieJSON    `json:"movie"`
	Viewings []reviewJSON `json:"viewings"`
	Trend    *string      `json:"trend"`
}

// trend is the history's trend, or "null".
func (h historyJSON) trend() string {
	if h.Trend == nil {
		return "null"
	}
	return *h.Trend
}

// problemJSON is an RFC 9457 problem.
type problemJSON struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field string `json:"field"`
		Rule  string `json:"rule"`
	} `json:"errors"`
}

// decodeStrict decodes a JSON body into v, refusing unknown fields, after
// checking status and content type.
func decodeStrict(t *testing.T, r response, wantStatus int, v any) {
	t.Helper()
	if r.Status != wantStatus {
		t.Fatalf("status = %d, want %d: %s", r.Status, wantStatus, r)
	}
	if ct := r.ContentType(); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want application/json: %s", ct, r)
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %T: %v: %s", v, err, r)
	}
}

// requireKeys checks that the JSON object body has exactly these keys:
// absent optional values are null, never omitted.
func requireKeys(t *testing.T, body []byte, keys ...string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, body)
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q missing from %s", k, body)
		}
	}
	if len(m) != len(keys) {
		got := make([]string, 0, len(m))
		for k := range m {
			got = append(got, k)
		}
		t.Errorf("keys = %q, want exactly %q", got, keys)
	}
}

// expectProblem checks an RFC 9457 answer: status, content type, the four
// members, and a detail that contains every one of mentions.
func expectProblem(t *testing.T, r response, status int, mentions ...string) problemJSON {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d: %s", r.Status, status, r)
	}
	if ct := r.ContentType(); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p problemJSON
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem body: %v: %s", err, r)
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(r.Body, &m)
	for _, k := range []string{"type", "title", "status", "detail"} {
		if _, ok := m[k]; !ok {
			t.Errorf("problem member %q missing: %s", k, r.Body)
		}
	}
	if p.Status != status || p.Type == "" || p.Title == "" || p.Detail == "" {
		t.Errorf("problem = %+v, want status %d and non-empty type, title, detail", p, status)
	}
	for _, s := range mentions {
		if !strings.Contains(p.Detail, s) {
			t.Errorf("detail %q does not mention %q", p.Detail, s)
		}
	}
	return p
}

// ---------------------------------------------------------------------
// Scenario helpers

// account registers email and logs in; it returns the token and user ID.
func (s *server) account(t *testing.T, email string) (token, userID string) {
	t.Helper()
	creds := map[string]string{"email": email, "password": "correct horse battery"}
	r := s.postJSON(t, "/api/auth/register", creds, "")
	if r.Status != http.StatusCreated {
		t.Fatalf("register %s: %s", email, r)
	}
	return s.login(t, email, "correct horse battery")
}

// login signs in and returns the token and user ID.
func (s *server) login(t *testing.T, email, password string) (token, userID string) {
	t.Helper()
	r := s.postJSON(t, "/api/auth/login", map[string]string{"email": email, "password": password}, "")
	var out struct {
		Token     string `json:"token"`
		UserID    string `json:"user_id"`
		Email     string `json:"email"`
		ExpiresAt string `json:"expires_at"`
	}
	decodeStrict(t, r, http.StatusOK, &out)
	if out.Token == "" || out.UserID == "" {
		t.Fatalf("login answered %s", r)
	}
	return out.Token, out.UserID
}

// logReview posts body to /api/reviews and requires a 201 entry.
func (s *server) logReview(t *testing.T, token string, body map[string]any) entryJSON {
	t.Helper()
	r := s.postJSON(t, "/api/reviews", body, token)
	var e entryJSON
	decodeStrict(t, r, http.StatusCreated, &e)
	requireKeys(t, r.Body, "movie", "review")
	return e
}

// diary fetches /api/diary with query (without the leading "?").
func (s *server) diary(t *testing.T, query string) diaryJSON {
	t.Helper()
	path := "/api/diary"
	if query != "" {
		path += "?" + query
	}
	var d diaryJSON
	r := s.get(t, path)
	decodeStrict(t, r, http.StatusOK, &d)
	requireKeys(t, r.Body, "items", "total_count", "limit", "offset", "next_cursor")
	return d
}

// totalCount is the diary's total_count.
func (s *server) totalCount(t *testing.T) int {
	t.Helper()
	return s.diary(t, "limit=1").TotalCount
}

// waitForPoster polls the diary until movieID has a poster_url and returns
// the movie.
func (s *server) waitForPoster(t *testing.T, movieID string) movieJSON {
	t.Helper()
	var got movieJSON
	eventually(t, "a stored poster for movie "+movieID, func() bool {
		d := s.diary(t, "limit=1&movie_id="+movieID)
		if len(d.Items) == 0 {
			return false
		}
		got = d.Items[0].Movie
		return got.PosterURL != nil
	})
	return got
}

// metric reads one sample from /metrics: name{labels} (labels exactly as
// the text format writes them, or "" for none). Absent samples read 0.
func (s *server) metric(t *testing.T, name, labels string) float64 {
	t.Helper()
	r := s.get(t, "/metrics")
	if r.Status != http.StatusOK {
		t.Fatalf("/metrics: %s", r)
	}
	key := name
	if labels != "" {
		key += "{" + labels + "}"
	}
	for _, line := range strings.Split(string(r.Body), "\n") {
		if v, ok := strings.CutPrefix(line, key+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metric %s: %q: %v", key, v, err)
			}
			return f
		}
	}
	return 0
}

// waitMetric polls /metrics until name{labels} reaches want.
func (s *server) waitMetric(t *testing.T, name, labels string, want float64) {
	t.Helper()
	eventually(t, fmt.Sprintf("%s{%s} to reach %v", name, labels, want), func() bool {
		return s.metric(t, name, labels) >= want
	})
	if got := s.metric(t, name, labels); got != want {
		t.Fatalf("%s{%s} = %v, want %v", name, labels, got, want)
	}
}

// watched returns a watched_at input hours after a fixed instant.
func watched(hours int) string {
	return time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(hours) * time.Hour).Format("2006-01-02T15:04:05")
}

// mustJSON marshals v.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

// tcpProxy forwards TCP connections to a target; cut drops every open
// connection and refuses new ones until restore.
type tcpProxy struct {
	ln     net.Listener
	target string
	down   atomic.Bool

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func newTCPProxy(t testing.TB, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		p.closeAll()
	})
	return p
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.down.Load() {
			_ = c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *tcpProxy) pipe(c net.Conn) {
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[u] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(u, c)
		_ = u.Close()
		close(done)
	}()
	_, _ = io.Copy(c, u)
	_ = c.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, u)
	p.mu.Unlock()
}

func (p *tcpProxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
}

// cut makes the database unreachable: open connections drop, new ones are
// closed as soon as they are accepted.
func (p *tcpProxy) cut() {
	p.down.Store(true)
	p.closeAll()
}

// restore lets connections through again.
func (p *tcpProxy) restore() { p.down.Store(false) }
