package presentation

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// watchedAtLayout is how watched_at is written: UTC, to the second, no zone.
const watchedAtLayout = "2006-01-02T15:04:05"

// MovieJSON is a movie as the API shows it. Absent values are null.
type MovieJSON struct {
	ID                 string  `json:"id"`
	ExternalMetadataID *string `json:"external_metadata_id"`
	Title              string  `json:"title"`
	ReleaseYear        int     `json:"release_year"`
	Director           *string `json:"director"`
	PosterPath         *string `json:"poster_path"`
	PosterURL          *string `json:"poster_url"`
}

// ReviewJSON is one viewing as the API shows it.
type ReviewJSON struct {
	ID        string   `json:"id"`
	UserID    string   `json:"user_id"`
	Rating    *float64 `json:"rating"`
	Comment   *string  `json:"comment"`
	WatchedAt string   `json:"watched_at"`
	CreatedAt string   `json:"created_at"`
}

// EntryJSON is one diary entry.
type EntryJSON struct {
	Movie  MovieJSON  `json:"movie"`
	Review ReviewJSON `json:"review"`
}

// DiaryJSON is a page of the diary.
type DiaryJSON struct {
	Items      []EntryJSON `json:"items"`
	TotalCount int         `json:"total_count"`
	Limit      int         `json:"limit"`
	Offset     *int        `json:"offset"`
	NextCursor *string     `json:"next_cursor"`
}

// HistoryJSON is a movie with every viewing of it, oldest first. Trend is
// null when no viewing is rated.
type HistoryJSON struct {
	Movie    MovieJSON    `json:"movie"`
	Viewings []ReviewJSON `json:"viewings"`
	Trend    *string      `json:"trend"`
}

// RegisterRequest is the body of POST /api/auth/register and /login.
type RegisterRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// RegisterJSON answers a registration.
type RegisterJSON struct {
	UserID string `json:"user_id"`
	Email  string `json:"email"`
}

// LoginJSON answers a login.
type LoginJSON struct {
	Token     string `json:"token"`
	UserID    string `json:"user_id"`
	Email     string `json:"email"`
	ExpiresAt string `json:"expires_at"`
}

// LogReviewRequest is the body of POST /api/reviews. A null or absent
// rating logs the viewing as not rated.
type LogReviewRequest struct {
	ExternalMetadataID *string  `json:"external_metadata_id"`
	ManualTitle        *string  `json:"manual_title"`
	ManualReleaseYear  *int     `json:"manual_release_year"`
	ManualDirector     *string  `json:"manual_director"`
	Rating             *float64 `json:"rating"`
	Comment            *string  `json:"comment"`
	WatchedAt          *string  `json:"watched_at"`
}

// EditReviewRequest is the body of PATCH /api/reviews/{id}, a JSON merge
// patch: a field left out stays as it is, and one set to null is cleared.
// The fields are kept raw so that absent (nil) and null ("null") differ;
// editReviewCommand reads them.
type EditReviewRequest struct {
	Rating    json.RawMessage `json:"rating"`
	Comment   json.RawMessage `json:"comment"`
	WatchedAt json.RawMessage `json:"watched_at"`
}

// CreateTokenRequest is the body of POST /api/tokens. ExpiresAt is an RFC
// 3339 time, or null (or absent) for a token that never expires.
type CreateTokenRequest struct {
	Name      string  `json:"name"`
	ExpiresAt *string `json:"expires_at"`
}

// CreatedTokenJSON answers POST /api/tokens: the only time the token
// itself is shown.
type CreatedTokenJSON struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Token     string  `json:"token"`
	Prefix    string  `json:"prefix"`
	CreatedAt string  `json:"created_at"`
	ExpiresAt *string `json:"expires_at"`
}

