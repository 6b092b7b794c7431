package presentation

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/moviediary/moviediary/adapters/html"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// Cookie names of the HTML interface. With an https BASE_URL both carry
// the __Host- prefix (cookieName), so that only this host, over TLS, can
// set them.
const (
	// sessionCookie holds the session: the signed-in user's bearer token.
	sessionCookie = "moviediary_session"
	// csrfCookie holds the pre-session ID, a random value that the CSRF
	// token of a signed-out browser's forms is bound to. It is not the
	// token itself.
	csrfCookie = "moviediary_csrf"
	// hostPrefix is the cookie name prefix browsers accept only with
	// Secure, Path=/ and no Domain.
	hostPrefix = "__Host-"
)

// preSessionBytes is the length of the random pre-session ID.
const preSessionBytes = 32

// minCSRFKeyBytes is the shortest Config.CSRFKey NewHandler accepts.
const minCSRFKeyBytes = 32

// registerWeb mounts the no-JavaScript HTML interface at the paths its
// pages link and post to (html.DiaryPath, …).
func (s *server) registerWeb(e *echo.Echo) {
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, html.DiaryPath) })
	web := e.Group("", s.optionalSession)
	s.registerPublic(e, web)
	web.GET(html.LoginPath, s.loginPage)
	web.POST(html.LoginPath, s.loginSubmit, s.requireCSRF, s.loginRateLimit)
	web.GET(html.RegisterPath, s.registerPage)
	web.POST(html.RegisterPath, s.registerSubmit, s.requireCSRF, s.registerRateLimit(s.registerClosedPage))
	web.POST(html.LogoutPath, s.logoutSubmit, s.requireLogoutCSRF)
	web.POST(html.ReviewsPath, s.reviewSubmit, s.requireCSRF)
	web.GET(html.ReviewsPath+"/:id/edit", s.editReviewPage)
	web.POST(html.ReviewsPath+"/:id/edit", s.editReviewSubmit, s.requireCSRF)
	web.GET(html.ReviewsPath+"/:id/delete", s.deleteReviewPage)
	web.POST(html.ReviewsPath+"/:id/delete", s.deleteReviewSubmit, s.requireCSRF)
	web.GET(html.TokensPath, s.tokensPage)
	web.POST(html.TokensPath, s.tokenSubmit, s.requireCSRF)
	web.POST(html.TokensPath+"/:id/revoke", s.tokenRevokeSubmit, s.requireCSRF)
	web.GET(html.WebhooksPath, s.webhooksPage)
	web.POST(html.WebhooksPath, s.webhookSubmit, s.requireCSRF)
	web.POST(html.WebhooksPath+"/:id/rotate", s.webhookRotateSubmit, s.requireCSRF)
	web.POST(html.WebhooksPath+"/:id/delete", s.webhookDeleteSubmit, s.requireCSRF)
	s.registerImportPages(web)
}

// cookieName is the name the cookie base goes by: __Host-base when
// BASE_URL is https, base otherwise.
func (s *server) cookieName(base string) string {
	if s.secure {
		return hostPrefix + base
	}
	return base
}

// cookieValue returns the value of the cookie base (by its cookieName), or
// "".
func (s *server) cookieValue(c echo.Context, base string) string {
	ck, err := c.Cookie(s.cookieName(base))
	if err != nil {
		return ""
	}
	return ck.Value
}

// optionalSession signs the request in when it carries a valid session
// cookie. A cookie Authenticate refuses (expired, forged, its session ended
// by a sign-out elsewhere) is stale: it is cleared, remembered for
// POST /logout (requireLogoutCSRF), and the request goes on signed out.
// Any other failure (the database is down) is the request's error: a
// signed-in browser is not treated as a signed-out one because its session
// could not be checked.
func (s *server) optionalSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if token := s.cookieValue(c, sessionCookie); token != "" {
			user, err := s.svc.Authenticate.Handle(c.Request().Context(), token)
			switch {
			case err == nil:
				withUser(c, user)
			case errors.Is(err, domain.ErrUnauthorized):
				s.setCookie(c, sessionCookie, "", time.Unix(0, 0))
				c.Set(staleSessionKey, token)
			default:
				return err
			}
		}
		return next(c)
	}
}

