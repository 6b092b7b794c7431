package posterstorage_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/moviediary/moviediary/adapters/posterstorage"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

func newLocal(tb testing.TB, dir string) *posterstorage.Local {
	tb.Helper()
	l, err := posterstorage.NewLocal(posterstorage.LocalConfig{Dir: dir})
	if err != nil {
		tb.Fatalf("NewLocal: %v", err)
	}
	return l
}

// dirNames lists the names in dir, sorted.
func dirNames(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

func TestLocalPassesThePosterStorageContract(t *testing.T) {
	t.Parallel()
	porttest.TestPosterStorage(t, func(t *testing.T) domain.PosterStorage {
		return newLocal(t, t.TempDir())
	})
}

func TestLocalKeyIsDerivedFromTheMovieIDOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := newLocal(t, dir)
	movie := domain.NewMovieID()
	path, err := l.StorePoster(t.Context(), movie, bytes.NewReader(porttest.PNG()))
	if err != nil {
		t.Fatal(err)
	}
	if want := movie.String() + ".img"; path.String() != want {
		t.Fatalf("path = %q, want %q", path, want)
	}
	fi, err := os.Stat(filepath.Join(dir, path.String()))
	if err != nil {
		t.Fatalf("the poster file is not where the key says: %v", err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Fatalf("poster file mode = %v, want 0644", fi.Mode().Perm())
	}
}

func TestLocalLoadPosterRefusesPathsItDidNotGenerate(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	dir := filepath.Join(parent, "posters")
	l := newLocal(t, dir)
	movie := domain.NewMovieID()
	if _, err := l.StorePoster(t.Context(), movie, bytes.NewReader(porttest.PNG())); err != nil {
		t.Fatal(err)
	}
	// Files a traversal would be after: one beside the poster directory,
	// one inside it under a name the store never generates.
	secret := []byte("secret")
	if err := os.WriteFile(filepath.Join(parent, "secret.img"), secret, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), secret, 0o600); err != nil {
		t.Fatal(err)
	}
	id := movie.String()
	paths := []string{
		"../etc/passwd",
		"../../../../../../etc/passwd",
		"/etc/passwd",
		"../secret.img",
		"notes.txt",
		id,                            // no suffix
		"../posters/" + id + ".img",   // the right file, reached sideways
		"./" + id + ".img",            // not the canonical form
		id + ".img/../" + id + ".img", // a dot-dot segment
		strings.ToUpper(id) + ".img",  // not canonical
		"{" + id + "}.img",            // another UUID spelling
		"urn:uuid:" + id + ".img",     // another UUID spelling
		id + ".img.bak",               // a suffix after the suffix
		"sub/" + id + ".img",          // a subdirectory
		".tmp-" + id + "-x",           // a temporary file's name
		"00000000-0000-0000-0000-000000000000.img", // the nil UUID
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			got, err := l.LoadPoster(t.Context(), domain.MustNewPosterPath(p))
			if !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("LoadPoster(%q) = %d bytes, %v; want ErrNotFound", p, len(got), err)
			}
		})
	}
}

func TestLocalLoadPosterDoesNotFollowSymlinksOutOfItsDirectory(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	dir := filepath.Join(parent, "posters")
	l := newLocal(t, dir)
	secret := filepath.Join(parent, "secret")
	if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	key := domain.NewMovieID().String() + ".img"
	if err := os.Symlink(secret, filepath.Join(dir, key)); err != nil {
		t.Fatal(err)
	}
	got, err := l.LoadPoster(t.Context(), domain.MustNewPosterPath(key))
	if err == nil || len(got) != 0 {
		t.Fatalf("LoadPoster through an escaping symlink = %q, %v; want an error and no bytes", got, err)
	}
}

func TestLocalStorePosterLeavesNoTemporaryFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := newLocal(t, dir)
	var want []string
	for range 3 {
		movie := domain.NewMovieID()
		for _, img := range [][]byte{porttest.PNG(), porttest.JPEG(), porttest.GIF()} {
			if _, err := l.StorePoster(t.Context(), movie, bytes.NewReader(img)); err != nil {
				t.Fatal(err)
			}
		}
		want = append(want, movie.String()+".img")
	}
	slices.Sort(want)
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Fatalf("directory holds %q, want exactly the posters %q", got, want)
	}
}

