package diaryfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// ExportFormat and ExportVersion are what a moviediary JSON export says it
// is, in its "format" and "version" members.
const (
	ExportFormat  = "moviediary"
	ExportVersion = 1
)

// readMoviediaryCSV appends the rows of u, a moviediary CSV export (or any
// CSV in Letterboxd's import format with at least Title, Year and
// WatchedDate), to rows. Rating is in stars, 0 to 5 in halves; Rewatch is
// not read (the order of the watched dates says it); text cells that
// CSVWriter neutralised are read back as they were.
func readMoviediaryCSV(u *unit, rows []domain.ImportRow, now time.Time) []domain.ImportRow {
	c := u.csv
	idCol, titleCol, yearCol, dirCol := c.col("imdbID"), c.col("Title"), c.col("Year"), c.col("Directors")
	dateCol, ratingCol, reviewCol := c.col("WatchedDate"), c.col("Rating"), c.col("Review")
	occ := occurrences{}
	for rec, line, ok := u.next(); ok; rec, line, ok = u.next() {
		var is issues
		row := domain.ImportRow{File: u.name, Line: line}
		row.ExternalID = parseExternalID("imdbID", unneutralise(cell(rec, idCol)), &is)
		row.Title = parseTitle("Title", unneutralise(cell(rec, titleCol)), &is)
		row.Year = parseYear("Year", cell(rec, yearCol), now, &is)
		row.Director = parseDirector("Directors", unneutralise(cell(rec, dirCol)), &is)
		row.WatchedAt = parseDate("WatchedDate", cell(rec, dateCol), now, &is)
		row.Rating = parseStars("Rating", cell(rec, ratingCol), 0, &is)
		row.Comment = parseComment("Review", unneutralise(cell(rec, reviewCol)), &is)
		if len(is) > 0 {
			u.skip(line, is.reason())
			continue
		}
		_, day := filmDay(row.Title, row.Year, row.WatchedAt)
		if !row.ExternalID.IsZero() {
			day = row.ExternalID.String() + "\x00" + row.WatchedAt.Format(dateLayout)
		}
		row.Key = viewingKey("moviediary-csv", day, occ.next(day))
		rows = append(rows, row)
	}
	return rows
}

// exportMovie and exportReview are an entry of a moviediary JSON export:
// a movie and a review as the API shows them.
type exportMovie struct {
	ID                 string  `json:"id"`
	ExternalMetadataID *string `json:"external_metadata_id"`
	Title              string  `json:"title"`
	ReleaseYear        int     `json:"release_year"`
	Director           *string `json:"director"`
}

type exportReview struct {
	ID        string   `json:"id"`
	Rating    *float64 `json:"rating"`
	Comment   *string  `json:"comment"`
	WatchedAt string   `json:"watched_at"`
	CreatedAt string   `json:"created_at"`
}

type exportEntry struct {
	Movie  exportMovie  `json:"movie"`
	Review exportReview `json:"review"`
}

// watchedAtLayout is how the API writes watched_at: UTC to the second.
const watchedAtLayout = "2006-01-02T15:04:05"

// jsonReader reads a moviediary JSON export token by token, one entry in
// memory at a time, and tells the line a value starts on.
type jsonReader struct {
	u    *unit
	dec  *json.Decoder
	now  time.Time
	rows []domain.ImportRow
	// line is the line at offset, counted so far.
	line, offset int
}

// readMoviediaryJSON appends the entries of u, a moviediary JSON export,
// to rows, restoring their movie and review IDs and creation times. The
// key of a row is its review ID. A document that is not such an export, or
// of another version, is an error; an entry with a bad value is listed.
func readMoviediaryJSON(u *unit, rows []domain.ImportRow, now time.Time) ([]domain.ImportRow, error) {
	r := &jsonReader{u: u, dec: json.NewDecoder(bytes.NewReader(u.data)), now: now, rows: rows, line: 1}
	if err := r.document(); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fileError(u.name, fmt.Sprintf("is not valid JSON (line %d: %v)", r.lineAt(int(r.dec.InputOffset())), err))
		}
		return nil, err
	}
	return r.rows, nil
}

// notExport is the error for JSON that is not a moviediary export.
func (r *jsonReader) notExport(why string) error {
	return fileError(r.u.name, "is not a moviediary JSON export: "+why)
}

