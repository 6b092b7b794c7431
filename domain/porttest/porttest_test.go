package porttest_test

import (
	"net/http"
	"testing"

	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

func TestImageFixturesSniffAsTheirType(t *testing.T) {
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		{"png", porttest.PNG(), "image/png"},
		{"jpeg", porttest.JPEG(), "image/jpeg"},
		{"gif", porttest.GIF(), "image/gif"},
		{"webp", porttest.WebP(), "image/webp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := http.DetectContentType(tc.body); got != tc.want {
				t.Errorf("DetectContentType = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFixturesAreValidDomainValues(t *testing.T) {
	if _, err := domain.NewPasswordHash(porttest.FixturePasswordHash.PHC()); err != nil {
		t.Errorf("FixturePasswordHash: %v", err)
	}
	if _, err := domain.ParseExternalMetadataID(porttest.NewExternalID(t).String()); err != nil {
		t.Errorf("NewExternalID: %v", err)
	}
	u := porttest.NewUser(t, "Ann@Example.COM")
	if u.Email.String() != "ann@example.com" || u.ID.IsZero() {
		t.Errorf("NewUser = %v %v, want a fresh ID and the lower-cased address", u.ID, u.Email)
	}
	films := porttest.MetadataFixtures(t)
	if len(films) != 5 {
		t.Errorf("MetadataFixtures returned %d films, want 5", len(films))
	}
	events := porttest.SampleEvents(t, 4)
	seen := map[domain.EventID]bool{}
	for _, e := range events {
		if seen[e.EventID()] {
			t.Errorf("SampleEvents repeats ID %v", e.EventID())
		}
		seen[e.EventID()] = true
	}
}

func TestClockMovesOnlyWhenTold(t *testing.T) {
	start := porttest.FixtureTime
	c := porttest.NewClock(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Now = %v, want %v", c.Now(), start)
	}
	c.Advance(90)
	if got := c.Now().Sub(start); got != 90 {
		t.Errorf("after Advance(90ns) the clock moved %v", got)
	}
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Errorf("after Set, Now = %v, want %v", c.Now(), start)
	}
}
