package delivery_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// now is a fixed clock for the events the tests build.
var now = time.Date(2024, 3, 9, 20, 30, 0, 0, time.UTC)

// MustMovie returns a valid movie with an IMDb ID and no poster.
func MustMovie(tb testing.TB) domain.Movie {
	tb.Helper()
	m, err := domain.NewMovie(
		domain.MustParseExternalMetadataID("tt0133093"),
		domain.MustNewMovieTitle("The Matrix"),
		domain.MustNewReleaseYear(1999),
		domain.Director{},
	)
	if err != nil {
		tb.Fatalf("NewMovie: %v", err)
	}
	return m
}

// MustMovieDiscovered returns a MovieDiscovered event of a fresh movie.
func MustMovieDiscovered(tb testing.TB) domain.MovieDiscovered {
	tb.Helper()
	return domain.NewMovieDiscovered(MustMovie(tb), domain.PosterURL{}, now)
}

// MustReviewLogged returns a ReviewLogged event of a fresh review.
func MustReviewLogged(tb testing.TB) domain.ReviewLogged {
	tb.Helper()
	r, err := domain.NewReview(
		MustMovie(tb).ID,
		domain.NewUserID(),
		domain.MustNewRating(4),
		domain.Comment{},
		now.Add(-2*time.Hour),
		now,
	)
	if err != nil {
		tb.Fatalf("NewReview: %v", err)
	}
	return domain.NewReviewLogged(r, now)
}

// logSink collects the JSON lines of a slog.JSONHandler.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

// logLine is one decoded log record.
type logLine map[string]any

// newLogger returns a logger writing JSON at level and up into a sink.
func newLogger(level slog.Level) (*slog.Logger, *logSink) {
	sink := &logSink{}
	return slog.New(slog.NewJSONHandler(sink, &slog.HandlerOptions{Level: level})), sink
}

// Lines decodes every record written so far.
func (s *logSink) Lines(tb testing.TB) []logLine {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	dec := json.NewDecoder(bytes.NewReader(s.buf.Bytes()))
	dec.UseNumber()
	var lines []logLine
	for dec.More() {
		var l logLine
		if err := dec.Decode(&l); err != nil {
			tb.Fatalf("decode log line: %v\n%s", err, s.buf.String())
		}
		lines = append(lines, l)
	}
	return lines
}

// str returns field k of l as a string, failing when it is missing or not
// a string.
func (l logLine) str(tb testing.TB, k string) string {
	tb.Helper()
	v, ok := l[k]
	if !ok {
		tb.Fatalf("log line %v has no %q", l, k)
	}
	s, ok := v.(string)
	if !ok {
		tb.Fatalf("log line field %q = %#v, want a string", k, v)
	}
	return s
}

// int returns field k of l as an int64, failing when it is missing or not
// an integer.
func (l logLine) int(tb testing.TB, k string) int64 {
	tb.Helper()
	v, ok := l[k]
	if !ok {
		tb.Fatalf("log line %v has no %q", l, k)
	}
	n, ok := v.(json.Number)
	if !ok {
		tb.Fatalf("log line field %q = %#v, want a number", k, v)
	}
	i, err := n.Int64()
	if err != nil {
		tb.Fatalf("log line field %q = %v: %v", k, n, err)
	}
	return i
}

// checkEventFields asserts that l carries e's event, event_id, movie_id
// and, for review_logged, review_id.
func checkEventFields(tb testing.TB, l logLine, e domain.Event) {
	tb.Helper()
	if got, want := l.str(tb, "event"), string(e.EventName()); got != want {
		tb.Errorf("event = %q, want %q", got, want)
	}
	if got, want := l.str(tb, "event_id"), e.EventID().String(); got != want {
		tb.Errorf("event_id = %q, want %q", got, want)
	}
	if got, want := l.str(tb, "movie_id"), e.MovieID().String(); got != want {
		tb.Errorf("movie_id = %q, want %q", got, want)
	}
	var reviewID domain.ReviewID
	switch ev := e.(type) {
	case domain.ReviewLogged:
		reviewID = ev.ReviewID
	case *domain.ReviewLogged:
		reviewID = ev.ReviewID
	}
	if !reviewID.IsZero() {
		if got, want := l.str(tb, "review_id"), reviewID.String(); got != want {
			tb.Errorf("review_id = %q, want %q", got, want)
		}
	} else if _, has := l["review_id"]; has {
		tb.Errorf("log line of %s has a review_id: %v", e.EventName(), l)
	}
}

// errUnavailable, errNotFound… are errors of each kind, wrapped as an
// adapter would.
var (
	errUnavailable = wrapKind("omdb: fetch", domain.ErrUnavailable)
	errNotFound    = wrapKind("omdb: lookup", domain.ErrNotFound)
	errValidation  = wrapKind("poster", domain.FieldError{Field: "poster_url", Rule: "must be http(s)"})
)

type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg + ": " + e.kind.Error() }
func (e *kindError) Unwrap() error { return e.kind }

func wrapKind(msg string, kind error) error { return &kindError{msg: msg, kind: kind} }
