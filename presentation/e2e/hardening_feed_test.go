package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/mmcdole/gofeed"
)

// TestHardening_FeedShowsCommentsLiterally: GET /feed.rss read by an
// independent RSS reader (gofeed), its descriptions rendered as HTML
// (goquery), shows each comment exactly as it was typed — markup as text,
// entities not decoded twice, no element made — on both stores.
func TestHardening_FeedShowsCommentsLiterally(t *testing.T) {
	t.Parallel()
	comments := []string{
		`<b>bold</b> & "quotes"`,
		`<script>alert(1)</script>`,
		`<img src=x onerror=alert(1)>`,
		`AT&amp;T &lt;3`,
		"]]> <![CDATA[ <i>x</i>\nsecond line",
	}
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("DIARY_TITLE", `Ann's <Films> & "more"`))
		token, _ := s.account(t, "owner@example.com")
		byReview := map[string]string{}
		for i, c := range comments {
			e := s.logReview(t, token, map[string]any{"manual_title": "Feed Film", "manual_release_year": 2001, "rating": 4, "comment": c, "watched_at": watched(i)})
			byReview[e.Review.ID] = c
		}

		r := s.get(t, "/feed.rss")
		if r.Status != http.StatusOK {
			t.Fatalf("GET /feed.rss: %s", r)
		}
		feed, err := gofeed.NewParser().ParseString(string(r.Body))
		if err != nil {
			t.Fatalf("gofeed: %v\n%s", err, r.Body)
		}
		if feed.FeedType != "rss" || feed.FeedVersion != "2.0" || len(feed.Items) != len(comments) {
			t.Fatalf("gofeed read %s %s with %d items, want rss 2.0 with %d", feed.FeedType, feed.FeedVersion, len(feed.Items), len(comments))
		}
		for _, it := range feed.Items {
			c, ok := byReview[it.GUID]
			if !ok {
				t.Errorf("item %q has an unknown guid", it.GUID)
				continue
			}
			if got, want := shownAsHTML(t, it.Description), "4/5 — "+c; got != want {
				t.Errorf("the reader shows %q, want %q (description %q)", got, want, it.Description)
			}
		}
		if got, want := shownAsHTML(t, feed.Description), `Ann's <Films> & "more"`; !strings.Contains(got, want) {
			t.Errorf("the reader shows the channel description as %q, want it to show %q", got, want)
		}
	})
}

// shownAsHTML renders s as an HTML fragment, as a feed reader does,
// fails if that makes any element or comment, and returns the text shown.
func shownAsHTML(t *testing.T, s string) string {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(s))
	if err != nil {
		t.Fatalf("HTML %q: %v", s, err)
	}
	if n := doc.Find("head *, body *").Length(); n != 0 {
		t.Errorf("HTML %q makes %d elements", s, n)
	}
	body := doc.Find("body")
	body.Contents().Each(func(_ int, c *goquery.Selection) {
		if name := goquery.NodeName(c); name != "#text" {
			t.Errorf("HTML %q makes a %s node", s, name)
		}
	})
	return body.Text()
}
