package eventpublisher_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/eventpublisher"
	"github.com/moviediary/moviediary/domain"
)

// scripted fails with errs[i] on attempt i+1 and succeeds once errs runs
// out (or keeps returning the last error when always is set).
type scripted struct {
	errs     []error
	always   bool
	attempts int
}

func (s *scripted) Name() string { return "scripted" }

func (s *scripted) Handle(context.Context, domain.Event) error {
	s.attempts++
	switch {
	case s.attempts <= len(s.errs):
		return s.errs[s.attempts-1]
	case s.always:
		return s.errs[len(s.errs)-1]
	}
	return nil
}

// sleeper records requested delays instead of waiting; it honours ctx.
type sleeper struct{ delays []time.Duration }

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.delays = append(s.delays, d)
	return ctx.Err()
}

var errTransient = fmt.Errorf("poster host timed out: %w", domain.ErrUnavailable)

func TestRetry_AttemptsDelaysAndResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		cfg          eventpublisher.RetryConfig
		handler      *scripted
		wantAttempts int
		wantDelays   []time.Duration
		wantErr      error
	}{
		{
			name:         "success on the first attempt",
			cfg:          eventpublisher.DefaultRetryConfig(),
			handler:      &scripted{},
			wantAttempts: 1,
		},
		{
			name:         "fail, fail, succeed",
			cfg:          eventpublisher.DefaultRetryConfig(),
			handler:      &scripted{errs: []error{errTransient, errTransient}},
			wantAttempts: 3,
			wantDelays:   []time.Duration{time.Second, 2 * time.Second},
		},
		{
			name:         "always failing gives up after four attempts with the last error",
			cfg:          eventpublisher.DefaultRetryConfig(),
			handler:      &scripted{errs: []error{errors.New("first"), errTransient}, always: true},
			wantAttempts: 4,
			wantDelays:   []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
			wantErr:      errTransient,
		},
		{
			name:         "not found is permanent",
			cfg:          eventpublisher.DefaultRetryConfig(),
			handler:      &scripted{errs: []error{fmt.Errorf("movie: %w", domain.ErrNotFound)}, always: true},
			wantAttempts: 1,
			wantErr:      domain.ErrNotFound,
		},
		{
			name:         "a permanent upstream answer is not retried",
			cfg:          eventpublisher.DefaultRetryConfig(),
			handler:      &scripted{errs: []error{fmt.Errorf("not an image: %w", domain.ErrPermanent)}, always: true},
			wantAttempts: 1,
			wantErr:      domain.ErrPermanent,
		},
		{
			name:         "zero retries is one attempt",
			cfg:          eventpublisher.RetryConfig{},
			handler:      &scripted{errs: []error{errTransient}, always: true},
			wantAttempts: 1,
			wantErr:      errTransient,
		},
		{
			name:         "negative retries and delay count as zero",
			cfg:          eventpublisher.RetryConfig{MaxRetries: -2, BaseDelay: -time.Second},
			handler:      &scripted{errs: []error{errTransient}, always: true},
			wantAttempts: 1,
			wantErr:      errTransient,
		},
		{
			name:         "custom base delay doubles",
			cfg:          eventpublisher.RetryConfig{MaxRetries: 4, BaseDelay: 250 * time.Millisecond},
			handler:      &scripted{errs: []error{errTransient}, always: true},
			wantAttempts: 5,
			wantDelays:   []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second},
			wantErr:      errTransient,
		},
		{
			name:         "zero base delay retries without waiting",
			cfg:          eventpublisher.RetryConfig{MaxRetries: 2},
			handler:      &scripted{errs: []error{errTransient}, always: true},
			wantAttempts: 3,
			wantDelays:   []time.Duration{0, 0},
			wantErr:      errTransient,
		},
		{
			name: "custom ShouldRetry retries even a permanent error",
			cfg: eventpublisher.RetryConfig{MaxRetries: 1, BaseDelay: time.Second,
				ShouldRetry: func(error) bool { return true }},
			handler:      &scripted{errs: []error{domain.ErrNotFound}},
			wantAttempts: 2,
			wantDelays:   []time.Duration{time.Second},
		},
		{
			name:         "huge delays saturate instead of overflowing",
			cfg:          eventpublisher.RetryConfig{MaxRetries: 3, BaseDelay: math.MaxInt64 / 3},
			handler:      &scripted{errs: []error{errTransient}, always: true},
			wantAttempts: 4,
			wantDelays:   []time.Duration{math.MaxInt64 / 3, math.MaxInt64 / 3 * 2, math.MaxInt64},
			wantErr:      errTransient,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var s sleeper
			cfg := tt.cfg
			cfg.Sleep = s.sleep
			h := eventpublisher.Retry(cfg, tt.handler, eventpublisher.WithLogger(discardLogger()))
			err := h.Handle(context.Background(), movieDiscovered(t))
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Handle = %v, want %v", err, tt.wantErr)
			}
			if tt.handler.attempts != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", tt.handler.attempts, tt.wantAttempts)
			}
			if !slices.Equal(s.delays, tt.wantDelays) {
				t.Errorf("delays = %v, want %v", s.delays, tt.wantDelays)
			}
		})
	}
}

