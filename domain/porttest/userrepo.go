package porttest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// TestUserRepository runs the UserRepository contract. newRepo must return
// a new, empty repository each time; it is called once per subtest.
//
// The suite pins lookups by email (ignoring case), by ID and by a list of
// IDs (unknown ones left out, each user once), the round trip
// of every field, ErrConflict for a taken email, ErrNotFound for unknown
// users, that SaveFirstUser stores only the very first account, also
// when many try at once, and that IncrementSessionGeneration counts one
// account's generation up by one per call, stores it, and gives concurrent
// callers distinct values; and that Owner is ErrNotFound before any
// account and the first account after.
func TestUserRepository(t *testing.T, newRepo func(t *testing.T) domain.UserRepository) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, repo domain.UserRepository)
	}{
		{"unknown user is not found", testUserNotFound},
		{"saved user is found by email and ID with every field", testUserRoundTrip},
		{"UsersByID returns the known users once each", testUsersByID},
		{"email lookup ignores the case it was typed in", testUserEmailCase},
		{"taken email is a conflict", testUserDuplicateEmail},
		{"SaveFirstUser stores the first user only", testSaveFirstUser},
		{"SaveFirstUser after SaveUser is forbidden", testSaveFirstUserAfterSaveUser},
		{"SaveFirstUser from many goroutines stores exactly one", testSaveFirstUserConcurrent},
		{"IncrementSessionGeneration counts up one account and stores it", testIncrementSessionGeneration},
		{"IncrementSessionGeneration of an unknown user is not found", testIncrementSessionGenerationUnknown},
		{"IncrementSessionGeneration from many goroutines gives each its own value", testIncrementSessionGenerationConcurrent},
		{"Owner is the first account", testOwner},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newRepo(t))
		})
	}
}

func testUserNotFound(t *testing.T, repo domain.UserRepository) {
	ctx := t.Context()
	mustSaveUser(t, repo, NewUser(t, "someone@example.com"))
	if _, err := repo.UserByEmail(ctx, domain.MustParseEmail("nobody@example.com")); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("UserByEmail(unknown) error = %v, want ErrNotFound", err)
	}
	if _, err := repo.UserByID(ctx, domain.NewUserID()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("UserByID(unknown) error = %v, want ErrNotFound", err)
	}
}

func testUserRoundTrip(t *testing.T, repo domain.UserRepository) {
	ctx := t.Context()
	users := []domain.User{NewUser(t, "ann@example.com"), NewUser(t, "bob@example.org")}
	users[1].PasswordHash = mustPasswordHash(t, "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0$b3RoZXJoYXNo")
	users[1].CreatedAt = FixtureTime.Add(1234567 * time.Microsecond)
	users[1].SessionGeneration = 7
	for _, u := range users {
		mustSaveUser(t, repo, u)
	}
	for _, u := range users {
		byEmail, err := repo.UserByEmail(ctx, u.Email)
		if err != nil {
			t.Fatalf("UserByEmail(%v): %v", u.Email, err)
		}
		checkUser(t, "UserByEmail", byEmail, u)
		byID, err := repo.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatalf("UserByID(%v): %v", u.ID, err)
		}
		checkUser(t, "UserByID", byID, u)
	}
}

