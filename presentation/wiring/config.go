package wiring

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
	natsadapter "github.com/moviediary/moviediary/adapters/nats"
	"github.com/moviediary/moviediary/adapters/outbox"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/presentation"
)

// Config is everything the server reads from its environment, parsed and
// validated in one place. Secrets are held here but never logged: use
// LogValue, which masks them.
type Config struct {
	DatabaseURL string
	Host        string
	Port        int
	BaseURL     *url.URL
	DataDir     string
	DiaryTitle  string

	// JWTSecret is the HS256 key; empty means "generate one into
	// DataDir/jwt_secret on first start and reuse it after".
	JWTSecret []byte
	JWTTTL    time.Duration

	Registration application.RegistrationPolicy

	OMDbAPIKey  string
	OMDbBaseURL string
	OMDbTimeout time.Duration
	// OMDbDailyLimit is how many OMDb requests every process together
	// makes per OMDbLimitWindow (OMDB_DAILY_LIMIT, default 1000, a free
	// key's allowance); 0 means no limit.
	OMDbDailyLimit int
	// OMDbLimitWindow is the window OMDbDailyLimit counts in
	// (OMDB_LIMIT_WINDOW, default 24h).
	OMDbLimitWindow time.Duration
	// OMDbRate bounds the OMDb requests of one process per second
	// (OMDB_RATE, default 5); 0 means no bound.
	OMDbRate float64

	// ImportMaxBytes bounds an import upload (IMPORT_MAX_BYTES, default
	// 50 MiB).
	ImportMaxBytes int64

	// CacheMaxBytes bounds the page cache of public reads
	// (CACHE_MAX_BYTES, default 64 MiB); 0 turns it off.
	CacheMaxBytes int64
	// EmbedOrigins are the origins whose pages may frame the embeddable
	// widget (EMBED_ORIGINS, comma-separated, e.g.
	// "https://me.example,https://blog.example"); none by default.
	EmbedOrigins []string

	PosterStorage    string // "local" or "s3"
	PosterStorageDir string
	S3               S3Config

	PosterFetchTimeout      time.Duration
	PosterMaxBytes          int64
	PosterFetchAllowPrivate bool

	PosterSyncMaxRetries int
	PosterSyncBaseDelay  time.Duration
	// PosterSyncConcurrency bounds the poster syncs, background and
	// manual together, that run at once in one process.
	PosterSyncConcurrency int

	EventChannelBuffer int

	// EventBus is how events travel: "outbox" (the default: stored with
	// the data, delivered by a dispatcher), "nats" (stored with the data,
	// relayed to NATS JetStream and consumed from there) or "channel" (the
	// in-process channel, lost on a crash).
	EventBus string
	// EventConcurrency bounds the events the dispatcher handles at once.
	EventConcurrency int
	// AuthCacheTTL is how long an authenticated account or API token is
	// trusted without asking the database again: the longest a sign-out
	// or a token revocation made by another process goes unnoticed by
	// this one (in the process that made it, at once). 0 to 1s; 0 turns
	// the cache off.
	AuthCacheTTL time.Duration
	// EventLease is how long the claim of a dispatcher (or, with nats, a
	// consumer's unacknowledged delivery) outlives its process: running
	// deliveries renew it every third of it, so it bounds how long the
	// events of a process that died wait before another takes them.
	EventLease time.Duration
	// EventPollInterval is the dispatcher's fallback wake-up when no
	// notification comes.
	EventPollInterval time.Duration
	// EventDispatch, when false, makes serve store events without
	// delivering them (they are left to `moviediary worker` processes).
	EventDispatch bool

	// NATSURL is the NATS server (comma-separated URLs for a cluster)
	// with EVENT_BUS=nats.
	NATSURL string
	// NATSStream is the JetStream stream holding the events.
	NATSStream string
	// NATSSubjectPrefix starts every event's subject.
	NATSSubjectPrefix string
	// NATSDurable is the durable consumer every consuming process shares.
	NATSDurable string

	// MetricsAddr is where `moviediary worker` serves /metrics and
	// /healthz; empty means nowhere.
	MetricsAddr string

	TrustedProxies []netip.Prefix
	// RateLimitIPv6Prefix is the prefix length by which IPv6 clients are
	// rate limited (RATE_LIMIT_IPV6_PREFIX, 1–128, default 64).
	RateLimitIPv6Prefix int
	// HTTPReadTimeout bounds reading a whole request, body included
	// (HTTP_READ_TIMEOUT, default 30s).
	HTTPReadTimeout time.Duration
	ShutdownTimeout time.Duration
	LogLevel        slog.Level
	LogFormat       string // "text" or "json"
}

