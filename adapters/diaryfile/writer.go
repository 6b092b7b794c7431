package diaryfile

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/moviediary/moviediary/domain"
)

// CSVHeader is the header of a moviediary CSV export: Letterboxd's import
// columns.
var CSVHeader = []string{"imdbID", "Title", "Year", "Directors", "WatchedDate", "Rating", "Rewatch", "Review"}

// CSVWriter writes a moviediary CSV export one entry at a time, through
// encoding/csv, so memory stays flat at any size. Its text cells (imdbID,
// Title, Directors, Review) are neutralised against spreadsheet formula
// injection: a cell that starts with =, +, -, @, tab or CR — after any
// single quotes — gets a single quote in front, which the moviediary CSV
// parser takes off again. Year and Rating, numbers it writes itself, are
// never touched. A CSVWriter is not safe for concurrent use.
type CSVWriter struct {
	w           *csv.Writer
	wroteHeader bool
	rec         []string
}

// NewCSVWriter returns a writer of a CSV export to w. Call Flush at the
// end.
func NewCSVWriter(w io.Writer) *CSVWriter {
	return &CSVWriter{w: csv.NewWriter(w), rec: make([]string, len(CSVHeader))}
}

// Write writes e, after the header when it is the first entry. Write
// errors of the underlying writer may show only at Flush.
func (c *CSVWriter) Write(e domain.ExportedEntry) error {
	if err := c.header(); err != nil {
		return err
	}
	m, r := e.Movie, e.Review
	c.rec[0] = neutralise(m.ExternalID.String())
	c.rec[1] = neutralise(m.Title.String())
	c.rec[2] = m.ReleaseYear.String()
	c.rec[3] = neutralise(m.Director.String())
	c.rec[4] = r.WatchedAt.UTC().Format(dateLayout)
	c.rec[5] = r.Rating.String()
	c.rec[6] = strconv.FormatBool(e.Rewatch)
	c.rec[7] = neutralise(r.Comment.String())
	return c.w.Write(c.rec)
}

// Flush writes the header when no entry was written, flushes what is
// buffered and returns the first write error.
func (c *CSVWriter) Flush() error {
	if err := c.header(); err != nil {
		return err
	}
	c.w.Flush()
	return c.w.Error()
}

// header writes the header once.
func (c *CSVWriter) header() error {
	if c.wroteHeader {
		return nil
	}
	c.wroteHeader = true
	return c.w.Write(CSVHeader)
}

// formulaStarts are what a cell a spreadsheet would take for a formula
// starts with.
const formulaStarts = "=+-@\t\r"

// dangerous reports whether s, past any leading single quotes, starts with
// a formula character. Counting the quotes makes neutralising reversible:
// a cell that starts with a quote and a formula character is itself given
// a quote, so taking one off always gives the original back.
func dangerous(s string) bool {
	s = strings.TrimLeft(s, "'")
	return s != "" && strings.IndexByte(formulaStarts, s[0]) >= 0
}

// neutralise prefixes a single quote to a cell a spreadsheet would run.
func neutralise(s string) string {
	if dangerous(s) {
		return "'" + s
	}
	return s
}

// unneutralise undoes neutralise.
func unneutralise(s string) string {
	if strings.HasPrefix(s, "'") && dangerous(s[1:]) {
		return s[1:]
	}
	return s
}
