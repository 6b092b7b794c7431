package diaryfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/moviediary/moviediary/domain"
)

// kind is a file type a parser reads.
type kind int

// The file types.
const (
	kindLetterboxdDiary kind = iota + 1
	kindLetterboxdReviews
	kindLetterboxdRatings
	kindLetterboxdWatched
	kindIMDb
	kindMoviediaryCSV
	kindMoviediaryJSON
)

// fileType is a kind of file, its source, and the columns its header must
// have (any order, any case, more allowed).
type fileType struct {
	kind     kind
	source   domain.ImportSource
	name     string
	required []string
}

// describe names the type for a person: "a Letterboxd diary.csv".
func (t *fileType) describe() string { return t.name }

// csvTypes are the CSV file types, the most specific of overlapping ones
// first.
var csvTypes = []*fileType{
	{kindLetterboxdReviews, domain.ImportLetterboxd, "a Letterboxd reviews.csv",
		[]string{"Date", "Name", "Year", "Letterboxd URI", "Rating", "Rewatch", "Review", "Watched Date"}},
	{kindLetterboxdDiary, domain.ImportLetterboxd, "a Letterboxd diary.csv",
		[]string{"Date", "Name", "Year", "Letterboxd URI", "Rating", "Rewatch", "Watched Date"}},
	{kindLetterboxdRatings, domain.ImportLetterboxd, "a Letterboxd ratings.csv",
		[]string{"Date", "Name", "Year", "Letterboxd URI", "Rating"}},
	{kindLetterboxdWatched, domain.ImportLetterboxd, "a Letterboxd watched.csv",
		[]string{"Date", "Name", "Year", "Letterboxd URI"}},
	{kindIMDb, domain.ImportIMDb, "an IMDb ratings export",
		[]string{"Const", "Your Rating", "Date Rated", "Title", "Title Type", "Year"}},
	{kindMoviediaryCSV, domain.ImportMoviediary, "a moviediary CSV export",
		[]string{"Title", "Year", "WatchedDate"}},
}

// jsonType is moviediary's JSON export.
var jsonType = &fileType{kind: kindMoviediaryJSON, source: domain.ImportMoviediary, name: "a moviediary JSON export"}

// knownTypes lists what a file may be, for an error.
const knownTypes = "Letterboxd diary.csv, reviews.csv, ratings.csv or watched.csv; " +
	"IMDb ratings export (Const,Your Rating,Date Rated,Title,…,Title Type,…,Year); " +
	"moviediary export, JSON or CSV (imdbID,Title,Year,Directors,WatchedDate,Rating,Rewatch,Review)"

// csvFile reads the records of a CSV file past its header.
type csvFile struct {
	r     *csv.Reader
	cols  map[string]int
	width int
	// lastErrLine guards against a reader that fails twice on one line.
	lastErrLine int
}

// col returns the index of the column named name (any case), or -1.
func (c *csvFile) col(name string) int {
	if i, ok := c.cols[strings.ToLower(name)]; ok {
		return i
	}
	return -1
}

// cell returns rec's i-th field, or "" when i is -1 or out of range.
func cell(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return rec[i]
}

// normaliseColumn is how header names are compared.
func normaliseColumn(s string) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\uFEFF")))
}

// identify decodes u and finds its type from its header, leaving a CSV
// reader past the header. An empty file or an unknown header is an error.
func (u *unit) identify() error {
	u.decode()
	trimmed := bytes.TrimLeft(u.data, " \t\r\n")
	if len(bytes.TrimSpace(trimmed)) == 0 {
		return fileError(u.name, "is empty")
	}
	if trimmed[0] == '{' || trimmed[0] == '[' {
		u.typ = jsonType
		return nil
	}
	r := csv.NewReader(bytes.NewReader(u.data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return fileError(u.name, "has no readable header ("+err.Error()+")")
	}
	cols := make(map[string]int, len(header))
	for i, h := range header {
		name := normaliseColumn(h)
		if _, dup := cols[name]; !dup && name != "" {
			cols[name] = i
		}
	}
	u.csv = &csvFile{r: r, cols: cols, width: len(header)}
	var closest *fileType
	var closestMissing []string
	bestFound := 0
	for _, t := range csvTypes {
		var missing []string
		for _, c := range t.required {
			if _, ok := cols[strings.ToLower(c)]; !ok {
				missing = append(missing, c)
			}
		}
		if len(missing) == 0 {
			u.typ = t
			return nil
		}
		if found := len(t.required) - len(missing); found > bestFound ||
			(found == bestFound && closest != nil && len(missing) < len(closestMissing)) {
			closest, closestMissing, bestFound = t, missing, found
		}
	}
	rule := "its header matches no known file type (known: " + knownTypes + ")"
	if closest != nil {
		rule += fmt.Sprintf("; it comes closest to %s, which also needs the column(s) %s",
			closest.describe(), strings.Join(closestMissing, ", "))
	}
	return fileError(u.name, rule)
}

// next returns the next record of u's CSV and the line it starts on,
// skipping blank lines, or false at the end. A malformed record, or one
// whose field count differs from the header's, is listed and skipped
// (trailing empty fields past the header's width are tolerated).
func (u *unit) next() (rec []string, line int, ok bool) {
	c := u.csv
	for {
		rec, err := c.r.Read()
		if err == io.EOF {
			return nil, 0, false
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) || pe.StartLine == c.lastErrLine {
				u.skip(c.lastErrLine, "malformed CSV: the rest of the file cannot be read ("+err.Error()+")")
				return nil, 0, false
			}
			c.lastErrLine = pe.StartLine
			u.skip(pe.StartLine, "malformed CSV: "+pe.Err.Error())
			continue
		}
		line, _ := c.r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != c.width && (len(rec) < c.width || !allEmpty(rec[c.width:])) {
			u.skip(line, fmt.Sprintf("has %d fields, the header has %d", len(rec), c.width))
			continue
		}
		return rec, line, true
	}
}

// allEmpty reports whether every field is blank.
func allEmpty(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}
