package html_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	xhtml "golang.org/x/net/html"

	"github.com/moviediary/moviediary/adapters/html"
	"github.com/moviediary/moviediary/domain"
)

var (
	watched = time.Date(2024, 5, 1, 20, 30, 0, 0, time.UTC)
	now     = time.Date(2024, 5, 2, 9, 15, 42, 0, time.UTC)
)

// token contains characters that must survive attribute escaping.
const token = `tok"<&>'en`

type namedPage struct {
	name       string
	render     func(r *html.Renderer, b *bytes.Buffer) error
	wantAction []string // actions of the POST forms the page must have
	feed       string   // the head's alternate feed; "/feed.rss" when empty
}

// pages is every page in every state that changes which forms it shows.
func pages(tb testing.TB) []namedPage {
	entry := mustEntry(tb, mustMovie(tb, nasty, 1999, withPoster, withDirector(nasty)), 3, nasty, watched)
	diary := html.DiaryView{Entries: []domain.DiaryEntry{entry}, TotalCount: 1, CSRFToken: token, Errors: []string{nasty}, Notice: nasty, Now: now,
		Form: html.LogForm{ManualTitle: nasty, Comment: nasty}, NextURL: "/diary?cursor=x", NewestURL: "/diary"}
	signedIn := diary
	signedIn.SignedIn, signedIn.UserEmail = true, "ann@example.com"
	auth := html.AuthView{CSRFToken: token, Email: nasty, Errors: []string{nasty}, RegistrationOpen: true}
	closed := auth
	closed.RegistrationOpen = false
	own := signedIn
	own.UserID = entry.Review.UserID
	edit := html.EditReviewView{Entry: entry, UserEmail: nasty, CSRFToken: token, Form: html.EditFormFor(entry.Review), Errors: []string{nasty}, Now: now}
	del := html.DeleteReviewView{Entry: entry, UserEmail: nasty, CSRFToken: token}
	tok := mustToken(tb, nasty, now.Add(-time.Hour), time.Time{}, time.Time{})
	tokens := html.TokensView{Tokens: []domain.APIToken{tok}, Created: &html.CreatedToken{Name: nasty, Token: "mdpat_secret"},
		UserEmail: nasty, CSRFToken: token, Form: html.TokenForm{Name: nasty}, Errors: []string{nasty}, Now: now}
	hook := mustWebhook(tb, domain.SourcePlex, nasty, now.Add(-time.Hour), time.Time{})
	webhooks := html.WebhooksView{Webhooks: []domain.Webhook{hook},
		Created:   &html.CreatedWebhook{Source: domain.SourcePlex, URL: "http://diary.example/webhooks/plex/secret"},
		UserEmail: nasty, CSRFToken: token, Form: html.WebhookForm{Source: "plex", PlexAccount: nasty}, Errors: []string{nasty}}
	job := importJob(tb, domain.ImportRunning, 3)
	job.Problems = []domain.ImportProblem{{File: nasty, Line: 2, Reason: nasty}}
	imp := html.ImportView{UserEmail: nasty, CSRFToken: token, Errors: []string{nasty}, Form: html.ImportForm{Source: "imdb", DryRun: true},
		Running: job.ID, MaxBytes: 50 << 20}
	ann := html.ProfileView{ID: entry.Review.UserID, Name: nasty, Private: true, Own: true}
	stats := statsFixture(tb)
	userPage := html.UserPageView{Profile: ann, Stats: stats, Entries: []domain.DiaryEntry{entry}, TotalCount: 1,
		NextURL: "/users/x?cursor=y", SignedIn: true, UserID: ann.ID, UserEmail: nasty, CSRFToken: token}
	userOut := userPage
	userOut.Profile.Own, userOut.Profile.Private, userOut.SignedIn, userOut.UserID = false, false, false, domain.UserID{}
	yearPage := html.StatsPageView{Profile: &ann, Year: 2024, Stats: stats, Years: []int{2023, 2024},
		SignedIn: true, UserID: ann.ID, UserEmail: nasty, CSRFToken: token}
	settings := html.SettingsView{SignedIn: true, UserID: ann.ID, UserEmail: nasty, CSRFToken: token, DisplayName: nasty,
		Private: true, PublicName: nasty, Errors: []string{nasty}, Notice: nasty}
	return []namedPage{
		{"user page, own and private", func(r *html.Renderer, b *bytes.Buffer) error { return r.UserPage(b, userPage) }, []string{"/logout"},
			html.UserFeedPath(ann.ID)},
		{"user page signed out", func(r *html.Renderer, b *bytes.Buffer) error { return r.UserPage(b, userOut) }, nil,
			html.UserFeedPath(ann.ID)},
		{"user's year", func(r *html.Renderer, b *bytes.Buffer) error { return r.StatsPage(b, yearPage) }, []string{"/logout"}, ""},
		{"whole diary's statistics signed out", func(r *html.Renderer, b *bytes.Buffer) error {
			return r.StatsPage(b, html.StatsPageView{Stats: stats, UserEmail: nasty, CSRFToken: token})
		}, nil, ""},
		{"settings", func(r *html.Renderer, b *bytes.Buffer) error { return r.SettingsPage(b, settings) }, []string{"/logout", "/settings"}, ""},
		{"import", func(r *html.Renderer, b *bytes.Buffer) error { return r.ImportPage(b, imp) }, []string{"/import", "/logout"}, ""},
		{"import job", func(r *html.Renderer, b *bytes.Buffer) error {
			return r.ImportJobPage(b, html.ImportJobView{Job: job, UserEmail: nasty, CSRFToken: token})
		}, []string{"/logout"}, ""},
		{"diary signed in", func(r *html.Renderer, b *bytes.Buffer) error { return r.DiaryPage(b, signedIn) }, []string{"/logout", "/reviews"}, ""},
		{"diary with the user's own entry", func(r *html.Renderer, b *bytes.Buffer) error { return r.DiaryPage(b, own) }, []string{"/logout", "/reviews"}, ""},
		{"edit", func(r *html.Renderer, b *bytes.Buffer) error { return r.EditReviewPage(b, edit) },
			[]string{"/logout", html.EditReviewPath(entry.Review.ID)}, ""},
		{"delete", func(r *html.Renderer, b *bytes.Buffer) error { return r.DeleteReviewPage(b, del) },
			[]string{"/logout", html.DeleteReviewPath(entry.Review.ID)}, ""},
		{"tokens", func(r *html.Renderer, b *bytes.Buffer) error { return r.TokensPage(b, tokens) },
			[]string{"/logout", "/tokens", html.RevokeTokenPath(tok.ID)}, ""},
		{"webhooks", func(r *html.Renderer, b *bytes.Buffer) error { return r.WebhooksPage(b, webhooks) },
			[]string{"/logout", "/webhooks", html.DeleteWebhookPath(hook.ID), html.RotateWebhookPath(hook.ID)}, ""},
		{"diary signed out", func(r *html.Renderer, b *bytes.Buffer) error { return r.DiaryPage(b, diary) }, nil, ""},
		{"login", func(r *html.Renderer, b *bytes.Buffer) error { return r.LoginPage(b, auth) }, []string{"/login"}, ""},
		{"register open", func(r *html.Renderer, b *bytes.Buffer) error { return r.RegisterPage(b, auth) }, []string{"/register"}, ""},
		{"register closed", func(r *html.Renderer, b *bytes.Buffer) error { return r.RegisterPage(b, closed) }, nil, ""},
		{"error", func(r *html.Renderer, b *bytes.Buffer) error {
			return r.ErrorPage(b, html.ErrorView{Status: 404, Title: nasty, Detail: nasty})
		}, nil, ""},
	}
}