// TokenJSON is a personal API token as GET /api/tokens lists it: never
// the token. Times are RFC 3339 UTC; unset ones are null.
type TokenJSON struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Prefix     string  `json:"prefix"`
	CreatedAt  string  `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
	ExpiresAt  *string `json:"expires_at"`
}

// TokensJSON answers GET /api/tokens.
type TokensJSON struct {
	Items []TokenJSON `json:"items"`
}

// CreateWebhookRequest is the body of POST /api/webhooks. PlexAccount,
// for a Plex webhook only, limits it to that Plex account's plays; null or
// absent for every account.
type CreateWebhookRequest struct {
	Source      string  `json:"source"`
	PlexAccount *string `json:"plex_account"`
}

// CreatedWebhookJSON answers POST /api/webhooks and its rotation: the
// only time the webhook's URL, which holds its secret, is shown.
type CreatedWebhookJSON struct {
	ID          string  `json:"id"`
	Source      string  `json:"source"`
	URL         string  `json:"url"`
	PlexAccount *string `json:"plex_account"`
	CreatedAt   string  `json:"created_at"`
}

// WebhookJSON is a webhook as GET /api/webhooks lists it: never its URL.
// Times are RFC 3339 UTC; unset ones are null.
type WebhookJSON struct {
	ID          string  `json:"id"`
	Source      string  `json:"source"`
	PlexAccount *string `json:"plex_account"`
	CreatedAt   string  `json:"created_at"`
	LastUsedAt  *string `json:"last_used_at"`
}

// WebhooksJSON answers GET /api/webhooks.
type WebhooksJSON struct {
	Items []WebhookJSON `json:"items"`
}

// WebhookResultJSON answers a webhook delivery that named a film:
// "recorded", or "duplicate" when the same play was reported within the
// last 30 minutes.
type WebhookResultJSON struct {
	Status string `json:"status"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func movieJSON(m domain.Movie) MovieJSON {
	out := MovieJSON{
		ID:                 m.ID.String(),
		ExternalMetadataID: optional(m.ExternalID.String()),
		Title:              m.Title.String(),
		ReleaseYear:        m.ReleaseYear.Int(),
		Director:           optional(m.Director.String()),
		PosterPath:         optional(m.PosterPath.String()),
	}
	if m.HasPoster() {
		out.PosterURL = optional("/posters/" + m.ID.String())
	}
	return out
}

func reviewJSON(r domain.Review) ReviewJSON {
	return ReviewJSON{
		ID:        r.ID.String(),
		UserID:    r.UserID.String(),
		Rating:    ratingJSON(r.Rating),
		Comment:   optional(r.Comment.String()),
		WatchedAt: r.WatchedAt.UTC().Format(watchedAtLayout),
		CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339Nano),
	}
}

// ratingJSON is a rating in stars (4, 4.5), or nil when not rated.
func ratingJSON(r domain.Rating) *float64 {
	if r.IsZero() {
		return nil
	}
	stars := r.Stars()
	return &stars
}

// timeJSON is t in RFC 3339 UTC to the second, or nil when t is zero.
func timeJSON(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func tokenJSON(t domain.APIToken) TokenJSON {
	return TokenJSON{
		ID:         t.ID.String(),
		Name:       t.Name,
		Prefix:     t.Prefix,
		CreatedAt:  t.CreatedAt.UTC().Format(time.RFC3339),
		LastUsedAt: timeJSON(t.LastUsedAt),
		ExpiresAt:  timeJSON(t.ExpiresAt),
	}
}

func webhookJSON(w domain.Webhook) WebhookJSON {
	return WebhookJSON{
		ID:          w.ID.String(),
		Source:      string(w.Source),
		PlexAccount: optional(w.PlexAccount),
		CreatedAt:   w.CreatedAt.UTC().Format(time.RFC3339),
		LastUsedAt:  timeJSON(w.LastUsedAt),
	}
}

func entryJSON(e domain.DiaryEntry) EntryJSON {
	return EntryJSON{Movie: movieJSON(e.Movie), Review: reviewJSON(e.Review)}
}

// parseWatchedAt accepts YYYY-MM-DDTHH:MM:SS, YYYY-MM-DDTHH:MM (a browser's
// datetime-local), RFC 3339 (converted to UTC) or YYYY-MM-DD (midnight).
// Values without a zone are UTC.
func parseWatchedAt(s string) (time.Time, error) {
	for _, layout := range []string{watchedAtLayout, "2006-01-02T15:04", time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Second), nil
		}
	}
	return time.Time{}, domain.FieldError{Field: "watched_at", Rule: "must be a date-time like 2024-05-01T20:30:00, 2024-05-01T20:30, RFC 3339, or a date like 2024-05-01"}
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// PublicUserJSON is a user as anyone may see them: never their email.
// DisplayName is null until they choose one.
type PublicUserJSON struct {
	ID          string  `json:"id"`
	DisplayName *string `json:"display_name"`
}

// ProfileJSON is the signed-in user's own profile.
type ProfileJSON struct {
	ID          string  `json:"id"`
	DisplayName *string `json:"display_name"`
	Private     bool    `json:"private"`
	Email       string  `json:"email"`
}