// S3Config locates S3-compatible poster storage.
type S3Config struct {
	Endpoint        string
	AccessKeyID     string
	SecretAccessKey string
	Bucket          string
	Region          string
	UseSSL          bool
}

// Values of EVENT_BUS.
const (
	// EventBusOutbox stores events in the database with the data that
	// caused them and delivers them from there (the default).
	EventBusOutbox = "outbox"
	// EventBusChannel is the in-process channel: fast, lost on a crash.
	EventBusChannel = "channel"
	// EventBusNATS stores events with the data like EventBusOutbox, relays
	// them to a NATS JetStream stream and consumes them from there.
	EventBusNATS = "nats"
)

// ConfigError names the variable whose value stopped start-up.
type ConfigError struct {
	Var    string
	Reason string
}

func (e *ConfigError) Error() string { return "config: " + e.Var + ": " + e.Reason }

// LoadConfig reads the configuration through getenv (os.Getenv in the
// binary, a map in tests), applying the documented defaults. The first bad
// value stops it with a *ConfigError naming the variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	p := envParser{getenv: getenv}
	c := Config{
		DatabaseURL: p.str("DATABASE_URL", "sqlite://./data/moviediary.db"),
		Host:        p.str("HOST", "0.0.0.0"),
		Port:        p.intRange("PORT", 3000, 0, 65535),
		DataDir:     p.str("DATA_DIR", "./data"),
		DiaryTitle:  p.str("DIARY_TITLE", "Movie Diary"),
		JWTSecret:   []byte(getenv("JWT_SECRET")),
		JWTTTL:      time.Duration(p.intRange("JWT_TTL_SECONDS", 86400, 60, 366*86400)) * time.Second,

		OMDbAPIKey:  strings.TrimSpace(getenv("OMDB_API_KEY")),
		OMDbBaseURL: p.httpURL("OMDB_BASE_URL", "https://www.omdbapi.com/").String(),
		OMDbTimeout: time.Duration(p.intRange("OMDB_TIMEOUT_SECONDS", 10, 1, 300)) * time.Second,

		OMDbDailyLimit:  p.intRange("OMDB_DAILY_LIMIT", 1000, 0, 1<<30),
		OMDbLimitWindow: p.duration("OMDB_LIMIT_WINDOW", 24*time.Hour),
		OMDbRate:        p.float("OMDB_RATE", 5, 0, 1000),
		ImportMaxBytes:  int64(p.intRange("IMPORT_MAX_BYTES", 50<<20, 1024, 1<<32)),
		CacheMaxBytes:   int64(p.intRange("CACHE_MAX_BYTES", presentation.DefaultCacheMaxBytes, 0, 1<<36)),

		PosterStorage: p.oneOf("POSTER_STORAGE", "local", "local", "s3"),
		S3: S3Config{
			Endpoint:        getenv("MINIO_ENDPOINT"),
			AccessKeyID:     getenv("MINIO_ACCESS_KEY_ID"),
			SecretAccessKey: getenv("MINIO_SECRET_ACCESS_KEY"),
			Bucket:          getenv("MINIO_BUCKET"),
			Region:          getenv("MINIO_REGION"),
			UseSSL:          p.boolean("MINIO_USE_SSL", true),
		},

		PosterFetchTimeout:      time.Duration(p.intRange("POSTER_FETCH_TIMEOUT_SECONDS", 30, 1, 600)) * time.Second,
		PosterMaxBytes:          int64(p.intRange("POSTER_MAX_BYTES", 10<<20, 1024, 1<<30)),
		PosterFetchAllowPrivate: p.boolean("POSTER_FETCH_ALLOW_PRIVATE", false),
		PosterSyncMaxRetries:    p.intRange("POSTER_SYNC_MAX_RETRIES", 3, 0, 20),
		PosterSyncBaseDelay:     p.duration("POSTER_SYNC_BASE_DELAY", time.Second),
		PosterSyncConcurrency:   p.intRange("POSTER_SYNC_CONCURRENCY", 4, 1, 1024),
		EventChannelBuffer:      p.intRange("EVENT_CHANNEL_BUFFER", 128, 1, 1<<20),
		EventBus:                p.oneOf("EVENT_BUS", EventBusOutbox, EventBusOutbox, EventBusChannel, EventBusNATS),
		EventConcurrency:        p.intRange("EVENT_CONCURRENCY", 4, 1, 1024),
		EventLease:              p.duration("EVENT_LEASE", outbox.DefaultLease),
		AuthCacheTTL:            p.duration("AUTH_CACHE_TTL", application.DefaultCredentialTTL),
		EventPollInterval:       p.duration("EVENT_POLL_INTERVAL", 500*time.Millisecond),
		EventDispatch:           p.boolean("EVENT_DISPATCH", true),
		NATSURL:                 p.str("NATS_URL", natsadapter.DefaultURL),
		NATSStream:              p.str("NATS_STREAM", natsadapter.DefaultStream),
		NATSSubjectPrefix:       p.str("NATS_SUBJECT_PREFIX", natsadapter.DefaultSubjectPrefix),
		NATSDurable:             p.str("NATS_DURABLE", natsadapter.DefaultDurable),
		MetricsAddr:             p.str("METRICS_ADDR", ""),
		RateLimitIPv6Prefix:     p.intRange("RATE_LIMIT_IPV6_PREFIX", 64, 1, 128),
		HTTPReadTimeout:         p.duration("HTTP_READ_TIMEOUT", 30*time.Second),
		ShutdownTimeout:         p.duration("SHUTDOWN_TIMEOUT", 15*time.Second),
		LogFormat:               p.oneOf("LOG_FORMAT", "text", "text", "json"),
	}
	c.BaseURL = p.httpURL("BASE_URL", "http://localhost:3000")
	c.PosterStorageDir = p.str("POSTER_STORAGE_DIR", filepath.Join(c.DataDir, "posters"))
	c.LogLevel = p.level("LOG_LEVEL")
	c.TrustedProxies = p.prefixes("TRUSTED_PROXIES")
	c.EmbedOrigins = p.origins("EMBED_ORIGINS")
	if p.err == nil {
		reg, err := application.ParseRegistrationPolicy(strings.TrimSpace(getenv("ALLOW_REGISTRATION")))
		if err != nil {
			p.fail("ALLOW_REGISTRATION", "must be true, false or unset")
		}
		c.Registration = reg
	}
	if p.err == nil {
		p.checkDatabaseURL(c.DatabaseURL)
	}
	if p.err == nil && len(c.JWTSecret) > 0 && len(c.JWTSecret) < 32 {
		p.fail("JWT_SECRET", "must be at least 32 bytes (or unset to generate one)")
	}
	if p.err == nil && c.HTTPReadTimeout <= 0 {
		p.fail("HTTP_READ_TIMEOUT", fmt.Sprintf("must be more than 0, got %q", c.HTTPReadTimeout.String()))
	}
	if p.err == nil && (c.AuthCacheTTL < 0 || c.AuthCacheTTL > time.Second) {
		p.fail("AUTH_CACHE_TTL", fmt.Sprintf("must be from 0 (off) to 1s, got %q", c.AuthCacheTTL.String()))
	}
	if p.err == nil && c.OMDbLimitWindow < time.Second {
		p.fail("OMDB_LIMIT_WINDOW", fmt.Sprintf("must be at least 1s, got %q", c.OMDbLimitWindow.String()))
	}
	if p.err == nil && c.EventLease < time.Second {
		p.fail("EVENT_LEASE", fmt.Sprintf("must be at least 1s, got %q", c.EventLease.String()))
	}
	if p.err == nil && c.EventPollInterval < time.Millisecond {
		p.fail("EVENT_POLL_INTERVAL", fmt.Sprintf("must be at least 1ms, got %q", c.EventPollInterval.String()))
	}
	if p.err == nil && c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			p.fail("METRICS_ADDR", fmt.Sprintf("must be host:port such as 127.0.0.1:9100 or :9100, got %q", c.MetricsAddr))
		}
	}
	if p.err == nil {
		p.checkNATS(c)
	}
	if p.err == nil && c.PosterStorage == "s3" {
		for _, req := range []struct{ name, value string }{{"MINIO_ENDPOINT", c.S3.Endpoint}, {"MINIO_BUCKET", c.S3.Bucket}} {
			if req.value == "" {
				p.fail(req.name, "is required when POSTER_STORAGE=s3")
				break
			}
		}
	}
	return c, p.err
}

