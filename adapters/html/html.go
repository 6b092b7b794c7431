// Package html renders moviediary's server-side pages: the diary with its
// log form, the edit and delete pages of an entry, the API tokens page, the
// media-server webhooks page, the import page and the pages of import
// jobs, users' public pages, the statistics and year-in-review pages, the
// settings page, the sign-in and sign-up pages, and error pages; and the
// embeddable widget other sites frame.
//
// Pages are built with html/template from templates embedded in the binary
// and parsed once by New. They need no JavaScript and nothing from another
// site: every page links one small stylesheet (the widget has its own,
// smaller one) that the HTTP layer serves from Renderer.Stylesheets under
// a path naming its content, so browsers keep it for good and pages stay
// small; Renderer.ContentSecurityPolicy allows stylesheets from the site
// itself and nothing inline. Pages never use style attributes, which the
// policy forbids: the statistics' bars take their width from classes. Every POST form carries a hidden csrf_token field; field
// names match the JSON bodies of the API.
//
// The renderer only draws: the HTTP layer decides status codes, reads
// forms, checks CSRF tokens and passes what it knows in the view structs.
package html

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/moviediary/moviediary/domain"
)

// ContentType is the media type of every rendered page.
const ContentType = "text/html; charset=utf-8"

// DefaultTitle is the site title used when Config.Title is empty.
const DefaultTitle = "Movie Diary"

// Paths the pages link to and post to. The HTTP layer serves them.
const (
	DiaryPath    = "/diary"
	LoginPath    = "/login"
	LogoutPath   = "/logout"
	RegisterPath = "/register"
	ReviewsPath  = "/reviews"
	TokensPath   = "/tokens"
	WebhooksPath = "/webhooks"
	FeedPath     = "/feed.rss"
	PostersPath  = "/posters/"
	// StaticPath is the prefix of the stylesheets (Renderer.Stylesheets).
	StaticPath = "/static/"
	// UsersPath is the prefix of users' public pages: /users/{id}.
	UsersPath = "/users"
	// StatsPath is the statistics page of the whole diary (every public
	// diary), all time.
	StatsPath = "/stats"
	// EmbedsPath is the prefix of the widgets: /embed/users/{id}.
	EmbedsPath = "/embed"
	// SettingsPath serves the signed-in user's settings page, and its
	// form posts there.
	SettingsPath = "/settings"
)

// UserPath is the public page of user id: "/users/{id}".
func UserPath(id domain.UserID) string { return UsersPath + "/" + id.String() }

// UserFeedPath is the RSS feed of user id's viewings:
// "/users/{id}/feed.rss".
func UserFeedPath(id domain.UserID) string { return UserPath(id) + FeedPath }

// UserYearPath is user id's year in review: "/users/{id}/years/{year}".
func UserYearPath(id domain.UserID, year int) string {
	return UserPath(id) + "/years/" + strconv.Itoa(year)
}

// YearPath is the whole diary's year in review: "/stats/{year}".
func YearPath(year int) string { return StatsPath + "/" + strconv.Itoa(year) }

// EmbedPath is the widget of user id's latest viewings, for other sites
// to frame: "/embed/users/{id}".
func EmbedPath(id domain.UserID) string { return EmbedsPath + UserPath(id) }

// CSRFField is the name of the hidden field that carries the CSRF token in
// every POST form.
const CSRFField = "csrf_token"

//go:embed templates/*.html templates/style.css templates/embed.css
var templateFS embed.FS

// Config configures a Renderer.
type Config struct {
	// Title is the site title shown in every page (DIARY_TITLE);
	// DefaultTitle when empty.
	Title string
}

// Renderer renders pages. It is safe for concurrent use.
type Renderer struct {
	site string
	// stylesheet is the pages' stylesheet, embedStylesheet the widget's.
	stylesheet, embedStylesheet Stylesheet
	csp                         string
	diary                       *template.Template
	login                       *template.Template
	register                    *template.Template
	edit                        *template.Template
	del                         *template.Template
	tokens                      *template.Template
	webhooks                    *template.Template
	errorT                      *template.Template
	// importT and importJob are the import page and an import job's page
	// (imports.go).
	importT   *template.Template
	importJob *template.Template
	// user, stats, settings and embed are the public page of a user, the
	// statistics page, the settings page and the widget (profile.go). The
	// widget is a standalone document, without the layout.
	user     *template.Template
	stats    *template.Template
	settings *template.Template
	embed    *template.Template
	bufs     sync.Pool
}

