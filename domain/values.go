package domain

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ExternalMetadataID is an IMDb title ID: "tt" followed by 7 to 10 digits.
type ExternalMetadataID struct{ v string }

// ParseExternalMetadataID trims s and accepts either a bare IMDb title ID
// ("tt0111161") or an IMDb title URL ("https://www.imdb.com/title/tt0111161/"),
// which it normalises to the ID.
func ParseExternalMetadataID(s string) (ExternalMetadataID, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		id, ok := imdbIDFromURL(s)
		if !ok {
			return ExternalMetadataID{}, fieldErr("external_metadata_id", "must be an IMDb title ID like tt0111161 or an IMDb title URL")
		}
		s = id
	}
	if !isIMDbTitleID(s) {
		return ExternalMetadataID{}, fieldErr("external_metadata_id", "must be an IMDb title ID: tt followed by 7 to 10 digits")
	}
	return ExternalMetadataID{s}, nil
}

func isIMDbTitleID(s string) bool {
	if !strings.HasPrefix(s, "tt") {
		return false
	}
	digits := s[2:]
	if len(digits) < 7 || len(digits) > 10 {
		return false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func imdbIDFromURL(s string) (string, bool) {
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	switch strings.ToLower(u.Hostname()) {
	case "imdb.com", "www.imdb.com", "m.imdb.com":
	default:
		return "", false
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(segs) < 2 || segs[0] != "title" {
		return "", false
	}
	return segs[1], true
}

// String returns the ID, e.g. "tt0111161".
func (id ExternalMetadataID) String() string { return id.v }

// IsZero reports whether no ID is set.
func (id ExternalMetadataID) IsZero() bool { return id.v == "" }

// MustParseExternalMetadataID panics on an invalid ID; for tests only.
func MustParseExternalMetadataID(s string) ExternalMetadataID {
	return mustParse(ParseExternalMetadataID(s))
}

// MaxTitleRunes is the longest title accepted, counted in characters.
const MaxTitleRunes = 255

// MovieTitle is a trimmed, non-empty, single-line title of at most 255
// characters without control characters.
type MovieTitle struct{ v string }

// NewMovieTitle validates and trims a title. It refuses every control
// character (see ruleSingleLine), tab and line breaks included.
func NewMovieTitle(s string) (MovieTitle, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return MovieTitle{}, fieldErr("title", "must not be empty")
	case !utf8.ValidString(s):
		return MovieTitle{}, fieldErr("title", "must be valid UTF-8")
	case hasControl(s, false):
		return MovieTitle{}, fieldErr("title", ruleSingleLine)
	case utf8.RuneCountInString(s) > MaxTitleRunes:
		return MovieTitle{}, fieldErr("title", "must be at most 255 characters")
	}
	return MovieTitle{s}, nil
}

// String returns the title.
func (t MovieTitle) String() string { return t.v }

// IsZero reports whether the title is unset.
func (t MovieTitle) IsZero() bool { return t.v == "" }

// EqualFold reports whether two titles are the same ignoring case.
func (t MovieTitle) EqualFold(o MovieTitle) bool { return strings.EqualFold(t.v, o.v) }

// MustNewMovieTitle panics on an invalid title; for tests only.
func MustNewMovieTitle(s string) MovieTitle { return mustParse(NewMovieTitle(s)) }

// Director is a film's director: trimmed, a single line of at most 255
// characters without control characters; the zero value means unknown.
type Director struct{ v string }

// NewDirector validates and trims a director's name. An empty name gives the
// zero Director (unknown). Control characters are refused as in
// NewMovieTitle.
func NewDirector(s string) (Director, error) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return Director{}, fieldErr("director", "must be valid UTF-8")
	case hasControl(s, false):
		return Director{}, fieldErr("director", ruleSingleLine)
	case utf8.RuneCountInString(s) > MaxTitleRunes:
		return Director{}, fieldErr("director", "must be at most 255 characters")
	}
	return Director{s}, nil
}

// String returns the name, or "" when unknown.
func (d Director) String() string { return d.v }

// IsZero reports whether the director is unknown.
func (d Director) IsZero() bool { return d.v == "" }

// MaxCommentRunes is the longest comment accepted, counted in characters.
const MaxCommentRunes = 10000

// Comment is a trimmed note of at most 10,000 characters. It may span
// lines: its only control characters are tab and LF. The zero value means
// no comment.
type Comment struct{ v string }

// NewComment validates and trims a comment. Whitespace only gives the zero
// Comment (no comment). Line breaks are normalised first: CRLF (what an
// HTML textarea posts) and a lone CR become LF. Tab and LF are kept; every
// other control character is refused (see ruleMultiLine).
func NewComment(s string) (Comment, error) {
	s = normaliseLineBreaks(s)
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return Comment{}, fieldErr("comment", "must be valid UTF-8")
	case hasControl(s, true):
		return Comment{}, fieldErr("comment", ruleMultiLine)
	case utf8.RuneCountInString(s) > MaxCommentRunes:
		return Comment{}, fieldErr("comment", "must be at most 10000 characters")
	}
	return Comment{s}, nil
}

