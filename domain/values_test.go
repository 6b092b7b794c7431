package domain_test

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

func TestParseExternalMetadataID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		want  string
		field string // the field of the expected validation error, "" when valid
	}{
		{"6 digits are too few", "tt123456", "", "external_metadata_id"},
		{"7 digits", "tt0111161", "tt0111161", ""},
		{"10 digits", "tt1234567890", "tt1234567890", ""},
		{"11 digits are too many", "tt12345678901", "", "external_metadata_id"},
		{"surrounding whitespace is trimmed", " \ttt0111161\n ", "tt0111161", ""},
		{"empty", "", "", "external_metadata_id"},
		{"whitespace only", "   ", "", "external_metadata_id"},
		{"upper-case prefix", "TT0111161", "", "external_metadata_id"},
		{"a name ID", "nm0000151", "", "external_metadata_id"},
		{"letters among the digits", "tt01111a1", "", "external_metadata_id"},
		{"non-ASCII digits", "tt０１１１１６１", "", "external_metadata_id"},
		{"bare prefix", "tt", "", "external_metadata_id"},
		{"title URL", "https://www.imdb.com/title/tt0111161/", "tt0111161", ""},
		{"title URL without trailing slash", "https://www.imdb.com/title/tt0111161", "tt0111161", ""},
		{"title URL with query", "https://www.imdb.com/title/tt0111161/?ref_=nv_sr_srsg_0", "tt0111161", ""},
		{"title URL with sub-page and fragment", "https://www.imdb.com/title/tt0111161/reviews#top", "tt0111161", ""},
		{"mobile host", "https://m.imdb.com/title/tt0111161/", "tt0111161", ""},
		{"bare host", "https://imdb.com/title/tt0111161/", "tt0111161", ""},
		{"http scheme", "http://www.imdb.com/title/tt0111161/", "tt0111161", ""},
		{"no scheme", "www.imdb.com/title/tt0111161/", "tt0111161", ""},
		{"host in capitals", "https://WWW.IMDB.COM/title/tt0111161/", "tt0111161", ""},
		{"URL is trimmed", "  https://www.imdb.com/title/tt0111161/  ", "tt0111161", ""},
		{"other host refused", "https://www.example.com/title/tt0111161/", "", "external_metadata_id"},
		{"look-alike host refused", "https://www.imdb.com.example.com/title/tt0111161/", "", "external_metadata_id"},
		{"suffix host refused", "https://notimdb.com/title/tt0111161/", "", "external_metadata_id"},
		{"name page refused", "https://www.imdb.com/name/nm0000151/", "", "external_metadata_id"},
		{"other scheme refused", "ftp://www.imdb.com/title/tt0111161/", "", "external_metadata_id"},
		{"title URL without ID", "https://www.imdb.com/title/", "", "external_metadata_id"},
		{"title URL with a short ID", "https://www.imdb.com/title/tt12345/", "", "external_metadata_id"},
		{"unparseable URL", "https://www.imdb.com:port/title/tt0111161/", "", "external_metadata_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id, err := domain.ParseExternalMetadataID(tt.in)
			checkFieldErr(t, err, tt.field)
			if id.String() != tt.want || id.IsZero() != (tt.want == "") {
				t.Fatalf("ParseExternalMetadataID(%q) = %q (zero %v), want %q", tt.in, id, id.IsZero(), tt.want)
			}
		})
	}
}

func TestMustParseExternalMetadataID(t *testing.T) {
	t.Parallel()
	if got := domain.MustParseExternalMetadataID("tt0111161").String(); got != "tt0111161" {
		t.Fatalf("got %q", got)
	}
	mustPanic(t, "MustParseExternalMetadataID(bad)", func() { domain.MustParseExternalMetadataID("bad") })
}