// staleSessionKey holds, in the echo context, the value of a session
// cookie optionalSession found stale.
const staleSessionKey = "moviediary.stale_session"

// staleSession returns the session cookie optionalSession found stale, or
// "".
func staleSession(c echo.Context) string {
	v, _ := c.Get(staleSessionKey).(string)
	return v
}

// setCookie sets the cookie base (under its cookieName): HttpOnly,
// SameSite=Lax, Path=/, no Domain, Secure with an https BASE_URL. An empty
// value deletes it.
func (s *server) setCookie(c echo.Context, base, value string, expires time.Time) {
	ck := &http.Cookie{
		Name:     s.cookieName(base),
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	}
	if value == "" {
		ck.MaxAge = -1
	} else if !expires.IsZero() {
		ck.Expires = expires
	}
	c.SetCookie(ck)
}

// CSRF tokens are bound to the browser a form is served to, so that a
// token from one browser is worthless in another and a client cannot make
// up a pair that agrees:
//
//   - signed in, the token is HMAC-SHA256(CSRFKey, "session" ‖ the session
//     cookie's value);
//   - signed out (login and sign-up forms), it is HMAC-SHA256(CSRFKey,
//     "pre-session" ‖ the pre-session cookie's value), a random ID the
//     server issues.
//
// The key is the server's (derived from the JWT secret by the composition
// root), so only the server can compute a token. Posts are checked against
// the binding the request has: a signed-in post needs its session's token.
// The token is read from the form body only, never from the query string.
const (
	csrfPurposeSession    = "session"
	csrfPurposePreSession = "pre-session"
)

// csrfMAC returns the token binding value for purpose.
func (s *server) csrfMAC(purpose, value string) string {
	m := hmac.New(sha256.New, s.cfg.CSRFKey)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// expectedCSRF returns the token a post of this request must carry, or ""
// when the request has nothing a token could be bound to (signed out and
// without a well-formed pre-session cookie).
func (s *server) expectedCSRF(c echo.Context) string {
	if !currentUser(c).ID.IsZero() {
		// Only a valid session cookie signs a web request in.
		return s.csrfMAC(csrfPurposeSession, s.cookieValue(c, sessionCookie))
	}
	if pre := s.cookieValue(c, csrfCookie); validPreSession(pre) {
		return s.csrfMAC(csrfPurposePreSession, pre)
	}
	return ""
}

// validPreSession reports whether v has the shape of a pre-session ID the
// server issues.
func validPreSession(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == preSessionBytes
}

// csrfToken returns the CSRF token for the forms of the page being
// rendered, issuing a pre-session cookie to a signed-out browser that has
// none.
func (s *server) csrfToken(c echo.Context) string {
	if token := s.expectedCSRF(c); token != "" {
		return token
	}
	b := make([]byte, preSessionBytes)
	_, _ = rand.Read(b)
	pre := base64.RawURLEncoding.EncodeToString(b)
	s.setCookie(c, csrfCookie, pre, time.Time{})
	return s.csrfMAC(csrfPurposePreSession, pre)
}

// requireCSRF refuses form posts whose body's csrf_token is not the token
// bound to this browser (expectedCSRF), compared in constant time.
func (s *server) requireCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !csrfMatches(c, s.expectedCSRF(c)) {
			return errCSRF()
		}
		return next(c)
	}
}

// requireLogoutCSRF is requireCSRF for POST /logout, which also accepts
// the token of a stale session (optionalSession): a browser whose session
// was ended elsewhere, or expired, still holds the page it was served while
// signed in, and its "Sign out" signs it out (the cookie is cleared)
// instead of answering that the form expired. That token is still bound
// to the cookie the browser sent, so another site cannot post it.
func (s *server) requireLogoutCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	checked := s.requireCSRF(next)
	return func(c echo.Context) error {
		if stale := staleSession(c); stale != "" && csrfMatches(c, s.csrfMAC(csrfPurposeSession, stale)) {
			return next(c)
		}
		return checked(c)
	}
}

