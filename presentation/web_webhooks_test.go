package presentation_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The media-server webhooks page: create (URL shown once, no-store, no
// redirect), list, rotate (new URL shown once, old one dead), delete, each
// refused for another user's webhook, an unknown one and without the
// form's CSRF token; refused forms re-shown with their values.

var (
	// newWebhookURL finds the URL a 201 page shows; BASE_URL is the
	// default, http://localhost:3000.
	newWebhookURL = regexp.MustCompile(`<code class="token" id="new-webhook-url">(http://localhost:3000(/webhooks/(?:plex|jellyfin|emby)/[A-Za-z0-9_-]+))</code>`)
	rotateAction  = regexp.MustCompile(`action="(/webhooks/[0-9a-f-]{36}/rotate)"`)
	deleteAction  = regexp.MustCompile(`action="(/webhooks/[0-9a-f-]{36}/delete)"`)
)

// jellyfinStop is a Jellyfin webhook plugin's completed PlaybackStop of a
// film, as "Send All Properties" posts it.
const jellyfinStop = `{"ServerId":"d4f1c2a0b9e84b7a8c3e2f1a0b9c8d7e","ServerName":"jellyfin","ServerVersion":"10.9.11",
"NotificationType":"PlaybackStop","Timestamp":"2024-06-01T21:50:00.1234567+02:00","UtcTimestamp":"2024-06-01T19:50:00.1234567Z",
"Name":"Big Trouble in Little China","ItemId":"8c7d2a4f5e6b4c3d9a1b0e2f3c4d5e6f","ItemType":"Movie","Year":1986,
"Provider_imdb":"tt0090728","PlaybackPositionTicks":59390000000,"PlayedToCompletion":true,"NotificationUsername":"elan"}`

// createdWebhook checks the 201 page of a new or rotated webhook and
// returns the URL's path.
func createdWebhook(t *testing.T, what string, res *http.Response) (page, path string) {
	t.Helper()
	if loc := res.Header.Get("Location"); loc != "" {
		t.Errorf("%s redirects to %q; the URL must be shown in this response", what, loc)
	}
	page = wantPage(t, what, res, http.StatusCreated)
	m := newWebhookURL.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("%s: no webhook URL on the page:\n%s", what, page)
	}
	if n := strings.Count(page, m[2]); n != 1 || !strings.Contains(page, "it will not be shown again") {
		t.Errorf("%s: the URL is shown %d times, or without the note:\n%s", what, n, page)
	}
	return page, m[2]
}

// deliver posts the Jellyfin play to path, as the plugin does.
func (a *testApp) deliver(path string) int {
	a.t.Helper()
	res := a.do(request{method: http.MethodPost, path: path, body: jellyfinStop, header: http.Header{"Content-Type": {"application/json"}}})
	readBody(a.t, res)
	return res.StatusCode
}