func TestNewMovieTitle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		want  string
		field string
	}{
		{"255 two-byte runes", strings.Repeat("é", 255), strings.Repeat("é", 255), ""},
		{"256 two-byte runes", strings.Repeat("é", 256), "", "title"},
		{"255 three-byte runes", strings.Repeat("日", 255), strings.Repeat("日", 255), ""},
		{"256 three-byte runes", strings.Repeat("日", 256), "", "title"},
		{"255 ASCII", strings.Repeat("a", 255), strings.Repeat("a", 255), ""},
		{"256 ASCII", strings.Repeat("a", 256), "", "title"},
		{"length counted after trimming", "  " + strings.Repeat("日", 255) + "\n", strings.Repeat("日", 255), ""},
		{"trimmed", "  Alien \t", "Alien", ""},
		{"empty", "", "", "title"},
		{"whitespace only", " \t\n\u00a0 ", "", "title"},
		{"invalid UTF-8", "Alien \xff", "", "title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			title, err := domain.NewMovieTitle(tt.in)
			checkFieldErr(t, err, tt.field)
			if title.String() != tt.want || title.IsZero() != (tt.want == "") {
				t.Fatalf("NewMovieTitle = %q, want %q", title, tt.want)
			}
		})
	}
}

func TestMovieTitle_EqualFold(t *testing.T) {
	t.Parallel()
	a := domain.MustNewMovieTitle("Amélie")
	if !a.EqualFold(domain.MustNewMovieTitle("AMÉLIE")) {
		t.Error("titles differing in case are not EqualFold")
	}
	if a.EqualFold(domain.MustNewMovieTitle("Amelie")) {
		t.Error("titles differing in accents are EqualFold")
	}
	mustPanic(t, "MustNewMovieTitle(\"\")", func() { domain.MustNewMovieTitle(" ") })
}

func TestNewDirector(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		want  string
		field string
	}{
		{"empty is unknown", "", "", ""},
		{"whitespace is unknown", "  \t", "", ""},
		{"trimmed", "  Agnès Varda ", "Agnès Varda", ""},
		{"255 runes", strings.Repeat("日", 255), strings.Repeat("日", 255), ""},
		{"256 runes", strings.Repeat("日", 256), "", "director"},
		{"invalid UTF-8", "\xffVarda", "", "director"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := domain.NewDirector(tt.in)
			checkFieldErr(t, err, tt.field)
			if d.String() != tt.want || d.IsZero() != (tt.want == "") {
				t.Fatalf("NewDirector = %q, want %q", d, tt.want)
			}
		})
	}
}

func TestNewComment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		want  string
		field string
	}{
		{"10,000 runes", strings.Repeat("é", 10000), strings.Repeat("é", 10000), ""},
		{"10,001 runes", strings.Repeat("é", 10001), "", "comment"},
		{"10,000 runes after trimming", "\n" + strings.Repeat("日", 10000) + "  ", strings.Repeat("日", 10000), ""},
		{"trimmed", "  loved it\n", "loved it", ""},
		{"empty is no comment", "", "", ""},
		{"whitespace is no comment", " \n\t ", "", ""},
		{"invalid UTF-8", "ok \xfe", "", "comment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := domain.NewComment(tt.in)
			checkFieldErr(t, err, tt.field)
			if c.String() != tt.want || c.IsZero() != (tt.want == "") {
				t.Fatalf("NewComment = %d bytes, want %d", len(c.String()), len(tt.want))
			}
		})
	}
}

func TestNewRating(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     float64
		field  string
		halves int
		text   string
	}{
		{-1, "rating", 0, ""},
		{-0.5, "rating", 0, ""},
		{0, "", 0, "0"},
		{0.5, "", 1, "0.5"},
		{3, "", 6, "3"},
		{4.5, "", 9, "4.5"},
		{5, "", 10, "5"},
		{5.5, "rating", 0, ""},
		{6, "rating", 0, ""},
		{4.3, "rating", 0, ""},
		{4.25, "rating", 0, ""},
		{math.NaN(), "rating", 0, ""},
		{math.Inf(1), "rating", 0, ""},
	}
	for _, tt := range tests {
		r, err := domain.NewRating(tt.in)
		checkFieldErr(t, err, tt.field)
		if tt.field != "" {
			continue
		}
		if r.IsZero() || r.Halves() != tt.halves || r.Stars() != tt.in || r.String() != tt.text {
			t.Errorf("NewRating(%v) = halves %d, stars %v, %q, zero %v", tt.in, r.Halves(), r.Stars(), r.String(), r.IsZero())
		}
		back, err := domain.RatingFromHalves(tt.halves)
		if err != nil || back != r {
			t.Errorf("RatingFromHalves(%d) = %v, %v; want %v", tt.halves, back, err, r)
		}
	}
	for _, h := range []int{-1, 11} {
		if _, err := domain.RatingFromHalves(h); !errors.Is(err, domain.ErrValidation) {
			t.Errorf("RatingFromHalves(%d) = %v, want a validation error", h, err)
		}
	}
	var none domain.Rating
	if !none.IsZero() || none.String() != "" || none == domain.MustNewRating(0) {
		t.Error("the zero Rating must be 'not rated', distinct from 0 stars")
	}
	mustPanic(t, "MustNewRating(6)", func() { domain.MustNewRating(6) })
}

