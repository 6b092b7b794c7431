package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fixtureDir holds the webhook payloads of each media server, shaped like
// their documented webhooks.
const fixtureDir = "../../adapters/mediaserver/testdata"

// webhookBase is the start of every webhook URL: BASE_URL of startApp.
const webhookBase = "http://diary.example"

// fixture reads a payload of fixtureDir.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

// multipartFixture reads a multipart fixture and returns it with its
// Content-Type, whose boundary is the fixture's first line.
func multipartFixture(t *testing.T, name string) (body []byte, contentType string) {
	t.Helper()
	body = fixture(t, name)
	first, _, _ := bytes.Cut(body, []byte("\n"))
	boundary := strings.TrimPrefix(strings.TrimSpace(string(first)), "--")
	if !bytes.Contains(body, []byte("\r\n")) {
		body = bytes.ReplaceAll(body, []byte("\n"), []byte("\r\n"))
	}
	return body, "multipart/form-data; boundary=" + boundary
}

// editJSON returns payload with edit applied to its decoded object.
func editJSON(t *testing.T, payload []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatalf("fixture JSON: %v", err)
	}
	edit(m)
	return mustJSON(t, m)
}

// plexForm is a Plex webhook body: multipart with the event JSON in the
// "payload" field and, when thumb is not empty, a JPEG "thumb" part, as
// Plex posts it.
func plexForm(t *testing.T, payload, thumb []byte) (body []byte, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="payload"`)
	h.Set("Content-Type", "application/json")
	pw, err := mw.CreatePart(h)
	if err == nil {
		_, err = pw.Write(payload)
	}
	if err == nil && len(thumb) > 0 {
		h = textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="thumb"; filename="image.jpg"`)
		h.Set("Content-Type", "image/jpeg")
		if pw, err = mw.CreatePart(h); err == nil {
			_, err = pw.Write(thumb)
		}
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		t.Fatalf("multipart: %v", err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// jpegOf is n bytes that start like a JPEG: a stand-in thumbnail.
func jpegOf(n int) []byte {
	b := bytes.Repeat([]byte{0xA5}, n)
	copy(b, []byte{0xFF, 0xD8, 0xFF, 0xE0})
	return b
}

// webhookCreated is the answer to POST /api/webhooks and its rotation.
type webhookCreated struct {
	ID          string  `json:"id"`
	Source      string  `json:"source"`
	URL         string  `json:"url"`
	PlexAccount *string `json:"plex_account"`
	CreatedAt   string  `json:"created_at"`
}

// webhookListed is one webhook of GET /api/webhooks.
type webhookListed struct {
	ID          string  `json:"id"`
	Source      string  `json:"source"`
	PlexAccount *string `json:"plex_account"`
	CreatedAt   string  `json:"created_at"`
	LastUsedAt  *string `json:"last_used_at"`
}

// createWebhook creates a webhook for source and requires a 201 with an
// absolute URL under BASE_URL.
func (s *server) createWebhook(t *testing.T, bearer, source string, plexAccount any) webhookCreated {
	t.Helper()
	r := s.call(t, http.MethodPost, "/api/webhooks", map[string]any{"source": source, "plex_account": plexAccount}, bearer)
	var out webhookCreated
	decodeStrict(t, r, http.StatusCreated, &out)
	requireKeys(t, r.Body, "id", "source", "url", "plex_account", "created_at")
	if !strings.HasPrefix(out.URL, webhookBase+"/webhooks/"+source+"/") || out.Source != source {
		t.Fatalf("created webhook = %+v, want a %s URL under %s/webhooks/%s/", out, source, webhookBase, source)
	}
	return out
}

// webhooks lists bearer's webhooks and requires a 200 without any URL.
func (s *server) webhooks(t *testing.T, bearer string) []webhookListed {
	t.Helper()
	r := s.call(t, http.MethodGet, "/api/webhooks", nil, bearer)
	var out struct {
		Items []webhookListed `json:"items"`
	}
	decodeStrict(t, r, http.StatusOK, &out)
	if bytes.Contains(r.Body, []byte("/webhooks/")) {
		t.Errorf("GET /api/webhooks shows a webhook URL: %s", r.Body)
	}
	return out.Items
}

// deliver posts body to the webhook URL hookURL, as a media server does:
// no token, no cookie, Accept */*.
func (s *server) deliver(t *testing.T, hookURL, contentType string, body []byte) response {
	t.Helper()
	path, ok := strings.CutPrefix(hookURL, webhookBase)
	if !ok {
		t.Fatalf("webhook URL %q is not under %s", hookURL, webhookBase)
	}
	return s.do(t, req{method: http.MethodPost, path: path, body: body, header: map[string]string{"Content-Type": contentType, "Accept": "*/*"}})
}

// expectDelivery checks a delivery's answer: 200 with status want
// ("recorded", "duplicate"), or 204 when want is "".
func expectDelivery(t *testing.T, r response, want string) {
	t.Helper()
	if want == "" {
		if r.Status != http.StatusNoContent || len(r.Body) != 0 {
			t.Fatalf("delivery = %s, want 204 and no body", r)
		}
		return
	}
	var out struct {
		Status string `json:"status"`
	}
	decodeStrict(t, r, http.StatusOK, &out)
	if out.Status != want {
		t.Fatalf("delivery status = %q, want %q", out.Status, want)
	}
}

// entriesOf polls userID's diary until it holds want entries and returns
// it; the viewings are logged in the background, by the play handler.
func (s *server) entriesOf(t *testing.T, userID string, want int) diaryJSON {
	t.Helper()
	var d diaryJSON
	eventually(t, fmt.Sprintf("%d diary entries of user %s", want, userID), func() bool {
		d = s.diary(t, "limit=100&user_id="+userID)
		// The count and the page are read apart: wait for both.
		return d.TotalCount >= want && len(d.Items) >= min(want, 100)
	})
	if d.TotalCount != want || len(d.Items) != min(want, 100) {
		t.Fatalf("user %s has %d entries (%d on the page), want %d: %+v", userID, d.TotalCount, len(d.Items), want, d.Items)
	}
	return d
}

// TestWebhooks_MediaServerPlays: each media server's documented payloads,
// posted to a webhook URL through the real binary, log viewings in the
// webhook owner's diary: Plex scrobbles by new-agent Guid, by legacy guid
// and by title and year; a Plex rating of a viewing within a day, and one
// without a viewing; Jellyfin's completed PlaybackStop (not the
// uncompleted one or a start); Emby's playback.stop and item.markplayed,
// as JSON or multipart; episodes are ignored; the same play twice is one
// viewing; a Plex URL limited to an account ignores the others'; and the
// scrobbled film gets its poster.
func TestWebhooks_MediaServerPlays(t *testing.T) {
	t.Parallel()
	bigTrouble := filmByID(t, "tt0090728")
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"))

		t.Run("plex scrobble by new-agent Guid, twice, with its thumbnail; then a rating; the poster arrives", func(t *testing.T) {
			token, uid := s.account(t, "plex-guid@example.com")
			hook := s.createWebhook(t, token, "plex", nil)
			body, ct := plexForm(t, fixture(t, "plex_scrobble_guid.json"), jpegOf(64<<10))
			expectDelivery(t, s.deliver(t, hook.URL, ct, body), "recorded")
			expectDelivery(t, s.deliver(t, hook.URL, ct, body), "duplicate")
			// Plex's own multipart body, byte for byte: the same play again.
			body, ct = multipartFixture(t, "plex_scrobble_thumb.multipart")
			expectDelivery(t, s.deliver(t, hook.URL, ct, body), "duplicate")
			d := s.entriesOf(t, uid, 1)
			e := d.Items[0]
			if id := e.Movie.ExternalMetadataID; id == nil || *id != bigTrouble.ID || e.Movie.Title != bigTrouble.Title || e.Movie.ReleaseYear != 1986 {
				t.Errorf("logged movie = %+v, want %s from OMDb", e.Movie, bigTrouble.ID)
			}
			if e.Review.WatchedAt != "2024-06-01T19:50:00" || e.Review.Rating != nil {
				t.Errorf("logged review = %+v, want unrated, watched at lastViewedAt 2024-06-01T19:50:00", e.Review)
			}
			got := s.waitForPoster(t, e.Movie.ID)
			if r := s.get(t, *got.PosterURL); r.Status != http.StatusOK || !bytes.Equal(r.Body, posterImage(bigTrouble.PosterPath)) {
				t.Errorf("GET %s = %d, want the poster host's image", *got.PosterURL, r.Status)
			}

			// media.rate (8 of 10) rates the viewing of the same day: 4 stars,
			// no new entry.
			body, ct = plexForm(t, fixture(t, "plex_rate.json"), nil)
			expectDelivery(t, s.deliver(t, hook.URL, ct, body), "recorded")
			eventually(t, "the viewing to be rated 4", func() bool {
				d = s.diary(t, "limit=100&user_id="+uid)
				return len(d.Items) > 0 && d.Items[0].Review.rating() == "4"
			})
			if d.TotalCount != 1 || d.Items[0].Review.ID != e.Review.ID {
				t.Errorf("after the rating the diary holds %+v, want the one viewing, rated", d.Items)
			}
			if ws := s.webhooks(t, token); len(ws) != 1 || ws[0].ID != hook.ID || ws[0].LastUsedAt == nil {
				t.Errorf("webhooks = %+v, want %s with last_used_at set", ws, hook.ID)
			}
		})

		t.Run("plex scrobble by legacy guid reuses the stored film", func(t *testing.T) {
			token, uid := s.account(t, "plex-legacy@example.com")
			hook := s.createWebhook(t, token, "plex", nil)
			body, ct := plexForm(t, fixture(t, "plex_scrobble_legacy_guid.json"), nil)
			expectDelivery(t, s.deliver(t, hook.URL, ct, body), "recorded")
			e := s.entriesOf(t, uid, 1).Items[0]
			if id := e.Movie.ExternalMetadataID; id == nil || *id != bigTrouble.ID {
				t.Errorf("logged movie = %+v, want %s", e.Movie, bigTrouble.ID)
			}
			if all := s.diary(t, "limit=100&movie_id="+e.Movie.ID); all.TotalCount < 2 {
				t.Errorf("movie %s has %d viewings, want this one and the Guid scrobble's (one movie per film)", e.Movie.ID, all.TotalCount)
			}
		})

		t.Run("plex scrobble by title and year; the time of receipt without lastViewedAt", func(t *testing.T) {
			token, uid := s.account(t, "plex-title@example.com")
			hook := s.createWebhook(t, token, "plex", nil)
			body, ct := plexForm(t, fixture(t, "plex_scrobble_title_year.json"), nil)
			expectDelivery(t, s.deliver(t, hook.URL, ct, body), "recorded")
			e := s.entriesOf(t, uid, 1).Items[0]
			if e.Movie.Title != "Dark Star" || e.Movie.ReleaseYear != 1974 || e.Movie.ExternalMetadataID == nil || *e.Movie.ExternalMetadataID != "tt0069945" {
				t.Errorf("logged movie = %+v, want Dark Star (1974), found by title and year", e.Movie)
			}
		})

		t.Run("plex rating without a viewing logs a rated one", func(t *testing.T) {
			token, uid := s.account(t, "plex-rate@example.com")
			hook := s.createWebhook(t, token, "plex", nil)
			body, ct := plexForm(t, fixture(t, "plex_rate.json"), nil)
			expectDelivery(t, s.deliver(t, hook.URL, ct, body), "recorded")
			e := s.entriesOf(t, uid, 1).Items[0]
			if e.Review.rating() != "4" || e.Movie.ExternalMetadataID == nil || *e.Movie.ExternalMetadataID != bigTrouble.ID {
				t.Errorf("logged entry = %+v, want %s rated 4", e, bigTrouble.ID)
			}
		})

		t.Run("plex: episodes, other events and other accounts are ignored", func(t *testing.T) {
			token, uid := s.account(t, "plex-limited@example.com")
			limited := s.createWebhook(t, token, "plex", "someone-else")
			if limited.PlexAccount == nil || *limited.PlexAccount != "someone-else" {
				t.Errorf("plex_account = %v, want someone-else", limited.PlexAccount)
			}
			body, ct := plexForm(t, fixture(t, "plex_scrobble_guid.json"), nil)
			expectDelivery(t, s.deliver(t, limited.URL, ct, body), "") // elan's play
			open := s.createWebhook(t, token, "plex", nil)
			for _, name := range []string{"plex_scrobble_episode.json", "plex_play.json"} {
				body, ct := plexForm(t, fixture(t, name), nil)
				expectDelivery(t, s.deliver(t, open.URL, ct, body), "")
			}
			// Nothing was stored: the next play is the first viewing.
			body, ct = plexForm(t, fixture(t, "plex_scrobble_title_year.json"), nil)
			expectDelivery(t, s.deliver(t, open.URL, ct, body), "recorded")
			if e := s.entriesOf(t, uid, 1).Items[0]; e.Movie.Title != "Dark Star" {
				t.Errorf("the one entry is %+v, want Dark Star", e.Movie)
			}
		})

		t.Run("jellyfin PlaybackStop: completed logs, uncompleted and episodes do not", func(t *testing.T) {
			token, uid := s.account(t, "jellyfin@example.com")
			hook := s.createWebhook(t, token, "jellyfin", nil)
			for _, name := range []string{"jellyfin_playback_stop_incomplete.json", "jellyfin_playback_stop_episode.json", "jellyfin_playback_start.json"} {
				expectDelivery(t, s.deliver(t, hook.URL, "application/json", fixture(t, name)), "")
			}
			expectDelivery(t, s.deliver(t, hook.URL, "application/json", fixture(t, "jellyfin_playback_stop_completed.json")), "recorded")
			// The plugin's template with string values: the same play.
			expectDelivery(t, s.deliver(t, hook.URL, "application/json", fixture(t, "jellyfin_template_strings.json")), "duplicate")
			e := s.entriesOf(t, uid, 1).Items[0]
			if e.Movie.ExternalMetadataID == nil || *e.Movie.ExternalMetadataID != bigTrouble.ID || e.Review.WatchedAt != "2024-06-01T19:50:00" || e.Review.Rating != nil {
				t.Errorf("logged entry = %+v, want %s unrated at 2024-06-01T19:50:00", e, bigTrouble.ID)
			}
		})

		t.Run("emby playback.stop and item.markplayed, JSON or multipart; episodes ignored", func(t *testing.T) {
			token, uid := s.account(t, "emby@example.com")
			hook := s.createWebhook(t, token, "emby", nil)
			for _, name := range []string{"emby_playback_stop_incomplete.json", "emby_playback_stop_episode.json"} {
				expectDelivery(t, s.deliver(t, hook.URL, "application/json", fixture(t, name)), "")
			}
			expectDelivery(t, s.deliver(t, hook.URL, "application/json", fixture(t, "emby_playback_stop_completed.json")), "recorded")
			body, ct := multipartFixture(t, "emby_playback_stop_completed.multipart")
			expectDelivery(t, s.deliver(t, hook.URL, ct, body), "duplicate")
			expectDelivery(t, s.deliver(t, hook.URL, "application/json", fixture(t, "emby_markplayed.json")), "recorded")
			d := s.entriesOf(t, uid, 2)
			var at []string
			for _, e := range d.Items {
				if e.Movie.ExternalMetadataID == nil || *e.Movie.ExternalMetadataID != bigTrouble.ID {
					t.Errorf("logged movie = %+v, want %s", e.Movie, bigTrouble.ID)
				}
				at = append(at, e.Review.WatchedAt)
			}
			if want := []string{"2024-06-02T08:15:30", "2024-06-01T19:50:00"}; strings.Join(at, " ") != strings.Join(want, " ") {
				t.Errorf("viewings at %q, want %q (markplayed, then playback.stop)", at, want)
			}
		})
	})
}

