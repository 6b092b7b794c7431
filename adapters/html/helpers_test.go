package html_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	xhtml "golang.org/x/net/html"

	"github.com/moviediary/moviediary/adapters/html"
	"github.com/moviediary/moviediary/domain"
)

// nasty holds every character class that must be escaped, plus emoji.
const nasty = `<script>alert(1)</script> & "double" 'single' 🍿🎬`

func mustRenderer(tb testing.TB) *html.Renderer {
	tb.Helper()
	r, err := html.New(html.Config{})
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return r
}

type movieOpt func(*domain.Movie)

func withPoster(m *domain.Movie) { m.PosterPath = domain.MustNewPosterPath("posters/" + m.ID.String()) }

func withDirector(name string) movieOpt {
	return func(m *domain.Movie) {
		d, err := domain.NewDirector(name)
		if err != nil {
			panic(err)
		}
		m.Director = d
	}
}

func mustMovie(tb testing.TB, title string, year int, opts ...movieOpt) domain.Movie {
	tb.Helper()
	m, err := domain.NewMovie(domain.ExternalMetadataID{}, domain.MustNewMovieTitle(title), domain.MustNewReleaseYear(year), domain.Director{})
	if err != nil {
		tb.Fatalf("NewMovie: %v", err)
	}
	for _, o := range opts {
		o(&m)
	}
	return m
}

// mustEntry returns a viewing of m by a new user; a negative rating means
// not rated.
func mustEntry(tb testing.TB, m domain.Movie, rating float64, comment string, watched time.Time) domain.DiaryEntry {
	tb.Helper()
	return mustEntryBy(tb, domain.NewUserID(), m, rating, comment, watched)
}

// mustEntryBy returns a viewing of m by user; a negative rating means not
// rated.
func mustEntryBy(tb testing.TB, user domain.UserID, m domain.Movie, rating float64, comment string, watched time.Time) domain.DiaryEntry {
	tb.Helper()
	c, err := domain.NewComment(comment)
	if err != nil {
		tb.Fatalf("NewComment: %v", err)
	}
	var stars domain.Rating
	if rating >= 0 {
		stars = domain.MustNewRating(rating)
	}
	r, err := domain.RestoreReview(domain.NewReviewID(), m.ID, user, stars, c, watched, watched)
	if err != nil {
		tb.Fatalf("RestoreReview: %v", err)
	}
	return domain.DiaryEntry{Movie: m, Review: r}
}

// mustParse renders with fn and parses the output as a browser would.
func mustParse(tb testing.TB, fn func(*bytes.Buffer) error) (string, *xhtml.Node) {
	tb.Helper()
	var buf bytes.Buffer
	if err := fn(&buf); err != nil {
		tb.Fatalf("render: %v", err)
	}
	raw := buf.String()
	doc, err := xhtml.Parse(strings.NewReader(raw))
	if err != nil {
		tb.Fatalf("parse: %v", err)
	}
	return raw, doc
}

func diaryDoc(tb testing.TB, v html.DiaryView) (string, *xhtml.Node) {
	tb.Helper()
	r := mustRenderer(tb)
	return mustParse(tb, func(b *bytes.Buffer) error { return r.DiaryPage(b, v) })
}

func attr(n *xhtml.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func attrOr(n *xhtml.Node, key string) string {
	v, _ := attr(n, key)
	return v
}

func hasClass(n *xhtml.Node, class string) bool {
	return n.Type == xhtml.ElementNode && strings.Contains(" "+attrOr(n, "class")+" ", " "+class+" ")
}

// all returns the elements under n (n included) that match pred, in
// document order.
func all(n *xhtml.Node, pred func(*xhtml.Node) bool) []*xhtml.Node {
	var out []*xhtml.Node
	if pred(n) {
		out = append(out, n)
	}
	for d := range n.Descendants() {
		if pred(d) {
			out = append(out, d)
		}
	}
	return out
}

func tag(name string) func(*xhtml.Node) bool {
	return func(n *xhtml.Node) bool { return n.Type == xhtml.ElementNode && n.Data == name }
}

func tagAttr(name, key, val string) func(*xhtml.Node) bool {
	return func(n *xhtml.Node) bool {
		v, ok := attr(n, key)
		return tag(name)(n) && ok && v == val
	}
}

func first(tb testing.TB, n *xhtml.Node, pred func(*xhtml.Node) bool, what string) *xhtml.Node {
	tb.Helper()
	found := all(n, pred)
	if len(found) == 0 {
		tb.Fatalf("no %s in the page", what)
	}
	return found[0]
}

// text returns the text content of n with whitespace runs collapsed.
func text(n *xhtml.Node) string {
	var b strings.Builder
	if n.Type == xhtml.TextNode {
		b.WriteString(n.Data)
	}
	for d := range n.Descendants() {
		if d.Type == xhtml.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// rawText returns the text content of n exactly.
func rawText(n *xhtml.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == xhtml.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

// postForms returns every form that posts, keyed by action.
func postForms(tb testing.TB, doc *xhtml.Node) map[string]*xhtml.Node {
	tb.Helper()
	forms := map[string]*xhtml.Node{}
	for _, f := range all(doc, tag("form")) {
		if !strings.EqualFold(attrOr(f, "method"), "post") {
			continue
		}
		action := attrOr(f, "action")
		if _, dup := forms[action]; dup {
			tb.Fatalf("two forms post to %s", action)
		}
		forms[action] = f
	}
	return forms
}

// controlNames returns the names of the form controls inside form.
func controlNames(form *xhtml.Node) []string {
	var names []string
	for _, c := range all(form, func(n *xhtml.Node) bool {
		return n.Type == xhtml.ElementNode && (n.Data == "input" || n.Data == "select" || n.Data == "textarea")
	}) {
		if name, ok := attr(c, "name"); ok {
			names = append(names, name)
		}
	}
	return names
}

func control(tb testing.TB, form *xhtml.Node, name string) *xhtml.Node {
	tb.Helper()
	return first(tb, form, func(n *xhtml.Node) bool {
		return n.Type == xhtml.ElementNode && (n.Data == "input" || n.Data == "select" || n.Data == "textarea") && attrOr(n, "name") == name
	}, "control "+name)
}

// linkedStylesheet is the one stylesheet doc links to, as r serves it: the
// page must have no style element and link exactly one of r.Stylesheets.
func linkedStylesheet(tb testing.TB, r *html.Renderer, doc *xhtml.Node) string {
	tb.Helper()
	if styles := all(doc, tag("style")); len(styles) != 0 {
		tb.Fatalf("%d inline style elements, want none", len(styles))
	}
	links := all(doc, tagAttr("link", "rel", "stylesheet"))
	if len(links) != 1 {
		tb.Fatalf("%d stylesheet links, want 1", len(links))
	}
	href := attrOr(links[0], "href")
	for _, s := range r.Stylesheets() {
		if s.Path == href {
			return string(s.Body)
		}
	}
	tb.Fatalf("the page links %q, which is none of the renderer's stylesheets", href)
	return ""
}
