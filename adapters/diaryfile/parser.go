package diaryfile

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/moviediary/moviediary/domain"
)

// Default limits of a Parser.
const (
	// DefaultMaxDecompressed bounds the bytes read out of ZIP members.
	DefaultMaxDecompressed int64 = 200 << 20
	// DefaultMaxMembers bounds the members a ZIP may hold.
	DefaultMaxMembers = 10000
)

// Limits bound what ZIP uploads may expand to, against ZIP bombs. A zero
// field takes its default.
type Limits struct {
	// MaxDecompressed bounds the bytes read out of the members of every
	// ZIP of one import, counted as they are decompressed (the sizes a ZIP
	// declares are not trusted). Default DefaultMaxDecompressed.
	MaxDecompressed int64
	// MaxMembers bounds the members (directories included) a ZIP may hold.
	// Default DefaultMaxMembers.
	MaxMembers int
}

// Parser reads import files. It holds no state between calls and is safe
// for concurrent use.
type Parser struct {
	limits Limits
}

var _ domain.ImportParser = (*Parser)(nil)

// NewParser returns a parser bounded by limits (zero fields take their
// defaults).
func NewParser(limits Limits) *Parser {
	if limits.MaxDecompressed <= 0 {
		limits.MaxDecompressed = DefaultMaxDecompressed
	}
	if limits.MaxMembers <= 0 {
		limits.MaxMembers = DefaultMaxMembers
	}
	return &Parser{limits: limits}
}

// unit is one file to read: an upload, or a member of an uploaded ZIP.
type unit struct {
	// name is the upload's name or the member's name in its ZIP.
	name string
	// zip is the name of the ZIP upload it is a member of; "" for an
	// upload.
	zip string
	// data is the content, UTF-8 once decoded.
	data []byte
	// ignored units are listed as a problem and not read.
	ignored bool
	// typ is the file type its header names; set by identify.
	typ *fileType
	// csv is the reader past the header, for CSV types.
	csv *csvFile
	// problems are the file's problems, in line order.
	problems []domain.ImportProblem
	// skipped counts the rows not returned.
	skipped int
}

// where names the file for a person: "diary.csv" or "diary.csv in
// export.zip".
func (u *unit) where() string {
	if u.zip != "" {
		return u.name + " in " + u.zip
	}
	return u.name
}

// problem lists a problem with the row starting at line (0: the file).
func (u *unit) problem(line int, reason string) {
	u.problems = append(u.problems, domain.ImportProblem{File: u.name, Line: line, Reason: reason})
}

// skip lists the row starting at line as skipped for reason.
func (u *unit) skip(line int, reason string) {
	u.problem(line, reason)
	u.skipped++
}

