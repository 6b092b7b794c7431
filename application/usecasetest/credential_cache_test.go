package application_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: fixedNow} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// cacheTTL is the TTL of the caches under test.
const cacheTTL = time.Second

type cacheHarness struct {
	users  *mock.MockUserRepository
	tokens *mock.MockAPITokenRepository
	clock  *fakeClock
	cache  *application.CredentialCache

	user  domain.User
	token domain.APIToken
}

func newCacheHarness(t *testing.T, ttl time.Duration) *cacheHarness {
	t.Helper()
	ctrl := gomock.NewController(t)
	h := &cacheHarness{
		users:  mock.NewMockUserRepository(ctrl),
		tokens: mock.NewMockAPITokenRepository(ctrl),
		clock:  newFakeClock(),
		user:   authUser(),
	}
	h.token, _ = must2(domain.NewAPIToken(h.user.ID, "script", time.Time{}, fixedNow.Add(-time.Hour)))
	h.cache = must(application.NewCredentialCache(h.users, h.tokens, ttl, h.clock.Now))
	return h
}

// userByID reads the user through the cache, failing the test on an error.
func (h *cacheHarness) userByID(t *testing.T) domain.User {
	t.Helper()
	u, err := h.cache.UserByID(t.Context(), h.user.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	return u
}

// tokenByHash reads the token through the cache.
func (h *cacheHarness) tokenByHash(t *testing.T) (domain.APIToken, error) {
	t.Helper()
	return h.cache.APITokenByHash(t.Context(), h.token.Hash)
}

func TestCredentialCacheKeepsAUserForItsTTL(t *testing.T) {
	t.Parallel()
	h := newCacheHarness(t, cacheTTL)
	h.users.EXPECT().UserByID(gomock.Any(), h.user.ID).Times(1).Return(h.user, nil)
	if u := h.userByID(t); u != h.user {
		t.Fatalf("got %+v, want the user", u)
	}
	h.clock.Advance(cacheTTL - time.Nanosecond)
	if u := h.userByID(t); u != h.user {
		t.Fatalf("cached %+v, want the user", u)
	}

	// At the TTL the entry is read again.
	h.clock.Advance(time.Nanosecond)
	updated := h.user
	updated.SessionGeneration++
	h.users.EXPECT().UserByID(gomock.Any(), h.user.ID).Times(1).Return(updated, nil)
	if u := h.userByID(t); u != updated {
		t.Errorf("after the TTL got %+v, want the account as stored now", u)
	}
}

func TestCredentialCacheKeepsATokenForItsTTL(t *testing.T) {
	t.Parallel()
	h := newCacheHarness(t, cacheTTL)
	h.tokens.EXPECT().APITokenByHash(gomock.Any(), h.token.Hash).Times(1).Return(h.token, nil)
	for range 3 {
		if got, err := h.tokenByHash(t); err != nil || got != h.token {
			t.Fatalf("got (%+v, %v), want the token", got, err)
		}
	}
	h.clock.Advance(cacheTTL)
	h.tokens.EXPECT().APITokenByHash(gomock.Any(), h.token.Hash).Times(1).Return(domain.APIToken{}, errNoRow)
	_, err := h.tokenByHash(t)
	requireKind(t, err, domain.ErrNotFound) // revoked by another process: noticed after the TTL
}

func TestCredentialCacheZeroTTLIsTheDefault(t *testing.T) {
	t.Parallel()
	h := newCacheHarness(t, 0)
	h.users.EXPECT().UserByID(gomock.Any(), h.user.ID).Times(1).Return(h.user, nil)
	h.userByID(t)
	h.clock.Advance(application.DefaultCredentialTTL - time.Nanosecond)
	h.userByID(t)
	h.clock.Advance(time.Nanosecond)
	h.users.EXPECT().UserByID(gomock.Any(), h.user.ID).Times(1).Return(h.user, nil)
	h.userByID(t)
}

func TestCredentialCacheWithANegativeTTLAlwaysReadsThrough(t *testing.T) {
	t.Parallel()
	h := newCacheHarness(t, -1)
	h.users.EXPECT().UserByID(gomock.Any(), h.user.ID).Times(3).Return(h.user, nil)
	h.tokens.EXPECT().APITokenByHash(gomock.Any(), h.token.Hash).Times(3).Return(h.token, nil)
	for range 3 {
		h.userByID(t)
		if _, err := h.tokenByHash(t); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCredentialCacheSignOutForgetsTheUser(t *testing.T) {
	t.Parallel()
	h := newCacheHarness(t, cacheTTL)
	signedOut := h.user
	signedOut.SessionGeneration++
	gomock.InOrder(
		h.users.EXPECT().UserByID(gomock.Any(), h.user.ID).Return(h.user, nil),
		h.users.EXPECT().IncrementSessionGeneration(gomock.Any(), h.user.ID).Return(signedOut.SessionGeneration, nil),
		h.users.EXPECT().UserByID(gomock.Any(), h.user.ID).Return(signedOut, nil),
	)
	h.userByID(t)
	gen, err := h.cache.IncrementSessionGeneration(t.Context(), h.user.ID)
	if err != nil || gen != signedOut.SessionGeneration {
		t.Fatalf("IncrementSessionGeneration = (%d, %v), want (%d, nil)", gen, err, signedOut.SessionGeneration)
	}
	if u := h.userByID(t); u.SessionGeneration != signedOut.SessionGeneration {
		t.Errorf("after sign-out the cache gave generation %d, want %d", u.SessionGeneration, signedOut.SessionGeneration)
	}
}

func TestCredentialCacheRevocationForgetsTheToken(t *testing.T) {
	t.Parallel()
	h := newCacheHarness(t, cacheTTL)
	gomock.InOrder(
		h.tokens.EXPECT().APITokenByHash(gomock.Any(), h.token.Hash).Return(h.token, nil),
		h.tokens.EXPECT().DeleteAPIToken(gomock.Any(), h.user.ID, h.token.ID).Return(nil),
		h.tokens.EXPECT().APITokenByHash(gomock.Any(), h.token.Hash).Return(domain.APIToken{}, errNoRow),
	)
	if _, err := h.tokenByHash(t); err != nil {
		t.Fatal(err)
	}
	if err := h.cache.DeleteAPIToken(t.Context(), h.user.ID, h.token.ID); err != nil {
		t.Fatalf("DeleteAPIToken: %v", err)
	}
	_, err := h.tokenByHash(t)
	requireKind(t, err, domain.ErrNotFound)
}

func TestCredentialCacheRevocationKeepsOtherTokens(t *testing.T) {
	t.Parallel()
	h := newCacheHarness(t, cacheTTL)
	other, _ := must2(domain.NewAPIToken(h.user.ID, "other", time.Time{}, fixedNow))
	h.tokens.EXPECT().APITokenByHash(gomock.Any(), h.token.Hash).Return(h.token, nil)
	h.tokens.EXPECT().APITokenByHash(gomock.Any(), other.Hash).Times(1).Return(other, nil)
	h.tokens.EXPECT().DeleteAPIToken(gomock.Any(), h.user.ID, h.token.ID).Return(nil)
	_ = must(h.tokenByHash(t))
	_ = must(h.cache.APITokenByHash(t.Context(), other.Hash))
	if err := h.cache.DeleteAPIToken(t.Context(), h.user.ID, h.token.ID); err != nil {
		t.Fatal(err)
	}
	if got := must(h.cache.APITokenByHash(t.Context(), other.Hash)); got != other {
		t.Errorf("got %+v, want the other token, still cached", got)
	}
}

func TestCredentialCacheDoesNotCacheFailures(t *testing.T) {
	t.Parallel()
	for _, readErr := range []error{errNoRow, errDB} {
		t.Run(fmt.Sprint(readErr), func(t *testing.T) {
			t.Parallel()
			h := newCacheHarness(t, cacheTTL)
			gomock.InOrder(
				h.users.EXPECT().UserByID(gomock.Any(), h.user.ID).Return(domain.User{}, readErr),
				h.users.EXPECT().UserByID(gomock.Any(), h.user.ID).Return(h.user, nil),
			)
			gomock.InOrder(
				h.tokens.EXPECT().APITokenByHash(gomock.Any(), h.token.Hash).Return(domain.APIToken{}, readErr),
				h.tokens.EXPECT().APITokenByHash(gomock.Any(), h.token.Hash).Return(h.token, nil),
			)
			_, err := h.cache.UserByID(t.Context(), h.user.ID)
			requireKind(t, err, readErr)
			if u := h.userByID(t); u != h.user { // a new account works at once
				t.Errorf("got %+v, want the user", u)
			}
			_, err = h.tokenByHash(t)
			requireKind(t, err, readErr)
			if got, err := h.tokenByHash(t); err != nil || got != h.token { // a new token works at once
				t.Errorf("got (%+v, %v), want the token", got, err)
			}
		})
	}
}

func TestCredentialCacheTouchUpdatesTheCachedToken(t *testing.T) {
	t.Parallel()
	h := newCacheHarness(t, cacheTTL)
	at := fixedNow.Add(time.Second)
	h.tokens.EXPECT().APITokenByHash(gomock.Any(), h.token.Hash).Times(1).Return(h.token, nil)
	gomock.InOrder(
		h.tokens.EXPECT().TouchAPIToken(gomock.Any(), h.token.ID, at).Return(nil),
		h.tokens.EXPECT().TouchAPIToken(gomock.Any(), h.token.ID, at.Add(-time.Minute)).Return(nil),
		h.tokens.EXPECT().TouchAPIToken(gomock.Any(), h.token.ID, at.Add(time.Hour)).Return(errDB),
	)
	_ = must(h.tokenByHash(t))
	if err := h.cache.TouchAPIToken(t.Context(), h.token.ID, at); err != nil {
		t.Fatalf("TouchAPIToken: %v", err)
	}
	if got := must(h.tokenByHash(t)); !got.LastUsedAt.Equal(at) {
		t.Errorf("cached LastUsedAt = %v, want %v", got.LastUsedAt, at)
	}
	// An earlier use does not move it back.
	if err := h.cache.TouchAPIToken(t.Context(), h.token.ID, at.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := must(h.tokenByHash(t)); !got.LastUsedAt.Equal(at) {
		t.Errorf("cached LastUsedAt = %v after an earlier use, want %v", got.LastUsedAt, at)
	}
	// A use that was not recorded is not cached either.
	err := h.cache.TouchAPIToken(t.Context(), h.token.ID, at.Add(time.Hour))
	requireKind(t, err, domain.ErrInfrastructure)
	if got := must(h.tokenByHash(t)); !got.LastUsedAt.Equal(at) {
		t.Errorf("cached LastUsedAt = %v after a failed touch, want %v", got.LastUsedAt, at)
	}
}

// With the cache in front, Authenticate records a token's use once per
// minute, not on every request.
func TestCredentialCacheWithAuthenticateTouchesOncePerMinute(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	auth, users, tokens := mock.NewMockAuthService(ctrl), mock.NewMockUserRepository(ctrl), mock.NewMockAPITokenRepository(ctrl)
	clk := newFakeClock()
	user := authUser()
	token, secret := must2(domain.NewAPIToken(user.ID, "script", time.Time{}, fixedNow.Add(-time.Hour)))
	cache := must(application.NewCredentialCache(users, tokens, time.Hour, clk.Now))
	uc := must(application.NewAuthenticate(auth, cache, cache, nil, clk.Now))

	users.EXPECT().UserByID(gomock.Any(), user.ID).Times(1).Return(user, nil)
	tokens.EXPECT().APITokenByHash(gomock.Any(), token.Hash).Times(1).Return(token, nil)
	gomock.InOrder(
		tokens.EXPECT().TouchAPIToken(gomock.Any(), token.ID, fixedNow).Return(nil),
		tokens.EXPECT().TouchAPIToken(gomock.Any(), token.ID, fixedNow.Add(domain.LastUseGranularity+time.Second)).Return(nil),
	)
	for range 3 {
		if _, err := uc.Handle(t.Context(), secret); err != nil {
			t.Fatal(err)
		}
		clk.Advance(20 * time.Second)
	}
	clk.Advance(domain.LastUseGranularity + time.Second - 60*time.Second)
	if _, err := uc.Handle(t.Context(), secret); err != nil {
		t.Fatal(err)
	}
}

func TestCredentialCachePassesTheRestThrough(t *testing.T) {
	t.Parallel()
	h := newCacheHarness(t, cacheTTL)
	ctx := t.Context()
	h.users.EXPECT().UserByEmail(gomock.Any(), h.user.Email).Times(2).Return(h.user, nil)
	h.users.EXPECT().SaveUser(gomock.Any(), h.user).Return(nil)
	h.users.EXPECT().SaveFirstUser(gomock.Any(), h.user).Return(fmt.Errorf("repo: %w", domain.ErrForbidden))
	h.tokens.EXPECT().SaveAPIToken(gomock.Any(), h.token).Return(nil)
	h.tokens.EXPECT().APITokens(gomock.Any(), h.user.ID).Times(2).Return([]domain.APIToken{h.token}, nil)
	for range 2 {
		if u, err := h.cache.UserByEmail(ctx, h.user.Email); err != nil || u != h.user {
			t.Errorf("UserByEmail = (%+v, %v)", u, err)
		}
		if ts, err := h.cache.APITokens(ctx, h.user.ID); err != nil || len(ts) != 1 || ts[0] != h.token {
			t.Errorf("APITokens = (%v, %v)", ts, err)
		}
	}
	if err := h.cache.SaveUser(ctx, h.user); err != nil {
		t.Errorf("SaveUser: %v", err)
	}
	requireKind(t, h.cache.SaveFirstUser(ctx, h.user), domain.ErrForbidden)
	if err := h.cache.SaveAPIToken(ctx, h.token); err != nil {
		t.Errorf("SaveAPIToken: %v", err)
	}
}

// countingUsers makes users answer UserByID for any ID, counting the calls.
func countingUsers(users *mock.MockUserRepository) *atomic.Int64 {
	var n atomic.Int64
	users.EXPECT().UserByID(gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, id domain.UserID) (domain.User, error) {
			n.Add(1)
			u := authUser()
			u.ID = id
			return u, nil
		})
	return &n
}

// cacheBound is how many accounts CredentialCache holds at most
// (maxCachedCredentials, unexported). Making room scans the whole map, so
// these tests stay just above the bound to stay fast.
const cacheBound = 10_000

func TestCredentialCacheIsBounded(t *testing.T) {
	t.Parallel()
	h := newCacheHarness(t, time.Hour)
	calls := countingUsers(h.users)
	ids := make([]domain.UserID, cacheBound+50)
	for i := range ids {
		ids[i] = domain.NewUserID()
		_ = must(h.cache.UserByID(t.Context(), ids[i]))
	}
	before := calls.Load()
	for _, id := range ids {
		_ = must(h.cache.UserByID(t.Context(), id))
	}
	if calls.Load() == before {
		t.Errorf("all %d accounts were still cached: the cache is not bounded", len(ids))
	}
}

func TestCredentialCacheEvictsExpiredEntriesFirst(t *testing.T) {
	t.Parallel()
	h := newCacheHarness(t, cacheTTL)
	calls := countingUsers(h.users)
	for range cacheBound {
		_ = must(h.cache.UserByID(t.Context(), domain.NewUserID()))
	}
	h.clock.Advance(2 * cacheTTL) // every entry has expired
	fresh := make([]domain.UserID, cacheBound/2)
	for i := range fresh {
		fresh[i] = domain.NewUserID()
		_ = must(h.cache.UserByID(t.Context(), fresh[i]))
	}
	before := calls.Load()
	for _, id := range fresh {
		_ = must(h.cache.UserByID(t.Context(), id))
	}
	if n := calls.Load() - before; n != 0 {
		t.Errorf("%d of %d fresh accounts were evicted while expired ones were kept", n, len(fresh))
	}
}

// Reads, sign-outs, revocations and touches from many goroutines at once:
// run with -race.
func TestCredentialCacheIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	h := newCacheHarness(t, cacheTTL)
	h.users.EXPECT().UserByID(gomock.Any(), h.user.ID).AnyTimes().Return(h.user, nil)
	h.users.EXPECT().IncrementSessionGeneration(gomock.Any(), h.user.ID).AnyTimes().Return(uint64(3), nil)
	h.tokens.EXPECT().APITokenByHash(gomock.Any(), h.token.Hash).AnyTimes().Return(h.token, nil)
	h.tokens.EXPECT().DeleteAPIToken(gomock.Any(), h.user.ID, h.token.ID).AnyTimes().Return(nil)
	h.tokens.EXPECT().TouchAPIToken(gomock.Any(), h.token.ID, gomock.Any()).AnyTimes().Return(nil)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ctx := context.Background()
			for j := range 200 {
				switch (i + j) % 5 {
				case 0:
					_, _ = h.cache.UserByID(ctx, h.user.ID)
				case 1:
					_, _ = h.cache.IncrementSessionGeneration(ctx, h.user.ID)
				case 2:
					_, _ = h.cache.APITokenByHash(ctx, h.token.Hash)
				case 3:
					_ = h.cache.DeleteAPIToken(ctx, h.user.ID, h.token.ID)
				case 4:
					_ = h.cache.TouchAPIToken(ctx, h.token.ID, fixedNow.Add(time.Duration(j)*time.Second))
					h.clock.Advance(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
}

// A sign-out that happens while the account is being read (another
// request authenticating at that moment) must not leave the account as it
// was before the sign-out in the cache: the sign-out takes effect in this
// process at once.
func TestCredentialCacheDoesNotKeepAReadThatRacedASignOut(t *testing.T) {
	t.Parallel()
	h := newCacheHarness(t, cacheTTL)
	signedOut := h.user
	signedOut.SessionGeneration++
	gomock.InOrder(
		h.users.EXPECT().UserByID(gomock.Any(), h.user.ID).DoAndReturn(
			func(ctx context.Context, id domain.UserID) (domain.User, error) {
				// The row was read; before the cache stores it, the user
				// signs out through the same cache.
				if _, err := h.cache.IncrementSessionGeneration(ctx, id); err != nil {
					t.Error(err)
				}
				return h.user, nil
			}),
		h.users.EXPECT().IncrementSessionGeneration(gomock.Any(), h.user.ID).Return(signedOut.SessionGeneration, nil),
	)
	h.users.EXPECT().UserByID(gomock.Any(), h.user.ID).AnyTimes().Return(signedOut, nil)
	h.userByID(t)
	if u := h.userByID(t); u.SessionGeneration != signedOut.SessionGeneration {
		t.Errorf("after the sign-out the cache still gives generation %d (want %d) until its TTL ends", u.SessionGeneration, signedOut.SessionGeneration)
	}
}

// Likewise a revocation while the token is being read.
func TestCredentialCacheDoesNotKeepAReadThatRacedARevocation(t *testing.T) {
	t.Parallel()
	h := newCacheHarness(t, cacheTTL)
	gomock.InOrder(
		h.tokens.EXPECT().APITokenByHash(gomock.Any(), h.token.Hash).DoAndReturn(
			func(ctx context.Context, hash domain.APITokenHash) (domain.APIToken, error) {
				if err := h.cache.DeleteAPIToken(ctx, h.user.ID, h.token.ID); err != nil {
					t.Error(err)
				}
				return h.token, nil
			}),
		h.tokens.EXPECT().DeleteAPIToken(gomock.Any(), h.user.ID, h.token.ID).Return(nil),
	)
	h.tokens.EXPECT().APITokenByHash(gomock.Any(), h.token.Hash).AnyTimes().Return(domain.APIToken{}, errNoRow)
	_, _ = h.tokenByHash(t)
	if got, err := h.tokenByHash(t); err == nil {
		t.Errorf("after the revocation the cache still gives the token %v until its TTL ends", got.ID)
	}
}

func TestNewCredentialCacheRejectsMissingRepositories(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	if _, err := application.NewCredentialCache(nil, mock.NewMockAPITokenRepository(ctrl), 0, nil); err == nil {
		t.Error("nil users accepted")
	}
	if _, err := application.NewCredentialCache(mock.NewMockUserRepository(ctrl), nil, 0, nil); err == nil {
		t.Error("nil tokens accepted")
	}
	_, err := application.NewCredentialCache(nil, nil, 0, nil)
	requireKind(t, err, application.ErrMissingDependency)
}
