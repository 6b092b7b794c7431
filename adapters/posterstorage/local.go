// Package posterstorage keeps moviediary's poster images, either in a
// directory on the local filesystem (Local) or in a bucket of an
// S3-compatible object store (S3). Both implement domain.PosterStorage.
//
// A poster's key is derived from its movie's ID and nothing else, so a
// movie has at most one poster and no caller-supplied text ever becomes
// part of a file name or object key. LoadPoster accepts only keys of the
// exact form its store generates; anything else — "../etc/passwd" among
// them — is ErrNotFound without touching the disk or the network.
package posterstorage

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/moviediary/moviediary/domain"
)

// localSuffix ends every key the local store generates.
const localSuffix = ".img"

// tempPrefix starts the names of files being written; no key starts so.
const tempPrefix = ".tmp-"

// LocalConfig configures a Local store.
type LocalConfig struct {
	// Dir is the directory posters live in; it is created (mode 0755,
	// parents included) when missing.
	Dir string
}

// Local stores posters as files named "<movie-uuid>.img" in one directory.
// Writes are atomic and streamed: a poster is copied from its stream into
// a temporary file in the same directory, synced, then renamed over the
// old one, so a reader sees the old poster or the new one, never a part,
// and no poster is held whole in memory. Every file access goes through
// an os.Root, so no name can resolve outside Dir even by a symlink. Local
// is safe for concurrent use.
type Local struct {
	dir string
	// beforeRename runs after the temporary file is written and synced and
	// before it replaces the poster; tests use it to inject a failure.
	beforeRename func(tmp string) error
}

var _ domain.PosterStorage = (*Local)(nil)

// NewLocal returns a Local store in cfg.Dir, creating the directory when
// missing. An empty Dir wraps domain.ErrValidation; a directory that
// cannot be created wraps domain.ErrInfrastructure.
func NewLocal(cfg LocalConfig) (*Local, error) {
	if strings.TrimSpace(cfg.Dir) == "" {
		return nil, fmt.Errorf("posterstorage: %w", domain.FieldError{Field: "dir", Rule: "must be set"})
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("posterstorage: creating %s: %w: %w", cfg.Dir, domain.ErrInfrastructure, err)
	}
	l := &Local{dir: cfg.Dir}
	if err := l.Ping(context.Background()); err != nil {
		return nil, err
	}
	return l, nil
}

// localKey is the key, and file name, of a movie's poster.
func localKey(movie domain.MovieID) string { return movie.String() + localSuffix }

// parseLocalKey returns the file name for path when path is a key this
// store generates, and false for anything else.
func parseLocalKey(path domain.PosterPath) (string, bool) {
	name, ok := strings.CutSuffix(path.String(), localSuffix)
	if !ok {
		return "", false
	}
	id, err := domain.ParseMovieID(name)
	if err != nil || id.String() != name {
		return "", false
	}
	return localKey(id), true
}

// StorePoster streams image into a temporary file beside the posters,
// syncs it and renames it over movie's poster, replacing any earlier one;
// it returns the key "<movie-uuid>.img". A zero movie or an empty image
// wraps domain.ErrValidation; a failure to read image keeps its kind (see
// domain.PosterStorage); a filesystem failure wraps
// domain.ErrInfrastructure. Whatever fails, the temporary file is removed
// and the earlier poster stays as it was.
func (l *Local) StorePoster(ctx context.Context, movie domain.MovieID, image io.Reader) (domain.PosterPath, error) {
	if err := validateStore(movie, image); err != nil {
		return domain.PosterPath{}, fmt.Errorf("store poster: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return domain.PosterPath{}, fmt.Errorf("store poster: %w: %w", domain.ErrUnavailable, err)
	}
	key := localKey(movie)
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return domain.PosterPath{}, fmt.Errorf("store poster: %w: %w", domain.ErrInfrastructure, err)
	}
	defer root.Close()

	tmp := tempPrefix + movie.String() + "-" + rand.Text()
	if err := l.writeTemp(root, tmp, &source{ctx: ctx, r: image}); err != nil {
		_ = root.Remove(tmp)
		return domain.PosterPath{}, fmt.Errorf("store poster: %w", err)
	}
	if err := root.Rename(tmp, key); err != nil {
		_ = root.Remove(tmp)
		return domain.PosterPath{}, fmt.Errorf("store poster: %w: %w", domain.ErrInfrastructure, err)
	}
	// Make the rename itself durable.
	if err := syncDir(root); err != nil {
		return domain.PosterPath{}, fmt.Errorf("store poster: %w: %w", domain.ErrInfrastructure, err)
	}
	return domain.NewPosterPath(key)
}

// writeTemp streams src into a new file tmp and syncs it to disk. A
// failure of src keeps its kind, an empty src is a validation failure, and
// a failure of the file wraps domain.ErrInfrastructure; the caller removes
// tmp on any error.
func (l *Local) writeTemp(root *os.Root, tmp string, src *source) error {
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("%w: %w", domain.ErrInfrastructure, err)
	}
	_, err = io.Copy(f, src)
	switch {
	case src.err != nil:
		_ = f.Close()
		return src.err
	case err != nil:
		_ = f.Close()
		return fmt.Errorf("%w: %w", domain.ErrInfrastructure, err)
	case src.n == 0:
		_ = f.Close()
		return errEmptyImage()
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("%w: %w", domain.ErrInfrastructure, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%w: %w", domain.ErrInfrastructure, err)
	}
	if l.beforeRename != nil {
		if err := l.beforeRename(tmp); err != nil {
			return fmt.Errorf("%w: %w", domain.ErrInfrastructure, err)
		}
	}
	return nil
}

// syncDir flushes the directory entry changes of root.
func syncDir(root *os.Root) error {
	d, err := root.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// LoadPoster returns the poster stored under path. A path this store did
// not generate, or a poster that is not stored, wraps domain.ErrNotFound;
// another filesystem failure wraps domain.ErrInfrastructure.
func (l *Local) LoadPoster(ctx context.Context, path domain.PosterPath) ([]byte, error) {
	name, ok := parseLocalKey(path)
	if !ok {
		return nil, fmt.Errorf("load poster %q: %w", path, domain.ErrNotFound)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load poster: %w: %w", domain.ErrUnavailable, err)
	}
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return nil, fmt.Errorf("load poster: %w: %w", domain.ErrInfrastructure, err)
	}
	defer root.Close()
	b, err := root.ReadFile(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("load poster %q: %w", path, domain.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("load poster: %w: %w", domain.ErrInfrastructure, err)
	}
	return b, nil
}

// Ping reports whether the poster directory exists and is a directory,
// wrapping domain.ErrInfrastructure when it is not; for readiness checks.
func (l *Local) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("posterstorage: %w: %w", domain.ErrUnavailable, err)
	}
	fi, err := os.Stat(l.dir)
	if err != nil {
		return fmt.Errorf("posterstorage: %w: %w", domain.ErrInfrastructure, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("posterstorage: %w: %s is not a directory", domain.ErrInfrastructure, l.dir)
	}
	return nil
}
