package presentation

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// Metrics holds the server's Prometheus collectors, in a registry of its
// own so several servers (tests, embedders) never collide.
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// byRequest holds the two series of each (method, route, status)
	// seen, a requestSeries under a requestLabels: a few dozen, looked up
	// once per request without formatting the status.
	byRequest        sync.Map
	eventsPublished  *prometheus.CounterVec
	eventsHandled    *prometheus.CounterVec
	posterSyncResult *prometheus.CounterVec
	eventsDead       *prometheus.CounterVec
	importRows       *prometheus.CounterVec
	importJobs       *prometheus.CounterVec
}

// NewMetrics registers every collector, plus the Go runtime and process
// collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moviediary_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "moviediary_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by method and route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
		eventsPublished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moviediary_events_published_total",
			Help: "Domain events published, by event name.",
		}, []string{"event"}),
		eventsHandled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moviediary_events_handled_total",
			Help: "Event deliveries to handlers, by event, handler and result (ok or error).",
		}, []string{"event", "handler", "result"}),
		posterSyncResult: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moviediary_poster_sync_attempts_total",
			Help: "Poster sync attempts, by result (success, retry, failure).",
		}, []string{"result"}),
		eventsDead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moviediary_events_dead_total",
			Help: "Events parked as dead in the outbox after their last attempt, by event name.",
		}, []string{"event"}),
		importRows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moviediary_import_rows_total",
			Help: "Rows of import jobs stored, by result (imported, or already_present when an earlier import or the diary held them).",
		}, []string{"result"}),
		importJobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moviediary_import_jobs_total",
			Help: "Import jobs that ended, by state (done or failed).",
		}, []string{"state"}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.eventsPublished, m.eventsHandled, m.posterSyncResult, m.eventsDead, m.importRows, m.importJobs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// EventPublished counts one published event.
func (m *Metrics) EventPublished(name domain.EventName) {
	m.eventsPublished.WithLabelValues(string(name)).Inc()
}

// EventHandled counts one delivery of an event to a handler.
func (m *Metrics) EventHandled(name domain.EventName, handler string, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.eventsHandled.WithLabelValues(string(name), handler, result).Inc()
}

// PosterSyncAttempt counts one poster sync attempt: "success", "retry"
// (failed, will be tried again) or "failure" (failed, given up).
func (m *Metrics) PosterSyncAttempt(result string) {
	m.posterSyncResult.WithLabelValues(result).Inc()
}

// EventDead counts one event parked as dead.
func (m *Metrics) EventDead(name domain.EventName) {
	m.eventsDead.WithLabelValues(string(name)).Inc()
}

// ImportRows counts n rows of an import stored with result "imported" or
// "already_present".
func (m *Metrics) ImportRows(result string, n int) {
	m.importRows.WithLabelValues(result).Add(float64(n))
}

// ImportJobEnded counts one import job that ended in state.
func (m *Metrics) ImportJobEnded(state domain.ImportState) {
	m.importJobs.WithLabelValues(string(state)).Inc()
}

// WatchMetadataBudget exports the OMDb budget, read by calling stats once
// at each scrape (bounded to 2s; a failed read keeps the last values):
// moviediary_omdb_budget_used and moviediary_omdb_budget_limit (gauges:
// the requests counted in the current window and the most it allows, 0
// for no limit), moviediary_omdb_requests_total and
// moviediary_omdb_requests_deferred_total (counters: requests made, and
// requests refused because the budget was spent, by this process). Call it
// at most once.
func (m *Metrics) WatchMetadataBudget(stats func(ctx context.Context) (application.MetadataBudgetStats, error)) {
	m.registry.MustRegister(&budgetCollector{stats: stats})
}

var (
	budgetUsedDesc = prometheus.NewDesc("moviediary_omdb_budget_used",
		"OMDb requests counted in the budget's current window, by every process sharing the database.", nil, nil)
	budgetLimitDesc = prometheus.NewDesc("moviediary_omdb_budget_limit",
		"OMDb requests the budget allows per window (OMDB_DAILY_LIMIT; 0 means no limit).", nil, nil)
	budgetRequestsDesc = prometheus.NewDesc("moviediary_omdb_requests_total",
		"OMDb requests this process made through the budget.", nil, nil)
	budgetDeferredDesc = prometheus.NewDesc("moviediary_omdb_requests_deferred_total",
		"OMDb requests this process did not make because the budget was spent (deferred until it refills).", nil, nil)
)

// budgetCollector reads the budget's statistics once per scrape.
type budgetCollector struct {
	stats func(ctx context.Context) (application.MetadataBudgetStats, error)
	mu    sync.Mutex
	last  application.MetadataBudgetStats
}

func (b *budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- budgetUsedDesc
	ch <- budgetLimitDesc
	ch <- budgetRequestsDesc
	ch <- budgetDeferredDesc
}