// String returns the comment, or "" when there is none.
func (c Comment) String() string { return c.v }

// IsZero reports whether there is no comment.
func (c Comment) IsZero() bool { return c.v == "" }

// Rules for text that holds control characters. Control characters are
// the C0 controls U+0000–U+001F, DEL U+007F and the C1 controls
// U+0080–U+009F (Unicode's Cc category): NUL, which PostgreSQL cannot store
// in text, terminal escapes, and invisible characters nobody types.
const (
	ruleSingleLine = "must be a single line without control characters (U+0000–U+001F, U+007F–U+009F)"
	ruleMultiLine  = "must not contain control characters (U+0000–U+001F, U+007F–U+009F) other than tab and line breaks"
	ruleNoControl  = "must not contain control characters (U+0000–U+001F, U+007F–U+009F)"
)

// hasControl reports whether s holds a control character (Unicode Cc);
// with multiLine, tab and LF are allowed. s must be valid UTF-8.
func hasControl(s string, multiLine bool) bool {
	for _, r := range s {
		if !unicode.IsControl(r) {
			continue
		}
		if multiLine && (r == '\t' || r == '\n') {
			continue
		}
		return true
	}
	return false
}

// normaliseLineBreaks turns CRLF and lone CR into LF.
func normaliseLineBreaks(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// Rating is 0 to 5 stars in steps of half a star, or no rating at all: the
// zero Rating means "watched, not rated". It is held exactly, as a count of
// half stars.
type Rating struct {
	halves int8
	rated  bool
}

// Rating bounds, in stars.
const (
	MinRating = 0
	MaxRating = 5
)

// ruleRating is the rule a rating breaks.
const ruleRating = "must be a number from 0 to 5 in steps of 0.5 (or null for no rating)"

// NewRating validates a rating given in stars: 0, 0.5, 1, … 5. Anything
// else — 4.3, 6, -1, NaN — is refused with a FieldError on "rating".
func NewRating(stars float64) (Rating, error) {
	h := stars * 2
	if math.IsNaN(h) || h < MinRating*2 || h > MaxRating*2 || h != math.Trunc(h) {
		return Rating{}, fieldErr("rating", ruleRating)
	}
	return Rating{halves: int8(h), rated: true}, nil
}

// RatingFromHalves validates a rating given in half stars, 0 to 10: the
// form stores keep it in.
func RatingFromHalves(halves int) (Rating, error) {
	if halves < MinRating*2 || halves > MaxRating*2 {
		return Rating{}, fieldErr("rating", ruleRating)
	}
	return Rating{halves: int8(halves), rated: true}, nil
}

// IsZero reports whether r is no rating (not rated).
func (r Rating) IsZero() bool { return !r.rated }

// Halves returns the rating in half stars, 0 to 10; 0 when not rated
// (check IsZero).
func (r Rating) Halves() int { return int(r.halves) }

// Stars returns the rating in stars, 0 to 5 in steps of 0.5; 0 when not
// rated (check IsZero).
func (r Rating) Stars() float64 { return float64(r.halves) / 2 }

// String returns the number of stars in decimal ("4", "4.5"), or "" when
// not rated.
func (r Rating) String() string {
	if !r.rated {
		return ""
	}
	s := strconv.Itoa(int(r.halves) / 2)
	if r.halves%2 == 1 {
		s += ".5"
	}
	return s
}

// MustNewRating panics on an invalid rating; for tests only.
func MustNewRating(stars float64) Rating { return mustParse(NewRating(stars)) }

// FirstFilmYear is the year of the earliest surviving motion picture.
const FirstFilmYear = 1888

// ReleaseYear is a film's release year: 1888 to the current year + 5.
type ReleaseYear struct{ v int }

// NewReleaseYear validates y against the current year.
func NewReleaseYear(y int) (ReleaseYear, error) { return NewReleaseYearAt(y, time.Now()) }

// NewReleaseYearAt validates y against the year of now.
func NewReleaseYearAt(y int, now time.Time) (ReleaseYear, error) {
	maxYear := now.UTC().Year() + 5
	if y < FirstFilmYear || y > maxYear {
		return ReleaseYear{}, fieldErr("release_year", "must be from 1888 to "+strconv.Itoa(maxYear))
	}
	return ReleaseYear{y}, nil
}

// Int returns the year.
func (y ReleaseYear) Int() int { return y.v }

// String returns the year in decimal.
func (y ReleaseYear) String() string { return strconv.Itoa(y.v) }

// IsZero reports whether the year is unset.
func (y ReleaseYear) IsZero() bool { return y.v == 0 }

// MustNewReleaseYear panics on an invalid year; for tests only.
func MustNewReleaseYear(y int) ReleaseYear { return mustParse(NewReleaseYear(y)) }

// Email is a bare address, stored and compared in lower case.
type Email struct{ v string }

// maxEmailBytes is the longest address SMTP allows in a path.
const maxEmailBytes = 254

// ParseEmail trims s and accepts a bare address only (no display name, no
// angle brackets).
func ParseEmail(s string) (Email, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Email{}, fieldErr("email", "must not be empty")
	}
	if hasControl(s, false) {
		// net/mail lets tab and C1 controls through in quoted local parts.
		return Email{}, fieldErr("email", ruleNoControl)
	}
	if len(s) > maxEmailBytes {
		return Email{}, fieldErr("email", "must be at most 254 bytes")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return Email{}, fieldErr("email", "must be a bare email address like name@example.com")
	}
	return Email{strings.ToLower(s)}, nil
}

