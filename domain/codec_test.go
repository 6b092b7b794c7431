package domain_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// Fixed IDs, so the wire form can be compared byte for byte.
const (
	codecEventID  = "0190a5b2-0000-7000-8000-0000000000e1"
	codecMovieID  = "0190a5b2-0000-7000-8000-0000000000a1"
	codecReviewID = "0190a5b2-0000-7000-8000-0000000000b1"
	codecUserID   = "0190a5b2-0000-7000-8000-0000000000c1"
)

var (
	// codecTime is in another zone than UTC on purpose: the wire form and the
	// decoded event are in UTC.
	codecTime    = time.Date(2024, 3, 1, 21, 30, 15, 123456000, time.FixedZone("CET", 60*60))
	codecWatched = time.Date(2024, 3, 1, 19, 0, 0, 0, time.FixedZone("CET", 60*60))
)

func mustEventID(t *testing.T, s string) domain.EventID {
	t.Helper()
	id, err := domain.ParseEventID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func codecReviewLogged(t *testing.T) domain.ReviewLogged {
	t.Helper()
	return domain.ReviewLogged{
		EventMeta: domain.EventMeta{ID: mustEventID(t, codecEventID), Time: codecTime},
		ReviewID:  domain.MustParseReviewID(codecReviewID),
		Movie:     domain.MustParseMovieID(codecMovieID),
		UserID:    domain.MustParseUserID(codecUserID),
		Rating:    domain.MustNewRating(4),
		WatchedAt: codecWatched,
	}
}

func codecReviewEdited(t *testing.T) domain.ReviewEdited {
	t.Helper()
	return domain.ReviewEdited{
		EventMeta: domain.EventMeta{ID: mustEventID(t, codecEventID), Time: codecTime},
		ReviewID:  domain.MustParseReviewID(codecReviewID),
		Movie:     domain.MustParseMovieID(codecMovieID),
		UserID:    domain.MustParseUserID(codecUserID),
		Rating:    domain.MustNewRating(4.5),
		WatchedAt: codecWatched,
	}
}

func codecReviewDeleted(t *testing.T) domain.ReviewDeleted {
	t.Helper()
	return domain.ReviewDeleted{
		EventMeta: domain.EventMeta{ID: mustEventID(t, codecEventID), Time: codecTime},
		ReviewID:  domain.MustParseReviewID(codecReviewID),
		Movie:     domain.MustParseMovieID(codecMovieID),
		UserID:    domain.MustParseUserID(codecUserID),
	}
}

// unratedLogged is rl not rated.
func unratedLogged(rl domain.ReviewLogged) domain.ReviewLogged {
	rl.Rating = domain.Rating{}
	return rl
}

// unratedEdited is re not rated.
func unratedEdited(re domain.ReviewEdited) domain.ReviewEdited {
	re.Rating = domain.Rating{}
	return re
}

func codecMovieDiscovered(t *testing.T) domain.MovieDiscovered {
	t.Helper()
	return domain.MovieDiscovered{
		EventMeta:          domain.EventMeta{ID: mustEventID(t, codecEventID), Time: codecTime},
		Movie:              domain.MustParseMovieID(codecMovieID),
		ExternalMetadataID: domain.MustParseExternalMetadataID("tt0111161"),
	}
}

// withPoster is md carrying a poster URL.
func withPoster(md domain.MovieDiscovered) domain.MovieDiscovered {
	md.PosterURL = domain.MustParsePosterURL("https://img.example/p.jpg")
	return md
}

// sameEvent compares two events field by field; times must be equal
// instants and the decoded one in UTC.
func sameEvent(t *testing.T, got, want domain.Event) {
	t.Helper()
	if got.EventName() != want.EventName() || got.EventID() != want.EventID() || got.MovieID() != want.MovieID() ||
		!got.OccurredAt().Equal(want.OccurredAt()) || got.OccurredAt().Location() != time.UTC {
		t.Fatalf("decoded %#v, want %#v", got, want)
	}
	switch w := want.(type) {
	case domain.ReviewLogged:
		g, ok := got.(domain.ReviewLogged)
		if !ok || g.ReviewID != w.ReviewID || g.UserID != w.UserID || g.Rating != w.Rating ||
			!g.WatchedAt.Equal(w.WatchedAt) || g.WatchedAt.Location() != time.UTC {
			t.Fatalf("decoded %#v, want %#v", got, want)
		}
	case domain.ReviewEdited:
		g, ok := got.(domain.ReviewEdited)
		if !ok || g.ReviewID != w.ReviewID || g.UserID != w.UserID || g.Rating != w.Rating ||
			!g.WatchedAt.Equal(w.WatchedAt) || g.WatchedAt.Location() != time.UTC {
			t.Fatalf("decoded %#v, want %#v", got, want)
		}
	case domain.ReviewDeleted:
		g, ok := got.(domain.ReviewDeleted)
		if !ok || g.ReviewID != w.ReviewID || g.UserID != w.UserID {
			t.Fatalf("decoded %#v, want %#v", got, want)
		}
	case domain.MovieDiscovered:
		g, ok := got.(domain.MovieDiscovered)
		if !ok || g.ExternalMetadataID != w.ExternalMetadataID || g.PosterURL != w.PosterURL {
			t.Fatalf("decoded %#v, want %#v", got, want)
		}
	default:
		t.Fatalf("unexpected event type %T", want)
	}
}

func TestEventCodec_RoundTripsEveryKind(t *testing.T) {
	t.Parallel()
	rl, md := codecReviewLogged(t), codecMovieDiscovered(t)
	re, rd := codecReviewEdited(t), codecReviewDeleted(t)
	tests := []struct {
		name  string
		event domain.Event
		want  domain.Event
	}{
		{"ReviewLogged", rl, rl},
		{"*ReviewLogged", &rl, rl},
		{"ReviewLogged not rated", unratedLogged(rl), unratedLogged(rl)},
		{"ReviewLogged with half a star", domain.ReviewLogged{EventMeta: rl.EventMeta, ReviewID: rl.ReviewID, Movie: rl.Movie,
			UserID: rl.UserID, Rating: domain.MustNewRating(0.5), WatchedAt: rl.WatchedAt}, nil},
		{"ReviewLogged rated 0", domain.ReviewLogged{EventMeta: rl.EventMeta, ReviewID: rl.ReviewID, Movie: rl.Movie,
			UserID: rl.UserID, Rating: domain.MustNewRating(0), WatchedAt: rl.WatchedAt}, nil},
		{"ReviewEdited", re, re},
		{"*ReviewEdited", &re, re},
		{"ReviewEdited not rated", unratedEdited(re), unratedEdited(re)},
		{"ReviewEdited of a real review", domain.NewReviewEdited(mustReview(t), now), nil},
		{"ReviewDeleted", rd, rd},
		{"*ReviewDeleted", &rd, rd},
		{"ReviewDeleted of a real review", domain.NewReviewDeleted(mustReview(t), now), nil},
		{"MovieDiscovered", md, md},
		{"*MovieDiscovered", &md, md},
		{"ReviewLogged of a real review", domain.NewReviewLogged(mustReview(t), now), nil},
		{"MovieDiscovered of a real movie", domain.NewMovieDiscovered(mustMovieWithExternalID(t), domain.PosterURL{}, now), nil},
		{"MovieDiscovered with its poster URL", withPoster(md), withPoster(md)},
	}
	kinds := map[domain.EventName]bool{}
	for _, tt := range tests {
		if tt.want == nil {
			tt.want = tt.event
		}
		kinds[tt.event.EventName()] = true
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			payload, err := domain.MarshalEvent(tt.event)
			if err != nil {
				t.Fatalf("MarshalEvent: %v", err)
			}
			got, err := domain.UnmarshalEvent(tt.event.EventName(), payload)
			if err != nil {
				t.Fatalf("UnmarshalEvent(%s): %v", payload, err)
			}
			sameEvent(t, got, tt.want)
			// Encoding the decoded event gives the same bytes.
			again, err := domain.MarshalEvent(got)
			if err != nil || string(again) != string(payload) {
				t.Errorf("re-encoded %s (%v), want %s", again, err, payload)
			}
		})
	}
	for _, name := range allEventNames {
		if !kinds[name] {
			t.Errorf("no round trip of %s", name)
		}
	}
}

