package auth_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/alexedwards/argon2id"

	"github.com/moviediary/moviediary/adapters/auth"
	"github.com/moviediary/moviediary/domain"
)

func mustArgon2id(t testing.TB, cfg auth.Argon2Config) *auth.Argon2id {
	t.Helper()
	a, err := auth.NewArgon2id(cfg)
	if err != nil {
		t.Fatalf("NewArgon2id: %v", err)
	}
	return a
}

// inFlight counts computations holding a slot and remembers the most seen
// at once.
type inFlight struct {
	now, max, total atomic.Int64
}

func (f *inFlight) probe(delta int) {
	n := f.now.Add(int64(delta))
	if delta > 0 {
		f.total.Add(1)
	}
	for {
		m := f.max.Load()
		if n <= m || f.max.CompareAndSwap(m, n) {
			return
		}
	}
}

func TestArgon2idDefaultsMeetOWASP(t *testing.T) {
	t.Parallel()
	p := auth.Argon2Params()
	if p.Memory < 19456 || p.Iterations < 2 || p.Parallelism != 1 || p.SaltLength < 16 || p.KeyLength < 32 {
		t.Errorf("Argon2Params() = %+v, want at least m=19456,t=2,p=1, 16-byte salt, 32-byte key", p)
	}
	a := mustArgon2id(t, auth.Argon2Config{})
	if a.Params() != p {
		t.Errorf("Params() = %+v, want the defaults %+v", a.Params(), p)
	}
	if a.MaxConcurrent() != runtime.NumCPU() {
		t.Errorf("MaxConcurrent() = %d, want NumCPU = %d", a.MaxConcurrent(), runtime.NumCPU())
	}
}

func TestArgon2idHashVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := mustArgon2id(t, auth.Argon2Config{})
	const pw = "correct horse battery staple ✓"
	h1, err := a.HashPassword(ctx, pw)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	h2, err := a.HashPassword(ctx, pw)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	if !strings.HasPrefix(h1.PHC(), "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not an argon2id PHC string with the default parameters", h1)
	}
	if h1 == h2 {
		t.Error("two hashes of one password are equal: salt not random")
	}
	tests := []struct {
		name     string
		password string
		hash     domain.PasswordHash
		want     bool
	}{
		{"right password", pw, h1, true},
		{"right password, second hash", pw, h2, true},
		{"wrong password", "correct horse battery stapler", h1, false},
		{"empty password", "", h1, false},
		{"prefix of the password", pw[:10], h1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.VerifyPassword(ctx, tt.password, tt.hash)
			if err != nil || got != tt.want {
				t.Errorf("VerifyPassword = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestArgon2idVerifiesHashesMadeWithOtherParameters(t *testing.T) {
	t.Parallel()
	stronger := argon2id.Params{Memory: 47104, Iterations: 1, Parallelism: 2, SaltLength: 16, KeyLength: 32}
	phc, err := argon2id.CreateHash("hunter2hunter2", &stronger)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := mustArgon2id(t, auth.Argon2Config{}).VerifyPassword(context.Background(), "hunter2hunter2", mustHash(t, phc))
	if err != nil || !ok {
		t.Errorf("VerifyPassword = %v, %v; want true", ok, err)
	}
}

func mustHash(t *testing.T, s string) domain.PasswordHash {
	t.Helper()
	h, err := domain.NewPasswordHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestArgon2idUnknownAccountSpendsOneVerificationAndFails(t *testing.T) {
	t.Parallel()
	a := mustArgon2id(t, auth.Argon2Config{})
	var f inFlight
	auth.SetProbe(a, f.probe)
	// Whatever the password, even one that might match a dummy, the zero
	// hash never verifies, and it costs one argon2id computation.
	for _, pw := range []string{"", "password", "moviediary"} {
		ok, err := a.VerifyPassword(context.Background(), pw, domain.PasswordHash{})
		if err != nil || ok {
			t.Errorf("VerifyPassword(%q, zero) = %v, %v; want false, nil", pw, ok, err)
		}
	}
	if got := f.total.Load(); got != 3 {
		t.Errorf("computations = %d, want 3 (one per unknown-account check)", got)
	}
}

func TestArgon2idRefusesUnusableStoredHashesWithoutComputing(t *testing.T) {
	t.Parallel()
	a := mustArgon2id(t, auth.Argon2Config{})
	var f inFlight
	auth.SetProbe(a, f.probe)
	salt, key := "c29tZXNhbHRzb21lc2FsdA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	tests := []struct {
		name string
		phc  string
	}{
		{"bcrypt", "$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"},
		{"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"old version", "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key},
		{"salt not base64", "$argon2id$v=19$m=19456,t=2,p=1$!!!$" + key},
		{"missing key", "$argon2id$v=19$m=19456,t=2,p=1$" + salt},
		{"4 GiB of memory", "$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + key},
		{"a thousand passes", "$argon2id$v=19$m=19456,t=1000,p=1$" + salt + "$" + key},
		{"255 lanes", "$argon2id$v=19$m=19456,t=2,p=255$" + salt + "$" + key},
		{"zero passes", "$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := a.VerifyPassword(context.Background(), "password", mustHash(t, tt.phc))
			if ok || !errors.Is(err, domain.ErrInfrastructure) {
				t.Errorf("VerifyPassword = %v, %v; want false, ErrInfrastructure", ok, err)
			}
		})
	}
	if got := f.total.Load(); got != 0 {
		t.Errorf("computations = %d, want 0", got)
	}
}

func TestNewArgon2idRefusesWeakOrExcessiveParameters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  auth.Argon2Config
	}{
		{"library defaults below OWASP for t=1", auth.Argon2Config{Params: &argon2id.Params{Memory: 32 * 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}}},
		{"too little memory", auth.Argon2Config{Params: &argon2id.Params{Memory: 8 * 1024, Iterations: 4, Parallelism: 1, SaltLength: 16, KeyLength: 32}}},
		{"m=19 MiB with one pass", auth.Argon2Config{Params: &argon2id.Params{Memory: 19456, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}}},
		{"zero lanes", auth.Argon2Config{Params: &argon2id.Params{Memory: 19456, Iterations: 2, Parallelism: 0, SaltLength: 16, KeyLength: 32}}},
		{"short salt", auth.Argon2Config{Params: &argon2id.Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 8, KeyLength: 32}}},
		{"short key", auth.Argon2Config{Params: &argon2id.Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 8}}},
		{"beyond the memory limit", auth.Argon2Config{Params: &argon2id.Params{Memory: 1 << 20, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}}},
		{"negative concurrency", auth.Argon2Config{MaxConcurrent: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := auth.NewArgon2id(tt.cfg); !errors.Is(err, domain.ErrMisconfigured) {
				t.Errorf("NewArgon2id err = %v, want ErrMisconfigured", err)
			}
		})
	}
}

