package main_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq"  // the PostgreSQL seed
	_ "modernc.org/sqlite" // the SQLite seed

	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
)

// The benchmarks in this file measure import and export through the real
// binary (docs/bench/import.md): the server runs as its own process, so
// its peak RSS (VmHWM) is read from /proc.

// benchProc is a moviediary serve started for a benchmark.
type benchProc struct {
	cmd    *exec.Cmd
	base   string
	stderr *lockedBuffer
	done   chan struct{}
}

// serveBench starts `moviediary serve` in dir with env on a free port and
// waits until it is healthy; it is killed when the benchmark ends.
func serveBench(b *testing.B, dir string, env []string) *benchProc {
	b.Helper()
	port := freePortB(b)
	cmd := exec.Command(binary, "serve")
	cmd.Dir = dir
	cmd.Env = append([]string{portEnv(port)}, env...)
	p := &benchProc{cmd: cmd, base: fmt.Sprintf("http://127.0.0.1:%d", port), stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = io.Discard, p.stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	b.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.Now().Add(60 * time.Second) // a first start migrates
	for {
		res, err := client.Get(p.base + "/healthz")
		if err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.done:
			b.Fatalf("moviediary exited; log:\n%s", p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.Fatalf("moviediary not healthy; log:\n%s", p.stderr.String())
		}
	}
}

// stop ends the server with SIGTERM.
func (p *benchProc) stop(b *testing.B) {
	b.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		b.Fatalf("moviediary did not stop; log:\n%s", p.stderr.String())
	}
}

// memStatus reads the process's memory from /proc/PID/status, in MiB:
// its peak resident set (VmHWM, file-backed pages such as SQLite's
// memory-mapped database included) and its anonymous resident memory now
// (RssAnon: the Go heap, stacks and SQLite's own allocations).
func (p *benchProc) memStatus(b *testing.B) (peak, anon float64) {
	b.Helper()
	peak, anon, err := readMem(p.cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	return peak, anon
}

func readMem(pid int) (peak, anon float64, err error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("read /proc/PID/status: %w", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || (name != "VmHWM" && name != "RssAnon") {
			continue
		}
		kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		if err != nil {
			return 0, 0, fmt.Errorf("%s %q: %w", name, rest, err)
		}
		if name == "VmHWM" {
			peak = float64(kb) / 1024
		} else {
			anon = float64(kb) / 1024
		}
	}
	return peak, anon, nil
}

// cpuTime returns the CPU time the process used so far (user and
// system, from /proc/PID/stat, in clock ticks of 10 ms).
func (p *benchProc) cpuTime(b *testing.B) time.Duration {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		b.Fatalf("read /proc/PID/stat: %v", err)
	}
	// Fields after the command name (in parentheses, which may hold
	// spaces): state is the first, utime the 12th, stime the 13th.
	_, rest, _ := strings.Cut(string(raw), ") ")
	f := strings.Fields(rest)
	utime, err1 := strconv.Atoi(f[11])
	stime, err2 := strconv.Atoi(f[12])
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/PID/stat: %q", raw)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// peakRSS returns the process's peak resident set size (VmHWM) in MiB.
func (p *benchProc) peakRSS(b *testing.B) float64 {
	b.Helper()
	peak, _ := p.memStatus(b)
	return peak
}

// watchAnon samples the process's anonymous resident memory every 20 ms
// until the returned function is called, which returns the largest
// sample in MiB.
func (p *benchProc) watchAnon(b *testing.B) func() float64 {
	b.Helper()
	stop, done := make(chan struct{}), make(chan float64)
	pid := p.cmd.Process.Pid
	go func() {
		high := 0.0
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if _, anon, err := readMem(pid); err == nil && anon > high {
				high = anon
			}
			select {
			case <-stop:
				done <- high
				return
			case <-tick.C:
			}
		}
	}()
	return func() float64 {
		close(stop)
		return <-done
	}
}

