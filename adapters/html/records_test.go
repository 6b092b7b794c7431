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

// mustToken returns a stored token record named name.
func mustToken(tb testing.TB, name string, created, lastUsed, expires time.Time) domain.APIToken {
	tb.Helper()
	t, _, err := domain.NewAPIToken(domain.NewUserID(), name, time.Time{}, created)
	if err != nil {
		tb.Fatalf("NewAPIToken: %v", err)
	}
	t.LastUsedAt, t.ExpiresAt = lastUsed, expires
	return t
}

func TestEditAndDeleteLinksOnlyOnTheSignedInAuthorsEntries(t *testing.T) {
	t.Parallel()
	ann, bob := domain.NewUserID(), domain.NewUserID()
	mine := mustEntryBy(t, ann, mustMovie(t, "Heat", 1995), 4.5, "", watched)
	theirs := mustEntryBy(t, bob, mustMovie(t, "Alien", 1979), 3, "", watched.Add(-time.Hour))
	entries := []domain.DiaryEntry{mine, theirs}
	tests := []struct {
		name     string
		view     html.DiaryView
		wantMine bool
	}{
		{"the author signed in sees them on their entry only", html.DiaryView{Entries: entries, SignedIn: true, UserID: ann}, true},
		{"signed out sees none", html.DiaryView{Entries: entries, UserID: ann}, false},
		{"signed in without a user ID sees none", html.DiaryView{Entries: entries, SignedIn: true}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, doc := diaryDoc(t, tc.view)
			articles := all(doc, tag("article"))
			if len(articles) != 2 {
				t.Fatalf("articles = %d, want 2", len(articles))
			}
			links := func(a *xhtml.Node) map[string]string {
				out := map[string]string{}
				for _, l := range all(a, tag("a")) {
					out[text(l)] = attrOr(l, "href")
				}
				return out
			}
			got := links(articles[0])
			if tc.wantMine {
				if got["Edit"] != "/reviews/"+mine.Review.ID.String()+"/edit" || got["Delete"] != "/reviews/"+mine.Review.ID.String()+"/delete" {
					t.Errorf("own entry links = %v", got)
				}
				edit := first(t, articles[0], tagAttr("a", "href", html.EditReviewPath(mine.Review.ID)), "edit link")
				if got := attrOr(edit, "aria-label"); got != "Edit Heat (1995), 1 May 2024" {
					t.Errorf("edit link aria-label = %q", got)
				}
			} else if _, ok := got["Edit"]; ok {
				t.Errorf("edit link shown: %v", got)
			}
			if other := links(articles[1]); other["Edit"] != "" || other["Delete"] != "" {
				t.Errorf("another user's entry has links %v", other)
			}
			// Edit and delete are pages of their own: the diary holds no
			// form for them.
			for action := range postForms(t, doc) {
				if strings.Contains(action, "/edit") || strings.Contains(action, "/delete") {
					t.Errorf("diary posts to %s", action)
				}
			}
		})
	}
}

func TestRatingSelectKeepsTheChosenValue(t *testing.T) {
	t.Parallel()
	tests := []struct{ sent, want string }{
		{"", ""},
		{"4.5", "4.5"},
		{"4.0", "4"},
		{" 3 ", "3"},
		{"0", "0"},
		{"9", ""},
	}
	for _, tc := range tests {
		t.Run(tc.sent, func(t *testing.T) {
			t.Parallel()
			_, doc := diaryDoc(t, html.DiaryView{SignedIn: true, CSRFToken: token, Form: html.LogForm{Rating: tc.sent}})
			var selected []string
			for _, o := range all(first(t, doc, tagAttr("select", "name", "rating"), "rating"), tag("option")) {
				if _, ok := attr(o, "selected"); ok {
					selected = append(selected, attrOr(o, "value"))
				}
			}
			want := []string{tc.want}
			if tc.sent == "9" {
				want = nil // nothing matches: the browser shows the first, Not rated
			}
			if !slices.Equal(selected, want) {
				t.Errorf("selected = %q, want %q", selected, want)
			}
		})
	}
}

