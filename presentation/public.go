package presentation

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/moviediary/moviediary/adapters/html"
	"github.com/moviediary/moviediary/adapters/rss"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// embedEntries is how many entries the embeddable widget lists.
const embedEntries = 10

// registerPublic mounts the public reads that are answered through the
// page cache — the API's diary, history, profiles and statistics, the
// per-user pages, feeds and statistics pages, and the embeddable widget —
// and the profile settings.
func (s *server) registerPublic(e *echo.Echo, web *echo.Group) {
	api := e.Group("/api")
	api.GET("/diary", s.apiDiary, s.optionalBearer)
	api.GET("/movies/:id/history", s.apiHistory, s.optionalBearer)
	api.GET("/stats", s.apiStats, s.optionalBearer)
	api.GET("/users/me", s.apiMe, s.requireBearer)
	api.PATCH("/users/me", s.apiUpdateMe, s.requireBearer)
	api.GET("/users/:id", s.apiUser, s.optionalBearer)
	api.GET("/users/:id/stats", s.apiUserStats, s.optionalBearer)

	e.GET(html.FeedPath, s.feed)
	e.GET("/embed/users/:id", s.embed)

	web.GET(html.DiaryPath, s.diaryPage)
	web.GET("/users/:id", s.userPage)
	web.GET("/users/:id/feed.rss", s.userFeed)
	web.GET("/users/:id/years/:year", s.userYearPage)
	web.GET(html.StatsPath, s.statsPage)
	web.GET(html.StatsPath+"/:year", s.statsPage)
	web.GET(html.SettingsPath, s.settingsPage)
	web.POST(html.SettingsPath, s.settingsSubmit, s.requireCSRF)
}

// diaryScope is the cache scope of a diary read: the user's when it is
// narrowed to one, else the movie's, else the whole diary's. IDs that do
// not parse give the whole diary's: the read fails validation and nothing
// is kept.
func diaryScope(q application.GetDiaryQuery) string {
	if id, err := domain.ParseUserID(q.UserID); err == nil {
		return scopeUser(id)
	}
	if id, err := domain.ParseMovieID(q.MovieID); err == nil {
		return scopeMovie(id)
	}
	return scopeDiary
}

// diaryParams are the query parameters a diary read depends on.
var diaryParams = []string{"movie_id", "user_id", "sort_by", "limit", "offset", "cursor"}

func (s *server) apiDiary(c echo.Context) error {
	q, err := diaryQuery(c)
	if err != nil {
		return err
	}
	viewer := currentUser(c).ID
	q.Viewer = viewer
	return s.serveCached(c, cacheKey(c, viewer, diaryParams...), diaryScope(q), true, viewer, func(ctx context.Context) (Page, error) {
		res, err := s.svc.GetDiary.Handle(ctx, q)
		if err != nil {
			return Page{}, err
		}
		out := DiaryJSON{Items: make([]EntryJSON, 0, len(res.Entries)), TotalCount: res.TotalCount, Limit: res.Limit, Offset: res.Offset, NextCursor: optional(res.NextCursor)}
		for _, e := range res.Entries {
			out.Items = append(out.Items, entryJSON(e))
		}
		return jsonPage(out)
	})
}

func (s *server) apiHistory(c echo.Context) error {
	id, err := domain.ParseMovieID(c.Param("id"))
	if err != nil {
		var v domain.Validation
		v.Check("movie_id", err)
		return v.Err()
	}
	viewer := currentUser(c).ID
	return s.serveCached(c, cacheKey(c, viewer), scopeMovie(id), true, viewer, func(ctx context.Context) (Page, error) {
		h, err := s.svc.History.Handle(ctx, id.String(), viewer)
		if err != nil {
			if errors.Is(err, domain.ErrNotFound) {
				return Page{}, newHTTPError(http.StatusNotFound, "no movie with id %s", c.Param("id"))
			}
			return Page{}, err
		}
		out := HistoryJSON{Movie: movieJSON(h.Movie), Viewings: make([]ReviewJSON, 0, len(h.Viewings)), Trend: optional(string(h.Trend()))}
		for _, r := range h.Viewings {
			out.Viewings = append(out.Viewings, reviewJSON(r))
		}
		return jsonPage(out)
	})
}