// allEventNames are the names the codec knows.
var allEventNames = []domain.EventName{domain.EventReviewLogged, domain.EventReviewEdited, domain.EventReviewDeleted, domain.EventMovieDiscovered}

// The field names are part of the stored format (outbox rows, NATS
// messages): a change here breaks events already stored.
func TestEventCodec_WireFormIsStable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		event domain.Event
		want  string
	}{
		{codecReviewLogged(t), `{"event_id":"` + codecEventID + `","occurred_at":"2024-03-01T20:30:15.123456Z",` +
			`"review_id":"` + codecReviewID + `","movie_id":"` + codecMovieID + `","user_id":"` + codecUserID + `",` +
			`"rating":4,"watched_at":"2024-03-01T18:00:00Z"}`},
		{unratedLogged(codecReviewLogged(t)), `{"event_id":"` + codecEventID + `","occurred_at":"2024-03-01T20:30:15.123456Z",` +
			`"review_id":"` + codecReviewID + `","movie_id":"` + codecMovieID + `","user_id":"` + codecUserID + `",` +
			`"rating":null,"watched_at":"2024-03-01T18:00:00Z"}`},
		{codecReviewEdited(t), `{"event_id":"` + codecEventID + `","occurred_at":"2024-03-01T20:30:15.123456Z",` +
			`"review_id":"` + codecReviewID + `","movie_id":"` + codecMovieID + `","user_id":"` + codecUserID + `",` +
			`"rating":4.5,"watched_at":"2024-03-01T18:00:00Z"}`},
		{unratedEdited(codecReviewEdited(t)), `{"event_id":"` + codecEventID + `","occurred_at":"2024-03-01T20:30:15.123456Z",` +
			`"review_id":"` + codecReviewID + `","movie_id":"` + codecMovieID + `","user_id":"` + codecUserID + `",` +
			`"rating":null,"watched_at":"2024-03-01T18:00:00Z"}`},
		{codecReviewDeleted(t), `{"event_id":"` + codecEventID + `","occurred_at":"2024-03-01T20:30:15.123456Z",` +
			`"review_id":"` + codecReviewID + `","movie_id":"` + codecMovieID + `","user_id":"` + codecUserID + `"}`},
		{codecMovieDiscovered(t), `{"event_id":"` + codecEventID + `","occurred_at":"2024-03-01T20:30:15.123456Z",` +
			`"movie_id":"` + codecMovieID + `","external_metadata_id":"tt0111161"}`},
		{withPoster(codecMovieDiscovered(t)), `{"event_id":"` + codecEventID + `","occurred_at":"2024-03-01T20:30:15.123456Z",` +
			`"movie_id":"` + codecMovieID + `","external_metadata_id":"tt0111161","poster_url":"https://img.example/p.jpg"}`},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", i, tt.event.EventName()), func(t *testing.T) {
			t.Parallel()
			got, err := domain.MarshalEvent(tt.event)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("wire form\n got %s\nwant %s", got, tt.want)
			}
			// And a stored payload of that form decodes.
			if _, err := domain.UnmarshalEvent(tt.event.EventName(), []byte(tt.want)); err != nil {
				t.Errorf("UnmarshalEvent of the stored form: %v", err)
			}
		})
	}
}

