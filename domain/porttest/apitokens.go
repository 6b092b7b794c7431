package porttest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// TestAPITokenRepository runs the APITokenRepository contract. newRepo
// must return a new, empty repository each time; it is called once per
// subtest.
//
// The suite pins saving and finding by hash with every field, ErrNotFound
// for an unknown hash, ErrConflict for a stored ID or hash, listing a
// user's tokens newest first (none is an empty list), revocation by the
// owner only, and TouchAPIToken moving LastUsedAt forward only and
// ignoring unknown tokens. Times are compared as the domain makes them:
// created_at to the microsecond, expires_at to the second.
func TestAPITokenRepository(t *testing.T, newRepo func(t *testing.T) domain.APITokenRepository) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, repo domain.APITokenRepository)
	}{
		{"saved token is found by hash with every field", testAPITokenRoundTrip},
		{"unknown hash is not found", testAPITokenNotFound},
		{"stored ID or hash is a conflict", testAPITokenConflict},
		{"APITokens lists the user's tokens newest first", testAPITokensList},
		{"DeleteAPIToken revokes the owner's token", testAPITokenDelete},
		{"DeleteAPIToken of another user's token is not found", testAPITokenDeleteOther},
		{"TouchAPIToken moves LastUsedAt forward only", testAPITokenTouch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newRepo(t))
		})
	}
}

func testAPITokenRoundTrip(t *testing.T, repo domain.APITokenRepository) {
	ctx := t.Context()
	user := domain.NewUserID()
	never := newAPIToken(t, user, "laptop script", time.Time{}, FixtureTime)
	expiring := newAPIToken(t, user, "phone — 電話", FixtureTime.Add(30*24*time.Hour+time.Second/3), FixtureTime.Add(time.Second))
	for _, tok := range []domain.APIToken{never, expiring} {
		mustSaveAPIToken(t, repo, tok)
	}
	// expiring expired long before the wall clock's now: an expired token
	// is found all the same (whether it signs in is APIToken.ActiveAt's
	// question).
	for _, want := range []domain.APIToken{never, expiring} {
		got, err := repo.APITokenByHash(ctx, want.Hash)
		if err != nil {
			t.Fatalf("APITokenByHash(%q): %v", want.Name, err)
		}
		checkAPIToken(t, "APITokenByHash", got, want)
	}
}

func testAPITokenNotFound(t *testing.T, repo domain.APITokenRepository) {
	mustSaveAPIToken(t, repo, newAPIToken(t, domain.NewUserID(), "stored", time.Time{}, FixtureTime))
	if _, err := repo.APITokenByHash(t.Context(), domain.HashAPIToken(domain.APITokenPrefix+"unknown")); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("APITokenByHash(unknown) error = %v, want ErrNotFound", err)
	}
}

func testAPITokenConflict(t *testing.T, repo domain.APITokenRepository) {
	ctx := t.Context()
	user := domain.NewUserID()
	stored := newAPIToken(t, user, "stored", time.Time{}, FixtureTime)
	mustSaveAPIToken(t, repo, stored)

	sameID := newAPIToken(t, user, "same ID", time.Time{}, FixtureTime)
	sameID.ID = stored.ID
	sameHash := newAPIToken(t, domain.NewUserID(), "same hash", time.Time{}, FixtureTime)
	sameHash.Hash = stored.Hash
	for name, tok := range map[string]domain.APIToken{"ID": sameID, "hash": sameHash} {
		if err := repo.SaveAPIToken(ctx, tok); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("SaveAPIToken with a stored %s: error = %v, want ErrConflict", name, err)
		}
	}
	got, err := repo.APITokenByHash(ctx, stored.Hash)
	if err != nil {
		t.Fatalf("APITokenByHash: %v", err)
	}
	checkAPIToken(t, "stored token after conflicts", got, stored)
	if _, err := repo.APITokenByHash(ctx, sameID.Hash); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("APITokenByHash(refused token) error = %v, want ErrNotFound", err)
	}
	list, err := repo.APITokens(ctx, user)
	if err != nil {
		t.Fatalf("APITokens: %v", err)
	}
	checkAPITokens(t, list, []domain.APIToken{stored})
}