// apiStats answers the whole diary's statistics, which are the same for
// every reader (private diaries never count): one cached answer for all.
func (s *server) apiStats(c echo.Context) error {
	return s.serveStats(c, scopeDiary, domain.UserID{}, application.StatsRequest{Year: c.QueryParam("year")})
}

func (s *server) apiUserStats(c echo.Context) error {
	id, err := userParam(c)
	if err != nil {
		return err
	}
	viewer := currentUser(c).ID
	return s.serveStats(c, scopeUser(id), viewer, application.StatsRequest{UserID: id.String(), Year: c.QueryParam("year"), Viewer: viewer})
}

// serveStats answers req as JSON through the page cache, keyed by viewer.
func (s *server) serveStats(c echo.Context, scope string, viewer domain.UserID, req application.StatsRequest) error {
	return s.serveCached(c, cacheKey(c, viewer, "year"), scope, true, viewer, func(ctx context.Context) (Page, error) {
		res, err := s.svc.Stats.Handle(ctx, req)
		if err != nil {
			return Page{}, err
		}
		return jsonPage(statsJSON(res.Stats))
	})
}

func (s *server) apiUser(c echo.Context) error {
	id, err := userParam(c)
	if err != nil {
		return err
	}
	viewer := currentUser(c).ID
	return s.serveCached(c, cacheKey(c, viewer), scopeUser(id), true, viewer, func(ctx context.Context) (Page, error) {
		u, err := s.svc.Profiles.Profile(ctx, id.String(), viewer)
		if err != nil {
			return Page{}, err
		}
		return jsonPage(PublicUserJSON{ID: u.ID.String(), DisplayName: optional(u.DisplayName.String())})
	})
}

func (s *server) apiMe(c echo.Context) error {
	me := currentUser(c).ID
	u, err := s.svc.Profiles.Profile(c.Request().Context(), me.String(), me)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, profileJSON(u))
}

func (s *server) apiUpdateMe(c echo.Context) error {
	var req UpdateProfileRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.svc.Profiles.Update(c.Request().Context(), currentUser(c).ID, req.change())
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, profileJSON(u))
}

// userParam parses the :id of a user route; one that is not a user ID
// names no user (404).
func userParam(c echo.Context) (domain.UserID, error) {
	id, err := domain.ParseUserID(c.Param("id"))
	if err != nil {
		return domain.UserID{}, newHTTPError(http.StatusNotFound, "no user with id %s", c.Param("id"))
	}
	return id, nil
}

// notFoundUser is the one answer for a user who is unknown or whose diary
// is private to someone else: the two cannot be told apart.
func notFoundUser(id domain.UserID, err error) error {
	if errors.Is(err, domain.ErrNotFound) {
		return newHTTPError(http.StatusNotFound, "no user with id %s", id)
	}
	return err
}

// diaryPage is the whole diary. Signed out, it is the same page for
// everyone and comes from the cache; signed in it shows the log form with
// the reader's CSRF token and is rendered each time.
func (s *server) diaryPage(c echo.Context) error {
	if !currentUser(c).ID.IsZero() {
		return s.showDiary(c, http.StatusOK, html.LogForm{}, nil)
	}
	q, err := diaryQuery(c)
	if err != nil {
		return err
	}
	return s.serveCached(c, cacheKey(c, domain.UserID{}, diaryParams...), diaryScope(q), true, domain.UserID{}, func(ctx context.Context) (Page, error) {
		view, err := s.diaryView(c.Request().WithContext(ctx), q, html.LogForm{}, nil)
		if err != nil {
			return Page{}, err
		}
		return htmlPage(func(b *bytes.Buffer) error { return s.pages.DiaryPage(b, view) })
	})
}

