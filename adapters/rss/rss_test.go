package rss_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/mmcdole/gofeed"

	"github.com/moviediary/moviediary/adapters/rss"
	"github.com/moviediary/moviediary/domain"
)

// parsed mirrors the feed as a reader sees it, namespaces resolved.
type parsed struct {
	XMLName xml.Name `xml:"rss"`
	Version string   `xml:"version,attr"`
	Channel struct {
		// Self comes before Link: encoding/xml gives an element to the
		// first field that matches, and an unqualified "link" tag would
		// also match atom:link.
		Self struct {
			Href string `xml:"href,attr"`
			Rel  string `xml:"rel,attr"`
			Type string `xml:"type,attr"`
		} `xml:"http://www.w3.org/2005/Atom link"`
		Title         string       `xml:"title"`
		Link          string       `xml:"link"`
		Description   string       `xml:"description"`
		LastBuildDate string       `xml:"lastBuildDate"`
		Items         []parsedItem `xml:"item"`
	} `xml:"channel"`
}

type parsedItem struct {
	Title       string `xml:"title"`
	Link        string `xml:"link"`
	Description string `xml:"description"`
	PubDate     string `xml:"pubDate"`
	GUID        struct {
		IsPermaLink string `xml:"isPermaLink,attr"`
		Value       string `xml:",chardata"`
	} `xml:"guid"`
}

// mustEntry builds an entry; a negative rating means not rated.
func mustEntry(tb testing.TB, title string, year int, rating float64, comment string, watched time.Time) domain.DiaryEntry {
	tb.Helper()
	movie, err := domain.NewMovie(domain.ExternalMetadataID{}, domain.MustNewMovieTitle(title), domain.MustNewReleaseYear(year), domain.Director{})
	if err != nil {
		tb.Fatalf("NewMovie: %v", err)
	}
	c, err := domain.NewComment(comment)
	if err != nil {
		tb.Fatalf("NewComment: %v", err)
	}
	var stars domain.Rating
	if rating >= 0 {
		stars = domain.MustNewRating(rating)
	}
	review, err := domain.RestoreReview(domain.NewReviewID(), movie.ID, domain.NewUserID(), stars, c, watched, watched)
	if err != nil {
		tb.Fatalf("RestoreReview: %v", err)
	}
	return domain.DiaryEntry{Movie: movie, Review: review}
}

func mustRender(tb testing.TB, feed rss.Feed) (string, parsed) {
	tb.Helper()
	var buf bytes.Buffer
	if err := rss.Render(&buf, feed); err != nil {
		tb.Fatalf("Render: %v", err)
	}
	var p parsed
	if err := xml.Unmarshal(buf.Bytes(), &p); err != nil {
		tb.Fatalf("output is not well-formed XML: %v\n%s", err, buf.String())
	}
	return buf.String(), p
}