func TestArgon2idRunsAtMostMaxConcurrentComputations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const limit = 2
	a := mustArgon2id(t, auth.Argon2Config{MaxConcurrent: limit})
	hash, err := a.HashPassword(ctx, "password123")
	if err != nil {
		t.Fatal(err)
	}

	// Every computation that takes a slot reports in and then waits at the
	// gate, so the slots stay full for as long as the test wants.
	var f inFlight
	entered := make(chan struct{}, 64)
	gate := make(chan struct{})
	auth.SetProbe(a, func(delta int) {
		f.probe(delta)
		if delta > 0 {
			entered <- struct{}{}
			<-gate
		}
	})

	callers := 4 * limit
	var wg sync.WaitGroup
	results := make(chan error, callers)
	for i := range callers {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = a.HashPassword(ctx, "password123")
			} else {
				var ok bool
				ok, err = a.VerifyPassword(ctx, "password123", hash)
				if err == nil && !ok {
					err = errors.New("verification failed")
				}
			}
			results <- err
		})
	}
	for range limit {
		<-entered
	}
	// Both slots are held. A caller whose context ends while it waits gets
	// its context's error and computes nothing.
	waitCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := a.VerifyPassword(waitCtx, "password123", hash)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("waiting caller with a cancelled context: err = %v, want context.Canceled", err)
	}
	if got := f.now.Load(); got != limit {
		t.Errorf("in flight while gated = %d, want %d", got, limit)
	}

	close(gate)
	wg.Wait()
	close(results)
	for err := range results {
		if err != nil {
			t.Errorf("caller failed: %v", err)
		}
	}
	if got := f.max.Load(); got != limit {
		t.Errorf("most in flight = %d, want exactly %d", got, limit)
	}
	if got := f.total.Load(); got != int64(callers) {
		t.Errorf("computations = %d, want %d", got, callers)
	}
}

func TestArgon2idFloodStaysWithinNumCPU(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := mustArgon2id(t, auth.Argon2Config{})
	hash, err := a.HashPassword(ctx, "password123")
	if err != nil {
		t.Fatal(err)
	}
	var f inFlight
	auth.SetProbe(a, f.probe)
	var wg sync.WaitGroup
	for range 4 * runtime.NumCPU() {
		wg.Go(func() {
			if _, err := a.VerifyPassword(ctx, "wrong password", hash); err != nil {
				t.Errorf("VerifyPassword: %v", err)
			}
		})
	}
	wg.Wait()
	if got := f.max.Load(); got < 1 || got > int64(runtime.NumCPU()) {
		t.Errorf("most in flight = %d, want 1..NumCPU (%d)", got, runtime.NumCPU())
	}
}

func TestArgon2idHonoursAnEndedContext(t *testing.T) {
	t.Parallel()
	a := mustArgon2id(t, auth.Argon2Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.HashPassword(ctx, "password123"); !errors.Is(err, context.Canceled) {
		t.Errorf("HashPassword err = %v, want context.Canceled", err)
	}
	if _, err := a.VerifyPassword(ctx, "password123", domain.PasswordHash{}); !errors.Is(err, context.Canceled) {
		t.Errorf("VerifyPassword err = %v, want context.Canceled", err)
	}
}