func testUsersByID(t *testing.T, repo domain.UserRepository) {
	ctx := t.Context()
	users := []domain.User{NewUser(t, "ann@example.com"), NewUser(t, "bob@example.org"), NewUser(t, "cy@example.net")}
	users[1].SessionGeneration = 3
	for _, u := range users {
		mustSaveUser(t, repo, u)
	}
	unknown := domain.NewUserID()
	for _, tc := range []struct {
		name string
		ids  []domain.UserID
		want []domain.User
	}{
		{"none asked", nil, nil},
		{"one", []domain.UserID{users[1].ID}, []domain.User{users[1]}},
		{"unknown and repeated IDs", []domain.UserID{users[2].ID, unknown, users[0].ID, users[2].ID}, []domain.User{users[0], users[2]}},
		{"only unknown", []domain.UserID{unknown}, nil},
	} {
		got, err := repo.UsersByID(ctx, tc.ids)
		if err != nil {
			t.Fatalf("%s: UsersByID: %v", tc.name, err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: UsersByID returned %d users, want %d: %v", tc.name, len(got), len(tc.want), got)
		}
		byID := make(map[domain.UserID]domain.User, len(got))
		for _, u := range got {
			byID[u.ID] = u
		}
		for _, want := range tc.want {
			u, ok := byID[want.ID]
			if !ok {
				t.Fatalf("%s: UsersByID left out %s", tc.name, want.ID)
			}
			checkUser(t, tc.name+": UsersByID", u, want)
		}
	}
}

func testUserEmailCase(t *testing.T, repo domain.UserRepository) {
	u := NewUser(t, "Ann@Example.COM")
	mustSaveUser(t, repo, u)
	for _, typed := range []string{"ann@example.com", "ANN@EXAMPLE.COM", "aNn@eXample.com"} {
		got, err := repo.UserByEmail(t.Context(), domain.MustParseEmail(typed))
		if err != nil {
			t.Errorf("UserByEmail(%q): %v", typed, err)
			continue
		}
		checkUser(t, fmt.Sprintf("UserByEmail(%q)", typed), got, u)
	}
}

func testUserDuplicateEmail(t *testing.T, repo domain.UserRepository) {
	ctx := t.Context()
	first := NewUser(t, "owner@example.com")
	mustSaveUser(t, repo, first)
	for _, email := range []string{"owner@example.com", "OWNER@example.com"} {
		if err := repo.SaveUser(ctx, NewUser(t, email)); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("SaveUser(%q) with the email taken: error = %v, want ErrConflict", email, err)
		}
	}
	got, err := repo.UserByEmail(ctx, first.Email)
	if err != nil {
		t.Fatalf("UserByEmail: %v", err)
	}
	checkUser(t, "UserByEmail after conflicts", got, first)
}

func testSaveFirstUser(t *testing.T, repo domain.UserRepository) {
	ctx := t.Context()
	owner := NewUser(t, "owner@example.com")
	if err := repo.SaveFirstUser(ctx, owner); err != nil {
		t.Fatalf("SaveFirstUser on an empty repository: %v", err)
	}
	got, err := repo.UserByID(ctx, owner.ID)
	if err != nil {
		t.Fatalf("UserByID(owner): %v", err)
	}
	checkUser(t, "owner", got, owner)

	second := NewUser(t, "second@example.com")
	if err := repo.SaveFirstUser(ctx, second); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("second SaveFirstUser error = %v, want ErrForbidden", err)
	}
	if _, err := repo.UserByID(ctx, second.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("UserByID(refused user) error = %v, want ErrNotFound", err)
	}
}

func testSaveFirstUserAfterSaveUser(t *testing.T, repo domain.UserRepository) {
	mustSaveUser(t, repo, NewUser(t, "added@example.com"))
	if err := repo.SaveFirstUser(t.Context(), NewUser(t, "late@example.com")); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("SaveFirstUser with a user stored: error = %v, want ErrForbidden", err)
	}
}

func testSaveFirstUserConcurrent(t *testing.T, repo domain.UserRepository) {
	ctx := t.Context()
	const n = 8
	users := make([]domain.User, n)
	for i := range users {
		users[i] = NewUser(t, fmt.Sprintf("racer%d@example.com", i))
	}
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = repo.SaveFirstUser(ctx, users[i])
		})
	}
	close(start)
	wg.Wait()

	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, domain.ErrForbidden):
			t.Errorf("SaveFirstUser #%d error = %v, want nil or ErrForbidden", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d SaveFirstUser calls succeeded, want exactly 1", won)
	}
	stored := 0
	for _, u := range users {
		if _, err := repo.UserByID(ctx, u.ID); err == nil {
			stored++
		} else if !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("UserByID: %v", err)
		}
	}
	if stored != 1 {
		t.Errorf("%d users are stored, want exactly 1", stored)
	}
}

