package application

import (
	"context"
	"sync"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// DefaultCredentialTTL is how long CredentialCache trusts what it read:
// the longest a sign-out or a token revoked in another process goes
// unnoticed here.
const DefaultCredentialTTL = 500 * time.Millisecond

// maxCachedCredentials bounds each of CredentialCache's maps.
const maxCachedCredentials = 10_000

// CredentialCache keeps the accounts and API tokens that authenticate
// requests for a short time, so that an authenticated request costs no
// database round trip while the cache can answer. It wraps the two
// repositories and is used in their place; every other method passes
// through.
//
// It is revocation-safe: a sign-out (IncrementSessionGeneration) or a
// revocation (DeleteAPIToken) through the cache takes effect in this
// process at once, and one made by another process takes effect here
// within the TTL, after which the entry is read again. Entries not found
// are never cached, so a new account or token works at once.
type CredentialCache struct {
	users  domain.UserRepository
	tokens domain.APITokenRepository
	ttl    time.Duration
	now    func() time.Time

	mu         sync.Mutex
	userByID   map[domain.UserID]cached[domain.User]
	tokenByKey map[domain.APITokenHash]cached[domain.APIToken]
	// forgets counts invalidations: a read that an invalidation overtook
	// (the count changed while it ran) is returned but not cached, so a
	// sign-out or revocation is never undone by a read it raced.
	forgets uint64
}

// cached is a value read from a repository and when it stops being
// trusted.
type cached[V any] struct {
	value   V
	expires time.Time
}

var (
	_ domain.UserRepository     = (*CredentialCache)(nil)
	_ domain.APITokenRepository = (*CredentialCache)(nil)
)

// NewCredentialCache wraps users and tokens (neither may be nil). ttl is
// how long an entry is trusted; zero means DefaultCredentialTTL and a
// negative ttl turns caching off. A nil now means time.Now.
func NewCredentialCache(users domain.UserRepository, tokens domain.APITokenRepository, ttl time.Duration, now func() time.Time) (*CredentialCache, error) {
	if err := checkDependencies("CredentialCache",
		dependency{"users", users},
		dependency{"tokens", tokens},
	); err != nil {
		return nil, err
	}
	if ttl == 0 {
		ttl = DefaultCredentialTTL
	}
	if now == nil {
		now = time.Now
	}
	return &CredentialCache{
		users: users, tokens: tokens, ttl: ttl, now: now,
		userByID:   make(map[domain.UserID]cached[domain.User]),
		tokenByKey: make(map[domain.APITokenHash]cached[domain.APIToken]),
	}, nil
}

// UserByID returns the cached account while it is fresh, else reads it.
func (c *CredentialCache) UserByID(ctx context.Context, id domain.UserID) (domain.User, error) {
	return readThrough(c, c.userByID, id, func() (domain.User, error) { return c.users.UserByID(ctx, id) })
}

// readThrough returns m's fresh entry for key, else the value read by
// read, which it caches for the TTL unless reading failed, caching is off,
// or an invalidation ran meanwhile.
func readThrough[K comparable, V any](c *CredentialCache, m map[K]cached[V], key K, read func() (V, error)) (V, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := m[key]
	forgets := c.forgets
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.value, nil
	}
	v, err := read()
	if err != nil || c.ttl < 0 {
		return v, err
	}
	c.mu.Lock()
	if c.forgets == forgets {
		if len(m) >= maxCachedCredentials {
			evict(m, now)
		}
		m[key] = cached[V]{value: v, expires: now.Add(c.ttl)}
	}
	c.mu.Unlock()
	return v, nil
}

// IncrementSessionGeneration ends the account's sessions and forgets the
// cached account, so this process refuses its old tokens at once.
func (c *CredentialCache) IncrementSessionGeneration(ctx context.Context, id domain.UserID) (uint64, error) {
	c.forget(func() { delete(c.userByID, id) })
	gen, err := c.users.IncrementSessionGeneration(ctx, id)
	c.forget(func() { delete(c.userByID, id) })
	return gen, err
}