func TestEveryPostFormCarriesTheCSRFToken(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	for _, p := range pages(t) {
		t.Run(p.name, func(t *testing.T) {
			_, doc := mustParse(t, func(b *bytes.Buffer) error { return p.render(r, b) })
			forms := postForms(t, doc)
			var actions []string
			for action, form := range forms {
				actions = append(actions, action)
				hidden := all(form, tagAttr("input", "name", html.CSRFField))
				if len(hidden) != 1 {
					t.Fatalf("form %s has %d csrf_token fields, want 1", action, len(hidden))
				}
				if got := attrOr(hidden[0], "type"); got != "hidden" {
					t.Errorf("form %s: csrf_token type = %q, want hidden", action, got)
				}
				if got := attrOr(hidden[0], "value"); got != token {
					t.Errorf("form %s: csrf_token = %q, want %q", action, got, token)
				}
			}
			slices.Sort(actions)
			if !slices.Equal(actions, p.wantAction) {
				t.Errorf("POST forms = %v, want %v", actions, p.wantAction)
			}
		})
	}
}

func TestNoPageHasScriptOrEventHandlers(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	for _, p := range pages(t) {
		t.Run(p.name, func(t *testing.T) {
			raw, doc := mustParse(t, func(b *bytes.Buffer) error { return p.render(r, b) })
			if strings.Contains(strings.ToLower(raw), "<script") {
				t.Errorf("raw <script in output")
			}
			if n := len(all(doc, tag("script"))); n != 0 {
				t.Errorf("%d script elements", n)
			}
			for _, el := range all(doc, func(n *xhtml.Node) bool { return n.Type == xhtml.ElementNode }) {
				for _, a := range el.Attr {
					if strings.HasPrefix(a.Key, "on") || strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
						t.Errorf("<%s %s=%q>", el.Data, a.Key, a.Val)
					}
				}
			}
		})
	}
}

