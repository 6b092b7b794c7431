package browsertest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/moviediary/moviediary/presentation/wiring"
)

// chromiumPath is where Debian's chromium package puts the browser;
// CHROMIUM overrides it.
const chromiumPath = "/usr/bin/chromium"

// The poster the fake poster host serves, in pixels.
const posterWidth, posterHeight = 200, 300

// TestBrowserDiaryFlow signs up, logs a film through the diary's form, waits
// for its poster, logs a rewatch through the folded form, signs out and in
// again — all in a real headless Chromium against the real server.
func TestBrowserDiaryFlow(t *testing.T) {
	browser := requireChromium(t)

	posterHost := httptest.NewServer(posterHandler(t))
	t.Cleanup(posterHost.Close)
	omdbHost := httptest.NewServer(omdbHandler(posterHost.URL + "/images/shawshank.png"))
	t.Cleanup(omdbHost.Close)
	base := startServer(t, omdbHost.URL+"/")

	ctx := newBrowser(t, browser)
	const email, password = "reader@example.com", "correct horse battery"

	// Sign up: the form lands on the diary, signed in.
	do(t, ctx, "open the sign-up page",
		chromedp.Navigate(base+"/register"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), email),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
	)
	wantStatus(t, submit(t, ctx, "sign up", `main form button[type=submit]`), http.StatusOK)
	wantPath(t, ctx, base, "/diary")
	wantText(t, ctx, `header nav span`, email)
	if n := eval[int](t, ctx, `document.scripts.length`); n != 0 {
		t.Fatalf("the diary page carries %d <script> elements; it must work without JavaScript", n)
	}

	// An empty diary unfolds the log form; fill it and submit.
	if open := eval[bool](t, ctx, `document.querySelector('details.log').open`); !open {
		do(t, ctx, "unfold the log form", chromedp.Click(chromedp.CSS(`details.log summary`)))
	}
	logViewing(t, ctx, "tt0111161", "4", "2024-03-01T20:30", "Hope is a good thing.")
	entries := diaryEntries(t, ctx)
	if len(entries) != 1 {
		t.Fatalf("after the first log the diary lists %d entries, want 1: %+v", len(entries), entries)
	}
	want := entry{
		Title:   "The Shawshank Redemption (1994)",
		Stars:   "★★★★☆",
		Watched: "2024-03-01T20:30:00Z",
		Comment: "Hope is a good thing.",
	}
	if got := entries[0]; got.Title != want.Title || got.Stars != want.Stars || got.Watched != want.Watched || got.Comment != want.Comment {
		t.Fatalf("first entry = %+v, want %+v", got, want)
	}

	// The poster is fetched in the background: reload until it shows.
	sizes := waitForPosters(t, ctx, 1)
	if sizes[0] != [2]int{posterWidth, posterHeight} {
		t.Fatalf("poster shows at natural size %v, want the %dx%d image the poster host served", sizes[0], posterWidth, posterHeight)
	}
	src := firstPoster(t, ctx)
	if !strings.HasPrefix(src, "/posters/") {
		t.Fatalf("poster src = %q, want a /posters/{movie id} path on the diary's own origin", src)
	}

	// A rewatch: the diary is not empty any more, so the form is folded
	// and has to be opened through its summary.
	if open := eval[bool](t, ctx, `document.querySelector('details.log').open`); open {
		t.Fatalf("log form is unfolded on a diary that has entries; want it folded")
	}
	do(t, ctx, "unfold the log form", chromedp.Click(chromedp.CSS(`details.log summary`)))
	if open := eval[bool](t, ctx, `document.querySelector('details.log').open`); !open {
		t.Fatalf("clicking the summary did not unfold the log form")
	}
	logViewing(t, ctx, "https://www.imdb.com/title/tt0111161/", "5", "2025-01-15T21:00", "Better the second time.")
	entries = diaryEntries(t, ctx)
	if len(entries) != 2 {
		t.Fatalf("after the rewatch the diary lists %d entries, want 2: %+v", len(entries), entries)
	}
	if e := entries[0]; e.Title != want.Title || e.Stars != "★★★★★" || e.Watched != "2025-01-15T21:00:00Z" {
		t.Fatalf("newest entry = %+v, want the rewatch of %s rated ★★★★★ on 2025-01-15", e, want.Title)
	}
	if entries[0].Poster != entries[1].Poster {
		t.Fatalf("a rewatch of one film shows posters %q and %q; want the same stored poster", entries[0].Poster, entries[1].Poster)
	}
	waitForPosters(t, ctx, 2)

	// Sign out: the header offers to sign in and the form is gone.
	wantStatus(t, submit(t, ctx, "sign out", `header form button[type=submit]`), http.StatusOK)
	wantText(t, ctx, `header nav a[href="/login"]`, "Sign in")
	wantPath(t, ctx, base, "/diary")
	if n := eval[int](t, ctx, `document.querySelectorAll('details.log').length`); n != 0 {
		t.Fatalf("signed out, the diary still shows the log form")
	}
	if n := len(diaryEntries(t, ctx)); n != 2 {
		t.Fatalf("signed out, the public diary lists %d entries, want 2", n)
	}

	// A wrong password is refused on the page; the right one signs in.
	wantStatus(t, signIn(t, ctx, base, email, "not the password"), http.StatusUnauthorized)
	wantText(t, ctx, `main .errors`, "Invalid email or password.")
	wantPath(t, ctx, base, "/login")
	wantStatus(t, signIn(t, ctx, base, email, password), http.StatusOK)
	wantPath(t, ctx, base, "/diary")
	wantText(t, ctx, `header nav span`, email)

	screenshots(t, ctx)
}

