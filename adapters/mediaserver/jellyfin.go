package mediaserver

import (
	"encoding/json"
	"strings"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// jellyfinPayload holds the fields read from a jellyfin-plugin-webhook
// body (its property names; encoding/json matches them ignoring case).
type jellyfinPayload struct {
	NotificationType   string   `json:"NotificationType"`
	ItemType           string   `json:"ItemType"`
	PlayedToCompletion flexBool `json:"PlayedToCompletion"`
	ProviderIMDb       string   `json:"Provider_imdb"`
	Name               string   `json:"Name"`
	Year               flexInt  `json:"Year"`
	UtcTimestamp       string   `json:"UtcTimestamp"`
}

// parseJellyfin maps a Jellyfin payload: a PlaybackStop of a Movie played to
// completion → watched; anything else is ignored.
func parseJellyfin(data []byte) (application.ReportPlayCommand, bool, error) {
	var p jellyfinPayload
	if err := json.Unmarshal(data, &p); err != nil {
		return application.ReportPlayCommand{}, false, err
	}
	if !strings.EqualFold(p.NotificationType, "PlaybackStop") || !strings.EqualFold(p.ItemType, "Movie") || !bool(p.PlayedToCompletion) {
		return application.ReportPlayCommand{}, true, nil
	}
	return application.ReportPlayCommand{
		Kind:               domain.PlayWatched,
		ExternalMetadataID: imdbID(p.ProviderIMDb),
		Title:              strings.TrimSpace(p.Name),
		Year:               p.Year.year(),
		At:                 parseTimestamp(p.UtcTimestamp),
	}, false, nil
}
