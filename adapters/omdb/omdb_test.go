package omdb_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/omdb"
	"github.com/moviediary/moviediary/domain"
)

func mustClient(t *testing.T, cfg omdb.Config) *omdb.Client {
	t.Helper()
	if cfg.APIKey == "" {
		cfg.APIKey = testKey
	}
	c, err := omdb.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func meta(id, title string, year int, director, poster string) domain.MovieMetadata {
	m := domain.MovieMetadata{
		ExternalID:  domain.MustParseExternalMetadataID(id),
		Title:       domain.MustNewMovieTitle(title),
		ReleaseYear: domain.MustNewReleaseYear(year),
	}
	if director != "" {
		d, err := domain.NewDirector(director)
		if err != nil {
			panic(err)
		}
		m.Director = d
	}
	if poster != "" {
		m.PosterURL = domain.MustParsePosterURL(poster)
	}
	return m
}

var (
	shawshank   = meta("tt0111161", "The Shawshank Redemption", 1994, "Frank Darabont", "https://m.media-amazon.com/images/M/MV5BMDAyY2FhYjctNDc5OS00MDNlLThiMGUtY2UxYWVkNGY2ZjljXkEyXkFqcGc@._V1_SX300.jpg")
	breakingBad = meta("tt0903747", "Breaking Bad", 2008, "", "https://m.media-amazon.com/images/M/MV5BMzU5ZGYzNmQtMTdhYy00OGRiLTg0NmQtYjVjNzliZTg1ZGE4XkEyXkFqcGc@._V1_SX300.jpg")
	onePiece    = meta("tt0388629", "One Piece", 1999, "", "https://m.media-amazon.com/images/M/MV5BMTNjNGU4NTUtYmVjMy00YjRiLTkxMWUtNzZkMDNiYjZhNmViXkEyXkFqcGc@._V1_SX300.jpg")
	matrix      = meta("tt0133093", "The Matrix", 1999, "Lana Wachowski, Lilly Wachowski", "https://m.media-amazon.com/images/M/MV5BN2NmN2VhMTQtMDNiOS00NDlhLTliMjgtODE2ZTY0ODQyNDRhXkEyXkFqcGc@._V1_SX300.jpg")
	amelie      = meta("tt0211915", "Amélie", 2001, "Jean-Pierre Jeunet", "https://m.media-amazon.com/images/M/MV5BMTYzNjkxMTczMF5BMl5BanBnXkFtZTgwMDgyMDQ2MzE@._V1_SX300.jpg")
	spirited    = meta("tt0245429", "Sen to Chihiro no kamikakushi", 2001, "Hayao Miyazaki", "https://m.media-amazon.com/images/M/MV5BNTEyNmEwOWUtYzkyOC00ZTQ4LTllZmUtMjk0Y2YwOGUzYjRiXkEyXkFqcGc@._V1_SX300.jpg")
	roundhay    = meta("tt0392728", "Roundhay Garden Scene", 1888, "Louis Le Prince", "")
)

func allFilms(t *testing.T) (*fakeOMDb, *omdb.Client) {
	t.Helper()
	f, srv := newFakeOMDb(t, shawshankJSON, breakingBadJSON, onePieceJSON, matrixJSON, amelieJSON, spiritedAwayJSON, roundhayJSON, noYearJSON)
	return f, mustClient(t, omdb.Config{BaseURL: srv.URL + "/"})
}

func equalMeta(a, b domain.MovieMetadata) bool {
	return a.ExternalID == b.ExternalID && a.Title == b.Title && a.ReleaseYear == b.ReleaseYear && a.Director == b.Director && a.PosterURL == b.PosterURL
}

func TestMetadataByExternalIDMapsRealFilms(t *testing.T) {
	t.Parallel()
	_, c := allFilms(t)
	tests := []struct {
		name string
		want domain.MovieMetadata
	}{
		{"a film", shawshank},
		{"a finished series: Year 2008–2013 with an en dash, Director N/A", breakingBad},
		{"a running series: Year 1999–", onePiece},
		{"two directors kept as OMDb writes them", matrix},
		{"an accented title", amelie},
		{"a romanised title", spirited},
		{"the first film: year 1888, Poster N/A", roundhay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.MetadataByExternalID(context.Background(), tt.want.ExternalID)
			if err != nil {
				t.Fatalf("MetadataByExternalID: %v", err)
			}
			if !equalMeta(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestSearchMetadataFindsByTitleAndOptionalYear(t *testing.T) {
	t.Parallel()
	f, c := allFilms(t)
	tests := []struct {
		name  string
		title string
		year  int
		want  domain.MovieMetadata
		query url.Values
	}{
		{"title and year", "The Shawshank Redemption", 1994, shawshank, url.Values{"t": {"The Shawshank Redemption"}, "y": {"1994"}}},
		{"title only: no y parameter", "the matrix", 0, matrix, url.Values{"t": {"the matrix"}}},
		{"accented title sent as UTF-8", "Amélie", 2001, amelie, url.Values{"t": {"Amélie"}, "y": {"2001"}}},
		{"a series by its first year", "Breaking Bad", 2008, breakingBad, url.Values{"t": {"Breaking Bad"}, "y": {"2008"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var year domain.ReleaseYear
			if tt.year != 0 {
				year = domain.MustNewReleaseYear(tt.year)
			}
			before := len(f.queries())
			got, err := c.SearchMetadata(context.Background(), domain.MustNewMovieTitle(tt.title), year)
			if err != nil {
				t.Fatalf("SearchMetadata: %v", err)
			}
			if !equalMeta(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			qs := f.queries()
			if len(qs) != before+1 {
				t.Fatalf("requests = %d, want one more than %d", len(qs), before)
			}
			q := qs[len(qs)-1]
			tt.query.Set("apikey", testKey)
			if q.Encode() != tt.query.Encode() {
				t.Errorf("query = %s, want %s", q.Encode(), tt.query.Encode())
			}
		})
	}
}

func TestPosterURLReturnsThePosterOrNone(t *testing.T) {
	t.Parallel()
	_, c := allFilms(t)
	tests := []struct {
		name string
		id   string
		want domain.PosterURL
	}{
		{"film with a poster", "tt0111161", shawshank.PosterURL},
		{"film with Poster N/A", "tt0392728", domain.PosterURL{}},
		{"film with Year N/A still has its poster looked up", "tt9916362", domain.PosterURL{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.PosterURL(context.Background(), domain.MustParseExternalMetadataID(tt.id))
			if err != nil || got != tt.want {
				t.Errorf("PosterURL = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := c.PosterURL(context.Background(), domain.MustParseExternalMetadataID("tt0000001")); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown film: err = %v, want ErrNotFound", err)
	}
}

func TestUnknownFilmsAreNotFound(t *testing.T) {
	t.Parallel()
	_, c := allFilms(t)
	ctx := context.Background()
	if _, err := c.MetadataByExternalID(ctx, domain.MustParseExternalMetadataID("tt0000001")); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown ID: err = %v, want ErrNotFound", err)
	}
	if _, err := c.SearchMetadata(ctx, domain.MustNewMovieTitle("No Such Film"), domain.MustNewReleaseYear(2001)); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown title: err = %v, want ErrNotFound", err)
	}
	if _, err := c.SearchMetadata(ctx, domain.MustNewMovieTitle("The Matrix"), domain.MustNewReleaseYear(2003)); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("known title, wrong year: err = %v, want ErrNotFound", err)
	}
	_, err := c.MetadataByExternalID(ctx, domain.MustParseExternalMetadataID("tt9916362"))
	if !errors.Is(err, domain.ErrNotFound) || !strings.Contains(err.Error(), "Year") {
		t.Errorf("film with Year N/A: err = %v, want ErrNotFound naming Year", err)
	}
}

// canned serves one fixed answer to every request and counts them.
func canned(t *testing.T, status int, body string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestEveryOMDbAnswerMapsToAnErrorKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		kind    error
		mention string
	}{
		{"Incorrect IMDb ID.", 200, `{"Response":"False","Error":"Incorrect IMDb ID."}`, domain.ErrNotFound, "Incorrect IMDb ID."},
		{"Movie not found!", 200, `{"Response":"False","Error":"Movie not found!"}`, domain.ErrNotFound, "Movie not found!"},
		{"Error getting data.", 200, `{"Response":"False","Error":"Error getting data."}`, domain.ErrNotFound, "Error getting data."},
		{"Series or episode not found!", 200, `{"Response":"False","Error":"Series or episode not found!"}`, domain.ErrNotFound, "not found"},
		{"Invalid API key!", 401, `{"Response":"False","Error":"Invalid API key!"}`, domain.ErrMisconfigured, "OMDb API key is invalid"},
		{"No API key provided.", 401, `{"Response":"False","Error":"No API key provided."}`, domain.ErrMisconfigured, "OMDb API key is missing"},
		{"Request limit reached!", 401, `{"Response":"False","Error":"Request limit reached!"}`, domain.ErrUnavailable, "request limit"},
		{"401 without JSON", 401, `Unauthorized`, domain.ErrMisconfigured, "HTTP 401"},
		{"an unknown false answer", 200, `{"Response":"False","Error":"Something went wrong."}`, domain.ErrUnavailable, "Something went wrong."},
		{"429", 429, `Too Many Requests`, domain.ErrUnavailable, "HTTP 429"},
		{"500", 500, `<html><body>Internal Server Error</body></html>`, domain.ErrUnavailable, "HTTP 500"},
		{"502 with a JSON film", 502, shawshankJSON, domain.ErrUnavailable, "HTTP 502"},
		{"503 empty", 503, ``, domain.ErrUnavailable, "HTTP 503"},
		{"404 from a wrong base URL", 404, `<html>Not Found</html>`, domain.ErrMisconfigured, "base URL"},
		{"200 HTML", 200, `<!DOCTYPE html><html><body>maintenance</body></html>`, domain.ErrUnavailable, "not OMDb JSON"},
		{"200 truncated JSON", 200, shawshankJSON[:100], domain.ErrUnavailable, "not OMDb JSON"},
		{"200 empty", 200, ``, domain.ErrUnavailable, "not OMDb JSON"},
		{"200 JSON without Response", 200, `{"Title":"The Matrix"}`, domain.ErrUnavailable, "no Response"},
		{"200 JSON with numbers for strings", 200, `{"Response":"True","Title":"The Matrix","Year":1999}`, domain.ErrUnavailable, "not OMDb JSON"},
		{"film without a title", 200, strings.Replace(matrixJSON, `"Title":"The Matrix"`, `"Title":"N/A"`, 1), domain.ErrNotFound, "Title"},
		{"film without an IMDb ID", 200, strings.Replace(matrixJSON, `"imdbID":"tt0133093"`, `"imdbID":"N/A"`, 1), domain.ErrNotFound, "imdbID"},
		{"film with a garbled year", 200, strings.Replace(matrixJSON, `"Year":"1999"`, `"Year":"199x"`, 1), domain.ErrNotFound, "Year"},
		{"film from before 1888", 200, strings.Replace(matrixJSON, `"Year":"1999"`, `"Year":"1700"`, 1), domain.ErrNotFound, "Year"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := canned(t, tt.status, tt.body)
			c := mustClient(t, omdb.Config{BaseURL: srv.URL})
			calls := map[string]func() error{
				"MetadataByExternalID": func() error {
					_, err := c.MetadataByExternalID(context.Background(), matrix.ExternalID)
					return err
				},
				"SearchMetadata": func() error {
					_, err := c.SearchMetadata(context.Background(), matrix.Title, matrix.ReleaseYear)
					return err
				},
			}
			for name, call := range calls {
				err := call()
				if !errors.Is(err, tt.kind) {
					t.Errorf("%s: err = %v, want %v", name, err, tt.kind)
					continue
				}
				if !strings.Contains(err.Error(), tt.mention) {
					t.Errorf("%s: err = %q, want it to mention %q", name, err, tt.mention)
				}
				if strings.Contains(err.Error(), testKey) {
					t.Errorf("%s: err = %q shows the API key", name, err)
				}
			}
		})
	}
}

func TestWrongKeyAgainstTheFakeIsAConfigurationError(t *testing.T) {
	t.Parallel()
	_, srv := newFakeOMDb(t, shawshankJSON)
	c := mustClient(t, omdb.Config{APIKey: "deadbeef", BaseURL: srv.URL})
	_, err := c.MetadataByExternalID(context.Background(), shawshank.ExternalID)
	if !errors.Is(err, domain.ErrMisconfigured) || !strings.Contains(err.Error(), "invalid") {
		t.Errorf("err = %v, want ErrMisconfigured saying the key is invalid", err)
	}
	if _, err := c.PosterURL(context.Background(), shawshank.ExternalID); !errors.Is(err, domain.ErrMisconfigured) {
		t.Errorf("PosterURL err = %v, want ErrMisconfigured", err)
	}
}

func TestOversizedAnswerIsUnavailable(t *testing.T) {
	t.Parallel()
	srv, _ := canned(t, 200, shawshankJSON+strings.Repeat(" ", 4096))
	c := mustClient(t, omdb.Config{BaseURL: srv.URL, MaxBodyBytes: 2048})
	_, err := c.MetadataByExternalID(context.Background(), shawshank.ExternalID)
	if !errors.Is(err, domain.ErrUnavailable) || !strings.Contains(err.Error(), "larger than 2048 bytes") {
		t.Errorf("err = %v, want ErrUnavailable about the size", err)
	}
	// The same answer within the cap is a film.
	c = mustClient(t, omdb.Config{BaseURL: srv.URL, MaxBodyBytes: 8192})
	if _, err := c.MetadataByExternalID(context.Background(), shawshank.ExternalID); err != nil {
		t.Errorf("within the cap: %v", err)
	}
}

// hanging answers nothing until the request is given up, and tells started
// when a request arrives.
func hanging(t *testing.T) (*httptest.Server, chan struct{}) {
	t.Helper()
	started := make(chan struct{}, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv, started
}

func TestTimeoutIsUnavailableAndHidesTheKey(t *testing.T) {
	t.Parallel()
	srv, _ := hanging(t)
	c := mustClient(t, omdb.Config{BaseURL: srv.URL, Timeout: 50 * time.Millisecond})
	_, err := c.MetadataByExternalID(context.Background(), shawshank.ExternalID)
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	msg := err.Error()
	if strings.Contains(msg, testKey) {
		t.Errorf("err = %q shows the API key", msg)
	}
	if !strings.Contains(msg, "apikey=***") || !strings.Contains(msg, "no answer within 50ms") {
		t.Errorf("err = %q, want the masked URL and the timeout", msg)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Errorf("our own timeout is reported as the caller's context ending: %v", err)
	}
}

func TestCallerCancellationIsUnavailableAndCarriesTheContextError(t *testing.T) {
	t.Parallel()
	srv, started := hanging(t)
	c := mustClient(t, omdb.Config{BaseURL: srv.URL})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	_, err := c.SearchMetadata(ctx, shawshank.Title, shawshank.ReleaseYear)
	if !errors.Is(err, domain.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want ErrUnavailable and context.Canceled", err)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("err = %q shows the API key", err)
	}
}

func TestConnectionFailuresAreUnavailableAndHideTheKey(t *testing.T) {
	t.Parallel()
	const oddKey = "k3y+with/odd=chars"
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedURL := refused.URL
	refused.Close()

	dropping := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(dropping.Close)

	halfBody := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5000")
		_, _ = w.Write([]byte(shawshankJSON[:200]))
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(halfBody.Close)

	tests := []struct{ name, base string }{
		{"connection refused", refusedURL},
		{"connection dropped before an answer", dropping.URL},
		{"connection dropped mid-answer", halfBody.URL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustClient(t, omdb.Config{APIKey: oddKey, BaseURL: tt.base})
			_, err := c.MetadataByExternalID(context.Background(), shawshank.ExternalID)
			if !errors.Is(err, domain.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			msg := err.Error()
			if strings.Contains(msg, oddKey) || strings.Contains(msg, url.QueryEscape(oddKey)) {
				t.Errorf("err = %q shows the API key", msg)
			}
			if !strings.Contains(msg, "apikey=***") {
				t.Errorf("err = %q, want the masked URL", msg)
			}
		})
	}
}

func TestRedirectsStayOnTheSameOrigin(t *testing.T) {
	t.Parallel()
	_, target := newFakeOMDb(t, shawshankJSON)
	var elsewhereHits atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhereHits.Add(1)
	}))
	t.Cleanup(elsewhere.Close)

	redirectTo := func(base string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/moved/" {
				http.Redirect(w, r, base+"/?"+r.URL.RawQuery, http.StatusFound)
				return
			}
			http.Redirect(w, r, "/moved/?"+r.URL.RawQuery, http.StatusMovedPermanently)
		}))
		t.Cleanup(srv.Close)
		return srv
	}

	// Same origin: /  →  /moved/  →  the same server again, then loops;
	// the loop is cut after a few hops.
	loop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/again/?"+r.URL.RawQuery, http.StatusFound)
	}))
	t.Cleanup(loop.Close)
	sameHost := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/" {
			target.Config.Handler.ServeHTTP(w, r)
			return
		}
		http.Redirect(w, r, "/api/?"+r.URL.RawQuery, http.StatusMovedPermanently)
	}))
	t.Cleanup(sameHost.Close)

	got, err := mustClient(t, omdb.Config{BaseURL: sameHost.URL}).MetadataByExternalID(context.Background(), shawshank.ExternalID)
	if err != nil || !equalMeta(got, shawshank) {
		t.Errorf("same-origin redirect: got %+v, %v", got, err)
	}

	_, err = mustClient(t, omdb.Config{BaseURL: redirectTo(elsewhere.URL).URL}).MetadataByExternalID(context.Background(), shawshank.ExternalID)
	if !errors.Is(err, domain.ErrUnavailable) || strings.Contains(err.Error(), testKey) {
		t.Errorf("cross-origin redirect: err = %v, want ErrUnavailable without the key", err)
	}
	if n := elsewhereHits.Load(); n != 0 {
		t.Errorf("the other origin got %d requests carrying the key, want 0", n)
	}

	_, err = mustClient(t, omdb.Config{BaseURL: loop.URL}).MetadataByExternalID(context.Background(), shawshank.ExternalID)
	if !errors.Is(err, domain.ErrUnavailable) || !strings.Contains(err.Error(), "redirects") {
		t.Errorf("redirect loop: err = %v, want ErrUnavailable about redirects", err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  omdb.Config
	}{
		{"no key", omdb.Config{}},
		{"blank key", omdb.Config{APIKey: "  "}},
		{"relative base URL", omdb.Config{APIKey: testKey, BaseURL: "/omdb"}},
		{"ftp base URL", omdb.Config{APIKey: testKey, BaseURL: "ftp://omdb.example/"}},
		{"base URL with credentials", omdb.Config{APIKey: testKey, BaseURL: "https://user:pw@omdb.example/"}},
		{"unparseable base URL", omdb.Config{APIKey: testKey, BaseURL: "http://[::1"}},
		{"negative timeout", omdb.Config{APIKey: testKey, Timeout: -time.Second}},
		{"negative body cap", omdb.Config{APIKey: testKey, MaxBodyBytes: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := omdb.New(tt.cfg); !errors.Is(err, domain.ErrMisconfigured) {
				t.Errorf("New err = %v, want ErrMisconfigured", err)
			}
		})
	}
	if _, err := omdb.New(omdb.Config{APIKey: testKey}); err != nil {
		t.Errorf("defaults refused: %v", err)
	}
}