// TestBrowserEditAndDeleteEntries logs a film twice, corrects the newer
// viewing through its edit page (3.5 stars and a new comment) and deletes
// the older one through its confirmation page — in a real headless
// Chromium, without JavaScript on any page.
func TestBrowserEditAndDeleteEntries(t *testing.T) {
	browser := requireChromium(t)

	posterHost := httptest.NewServer(posterHandler(t))
	t.Cleanup(posterHost.Close)
	omdbHost := httptest.NewServer(omdbHandler(posterHost.URL + "/images/shawshank.png"))
	t.Cleanup(omdbHost.Close)
	base := startServer(t, omdbHost.URL+"/")

	ctx := newBrowser(t, browser)
	const email, password = "editor@example.com", "correct horse battery"
	do(t, ctx, "open the sign-up page",
		chromedp.Navigate(base+"/register"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), email),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
	)
	wantStatus(t, submit(t, ctx, "sign up", `main form button[type=submit]`), http.StatusOK)
	logViewing(t, ctx, "tt0111161", "4", "2024-03-01T20:30", "First time.")
	do(t, ctx, "unfold the log form", chromedp.Click(chromedp.CSS(`details.log summary`)))
	logViewing(t, ctx, "tt0111161", "5", "2025-01-15T21:00", "Second time.")
	wantText(t, ctx, `main .sub`, "2 viewings")

	// Edit the newer viewing: its page is prefilled with what is stored.
	wantStatus(t, submit(t, ctx, "open the edit page", `ol.entries li:nth-child(1) a[href$="/edit"]`), http.StatusOK)
	wantText(t, ctx, `main h1`, "Edit The Shawshank Redemption (1994)")
	noScripts(t, ctx, "the edit page")
	if got := eval[string](t, ctx, `document.querySelector('#rating').value`); got != "5" {
		t.Fatalf("the edit form's rating is %q, want the stored 5", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('#comment').value`); got != "Second time." {
		t.Fatalf("the edit form's comment is %q, want the stored one", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('#watched_at').value`); got != "2025-01-15T21:00" {
		t.Fatalf("the edit form's watched_at is %q, want 2025-01-15T21:00", got)
	}
	do(t, ctx, "change the rating", chromedp.SetValue(chromedp.CSS(`#rating`), "3.5"))
	// Empty the textarea as a user selecting its text would, then type.
	eval[string](t, ctx, `document.querySelector('#comment').value = ''`)
	do(t, ctx, "type the new comment", chromedp.SendKeys(chromedp.CSS(`#comment`), "Half a star less on reflection."))
	wantStatus(t, submit(t, ctx, "save the edit", `main form button[type=submit]`), http.StatusOK)
	wantPath(t, ctx, base, "/diary")
	entries := diaryEntries(t, ctx)
	if len(entries) != 2 {
		t.Fatalf("after the edit the diary lists %d entries, want 2: %+v", len(entries), entries)
	}
	if e := entries[0]; e.Stars != "★★★½☆" || e.Comment != "Half a star less on reflection." || e.Watched != "2025-01-15T21:00:00Z" {
		t.Fatalf("edited entry = %+v, want ★★★½☆ with the new comment, watched 2025-01-15", e)
	}
	wantText(t, ctx, `ol.entries li:nth-child(1) .visually-hidden`, "3.5 out of 5")

	// Delete the older viewing: a confirmation page names it first.
	wantStatus(t, submit(t, ctx, "open the delete page", `ol.entries li:nth-child(2) a[href$="/delete"]`), http.StatusOK)
	wantText(t, ctx, `main h2`, "The Shawshank Redemption (1994)")
	wantText(t, ctx, `main time`, "1 March 2024")
	wantText(t, ctx, `main a[href="/diary"]`, "Cancel")
	noScripts(t, ctx, "the delete page")
	wantStatus(t, submit(t, ctx, "confirm the delete", `main form button[type=submit]`), http.StatusOK)
	wantPath(t, ctx, base, "/diary")
	entries = diaryEntries(t, ctx)
	if len(entries) != 1 || entries[0].Comment != "Half a star less on reflection." {
		t.Fatalf("after the delete the diary lists %+v, want only the edited entry", entries)
	}
	wantText(t, ctx, `main .sub`, "1 viewing")
}