func TestRenderItemsCarryEveryFieldEscapedAndParseBack(t *testing.T) {
	t.Parallel()
	nasty := `Loved it <script>alert(1)</script> & "quoted" 'single' 🍿🎬 ünïcödé`
	watched := time.Date(2024, 5, 1, 20, 30, 0, 0, time.UTC)
	tests := []struct {
		name     string
		entry    domain.DiaryEntry
		wantTitl string
		wantDesc string
	}{
		{
			name:     "comment with markup, ampersand, quotes and emoji is kept verbatim",
			entry:    mustEntry(t, "Amélie", 2001, 4, nasty, watched),
			wantTitl: "Amélie (2001)",
			wantDesc: "4/5 — " + nasty,
		},
		{
			name:     "no comment gives the bare rating",
			entry:    mustEntry(t, "Heat", 1995, 5, "", watched.Add(-time.Hour)),
			wantTitl: "Heat (1995)",
			wantDesc: "5/5",
		},
		{
			name:     "half stars are written as a decimal",
			entry:    mustEntry(t, "Heat", 1995, 4.5, "tense", watched.Add(-30*time.Minute)),
			wantTitl: "Heat (1995)",
			wantDesc: "4.5/5 — tense",
		},
		{
			name:     "half stars without comment",
			entry:    mustEntry(t, "Ran", 1985, 0.5, "", watched.Add(-90*time.Minute)),
			wantTitl: "Ran (1985)",
			wantDesc: "0.5/5",
		},
		{
			name:     "not rated gives just the comment, escaped",
			entry:    mustEntry(t, "Solaris", 1972, -1, "slow <b>&</b> deep", watched.Add(-100*time.Minute)),
			wantTitl: "Solaris (1972)",
			wantDesc: "slow <b>&</b> deep",
		},
		{
			name:     "not rated without comment gives an empty description",
			entry:    mustEntry(t, "Stalker", 1979, -1, "", watched.Add(-110*time.Minute)),
			wantTitl: "Stalker (1979)",
			wantDesc: "",
		},
		{
			name:     "zero rating is 0/5",
			entry:    mustEntry(t, "Cats", 2019, 0, "", watched.Add(-2*time.Hour)),
			wantTitl: "Cats (2019)",
			wantDesc: "0/5",
		},
		{
			name:     "title with markup and ampersand is escaped",
			entry:    mustEntry(t, `Tom & Jerry <b>"The Movie"</b> 🐭`, 1992, 2, "fine & dandy", watched.Add(-3*time.Hour)),
			wantTitl: `Tom & Jerry <b>"The Movie"</b> 🐭 (1992)`,
			wantDesc: "2/5 — fine & dandy",
		},
		{
			// Other control characters never reach a Comment (domain
			// refuses them), so nothing XML cannot carry is rendered.
			name:     "tab and line feed in a comment are carried",
			entry:    mustEntry(t, "Alien", 1979, 3, "a\tb\nc", watched.Add(-4*time.Hour)),
			wantTitl: "Alien (1979)",
			wantDesc: "3/5 — a\tb\nc",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw, p := mustRender(t, rss.Feed{BaseURL: "https://diary.example/", Entries: []domain.DiaryEntry{tc.entry}})
			if strings.Contains(raw, "<script") || strings.Contains(raw, "<b>") {
				t.Errorf("raw markup leaked into the feed:\n%s", raw)
			}
			if len(p.Channel.Items) != 1 {
				t.Fatalf("items = %d, want 1", len(p.Channel.Items))
			}
			it := p.Channel.Items[0]
			if it.Title != tc.wantTitl {
				t.Errorf("title = %q, want %q", it.Title, tc.wantTitl)
			}
			// The description is HTML (what readers make of it): the text
			// HTML-escaped, so its unescaped form is the literal text and
			// it holds no tag.
			if got := html.UnescapeString(it.Description); got != tc.wantDesc {
				t.Errorf("description as HTML = %q, want %q", got, tc.wantDesc)
			}
			if strings.ContainsAny(it.Description, "<>\"'") {
				t.Errorf("description %q is not HTML-escaped", it.Description)
			}
			if want := "https://diary.example/diary?movie_id=" + tc.entry.Movie.ID.String(); it.Link != want {
				t.Errorf("link = %q, want %q", it.Link, want)
			}
			if it.GUID.Value != tc.entry.Review.ID.String() || it.GUID.IsPermaLink != "false" {
				t.Errorf("guid = %q isPermaLink=%q, want %q isPermaLink=false", it.GUID.Value, it.GUID.IsPermaLink, tc.entry.Review.ID)
			}
			got, err := time.Parse(time.RFC1123Z, it.PubDate)
			if err != nil {
				t.Fatalf("pubDate %q is not RFC 1123 with numeric zone: %v", it.PubDate, err)
			}
			if !got.Equal(tc.entry.Review.WatchedAt) {
				t.Errorf("pubDate = %v, want %v", got, tc.entry.Review.WatchedAt)
			}
		})
	}
}

