package omdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// Defaults used when a Config field is zero.
const (
	DefaultBaseURL      = "https://www.omdbapi.com/"
	DefaultTimeout      = 10 * time.Second
	DefaultMaxBodyBytes = 1 << 20
)

// maxRedirects bounds the redirects one request follows.
const maxRedirects = 3

// Config configures a Client.
type Config struct {
	// APIKey is the OMDb API key; required (see Disabled for running
	// without one).
	APIKey string
	// BaseURL is the API endpoint; empty means DefaultBaseURL.
	BaseURL string
	// Timeout bounds each request, answer included; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// MaxBodyBytes caps the size of an answer; zero means
	// DefaultMaxBodyBytes. OMDb's answers are a few KiB.
	MaxBodyBytes int64
	// HTTPClient sends the requests; nil means a fresh http.Client. It is
	// copied and its redirect policy replaced by the same-host one.
	HTTPClient *http.Client
}

// Client looks films up in OMDb. It implements domain.MetadataClient and is
// safe for concurrent use.
type Client struct {
	key     string
	base    *url.URL
	timeout time.Duration
	maxBody int64
	http    *http.Client
}

var _ domain.MetadataClient = (*Client)(nil)

// New returns a client, or an error wrapping domain.ErrMisconfigured when
// the key is empty or the base URL is not an absolute http(s) URL.
func New(cfg Config) (*Client, error) {
	key := strings.TrimSpace(cfg.APIKey)
	if key == "" {
		return nil, fmt.Errorf("omdb: the OMDb API key is missing: %w", domain.ErrMisconfigured)
	}
	raw := cfg.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := url.Parse(raw)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.User != nil {
		return nil, fmt.Errorf("omdb: base URL %q must be an absolute http or https URL: %w", raw, domain.ErrMisconfigured)
	}
	if cfg.Timeout < 0 || cfg.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("omdb: timeout and body cap must not be negative: %w", domain.ErrMisconfigured)
	}
	c := &Client{key: key, base: base, timeout: cfg.Timeout, maxBody: cfg.MaxBodyBytes}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody == 0 {
		c.maxBody = DefaultMaxBodyBytes
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		hc = &copied
	}
	hc.CheckRedirect = sameOrigin
	c.http = hc
	return c, nil
}

// sameOrigin follows a redirect only to the same scheme and host, so the
// key in the query string never reaches another server or plain HTTP; the
// one upgrade allowed is http to https on the same host name.
func sameOrigin(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("more than %d redirects", maxRedirects)
	}
	from, to := via[0].URL, req.URL
	switch {
	case from.Scheme == to.Scheme && from.Host == to.Host:
		return nil
	case from.Scheme == "http" && to.Scheme == "https" && from.Hostname() == to.Hostname():
		return nil
	}
	return fmt.Errorf("redirect to another origin %s://%s refused", to.Scheme, to.Host)
}

// MetadataByExternalID looks a film up by IMDb ID (?i=).
func (c *Client) MetadataByExternalID(ctx context.Context, id domain.ExternalMetadataID) (domain.MovieMetadata, error) {
	if id.IsZero() {
		return domain.MovieMetadata{}, fmt.Errorf("omdb: look up by IMDb ID: %w", fieldError("external_metadata_id", "must be set"))
	}
	q := url.Values{"i": {id.String()}}
	what := "IMDb ID " + id.String()
	film, err := c.get(ctx, q, what)
	if err != nil {
		return domain.MovieMetadata{}, err
	}
	return film.metadata(what)
}

// SearchMetadata looks a film up by title (?t=) and, unless year is zero,
// year (&y=).
func (c *Client) SearchMetadata(ctx context.Context, title domain.MovieTitle, year domain.ReleaseYear) (domain.MovieMetadata, error) {
	if title.IsZero() {
		return domain.MovieMetadata{}, fmt.Errorf("omdb: search: %w", fieldError("title", "must not be empty"))
	}
	q := url.Values{"t": {title.String()}}
	what := strconv.Quote(title.String())
	if !year.IsZero() {
		q.Set("y", year.String())
		what += " (" + year.String() + ")"
	}
	film, err := c.get(ctx, q, what)
	if err != nil {
		return domain.MovieMetadata{}, err
	}
	return film.metadata(what)
}

