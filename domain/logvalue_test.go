package domain_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/moviediary/moviediary/domain"
)

// secretPHC is a PHC string whose every part is recognisable in output.
const secretPHC = "$argon2id$v=19$m=65536,t=1,p=2$c2VjcmV0c2FsdA$c2VjcmV0aGFzaHNlY3JldGhhc2g"

// secretParts are substrings of secretPHC that must never be printed.
var secretParts = []string{secretPHC, "c2VjcmV0c2FsdA", "c2VjcmV0aGFzaHNlY3JldGhhc2g", "argon2id"}

func requireNoSecret(t *testing.T, what, out string) {
	t.Helper()
	for _, part := range secretParts {
		if strings.Contains(out, part) {
			t.Errorf("%s shows the hash (%q): %s", what, part, out)
		}
	}
}

// logBoth logs one record with args through a text and a JSON handler and
// returns both outputs.
func logBoth(t *testing.T, args ...any) (text, jsonOut string) {
	t.Helper()
	var tb, jb bytes.Buffer
	slog.New(slog.NewTextHandler(&tb, nil)).Info("msg", args...)
	slog.New(slog.NewJSONHandler(&jb, nil)).Info("msg", args...)
	return tb.String(), jb.String()
}

func TestPasswordHash_PHCGivesTheHash(t *testing.T) {
	t.Parallel()
	h, err := domain.NewPasswordHash(secretPHC)
	if err != nil {
		t.Fatal(err)
	}
	if h.PHC() != secretPHC {
		t.Errorf("PHC() = %q, want %q", h.PHC(), secretPHC)
	}
	if (domain.PasswordHash{}).PHC() != "" {
		t.Error("the zero hash has a PHC string")
	}
}

func TestPasswordHash_NeverPrintsItsSecret(t *testing.T) {
	t.Parallel()
	h, err := domain.NewPasswordHash(secretPHC)
	if err != nil {
		t.Fatal(err)
	}
	u, err := domain.NewUser(domain.MustParseEmail("ann@example.com"), h, now)
	if err != nil {
		t.Fatal(err)
	}

	if got := h.String(); got != "[REDACTED]" {
		t.Errorf("String() = %q, want [REDACTED]", got)
	}
	if got := h.GoString(); got != "domain.PasswordHash{/* redacted */}" {
		t.Errorf("GoString() = %q", got)
	}
	if got := fmt.Sprintf("%#v", domain.PasswordHash{}); got != "domain.PasswordHash{}" {
		t.Errorf("%%#v of the zero hash = %q", got)
	}
	if got := fmt.Sprint(domain.PasswordHash{}); got != "" {
		t.Errorf("the zero hash prints as %q, want nothing", got)
	}

	// Every verb, on the hash, on a pointer to it, on a User, on a pointer to
	// a User, and inside an error.
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%t", "%10.3s", "%-20v"} {
		for what, arg := range map[string]any{"hash": h, "*hash": &h, "user": u, "*user": &u} {
			out := fmt.Sprintf(verb, arg)
			requireNoSecret(t, verb+" of "+what, out)
		}
		requireNoSecret(t, verb+" in an error", fmt.Errorf("save "+verb+": %w", u, errors.New("x")).Error())
	}
	for what, want := range map[string]string{
		fmt.Sprintf("%v", h):  "[REDACTED]",
		fmt.Sprintf("%s", h):  "[REDACTED]",
		fmt.Sprintf("%q", h):  `"[REDACTED]"`,
		fmt.Sprintf("%+v", u): "PasswordHash:[REDACTED]",
		fmt.Sprintf("%#v", u): "PasswordHash:domain.PasswordHash{/* redacted */}",
	} {
		if !strings.Contains(what, want) {
			t.Errorf("printed %q, want it to contain %q", what, want)
		}
	}

	// slog, with the text and the JSON handler, as an attribute, in a group
	// and inside a User.
	text, js := logBoth(t, "hash", h, slog.Group("g", "hash", h), "user", u, slog.Any("ptr", &h))
	requireNoSecret(t, "slog text", text)
	requireNoSecret(t, "slog JSON", js)
	if !strings.Contains(text, "hash=[REDACTED]") || !strings.Contains(text, "g.hash=[REDACTED]") {
		t.Errorf("slog text = %s, want hash=[REDACTED]", text)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(js), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["hash"] != "[REDACTED]" || rec["g"].(map[string]any)["hash"] != "[REDACTED]" {
		t.Errorf("slog JSON = %s, want \"hash\":\"[REDACTED]\"", js)
	}
}

func TestValueObjectsLogAsTheirText(t *testing.T) {
	t.Parallel()
	movie := domain.NewMovieID()
	review := domain.NewReviewID()
	user := domain.NewUserID()
	event := domain.NewEventID()
	tests := []struct {
		key   string
		value any
		want  any // the JSON value; the text handler shows fmt.Sprint(want)
	}{
		{"movie_id", movie, movie.String()},
		{"review_id", review, review.String()},
		{"user_id", user, user.String()},
		{"event_id", event, event.String()},
		{"external_metadata_id", domain.MustParseExternalMetadataID("tt0111161"), "tt0111161"},
		{"email", domain.MustParseEmail("Ann@Example.com"), "ann@example.com"},
		{"title", domain.MustNewMovieTitle("Amélie"), "Amélie"},
		{"director", must(domain.NewDirector("Agnès Varda")), "Agnès Varda"},
		{"comment", must(domain.NewComment("fine")), "fine"},
		{"poster_url", domain.MustParsePosterURL("https://img.example.com/p.jpg"), "https://img.example.com/p.jpg"},
		{"poster_path", domain.MustNewPosterPath("posters/p.jpg"), "posters/p.jpg"},
		{"rating", domain.MustNewRating(4), float64(4)},
		{"half_stars", domain.MustNewRating(4.5), 4.5},
		{"zero_stars", domain.MustNewRating(0), float64(0)},
		{"not_rated", domain.Rating{}, "none"},
		{"year", domain.MustNewReleaseYear(2001), float64(2001)},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			text, js := logBoth(t, tt.key, tt.value)

			var rec map[string]any
			if err := json.Unmarshal([]byte(js), &rec); err != nil {
				t.Fatalf("JSON record %s: %v", js, err)
			}
			if rec[tt.key] != tt.want {
				t.Errorf("JSON handler logged %s=%v (%T), want %v", tt.key, rec[tt.key], rec[tt.key], tt.want)
			}

			want := fmt.Sprint(tt.want)
			if strings.ContainsAny(want, " ") {
				want = fmt.Sprintf("%q", want)
			}
			if !strings.Contains(text, " "+tt.key+"="+want+"\n") {
				t.Errorf("text handler logged %q, want %s=%s", text, tt.key, want)
			}
		})
	}
}

// The zero IDs log as the nil UUID's text, not as {}.
func TestZeroIDsLogAsText(t *testing.T) {
	t.Parallel()
	_, js := logBoth(t, "movie_id", domain.MovieID{}, "email", domain.Email{})
	if !strings.Contains(js, `"movie_id":"00000000-0000-0000-0000-000000000000"`) || !strings.Contains(js, `"email":""`) {
		t.Errorf("JSON = %s", js)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