// TestWebhooks_Refused: what a webhook URL refuses, with problem+json and
// nothing stored: a rotated, deleted or never issued secret (404, the same
// answer); malformed JSON or multipart (400); a body over its bound, 16
// MiB for Plex and 1 MiB for the others, declared or chunked (413); a
// payload naming no film (422).
func TestWebhooks_Refused(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		token, uid := s.account(t, "owner@example.com")
		hooks := map[string]webhookCreated{}
		for _, src := range []string{"plex", "jellyfin", "emby"} {
			hooks[src] = s.createWebhook(t, token, src, nil)
		}
		plexScrobble, plexCT := plexForm(t, fixture(t, "plex_scrobble_guid.json"), nil)
		valid := map[string][2]string{
			"plex":     {plexCT, string(plexScrobble)},
			"jellyfin": {"application/json", string(fixture(t, "jellyfin_playback_stop_completed.json"))},
			"emby":     {"application/json", string(fixture(t, "emby_playback_stop_completed.json"))},
		}

		t.Run("unknown, rotated and deleted secrets are 404 alike", func(t *testing.T) {
			var details []string
			for src, hook := range hooks {
				unknown := webhookBase + "/webhooks/" + src + "/" + strings.Repeat("A", 43)
				details = append(details, expectProblem(t, s.deliver(t, unknown, valid[src][0], []byte(valid[src][1])), http.StatusNotFound).Detail)
				rotated := s.rotateWebhook(t, token, hook.ID)
				details = append(details, expectProblem(t, s.deliver(t, hook.URL, valid[src][0], []byte(valid[src][1])), http.StatusNotFound).Detail)
				hooks[src] = rotated
			}
			deleted := s.createWebhook(t, token, "jellyfin", nil)
			if r := s.call(t, http.MethodDelete, "/api/webhooks/"+deleted.ID, nil, token); r.Status != http.StatusNoContent {
				t.Fatalf("delete: %s", r)
			}
			details = append(details, expectProblem(t, s.deliver(t, deleted.URL, valid["jellyfin"][0], []byte(valid["jellyfin"][1])), http.StatusNotFound).Detail)
			// Another source's path with a real secret.
			secret := hooks["emby"].URL[strings.LastIndex(hooks["emby"].URL, "/")+1:]
			details = append(details, expectProblem(t, s.deliver(t, webhookBase+"/webhooks/jellyfin/"+secret, valid["jellyfin"][0], []byte(valid["jellyfin"][1])), http.StatusNotFound).Detail)
			for _, d := range details {
				if d != details[0] {
					t.Errorf("404 details differ: %q", details)
					break
				}
			}
		})

		t.Run("malformed JSON or multipart is 400", func(t *testing.T) {
			badPlex, badPlexCT := plexForm(t, []byte(`{"event":"media.scrobble","Metadata":`), nil)
			cases := []struct{ src, ct, body string }{
				{"plex", badPlexCT, string(badPlex)},
				{"plex", "multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"payload\"\r\n\r\n{\"event\":"},
				{"plex", "multipart/form-data", string(plexScrobble)},
				{"jellyfin", "application/json", `{"NotificationType":"PlaybackStop",`},
				{"jellyfin", "application/json", `["PlaybackStop"]`},
				{"emby", "application/json", `{"Event":"playback.stop","Item":{"Type":`},
				{"emby", "multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\n{}\r\n--xyz--\r\n"},
			}
			for _, c := range cases {
				expectProblem(t, s.deliver(t, hooks[c.src].URL, c.ct, []byte(c.body)), http.StatusBadRequest)
			}
		})

		t.Run("a payload naming no film is 422", func(t *testing.T) {
			noPlexFilm, ct := plexForm(t, editJSON(t, fixture(t, "plex_scrobble_guid.json"), func(m map[string]any) {
				md := m["Metadata"].(map[string]any)
				delete(md, "title")
				delete(md, "guid")
				delete(md, "Guid")
			}), nil)
			noJellyfinFilm := editJSON(t, fixture(t, "jellyfin_playback_stop_completed.json"), func(m map[string]any) {
				delete(m, "Name")
				delete(m, "Provider_imdb")
			})
			noEmbyFilm := editJSON(t, fixture(t, "emby_playback_stop_completed.json"), func(m map[string]any) {
				item := m["Item"].(map[string]any)
				delete(item, "Name")
				delete(item, "ProviderIds")
			})
			for _, r := range []response{
				s.deliver(t, hooks["plex"].URL, ct, noPlexFilm),
				s.deliver(t, hooks["jellyfin"].URL, "application/json", noJellyfinFilm),
				s.deliver(t, hooks["emby"].URL, "application/json", noEmbyFilm),
			} {
				p := expectProblem(t, r, http.StatusUnprocessableEntity, "film")
				if len(p.Errors) == 0 || p.Errors[0].Field != "film" {
					t.Errorf("422 errors = %+v, want the field film", p.Errors)
				}
			}
		})

		t.Run("a body over its bound is 413, declared or chunked", func(t *testing.T) {
			const mib = 1 << 20
			// A Plex body of exactly 16 MiB, thumbnail included, is read.
			titleYear := fixture(t, "plex_scrobble_title_year.json")
			probe, _ := plexForm(t, titleYear, jpegOf(1))
			within, ct := plexForm(t, titleYear, jpegOf(16*mib-len(probe)+1))
			if len(within) != 16*mib {
				t.Fatalf("the Plex body within the bound has %d bytes, want %d", len(within), 16*mib)
			}
			expectDelivery(t, s.deliver(t, hooks["plex"].URL, ct, within), "recorded")
			over, ct := plexForm(t, plexScrobble, jpegOf(16*mib+1))
			padded := func(raw string) []byte {
				return append([]byte(raw), bytes.Repeat([]byte(" "), mib+1-len(raw))...)
			}
			cases := []struct {
				src, ct string
				body    []byte
			}{
				{"plex", ct, over},
				{"jellyfin", "application/json", padded(valid["jellyfin"][1])},
				{"emby", "application/json", padded(valid["emby"][1])},
			}
			for _, c := range cases {
				path := strings.TrimPrefix(hooks[c.src].URL, webhookBase)
				for _, chunked := range []bool{false, true} {
					r := s.raw(t, path, map[string]string{"Content-Type": c.ct}, c.body, chunked)
					p := expectProblem(t, r, http.StatusRequestEntityTooLarge, "MiB")
					if c.src != "plex" && !strings.Contains(p.Detail, "1 MiB") || c.src == "plex" && !strings.Contains(p.Detail, "16 MiB") {
						t.Errorf("%s 413 detail = %q, want its bound", c.src, p.Detail)
					}
					httpReq, _ := http.NewRequest(http.MethodPost, s.base+path, nil)
					httpReq.Header.Set("Content-Type", c.ct)
					checkExchange(t, httpReq, nil, r)
				}
			}
		})

		// Only the one 16 MiB Plex play of the bound test was stored.
		if d := s.entriesOf(t, uid, 1); d.Items[0].Movie.Title != "Dark Star" {
			t.Errorf("the one entry is %+v, want Dark Star", d.Items[0].Movie)
		}
	})
}