// freePortB returns a TCP port that was free a moment ago.
func freePortB(b *testing.B) int {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// benchEnv is the environment of a benchmark's server on dbURL, with
// OMDb at meta.
func benchEnv(dir, dbURL string, meta *metaFake) []string {
	return []string{
		"DATABASE_URL=" + dbURL,
		"DATA_DIR=" + filepath.Join(dir, "data"),
		"JWT_SECRET=" + strings.Repeat("k", 40),
		"ALLOW_REGISTRATION=true",
		"OMDB_API_KEY=test",
		"OMDB_BASE_URL=" + meta.srv.URL + "/",
		"LOG_FORMAT=json",
		"LOG_LEVEL=warn",
		"HOST=127.0.0.1",
	}
}

// benchDatabase returns a fresh database of kind db for one iteration.
func benchDatabase(b *testing.B, db, dir string) string {
	b.Helper()
	if db == "postgres" {
		return pgtest.NewDatabase(b)
	}
	return "sqlite://" + filepath.Join(dir, "db.sqlite")
}

// benchAccount registers the owner on base and returns its token.
func benchAccount(b *testing.B, base string) string {
	b.Helper()
	body := `{"email":"owner@example.com","password":"a long passphrase"}`
	for _, path := range []string{"/api/auth/register", "/api/auth/login"} {
		res, err := client.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if res.StatusCode >= 300 {
			b.Fatalf("POST %s = %d %s", path, res.StatusCode, raw)
		}
		if path == "/api/auth/login" {
			_, tok, _ := strings.Cut(string(raw), `"token":"`)
			tok, _, _ = strings.Cut(tok, `"`)
			return tok
		}
	}
	return ""
}

// BenchmarkImportLetterboxd100k imports a generated 100,000-row Letterboxd
// diary.csv (10,000 films, half of them known to the fake OMDb) through
// POST /api/imports into a fresh database per iteration, and reports the
// rows stored per second (from the POST to the job's "done"), the
// server's peak RSS (VmHWM) and the highest anonymous memory sampled
// during the import, and its peak RSS before it. Films are matched later, within the OMDb budget, so
// the import itself does not wait on the fake.
func BenchmarkImportLetterboxd100k(b *testing.B) {
	const rows, films = 100_000, 10_000
	diary := generatedDiary(rows, films, "Bench Film")
	known := make([]metaFilm, 0, films/2)
	for f := 0; f < films; f += 2 {
		known = append(known, metaFilm{ID: fmt.Sprintf("tt%08d", 20_000_000+f), Title: fmt.Sprintf("Bench Film %05d", f), Year: strconv.Itoa(generatedYear(f)), Director: "Director " + strconv.Itoa(f%500)})
	}
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			meta := newMetaFake(b, known...)
			var took time.Duration
			var peak, idle, anon float64
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dir := b.TempDir()
				p := serveBench(b, dir, benchEnv(dir, benchDatabase(b, db, dir), meta))
				token := benchAccount(b, p.base)
				idle = max(idle, p.peakRSS(b))
				b.StartTimer()

				watch := p.watchAnon(b)
				cpu0 := p.cpuTime(b)
				start := time.Now()
				id := startImport(b, p.base, token, "letterboxd", false, upload{name: "diary.csv", data: diary})
				job := waitJob(b, p.base, token, id, p.stderr.String)
				took += time.Since(start)
				cpu += p.cpuTime(b) - cpu0

				b.StopTimer()
				anon = max(anon, watch())
				peak = max(peak, p.peakRSS(b))
				if job.Imported != rows || job.RowsDone != rows {
					b.Fatalf("import = %+v, want %d imported", job, rows)
				}
				p.stop(b)
				b.StartTimer()
			}
			b.ReportMetric(float64(rows*b.N)/took.Seconds(), "rows/s")
			b.ReportMetric(peak, "MiB-peak-RSS")
			b.ReportMetric(anon, "MiB-peak-anon")
			b.ReportMetric(idle, "MiB-idle-RSS")
			b.ReportMetric(float64(cpu.Microseconds())/float64(rows*b.N), "server-cpu-µs/row")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// exportEntries is the diary size of BenchmarkExport1M.
const exportEntries = 1_000_000

// BenchmarkExport1M exports a diary of 1,000,000 entries (of 20,000
// movies, seeded in SQL once and kept across runs) through GET
// /api/export, as CSV and as JSON, on SQLite and PostgreSQL. It reports
// entries per second (the whole body read), the server's peak RSS before
// the first export and after the last, and its anonymous memory before
// and at its highest during the exports: memory stays flat when the
// export streams. (The peak RSS of SQLite includes the pages of the
// database file its readers map.)
func BenchmarkExport1M(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			dir := b.TempDir()
			dbURL := seededExportDatabase(b, db)
			p := serveBench(b, dir, benchEnv(dir, dbURL, newMetaFake(b)))
			token := benchLogin(b, p.base)
			for _, format := range []string{"csv", "json"} {
				b.Run(format, func(b *testing.B) {
					before, anonBefore := p.memStatus(b)
					watch := p.watchAnon(b)
					var took time.Duration
					cpu0 := p.cpuTime(b)
					for i := 0; i < b.N; i++ {
						start := time.Now()
						n := exportOnce(b, p.base, token, format)
						took += time.Since(start)
						if n != exportEntries {
							b.Fatalf("the %s export holds %d entries, want %d", format, n, exportEntries)
						}
					}
					anon := watch()
					cpu := p.cpuTime(b) - cpu0
					b.ReportMetric(float64(exportEntries*b.N)/took.Seconds(), "rows/s")
					b.ReportMetric(float64(cpu.Microseconds())/float64(exportEntries*b.N), "server-cpu-µs/row")
					b.ReportMetric(before, "MiB-RSS-before")
					b.ReportMetric(p.peakRSS(b), "MiB-peak-RSS")
					b.ReportMetric(anonBefore, "MiB-anon-before")
					b.ReportMetric(anon, "MiB-peak-anon")
					b.ReportMetric(0, "ns/op")
				})
			}
			p.stop(b)
		})
	}
}

