package diaryfile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/moviediary/moviediary/domain"
)

// dateLayout is how the files write dates.
const dateLayout = "2006-01-02"

// issues collects what is wrong with a row, so its problem lists it all.
type issues []string

// add records a problem of the row.
func (is *issues) add(format string, args ...any) { *is = append(*is, fmt.Sprintf(format, args...)) }

// reason is the row's problem, for a person.
func (is issues) reason() string { return strings.Join(is, "; ") }

// rule returns the rule a domain error says was broken.
func rule(err error) string {
	var fe domain.FieldError
	if errors.As(err, &fe) {
		return fe.Rule
	}
	return err.Error()
}

// parseTitle reads a film's title from column col.
func parseTitle(col, s string, is *issues) domain.MovieTitle {
	t, err := domain.NewMovieTitle(s)
	if err != nil {
		is.add("%s: %s", col, rule(err))
	}
	return t
}

// parseYear reads a release year from column col.
func parseYear(col, s string, now time.Time, is *issues) domain.ReleaseYear {
	s = strings.TrimSpace(s)
	if s == "" {
		is.add("%s is missing", col)
		return domain.ReleaseYear{}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		is.add("%s %q is not a year", col, s)
		return domain.ReleaseYear{}
	}
	y, err := domain.NewReleaseYearAt(n, now)
	if err != nil {
		is.add("%s %d: %s", col, n, rule(err))
	}
	return y
}

// parseDate reads a watched date (YYYY-MM-DD, at midnight UTC) from
// column col; it must not lie in the future.
func parseDate(col, s string, now time.Time, is *issues) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		is.add("%s is missing", col)
		return time.Time{}
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		is.add("%s %q is not a date (want YYYY-MM-DD)", col, s)
		return time.Time{}
	}
	if err := domain.ValidateWatchedAt(t, now); err != nil {
		is.add("%s %s: %s", col, s, rule(err))
		return time.Time{}
	}
	return t
}

// parseStars reads a rating in stars, in halves from lowest to 5, from
// column col; empty is not rated.
func parseStars(col, s string, lowest float64, is *issues) domain.Rating {
	s = strings.TrimSpace(s)
	if s == "" {
		return domain.Rating{}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err == nil && f >= lowest {
		if r, err := domain.NewRating(f); err == nil {
			return r
		}
	}
	is.add("%s %q: must be %s to 5 in steps of 0.5, or empty", col, s, strconv.FormatFloat(lowest, 'f', -1, 64))
	return domain.Rating{}
}

// parseComment reads review text from column col.
func parseComment(col, s string, is *issues) domain.Comment {
	c, err := domain.NewComment(s)
	if err != nil {
		is.add("%s: %s", col, rule(err))
	}
	return c
}

// parseDirector reads a director from column col.
func parseDirector(col, s string, is *issues) domain.Director {
	d, err := domain.NewDirector(s)
	if err != nil {
		is.add("%s: %s", col, rule(err))
	}
	return d
}

// parseExternalID reads an IMDb ID from column col; empty is none.
func parseExternalID(col, s string, is *issues) domain.ExternalMetadataID {
	if strings.TrimSpace(s) == "" {
		return domain.ExternalMetadataID{}
	}
	id, err := domain.ParseExternalMetadataID(s)
	if err != nil {
		is.add("%s %q: %s", col, strings.TrimSpace(s), rule(err))
	}
	return id
}

// filmDay returns a film's identity — its title in lower case (compared
// ignoring case), NUL, its year — and its day: the identity, NUL, date.
// The identity is a prefix of the day; both take one allocation.
func filmDay(t domain.MovieTitle, y domain.ReleaseYear, date time.Time) (film, day string) {
	title := t.String()
	var b strings.Builder
	b.Grow(len(title) + len("\x002006\x002006-01-02"))
	for _, r := range title {
		switch {
		case 'A' <= r && r <= 'Z':
			b.WriteByte(byte(r) + 'a' - 'A')
		case r < utf8.RuneSelf:
			b.WriteByte(byte(r))
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	var tail [len("\x002006\x002006-01-02") + 8]byte
	buf := append(tail[:0], 0)
	buf = strconv.AppendInt(buf, int64(y.Int()), 10)
	n := b.Len() + len(buf)
	buf = append(buf, 0)
	buf = date.AppendFormat(buf, dateLayout)
	b.Write(buf)
	day = b.String()
	return day[:n], day
}

// occurrences numbers the rows of one identity in file order, so that two
// viewings of a film on one day get two keys.
type occurrences map[string]int

// next returns how many rows of identity came before, and counts this one.
func (o occurrences) next(identity string) int {
	n := o[identity]
	o[identity] = n + 1
	return n
}

// hashKey is the hex SHA-256 of parts joined by NUL (no part holds one:
// titles refuse control characters).
func hashKey(parts ...string) domain.ImportRowKey {
	var arr [512]byte
	buf := arr[:0]
	for i, p := range parts {
		if i > 0 {
			buf = append(buf, 0)
		}
		buf = append(buf, p...)
	}
	sum := sha256.Sum256(buf)
	return domain.ImportRowKey(hex.EncodeToString(sum[:]))
}

// viewingKey is the key of the n-th viewing of a film on a day (its
// identity and the date, NUL between them) from source.
func viewingKey(source, day string, n int) domain.ImportRowKey {
	return hashKey(source, "viewing", day, strconv.Itoa(n))
}