// ParseImport reads files as source, or detects the source from their
// headers when source is zero. now bounds release years and watched dates.
// Errors wrap domain.ErrValidation (a domain.FieldError on "file" whose
// rule names the file); see domain.ImportParser.
func (p *Parser) ParseImport(files []domain.ImportFile, source domain.ImportSource, now time.Time) (domain.ParsedImport, error) {
	if len(files) == 0 {
		return domain.ParsedImport{}, fileError("", "no file to import")
	}
	budget := p.limits.MaxDecompressed
	var units []*unit
	for i, f := range files {
		name := uploadName(f.Name, i)
		if looksLikeZip(f.Data) || strings.HasSuffix(strings.ToLower(name), ".zip") {
			members, err := p.unzip(name, f.Data, &budget)
			if err != nil {
				return domain.ParsedImport{}, err
			}
			units = append(units, members...)
			continue
		}
		u := &unit{name: name, data: f.Data}
		if otherLetterboxdFile(name) {
			u.ignored = true
		}
		units = append(units, u)
	}

	var read []*unit
	seen := make(map[[sha256.Size]byte]string, len(units))
	for _, u := range units {
		if u.ignored {
			u.problem(0, "ignored: not a diary file")
			continue
		}
		sum := sha256.Sum256(u.data)
		if first, dup := seen[sum]; dup && len(u.data) > 0 {
			u.problem(0, "ignored: the same content as "+first+", read already")
			continue
		}
		seen[sum] = u.where()
		if err := u.identify(); err != nil {
			return domain.ParsedImport{}, err
		}
		read = append(read, u)
	}
	if len(read) == 0 {
		return domain.ParsedImport{}, fileError(uploadName(files[0].Name, 0), "nothing to import: no diary.csv, reviews.csv, ratings.csv or watched.csv, no IMDb ratings export, no moviediary export")
	}
	detected, err := checkSources(read, source)
	if err != nil {
		return domain.ParsedImport{}, err
	}

	var rows []domain.ImportRow
	var lb letterboxd
	for _, u := range read {
		var err error
		switch u.typ.kind {
		case kindLetterboxdDiary, kindLetterboxdReviews, kindLetterboxdRatings, kindLetterboxdWatched:
			lb.read(u, now)
		case kindIMDb:
			rows = readIMDb(u, rows, now)
		case kindMoviediaryCSV:
			rows = readMoviediaryCSV(u, rows, now)
		case kindMoviediaryJSON:
			rows, err = readMoviediaryJSON(u, rows, now)
		}
		if err != nil {
			return domain.ParsedImport{}, err
		}
	}
	if detected == domain.ImportLetterboxd {
		rows = lb.rows()
	}

	out := domain.ParsedImport{Source: detected, Rows: rows}
	for _, u := range units {
		out.Skipped += u.skipped
		out.Problems = append(out.Problems, u.problems...)
	}
	return out, nil
}

// checkSources returns the one source every file is of, or an error when
// they mix sources or are not of want (when set).
func checkSources(read []*unit, want domain.ImportSource) (domain.ImportSource, error) {
	first := read[0]
	for _, u := range read {
		if want != "" && u.typ.source != want {
			return "", fileError(u.name, fmt.Sprintf("is %s, but this import reads %s files (source %q)", u.typ.describe(), sourceName(want), want))
		}
		if u.typ.source != first.typ.source {
			return "", fileError(u.name, fmt.Sprintf("is %s but %s is %s: files of different sources cannot be imported together; import them one source at a time",
				u.typ.describe(), first.name, first.typ.describe()))
		}
	}
	return first.typ.source, nil
}

// sourceName names a source for a person.
func sourceName(s domain.ImportSource) string {
	switch s {
	case domain.ImportLetterboxd:
		return "Letterboxd"
	case domain.ImportIMDb:
		return "IMDb"
	case domain.ImportMoviediary:
		return "moviediary"
	}
	return string(s)
}

// fileError is the error for a file that cannot be read as a whole.
func fileError(name, rule string) error {
	if name != "" {
		rule = name + ": " + rule
	}
	return domain.FieldError{Field: "file", Rule: rule}
}

// maxNameRunes bounds a file name as problems show it.
const maxNameRunes = 255

// uploadName is the name of the i-th upload as problems show it: its base
// name without control characters, or "file N" when it has none.
func uploadName(name string, i int) string {
	if j := strings.LastIndexAny(name, `/\`); j >= 0 {
		name = name[j+1:]
	}
	name = cleanName(name)
	if name == "" {
		return fmt.Sprintf("file %d", i+1)
	}
	return name
}

// cleanName trims name, replaces invalid UTF-8 and control characters,
// and bounds its length.
func cleanName(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > maxNameRunes {
		name = string([]rune(name)[:maxNameRunes])
	}
	return name
}

// otherLetterboxdFile reports whether an upload is named like a file of a
// Letterboxd export that holds no viewing (watchlist.csv has the header of
// watched.csv, so its name is what tells them apart).
func otherLetterboxdFile(name string) bool {
	switch strings.ToLower(name) {
	case "watchlist.csv", "profile.csv", "comments.csv":
		return true
	}
	return false
}
