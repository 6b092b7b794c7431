package wiring_test

import (
	"errors"
	"testing"
	"time"

	"github.com/moviediary/moviediary/presentation/wiring"
)

// TestLoadConfigHTTPHardening: RATE_LIMIT_IPV6_PREFIX (1–128, default 64)
// and HTTP_READ_TIMEOUT (a positive duration, default 30s).
func TestLoadConfigHTTPHardening(t *testing.T) {
	t.Parallel()
	c, err := wiring.LoadConfig(envOf(nil))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if c.RateLimitIPv6Prefix != 64 || c.HTTPReadTimeout != 30*time.Second {
		t.Errorf("defaults: prefix %d, read timeout %s; want 64 and 30s", c.RateLimitIPv6Prefix, c.HTTPReadTimeout)
	}
	c, err = wiring.LoadConfig(envOf(map[string]string{"RATE_LIMIT_IPV6_PREFIX": "48", "HTTP_READ_TIMEOUT": "250ms"}))
	if err != nil || c.RateLimitIPv6Prefix != 48 || c.HTTPReadTimeout != 250*time.Millisecond {
		t.Errorf("set: prefix %d, read timeout %s, err %v; want 48 and 250ms", c.RateLimitIPv6Prefix, c.HTTPReadTimeout, err)
	}
	for _, edge := range []string{"1", "128"} {
		if c, err := wiring.LoadConfig(envOf(map[string]string{"RATE_LIMIT_IPV6_PREFIX": edge})); err != nil {
			t.Errorf("RATE_LIMIT_IPV6_PREFIX=%s: %v (prefix %d)", edge, err, c.RateLimitIPv6Prefix)
		}
	}
	for _, bad := range []struct{ name, value string }{
		{"RATE_LIMIT_IPV6_PREFIX", "0"},
		{"RATE_LIMIT_IPV6_PREFIX", "129"},
		{"RATE_LIMIT_IPV6_PREFIX", "/64"},
		{"HTTP_READ_TIMEOUT", "0s"},
		{"HTTP_READ_TIMEOUT", "-1s"},
		{"HTTP_READ_TIMEOUT", "30"},
	} {
		_, err := wiring.LoadConfig(envOf(map[string]string{bad.name: bad.value}))
		var ce *wiring.ConfigError
		if !errors.As(err, &ce) || ce.Var != bad.name {
			t.Errorf("%s=%q: err = %v, want a *ConfigError naming %s", bad.name, bad.value, err, bad.name)
		}
	}
}