// rotateWebhook rotates bearer's webhook id and requires a 200 with a new
// URL.
func (s *server) rotateWebhook(t *testing.T, bearer, id string) webhookCreated {
	t.Helper()
	r := s.call(t, http.MethodPost, "/api/webhooks/"+id+"/rotate", nil, bearer)
	var out webhookCreated
	decodeStrict(t, r, http.StatusOK, &out)
	requireKeys(t, r.Body, "id", "source", "url", "plex_account", "created_at")
	if out.ID != id || !strings.HasPrefix(out.URL, webhookBase+"/webhooks/"+out.Source+"/") {
		t.Fatalf("rotated webhook = %+v, want %s with a new URL", out, id)
	}
	return out
}

// TestWebhooks_API: creating, listing, rotating and deleting webhooks
// through the API, with a session or an API token: the URL is shown at
// creation and rotation only, the old URL is dead at once, another
// account's webhook is a 404, and bad requests are 400, 401, 413 or 415
// problems.
func TestWebhooks_API(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withEnv("ALLOW_REGISTRATION", "true"))
		token, _ := s.account(t, "owner@example.com")
		apiToken := s.createToken(t, token, map[string]any{"name": "webhooks"}).Token
		other, _ := s.account(t, "other@example.com")

		plex := s.createWebhook(t, apiToken, "plex", "Elan")
		jelly := s.createWebhook(t, token, "jellyfin", nil)
		if plex.URL == jelly.URL || plex.PlexAccount == nil || *plex.PlexAccount != "Elan" || jelly.PlexAccount != nil {
			t.Errorf("created %+v and %+v, want distinct URLs and plex_account Elan, then null", plex, jelly)
		}
		ws := s.webhooks(t, apiToken)
		if len(ws) != 2 || ws[0].ID != jelly.ID || ws[1].ID != plex.ID || ws[0].LastUsedAt != nil {
			t.Errorf("webhooks = %+v, want jellyfin then plex, newest first, never used", ws)
		}
		if ws := s.webhooks(t, other); len(ws) != 0 {
			t.Errorf("another account sees %+v", ws)
		}

		// Rotation: a new URL, the old one dead at once.
		rotated := s.rotateWebhook(t, token, plex.ID)
		if rotated.URL == plex.URL || rotated.Source != "plex" || rotated.PlexAccount == nil || *rotated.PlexAccount != "Elan" || rotated.CreatedAt != plex.CreatedAt {
			t.Errorf("rotated = %+v, want %+v with a new URL", rotated, plex)
		}
		body, ct := plexForm(t, fixture(t, "plex_scrobble_guid.json"), nil)
		expectProblem(t, s.deliver(t, plex.URL, ct, body), http.StatusNotFound)
		expectDelivery(t, s.deliver(t, rotated.URL, ct, body), "recorded") // Elan's play, whatever the case

		// Another account's webhook, an unknown one and a malformed ID.
		for _, r := range []response{
			s.call(t, http.MethodPost, "/api/webhooks/"+jelly.ID+"/rotate", nil, other),
			s.call(t, http.MethodDelete, "/api/webhooks/"+jelly.ID, nil, other),
			s.call(t, http.MethodPost, "/api/webhooks/0b0e6c4c-5a1f-4f7e-9a55-5f1d2b3c4d5e/rotate", nil, token),
			s.call(t, http.MethodDelete, "/api/webhooks/0b0e6c4c-5a1f-4f7e-9a55-5f1d2b3c4d5e", nil, token),
		} {
			expectProblem(t, r, http.StatusNotFound, "no webhook")
		}
		for _, r := range []response{
			s.call(t, http.MethodPost, "/api/webhooks/not-a-uuid/rotate", nil, token),
			s.call(t, http.MethodDelete, "/api/webhooks/not-a-uuid", nil, token),
		} {
			expectProblem(t, r, http.StatusBadRequest, "webhook_id")
		}
		expectDelivery(t, s.deliver(t, jelly.URL, "application/json", fixture(t, "jellyfin_playback_stop_incomplete.json")), "")

		// Delete: 204, the URL dead, the list shorter; again is a 404.
		if r := s.call(t, http.MethodDelete, "/api/webhooks/"+jelly.ID, nil, apiToken); r.Status != http.StatusNoContent {
			t.Fatalf("delete: %s", r)
		}
		expectProblem(t, s.deliver(t, jelly.URL, "application/json", fixture(t, "jellyfin_playback_stop_completed.json")), http.StatusNotFound)
		expectProblem(t, s.call(t, http.MethodDelete, "/api/webhooks/"+jelly.ID, nil, token), http.StatusNotFound)
		if ws := s.webhooks(t, token); len(ws) != 1 || ws[0].ID != plex.ID || ws[0].LastUsedAt == nil {
			t.Errorf("webhooks = %+v, want the plex one, used", ws)
		}

		// Bad requests.
		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"source": "kodi"}, "source"},
			{map[string]any{}, "source"},
			{map[string]any{"source": "jellyfin", "plex_account": "Elan"}, "plex_account"},
			{map[string]any{"source": "plex", "plex_account": 7}, "plex_account"},
			{map[string]any{"source": "plex", "url": "x"}, "url"},
		} {
			expectProblem(t, s.call(t, http.MethodPost, "/api/webhooks", c.body, token), http.StatusBadRequest, c.field)
		}
		expectProblem(t, s.call(t, http.MethodPost, "/api/webhooks", `{"source":`, token), http.StatusBadRequest)
		expectProblem(t, s.call(t, http.MethodPost, "/api/webhooks", "source=plex", token, "Content-Type", "application/x-www-form-urlencoded"), http.StatusUnsupportedMediaType)
		huge := append([]byte(`{"source":"plex"}`), bytes.Repeat([]byte(" "), 1<<20)...)
		expectProblem(t, s.call(t, http.MethodPost, "/api/webhooks", huge, token), http.StatusRequestEntityTooLarge)
		for _, r := range []response{
			s.call(t, http.MethodPost, "/api/webhooks", map[string]any{"source": "plex"}, ""),
			s.call(t, http.MethodGet, "/api/webhooks", nil, "not-a-token"),
			s.call(t, http.MethodPost, "/api/webhooks/"+plex.ID+"/rotate", nil, ""),
			s.call(t, http.MethodDelete, "/api/webhooks/"+plex.ID, nil, ""),
		} {
			expectProblem(t, r, http.StatusUnauthorized)
		}
		if ws := s.webhooks(t, token); len(ws) != 1 {
			t.Errorf("after the refused requests: %+v, want the one webhook", ws)
		}
	})
}

