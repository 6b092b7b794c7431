package main_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWebhookAddThenAPlayIsLogged: `moviediary webhook add` prints the
// absolute URL of a new Jellyfin webhook; a completed PlaybackStop posted
// to it by the running server's address is logged in the account's diary
// (by the outbox's event handler) with its poster.
func TestWebhookAddThenAPlayIsLogged(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, "sqlite", "BASE_URL=https://diary.example.com/base/")
	p, base := d.serve()
	token := signIn(t, base) // creates owner@example.com

	code, stdout, stderr := d.run("webhook", "add", "--email", "owner@example.com", "--source", "jellyfin")
	if code != 0 {
		t.Fatalf("webhook add: exit %d; stderr:\n%s", code, stderr)
	}
	hook, err := url.Parse(strings.TrimSpace(stdout))
	if err != nil || hook.Scheme != "https" || hook.Host != "diary.example.com" || !strings.HasPrefix(hook.Path, "/base/webhooks/jellyfin/") {
		t.Fatalf("webhook add printed %q, want https://diary.example.com/base/webhooks/jellyfin/<secret>", stdout)
	}
	secret := strings.TrimPrefix(hook.Path, "/base/webhooks/jellyfin/")
	if len(secret) < 22 || strings.Contains(stderr, secret) {
		t.Fatalf("secret %q: want at least 128 bits, never logged", secret)
	}

	play := `{"NotificationType":"PlaybackStop","ItemType":"Movie","PlayedToCompletion":true,` +
		`"Name":"Heat","Year":1995,"Provider_imdb":"tt0113277","UtcTimestamp":"2024-05-01T20:00:00Z"}`
	res, err := client.Post(base+"/webhooks/jellyfin/"+secret, "application/json", strings.NewReader(play))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST the play = %d %s, want 200", res.StatusCode, body)
	}

	deadline := time.Now().Add(eventDeadline)
	for {
		var diary struct {
			Items []struct {
				Movie struct {
					ExternalMetadataID string  `json:"external_metadata_id"`
					PosterURL          *string `json:"poster_url"`
				} `json:"movie"`
				Review struct {
					Rating    *float64 `json:"rating"`
					WatchedAt string   `json:"watched_at"`
				} `json:"review"`
			} `json:"items"`
		}
		getJSON(t, base, "/api/diary", token, &diary)
		if len(diary.Items) == 1 && diary.Items[0].Movie.PosterURL != nil {
			it := diary.Items[0]
			if it.Movie.ExternalMetadataID != "tt0113277" || it.Review.Rating != nil || it.Review.WatchedAt != "2024-05-01T20:00:00" {
				t.Errorf("logged %+v, want tt0113277, not rated, watched 2024-05-01T20:00:00", it)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the play was not logged with its poster within %v: %+v", eventDeadline, diary.Items)
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.stop(syscall.SIGTERM)

	if code, _, stderr := d.run("webhook", "add", "--email", "owner@example.com", "--source", "kodi"); code != 1 || !strings.Contains(stderr, "source") {
		t.Errorf("webhook add --source kodi: exit %d, stderr %q; want 1 naming the source", code, stderr)
	}
	if code, _, _ := d.run("webhook", "add", "--email", "owner@example.com"); code != 2 {
		t.Errorf("webhook add without --source: exit %d, want a usage error (2)", code)
	}
}
