package browsertest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html/template"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestBrowserProfileAndSettings signs up, logs two films, sets a display
// name in the settings, opens "My page" from the header and reads it signed
// in and signed out (the name, the entries, the statistics, never the
// email), then makes the diary private and finds the page gone for everyone
// else — in a real headless Chromium, without JavaScript on any page.
func TestBrowserProfileAndSettings(t *testing.T) {
	browser := requireChromium(t)

	posterHost := httptest.NewServer(posterHandler(t))
	t.Cleanup(posterHost.Close)
	omdbHost := httptest.NewServer(omdbHandler(posterHost.URL + "/images/shawshank.png"))
	t.Cleanup(omdbHost.Close)
	base := startServer(t, omdbHost.URL+"/")

	ctx := newBrowser(t, browser)
	const email, password, name = "ann@example.com", "correct horse battery", "Ann Example"
	do(t, ctx, "open the sign-up page",
		chromedp.Navigate(base+"/register"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), email),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
	)
	wantStatus(t, submit(t, ctx, "sign up", `main form button[type=submit]`), http.StatusOK)
	wantPath(t, ctx, base, "/diary")

	// Two films: one by its IMDb ID, one described by hand.
	logViewing(t, ctx, "tt0111161", "4.5", "2024-03-01T20:30", "Hope is a good thing.")
	do(t, ctx, "unfold the log form", chromedp.Click(chromedp.CSS(`details.log summary`)))
	logDescribed(t, ctx, "Paterson", "2016", "Jim Jarmusch", "3.5", "2024-05-02T19:00", "A week of poems.")
	wantText(t, ctx, `main .sub`, "2 viewings")

	// Settings: the form starts empty and not private; save a name.
	wantStatus(t, submit(t, ctx, "open the settings", `header nav a[href="/settings"]`), http.StatusOK)
	wantPath(t, ctx, base, "/settings")
	wantText(t, ctx, `main h1`, "Settings")
	noScripts(t, ctx, "the settings page")
	if v := eval[string](t, ctx, `document.querySelector('#display_name').value`); v != "" {
		t.Fatalf("a new account's display name field holds %q, want it empty", v)
	}
	if checked := eval[bool](t, ctx, `document.querySelector('#private').checked`); checked {
		t.Fatalf("a new account's diary is private; want public")
	}
	do(t, ctx, "type the display name", chromedp.SendKeys(chromedp.CSS(`#display_name`), name))
	wantStatus(t, submit(t, ctx, "save the settings", `main form button[type=submit]`), http.StatusOK)
	wantText(t, ctx, `main .notice`, "Settings saved.")
	if v := eval[string](t, ctx, `document.querySelector('#display_name').value`); v != name {
		t.Fatalf("after saving, the display name field holds %q, want %q", v, name)
	}
	if hint := run(t, ctx, "read the name hint", chromedp.Text(chromedp.CSS(`#display_name_hint`))); !strings.Contains(hint, "Others now see you as “"+name+"”") {
		t.Fatalf("the name hint reads %q, want it to say others see %q", hint, name)
	}

	// "My page" in the header: the user's public page.
	wantStatus(t, submit(t, ctx, "open my page", `header nav a[href^="/users/"]`), http.StatusOK)
	wantText(t, ctx, `header nav a[href^="/users/"]`, "My page")
	loc := run(t, ctx, "read location", chromedp.Location())
	userPath := strings.TrimPrefix(loc, base)
	if !strings.HasPrefix(userPath, "/users/") || strings.Count(userPath, "/") != 2 {
		t.Fatalf("my page is at %s, want %s/users/{id}", loc, base)
	}
	wantUserPage := func(who string) {
		t.Helper()
		wantText(t, ctx, `main h1`, name)
		wantText(t, ctx, `main .sub`, "2 viewings")
		noScripts(t, ctx, "the user page "+who)
		entries := diaryEntries(t, ctx)
		if len(entries) != 2 || entries[0].Title != "Paterson (2016)" || entries[1].Title != "The Shawshank Redemption (1994)" {
			t.Fatalf("the user page %s lists %+v, want Paterson (2016) then The Shawshank Redemption (1994)", who, entries)
		}
		if e := entries[0]; e.Stars != "★★★½☆" || e.Watched != "2024-05-02T19:00:00Z" || e.Comment != "A week of poems." {
			t.Fatalf("the user page %s shows the newest entry as %+v", who, e)
		}
		fig := figures(t, ctx)
		if fig["Viewings"] != "2" || fig["Films"] != "2" || fig["Rewatches"] != "0" {
			t.Fatalf("the statistics summary %s reads %v, want 2 viewings of 2 films, no rewatches", who, fig)
		}
		if avg := fig["Average rating"]; !strings.HasSuffix(avg, "4.0 out of 5 on average") {
			t.Fatalf("the average rating %s reads %q, want 4.0, the mean of 4.5 and 3.5", who, avg)
		}
		wantText(t, ctx, `main .summary .years a`, "2024")
	}
	wantUserPage("signed in")
	wantText(t, ctx, `main .hint.own`, "This is your public page: everyone sees it, under the name above. Change your name or make your diary private.")

	// Signed out, the same page: the name, never the email.
	wantStatus(t, submit(t, ctx, "sign out", `header form button[type=submit]`), http.StatusOK)
	wantText(t, ctx, `header nav a[href="/login"]`, "Sign in")
	if resp := run(t, ctx, "open the user page signed out", chromedp.NavigateResponse(loc)); resp.Status != http.StatusOK {
		t.Fatalf("signed out, %s answered %d, want 200", loc, resp.Status)
	}
	wantUserPage("signed out")
	if n := eval[int](t, ctx, `document.querySelectorAll('main .hint.own, main .notice.private, details.log').length`); n != 0 {
		t.Fatalf("signed out, the user page still shows the owner's hints or forms")
	}
	noEmail(t, ctx, email, "the user page signed out")
	waitForPosters(t, ctx, 1)
	// The page's stylesheet, linked and served by the diary, applies under
	// its Content-Security-Policy: main is bounded at 40rem.
	if width := eval[string](t, ctx, `getComputedStyle(document.querySelector("main")).maxWidth`); width != "640px" {
		t.Fatalf("main's max-width is %q, want 640px from the stylesheet", width)
	}
	shootPage(t, ctx, "profile-desktop.png", 1280, 800, 1, false)
	shootPage(t, ctx, "profile-phone.png", 390, 844, 2, true)

	// The year in review, linked from the summary.
	wantStatus(t, submit(t, ctx, "open the year in review", `main .summary .years a`), http.StatusOK)
	wantPath(t, ctx, base, userPath+"/years/2024")
	wantText(t, ctx, `main h1`, name+"'s 2024 in film")
	noScripts(t, ctx, "the year in review")
	noEmail(t, ctx, email, "the year in review")
	if fig := figures(t, ctx); fig["Viewings"] != "2" || fig["Films"] != "2" || fig["Rated"] != "2" {
		t.Fatalf("the year in review reads %v, want 2 viewings of 2 films, 2 rated", fig)
	}

	// Make the diary private: the owner is told so on their page...
	wantStatus(t, signIn(t, ctx, base, email, password), http.StatusOK)
	do(t, ctx, "open the settings", chromedp.Navigate(base+"/settings"))
	if v := eval[string](t, ctx, `document.querySelector('#display_name').value`); v != name {
		t.Fatalf("the settings show the display name %q, want the saved %q", v, name)
	}
	do(t, ctx, "tick private", chromedp.Click(chromedp.CSS(`#private`)))
	wantStatus(t, submit(t, ctx, "save the settings", `main form button[type=submit]`), http.StatusOK)
	wantText(t, ctx, `main .notice`, "Settings saved.")
	if checked := eval[bool](t, ctx, `document.querySelector('#private').checked`); !checked {
		t.Fatalf("after saving, the private box is not ticked")
	}
	wantStatus(t, submit(t, ctx, "open my page", `header nav a[href^="/users/"]`), http.StatusOK)
	wantText(t, ctx, `main h1`, name)
	if n := len(diaryEntries(t, ctx)); n != 2 {
		t.Fatalf("the owner's private page lists %d entries, want their 2", n)
	}
	if note := run(t, ctx, "read the private note", chromedp.Text(chromedp.CSS(`main .notice.private`))); !strings.HasPrefix(strings.TrimSpace(note), "Private — only you can see this page.") {
		t.Fatalf("the owner's private page says %q, want the private note", note)
	}

	// ...and signed out it is not found, and the entries leave the diary.
	wantStatus(t, submit(t, ctx, "sign out", `header form button[type=submit]`), http.StatusOK)
	if resp := run(t, ctx, "open the private page signed out", chromedp.NavigateResponse(loc)); resp.Status != http.StatusNotFound {
		t.Fatalf("signed out, the private %s answered %d, want 404", loc, resp.Status)
	}
	wantText(t, ctx, `main h1`, "Not Found")
	wantText(t, ctx, `main .sub`, "Error 404")
	noEmail(t, ctx, email, "the 404 page")
	if body := eval[string](t, ctx, `document.body.innerText`); strings.Contains(body, name) || strings.Contains(body, "Paterson") {
		t.Fatalf("the 404 page of a private diary gives it away: %q", body)
	}
	if resp := run(t, ctx, "open the private year in review signed out", chromedp.NavigateResponse(loc+"/years/2024")); resp.Status != http.StatusNotFound {
		t.Fatalf("signed out, the private year in review answered %d, want 404", resp.Status)
	}
	if resp := run(t, ctx, "open the diary signed out", chromedp.NavigateResponse(base+"/diary")); resp.Status != http.StatusOK {
		t.Fatalf("signed out, /diary answered %d, want 200", resp.Status)
	}
	if n := len(diaryEntries(t, ctx)); n != 0 {
		t.Fatalf("signed out, the diary lists %d entries of a private diary, want none", n)
	}
	wantText(t, ctx, `main .sub`, "No viewings yet")
}

