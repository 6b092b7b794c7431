package html

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// DiaryView is what the diary page shows.
type DiaryView struct {
	// Entries are the viewings of this page, in display order.
	Entries []domain.DiaryEntry
	// TotalCount is the number of entries matching the filter on all pages.
	TotalCount int
	// NextURL links to the next (older) page, e.g. "/diary?cursor=…";
	// empty on the last page, and then no "Older" link is drawn.
	NextURL string
	// NewestURL links back to the first page, e.g. "/diary" or
	// "/diary?movie_id=…"; empty on the first page.
	NewestURL string
	// FilterMovie is the movie the diary is narrowed to (movie_id filter),
	// or nil for the whole diary.
	FilterMovie *domain.Movie
	// SignedIn shows the log form and the sign-out button instead of a
	// sign-in link.
	SignedIn bool
	// UserID is the signed-in user: the entries they wrote get "Edit" and
	// "Delete" links. Zero when signed out.
	UserID domain.UserID
	// UserEmail names the signed-in account in the header.
	UserEmail string
	// CSRFToken goes into the hidden csrf_token field of every form.
	CSRFToken string
	// Form holds the values to put back into the log form after a failed
	// attempt.
	Form LogForm
	// Errors are validation messages to list above the form.
	Errors []string
	// Notice is a short confirmation, e.g. "Viewing logged.".
	Notice string
	// Now is the server's current time: the log form's default and latest
	// watched_at, and the latest release year. Zero leaves them unset.
	Now time.Time
	// Authors are the public names of the entries' authors by ID: each
	// entry whose author is here names them, linked to their page. Nil on
	// a page that is one user's.
	Authors map[domain.UserID]string
}

// LogForm holds the log form's values as the user typed them. Field names
// match the POST /reviews form fields.
type LogForm struct {
	ExternalMetadataID string
	ManualTitle        string
	ManualReleaseYear  string
	ManualDirector     string
	// Rating is the stars as a decimal ("4.5"); empty means not rated.
	Rating  string
	Comment string
	// WatchedAt is in datetime-local form, "2006-01-02T15:04"; empty
	// defaults to DiaryView.Now.
	WatchedAt string
}

// AuthView is what the sign-in and sign-up pages show.
type AuthView struct {
	// CSRFToken goes into the form's hidden csrf_token field.
	CSRFToken string
	// Email refills the email field after a failed attempt. The password
	// is never refilled.
	Email string
	// Errors are messages to list above the form.
	Errors []string
	// RegistrationOpen links the sign-in page to sign-up, and shows the
	// sign-up form rather than a "closed" note.
	RegistrationOpen bool
}

// ErrorView is what an error page shows.
type ErrorView struct {
	// Status is the HTTP status code, shown as "Error 404".
	Status int
	// Title is the heading; the standard status text when empty.
	Title string
	// Detail is an optional sentence for the reader. Never put internals
	// here.
	Detail string
}

// datetimeLocal is the value format of <input type="datetime-local">.
const datetimeLocal = "2006-01-02T15:04"

// diaryContent is the diary template's data: the view plus everything
// derived from it, so the template stays free of logic.
type diaryContent struct {
	DiaryView
	Filter         *filterView
	CountText      string
	Items          []entryView
	RatingOptions  []ratingOption
	WatchedAtValue string
	WatchedAtMax   string
	YearMax        int
	FormOpen       bool
}

type filterView struct {
	TitleYear string
	Director  string
}

type entryView struct {
	TitleYear   string
	MovieURL    string
	Director    string
	PosterURL   string
	PosterAlt   string
	Rated       bool
	Stars       string
	RatingText  string
	Comment     string
	WatchedISO  string
	WatchedText string
	// Author names who logged the entry, linked to their page, on a page
	// of several users' entries; empty otherwise (authorLink).
	Author template.HTML
	// EditURL and DeleteURL lead to the entry's edit and delete pages;
	// set only on the signed-in author's entries.
	EditURL   string
	DeleteURL string
	// ActionLabel names the entry for the Edit and Delete links' accessible
	// names ("Heat (1995), 1 May 2024").
	ActionLabel string
}

type ratingOption struct {
	Value    string
	Label    string
	Selected bool
}