// userPage is one user's diary with their statistics.
func (s *server) userPage(c echo.Context) error {
	id, err := userParam(c)
	if err != nil {
		return err
	}
	viewer := currentUser(c)
	return s.serveCached(c, cacheKey(c, viewer.ID, "cursor"), scopeUser(id), viewer.ID.IsZero(), viewer.ID, func(ctx context.Context) (Page, error) {
		u, err := s.svc.Profiles.Profile(ctx, id.String(), viewer.ID)
		if err != nil {
			return Page{}, notFoundUser(id, err)
		}
		q := application.GetDiaryQuery{UserID: id.String(), Cursor: c.QueryParam("cursor"), Viewer: viewer.ID}
		res, err := s.svc.GetDiary.Handle(ctx, q)
		if err != nil {
			return Page{}, err
		}
		st, err := s.svc.Stats.Handle(ctx, application.StatsRequest{UserID: id.String(), Viewer: viewer.ID})
		if err != nil {
			return Page{}, err
		}
		view := html.UserPageView{
			Profile:    profileView(u, viewer.ID),
			Stats:      st.Stats,
			Entries:    res.Entries,
			TotalCount: res.TotalCount,
		}
		if q.Cursor != "" {
			view.NewestURL = html.UserPath(id)
		}
		if res.NextCursor != "" {
			view.NextURL = html.UserPath(id) + "?" + url.Values{"cursor": {res.NextCursor}}.Encode()
		}
		if !viewer.ID.IsZero() {
			view.SignedIn, view.UserID, view.UserEmail, view.CSRFToken = true, viewer.ID, viewer.Email.String(), s.csrfToken(c)
		}
		return htmlPage(func(b *bytes.Buffer) error { return s.pages.UserPage(b, view) })
	})
}

// userYearPage is a user's year in review.
func (s *server) userYearPage(c echo.Context) error {
	id, err := userParam(c)
	if err != nil {
		return err
	}
	return s.statsView(c, &id)
}

// statsPage is the whole diary's statistics, all time (/stats) or one
// year's (/stats/2024).
func (s *server) statsPage(c echo.Context) error {
	return s.statsView(c, nil)
}

// statsView renders the statistics page of user (nil: the whole diary) for
// the route's :year (none: all time).
func (s *server) statsView(c echo.Context, user *domain.UserID) error {
	viewer := currentUser(c)
	scope, req := scopeDiary, application.StatsRequest{Year: c.Param("year"), Viewer: viewer.ID}
	if user != nil {
		scope, req.UserID = scopeUser(*user), user.String()
	}
	return s.serveCached(c, cacheKey(c, viewer.ID), scope, viewer.ID.IsZero(), viewer.ID, func(ctx context.Context) (Page, error) {
		res, err := s.svc.Stats.Handle(ctx, req)
		if err != nil {
			if user != nil {
				return Page{}, notFoundUser(*user, err)
			}
			return Page{}, err
		}
		view := html.StatsPageView{Year: res.Year, Stats: res.Stats}
		allTime := res
		if res.Year != 0 {
			// The years to move between come from the all-time figures.
			whole := req
			whole.Year = ""
			if allTime, err = s.svc.Stats.Handle(ctx, whole); err != nil {
				return Page{}, err
			}
		}
		for _, y := range allTime.Stats.ByYear {
			view.Years = append(view.Years, y.Year)
		}
		if user != nil {
			p := profileView(res.User, viewer.ID)
			view.Profile = &p
		}
		if !viewer.ID.IsZero() {
			view.SignedIn, view.UserID, view.UserEmail, view.CSRFToken = true, viewer.ID, viewer.Email.String(), s.csrfToken(c)
		}
		return htmlPage(func(b *bytes.Buffer) error { return s.pages.StatsPage(b, view) })
	})
}

// feed serves the latest entries of the public diaries as RSS 2.0; it is
// the same for every reader.
func (s *server) feed(c echo.Context) error {
	return s.serveCached(c, cacheKey(c, domain.UserID{}), scopeDiary, true, domain.UserID{}, func(ctx context.Context) (Page, error) {
		limit := rss.FeedLimit
		res, err := s.svc.GetDiary.Handle(ctx, application.GetDiaryQuery{Limit: &limit, Authors: true})
		if err != nil {
			return Page{}, err
		}
		return s.rssPage(rss.Feed{
			Title:       s.cfg.DiaryTitle,
			Description: "The latest films logged in " + s.cfg.DiaryTitle,
			Entries:     res.Entries,
			Authors:     res.Authors,
		})
	})
}