func testAPITokensList(t *testing.T, repo domain.APITokenRepository) {
	ctx := t.Context()
	ann, bob := domain.NewUserID(), domain.NewUserID()
	list, err := repo.APITokens(ctx, ann)
	if err != nil {
		t.Fatalf("APITokens of a user without tokens: %v, want none and no error", err)
	}
	if len(list) != 0 {
		t.Errorf("APITokens of a user without tokens = %d tokens, want none", len(list))
	}
	// Saved out of creation order, interleaved with another user's.
	var annTokens []domain.APIToken
	for i, h := range []int{3, 1, 4, 0, 2} {
		created := FixtureTime.Add(time.Duration(h) * time.Hour)
		tok := newAPIToken(t, ann, fmt.Sprintf("token %d", i), time.Time{}, created)
		mustSaveAPIToken(t, repo, tok)
		mustSaveAPIToken(t, repo, newAPIToken(t, bob, fmt.Sprintf("bob's %d", i), time.Time{}, created))
		annTokens = append(annTokens, tok)
	}
	list, err = repo.APITokens(ctx, ann)
	if err != nil {
		t.Fatalf("APITokens: %v", err)
	}
	// Newest first: created 4, 3, 2, 1, 0 hours after FixtureTime.
	want := []domain.APIToken{annTokens[2], annTokens[0], annTokens[4], annTokens[1], annTokens[3]}
	checkAPITokens(t, list, want)
}

func testAPITokenDelete(t *testing.T, repo domain.APITokenRepository) {
	ctx := t.Context()
	user := domain.NewUserID()
	gone := newAPIToken(t, user, "old laptop", time.Time{}, FixtureTime)
	kept := newAPIToken(t, user, "new laptop", time.Time{}, FixtureTime.Add(time.Second))
	mustSaveAPIToken(t, repo, gone)
	mustSaveAPIToken(t, repo, kept)

	if err := repo.DeleteAPIToken(ctx, user, gone.ID); err != nil {
		t.Fatalf("DeleteAPIToken: %v", err)
	}
	if _, err := repo.APITokenByHash(ctx, gone.Hash); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("APITokenByHash(revoked) error = %v, want ErrNotFound", err)
	}
	if err := repo.DeleteAPIToken(ctx, user, gone.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("DeleteAPIToken(revoked again) error = %v, want ErrNotFound", err)
	}
	if err := repo.DeleteAPIToken(ctx, user, domain.NewAPITokenID()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("DeleteAPIToken(unknown) error = %v, want ErrNotFound", err)
	}
	list, err := repo.APITokens(ctx, user)
	if err != nil {
		t.Fatalf("APITokens: %v", err)
	}
	checkAPITokens(t, list, []domain.APIToken{kept})
}

func testAPITokenDeleteOther(t *testing.T, repo domain.APITokenRepository) {
	ctx := t.Context()
	owner := domain.NewUserID()
	tok := newAPIToken(t, owner, "mine", time.Time{}, FixtureTime)
	mustSaveAPIToken(t, repo, tok)
	if err := repo.DeleteAPIToken(ctx, domain.NewUserID(), tok.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("DeleteAPIToken by another user: error = %v, want ErrNotFound", err)
	}
	got, err := repo.APITokenByHash(ctx, tok.Hash)
	if err != nil {
		t.Fatalf("APITokenByHash after another user's DeleteAPIToken: %v, want the token still there", err)
	}
	checkAPIToken(t, "token after another user's DeleteAPIToken", got, tok)
}

