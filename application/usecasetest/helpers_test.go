package application_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// fixedNow is the clock of every use case under test.
var fixedNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return fixedNow }

// must returns v; it panics on err, which fails the test that built a
// broken fixture. For fixtures and constructors only.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("fixture: %v", err))
	}
	return v
}

func ptr[T any](v T) *T { return &v }

// mustMovie builds a stored movie; director and external ID may be "".
func mustMovie(externalID, title string, year int, director string) domain.Movie {
	var ext domain.ExternalMetadataID
	if externalID != "" {
		ext = domain.MustParseExternalMetadataID(externalID)
	}
	d := must(domain.NewDirector(director))
	return must(domain.RestoreMovie(domain.NewMovieID(), ext, domain.MustNewMovieTitle(title), domain.MustNewReleaseYear(year), d, domain.PosterPath{}))
}

// metadataOf describes a film as a metadata source would.
func metadataOf(externalID, title string, year int, director string) domain.MovieMetadata {
	return domain.MovieMetadata{
		ExternalID:  domain.MustParseExternalMetadataID(externalID),
		Title:       domain.MustNewMovieTitle(title),
		ReleaseYear: domain.MustNewReleaseYear(year),
		Director:    must(domain.NewDirector(director)),
		PosterURL:   domain.MustParsePosterURL("https://img.example.com/" + externalID + ".jpg"),
	}
}

// requireKind fails unless err wraps kind.
func requireKind(tb testing.TB, err, kind error) {
	tb.Helper()
	if !errors.Is(err, kind) {
		tb.Fatalf("error %v: want kind %v", err, kind)
	}
}

// fieldRules returns the rules of a validation error by field, failing the
// test when err is not a *domain.ValidationError.
func fieldRules(tb testing.TB, err error) map[string][]string {
	tb.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		tb.Fatalf("error %v: want a *domain.ValidationError", err)
	}
	if !errors.Is(err, domain.ErrValidation) {
		tb.Fatalf("error %v: does not match domain.ErrValidation", err)
	}
	rules := map[string][]string{}
	for _, f := range ve.Fields {
		rules[f.Field] = append(rules[f.Field], f.Rule)
	}
	return rules
}

// requireFields fails unless err is a validation error naming exactly want.
func requireFields(tb testing.TB, err error, want ...string) map[string][]string {
	tb.Helper()
	rules := fieldRules(tb, err)
	var got []string
	for f := range rules {
		got = append(got, f)
	}
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		tb.Fatalf("validation fields = %v, want %v (error: %v)", got, want, err)
	}
	return rules
}

// logRecorder is a slog.Handler that keeps every record.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func newLogger() (*slog.Logger, *logRecorder) {
	r := &logRecorder{}
	return slog.New(r), r
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}

func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }

// at returns the records logged at level.
func (r *logRecorder) at(level slog.Level) []slog.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []slog.Record
	for _, rec := range r.records {
		if rec.Level == level {
			out = append(out, rec)
		}
	}
	return out
}

// attr returns the value of a record's attribute, or "".
func attr(rec slog.Record, key string) string {
	var v string
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
			return false
		}
		return true
	})
	return v
}