// Addr is the listen address, host:port.
func (c Config) Addr() string { return netJoin(c.Host, c.Port) }

// LogValue describes the configuration for the start-up log with every
// secret masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("database", maskURL(c.DatabaseURL)),
		slog.String("addr", c.Addr()),
		slog.String("base_url", c.BaseURL.String()),
		slog.String("data_dir", c.DataDir),
		slog.Bool("omdb", c.OMDbAPIKey != ""),
		slog.Int("omdb_daily_limit", c.OMDbDailyLimit),
		slog.Duration("omdb_limit_window", c.OMDbLimitWindow),
		slog.Float64("omdb_rate", c.OMDbRate),
		slog.Int64("import_max_bytes", c.ImportMaxBytes),
		slog.Int64("cache_max_bytes", c.CacheMaxBytes),
		slog.String("embed_origins", strings.Join(c.EmbedOrigins, ",")),
		slog.String("poster_storage", c.PosterStorage),
		slog.String("registration", c.Registration.String()),
		slog.String("event_bus", c.EventBus),
		slog.Int("event_channel_buffer", c.EventChannelBuffer),
		slog.Int("event_concurrency", c.EventConcurrency),
		slog.Duration("event_lease", c.EventLease),
		slog.Duration("auth_cache_ttl", c.AuthCacheTTL),
		slog.Duration("event_poll_interval", c.EventPollInterval),
		slog.Bool("event_dispatch", c.EventDispatch),
		slog.String("nats_url", maskURLs(c.NATSURL)),
		slog.String("nats_stream", c.NATSStream),
		slog.String("metrics_addr", c.MetricsAddr),
		slog.Int("poster_sync_max_retries", c.PosterSyncMaxRetries),
		slog.Duration("poster_sync_base_delay", c.PosterSyncBaseDelay),
		slog.Int("poster_sync_concurrency", c.PosterSyncConcurrency),
	)
}