// TestBrowserEmbedFramedByAllowedOrigin frames a user's widget from a blog
// page on an origin EMBED_ORIGINS allows, and shows the films inside the
// frame; the same widget framed by another origin, and the diary framed by
// the allowed one, are blocked by Chromium under the pages'
// frame-ancestors policies.
func TestBrowserEmbedFramedByAllowedOrigin(t *testing.T) {
	browser := requireChromium(t)

	posterHost := httptest.NewServer(posterHandler(t))
	t.Cleanup(posterHost.Close)
	omdbHost := httptest.NewServer(omdbHandler(posterHost.URL + "/images/shawshank.png"))
	t.Cleanup(omdbHost.Close)
	// Two blogs on loopback ports: origins of their own, other than the
	// diary's.
	allowedBlog := httptest.NewServer(blogHandler())
	t.Cleanup(allowedBlog.Close)
	otherBlog := httptest.NewServer(blogHandler())
	t.Cleanup(otherBlog.Close)
	base := startServer(t, omdbHost.URL+"/", withEnv("EMBED_ORIGINS", allowedBlog.URL))

	const email, password = "blogger@example.com", "correct horse battery"
	api := apiClient{t: t, base: base}
	userID := api.register(email, password)
	api.token = api.login(email, password)
	api.logReview(map[string]any{"external_metadata_id": "tt0111161", "rating": 4.5, "watched_at": "2024-03-01T20:30:00Z"})
	api.logReview(map[string]any{"manual_title": "Paterson", "manual_release_year": 2016, "manual_director": "Jim Jarmusch", "rating": 4, "watched_at": "2024-05-02T19:00:00Z"})
	api.updateMe(map[string]any{"display_name": "Ann Example"})
	widget := base + "/embed/users/" + userID

	ctx := newBrowser(t, browser)
	console := watchConsole(t, ctx)

	// The allowed blog: the frame holds the widget.
	do(t, ctx, "open the allowed blog", chromedp.Navigate(blogPost(allowedBlog.URL, widget)))
	frame := onlyChildFrame(t, ctx)
	if frame.URL != widget || frame.UnreachableURL != "" {
		t.Fatalf("framed by %s, the frame is at %q (unreachable %q), want the widget %s", allowedBlog.URL, frame.URL, frame.UnreachableURL, widget)
	}
	iframe := run(t, ctx, "find the iframe", chromedp.Nodes(chromedp.CSS(`iframe`)))[0]
	doc, text := frameText(t, ctx, iframe)
	if doc != widget {
		t.Fatalf("the frame's document is %q, want the widget %s", doc, widget)
	}
	for _, want := range []string{"Ann Example on Movie Diary", "Paterson (2016)", "The Shawshank Redemption (1994)", "4.5 out of 5", "See all on Movie Diary"} {
		if !strings.Contains(text, want) {
			t.Fatalf("the framed widget reads %q; want it to show %q", text, want)
		}
	}
	if strings.Contains(text, email) {
		t.Fatalf("the framed widget shows the email address: %q", text)
	}
	titles := widgetTitles(t, ctx, iframe)
	if len(titles) != 2 || titles[0] != "Paterson (2016)" || titles[1] != "The Shawshank Redemption (1994)" {
		t.Fatalf("the framed widget lists %q, want Paterson (2016) then The Shawshank Redemption (1994)", titles)
	}
	if more := run(t, ctx, "read the widget's link", chromedp.AttributeValue(chromedp.CSS(`p.more a`), "href", chromedp.FromNode(iframe))); more.Value != base+"/users/"+userID {
		t.Fatalf("the widget links to %q, want the user's page %s/users/%s", more.Value, base, userID)
	}
	waitForWidgetPoster(t, ctx, blogPost(allowedBlog.URL, widget))
	console.none(t, "Refused to") // the widget's stylesheet, from the diary, loads and applies
	shootPage(t, ctx, "embed-desktop.png", 1280, 800, 1, false)

	// Another origin framing the same widget: refused, the frame shows
	// Chromium's error page instead.
	do(t, ctx, "open the other blog", chromedp.Navigate(blogPost(otherBlog.URL, widget)))
	wantBlocked(t, ctx, widget, console, `violates the following Content Security Policy directive: "frame-ancestors `+allowedBlog.URL+`"`)

	// The allowed origin framing any other page, e.g. the diary: refused.
	do(t, ctx, "open the allowed blog framing the diary", chromedp.Navigate(blogPost(allowedBlog.URL, base+"/diary")))
	wantBlocked(t, ctx, base+"/diary", console, `violates the following Content Security Policy directive: "frame-ancestors 'none'"`)
}