func TestRenderPubDateIsRFC1123WithNumericZone(t *testing.T) {
	t.Parallel()
	e := mustEntry(t, "Heat", 1995, 5, "", time.Date(2024, 5, 1, 20, 30, 0, 0, time.UTC))
	_, p := mustRender(t, rss.Feed{BaseURL: "https://diary.example", Entries: []domain.DiaryEntry{e}})
	if got, want := p.Channel.Items[0].PubDate, "Wed, 01 May 2024 20:30:00 +0000"; got != want {
		t.Errorf("pubDate = %q, want %q", got, want)
	}
}

func TestRenderChannel(t *testing.T) {
	t.Parallel()
	newest := time.Date(2024, 6, 2, 9, 0, 0, 0, time.UTC)
	entries := []domain.DiaryEntry{
		mustEntry(t, "Heat", 1995, 5, "", newest),
		mustEntry(t, "Alien", 1979, 4, "", newest.Add(-24*time.Hour)),
	}
	tests := []struct {
		name      string
		feed      rss.Feed
		wantTitle string
		wantLink  string
		wantSelf  string
		wantDesc  string
		wantBuild string
		wantItems []string
	}{
		{
			name:      "empty title falls back to the default and trailing slash is normalised",
			feed:      rss.Feed{BaseURL: "http://localhost:3000/", Entries: entries},
			wantTitle: rss.DefaultTitle,
			wantLink:  "http://localhost:3000/",
			wantSelf:  "http://localhost:3000/feed.rss",
			wantDesc:  "Films watched and rated in Movie Diary.",
			wantBuild: "Sun, 02 Jun 2024 09:00:00 +0000",
			wantItems: []string{"Heat (1995)", "Alien (1979)"},
		},
		{
			name:      "custom title and description are escaped and kept; base path is kept",
			feed:      rss.Feed{Title: `Ann's <Films> & "more"`, Description: "Everything I watch 🎞", BaseURL: "https://example.com/movies", Entries: entries},
			wantTitle: `Ann's <Films> & "more"`,
			wantLink:  "https://example.com/movies/",
			wantSelf:  "https://example.com/movies/feed.rss",
			wantDesc:  "Everything I watch 🎞",
			wantBuild: "Sun, 02 Jun 2024 09:00:00 +0000",
			wantItems: []string{"Heat (1995)", "Alien (1979)"},
		},
		{
			name: "one user's feed links to their page and names itself; items are unchanged",
			feed: rss.Feed{Title: `<script>alert(1)</script>'s films · Movie Diary`, BaseURL: "https://diary.example/md/", Entries: entries,
				Link: "/users/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", SelfPath: "/users/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/feed.rss"},
			wantTitle: `<script>alert(1)</script>'s films · Movie Diary`,
			wantLink:  "https://diary.example/md/users/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
			wantSelf:  "https://diary.example/md/users/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/feed.rss",
			// Descriptions are HTML: the title in it is escaped once more.
			wantDesc:  html.EscapeString("Films watched and rated in <script>alert(1)</script>'s films · Movie Diary."),
			wantBuild: "Sun, 02 Jun 2024 09:00:00 +0000",
			wantItems: []string{"Heat (1995)", "Alien (1979)"},
		},
		{
			name:      "paths without a leading slash are taken below the base URL",
			feed:      rss.Feed{BaseURL: "https://diary.example", Link: "users/u1", SelfPath: "users/u1/feed.rss"},
			wantTitle: rss.DefaultTitle,
			wantLink:  "https://diary.example/users/u1",
			wantSelf:  "https://diary.example/users/u1/feed.rss",
			wantDesc:  "Films watched and rated in Movie Diary.",
		},
		{
			name:      "no entries gives an empty channel without a build date",
			feed:      rss.Feed{BaseURL: "https://diary.example"},
			wantTitle: rss.DefaultTitle,
			wantLink:  "https://diary.example/",
			wantSelf:  "https://diary.example/feed.rss",
			wantDesc:  "Films watched and rated in Movie Diary.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw, p := mustRender(t, tc.feed)
			if !strings.HasPrefix(raw, `<?xml version="1.0" encoding="UTF-8"?>`) {
				t.Errorf("missing XML declaration: %.60q", raw)
			}
			if p.Version != "2.0" {
				t.Errorf("version = %q, want 2.0", p.Version)
			}
			ch := p.Channel
			if ch.Title != tc.wantTitle || ch.Link != tc.wantLink || ch.Description != tc.wantDesc || ch.LastBuildDate != tc.wantBuild {
				t.Errorf("channel = {%q %q %q %q}, want {%q %q %q %q}",
					ch.Title, ch.Link, ch.Description, ch.LastBuildDate, tc.wantTitle, tc.wantLink, tc.wantDesc, tc.wantBuild)
			}
			if strings.Contains(raw, "<script") {
				t.Errorf("raw markup leaked into the feed:\n%s", raw)
			}
			for i, it := range ch.Items {
				want := strings.TrimRight(tc.feed.BaseURL, "/") + "/diary?movie_id=" + tc.feed.Entries[i].Movie.ID.String()
				if it.Link != want {
					t.Errorf("item %d link = %q, want %q", i, it.Link, want)
				}
			}
			if ch.Self.Href != tc.wantSelf || ch.Self.Rel != "self" || ch.Self.Type != "application/rss+xml" {
				t.Errorf("atom:link = %+v, want href %q rel=self", ch.Self, tc.wantSelf)
			}
			var titles []string
			for _, it := range ch.Items {
				titles = append(titles, it.Title)
			}
			if strings.Join(titles, "|") != strings.Join(tc.wantItems, "|") {
				t.Errorf("item order = %q, want %q", titles, tc.wantItems)
			}
		})
	}
}