func TestEditPageIsPrefilledAndPostsToTheEntry(t *testing.T) {
	t.Parallel()
	e := mustEntry(t, mustMovie(t, "Heat", 1995, withPoster), 3.5, nasty+"\n</textarea>", watched)
	r := mustRenderer(t)
	v := html.EditReviewView{Entry: e, UserEmail: "ann@example.com", CSRFToken: token, Form: html.EditFormFor(e.Review), Now: now}
	_, doc := mustParse(t, func(b *bytes.Buffer) error { return r.EditReviewPage(b, v) })
	if got := text(first(t, doc, tag("h1"), "h1")); got != "Edit Heat (1995)" {
		t.Errorf("h1 = %q", got)
	}
	if got := rawText(first(t, doc, tag("title"), "title")); got != "Edit Heat (1995) · Movie Diary" {
		t.Errorf("title = %q", got)
	}
	form, ok := postForms(t, doc)["/reviews/"+e.Review.ID.String()+"/edit"]
	if !ok {
		t.Fatalf("no form posting to the entry's edit path")
	}
	if got, want := controlNames(form), []string{"csrf_token", "rating", "watched_at", "comment"}; !slices.Equal(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
	var selected []string
	for _, o := range all(control(t, form, "rating"), tag("option")) {
		if _, ok := attr(o, "selected"); ok {
			selected = append(selected, attrOr(o, "value"))
		}
	}
	if !slices.Equal(selected, []string{"3.5"}) {
		t.Errorf("selected rating = %v, want [3.5]", selected)
	}
	if got := text(first(t, control(t, form, "rating"), tag("option"), "option")); got != "Not rated" {
		t.Errorf("first option = %q, want Not rated", got)
	}
	wa := control(t, form, "watched_at")
	if attrOr(wa, "type") != "datetime-local" || attrOr(wa, "value") != "2024-05-01T20:30" || attrOr(wa, "max") != "2024-05-02T09:15" {
		t.Errorf("watched_at = %v", wa.Attr)
	}
	if got := rawText(control(t, form, "comment")); got != nasty+"\n</textarea>" {
		t.Errorf("comment = %q", got)
	}
	if len(all(form, tagAttr("a", "href", "/diary"))) != 1 {
		t.Errorf("no cancel link back to the diary")
	}
	if len(all(doc, tagAttr("a", "href", "/tokens"))) != 1 {
		t.Errorf("signed-in header lacks the API tokens link")
	}
}

func TestEditPageShowsErrorsAndTheValuesSent(t *testing.T) {
	t.Parallel()
	e := mustEntry(t, mustMovie(t, "Heat", 1995), 4, "old", watched)
	form := html.EditForm{Rating: "", Comment: "new <b>", WatchedAt: "2999-01-01T10:00"}
	errs := []string{"Watched at must not be in the future.", nasty}
	_, doc := mustParse(t, func(b *bytes.Buffer) error {
		return mustRenderer(t).EditReviewPage(b, html.EditReviewView{Entry: e, CSRFToken: token, Form: form, Errors: errs})
	})
	f := postForms(t, doc)[html.EditReviewPath(e.Review.ID)]
	if got := attrOr(control(t, f, "watched_at"), "value"); got != form.WatchedAt {
		t.Errorf("watched_at = %q, want %q", got, form.WatchedAt)
	}
	if got := rawText(control(t, f, "comment")); got != form.Comment {
		t.Errorf("comment = %q", got)
	}
	for _, o := range all(control(t, f, "rating"), tag("option")) {
		if _, ok := attr(o, "selected"); ok != (attrOr(o, "value") == "") {
			t.Errorf("option %q selected = %v; want only Not rated", attrOr(o, "value"), ok)
		}
	}
	var got []string
	for _, li := range all(first(t, doc, tagAttr("div", "role", "alert"), "error list"), tag("li")) {
		got = append(got, rawText(li))
	}
	if !slices.Equal(got, errs) {
		t.Errorf("errors = %q, want %q", got, errs)
	}
}

func TestDeletePageNamesTheEntryAndConfirmsWithAPost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		rating     float64
		wantRating string
	}{
		{"rated", 2.5, "2.5 out of 5"},
		{"not rated", -1, "Not rated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := mustEntry(t, mustMovie(t, nasty, 1995), tc.rating, "a comment", watched)
			_, doc := mustParse(t, func(b *bytes.Buffer) error {
				return mustRenderer(t).DeleteReviewPage(b, html.DeleteReviewView{Entry: e, UserEmail: "ann@example.com", CSRFToken: token})
			})
			main := first(t, doc, tag("main"), "main")
			if got := rawText(first(t, main, tag("h2"), "film")); got != nasty+" (1995)" {
				t.Errorf("film = %q", got)
			}
			if got := text(first(t, main, tag("time"), "date")); got != "1 May 2024" {
				t.Errorf("date = %q", got)
			}
			if !strings.Contains(text(main), tc.wantRating) {
				t.Errorf("page lacks %q: %s", tc.wantRating, text(main))
			}
			forms := postForms(t, doc)
			f, ok := forms[html.DeleteReviewPath(e.Review.ID)]
			if !ok {
				t.Fatalf("no form posting to %s: %v", html.DeleteReviewPath(e.Review.ID), forms)
			}
			btn := first(t, f, tag("button"), "button")
			if text(btn) != "Delete" || attrOr(btn, "type") != "submit" {
				t.Errorf("button = %q %v", text(btn), btn.Attr)
			}
			if got := controlNames(f); !slices.Equal(got, []string{"csrf_token"}) {
				t.Errorf("fields = %v", got)
			}
			if len(all(f, tagAttr("a", "href", "/diary"))) != 1 {
				t.Errorf("no cancel link")
			}
		})
	}
}