// New parses the embedded templates. It fails, with an error wrapping
// domain.ErrInfrastructure, only if they are broken.
func New(cfg Config) (*Renderer, error) {
	site := strings.TrimSpace(cfg.Title)
	if site == "" {
		site = DefaultTitle
	}
	css, err := templateFS.ReadFile("templates/style.css")
	if err != nil {
		return nil, fmt.Errorf("html: read stylesheet: %w: %w", domain.ErrInfrastructure, err)
	}
	base, err := template.New("layout").ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("html: parse layout: %w: %w", domain.ErrInfrastructure, err)
	}
	page := func(file string) (*template.Template, error) {
		t, err := base.Clone()
		if err == nil {
			t, err = t.ParseFS(templateFS, "templates/"+file)
		}
		if err != nil {
			return nil, fmt.Errorf("html: parse %s: %w: %w", file, domain.ErrInfrastructure, err)
		}
		return t, nil
	}
	embedCSS, err := templateFS.ReadFile("templates/embed.css")
	if err != nil {
		return nil, fmt.Errorf("html: read widget stylesheet: %w: %w", domain.ErrInfrastructure, err)
	}
	r := &Renderer{
		site:            site,
		stylesheet:      newStylesheet("style", css),
		embedStylesheet: newStylesheet("embed", embedCSS),
		bufs:            sync.Pool{New: func() any { return new(bytes.Buffer) }},
	}
	r.csp = r.policy("'none'")
	if r.diary, err = page("diary.html"); err != nil {
		return nil, err
	}
	if r.login, err = page("login.html"); err != nil {
		return nil, err
	}
	if r.register, err = page("register.html"); err != nil {
		return nil, err
	}
	if r.edit, err = page("edit.html"); err != nil {
		return nil, err
	}
	if r.del, err = page("delete.html"); err != nil {
		return nil, err
	}
	if r.tokens, err = page("tokens.html"); err != nil {
		return nil, err
	}
	if r.webhooks, err = page("webhooks.html"); err != nil {
		return nil, err
	}
	if r.errorT, err = page("error.html"); err != nil {
		return nil, err
	}
	if r.importT, err = page("import.html"); err != nil {
		return nil, err
	}
	if r.importJob, err = page("import_job.html"); err != nil {
		return nil, err
	}
	if r.user, err = page("user.html"); err != nil {
		return nil, err
	}
	if r.stats, err = page("stats.html"); err != nil {
		return nil, err
	}
	if r.settings, err = page("settings.html"); err != nil {
		return nil, err
	}
	if r.embed, err = template.New("embed").ParseFS(templateFS, "templates/embed.html"); err != nil {
		return nil, fmt.Errorf("html: parse embed.html: %w: %w", domain.ErrInfrastructure, err)
	}
	return r, nil
}

// Stylesheet is a stylesheet the pages link to, served at Path, which
// names a hash of Body: a changed stylesheet has a new path, so an answer
// for a path may be kept by browsers and proxies for good.
type Stylesheet struct {
	Path string
	Body []byte
}

// StylesheetContentType is the Content-Type a Stylesheet is served with.
const StylesheetContentType = "text/css; charset=utf-8"

func newStylesheet(name string, body []byte) Stylesheet {
	sum := sha256.Sum256(body)
	return Stylesheet{Path: StaticPath + name + "." + hex.EncodeToString(sum[:6]) + ".css", Body: body}
}

// Stylesheets are the stylesheets pages link to: the HTTP layer serves
// each at its Path.
func (r *Renderer) Stylesheets() []Stylesheet {
	return []Stylesheet{r.stylesheet, r.embedStylesheet}
}

// policy allows stylesheets from the site itself and nothing else that a
// page does not need: no scripts at all, no inline styles, images from the
// same origin (posters), forms posting to the same origin, and framing by
// frameAncestors only.
func (r *Renderer) policy(frameAncestors string) string {
	return "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors " + frameAncestors
}