func TestWebhooksPageCreatesShowsOnceRotatesAndDeletes(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, map[string]string{"ALLOW_REGISTRATION": "true"})
	ann := a.signedInBrowser(ownerEmail, ownerPassword)

	wantRedirect(t, "signed-out GET /webhooks", a.get("/webhooks"), "/login")
	page := wantPage(t, "GET /webhooks", a.get("/webhooks", ann.session), http.StatusOK)
	for _, want := range []string{"No webhooks yet.", `action="/webhooks"`, `<a href="/tokens">API tokens</a>` + "\n" + `<a href="/webhooks">Webhooks</a>`} {
		if !strings.Contains(page, want) {
			t.Errorf("empty webhooks page lacks %q:\n%s", want, page)
		}
	}

	page, first := createdWebhook(t, "POST /webhooks", a.post(ann, "/webhooks", url.Values{"source": {"jellyfin"}, "plex_account": {""}}))
	if !strings.HasPrefix(first, "/webhooks/jellyfin/") || !strings.Contains(page, "Playback Stop") || !strings.Contains(page, "docs/webhooks.md") {
		t.Errorf("the new URL %s lacks its source, or the page where to paste it:\n%s", first, page)
	}
	if got := a.deliver(first); got != http.StatusOK {
		t.Errorf("a play posted to the new URL: %d, want 200", got)
	}

	// Shown once: the list no longer carries it.
	list := wantPage(t, "GET /webhooks again", a.get("/webhooks", ann.session), http.StatusOK)
	if strings.Contains(list, first) || strings.Contains(list, "not be shown again") || !strings.Contains(list, `<th scope="row">Jellyfin</th>`) {
		t.Errorf("the list shows the URL again, or lacks the webhook:\n%s", list)
	}
	rotate, del := rotateAction.FindStringSubmatch(list), deleteAction.FindStringSubmatch(list)
	if rotate == nil || del == nil {
		t.Fatalf("no rotate or delete form:\n%s", list)
	}

	// Another user can neither see, rotate nor delete it; nor can a post
	// without the form's token.
	bob := a.signedInBrowser(otherEmail, otherPassword)
	if page := readBody(t, a.get("/webhooks", bob.session)); !strings.Contains(page, "No webhooks yet.") {
		t.Errorf("another user's webhooks page lists ann's webhook:\n%s", page)
	}
	wantPage(t, "bob rotates ann's webhook", a.post(bob, rotate[1], nil), http.StatusNotFound)
	wantPage(t, "bob deletes ann's webhook", a.post(bob, del[1], nil), http.StatusNotFound)
	for _, path := range []string{rotate[1], del[1], "/webhooks"} {
		wantForbidden(t, "POST "+path+" without the token", a.do(request{method: http.MethodPost, path: path,
			cookies: []*http.Cookie{ann.session}, form: url.Values{"source": {"plex"}}, header: http.Header{"Accept": {"text/html"}}}))
	}
	if got := a.deliver(first); got != http.StatusOK {
		t.Fatalf("refused rotations and deletions changed the URL: %d", got)
	}
	if page := readBody(t, a.get("/webhooks", ann.session)); strings.Count(page, "<th scope=\"row\">") != 1 {
		t.Errorf("a refused form made a webhook:\n%s", page)
	}

	page, second := createdWebhook(t, "rotate", a.post(ann, rotate[1], nil))
	if second == first || !strings.HasPrefix(second, "/webhooks/jellyfin/") || !strings.Contains(page, "old URL has stopped working") {
		t.Errorf("rotation: %s after %s, page:\n%s", second, first, page)
	}
	if got := a.deliver(first); got != http.StatusNotFound {
		t.Errorf("the rotated URL: %d, want 404", got)
	}
	if got := a.deliver(second); got != http.StatusOK {
		t.Errorf("the new URL: %d, want 200", got)
	}

	wantRedirect(t, "delete", a.post(ann, del[1], nil), "/webhooks")
	if got := a.deliver(second); got != http.StatusNotFound {
		t.Errorf("a deleted webhook's URL: %d, want 404", got)
	}
	if page := readBody(t, a.get("/webhooks", ann.session)); !strings.Contains(page, "No webhooks yet.") {
		t.Errorf("the deleted webhook is still listed:\n%s", page)
	}
	wantPage(t, "rotate a deleted webhook", a.post(ann, rotate[1], nil), http.StatusNotFound)
	wantPage(t, "delete again", a.post(ann, del[1], nil), http.StatusNotFound)
	wantPage(t, "rotate a malformed ID", a.post(ann, "/webhooks/nope/rotate", nil), http.StatusNotFound)
	wantPage(t, "delete a malformed ID", a.post(ann, "/webhooks/nope/delete", nil), http.StatusNotFound)
	for _, path := range []string{rotate[1], del[1]} {
		res := a.post(ann, path, url.Values{"pad": {strings.Repeat("x", 2<<20)}})
		readBody(t, res)
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("a 2 MiB form to %s: %d, want 413 (the global body limit, not the receiver's)", path, res.StatusCode)
		}
	}
	pre, tok := a.loginForm()
	wantRedirect(t, "signed-out rotate", a.post(browser{pre, tok}, rotate[1], nil), "/login")
}

func TestWebhooksFormRejectsInvalidInputAndKeepsIt(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, nil)
	ann := a.signedInBrowser(ownerEmail, ownerPassword)
	tests := []struct {
		name    string
		form    url.Values
		wantMsg string
	}{
		{"unknown source", url.Values{"source": {"kodi"}}, `Media server must be "plex", "jellyfin" or "emby".`},
		{"no source", url.Values{}, `Media server must be "plex", "jellyfin" or "emby".`},
		{"Plex account for Jellyfin", url.Values{"source": {"jellyfin"}, "plex_account": {"ann"}}, "Plex account may only be given for plex."},
		{"Plex account too long", url.Values{"source": {"plex"}, "plex_account": {strings.Repeat("a", 256)}}, "Plex account must be at most 255 characters."},
	}
	for _, tt := range tests {
		body := wantPage(t, tt.name, a.post(ann, "/webhooks", tt.form), http.StatusBadRequest)
		if !strings.Contains(html.UnescapeString(body), tt.wantMsg) || strings.Contains(body, `id="new-webhook-url"`) {
			t.Errorf("%s: page lacks %q or shows a URL:\n%s", tt.name, tt.wantMsg, body)
		}
		if v := tt.form.Get("plex_account"); v != "" && !strings.Contains(body, `value="`+v+`"`) {
			t.Errorf("%s: the Plex account typed is not kept", tt.name)
		}
		if s := tt.form.Get("source"); s == "jellyfin" && !strings.Contains(body, `<option value="jellyfin" selected>`) {
			t.Errorf("%s: the source chosen is not kept", tt.name)
		}
	}
	if page := readBody(t, a.get("/webhooks", ann.session)); !strings.Contains(page, "No webhooks yet.") {
		t.Errorf("refused forms made webhooks:\n%s", page)
	}

	page, path := createdWebhook(t, "a Plex webhook for one account", a.post(ann, "/webhooks", url.Values{"source": {"plex"}, "plex_account": {" elan "}}))
	if !strings.HasPrefix(path, "/webhooks/plex/") || !strings.Contains(page, "Add Webhook") || !strings.Contains(page, "<td>elan</td>") {
		t.Errorf("the Plex webhook's page lacks its hint or its account:\n%s", page)
	}
	pre, tok := a.loginForm()
	wantRedirect(t, "signed-out POST", a.post(browser{pre, tok}, "/webhooks", url.Values{"source": {"plex"}}), "/login")
}
