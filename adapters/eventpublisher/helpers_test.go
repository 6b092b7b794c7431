package eventpublisher_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/eventpublisher"
	"github.com/moviediary/moviediary/domain"
)

var fixedNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func movieDiscovered(t testing.TB) domain.MovieDiscovered {
	t.Helper()
	m, err := domain.NewMovie(domain.MustParseExternalMetadataID("tt0111161"),
		domain.MustNewMovieTitle("The Shawshank Redemption"), domain.MustNewReleaseYear(1994), domain.Director{})
	if err != nil {
		t.Fatal(err)
	}
	return domain.NewMovieDiscovered(m, domain.PosterURL{}, fixedNow)
}

func reviewLogged(t testing.TB) domain.ReviewLogged {
	t.Helper()
	r, err := domain.NewReview(domain.NewMovieID(), domain.NewUserID(), domain.MustNewRating(4),
		domain.Comment{}, fixedNow.Add(-time.Hour), fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	return domain.NewReviewLogged(r, fixedNow)
}

// recorder is a handler that records the events it receives, in order, and
// signals each one on got.
type recorder struct {
	name string
	err  error
	got  chan domain.Event

	mu     sync.Mutex
	events []domain.Event
	ctxErr []error
}

func newRecorder(name string) *recorder {
	return &recorder{name: name, got: make(chan domain.Event, 1024)}
}

func (r *recorder) Name() string { return r.name }

func (r *recorder) Handle(ctx context.Context, e domain.Event) error {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.ctxErr = append(r.ctxErr, ctx.Err())
	r.mu.Unlock()
	r.got <- e
	return r.err
}

func (r *recorder) snapshot() []domain.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]domain.Event(nil), r.events...)
}

// waitFor receives n events from r or fails the test after a generous
// deadline (a hang guard, not a synchronisation sleep).
func (r *recorder) waitFor(t *testing.T, n int) []domain.Event {
	t.Helper()
	out := make([]domain.Event, 0, n)
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case e := <-r.got:
			out = append(out, e)
		case <-timeout:
			t.Fatalf("%s: got %d events, want %d", r.name, len(out), n)
		}
	}
	return out
}

// startWorker runs w in a goroutine and returns a channel that yields Run's
// result and is closed after it. Cleanup closes the publisher and waits for Run to return.
func startWorker(t *testing.T, ctx context.Context, p *eventpublisher.ChannelPublisher, w *eventpublisher.EventWorker) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		done <- w.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		p.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("worker did not stop")
		}
	})
	return done
}

func waitRun(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

// logBuffer is a concurrency-safe buffer for a JSON slog handler.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records decodes every JSON log line written so far.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(b.buf.Bytes()))
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("decode log line: %v", err)
		}
		out = append(out, m)
	}
	return out
}

func jsonLogger(b *logBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// discardLogger drops everything; its handler is never enabled.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// findRecord returns the first record with the given message.
func findRecords(recs []map[string]any, msg string) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}
