package html_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	xhtml "golang.org/x/net/html"

	"github.com/moviediary/moviediary/adapters/html"
	"github.com/moviediary/moviediary/domain"
)

// mustWebhook returns a stored webhook record of source.
func mustWebhook(tb testing.TB, source domain.WebhookSource, plexAccount string, created, lastUsed time.Time) domain.Webhook {
	tb.Helper()
	h, _, err := domain.NewWebhook(domain.NewUserID(), source, plexAccount, created)
	if err != nil {
		tb.Fatalf("NewWebhook: %v", err)
	}
	h.LastUsedAt = lastUsed
	return h
}

func webhooksDoc(tb testing.TB, v html.WebhooksView) (string, *xhtml.Node) {
	tb.Helper()
	r := mustRenderer(tb)
	return mustParse(tb, func(b *bytes.Buffer) error { return r.WebhooksPage(b, v) })
}

func TestWebhooksPageListsWebhooksWithRotateAndDeleteButtons(t *testing.T) {
	t.Parallel()
	created := time.Date(2024, 4, 1, 8, 0, 0, 0, time.UTC)
	plex := mustWebhook(t, domain.SourcePlex, "", created, time.Time{})
	ann := mustWebhook(t, domain.SourcePlex, `ann <"x">`, created, time.Date(2024, 5, 2, 9, 0, 0, 0, time.UTC))
	jelly := mustWebhook(t, domain.SourceJellyfin, "", created, time.Time{})
	emby := mustWebhook(t, domain.SourceEmby, "", created, time.Time{})
	v := html.WebhooksView{Webhooks: []domain.Webhook{plex, ann, jelly, emby}, UserEmail: "ann@example.com", CSRFToken: token}
	raw, doc := webhooksDoc(t, v)

	rows := all(first(t, doc, tag("tbody"), "webhook table"), tag("tr"))
	if len(rows) != 4 {
		t.Fatalf("rows = %d, want 4", len(rows))
	}
	want := [][]string{
		{"Plex", "Every account", "1 April 2024", "Never", "Rotate Delete"},
		{"Plex", `ann <"x">`, "1 April 2024", "2 May 2024, 09:00 UTC", "Rotate Delete"},
		{"Jellyfin", "—", "1 April 2024", "Never", "Rotate Delete"},
		{"Emby", "—", "1 April 2024", "Never", "Rotate Delete"},
	}
	forms := postForms(t, doc)
	for i, row := range rows {
		var cells []string
		for _, c := range all(row, func(n *xhtml.Node) bool { return tag("td")(n) || tag("th")(n) }) {
			cells = append(cells, text(c))
		}
		if !slices.Equal(cells, want[i]) {
			t.Errorf("row %d = %q, want %q", i, cells, want[i])
		}
		h := v.Webhooks[i]
		for _, action := range []string{"/webhooks/" + h.ID.String() + "/rotate", "/webhooks/" + h.ID.String() + "/delete"} {
			f, ok := forms[action]
			if !ok {
				t.Errorf("row %d: no form posting to %s", i, action)
				continue
			}
			if got := controlNames(f); !slices.Equal(got, []string{"csrf_token"}) {
				t.Errorf("%s fields = %v, want only csrf_token", action, got)
			}
			if row != ancestor(f, "tr") {
				t.Errorf("the form posting to %s is not in row %d", action, i)
			}
		}
	}
	if strings.Contains(raw, "/webhooks/plex/") || strings.Contains(text(doc), "not be shown again") {
		t.Errorf("a URL or the once-only note is shown with no webhook just made")
	}
	create, ok := forms["/webhooks"]
	if !ok {
		t.Fatalf("no create form")
	}
	if got := controlNames(create); !slices.Equal(got, []string{"csrf_token", "source", "plex_account"}) {
		t.Errorf("create fields = %v", got)
	}
	var options []string
	for _, o := range all(control(t, create, "source"), tag("option")) {
		options = append(options, attrOr(o, "value")+"="+text(o))
		if _, sel := attr(o, "selected"); sel {
			t.Errorf("option %s selected with an empty form; the first (Plex) is the default", attrOr(o, "value"))
		}
	}
	if want := []string{"plex=Plex", "jellyfin=Jellyfin", "emby=Emby"}; !slices.Equal(options, want) {
		t.Errorf("source options = %v, want %v", options, want)
	}
	if _, req := attr(control(t, create, "plex_account"), "required"); req {
		t.Errorf("the Plex account is required; it is optional")
	}
}