func profileJSON(u domain.User) ProfileJSON {
	return ProfileJSON{ID: u.ID.String(), DisplayName: optional(u.DisplayName.String()), Private: u.Private, Email: u.Email.String()}
}

// UpdateProfileRequest is the body of PATCH /api/users/me: a merge patch.
// An absent field stays as it is; "display_name": null removes the name.
type UpdateProfileRequest struct {
	DisplayName optionalString `json:"display_name"`
	Private     *bool          `json:"private"`
}

func (r UpdateProfileRequest) change() application.ProfileChange {
	return application.ProfileChange{DisplayNameSet: r.DisplayName.Set, DisplayName: r.DisplayName.Value, Private: r.Private}
}

// optionalString tells an absent JSON member (Set false) from null (Set,
// Value nil) and a string.
type optionalString struct {
	Set   bool
	Value *string
}

// UnmarshalJSON records that the member was present.
func (o *optionalString) UnmarshalJSON(b []byte) error {
	o.Set = true
	return json.Unmarshal(b, &o.Value)
}

// StatsJSON is the statistics of a diary (GET /api/stats,
// /api/users/{id}/stats). AverageRating is null when no viewing is rated.
type StatsJSON struct {
	Viewings      int                 `json:"viewings"`
	Films         int                 `json:"films"`
	Rated         int                 `json:"rated"`
	AverageRating *float64            `json:"average_rating"`
	Rewatches     int                 `json:"rewatches"`
	ByYear        []YearStatsJSON     `json:"by_year"`
	ByMonth       []MonthStatsJSON    `json:"by_month"`
	Ratings       []RatingCountJSON   `json:"ratings"`
	TopFilms      []FilmCountJSON     `json:"top_films"`
	TopDirectors  []DirectorCountJSON `json:"top_directors"`
}

// YearStatsJSON is one year's viewings and distinct films.
type YearStatsJSON struct {
	Year     int `json:"year"`
	Viewings int `json:"viewings"`
	Films    int `json:"films"`
}

// MonthStatsJSON is one month's viewings; Month is "2024-05".
type MonthStatsJSON struct {
	Month    string `json:"month"`
	Viewings int    `json:"viewings"`
}

// RatingCountJSON is how many viewings got one rating.
type RatingCountJSON struct {
	Rating float64 `json:"rating"`
	Count  int     `json:"count"`
}

// FilmCountJSON is a film and how many times it was viewed.
type FilmCountJSON struct {
	Movie    MovieJSON `json:"movie"`
	Viewings int       `json:"viewings"`
}

// DirectorCountJSON is a director and the viewings of their films.
type DirectorCountJSON struct {
	Director string `json:"director"`
	Viewings int    `json:"viewings"`
}

func statsJSON(s domain.Stats) StatsJSON {
	out := StatsJSON{
		Viewings: s.Viewings, Films: s.Films, Rated: s.Rated, Rewatches: s.Rewatches(),
		ByYear: make([]YearStatsJSON, 0, len(s.ByYear)), ByMonth: make([]MonthStatsJSON, 0, len(s.ByMonth)),
		Ratings: make([]RatingCountJSON, 0, len(s.Ratings)), TopFilms: make([]FilmCountJSON, 0, len(s.TopFilms)),
		TopDirectors: make([]DirectorCountJSON, 0, len(s.TopDirectors)),
	}
	if avg, ok := s.AverageRating(); ok {
		avg = math.Round(avg*100) / 100
		out.AverageRating = &avg
	}
	for _, y := range s.ByYear {
		out.ByYear = append(out.ByYear, YearStatsJSON{Year: y.Year, Viewings: y.Viewings, Films: y.Films})
	}
	for _, m := range s.ByMonth {
		out.ByMonth = append(out.ByMonth, MonthStatsJSON{Month: fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)), Viewings: m.Viewings})
	}
	for _, r := range s.Ratings {
		out.Ratings = append(out.Ratings, RatingCountJSON{Rating: r.Rating.Stars(), Count: r.Count})
	}
	for _, f := range s.TopFilms {
		out.TopFilms = append(out.TopFilms, FilmCountJSON{Movie: movieJSON(f.Movie), Viewings: f.Viewings})
	}
	for _, d := range s.TopDirectors {
		out.TopDirectors = append(out.TopDirectors, DirectorCountJSON{Director: d.Director.String(), Viewings: d.Viewings})
	}
	return out
}
