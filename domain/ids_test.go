package domain_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/domain"
)

// idKind exercises one ID type through the same table.
type idKind struct {
	name     string
	field    string
	generate func() (string, bool)
	parse    func(string) (string, bool, error)
	fromUUID func(uuid.UUID) (string, error) // nil when the type has none
	mustPar  func(string)
}

var idKinds = []idKind{
	{
		name: "MovieID", field: "movie_id",
		generate: func() (string, bool) { id := domain.NewMovieID(); return id.String(), id.IsZero() },
		parse: func(s string) (string, bool, error) {
			id, err := domain.ParseMovieID(s)
			return id.UUID().String(), id.IsZero(), err
		},
		fromUUID: func(u uuid.UUID) (string, error) { id, err := domain.MovieIDFromUUID(u); return id.String(), err },
		mustPar:  func(s string) { domain.MustParseMovieID(s) },
	},
	{
		name: "ReviewID", field: "review_id",
		generate: func() (string, bool) { id := domain.NewReviewID(); return id.String(), id.IsZero() },
		parse: func(s string) (string, bool, error) {
			id, err := domain.ParseReviewID(s)
			return id.UUID().String(), id.IsZero(), err
		},
		fromUUID: func(u uuid.UUID) (string, error) { id, err := domain.ReviewIDFromUUID(u); return id.String(), err },
		mustPar:  func(s string) { domain.MustParseReviewID(s) },
	},
	{
		name: "UserID", field: "user_id",
		generate: func() (string, bool) { id := domain.NewUserID(); return id.String(), id.IsZero() },
		parse: func(s string) (string, bool, error) {
			id, err := domain.ParseUserID(s)
			return id.UUID().String(), id.IsZero(), err
		},
		fromUUID: func(u uuid.UUID) (string, error) { id, err := domain.UserIDFromUUID(u); return id.String(), err },
		mustPar:  func(s string) { domain.MustParseUserID(s) },
	},
	{
		name: "EventID", field: "event_id",
		generate: func() (string, bool) { id := domain.NewEventID(); return id.String(), id.IsZero() },
		parse: func(s string) (string, bool, error) {
			id, err := domain.ParseEventID(s)
			return id.UUID().String(), id.IsZero(), err
		},
	},
}

func TestIDs_GenerateParseAndRefuse(t *testing.T) {
	t.Parallel()
	const valid = "0190f5c2-7a3b-7cde-8f01-23456789abcd"
	for _, k := range idKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			a, aZero := k.generate()
			b, _ := k.generate()
			if aZero || a == b {
				t.Fatalf("generated IDs %s and %s: zero %v or equal", a, b, aZero)
			}
			if v := uuid.MustParse(a).Version(); v != 7 {
				t.Errorf("generated a version %d UUID, want 7", v)
			}

			tests := []struct {
				name  string
				in    string
				want  string
				field string
			}{
				{"canonical form", valid, valid, ""},
				{"upper case", "0190F5C2-7A3B-7CDE-8F01-23456789ABCD", valid, ""},
				{"round trip of a generated ID", a, a, ""},
				{"nil UUID refused", "00000000-0000-0000-0000-000000000000", "", k.field},
				{"garbage refused", "not-a-uuid", "", k.field},
				{"empty refused", "", "", k.field},
			}
			for _, tt := range tests {
				got, zero, err := k.parse(tt.in)
				checkFieldErr(t, err, tt.field)
				if tt.field == "" && (got != tt.want || zero) {
					t.Errorf("%s: parse(%q) = %s (zero %v), want %s", tt.name, tt.in, got, zero, tt.want)
				}
				if tt.field != "" && !zero {
					t.Errorf("%s: a refused ID is not zero", tt.name)
				}
			}

			if k.fromUUID != nil {
				if _, err := k.fromUUID(uuid.Nil); err == nil {
					t.Error("FromUUID(uuid.Nil) accepted")
				} else {
					checkFieldErr(t, err, k.field)
				}
				if got, err := k.fromUUID(uuid.MustParse(valid)); err != nil || got != valid {
					t.Errorf("FromUUID(valid) = %s, %v", got, err)
				}
			}
			if k.mustPar != nil {
				k.mustPar(valid)
				mustPanic(t, "MustParse(nil UUID)", func() { k.mustPar(uuid.Nil.String()) })
			}
		})
	}
}

func TestIDs_ZeroValueIsZero(t *testing.T) {
	t.Parallel()
	if !(domain.MovieID{}).IsZero() || !(domain.ReviewID{}).IsZero() || !(domain.UserID{}).IsZero() || !(domain.EventID{}).IsZero() {
		t.Fatal("a zero-value ID is not IsZero")
	}
}
