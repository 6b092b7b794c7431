package domain_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// codecPlayReported is a rated Plex play by IMDb ID, title and year,
// reported at hookNow.
func codecPlayReported(t *testing.T) domain.PlayReported {
	t.Helper()
	a := validPlayArgs()
	a.kind, a.rating = domain.PlayRated, domain.MustNewRating(3.5)
	p, err := a.newPlay()
	if err != nil {
		t.Fatal(err)
	}
	return domain.NewPlayReported(p, hookNow)
}

// samePlayReported fails unless got is want, decoded.
func samePlayReported(t *testing.T, got domain.Event, want domain.PlayReported) {
	t.Helper()
	g, ok := got.(domain.PlayReported)
	if !ok {
		t.Fatalf("decoded %T, want domain.PlayReported", got)
	}
	if g.ID != want.ID || !g.Time.Equal(want.Time) || g.Time.Location() != time.UTC {
		t.Errorf("meta = %+v, want %+v in UTC", g.EventMeta, want.EventMeta)
	}
	if !g.Play.At.Equal(want.Play.At) || g.Play.At.Location() != time.UTC {
		t.Errorf("At = %v, want %v in UTC", g.Play.At, want.Play.At)
	}
	gp, wp := g.Play, want.Play
	gp.At, wp.At = time.Time{}, time.Time{}
	if gp != wp {
		t.Errorf("play = %+v, want %+v", gp, wp)
	}
	if g.EventName() != domain.EventPlayReported || !g.MovieID().IsZero() {
		t.Errorf("name %q, movie %v: want %q and no movie", g.EventName(), g.MovieID(), domain.EventPlayReported)
	}
}

func TestNewPlayReported(t *testing.T) {
	t.Parallel()
	e := codecPlayReported(t)
	if e.ID.IsZero() || !e.Time.Equal(hookNow) || e.EventName() != "play_reported" || !e.MovieID().IsZero() {
		t.Errorf("event %+v: want an ID, the time reported, play_reported and no movie yet", e)
	}
	if domain.NewPlayReported(e.Play, hookNow).ID == e.ID {
		t.Error("two reports share an event ID")
	}
}

func TestPlayReported_RoundTrips(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*playArgs)
	}{
		{"a rated play by IMDb ID, title and year", func(a *playArgs) { a.kind, a.rating = domain.PlayRated, domain.MustNewRating(3.5) }},
		{"a rating of zero stars", func(a *playArgs) { a.kind, a.rating = domain.PlayRated, domain.MustNewRating(0) }},
		{"a watched play, not rated", func(*playArgs) {}},
		{"by IMDb ID alone", func(a *playArgs) { a.title, a.year = domain.MovieTitle{}, domain.ReleaseYear{} }},
		{"by title and year", func(a *playArgs) { a.ext = domain.ExternalMetadataID{} }},
		{"by title alone, from jellyfin", func(a *playArgs) {
			a.source, a.ext, a.year = domain.SourceJellyfin, domain.ExternalMetadataID{}, domain.ReleaseYear{}
		}},
		{"from emby, at the edge of the clock skew", func(a *playArgs) { a.source, a.at = domain.SourceEmby, hookNow.Add(domain.ClockSkew) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := validPlayArgs()
			tt.change(&a)
			p, err := a.newPlay()
			if err != nil {
				t.Fatal(err)
			}
			e := domain.NewPlayReported(p, hookNow)
			payload, err := domain.MarshalEvent(e)
			if err != nil {
				t.Fatalf("MarshalEvent: %v", err)
			}
			got, err := domain.UnmarshalEvent(domain.EventPlayReported, payload)
			if err != nil {
				t.Fatalf("UnmarshalEvent(%s): %v", payload, err)
			}
			samePlayReported(t, got, e)

			ptr, err := domain.MarshalEvent(&e)
			if err != nil || string(ptr) != string(payload) {
				t.Errorf("MarshalEvent(&e) = %s, %v; want %s", ptr, err, payload)
			}
		})
	}
	var nilEvent *domain.PlayReported
	if _, err := domain.MarshalEvent(nilEvent); !errors.Is(err, domain.ErrInfrastructure) {
		t.Errorf("MarshalEvent(nil *PlayReported) = %v, want ErrInfrastructure", err)
	}
}