func TestUserTextIsEscapedAndShownVerbatim(t *testing.T) {
	t.Parallel()
	m := mustMovie(t, nasty, 1999, withPoster, withDirector(nasty))
	e := mustEntry(t, m, 4, nasty+"\nsecond line", watched)
	raw, doc := diaryDoc(t, html.DiaryView{
		Entries: []domain.DiaryEntry{e}, TotalCount: 1, SignedIn: true, UserEmail: nasty, CSRFToken: token,
		Errors: []string{nasty}, Notice: nasty, Form: html.LogForm{ManualTitle: nasty}, Now: now,
	})
	if strings.Contains(raw, "<script>") || strings.Contains(raw, "alert(1)</script>") {
		t.Fatalf("unescaped markup in output")
	}
	wantTitle := nasty + " (1999)"
	article := first(t, doc, tag("article"), "article")
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"title", rawText(first(t, article, tag("h2"), "h2")), wantTitle},
		{"comment keeps its line break", rawText(first(t, article, func(n *xhtml.Node) bool { return hasClass(n, "comment") }, "comment")), nasty + "\nsecond line"},
		{"director", text(all(article, func(n *xhtml.Node) bool { return hasClass(n, "meta") })[1]), "Directed by " + nasty},
		{"poster alt", attrOr(first(t, article, tag("img"), "img"), "alt"), "Poster of " + wantTitle},
		{"notice", rawText(first(t, doc, func(n *xhtml.Node) bool { return hasClass(n, "notice") }, "notice")), nasty},
		{"error", rawText(first(t, doc, tag("li"), "error item")), nasty},
		{"email in header", rawText(first(t, first(t, doc, tag("header"), "header"), tag("span"), "span")), nasty},
		{"refilled title", attrOr(first(t, doc, tagAttr("input", "name", "manual_title"), "manual_title"), "value"), nasty},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestDiaryShowsLogFormOnlyWhenSignedIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		signedIn    bool
		wantForms   []string
		wantSignIn  bool
		wantSignOut bool
	}{
		{"signed in gets the log form and a sign-out button", true, []string{"/logout", "/reviews"}, false, true},
		{"signed out gets a sign-in link and no form", false, nil, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, doc := diaryDoc(t, html.DiaryView{SignedIn: tc.signedIn, UserEmail: "ann@example.com", CSRFToken: token, Now: now})
			var actions []string
			for a := range postForms(t, doc) {
				actions = append(actions, a)
			}
			slices.Sort(actions)
			if !slices.Equal(actions, tc.wantForms) {
				t.Errorf("forms = %v, want %v", actions, tc.wantForms)
			}
			if got := len(all(doc, tagAttr("a", "href", "/login"))) > 0; got != tc.wantSignIn {
				t.Errorf("sign-in link present = %v, want %v", got, tc.wantSignIn)
			}
			if got := strings.Contains(text(doc), "ann@example.com"); got != tc.wantSignOut {
				t.Errorf("account email shown = %v, want %v", got, tc.wantSignOut)
			}
		})
	}
}