// csrfMatches reports whether the form body's csrf_token is want, a
// non-empty token, compared in constant time.
func csrfMatches(c echo.Context, want string) bool {
	got := c.Request().PostFormValue(html.CSRFField)
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// errCSRF is the refusal of a form post without this browser's token.
func errCSRF() error {
	return newHTTPError(http.StatusForbidden, "the form has expired or did not come from this site; reload the page and try again")
}

func (s *server) render(c echo.Context, status int, draw func(*bytes.Buffer) error) error {
	var buf bytes.Buffer
	if err := draw(&buf); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(status, html.ContentType, buf.Bytes())
}

func (s *server) errorPage(c echo.Context, p Problem) error {
	return s.render(c, p.Status, func(b *bytes.Buffer) error {
		return s.pages.ErrorPage(b, html.ErrorView{Status: p.Status, Title: p.Title, Detail: p.Detail})
	})
}

// showDiary renders the diary for the request's query, with the log form
// refilled with form and errors listed when a post failed.
func (s *server) showDiary(c echo.Context, status int, form html.LogForm, problems []string) error {
	q, err := diaryQuery(c)
	if err != nil {
		return err
	}
	view, err := s.diaryView(c.Request(), q, form, problems)
	if err != nil {
		return err
	}
	if u := currentUser(c); !u.ID.IsZero() {
		view.SignedIn = true
		view.UserID = u.ID
		view.UserEmail = u.Email.String()
		view.CSRFToken = s.csrfToken(c)
		view.Now = s.now()
	}
	return s.render(c, status, func(b *bytes.Buffer) error { return s.pages.DiaryPage(b, view) })
}

// diaryView reads the diary page q asks for, as the signed-in reader (if
// any) may see it; what is the reader's own — the log form's token, their
// name — the caller adds.
func (s *server) diaryView(r *http.Request, q application.GetDiaryQuery, form html.LogForm, problems []string) (html.DiaryView, error) {
	ctx := r.Context()
	q.Viewer = currentUserOf(r).ID
	q.Authors = true // the page names who logged each entry, unless it is one user's
	res, err := s.svc.GetDiary.Handle(ctx, q)
	if err != nil {
		return html.DiaryView{}, err
	}
	view := html.DiaryView{
		Entries:    res.Entries,
		TotalCount: res.TotalCount,
		Form:       form,
		Errors:     problems,
		Authors:    res.Authors,
	}
	keep := url.Values{}
	query := r.URL.Query()
	for _, name := range []string{"movie_id", "user_id", "sort_by", "limit"} {
		if v := query.Get(name); v != "" {
			keep.Set(name, v)
		}
	}
	if q.Cursor != "" || (q.Offset != nil && *q.Offset > 0) {
		view.NewestURL = html.DiaryPath + encodeQuery(keep)
	}
	if res.NextCursor != "" {
		next := cloneValues(keep)
		next.Set("cursor", res.NextCursor)
		view.NextURL = html.DiaryPath + encodeQuery(next)
	}
	if q.MovieID != "" {
		if id, err := domain.ParseMovieID(q.MovieID); err == nil {
			if m, err := s.svc.Movies.MovieByID(ctx, id); err == nil {
				view.FilterMovie = &m
			}
		}
	}
	return view, nil
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func encodeQuery(v url.Values) string {
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func (s *server) loginPage(c echo.Context) error {
	return s.authPage(c, http.StatusOK, s.pages.LoginPage, "", nil)
}

func (s *server) registerPage(c echo.Context) error {
	return s.authPage(c, http.StatusOK, s.pages.RegisterPage, "", nil)
}

func (s *server) authPage(c echo.Context, status int, page func(w io.Writer, v html.AuthView) error, email string, problems []string) error {
	view := html.AuthView{
		CSRFToken:        s.csrfToken(c),
		Email:            email,
		Errors:           problems,
		RegistrationOpen: s.cfg.Registration != application.RegistrationClosed,
	}
	return s.render(c, status, func(b *bytes.Buffer) error { return page(b, view) })
}

// credentials reads a login or sign-up form's email and password from the
// form body only: never from the query string, where a password would be
// kept in logs and browser history.
func credentials(c echo.Context) (email, password string) {
	req := c.Request()
	return req.PostFormValue("email"), req.PostFormValue("password")
}

func (s *server) loginSubmit(c echo.Context) error {
	email, password := credentials(c)
	res, err := s.svc.Login.Handle(c.Request().Context(), application.LoginCommand{Email: email, Password: password})
	if err != nil {
		if errors.Is(err, domain.ErrUnauthorized) || errors.Is(err, domain.ErrValidation) {
			return s.authPage(c, http.StatusUnauthorized, s.pages.LoginPage, email, []string{"Invalid email or password."})
		}
		return err
	}
	s.setCookie(c, sessionCookie, res.Token.Value, res.Token.ExpiresAt)
	return c.Redirect(http.StatusSeeOther, html.DiaryPath)
}

func (s *server) registerSubmit(c echo.Context) error {
	email, password := credentials(c)
	ctx := c.Request().Context()
	if _, err := s.svc.Register.Handle(ctx, application.RegisterCommand{Email: email, Password: password}); err != nil {
		if errors.Is(err, domain.ErrForbidden) {
			return s.registerClosedPage(c)
		}
		p := problemFor(registerError(err))
		if p.Status >= 500 {
			return err
		}
		return s.authPage(c, p.Status, s.pages.RegisterPage, email, problemMessages(p))
	}
	res, err := s.svc.Login.Handle(ctx, application.LoginCommand{Email: email, Password: password})
	if err != nil {
		return err
	}
	s.setCookie(c, sessionCookie, res.Token.Value, res.Token.ExpiresAt)
	return c.Redirect(http.StatusSeeOther, html.DiaryPath)
}

// registerClosedPage answers a sign-up form posted while registration is
// closed: the sign-up page, 403, saying so, with nothing of the post
// filled in.
func (s *server) registerClosedPage(c echo.Context) error {
	p := problemFor(errSignUpClosed())
	return s.authPage(c, p.Status, s.pages.RegisterPage, "", problemMessages(p))
}

// logoutSubmit signs the browser out: it ends every session of the
// account (application.Logout), so the old cookie is refused from now on,
// wherever it was copied, and clears the cookie. A browser already signed
// out (a stale cookie, which optionalSession cleared) is only redirected.
func (s *server) logoutSubmit(c echo.Context) error {
	if user := currentUser(c); !user.ID.IsZero() {
		if err := s.svc.Logout.Handle(c.Request().Context(), application.LogoutCommand{User: user.ID}); err != nil {
			return err
		}
	}
	if staleSession(c) == "" {
		s.setCookie(c, sessionCookie, "", time.Time{})
	}
	return c.Redirect(http.StatusSeeOther, html.DiaryPath)
}

// apiLogout (POST /api/auth/logout, behind requireBearer) ends every
// session of the token's account: this token, the account's other bearer
// tokens and its page sessions. It answers 204.
func (s *server) apiLogout(c echo.Context) error {
	if err := s.svc.Logout.Handle(c.Request().Context(), application.LogoutCommand{User: currentUser(c).ID}); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// reviewSubmit logs a viewing from the diary page's form.
func (s *server) reviewSubmit(c echo.Context) error {
	user := currentUser(c)
	if user.ID.IsZero() {
		return c.Redirect(http.StatusSeeOther, html.LoginPath)
	}
	form := html.LogForm{
		ExternalMetadataID: c.FormValue("external_metadata_id"),
		ManualTitle:        c.FormValue("manual_title"),
		ManualReleaseYear:  c.FormValue("manual_release_year"),
		ManualDirector:     c.FormValue("manual_director"),
		Rating:             c.FormValue("rating"),
		Comment:            c.FormValue("comment"),
		WatchedAt:          c.FormValue("watched_at"),
	}
	cmd, err := formCommand(user.ID, form)
	if err == nil {
		_, err = s.svc.LogReview.Handle(c.Request().Context(), cmd)
	}
	if err != nil {
		p := problemFor(err)
		if p.Status >= 500 {
			return err
		}
		return s.showDiary(c, p.Status, form, problemMessages(p))
	}
	return c.Redirect(http.StatusSeeOther, html.DiaryPath)
}

// formCommand reads the log form, reporting every field that does not
// parse, with the same rules as the JSON API. An empty rating is "not
// rated".
func formCommand(user domain.UserID, f html.LogForm) (application.LogReviewCommand, error) {
	req := LogReviewRequest{
		ExternalMetadataID: &f.ExternalMetadataID,
		ManualTitle:        &f.ManualTitle,
		ManualDirector:     &f.ManualDirector,
		Comment:            &f.Comment,
		WatchedAt:          &f.WatchedAt,
	}
	var v domain.Validation
	rating, ok := formRating(f.Rating)
	if !ok {
		v.Add("rating", ruleFormRating)
	}
	req.Rating = rating
	if y := strings.TrimSpace(f.ManualReleaseYear); y != "" {
		if n, err := strconv.Atoi(y); err != nil {
			v.Add("manual_release_year", "must be a year like 1994")
		} else {
			req.ManualReleaseYear = &n
		}
	}
	cmd, err := logReviewCommand(user, req)
	addMissingFields(&v, err)
	return cmd, v.Err()
}

// ruleFormRating is the rule a form's rating breaks.
const ruleFormRating = "must be a number from 0 to 5 in steps of 0.5, or not rated"

// formRating reads a form's rating: nil for "" (not rated), the number
// otherwise, which the use case checks; false when it is not a number.
func formRating(s string) (*float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	stars, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, false
	}
	return &stars, true
}

// addMissingFields adds the fields of err, a *domain.ValidationError, that
// v does not name yet; other errors are ignored.
func addMissingFields(v *domain.Validation, err error) {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		for _, fe := range ve.Fields {
			if !v.Has(fe.Field) {
				v.Add(fe.Field, fe.Rule)
			}
		}
	}
}

// pageUser returns the signed-in user, and false when the browser is
// signed out.
func pageUser(c echo.Context) (domain.User, bool) {
	u := currentUser(c)
	return u, !u.ID.IsZero()
}

// toLogin sends a signed-out browser to the sign-in page.
func toLogin(c echo.Context) error { return c.Redirect(http.StatusSeeOther, html.LoginPath) }

// entryPageError turns what the review use cases say about the entry a
// page names into the page's error: a malformed or unknown ID is a 404,
// another user's review a 403.
func entryPageError(err error) error {
	var ve *domain.ValidationError
	switch {
	case errors.Is(err, domain.ErrNotFound) || errors.As(err, &ve) && namesField(ve, "review_id"):
		return newHTTPError(http.StatusNotFound, "there is no such entry in the diary")
	case errors.Is(err, domain.ErrForbidden):
		return newHTTPError(http.StatusForbidden, "only the author of an entry may edit or delete it")
	}
	return err
}

// namesField reports whether ve names field.
func namesField(ve *domain.ValidationError, field string) bool {
	for _, f := range ve.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// pageEntry reads the entry the path's id names for user: EditReview
// with nothing to change checks that user wrote it and returns it as it
// is. Errors are the page's (entryPageError).
func (s *server) pageEntry(c echo.Context, user domain.UserID) (domain.DiaryEntry, error) {
	entry, err := s.svc.EditReview.Handle(c.Request().Context(), application.EditReviewCommand{UserID: user, ReviewID: c.Param("id")})
	if err != nil {
		return domain.DiaryEntry{}, entryPageError(err)
	}
	return entry, nil
}

// editReviewPage (GET /reviews/{id}/edit) shows the author the form that
// corrects an entry, filled with the entry as stored.
func (s *server) editReviewPage(c echo.Context) error {
	user, ok := pageUser(c)
	if !ok {
		return toLogin(c)
	}
	entry, err := s.pageEntry(c, user.ID)
	if err != nil {
		return err
	}
	return s.showEditReview(c, http.StatusOK, user, entry, html.EditFormFor(entry.Review), nil)
}

func (s *server) showEditReview(c echo.Context, status int, user domain.User, entry domain.DiaryEntry, form html.EditForm, problems []string) error {
	view := html.EditReviewView{Entry: entry, UserID: user.ID, UserEmail: user.Email.String(), CSRFToken: s.csrfToken(c), Form: form, Errors: problems, Now: s.now()}
	return s.render(c, status, func(b *bytes.Buffer) error { return s.pages.EditReviewPage(b, view) })
}

// editReviewSubmit (POST /reviews/{id}/edit) applies the edit form: the
// rating (empty: not rated), the comment (empty: none) and the time of
// viewing. It redirects to the diary, or shows the form again with what
// is wrong.
func (s *server) editReviewSubmit(c echo.Context) error {
	user, ok := pageUser(c)
	if !ok {
		return toLogin(c)
	}
	req := c.Request()
	form := html.EditForm{Rating: req.PostFormValue("rating"), Comment: req.PostFormValue("comment"), WatchedAt: req.PostFormValue("watched_at")}
	cmd, err := editFormCommand(user.ID, c.Param("id"), form)
	if err == nil {
		_, err = s.svc.EditReview.Handle(req.Context(), cmd)
	}
	if err == nil {
		return c.Redirect(http.StatusSeeOther, html.DiaryPath)
	}
	if err = entryPageError(err); !errors.Is(err, domain.ErrValidation) {
		return err
	}
	p := problemFor(err)
	entry, ferr := s.pageEntry(c, user.ID)
	if ferr != nil {
		return ferr
	}
	return s.showEditReview(c, p.Status, user, entry, form, problemMessages(p))
}

// editFormCommand reads the edit form. Every field is sent, so every field
// is set: an empty rating makes the viewing not rated, an empty comment
// removes it; watched_at is required.
func editFormCommand(user domain.UserID, id string, f html.EditForm) (application.EditReviewCommand, error) {
	cmd := application.EditReviewCommand{UserID: user, ReviewID: id, Comment: application.To(f.Comment)}
	var v domain.Validation
	if rating, ok := formRating(f.Rating); !ok {
		v.Add("rating", ruleFormRating)
	} else if rating == nil {
		cmd.Rating = application.Null[float64]()
	} else {
		cmd.Rating = application.To(*rating)
	}
	if strings.TrimSpace(f.WatchedAt) == "" {
		v.Add("watched_at", "is required")
	} else if t, err := parseWatchedAt(strings.TrimSpace(f.WatchedAt)); err != nil {
		v.Check("watched_at", err)
	} else {
		cmd.WatchedAt = application.To(t)
	}
	if v.Err() != nil && cmd.Rating.Value != nil {
		// The use case, which checks every field, is not reached: report a
		// bad rating together with what is malformed here.
		_, err := domain.NewRating(*cmd.Rating.Value)
		v.Check("rating", err)
	}
	return cmd, v.Err()
}

// deleteReviewPage (GET /reviews/{id}/delete) asks the author to confirm
// the deletion of an entry, naming the film and the day.
func (s *server) deleteReviewPage(c echo.Context) error {
	user, ok := pageUser(c)
	if !ok {
		return toLogin(c)
	}
	entry, err := s.pageEntry(c, user.ID)
	if err != nil {
		return err
	}
	view := html.DeleteReviewView{Entry: entry, UserID: user.ID, UserEmail: user.Email.String(), CSRFToken: s.csrfToken(c)}
	return s.render(c, http.StatusOK, func(b *bytes.Buffer) error { return s.pages.DeleteReviewPage(b, view) })
}

// deleteReviewSubmit (POST /reviews/{id}/delete) deletes the entry and
// redirects to the diary.
func (s *server) deleteReviewSubmit(c echo.Context) error {
	user, ok := pageUser(c)
	if !ok {
		return toLogin(c)
	}
	err := s.svc.DeleteReview.Handle(c.Request().Context(), application.DeleteReviewCommand{UserID: user.ID, ReviewID: c.Param("id")})
	if err != nil {
		return entryPageError(err)
	}
	return c.Redirect(http.StatusSeeOther, html.DiaryPath)
}

// tokensPage (GET /tokens) lists the user's personal API tokens with the
// form that makes one.
func (s *server) tokensPage(c echo.Context) error {
	user, ok := pageUser(c)
	if !ok {
		return toLogin(c)
	}
	return s.showTokens(c, http.StatusOK, user, html.TokensView{})
}

// showTokens renders the tokens page with the user's tokens added to v.
// Every page is sent with Cache-Control: no-store (render), the one that
// carries a new token too.
func (s *server) showTokens(c echo.Context, status int, user domain.User, v html.TokensView) error {
	tokens, err := s.svc.APITokens.List(c.Request().Context(), user.ID)
	if err != nil {
		return err
	}
	v.Tokens, v.UserID, v.UserEmail, v.CSRFToken, v.Now = tokens, user.ID, user.Email.String(), s.csrfToken(c), s.now()
	return s.render(c, status, func(b *bytes.Buffer) error { return s.pages.TokensPage(b, v) })
}

// tokenSubmit (POST /tokens) makes a token and answers with the tokens
// page showing it, this once: it is in this response only, never in a URL
// a redirect would leave in the history.
func (s *server) tokenSubmit(c echo.Context) error {
	user, ok := pageUser(c)
	if !ok {
		return toLogin(c)
	}
	req := c.Request()
	form := html.TokenForm{Name: req.PostFormValue("name"), ExpiresAt: strings.TrimSpace(req.PostFormValue("expires_at"))}
	cmd := application.CreateAPITokenCommand{UserID: user.ID, Name: form.Name}
	var (
		created application.CreatedAPIToken
		err     error
	)
	if form.ExpiresAt != "" {
		// The token stops working as that day begins, in UTC.
		day, perr := time.Parse(time.DateOnly, form.ExpiresAt)
		if perr != nil {
			err = domain.FieldError{Field: "expires_at", Rule: "must be a date like 2030-01-31"}
		}
		cmd.ExpiresAt = &day
	}
	if err == nil {
		created, err = s.svc.APITokens.Create(req.Context(), cmd)
	}
	if err != nil {
		p := problemFor(err)
		if p.Status >= 500 {
			return err
		}
		return s.showTokens(c, p.Status, user, html.TokensView{Form: form, Errors: problemMessages(p)})
	}
	return s.showTokens(c, http.StatusCreated, user, html.TokensView{Created: &html.CreatedToken{Name: created.Record.Name, Token: created.Token}})
}

// tokenRevokeSubmit (POST /tokens/{id}/revoke) revokes one of the user's
// tokens and goes back to the tokens page. Another user's token, or an
// unknown one, is a 404.
func (s *server) tokenRevokeSubmit(c echo.Context) error {
	user, ok := pageUser(c)
	if !ok {
		return toLogin(c)
	}
	if err := s.svc.APITokens.Revoke(c.Request().Context(), user.ID, c.Param("id")); err != nil {
		if errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrValidation) {
			return newHTTPError(http.StatusNotFound, "there is no such token")
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, html.TokensPath)
}

// webhooksPage (GET /webhooks) lists the user's media-server webhooks
// with the form that makes one.
func (s *server) webhooksPage(c echo.Context) error {
	user, ok := pageUser(c)
	if !ok {
		return toLogin(c)
	}
	return s.showWebhooks(c, http.StatusOK, user, html.WebhooksView{})
}

// showWebhooks renders the webhooks page with the user's webhooks added to
// v. Every page is sent with Cache-Control: no-store (render), the one that
// carries a new URL too.
func (s *server) showWebhooks(c echo.Context, status int, user domain.User, v html.WebhooksView) error {
	hooks, err := s.svc.Webhooks.List(c.Request().Context(), user.ID)
	if err != nil {
		return err
	}
	v.Webhooks, v.UserID, v.UserEmail, v.CSRFToken = hooks, user.ID, user.Email.String(), s.csrfToken(c)
	return s.render(c, status, func(b *bytes.Buffer) error { return s.pages.WebhooksPage(b, v) })
}

// showCreatedWebhook answers with the webhooks page showing the URL of
// created, this once (201): it is in this response only, never in a URL a
// redirect would leave in the history.
func (s *server) showCreatedWebhook(c echo.Context, user domain.User, created application.CreatedWebhook, rotated bool) error {
	return s.showWebhooks(c, http.StatusCreated, user, html.WebhooksView{Created: &html.CreatedWebhook{
		Source:  created.Record.Source,
		URL:     WebhookURL(s.cfg.BaseURL, created.Record.Source, created.Secret),
		Rotated: rotated,
	}})
}

// webhookSubmit (POST /webhooks) makes a webhook and shows its URL once;
// a refused form is shown again with its values and the reasons (400).
func (s *server) webhookSubmit(c echo.Context) error {
	user, ok := pageUser(c)
	if !ok {
		return toLogin(c)
	}
	req := c.Request()
	form := html.WebhookForm{Source: req.PostFormValue("source"), PlexAccount: req.PostFormValue("plex_account")}
	created, err := s.svc.Webhooks.Create(req.Context(), application.CreateWebhookCommand{
		UserID: user.ID, Source: form.Source, PlexAccount: form.PlexAccount,
	})
	if err != nil {
		p := problemFor(err)
		if p.Status >= 500 {
			return err
		}
		return s.showWebhooks(c, p.Status, user, html.WebhooksView{Form: form, Errors: problemMessages(p)})
	}
	return s.showCreatedWebhook(c, user, created, false)
}

// webhookRotateSubmit (POST /webhooks/{id}/rotate) gives one of the user's
// webhooks a new URL, shown once; the old one stops working at once.
// Another user's webhook, or an unknown one, is a 404.
func (s *server) webhookRotateSubmit(c echo.Context) error {
	user, ok := pageUser(c)
	if !ok {
		return toLogin(c)
	}
	created, err := s.svc.Webhooks.Rotate(c.Request().Context(), user.ID, c.Param("id"))
	if err != nil {
		return webhookPageError(err)
	}
	return s.showCreatedWebhook(c, user, created, true)
}

// webhookDeleteSubmit (POST /webhooks/{id}/delete) deletes one of the
// user's webhooks and goes back to the webhooks page. Another user's
// webhook, or an unknown one, is a 404.
func (s *server) webhookDeleteSubmit(c echo.Context) error {
	user, ok := pageUser(c)
	if !ok {
		return toLogin(c)
	}
	if err := s.svc.Webhooks.Delete(c.Request().Context(), user.ID, c.Param("id")); err != nil {
		return webhookPageError(err)
	}
	return c.Redirect(http.StatusSeeOther, html.WebhooksPath)
}

// webhookPageError turns what Webhooks.Rotate and Delete say about the
// webhook a path names into the page's error: a malformed or unknown ID,
// another user's included, is a 404.
func webhookPageError(err error) error {
	if errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrValidation) {
		return newHTTPError(http.StatusNotFound, "there is no such webhook")
	}
	return err
}

// problemMessages turns a problem into sentences for a page. A rating is
// chosen from a list there, so its rule is said in the list's words.
func problemMessages(p Problem) []string {
	if len(p.Errors) == 0 {
		return []string{p.Detail}
	}
	out := make([]string, 0, len(p.Errors))
	for _, e := range p.Errors {
		rule := e.Rule
		if e.Field == "rating" {
			rule = ruleFormRating
		}
		out = append(out, fieldLabel(e.Field)+" "+rule+".")
	}
	return out
}

func fieldLabel(field string) string {
	labels := map[string]string{
		"external_metadata_id": "IMDb ID",
		"manual_title":         "Title",
		"manual_release_year":  "Year",
		"manual_director":      "Director",
		"rating":               "Rating",
		"comment":              "Comment",
		"watched_at":           "Watched at",
		"email":                "Email",
		"password":             "Password",
		"name":                 "Name",
		"expires_at":           "Expiry date",
		"source":               "Media server",
		"plex_account":         "Plex account",
	}
	if l, ok := labels[field]; ok {
		return l
	}
	return field
}