func TestRenderRejectsBaseURLThatIsNotAbsoluteHTTP(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"", "/relative", "localhost:3000", "ftp://example.com", "https://example.com/?q=1", "javascript:alert(1)"} {
		t.Run(base, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			err := rss.Render(&buf, rss.Feed{BaseURL: base})
			if !errors.Is(err, domain.ErrValidation) {
				t.Fatalf("err = %v, want ErrValidation", err)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes on error", buf.Len())
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestRenderReportsWriteFailureAsInfrastructure(t *testing.T) {
	t.Parallel()
	err := rss.Render(failingWriter{}, rss.Feed{BaseURL: "https://diary.example"})
	if !errors.Is(err, domain.ErrInfrastructure) {
		t.Fatalf("err = %v, want ErrInfrastructure", err)
	}
}

func TestContentTypeAndLimitMatchTheSpec(t *testing.T) {
	t.Parallel()
	if rss.ContentType != "application/rss+xml; charset=utf-8" {
		t.Errorf("ContentType = %q", rss.ContentType)
	}
	if rss.FeedLimit != 50 {
		t.Errorf("FeedLimit = %d", rss.FeedLimit)
	}
}

// comments a reader must show as the very text that was typed.
var literalComments = []string{
	`<b>bold</b> & "quotes"`,
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	`AT&amp;T &lt;3 &#60;i&#62;`,
	`]]> <![CDATA[ <i>x</i> ]]>`,
	"<p>two\nlines</p>\tand a tab",
	`<!-- hidden --> shown`,
}

// An independent RSS reader (gofeed) takes the description as HTML, as
// readers do; an HTML parser (goquery) renders it. The comment comes out as
// the text that was typed — no element, no entity decoded twice.
func TestRenderDescriptionsReadLiterallyInAnRSSReader(t *testing.T) {
	t.Parallel()
	watched := time.Date(2024, 5, 1, 20, 30, 0, 0, time.UTC)
	for i, comment := range literalComments {
		t.Run(comment, func(t *testing.T) {
			t.Parallel()
			e := mustEntry(t, `Tom & Jerry <b>"The Movie"</b>`, 1992, 4, comment, watched.Add(-time.Duration(i)*time.Hour))
			var buf bytes.Buffer
			if err := rss.Render(&buf, rss.Feed{Title: `Ann's <Films> & "more"`, BaseURL: "https://diary.example", Entries: []domain.DiaryEntry{e}}); err != nil {
				t.Fatalf("Render: %v", err)
			}
			feed, err := gofeed.NewParser().ParseString(buf.String())
			if err != nil {
				t.Fatalf("gofeed: %v\n%s", err, buf.String())
			}
			if feed.FeedType != "rss" || len(feed.Items) != 1 {
				t.Fatalf("gofeed read a %s feed of %d items", feed.FeedType, len(feed.Items))
			}
			want := "4/5 — " + comment
			if got := renderedText(t, feed.Items[0].Description); got != want {
				t.Errorf("the reader shows %q, want %q (description %q)", got, want, feed.Items[0].Description)
			}
			if got, want := renderedText(t, feed.Description), "Films watched and rated in Ann's <Films> & \"more\"."; got != want {
				t.Errorf("the reader shows the channel description as %q, want %q", got, want)
			}
		})
	}
}

// renderedText parses s as an HTML fragment, fails if that makes any
// element (a tag or a comment in the text would), and returns the text a
// browser shows.
func renderedText(t *testing.T, s string) string {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(s))
	if err != nil {
		t.Fatalf("HTML %q: %v", s, err)
	}
	body := doc.Find("body")
	if n := body.Find("*").Length(); n != 0 {
		t.Errorf("HTML %q makes %d elements", s, n)
	}
	if n := doc.Find("head *").Length(); n != 0 {
		t.Errorf("HTML %q puts %d elements in the head", s, n)
	}
	body.Contents().Each(func(_ int, c *goquery.Selection) {
		if name := goquery.NodeName(c); name != "#text" {
			t.Errorf("HTML %q makes a %s node", s, name)
		}
	})
	return body.Text()
}

func TestRenderNamesEachItemsAuthorWhenGiven(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 5, 1, 20, 0, 0, 0, time.UTC)
	entries := []domain.DiaryEntry{
		mustEntry(t, "Heat", 1995, 4.5, "", at),
		mustEntry(t, "Alien", 1979, 3, "", at.Add(-time.Hour)),
		mustEntry(t, "Ran", 1985, 5, "", at.Add(-2*time.Hour)),
	}
	nasty := `<b>Bob</b> & "co"`
	authors := map[domain.UserID]string{entries[0].Review.UserID: "Ann", entries[1].Review.UserID: nasty}
	raw, _ := mustRender(t, rss.Feed{BaseURL: "https://films.example", Entries: entries, Authors: authors})

	var doc struct {
		Items []struct {
			Title   string   `xml:"title"`
			Creator []string `xml:"http://purl.org/dc/elements/1.1/ creator"`
		} `xml:"channel>item"`
	}
	if err := xml.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	want := [][]string{{"Ann"}, {nasty}, nil}
	if len(doc.Items) != len(want) {
		t.Fatalf("items = %d, want %d", len(doc.Items), len(want))
	}
	for i, it := range doc.Items {
		if strings.Join(it.Creator, "|") != strings.Join(want[i], "|") || len(it.Creator) != len(want[i]) {
			t.Errorf("item %d (%s) dc:creator = %q, want %q", i, it.Title, it.Creator, want[i])
		}
	}

	// A feed reader finds the same authors.
	feed, err := gofeed.NewParser().ParseString(raw)
	if err != nil {
		t.Fatalf("gofeed: %v", err)
	}
	for i, it := range feed.Items {
		var got string
		if len(it.Authors) > 0 {
			got = it.Authors[0].Name
		}
		if w := strings.Join(want[i], ""); got != w {
			t.Errorf("item %d: a reader sees the author %q, want %q", i, got, w)
		}
	}

	// One user's feed names nobody per item and declares no namespace for it.
	raw, _ = mustRender(t, rss.Feed{BaseURL: "https://films.example", Entries: entries})
	if strings.Contains(raw, "dc:creator") || strings.Contains(raw, "xmlns:dc") {
		t.Errorf("a feed without Authors names authors:\n%s", raw)
	}
}