func TestFormsUseTheAPIFieldNames(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	tests := []struct {
		name   string
		render func(*bytes.Buffer) error
		action string
		want   []string
	}{
		{"log form", func(b *bytes.Buffer) error { return r.DiaryPage(b, html.DiaryView{SignedIn: true, CSRFToken: token}) }, "/reviews",
			[]string{"csrf_token", "external_metadata_id", "manual_title", "manual_release_year", "manual_director", "rating", "watched_at", "comment"}},
		{"logout form", func(b *bytes.Buffer) error { return r.DiaryPage(b, html.DiaryView{SignedIn: true, CSRFToken: token}) }, "/logout",
			[]string{"csrf_token"}},
		{"login form", func(b *bytes.Buffer) error { return r.LoginPage(b, html.AuthView{CSRFToken: token}) }, "/login",
			[]string{"csrf_token", "email", "password"}},
		{"register form", func(b *bytes.Buffer) error {
			return r.RegisterPage(b, html.AuthView{CSRFToken: token, RegistrationOpen: true})
		}, "/register",
			[]string{"csrf_token", "email", "password"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, doc := mustParse(t, tc.render)
			form, ok := postForms(t, doc)[tc.action]
			if !ok {
				t.Fatalf("no POST form to %s", tc.action)
			}
			if got := controlNames(form); !slices.Equal(got, tc.want) {
				t.Errorf("fields = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLogFormControlsHaveTheRightKinds(t *testing.T) {
	t.Parallel()
	_, doc := diaryDoc(t, html.DiaryView{SignedIn: true, CSRFToken: token, Now: now})
	form := postForms(t, doc)["/reviews"]
	if c := control(t, form, "rating"); c.Data != "select" {
		t.Errorf("rating is <%s>, want <select>", c.Data)
	} else {
		var values []string
		for _, o := range all(c, tag("option")) {
			values = append(values, attrOr(o, "value"))
		}
		if want := []string{"", "5", "4.5", "4", "3.5", "3", "2.5", "2", "1.5", "1", "0.5", "0"}; !slices.Equal(values, want) {
			t.Errorf("rating options = %q, want %q", values, want)
		}
		if got := text(all(c, tag("option"))[0]); got != "Not rated" {
			t.Errorf("first rating option = %q, want Not rated", got)
		}
		if _, required := attr(c, "required"); required {
			t.Errorf("rating is required; not rated must be allowed")
		}
	}
	if c := control(t, form, "comment"); c.Data != "textarea" {
		t.Errorf("comment is <%s>, want <textarea>", c.Data)
	}
	if got := attrOr(control(t, form, "watched_at"), "type"); got != "datetime-local" {
		t.Errorf("watched_at type = %q, want datetime-local", got)
	}
	for _, c := range all(form, func(n *xhtml.Node) bool {
		return n.Type == xhtml.ElementNode && (n.Data == "select" || n.Data == "textarea" || n.Data == "input")
	}) {
		if attrOr(c, "type") == "hidden" {
			continue
		}
		id := attrOr(c, "id")
		if len(all(form, tagAttr("label", "for", id))) != 1 {
			t.Errorf("control %q has no label", attrOr(c, "name"))
		}
	}
}

func TestLogFormKeepsEnteredValuesAndListsErrors(t *testing.T) {
	t.Parallel()
	form := html.LogForm{
		ExternalMetadataID: `tt"0111161<`,
		ManualTitle:        nasty,
		ManualReleaseYear:  "19x9",
		ManualDirector:     `Agnès "Varda" & co`,
		Rating:             "0",
		Comment:            nasty + "\n</textarea><b>bold</b>",
		WatchedAt:          "2024-05-01T20:30",
	}
	errs := []string{"rating: must be an integer from 0 to 5", "watched_at: must not be in the future", nasty}
	_, doc := diaryDoc(t, html.DiaryView{SignedIn: true, CSRFToken: token, Form: form, Errors: errs, Now: now})
	f := postForms(t, doc)["/reviews"]
	for name, want := range map[string]string{
		"external_metadata_id": form.ExternalMetadataID,
		"manual_title":         form.ManualTitle,
		"manual_release_year":  form.ManualReleaseYear,
		"manual_director":      form.ManualDirector,
		"watched_at":           form.WatchedAt,
	} {
		if got := attrOr(control(t, f, name), "value"); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got := rawText(control(t, f, "comment")); got != form.Comment {
		t.Errorf("comment = %q, want %q", got, form.Comment)
	}
	var selected []string
	for _, o := range all(control(t, f, "rating"), tag("option")) {
		if _, ok := attr(o, "selected"); ok {
			selected = append(selected, attrOr(o, "value"))
		}
	}
	if !slices.Equal(selected, []string{"0"}) {
		t.Errorf("selected ratings = %v, want [0]", selected)
	}
	alert := first(t, doc, tagAttr("div", "role", "alert"), "error list")
	var got []string
	for _, li := range all(alert, tag("li")) {
		got = append(got, rawText(li))
	}
	if !slices.Equal(got, errs) {
		t.Errorf("errors = %q, want %q", got, errs)
	}
	if _, open := attr(first(t, doc, tag("details"), "details"), "open"); !open {
		t.Errorf("log form is folded although it has errors")
	}
}

func TestLogFormIsFoldedUnlessItNeedsAttention(t *testing.T) {
	t.Parallel()
	entry := mustEntry(t, mustMovie(t, "Heat", 1995), 3, "", watched)
	tests := []struct {
		name     string
		view     html.DiaryView
		wantOpen bool
	}{
		{"entries and no errors keep it folded", html.DiaryView{SignedIn: true, Entries: []domain.DiaryEntry{entry}}, false},
		{"errors unfold it", html.DiaryView{SignedIn: true, Entries: []domain.DiaryEntry{entry}, Errors: []string{"rating: is required"}}, true},
		{"an empty diary unfolds it", html.DiaryView{SignedIn: true}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, doc := diaryDoc(t, tc.view)
			if _, open := attr(first(t, doc, tag("details"), "details"), "open"); open != tc.wantOpen {
				t.Errorf("open = %v, want %v", open, tc.wantOpen)
			}
		})
	}
}

func TestWatchedAtDefaultsToNowAndIsCappedAtNow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		view      html.DiaryView
		wantValue string
		wantMax   string
	}{
		{"empty form defaults to now in UTC", html.DiaryView{SignedIn: true, Now: now.In(time.FixedZone("CEST", 2*3600))}, "2024-05-02T09:15", "2024-05-02T09:15"},
		{"entered value wins over now", html.DiaryView{SignedIn: true, Now: now, Form: html.LogForm{WatchedAt: "2020-01-01T10:00"}}, "2020-01-01T10:00", "2024-05-02T09:15"},
		{"no clock leaves both unset", html.DiaryView{SignedIn: true}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, doc := diaryDoc(t, tc.view)
			in := first(t, doc, tagAttr("input", "name", "watched_at"), "watched_at")
			if got := attrOr(in, "value"); got != tc.wantValue {
				t.Errorf("value = %q, want %q", got, tc.wantValue)
			}
			if got := attrOr(in, "max"); got != tc.wantMax {
				t.Errorf("max = %q, want %q", got, tc.wantMax)
			}
		})
	}
}

func TestRatingIsDrawnAsStarsWithTextForScreenReaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rating    float64
		wantStars string
		wantText  string
	}{
		{0, "☆☆☆☆☆", "0 out of 5"},
		{0.5, "½☆☆☆☆", "0.5 out of 5"},
		{3, "★★★☆☆", "3 out of 5"},
		{3.5, "★★★½☆", "3.5 out of 5"},
		{4.5, "★★★★½", "4.5 out of 5"},
		{5, "★★★★★", "5 out of 5"},
	}
	for _, tc := range tests {
		t.Run(tc.wantText, func(t *testing.T) {
			t.Parallel()
			if got := html.Stars(domain.MustNewRating(tc.rating)); got != tc.wantStars {
				t.Errorf("Stars = %q, want %q", got, tc.wantStars)
			}
			if got := html.RatingText(domain.MustNewRating(tc.rating)); got != tc.wantText {
				t.Errorf("RatingText = %q, want %q", got, tc.wantText)
			}
			e := mustEntry(t, mustMovie(t, "Heat", 1995), tc.rating, "", watched)
			_, doc := diaryDoc(t, html.DiaryView{Entries: []domain.DiaryEntry{e}, TotalCount: 1})
			stars := first(t, doc, func(n *xhtml.Node) bool { return hasClass(n, "stars") }, "stars")
			if got := text(stars); got != tc.wantStars {
				t.Errorf("stars = %q, want %q", got, tc.wantStars)
			}
			if got := attrOr(stars, "aria-hidden"); got != "true" {
				t.Errorf("stars aria-hidden = %q, want true", got)
			}
			hidden := first(t, doc, func(n *xhtml.Node) bool { return hasClass(n, "visually-hidden") }, "screen-reader text")
			if got := text(hidden); got != tc.wantText {
				t.Errorf("screen-reader text = %q, want %q", got, tc.wantText)
			}
		})
	}
}

