package porttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"

	"github.com/moviediary/moviediary/domain"
)

// TestPosterStorage runs the PosterStorage contract. newStorage must return
// a new, empty storage each time; it is called once per subtest.
//
// The suite pins the byte-exact round trip, replacing a movie's poster,
// that movies do not share a poster, ErrNotFound for an unknown path, that
// neither the stored nor the loaded bytes alias the caller's slices, that
// an image is read to its end however the reader splits it, and that a
// stream that fails part-way (as an over-cap or broken download does), an
// empty image or a cancelled context store nothing and leave the earlier
// poster as it was.
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
		{"an image is read to its end in whatever pieces the reader gives", testPosterPieces},
		{"a stream that fails part-way keeps the earlier poster", testPosterFailedStream},
		{"an empty image is invalid and keeps the earlier poster", testPosterEmpty},
		{"a cancelled context keeps the earlier poster", testPosterCancelled},
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
		t.Fatal("changing the slice read by StorePoster changed the stored poster")
	}
	clear(got)
	if again := mustLoadPoster(t, s, path); !bytes.Equal(again, PNG()) {
		t.Error("changing the slice LoadPoster returned changed the stored poster")
	}
}

func testPosterPieces(t *testing.T, s domain.PosterStorage) {
	// 3 MiB: larger than any buffer a store would reasonably keep in
	// memory before streaming.
	big := make([]byte, 3<<20)
	copy(big, PNG())
	for i := len(PNG()); i < len(big); i++ {
		big[i] = byte(i * 7)
	}
	for _, tc := range []struct {
		name string
		img  []byte
		wrap func(io.Reader) io.Reader
	}{
		{"one byte at a time", JPEG(), iotest.OneByteReader},
		{"half of each read", big, iotest.HalfReader},
		{"EOF with the last bytes", big, iotest.DataErrReader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			movie := domain.NewMovieID()
			path, err := s.StorePoster(t.Context(), movie, tc.wrap(bytes.NewReader(tc.img)))
			if err != nil {
				t.Fatalf("StorePoster: %v", err)
			}
			if got := mustLoadPoster(t, s, path); !bytes.Equal(got, tc.img) {
				t.Errorf("LoadPoster returned %d bytes differing from the %d stored", len(got), len(tc.img))
			}
		})
	}
}

func testPosterFailedStream(t *testing.T, s domain.PosterStorage) {
	tooLarge := fmt.Errorf("%w: the body is over the cap", domain.ErrPermanent)
	cutShort := fmt.Errorf("%w: the connection broke", domain.ErrUnavailable)
	kindless := errors.New("the reader broke")
	large := make([]byte, 2<<20)
	copy(large, JPEG())
	for _, tc := range []struct {
		name   string
		prefix []byte // what the stream gives before it fails
		fail   error
		kind   error // the kind the error must wrap
	}{
		{"over the cap after a small prefix", JPEG()[:64], tooLarge, domain.ErrPermanent},
		{"over the cap after 2 MiB", large, tooLarge, domain.ErrPermanent},
		{"cut short", JPEG()[:64], cutShort, domain.ErrUnavailable},
		{"a reader error without a kind", large, kindless, domain.ErrUnavailable},
		{"a failure before any byte", nil, cutShort, domain.ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			movie := domain.NewMovieID()
			path := mustStorePoster(t, s, movie, PNG())
			stream := io.MultiReader(bytes.NewReader(tc.prefix), iotest.ErrReader(tc.fail))
			got, err := s.StorePoster(t.Context(), movie, stream)
			if err == nil {
				t.Fatalf("StorePoster of a failing stream = %q, nil; want an error", got)
			}
			if !errors.Is(err, tc.fail) || !errors.Is(err, tc.kind) {
				t.Errorf("StorePoster error = %v, want it to wrap the reader's error and %v", err, tc.kind)
			}
			if b := mustLoadPoster(t, s, path); !bytes.Equal(b, PNG()) {
				t.Errorf("after a failed stream LoadPoster returned %d bytes, want the %d of the earlier poster", len(b), len(PNG()))
			}
		})
	}
}

func testPosterEmpty(t *testing.T, s domain.PosterStorage) {
	movie := domain.NewMovieID()
	path := mustStorePoster(t, s, movie, GIF())
	if got, err := s.StorePoster(t.Context(), movie, bytes.NewReader(nil)); !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("StorePoster of an empty image = %q, %v; want ErrValidation", got, err)
	}
	if b := mustLoadPoster(t, s, path); !bytes.Equal(b, GIF()) {
		t.Errorf("after an empty image LoadPoster returned %d bytes, want the %d of the earlier poster", len(b), len(GIF()))
	}
}

func testPosterCancelled(t *testing.T, s domain.PosterStorage) {
	movie := domain.NewMovieID()
	path := mustStorePoster(t, s, movie, WebP())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if got, err := s.StorePoster(ctx, movie, bytes.NewReader(PNG())); err == nil {
		t.Fatalf("StorePoster with a cancelled context = %q, nil; want an error", got)
	}
	if b := mustLoadPoster(t, s, path); !bytes.Equal(b, WebP()) {
		t.Errorf("after a cancelled store LoadPoster returned %d bytes, want the %d of the earlier poster", len(b), len(WebP()))
	}
}

func mustStorePoster(t *testing.T, s domain.PosterStorage, movie domain.MovieID, img []byte) domain.PosterPath {
	t.Helper()
	path, err := s.StorePoster(t.Context(), movie, bytes.NewReader(img))
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