// noScripts fails when the page carries a <script> element.
func noScripts(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	if n := eval[int](t, ctx, `document.scripts.length`); n != 0 {
		t.Fatalf("%s carries %d <script> elements; it must work without JavaScript", page, n)
	}
}

// requireChromium skips unless MOVIEDIARY_BROWSER_TESTS=1, and then fails
// when there is no browser to run.
func requireChromium(t *testing.T) string {
	t.Helper()
	if os.Getenv("MOVIEDIARY_BROWSER_TESTS") != "1" {
		t.Skip("browser tests are off: set MOVIEDIARY_BROWSER_TESTS=1 (make test-browser) to run them in headless Chromium")
	}
	path := chromiumPath
	if p := os.Getenv("CHROMIUM"); p != "" {
		path = p
	}
	if _, err := exec.LookPath(path); err != nil {
		t.Fatalf("MOVIEDIARY_BROWSER_TESTS=1 but no Chromium at %s (%v): run scripts/install-chromium.sh", path, err)
	}
	return path
}

// serverOption adjusts the environment startServer configures the server
// from.
type serverOption func(env map[string]string)

// withEnv sets one more environment variable of the server, e.g.
// EMBED_ORIGINS.
func withEnv(key, value string) serverOption {
	return func(env map[string]string) { env[key] = value }
}

