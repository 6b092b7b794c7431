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
	web.GET(html.DiaryPath, s.diaryPage)
	web.GET(html.LoginPath, s.loginPage)
	web.POST(html.LoginPath, s.loginSubmit, s.requireCSRF, s.loginRateLimit)
	web.GET(html.RegisterPath, s.registerPage)
	web.POST(html.RegisterPath, s.registerSubmit, s.requireCSRF, s.registerRateLimit(s.registerClosedPage))
	web.POST(html.LogoutPath, s.logoutSubmit, s.requireLogoutCSRF)
	web.POST(html.ReviewsPath, s.reviewSubmit, s.requireCSRF)
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

func (s *server) diaryPage(c echo.Context) error {
	return s.showDiary(c, http.StatusOK, html.LogForm{}, nil)
}

// showDiary renders the diary for the request's query, with the log form
// refilled with form and errors listed when a post failed.
func (s *server) showDiary(c echo.Context, status int, form html.LogForm, problems []string) error {
	q, err := diaryQuery(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	res, err := s.svc.GetDiary.Handle(ctx, q)
	if err != nil {
		return err
	}
	view := html.DiaryView{
		Entries:    res.Entries,
		TotalCount: res.TotalCount,
		CSRFToken:  s.csrfToken(c),
		Form:       form,
		Errors:     problems,
		Now:        s.now(),
	}
	if u := currentUser(c); !u.ID.IsZero() {
		view.SignedIn = true
		view.UserEmail = u.Email.String()
	}
	keep := url.Values{}
	for _, name := range []string{"movie_id", "user_id", "sort_by", "limit"} {
		if v := c.QueryParam(name); v != "" {
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
	return s.render(c, status, func(b *bytes.Buffer) error { return s.pages.DiaryPage(b, view) })
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
// parse, with the same rules as the JSON API.
func formCommand(user domain.UserID, f html.LogForm) (application.LogReviewCommand, error) {
	req := LogReviewRequest{
		ExternalMetadataID: &f.ExternalMetadataID,
		ManualTitle:        &f.ManualTitle,
		ManualDirector:     &f.ManualDirector,
		Comment:            &f.Comment,
		WatchedAt:          &f.WatchedAt,
	}
	var v domain.Validation
	if f.Rating != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(f.Rating)); err != nil {
			v.Add("rating", "must be an integer from 0 to 5")
		} else {
			req.Rating = &n
		}
	}
	if y := strings.TrimSpace(f.ManualReleaseYear); y != "" {
		if n, err := strconv.Atoi(y); err != nil {
			v.Add("manual_release_year", "must be a year like 1994")
		} else {
			req.ManualReleaseYear = &n
		}
	}
	cmd, err := logReviewCommand(user, req)
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		for _, fe := range ve.Fields {
			if !v.Has(fe.Field) {
				v.Add(fe.Field, fe.Rule)
			}
		}
	}
	return cmd, v.Err()
}

// problemMessages turns a problem into sentences for a page.
func problemMessages(p Problem) []string {
	if len(p.Errors) == 0 {
		return []string{p.Detail}
	}
	out := make([]string, 0, len(p.Errors))
	for _, e := range p.Errors {
		out = append(out, fieldLabel(e.Field)+" "+e.Rule+".")
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
	}
	if l, ok := labels[field]; ok {
		return l
	}
	return field
}
