package auth_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/moviediary/moviediary/adapters/auth"
	"github.com/moviediary/moviediary/domain"
)

// OWASP's equivalent argon2id configurations plus a stronger one, to show
// what the chosen default costs against the alternatives.
var benchParams = []struct {
	name string
	p    argon2id.Params
}{
	{"default_m19456_t2_p1", auth.Argon2Params()},
	{"owasp_m47104_t1_p1", argon2id.Params{Memory: 47104, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}},
	{"stronger_m65536_t3_p1", argon2id.Params{Memory: 65536, Iterations: 3, Parallelism: 1, SaltLength: 16, KeyLength: 32}},
}

func BenchmarkArgon2idHash(b *testing.B) {
	for _, bp := range benchParams {
		b.Run(bp.name, func(b *testing.B) {
			a := mustArgon2id(b, auth.Argon2Config{Params: &bp.p})
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.HashPassword(ctx, "correct horse battery staple"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkArgon2idVerify(b *testing.B) {
	ctx := context.Background()
	a := mustArgon2id(b, auth.Argon2Config{})
	hash, err := a.HashPassword(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		hash domain.PasswordHash
	}{
		{"known_account", hash},
		{"unknown_account_dummy", domain.PasswordHash{}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.VerifyPassword(ctx, "wrong password", tc.hash); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkArgon2idFlood runs many verifications at once through the
// concurrency bound: throughput with the bound at NumCPU.
func BenchmarkArgon2idFlood(b *testing.B) {
	ctx := context.Background()
	a := mustArgon2id(b, auth.Argon2Config{})
	hash, err := a.HashPassword(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("max_concurrent_%d", a.MaxConcurrent()), func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := a.VerifyPassword(ctx, "wrong password", hash); err != nil {
					b.Error(err)
				}
			}
		})
	})
}

func BenchmarkJWTIssue(b *testing.B) {
	j, err := auth.NewJWT(auth.JWTConfig{Secret: testSecret, TTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := j.IssueToken(ctx, domain.Session{User: alice}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJWTValidate(b *testing.B) {
	j, err := auth.NewJWT(auth.JWTConfig{Secret: testSecret, TTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	tok, err := j.IssueToken(ctx, domain.Session{User: alice})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("valid", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := j.ValidateToken(ctx, tok.Value); err != nil {
				b.Fatal(err)
			}
		}
	})
	forged := tok.Value[:len(tok.Value)-2] + "AA"
	if forged == tok.Value {
		forged = tok.Value[:len(tok.Value)-2] + "BB"
	}
	b.Run("forged", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := j.ValidateToken(ctx, forged); err == nil {
				b.Fatal("forged token accepted")
			}
		}
	})
}
