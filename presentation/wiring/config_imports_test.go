package wiring_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/presentation/wiring"
)

// TestLoadConfigImportAndBudget: the import bound and the OMDb budget
// have their documented defaults, take valid values and refuse bad ones
// naming the variable.
func TestLoadConfigImportAndBudget(t *testing.T) {
	t.Parallel()
	c, err := wiring.LoadConfig(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.ImportMaxBytes != 50<<20 || c.OMDbDailyLimit != 1000 || c.OMDbLimitWindow != 24*time.Hour || c.OMDbRate != 5 {
		t.Errorf("defaults: IMPORT_MAX_BYTES %d, OMDB_DAILY_LIMIT %d, OMDB_LIMIT_WINDOW %s, OMDB_RATE %v",
			c.ImportMaxBytes, c.OMDbDailyLimit, c.OMDbLimitWindow, c.OMDbRate)
	}
	c, err = wiring.LoadConfig(envOf(map[string]string{
		"IMPORT_MAX_BYTES": "1048576", "OMDB_DAILY_LIMIT": "0", "OMDB_LIMIT_WINDOW": "2s", "OMDB_RATE": "0.5",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ImportMaxBytes != 1<<20 || c.OMDbDailyLimit != 0 || c.OMDbLimitWindow != 2*time.Second || c.OMDbRate != 0.5 {
		t.Errorf("set: %d %d %s %v", c.ImportMaxBytes, c.OMDbDailyLimit, c.OMDbLimitWindow, c.OMDbRate)
	}
	for _, tc := range []struct{ name, value string }{
		{"IMPORT_MAX_BYTES", "12"},
		{"IMPORT_MAX_BYTES", "50MiB"},
		{"OMDB_DAILY_LIMIT", "-1"},
		{"OMDB_DAILY_LIMIT", "lots"},
		{"OMDB_LIMIT_WINDOW", "500ms"},
		{"OMDB_LIMIT_WINDOW", "a day"},
		{"OMDB_RATE", "-2"},
		{"OMDB_RATE", "NaN"},
		{"OMDB_RATE", "fast"},
	} {
		_, err := wiring.LoadConfig(envOf(map[string]string{tc.name: tc.value}))
		var ce *wiring.ConfigError
		if !errors.As(err, &ce) || ce.Var != tc.name || !strings.Contains(err.Error(), tc.value) {
			t.Errorf("%s=%q: %v, want a ConfigError naming the variable and the value", tc.name, tc.value, err)
		}
	}
}