// String returns the lower-case address.
func (e Email) String() string { return e.v }

// IsZero reports whether the email is unset.
func (e Email) IsZero() bool { return e.v == "" }

// MustParseEmail panics on an invalid address; for tests only.
func MustParseEmail(s string) Email { return mustParse(ParseEmail(s)) }

// PasswordHash is a password hash in PHC string format ("$argon2id$v=19$…").
type PasswordHash struct{ v string }

// NewPasswordHash accepts a non-empty PHC string.
func NewPasswordHash(s string) (PasswordHash, error) {
	if len(s) < 2 || s[0] != '$' || strings.IndexFunc(s, unicode.IsSpace) >= 0 || strings.Count(s, "$") < 2 {
		return PasswordHash{}, fieldErr("password_hash", "must be a PHC string like $argon2id$…")
	}
	return PasswordHash{s}, nil
}

// PHC returns the PHC string, for the adapters that store and verify the
// hash. It is a secret: never log it. String, GoString, Format and LogValue
// redact it, so printing or logging a PasswordHash (or a User holding one)
// never shows it.
func (h PasswordHash) PHC() string { return h.v }

// redactedHash is what a set PasswordHash prints and logs as.
const redactedHash = "[REDACTED]"

// String returns "[REDACTED]", or "" for the zero hash; never the secret.
// Use PHC for the hash itself.
func (h PasswordHash) String() string { return h.redacted() }

func (h PasswordHash) redacted() string {
	if h.IsZero() {
		return ""
	}
	return redactedHash
}

// GoString returns a Go expression that hides the secret:
// domain.PasswordHash{/* redacted */}, or domain.PasswordHash{} for the zero
// hash.
func (h PasswordHash) GoString() string {
	if h.IsZero() {
		return "domain.PasswordHash{}"
	}
	return "domain.PasswordHash{/* redacted */}"
}

// Format makes every fmt verb print the redacted form: %#v prints GoString,
// every other verb (%v, %s, %q, %x, %d, …) String, so no verb falls back to
// printing the unexported field.
func (h PasswordHash) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, h.GoString())
		return
	}
	if verb == 'q' {
		_, _ = io.WriteString(f, strconv.Quote(h.redacted()))
		return
	}
	_, _ = io.WriteString(f, h.redacted())
}

// LogValue logs the redacted form, with slog's text and JSON handlers
// alike.
func (h PasswordHash) LogValue() slog.Value { return slog.StringValue(h.redacted()) }

// IsZero reports whether the hash is unset.
func (h PasswordHash) IsZero() bool { return h.v == "" }

// maxURLBytes bounds poster URLs.
const maxURLBytes = 2048

// PosterURL is an absolute http or https URL of a poster image.
type PosterURL struct{ v string }

// ParsePosterURL accepts an absolute http(s) URL with a host.
func ParsePosterURL(s string) (PosterURL, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxURLBytes {
		return PosterURL{}, fieldErr("poster_url", "must be at most 2048 bytes")
	}
	u, err := url.Parse(s)
	// url.Parse refuses C0 controls and DEL but lets C1 controls through.
	if err != nil || hasControl(s, false) || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return PosterURL{}, fieldErr("poster_url", "must be an absolute http or https URL")
	}
	return PosterURL{u.String()}, nil
}

// String returns the URL.
func (u PosterURL) String() string { return u.v }

// IsZero reports whether the URL is unset.
func (u PosterURL) IsZero() bool { return u.v == "" }

// MustParsePosterURL panics on an invalid URL; for tests only.
func MustParsePosterURL(s string) PosterURL { return mustParse(ParsePosterURL(s)) }

// PosterPath is the key under which a poster is stored.
type PosterPath struct{ v string }

// NewPosterPath accepts a non-empty key of at most 1024 bytes without
// control characters.
func NewPosterPath(s string) (PosterPath, error) {
	if s == "" || len(s) > 1024 || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return PosterPath{}, fieldErr("poster_path", "must be a non-empty storage key of at most 1024 bytes")
	}
	return PosterPath{s}, nil
}

// String returns the key.
func (p PosterPath) String() string { return p.v }

// IsZero reports whether no poster is stored.
func (p PosterPath) IsZero() bool { return p.v == "" }

// MustNewPosterPath panics on an invalid key; for tests only.
func MustNewPosterPath(s string) PosterPath { return mustParse(NewPosterPath(s)) }
