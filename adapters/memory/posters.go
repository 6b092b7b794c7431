package memory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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

// StorePoster reads image to its end and stores it as movie's poster,
// replacing any earlier one, and returns its path. A zero movie or an
// empty image wraps domain.ErrValidation; a failure to read image keeps
// its kind (one without a kind wraps domain.ErrUnavailable), as does a
// cancelled context, and stores nothing.
func (s *PosterStorage) StorePoster(ctx context.Context, movie domain.MovieID, image io.Reader) (domain.PosterPath, error) {
	var v domain.Validation
	if movie.IsZero() {
		v.Add("movie_id", "must be set")
	}
	if image == nil {
		v.Add("image", "must be set")
	}
	if err := v.Err(); err != nil {
		return domain.PosterPath{}, fmt.Errorf("store poster: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return domain.PosterPath{}, fmt.Errorf("store poster: %w: %w", domain.ErrUnavailable, err)
	}
	path, err := domain.NewPosterPath("posters/" + movie.String())
	if err != nil {
		return domain.PosterPath{}, fmt.Errorf("store poster: %w", err)
	}
	b, err := io.ReadAll(image)
	if err != nil {
		if hasKind(err) {
			return domain.PosterPath{}, fmt.Errorf("store poster: reading image: %w", err)
		}
		return domain.PosterPath{}, fmt.Errorf("store poster: reading image: %w: %w", domain.ErrUnavailable, err)
	}
	if len(b) == 0 {
		return domain.PosterPath{}, fmt.Errorf("store poster: %w", domain.FieldError{Field: "image", Rule: "must not be empty"})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posters[path.String()] = b
	return path, nil
}

// hasKind reports whether err wraps one of the domain's error kinds.
func hasKind(err error) bool {
	return domain.IsPermanent(err) || errors.Is(err, domain.ErrUnavailable) || errors.Is(err, domain.ErrInfrastructure)
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
