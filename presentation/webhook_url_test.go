package presentation_test

import (
	"net/url"
	"testing"

	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/presentation"
)

// TestWebhookURL: a webhook's URL is absolute, under BASE_URL, keeping its
// path as a prefix and dropping anything after it.
func TestWebhookURL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, base string
		source     domain.WebhookSource
		want       string
	}{
		{"at the root", "https://diary.example", domain.SourcePlex, "https://diary.example/webhooks/plex/s3cr3t"},
		{"root with a slash", "https://diary.example/", domain.SourceJellyfin, "https://diary.example/webhooks/jellyfin/s3cr3t"},
		{"under a base path", "https://example.org/diary/", domain.SourceEmby, "https://example.org/diary/webhooks/emby/s3cr3t"},
		{"with a port, no slash", "http://10.0.0.2:8080/md", domain.SourcePlex, "http://10.0.0.2:8080/md/webhooks/plex/s3cr3t"},
		{"query and fragment dropped", "https://diary.example/x?y=1#z", domain.SourcePlex, "https://diary.example/x/webhooks/plex/s3cr3t"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			base, err := url.Parse(c.base)
			if err != nil {
				t.Fatal(err)
			}
			if got := presentation.WebhookURL(base, c.source, "s3cr3t"); got != c.want {
				t.Errorf("WebhookURL(%s, %s) = %q, want %q", c.base, c.source, got, c.want)
			}
			if base.String() != c.base {
				t.Errorf("base changed to %s", base)
			}
		})
	}
}
