package e2e_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The media-server webhooks page through the binary on SQLite and
// PostgreSQL: a webhook made on the page logs the film of a Jellyfin play
// posted to the URL it shows; rotating it kills the old URL; deleting it
// kills the new one.

var (
	// webhookURLRe finds the URL a 201 webhooks page shows, under the
	// harness's BASE_URL.
	webhookURLRe    = regexp.MustCompile(`<code class="token" id="new-webhook-url">http://diary\.example(/webhooks/jellyfin/[A-Za-z0-9_-]+)</code>`)
	webhookRotateRe = regexp.MustCompile(`action="(/webhooks/[0-9a-f-]{36}/rotate)"`)
	webhookDeleteRe = regexp.MustCompile(`action="(/webhooks/[0-9a-f-]{36}/delete)"`)
)

// jellyfinMatrixStop is the Jellyfin webhook plugin's completed
// PlaybackStop ("Send All Properties"), shaped like
// adapters/mediaserver/testdata/jellyfin_playback_stop_completed.json, of
// a film the fake OMDb knows.
const jellyfinMatrixStop = `{
  "ServerId": "d4f1c2a0b9e84b7a8c3e2f1a0b9c8d7e",
  "ServerName": "jellyfin",
  "ServerVersion": "10.9.11",
  "ServerUrl": "http://192.168.1.20:8096",
  "NotificationType": "PlaybackStop",
  "Timestamp": "2024-06-01T21:50:00.1234567+02:00",
  "UtcTimestamp": "2024-06-01T19:50:00.1234567Z",
  "Name": "The Matrix",
  "Overview": "Set in the 22nd century, The Matrix tells the story of a computer hacker...",
  "Tagline": "Welcome to the Real World.",
  "ItemId": "5a1e3b7c9d2f4e6a8b0c1d3e5f7a9b2c",
  "ItemType": "Movie",
  "RunTimeTicks": 81600000000,
  "RunTime": "02:16:00",
  "Year": 1999,
  "PremiereDate": "1999-03-30",
  "Provider_tmdb": "603",
  "Provider_imdb": "tt0133093",
  "Provider_tmdbcollection": "2344",
  "Video_0_Title": "1080p H264 SDR",
  "Video_0_Type": "Video",
  "Audio_0_Title": "English - AAC - Stereo - Default",
  "Audio_0_Type": "Audio",
  "PlaybackPositionTicks": 81590000000,
  "PlaybackPosition": "02:15:59",
  "MediaSourceId": "5a1e3b7c9d2f4e6a8b0c1d3e5f7a9b2c",
  "IsPaused": false,
  "IsAutomated": false,
  "DeviceId": "TW96aWxsYS81LjAgKFgxMTsgTGludXggeDg2XzY0KQ11",
  "DeviceName": "Firefox",
  "ClientName": "Jellyfin Web",
  "PlayedToCompletion": true,
  "NotificationUsername": "elan",
  "UserId": "0f2c4e6a8b1d4f3a9c5e7b2d4f6a8c0e",
  "LastActivityDate": "2024-06-01T19:49:58.0000000Z",
  "LastPlaybackCheckIn": "2024-06-01T19:49:58.0000000Z"
}`

// newWebhookOnPage checks the 201 page r that shows a new or rotated
// Jellyfin webhook's URL once, and returns the URL's path.
func newWebhookOnPage(t *testing.T, what string, r response) string {
	t.Helper()
	page := wantHTML(t, what, r, http.StatusCreated)
	m := webhookURLRe.FindStringSubmatch(page)
	if m == nil || r.Header.Get("Location") != "" {
		t.Fatalf("%s: no webhook URL on the page, or a redirect: %s", what, r)
	}
	if strings.Count(page, m[1]) != 1 || !strings.Contains(page, "it will not be shown again") || !strings.Contains(page, "Playback Stop") {
		t.Errorf("%s: the URL is not shown exactly once with its note and where to paste it", what)
	}
	return m[1]
}

// deliverPlay posts the Jellyfin play to path, as the plugin does.
func (s *server) deliverPlay(t *testing.T, path string) response {
	t.Helper()
	return s.call(t, http.MethodPost, path, jellyfinMatrixStop, "", "Content-Type", "application/json")
}

func TestWeb_WebhooksPage(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		s.account(t, "owner@example.com")
		if r := s.get(t, "/webhooks"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
			t.Errorf("signed-out GET /webhooks = %s, want 303 → /login", r)
		}
		w := s.webSession(t, "owner@example.com", webPassword)
		if page := wantHTML(t, "GET /webhooks", w.page(t, s, "/webhooks"), http.StatusOK); !strings.Contains(page, "No webhooks yet.") ||
			!strings.Contains(page, `<a href="/webhooks">Webhooks</a>`) {
			t.Errorf("a new account's webhooks page lists webhooks, or the header lacks its link")
		}
		wantHTML(t, "a webhook of no known source", w.post(t, s, "/webhooks", url.Values{"source": {"kodi"}}), http.StatusBadRequest)

		first := newWebhookOnPage(t, "POST /webhooks", w.post(t, s, "/webhooks", url.Values{"source": {"jellyfin"}, "plex_account": {""}}))
		if r := s.deliverPlay(t, first); r.Status != http.StatusOK {
			t.Fatalf("the play posted to the shown URL = %s, want 200", r)
		}
		var logged entryJSON
		eventually(t, "The Matrix in the diary", func() bool {
			var ok bool
			logged, ok = s.entryOf(t, "The Matrix")
			return ok
		})
		if logged.Movie.ExternalMetadataID == nil || *logged.Movie.ExternalMetadataID != "tt0133093" || logged.Review.rating() != "null" ||
			!strings.HasPrefix(logged.Review.WatchedAt, "2024-06-01T19:50:00") {
			t.Errorf("the play logged %+v", logged)
		}

		list := wantHTML(t, "GET /webhooks with a webhook", w.page(t, s, "/webhooks"), http.StatusOK)
		if strings.Contains(list, first) || !strings.Contains(list, `<th scope="row">Jellyfin</th>`) {
			t.Errorf("the list shows the URL again, or lacks the webhook")
		}
		rotate, del := webhookRotateRe.FindStringSubmatch(list), webhookDeleteRe.FindStringSubmatch(list)
		if rotate == nil || del == nil {
			t.Fatalf("no rotate or delete button on the webhooks page")
		}

		second := newWebhookOnPage(t, "rotate", w.post(t, s, rotate[1], url.Values{}))
		if second == first {
			t.Fatalf("rotation kept the URL")
		}
		if r := s.deliverPlay(t, first); r.Status != http.StatusNotFound {
			t.Errorf("the rotated URL = %s, want 404", r)
		}
		if r := s.deliverPlay(t, second); r.Status != http.StatusOK {
			t.Errorf("the new URL = %s, want 200", r)
		}

		wantSeeOther(t, "delete", w.post(t, s, del[1], url.Values{}), "/webhooks")
		if r := s.deliverPlay(t, second); r.Status != http.StatusNotFound {
			t.Errorf("a deleted webhook's URL = %s, want 404", r)
		}
		if page := string(w.page(t, s, "/webhooks").Body); !strings.Contains(page, "No webhooks yet.") {
			t.Errorf("the deleted webhook is still listed")
		}
		wantHTML(t, "rotate the deleted webhook", w.post(t, s, rotate[1], url.Values{}), http.StatusNotFound)
		if n := s.totalCount(t); n != 1 {
			t.Errorf("total_count = %d, want 1: the play delivered twice logs once", n)
		}
	})
}