// TestWebhooks_WithoutDatabase: while the database is unreachable, the
// webhook API and the webhook URLs answer 503 problems, not a 404 that
// would make a media server give up on a valid URL.
func TestWebhooks_WithoutDatabase(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db, withDatabaseProxy())
		token, _ := s.account(t, "owner@example.com")
		hooks := map[string]webhookCreated{}
		for _, src := range []string{"plex", "jellyfin", "emby"} {
			hooks[src] = s.createWebhook(t, token, src, nil)
		}
		plexBody, plexCT := plexForm(t, fixture(t, "plex_scrobble_guid.json"), nil)
		if s.dbProxy != nil {
			s.dbProxy.cut()
		} else if err := s.app.Store().Close(); err != nil {
			t.Fatalf("close the store: %v", err)
		}
		for _, r := range []response{
			s.call(t, http.MethodPost, "/api/webhooks", map[string]any{"source": "plex"}, token),
			s.call(t, http.MethodGet, "/api/webhooks", nil, token),
			s.call(t, http.MethodPost, "/api/webhooks/"+hooks["plex"].ID+"/rotate", nil, token),
			s.call(t, http.MethodDelete, "/api/webhooks/"+hooks["plex"].ID, nil, token),
			s.deliver(t, hooks["plex"].URL, plexCT, plexBody),
			s.deliver(t, hooks["jellyfin"].URL, "application/json", fixture(t, "jellyfin_playback_stop_completed.json")),
			s.deliver(t, hooks["emby"].URL, "application/json", fixture(t, "emby_playback_stop_completed.json")),
		} {
			expectProblem(t, r, http.StatusServiceUnavailable)
		}
	})
}

