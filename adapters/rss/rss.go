// Package rss renders the moviediary as an RSS 2.0 feed.
//
// The feed has one item per logged viewing: its title is "Title (Year)", its
// link leads to the diary filtered to that movie, its description is the
// rating ("4.5/5") followed by the comment when there is one (just the
// comment when the viewing is not rated), its pubDate is when the film was
// watched and its guid is the review ID; in a feed of several users'
// entries, its dc:creator is the public name of who logged it
// (Feed.Authors). Every text is escaped by encoding/xml, so titles,
// comments and names may hold any character.
//
// RSS readers render a <description> as HTML. Descriptions (the items' and
// the channel's) are therefore HTML-escaped before encoding/xml escapes
// them again: a comment "<b>hi</b> & co" travels as
// "&amp;lt;b&amp;gt;hi…", the reader's XML parser gives back
// "&lt;b&gt;hi&lt;/b&gt; &amp; co", and its HTML renderer shows the
// comment as it was typed, markup and all, never as bold text or a script.
//
// Render writes what it is given; the caller fetches the FeedLimit latest
// entries by watched_at, newest first. The same renderer makes the whole
// diary's feed and one user's: a user's feed names its own channel title,
// channel link and self link (Feed.Title, Feed.Link, Feed.SelfPath); its
// items are made the same way.
package rss

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// ContentType is the media type of a rendered feed.
const ContentType = "application/rss+xml; charset=utf-8"

// FeedLimit is how many of the latest entries the feed carries.
const FeedLimit = 50

// DefaultTitle is the channel title used when Feed.Title is empty.
const DefaultTitle = "Movie Diary"

// FeedPath is the path, relative to the base URL, at which the feed is
// served; the channel's atom:link rel="self" points there.
const FeedPath = "/feed.rss"

// atomNS is the Atom namespace, used only for the channel's self link.
const atomNS = "http://www.w3.org/2005/Atom"

// dcNS is the Dublin Core namespace, used only for the items' dc:creator:
// RSS 2.0's own <author> holds an email address, which is never public.
const dcNS = "http://purl.org/dc/elements/1.1/"

// Feed is everything Render needs.
type Feed struct {
	// Title is the channel title (DIARY_TITLE); DefaultTitle when empty.
	Title string
	// BaseURL is the public absolute http(s) URL of the diary (BASE_URL),
	// with or without a trailing slash. It is the channel link and the
	// prefix of every item link.
	BaseURL string
	// Description is the channel description, plain text (Render
	// HTML-escapes it); a sentence naming the title when empty.
	Description string
	// Entries are the viewings to list, in the order given (newest first).
	Entries []domain.DiaryEntry
	// Link is the path, relative to BaseURL, of the page the channel links
	// to, e.g. "/users/{id}" for one user's feed; "/" (the diary's home)
	// when empty.
	Link string
	// SelfPath is the path, relative to BaseURL, at which this feed is
	// served, e.g. "/users/{id}/feed.rss": the channel's atom:link
	// rel="self". FeedPath when empty.
	SelfPath string
	// Authors are the public names of the entries' authors by ID, for a
	// feed of several users' entries: each item whose author is here
	// names them in <dc:creator>. Nil for one user's feed, whose channel
	// names them.
	Authors map[domain.UserID]string
}

// The wire structs mirror RSS 2.0. Field order is element order.
type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	AtomNS  string     `xml:"xmlns:atom,attr"`
	DCNS    string     `xml:"xmlns:dc,attr,omitempty"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	LastBuildDate string    `xml:"lastBuildDate,omitempty"`
	Generator     string    `xml:"generator"`
	Self          atomLink  `xml:"atom:link"`
	Items         []rssItem `xml:"item"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
}

type rssItem struct {
	Title       string  `xml:"title"`
	Link        string  `xml:"link"`
	Description string  `xml:"description"`
	PubDate     string  `xml:"pubDate"`
	GUID        rssGUID `xml:"guid"`
	Creator     string  `xml:"dc:creator,omitempty"`
}