func TestNewReleaseYearAt(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)
	// 23:30 on 31 December 2024 in New York is already 2025 in UTC.
	newYork := time.FixedZone("EST", -5*60*60)
	lateNewYear := time.Date(2024, 12, 31, 23, 30, 0, 0, newYork)
	tests := []struct {
		name  string
		year  int
		now   time.Time
		field string
	}{
		{"1887 is before the first film", 1887, now, "release_year"},
		{"1888 is the first film", 1888, now, ""},
		{"this year", 2024, now, ""},
		{"current year + 5", 2029, now, ""},
		{"current year + 6", 2030, now, "release_year"},
		{"the year is taken in UTC", 2030, lateNewYear, ""},
		{"zero", 0, now, "release_year"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			y, err := domain.NewReleaseYearAt(tt.year, tt.now)
			checkFieldErr(t, err, tt.field)
			if tt.field == "" && (y.Int() != tt.year || y.String() != strconv.Itoa(tt.year) || y.IsZero()) {
				t.Fatalf("NewReleaseYearAt(%d) = %v", tt.year, y)
			}
			if tt.field != "" && !y.IsZero() {
				t.Fatalf("a refused year is not zero: %v", y)
			}
		})
	}
	if _, err := domain.NewReleaseYearAt(2030, now); err == nil || !strings.Contains(err.Error(), "1888 to 2029") {
		t.Errorf("error %v does not name the range 1888 to 2029", err)
	}
}

func TestNewReleaseYear_UsesTheCurrentYear(t *testing.T) {
	t.Parallel()
	this := time.Now().UTC().Year()
	if _, err := domain.NewReleaseYear(this + 5); err != nil {
		t.Errorf("this year + 5: %v", err)
	}
	if _, err := domain.NewReleaseYear(this + 6); err == nil {
		t.Error("this year + 6 accepted")
	}
	if domain.MustNewReleaseYear(1994).Int() != 1994 {
		t.Error("MustNewReleaseYear(1994) != 1994")
	}
	mustPanic(t, "MustNewReleaseYear(1887)", func() { domain.MustNewReleaseYear(1887) })
}

func TestParseEmail(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com" // 254 bytes
	tests := []struct {
		name  string
		in    string
		want  string
		field string
	}{
		{"bare address", "ann@example.com", "ann@example.com", ""},
		{"trimmed and lower-cased", "  Ann.Lee@Example.COM \n", "ann.lee@example.com", ""},
		{"plus addressing", "ann+diary@example.com", "ann+diary@example.com", ""},
		{"254 bytes", long, long, ""},
		{"255 bytes", "a" + long, "", "email"},
		{"display name refused", "Ann <a@b.c>", "", "email"},
		{"angle brackets refused", "<a@b.c>", "", "email"},
		{"quoted display name refused", `"Ann" <a@b.c>`, "", "email"},
		{"two addresses refused", "a@b.c, d@e.f", "", "email"},
		{"garbage refused", "not an email", "", "email"},
		{"missing domain", "ann@", "", "email"},
		{"missing local part", "@example.com", "", "email"},
		{"space inside", "ann lee@example.com", "", "email"},
		{"empty", "", "", "email"},
		{"whitespace only", "   ", "", "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := domain.ParseEmail(tt.in)
			checkFieldErr(t, err, tt.field)
			if e.String() != tt.want || e.IsZero() != (tt.want == "") {
				t.Fatalf("ParseEmail(%q) = %q, want %q", tt.in, e, tt.want)
			}
		})
	}
	if domain.MustParseEmail("A@B.C") != domain.MustParseEmail("a@b.c") {
		t.Error("emails differing in case are not equal")
	}
	mustPanic(t, "MustParseEmail(bad)", func() { domain.MustParseEmail("bad") })
}