func TestUnratedViewingSaysNotRatedAndDrawsNoStars(t *testing.T) {
	t.Parallel()
	if got := html.Stars(domain.Rating{}); got != "" {
		t.Errorf("Stars(not rated) = %q, want none", got)
	}
	if got := html.RatingText(domain.Rating{}); got != "Not rated" {
		t.Errorf("RatingText(not rated) = %q", got)
	}
	e := mustEntry(t, mustMovie(t, "Heat", 1995), -1, "", watched)
	_, doc := diaryDoc(t, html.DiaryView{Entries: []domain.DiaryEntry{e}, TotalCount: 1})
	article := first(t, doc, tag("article"), "article")
	if n := len(all(article, func(n *xhtml.Node) bool { return hasClass(n, "stars") })); n != 0 {
		t.Errorf("%d star elements for an unrated viewing", n)
	}
	if got := text(first(t, article, func(n *xhtml.Node) bool { return hasClass(n, "unrated") }, "unrated note")); got != "Not rated" {
		t.Errorf("unrated note = %q, want Not rated", got)
	}
	if strings.ContainsAny(text(article), "★☆½") {
		t.Errorf("unrated entry shows stars: %q", text(article))
	}
}

func TestPosterImageOnlyWhenTheMovieHasAPoster(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		movie     domain.Movie
		wantImage bool
	}{
		{"stored poster is shown", mustMovie(t, "Heat", 1995, withPoster), true},
		{"no poster gives a placeholder", mustMovie(t, "Heat", 1995), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, doc := diaryDoc(t, html.DiaryView{Entries: []domain.DiaryEntry{mustEntry(t, tc.movie, 3, "", watched)}, TotalCount: 1})
			imgs := all(doc, tag("img"))
			placeholders := all(doc, func(n *xhtml.Node) bool { return hasClass(n, "placeholder") })
			if !tc.wantImage {
				if len(imgs) != 0 || len(placeholders) != 1 {
					t.Fatalf("imgs = %d, placeholders = %d; want 0 and 1", len(imgs), len(placeholders))
				}
				return
			}
			if len(imgs) != 1 || len(placeholders) != 0 {
				t.Fatalf("imgs = %d, placeholders = %d; want 1 and 0", len(imgs), len(placeholders))
			}
			img := imgs[0]
			want := map[string]string{"src": "/posters/" + tc.movie.ID.String(), "alt": "Poster of Heat (1995)", "loading": "lazy", "width": "80", "height": "120"}
			for k, v := range want {
				if got := attrOr(img, k); got != v {
					t.Errorf("img %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestPaginationLinksFollowTheView(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		next       string
		newest     string
		wantOlder  string
		wantNewest string
	}{
		{"first of several pages links only to older", "/diary?cursor=abc", "", "/diary?cursor=abc", ""},
		{"middle page links both ways", "/diary?cursor=def&movie_id=1", "/diary?movie_id=1", "/diary?cursor=def&movie_id=1", "/diary?movie_id=1"},
		{"last page links only to newest", "", "/diary", "", "/diary"},
		{"single page has no pager", "", "", "", ""},
		{"a javascript URL is neutralised", "javascript:alert(1)", "", "#ZgotmplZ", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, doc := diaryDoc(t, html.DiaryView{NextURL: tc.next, NewestURL: tc.newest})
			pager := all(doc, tagAttr("nav", "aria-label", "Pages"))
			if tc.wantOlder == "" && tc.wantNewest == "" {
				if len(pager) != 0 {
					t.Fatalf("pager drawn without links")
				}
				return
			}
			if len(pager) != 1 {
				t.Fatalf("pagers = %d, want 1", len(pager))
			}
			links := map[string]string{}
			for _, a := range all(pager[0], tag("a")) {
				links[text(a)] = attrOr(a, "href")
			}
			if got := links["Older →"]; got != tc.wantOlder {
				t.Errorf("Older → href = %q, want %q", got, tc.wantOlder)
			}
			if got := links["← Newest"]; got != tc.wantNewest {
				t.Errorf("← Newest href = %q, want %q", got, tc.wantNewest)
			}
		})
	}
}

func TestFilteredDiaryNamesTheMovieAndLinksBack(t *testing.T) {
	t.Parallel()
	m := mustMovie(t, "Heat", 1995, withDirector("Michael Mann"))
	tests := []struct {
		name      string
		filter    *domain.Movie
		count     int
		wantH1    string
		wantSub   string
		wantTitle string
		wantBack  bool
	}{
		{"whole diary", nil, 42, "Diary", "42 viewings", "Movie Diary", false},
		{"one movie", &m, 3, "Heat (1995)", "Directed by Michael Mann · Watched 3 times · Back to the full diary", "Heat (1995) · Movie Diary", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, doc := diaryDoc(t, html.DiaryView{FilterMovie: tc.filter, TotalCount: tc.count})
			if got := text(first(t, doc, tag("h1"), "h1")); got != tc.wantH1 {
				t.Errorf("h1 = %q, want %q", got, tc.wantH1)
			}
			sub := first(t, doc, func(n *xhtml.Node) bool { return hasClass(n, "sub") }, "sub-heading")
			if got := text(sub); got != tc.wantSub {
				t.Errorf("sub-heading = %q, want %q", got, tc.wantSub)
			}
			if got := len(all(sub, tagAttr("a", "href", "/diary"))) == 1; got != tc.wantBack {
				t.Errorf("back link = %v, want %v", got, tc.wantBack)
			}
			if got := text(first(t, doc, tag("title"), "title")); got != tc.wantTitle {
				t.Errorf("title = %q, want %q", got, tc.wantTitle)
			}
		})
	}
}

func TestEntryShowsWatchedDateAsTimeElementAndLinksToTheMovie(t *testing.T) {
	t.Parallel()
	m := mustMovie(t, "Heat", 1995)
	_, doc := diaryDoc(t, html.DiaryView{Entries: []domain.DiaryEntry{mustEntry(t, m, 3, "", watched)}, TotalCount: 1})
	tm := first(t, doc, tag("time"), "time")
	if got := attrOr(tm, "datetime"); got != "2024-05-01T20:30:00Z" {
		t.Errorf("datetime = %q", got)
	}
	if got := text(tm); got != "1 May 2024" {
		t.Errorf("time text = %q", got)
	}
	link := first(t, first(t, doc, tag("h2"), "h2"), tag("a"), "title link")
	if got, want := attrOr(link, "href"), "/diary?movie_id="+m.ID.String(); got != want {
		t.Errorf("title link = %q, want %q", got, want)
	}
	if n := len(all(first(t, doc, tag("ol"), "ol"), tag("article"))); n != 1 {
		t.Errorf("articles in the list = %d, want 1", n)
	}
}

func TestEmptyDiarySaysSo(t *testing.T) {
	t.Parallel()
	_, doc := diaryDoc(t, html.DiaryView{})
	if len(all(doc, tag("ol"))) != 0 {
		t.Errorf("empty list drawn")
	}
	if got := text(first(t, doc, func(n *xhtml.Node) bool { return hasClass(n, "empty") }, "empty note")); got != "No viewings logged yet." {
		t.Errorf("empty note = %q", got)
	}
}

func TestEveryPageLinksTheFeed(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	for _, p := range pages(t) {
		t.Run(p.name, func(t *testing.T) {
			_, doc := mustParse(t, func(b *bytes.Buffer) error { return p.render(r, b) })
			head := first(t, doc, tag("head"), "head")
			alt := all(head, tagAttr("link", "rel", "alternate"))
			want := p.feed
			if want == "" {
				want = "/feed.rss"
			}
			if len(alt) != 1 || attrOr(alt[0], "type") != "application/rss+xml" || attrOr(alt[0], "href") != want {
				t.Errorf("alternate link = %v, want one to %s", alt, want)
			}
			if len(all(doc, tagAttr("a", "href", "/feed.rss"))) == 0 {
				t.Errorf("no visible feed link")
			}
			if len(all(head, tagAttr("meta", "name", "viewport"))) != 1 {
				t.Errorf("no viewport meta")
			}
		})
	}
}

func TestAuthPages(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	tests := []struct {
		name         string
		render       func(io.Writer, html.AuthView) error
		open         bool
		wantForm     string
		wantLinkTo   string
		wantNoLinkTo string
	}{
		{"login with sign-up open links to register", r.LoginPage, true, "/login", "/register", ""},
		{"login with sign-up closed does not", r.LoginPage, false, "/login", "", "/register"},
		{"register open shows the form", r.RegisterPage, true, "/register", "/login", ""},
		{"register closed shows a note and no form", r.RegisterPage, false, "", "/login", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := html.AuthView{CSRFToken: token, Email: `ann"<@example.com`, Errors: []string{"email: must not be empty", nasty}, RegistrationOpen: tc.open}
			_, doc := mustParse(t, func(b *bytes.Buffer) error { return tc.render(b, v) })
			forms := postForms(t, doc)
			if tc.wantForm == "" {
				if len(forms) != 0 {
					t.Fatalf("forms = %d, want none", len(forms))
				}
				if !strings.Contains(text(doc), "Sign-up is closed") {
					t.Errorf("no closed note")
				}
			} else {
				f, ok := forms[tc.wantForm]
				if !ok {
					t.Fatalf("no POST form to %s", tc.wantForm)
				}
				if got := attrOr(control(t, f, "email"), "value"); got != v.Email {
					t.Errorf("email = %q, want %q", got, v.Email)
				}
				pw := control(t, f, "password")
				if _, has := attr(pw, "value"); has || attrOr(pw, "type") != "password" {
					t.Errorf("password field = %v", pw.Attr)
				}
			}
			var errs []string
			for _, li := range all(first(t, doc, tagAttr("div", "role", "alert"), "error list"), tag("li")) {
				errs = append(errs, rawText(li))
			}
			if !slices.Equal(errs, v.Errors) {
				t.Errorf("errors = %q, want %q", errs, v.Errors)
			}
			main := first(t, doc, tag("main"), "main")
			if tc.wantLinkTo != "" && len(all(main, tagAttr("a", "href", tc.wantLinkTo))) == 0 {
				t.Errorf("no link to %s", tc.wantLinkTo)
			}
			if tc.wantNoLinkTo != "" && len(all(doc, tagAttr("a", "href", tc.wantNoLinkTo))) != 0 {
				t.Errorf("unexpected link to %s", tc.wantNoLinkTo)
			}
		})
	}
}

