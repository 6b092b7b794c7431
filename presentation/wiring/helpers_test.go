package wiring_test

import (
	"bytes"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/moviediary/moviediary/presentation/wiring"
)

// testConfig loads a Config over a temp directory plus env.
func testConfig(t *testing.T, env map[string]string) (wiring.Config, string) {
	t.Helper()
	dir := t.TempDir()
	full := map[string]string{
		"DATABASE_URL": "sqlite://" + filepath.Join(dir, "db.sqlite"),
		"DATA_DIR":     filepath.Join(dir, "data"),
	}
	for k, v := range env {
		full[k] = v
	}
	cfg, err := wiring.LoadConfig(envOf(full))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	return cfg, dir
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

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
