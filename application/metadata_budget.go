package application

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// metadataQuota is the name the metadata source's requests are counted
// under in the domain.QuotaCounter.
const metadataQuota = "omdb"

// defaultBudgetWindow is MetadataBudgetConfig.Window's default.
const defaultBudgetWindow = 24 * time.Hour

// MetadataBudgetConfig is the budget of a metadata source.
type MetadataBudgetConfig struct {
	// Limit is how many requests every process together may make per
	// Window (OMDB_DAILY_LIMIT); 0 means no limit.
	Limit int
	// Window is the quota's window (OMDB_LIMIT_WINDOW); 0 means 24h.
	// Windows are aligned to the Unix epoch: 24h windows are UTC days.
	Window time.Duration
	// Rate is how many requests per second this process makes at most
	// (OMDB_RATE); 0 means no limit.
	Rate float64
}

// MetadataBudget is a domain.MetadataClient that keeps another within a
// budget: each call waits its turn for the configured rate (ctx bounds
// the wait), then takes one unit of the window's quota, shared by every
// process through a domain.QuotaCounter. When the quota is spent the call
// fails with a *domain.DeferredError until the next window, without
// calling the source.
type MetadataBudget struct {
	inner domain.MetadataClient
	quota domain.QuotaCounter
	cfg   MetadataBudgetConfig
	now   func() time.Time

	// interval is the time between two requests at cfg.Rate; 0 for none.
	interval time.Duration
	mu       sync.Mutex
	// next is when the next request may go.
	next time.Time
	// spent is the start of a window whose quota was found spent.
	spent time.Time

	deferred, requests atomic.Uint64
}

var _ domain.MetadataClient = (*MetadataBudget)(nil)

// NewMetadataBudget returns inner kept within cfg's budget, counting its
// requests in quota (which may be nil when cfg.Limit is 0). A nil now
// means time.Now. Negative limits are refused.
func NewMetadataBudget(inner domain.MetadataClient, quota domain.QuotaCounter, cfg MetadataBudgetConfig, now func() time.Time) (*MetadataBudget, error) {
	deps := []dependency{{"inner", inner}}
	if cfg.Limit > 0 {
		deps = append(deps, dependency{"quota", quota})
	}
	if err := checkDependencies("MetadataBudget", deps...); err != nil {
		return nil, err
	}
	var v domain.Validation
	if cfg.Limit < 0 {
		v.Add("OMDB_DAILY_LIMIT", "must not be negative")
	}
	if cfg.Window < 0 {
		v.Add("OMDB_LIMIT_WINDOW", "must not be negative")
	}
	if cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0) {
		v.Add("OMDB_RATE", "must be a number, not negative")
	}
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("metadata budget: %w", err)
	}
	if cfg.Window == 0 {
		cfg.Window = defaultBudgetWindow
	}
	if now == nil {
		now = time.Now
	}
	b := &MetadataBudget{inner: inner, quota: quota, cfg: cfg, now: now}
	if cfg.Rate > 0 {
		b.interval = max(time.Duration(float64(time.Second)/cfg.Rate), 1)
	}
	return b, nil
}

// MetadataByExternalID is the inner client's, within the budget.
func (b *MetadataBudget) MetadataByExternalID(ctx context.Context, id domain.ExternalMetadataID) (domain.MovieMetadata, error) {
	if err := b.take(ctx); err != nil {
		return domain.MovieMetadata{}, err
	}
	return b.inner.MetadataByExternalID(ctx, id)
}

// SearchMetadata is the inner client's, within the budget.
func (b *MetadataBudget) SearchMetadata(ctx context.Context, title domain.MovieTitle, year domain.ReleaseYear) (domain.MovieMetadata, error) {
	if err := b.take(ctx); err != nil {
		return domain.MovieMetadata{}, err
	}
	return b.inner.SearchMetadata(ctx, title, year)
}

