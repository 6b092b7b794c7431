package html

import (
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// ProfileView is a user as public pages show them.
type ProfileView struct {
	// ID is the user.
	ID domain.UserID
	// Name is the user's public name (domain.PublicName): their display
	// name, or "Diarist …" when they chose none. Never an email address.
	Name string
	// Private says the diary is private: only its owner sees it, and their
	// page tells them so.
	Private bool
	// Own says the viewer is this user.
	Own bool
}

// UserPageView is what a user's public page shows: their name, a summary
// of their statistics, and their diary.
type UserPageView struct {
	// Profile is the user whose page it is.
	Profile ProfileView
	// Stats are the user's all-time statistics.
	Stats domain.Stats
	// Entries are the viewings of this page, in display order.
	Entries []domain.DiaryEntry
	// TotalCount is the number of the user's entries on all pages.
	TotalCount int
	// NextURL links to the next (older) page, e.g. "/users/{id}?cursor=…";
	// empty on the last page.
	NextURL string
	// NewestURL links back to the first page; empty on the first page.
	NewestURL string
	// SignedIn says a viewer is signed in: the header shows their account.
	SignedIn bool
	// UserID is the viewer: the entries they wrote get "Edit" and
	// "Delete" links. Zero when signed out.
	UserID domain.UserID
	// UserEmail names the viewer's own account in the header.
	UserEmail string
	// CSRFToken goes into the hidden csrf_token field of the sign-out form.
	CSRFToken string
}

// StatsPageView is what the statistics page shows, of one diary or of the
// whole diary, all time or one year (the year in review).
type StatsPageView struct {
	// Profile is the diary's user; nil for the whole diary.
	Profile *ProfileView
	// Year is the year the figures are of; zero for all time.
	Year int
	// Stats are the figures.
	Stats domain.Stats
	// Years are the years with viewings, oldest first, linked for moving
	// between year pages. Nil takes them from Stats.ByYear.
	Years []int
	// SignedIn says a viewer is signed in: the header shows their account.
	SignedIn bool
	// UserID is the viewer; the account nav links to their page. Zero
	// when signed out.
	UserID domain.UserID
	// UserEmail names the viewer's own account in the header.
	UserEmail string
	// CSRFToken goes into the hidden csrf_token field of the sign-out form.
	CSRFToken string
}

// EmbedView is what the widget shows: a user's latest viewings.
type EmbedView struct {
	// Profile is the user.
	Profile ProfileView
	// Entries are the viewings to show, newest first (a handful).
	Entries []domain.DiaryEntry
	// PageURL is the absolute URL of the user's page (BASE_URL +
	// UserPath), which the user's name and the "more" link open.
	PageURL string
	// BaseURL is the absolute URL of the diary (BASE_URL), the prefix of
	// the films' links and posters. Empty takes PageURL without its
	// UserPath suffix (or PageURL's origin).
	BaseURL string
}

// SettingsView is what the settings page shows: the signed-in user's
// public profile, in a form.
type SettingsView struct {
	// SignedIn is true: only a signed-in user has settings.
	SignedIn bool
	// UserID is the signed-in user; the page links to their public page.
	UserID domain.UserID
	// UserEmail names the signed-in account in the header.
	UserEmail string
	// CSRFToken goes into the hidden csrf_token field of every form.
	CSRFToken string
	// DisplayName refills the display_name field: the stored name, or
	// what the user sent after a failed attempt.
	DisplayName string
	// Private checks the private box.
	Private bool
	// PublicName is the name others see now (domain.PublicName).
	PublicName string
	// Errors are validation messages to list above the form.
	Errors []string
	// Notice is a short confirmation, e.g. "Settings saved.".
	Notice string
}

// UserPage renders a user's public page: their name, a note when it is the
// viewer's own private diary, a summary of their statistics with links to
// their years in review and their feed (also the head's alternate link),
// then their entries with pagination links, "Edit" and "Delete" on those
// the viewer wrote.
func (r *Renderer) UserPage(w io.Writer, v UserPageView) error {
	c := userContent{
		Profile:   v.Profile,
		CountText: viewings(v.TotalCount),
		Summary:   newSummary(v.Profile, v.Stats),
		FeedURL:   UserFeedPath(v.Profile.ID),
		Items:     make([]entryView, len(v.Entries)),
		NextURL:   v.NextURL, NewestURL: v.NewestURL,
	}
	for i, e := range v.Entries {
		c.Items[i] = newEntryView(e)
		if v.SignedIn && !v.UserID.IsZero() && e.Review.UserID == v.UserID {
			c.Items[i].EditURL = EditReviewPath(e.Review.ID)
			c.Items[i].DeleteURL = DeleteReviewPath(e.Review.ID)
		}
	}
	return r.render(w, "user", r.user, page{
		Site: r.site, Title: v.Profile.Name, Stylesheet: r.stylesheet.Path,
		SignedIn: v.SignedIn, UserID: v.UserID, UserEmail: v.UserEmail, CSRFToken: v.CSRFToken, ShowSignIn: !v.SignedIn,
		FeedURL: c.FeedURL, FeedTitle: possessive(v.Profile.Name) + " films · " + r.site,
		Content: c,
	})
}

// StatsPage renders the statistics of a diary, or of the whole diary: the
// totals, viewings per year (all time) or per month (a year), the ratings
// given, the most-viewed films and directors; with links between the
// years. With a Year it is that year in review, titled "Ann's 2024 in
// film" (or "2024 in film" for the whole diary).
func (r *Renderer) StatsPage(w io.Writer, v StatsPageView) error {
	c := newStatsContent(v)
	return r.render(w, "stats", r.stats, page{
		Site: r.site, Title: c.Heading, Stylesheet: r.stylesheet.Path,
		SignedIn: v.SignedIn, UserID: v.UserID, UserEmail: v.UserEmail, CSRFToken: v.CSRFToken, ShowSignIn: !v.SignedIn,
		Content: c,
	})
}

// SettingsPage renders the signed-in user's settings: a form posting
// display_name and private to SettingsPath, saying that the email address
// is never shown and what a private diary is, with a link to the user's
// public page.
func (r *Renderer) SettingsPage(w io.Writer, v SettingsView) error {
	c := settingsContent{SettingsView: v, MaxName: domain.MaxDisplayNameChars}
	if !v.UserID.IsZero() {
		c.PageURL = UserPath(v.UserID)
	}
	return r.render(w, "settings", r.settings, page{
		Site: r.site, Title: "Settings", Stylesheet: r.stylesheet.Path,
		SignedIn: true, UserID: v.UserID, UserEmail: v.UserEmail, CSRFToken: v.CSRFToken, Content: c,
	})
}

// Embed renders the widget: a standalone page of the user's latest
// viewings, for other sites to frame (serve it with
// ContentSecurityPolicyFramedBy). It has no header, footer or forms; it
// fits a 320–400 px wide frame, follows the reader's light or dark
// preference, and every link is absolute and opens in a new tab.
func (r *Renderer) Embed(w io.Writer, v EmbedView) error {
	base := embedBase(v)
	c := embedContent{
		Site: r.site, Stylesheet: r.embedStylesheet.Path, Name: v.Profile.Name, PageURL: v.PageURL,
		Items: make([]embedItem, len(v.Entries)),
	}
	for i, e := range v.Entries {
		ev := newEntryView(e)
		it := embedItem{
			TitleYear: ev.TitleYear, URL: base + ev.MovieURL,
			Rated: ev.Rated, Stars: ev.Stars, RatingText: ev.RatingText,
			WatchedISO: ev.WatchedISO, WatchedText: shortDate(e.Review.WatchedAt),
		}
		if ev.PosterURL != "" {
			it.PosterURL, it.PosterAlt = base+ev.PosterURL, ev.PosterAlt
		}
		c.Items[i] = it
	}
	return r.execute(w, "embed", r.embed, "embed", c)
}

// embedBase is the absolute prefix of the widget's links: v.BaseURL, or
// PageURL without the user's path, or PageURL's origin.
func embedBase(v EmbedView) string {
	if b := strings.TrimSpace(v.BaseURL); b != "" {
		return strings.TrimRight(b, "/")
	}
	if p, ok := strings.CutSuffix(v.PageURL, UserPath(v.Profile.ID)); ok {
		return strings.TrimRight(p, "/")
	}
	u, err := url.Parse(v.PageURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// possessive is "Ann's".
func possessive(name string) string { return name + "'s" }

// shortDate is how the widget writes a day: "1 Sep 2024" (UTC).
func shortDate(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

// userContent is the user template's data.
type userContent struct {
	Profile   ProfileView
	CountText string
	Summary   summary
	FeedURL   string
	Items     []entryView
	NextURL   string
	NewestURL string
}

// summary is the compact statistics of a user's page.
type summary struct {
	Viewings  int
	Films     int
	Rewatches int
	Average   average
	Years     []yearLink
}

type yearLink struct {
	Year     int
	URL      string
	Viewings int
	// Label names the link for screen readers: "2024: 12 viewings".
	Label string
}

// average is a mean rating as the pages show it.
type average struct {
	Rated bool
	// Text is the mean to one decimal, "3.7".
	Text string
	// Stars draws the mean rounded to the nearest half star.
	Stars string
	// Label says it in words: "3.7 out of 5 on average".
	Label string
}

func newAverage(s domain.Stats) average {
	avg, ok := s.AverageRating()
	if !ok {
		return average{}
	}
	text := strconv.FormatFloat(avg, 'f', 1, 64)
	r, err := domain.RatingFromHalves(int(avg*2 + 0.5))
	a := average{Rated: true, Text: text, Label: text + " out of 5 on average"}
	if err == nil {
		a.Stars = Stars(r)
	}
	return a
}

func newSummary(p ProfileView, s domain.Stats) summary {
	sm := summary{Viewings: s.Viewings, Films: s.Films, Rewatches: s.Rewatches(), Average: newAverage(s),
		Years: make([]yearLink, len(s.ByYear))}
	for i, y := range s.ByYear {
		sm.Years[i] = yearLink{Year: y.Year, URL: UserYearPath(p.ID, y.Year), Viewings: y.Viewings,
			Label: strconv.Itoa(y.Year) + ": " + viewings(y.Viewings)}
	}
	return sm
}

// statsContent is the stats template's data.
type statsContent struct {
	Heading string
	// BackURL and BackText lead to the user's page (a user's statistics
	// only).
	BackURL  string
	BackText string
	// PrivateNote tells the owner of a private diary that only they see
	// the page.
	PrivateNote bool
	Nav         []navItem
	Empty       bool
	// EmptyText says there is nothing to show.
	EmptyText string
	Viewings  int
	Films     int
	Rated     int
	Rewatches int
	Average   average
	// PeriodCaption names the per-year or per-month table.
	PeriodCaption string
	// PerYear says the period table has years (with films and links),
	// not months.
	PerYear      bool
	Periods      []barRow
	Ratings      []barRow
	TopFilms     []filmItem
	TopDirectors []directorItem
}

type navItem struct {
	Label   string
	URL     string
	Current bool
}

// barRow is one row of a table drawn with bars: the figures as text, the
// bar beside them for the eye only.
type barRow struct {
	Label string
	// Stars draws a rating row's label; Label then says it in words.
	Stars    string
	URL      string
	Count    int
	Films    int
	BarClass string
}

type filmItem struct {
	TitleYear string
	MovieURL  string
	PosterURL string
	PosterAlt string
	Director  string
	CountText string
}

type directorItem struct {
	Name      string
	CountText string
}

// barClass is the width class of a bar of n against the longest, most: w0
// to w100 in steps of 5 (style.css), at least w5 for any n > 0. The page's
// policy forbids style attributes, so widths cannot be inline.
func barClass(n, most int) string {
	if n <= 0 || most <= 0 {
		return "w0"
	}
	pct := (n*100/most + 2) / 5 * 5
	return "w" + strconv.Itoa(min(max(pct, 5), 100))
}

func newStatsContent(v StatsPageView) statsContent {
	s := v.Stats
	c := statsContent{
		Viewings: s.Viewings, Films: s.Films, Rated: s.Rated, Rewatches: s.Rewatches(),
		Average: newAverage(s), Empty: s.Viewings == 0, PerYear: v.Year == 0,
	}
	yearURL, allURL := YearPath, StatsPath
	switch {
	case v.Profile != nil && v.Year != 0:
		c.Heading = possessive(v.Profile.Name) + " " + strconv.Itoa(v.Year) + " in film"
	case v.Profile != nil:
		c.Heading = possessive(v.Profile.Name) + " statistics"
	case v.Year != 0:
		c.Heading = strconv.Itoa(v.Year) + " in film"
	default:
		c.Heading = "Statistics"
	}
	if p := v.Profile; p != nil {
		yearURL = func(y int) string { return UserYearPath(p.ID, y) }
		allURL = UserPath(p.ID)
		c.BackURL, c.BackText = UserPath(p.ID), possessive(p.Name)+" diary"
		c.PrivateNote = p.Own && p.Private
	}
	if v.Year != 0 {
		c.EmptyText = "No viewings in " + strconv.Itoa(v.Year) + "."
	} else {
		c.EmptyText = "No viewings yet."
	}

	years := v.Years
	if years == nil {
		for _, y := range s.ByYear {
			years = append(years, y.Year)
		}
	}
	if len(years) > 0 || v.Year != 0 {
		c.Nav = append(c.Nav, navItem{Label: "All time", URL: allURL, Current: v.Year == 0})
		for _, y := range years {
			c.Nav = append(c.Nav, navItem{Label: strconv.Itoa(y), URL: yearURL(y), Current: y == v.Year})
		}
	}
	if c.Empty {
		return c
	}

	if v.Year == 0 {
		c.PeriodCaption = "Viewings per year"
		most := 0
		for _, y := range s.ByYear {
			most = max(most, y.Viewings)
		}
		for _, y := range s.ByYear {
			c.Periods = append(c.Periods, barRow{Label: strconv.Itoa(y.Year), URL: yearURL(y.Year),
				Count: y.Viewings, Films: y.Films, BarClass: barClass(y.Viewings, most)})
		}
	} else {
		c.PeriodCaption = "Viewings per month in " + strconv.Itoa(v.Year)
		var months [13]int
		for _, m := range s.ByMonth {
			if m.Year == v.Year && m.Month >= time.January && m.Month <= time.December {
				months[m.Month] += m.Viewings
			}
		}
		most := 0
		for _, n := range months {
			most = max(most, n)
		}
		for m := time.January; m <= time.December; m++ {
			c.Periods = append(c.Periods, barRow{Label: m.String(), Count: months[m], BarClass: barClass(months[m], most)})
		}
	}

	if s.Rated > 0 {
		counts := map[int]int{}
		most := 0
		for _, rc := range s.Ratings {
			counts[rc.Rating.Halves()] += rc.Count
			most = max(most, counts[rc.Rating.Halves()])
		}
		for h := domain.MaxRating * 2; h >= domain.MinRating*2; h-- {
			// A rating of 0 stars exists but is rare: its row is drawn
			// only when it was given.
			if h == 0 && counts[0] == 0 {
				continue
			}
			r, _ := domain.RatingFromHalves(h)
			c.Ratings = append(c.Ratings, barRow{Label: RatingText(r), Stars: Stars(r), Count: counts[h], BarClass: barClass(counts[h], most)})
		}
	}

	for _, f := range s.TopFilms {
		ev := newEntryView(domain.DiaryEntry{Movie: f.Movie})
		c.TopFilms = append(c.TopFilms, filmItem{TitleYear: ev.TitleYear, MovieURL: ev.MovieURL,
			PosterURL: ev.PosterURL, PosterAlt: ev.PosterAlt, Director: ev.Director, CountText: viewings(f.Viewings)})
	}
	for _, d := range s.TopDirectors {
		c.TopDirectors = append(c.TopDirectors, directorItem{Name: d.Director.String(), CountText: viewings(d.Viewings)})
	}
	return c
}

// settingsContent is the settings template's data.
type settingsContent struct {
	SettingsView
	PageURL string
	MaxName int
}

// embedContent is the widget template's data.
type embedContent struct {
	Site string
	// Stylesheet is the path of the widget's stylesheet.
	Stylesheet string
	Name       string
	PageURL    string
	Items      []embedItem
}

type embedItem struct {
	TitleYear   string
	URL         string
	PosterURL   string
	PosterAlt   string
	Rated       bool
	Stars       string
	RatingText  string
	WatchedISO  string
	WatchedText string
}