// exportOnce reads GET /api/export?format= to the end and returns how many
// entries it held: CSV lines after the header, or JSON entries (counted by
// their "review" keys).
func exportOnce(b *testing.B, base, token, format string) int {
	b.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/export?format="+format, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := (&http.Client{Timeout: 10 * time.Minute}).Do(req)
	if err != nil {
		b.Fatalf("GET /api/export: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 1000))
		b.Fatalf("GET /api/export?format=%s = %d %s", format, res.StatusCode, raw)
	}
	needle := []byte("\n")
	if format == "json" {
		needle = []byte(`"review":`)
	}
	n, err := countIn(res.Body, needle)
	if err != nil {
		b.Fatalf("read the export: %v", err)
	}
	if format == "csv" {
		n-- // the header
	}
	return n
}

// countIn counts the occurrences of needle (which cannot overlap
// itself) in r.
func countIn(r io.Reader, needle []byte) (int, error) {
	buf := make([]byte, 256<<10)
	n, carry := 0, 0
	for {
		m, err := r.Read(buf[carry:])
		chunk := buf[:carry+m]
		n += bytes.Count(chunk, needle)
		// Keep the last len(needle)-1 bytes: a needle split across reads.
		carry = min(len(needle)-1, len(chunk))
		copy(buf, chunk[len(chunk)-carry:])
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// benchLogin signs the seeded account in and returns its token.
func benchLogin(b *testing.B, base string) string {
	b.Helper()
	res, err := client.Post(base+"/api/auth/login", "application/json",
		strings.NewReader(`{"email":"export@example.com","password":"a long passphrase"}`))
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b.Fatalf("login = %d %s", res.StatusCode, raw)
	}
	_, tok, _ := strings.Cut(string(raw), `"token":"`)
	tok, _, _ = strings.Cut(tok, `"`)
	return tok
}

// seededExportDatabase returns a database holding exportEntries entries
// of export@example.com, seeding it on first use: a file under the temp
// directory (SQLite) or the database moviediary_bench_export (PostgreSQL),
// kept across runs.
func seededExportDatabase(b *testing.B, db string) string {
	b.Helper()
	var dbURL, driver, dsn string
	switch db {
	case "sqlite":
		path := filepath.Join(os.TempDir(), fmt.Sprintf("moviediary-bench-export-%d.db", exportEntries))
		dbURL, driver, dsn = "sqlite://"+path, "sqlite", path
	case "postgres":
		dbURL, _ = pgtest.EnsureDatabase(b, "moviediary_bench_export")
		driver, dsn = "postgres", dbURL
	}
	dir := b.TempDir()
	env := []string{"DATABASE_URL=" + dbURL, "DATA_DIR=" + filepath.Join(dir, "data"), "JWT_SECRET=" + strings.Repeat("k", 40)}
	if out, err := benchCommand(dir, env, "", "migrate"); err != nil {
		b.Fatalf("migrate: %v\n%s", err, out)
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = raw.Close() }()
	raw.SetMaxOpenConns(1)
	ctx := context.Background()
	var seeded int
	if err := raw.QueryRowContext(ctx, `SELECT entries FROM bench_export_seed2`).Scan(&seeded); err == nil && seeded == exportEntries {
		return dbURL
	}
	if db == "sqlite" {
		// Start from an empty file: deleting a million reviews row by
		// row through the delete trigger is slower than seeding.
		_ = raw.Close()
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(dsn + suffix)
		}
		if out, err := benchCommand(dir, env, "", "migrate"); err != nil {
			b.Fatalf("migrate: %v\n%s", err, out)
		}
		if raw, err = sql.Open(driver, dsn); err != nil {
			b.Fatal(err)
		}
		raw.SetMaxOpenConns(1)
	}
	if out, err := benchCommand(dir, env, "a long passphrase\n", "user", "add", "--email", "export@example.com"); err != nil && !strings.Contains(out, "already exists") {
		b.Fatalf("user add: %v\n%s", err, out)
	}
	start := time.Now()
	steps := sqliteExportSeed
	if db == "postgres" {
		steps = postgresExportSeed
	}
	conn, err := raw.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	// SQLite loads fastest without the reviews' indexes and triggers:
	// they are dropped, and made again after the load as the migrations
	// made them.
	var drops, later []string
	if db == "sqlite" {
		rows, err := conn.QueryContext(ctx, `SELECT type, name, sql FROM sqlite_schema
			WHERE tbl_name = 'reviews' AND type IN ('index', 'trigger') AND sql IS NOT NULL`)
		if err != nil {
			b.Fatalf("read the schema: %v", err)
		}
		for rows.Next() {
			var typ, name, sql string
			if err := rows.Scan(&typ, &name, &sql); err != nil {
				b.Fatalf("read the schema: %v", err)
			}
			drops = append(drops, "DROP "+typ+" "+name)
			later = append(later, sql)
		}
		if err := rows.Close(); err != nil {
			b.Fatalf("read the schema: %v", err)
		}
	}
	for _, s := range steps {
		var batch []string
		switch s {
		case "$DROP":
			batch = drops
		case "$RECREATE":
			batch = later
		default:
			batch = []string{strings.ReplaceAll(s, "$N", strconv.Itoa(exportEntries))}
		}
		for _, s := range batch {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				b.Fatalf("seed: %v\n%s", err, s)
			}
		}
	}
	b.Logf("seeded %d %s entries in %v", exportEntries, db, time.Since(start).Round(time.Millisecond))
	return dbURL
}

