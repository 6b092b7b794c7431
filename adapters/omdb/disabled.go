package omdb

import (
	"context"
	"fmt"

	"github.com/moviediary/moviediary/domain"
)

// Disabled returns a MetadataClient for running without an OMDb API key:
// every call returns an error wrapping domain.ErrMisconfigured that says
// metadata lookups are off and why (reason, e.g. "OMDB_API_KEY is not set").
// ErrMisconfigured rather than ErrNotFound because nothing was looked up,
// and rather than ErrUnavailable because retrying will not help: logging a
// review skips further lookups and falls back to the manual title and year,
// and poster syncs are not retried.
func Disabled(reason string) domain.MetadataClient {
	if reason == "" {
		reason = "no OMDb API key is configured"
	}
	return disabled{err: fmt.Errorf("omdb: metadata lookups are off: %s: %w", reason, domain.ErrMisconfigured)}
}

type disabled struct{ err error }

func (d disabled) MetadataByExternalID(context.Context, domain.ExternalMetadataID) (domain.MovieMetadata, error) {
	return domain.MovieMetadata{}, d.err
}

func (d disabled) SearchMetadata(context.Context, domain.MovieTitle, domain.ReleaseYear) (domain.MovieMetadata, error) {
	return domain.MovieMetadata{}, d.err
}

func (d disabled) PosterURL(context.Context, domain.ExternalMetadataID) (domain.PosterURL, error) {
	return domain.PosterURL{}, d.err
}
