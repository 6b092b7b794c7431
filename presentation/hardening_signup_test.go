package presentation_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/moviediary/moviediary/adapters/auth"
	"github.com/moviediary/moviediary/adapters/diaryfile"
	"github.com/moviediary/moviediary/adapters/omdb"
	"github.com/moviediary/moviediary/adapters/posterfetcher"
	"github.com/moviediary/moviediary/adapters/posterstorage"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/presentation"
	"github.com/moviediary/moviediary/presentation/wiring"
)

// calls records the port calls of the account use cases, in order.
type calls struct {
	mu  sync.Mutex
	log []string
}

func (c *calls) add(call string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log = append(c.log, call)
}

// take returns the calls since the last take.
func (c *calls) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.log
	c.log = nil
	return out
}

// tracedUsers is a UserRepository that records which methods are called.
type tracedUsers struct {
	domain.UserRepository
	calls *calls
}

func (u tracedUsers) UserByEmail(ctx context.Context, e domain.Email) (domain.User, error) {
	u.calls.add("UserByEmail")
	return u.UserRepository.UserByEmail(ctx, e)
}

func (u tracedUsers) SaveUser(ctx context.Context, user domain.User) error {
	u.calls.add("SaveUser")
	return u.UserRepository.SaveUser(ctx, user)
}

func (u tracedUsers) SaveFirstUser(ctx context.Context, user domain.User) error {
	u.calls.add("SaveFirstUser")
	return u.UserRepository.SaveFirstUser(ctx, user)
}

// tracedMovies is the MovieFinder the handlers read movies through,
// recording MovieByID.
type tracedMovies struct {
	domain.MovieFinder
	calls *calls
}

func (m tracedMovies) MovieByID(ctx context.Context, id domain.MovieID) (domain.Movie, error) {
	m.calls.add("MovieByID")
	return m.MovieFinder.MovieByID(ctx, id)
}

// tracedHasher is a PasswordHasher that records every hash and verification.
type tracedHasher struct {
	domain.PasswordHasher
	calls *calls
}

func (h tracedHasher) HashPassword(ctx context.Context, password string) (domain.PasswordHash, error) {
	h.calls.add("HashPassword")
	return h.PasswordHasher.HashPassword(ctx, password)
}

func (h tracedHasher) VerifyPassword(ctx context.Context, password string, hash domain.PasswordHash) (bool, error) {
	h.calls.add("VerifyPassword")
	return h.PasswordHasher.VerifyPassword(ctx, password, hash)
}

// tracedServer serves the real handler, wired like the App but with the
// users and the password hasher traced, on a SQLite database that outlives
// it, so a second server on the same database is a restarted process.
type tracedServer struct {
	*httptest.Server
	calls *calls
	// gate resizes the server's password gate (slots at once, waiting).
	gate func(slots, waiting int)
}