// otherEvent is an Event the codec does not know.
type otherEvent struct{ domain.EventMeta }

func (otherEvent) EventName() domain.EventName { return "other" }
func (otherEvent) MovieID() domain.MovieID     { return domain.MovieID{} }

func TestMarshalEvent_RefusesWhatItCannotEncode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		event domain.Event
	}{
		{"an unknown event type", otherEvent{domain.NewEventMeta(now)}},
		{"a nil event", nil},
		{"a nil *ReviewLogged", (*domain.ReviewLogged)(nil)},
		{"a nil *ReviewEdited", (*domain.ReviewEdited)(nil)},
		{"a nil *ReviewDeleted", (*domain.ReviewDeleted)(nil)},
		{"a nil *MovieDiscovered", (*domain.MovieDiscovered)(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			payload, err := domain.MarshalEvent(tt.event)
			if !errors.Is(err, domain.ErrInfrastructure) || payload != nil {
				t.Errorf("MarshalEvent = %s, %v; want no payload and ErrInfrastructure", payload, err)
			}
		})
	}
}

func TestUnmarshalEvent_RejectsUnknownNames(t *testing.T) {
	t.Parallel()
	payload, err := domain.MarshalEvent(codecReviewLogged(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []domain.EventName{"", "other", "Review_Logged", "review_logged ", "ReviewLogged"} {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			e, err := domain.UnmarshalEvent(name, payload)
			if e != nil {
				t.Errorf("decoded %#v", e)
			}
			checkFieldErr(t, err, "event")
		})
	}
}

