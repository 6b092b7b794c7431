package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// fakeClock advances by step at each reading.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(step)
		return t
	}
}

func TestProgressReportPlainLines(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := newProgressReport(&out, false, fakeClock(time.Second))
	for _, done := range []int{0, 500, 999, 1000, 2500, 10000} {
		p.update(domain.ImportJob{RowsDone: done, RowsTotal: 10000})
	}
	p.finish()
	want := "import: 0% (0 of 10000 rows)\n" +
		"import: 10% (1000 of 10000 rows)\n" +
		"import: 20% (2500 of 10000 rows)\n" +
		"import: 100% (10000 of 10000 rows)\n"
	if out.String() != want {
		t.Errorf("plain progress:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestProgressReportBarOnATerminal(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := newProgressReport(&out, true, fakeClock(time.Second))
	p.update(domain.ImportJob{RowsDone: 0, RowsTotal: 3000})
	p.update(domain.ImportJob{RowsDone: 1000, RowsTotal: 3000})
	p.update(domain.ImportJob{RowsDone: 3000, RowsTotal: 3000})
	p.finish()
	lines := strings.Split(out.String(), "\r")
	if len(lines) != 4 || lines[0] != "" {
		t.Fatalf("terminal progress = %q, want three redraws", out.String())
	}
	if got := lines[2]; !strings.HasPrefix(got, "[##########....................] 1000/3000 rows  1000 rows/s  ETA 0:02") {
		t.Errorf("second redraw = %q", got)
	}
	if got := lines[3]; !strings.HasPrefix(got, "[##############################] 3000/3000 rows") || !strings.HasSuffix(got, "\n") {
		t.Errorf("last redraw = %q, want the full bar and a newline", got)
	}
}

func TestImportReport(t *testing.T) {
	t.Parallel()
	job := domain.ImportJob{
		ID: domain.NewImportJobID(), State: domain.ImportDone, RowsTotal: 5, RowsDone: 5, Imported: 2, AlreadyPresent: 1,
		Skipped: 2, Unmatched: 1, ProblemsMore: 3,
		Problems: []domain.ImportProblem{{File: "diary.csv", Line: 4, Reason: "bad rating"}, {File: "profile.csv", Reason: "ignored: not a diary file"}},
	}
	var out bytes.Buffer
	writeImportReport(&out, job)
	for _, want := range []string{
		"import " + job.ID.String() + ": done\n", "rows:            5 of 5\n", "imported:        2\n", "already present: 1\n",
		"skipped:         2\n", "unmatched:       1 (", "problems (5):\n", "    diary.csv:4: bad rating\n",
		"    profile.csv: ignored: not a diary file\n", "… and 3 more\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestImportAndExportCommands: moviediary import reads files into an
// account's diary with a report (exit 1 for a refused file, 2 for bad
// usage) and moviediary export writes it back, to stdout or a file.
func TestImportAndExportCommands(t *testing.T) {
	abs, err := filepath.Abs(filepath.Join("..", "..", "..", "adapters", "diaryfile", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	dir := inTempDir(t, map[string]string{"LOG_LEVEL": "error"})
	if code, _, errOut := runCmd("a long passphrase\n", "user", "add", "--email", "ann@example.com"); code != 0 {
		t.Fatalf("user add: %d %s", code, errOut)
	}
	code, out, errOut := runCmd("", "import", "--email", "ann@example.com", filepath.Join(abs, "imdb", "ratings.csv"))
	if code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
	for _, want := range []string{"import: 100% (11 of 11 rows)\n", ": done\n", "imported:        7\n", "skipped:         4\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCmd("", "import", "--email", "ann@example.com", "--dry-run", filepath.Join(abs, "imdb", "ratings.csv"))
	if code != 0 || !strings.Contains(out, "done (dry run: nothing was written)") || !strings.Contains(out, "already present: 7\n") {
		t.Errorf("dry run again: %d\n%s", code, out)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("Date,Name,Year\n2024-01-01,X,2001\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCmd("", "import", "--email", "ann@example.com", bad); code != 1 || !strings.Contains(errOut, "bad.csv") || !strings.Contains(errOut, "Letterboxd URI") {
		t.Errorf("refused file: %d %s", code, errOut)
	}
	if code, _, errOut := runCmd("", "import", "--email", "ann@example.com"); code != 2 || !strings.Contains(errOut, "FILE") {
		t.Errorf("import without files: %d %s", code, errOut)
	}

	code, out, errOut = runCmd("", "export", "--email", "ann@example.com", "--format", "csv")
	if code != 0 || !strings.HasPrefix(out, "imdbID,Title,Year,Directors,WatchedDate,Rating,Rewatch,Review\n") || strings.Count(out, "\n") != 8 {
		t.Errorf("export csv: %d %s\n%s", code, errOut, out)
	}
	file := filepath.Join(dir, "out.json")
	if code, _, errOut := runCmd("", "export", "--email", "ann@example.com", "--format", "json", "--output", file); code != 0 {
		t.Fatalf("export json: %d %s", code, errOut)
	}
	var doc struct {
		Format  string            `json:"format"`
		Entries []json.RawMessage `json:"entries"`
	}
	b, err := os.ReadFile(file)
	if err != nil || json.Unmarshal(b, &doc) != nil || doc.Format != "moviediary" || len(doc.Entries) != 7 {
		t.Errorf("export json file: %v %s", err, b)
	}
	missing := filepath.Join(dir, "none.json")
	if code, _, _ := runCmd("", "export", "--email", "nobody@example.com", "--format", "json", "--output", missing); code != 1 {
		t.Errorf("export of an unknown account: %d", code)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a failed export left %s: %v", missing, err)
	}
	if code, _, _ := runCmd("", "export", "--email", "ann@example.com", "--format", "xml"); code != 2 {
		t.Errorf("export --format xml: %d", code)
	}
}
