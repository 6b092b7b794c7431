package main_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testVersion is stamped into the binary built for these tests.
const testVersion = "v9.8.7-test"

// binary is the moviediary executable built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "moviediary-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "moviediary")
	build := exec.Command("go", "build", "-ldflags", "-X main.version="+testVersion, "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "go build:", err)
		return 1
	}
	return m.Run()
}

// lockedBuffer collects a process's output while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is a running moviediary.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
	done   chan struct{}
	err    error
}

// start runs the binary in dir with exactly env as its environment (none
// inherited from the test) and stdin as its input; the process is killed
// if the test ends first.
func start(t *testing.T, dir string, env []string, stdin string, args ...string) *proc {
	t.Helper()
	if env == nil {
		env = []string{} // a nil Env would inherit the test's environment
	}
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	p := &proc{t: t, cmd: cmd, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", args, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits up to d for the process to exit and returns its exit code.
func (p *proc) wait(d time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("moviediary did not exit within %v; stderr:\n%s", d, p.stderr.String())
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return exit.ExitCode()
	}
	if p.err != nil {
		p.t.Fatalf("wait: %v", p.err)
	}
	return 0
}

// stop sends sig and expects exit code 0 within 3 seconds.
func (p *proc) stop(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal: %v", err)
	}
	if code := p.wait(3 * time.Second); code != 0 {
		p.t.Fatalf("exit code after %v = %d, want 0; stderr:\n%s", sig, code, p.stderr.String())
	}
}

// run runs the binary to completion (at most 60 s) and returns its exit
// code, stdout and stderr.
func run(t *testing.T, dir string, env []string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	p := start(t, dir, env, stdin, args...)
	code := p.wait(60 * time.Second)
	return code, p.stdout.String(), p.stderr.String()
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// client bounds each request so that a hung server fails the test; the
// bound is generous because argon2id under a loaded machine is slow.
var client = &http.Client{Timeout: 30 * time.Second}

// waitHealthy polls /healthz on port until it answers 200, for at most 5 s.
func (p *proc) waitHealthy(port int) {
	p.t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", port)
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		res, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("/healthz on port %d did not answer 200 within 5s (last error %v); stderr:\n%s", port, err, p.stderr.String())
		}
		select {
		case <-p.done:
			p.t.Fatalf("moviediary exited before it was healthy (%v); stderr:\n%s", p.err, p.stderr.String())
		case <-tick.C:
		}
	}
}

func portEnv(port int) string { return "PORT=" + strconv.Itoa(port) }

func TestServeWithNothingConfigured(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	port := freePort(t)
	p := start(t, dir, []string{portEnv(port)}, "", "serve")
	p.waitHealthy(port)

	if _, err := os.Stat(filepath.Join(dir, "data", "moviediary.db")); err != nil {
		t.Errorf("database file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "posters")); err != nil {
		t.Errorf("poster directory: %v", err)
	}
	secretPath := filepath.Join(dir, "data", "jwt_secret")
	info, err := os.Stat(secretPath)
	if err != nil {
		t.Fatalf("jwt_secret: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("jwt_secret mode = %o, want 600", mode)
	}
	raw, err := os.ReadFile(secretPath)
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(string(raw))
	if len(secret) < 32 {
		t.Fatalf("generated secret is %d bytes, want ≥ 32", len(secret))
	}

	res, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", port))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("/readyz: %v %v", res, err)
	} else {
		_ = res.Body.Close()
	}

	p.stop(syscall.SIGTERM)
	logs := p.stderr.String()
	if strings.Contains(logs, secret) {
		t.Errorf("the log shows the JWT secret:\n%s", logs)
	}
	for _, want := range []string{"jwt_secret", "OMDB_API_KEY", "moviediary listening", "shutting down"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}

	// A second start reuses the secret and does not announce a new one.
	p2 := start(t, dir, []string{portEnv(port)}, "", "serve")
	p2.waitHealthy(port)
	p2.stop(syscall.SIGINT)
	again, err := os.ReadFile(secretPath)
	if err != nil || string(again) != string(raw) {
		t.Errorf("second start changed jwt_secret (err %v)", err)
	}
	if strings.Contains(p2.stderr.String(), "generated a JWT signing secret") {
		t.Errorf("second start generated a secret again:\n%s", p2.stderr.String())
	}
	if strings.Contains(p2.stderr.String(), secret) {
		t.Errorf("second start logged the secret")
	}
}

func TestBadConfigurationStopsStartUp(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, value string }{
		{"PORT", "abc"},
		{"DATABASE_URL", "mysql://x"},
		{"POSTER_SYNC_BASE_DELAY", "fast"},
		{"LOG_LEVEL", "loud"},
		{"TRUSTED_PROXIES", "nonsense"},
		{"JWT_SECRET", "too-short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			code, stdout, stderr := run(t, dir, []string{tt.name + "=" + tt.value}, "", "serve")
			if code != 2 {
				t.Errorf("exit code = %d, want 2", code)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tt.name) {
				t.Errorf("stderr = %q, want one line naming %s", stderr, tt.name)
			}
			if tt.name == "JWT_SECRET" && strings.Contains(stderr, tt.value) {
				t.Errorf("stderr shows the secret: %q", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if _, err := os.Stat(filepath.Join(dir, "data")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a bad configuration still created ./data (%v)", err)
			}
		})
	}
}

func TestDotEnvIsReadAndEnvironmentWins(t *testing.T) {
	t.Parallel()
	t.Run("port from .env", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		port := freePort(t)
		env := fmt.Sprintf("# local settings\nexport PORT=%d\nDIARY_TITLE=\"Dot Env Diary\"\n", port)
		if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(env), 0o600); err != nil {
			t.Fatal(err)
		}
		p := start(t, dir, nil, "", "serve")
		p.waitHealthy(port)
		res, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/diary", port))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if !strings.Contains(string(body), "Dot Env Diary") {
			t.Errorf("DIARY_TITLE from .env not used:\n%s", body)
		}
		p.stop(syscall.SIGTERM)
	})
	t.Run("environment over .env", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("PORT=abc\nLOG_LEVEL=loud\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		port := freePort(t)
		p := start(t, dir, []string{portEnv(port), "LOG_LEVEL=debug"}, "", "serve")
		p.waitHealthy(port)
		p.stop(syscall.SIGTERM)
	})
	t.Run("bad value in .env", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("LOG_LEVEL=loud\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := run(t, dir, []string{portEnv(freePort(t))}, "", "serve")
		if code != 2 || !strings.Contains(stderr, "LOG_LEVEL") {
			t.Errorf("exit %d, stderr %q: want 2 naming LOG_LEVEL", code, stderr)
		}
	})
	t.Run("malformed .env", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("PORT 3000\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := run(t, dir, nil, "", "version")
		if code != 2 || !strings.Contains(stderr, ".env:1") {
			t.Errorf("exit %d, stderr %q: want 2 naming .env:1", code, stderr)
		}
	})
}