func TestUnmarshalEvent_RejectsMalformedJSON(t *testing.T) {
	t.Parallel()
	payloads := map[string]string{
		"empty":                  ``,
		"not JSON":               `review`,
		"truncated":              `{"event_id":"` + codecEventID,
		"an array":               `[]`,
		"a string":               `"review_logged"`,
		"a UUID that is not one": `{"event_id":"not-a-uuid"}`,
		"a rating that is text":  `{"rating":"four"}`,
		"a rating in quotes":     `{"rating":"4"}`,
		"a rating that is true":  `{"rating":true}`,
		"a time that is not one": `{"occurred_at":"yesterday"}`,
		"an external ID number":  `{"external_metadata_id":111161}`,
	}
	ratings := map[string]bool{"a rating that is text": true, "a rating in quotes": true, "a rating that is true": true}
	for _, name := range allEventNames {
		for what, payload := range payloads {
			t.Run(string(name)+"/"+what, func(t *testing.T) {
				t.Parallel()
				hasRating := name == domain.EventReviewLogged || name == domain.EventReviewEdited
				if what == "an external ID number" && name != domain.EventMovieDiscovered || ratings[what] && !hasRating {
					t.Skip("that field is not part of this event")
				}
				e, err := domain.UnmarshalEvent(name, []byte(payload))
				if e != nil {
					t.Errorf("decoded %#v", e)
				}
				if got := validationFields(t, err); !slices.Equal(got, []string{"payload"}) {
					t.Errorf("fields = %v, want [payload]", got)
				}
				if !strings.Contains(err.Error(), string(name)) {
					t.Errorf("error %q does not name the event", err)
				}
			})
		}
	}
}