func TestRetry_KeepsTheHandlerName(t *testing.T) {
	t.Parallel()
	h := eventpublisher.Retry(eventpublisher.DefaultRetryConfig(), &scripted{})
	if h.Name() != "scripted" {
		t.Fatalf("Name = %q, want scripted", h.Name())
	}
}

func TestRetry_CancelledContextStopsBackoffAtOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	h := &scripted{errs: []error{errTransient}, always: true}
	var delays []time.Duration
	cfg := eventpublisher.DefaultRetryConfig()
	cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		delays = append(delays, d)
		cancel() // shutdown arrives during the first backoff
		<-ctx.Done()
		return ctx.Err()
	}
	var logs logBuffer
	err := eventpublisher.Retry(cfg, h, eventpublisher.WithLogger(jsonLogger(&logs))).Handle(ctx, movieDiscovered(t))
	if !errors.Is(err, errTransient) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Handle = %v, want the last error and context.Canceled", err)
	}
	if h.attempts != 1 || len(delays) != 1 {
		t.Fatalf("attempts %d, sleeps %d; want 1 and 1", h.attempts, len(delays))
	}
	gaveUp := findRecords(logs.records(t), "event handler gave up")
	if len(gaveUp) != 1 || gaveUp[0]["reason"] != "cancelled" || gaveUp[0]["attempts"] != 1.0 {
		t.Fatalf("give-up lines %v, want one with reason cancelled and attempts 1", gaveUp)
	}
}

func TestRetry_DefaultSleepReturnsAtOnceOnCancelledContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h := &scripted{errs: []error{errTransient}, always: true}
	cfg := eventpublisher.RetryConfig{MaxRetries: 3, BaseDelay: time.Hour}
	err := eventpublisher.Retry(cfg, h, eventpublisher.WithLogger(discardLogger())).Handle(ctx, movieDiscovered(t))
	if !errors.Is(err, context.Canceled) || h.attempts != 1 {
		t.Fatalf("Handle = %v after %d attempts, want context.Canceled after 1", err, h.attempts)
	}
}

func TestSleepContext(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{"zero delay", context.Background(), 0, nil},
		{"short delay elapses", context.Background(), time.Nanosecond, nil},
		{"cancelled before", cancelled, time.Hour, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := eventpublisher.SleepContext(tt.ctx, tt.d); !errors.Is(err, tt.want) {
				t.Fatalf("SleepContext = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("cancelled while waiting", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		res := make(chan error, 1)
		go func() { res <- eventpublisher.SleepContext(ctx, time.Hour) }()
		cancel()
		if err := waitRun(t, res); !errors.Is(err, context.Canceled) {
			t.Fatalf("SleepContext = %v, want context.Canceled", err)
		}
	})
}

func TestRetry_GiveUpLogsErrorWithAttempts(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	var s sleeper
	cfg := eventpublisher.DefaultRetryConfig()
	cfg.Sleep = s.sleep
	type attempt struct {
		n   int
		err bool
	}
	var seen []attempt
	h := eventpublisher.Retry(cfg, &scripted{errs: []error{errTransient}, always: true},
		eventpublisher.WithLogger(jsonLogger(&logs)),
		eventpublisher.WithAttemptHook(func(ev domain.EventName, handler string, n int, err error) {
			if ev != domain.EventMovieDiscovered || handler != "scripted" {
				t.Errorf("attempt hook got %s/%s", ev, handler)
			}
			seen = append(seen, attempt{n, err != nil})
		}))
	e := movieDiscovered(t)
	if err := h.Handle(context.Background(), e); !errors.Is(err, errTransient) {
		t.Fatalf("Handle = %v", err)
	}
	if fmt.Sprint(seen) != "[{1 true} {2 true} {3 true} {4 true}]" {
		t.Errorf("attempt hook saw %v", seen)
	}
	recs := logs.records(t)
	if n := len(findRecords(recs, "event handler failed, retrying")); n != 3 {
		t.Errorf("got %d retry lines, want 3", n)
	}
	gaveUp := findRecords(recs, "event handler gave up")
	if len(gaveUp) != 1 {
		t.Fatalf("got %d give-up lines, want 1: %v", len(gaveUp), recs)
	}
	g := gaveUp[0]
	if g["level"] != "ERROR" || g["attempts"] != 4.0 || g["reason"] != "exhausted" || g["handler"] != "scripted" ||
		g["event"] != "movie_discovered" || g["movie_id"] != e.Movie.String() || g["error"] != errTransient.Error() {
		t.Fatalf("give-up line %v", g)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		value   string
		want    int
		wantErr bool
	}{
		{"unset is the default", "", 128, false},
		{"blank is the default", "   ", 128, false},
		{"a number", "64", 64, false},
		{"trimmed", " 7 ", 7, false},
		{"one is the minimum", "1", 1, false},
		{"the maximum", "1048576", 1 << 20, false},
		{"zero", "0", 0, true},
		{"negative", "-1", 0, true},
		{"not a number", "lots", 0, true},
		{"above the maximum", "1048577", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := eventpublisher.ConfigFromEnv(func(k string) string {
				if k == "EVENT_CHANNEL_BUFFER" {
					return tt.value
				}
				return ""
			})
			if tt.wantErr {
				if !errors.Is(err, domain.ErrValidation) || !strings.Contains(err.Error(), "EVENT_CHANNEL_BUFFER") {
					t.Fatalf("ConfigFromEnv(%q) error = %v, want a validation error naming the variable", tt.value, err)
				}
				return
			}
			if err != nil || cfg.ChannelBuffer != tt.want {
				t.Fatalf("ConfigFromEnv(%q) = %+v, %v; want %d", tt.value, cfg, err, tt.want)
			}
		})
	}
}

func TestRetryConfigFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		env         map[string]string
		wantRetries int
		wantDelay   time.Duration
		wantErrVars []string
	}{
		{"defaults", nil, 3, time.Second, nil},
		{"both set", map[string]string{"POSTER_SYNC_MAX_RETRIES": "5", "POSTER_SYNC_BASE_DELAY": "250ms"}, 5, 250 * time.Millisecond, nil},
		{"zero retries and zero delay", map[string]string{"POSTER_SYNC_MAX_RETRIES": "0", "POSTER_SYNC_BASE_DELAY": "0s"}, 0, 0, nil},
		{"bad retries", map[string]string{"POSTER_SYNC_MAX_RETRIES": "three"}, 0, 0, []string{"POSTER_SYNC_MAX_RETRIES"}},
		{"negative retries", map[string]string{"POSTER_SYNC_MAX_RETRIES": "-1"}, 0, 0, []string{"POSTER_SYNC_MAX_RETRIES"}},
		{"delay without unit", map[string]string{"POSTER_SYNC_BASE_DELAY": "1"}, 0, 0, []string{"POSTER_SYNC_BASE_DELAY"}},
		{"negative delay", map[string]string{"POSTER_SYNC_BASE_DELAY": "-1s"}, 0, 0, []string{"POSTER_SYNC_BASE_DELAY"}},
		{"both bad, both named", map[string]string{"POSTER_SYNC_MAX_RETRIES": "x", "POSTER_SYNC_BASE_DELAY": "y"}, 0, 0,
			[]string{"POSTER_SYNC_MAX_RETRIES", "POSTER_SYNC_BASE_DELAY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := eventpublisher.RetryConfigFromEnv(func(k string) string { return tt.env[k] })
			if len(tt.wantErrVars) > 0 {
				if !errors.Is(err, domain.ErrValidation) {
					t.Fatalf("error = %v, want ErrValidation", err)
				}
				for _, v := range tt.wantErrVars {
					if !strings.Contains(err.Error(), v) {
						t.Errorf("error %q does not name %s", err, v)
					}
				}
				return
			}
			if err != nil || cfg.MaxRetries != tt.wantRetries || cfg.BaseDelay != tt.wantDelay {
				t.Fatalf("RetryConfigFromEnv = %+v, %v; want %d, %v", cfg, err, tt.wantRetries, tt.wantDelay)
			}
		})
	}
}

func TestDefaultShouldRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want bool
	}{
		{errTransient, true},
		{fmt.Errorf("db: %w", domain.ErrInfrastructure), true},
		{errors.New("unclassified"), true},
		{domain.ErrNotFound, false},
		{domain.ErrPermanent, false},
		{&domain.ValidationError{Fields: []domain.FieldError{{Field: "f", Rule: "r"}}}, false},
	}
	for _, tt := range tests {
		if got := eventpublisher.DefaultShouldRetry(tt.err); got != tt.want {
			t.Errorf("DefaultShouldRetry(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
