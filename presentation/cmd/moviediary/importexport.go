package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/presentation/wiring"
)

// importCommand runs "import": the files go into the account's diary
// through the same use case as POST /api/imports, with a progress bar on a
// terminal (a plain line per tenth otherwise) and the job's report at the
// end. A refused file, or a job that failed, is an error (exit code 1).
func importCommand(ctx context.Context, cfg wiring.Config, logger *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "the account whose diary the rows go to")
	source := fs.String("source", "", "letterboxd, imdb or moviediary; detected from the files when empty")
	dryRun := fs.Bool("dry-run", false, "report what would be imported without writing")
	if err := fs.Parse(args); err != nil {
		return usageError("import: " + err.Error())
	}
	if *email == "" || fs.NArg() == 0 {
		return usageError("import: --email and at least one FILE are required")
	}
	progress := newProgressReport(stdout, isTerminal(stdout), time.Now)
	job, err := wiring.ImportFiles(ctx, cfg, logger, wiring.ImportOptions{
		Email: *email, Source: *source, DryRun: *dryRun, Files: fs.Args(),
	}, progress.update)
	progress.finish()
	if err != nil {
		return err
	}
	writeImportReport(stdout, job)
	if job.State == domain.ImportFailed {
		return fmt.Errorf("%w: the import failed: %s", wiring.ErrImportRefused, job.Error)
	}
	return nil
}

// exportCommand runs "export": the diary goes to stdout, or to --output,
// written beside it under a temporary name and renamed into place once
// complete, so that a failed export leaves no file and keeps the one
// that was there.
func exportCommand(ctx context.Context, cfg wiring.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "the account whose diary is written")
	format := fs.String("format", "", "json (moviediary, lossless) or csv (Letterboxd's import columns)")
	output := fs.String("output", "", "the file to write; stdout when empty")
	if err := fs.Parse(args); err != nil {
		return usageError("export: " + err.Error())
	}
	if *email == "" || *format == "" || fs.NArg() != 0 {
		return usageError("export: --email and --format are required, and no other argument")
	}
	if *format != wiring.ExportJSON && *format != wiring.ExportCSV {
		return usageError("export: --format must be json or csv")
	}
	if *output == "" {
		buf := bufio.NewWriterSize(stdout, 64<<10)
		if err := wiring.ExportDiary(ctx, cfg, *email, *format, buf); err != nil {
			return err
		}
		return buf.Flush()
	}
	f, err := os.CreateTemp(filepath.Dir(*output), ".moviediary-export-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	buf := bufio.NewWriterSize(f, 64<<10)
	err = wiring.ExportDiary(ctx, cfg, *email, *format, buf)
	if err == nil {
		err = buf.Flush()
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("export: %w", cerr)
	}
	if err == nil {
		if err = os.Rename(f.Name(), *output); err != nil {
			err = fmt.Errorf("export: %w", err)
		}
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressReport shows an import's progress: on a terminal one line
// redrawn in place (a bar, rows done of the total, rows a second and the
// time left), elsewhere a plain line each time another tenth is done.
type progressReport struct {
	w     io.Writer
	tty   bool
	now   func() time.Time
	start time.Time
	// base is the rows done when the report started: the rate counts
	// only the rows handled since.
	base      int
	seen      bool
	tenths    int
	drawn     int
	lastDrawn time.Time
}

func newProgressReport(w io.Writer, tty bool, now func() time.Time) *progressReport {
	return &progressReport{w: w, tty: tty, now: now, tenths: -1}
}

// barWidth is the number of cells of the progress bar.
const barWidth = 30

// update shows the job's progress.
func (p *progressReport) update(j domain.ImportJob) {
	now := p.now()
	if !p.seen {
		p.seen, p.start, p.base = true, now, j.RowsDone
	}
	done, total := j.RowsDone, j.RowsTotal
	if !p.tty {
		tenths := 10
		if total > 0 {
			tenths = done * 10 / total
		}
		if tenths > p.tenths {
			p.tenths = tenths
			fmt.Fprintf(p.w, "import: %d%% (%d of %d rows)\n", tenths*10, done, total)
		}
		return
	}
	// Redraw at most ten times a second, and always the last state.
	if now.Sub(p.lastDrawn) < 100*time.Millisecond && done < total {
		return
	}
	p.lastDrawn = now
	filled := barWidth
	if total > 0 {
		filled = done * barWidth / total
	}
	line := fmt.Sprintf("[%s%s] %d/%d rows", strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), done, total)
	if elapsed := now.Sub(p.start).Seconds(); elapsed > 0.2 && done > p.base {
		rate := float64(done-p.base) / elapsed
		line += fmt.Sprintf("  %.0f rows/s", rate)
		if left := total - done; left > 0 {
			line += "  ETA " + clock(time.Duration(float64(left)/rate*float64(time.Second)))
		}
	}
	pad := ""
	if n := p.drawn - len(line); n > 0 {
		pad = strings.Repeat(" ", n) // wipe what the last line left
	}
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
	p.drawn = len(line)
}

// finish ends the progress line on a terminal.
func (p *progressReport) finish() {
	if p.tty && p.drawn > 0 {
		fmt.Fprintln(p.w)
	}
}

// clock writes d as m:ss, or h:mm:ss from an hour on.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// writeImportReport writes what GET /api/imports/{id} shows of job: its
// state, its counts and its problems, each as file:line: reason.
func writeImportReport(w io.Writer, j domain.ImportJob) {
	state := string(j.State)
	if j.DryRun {
		state += " (dry run: nothing was written)"
	}
	fmt.Fprintf(w, "import %s: %s\n", j.ID, state)
	fmt.Fprintf(w, "  rows:            %d of %d\n", j.RowsDone, j.RowsTotal)
	fmt.Fprintf(w, "  imported:        %d\n", j.Imported)
	fmt.Fprintf(w, "  already present: %d\n", j.AlreadyPresent)
	fmt.Fprintf(w, "  skipped:         %d\n", j.Skipped)
	fmt.Fprintf(w, "  unmatched:       %d", j.Unmatched)
	if j.Unmatched > 0 && !j.DryRun {
		fmt.Fprint(w, " (stored by title and year; their IMDb IDs are looked up in the background)")
	}
	fmt.Fprintln(w)
	if j.Error != "" {
		fmt.Fprintf(w, "  error:           %s\n", j.Error)
	}
	if len(j.Problems) == 0 {
		return
	}
	fmt.Fprintf(w, "  problems (%d):\n", len(j.Problems)+j.ProblemsMore)
	for _, pr := range j.Problems {
		if pr.Line > 0 {
			fmt.Fprintf(w, "    %s:%d: %s\n", pr.File, pr.Line, pr.Reason)
		} else {
			fmt.Fprintf(w, "    %s: %s\n", pr.File, pr.Reason)
		}
	}
	if j.ProblemsMore > 0 {
		fmt.Fprintf(w, "    … and %d more\n", j.ProblemsMore)
	}
}