// PosterURL looks a film up by IMDb ID and returns its poster URL, the zero
// PosterURL when OMDb has none ("N/A" or not a usable URL).
func (c *Client) PosterURL(ctx context.Context, id domain.ExternalMetadataID) (domain.PosterURL, error) {
	if id.IsZero() {
		return domain.PosterURL{}, fmt.Errorf("omdb: poster: %w", fieldError("external_metadata_id", "must be set"))
	}
	film, err := c.get(ctx, url.Values{"i": {id.String()}}, "IMDb ID "+id.String())
	if err != nil {
		return domain.PosterURL{}, err
	}
	return film.poster(), nil
}

// answer is OMDb's JSON: every field a string.
type answer struct {
	Response string `json:"Response"`
	Error    string `json:"Error"`
	Title    string `json:"Title"`
	Year     string `json:"Year"`
	Director string `json:"Director"`
	Poster   string `json:"Poster"`
	IMDbID   string `json:"imdbID"`
	Type     string `json:"Type"`
}

// get sends one request and returns a film answer, or the mapped error.
func (c *Client) get(ctx context.Context, q url.Values, what string) (answer, error) {
	q.Set("apikey", c.key)
	u := *c.base
	merged := u.Query()
	for k, v := range q {
		merged[k] = v
	}
	u.RawQuery = merged.Encode()
	shown := c.mask(u.String())

	reqCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, u.String(), nil)
	if err != nil {
		return answer{}, c.errorf(domain.ErrMisconfigured, "omdb: build request for %s: %v", shown, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "moviediary")

	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, c.transportError(ctx, reqCtx, shown, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return answer{}, c.transportError(ctx, reqCtx, shown, err)
	}
	if int64(len(body)) > c.maxBody {
		return answer{}, c.errorf(domain.ErrUnavailable, "omdb: GET %s: answer larger than %d bytes", shown, c.maxBody)
	}

	var a answer
	jsonErr := json.Unmarshal(body, &a)
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return answer{}, c.refusal(resp.StatusCode, a.Error, shown)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return answer{}, c.errorf(domain.ErrUnavailable, "omdb: GET %s: HTTP %d, retry later", shown, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return answer{}, c.errorf(domain.ErrMisconfigured, "omdb: GET %s: HTTP %d; is the OMDb base URL right?", shown, resp.StatusCode)
	case jsonErr != nil:
		return answer{}, c.errorf(domain.ErrUnavailable, "omdb: GET %s: answer is not OMDb JSON: %v", shown, jsonErr)
	case a.Response == "True":
		return a, nil
	case a.Response == "False":
		return answer{}, c.falseAnswer(a.Error, what, shown)
	default:
		return answer{}, c.errorf(domain.ErrUnavailable, "omdb: GET %s: answer has no Response field", shown)
	}
}

// refusal maps a 401 or 403 by its message.
func (c *Client) refusal(status int, msg, shown string) error {
	switch msg {
	case "Request limit reached!":
		return c.errorf(domain.ErrUnavailable, "omdb: the OMDb daily request limit is reached, retry later")
	case "No API key provided.":
		return c.errorf(domain.ErrMisconfigured, "omdb: the OMDb API key is missing (OMDb said %q)", msg)
	case "Invalid API key!":
		return c.errorf(domain.ErrMisconfigured, "omdb: the OMDb API key is invalid (OMDb said %q)", msg)
	}
	return c.errorf(domain.ErrMisconfigured, "omdb: GET %s: HTTP %d %q: OMDb refused the API key", shown, status, msg)
}

// falseAnswer maps a 200 with "Response":"False" by its message.
func (c *Client) falseAnswer(msg, what, shown string) error {
	switch {
	case msg == "Incorrect IMDb ID.", msg == "Movie not found!", msg == "Error getting data.",
		strings.HasSuffix(strings.ToLower(msg), "not found!"):
		return c.errorf(domain.ErrNotFound, "omdb: no film for %s (OMDb said %q)", what, msg)
	case msg == "Request limit reached!":
		return c.errorf(domain.ErrUnavailable, "omdb: the OMDb daily request limit is reached, retry later")
	case msg == "Invalid API key!" || msg == "No API key provided.":
		return c.refusal(http.StatusOK, msg, shown)
	}
	return c.errorf(domain.ErrUnavailable, "omdb: GET %s: OMDb answered %q", shown, msg)
}