func newDiaryContent(v DiaryView) diaryContent {
	c := diaryContent{
		DiaryView:      v,
		Items:          make([]entryView, len(v.Entries)),
		WatchedAtValue: v.Form.WatchedAt,
		// Unfold the form when it needs fixing, and on an empty diary,
		// where logging the first film is the only thing to do.
		FormOpen: len(v.Errors) > 0 || (len(v.Entries) == 0 && v.FilterMovie == nil),
	}
	links := make(map[domain.UserID]template.HTML, len(v.Authors))
	for i, e := range v.Entries {
		c.Items[i] = newEntryView(e)
		if name, ok := v.Authors[e.Review.UserID]; ok {
			link, made := links[e.Review.UserID]
			if !made {
				link = authorLink(e.Review.UserID, name)
				links[e.Review.UserID] = link
			}
			c.Items[i].Author = link
		}
		if v.SignedIn && !v.UserID.IsZero() && e.Review.UserID == v.UserID {
			c.Items[i].EditURL = EditReviewPath(e.Review.ID)
			c.Items[i].DeleteURL = DeleteReviewPath(e.Review.ID)
		}
	}
	if v.FilterMovie != nil {
		c.Filter = &filterView{TitleYear: TitleYear(*v.FilterMovie), Director: v.FilterMovie.Director.String()}
		c.CountText = timesWatched(v.TotalCount)
	} else {
		c.CountText = viewings(v.TotalCount)
	}
	if !v.Now.IsZero() {
		now := v.Now.UTC()
		if c.WatchedAtValue == "" {
			c.WatchedAtValue = now.Format(datetimeLocal)
		}
		c.WatchedAtMax = now.Format(datetimeLocal)
		c.YearMax = now.Year() + 5
	}
	c.RatingOptions = ratingOptions(v.Form.Rating)
	return c
}

// ratingOptions lists the choices of a rating <select>: "Not rated"
// (the empty value) and 5 down to 0 stars in halves, with selected (as the
// form sent it, "4.5" or "4.0") chosen.
func ratingOptions(selected string) []ratingOption {
	selected = strings.TrimSpace(selected)
	if f, err := strconv.ParseFloat(selected, 64); err == nil {
		if r, err := domain.NewRating(f); err == nil {
			selected = r.String()
		}
	}
	opts := []ratingOption{{Value: "", Label: "Not rated", Selected: selected == ""}}
	for h := domain.MaxRating * 2; h >= domain.MinRating*2; h-- {
		r, _ := domain.RatingFromHalves(h)
		val := r.String()
		label := val + " stars"
		if h == 2 {
			label = "1 star"
		}
		opts = append(opts, ratingOption{Value: val, Label: label, Selected: val == selected})
	}
	return opts
}

// authorLink is the link to a user's page named by name, made once per
// author of a page rather than by the template for each entry, which made
// a page of 20 entries 15 % slower to render (BenchmarkDiaryPage20: 320 µs
// against 278). The ID is a UUID's hex digits and dashes; the name is
// escaped.
func authorLink(id domain.UserID, name string) template.HTML {
	return template.HTML(`<a href="` + UserPath(id) + `">` + template.HTMLEscapeString(name) + `</a>`)
}

func newEntryView(e domain.DiaryEntry) entryView {
	ty := TitleYear(e.Movie)
	ev := entryView{
		TitleYear:   ty,
		MovieURL:    DiaryPath + "?movie_id=" + url.QueryEscape(e.Movie.ID.String()),
		Director:    e.Movie.Director.String(),
		Rated:       !e.Review.Rating.IsZero(),
		Stars:       Stars(e.Review.Rating),
		RatingText:  RatingText(e.Review.Rating),
		Comment:     e.Review.Comment.String(),
		WatchedISO:  e.Review.WatchedAt.UTC().Format(time.RFC3339),
		WatchedText: dateText(e.Review.WatchedAt),
		ActionLabel: ty + ", " + dateText(e.Review.WatchedAt),
	}
	if e.Movie.HasPoster() {
		ev.PosterURL = PostersPath + url.PathEscape(e.Movie.ID.String())
		ev.PosterAlt = "Poster of " + ty
	}
	return ev
}

// TitleYear returns "Title (Year)", the way a movie is named on every page.
func TitleYear(m domain.Movie) string {
	return m.Title.String() + " (" + m.ReleaseYear.String() + ")"
}