func TestTokensPageListsTokensWithRevokeButtons(t *testing.T) {
	t.Parallel()
	created := time.Date(2024, 4, 1, 8, 0, 0, 0, time.UTC)
	fresh := mustToken(t, "phone", created, time.Time{}, time.Time{})
	used := mustToken(t, `script <"x">`, created, time.Date(2024, 5, 2, 9, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	old := mustToken(t, "old", created, time.Time{}, time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC))
	v := html.TokensView{Tokens: []domain.APIToken{fresh, used, old}, UserEmail: "ann@example.com", CSRFToken: token, Now: now}
	_, doc := mustParse(t, func(b *bytes.Buffer) error { return mustRenderer(t).TokensPage(b, v) })

	rows := all(first(t, doc, tag("tbody"), "token table"), tag("tr"))
	if len(rows) != 3 {
		t.Fatalf("rows = %d, want 3", len(rows))
	}
	want := [][]string{
		{"phone", fresh.Prefix + "…", "1 April 2024", "Never", "Never", "Revoke"},
		{`script <"x">`, used.Prefix + "…", "1 April 2024", "2 May 2024, 09:00 UTC", "1 January 2025", "Revoke"},
		{"old", old.Prefix + "…", "1 April 2024", "Never", "Expired 1 May 2024", "Revoke"},
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
		tok := v.Tokens[i]
		f, ok := forms["/tokens/"+tok.ID.String()+"/revoke"]
		if !ok {
			t.Errorf("no revoke form for %s", tok.Name)
			continue
		}
		if got := attrOr(first(t, f, tag("button"), "button"), "aria-label"); got != "Revoke "+tok.Name {
			t.Errorf("revoke button label = %q", got)
		}
	}
	if strings.Contains(text(doc), "not be shown again") {
		t.Errorf("the once-only note is shown without a new token")
	}
	create, ok := forms["/tokens"]
	if !ok {
		t.Fatalf("no create form")
	}
	if got := controlNames(create); !slices.Equal(got, []string{"csrf_token", "name", "expires_at"}) {
		t.Errorf("create fields = %v", got)
	}
	exp := control(t, create, "expires_at")
	if attrOr(exp, "type") != "date" || attrOr(exp, "min") != "2024-05-03" {
		t.Errorf("expires_at = %v", exp.Attr)
	}
	if _, req := attr(exp, "required"); req {
		t.Errorf("expiry is required; it is optional")
	}
}

func TestTokensPageShowsTheNewTokenOnce(t *testing.T) {
	t.Parallel()
	secret := "mdpat_" + strings.Repeat("A", 43)
	v := html.TokensView{Created: &html.CreatedToken{Name: "phone", Token: secret}, CSRFToken: token,
		Form: html.TokenForm{Name: "kept", ExpiresAt: "2030-01-01"}, Now: now}
	raw, doc := mustParse(t, func(b *bytes.Buffer) error { return mustRenderer(t).TokensPage(b, v) })
	if strings.Count(raw, secret) != 1 {
		t.Errorf("the token appears %d times, want once", strings.Count(raw, secret))
	}
	box := first(t, doc, tagAttr("section", "role", "status"), "new token")
	if got := rawText(first(t, box, tagAttr("code", "id", "new-token"), "token")); got != secret {
		t.Errorf("token = %q", got)
	}
	if !strings.Contains(text(box), "it will not be shown again") || !strings.Contains(text(box), "phone") {
		t.Errorf("note = %q", text(box))
	}
	if got := text(first(t, doc, func(n *xhtml.Node) bool { return hasClass(n, "empty") }, "empty note")); got != "No tokens yet." {
		t.Errorf("empty note = %q", got)
	}
	f := postForms(t, doc)["/tokens"]
	if attrOr(control(t, f, "name"), "value") != "kept" || attrOr(control(t, f, "expires_at"), "value") != "2030-01-01" {
		t.Errorf("create form values not kept")
	}
}

func TestTokensLinkOnlyForSignedInPages(t *testing.T) {
	t.Parallel()
	for _, signedIn := range []bool{true, false} {
		_, doc := diaryDoc(t, html.DiaryView{SignedIn: signedIn})
		nav := first(t, doc, tagAttr("nav", "aria-label", "Account"), "account nav")
		if got := len(all(nav, tagAttr("a", "href", "/tokens"))) == 1; got != signedIn {
			t.Errorf("signed in %v: tokens link = %v", signedIn, got)
		}
	}
}

func TestEntriesNameTheirAuthorsWhenGiven(t *testing.T) {
	t.Parallel()
	ann, bob, orphan := domain.NewUserID(), domain.NewUserID(), domain.NewUserID()
	nasty := `<script>alert("x")</script> & "Bob"`
	entries := []domain.DiaryEntry{
		mustEntryBy(t, ann, mustMovie(t, "Heat", 1995), 4.5, "", watched),
		mustEntryBy(t, bob, mustMovie(t, "Alien", 1979), 3, "", watched.Add(-time.Hour)),
		mustEntryBy(t, orphan, mustMovie(t, "Ran", 1985), 5, "", watched.Add(-2*time.Hour)),
	}
	authors := map[domain.UserID]string{ann: "Ann", bob: nasty}

	raw, doc := diaryDoc(t, html.DiaryView{Entries: entries, Authors: authors})
	if strings.Contains(raw, "<script>") {
		t.Fatal("an author's name was not escaped")
	}
	articles := all(doc, tag("article"))
	if len(articles) != 3 {
		t.Fatalf("articles = %d, want 3", len(articles))
	}
	for i, want := range []struct{ name, href string }{
		{"Ann", "/users/" + ann.String()},
		{nasty, "/users/" + bob.String()},
		{"", ""},
	} {
		var got []string
		for _, a := range all(articles[i], tag("a")) {
			if strings.HasPrefix(attrOr(a, "href"), "/users/") {
				got = append(got, text(a)+" → "+attrOr(a, "href"))
			}
		}
		switch {
		case want.name == "" && len(got) != 0:
			t.Errorf("entry %d (no account) links to %v, want no author", i, got)
		case want.name != "" && !slices.Equal(got, []string{want.name + " → " + want.href}):
			t.Errorf("entry %d author links = %v, want %q → %q", i, got, want.name, want.href)
		}
		if meta := text(first(t, articles[i], hasClassPred("meta"), "meta")); want.name != "" && !strings.HasSuffix(meta, "by "+want.name) {
			t.Errorf("entry %d meta = %q, want it to end with %q", i, meta, "by "+want.name)
		}
	}

	// Without names (one user's page) no entry names anyone.
	_, doc = diaryDoc(t, html.DiaryView{Entries: entries})
	for _, a := range all(doc, tag("a")) {
		if strings.HasPrefix(attrOr(a, "href"), "/users/") && hasAncestorClass(a, "entry") {
			t.Errorf("an entry links to %s without Authors", attrOr(a, "href"))
		}
	}
}

func hasClassPred(class string) func(*xhtml.Node) bool {
	return func(n *xhtml.Node) bool { return hasClass(n, class) }
}

func hasAncestorClass(n *xhtml.Node, class string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == xhtml.ElementNode && hasClass(p, class) {
			return true
		}
	}
	return false
}