func TestErrorPage(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	tests := []struct {
		name      string
		view      html.ErrorView
		wantH1    string
		wantSub   string
		wantTitle string
	}{
		{"status text when no title", html.ErrorView{Status: 404}, "Not Found", "Error 404", "Not Found · Movie Diary"},
		{"given title and detail are escaped", html.ErrorView{Status: 400, Title: nasty, Detail: nasty}, nasty, "Error 400", nasty + " · Movie Diary"},
		{"status outside the error range is a 500", html.ErrorView{Status: 200}, "Internal Server Error", "Error 500", "Internal Server Error · Movie Diary"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, doc := mustParse(t, func(b *bytes.Buffer) error { return r.ErrorPage(b, tc.view) })
			if got := rawText(first(t, doc, tag("h1"), "h1")); got != tc.wantH1 {
				t.Errorf("h1 = %q, want %q", got, tc.wantH1)
			}
			if got := text(first(t, doc, func(n *xhtml.Node) bool { return hasClass(n, "sub") }, "sub")); got != tc.wantSub {
				t.Errorf("sub = %q, want %q", got, tc.wantSub)
			}
			if got := rawText(first(t, doc, tag("title"), "title")); got != tc.wantTitle {
				t.Errorf("title = %q, want %q", got, tc.wantTitle)
			}
			if tc.view.Detail != "" && !strings.Contains(rawText(first(t, doc, tag("main"), "main")), tc.view.Detail) {
				t.Errorf("detail missing")
			}
		})
	}
}

