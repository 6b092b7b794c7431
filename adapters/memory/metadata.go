package memory

import (
	"context"
	"fmt"
	"slices"

	"github.com/moviediary/moviediary/domain"
)

var _ domain.MetadataClient = (*Metadata)(nil)

// Metadata is a domain.MetadataClient whose source is a fixed list of
// films, for running without OMDb and for tests. It is read-only, so safe
// for concurrent use.
type Metadata struct {
	films []domain.MovieMetadata
}

// NewMetadata returns a client that knows exactly films. A film without an
// external ID can be found by title but not by ID.
func NewMetadata(films ...domain.MovieMetadata) *Metadata {
	return &Metadata{films: slices.Clone(films)}
}

// MetadataByExternalID returns the film with that IMDb ID, or ErrNotFound.
func (c *Metadata) MetadataByExternalID(_ context.Context, id domain.ExternalMetadataID) (domain.MovieMetadata, error) {
	for _, f := range c.films {
		if !id.IsZero() && f.ExternalID == id {
			return f, nil
		}
	}
	return domain.MovieMetadata{}, fmt.Errorf("metadata of %q: %w", id, domain.ErrNotFound)
}

// SearchMetadata returns the first film, in the order given to NewMetadata,
// whose title equals title ignoring case and whose year is year (any year
// when year is zero), or ErrNotFound.
func (c *Metadata) SearchMetadata(_ context.Context, title domain.MovieTitle, year domain.ReleaseYear) (domain.MovieMetadata, error) {
	for _, f := range c.films {
		if f.Title.EqualFold(title) && (year.IsZero() || f.ReleaseYear == year) {
			return f, nil
		}
	}
	return domain.MovieMetadata{}, fmt.Errorf("metadata of %q (%v): %w", title, year, domain.ErrNotFound)
}

// PosterURL returns the film's poster URL, the zero PosterURL when it has
// none, or ErrNotFound when the film is unknown.
func (c *Metadata) PosterURL(ctx context.Context, id domain.ExternalMetadataID) (domain.PosterURL, error) {
	f, err := c.MetadataByExternalID(ctx, id)
	if err != nil {
		return domain.PosterURL{}, err
	}
	return f.PosterURL, nil
}
