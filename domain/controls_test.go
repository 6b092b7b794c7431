package domain_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/moviediary/moviediary/domain"
)

// controls are every control character (Unicode Cc): the C0 controls,
// DEL and the C1 controls.
func controls() []rune {
	var rs []rune
	for r := rune(0); r <= 0x9f; r++ {
		if r < 0x20 || r >= 0x7f {
			rs = append(rs, r)
		}
	}
	return rs
}

// Every text value object refuses control characters inside the text —
// NUL first of all, which PostgreSQL cannot store — naming its field. A
// comment alone keeps tab and line feed.
func TestTextValuesRefuseControlCharacters(t *testing.T) {
	t.Parallel()
	parsers := []struct {
		field string
		parse func(string) error
		// wrap places the character where the value is otherwise valid.
		wrap func(rune) string
		// allowed are the controls the value keeps.
		allowed string
	}{
		{"title", func(s string) error { _, err := domain.NewMovieTitle(s); return err }, func(r rune) string { return "Ali" + string(r) + "en" }, ""},
		{"director", func(s string) error { _, err := domain.NewDirector(s); return err }, func(r rune) string { return "Ridley" + string(r) + "Scott" }, ""},
		{"comment", func(s string) error { _, err := domain.NewComment(s); return err }, func(r rune) string { return "good" + string(r) + "film" }, "\t\n\r"},
		{"email", func(s string) error { _, err := domain.ParseEmail(s); return err }, func(r rune) string { return "ann" + string(r) + "lee@example.com" }, ""},
		{"email", func(s string) error { _, err := domain.ParseEmail(s); return err }, func(r rune) string { return `"ann` + string(r) + `lee"@example.com` }, ""},
		{"email", func(s string) error { _, err := domain.ParseEmail(s); return err }, func(r rune) string { return "ann@exa" + string(r) + "mple.com" }, ""},
		{"external_metadata_id", func(s string) error { _, err := domain.ParseExternalMetadataID(s); return err }, func(r rune) string { return "tt011" + string(r) + "1161" }, ""},
		{"poster_url", func(s string) error { _, err := domain.ParsePosterURL(s); return err }, func(r rune) string { return "https://img.example/a" + string(r) + ".jpg" }, ""},
		{"poster_path", func(s string) error { _, err := domain.NewPosterPath(s); return err }, func(r rune) string { return "posters/a" + string(r) }, ""},
	}
	for _, p := range parsers {
		for _, r := range controls() {
			in := p.wrap(r)
			t.Run(fmt.Sprintf("%s %q", p.field, in), func(t *testing.T) {
				t.Parallel()
				err := p.parse(in)
				if strings.ContainsRune(p.allowed, r) {
					checkFieldErr(t, err, "")
					return
				}
				checkFieldErr(t, err, p.field)
			})
		}
	}
}

// The rule a refused control character breaks names what is wrong, so the
// 400 a client gets says it.
func TestControlCharacterRulesSayWhatIsWrong(t *testing.T) {
	t.Parallel()
	for _, err := range []error{
		func() error { _, err := domain.NewMovieTitle("a\x00"); return err }(),
		func() error { _, err := domain.NewDirector("a\x00"); return err }(),
		func() error { _, err := domain.NewComment("a\x00"); return err }(),
		func() error { _, err := domain.ParseEmail("a\x00@b.c"); return err }(),
	} {
		var fe domain.FieldError
		if !errors.As(err, &fe) || !strings.Contains(fe.Rule, "control characters") {
			t.Errorf("rule = %v, want it to mention control characters", err)
		}
	}
}

// A comment keeps tab and line feed; CRLF and lone CR become LF before it
// is trimmed and counted, so a textarea's line breaks count as one
// character each.
func TestNewCommentNormalisesLineBreaks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"tab and LF kept", "a\tb\nc", "a\tb\nc"},
		{"CRLF becomes LF", "first\r\nsecond", "first\nsecond"},
		{"lone CR becomes LF", "first\rsecond", "first\nsecond"},
		{"CR CR LF is two breaks", "a\r\r\nb", "a\n\nb"},
		{"trailing CRLF trimmed", "done\r\n\r\n", "done"},
		{"CR only is no comment", "\r\r\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := domain.NewComment(tt.in)
			if err != nil {
				t.Fatalf("NewComment(%q): %v", tt.in, err)
			}
			if c.String() != tt.want {
				t.Errorf("NewComment(%q) = %q, want %q", tt.in, c, tt.want)
			}
		})
	}
	// 10,000 lines of "x\r\n" are 20,000 characters after normalising,
	// minus the trimmed last break: too long; 5,000 of them fit.
	if _, err := domain.NewComment(strings.Repeat("x\r\n", 5000)); err != nil {
		t.Errorf("5,000 CRLF lines (9,999 characters as LF): %v", err)
	}
	_, err := domain.NewComment(strings.Repeat("x\r\n", 5001))
	checkFieldErr(t, err, "comment")
}