// ContentSecurityPolicy returns a Content-Security-Policy header value that
// fits every page this renderer draws, the widget included: stylesheets
// only from the site itself (Stylesheets), scripts not at all, and no site
// may frame the page (frame-ancestors 'none').
func (r *Renderer) ContentSecurityPolicy() string { return r.csp }

// ContentSecurityPolicyFramedBy returns ContentSecurityPolicy with
// frame-ancestors listing origins instead of 'none': the policy of the
// widget (Embed), which the sites in origins may frame, e.g.
// []string{"https://blog.example", "https://*.example.org"}. An origin
// that could break out of the directive (holding whitespace, ';', ',', a
// quote other than in 'self', a control character or any other byte
// outside printable ASCII: write international names in punycode) is left
// out; when none is left the policy is ContentSecurityPolicy's, 'none'.
func (r *Renderer) ContentSecurityPolicyFramedBy(origins []string) string {
	var keep []string
	for _, o := range origins {
		if o = strings.TrimSpace(o); validSourceExpression(o) {
			keep = append(keep, o)
		}
	}
	if len(keep) == 0 {
		return r.csp
	}
	return r.policy(strings.Join(keep, " "))
}

// validSourceExpression reports whether s can stand in a CSP source list
// as one item without ending the directive or adding another.
func validSourceExpression(s string) bool {
	if s == "" {
		return false
	}
	if s == "'self'" {
		return true
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f || c == ';' || c == ',' || c == '\'' || c == '"' || c > 0x7e {
			return false
		}
	}
	return true
}

// page is the data of the shared layout.
type page struct {
	Site  string
	Title string
	// Stylesheet is the path of the stylesheet the page links to.
	Stylesheet string
	SignedIn   bool
	UserEmail  string
	// UserID is the signed-in user: the account nav links to their public
	// page ("My page") when it is known.
	UserID     domain.UserID
	CSRFToken  string
	ShowSignIn bool
	// FeedURL and FeedTitle are the head's <link rel="alternate">: the
	// diary's feed and the site title unless a page names its own.
	FeedURL   string
	FeedTitle string
	// MyPageURL is the signed-in user's public page; set by render.
	MyPageURL string
	// Refresh, when not zero, makes the page reload itself after that
	// many seconds (a meta refresh: no script).
	Refresh int
	Content any
}

// DiaryPage renders the diary: the entries of one page, pagination links,
// and either the log form (signed in) or a sign-in link.
func (r *Renderer) DiaryPage(w io.Writer, v DiaryView) error {
	c := newDiaryContent(v)
	title := ""
	if c.Filter != nil {
		title = c.Filter.TitleYear
	}
	return r.render(w, "diary", r.diary, page{
		Site: r.site, Title: title, Stylesheet: r.stylesheet.Path,
		SignedIn: v.SignedIn, UserID: v.UserID, UserEmail: v.UserEmail, CSRFToken: v.CSRFToken, ShowSignIn: !v.SignedIn,
		Content: c,
	})
}

// EditReviewPage renders the form that corrects one entry: rating (or not
// rated), comment and time of viewing, posting to EditReviewPath.
func (r *Renderer) EditReviewPage(w io.Writer, v EditReviewView) error {
	c := newReviewContent(v.Entry, v.CSRFToken)
	c.Form, c.Errors = v.Form, v.Errors
	c.RatingOptions = ratingOptions(v.Form.Rating)
	if !v.Now.IsZero() {
		c.WatchedAtMax = v.Now.UTC().Format(datetimeLocal)
	}
	return r.render(w, "edit", r.edit, page{
		Site: r.site, Title: "Edit " + c.Entry.TitleYear, Stylesheet: r.stylesheet.Path,
		SignedIn: true, UserID: v.UserID, UserEmail: v.UserEmail, CSRFToken: v.CSRFToken, Content: c,
	})
}

// DeleteReviewPage renders the confirmation that deletes one entry: the
// film and the day it was watched, a Delete button posting to
// DeleteReviewPath and a link back to the diary.
func (r *Renderer) DeleteReviewPage(w io.Writer, v DeleteReviewView) error {
	c := newReviewContent(v.Entry, v.CSRFToken)
	return r.render(w, "delete", r.del, page{
		Site: r.site, Title: "Delete " + c.Entry.TitleYear, Stylesheet: r.stylesheet.Path,
		SignedIn: true, UserID: v.UserID, UserEmail: v.UserEmail, CSRFToken: v.CSRFToken, Content: c,
	})
}

