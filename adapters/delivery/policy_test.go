package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
	"github.com/moviediary/moviediary/domain"
)

// relayPolicy is the shape of the outbox relay's policy: many attempts,
// 250ms doubling, capped at 10s.
var relayPolicy = delivery.RetryPolicy{MaxAttempts: 100, BaseDelay: 250 * time.Millisecond, Multiplier: 2, MaxDelay: 10 * time.Second}

const maxDuration = time.Duration(math.MaxInt64)

func TestRetryPolicyDelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy delivery.RetryPolicy
		want   []time.Duration // want[i] is Delay(i+1)
	}{
		{
			name:   "default policy doubles from 1s",
			policy: delivery.DefaultRetryPolicy(),
			want:   []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second},
		},
		{
			name:   "zero multiplier means doubling",
			policy: delivery.RetryPolicy{BaseDelay: time.Second},
			want:   []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second},
		},
		{
			name:   "multiplier 1 keeps every wait at the base",
			policy: delivery.RetryPolicy{BaseDelay: 3 * time.Second, Multiplier: 1},
			want:   []time.Duration{3 * time.Second, 3 * time.Second, 3 * time.Second, 3 * time.Second, 3 * time.Second},
		},
		{
			name:   "multiplier 1.5 grows by half each time",
			policy: delivery.RetryPolicy{BaseDelay: time.Second, Multiplier: 1.5},
			want:   []time.Duration{time.Second, 1500 * time.Millisecond, 2250 * time.Millisecond, 3375 * time.Millisecond},
		},
		{
			name:   "relay policy doubles from 250ms up to its 10s cap",
			policy: relayPolicy,
			want: []time.Duration{
				250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second,
				4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second,
			},
		},
		{
			name:   "cap below the base delay caps the first wait too",
			policy: delivery.RetryPolicy{BaseDelay: 5 * time.Second, MaxDelay: 2 * time.Second},
			want:   []time.Duration{2 * time.Second, 2 * time.Second},
		},
		{
			name:   "zero base delay never waits",
			policy: delivery.RetryPolicy{MaxAttempts: 10, Multiplier: 3, MaxDelay: time.Minute},
			want:   []time.Duration{0, 0, 0, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for i, want := range tt.want {
				if got := tt.policy.Delay(i + 1); got != want {
					t.Errorf("Delay(%d) = %v, want %v", i+1, got, want)
				}
			}
		})
	}
}

func TestRetryPolicyDelayAtExtremes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy delivery.RetryPolicy
		n      int
		want   time.Duration
	}{
		{"attempt 0 waits like attempt 1", delivery.DefaultRetryPolicy(), 0, time.Second},
		{"negative attempt waits like attempt 1", delivery.DefaultRetryPolicy(), -7, time.Second},
		{"most negative attempt but one waits like attempt 1", delivery.DefaultRetryPolicy(), math.MinInt + 1, time.Second},
		{"attempt 64 saturates instead of overflowing", delivery.DefaultRetryPolicy(), 64, maxDuration},
		{"attempt 1000 saturates", delivery.DefaultRetryPolicy(), 1000, maxDuration},
		{"largest attempt saturates", delivery.DefaultRetryPolicy(), math.MaxInt, maxDuration},
		{"largest attempt at multiplier 1.5 saturates", delivery.RetryPolicy{BaseDelay: time.Millisecond, Multiplier: 1.5}, math.MaxInt, maxDuration},
		{"largest attempt at multiplier 1 stays at the base", delivery.RetryPolicy{BaseDelay: time.Second, Multiplier: 1}, math.MaxInt, time.Second},
		{"largest attempt is capped by MaxDelay", relayPolicy, math.MaxInt, 10 * time.Second},
		{"largest base delay saturates at once", delivery.RetryPolicy{BaseDelay: maxDuration}, 1, maxDuration},
		{"largest base delay grown saturates", delivery.RetryPolicy{BaseDelay: maxDuration}, 2, maxDuration},
		{"largest attempt with zero base delay is 0", delivery.RetryPolicy{}, math.MaxInt, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.policy.Delay(tt.n); got != tt.want {
				t.Errorf("Delay(%d) = %v, want %v", tt.n, got, tt.want)
			}
		})
	}

	t.Run("most negative attempt waits like attempt 1", func(t *testing.T) {
		t.Parallel()
		p := delivery.DefaultRetryPolicy()
		if got := p.Delay(math.MinInt); got != time.Second {
			t.Errorf("Delay(math.MinInt) = %v, want 1s", got)
		}
	})

	t.Run("valid policies never wait less than before nor a negative time", func(t *testing.T) {
		t.Parallel()
		for _, p := range []delivery.RetryPolicy{
			delivery.DefaultRetryPolicy(),
			relayPolicy,
			{BaseDelay: time.Nanosecond, Multiplier: 1.5},
			{BaseDelay: time.Hour, Multiplier: 10},
			{BaseDelay: time.Millisecond, Multiplier: math.MaxFloat64},
		} {
			prev := time.Duration(0)
			for n := 1; n <= 2000; n++ {
				d := p.Delay(n)
				if d < 0 {
					t.Fatalf("%+v: Delay(%d) = %v, negative", p, n, d)
				}
				if d < prev {
					t.Fatalf("%+v: Delay(%d) = %v, shorter than Delay(%d) = %v", p, n, d, n-1, prev)
				}
				prev = d
			}
		}
	})
}

