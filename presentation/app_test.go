package presentation_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
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

func TestMigrateAndAddUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, _ := testConfig(t, map[string]string{"ALLOW_REGISTRATION": "false"})
	for i := range 2 {
		if err := wiring.Migrate(ctx, cfg, discardLogger()); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}

	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	user, err := wiring.AddUser(ctx, cfg, logger, " Ann@Example.com ", "a long passphrase")
	if err != nil {
		t.Fatalf("AddUser with registration closed: %v", err)
	}
	if user.Email.String() != "ann@example.com" || user.ID.IsZero() {
		t.Errorf("user = %+v", user)
	}
	if strings.Contains(logs.String(), "a long passphrase") || strings.Contains(logs.String(), "argon2id") {
		t.Errorf("AddUser logged the password or its hash:\n%s", logs.String())
	}

	_, err = wiring.AddUser(ctx, cfg, logger, "ANN@example.com", "another passphrase")
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate AddUser = %v, want 'already exists'", err)
	}
	_, err = wiring.AddUser(ctx, cfg, logger, "bob@example.com", "1234567")
	if err == nil || !strings.Contains(err.Error(), "password") || !strings.Contains(err.Error(), "8") {
		t.Errorf("7-byte password = %v, want the length rule", err)
	}

	// The account signs in on a server with registration closed.
	app, err := wiring.New(ctx, cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	a := &testApp{t: t, app: app, h: app.Handler(), logs: &syncBuffer{}}
	if res := a.postJSON("/api/auth/login", `{"email":"ann@example.com","password":"a long passphrase"}`); res.StatusCode != http.StatusOK {
		t.Errorf("login = %d: %s", res.StatusCode, readBody(t, res))
	}
	wantProblem(t, a.postJSON("/api/auth/register", `{"email":"bob@example.com","password":"12345678"}`), http.StatusForbidden)
}