// TestWebhooks_ConcurrentDeliveriesWhileOMDbDown: 200 deliveries of
// distinct films at once while OMDb answers 503 are all answered 200
// (recording a play never waits on OMDb), and all 200 viewings reach the
// diary — by title and year, the IMDb ID kept, since LogReview falls back
// at once while the source is down. Once OMDb is back, their posters can
// be fetched. Latency is not asserted here (a shared machine): see
// BenchmarkWebhookDeliveriesOMDbDown.
func TestWebhooks_ConcurrentDeliveriesWhileOMDbDown(t *testing.T) {
	t.Parallel()
	const plays = 200
	forEachDB(t, func(t *testing.T, db string) {
		// Hundreds of OMDb attempts (a lookup per play, poster retries):
		// no OMDb budget, so none is deferred and none waits on counting.
		s := startApp(t, db, withEnv("OMDB_DAILY_LIMIT", "0"))
		token, uid := s.account(t, "owner@example.com")
		hook := s.createWebhook(t, token, "jellyfin", nil)
		s.omdb.down.Store(true)

		var wg sync.WaitGroup
		answers := make([]response, plays)
		errs := make(chan error, plays)
		path := strings.TrimPrefix(hook.URL, webhookBase)
		for i := range plays {
			wg.Go(func() {
				r, _, err := s.send(http.MethodPost, path, jellyfinPlay(fmt.Sprintf("%s%05d", generatedIDPrefix, i), time.Date(2024, 6, 1, 19, 50, 0, 0, time.UTC)), map[string]string{"Content-Type": "application/json"})
				if err != nil {
					errs <- err
					return
				}
				answers[i] = r
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("delivery: %v", err)
		}
		for i, r := range answers {
			expectDelivery(t, r, "recorded")
			if t.Failed() {
				t.Fatalf("delivery %d: %s", i, r)
			}
		}
		d := s.entriesOf(t, uid, plays)
		entries := d.Items
		for d.NextCursor != nil {
			d = s.diary(t, "limit=100&user_id="+uid+"&cursor="+url.QueryEscape(*d.NextCursor))
			entries = append(entries, d.Items...)
		}
		films := map[string]bool{}
		for _, e := range entries {
			f, ok := generatedFilm(deref(e.Movie.ExternalMetadataID))
			if !ok || e.Movie.Title != f.Title || e.Movie.ReleaseYear != 2001 || e.Movie.PosterURL != nil {
				t.Fatalf("entry %+v, want a generated film logged by title and year with its IMDb ID, no poster", e.Movie)
			}
			films[f.ID] = true
		}
		if len(films) != plays {
			t.Errorf("%d distinct films in the diary, want %d", len(films), plays)
		}

		// OMDb is back: the posters of the films logged without it arrive.
		s.omdb.down.Store(false)
		// Their background syncs gave up while it was down; a sync asked
		// for now fetches the poster (429 while every sync slot is taken).
		for _, e := range entries[:3] {
			eventually(t, "a poster sync of "+e.Movie.ID, func() bool {
				r := s.postJSON(t, "/api/movies/"+e.Movie.ID+"/sync-poster", nil, token)
				if r.Status != http.StatusNoContent && r.Status != http.StatusTooManyRequests {
					t.Fatalf("sync-poster: %s", r)
				}
				return r.Status == http.StatusNoContent
			})
			s.waitForPoster(t, e.Movie.ID)
		}
	})
}