func TestRetryPolicyAttempts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		maxAttempts int
		want        int
	}{
		{"zero means the default", 0, delivery.DefaultMaxAttempts},
		{"one means a single attempt", 1, 1},
		{"a set value is kept", 7, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := (delivery.RetryPolicy{MaxAttempts: tt.maxAttempts}).Attempts(); got != tt.want {
				t.Errorf("Attempts() = %d, want %d", got, tt.want)
			}
		})
	}
}

// permanentErrors are failures of every kind domain.IsPermanent gives up
// on, wrapped as adapters return them.
var permanentErrors = []struct {
	name string
	err  error
}{
	{"validation", fmt.Errorf("poster: %w", domain.FieldError{Field: "poster_url", Rule: "must be http(s)"})},
	{"validation error", fmt.Errorf("movie: %w", &domain.ValidationError{Fields: []domain.FieldError{{Field: "title", Rule: "must not be empty"}}})},
	{"not found", fmt.Errorf("omdb: %w", domain.ErrNotFound)},
	{"permanent upstream answer", fmt.Errorf("poster: not an image: %w", domain.ErrPermanent)},
	{"misconfigured", fmt.Errorf("omdb: invalid API key: %w", domain.ErrMisconfigured)},
	{"unauthorized", fmt.Errorf("upstream: %w", domain.ErrUnauthorized)},
	{"forbidden", fmt.Errorf("upstream: %w", domain.ErrForbidden)},
	{"conflict", fmt.Errorf("store: %w", domain.ErrConflict)},
}

// transientErrors are failures domain.IsPermanent retries.
var transientErrors = []struct {
	name string
	err  error
}{
	{"unavailable", fmt.Errorf("omdb: %w", domain.ErrUnavailable)},
	{"infrastructure", fmt.Errorf("db: %w", domain.ErrInfrastructure)},
	{"unclassified", errors.New("something odd")},
	{"deadline exceeded", fmt.Errorf("fetch: %w", context.DeadlineExceeded)},
	{"handler panic", &delivery.PanicError{Handler: "poster_sync", Value: "boom"}},
}

func TestRetryPolicyDecideSuccess(t *testing.T) {
	t.Parallel()
	e := MustReviewLogged(t)
	for _, n := range []int{1, 2, delivery.DefaultMaxAttempts, 99} {
		t.Run(fmt.Sprintf("nil error at attempt %d is a success", n), func(t *testing.T) {
			t.Parallel()
			got := delivery.DefaultRetryPolicy().Decide(e, n, nil)
			want := delivery.Attempt{Event: e, Number: n, Outcome: delivery.OutcomeSuccess}
			if got != want {
				t.Errorf("Decide = %+v, want %+v", got, want)
			}
		})
	}
}

func TestRetryPolicyDecidePermanent(t *testing.T) {
	t.Parallel()
	e := MustMovieDiscovered(t)
	p := delivery.DefaultRetryPolicy()
	for _, pe := range permanentErrors {
		for _, n := range []int{1, 2, p.Attempts(), p.Attempts() + 5} {
			t.Run(fmt.Sprintf("%s at attempt %d is dead at once", pe.name, n), func(t *testing.T) {
				t.Parallel()
				if !p.IsPermanent(pe.err) {
					t.Fatalf("IsPermanent(%v) = false, want true", pe.err)
				}
				got := p.Decide(e, n, pe.err)
				want := delivery.Attempt{Event: e, Number: n, Err: pe.err, Outcome: delivery.OutcomeDead, Reason: delivery.ReasonPermanent}
				if got != want {
					t.Errorf("Decide = %+v, want %+v", got, want)
				}
			})
		}
	}
}