// Stars draws a rating as five stars: one filled for each whole star, a
// "½" for a half, empty ones for the rest — "★★★☆☆" for 3, "★★★½☆" for
// 3.5. A viewing that is not rated has no stars: "".
func Stars(r domain.Rating) string {
	if r.IsZero() {
		return ""
	}
	h := min(max(r.Halves(), domain.MinRating*2), domain.MaxRating*2)
	s := strings.Repeat("★", h/2)
	if h%2 == 1 {
		s += "½"
	}
	return s + strings.Repeat("☆", domain.MaxRating-(h+1)/2)
}

// RatingText says a rating in words, for screen readers and wherever the
// stars are not drawn: "3.5 out of 5", or "Not rated".
func RatingText(r domain.Rating) string {
	if r.IsZero() {
		return "Not rated"
	}
	return r.String() + " out of 5"
}

// dateText is how a day is written on the pages: "1 May 2024" (UTC).
func dateText(t time.Time) string { return t.UTC().Format("2 January 2006") }

func viewings(n int) string {
	switch n {
	case 0:
		return "No viewings yet"
	case 1:
		return "1 viewing"
	}
	return strconv.Itoa(n) + " viewings"
}

func timesWatched(n int) string {
	switch n {
	case 0:
		return "Not watched yet"
	case 1:
		return "Watched once"
	case 2:
		return "Watched twice"
	}
	return "Watched " + strconv.Itoa(n) + " times"
}

// EditReviewPath is where the edit page of review id is served and its
// form posts: "/reviews/{id}/edit".
func EditReviewPath(id domain.ReviewID) string { return ReviewsPath + "/" + id.String() + "/edit" }

// DeleteReviewPath is where the delete confirmation of review id is served
// and its form posts: "/reviews/{id}/delete".
func DeleteReviewPath(id domain.ReviewID) string { return ReviewsPath + "/" + id.String() + "/delete" }

// RevokeTokenPath is where the revoke button of token id posts:
// "/tokens/{id}/revoke".
func RevokeTokenPath(id domain.APITokenID) string { return TokensPath + "/" + id.String() + "/revoke" }

// RotateWebhookPath is where the rotate button of webhook id posts:
// "/webhooks/{id}/rotate".
func RotateWebhookPath(id domain.WebhookID) string {
	return WebhooksPath + "/" + id.String() + "/rotate"
}

// DeleteWebhookPath is where the delete button of webhook id posts:
// "/webhooks/{id}/delete".
func DeleteWebhookPath(id domain.WebhookID) string {
	return WebhooksPath + "/" + id.String() + "/delete"
}

// EditReviewView is what the edit page shows: the form that corrects one
// entry of the signed-in user.
type EditReviewView struct {
	// Entry is the entry being edited, as stored.
	Entry domain.DiaryEntry
	// UserID is the signed-in user: the account nav links to their public
	// page ("My page"). Zero leaves the link out.
	UserID domain.UserID
	// UserEmail names the signed-in account in the header.
	UserEmail string
	// CSRFToken goes into the hidden csrf_token field of every form.
	CSRFToken string
	// Form holds the form's values: EditFormFor(Entry.Review) at first,
	// what the user sent after a failed attempt.
	Form EditForm
	// Errors are validation messages to list above the form.
	Errors []string
	// Now is the server's current time: the latest watched_at the form
	// offers. Zero leaves it unset.
	Now time.Time
}

// EditForm holds the edit form's values as the user typed them. Field
// names match the PATCH /api/reviews/{id} body.
type EditForm struct {
	// Rating is the stars as a decimal ("4.5"); empty means not rated.
	Rating string
	// Comment is the comment; empty removes it.
	Comment string
	// WatchedAt is in datetime-local form, "2006-01-02T15:04" (UTC).
	WatchedAt string
}

// EditFormFor returns the edit form filled with r as stored.
func EditFormFor(r domain.Review) EditForm {
	return EditForm{Rating: r.Rating.String(), Comment: r.Comment.String(), WatchedAt: r.WatchedAt.UTC().Format(datetimeLocal)}
}

// DeleteReviewView is what the delete confirmation page shows.
type DeleteReviewView struct {
	// Entry is the entry to delete.
	Entry domain.DiaryEntry
	// UserID is the signed-in user: the account nav links to their public
	// page ("My page"). Zero leaves the link out.
	UserID domain.UserID
	// UserEmail names the signed-in account in the header.
	UserEmail string
	// CSRFToken goes into the hidden csrf_token field of every form.
	CSRFToken string
}

