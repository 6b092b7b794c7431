package sqlrows_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

func TestCheckViewing(t *testing.T) {
	t.Parallel()
	good := domain.Viewing{Movie: wantMovie(t), Review: wantReview(t)}
	for _, tc := range []struct {
		name  string
		edit  func(*domain.Viewing)
		wants []string // nil: valid
	}{
		{"a viewing built by the domain passes", func(*domain.Viewing) {}, nil},
		{
			"the review may name another movie: it is stored under the canonical one",
			func(v *domain.Viewing) { v.Review.MovieID = domain.MovieID{} },
			nil,
		},
		{
			"every missing part of the movie and the review is reported, the movie's ID once",
			func(v *domain.Viewing) {
				v.Movie = domain.Movie{}
				v.Review.ID, v.Review.UserID = domain.ReviewID{}, domain.UserID{}
				v.Review.WatchedAt, v.Review.CreatedAt = time.Time{}, time.Time{}
			},
			sorted("movie_id", "title", "release_year", "review_id", "user_id", "watched_at", "created_at"),
		},
		{
			"a key with its user and a fingerprint passes",
			func(v *domain.Viewing) {
				v.Idempotency = domain.IdempotentRequest{User: v.Review.UserID, Key: mustKey(t, "k-1"), Fingerprint: strings.Repeat("f", 128)}
			},
			nil,
		},
		{
			"a key without its user or with a long fingerprint is refused",
			func(v *domain.Viewing) {
				v.Idempotency = domain.IdempotentRequest{Key: mustKey(t, "k-1"), Fingerprint: strings.Repeat("f", 129)}
			},
			sorted("idempotency.user", "idempotency.fingerprint"),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := good
			tc.edit(&v)
			err := sqlrows.CheckViewing(v)
			if tc.wants == nil {
				if err != nil {
					t.Errorf("CheckViewing = %v, want nil", err)
				}
				return
			}
			if got := fieldsOf(t, err); !slices.Equal(got, tc.wants) {
				t.Errorf("CheckViewing reports %q, want %q (error: %v)", got, tc.wants, err)
			}
		})
	}
}

func TestCheckMovie(t *testing.T) {
	t.Parallel()
	if err := sqlrows.CheckMovie(wantMovie(t)); err != nil {
		t.Errorf("CheckMovie(valid) = %v, want nil", err)
	}
	want := sorted("movie_id", "title", "release_year")
	if got := fieldsOf(t, sqlrows.CheckMovie(domain.Movie{})); !slices.Equal(got, want) {
		t.Errorf("CheckMovie(zero) reports %q, want %q", got, want)
	}
}

func TestCheckUser(t *testing.T) {
	t.Parallel()
	hash, err := domain.NewPasswordHash("$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA")
	if err != nil {
		t.Fatal(err)
	}
	u, err := domain.NewUser(domain.MustParseEmail("ann@example.com"), hash, created)
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlrows.CheckUser(u); err != nil {
		t.Errorf("CheckUser(valid) = %v, want nil", err)
	}
	want := sorted("user_id", "email", "password_hash", "created_at")
	if got := fieldsOf(t, sqlrows.CheckUser(domain.User{})); !slices.Equal(got, want) {
		t.Errorf("CheckUser(zero) reports %q, want %q", got, want)
	}
}

// TestChecksOfValidValuesAllocateNothing guards every save's path. Not
// parallel: AllocsPerRun counts every goroutine.
func TestChecksOfValidValuesAllocateNothing(t *testing.T) {
	v := domain.Viewing{Movie: wantMovie(t), Review: wantReview(t)}
	allocs := testing.AllocsPerRun(100, func() {
		if err := sqlrows.CheckViewing(v); err != nil {
			t.Fatal(err)
		}
		if err := sqlrows.CheckMovie(v.Movie); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("CheckViewing and CheckMovie allocate %v times, want 0", allocs)
	}
}

func mustKey(t *testing.T, s string) domain.IdempotencyKey {
	t.Helper()
	k, err := domain.ParseIdempotencyKey(s)
	if err != nil {
		t.Fatalf("ParseIdempotencyKey(%q): %v", s, err)
	}
	return k
}
