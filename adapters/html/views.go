package html

import (
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
}

// LogForm holds the log form's values as the user typed them. Field names
// match the POST /reviews form fields.
type LogForm struct {
	ExternalMetadataID string
	ManualTitle        string
	ManualReleaseYear  string
	ManualDirector     string
	Rating             string
	Comment            string
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
	Stars       string
	RatingText  string
	Comment     string
	WatchedISO  string
	WatchedText string
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
	for i, e := range v.Entries {
		c.Items[i] = newEntryView(e)
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
	selected := strings.TrimSpace(v.Form.Rating)
	for n := domain.MaxRating; n >= domain.MinRating; n-- {
		val := strconv.Itoa(n)
		label := val + " stars"
		if n == 1 {
			label = "1 star"
		}
		c.RatingOptions = append(c.RatingOptions, ratingOption{Value: val, Label: label, Selected: val == selected})
	}
	return c
}

func newEntryView(e domain.DiaryEntry) entryView {
	ty := TitleYear(e.Movie)
	ev := entryView{
		TitleYear:   ty,
		MovieURL:    DiaryPath + "?movie_id=" + url.QueryEscape(e.Movie.ID.String()),
		Director:    e.Movie.Director.String(),
		Stars:       Stars(e.Review.Rating),
		RatingText:  e.Review.Rating.String() + " out of 5",
		Comment:     e.Review.Comment.String(),
		WatchedISO:  e.Review.WatchedAt.UTC().Format(time.RFC3339),
		WatchedText: e.Review.WatchedAt.UTC().Format("2 January 2006"),
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

// Stars draws a rating as five stars, filled for each point:
// "★★★☆☆" for 3.
func Stars(r domain.Rating) string {
	n := min(max(r.Int(), domain.MinRating), domain.MaxRating)
	return strings.Repeat("★", n) + strings.Repeat("☆", domain.MaxRating-n)
}

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
