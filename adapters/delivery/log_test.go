package delivery_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
)

func TestLogAttempt(t *testing.T) {
	t.Parallel()
	review := MustReviewLogged(t)
	movie := MustMovieDiscovered(t)
	extra := []slog.Attr{slog.String("bus", "outbox"), slog.Int("delivery", 7)}
	tests := []struct {
		name      string
		attempt   delivery.Attempt
		extra     []slog.Attr
		level     slog.Level
		wantLevel string // "" means nothing is logged
		wantMsg   string
		want      map[string]any // fields besides the event fields; nil value means absent
	}{
		{
			name:      "retry is a WARN with attempt, retry_in and error",
			attempt:   delivery.DefaultRetryPolicy().Decide(review, 2, errUnavailable),
			wantLevel: "WARN",
			wantMsg:   "event delivery failed, retrying",
			want: map[string]any{
				"attempt": int64(2), "retry_in": int64(2 * time.Second), "error": errUnavailable.Error(),
				"reason": nil, "attempts": nil,
			},
		},
		{
			name:      "retry with a reason carries it",
			attempt:   delivery.Attempt{Event: movie, Number: 5, Err: errUnavailable, Outcome: delivery.OutcomeRetry, Reason: delivery.ReasonInterrupted},
			wantLevel: "WARN",
			wantMsg:   "event delivery failed, retrying",
			want: map[string]any{
				"attempt": int64(5), "retry_in": int64(0), "reason": "interrupted", "error": errUnavailable.Error(),
			},
		},
		{
			name:      "retry carries the extra fields after its own",
			attempt:   delivery.DefaultRetryPolicy().Decide(movie, 1, errUnavailable),
			extra:     extra,
			wantLevel: "WARN",
			wantMsg:   "event delivery failed, retrying",
			want: map[string]any{
				"attempt": int64(1), "retry_in": int64(time.Second), "error": errUnavailable.Error(),
				"bus": "outbox", "delivery": int64(7),
			},
		},
		{
			name:      "permanent give-up is an ERROR with attempts, reason and error",
			attempt:   delivery.DefaultRetryPolicy().Decide(movie, 1, errNotFound),
			wantLevel: "ERROR",
			wantMsg:   "event delivery gave up",
			want: map[string]any{
				"attempts": int64(1), "reason": "permanent", "error": errNotFound.Error(),
				"attempt": nil, "retry_in": nil,
			},
		},
		{
			name:      "exhausted give-up carries the extra fields",
			attempt:   delivery.DefaultRetryPolicy().Decide(review, 4, errUnavailable),
			extra:     extra,
			wantLevel: "ERROR",
			wantMsg:   "event delivery gave up",
			want: map[string]any{
				"attempts": int64(4), "reason": "exhausted", "error": errUnavailable.Error(),
				"bus": "outbox", "delivery": int64(7),
			},
		},
		{
			name:      "cancelled give-up without an error logs an empty error",
			attempt:   delivery.Attempt{Event: review, Number: 2, Outcome: delivery.OutcomeDead, Reason: delivery.ReasonCancelled},
			wantLevel: "ERROR",
			wantMsg:   "event delivery gave up",
			want:      map[string]any{"attempts": int64(2), "reason": "cancelled", "error": ""},
		},
		{
			name:      "give-up is logged by a logger at ERROR",
			attempt:   delivery.DefaultRetryPolicy().Decide(movie, 4, errUnavailable),
			level:     slog.LevelError,
			wantLevel: "ERROR",
			wantMsg:   "event delivery gave up",
			want:      map[string]any{"attempts": int64(4), "reason": "exhausted"},
		},
		{
			name:    "retry is not logged by a logger at ERROR",
			attempt: delivery.DefaultRetryPolicy().Decide(movie, 1, errUnavailable),
			level:   slog.LevelError,
		},
		{
			name:    "success is not logged",
			attempt: delivery.DefaultRetryPolicy().Decide(review, 1, nil),
			extra:   extra,
		},
		{
			name:    "an attempt without an event is not logged",
			attempt: delivery.Attempt{Number: 1, Err: errNotFound, Outcome: delivery.OutcomeDead, Reason: delivery.ReasonPermanent},
		},
		{
			name:    "an attempt without an outcome is not logged",
			attempt: delivery.Attempt{Event: review, Number: 1, Err: errNotFound},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logger, sink := newLogger(tt.level)
			delivery.LogAttempt(context.Background(), logger, tt.attempt, tt.extra...)
			lines := sink.Lines(t)
			if tt.wantLevel == "" {
				if len(lines) != 0 {
					t.Errorf("logged %v, want nothing", lines)
				}
				return
			}
			if len(lines) != 1 {
				t.Fatalf("logged %d lines, want 1: %v", len(lines), lines)
			}
			l := lines[0]
			if got := l.str(t, "level"); got != tt.wantLevel {
				t.Errorf("level = %q, want %q", got, tt.wantLevel)
			}
			if got := l.str(t, "msg"); got != tt.wantMsg {
				t.Errorf("msg = %q, want %q", got, tt.wantMsg)
			}
			checkEventFields(t, l, tt.attempt.Event)
			for k, want := range tt.want {
				switch want := want.(type) {
				case nil:
					if v, has := l[k]; has {
						t.Errorf("%s = %v, want it absent", k, v)
					}
				case string:
					if got := l.str(t, k); got != want {
						t.Errorf("%s = %q, want %q", k, got, want)
					}
				case int64:
					if got := l.int(t, k); got != want {
						t.Errorf("%s = %d, want %d", k, got, want)
					}
				}
			}
		})
	}
}

func TestLogAttemptExtraDoesNotLeakBetweenCalls(t *testing.T) {
	t.Parallel()
	// EventAttrs hands out spare capacity; appending the extras of one
	// call must not show up in another's line.
	e := MustReviewLogged(t)
	logger, sink := newLogger(slog.LevelInfo)
	a := delivery.DefaultRetryPolicy().Decide(e, 1, errUnavailable)
	delivery.LogAttempt(context.Background(), logger, a, slog.String("first", "x"))
	delivery.LogAttempt(context.Background(), logger, a, slog.String("second", "y"))
	lines := sink.Lines(t)
	if len(lines) != 2 {
		t.Fatalf("logged %d lines, want 2", len(lines))
	}
	if _, has := lines[1]["first"]; has {
		t.Errorf("second line carries the first call's extra field: %v", lines[1])
	}
	if _, has := lines[0]["second"]; has {
		t.Errorf("first line carries the second call's extra field: %v", lines[0])
	}
}