// PosterURL is the inner client's, within the budget.
func (b *MetadataBudget) PosterURL(ctx context.Context, id domain.ExternalMetadataID) (domain.PosterURL, error) {
	if err := b.take(ctx); err != nil {
		return domain.PosterURL{}, err
	}
	return b.inner.PosterURL(ctx, id)
}

// MetadataBudgetStats is how a MetadataBudget stands.
type MetadataBudgetStats struct {
	// Limit is the requests allowed per window; 0 means no limit.
	Limit int
	// Used counts the requests of the current window, every process
	// together (0 when there is no limit: nothing is counted).
	Used int
	// Deferred counts the calls refused since start, the quota spent.
	Deferred uint64
	// Requests counts the calls passed to the source since start.
	Requests uint64
}

// Stats returns the budget's limit and use.
func (b *MetadataBudget) Stats(ctx context.Context) (MetadataBudgetStats, error) {
	s := MetadataBudgetStats{Limit: b.cfg.Limit, Deferred: b.deferred.Load(), Requests: b.requests.Load()}
	if b.cfg.Limit == 0 {
		return s, nil
	}
	used, err := b.quota.QuotaUsed(ctx, metadataQuota, b.window(b.now()))
	if err != nil {
		return s, fmt.Errorf("metadata budget: quota used: %w", err)
	}
	s.Used = used
	return s, nil
}

// take waits for the rate and takes a unit of the quota: nil when the
// call may go to the source.
func (b *MetadataBudget) take(ctx context.Context) error {
	if err := b.wait(ctx); err != nil {
		return err
	}
	if b.cfg.Limit > 0 {
		window := b.window(b.now())
		b.mu.Lock()
		spent := b.spent.Equal(window)
		b.mu.Unlock()
		if !spent {
			taken, err := b.quota.TakeQuota(ctx, metadataQuota, window, b.cfg.Limit)
			if err != nil {
				return fmt.Errorf("metadata budget: take quota: %w", err)
			}
			if !taken {
				b.mu.Lock()
				b.spent = window
				b.mu.Unlock()
				spent = true
			}
		}
		if spent {
			b.deferred.Add(1)
			return &domain.DeferredError{
				Until:  window.Add(b.cfg.Window),
				Reason: fmt.Sprintf("the metadata budget of %d requests per %s is spent", b.cfg.Limit, b.cfg.Window),
			}
		}
	}
	b.requests.Add(1)
	return nil
}

// errRateWait is the error of a call whose context ends before its turn
// for the rate comes.
var errRateWait = fmt.Errorf("%w: the metadata request rate leaves no turn before the context ends", domain.ErrUnavailable)

// wait waits for this call's turn at cfg.Rate: turns are interval apart
// and given out in call order. A context that ends (or whose deadline
// falls) before the turn gives an error wrapping domain.ErrUnavailable and
// the context's error, and hands the turn back when no later call took
// one.
func (b *MetadataBudget) wait(ctx context.Context) error {
	if b.interval == 0 {
		return ctx.Err()
	}
	b.mu.Lock()
	now := b.now()
	turn := b.next
	if turn.Before(now) {
		turn = now
	}
	delay := turn.Sub(now)
	if deadline, ok := ctx.Deadline(); ok && deadline.Before(time.Now().Add(delay)) {
		b.mu.Unlock()
		return fmt.Errorf("%w: %w", errRateWait, context.DeadlineExceeded)
	}
	b.next = turn.Add(b.interval)
	b.mu.Unlock()
	if delay <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		if b.next.Equal(turn.Add(b.interval)) {
			b.next = turn
		}
		b.mu.Unlock()
		return fmt.Errorf("%w: %w", errRateWait, ctx.Err())
	}
}

// window returns the start of the quota window t lies in: windows are
// cfg.Window long, aligned to the Unix epoch.
func (b *MetadataBudget) window(t time.Time) time.Time {
	w := int64(b.cfg.Window)
	ns := t.UnixNano()
	start := ns - ns%w
	if ns%w < 0 {
		start -= w
	}
	return time.Unix(0, start).UTC()
}