// TokensView is what the API tokens page shows: the signed-in user's
// personal API tokens, the form that makes one, and the one just made.
type TokensView struct {
	// Tokens are the user's tokens, in display order (newest first).
	Tokens []domain.APIToken
	// Created is the token just made, shown this once; nil otherwise.
	Created *CreatedToken
	// UserID is the signed-in user: the account nav links to their public
	// page ("My page"). Zero leaves the link out.
	UserID domain.UserID
	// UserEmail names the signed-in account in the header.
	UserEmail string
	// CSRFToken goes into the hidden csrf_token field of every form.
	CSRFToken string
	// Form holds the create form's values after a failed attempt.
	Form TokenForm
	// Errors are validation messages to list above the create form.
	Errors []string
	// Now is the server's current time: expired tokens are marked, and the
	// expiry date must lie after it. Zero leaves both alone.
	Now time.Time
}

// CreatedToken is a token just made: the only time it is shown.
type CreatedToken struct {
	// Name is the token's name.
	Name string
	// Token is the secret itself.
	Token string
}

// TokenForm holds the create form's values as the user typed them. Field
// names match the POST /api/tokens body.
type TokenForm struct {
	// Name says what the token is for.
	Name string
	// ExpiresAt is the expiry day, "2006-01-02" (the token stops working
	// at the start of that day, UTC); empty for never.
	ExpiresAt string
}

// WebhooksView is what the webhooks page shows: the signed-in user's
// media-server webhooks, the form that makes one, and the URL just made or
// rotated.
type WebhooksView struct {
	// Webhooks are the user's webhooks, in display order (newest first).
	Webhooks []domain.Webhook
	// Created is the webhook just made or rotated, its URL shown this
	// once; nil otherwise.
	Created *CreatedWebhook
	// UserID is the signed-in user: the account nav links to their public
	// page ("My page"). Zero leaves the link out.
	UserID domain.UserID
	// UserEmail names the signed-in account in the header.
	UserEmail string
	// CSRFToken goes into the hidden csrf_token field of every form.
	CSRFToken string
	// Form holds the create form's values after a failed attempt.
	Form WebhookForm
	// Errors are validation messages to list above the create form.
	Errors []string
}

// CreatedWebhook is a webhook just made or rotated: the only time its URL
// is shown.
type CreatedWebhook struct {
	// Source is the media server the URL is for; the page says where in
	// it to paste the URL.
	Source domain.WebhookSource
	// URL is the webhook's absolute URL, secret included.
	URL string
	// Rotated says the URL replaces one that no longer works.
	Rotated bool
}

// WebhookForm holds the create form's values as the user sent them. Field
// names match the POST /api/webhooks body.
type WebhookForm struct {
	// Source is "plex", "jellyfin" or "emby"; empty selects Plex.
	Source string
	// PlexAccount limits a Plex webhook to one Plex account; empty for
	// every account.
	PlexAccount string
}

// reviewContent is the data of the edit and delete pages.
type reviewContent struct {
	CSRFToken     string
	Entry         entryView
	Form          EditForm
	Errors        []string
	RatingOptions []ratingOption
	WatchedAtMax  string
}

func newReviewContent(e domain.DiaryEntry, csrf string) reviewContent {
	ev := newEntryView(e)
	ev.EditURL, ev.DeleteURL = EditReviewPath(e.Review.ID), DeleteReviewPath(e.Review.ID)
	return reviewContent{CSRFToken: csrf, Entry: ev}
}

// tokensContent is the tokens template's data.
type tokensContent struct {
	CSRFToken    string
	Created      *CreatedToken
	Items        []tokenItem
	Form         TokenForm
	Errors       []string
	ExpiresAtMin string
}

type tokenItem struct {
	Name         string
	Prefix       string
	CreatedISO   string
	CreatedText  string
	LastUsedISO  string
	LastUsedText string
	ExpiresISO   string
	ExpiresText  string
	Expired      bool
	RevokeURL    string
}