type rssGUID struct {
	IsPermaLink string `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

// Render writes feed as an RSS 2.0 document to w.
//
// It returns an error wrapping domain.ErrValidation when BaseURL is not an
// absolute http or https URL, and one wrapping domain.ErrInfrastructure when
// encoding or writing fails. The document is built in memory first, so
// nothing is written to w when it cannot be built.
func Render(w io.Writer, feed Feed) error {
	base, err := normaliseBaseURL(feed.BaseURL)
	if err != nil {
		return fmt.Errorf("rss: render: %w", err)
	}
	doc := build(feed, base)

	var buf bytes.Buffer
	buf.Grow(512 + 400*len(feed.Entries))
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("rss: encode feed: %w: %w", domain.ErrInfrastructure, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("rss: encode feed: %w: %w", domain.ErrInfrastructure, err)
	}
	buf.WriteByte('\n')
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("rss: write feed: %w: %w", domain.ErrInfrastructure, err)
	}
	return nil
}

func build(feed Feed, base string) rssDoc {
	title := strings.TrimSpace(feed.Title)
	if title == "" {
		title = DefaultTitle
	}
	desc := strings.TrimSpace(feed.Description)
	if desc == "" {
		desc = "Films watched and rated in " + title + "."
	}
	ch := rssChannel{
		Title:       title,
		Link:        base + relPath(feed.Link, "/"),
		Description: html.EscapeString(desc),
		Generator:   "moviediary",
		Self:        atomLink{Href: base + relPath(feed.SelfPath, FeedPath), Rel: "self", Type: "application/rss+xml"},
		Items:       make([]rssItem, 0, len(feed.Entries)),
	}
	var latest time.Time
	doc := rssDoc{Version: "2.0", AtomNS: atomNS}
	for _, e := range feed.Entries {
		if e.Review.WatchedAt.After(latest) {
			latest = e.Review.WatchedAt
		}
		it := item(e, base)
		if name, ok := feed.Authors[e.Review.UserID]; ok {
			it.Creator, doc.DCNS = name, dcNS
		}
		ch.Items = append(ch.Items, it)
	}
	// The feed changes only when a viewing is logged, so the latest
	// watched_at is a stable build date that needs no clock.
	if !latest.IsZero() {
		ch.LastBuildDate = latest.UTC().Format(time.RFC1123Z)
	}
	doc.Channel = ch
	return doc
}

func item(e domain.DiaryEntry, base string) rssItem {
	return rssItem{
		Title:       ItemTitle(e.Movie),
		Link:        base + "/diary?movie_id=" + url.QueryEscape(e.Movie.ID.String()),
		Description: html.EscapeString(ItemDescription(e.Review)),
		PubDate:     e.Review.WatchedAt.UTC().Format(time.RFC1123Z),
		GUID:        rssGUID{IsPermaLink: "false", Value: e.Review.ID.String()},
	}
}

// ItemTitle returns an item's title, "Title (Year)".
func ItemTitle(m domain.Movie) string {
	return m.Title.String() + " (" + m.ReleaseYear.String() + ")"
}

// ItemDescription returns the text an item's description shows: "4.5/5",
// or "4.5/5 — comment" when the review has a comment; just the comment when
// the viewing is not rated, and "" when it has neither. Render HTML-escapes
// it into the <description> element, which readers take as HTML.
func ItemDescription(r domain.Review) string {
	switch {
	case r.Rating.IsZero():
		return r.Comment.String()
	case r.Comment.IsZero():
		return r.Rating.String() + "/5"
	}
	return r.Rating.String() + "/5 — " + r.Comment.String()
}

// relPath returns p as a path below the base URL, with its leading slash,
// or def when p is empty.
func relPath(p, def string) string {
	p = strings.TrimSpace(p)
	if p == "" {
		return def
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

// normaliseBaseURL checks that s is an absolute http(s) URL without query or
// fragment and returns it without a trailing slash.
func normaliseBaseURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", domain.FieldError{Field: "base_url", Rule: "must be an absolute http or https URL without query or fragment"}
	}
	return strings.TrimRight(u.String(), "/"), nil
}