func (b *budgetCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := b.stats(ctx)
	b.mu.Lock()
	if err == nil {
		b.last = st
	}
	st = b.last
	b.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(budgetUsedDesc, prometheus.GaugeValue, float64(st.Used))
	ch <- prometheus.MustNewConstMetric(budgetLimitDesc, prometheus.GaugeValue, float64(st.Limit))
	ch <- prometheus.MustNewConstMetric(budgetRequestsDesc, prometheus.CounterValue, float64(st.Requests))
	ch <- prometheus.MustNewConstMetric(budgetDeferredDesc, prometheus.CounterValue, float64(st.Deferred))
}

// WatchOutboxPending exports moviediary_outbox_pending, the events stored
// and not yet delivered (nor dead), sampled by calling count at each
// scrape (bounded to 2s; a failed count keeps the last value). Call it at
// most once.
func (m *Metrics) WatchOutboxPending(count func(ctx context.Context) (int, error)) {
	var mu sync.Mutex
	last := 0.0
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "moviediary_outbox_pending",
		Help: "Events in the outbox neither delivered nor dead, sampled at scrape.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := count(ctx)
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			last = float64(n)
		}
		return last
	}))
}

// WatchCache exports the page cache's counters, read at each scrape:
// moviediary_cache_hits_total, _misses_total, _evictions_total,
// _behind_total, _invalidations_total, and the gauges moviediary_cache_entries,
// _bytes, _max_bytes and _suspended. Call it at most once.
func (m *Metrics) WatchCache(c *PageCache) {
	counter := func(name, help string, v func(CacheStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v(c.Stats())) })
	}
	gauge := func(name, help string, v func(CacheStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return v(c.Stats()) })
	}
	m.registry.MustRegister(
		counter("moviediary_cache_hits_total", "Public reads answered from the page cache.", func(s CacheStats) uint64 { return s.Hits }),
		counter("moviediary_cache_misses_total", "Public reads the page cache did not hold current, read from the database.", func(s CacheStats) uint64 { return s.Misses }),
		counter("moviediary_cache_evictions_total", "Cached answers dropped to stay within CACHE_MAX_BYTES.", func(s CacheStats) uint64 { return s.Evictions }),
		counter("moviediary_cache_behind_total", "Public reads sent to the database, not answered from the page cache, because the change listener's latest read of the store began too long ago (80 ms) to vouch for it.", func(s CacheStats) uint64 { return s.Behind }),
		counter("moviediary_cache_invalidations_total", "Changes that dropped cached answers: events of this process and changes other processes committed.", func(s CacheStats) uint64 { return s.Invalidations }),
		gauge("moviediary_cache_entries", "Answers held by the page cache.", func(s CacheStats) float64 { return float64(s.Entries) }),
		gauge("moviediary_cache_bytes", "Bytes held by the page cache, as it counts them against CACHE_MAX_BYTES.", func(s CacheStats) float64 { return float64(s.Bytes) }),
		gauge("moviediary_cache_max_bytes", "The page cache's bound, CACHE_MAX_BYTES.", func(s CacheStats) float64 { return float64(s.MaxBytes) }),
		gauge("moviediary_cache_suspended", "1 while the page cache is suspended (every read goes to the database) because the changes of other processes cannot be vouched for: the change listener has not read the store in the last 80 ms (at start-up, after it lost its connection, while it stalls).", func(s CacheStats) float64 {
			if s.ListenerBehind {
				return 1
			}
			return 0
		}),
	)
}

// middleware records every request under its route pattern, never the raw
// path, so label cardinality stays bounded.
func (m *Metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" || c.Response().Status == http.StatusNotFound && route == "/*" {
			route = "unmatched"
		}
		m.series(methodLabel(c.Request().Method), route, c.Response().Status).count(time.Since(start))
		return nil
	}
}

// requestLabels are what a request is counted under.
type requestLabels struct {
	method, route string
	status        int
}

// requestSeries are the request counter and the duration histogram of one
// requestLabels.
type requestSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

func (r *requestSeries) count(d time.Duration) {
	r.requests.Inc()
	r.duration.Observe(d.Seconds())
}

// series returns the series of a request: method and route are bounded
// (methodLabel, route patterns) and so is the set of statuses answered.
func (m *Metrics) series(method, route string, status int) *requestSeries {
	k := requestLabels{method, route, status}
	if r, ok := m.byRequest.Load(k); ok {
		return r.(*requestSeries)
	}
	r, _ := m.byRequest.LoadOrStore(k, &requestSeries{
		requests: m.requests.WithLabelValues(method, route, strconv.Itoa(status)),
		duration: m.duration.WithLabelValues(method, route),
	})
	return r.(*requestSeries)
}

// methodLabel keeps the method label bounded: a client may send any token
// as its method, so methods outside the standard set count as "other".
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "other"
}

// OpsHandler serves what a process without the API exposes for operators —
// a `moviediary worker` on METRICS_ADDR: /metrics (m, in the Prometheus
// text format) and /healthz (200 while the process runs); anything else is
// 404.
func OpsHandler(m *Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	return mux
}