// benchCommand runs a command of the binary to completion.
func benchCommand(dir string, env []string, stdin string, args ...string) (string, error) {
	cmd := exec.Command(binary, args...)
	cmd.Dir, cmd.Env, cmd.Stdin = dir, env, strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// sqliteExportSeed fills a new file: it loads the reviews without their
// indexes and triggers ($DROP, $RECREATE) and fills review_counts as the
// insert trigger would have; 20,000 movies, every third with a director,
// each with an IMDb ID and a poster (so that no poster sync runs at
// start-up), and entries one minute apart, a comment on every fourth,
// some starting with "=" (to be neutralised in CSV).
var sqliteExportSeed = []string{
	`PRAGMA journal_mode = WAL`,
	`PRAGMA cache_size = -262144`,
	`BEGIN IMMEDIATE`,
	`$DROP`,
	`WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 20000)
	  INSERT INTO movies (id, external_id, title, title_key, release_year, director, poster_path)
	  SELECT unhex(printf('%032x', i)), printf('tt%08d', i), 'Film ' || i, upper('Film ' || i), 1950 + i % 70,
	         CASE WHEN i % 3 = 0 THEN 'Director ' || i % 500 END, printf('tt%08d.jpg', i) FROM k`,
	`WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $N)
	  INSERT INTO reviews (id, movie_id, user_id, rating_halves, comment, watched_at, created_at)
	  SELECT unhex(printf('%016x', i) || '7000800000000000'),
	         unhex(printf('%032x', 1 + (i * 7919) % 20000)),
	         (SELECT id FROM users WHERE email = 'export@example.com'),
	         NULLIF(i % 12, 11),
	         CASE WHEN i % 4 = 0 THEN (CASE WHEN i % 8 = 0 THEN '=' ELSE '' END) || 'comment, "quoted" ' || i END,
	         946684800 + i * 60,
	         (946684800 + i * 60 + 3600) * 1000000
	  FROM k`,
	`$RECREATE`,
	`INSERT INTO review_counts (movie_id, user_id, n)
	  SELECT x'', x'', count(*) FROM reviews
	  UNION ALL SELECT movie_id, x'', count(*) FROM reviews GROUP BY movie_id
	  UNION ALL SELECT x'', user_id, count(*) FROM reviews GROUP BY user_id
	  UNION ALL SELECT movie_id, user_id, count(*) FROM reviews GROUP BY movie_id, user_id`,
	`CREATE TABLE bench_export_seed2 (entries INTEGER NOT NULL)`,
	`INSERT INTO bench_export_seed2 VALUES ($N)`,
	`COMMIT`,
	`ANALYZE`,
	`PRAGMA wal_checkpoint(TRUNCATE)`,
}

// postgresExportSeed is the same data set; the schema's statement trigger
// keeps review_counts exact.
var postgresExportSeed = []string{
	`DROP TABLE IF EXISTS bench_export_seed`,
	`DROP TABLE IF EXISTS bench_export_seed2`,
	`TRUNCATE reviews, movies, review_counts, outbox_events`,
	`INSERT INTO movies (id, external_id, title, release_year, director, poster_path)
	  SELECT (lpad(to_hex(1), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
	         'tt' || lpad(i::text, 8, '0'), 'Film ' || i, 1950 + i % 70,
	         CASE WHEN i % 3 = 0 THEN 'Director ' || i % 500 END, 'tt' || lpad(i::text, 8, '0') || '.jpg'
	  FROM generate_series(1, 20000) AS i`,
	`INSERT INTO reviews (id, movie_id, user_id, rating_halves, comment, watched_at, created_at)
	  SELECT (lpad(to_hex(2), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
	         (lpad(to_hex(1), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(1 + (i::bigint * 7919) % 20000), 12, '0'))::uuid,
	         (SELECT id FROM users WHERE email = 'export@example.com'),
	         NULLIF(i % 12, 11),
	         CASE WHEN i % 4 = 0 THEN (CASE WHEN i % 8 = 0 THEN '=' ELSE '' END) || 'comment, "quoted" ' || i END,
	         timestamptz '2000-01-01 00:00:00+00' + i * interval '1 minute',
	         timestamptz '2000-01-01 01:00:00+00' + i * interval '1 minute'
	  FROM generate_series(1, $N) AS i`,
	`VACUUM (ANALYZE) movies`,
	`VACUUM (ANALYZE) reviews`,
	`VACUUM (ANALYZE) review_counts`,
	`CREATE TABLE bench_export_seed2 (entries integer NOT NULL)`,
	`INSERT INTO bench_export_seed2 VALUES ($N)`,
}
