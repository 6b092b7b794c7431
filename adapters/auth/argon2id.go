package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"runtime"

	"github.com/alexedwards/argon2id"

	"github.com/moviediary/moviediary/domain"
)

// Argon2Params returns moviediary's default argon2id parameters:
// m = 19456 KiB (19 MiB), t = 2, p = 1, a 16-byte salt and a 32-byte key.
//
// This is the OWASP Password Storage Cheat Sheet's second listed
// configuration, equivalent in cost to its m = 46 MiB, t = 1 one, chosen for
// the lower memory each computation holds: with the concurrency bound at
// NumCPU a login flood on a 2-core server holds at most about 38 MiB of
// hashing memory, and on a 32-core one about 608 MiB. p = 1 because
// parallel lanes would let one login occupy several cores while the
// concurrency bound counts it once. docs/bench/auth.md has the measured cost.
func Argon2Params() argon2id.Params {
	return argon2id.Params{
		Memory:      19 * 1024,
		Iterations:  2,
		Parallelism: 1,
		SaltLength:  16,
		KeyLength:   32,
	}
}

// Limits on the parameters of a stored hash that VerifyPassword will
// compute, so a tampered or foreign hash cannot make one verification take
// unbounded memory or time.
const (
	// MaxMemoryKiB is the most memory a hash may ask for (256 MiB).
	MaxMemoryKiB = 256 * 1024
	// MaxIterations is the most passes a hash may ask for.
	MaxIterations = 16
	// MaxParallelism is the most lanes a hash may ask for.
	MaxParallelism = 16
)

// Argon2Config configures an Argon2id hasher.
type Argon2Config struct {
	// Params are the parameters of new hashes; nil means Argon2Params().
	// They may not be weaker than OWASP's minimum (m=19456 KiB with t=2,
	// or m=47104 KiB with t=1), nor exceed the Max… limits.
	Params *argon2id.Params
	// MaxConcurrent bounds how many hash or verify computations run at
	// once; further callers wait for a slot or for their context. Zero
	// means runtime.NumCPU().
	MaxConcurrent int
}

// Argon2id hashes and verifies passwords with argon2id, running at most
// MaxConcurrent computations at once. It implements domain.PasswordHasher and
// is safe for concurrent use.
type Argon2id struct {
	params argon2id.Params
	slots  chan struct{}
	dummy  string

	// probe, when set by tests, is called with +1 once a computation holds
	// a slot and with -1 just before it gives the slot back.
	probe func(delta int)
}

var _ domain.PasswordHasher = (*Argon2id)(nil)

// NewArgon2id returns a hasher, or an error when the parameters are weaker
// than OWASP's minimum or beyond the limits, or MaxConcurrent is negative.
// It computes the dummy hash that unknown accounts are verified against.
func NewArgon2id(cfg Argon2Config) (*Argon2id, error) {
	params := Argon2Params()
	if cfg.Params != nil {
		params = *cfg.Params
	}
	if err := checkParams(params); err != nil {
		return nil, fmt.Errorf("auth: argon2id parameters: %w: %w", err, domain.ErrMisconfigured)
	}
	if params.Memory < 19*1024 || (params.Iterations < 2 && params.Memory < 46*1024) {
		return nil, fmt.Errorf("auth: argon2id parameters m=%d,t=%d are below the OWASP minimum (m=19456,t=2 or m=47104,t=1): %w", params.Memory, params.Iterations, domain.ErrMisconfigured)
	}
	if params.SaltLength < 16 || params.KeyLength < 16 || params.KeyLength > 64 {
		return nil, fmt.Errorf("auth: argon2id salt must be at least 16 bytes and key 16 to 64 bytes: %w", domain.ErrMisconfigured)
	}
	n := cfg.MaxConcurrent
	if n < 0 {
		return nil, fmt.Errorf("auth: argon2id MaxConcurrent %d is negative: %w", n, domain.ErrMisconfigured)
	}
	if n == 0 {
		n = runtime.NumCPU()
	}
	a := &Argon2id{params: params, slots: make(chan struct{}, n)}

	// The dummy hash is of a random password nobody knows, with the same
	// parameters as real hashes, so verifying against it costs the same.
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("auth: dummy password: %w: %w", domain.ErrInfrastructure, err)
	}
	dummy, err := argon2id.CreateHash(base64.RawStdEncoding.EncodeToString(secret), &a.params)
	if err != nil {
		return nil, fmt.Errorf("auth: dummy hash: %w: %w", domain.ErrInfrastructure, err)
	}
	a.dummy = dummy
	return a, nil
}