func testAPITokenTouch(t *testing.T, repo domain.APITokenRepository) {
	ctx := t.Context()
	tok := newAPIToken(t, domain.NewUserID(), "ci", time.Time{}, FixtureTime)
	other := newAPIToken(t, domain.NewUserID(), "other", time.Time{}, FixtureTime)
	mustSaveAPIToken(t, repo, tok)
	mustSaveAPIToken(t, repo, other)

	used := FixtureTime.Add(time.Hour + 123456*time.Microsecond)
	steps := []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"first use", used, used},
		{"an older use does not move it back", used.Add(-time.Minute), used},
		{"the same use again", used, used},
		{"a later use moves it", used.Add(2 * time.Minute), used.Add(2 * time.Minute)},
	}
	for _, step := range steps {
		if err := repo.TouchAPIToken(ctx, tok.ID, step.at); err != nil {
			t.Fatalf("TouchAPIToken(%s): %v", step.name, err)
		}
		want := tok
		want.LastUsedAt = step.want
		got, err := repo.APITokenByHash(ctx, tok.Hash)
		if err != nil {
			t.Fatalf("APITokenByHash: %v", err)
		}
		checkAPIToken(t, "token after "+step.name, got, want)
	}
	if err := repo.TouchAPIToken(ctx, domain.NewAPITokenID(), used); err != nil {
		t.Errorf("TouchAPIToken(unknown) = %v, want nil", err)
	}
	got, err := repo.APITokenByHash(ctx, other.Hash)
	if err != nil {
		t.Fatalf("APITokenByHash(other): %v", err)
	}
	checkAPIToken(t, "untouched token", got, other)
}

// newAPIToken returns a token of user named name made at now, expiring at
// expiresAt (zero: never), as domain.NewAPIToken makes it; the token
// itself is dropped.
func newAPIToken(t testing.TB, user domain.UserID, name string, expiresAt, now time.Time) domain.APIToken {
	t.Helper()
	tok, _, err := domain.NewAPIToken(user, name, expiresAt, now)
	if err != nil {
		t.Fatalf("porttest: API token: %v", err)
	}
	return tok
}

func mustSaveAPIToken(t *testing.T, repo domain.APITokenRepository, tok domain.APIToken) {
	t.Helper()
	if err := repo.SaveAPIToken(t.Context(), tok); err != nil {
		t.Fatalf("SaveAPIToken(%q): %v", tok.Name, err)
	}
}

// checkAPIToken compares every field; times must be equal instants in UTC,
// and zero times zero.
func checkAPIToken(t *testing.T, what string, got, want domain.APIToken) {
	t.Helper()
	sameTime := func(a, b time.Time) bool { return a.IsZero() == b.IsZero() && a.Equal(b) }
	same := got.ID == want.ID && got.UserID == want.UserID && got.Name == want.Name && got.Prefix == want.Prefix &&
		got.Hash == want.Hash && sameTime(got.CreatedAt, want.CreatedAt) &&
		sameTime(got.LastUsedAt, want.LastUsedAt) && sameTime(got.ExpiresAt, want.ExpiresAt)
	if !same {
		t.Errorf("%s = %s, want %s", what, describeAPIToken(got), describeAPIToken(want))
	}
	for _, tm := range []time.Time{got.CreatedAt, got.LastUsedAt, got.ExpiresAt} {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Errorf("%s has a time in %v, want UTC", what, tm.Location())
		}
	}
}

// checkAPITokens compares lists by ID first, so a wrong order reads as
// such, then every field.
func checkAPITokens(t *testing.T, got, want []domain.APIToken) {
	t.Helper()
	names := func(ts []domain.APIToken) []string {
		out := make([]string, len(ts))
		for i, tok := range ts {
			out[i] = tok.Name
		}
		return out
	}
	if len(got) != len(want) {
		t.Errorf("APITokens = %q, want %q", names(got), names(want))
		return
	}
	for i := range want {
		if got[i].ID != want[i].ID {
			t.Errorf("APITokens = %q, want %q", names(got), names(want))
			return
		}
	}
	for i := range want {
		checkAPIToken(t, fmt.Sprintf("APITokens[%d]", i), got[i], want[i])
	}
}

func describeAPIToken(tok domain.APIToken) string {
	return fmt.Sprintf("{ID %v, UserID %v, Name %q, Prefix %q, Hash %x…, CreatedAt %s, LastUsedAt %s, ExpiresAt %s}",
		tok.ID, tok.UserID, tok.Name, tok.Prefix, tok.Hash[:4], tok.CreatedAt.Format(time.RFC3339Nano),
		tok.LastUsedAt.Format(time.RFC3339Nano), tok.ExpiresAt.Format(time.RFC3339Nano))
}