// TokensPage renders the signed-in user's personal API tokens, each with a
// Revoke button posting to RevokeTokenPath, the form that makes one
// (posting to TokensPath), and the token just made, if any, with a note
// that it is shown only this once.
func (r *Renderer) TokensPage(w io.Writer, v TokensView) error {
	return r.render(w, "tokens", r.tokens, page{
		Site: r.site, Title: "API tokens", Stylesheet: r.stylesheet.Path,
		SignedIn: true, UserID: v.UserID, UserEmail: v.UserEmail, CSRFToken: v.CSRFToken, Content: newTokensContent(v),
	})
}

// WebhooksPage renders the signed-in user's media-server webhooks, each
// with a Rotate button posting to RotateWebhookPath and a Delete button
// posting to DeleteWebhookPath, the form that makes one (posting to
// WebhooksPath), and the URL just made or rotated, if any, with where to
// paste it and a note that it is shown only this once.
func (r *Renderer) WebhooksPage(w io.Writer, v WebhooksView) error {
	return r.render(w, "webhooks", r.webhooks, page{
		Site: r.site, Title: "Webhooks", Stylesheet: r.stylesheet.Path,
		SignedIn: true, UserID: v.UserID, UserEmail: v.UserEmail, CSRFToken: v.CSRFToken, Content: newWebhooksContent(v),
	})
}

// LoginPage renders the sign-in form, posting email and password to
// LoginPath.
func (r *Renderer) LoginPage(w io.Writer, v AuthView) error {
	return r.render(w, "login", r.login, page{Site: r.site, Title: "Sign in", Stylesheet: r.stylesheet.Path, Content: v})
}

// RegisterPage renders the sign-up form, posting email and password to
// RegisterPath, or a note that sign-up is closed when v.RegistrationOpen is
// false.
func (r *Renderer) RegisterPage(w io.Writer, v AuthView) error {
	return r.render(w, "register", r.register, page{Site: r.site, Title: "Create an account", Stylesheet: r.stylesheet.Path, ShowSignIn: true, Content: v})
}

// ErrorPage renders an error page. An empty Title becomes the standard
// text of Status; a Status outside 400–599 is shown as 500.
func (r *Renderer) ErrorPage(w io.Writer, v ErrorView) error {
	if v.Status < 400 || v.Status > 599 {
		v.Status = http.StatusInternalServerError
	}
	if strings.TrimSpace(v.Title) == "" {
		v.Title = http.StatusText(v.Status)
		if v.Title == "" {
			v.Title = "Something went wrong"
		}
	}
	return r.render(w, "error", r.errorT, page{Site: r.site, Title: v.Title, Stylesheet: r.stylesheet.Path, Content: v})
}

// maxPooledBuffer keeps unusually large pages from pinning memory.
const maxPooledBuffer = 1 << 20

// render fills the layout's defaults in data and draws the page with t's
// layout.
func (r *Renderer) render(w io.Writer, name string, t *template.Template, data page) error {
	if data.FeedURL == "" {
		data.FeedURL, data.FeedTitle = FeedPath, data.Site
	}
	if data.SignedIn && !data.UserID.IsZero() {
		data.MyPageURL = UserPath(data.UserID)
	}
	return r.execute(w, name, t, "layout", data)
}

// execute runs template tmpl of t into a pooled buffer and writes the page
// in one call, so nothing reaches w when execution fails and the caller can
// still send an error page.
func (r *Renderer) execute(w io.Writer, name string, t *template.Template, tmpl string, data any) error {
	buf := r.bufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			buf.Reset()
			r.bufs.Put(buf)
		}
	}()
	buf.Reset()
	if err := t.ExecuteTemplate(buf, tmpl, data); err != nil {
		return fmt.Errorf("html: render %s page: %w: %w", name, domain.ErrInfrastructure, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("html: write page: %w: %w", domain.ErrInfrastructure, err)
	}
	return nil
}
