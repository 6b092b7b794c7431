package mediaserver

import (
	"encoding/json"
	"strings"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// embyPayload holds the fields read from an Emby webhook's JSON.
type embyPayload struct {
	Event string `json:"Event"`
	Date  string `json:"Date"`
	Item  struct {
		Type           string  `json:"Type"`
		Name           string  `json:"Name"`
		ProductionYear flexInt `json:"ProductionYear"`
		// ProviderIDs maps a provider to the item's ID there: "Imdb",
		// "Tmdb", "Tvdb"; the keys' case varies between versions.
		ProviderIDs map[string]string `json:"ProviderIds"`
	} `json:"Item"`
	PlaybackInfo struct {
		PlayedToCompletion flexBool `json:"PlayedToCompletion"`
	} `json:"PlaybackInfo"`
}

// parseEmby maps an Emby payload: a playback.stop played to completion, or
// an item.markplayed, of a Movie → watched; anything else is ignored.
func parseEmby(data []byte) (application.ReportPlayCommand, bool, error) {
	var p embyPayload
	if err := json.Unmarshal(data, &p); err != nil {
		return application.ReportPlayCommand{}, false, err
	}
	watched := strings.EqualFold(p.Event, "item.markplayed") ||
		strings.EqualFold(p.Event, "playback.stop") && bool(p.PlaybackInfo.PlayedToCompletion)
	if !watched || !strings.EqualFold(p.Item.Type, "Movie") {
		return application.ReportPlayCommand{}, true, nil
	}
	cmd := application.ReportPlayCommand{
		Kind:  domain.PlayWatched,
		Title: strings.TrimSpace(p.Item.Name),
		Year:  p.Item.ProductionYear.year(),
		At:    parseTimestamp(p.Date),
	}
	for provider, id := range p.Item.ProviderIDs {
		if strings.EqualFold(provider, "imdb") {
			if id = imdbID(id); id != "" {
				cmd.ExternalMetadataID = id
				break
			}
		}
	}
	return cmd, false, nil
}