// patch decodes the wire form of e into a map, applies change and encodes
// it again.
func patch(t *testing.T, e domain.Event, change func(map[string]any)) []byte {
	t.Helper()
	payload, err := domain.MarshalEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func without(keys ...string) func(map[string]any) {
	return func(m map[string]any) {
		for _, k := range keys {
			delete(m, k)
		}
	}
}

func set(key string, v any) func(map[string]any) {
	return func(m map[string]any) { m[key] = v }
}

const nilUUID = "00000000-0000-0000-0000-000000000000"

func TestUnmarshalEvent_RejectsMissingAndInvalidFields(t *testing.T) {
	t.Parallel()
	rl, md := codecReviewLogged(t), codecMovieDiscovered(t)
	re, rd := codecReviewEdited(t), codecReviewDeleted(t)
	tests := []struct {
		name   string
		event  domain.Event
		change func(map[string]any)
		want   []string // the fields of the *ValidationError, in order
	}{
		{"review_logged with a rating of 4.3", rl, set("rating", 4.3), []string{"rating"}},
		{"review_logged with a rating of 4.25", rl, set("rating", 4.25), []string{"rating"}},
		{"review_edited with a rating of 4.3", re, set("rating", 4.3), []string{"rating"}},
		{"review_edited with a rating of 5.5", re, set("rating", 5.5), []string{"rating"}},
		{"review_edited without review_id", re, without("review_id"), []string{"review_id"}},
		{"review_edited with the nil user_id", re, set("user_id", nilUUID), []string{"user_id"}},
		{"review_edited without watched_at", re, without("watched_at"), []string{"watched_at"}},
		{"review_edited as an empty object", re, without("event_id", "occurred_at", "review_id", "movie_id", "user_id", "rating", "watched_at"),
			[]string{"event_id", "occurred_at", "review_id", "movie_id", "user_id", "watched_at"}},
		{"review_deleted without event_id", rd, without("event_id"), []string{"event_id"}},
		{"review_deleted without occurred_at", rd, without("occurred_at"), []string{"occurred_at"}},
		{"review_deleted without review_id", rd, without("review_id"), []string{"review_id"}},
		{"review_deleted with the nil movie_id", rd, set("movie_id", nilUUID), []string{"movie_id"}},
		{"review_deleted without user_id", rd, without("user_id"), []string{"user_id"}},
		{"review_deleted as an empty object", rd, without("event_id", "occurred_at", "review_id", "movie_id", "user_id"),
			[]string{"event_id", "occurred_at", "review_id", "movie_id", "user_id"}},
		{"review_logged without event_id", rl, without("event_id"), []string{"event_id"}},
		{"review_logged with the nil event_id", rl, set("event_id", nilUUID), []string{"event_id"}},
		{"review_logged without occurred_at", rl, without("occurred_at"), []string{"occurred_at"}},
		{"review_logged without review_id", rl, without("review_id"), []string{"review_id"}},
		{"review_logged without movie_id", rl, without("movie_id"), []string{"movie_id"}},
		{"review_logged with the nil movie_id", rl, set("movie_id", nilUUID), []string{"movie_id"}},
		{"review_logged without user_id", rl, without("user_id"), []string{"user_id"}},
		{"review_logged with a rating of 6", rl, set("rating", 6), []string{"rating"}},
		{"review_logged with a negative rating", rl, set("rating", -1), []string{"rating"}},
		{"review_logged without watched_at", rl, without("watched_at"), []string{"watched_at"}},
		{"review_logged as an empty object", rl, without("event_id", "occurred_at", "review_id", "movie_id", "user_id", "rating", "watched_at"),
			[]string{"event_id", "occurred_at", "review_id", "movie_id", "user_id", "watched_at"}},
		{"movie_discovered without event_id", md, without("event_id"), []string{"event_id"}},
		{"movie_discovered without occurred_at", md, without("occurred_at"), []string{"occurred_at"}},
		{"movie_discovered without movie_id", md, without("movie_id"), []string{"movie_id"}},
		{"movie_discovered without external_metadata_id", md, without("external_metadata_id"), []string{"external_metadata_id"}},
		{"movie_discovered with a name ID", md, set("external_metadata_id", "nm0000151"), []string{"external_metadata_id"}},
		{"movie_discovered with a poster URL that is not http(s)", md, set("poster_url", "file:///etc/passwd"), []string{"poster_url"}},
		{"movie_discovered as an empty object", md, without("event_id", "occurred_at", "movie_id", "external_metadata_id"),
			[]string{"event_id", "occurred_at", "movie_id", "external_metadata_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			payload := patch(t, tt.event, tt.change)
			e, err := domain.UnmarshalEvent(tt.event.EventName(), payload)
			if e != nil {
				t.Errorf("decoded %#v from %s", e, payload)
			}
			if got := validationFields(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("fields = %v, want %v (error: %v)", got, tt.want, err)
			}
		})
	}
}

// A rating on the wire is a number of stars in halves, or null (or absent)
// for no rating; payloads stored before half stars, with an integer
// rating, still decode.
func TestUnmarshalEvent_Ratings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(map[string]any)
		want   domain.Rating
	}{
		{"null is not rated", set("rating", nil), domain.Rating{}},
		{"absent is not rated", without("rating"), domain.Rating{}},
		{"4.5 is four and a half stars", set("rating", 4.5), domain.MustNewRating(4.5)},
		{"0.5 is half a star", set("rating", 0.5), domain.MustNewRating(0.5)},
		{"0 is rated zero stars", set("rating", 0), domain.MustNewRating(0)},
		{"5 is five stars", set("rating", 5), domain.MustNewRating(5)},
	}
	for _, name := range []domain.EventName{domain.EventReviewLogged, domain.EventReviewEdited} {
		var e domain.Event = codecReviewLogged(t)
		if name == domain.EventReviewEdited {
			e = codecReviewEdited(t)
		}
		for _, tt := range tests {
			t.Run(string(name)+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				payload := patch(t, e, tt.change)
				got, err := domain.UnmarshalEvent(name, payload)
				if err != nil {
					t.Fatalf("UnmarshalEvent(%s): %v", payload, err)
				}
				var rating domain.Rating
				switch g := got.(type) {
				case domain.ReviewLogged:
					rating = g.Rating
				case domain.ReviewEdited:
					rating = g.Rating
				default:
					t.Fatalf("decoded a %T", got)
				}
				if got.EventName() != name || rating != tt.want || rating.IsZero() != tt.want.IsZero() {
					t.Errorf("decoded %s with rating %q (not rated: %v), want %s with %q", got.EventName(), rating, rating.IsZero(), name, tt.want)
				}
			})
		}
	}
}