// The wire form leaves out what the server did not give, and a rating is
// null when the play is not rated.
func TestPlayReported_WireForm(t *testing.T) {
	t.Parallel()
	e := codecPlayReported(t)
	payload, err := domain.MarshalEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"event_id": e.ID.String(), "occurred_at": "2025-06-01T12:00:00Z",
		"user_id": e.Play.User.String(), "source": "plex", "kind": "rated",
		"external_metadata_id": "tt0090728", "title": "Big Trouble in Little China", "year": 1986.0,
		"at": "2025-06-01T11:00:00Z", "rating": 3.5,
	}
	if len(m) != len(want) {
		t.Errorf("wire form %s, want the keys of %v", payload, want)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v (payload %s)", k, m[k], v, payload)
		}
	}

	a := validPlayArgs()
	a.title, a.year = domain.MovieTitle{}, domain.ReleaseYear{}
	p, err := a.newPlay()
	if err != nil {
		t.Fatal(err)
	}
	payload, err = domain.MarshalEvent(domain.NewPlayReported(p, hookNow))
	if err != nil {
		t.Fatal(err)
	}
	m = nil
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"title", "year"} {
		if _, ok := m[k]; ok {
			t.Errorf("an unknown %s is on the wire: %s", k, payload)
		}
	}
	if r, ok := m["rating"]; !ok || r != nil {
		t.Errorf("rating of a watched play = %#v (present %v), want null", r, ok)
	}
}

// Optional fields: absent or empty is "not given".
func TestUnmarshalEvent_PlayReportedOptionalFields(t *testing.T) {
	t.Parallel()
	e := codecPlayReported(t)
	tests := []struct {
		name   string
		change func(map[string]any)
		want   func(p *domain.Play)
	}{
		{"no title", without("title"), func(p *domain.Play) { p.Title = domain.MovieTitle{} }},
		{"an empty title", set("title", ""), func(p *domain.Play) { p.Title = domain.MovieTitle{} }},
		{"no year", without("year"), func(p *domain.Play) { p.Year = domain.ReleaseYear{} }},
		{"a year of 0", set("year", 0), func(p *domain.Play) { p.Year = domain.ReleaseYear{} }},
		{"no IMDb ID", without("external_metadata_id"), func(p *domain.Play) { p.ExternalID = domain.ExternalMetadataID{} }},
		{"an IMDb URL", set("external_metadata_id", "https://www.imdb.com/title/tt0090728/"), func(*domain.Play) {}},
		{"a watched play with a null rating", func(m map[string]any) { m["kind"], m["rating"] = "watched", nil },
			func(p *domain.Play) { p.Kind, p.Rating = domain.PlayWatched, domain.Rating{} }},
		{"a watched play without a rating", func(m map[string]any) { m["kind"] = "watched"; delete(m, "rating") },
			func(p *domain.Play) { p.Kind, p.Rating = domain.PlayWatched, domain.Rating{} }},
		{"an unknown field is ignored", set("thumb", "x"), func(*domain.Play) {}},
		{"a time with an offset is read in UTC", set("at", "2025-06-01T13:00:00+02:00"), func(*domain.Play) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.UnmarshalEvent(domain.EventPlayReported, patch(t, e, tt.change))
			if err != nil {
				t.Fatalf("UnmarshalEvent: %v", err)
			}
			want := e
			tt.want(&want.Play)
			samePlayReported(t, got, want)
		})
	}
}