func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i := 1; i <= 2; i++ {
		code, _, stderr := run(t, dir, nil, "", "migrate")
		if code != 0 {
			t.Fatalf("migrate #%d: exit %d; stderr:\n%s", i, code, stderr)
		}
		if !strings.Contains(stderr, "database migrated") {
			t.Errorf("migrate #%d log lacks 'database migrated':\n%s", i, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "moviediary.db")); err != nil {
		t.Errorf("database file: %v", err)
	}
}

func TestUserAddThenLogin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	closed := "ALLOW_REGISTRATION=false"
	const password = "a long passphrase"

	code, stdout, stderr := run(t, dir, []string{closed}, password+"\n", "user", "add", "--email", "Ann@Example.com")
	if code != 0 {
		t.Fatalf("user add: exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "created user ann@example.com") {
		t.Errorf("stdout = %q, want 'created user ann@example.com'", stdout)
	}
	if strings.Contains(stdout+stderr, password) {
		t.Errorf("the password was printed")
	}

	// The same address again, in another case: refused.
	code, _, stderr = run(t, dir, []string{closed}, "another passphrase\n", "user", "add", "--email", "ANN@example.com")
	if code != 1 || !strings.Contains(stderr, "already exists") {
		t.Errorf("duplicate user add: exit %d, stderr %q; want 1 saying it already exists", code, stderr)
	}

	port := freePort(t)
	p := start(t, dir, []string{closed, portEnv(port)}, "", "serve")
	p.waitHealthy(port)
	login := func(password string) int {
		body := fmt.Sprintf(`{"email":"ann@example.com","password":%q}`, password)
		res, err := client.Post(fmt.Sprintf("http://127.0.0.1:%d/api/auth/login", port), "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		return res.StatusCode
	}
	if got := login(password); got != http.StatusOK {
		t.Errorf("login with the stdin password = %d, want 200", got)
	}
	if got := login(password + "\n"); got != http.StatusUnauthorized {
		t.Errorf("login with the trailing newline = %d, want 401 (it was stripped)", got)
	}
	// Registration is closed over HTTP.
	res, err := client.Post(fmt.Sprintf("http://127.0.0.1:%d/api/auth/register", port), "application/json",
		strings.NewReader(`{"email":"bob@example.com","password":"12345678"}`))
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("register with ALLOW_REGISTRATION=false = %d, want 403", res.StatusCode)
	}
	p.stop(syscall.SIGTERM)
}

func TestUserAddRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wantErr  []string
	}{
		{"missing --email", []string{"user", "add"}, "a long passphrase\n", 2, []string{"--email is required", "Usage"}},
		{"unknown flag", []string{"user", "add", "--name", "x"}, "", 2, []string{"user add"}},
		{"unknown subcommand", []string{"user", "delete"}, "", 2, []string{"only subcommand is add"}},
		{"no subcommand", []string{"user"}, "", 2, []string{"only subcommand is add"}},
		{"7-byte password", []string{"user", "add", "--email", "ann@example.com"}, "1234567\n", 1, []string{"password", "must be at least 8 bytes"}},
		{"bad email", []string{"user", "add", "--email", "not an email"}, "a long passphrase\n", 1, []string{"email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := run(t, t.TempDir(), nil, tt.stdin, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(stdout, "created user") {
				t.Errorf("stdout = %q", stdout)
			}
		})
	}
}

func TestVersionAndUsage(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"version", "--version", "-v"} {
		code, stdout, stderr := run(t, t.TempDir(), nil, "", arg)
		if code != 0 || stdout != "moviediary "+testVersion+"\n" || stderr != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", arg, code, stdout, stderr)
		}
	}
	code, stdout, _ := run(t, t.TempDir(), nil, "", "help")
	if code != 0 || !strings.Contains(stdout, "user add --email") {
		t.Errorf("help: exit %d, stdout %q", code, stdout)
	}
	code, _, stderr := run(t, t.TempDir(), nil, "", "frobnicate")
	if code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) || !strings.Contains(stderr, "Usage") {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr)
	}
}

func TestServeFailsWhenPortIsTaken(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	code, _, stderr := run(t, t.TempDir(), []string{"HOST=127.0.0.1", portEnv(port)}, "", "serve")
	if code != 1 || !strings.Contains(stderr, "listen on 127.0.0.1:"+strconv.Itoa(port)) {
		t.Errorf("exit %d, stderr:\n%s\nwant 1 naming the address", code, stderr)
	}
}
