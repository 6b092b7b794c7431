package posterstorage

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/moviediary/moviediary/domain"
)

// source is the image stream StorePoster reads: it stops at a cancelled
// context, counts what it read and remembers its own failure, so that a
// failed copy can tell a broken image stream (its kind kept) from a failed
// write (domain.ErrInfrastructure).
type source struct {
	ctx context.Context
	r   io.Reader
	n   int64
	err error
}

func (s *source) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if err := s.ctx.Err(); err != nil {
		s.err = fmt.Errorf("reading image: %w: %w", domain.ErrUnavailable, err)
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	if err != nil && err != io.EOF { // io.EOF itself, as io.Copy expects it
		s.err = sourceError(err)
	}
	if s.err != nil {
		return n, s.err
	}
	return n, err
}

// sourceError wraps a failure to read the image, keeping its kind; one
// without a kind is domain.ErrUnavailable: the stream, not the store,
// broke.
func sourceError(err error) error {
	for _, kind := range []error{domain.ErrValidation, domain.ErrNotFound, domain.ErrUnauthorized, domain.ErrForbidden,
		domain.ErrConflict, domain.ErrUnavailable, domain.ErrInfrastructure, domain.ErrMisconfigured, domain.ErrPermanent} {
		if errors.Is(err, kind) {
			return fmt.Errorf("reading image: %w", err)
		}
	}
	return fmt.Errorf("reading image: %w: %w", domain.ErrUnavailable, err)
}

// validateStore checks the arguments of StorePoster that can be checked
// before reading.
func validateStore(movie domain.MovieID, image io.Reader) error {
	var v domain.Validation
	if movie.IsZero() {
		v.Add("movie_id", "must be set")
	}
	if image == nil {
		v.Add("image", "must be set")
	}
	return v.Err()
}

// errEmptyImage is the validation failure of a stream that ended at once.
func errEmptyImage() error {
	return domain.FieldError{Field: "image", Rule: "must not be empty"}
}