func TestRetryPolicyDecideTransient(t *testing.T) {
	t.Parallel()
	e := MustReviewLogged(t)
	for _, te := range transientErrors {
		t.Run(te.name+" is retried with the backoff until attempts run out", func(t *testing.T) {
			t.Parallel()
			p := delivery.DefaultRetryPolicy()
			if p.IsPermanent(te.err) {
				t.Fatalf("IsPermanent(%v) = true, want false", te.err)
			}
			wantDelays := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
			for n := 1; n <= p.Attempts(); n++ {
				got := p.Decide(e, n, te.err)
				want := delivery.Attempt{Event: e, Number: n, Err: te.err}
				if n < p.Attempts() {
					want.Outcome, want.Delay = delivery.OutcomeRetry, wantDelays[n-1]
				} else {
					want.Outcome, want.Reason = delivery.OutcomeDead, delivery.ReasonExhausted
				}
				if got != want {
					t.Errorf("Decide(attempt %d) = %+v, want %+v", n, got, want)
				}
			}
		})
	}

	t.Run("an attempt past the last is dead, exhausted", func(t *testing.T) {
		t.Parallel()
		err := transientErrors[0].err
		got := delivery.DefaultRetryPolicy().Decide(e, delivery.DefaultMaxAttempts+3, err)
		if got.Outcome != delivery.OutcomeDead || got.Reason != delivery.ReasonExhausted || got.Delay != 0 {
			t.Errorf("Decide = %+v, want dead, exhausted, no delay", got)
		}
	})

	t.Run("retry delay is the policy's capped Delay", func(t *testing.T) {
		t.Parallel()
		err := transientErrors[0].err
		for n := 1; n < relayPolicy.Attempts(); n++ {
			got := relayPolicy.Decide(e, n, err)
			if got.Outcome != delivery.OutcomeRetry || got.Delay != relayPolicy.Delay(n) || got.Reason != "" {
				t.Fatalf("Decide(attempt %d) = %+v, want retry after %v, no reason", n, got, relayPolicy.Delay(n))
			}
		}
		if got := relayPolicy.Decide(e, 40, err).Delay; got != 10*time.Second {
			t.Errorf("Decide(attempt 40).Delay = %v, want the 10s cap", got)
		}
	})
}

func TestRetryPolicyDecideMaxAttempts(t *testing.T) {
	t.Parallel()
	e := MustMovieDiscovered(t)
	err := fmt.Errorf("omdb: %w", domain.ErrUnavailable)
	tests := []struct {
		name     string
		policy   delivery.RetryPolicy
		outcomes []delivery.Outcome // outcomes[i] is attempt i+1's
	}{
		{
			name:     "zero MaxAttempts gives the default number of attempts",
			policy:   delivery.RetryPolicy{},
			outcomes: []delivery.Outcome{delivery.OutcomeRetry, delivery.OutcomeRetry, delivery.OutcomeRetry, delivery.OutcomeDead},
		},
		{
			name:     "MaxAttempts 1 gives up after the first failure",
			policy:   delivery.RetryPolicy{MaxAttempts: 1, BaseDelay: time.Second},
			outcomes: []delivery.Outcome{delivery.OutcomeDead},
		},
		{
			name:     "MaxAttempts 2 retries once",
			policy:   delivery.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Second},
			outcomes: []delivery.Outcome{delivery.OutcomeRetry, delivery.OutcomeDead},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []delivery.Outcome
			for n := 1; ; n++ {
				a := tt.policy.Decide(e, n, err)
				got = append(got, a.Outcome)
				if a.Outcome == delivery.OutcomeDead {
					if a.Reason != delivery.ReasonExhausted {
						t.Errorf("last attempt's reason = %q, want %q", a.Reason, delivery.ReasonExhausted)
					}
					break
				}
				if a.Delay != tt.policy.Delay(n) {
					t.Errorf("attempt %d delay = %v, want %v", n, a.Delay, tt.policy.Delay(n))
				}
				if n > 100 {
					t.Fatal("never gave up")
				}
			}
			if !slices.Equal(got, tt.outcomes) {
				t.Errorf("outcomes = %v, want %v", got, tt.outcomes)
			}
		})
	}
}