// logDescribed fills the unfolded log form with a film described by hand
// and submits it.
func logDescribed(t *testing.T, ctx context.Context, title, year, director, rating, watchedAt, comment string) {
	t.Helper()
	do(t, ctx, "log "+title,
		chromedp.WaitVisible(chromedp.CSS(`#manual_title`)),
		chromedp.SendKeys(chromedp.CSS(`#manual_title`), title),
		chromedp.SendKeys(chromedp.CSS(`#manual_release_year`), year),
		chromedp.SendKeys(chromedp.CSS(`#manual_director`), director),
		chromedp.SetValue(chromedp.CSS(`#rating`), rating),
		chromedp.SetValue(chromedp.CSS(`#watched_at`), watchedAt),
		chromedp.SendKeys(chromedp.CSS(`#comment`), comment),
	)
	status := submit(t, ctx, "submit the log form", `details.log button[type=submit]`)
	if errs := eval[string](t, ctx, `(document.querySelector('main .errors') || {textContent: ''}).textContent.trim()`); errs != "" {
		t.Fatalf("the diary shows errors after logging %s: %s", title, errs)
	}
	wantStatus(t, status, http.StatusOK)
}

// figures reads a page's summary figures: each <dt> of dl.figures with the
// text of its <dd>.
func figures(t *testing.T, ctx context.Context) map[string]string {
	t.Helper()
	return eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll('main dl.figures > div')].map(d =>
		[d.querySelector('dt').textContent.trim(), d.querySelector('dd').textContent.trim()]))`)
}

// noEmail fails when email, or any address, is anywhere in the page: its
// text or its markup.
func noEmail(t *testing.T, ctx context.Context, email, page string) {
	t.Helper()
	text := eval[string](t, ctx, `document.body.innerText`)
	markup := eval[string](t, ctx, `document.documentElement.outerHTML`)
	for _, s := range []string{text, markup} {
		if strings.Contains(s, email) || strings.Contains(s, "@example.com") {
			t.Fatalf("%s gives away the email address %s:\n%s", page, email, s)
		}
	}
	if strings.Contains(text, "@") {
		t.Fatalf("%s shows an @ in its text:\n%s", page, text)
	}
}

// onlyChildFrame returns the one frame the page embeds, as Chromium
// committed it.
func onlyChildFrame(t *testing.T, ctx context.Context) *cdp.Frame {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	tree, err := chromedp.Call(cctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		t.Fatalf("read the frame tree: %v", err)
	}
	if n := len(tree.FrameTree.ChildFrames); n != 1 {
		t.Fatalf("the page at %s has %d frames, want 1", tree.FrameTree.Frame.URL, n)
	}
	return tree.FrameTree.ChildFrames[0].Frame
}

// frameText evaluates in the document of the iframe and returns its URL
// and its text. The URL tells the frame's document from the page's.
func frameText(t *testing.T, ctx context.Context, iframe *chromedp.Node) (string, string) {
	t.Helper()
	got := run(t, ctx, "read the frame", chromedp.Poll[[2]string](
		`document.readyState === 'complete' && [document.URL, document.body ? document.body.innerText : '']`,
		chromedp.WithPollingInFrame(iframe), chromedp.WithPollingTimeout(10*time.Second)))
	return got[0], got[1]
}

// widgetTitles returns the films the framed widget lists, in order.
func widgetTitles(t *testing.T, ctx context.Context, iframe *chromedp.Node) []string {
	t.Helper()
	links := run(t, ctx, "read the widget's films", chromedp.Nodes(chromedp.CSSAll(`ol.films li .text > a`), chromedp.FromNode(iframe), chromedp.AtLeast(1)))
	var out []string
	for _, n := range links {
		out = append(out, strings.TrimSpace(run(t, ctx, "read a film's title", chromedp.TextContent(chromedp.NodeIDs{n.NodeID}))))
	}
	return out
}

// waitForWidgetPoster reopens the blog post until the framed widget shows
// a loaded poster: the poster is fetched in the background.
func waitForWidgetPoster(t *testing.T, ctx context.Context, post string) {
	t.Helper()
	const loaded = `(() => {
		const imgs = [...document.querySelectorAll('ol.films img')];
		return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0);
	})()`
	deadline := time.Now().Add(30 * time.Second)
	for {
		iframe := run(t, ctx, "find the iframe", chromedp.Nodes(chromedp.CSS(`iframe`)))[0]
		pctx, cancel := context.WithTimeout(ctx, stepTimeout)
		_, err := chromedp.Run(pctx, chromedp.Poll[bool](loaded, chromedp.WithPollingInFrame(iframe),
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(2*time.Second)))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the framed widget showed no loaded poster within 30s: %v", err)
		}
		do(t, ctx, "reopen the blog post", chromedp.Navigate(post))
	}
}

// wantBlocked checks that the page's one frame, pointing at src, was
// refused: Chromium committed its error page instead of src, shows none of
// the widget, and logged the policy's violation.
func wantBlocked(t *testing.T, ctx context.Context, src string, console *consoleWatch, violation string) {
	t.Helper()
	frame := onlyChildFrame(t, ctx)
	if frame.UnreachableURL != src || !strings.HasPrefix(frame.URL, "chrome-error://") {
		t.Fatalf("framing %s: the frame is at %q (unreachable %q), want it blocked", src, frame.URL, frame.UnreachableURL)
	}
	iframe := run(t, ctx, "find the iframe", chromedp.Nodes(chromedp.CSS(`iframe`)))[0]
	doc, text := frameText(t, ctx, iframe)
	if doc == src || !strings.HasPrefix(doc, "chrome-error://") {
		t.Fatalf("framing %s: the frame's document is %q, want Chromium's error page", src, doc)
	}
	for _, leak := range []string{"Ann Example", "Paterson", "Shawshank"} {
		if strings.Contains(text, leak) {
			t.Fatalf("framing %s: the blocked frame shows %q: %q", src, leak, text)
		}
	}
	console.waitFor(t, violation)
}

// consoleWatch collects the tab's console messages.
type consoleWatch struct {
	mu   sync.Mutex
	seen []string
}

// watchConsole starts collecting the console messages of the tab of ctx
// until the test ends.
func watchConsole(t *testing.T, ctx context.Context) *consoleWatch {
	t.Helper()
	w := &consoleWatch{}
	wctx, cancel := context.WithCancel(ctx)
	msgs := chromedp.Console(wctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			w.mu.Lock()
			w.seen = append(w.seen, m.Text)
			w.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return w
}

// none fails the test if a console message so far holds s.
func (w *consoleWatch) none(t *testing.T, s string) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range w.seen {
		if strings.Contains(m, s) {
			t.Fatalf("the console said %q", m)
		}
	}
}

// waitFor waits until a console message holds s.
func (w *consoleWatch) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		w.mu.Lock()
		seen := append([]string(nil), w.seen...)
		w.mu.Unlock()
		for _, m := range seen {
			if strings.Contains(m, s) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no console message holds %q; the console said:\n%s", s, strings.Join(seen, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// shootPage takes a full-page screenshot of the current page on a viewport
// of the given size, into the test's temp dir always and into
// docs/screenshots when MOVIEDIARY_UPDATE_SCREENSHOTS=1, and restores the
// browser's own viewport.
func shootPage(t *testing.T, ctx context.Context, name string, width, height int64, scale float64, mobile bool) {
	t.Helper()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(scale)}
	if mobile {
		opts = append(opts, chromedp.EmulatePortrait, chromedp.EmulateMobile)
	}
	do(t, ctx, "emulate "+name, chromedp.EmulateViewport(width, height, opts...), chromedp.Reload())
	defer do(t, ctx, "reset the viewport", chromedp.ResetViewport(), chromedp.Reload())
	if over := eval[int](t, ctx, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 0 {
		t.Errorf("%s: the page scrolls sideways by %d px", name, over)
	}
	img := run(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", name, err)
	}
	dirs := []string{t.TempDir()}
	if os.Getenv("MOVIEDIARY_UPDATE_SCREENSHOTS") == "1" {
		dirs = append(dirs, filepath.Join("..", "docs", "screenshots"))
	}
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, img, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %dx%d: %s", cfg.Width, cfg.Height, path)
	}
}

// blogPage is a post on a blog of another origin that frames a URL.
var blogPage = template.Must(template.New("post").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A film blog</title>
<style>body { font: 16px/1.5 serif; margin: 2em auto; max-width: 40em; } iframe { border: 1px solid #ccc; }</style></head>
<body><h1>What I watched this spring</h1>
<p>My film diary, as it stands:</p>
<iframe title="My films" src="{{.}}" width="400" height="360"></iframe>
</body></html>`))