// A review_logged payload as stored before ratings had halves: an integer
// rating, written byte for byte as the old encoder did.
func TestUnmarshalEvent_ReviewLoggedStoredWithAnIntegerRating(t *testing.T) {
	t.Parallel()
	stored := `{"event_id":"` + codecEventID + `","occurred_at":"2024-03-01T20:30:15.123456Z",` +
		`"review_id":"` + codecReviewID + `","movie_id":"` + codecMovieID + `","user_id":"` + codecUserID + `",` +
		`"rating":4,"watched_at":"2024-03-01T18:00:00Z"}`
	got, err := domain.UnmarshalEvent(domain.EventReviewLogged, []byte(stored))
	if err != nil {
		t.Fatalf("UnmarshalEvent: %v", err)
	}
	sameEvent(t, got, codecReviewLogged(t))
	if r := got.(domain.ReviewLogged).Rating; r.Stars() != 4 || r.Halves() != 8 || r.IsZero() {
		t.Errorf("rating = %v stars (%d halves, not rated: %v), want 4 stars", r.Stars(), r.Halves(), r.IsZero())
	}
}

// A rating that is not in half stars is refused naming the field and the
// rule, whatever the event.
func TestUnmarshalEvent_RatingRuleIsNamed(t *testing.T) {
	t.Parallel()
	for _, e := range []domain.Event{codecReviewLogged(t), codecReviewEdited(t)} {
		payload := patch(t, e, set("rating", 4.3))
		_, err := domain.UnmarshalEvent(e.EventName(), payload)
		var ve *domain.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "rating" || !strings.Contains(ve.Fields[0].Rule, "0.5") {
			t.Errorf("%s with rating 4.3: %v, want a ValidationError on rating naming the steps of 0.5", e.EventName(), err)
		}
	}
}

// A payload of one kind stored under the other kind's name does not decode.
func TestUnmarshalEvent_RejectsAPayloadOfTheOtherKind(t *testing.T) {
	t.Parallel()
	md, err := domain.MarshalEvent(codecMovieDiscovered(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := domain.UnmarshalEvent(domain.EventReviewLogged, md); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("movie_discovered payload as review_logged: %v, want ErrValidation", err)
	}
	rl, err := domain.MarshalEvent(codecReviewLogged(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := domain.UnmarshalEvent(domain.EventMovieDiscovered, rl); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("review_logged payload as movie_discovered: %v, want ErrValidation", err)
	}
	rd, err := domain.MarshalEvent(codecReviewDeleted(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []domain.EventName{domain.EventReviewLogged, domain.EventReviewEdited, domain.EventMovieDiscovered} {
		if _, err := domain.UnmarshalEvent(name, rd); !errors.Is(err, domain.ErrValidation) {
			t.Errorf("review_deleted payload as %s: %v, want ErrValidation", name, err)
		}
	}
}

func mustReview(t *testing.T) domain.Review {
	t.Helper()
	r, err := domain.NewReview(domain.NewMovieID(), domain.NewUserID(), domain.MustNewRating(3), domain.Comment{}, now.Add(-time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustMovieWithExternalID(t *testing.T) domain.Movie {
	t.Helper()
	m, err := domain.NewMovie(domain.MustParseExternalMetadataID("tt0093191"), domain.MustNewMovieTitle("Wings of Desire"),
		domain.MustNewReleaseYear(1987), domain.Director{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