func TestLocalFailedWriteKeepsTheEarlierPoster(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	movie := domain.NewMovieID()
	old := porttest.PNG()
	path, err := newLocal(t, dir).StorePoster(t.Context(), movie, bytes.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}

	diskFull := errors.New("no space left on device")
	var sawTemp bool
	failing, err := posterstorage.NewLocalFailingBeforeRename(posterstorage.LocalConfig{Dir: dir}, diskFull, func(tmp string) {
		// The new bytes are complete on disk, beside the old poster.
		b, err := os.ReadFile(filepath.Join(dir, tmp))
		sawTemp = err == nil && bytes.Equal(b, porttest.JPEG())
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = failing.StorePoster(t.Context(), movie, bytes.NewReader(porttest.JPEG()))
	if !errors.Is(err, domain.ErrInfrastructure) || !errors.Is(err, diskFull) {
		t.Fatalf("StorePoster = %v, want ErrInfrastructure wrapping the failure", err)
	}
	if !sawTemp {
		t.Fatal("the new poster was not written to a temporary file first")
	}
	got, err := newLocal(t, dir).LoadPoster(t.Context(), path)
	if err != nil || !bytes.Equal(got, old) {
		t.Fatalf("after a failed write LoadPoster = %d bytes, %v; want the earlier poster", len(got), err)
	}
	if got, want := dirNames(t, dir), []string{path.String()}; !slices.Equal(got, want) {
		t.Fatalf("directory holds %q after a failed write, want only %q", got, want)
	}
}

func TestLocalConcurrentStoresOfOneMovieLeaveOneWholePoster(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := newLocal(t, dir)
	movie := domain.NewMovieID()
	images := [][]byte{porttest.PNG(), porttest.JPEG(), porttest.GIF(), porttest.WebP()}
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(images))
	for range 4 {
		for _, img := range images {
			wg.Go(func() {
				_, err := l.StorePoster(t.Context(), movie, bytes.NewReader(img))
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("StorePoster: %v", err)
		}
	}
	got, err := l.LoadPoster(t.Context(), domain.MustNewPosterPath(movie.String()+".img"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(images, func(img []byte) bool { return bytes.Equal(img, got) }) {
		t.Fatalf("the stored poster (%d bytes) is none of the images written: a torn write", len(got))
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Fatalf("directory holds %q, want one poster", names)
	}
}

func TestLocalStorePosterRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	l := newLocal(t, t.TempDir())
	cases := []struct {
		name  string
		movie domain.MovieID
		image io.Reader
	}{
		{"zero movie", domain.MovieID{}, bytes.NewReader(porttest.PNG())},
		{"no image", domain.NewMovieID(), nil},
		{"empty image", domain.NewMovieID(), bytes.NewReader(nil)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := l.StorePoster(t.Context(), tc.movie, tc.image); !errors.Is(err, domain.ErrValidation) {
				t.Fatalf("StorePoster = %v, want ErrValidation", err)
			}
		})
	}
}

// TestLocalFailedStreamLeavesNoPartialPoster: a stream that fails part-way
// — over the fetcher's cap, or cut short — leaves no temporary file and no
// poster behind, and an earlier poster as it was.
func TestLocalFailedStreamLeavesNoPartialPoster(t *testing.T) {
	t.Parallel()
	tooLarge := fmt.Errorf("%w: over the cap", domain.ErrPermanent)
	prefix := make([]byte, 1<<20)
	copy(prefix, porttest.PNG())
	failing := func() io.Reader { return io.MultiReader(bytes.NewReader(prefix), iotest.ErrReader(tooLarge)) }

	t.Run("a new movie gets no poster", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		l := newLocal(t, dir)
		movie := domain.NewMovieID()
		if _, err := l.StorePoster(t.Context(), movie, failing()); !errors.Is(err, tooLarge) || !errors.Is(err, domain.ErrPermanent) {
			t.Fatalf("StorePoster = %v, want the stream's permanent failure", err)
		}
		if names := dirNames(t, dir); len(names) != 0 {
			t.Fatalf("directory holds %q after a failed stream, want nothing", names)
		}
		if _, err := l.LoadPoster(t.Context(), domain.MustNewPosterPath(movie.String()+".img")); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("LoadPoster after a failed stream = %v, want ErrNotFound", err)
		}
	})
	t.Run("an earlier poster stays", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		l := newLocal(t, dir)
		movie := domain.NewMovieID()
		path, err := l.StorePoster(t.Context(), movie, bytes.NewReader(porttest.GIF()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.StorePoster(t.Context(), movie, failing()); !errors.Is(err, tooLarge) {
			t.Fatalf("StorePoster = %v, want the stream's failure", err)
		}
		if got, want := dirNames(t, dir), []string{path.String()}; !slices.Equal(got, want) {
			t.Fatalf("directory holds %q after a failed stream, want only %q", got, want)
		}
		if got, err := l.LoadPoster(t.Context(), path); err != nil || !bytes.Equal(got, porttest.GIF()) {
			t.Fatalf("LoadPoster = %d bytes, %v; want the earlier poster", len(got), err)
		}
	})
}

func TestNewLocal(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	file := filepath.Join(parent, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		dir  string
		want error // nil: created
	}{
		{"creates missing parents", filepath.Join(parent, "a", "b", "posters"), nil},
		{"accepts an existing directory", parent, nil},
		{"empty dir is invalid", "", domain.ErrValidation},
		{"a file is not a directory", file, domain.ErrInfrastructure},
		{"a path under a file cannot be created", filepath.Join(file, "posters"), domain.ErrInfrastructure},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, err := posterstorage.NewLocal(posterstorage.LocalConfig{Dir: tc.dir})
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("NewLocal(%q) = %v, want %v", tc.dir, err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewLocal(%q): %v", tc.dir, err)
			}
			if fi, err := os.Stat(tc.dir); err != nil || !fi.IsDir() {
				t.Fatalf("directory %q not created: %v", tc.dir, err)
			}
			if err := l.Ping(t.Context()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
		})
	}
}

func TestLocalPingReportsAMissingDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "posters")
	l := newLocal(t, dir)
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := l.Ping(t.Context()); !errors.Is(err, domain.ErrInfrastructure) {
		t.Fatalf("Ping = %v, want ErrInfrastructure", err)
	}
	if _, err := l.StorePoster(t.Context(), domain.NewMovieID(), bytes.NewReader(porttest.PNG())); !errors.Is(err, domain.ErrInfrastructure) {
		t.Fatalf("StorePoster into a removed directory = %v, want ErrInfrastructure", err)
	}
}