// UpdateProfile changes the profile and forgets the cached account, so
// this process shows the new name and privacy at once.
func (c *CredentialCache) UpdateProfile(ctx context.Context, id domain.UserID, p domain.ProfileUpdate) (domain.User, error) {
	c.forget(func() { delete(c.userByID, id) })
	u, err := c.users.UpdateProfile(ctx, id, p)
	c.forget(func() { delete(c.userByID, id) })
	return u, err
}

// UsersByID passes through: it serves pages (a diary page's authors),
// whose own cache decides how long an answer lives.
func (c *CredentialCache) UsersByID(ctx context.Context, ids []domain.UserID) ([]domain.User, error) {
	return c.users.UsersByID(ctx, ids)
}

// UserByEmail passes through.
func (c *CredentialCache) UserByEmail(ctx context.Context, email domain.Email) (domain.User, error) {
	return c.users.UserByEmail(ctx, email)
}

// SaveUser passes through.
func (c *CredentialCache) SaveUser(ctx context.Context, u domain.User) error {
	return c.users.SaveUser(ctx, u)
}

// Owner passes through.
func (c *CredentialCache) Owner(ctx context.Context) (domain.User, error) {
	return c.users.Owner(ctx)
}

// SaveFirstUser passes through.
func (c *CredentialCache) SaveFirstUser(ctx context.Context, u domain.User) error {
	return c.users.SaveFirstUser(ctx, u)
}

// APITokenByHash returns the cached token while it is fresh, else reads it.
func (c *CredentialCache) APITokenByHash(ctx context.Context, hash domain.APITokenHash) (domain.APIToken, error) {
	return readThrough(c, c.tokenByKey, hash, func() (domain.APIToken, error) { return c.tokens.APITokenByHash(ctx, hash) })
}

// DeleteAPIToken revokes the token and forgets it, so this process refuses
// it at once.
func (c *CredentialCache) DeleteAPIToken(ctx context.Context, user domain.UserID, id domain.APITokenID) error {
	drop := func() {
		for hash, e := range c.tokenByKey {
			if e.value.ID == id {
				delete(c.tokenByKey, hash)
			}
		}
	}
	c.forget(drop)
	err := c.tokens.DeleteAPIToken(ctx, user, id)
	c.forget(drop)
	return err
}

// TouchAPIToken records the use and updates the cached copy, so the use
// is not recorded again before domain.LastUseGranularity has passed.
func (c *CredentialCache) TouchAPIToken(ctx context.Context, id domain.APITokenID, at time.Time) error {
	if err := c.tokens.TouchAPIToken(ctx, id, at); err != nil {
		return err
	}
	c.mu.Lock()
	for hash, e := range c.tokenByKey {
		if e.value.ID == id && e.value.LastUsedAt.Before(at) {
			e.value.LastUsedAt = at
			c.tokenByKey[hash] = e
		}
	}
	c.mu.Unlock()
	return nil
}

// SaveAPIToken passes through.
func (c *CredentialCache) SaveAPIToken(ctx context.Context, t domain.APIToken) error {
	return c.tokens.SaveAPIToken(ctx, t)
}

// APITokens passes through.
func (c *CredentialCache) APITokens(ctx context.Context, user domain.UserID) ([]domain.APIToken, error) {
	return c.tokens.APITokens(ctx, user)
}

// forget runs drop under the lock and counts an invalidation. Invalidations
// run it before and after the repository call: before, so that no read
// started later caches what is being changed; after, so that no read that
// overlapped the change caches what it read.
func (c *CredentialCache) forget(drop func()) {
	c.mu.Lock()
	c.forgets++
	drop()
	c.mu.Unlock()
}

// evict makes room in a full map: it drops the expired entries, and when
// that freed less than a tenth of it, arbitrary entries up to that tenth,
// so that a map full of live entries is not scanned on every miss.
func evict[K comparable, V any](m map[K]cached[V], now time.Time) {
	for k, e := range m {
		if !now.Before(e.expires) {
			delete(m, k)
		}
	}
	for k := range m {
		if len(m) <= maxCachedCredentials*9/10 {
			return
		}
		delete(m, k)
	}
}
