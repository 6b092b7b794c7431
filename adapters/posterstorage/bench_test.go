package posterstorage_test

import (
	"bytes"
	"testing"

	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

// poster256K is a 256 KiB body starting like a PNG.
func poster256K() []byte {
	b := make([]byte, 256<<10)
	copy(b, porttest.PNG())
	return b
}

func benchStore(b *testing.B, s domain.PosterStorage) {
	img := poster256K()
	movie := domain.NewMovieID()
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		if _, err := s.StorePoster(b.Context(), movie, bytes.NewReader(img)); err != nil {
			b.Fatal(err)
		}
	}
}

func benchLoad(b *testing.B, s domain.PosterStorage) {
	img := poster256K()
	path, err := s.StorePoster(b.Context(), domain.NewMovieID(), bytes.NewReader(img))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		if _, err := s.LoadPoster(b.Context(), path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLocalStorePoster(b *testing.B) { benchStore(b, newLocal(b, b.TempDir())) }
func BenchmarkLocalLoadPoster(b *testing.B)  { benchLoad(b, newLocal(b, b.TempDir())) }
func BenchmarkS3StorePoster(b *testing.B)    { benchStore(b, newS3(b, s3Config(newS3Server(b)))) }
func BenchmarkS3LoadPoster(b *testing.B)     { benchLoad(b, newS3(b, s3Config(newS3Server(b)))) }