func TestZeroArgumentsAreValidationErrorsWithoutARequest(t *testing.T) {
	t.Parallel()
	f, c := allFilms(t)
	ctx := context.Background()
	errs := []error{}
	_, err := c.MetadataByExternalID(ctx, domain.ExternalMetadataID{})
	errs = append(errs, err)
	_, err = c.SearchMetadata(ctx, domain.MovieTitle{}, domain.ReleaseYear{})
	errs = append(errs, err)
	_, err = c.PosterURL(ctx, domain.ExternalMetadataID{})
	errs = append(errs, err)
	for i, err := range errs {
		if !errors.Is(err, domain.ErrValidation) {
			t.Errorf("call %d: err = %v, want ErrValidation", i, err)
		}
	}
	if n := len(f.queries()); n != 0 {
		t.Errorf("requests = %d, want 0", n)
	}
}

func TestDisabledSaysLookupsAreOff(t *testing.T) {
	t.Parallel()
	c := omdb.Disabled("OMDB_API_KEY is not set")
	ctx := context.Background()
	_, err1 := c.MetadataByExternalID(ctx, shawshank.ExternalID)
	_, err2 := c.SearchMetadata(ctx, shawshank.Title, shawshank.ReleaseYear)
	_, err3 := c.PosterURL(ctx, shawshank.ExternalID)
	for i, err := range []error{err1, err2, err3} {
		if !errors.Is(err, domain.ErrMisconfigured) || !strings.Contains(err.Error(), "metadata lookups are off: OMDB_API_KEY is not set") {
			t.Errorf("call %d: err = %v, want ErrMisconfigured saying lookups are off", i, err)
		}
	}
}

func TestCustomHTTPClientIsUsedButNotChanged(t *testing.T) {
	t.Parallel()
	_, srv := newFakeOMDb(t, shawshankJSON)
	var sent atomic.Int64
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := mustClient(t, omdb.Config{BaseURL: srv.URL, HTTPClient: hc})
	if _, err := c.MetadataByExternalID(context.Background(), shawshank.ExternalID); err != nil {
		t.Fatal(err)
	}
	if sent.Load() != 1 {
		t.Errorf("requests through the given client = %d, want 1", sent.Load())
	}
	if hc.CheckRedirect != nil {
		t.Error("the caller's client had its redirect policy replaced")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