func testIncrementSessionGeneration(t *testing.T, repo domain.UserRepository) {
	ctx := t.Context()
	ann, bob := NewUser(t, "ann@example.com"), NewUser(t, "bob@example.com")
	mustSaveUser(t, repo, ann)
	mustSaveUser(t, repo, bob)
	if got, err := repo.UserByID(ctx, ann.ID); err != nil || got.SessionGeneration != 0 {
		t.Fatalf("a new user's SessionGeneration = %d (%v), want 0", got.SessionGeneration, err)
	}
	for want := uint64(1); want <= 3; want++ {
		got, err := repo.IncrementSessionGeneration(ctx, ann.ID)
		if err != nil {
			t.Fatalf("IncrementSessionGeneration: %v", err)
		}
		if got != want {
			t.Errorf("IncrementSessionGeneration = %d, want %d", got, want)
		}
	}
	ann.SessionGeneration = 3
	byID, err := repo.UserByID(ctx, ann.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	checkUser(t, "UserByID after three increments", byID, ann)
	byEmail, err := repo.UserByEmail(ctx, ann.Email)
	if err != nil {
		t.Fatalf("UserByEmail: %v", err)
	}
	checkUser(t, "UserByEmail after three increments", byEmail, ann)
	other, err := repo.UserByID(ctx, bob.ID)
	if err != nil {
		t.Fatalf("UserByID(other): %v", err)
	}
	checkUser(t, "another account", other, bob)
}

func testIncrementSessionGenerationUnknown(t *testing.T, repo domain.UserRepository) {
	mustSaveUser(t, repo, NewUser(t, "someone@example.com"))
	if _, err := repo.IncrementSessionGeneration(t.Context(), domain.NewUserID()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("IncrementSessionGeneration(unknown) error = %v, want ErrNotFound", err)
	}
}

func testIncrementSessionGenerationConcurrent(t *testing.T, repo domain.UserRepository) {
	ctx := t.Context()
	u := NewUser(t, "busy@example.com")
	mustSaveUser(t, repo, u)
	const n = 16
	got := make([]uint64, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			got[i], errs[i] = repo.IncrementSessionGeneration(ctx, u.ID)
		})
	}
	close(start)
	wg.Wait()
	seen := map[uint64]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("IncrementSessionGeneration #%d: %v", i, err)
		}
		if got[i] < 1 || got[i] > n || seen[got[i]] {
			t.Errorf("IncrementSessionGeneration values = %v, want each of 1..%d once", got, n)
			break
		}
		seen[got[i]] = true
	}
	stored, err := repo.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	if stored.SessionGeneration != n {
		t.Errorf("SessionGeneration after %d concurrent increments = %d", n, stored.SessionGeneration)
	}
}

func mustSaveUser(t *testing.T, repo domain.UserRepository, u domain.User) {
	t.Helper()
	if err := repo.SaveUser(t.Context(), u); err != nil {
		t.Fatalf("SaveUser(%v): %v", u.Email, err)
	}
}

func mustPasswordHash(t *testing.T, s string) domain.PasswordHash {
	t.Helper()
	h, err := domain.NewPasswordHash(s)
	if err != nil {
		t.Fatalf("password hash: %v", err)
	}
	return h
}

func checkUser(t *testing.T, what string, got, want domain.User) {
	t.Helper()
	if got.ID != want.ID || got.Email != want.Email || got.PasswordHash != want.PasswordHash || !got.CreatedAt.Equal(want.CreatedAt) ||
		got.SessionGeneration != want.SessionGeneration {
		// The hash is a fixture, not a secret, so printing it is fine.
		t.Errorf("%s = {%v %v %q %v generation %d}, want {%v %v %q %v generation %d}", what,
			got.ID, got.Email, got.PasswordHash.PHC(), got.CreatedAt, got.SessionGeneration,
			want.ID, want.Email, want.PasswordHash.PHC(), want.CreatedAt, want.SessionGeneration)
	}
}

func testOwner(t *testing.T, repo domain.UserRepository) {
	if _, err := repo.Owner(t.Context()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Owner() of no accounts error = %v, want ErrNotFound", err)
	}
	first := NewUser(t, "first@example.com")
	if err := repo.SaveFirstUser(t.Context(), first); err != nil {
		t.Fatalf("SaveFirstUser: %v", err)
	}
	for i := range 3 {
		u := NewUser(t, fmt.Sprintf("later-%d@example.com", i))
		u.CreatedAt = FixtureTime.Add(time.Duration(i+1) * time.Hour)
		mustSaveUser(t, repo, u)
	}
	got, err := repo.Owner(t.Context())
	if err != nil {
		t.Fatalf("Owner: %v", err)
	}
	checkUser(t, "Owner", got, first)
}
