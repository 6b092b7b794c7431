package mediaserver

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// plexPayload holds the fields read from a Plex webhook's "payload" JSON.
type plexPayload struct {
	Event string `json:"event"`
	// Rating is the user's rating of a media.rate, 0 to 10 (two per star);
	// -1 or absent when the rating was removed.
	Rating  *float64 `json:"rating"`
	Account struct {
		Title string `json:"title"`
	} `json:"Account"`
	Metadata struct {
		Type  string  `json:"type"`
		Title string  `json:"title"`
		Year  flexInt `json:"year"`
		// LegacyGUID is the item's agent GUID: "com.plexapp.agents.imdb://
		// tt0090728?lang=en" with the legacy IMDb agent, "plex://movie/…"
		// with the new ones. Distinct from GUIDs: encoding/json prefers
		// the exact key.
		LegacyGUID string `json:"guid"`
		// GUIDs are the new agents' external IDs: "imdb://tt0090728",
		// "tmdb://6978", "tvdb://…".
		GUIDs        []plexGUID `json:"Guid"`
		LastViewedAt flexInt    `json:"lastViewedAt"`
		UserRating   *float64   `json:"userRating"`
	} `json:"Metadata"`
}

// plexGUID is one of a new Plex agent's external IDs.
type plexGUID struct {
	ID string `json:"id"`
}

// parsePlex maps a Plex payload: media.scrobble of a movie → watched,
// media.rate of a movie → rated; anything else is ignored.
func parsePlex(data []byte) (application.ReportPlayCommand, bool, error) {
	var p plexPayload
	if err := json.Unmarshal(data, &p); err != nil {
		return application.ReportPlayCommand{}, false, err
	}
	if !strings.EqualFold(p.Metadata.Type, "movie") {
		return application.ReportPlayCommand{}, true, nil
	}
	cmd := application.ReportPlayCommand{
		ExternalMetadataID: plexIMDbID(p.Metadata.LegacyGUID, p.Metadata.GUIDs),
		Title:              strings.TrimSpace(p.Metadata.Title),
		Year:               p.Metadata.Year.year(),
		Account:            strings.TrimSpace(p.Account.Title),
	}
	if v := p.Metadata.LastViewedAt; v.set && v.v > 0 {
		cmd.At = time.Unix(v.v, 0).UTC()
	}
	switch p.Event {
	case "media.scrobble":
		cmd.Kind = domain.PlayWatched
	case "media.rate":
		rating := p.Rating
		if rating == nil {
			rating = p.Metadata.UserRating
		}
		if rating == nil || *rating < 0 {
			return application.ReportPlayCommand{}, true, nil // the rating was removed
		}
		stars := *rating / 2
		cmd.Kind, cmd.Rating = domain.PlayRated, &stars
	default:
		return application.ReportPlayCommand{}, true, nil
	}
	return cmd, false, nil
}

// plexIMDbID finds the IMDb ID among a new agent's GUIDs ("imdb://tt…"),
// else in a legacy IMDb agent GUID ("com.plexapp.agents.imdb://tt…?lang=en").
func plexIMDbID(legacy string, guids []plexGUID) string {
	for _, g := range guids {
		scheme, id, ok := strings.Cut(strings.TrimSpace(g.ID), "://")
		if ok && strings.EqualFold(scheme, "imdb") {
			if id = imdbID(id); id != "" {
				return id
			}
		}
	}
	scheme, rest, ok := strings.Cut(strings.TrimSpace(legacy), "://")
	if !ok || !strings.EqualFold(scheme, "com.plexapp.agents.imdb") {
		return ""
	}
	id, _, _ := strings.Cut(rest, "?")
	return imdbID(id)
}