func TestNewPasswordHash(t *testing.T) {
	t.Parallel()
	const phc = "$argon2id$v=19$m=65536,t=1,p=2$c2FsdHNhbHQ$aGFzaGhhc2g"
	tests := []struct {
		name  string
		in    string
		field string
	}{
		{"argon2id PHC string", phc, ""},
		{"minimal PHC shape", "$a$b", ""},
		{"empty", "", "password_hash"},
		{"a lone dollar", "$", "password_hash"},
		{"one segment", "$argon2id", "password_hash"},
		{"no leading dollar", "argon2id$v=19$x", "password_hash"},
		{"a plain password", "hunter22", "password_hash"},
		{"whitespace inside", "$argon2id$v=19 $x", "password_hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := domain.NewPasswordHash(tt.in)
			checkFieldErr(t, err, tt.field)
			if tt.field == "" && (h.PHC() != tt.in || h.IsZero()) {
				t.Fatalf("NewPasswordHash = %q", h.PHC())
			}
			if tt.field != "" && !h.IsZero() {
				t.Fatal("a refused hash is not zero")
			}
		})
	}
}

func TestParsePosterURL(t *testing.T) {
	t.Parallel()
	long := "https://img.example.com/" + strings.Repeat("p", 2048-len("https://img.example.com/"))
	tests := []struct {
		name  string
		in    string
		want  string
		field string
	}{
		{"https", "https://m.media-amazon.com/images/M/poster.jpg", "https://m.media-amazon.com/images/M/poster.jpg", ""},
		{"http", "http://img.example.com/p.png", "http://img.example.com/p.png", ""},
		{"trimmed", "  https://img.example.com/p.png\n", "https://img.example.com/p.png", ""},
		{"with query", "https://img.example.com/p.png?w=300", "https://img.example.com/p.png?w=300", ""},
		{"2048 bytes", long, long, ""},
		{"2049 bytes", long + "p", "", "poster_url"},
		{"ftp refused", "ftp://img.example.com/p.png", "", "poster_url"},
		{"file refused", "file:///etc/passwd", "", "poster_url"},
		{"data refused", "data:image/png;base64,AAAA", "", "poster_url"},
		{"javascript refused", "javascript:alert(1)", "", "poster_url"},
		{"relative refused", "/posters/p.png", "", "poster_url"},
		{"no host refused", "https:///p.png", "", "poster_url"},
		{"credentials refused", "https://user:secret@img.example.com/p.png", "", "poster_url"},
		{"N/A refused", "N/A", "", "poster_url"},
		{"empty", "", "", "poster_url"},
		{"unparseable", "https://img.example.com:port/p.png", "", "poster_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := domain.ParsePosterURL(tt.in)
			checkFieldErr(t, err, tt.field)
			if u.String() != tt.want || u.IsZero() != (tt.want == "") {
				t.Fatalf("ParsePosterURL(%q) = %q, want %q", tt.in, u, tt.want)
			}
		})
	}
	mustPanic(t, "MustParsePosterURL(bad)", func() { domain.MustParsePosterURL("ftp://x/y") })
	if domain.MustParsePosterURL("https://x.example/y.jpg").String() != "https://x.example/y.jpg" {
		t.Error("MustParsePosterURL changed a valid URL")
	}
}

func TestNewPosterPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		field string
	}{
		{"a key", "posters/0190f5c2.jpg", ""},
		{"1024 bytes", strings.Repeat("k", 1024), ""},
		{"1025 bytes", strings.Repeat("k", 1025), "poster_path"},
		{"empty", "", "poster_path"},
		{"control character", "posters/a\nb.jpg", "poster_path"},
		{"NUL", "posters/a\x00.jpg", "poster_path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := domain.NewPosterPath(tt.in)
			checkFieldErr(t, err, tt.field)
			if tt.field == "" && (p.String() != tt.in || p.IsZero()) {
				t.Fatalf("NewPosterPath = %q", p)
			}
		})
	}
	mustPanic(t, "MustNewPosterPath(\"\")", func() { domain.MustNewPosterPath("") })
	if domain.MustNewPosterPath("k").String() != "k" {
		t.Error("MustNewPosterPath changed the key")
	}
}
