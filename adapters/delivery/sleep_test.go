package delivery_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/moviediary/moviediary/adapters/delivery"
)

func TestSleep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		d    time.Duration
		// ctx builds the context Sleep waits under; cancel, when not
		// nil, runs after cancelAfter of fake time.
		ctx         func() (context.Context, context.CancelFunc)
		cancelAfter time.Duration
		wantErr     error
		wantElapsed time.Duration
	}{
		{
			name:        "waits the whole duration",
			d:           3 * time.Second,
			ctx:         func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			wantElapsed: 3 * time.Second,
		},
		{
			name: "zero duration returns at once",
			ctx:  func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
		},
		{
			name: "negative duration returns at once",
			d:    -time.Second,
			ctx:  func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
		},
		{
			name: "a done context wins over a zero duration",
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx, cancel
			},
			wantErr: context.Canceled,
		},
		{
			name: "a done context returns before waiting",
			d:    time.Hour,
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx, cancel
			},
			wantErr: context.Canceled,
		},
		{
			name:        "cancellation cuts the wait short",
			d:           time.Hour,
			ctx:         func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			cancelAfter: 2 * time.Second,
			wantErr:     context.Canceled,
			wantElapsed: 2 * time.Second,
		},
		{
			name: "a deadline before the end cuts the wait short",
			d:    time.Minute,
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 5*time.Second)
			},
			wantErr:     context.DeadlineExceeded,
			wantElapsed: 5 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := tt.ctx()
				defer cancel()
				if tt.cancelAfter > 0 {
					time.AfterFunc(tt.cancelAfter, cancel)
				}
				start := time.Now()
				err := delivery.Sleep(ctx, tt.d)
				if !errors.Is(err, tt.wantErr) { // errors.Is(err, nil) is err == nil
					t.Errorf("Sleep = %v, want %v", err, tt.wantErr)
				}
				if elapsed := time.Since(start); elapsed != tt.wantElapsed {
					t.Errorf("Sleep took %v, want %v", elapsed, tt.wantElapsed)
				}
			})
		})
	}
}
