package wiring_test

import (
	"errors"
	"testing"
	"time"

	"github.com/moviediary/moviediary/presentation/wiring"
)

// TestLoadConfigHTTPHardening: HTTP_READ_TIMEOUT (a positive duration,
// default 30s).
func TestLoadConfigHTTPHardening(t *testing.T) {
	t.Parallel()
	c, err := wiring.LoadConfig(envOf(nil))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if c.HTTPReadTimeout != 30*time.Second {
		t.Errorf("default read timeout %s, want 30s", c.HTTPReadTimeout)
	}
	c, err = wiring.LoadConfig(envOf(map[string]string{"HTTP_READ_TIMEOUT": "250ms"}))
	if err != nil || c.HTTPReadTimeout != 250*time.Millisecond {
		t.Errorf("set: read timeout %s, err %v; want 250ms", c.HTTPReadTimeout, err)
	}
	for _, bad := range []struct{ name, value string }{
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