// startServer runs the real server in-process on a loopback port with a
// fresh SQLite database and returns its base URL.
func startServer(t *testing.T, omdbURL string, opts ...serverOption) string {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	env := map[string]string{
		"DATABASE_URL":               "sqlite://" + filepath.Join(dir, "moviediary.db"),
		"DATA_DIR":                   dir,
		"HOST":                       "127.0.0.1",
		"PORT":                       "0",
		"BASE_URL":                   base,
		"ALLOW_REGISTRATION":         "true",
		"OMDB_API_KEY":               "browser-test-key",
		"OMDB_BASE_URL":              omdbURL,
		"POSTER_FETCH_ALLOW_PRIVATE": "true",
		"POSTER_SYNC_BASE_DELAY":     "50ms",
		"SHUTDOWN_TIMEOUT":           "5s",
	}
	for _, o := range opts {
		o(env)
	}
	cfg, err := wiring.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithCancel(context.Background())
	app, err := wiring.New(ctx, cfg, logger)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with an error: %v", err)
		}
		if err := app.Close(); err != nil {
			t.Errorf("close app: %v", err)
		}
	})
	return base
}

// newBrowser starts a headless Chromium with a fresh profile and returns a
// tab's context. The browser stops at the end of the test.
func newBrowser(t *testing.T, path string) context.Context {
	t.Helper()
	var out syncBuffer
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(&out),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		if t.Failed() {
			t.Logf("chromium output:\n%s", out.String())
		}
	})
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium at %s: %v\n%s", path, err, out.String())
	}
	version, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.userAgent`))
	if err != nil {
		t.Fatalf("talk to chromium: %v", err)
	}
	t.Logf("browser: %s", version)
	return ctx
}

// stepTimeout bounds each group of browser actions.
const stepTimeout = 30 * time.Second

// do runs browser actions with a deadline and fails the test, naming the
// step, when one of them fails.
func do(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// submit clicks a form's submit button and waits for the page the browser
// lands on, after redirects; it returns that page's HTTP status.
func submit(t *testing.T, ctx context.Context, step, button string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(button)))
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return resp.Status
}

func wantStatus(t *testing.T, got int64, want int) {
	t.Helper()
	if got != int64(want) {
		t.Fatalf("the page answered %d, want %d", got, want)
	}
}

// run runs one browser action that returns a value, with a deadline.
func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// eval evaluates a JavaScript expression in the page from the test driver
// (the page itself runs no script).
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	return run(t, ctx, "evaluate "+expr, chromedp.Evaluate[T](expr))
}

func wantPath(t *testing.T, ctx context.Context, base, path string) {
	t.Helper()
	if loc := run(t, ctx, "read location", chromedp.Location()); loc != base+path {
		t.Fatalf("browser is at %s, want %s%s", loc, base, path)
	}
}

func wantText(t *testing.T, ctx context.Context, css, want string) {
	t.Helper()
	got := run(t, ctx, "read "+css, chromedp.Text(chromedp.CSS(css)))
	if strings.TrimSpace(got) != want {
		t.Fatalf("%s reads %q, want %q", css, got, want)
	}
}

// logViewing fills the unfolded log form and submits it; the browser
// follows the redirect back to the diary.
func logViewing(t *testing.T, ctx context.Context, id, rating, watchedAt, comment string) {
	t.Helper()
	do(t, ctx, "log "+id,
		chromedp.WaitVisible(chromedp.CSS(`#external_metadata_id`)),
		chromedp.SendKeys(chromedp.CSS(`#external_metadata_id`), id),
		chromedp.SetValue(chromedp.CSS(`#rating`), rating),
		// datetime-local takes keystrokes in the locale's order; its value
		// is set directly, in the form the browser submits.
		chromedp.SetValue(chromedp.CSS(`#watched_at`), watchedAt),
		chromedp.SendKeys(chromedp.CSS(`#comment`), comment),
	)
	if v := eval[string](t, ctx, `document.querySelector('#watched_at').value`); v != watchedAt {
		t.Fatalf("watched_at input holds %q after setting %q", v, watchedAt)
	}
	status := submit(t, ctx, "submit the log form", `details.log button[type=submit]`)
	if errs := eval[string](t, ctx, `(document.querySelector('main .errors') || {textContent: ''}).textContent.trim()`); errs != "" {
		t.Fatalf("the diary shows errors after logging %s: %s", id, errs)
	}
	wantStatus(t, status, http.StatusOK)
}