func TestRetryPolicyCustomPermanent(t *testing.T) {
	t.Parallel()
	e := MustReviewLogged(t)
	errQuota := errors.New("quota exceeded")
	// The predicate gives up on quota errors and, unlike domain.IsPermanent,
	// retries everything else, not-found included.
	p := delivery.RetryPolicy{
		MaxAttempts: 3,
		BaseDelay:   time.Second,
		Permanent:   func(err error) bool { return errors.Is(err, errQuota) },
	}
	tests := []struct {
		name       string
		err        error
		wantDead   bool
		wantReason delivery.Reason
	}{
		{"an error the predicate names is dead at once", fmt.Errorf("omdb: %w", errQuota), true, delivery.ReasonPermanent},
		{"a domain-permanent error the predicate does not name is retried", fmt.Errorf("omdb: %w", domain.ErrNotFound), false, ""},
		{"a transient error is retried", fmt.Errorf("omdb: %w", domain.ErrUnavailable), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := p.IsPermanent(tt.err); got != tt.wantDead {
				t.Errorf("IsPermanent = %v, want %v", got, tt.wantDead)
			}
			a := p.Decide(e, 1, tt.err)
			if gotDead := a.Outcome == delivery.OutcomeDead; gotDead != tt.wantDead || a.Reason != tt.wantReason {
				t.Errorf("Decide(attempt 1) = %+v, want dead=%v reason=%q", a, tt.wantDead, tt.wantReason)
			}
			if !tt.wantDead && a.Delay != time.Second {
				t.Errorf("Decide(attempt 1).Delay = %v, want 1s", a.Delay)
			}
		})
	}
	t.Run("predicate is not asked about a success", func(t *testing.T) {
		t.Parallel()
		asked := false
		p := delivery.RetryPolicy{Permanent: func(error) bool { asked = true; return true }}
		if a := p.Decide(e, 1, nil); a.Outcome != delivery.OutcomeSuccess || asked {
			t.Errorf("Decide(nil) = %+v, predicate asked = %v; want success, not asked", a, asked)
		}
	})
}

func TestRetryPolicyValidate(t *testing.T) {
	t.Parallel()
	valid := []struct {
		name   string
		policy delivery.RetryPolicy
	}{
		{"zero value", delivery.RetryPolicy{}},
		{"default policy", delivery.DefaultRetryPolicy()},
		{"relay policy", relayPolicy},
		{"multiplier exactly 1", delivery.RetryPolicy{BaseDelay: time.Second, Multiplier: 1}},
		{"single attempt", delivery.RetryPolicy{MaxAttempts: 1}},
		{"cap below base", delivery.RetryPolicy{BaseDelay: time.Minute, MaxDelay: time.Second}},
		{"custom predicate", delivery.RetryPolicy{Permanent: func(error) bool { return false }}},
	}
	for _, tt := range valid {
		t.Run(tt.name+" is valid", func(t *testing.T) {
			t.Parallel()
			if err := tt.policy.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}

	invalid := []struct {
		name   string
		policy delivery.RetryPolicy
		fields []string
	}{
		{"negative MaxAttempts", delivery.RetryPolicy{MaxAttempts: -1}, []string{"max_attempts"}},
		{"negative BaseDelay", delivery.RetryPolicy{BaseDelay: -time.Nanosecond}, []string{"base_delay"}},
		{"multiplier below 1", delivery.RetryPolicy{Multiplier: 0.5}, []string{"multiplier"}},
		{"negative multiplier", delivery.RetryPolicy{Multiplier: -2}, []string{"multiplier"}},
		{"NaN multiplier", delivery.RetryPolicy{Multiplier: math.NaN()}, []string{"multiplier"}},
		{"+Inf multiplier", delivery.RetryPolicy{Multiplier: math.Inf(1)}, []string{"multiplier"}},
		{"-Inf multiplier", delivery.RetryPolicy{Multiplier: math.Inf(-1)}, []string{"multiplier"}},
		{"negative MaxDelay", delivery.RetryPolicy{MaxDelay: -time.Second}, []string{"max_delay"}},
		{
			"every field bad is reported at once",
			delivery.RetryPolicy{MaxAttempts: -3, BaseDelay: -time.Second, Multiplier: 0.9, MaxDelay: -time.Minute},
			[]string{"base_delay", "max_attempts", "max_delay", "multiplier"},
		},
	}
	for _, tt := range invalid {
		t.Run(tt.name+" is a validation error naming the field", func(t *testing.T) {
			t.Parallel()
			err := tt.policy.Validate()
			if !errors.Is(err, domain.ErrValidation) {
				t.Fatalf("Validate() = %v, want an error wrapping domain.ErrValidation", err)
			}
			if !domain.IsPermanent(err) {
				t.Errorf("domain.IsPermanent(%v) = false, want true", err)
			}
			var ve *domain.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %#v, want a *domain.ValidationError inside", err)
			}
			var fields []string
			for _, f := range ve.Fields {
				if f.Rule == "" {
					t.Errorf("field %q has no rule", f.Field)
				}
				fields = append(fields, f.Field)
			}
			slices.Sort(fields)
			if !slices.Equal(fields, tt.fields) {
				t.Errorf("fields = %v, want %v", fields, tt.fields)
			}
			for _, f := range tt.fields {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error %q does not name %s", err, f)
				}
			}
		})
	}
}