func TestAppServeAndShutdown(t *testing.T) {
	t.Parallel()
	cfg, _ := testConfig(t, map[string]string{"SHUTDOWN_TIMEOUT": "5s"})
	logs := &syncBuffer{}
	app, err := wiring.New(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()

	client := &http.Client{Timeout: 5 * time.Second}
	res, err := client.Post(base+"/api/auth/register", "application/json",
		strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, ownerEmail, ownerPassword)))
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	res, err = client.Post(base+"/api/auth/login", "application/json",
		strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, ownerEmail, ownerPassword)))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Token string `json:"token"`
	}
	decodeJSONBody(t, res, &login)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/reviews",
		strings.NewReader(`{"manual_title":"Tokyo Story","manual_release_year":1953,"rating":5,"watched_at":"2024-04-04"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+login.Token)
	res, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/reviews = %d", res.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve returned %v, want nil after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context was cancelled")
	}
	if _, err := client.Get(base + "/healthz"); err == nil {
		t.Error("the listener still answers after Serve returned")
	}
	// The worker drained the event before Serve returned.
	a := &testApp{t: t, app: app, h: app.Handler()}
	metrics := readBody(t, a.do(request{method: http.MethodGet, path: "/metrics"}))
	if !strings.Contains(metrics, `moviediary_events_handled_total{event="review_logged"`) {
		t.Errorf("the review_logged event was not handled before shutdown:\n%s", grepLines(metrics, "moviediary_events"))
	}
	for _, want := range []string{"moviediary listening", "shutting down"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if err := app.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := app.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestServeReportsAListenError(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	cfg, _ := testConfig(t, map[string]string{"HOST": "127.0.0.1", "PORT": strconv.Itoa(port)})
	err = wiring.Serve(context.Background(), cfg, discardLogger())
	if err == nil || !strings.Contains(err.Error(), "listen on 127.0.0.1:"+strconv.Itoa(port)) {
		t.Errorf("Serve on a taken port = %v", err)
	}
}

func TestNewRefusesWhatItCannotUse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("short secret file", func(t *testing.T) {
		t.Parallel()
		cfg, _ := testConfig(t, nil)
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cfg.DataDir, "jwt_secret"), []byte("short\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := wiring.New(ctx, cfg, discardLogger())
		if err == nil || !strings.Contains(err.Error(), "shorter than 32 bytes") || strings.Contains(err.Error(), "short\n") {
			t.Errorf("New with a short jwt_secret = %v", err)
		}
	})
	t.Run("unknown database scheme", func(t *testing.T) {
		t.Parallel()
		cfg, _ := testConfig(t, nil)
		cfg.DatabaseURL = "mysql://x"
		_, err := wiring.New(ctx, cfg, discardLogger())
		var ce *wiring.ConfigError
		if !errors.As(err, &ce) || ce.Var != "DATABASE_URL" {
			t.Errorf("New with mysql:// = %v, want a ConfigError for DATABASE_URL", err)
		}
	})
	t.Run("data dir under a file", func(t *testing.T) {
		t.Parallel()
		cfg, dir := testConfig(t, nil)
		file := filepath.Join(dir, "file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg.DataDir = filepath.Join(file, "data")
		if _, err := wiring.New(ctx, cfg, discardLogger()); err == nil || !strings.Contains(err.Error(), "DATA_DIR") {
			t.Errorf("New with an impossible DATA_DIR = %v", err)
		}
		if err := wiring.Migrate(ctx, cfg, discardLogger()); err == nil {
			t.Error("Migrate with an impossible DATA_DIR succeeded")
		}
		if _, err := wiring.AddUser(ctx, cfg, discardLogger(), "a@b.c", "12345678"); err == nil {
			t.Error("AddUser with an impossible DATA_DIR succeeded")
		}
	})
	t.Run("database path under a file", func(t *testing.T) {
		t.Parallel()
		cfg, dir := testConfig(t, nil)
		file := filepath.Join(dir, "file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg.DatabaseURL = "sqlite://" + filepath.Join(file, "sub", "db.sqlite")
		if _, err := wiring.New(ctx, cfg, discardLogger()); err == nil || !strings.Contains(err.Error(), "open database") {
			t.Errorf("New with an impossible database path = %v", err)
		}
	})
}

func TestJWTSecretFromEnvironmentWritesNoFile(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("s", 40)
	cfg, _ := testConfig(t, map[string]string{"JWT_SECRET": secret})
	logs := &syncBuffer{}
	app, err := wiring.New(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "jwt_secret")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("jwt_secret file with JWT_SECRET set: %v", err)
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("secret logged")
	}
}

func TestGeneratedSecretIsReused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, _ := testConfig(t, nil)
	first, err := wiring.New(ctx, cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	a := &testApp{t: t, app: first, h: first.Handler()}
	a.register(ownerEmail, ownerPassword)
	token := a.token()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(cfg.DataDir, "jwt_secret"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("jwt_secret: %v %v", info, err)
	}

	// A restarted app accepts the token the first one issued.
	second, err := wiring.New(ctx, cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	b := &testApp{t: t, app: second, h: second.Handler()}
	res := b.do(request{method: http.MethodPost, path: "/api/reviews",
		body:   `{"manual_title":"Ikiru","manual_release_year":1952,"rating":5,"watched_at":"2024-04-04"}`,
		header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}}})
	if res.StatusCode != http.StatusCreated {
		t.Errorf("token from before the restart = %d: %s", res.StatusCode, readBody(t, res))
	}
}

func TestAppOnPostgres(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	cfg, _ := testConfig(t, map[string]string{"DATABASE_URL": url})
	ctx := context.Background()
	if err := wiring.Migrate(ctx, cfg, discardLogger()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	app, err := wiring.New(ctx, cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	a := &testApp{t: t, app: app, h: app.Handler()}
	a.register(ownerEmail, ownerPassword)
	id := a.logManual("Ugetsu", 1953)
	if res := a.do(request{method: http.MethodGet, path: "/api/movies/" + id + "/history"}); res.StatusCode != http.StatusOK {
		t.Errorf("history on PostgreSQL = %d", res.StatusCode)
	}
	if res := a.do(request{method: http.MethodGet, path: "/readyz"}); res.StatusCode != http.StatusOK {
		t.Errorf("/readyz on PostgreSQL = %d", res.StatusCode)
	}
}

func TestOutboxMetricsOnlyInOutboxMode(t *testing.T) {
	t.Parallel()
	for bus, want := range map[string]bool{"outbox": true, "channel": false} {
		a := newTestApp(t, map[string]string{"EVENT_BUS": bus})
		metrics := readBody(t, a.do(request{method: http.MethodGet, path: "/metrics"}))
		if got := strings.Contains(metrics, "moviediary_outbox_pending 0"); got != want {
			t.Errorf("EVENT_BUS=%s: moviediary_outbox_pending 0 exported = %v, want %v", bus, got, want)
		}
	}
}