// entry is one diary entry as the page shows it.
type entry struct {
	Title   string `json:"title"`
	Stars   string `json:"stars"`
	Watched string `json:"watched"`
	Comment string `json:"comment"`
	Poster  string `json:"poster"`
}

func diaryEntries(t *testing.T, ctx context.Context) []entry {
	t.Helper()
	const js = `[...document.querySelectorAll('ol.entries article.entry')].map(a => ({
		title: a.querySelector('h2').textContent.trim(),
		stars: (a.querySelector('.stars') || {textContent: ''}).textContent.trim(),
		watched: (a.querySelector('time') || {dateTime: ''}).dateTime,
		comment: (a.querySelector('.comment') || {textContent: ''}).textContent.trim(),
		poster: (a.querySelector('img.poster') || {getAttribute: () => ''}).getAttribute('src') || '',
	}))`
	raw := eval[json.RawMessage](t, ctx, js)
	var out []entry
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("decode entries %s: %v", raw, err)
	}
	return out
}

func firstPoster(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `document.querySelector('ol.entries img.poster').getAttribute('src')`)
}

// waitForPosters reloads the diary until n poster images are present and
// decoded, and returns their natural sizes.
func waitForPosters(t *testing.T, ctx context.Context, n int) [][2]int {
	t.Helper()
	const loaded = `(() => {
		const imgs = [...document.querySelectorAll('ol.entries img.poster')];
		if (imgs.length < %d || !imgs.every(i => i.complete && i.naturalWidth > 0)) return false;
		return imgs.map(i => [i.naturalWidth, i.naturalHeight]);
	})()`
	deadline := time.Now().Add(30 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		pctx, cancel := context.WithTimeout(ctx, stepTimeout)
		sizes, err := chromedp.Run(pctx, chromedp.Poll[[][2]int](fmt.Sprintf(loaded, n),
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(2*time.Second)))
		cancel()
		if err == nil {
			return sizes
		}
		lastErr = err
		do(t, ctx, "reload the diary", chromedp.Reload())
	}
	t.Fatalf("the diary did not show %d loaded poster(s) within 30s: %v", n, lastErr)
	return nil
}

// signIn fills the sign-in form and returns the status of the page it
// lands on.
func signIn(t *testing.T, ctx context.Context, base, email, password string) int64 {
	t.Helper()
	do(t, ctx, "open the sign-in page",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), email),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
	)
	return submit(t, ctx, "sign in as "+email, `main form button[type=submit]`)
}

// screenshots takes full-page screenshots of the signed-in diary on a
// desktop and a phone viewport, and of the unfolded log form on the phone,
// into the test's temp dir always and into
// docs/screenshots when MOVIEDIARY_UPDATE_SCREENSHOTS=1.
func screenshots(t *testing.T, ctx context.Context) {
	t.Helper()
	shots := []struct {
		name          string
		width, height int64
		scale         float64
		mobile        bool
		unfold        bool // open the log form first
	}{
		{"diary-desktop.png", 1280, 800, 1, false, false},
		{"diary-phone.png", 390, 844, 2, true, false},
		{"diary-form-phone.png", 390, 844, 2, true, true},
	}
	dirs := []string{t.TempDir()}
	if os.Getenv("MOVIEDIARY_UPDATE_SCREENSHOTS") == "1" {
		dirs = append(dirs, filepath.Join("..", "docs", "screenshots"))
	}
	for _, s := range shots {
		opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(s.scale)}
		if s.mobile {
			opts = append(opts, chromedp.EmulatePortrait, chromedp.EmulateMobile)
		}
		do(t, ctx, "emulate "+s.name,
			chromedp.EmulateViewport(s.width, s.height, opts...),
			chromedp.Reload(),
		)
		waitForPosters(t, ctx, 2)
		if s.unfold {
			do(t, ctx, "unfold the log form", chromedp.Click(chromedp.CSS(`details.log summary`)))
		}
		if w := eval[int](t, ctx, `document.documentElement.clientWidth`); int64(w) != s.width {
			t.Fatalf("%s: page is %d CSS px wide, want %d", s.name, w, s.width)
		}
		if over := eval[int](t, ctx, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 0 {
			t.Errorf("%s: the page scrolls sideways by %d px", s.name, over)
		}
		img := run(t, ctx, "screenshot "+s.name, chromedp.FullScreenshot(100))
		cfg, err := png.DecodeConfig(bytes.NewReader(img))
		if err != nil {
			t.Fatalf("%s is not a PNG: %v", s.name, err)
		}
		if want := int(float64(s.width) * s.scale); cfg.Width != want {
			t.Fatalf("%s is %d px wide, want %d", s.name, cfg.Width, want)
		}
		for _, dir := range dirs {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, s.name)
			if err := os.WriteFile(path, img, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot %dx%d: %s", cfg.Width, cfg.Height, path)
		}
	}
}

