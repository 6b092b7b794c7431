package wiring_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/presentation/wiring"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := wiring.LoadConfig(envOf(nil))
	if err != nil {
		t.Fatalf("LoadConfig with an empty environment: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"DATABASE_URL", c.DatabaseURL, "sqlite://./data/moviediary.db"},
		{"HOST", c.Host, "0.0.0.0"},
		{"PORT", c.Port, 3000},
		{"Addr", c.Addr(), "0.0.0.0:3000"},
		{"BASE_URL", c.BaseURL.String(), "http://localhost:3000"},
		{"DATA_DIR", c.DataDir, "./data"},
		{"DIARY_TITLE", c.DiaryTitle, "Movie Diary"},
		{"JWT_SECRET (generated later)", len(c.JWTSecret), 0},
		{"JWT_TTL_SECONDS", c.JWTTTL, 86400 * time.Second},
		{"ALLOW_REGISTRATION", c.Registration, application.RegistrationOwnerOnly},
		{"OMDB_API_KEY", c.OMDbAPIKey, ""},
		{"OMDB_BASE_URL", c.OMDbBaseURL, "https://www.omdbapi.com/"},
		{"OMDB_TIMEOUT_SECONDS", c.OMDbTimeout, 10 * time.Second},
		{"POSTER_STORAGE", c.PosterStorage, "local"},
		{"POSTER_STORAGE_DIR", filepath.Clean(c.PosterStorageDir), filepath.Clean("./data/posters")},
		{"MINIO_USE_SSL", c.S3.UseSSL, true},
		{"POSTER_FETCH_TIMEOUT_SECONDS", c.PosterFetchTimeout, 30 * time.Second},
		{"POSTER_MAX_BYTES", c.PosterMaxBytes, int64(10485760)},
		{"POSTER_FETCH_ALLOW_PRIVATE", c.PosterFetchAllowPrivate, false},
		{"POSTER_SYNC_MAX_RETRIES", c.PosterSyncMaxRetries, 3},
		{"POSTER_SYNC_BASE_DELAY", c.PosterSyncBaseDelay, time.Second},
		{"EVENT_CHANNEL_BUFFER", c.EventChannelBuffer, 128},
		{"TRUSTED_PROXIES", len(c.TrustedProxies), 0},
		{"SHUTDOWN_TIMEOUT", c.ShutdownTimeout, 15 * time.Second},
		{"LOG_LEVEL", c.LogLevel, slog.LevelInfo},
		{"LOG_FORMAT", c.LogFormat, "text"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s default = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestLoadConfigReadsValues(t *testing.T) {
	t.Parallel()
	c, err := wiring.LoadConfig(envOf(map[string]string{
		"DATABASE_URL":                 "postgres://md@db:5432/diary?sslmode=disable",
		"HOST":                         "::1",
		"PORT":                         "8080",
		"BASE_URL":                     "https://diary.example.org",
		"DATA_DIR":                     "/srv/md",
		"JWT_SECRET":                   strings.Repeat("k", 32),
		"JWT_TTL_SECONDS":              "3600",
		"ALLOW_REGISTRATION":           "true",
		"OMDB_API_KEY":                 "  abc123 ",
		"OMDB_TIMEOUT_SECONDS":         "3",
		"POSTER_STORAGE":               "S3",
		"MINIO_ENDPOINT":               "minio:9000",
		"MINIO_BUCKET":                 "posters",
		"MINIO_USE_SSL":                "false",
		"POSTER_FETCH_ALLOW_PRIVATE":   "true",
		"POSTER_SYNC_MAX_RETRIES":      "0",
		"POSTER_SYNC_BASE_DELAY":       "250ms",
		"EVENT_CHANNEL_BUFFER":         "1",
		"TRUSTED_PROXIES":              " 10.0.0.0/8, 192.168.1.7 ,,::1,172.16.5.4/12",
		"SHUTDOWN_TIMEOUT":             "2s",
		"LOG_LEVEL":                    "DEBUG",
		"LOG_FORMAT":                   "JSON",
		"POSTER_FETCH_TIMEOUT_SECONDS": "5",
		"POSTER_MAX_BYTES":             "2048",
	}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if c.Addr() != "[::1]:8080" {
		t.Errorf("Addr = %q, want [::1]:8080", c.Addr())
	}
	if c.BaseURL.Scheme != "https" || c.BaseURL.Host != "diary.example.org" {
		t.Errorf("BaseURL = %v", c.BaseURL)
	}
	if c.PosterStorageDir != filepath.Join("/srv/md", "posters") {
		t.Errorf("POSTER_STORAGE_DIR follows DATA_DIR: got %q", c.PosterStorageDir)
	}
	if c.Registration != application.RegistrationOpen {
		t.Errorf("Registration = %v, want open", c.Registration)
	}
	if c.OMDbAPIKey != "abc123" {
		t.Errorf("OMDbAPIKey = %q, want it trimmed", c.OMDbAPIKey)
	}
	if c.PosterStorage != "s3" || c.S3.UseSSL || c.S3.Endpoint != "minio:9000" || c.S3.Bucket != "posters" {
		t.Errorf("S3 config = %q %+v", c.PosterStorage, c.S3)
	}
	if c.JWTTTL != time.Hour || c.OMDbTimeout != 3*time.Second || c.PosterSyncBaseDelay != 250*time.Millisecond ||
		c.ShutdownTimeout != 2*time.Second || c.PosterFetchTimeout != 5*time.Second || c.PosterMaxBytes != 2048 ||
		c.PosterSyncMaxRetries != 0 || c.EventChannelBuffer != 1 || !c.PosterFetchAllowPrivate {
		t.Errorf("numbers and durations not read: %+v", c)
	}
	if c.LogLevel != slog.LevelDebug || c.LogFormat != "json" {
		t.Errorf("log = %v %q", c.LogLevel, c.LogFormat)
	}
	want := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("192.168.1.7/32"),
		netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("172.16.0.0/12"),
	}
	if len(c.TrustedProxies) != len(want) {
		t.Fatalf("TrustedProxies = %v, want %v", c.TrustedProxies, want)
	}
	for i := range want {
		if c.TrustedProxies[i] != want[i] {
			t.Errorf("TrustedProxies[%d] = %v, want %v", i, c.TrustedProxies[i], want[i])
		}
	}

	closed, err := wiring.LoadConfig(envOf(map[string]string{"ALLOW_REGISTRATION": "false"}))
	if err != nil || closed.Registration != application.RegistrationClosed {
		t.Errorf("ALLOW_REGISTRATION=false: %v, %v", closed.Registration, err)
	}
}

func TestLoadConfigRejectsBadValues(t *testing.T) {
	t.Parallel()
	s3 := map[string]string{"POSTER_STORAGE": "s3"}
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
	}{
		{"port not a number", map[string]string{"PORT": "abc"}, "PORT"},
		{"port out of range", map[string]string{"PORT": "70000"}, "PORT"},
		{"port negative", map[string]string{"PORT": "-1"}, "PORT"},
		{"database scheme unknown", map[string]string{"DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		{"database sqlite without path", map[string]string{"DATABASE_URL": "sqlite://"}, "DATABASE_URL"},
		{"database postgres unparseable", map[string]string{"DATABASE_URL": "postgres://u:p@host:port/db"}, "DATABASE_URL"},
		{"base url not http", map[string]string{"BASE_URL": "ftp://example.org"}, "BASE_URL"},
		{"base url relative", map[string]string{"BASE_URL": "/diary"}, "BASE_URL"},
		{"jwt secret too short", map[string]string{"JWT_SECRET": "short-secret"}, "JWT_SECRET"},
		{"jwt ttl not a number", map[string]string{"JWT_TTL_SECONDS": "1d"}, "JWT_TTL_SECONDS"},
		{"jwt ttl too small", map[string]string{"JWT_TTL_SECONDS": "0"}, "JWT_TTL_SECONDS"},
		{"registration unknown", map[string]string{"ALLOW_REGISTRATION": "maybe"}, "ALLOW_REGISTRATION"},
		{"omdb base url", map[string]string{"OMDB_BASE_URL": "omdbapi.com"}, "OMDB_BASE_URL"},
		{"omdb timeout", map[string]string{"OMDB_TIMEOUT_SECONDS": "ten"}, "OMDB_TIMEOUT_SECONDS"},
		{"poster storage unknown", map[string]string{"POSTER_STORAGE": "ftp"}, "POSTER_STORAGE"},
		{"s3 without endpoint", s3, "MINIO_ENDPOINT"},
		{"s3 without bucket", map[string]string{"POSTER_STORAGE": "s3", "MINIO_ENDPOINT": "minio:9000"}, "MINIO_BUCKET"},
		{"minio ssl not a bool", map[string]string{"MINIO_USE_SSL": "perhaps"}, "MINIO_USE_SSL"},
		{"fetch timeout", map[string]string{"POSTER_FETCH_TIMEOUT_SECONDS": "0"}, "POSTER_FETCH_TIMEOUT_SECONDS"},
		{"max bytes too small", map[string]string{"POSTER_MAX_BYTES": "10"}, "POSTER_MAX_BYTES"},
		{"allow private not a bool", map[string]string{"POSTER_FETCH_ALLOW_PRIVATE": "yes please"}, "POSTER_FETCH_ALLOW_PRIVATE"},
		{"max retries negative", map[string]string{"POSTER_SYNC_MAX_RETRIES": "-1"}, "POSTER_SYNC_MAX_RETRIES"},
		{"base delay not a duration", map[string]string{"POSTER_SYNC_BASE_DELAY": "fast"}, "POSTER_SYNC_BASE_DELAY"},
		{"base delay without unit", map[string]string{"POSTER_SYNC_BASE_DELAY": "5"}, "POSTER_SYNC_BASE_DELAY"},
		{"base delay negative", map[string]string{"POSTER_SYNC_BASE_DELAY": "-1s"}, "POSTER_SYNC_BASE_DELAY"},
		{"channel buffer zero", map[string]string{"EVENT_CHANNEL_BUFFER": "0"}, "EVENT_CHANNEL_BUFFER"},
		{"trusted proxies nonsense", map[string]string{"TRUSTED_PROXIES": "nonsense"}, "TRUSTED_PROXIES"},
		{"trusted proxies bad prefix", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,10.0.0.0/99"}, "TRUSTED_PROXIES"},
		{"shutdown timeout", map[string]string{"SHUTDOWN_TIMEOUT": "soon"}, "SHUTDOWN_TIMEOUT"},
		{"log level", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"log format", map[string]string{"LOG_FORMAT": "xml"}, "LOG_FORMAT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := wiring.LoadConfig(envOf(tt.env))
			var ce *wiring.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("LoadConfig(%v) error = %v, want a *ConfigError", tt.env, err)
			}
			if ce.Var != tt.wantVar {
				t.Errorf("ConfigError.Var = %q, want %q (%v)", ce.Var, tt.wantVar, err)
			}
			if !strings.Contains(err.Error(), tt.wantVar) || ce.Reason == "" {
				t.Errorf("error %q does not name %s with a reason", err, tt.wantVar)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans several lines", err)
			}
		})
	}
}

func TestLoadConfigErrorNeverEchoesTheSecret(t *testing.T) {
	t.Parallel()
	_, err := wiring.LoadConfig(envOf(map[string]string{"JWT_SECRET": "hunter2-but-short"}))
	if err == nil {
		t.Fatal("a 17-byte JWT_SECRET was accepted")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %q shows the secret", err)
	}
}

func TestConfigLogValueMasksSecrets(t *testing.T) {
	t.Parallel()
	const (
		dbPassword = "pg-pass-4411"
		jwtSecret  = "jwt-secret-0123456789abcdef0123456789"
		omdbKey    = "omdb-key-5566"
		s3Secret   = "minio-secret-7788"
	)
	c, err := wiring.LoadConfig(envOf(map[string]string{
		"DATABASE_URL":            "postgres://diary:" + dbPassword + "@db.internal:5432/md",
		"JWT_SECRET":              jwtSecret,
		"OMDB_API_KEY":            omdbKey,
		"POSTER_STORAGE":          "s3",
		"MINIO_ENDPOINT":          "minio:9000",
		"MINIO_BUCKET":            "posters",
		"MINIO_ACCESS_KEY_ID":     "AKIDEXAMPLE",
		"MINIO_SECRET_ACCESS_KEY": s3Secret,
	}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		var h slog.Handler = slog.NewTextHandler(&buf, nil)
		if format == "json" {
			h = slog.NewJSONHandler(&buf, nil)
		}
		slog.New(h).Info("starting moviediary", "config", c)
		out := buf.String()
		for _, secret := range []string{dbPassword, jwtSecret, omdbKey, s3Secret} {
			if strings.Contains(out, secret) {
				t.Errorf("%s log shows a secret %q:\n%s", format, secret, out)
			}
		}
		for _, want := range []string{"db.internal:5432", "diary", "poster_storage", "s3"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s log lacks %q:\n%s", format, want, out)
			}
		}
	}
}

func TestNewLoggerFormat(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	cfg, err := wiring.LoadConfig(envOf(map[string]string{"LOG_FORMAT": "json", "LOG_LEVEL": "warn"}))
	if err != nil {
		t.Fatal(err)
	}
	logger := wiring.NewLogger(&buf, cfg)
	logger.Info("hidden below warn")
	logger.Warn("shown", "k", "v")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("LOG_FORMAT=json did not write one JSON line: %v\n%s", err, buf.String())
	}
	if line["msg"] != "shown" || line["k"] != "v" {
		t.Errorf("line = %v", line)
	}

	buf.Reset()
	text, _ := wiring.LoadConfig(envOf(nil))
	wiring.NewLogger(&buf, text).Info("plain", "k", "v")
	if !strings.Contains(buf.String(), "msg=plain k=v") {
		t.Errorf("text log = %q", buf.String())
	}
}

// TestLoadDotEnv runs serially: LoadDotEnv writes the process environment.
func TestLoadDotEnv(t *testing.T) {
	keys := []string{"MD_DOTENV_PLAIN", "MD_DOTENV_EXPORTED", "MD_DOTENV_DQ", "MD_DOTENV_SQ", "MD_DOTENV_COMMENTED", "MD_DOTENV_SET", "MD_DOTENV_HASH"}
	for _, k := range keys {
		t.Setenv(k, "")
		if err := os.Unsetenv(k); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("MD_DOTENV_SET", "from-environment")
	path := filepath.Join(t.TempDir(), ".env")
	content := strings.Join([]string{
		"# a comment",
		"",
		"MD_DOTENV_PLAIN=plain",
		"export MD_DOTENV_EXPORTED = exported",
		`MD_DOTENV_DQ="double # not a comment"`,
		`MD_DOTENV_SQ='single'`,
		"MD_DOTENV_COMMENTED=value # trailing comment",
		"MD_DOTENV_HASH=a#b",
		"MD_DOTENV_SET=from-file",
	}, "\n")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := wiring.LoadDotEnv(path); err != nil {
		t.Fatalf("LoadDotEnv: %v", err)
	}
	want := map[string]string{
		"MD_DOTENV_PLAIN":     "plain",
		"MD_DOTENV_EXPORTED":  "exported",
		"MD_DOTENV_DQ":        "double # not a comment",
		"MD_DOTENV_SQ":        "single",
		"MD_DOTENV_COMMENTED": "value",
		"MD_DOTENV_HASH":      "a#b",
		"MD_DOTENV_SET":       "from-environment",
	}
	for k, v := range want {
		if got := os.Getenv(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}

	if err := wiring.LoadDotEnv(filepath.Join(t.TempDir(), "missing.env")); err != nil {
		t.Errorf("a missing .env file is not an error, got %v", err)
	}

	bad := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(bad, []byte("OK=1\nthis line has no equals sign\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := wiring.LoadDotEnv(bad)
	if err == nil || !strings.Contains(err.Error(), ":2:") {
		t.Errorf("LoadDotEnv(malformed) = %v, want an error naming line 2", err)
	}
	if err := wiring.LoadDotEnv(t.TempDir()); err == nil {
		t.Error("LoadDotEnv(a directory) = nil, want an error")
	}
}