func netJoin(host string, port int) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}

// maskURL hides a password in a database URL.
func maskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	return u.String()
}

// maskURLs is maskURL on each of a comma-separated list of URLs.
func maskURLs(s string) string {
	parts := strings.Split(s, ",")
	for i, part := range parts {
		parts[i] = maskURL(strings.TrimSpace(part))
	}
	return strings.Join(parts, ",")
}

// PosterRetry is the one poster retry policy, from POSTER_SYNC_MAX_RETRIES
// and POSTER_SYNC_BASE_DELAY: 1 + retries attempts, waits doubling from
// the base delay. Every bus applies it.
func (c Config) PosterRetry() delivery.RetryPolicy {
	return delivery.RetryPolicy{
		MaxAttempts: 1 + c.PosterSyncMaxRetries,
		BaseDelay:   c.PosterSyncBaseDelay,
		Multiplier:  delivery.DefaultMultiplier,
	}
}

// deliveryTimeout bounds one delivery of an event: the slowest poster
// sync (an OMDb lookup and a poster download at their timeouts) and a
// margin for storing the image.
func (c Config) deliveryTimeout() time.Duration {
	return c.OMDbTimeout + c.PosterFetchTimeout + 20*time.Second
}

// storesEvents reports whether the repositories keep a transactional
// outbox: every bus but the channel.
func (c Config) storesEvents() bool { return c.EventBus != EventBusChannel }

type envParser struct {
	getenv func(string) string
	err    error
}

func (p *envParser) fail(name, reason string) {
	if p.err == nil {
		p.err = &ConfigError{Var: name, Reason: reason}
	}
}

func (p *envParser) raw(name string) (string, bool) {
	v := strings.TrimSpace(p.getenv(name))
	return v, v != ""
}

func (p *envParser) str(name, def string) string {
	if v, ok := p.raw(name); ok {
		return v
	}
	return def
}

func (p *envParser) intRange(name string, def, lo, hi int) int {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		p.fail(name, fmt.Sprintf("must be a whole number from %d to %d, got %q", lo, hi, v))
		return def
	}
	return n
}

