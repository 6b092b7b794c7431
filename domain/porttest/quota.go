package porttest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// quotaWindow is the suite's first window: a whole day in UTC.
var quotaWindow = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// TestQuotaCounter runs the QuotaCounter contract. newCounter must return
// a new, empty counter each time; it is called once per subtest.
//
// The suite pins that TakeQuota counts up to limit uses and then refuses
// without counting, that QuotaUsed reports the count (0 for a window never
// used), that names and windows count apart, and that concurrent takes
// never count past the limit nor lose a take.
func TestQuotaCounter(t *testing.T, newCounter func(t *testing.T) domain.QuotaCounter) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, q domain.QuotaCounter)
	}{
		{"TakeQuota takes up to the limit, then refuses", testQuotaLimit},
		{"names and windows count apart", testQuotaApart},
		{"concurrent takes never pass the limit", testQuotaConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newCounter(t))
		})
	}
}

func mustTake(t *testing.T, q domain.QuotaCounter, name string, window time.Time, limit int, want bool) {
	t.Helper()
	got, err := q.TakeQuota(t.Context(), name, window, limit)
	if err != nil {
		t.Fatalf("TakeQuota(%q, %s, %d): %v", name, window.Format(time.RFC3339), limit, err)
	}
	if got != want {
		t.Errorf("TakeQuota(%q, %s, %d) = %v, want %v", name, window.Format(time.RFC3339), limit, got, want)
	}
}

func checkQuotaUsed(t *testing.T, q domain.QuotaCounter, name string, window time.Time, want int) {
	t.Helper()
	got, err := q.QuotaUsed(t.Context(), name, window)
	if err != nil {
		t.Fatalf("QuotaUsed(%q, %s): %v", name, window.Format(time.RFC3339), err)
	}
	if got != want {
		t.Errorf("QuotaUsed(%q, %s) = %d, want %d", name, window.Format(time.RFC3339), got, want)
	}
}

func testQuotaLimit(t *testing.T, q domain.QuotaCounter) {
	checkQuotaUsed(t, q, "omdb", quotaWindow, 0)
	for i := range 3 {
		mustTake(t, q, "omdb", quotaWindow, 3, true)
		checkQuotaUsed(t, q, "omdb", quotaWindow, i+1)
	}
	mustTake(t, q, "omdb", quotaWindow, 3, false)
	mustTake(t, q, "omdb", quotaWindow, 3, false)
	checkQuotaUsed(t, q, "omdb", quotaWindow, 3)
	// A raised limit allows more; a lowered one nothing.
	mustTake(t, q, "omdb", quotaWindow, 4, true)
	mustTake(t, q, "omdb", quotaWindow, 2, false)
	checkQuotaUsed(t, q, "omdb", quotaWindow, 4)
	// A limit of zero allows nothing.
	mustTake(t, q, "omdb", quotaWindow.Add(24*time.Hour), 0, false)
	checkQuotaUsed(t, q, "omdb", quotaWindow.Add(24*time.Hour), 0)
}

func testQuotaApart(t *testing.T, q domain.QuotaCounter) {
	next := quotaWindow.Add(24 * time.Hour)
	hour := quotaWindow.Add(time.Hour)
	mustTake(t, q, "omdb", quotaWindow, 1, true)
	mustTake(t, q, "omdb", quotaWindow, 1, false)
	mustTake(t, q, "omdb", next, 1, true)
	mustTake(t, q, "omdb", hour, 2, true)
	mustTake(t, q, "tmdb", quotaWindow, 1, true)
	mustTake(t, q, "OMDB", quotaWindow, 1, true)
	mustTake(t, q, "omdb-rate", quotaWindow, 5, true)
	checkQuotaUsed(t, q, "omdb", quotaWindow, 1)
	checkQuotaUsed(t, q, "omdb", next, 1)
	checkQuotaUsed(t, q, "omdb", hour, 1)
	checkQuotaUsed(t, q, "tmdb", quotaWindow, 1)
	checkQuotaUsed(t, q, "omdb-rate", quotaWindow, 1)
	checkQuotaUsed(t, q, "omdb", quotaWindow.Add(-24*time.Hour), 0)
	checkQuotaUsed(t, q, "unused", quotaWindow, 0)
	// The same instant in another zone is the same window.
	checkQuotaUsed(t, q, "omdb", next.In(time.FixedZone("UTC+2", 2*60*60)), 1)
}

func testQuotaConcurrent(t *testing.T, q domain.QuotaCounter) {
	const goroutines, each, limit = 10, 8, 50
	var taken atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for range each {
				ok, err := q.TakeQuota(t.Context(), "omdb", quotaWindow, limit)
				if err != nil {
					t.Errorf("goroutine %d: TakeQuota: %v", g, err)
					return
				}
				if ok {
					taken.Add(1)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if taken.Load() != limit {
		t.Errorf("%d of %d concurrent takes succeeded, want exactly the limit %d", taken.Load(), goroutines*each, limit)
	}
	checkQuotaUsed(t, q, "omdb", quotaWindow, limit)
}
