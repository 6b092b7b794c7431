package memory

import (
	"context"
	"sync"
	"time"

	"github.com/moviediary/moviediary/domain"
)

var _ domain.QuotaCounter = (*QuotaCounter)(nil)

// QuotaCounter is an in-memory domain.QuotaCounter: its counts last as
// long as the process. The zero value is ready to use.
type QuotaCounter struct {
	mu   sync.Mutex
	used map[quotaKey]int
}

// quotaKey is a window of a name; the window as UTC nanoseconds, so the
// same instant in any zone is one window.
type quotaKey struct {
	name   string
	window int64
}

// NewQuotaCounter returns a counter with nothing counted.
func NewQuotaCounter() *QuotaCounter { return &QuotaCounter{} }

// TakeQuota counts one use of name in window unless limit are counted.
func (q *QuotaCounter) TakeQuota(_ context.Context, name string, window time.Time, limit int) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := quotaKey{name, window.UnixNano()}
	if q.used[k] >= limit {
		return false, nil
	}
	if q.used == nil {
		q.used = make(map[quotaKey]int)
	}
	q.used[k]++
	return true, nil
}

// QuotaUsed returns the uses of name counted in window.
func (q *QuotaCounter) QuotaUsed(_ context.Context, name string, window time.Time) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.used[quotaKey{name, window.UnixNano()}], nil
}
