package application_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/mock"
)

// reportPlayHarness wires ReportPlay to a mocked recorder and publisher
// and records what was recorded and published.
type reportPlayHarness struct {
	plays     *mock.MockPlayRecorder
	publisher *mock.MockEventPublisher
	logs      *logRecorder
	uc        *application.ReportPlay

	recorded  []domain.Play
	published []domain.Event
}

func newReportPlayHarness(t *testing.T) *reportPlayHarness {
	t.Helper()
	ctrl := gomock.NewController(t)
	logger, logs := newLogger()
	h := &reportPlayHarness{plays: mock.NewMockPlayRecorder(ctrl), publisher: mock.NewMockEventPublisher(ctrl), logs: logs}
	h.uc = must(application.NewReportPlay(h.plays, h.publisher, logger, clock))
	return h
}

// expectRecord makes RecordPlay store the play (recorded) or find it
// stored already (not recorded, no events), as a store does.
func (h *reportPlayHarness) expectRecord(recorded bool) {
	h.plays.EXPECT().RecordPlay(gomock.Any(), gomock.Any(), fixedNow).DoAndReturn(
		func(_ context.Context, p domain.Play, now time.Time) ([]domain.Event, bool, error) {
			h.recorded = append(h.recorded, p)
			if !recorded {
				return nil, false, nil
			}
			return []domain.Event{domain.NewPlayReported(p, now)}, true, nil
		})
}

func (h *reportPlayHarness) expectPublish(n int, err error) {
	h.publisher.EXPECT().Publish(gomock.Any(), gomock.Any()).Times(n).DoAndReturn(
		func(_ context.Context, e domain.Event) error {
			h.published = append(h.published, e)
			return err
		})
}

// plexHook is a Plex webhook of a user, limited to account ("" for all).
func plexHook(account string) domain.Webhook {
	w, _ := must2(domain.NewWebhook(domain.NewUserID(), domain.SourcePlex, account, fixedNow.Add(-time.Hour)))
	return w
}

func hookOf(source domain.WebhookSource) domain.Webhook {
	w, _ := must2(domain.NewWebhook(domain.NewUserID(), source, "", fixedNow.Add(-time.Hour)))
	return w
}

// scrobble is a Plex scrobble as the HTTP layer reads it.
func scrobble() application.ReportPlayCommand {
	return application.ReportPlayCommand{
		Kind:               domain.PlayWatched,
		ExternalMetadataID: "tt0090728",
		Title:              "Big Trouble in Little China",
		Year:               ptr(1986),
		At:                 time.Date(2025, 6, 1, 11, 30, 15, 500_000_000, time.FixedZone("CEST", 2*60*60)),
		Account:            "alice",
	}
}

func TestNewReportPlayRejectsMissingPorts(t *testing.T) {
	t.Parallel()
	ctrl := gomock.NewController(t)
	if _, err := application.NewReportPlay(nil, mock.NewMockEventPublisher(ctrl), nil, nil); err == nil {
		t.Error("a nil recorder was accepted")
	}
	if _, err := application.NewReportPlay(mock.NewMockPlayRecorder(ctrl), nil, nil, nil); err == nil {
		t.Error("a nil publisher was accepted")
	}
	if _, err := application.NewReportPlay(mock.NewMockPlayRecorder(ctrl), mock.NewMockEventPublisher(ctrl), nil, nil); err != nil {
		t.Errorf("a nil logger and clock are defaults: %v", err)
	}
}

func TestReportPlayRecordsAndPublishes(t *testing.T) {
	t.Parallel()
	h := newReportPlayHarness(t)
	hook := plexHook("")
	h.expectRecord(true)
	h.expectPublish(1, nil)

	res, err := h.uc.Handle(t.Context(), hook, scrobble())
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if !res.Recorded || res.Ignored {
		t.Errorf("result %+v, want recorded", res)
	}
	want := domain.Play{
		User: hook.UserID, Source: domain.SourcePlex, Kind: domain.PlayWatched,
		ExternalID: domain.MustParseExternalMetadataID("tt0090728"), Title: domain.MustNewMovieTitle("Big Trouble in Little China"),
		Year: domain.MustNewReleaseYear(1986), At: time.Date(2025, 6, 1, 9, 30, 15, 0, time.UTC),
	}
	if len(h.recorded) != 1 || h.recorded[0] != want {
		t.Fatalf("recorded %+v, want %+v", h.recorded, want)
	}
	e, ok := h.published[0].(domain.PlayReported)
	if !ok || e.Play != want || !e.Time.Equal(fixedNow) {
		t.Errorf("published %#v, want the PlayReported of the play, reported now", h.published[0])
	}
}