// blogHandler serves /post?src=URL: a blog post framing URL.
func blogHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/post" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = blogPage.Execute(w, r.URL.Query().Get("src"))
	})
}

func blogPost(blog, src string) string {
	return blog + "/post?" + url.Values{"src": {src}}.Encode()
}

// apiClient calls the diary's JSON API, failing the test on an unexpected
// status.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (a apiClient) call(method, path string, body any, want int, out any) {
	a.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		a.t.Fatal(err)
	}
	req, err := http.NewRequest(method, a.base+path, bytes.NewReader(b))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var raw bytes.Buffer
	_, _ = raw.ReadFrom(res.Body)
	if res.StatusCode != want {
		a.t.Fatalf("%s %s answered %d, want %d: %s", method, path, res.StatusCode, want, strings.TrimSpace(raw.String()))
	}
	if out != nil {
		if err := json.Unmarshal(raw.Bytes(), out); err != nil {
			a.t.Fatalf("%s %s: decode %s: %v", method, path, raw.String(), err)
		}
	}
}

// register signs up through the API and returns the new user's ID.
func (a apiClient) register(email, password string) string {
	a.t.Helper()
	var out struct {
		UserID string `json:"user_id"`
	}
	a.call(http.MethodPost, "/api/auth/register", map[string]string{"email": email, "password": password}, http.StatusCreated, &out)
	return out.UserID
}

// login returns a bearer token for the account.
func (a apiClient) login(email, password string) string {
	a.t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	a.call(http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": password}, http.StatusOK, &out)
	return out.Token
}

func (a apiClient) logReview(body map[string]any) {
	a.t.Helper()
	a.call(http.MethodPost, "/api/reviews", body, http.StatusCreated, nil)
}

func (a apiClient) updateMe(body map[string]any) {
	a.t.Helper()
	a.call(http.MethodPatch, "/api/users/me", body, http.StatusOK, nil)
}