func newTokensContent(v TokensView) tokensContent {
	c := tokensContent{CSRFToken: v.CSRFToken, Created: v.Created, Form: v.Form, Errors: v.Errors,
		Items: make([]tokenItem, len(v.Tokens))}
	for i, t := range v.Tokens {
		it := tokenItem{
			Name:         t.Name,
			Prefix:       t.Prefix + "…",
			CreatedISO:   t.CreatedAt.UTC().Format(time.RFC3339),
			CreatedText:  dateText(t.CreatedAt),
			LastUsedText: "Never",
			ExpiresText:  "Never",
			RevokeURL:    RevokeTokenPath(t.ID),
		}
		if !t.LastUsedAt.IsZero() {
			it.LastUsedISO = t.LastUsedAt.UTC().Format(time.RFC3339)
			it.LastUsedText = t.LastUsedAt.UTC().Format("2 January 2006, 15:04 UTC")
		}
		if !t.ExpiresAt.IsZero() {
			it.ExpiresISO = t.ExpiresAt.UTC().Format(time.RFC3339)
			it.ExpiresText = dateText(t.ExpiresAt)
			it.Expired = !v.Now.IsZero() && !t.ActiveAt(v.Now)
		}
		c.Items[i] = it
	}
	if !v.Now.IsZero() {
		c.ExpiresAtMin = v.Now.UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	}
	return c
}

// webhooksContent is the webhooks template's data.
type webhooksContent struct {
	CSRFToken     string
	Created       *createdWebhookView
	Items         []webhookItem
	Form          WebhookForm
	Errors        []string
	SourceOptions []sourceOption
}

type createdWebhookView struct {
	SourceName string
	URL        string
	Rotated    bool
	Hint       string
}

type webhookItem struct {
	SourceName   string
	Account      string
	CreatedISO   string
	CreatedText  string
	LastUsedISO  string
	LastUsedText string
	RotateURL    string
	DeleteURL    string
}

type sourceOption struct {
	Value    string
	Label    string
	Selected bool
}

// webhookSources are the sources the create form offers, in its order.
var webhookSources = []domain.WebhookSource{domain.SourcePlex, domain.SourceJellyfin, domain.SourceEmby}

// sourceName is how the page names a media server.
func sourceName(s domain.WebhookSource) string {
	switch s {
	case domain.SourcePlex:
		return "Plex"
	case domain.SourceJellyfin:
		return "Jellyfin"
	case domain.SourceEmby:
		return "Emby"
	}
	return string(s)
}

// pasteHint says where in a media server a webhook URL goes and which
// events to send.
func pasteHint(s domain.WebhookSource) string {
	switch s {
	case domain.SourcePlex:
		return "In Plex Web, open Settings → Webhooks (your account's settings; webhooks need Plex Pass), " +
			"choose Add Webhook, paste the URL and Save Changes. Plex sends every event: finished films and ratings are logged."
	case domain.SourceJellyfin:
		return "In Jellyfin, install the Webhook plugin, then under Dashboard → Plugins → Webhook choose " +
			"Add Generic Destination: paste the URL as its Webhook Url, tick the Playback Stop notification, " +
			"your user, the Movies item type and Send All Properties, and save."
	case domain.SourceEmby:
		return "In Emby, open Settings → Notifications → Add Notification → Webhooks, paste the URL, choose " +
			"the content type application/json, tick the events Playback Stop and Mark Played, limit user " +
			"events to your user, and save."
	}
	return ""
}

func newWebhooksContent(v WebhooksView) webhooksContent {
	c := webhooksContent{CSRFToken: v.CSRFToken, Form: v.Form, Errors: v.Errors,
		Items: make([]webhookItem, len(v.Webhooks))}
	if v.Created != nil {
		c.Created = &createdWebhookView{SourceName: sourceName(v.Created.Source), URL: v.Created.URL,
			Rotated: v.Created.Rotated, Hint: pasteHint(v.Created.Source)}
	}
	for i, h := range v.Webhooks {
		it := webhookItem{
			SourceName:   sourceName(h.Source),
			Account:      "—",
			CreatedISO:   h.CreatedAt.UTC().Format(time.RFC3339),
			CreatedText:  dateText(h.CreatedAt),
			LastUsedText: "Never",
			RotateURL:    RotateWebhookPath(h.ID),
			DeleteURL:    DeleteWebhookPath(h.ID),
		}
		switch {
		case h.PlexAccount != "":
			it.Account = h.PlexAccount
		case h.Source == domain.SourcePlex:
			it.Account = "Every account"
		}
		if !h.LastUsedAt.IsZero() {
			it.LastUsedISO = h.LastUsedAt.UTC().Format(time.RFC3339)
			it.LastUsedText = h.LastUsedAt.UTC().Format("2 January 2006, 15:04 UTC")
		}
		c.Items[i] = it
	}
	c.SourceOptions = make([]sourceOption, len(webhookSources))
	for i, s := range webhookSources {
		c.SourceOptions[i] = sourceOption{Value: string(s), Label: sourceName(s), Selected: string(s) == v.Form.Source}
	}
	return c
}