func TestReportPlayTakesWhatTheServerGave(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		hook domain.Webhook
		cmd  func(c *application.ReportPlayCommand)
		want func(p *domain.Play)
	}{
		{"an IMDb URL", plexHook(""), func(c *application.ReportPlayCommand) {
			c.ExternalMetadataID = " https://www.imdb.com/title/tt0090728/ "
		}, func(*domain.Play) {}},
		{"by IMDb ID alone", hookOf(domain.SourceEmby), func(c *application.ReportPlayCommand) { c.Title, c.Year = "", nil },
			func(p *domain.Play) { p.Title, p.Year = domain.MovieTitle{}, domain.ReleaseYear{} }},
		{"by title and year, a blank ID being none", hookOf(domain.SourceJellyfin), func(c *application.ReportPlayCommand) { c.ExternalMetadataID = "  " },
			func(p *domain.Play) { p.ExternalID = domain.ExternalMetadataID{} }},
		{"by title alone", plexHook(""), func(c *application.ReportPlayCommand) { c.ExternalMetadataID, c.Year = "", nil },
			func(p *domain.Play) { p.ExternalID, p.Year = domain.ExternalMetadataID{}, domain.ReleaseYear{} }},
		{"no time is the time of receipt", plexHook(""), func(c *application.ReportPlayCommand) { c.At = time.Time{} },
			func(p *domain.Play) { p.At = fixedNow }},
		{"a time ahead of our clock counts as now", plexHook(""), func(c *application.ReportPlayCommand) { c.At = fixedNow.Add(time.Hour) },
			func(p *domain.Play) { p.At = fixedNow }},
		{"a time just ahead of our clock counts as now", plexHook(""), func(c *application.ReportPlayCommand) { c.At = fixedNow.Add(time.Second) },
			func(p *domain.Play) { p.At = fixedNow }},
		{"an old play keeps its time", plexHook(""), func(c *application.ReportPlayCommand) { c.At = time.Unix(1_600_000_000, 0) },
			func(p *domain.Play) { p.At = time.Unix(1_600_000_000, 0).UTC() }},
		{"a rating in halves", plexHook(""), func(c *application.ReportPlayCommand) { c.Kind, c.Rating = domain.PlayRated, ptr(4.5) },
			func(p *domain.Play) { p.Kind, p.Rating = domain.PlayRated, domain.MustNewRating(4.5) }},
		{"a rating of zero stars", plexHook(""), func(c *application.ReportPlayCommand) { c.Kind, c.Rating = domain.PlayRated, ptr(0.0) },
			func(p *domain.Play) { p.Kind, p.Rating = domain.PlayRated, domain.MustNewRating(0) }},
		{"the limited account's play, in other case", plexHook("Alice"), func(c *application.ReportPlayCommand) { c.Account = "ALICE" }, func(*domain.Play) {}},
		{"another account's play on jellyfin is not filtered", hookOf(domain.SourceJellyfin), func(c *application.ReportPlayCommand) { c.Account = "bob" },
			func(p *domain.Play) { p.Source = domain.SourceJellyfin }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newReportPlayHarness(t)
			h.expectRecord(true)
			h.expectPublish(1, nil)
			cmd := scrobble()
			tt.cmd(&cmd)
			res, err := h.uc.Handle(t.Context(), tt.hook, cmd)
			if err != nil || !res.Recorded || res.Ignored {
				t.Fatalf("Handle = %+v, %v; want recorded", res, err)
			}
			want := domain.Play{
				User: tt.hook.UserID, Source: tt.hook.Source, Kind: domain.PlayWatched,
				ExternalID: domain.MustParseExternalMetadataID("tt0090728"), Title: domain.MustNewMovieTitle("Big Trouble in Little China"),
				Year: domain.MustNewReleaseYear(1986), At: time.Date(2025, 6, 1, 9, 30, 15, 0, time.UTC),
			}
			tt.want(&want)
			got := h.recorded[0]
			if !got.At.Equal(want.At) || got.At.Location() != time.UTC {
				t.Errorf("At = %v, want %v in UTC", got.At, want.At)
			}
			got.At, want.At = time.Time{}, time.Time{}
			if got != want {
				t.Errorf("recorded %+v, want %+v", got, want)
			}
		})
	}
}

func TestReportPlayIgnoresOtherPlexAccounts(t *testing.T) {
	t.Parallel()
	for _, account := range []string{"bob", "", "alic"} {
		h := newReportPlayHarness(t) // gomock fails on any port call
		cmd := scrobble()
		cmd.Account = account
		res, err := h.uc.Handle(t.Context(), plexHook("alice"), cmd)
		if err != nil || !res.Ignored || res.Recorded {
			t.Errorf("account %q: Handle = %+v, %v; want ignored, nothing recorded", account, res, err)
		}
	}
	// Ignored before validation: another account's broken play is none of
	// this user's business.
	h := newReportPlayHarness(t)
	res, err := h.uc.Handle(t.Context(), plexHook("alice"), application.ReportPlayCommand{Kind: domain.PlayWatched, Account: "bob"})
	if err != nil || !res.Ignored {
		t.Errorf("another account's play naming no film: %+v, %v; want ignored", res, err)
	}
}