// Params returns the parameters of new hashes.
func (a *Argon2id) Params() argon2id.Params { return a.params }

// MaxConcurrent returns how many computations may run at once.
func (a *Argon2id) MaxConcurrent() int { return cap(a.slots) }

// HashPassword returns the argon2id PHC string of password
// ("$argon2id$v=19$m=19456,t=2,p=1$salt$key"). It waits for a computation
// slot; when ctx ends first it returns ctx's error.
func (a *Argon2id) HashPassword(ctx context.Context, password string) (domain.PasswordHash, error) {
	var phc string
	err := a.compute(ctx, func() error {
		var err error
		phc, err = argon2id.CreateHash(password, &a.params)
		return err
	})
	if err != nil {
		return domain.PasswordHash{}, fmt.Errorf("auth: hash password: %w", err)
	}
	h, err := domain.NewPasswordHash(phc)
	if err != nil {
		return domain.PasswordHash{}, fmt.Errorf("auth: hash password: %w: %w", domain.ErrInfrastructure, err)
	}
	return h, nil
}

// VerifyPassword reports whether password matches hash, in constant time
// over the key. The zero hash (an unknown account) is verified against the
// dummy hash and reports false. A hash that is not an argon2id PHC string, or
// whose parameters exceed the Max… limits, is an error wrapping
// domain.ErrInfrastructure (stored data is corrupt), computed against
// nothing. It waits for a computation slot; when ctx ends first it returns
// ctx's error.
func (a *Argon2id) VerifyPassword(ctx context.Context, password string, hash domain.PasswordHash) (bool, error) {
	phc := hash.PHC()
	unknown := hash.IsZero()
	if unknown {
		phc = a.dummy
	} else {
		params, _, _, err := argon2id.DecodeHash(phc)
		if err != nil {
			return false, fmt.Errorf("auth: verify password: stored hash is not an argon2id PHC string: %w", domain.ErrInfrastructure)
		}
		if err := checkParams(*params); err != nil {
			return false, fmt.Errorf("auth: verify password: stored hash: %w: %w", err, domain.ErrInfrastructure)
		}
	}
	var match bool
	err := a.compute(ctx, func() error {
		var err error
		match, err = argon2id.ComparePasswordAndHash(password, phc)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("auth: verify password: %w", err)
	}
	return match && !unknown, nil
}

// compute runs f holding one of the slots, waiting for a slot or for ctx.
func (a *Argon2id) compute(ctx context.Context, f func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-a.slots }()
	if a.probe != nil {
		a.probe(+1)
		defer a.probe(-1)
	}
	if err := f(); err != nil {
		return fmt.Errorf("%w: %w", domain.ErrInfrastructure, err)
	}
	return nil
}

func checkParams(p argon2id.Params) error {
	switch {
	case p.Memory == 0 || p.Memory > MaxMemoryKiB:
		return fmt.Errorf("memory %d KiB is outside 1..%d", p.Memory, MaxMemoryKiB)
	case p.Iterations == 0 || p.Iterations > MaxIterations:
		return fmt.Errorf("iterations %d are outside 1..%d", p.Iterations, MaxIterations)
	case p.Parallelism == 0 || p.Parallelism > MaxParallelism:
		return fmt.Errorf("parallelism %d is outside 1..%d", p.Parallelism, MaxParallelism)
	}
	return nil
}
