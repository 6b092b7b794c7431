package porttest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/moviediary/moviediary/domain"
)

// TestPosterStorage runs the PosterStorage contract. newStorage must return
// a new, empty storage each time; it is called once per subtest.
//
// The suite pins the byte-exact round trip, replacing a movie's poster,
// that movies do not share a poster, ErrNotFound for an unknown path, and
// that neither the stored nor the loaded bytes alias the caller's slices.
func TestPosterStorage(t *testing.T, newStorage func(t *testing.T) domain.PosterStorage) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s domain.PosterStorage)
	}{
		{"stored poster loads byte for byte", testPosterRoundTrip},
		{"storing again replaces the movie's poster", testPosterReplace},
		{"posters of different movies do not clash", testPosterPerMovie},
		{"unknown path is not found", testPosterUnknown},
		{"stored bytes are not the caller's slices", testPosterCopies},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStorage(t))
		})
	}
}

func testPosterRoundTrip(t *testing.T, s domain.PosterStorage) {
	for name, img := range map[string][]byte{"png": PNG(), "jpeg": JPEG(), "gif": GIF(), "webp": WebP()} {
		t.Run(name, func(t *testing.T) {
			movie := domain.NewMovieID()
			path := mustStorePoster(t, s, movie, img)
			if got := mustLoadPoster(t, s, path); !bytes.Equal(got, img) {
				t.Errorf("LoadPoster(%q) returned %d bytes differing from the %d stored", path, len(got), len(img))
			}
		})
	}
}

func testPosterReplace(t *testing.T, s domain.PosterStorage) {
	movie := domain.NewMovieID()
	mustStorePoster(t, s, movie, PNG())
	path := mustStorePoster(t, s, movie, JPEG())
	if got := mustLoadPoster(t, s, path); !bytes.Equal(got, JPEG()) {
		t.Errorf("LoadPoster after storing twice returned %d bytes, want the %d of the latest poster", len(got), len(JPEG()))
	}
	again := mustStorePoster(t, s, movie, GIF())
	if got := mustLoadPoster(t, s, again); !bytes.Equal(got, GIF()) {
		t.Errorf("LoadPoster after storing three times returned %d bytes, want the %d of the latest poster", len(got), len(GIF()))
	}
}

func testPosterPerMovie(t *testing.T, s domain.PosterStorage) {
	a, b := domain.NewMovieID(), domain.NewMovieID()
	pathA := mustStorePoster(t, s, a, PNG())
	pathB := mustStorePoster(t, s, b, GIF())
	if pathA == pathB {
		t.Fatalf("two movies were given the same path %q", pathA)
	}
	if got := mustLoadPoster(t, s, pathA); !bytes.Equal(got, PNG()) {
		t.Error("the first movie's poster changed when another movie's was stored")
	}
	if got := mustLoadPoster(t, s, pathB); !bytes.Equal(got, GIF()) {
		t.Error("the second movie's poster is not what was stored")
	}
}

func testPosterUnknown(t *testing.T, s domain.PosterStorage) {
	mustStorePoster(t, s, domain.NewMovieID(), PNG())
	for _, p := range []string{"posters/unknown.jpg", domain.NewMovieID().String()} {
		if _, err := s.LoadPoster(t.Context(), domain.MustNewPosterPath(p)); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("LoadPoster(%q) error = %v, want ErrNotFound", p, err)
		}
	}
}

func testPosterCopies(t *testing.T, s domain.PosterStorage) {
	img := PNG()
	path := mustStorePoster(t, s, domain.NewMovieID(), img)
	clear(img)
	got := mustLoadPoster(t, s, path)
	if !bytes.Equal(got, PNG()) {
		t.Fatal("changing the slice given to StorePoster changed the stored poster")
	}
	clear(got)
	if again := mustLoadPoster(t, s, path); !bytes.Equal(again, PNG()) {
		t.Error("changing the slice LoadPoster returned changed the stored poster")
	}
}

func mustStorePoster(t *testing.T, s domain.PosterStorage, movie domain.MovieID, img []byte) domain.PosterPath {
	t.Helper()
	path, err := s.StorePoster(t.Context(), movie, img)
	if err != nil {
		t.Fatalf("StorePoster: %v", err)
	}
	if path.IsZero() {
		t.Fatal("StorePoster returned an empty path")
	}
	return path
}

func mustLoadPoster(t *testing.T, s domain.PosterStorage, path domain.PosterPath) []byte {
	t.Helper()
	b, err := s.LoadPoster(t.Context(), path)
	if err != nil {
		t.Fatalf("LoadPoster(%q): %v", path, err)
	}
	return b
}
