package memory

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/moviediary/moviediary/domain"
)

var _ domain.PosterStorage = (*PosterStorage)(nil)

// PosterStorage is an in-memory domain.PosterStorage that keeps one poster
// per movie under the path "posters/{movie ID}". The zero value is not
// usable; make one with NewPosterStorage.
type PosterStorage struct {
	mu      sync.RWMutex
	posters map[string][]byte
}

// NewPosterStorage returns an empty storage.
func NewPosterStorage() *PosterStorage {
	return &PosterStorage{posters: make(map[string][]byte)}
}

// StorePoster stores a copy of image as movie's poster, replacing any
// earlier one, and returns its path.
func (s *PosterStorage) StorePoster(_ context.Context, movie domain.MovieID, image []byte) (domain.PosterPath, error) {
	if movie.IsZero() {
		return domain.PosterPath{}, fmt.Errorf("store poster: %w", domain.FieldError{Field: "movie_id", Rule: "must be set"})
	}
	path, err := domain.NewPosterPath("posters/" + movie.String())
	if err != nil {
		return domain.PosterPath{}, fmt.Errorf("store poster: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posters[path.String()] = bytes.Clone(image)
	return path, nil
}

// LoadPoster returns a copy of the bytes stored at path, or ErrNotFound.
func (s *PosterStorage) LoadPoster(_ context.Context, path domain.PosterPath) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.posters[path.String()]
	if !ok {
		return nil, fmt.Errorf("load poster %q: %w", path, domain.ErrNotFound)
	}
	return bytes.Clone(b), nil
}