// document reads the top-level object.
func (r *jsonReader) document() error {
	tok, err := r.dec.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return r.notExport("it is not a JSON object")
	}
	var format string
	version, sawEntries := 0, false
	for r.dec.More() {
		tok, err := r.dec.Token()
		if err != nil {
			return err
		}
		switch key, _ := tok.(string); key {
		case "format":
			if err := r.dec.Decode(&format); err != nil {
				return r.notExport(`"format" is not a string`)
			}
			if format != ExportFormat {
				return r.notExport(fmt.Sprintf(`"format" is %q, not %q`, format, ExportFormat))
			}
		case "version":
			var v json.Number
			if err := r.dec.Decode(&v); err != nil {
				return r.notExport(`"version" is not a number`)
			}
			if v.String() != fmt.Sprint(ExportVersion) {
				return fileError(r.u.name, fmt.Sprintf("is a moviediary JSON export of version %s; this moviediary reads version %d", v, ExportVersion))
			}
			version = ExportVersion
		case "entries":
			sawEntries = true
			if err := r.entries(); err != nil {
				return err
			}
		default:
			var skip json.RawMessage
			if err := r.dec.Decode(&skip); err != nil {
				return err
			}
		}
	}
	if _, err := r.dec.Token(); err != nil { // the closing brace
		return err
	}
	if _, err := r.dec.Token(); err != io.EOF {
		return r.notExport("something follows the JSON object")
	}
	switch {
	case format == "":
		return r.notExport(`"format" is missing`)
	case version == 0:
		return r.notExport(`"version" is missing`)
	case !sawEntries:
		return r.notExport(`"entries" is missing`)
	}
	return nil
}

// entries reads the entries array (null is none).
func (r *jsonReader) entries() error {
	tok, err := r.dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('[') {
		return r.notExport(`"entries" is not an array`)
	}
	for r.dec.More() {
		line := r.lineAt(r.valueStart())
		var e exportEntry
		if err := r.dec.Decode(&e); err != nil {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				return err
			}
			r.u.skip(line, fmt.Sprintf("%s: wrong type (%s)", te.Field, te.Value))
			continue
		}
		r.entry(e, line)
	}
	_, err = r.dec.Token() // the closing bracket
	return err
}

// entry validates e, found at line, and appends it as a row or lists it.
func (r *jsonReader) entry(e exportEntry, line int) {
	var is issues
	row := domain.ImportRow{File: r.u.name, Line: line}
	var err error
	if row.MovieID, err = domain.ParseMovieID(e.Movie.ID); err != nil {
		is.add("movie.id: %s", rule(err))
	}
	if e.Movie.ExternalMetadataID != nil {
		row.ExternalID = parseExternalID("movie.external_metadata_id", *e.Movie.ExternalMetadataID, &is)
	}
	row.Title = parseTitle("movie.title", e.Movie.Title, &is)
	if row.Year, err = domain.NewReleaseYearAt(e.Movie.ReleaseYear, r.now); err != nil {
		is.add("movie.release_year %d: %s", e.Movie.ReleaseYear, rule(err))
	}
	if e.Movie.Director != nil {
		row.Director = parseDirector("movie.director", *e.Movie.Director, &is)
	}
	if row.ReviewID, err = domain.ParseReviewID(e.Review.ID); err != nil {
		is.add("review.id: %s", rule(err))
	}
	if e.Review.Rating != nil {
		if row.Rating, err = domain.NewRating(*e.Review.Rating); err != nil {
			is.add("review.rating: %s", rule(err))
		}
	}
	if e.Review.Comment != nil {
		row.Comment = parseComment("review.comment", *e.Review.Comment, &is)
	}
	row.WatchedAt = r.watchedAt(e.Review.WatchedAt, &is)
	if s := strings.TrimSpace(e.Review.CreatedAt); s != "" {
		if row.CreatedAt, err = time.Parse(time.RFC3339Nano, s); err != nil {
			is.add("review.created_at %q is not an RFC 3339 time", s)
		}
		row.CreatedAt = row.CreatedAt.UTC()
	}
	if len(is) > 0 {
		r.u.skip(line, is.reason())
		return
	}
	row.Key = domain.ImportRowKey(row.ReviewID.String())
	r.rows = append(r.rows, row)
}

// watchedAt reads review.watched_at: UTC without a zone as the API writes
// it, or RFC 3339.
func (r *jsonReader) watchedAt(s string, is *issues) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		is.add("review.watched_at is missing")
		return time.Time{}
	}
	t, err := time.Parse(watchedAtLayout, s)
	if err != nil {
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			is.add("review.watched_at %q is not a time like 2006-01-02T15:04:05", s)
			return time.Time{}
		}
	}
	t = t.UTC().Truncate(time.Second)
	if err := domain.ValidateWatchedAt(t, r.now); err != nil {
		is.add("review.watched_at %s: %s", s, rule(err))
		return time.Time{}
	}
	return t
}

// valueStart returns the offset of the next value: past the decoder's
// offset, whitespace and a separating comma.
func (r *jsonReader) valueStart() int {
	i := int(r.dec.InputOffset())
	data := r.u.data
	for i < len(data) && strings.IndexByte(" \t\r\n,", data[i]) >= 0 {
		i++
	}
	return i
}

// lineAt returns the line offset lies on; offsets only grow.
func (r *jsonReader) lineAt(offset int) int {
	if offset > len(r.u.data) {
		offset = len(r.u.data)
	}
	if offset > r.offset {
		r.line += bytes.Count(r.u.data[r.offset:offset], []byte{'\n'})
		r.offset = offset
	}
	return r.line
}