func newTracedServer(t *testing.T, dir string, policy application.RegistrationPolicy) tracedServer {
	t.Helper()
	env := map[string]string{"DATABASE_URL": "sqlite://" + filepath.Join(dir, "db.sqlite"), "DATA_DIR": dir}
	cfg, err := wiring.LoadConfig(envOf(env))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	store, err := wiring.OpenStore(t.Context(), cfg)
	if err != nil {
		t.Fatalf("OpenStore: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	mustDo := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	c := &calls{}
	argon, err := auth.NewArgon2id(auth.Argon2Config{})
	mustDo(err)
	users, hasher := tracedUsers{store.Users(), c}, tracedHasher{argon, c}
	tokens, err := auth.NewJWT(auth.JWTConfig{Secret: bytes.Repeat([]byte("s"), 32)})
	mustDo(err)
	fetcher, err := posterfetcher.New(posterfetcher.Config{})
	mustDo(err)
	posters, err := posterstorage.NewLocal(posterstorage.LocalConfig{Dir: filepath.Join(dir, "posters")})
	mustDo(err)
	metadata := omdb.Disabled("tests")
	svc := presentation.Services{Movies: tracedMovies{store.Movies(), c}, Posters: posters, Ready: store.Ping}
	svc.LogReview, err = application.NewLogReview(store.Movies(), metadata, discardEvents{}, nil, nil)
	mustDo(err)
	svc.GetDiary, err = application.NewGetDiary(store.Movies(), users)
	mustDo(err)
	svc.Stats, err = application.NewGetStats(store.Statistics(), users)
	mustDo(err)
	svc.Profiles, err = application.NewProfiles(users, discardEvents{}, nil, nil)
	mustDo(err)
	svc.Cache = presentation.NewPageCache(presentation.DefaultCacheMaxBytes)
	svc.History, err = application.NewGetReviewHistory(store.Movies())
	mustDo(err)
	svc.Register, err = application.NewRegister(users, hasher, policy, nil)
	mustDo(err)
	svc.Login, err = application.NewLogin(users, hasher, tokens)
	mustDo(err)
	svc.Authenticate, err = application.NewAuthenticate(tokens, users, store.Tokens(), nil, nil)
	mustDo(err)
	svc.EditReview, err = application.NewEditReview(store.Movies(), discardEvents{}, nil, nil)
	mustDo(err)
	svc.DeleteReview, err = application.NewDeleteReview(store.Movies(), discardEvents{}, nil, nil)
	mustDo(err)
	svc.APITokens, err = application.NewAPITokens(store.Tokens(), nil)
	mustDo(err)
	svc.Webhooks, err = application.NewWebhooks(store.Webhooks(), nil, nil)
	mustDo(err)
	svc.ReportPlay, err = application.NewReportPlay(store.Plays(), discardEvents{}, nil, nil)
	mustDo(err)
	svc.Logout, err = application.NewLogout(users)
	mustDo(err)
	svc.SyncPoster, err = application.NewSyncPoster(store.Movies(), metadata, fetcher, posters, 1)
	mustDo(err)
	svc.Imports, err = application.NewImports(struct {
		domain.ImportRepository
		domain.MovieFinder
	}{store.Imports(), store.Movies()}, users, diaryfile.NewParser(diaryfile.Limits{}), discardEvents{}, application.ImportConfig{}, nil, nil)
	mustDo(err)
	svc.Export, err = application.NewExportDiary(store.Movies(), users)
	mustDo(err)
	svc.CSVExport = func(w io.Writer) presentation.EntryWriter { return diaryfile.NewCSVWriter(w) }
	base, _ := url.Parse("http://diary.example")
	h, gate, err := presentation.NewHandlerWithPasswordGate(presentation.Config{BaseURL: base, Registration: policy, CSRFKey: bytes.Repeat([]byte("k"), 32)},
		svc, presentation.NewMetrics(), nil, nil)
	mustDo(err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return tracedServer{Server: srv, calls: c, gate: gate}
}

type discardEvents struct{}

func (discardEvents) Publish(context.Context, domain.Event) error { return nil }

// post sends a request and returns its status and body.
func (s tracedServer) post(t *testing.T, path, contentType, body string, cookies ...*http.Cookie) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return res.StatusCode, b
}

// registerForm fetches /register and returns its pre-session cookie and
// the CSRF token of its form.
func (s tracedServer) registerForm(t *testing.T) (*http.Cookie, string) {
	t.Helper()
	return s.signedOutForm(t, "/register")
}

// signedOutForm fetches the page at path and returns its pre-session
// cookie and the CSRF token of its form. With sign-up closed the sign-up
// page has no form, but the login page's token is as good: the token is
// bound to the browser, not to a form.
func (s tracedServer) signedOutForm(t *testing.T, path string) (*http.Cookie, string) {
	t.Helper()
	res, err := s.Client().Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	page := readBody(t, res)
	ck := cookieNamed(res, "moviediary_csrf")
	if ck == nil {
		t.Fatalf("GET %s set no pre-session cookie", path)
	}
	return ck, formToken(t, page)
}

// TestClosedSignUpRefusalsDoTheSameWork: once sign-up is closed, refusing
// the owner's email and refusing any other do the same work — no password
// hash, no lookup — on the API and the form, and answer the same bytes.
// After a restart the first refusal, whoever asks, decides whether the
// owner exists (one hash and SaveFirstUser); every later one does nothing.
func TestClosedSignUpRefusalsDoTheSameWork(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := newTracedServer(t, dir, application.RegistrationOwnerOnly)
	creds := func(email string) string {
		return fmt.Sprintf(`{"email":%q,"password":"correct horse battery"}`, email)
	}
	if status, body := s.post(t, "/api/auth/register", "application/json", creds(ownerEmail)); status != http.StatusCreated {
		t.Fatalf("owner sign-up: %d %s", status, body)
	}
	s.calls.take()

	emails := []string{ownerEmail, "OWNER@Example.com", "guest@example.com", "not an email"}
	var firstBody []byte
	for _, email := range emails {
		status, body := s.post(t, "/api/auth/register", "application/json", creds(email))
		if status != http.StatusForbidden {
			t.Errorf("API sign-up of %q: %d %s, want 403", email, status, body)
		}
		if firstBody == nil {
			firstBody = body
		} else if !bytes.Equal(body, firstBody) {
			t.Errorf("API refusal of %q = %s, want the same bytes as %s", email, body, firstBody)
		}
		if got := s.calls.take(); len(got) != 0 {
			t.Errorf("API refusal of %q made the calls %q, want none", email, got)
		}
	}
	ck, token := s.registerForm(t)
	for _, email := range emails {
		form := url.Values{"csrf_token": {token}, "email": {email}, "password": {"correct horse battery"}}
		if status, body := s.post(t, "/register", "application/x-www-form-urlencoded", form.Encode(), ck); status != http.StatusForbidden {
			t.Errorf("form sign-up of %q: %d %s, want 403", email, status, body)
		}
		if got := s.calls.take(); len(got) != 0 {
			t.Errorf("form refusal of %q made the calls %q, want none", email, got)
		}
	}

	// Two restarted processes on the same database: one is first asked for
	// the owner's email, the other for a stranger's.
	var first [][]string
	for _, email := range []string{ownerEmail, "guest@example.com"} {
		r := newTracedServer(t, dir, application.RegistrationOwnerOnly)
		if status, body := r.post(t, "/api/auth/register", "application/json", creds(email)); status != http.StatusForbidden || !bytes.Equal(body, firstBody) {
			t.Errorf("after a restart, sign-up of %s: %d %s, want the 403 %s", email, status, body, firstBody)
		}
		first = append(first, r.calls.take())
		for _, again := range []string{ownerEmail, "guest@example.com"} {
			r.post(t, "/api/auth/register", "application/json", creds(again))
			if got := r.calls.take(); len(got) != 0 {
				t.Errorf("after a restart, a later refusal of %s made the calls %q, want none", again, got)
			}
		}
	}
	if !slices.Equal(first[0], first[1]) {
		t.Errorf("after a restart, refusing the owner's email made the calls %q, a stranger's %q", first[0], first[1])
	}
}

// TestRegisteringOrRefusingWithClosedRegistrationDoesNothing: with
// ALLOW_REGISTRATION=false nothing is looked up or hashed, ever.
func TestRegisteringOrRefusingWithClosedRegistrationDoesNothing(t *testing.T) {
	t.Parallel()
	s := newTracedServer(t, t.TempDir(), application.RegistrationClosed)
	for _, email := range []string{ownerEmail, "guest@example.com"} {
		body := fmt.Sprintf(`{"email":%q,"password":"correct horse battery"}`, email)
		if status, _ := s.post(t, "/api/auth/register", "application/json", body); status != http.StatusForbidden {
			t.Errorf("sign-up of %s: %d, want 403", email, status)
		}
	}
	if got := s.calls.take(); len(got) != 0 {
		t.Errorf("closed sign-up made the calls %q, want none", got)
	}
}

// TestClosedSignUpIsRefusedBeforeThePasswordGate: once sign-up is closed
// (ALLOW_REGISTRATION=false, or the owner known to exist), a sign-up is
// refused 403 without waiting at the password gate: with the gate full,
// where a login gets 503, the API and the form still answer their usual
// refusal at once, and nothing is looked up or hashed.
func TestClosedSignUpIsRefusedBeforeThePasswordGate(t *testing.T) {
	t.Parallel()
	const creds = `{"email":"guest@example.com","password":"correct horse battery"}`
	for _, policy := range []application.RegistrationPolicy{application.RegistrationClosed, application.RegistrationOwnerOnly} {
		t.Run(policy.String(), func(t *testing.T) {
			t.Parallel()
			s := newTracedServer(t, t.TempDir(), policy)
			var want []byte // the refusal while the gate is free
			if policy == application.RegistrationOwnerOnly {
				if status, body := s.post(t, "/api/auth/register", "application/json", strings.Replace(creds, "guest", "owner", 1)); status != http.StatusCreated {
					t.Fatalf("owner sign-up: %d %s", status, body)
				}
			}
			status, want := s.post(t, "/api/auth/register", "application/json", creds)
			if status != http.StatusForbidden {
				t.Fatalf("sign-up with the gate free: %d %s, want 403", status, want)
			}
			ck, token := s.signedOutForm(t, "/login")
			s.calls.take()

			s.gate(0, 0) // no slot, no waiting place: whatever reaches the gate is a 503
			if status, body := s.post(t, "/api/auth/login", "application/json", creds); status != http.StatusServiceUnavailable {
				t.Fatalf("login with the gate full: %d %s, want 503 (the gate is not full)", status, body)
			}
			if status, body := s.post(t, "/api/auth/register", "application/json", creds); status != http.StatusForbidden || !bytes.Equal(body, want) {
				t.Errorf("API sign-up with the gate full: %d %s, want the 403 %s", status, body, want)
			}
			form := url.Values{"csrf_token": {token}, "email": {"guest@example.com"}, "password": {"correct horse battery"}}
			status, page := s.post(t, "/register", "application/x-www-form-urlencoded", form.Encode(), ck)
			if status != http.StatusForbidden || !bytes.Contains(page, []byte("registration is closed")) {
				t.Errorf("form sign-up with the gate full: %d %s, want 403 registration is closed", status, page)
			}
			if bytes.Contains(page, []byte("guest@example.com")) {
				t.Errorf("the refused form's page repeats the email:\n%s", page)
			}
			if got := s.calls.take(); len(got) != 0 {
				t.Errorf("refused sign-ups made the calls %q, want none", got)
			}
		})
	}
}
