// Command mixedload checks moviediary's cache of public reads under a
// mixed load (scripts/bench-http.sh): two server processes, A and B, on
// one PostgreSQL database; several writers sign in on A (POST
// /api/auth/login) and log reviews there (POST /api/reviews, a stored
// movie, watched_at = now, so each new review is the newest entry of its
// writer and of the whole diary); the other requests read the public
// pages, from A or B at random:
//
//	GET /api/diary                          the whole diary's first page (JSON)
//	GET /diary                              the same as HTML
//	GET /feed.rss                           the RSS feed
//	GET /users/{id}                         a writer's page (HTML)
//	GET /api/diary?user_id={id}&limit=1     a writer's newest entry (JSON)
//
// Some reads revalidate (If-None-Match with the ETag the same connection
// was given before; a 304 stands for that earlier answer).
//
// Every read that started at least the bound after a write was
// acknowledged must show that write or a later one: bound 0 on A (read
// your writes), 100 ms on B (the change reaches the other process through
// the database). A JSON page shows it when its first entry is that entry
// or a newer one; an HTML or RSS page, whose text does not name reviews,
// is judged by its body: a body either process had already given for that
// page before the write was sent is stale. A strong ETag given twice for
// a page by one process must come with the same body. See checker for the
// exact rules.
//
// With -hello (the baseline's GET /hello), it first loads that constant
// answer with the same client and connections: the mixed load's reads/s
// are compared with that, not with another tool's figure.
//
// It prints requests/s of reads and writes, read latencies, and per
// process how many reads were checked and how many were stale, then a
// machine-readable RESULT line. It exits 1 when any read was stale, an
// ETag named two bodies, or any request failed.
//
// Usage:
//
//	mixedload -a http://127.0.0.1:3201 -b http://127.0.0.1:3204 \
//	    -writers w1@example.com,w2@example.com -password … -imdb-ids tt00000001,tt00000002 \
//	    -hello http://127.0.0.1:3203/hello
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "mixedload:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	h, err := load(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s := summarize(cfg, h)
	s.print(os.Stdout, cfg)
	if err := s.err(); err != nil {
		fmt.Fprintln(os.Stderr, "mixedload:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("mixedload", flag.ContinueOnError)
	a := fs.String("a", "", "base URL of process A (takes the writes; bound -bound-a)")
	b := fs.String("b", "", "base URL of process B (same database; bound -bound-b)")
	boundA := fs.Duration("bound-a", 0, "how soon after a write is acknowledged A must show it")
	boundB := fs.Duration("bound-b", 100*time.Millisecond, "how soon after a write is acknowledged B must show it")
	writers := fs.String("writers", "", "comma-separated emails of the writers' accounts")
	password := fs.String("password", "", "the writers' password (or MIXEDLOAD_PASSWORD)")
	imdb := fs.String("imdb-ids", "tt00000001", "comma-separated IMDb IDs of stored movies to log")
	duration := fs.Duration("duration", 15*time.Second, "how long to load")
	conns := fs.Int("c", 32, "connections (concurrent requests)")
	writeFraction := fs.Float64("write-fraction", 0.05, "fraction of requests that are writes")
	revalidate := fs.Float64("revalidate", 0.25, "fraction of reads sent with If-None-Match when an ETag is known")
	timeout := fs.Duration("timeout", 10*time.Second, "timeout of each request")
	hello := fs.String("hello", "", "URL of a constant answer (the baseline's /hello) to load first with the same client, as the yardstick of reads/s")
	helloDuration := fs.Duration("hello-duration", 5*time.Second, "how long to load -hello")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "seed of the random choice of requests")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	cfg := config{
		Targets: [2]string{strings.TrimRight(*a, "/"), strings.TrimRight(*b, "/")},
		Bounds:  [2]time.Duration{*boundA, *boundB},
		Emails:  splitList(*writers), Password: *password, IMDbIDs: splitList(*imdb),
		Duration: *duration, Concurrency: *conns, WriteFraction: *writeFraction, Revalidate: *revalidate,
		Timeout: *timeout, Seed: *seed, Hello: *hello, HelloDuration: *helloDuration,
	}
	if cfg.Password == "" {
		cfg.Password = os.Getenv("MIXEDLOAD_PASSWORD")
	}
	var problems []string
	if cfg.Targets[0] == "" || cfg.Targets[1] == "" {
		problems = append(problems, "-a and -b are required")
	}
	if len(cfg.Emails) == 0 || cfg.Password == "" {
		problems = append(problems, "-writers and -password are required")
	}
	if len(cfg.IMDbIDs) == 0 {
		problems = append(problems, "-imdb-ids must name a movie")
	}
	if cfg.Duration <= 0 || cfg.Concurrency < 1 || cfg.Timeout <= 0 || cfg.Bounds[0] < 0 || cfg.Bounds[1] < 0 || cfg.HelloDuration <= 0 {
		problems = append(problems, "-duration, -c and -timeout must be positive, the bounds not negative")
	}
	if cfg.WriteFraction <= 0 || cfg.WriteFraction >= 1 || cfg.Revalidate < 0 || cfg.Revalidate > 1 {
		problems = append(problems, "-write-fraction must be in (0, 1), -revalidate in [0, 1]")
	}
	if len(problems) > 0 {
		return config{}, errors.New(strings.Join(problems, "; "))
	}
	return cfg, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// processNames names the two targets in the report.
var processNames = [2]string{"A", "B"}

// summary is what a run found.
type summary struct {
	Elapsed     time.Duration
	HelloRPS    float64 // the yardstick's requests/s (0 without one)
	HelloP50    time.Duration
	HelloP99    time.Duration
	Reads       int
	NotModified int
	ReadP50     time.Duration
	ReadP99     time.Duration
	Writes      int
	WriteP50    time.Duration
	WriteP99    time.Duration
	Failed      int
	Errors      []string
	Process     [2]processSummary
	Kinds       [pageKinds]kindSummary
	Examples    []string // the first stale reads, described
	// ETagConflicts: reads given an ETag their process had given for the
	// same page with another body.
	ETagConflicts int
}

// processSummary is one target's share.
type processSummary struct {
	Reads   int
	P50     time.Duration
	P99     time.Duration
	Checked int
	Stale   int
	// Behind: reads that missed an acknowledged write but were within
	// the bound; MaxLag the longest such miss seen (stale ones included).
	Behind int
	MaxLag time.Duration
}

// kindSummary is one page kind's share.
type kindSummary struct {
	Reads   int
	P50     time.Duration
	P99     time.Duration
	Checked int
	Stale   int
}

// maxExamples bounds the stale reads described in full.
const maxExamples = 10

func summarize(cfg config, h *history) summary {
	s := summary{Elapsed: h.Elapsed, HelloP50: percentile(h.Hello.Lat, 50), HelloP99: percentile(h.Hello.Lat, 99), Reads: len(h.Reads), Writes: len(h.Writes), Failed: h.Failed, Errors: h.Errors}
	if h.Hello.Elapsed > 0 {
		s.HelloRPS = float64(h.Hello.Requests) / h.Hello.Elapsed.Seconds()
	}
	c := newChecker(h.Writes, h.Reads)
	s.ETagConflicts = c.ETagConflicts
	all := make([]time.Duration, 0, len(h.Reads))
	var byProcess [2][]time.Duration
	var byKind [pageKinds][]time.Duration
	for _, r := range h.Reads {
		lat := r.End - r.Start
		all = append(all, lat)
		byProcess[r.Target] = append(byProcess[r.Target], lat)
		byKind[r.Page.Kind] = append(byKind[r.Page.Kind], lat)
		if r.Status == 304 {
			s.NotModified++
		}
		p, k := &s.Process[r.Target], &s.Kinds[r.Page.Kind]
		v := c.judge(r, cfg.Bounds[r.Target])
		if v.Checked {
			p.Checked++
			k.Checked++
		}
		if v.Stale {
			p.Stale++
			k.Stale++
			if len(s.Examples) < maxExamples {
				s.Examples = append(s.Examples, describeStale(c, r, cfg.Bounds[r.Target], h.UserIDs))
			}
		}
		if lag := c.lag(r); lag > 0 {
			if !v.Stale {
				p.Behind++
			}
			p.MaxLag = max(p.MaxLag, lag)
		}
	}
	s.ReadP50, s.ReadP99 = percentile(all, 50), percentile(all, 99)
	for t := range byProcess {
		s.Process[t].Reads = len(byProcess[t])
		s.Process[t].P50, s.Process[t].P99 = percentile(byProcess[t], 50), percentile(byProcess[t], 99)
	}
	for k := range byKind {
		s.Kinds[k].Reads = len(byKind[k])
		s.Kinds[k].P50, s.Kinds[k].P99 = percentile(byKind[k], 50), percentile(byKind[k], 99)
	}
	s.WriteP50, s.WriteP99 = percentile(h.WriteLat, 50), percentile(h.WriteLat, 99)
	return s
}

// describeStale says what a stale read showed and what it should have.
func describeStale(c *checker, r readRecord, bound time.Duration, userIDs []string) string {
	g, n := c.due(r.Page, r.Start-bound)
	w := g.writes[n-1]
	shown := fmt.Sprintf("a body (ETag %s) given before that write was sent", r.ETag)
	if r.Page.isJSON() {
		shown = "no entry"
		if r.HasNewest {
			shown = fmt.Sprintf("newest %s %s", r.Newest.ID, r.Newest.WatchedAt)
		}
	}
	return fmt.Sprintf("%s %s (status %d) started %v after the run began, %v after write %s of user %s was acknowledged (bound %v); it showed %s",
		processNames[r.Target], r.Page.path(userIDs), r.Status, r.Start.Round(time.Microsecond),
		(r.Start - w.Acked).Round(time.Microsecond), w.Key.ID, userIDs[w.User], bound, shown)
}

// percentile returns the p-th percentile (nearest rank) of ds, sorting ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(float64(len(ds))*p/100+0.5) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

// err is the run's failure, if any: stale reads or failed requests.
func (s summary) err() error {
	var problems []string
	for t, p := range s.Process {
		if p.Stale > 0 {
			problems = append(problems, fmt.Sprintf("%d stale reads from %s", p.Stale, processNames[t]))
		}
	}
	if s.Failed > 0 {
		problems = append(problems, fmt.Sprintf("%d failed requests, the first: %s", s.Failed, strings.Join(s.Errors, "; ")))
	}
	if s.ETagConflicts > 0 {
		problems = append(problems, fmt.Sprintf("%d reads carried an ETag given before for another body", s.ETagConflicts))
	}
	if s.Writes == 0 {
		problems = append(problems, "no write was acknowledged, so nothing was checked")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (s summary) print(w io.Writer, cfg config) {
	sec := s.Elapsed.Seconds()
	fmt.Fprintf(w, "mixed load: %v, %d connections, %.0f%% writes by %d writers on A, reads from A and B (%.0f%% revalidating)\n",
		s.Elapsed.Round(time.Millisecond), cfg.Concurrency, cfg.WriteFraction*100, len(cfg.Emails), cfg.Revalidate*100)
	fmt.Fprintf(w, "A=%s B=%s\n", cfg.Targets[0], cfg.Targets[1])
	if s.HelloRPS > 0 {
		fmt.Fprintf(w, "yardstick %s first, same client: %.1f/s, p50 %.2f ms, p99 %.2f ms; the mixed load's reads/s are %.2f× that\n",
			cfg.Hello, s.HelloRPS, ms(s.HelloP50), ms(s.HelloP99), float64(s.Reads)/sec/s.HelloRPS)
	}
	fmt.Fprintf(w, "reads:  %d, %.1f/s, p50 %.2f ms, p99 %.2f ms, %d answered 304\n", s.Reads, float64(s.Reads)/sec, ms(s.ReadP50), ms(s.ReadP99), s.NotModified)
	fmt.Fprintf(w, "writes: %d, %.1f/s, p50 %.2f ms, p99 %.2f ms\n", s.Writes, float64(s.Writes)/sec, ms(s.WriteP50), ms(s.WriteP99))
	for t, p := range s.Process {
		fmt.Fprintf(w, "process %s (bound %v): %d reads, p50 %.2f ms, p99 %.2f ms; %d checked, %d stale, %d behind within the bound, longest miss %.1f ms\n",
			processNames[t], cfg.Bounds[t], p.Reads, ms(p.P50), ms(p.P99), p.Checked, p.Stale, p.Behind, ms(p.MaxLag))
	}
	for k, ks := range s.Kinds {
		fmt.Fprintf(w, "  %-38s %7d reads, p50 %6.2f ms, p99 %7.2f ms, %6d checked, %d stale\n",
			pageKind(k), ks.Reads, ms(ks.P50), ms(ks.P99), ks.Checked, ks.Stale)
	}
	if s.ETagConflicts > 0 {
		fmt.Fprintf(w, "ETag conflicts: %d reads carried an ETag given before for another body of the same page\n", s.ETagConflicts)
	}
	for _, e := range s.Examples {
		fmt.Fprintln(w, "stale:", e)
	}
	for _, e := range s.Errors {
		fmt.Fprintln(w, "failed:", e)
	}
	fmt.Fprintf(w, "RESULT hello_rps=%.1f hello_p50=%.2f hello_p99=%.2f reads=%d read_rps=%.1f read_p50=%.2f read_p99=%.2f not_modified=%d writes=%d write_rps=%.1f write_p50=%.2f write_p99=%.2f"+
		" checked_a=%d stale_a=%d behind_a=%d lag_a=%.1f checked_b=%d stale_b=%d behind_b=%d lag_b=%.1f etag_conflicts=%d errors=%d\n",
		s.HelloRPS, ms(s.HelloP50), ms(s.HelloP99), s.Reads, float64(s.Reads)/sec, ms(s.ReadP50), ms(s.ReadP99), s.NotModified, s.Writes, float64(s.Writes)/sec, ms(s.WriteP50), ms(s.WriteP99),
		s.Process[0].Checked, s.Process[0].Stale, s.Process[0].Behind, ms(s.Process[0].MaxLag),
		s.Process[1].Checked, s.Process[1].Stale, s.Process[1].Behind, ms(s.Process[1].MaxLag), s.ETagConflicts, s.Failed)
}