// userFeed serves one user's latest entries as RSS 2.0.
func (s *server) userFeed(c echo.Context) error {
	id, err := userParam(c)
	if err != nil {
		return err
	}
	viewer := currentUser(c).ID
	return s.serveCached(c, cacheKey(c, viewer), scopeUser(id), true, viewer, func(ctx context.Context) (Page, error) {
		u, err := s.svc.Profiles.Profile(ctx, id.String(), viewer)
		if err != nil {
			return Page{}, notFoundUser(id, err)
		}
		limit := rss.FeedLimit
		res, err := s.svc.GetDiary.Handle(ctx, application.GetDiaryQuery{UserID: id.String(), Limit: &limit, Viewer: viewer})
		if err != nil {
			return Page{}, err
		}
		name := u.PublicName()
		return s.rssPage(rss.Feed{
			Title:       name + "'s films · " + s.cfg.DiaryTitle,
			Description: "The latest films " + name + " logged in " + s.cfg.DiaryTitle,
			Link:        html.UserPath(id),
			SelfPath:    html.UserFeedPath(id),
			Entries:     res.Entries,
		})
	})
}

func (s *server) rssPage(f rss.Feed) (Page, error) {
	f.BaseURL = s.cfg.BaseURL.String()
	var buf bytes.Buffer
	if err := rss.Render(&buf, f); err != nil {
		return Page{}, err
	}
	return NewPage(rss.ContentType, buf.Bytes()), nil
}

// embed is the widget other sites frame: the latest entries of a public
// diary. It is the same for every reader — a framed page gets no cookies of
// ours — so a private diary is not found here even by its owner. Only the
// origins of EMBED_ORIGINS may frame it.
func (s *server) embed(c echo.Context) error {
	id, err := userParam(c)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Del("X-Frame-Options")
	h.Set("Content-Security-Policy", s.embedCSP)
	return s.serveCached(c, cacheKey(c, domain.UserID{}), scopeUser(id), true, domain.UserID{}, func(ctx context.Context) (Page, error) {
		u, err := s.svc.Profiles.Profile(ctx, id.String(), domain.UserID{})
		if err != nil {
			return Page{}, notFoundUser(id, err)
		}
		limit := embedEntries
		res, err := s.svc.GetDiary.Handle(ctx, application.GetDiaryQuery{UserID: id.String(), Limit: &limit})
		if err != nil {
			return Page{}, err
		}
		view := html.EmbedView{
			Profile: profileView(u, domain.UserID{}),
			Entries: res.Entries,
			PageURL: s.cfg.BaseURL.JoinPath(html.UserPath(id)).String(),
		}
		return htmlPage(func(b *bytes.Buffer) error { return s.pages.Embed(b, view) })
	})
}

// settingsPage shows the signed-in user's profile form.
func (s *server) settingsPage(c echo.Context) error {
	me := currentUser(c).ID
	if me.IsZero() {
		return toLogin(c)
	}
	u, err := s.svc.Profiles.Profile(c.Request().Context(), me.String(), me)
	if err != nil {
		return err
	}
	return s.showSettings(c, http.StatusOK, u, "", nil)
}

func (s *server) showSettings(c echo.Context, status int, u domain.User, notice string, problems []string) error {
	view := html.SettingsView{
		SignedIn: true, UserID: u.ID, UserEmail: u.Email.String(), CSRFToken: s.csrfToken(c),
		DisplayName: u.DisplayName.String(), Private: u.Private, PublicName: u.PublicName(),
		Notice: notice, Errors: problems,
	}
	return s.render(c, status, func(b *bytes.Buffer) error { return s.pages.SettingsPage(b, view) })
}

// settingsSubmit saves the profile form: an empty name removes it; the
// checkbox makes the diary private.
func (s *server) settingsSubmit(c echo.Context) error {
	u := currentUser(c)
	if u.ID.IsZero() {
		return toLogin(c)
	}
	name := c.FormValue("display_name")
	ch := application.ProfileChange{DisplayNameSet: true}
	if name != "" {
		ch.DisplayName = &name
	}
	private := c.FormValue("private") == "on"
	ch.Private = &private
	updated, err := s.svc.Profiles.Update(c.Request().Context(), u.ID, ch)
	if err != nil {
		p := problemFor(err)
		if p.Status >= 500 {
			return err
		}
		form := u
		form.DisplayName, _ = domain.NewDisplayName(name)
		form.Private = private
		return s.showSettings(c, p.Status, form, "", problemMessages(p))
	}
	return s.showSettings(c, http.StatusOK, updated, "Settings saved.", nil)
}

// profileView is what pages show of u to viewer.
func profileView(u domain.User, viewer domain.UserID) html.ProfileView {
	return html.ProfileView{ID: u.ID, Name: u.PublicName(), Private: u.Private, Own: !viewer.IsZero() && viewer == u.ID}
}