// transportError maps a failure to send or read: the caller's context
// ending, our timeout, or a connection problem. All are ErrUnavailable.
func (c *Client) transportError(ctx, reqCtx context.Context, shown string, err error) error {
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err // ue.Error() would repeat the URL with the key
	}
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		return c.wrap(fmt.Errorf("omdb: GET %s: %w: %w", shown, domain.ErrUnavailable, ctx.Err()))
	case reqCtx.Err() != nil || (errors.As(cause, &ne) && ne.Timeout()):
		return c.errorf(domain.ErrUnavailable, "omdb: GET %s: no answer within %s", shown, c.timeout)
	}
	return c.errorf(domain.ErrUnavailable, "omdb: GET %s: %v", shown, cause)
}

// errorf formats an error of the given kind with the key masked.
func (c *Client) errorf(kind error, format string, args ...any) error {
	return c.wrap(fmt.Errorf(format+": %w", append(args, kind)...))
}

// wrap masks the key in err's message, whatever produced it.
func (c *Client) wrap(err error) error { return &maskedError{err: err, mask: c.mask} }

// mask replaces the key, raw or query-escaped, with ***.
func (c *Client) mask(s string) string {
	s = strings.ReplaceAll(s, c.key, "***")
	if esc := url.QueryEscape(c.key); esc != c.key {
		s = strings.ReplaceAll(s, esc, "***")
	}
	return s
}

// maskedError keeps the chain of err for errors.Is and hides the API key in
// its message.
type maskedError struct {
	err  error
	mask func(string) string
}

func (e *maskedError) Error() string { return e.mask(e.err.Error()) }
func (e *maskedError) Unwrap() error { return e.err }

// metadata converts a film answer, or reports ErrNotFound when the film has
// no usable title, year or IMDb ID.
func (a answer) metadata(what string) (domain.MovieMetadata, error) {
	unusable := func(field string) error {
		return fmt.Errorf("omdb: OMDb's film for %s has no usable %s: %w", what, field, domain.ErrNotFound)
	}
	id, err := domain.ParseExternalMetadataID(present(a.IMDbID))
	if err != nil {
		return domain.MovieMetadata{}, unusable("imdbID")
	}
	title, err := domain.NewMovieTitle(present(a.Title))
	if err != nil {
		return domain.MovieMetadata{}, unusable("Title")
	}
	y, ok := firstYear(a.Year)
	if !ok {
		return domain.MovieMetadata{}, unusable("Year")
	}
	year, err := domain.NewReleaseYear(y)
	if err != nil {
		return domain.MovieMetadata{}, unusable("Year")
	}
	director, err := domain.NewDirector(present(a.Director))
	if err != nil {
		director = domain.Director{}
	}
	return domain.MovieMetadata{
		ExternalID:  id,
		Title:       title,
		ReleaseYear: year,
		Director:    director,
		PosterURL:   a.poster(),
	}, nil
}

// poster returns the poster URL, zero when absent or unusable.
func (a answer) poster() domain.PosterURL {
	p, err := domain.ParsePosterURL(present(a.Poster))
	if err != nil {
		return domain.PosterURL{}
	}
	return p
}

// present returns s trimmed, or "" for OMDb's "N/A".
func present(s string) string {
	s = strings.TrimSpace(s)
	if s == "N/A" {
		return ""
	}
	return s
}

// firstYear reads the leading four-digit year of "1994", "2008–2013" or
// "2008–".
func firstYear(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 4 {
		return 0, false
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil || y < 0 {
		return 0, false
	}
	rest := s[4:]
	switch {
	case rest == "", strings.HasPrefix(rest, "–"), strings.HasPrefix(rest, "-"):
		return y, true
	}
	return 0, false
}

// fieldError builds a validation error for one field.
func fieldError(field, rule string) error {
	return &domain.ValidationError{Fields: []domain.FieldError{{Field: field, Rule: rule}}}
}