func TestSiteTitleComesFromConfig(t *testing.T) {
	t.Parallel()
	r, err := html.New(html.Config{Title: `  Ann's <films> & "more"  `})
	if err != nil {
		t.Fatal(err)
	}
	_, doc := mustParse(t, func(b *bytes.Buffer) error { return r.DiaryPage(b, html.DiaryView{}) })
	want := `Ann's <films> & "more"`
	if got := rawText(first(t, doc, tag("title"), "title")); got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	if got := rawText(first(t, doc, func(n *xhtml.Node) bool { return hasClass(n, "brand") }, "brand")); got != want {
		t.Errorf("brand = %q, want %q", got, want)
	}
}

func TestContentSecurityPolicyAllowsOnlyTheSitesStylesheets(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	_, doc := mustParse(t, func(b *bytes.Buffer) error { return r.DiaryPage(b, html.DiaryView{}) })
	css := linkedStylesheet(t, r, doc)
	if !strings.Contains(css, "prefers-color-scheme: dark") {
		t.Errorf("the pages' stylesheet has no dark scheme")
	}
	csp := r.ContentSecurityPolicy()
	for _, want := range []string{"default-src 'none'", "img-src 'self'", "style-src 'self';", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows scripts or inline styles: %q", csp)
	}
	if strings.Contains(css, "@import") || strings.Contains(css, "url(") {
		t.Errorf("stylesheet loads other assets")
	}
	// Each stylesheet's path names its content: a changed stylesheet gets
	// a new path, so browsers may keep one for good.
	paths := map[string]bool{}
	for _, s := range r.Stylesheets() {
		sum := sha256.Sum256(s.Body)
		if !strings.HasPrefix(s.Path, html.StaticPath) || !strings.Contains(s.Path, hex.EncodeToString(sum[:6])) || !strings.HasSuffix(s.Path, ".css") || paths[s.Path] {
			t.Errorf("stylesheet path %q does not name its content's hash", s.Path)
		}
		paths[s.Path] = true
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestWriteFailureIsInfrastructure(t *testing.T) {
	t.Parallel()
	if err := mustRenderer(t).DiaryPage(failingWriter{}, html.DiaryView{}); !errors.Is(err, domain.ErrInfrastructure) {
		t.Fatalf("err = %v, want ErrInfrastructure", err)
	}
}

func TestContentType(t *testing.T) {
	t.Parallel()
	if html.ContentType != "text/html; charset=utf-8" {
		t.Errorf("ContentType = %q", html.ContentType)
	}
}