func TestReportPlayRefusesBadReportsAndRecordsNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cmd  func(c *application.ReportPlayCommand)
		want []string
	}{
		{"neither an IMDb ID nor a title", func(c *application.ReportPlayCommand) { c.ExternalMetadataID, c.Title, c.Year = "", "", nil }, []string{"film"}},
		{"blanks for both", func(c *application.ReportPlayCommand) { c.ExternalMetadataID, c.Title = " ", "\t" }, []string{"film"}},
		{"a year alone", func(c *application.ReportPlayCommand) { c.ExternalMetadataID, c.Title = "", "" }, []string{"film"}},
		{"a malformed IMDb ID", func(c *application.ReportPlayCommand) { c.ExternalMetadataID = "imdb://nm0000151" }, []string{"external_metadata_id"}},
		{"a title on two lines", func(c *application.ReportPlayCommand) { c.Title = "Big\nTrouble" }, []string{"title"}},
		{"a year of 0", func(c *application.ReportPlayCommand) { c.Year = ptr(0) }, []string{"year"}},
		{"a year too far ahead", func(c *application.ReportPlayCommand) { c.Year = ptr(fixedNow.Year() + 6) }, []string{"year"}},
		{"a rating of 4.3", func(c *application.ReportPlayCommand) { c.Kind, c.Rating = domain.PlayRated, ptr(4.3) }, []string{"rating"}},
		{"a rating of 10 (not halved)", func(c *application.ReportPlayCommand) { c.Kind, c.Rating = domain.PlayRated, ptr(10.0) }, []string{"rating"}},
		{"a rating without a rating", func(c *application.ReportPlayCommand) { c.Kind = domain.PlayRated }, []string{"rating"}},
		{"an unknown kind", func(c *application.ReportPlayCommand) { c.Kind = "paused" }, []string{"kind"}},
		{"a time before films", func(c *application.ReportPlayCommand) { c.At = time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC) }, []string{"watched_at"}},
		{"every malformed field at once", func(c *application.ReportPlayCommand) {
			c.ExternalMetadataID, c.Title, c.Year, c.Rating = "tt12", "a\x00b", ptr(1700), ptr(-1.0)
		}, []string{"external_metadata_id", "title", "year", "rating"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newReportPlayHarness(t) // gomock fails on any port call
			cmd := scrobble()
			tt.cmd(&cmd)
			res, err := h.uc.Handle(t.Context(), plexHook(""), cmd)
			requireFields(t, err, tt.want...)
			if res.Recorded || res.Ignored {
				t.Errorf("result %+v with a refusal", res)
			}
		})
	}
}

func TestReportPlayTheSamePlayTwiceIsRecordedOnce(t *testing.T) {
	t.Parallel()
	h := newReportPlayHarness(t)
	h.expectRecord(false) // the store found it: nothing stored, nothing to publish
	res, err := h.uc.Handle(t.Context(), plexHook(""), scrobble())
	if err != nil || res.Recorded || res.Ignored {
		t.Errorf("Handle = %+v, %v; want not recorded, not ignored, no error", res, err)
	}
	if len(h.published) != 0 {
		t.Errorf("published %v for a play already recorded", h.published)
	}
}

func TestReportPlayKeepsTheRecorderErrorKind(t *testing.T) {
	t.Parallel()
	for _, kind := range []error{domain.ErrInfrastructure, domain.ErrUnavailable} {
		h := newReportPlayHarness(t)
		h.plays.EXPECT().RecordPlay(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil, false, kind)
		res, err := h.uc.Handle(t.Context(), plexHook(""), scrobble())
		requireKind(t, err, kind)
		if res.Recorded {
			t.Errorf("result %+v with a failed store", res)
		}
	}
}

// The play is stored with its event: a publisher that fails is logged and
// the report still succeeds (the outbox delivers it).
func TestReportPlayPublishFailureIsLoggedNotReturned(t *testing.T) {
	t.Parallel()
	h := newReportPlayHarness(t)
	h.expectRecord(true)
	h.expectPublish(1, errDown)
	res, err := h.uc.Handle(t.Context(), plexHook(""), scrobble())
	if err != nil || !res.Recorded {
		t.Errorf("Handle = %+v, %v; want recorded", res, err)
	}
	if len(h.logs.at(slog.LevelError)) == 0 {
		t.Error("the failed publish was not logged at ERROR")
	}
}