func TestUnmarshalEvent_PlayReportedRejectsBadFields(t *testing.T) {
	t.Parallel()
	e := codecPlayReported(t)
	tests := []struct {
		name   string
		change func(map[string]any)
		want   []string
	}{
		{"without event_id", without("event_id"), []string{"event_id"}},
		{"without occurred_at", without("occurred_at"), []string{"occurred_at"}},
		{"without user_id", without("user_id"), []string{"user_id"}},
		{"with the nil user_id", set("user_id", nilUUID), []string{"user_id"}},
		{"with a name ID for the film", set("external_metadata_id", "nm0000151"), []string{"external_metadata_id"}},
		{"with a title on two lines", set("title", "Big\nTrouble"), []string{"title"}},
		{"with a year before films", set("year", 1700), []string{"year"}},
		{"with a rating of 4.3", set("rating", 4.3), []string{"rating"}},
		{"with a rating of 6", set("rating", 6), []string{"rating"}},
		{"every field rule at once", func(m map[string]any) {
			m["user_id"], m["external_metadata_id"], m["title"], m["year"], m["rating"] = nilUUID, "x", "\x00", 1, -1
		}, []string{"user_id", "external_metadata_id", "title", "year", "rating"}},
		{"with an unknown source", set("source", "kodi"), []string{"source"}},
		{"without a kind", without("kind"), []string{"kind"}},
		{"a rated play without a rating", set("rating", nil), []string{"rating"}},
		{"neither an IMDb ID nor a title", without("external_metadata_id", "title", "year"), []string{"film"}},
		// Not "year: must be from 1888 to 6": the year is checked as of
		// the report (see the test below).
		{"without the time of the play", without("at"), []string{"watched_at"}},
		{"a play after its report", set("at", "2025-06-01T13:00:00Z"), []string{"watched_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			payload := patch(t, e, tt.change)
			got, err := domain.UnmarshalEvent(domain.EventPlayReported, payload)
			if got != nil {
				t.Errorf("decoded %#v from %s", got, payload)
			}
			if !errors.Is(err, domain.ErrValidation) || domain.IsPermanent(err) == false {
				t.Errorf("error %v: want a permanent validation error", err)
			}
			if fields := validationFields(t, err); !slices.Equal(fields, tt.want) {
				t.Errorf("fields = %v, want %v (error: %v)", fields, tt.want, err)
			}
		})
	}
	for _, payload := range []string{"", "not json", `[]`, `{"user_id": 42}`, `{"at": "yesterday"}`} {
		got, err := domain.UnmarshalEvent(domain.EventPlayReported, []byte(payload))
		if got != nil {
			t.Errorf("decoded %#v from %q", got, payload)
		}
		if fields := validationFields(t, err); !slices.Equal(fields, []string{"payload"}) {
			t.Errorf("%q: fields = %v, want [payload] (error: %v)", payload, fields, err)
		}
	}
}

// An event ReportPlay stored must stay decodable: its year was checked
// against the time of the report, so decoding checks it against that
// time too (occurred_at), not against the earlier time of the play. A
// film dated five years ahead (an announced release, or a wrong year in
// the server's library), played on New Year's Eve and reported after
// midnight, was accepted but cannot be decoded: the outbox would
// dead-letter the play.
func TestUnmarshalEvent_PlayReportedYearIsCheckedAsOfTheReport(t *testing.T) {
	t.Parallel()
	reported := time.Date(2026, 1, 1, 0, 10, 0, 0, time.UTC)
	played := time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC)
	year, err := domain.NewReleaseYearAt(2031, reported) // what ReportPlay checks
	if err != nil {
		t.Fatal(err)
	}
	p, err := domain.NewPlay(domain.NewUserID(), domain.SourcePlex, domain.PlayWatched, domain.ExternalMetadataID{},
		domain.MustNewMovieTitle("Announced"), year, played, domain.Rating{}, reported)
	if err != nil {
		t.Fatalf("NewPlay: %v", err)
	}
	e := domain.NewPlayReported(p, reported)
	payload, err := domain.MarshalEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := domain.UnmarshalEvent(domain.EventPlayReported, payload)
	if err != nil {
		t.Fatalf("a stored event does not decode: %v (payload %s)", err, payload)
	}
	samePlayReported(t, got, e)
}