func (p *envParser) float(name string, def, lo, hi float64) float64 {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < lo || f > hi || f != f {
		p.fail(name, fmt.Sprintf("must be a number from %g to %g, got %q", lo, hi, v))
		return def
	}
	return f
}

func (p *envParser) boolean(name string, def bool) bool {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, fmt.Sprintf("must be true or false, got %q", v))
		return def
	}
	return b
}

func (p *envParser) duration(name string, def time.Duration) time.Duration {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		p.fail(name, fmt.Sprintf("must be a Go duration such as 1s or 250ms, got %q", v))
		return def
	}
	return d
}

func (p *envParser) oneOf(name, def string, allowed ...string) string {
	v, ok := p.raw(name)
	if !ok {
		return def
	}
	v = strings.ToLower(v)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.fail(name, fmt.Sprintf("must be one of %s, got %q", strings.Join(allowed, ", "), v))
	return def
}

func (p *envParser) httpURL(name, def string) *url.URL {
	v := p.str(name, def)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.fail(name, fmt.Sprintf("must be an absolute http or https URL, got %q", v))
		u, _ = url.Parse(def)
	}
	return u
}

func (p *envParser) level(name string) slog.Level {
	v, ok := p.raw(name)
	if !ok {
		return slog.LevelInfo
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		p.fail(name, fmt.Sprintf("must be debug, info, warn or error, got %q", v))
		return slog.LevelInfo
	}
	return l
}

func (p *envParser) prefixes(name string) []netip.Prefix {
	v, ok := p.raw(name)
	if !ok {
		return nil
	}
	var out []netip.Prefix
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			addr, err := netip.ParseAddr(part)
			if err != nil {
				p.fail(name, fmt.Sprintf("must be a comma-separated list of CIDRs, got %q", part))
				return nil
			}
			out = append(out, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
			continue
		}
		pre, err := netip.ParsePrefix(part)
		if err != nil {
			p.fail(name, fmt.Sprintf("must be a comma-separated list of CIDRs, got %q", part))
			return nil
		}
		out = append(out, pre.Masked())
	}
	return out
}

// origins reads a comma-separated list of web origins: scheme://host with
// an optional port, nothing after it; a trailing slash is dropped.
func (p *envParser) origins(name string) []string {
	v, ok := p.raw(name)
	if !ok {
		return nil
	}
	var out []string
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSuffix(strings.TrimSpace(part), "/")
		if part == "" {
			continue
		}
		u, err := url.Parse(part)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			p.fail(name, fmt.Sprintf("must be a comma-separated list of origins like https://example.com, got %q", part))
			return nil
		}
		out = append(out, u.Scheme+"://"+strings.ToLower(u.Host))
	}
	return out
}

// checkNATS refuses the NATS_* values the adapter would refuse, so a
// typo stops start-up instead of a background connection retrying forever.
func (p *envParser) checkNATS(c Config) {
	for _, u := range strings.Split(c.NATSURL, ",") {
		if parsed, err := url.Parse(strings.TrimSpace(u)); err != nil || parsed.Host == "" {
			p.fail("NATS_URL", fmt.Sprintf("must be a URL such as nats://127.0.0.1:4222 (comma-separated for a cluster), got %q", maskURLs(c.NATSURL)))
			return
		}
	}
	var ve *domain.ValidationError
	if err := natsConfig(c).Validate(); errors.As(err, &ve) {
		env := map[string]string{"stream": "NATS_STREAM", "durable": "NATS_DURABLE", "subject_prefix": "NATS_SUBJECT_PREFIX", "dead_subject": "NATS_SUBJECT_PREFIX"}
		for _, f := range ve.Fields {
			if name, ok := env[f.Field]; ok {
				p.fail(name, f.Rule)
				return
			}
		}
		p.fail("NATS_*", ve.Error())
	}
}

func (p *envParser) checkDatabaseURL(s string) {
	switch {
	case strings.HasPrefix(s, "sqlite://"):
		if strings.TrimPrefix(s, "sqlite://") == "" {
			p.fail("DATABASE_URL", "sqlite:// needs a file path, e.g. sqlite://./data/moviediary.db")
		}
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		if _, err := url.Parse(s); err != nil {
			p.fail("DATABASE_URL", "is not a valid postgres:// URL")
		}
	default:
		p.fail("DATABASE_URL", "must start with sqlite:// or postgres://")
	}
}
