package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// configVars are cleared for the in-process tests so that the
// environment of whoever runs them cannot leak in.
var configVars = []string{
	"DATABASE_URL", "HOST", "PORT", "BASE_URL", "DATA_DIR", "DIARY_TITLE", "JWT_SECRET", "JWT_TTL_SECONDS",
	"ALLOW_REGISTRATION", "OMDB_API_KEY", "OMDB_BASE_URL", "OMDB_TIMEOUT_SECONDS", "POSTER_STORAGE",
	"POSTER_STORAGE_DIR", "MINIO_ENDPOINT", "MINIO_ACCESS_KEY_ID", "MINIO_SECRET_ACCESS_KEY", "MINIO_BUCKET",
	"MINIO_REGION", "MINIO_USE_SSL", "POSTER_FETCH_TIMEOUT_SECONDS", "POSTER_MAX_BYTES",
	"POSTER_FETCH_ALLOW_PRIVATE", "POSTER_SYNC_MAX_RETRIES", "POSTER_SYNC_BASE_DELAY", "EVENT_CHANNEL_BUFFER",
	"TRUSTED_PROXIES", "SHUTDOWN_TIMEOUT", "LOG_LEVEL", "LOG_FORMAT",
}

// inTempDir runs the test in an empty directory with a clean
// configuration environment. Tests that use it cannot run in parallel.
func inTempDir(t *testing.T, env map[string]string) string {
	t.Helper()
	for _, k := range configVars {
		t.Setenv(k, "")
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	return dir
}

func runCmd(stdin string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestRunCommands(t *testing.T) {
	dir := inTempDir(t, map[string]string{"ALLOW_REGISTRATION": "false"})

	if code, out, _ := runCmd("", "version"); code != 0 || out != "moviediary "+version+"\n" {
		t.Errorf("version: %d %q", code, out)
	}
	if code, out, _ := runCmd("", "--help"); code != 0 || !strings.Contains(out, "Usage:") {
		t.Errorf("--help: %d %q", code, out)
	}
	if code, _, errOut := runCmd("", "nope"); code != 2 || !strings.Contains(errOut, `unknown command "nope"`) {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
	if code, _, errOut := runCmd("", "migrate"); code != 0 {
		t.Errorf("migrate: %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "moviediary.db")); err != nil {
		t.Errorf("migrate made no database in ./data: %v", err)
	}
	code, out, errOut := runCmd("passphrase one\r\n", "user", "add", "--email", "Ann@Example.com")
	if code != 0 || !strings.HasPrefix(out, "created user ann@example.com (") {
		t.Errorf("user add: %d %q %s", code, out, errOut)
	}
	if code, _, errOut := runCmd("passphrase two\n", "user", "add", "--email", "ann@example.com"); code != 1 || !strings.Contains(errOut, "already exists") {
		t.Errorf("duplicate user add: %d %s", code, errOut)
	}
	if code, _, errOut := runCmd("", "user", "add"); code != 2 || !strings.Contains(errOut, "--email is required") {
		t.Errorf("user add without --email: %d %s", code, errOut)
	}
	if code, _, errOut := runCmd("", "user", "add", "--bogus"); code != 2 || !strings.Contains(errOut, "bogus") {
		t.Errorf("user add --bogus: %d %s", code, errOut)
	}
	if code, _, errOut := runCmd("", "user"); code != 2 || !strings.Contains(errOut, "only subcommand is add") {
		t.Errorf("user: %d %s", code, errOut)
	}
}

func TestRunBadConfiguration(t *testing.T) {
	inTempDir(t, map[string]string{"POSTER_SYNC_BASE_DELAY": "fast"})
	code, out, errOut := runCmd("", "serve")
	if code != 2 || out != "" || errOut != "moviediary: config: POSTER_SYNC_BASE_DELAY: must be a Go duration such as 1s or 250ms, got \"fast\"\n" {
		t.Errorf("bad config: %d %q %q", code, out, errOut)
	}
}

func TestRunDotEnvErrors(t *testing.T) {
	dir := inTempDir(t, nil)
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("=novalue\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCmd("", "version"); code != 2 || !strings.Contains(errOut, ".env:1") {
		t.Errorf("malformed .env: %d %q", code, errOut)
	}
}

// TestRunServeStopsOnSIGTERM serves in-process and sends the test process
// SIGTERM once the server answers: run's signal handler is registered
// by then, so the signal ends serve instead of the test.
func TestRunServeStopsOnSIGTERM(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	inTempDir(t, map[string]string{"HOST": "127.0.0.1", "PORT": strconv.Itoa(port), "LOG_FORMAT": "json"})

	var stdout, stderr syncWriter
	done := make(chan int, 1)
	go func() { done <- run([]string{"serve"}, strings.NewReader(""), &stdout, &stderr) }()

	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", port)
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := client.Get(url)
		if err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d before answering; stderr:\n%s", code, stderr.String())
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer within 5s; stderr:\n%s", stderr.String())
		}
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exit code after SIGTERM = %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
	if !strings.Contains(stderr.String(), `"msg":"shutting down"`) {
		t.Errorf("JSON log lacks the shutdown line:\n%s", stderr.String())
	}
}

// syncWriter is a bytes.Buffer safe for a server's concurrent writes.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