func TestWebhooksPageShowsTheNewURLOnceWithWhereToPasteIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		source  domain.WebhookSource
		rotated bool
		heading string
		hint    string
	}{
		{domain.SourcePlex, false, "Your new Plex webhook", "Settings → Webhooks"},
		{domain.SourceJellyfin, false, "Your new Jellyfin webhook", "Playback Stop notification"},
		{domain.SourceEmby, false, "Your new Emby webhook", "Playback Stop and Mark Played"},
		{domain.SourceJellyfin, true, "New URL for your Jellyfin webhook", "Webhook plugin"},
	}
	for _, tt := range tests {
		t.Run(tt.heading, func(t *testing.T) {
			t.Parallel()
			url := "https://diary.example/webhooks/" + string(tt.source) + "/" + strings.Repeat("S", 43)
			raw, doc := webhooksDoc(t, html.WebhooksView{
				Created:   &html.CreatedWebhook{Source: tt.source, URL: url, Rotated: tt.rotated},
				CSRFToken: token,
			})
			if n := strings.Count(raw, strings.Repeat("S", 43)); n != 1 {
				t.Errorf("the secret appears %d times, want once", n)
			}
			box := first(t, doc, tagAttr("section", "role", "status"), "new URL")
			if got := rawText(first(t, box, tagAttr("code", "id", "new-webhook-url"), "URL")); got != url {
				t.Errorf("URL = %q, want %q", got, url)
			}
			note := text(box)
			for _, want := range []string{tt.heading, "it will not be shown again", tt.hint, "docs/webhooks.md"} {
				if !strings.Contains(note, want) {
					t.Errorf("note %q lacks %q", note, want)
				}
			}
			if got := strings.Contains(note, "old URL has stopped working"); got != tt.rotated {
				t.Errorf("rotation note shown = %v, want %v", got, tt.rotated)
			}
			if got := len(all(box, tag("a"))) + len(all(box, tag("form"))); got != 0 {
				t.Errorf("the note has %d links or forms; the URL must not travel anywhere", got)
			}
		})
	}
}

func TestWebhooksPageShowsErrorsAndTheValuesSent(t *testing.T) {
	t.Parallel()
	_, doc := webhooksDoc(t, html.WebhooksView{CSRFToken: token, Form: html.WebhookForm{Source: "jellyfin", PlexAccount: "ann"},
		Errors: []string{"Plex account may only be given for plex."}})
	if got := text(first(t, doc, tagAttr("div", "role", "alert"), "errors")); got != "Plex account may only be given for plex." {
		t.Errorf("errors = %q", got)
	}
	if got := text(first(t, doc, func(n *xhtml.Node) bool { return hasClass(n, "empty") }, "empty note")); got != "No webhooks yet." {
		t.Errorf("empty note = %q", got)
	}
	f := postForms(t, doc)["/webhooks"]
	var selected []string
	for _, o := range all(control(t, f, "source"), tag("option")) {
		if _, ok := attr(o, "selected"); ok {
			selected = append(selected, attrOr(o, "value"))
		}
	}
	if !slices.Equal(selected, []string{"jellyfin"}) {
		t.Errorf("selected sources = %v, want [jellyfin]", selected)
	}
	if got := attrOr(control(t, f, "plex_account"), "value"); got != "ann" {
		t.Errorf("plex_account = %q, want ann", got)
	}
}

func TestWebhooksLinkNextToTokensOnlyForSignedInPages(t *testing.T) {
	t.Parallel()
	for _, signedIn := range []bool{true, false} {
		_, doc := diaryDoc(t, html.DiaryView{SignedIn: signedIn})
		nav := first(t, doc, tagAttr("nav", "aria-label", "Account"), "account nav")
		var links []string
		for _, a := range all(nav, tag("a")) {
			links = append(links, attrOr(a, "href"))
		}
		i := slices.Index(links, "/webhooks")
		if got := i >= 0; got != signedIn {
			t.Errorf("signed in %v: webhooks link = %v", signedIn, got)
		}
		if signedIn && (i == 0 || links[i-1] != "/tokens") {
			t.Errorf("nav links = %v, want /webhooks right after /tokens", links)
		}
	}
}

// ancestor returns the nearest element above n named name, or nil.
func ancestor(n *xhtml.Node, name string) *xhtml.Node {
	for p := n.Parent; p != nil; p = p.Parent {
		if tag(name)(p) {
			return p
		}
	}
	return nil
}