// omdbHandler answers like OMDb for The Shawshank Redemption and "Incorrect
// IMDb ID." for anything else.
func omdbHandler(posterURL string) http.Handler {
	film := map[string]any{
		"Title": "The Shawshank Redemption", "Year": "1994", "Rated": "R", "Released": "14 Oct 1994",
		"Runtime": "142 min", "Genre": "Drama", "Director": "Frank Darabont",
		"Writer": "Stephen King, Frank Darabont", "Actors": "Tim Robbins, Morgan Freeman, Bob Gunton",
		"Plot":     "A banker convicted of uxoricide forms a friendship over a quarter century with a hardened convict, while maintaining his innocence and trying to remain hopeful through simple compassion.",
		"Language": "English", "Country": "United States", "Awards": "Nominated for 7 Oscars. 21 wins & 42 nominations total",
		"Poster":    posterURL,
		"Ratings":   []map[string]string{{"Source": "Internet Movie Database", "Value": "9.3/10"}, {"Source": "Rotten Tomatoes", "Value": "89%"}, {"Source": "Metacritic", "Value": "82/100"}},
		"Metascore": "82", "imdbRating": "9.3", "imdbVotes": "3,041,535", "imdbID": "tt0111161", "Type": "movie",
		"DVD": "N/A", "BoxOffice": "$28,767,189", "Production": "N/A", "Website": "N/A", "Response": "True",
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		q := r.URL.Query()
		switch {
		case q.Get("apikey") != "browser-test-key":
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"Response": "False", "Error": "Invalid API key!"})
		case q.Get("i") == "tt0111161":
			_ = json.NewEncoder(w).Encode(film)
		case q.Get("i") != "":
			_ = json.NewEncoder(w).Encode(map[string]string{"Response": "False", "Error": "Incorrect IMDb ID."})
		default:
			_ = json.NewEncoder(w).Encode(map[string]string{"Response": "False", "Error": "Movie not found!"})
		}
	})
}

// posterHandler serves a generated PNG poster at /images/shawshank.png.
func posterHandler(t *testing.T) http.Handler {
	t.Helper()
	img := posterImage()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	body := buf.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/images/shawshank.png" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(body)
	})
}

// posterImage draws a simple poster: a dusk-blue gradient, a pale band
// like a title block, and a thin frame.
func posterImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, posterWidth, posterHeight))
	for y := range posterHeight {
		for x := range posterWidth {
			f := float64(y) / posterHeight
			c := color.RGBA{R: uint8(30 + 120*f), G: uint8(60 + 60*f), B: uint8(110 - 40*f), A: 255}
			switch {
			case x < 6 || x >= posterWidth-6 || y < 6 || y >= posterHeight-6:
				c = color.RGBA{R: 20, G: 20, B: 24, A: 255}
			case y > 220 && y < 262 && x > 20 && x < posterWidth-20:
				c = color.RGBA{R: 236, G: 226, B: 200, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

// testWriter sends the server's log lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// syncBuffer collects the browser's output from its copying goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
