package porttest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/domain"
)

// waitTimeout bounds every wait for something asynchronous. It is a guard
// against hanging forever, never a measurement: suites synchronise with
// channels and only fail when this much time passes without progress.
const waitTimeout = 15 * time.Second

// FixtureTime is the fixed instant the fixtures log reviews at: an hour
// past midnight UTC on 1 June 2024, with microsecond precision so that it
// survives every store unchanged.
var FixtureTime = time.Date(2024, 6, 1, 1, 0, 0, 123456000, time.UTC)

// NewExternalID returns a random, well-formed IMDb title ID ("tt" and nine
// digits), so fixtures of different subtests never share one by accident.
func NewExternalID(t testing.TB) domain.ExternalMetadataID {
	t.Helper()
	id, err := domain.ParseExternalMetadataID(fmt.Sprintf("tt%09d", rand.IntN(1_000_000_000)))
	if err != nil {
		t.Fatalf("porttest: external ID: %v", err)
	}
	return id
}

// NewMovie returns a valid movie with a fresh ID and no poster. A zero ext
// and an empty director mean none.
func NewMovie(t testing.TB, ext domain.ExternalMetadataID, title string, year int, director string) domain.Movie {
	t.Helper()
	tt, err := domain.NewMovieTitle(title)
	if err != nil {
		t.Fatalf("porttest: movie title: %v", err)
	}
	y, err := domain.NewReleaseYear(year)
	if err != nil {
		t.Fatalf("porttest: release year: %v", err)
	}
	d, err := domain.NewDirector(director)
	if err != nil {
		t.Fatalf("porttest: director: %v", err)
	}
	m, err := domain.NewMovie(ext, tt, y, d)
	if err != nil {
		t.Fatalf("porttest: movie: %v", err)
	}
	return m
}

// NewReview returns a valid review of movie by user with a random (version
// 4) ID, so that review IDs do not follow the order reviews are created in.
// It has no comment and was logged at FixtureTime; watchedAt is normalised
// the way domain.RestoreReview does (UTC, whole seconds).
func NewReview(t testing.TB, movie domain.MovieID, user domain.UserID, rating float64, watchedAt time.Time) domain.Review {
	t.Helper()
	return NewReviewWithComment(t, movie, user, rating, "", watchedAt)
}

// NewReviewWithComment is NewReview with a comment; an empty comment means
// none.
func NewReviewWithComment(t testing.TB, movie domain.MovieID, user domain.UserID, rating float64, comment string, watchedAt time.Time) domain.Review {
	t.Helper()
	id, err := domain.ReviewIDFromUUID(uuid.New())
	if err != nil {
		t.Fatalf("porttest: review ID: %v", err)
	}
	r, err := domain.NewRating(rating)
	if err != nil {
		t.Fatalf("porttest: rating: %v", err)
	}
	c, err := domain.NewComment(comment)
	if err != nil {
		t.Fatalf("porttest: comment: %v", err)
	}
	rev, err := domain.RestoreReview(id, movie, user, r, c, watchedAt, FixtureTime)
	if err != nil {
		t.Fatalf("porttest: review: %v", err)
	}
	return rev
}

// FixturePasswordHash is a well-formed PHC string for fixture users. It is
// not the hash of any password anyone will type.
var FixturePasswordHash = mustHash("$argon2id$v=19$m=65536,t=1,p=2$bW92aWVkaWFyeQ$Zml4dHVyZS1oYXNoLW5vdC1hLXJlYWwtb25l")

func mustHash(s string) domain.PasswordHash {
	h, err := domain.NewPasswordHash(s)
	if err != nil {
		panic(err) // a constant above; checked by the package's tests
	}
	return h
}

// NewUser returns a valid user with a fresh ID, the address email (parsed,
// so lower-cased), FixturePasswordHash and FixtureTime as creation time.
func NewUser(t testing.TB, email string) domain.User {
	t.Helper()
	e, err := domain.ParseEmail(email)
	if err != nil {
		t.Fatalf("porttest: email: %v", err)
	}
	u, err := domain.NewUser(e, FixturePasswordHash, FixtureTime)
	if err != nil {
		t.Fatalf("porttest: user: %v", err)
	}
	return u
}

// PNG returns a small, valid PNG image (4×4 pixels).
func PNG() []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, fixtureImage()); err != nil {
		panic(err) // encoding to memory cannot fail
	}
	return b.Bytes()
}

// JPEG returns a small, valid JPEG image (4×4 pixels).
func JPEG() []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, fixtureImage(), nil); err != nil {
		panic(err) // encoding to memory cannot fail
	}
	return b.Bytes()
}

// GIF returns a small, valid GIF image (4×4 pixels).
func GIF() []byte {
	var b bytes.Buffer
	if err := gif.Encode(&b, fixtureImage(), nil); err != nil {
		panic(err) // encoding to memory cannot fail
	}
	return b.Bytes()
}

// webpLossless1x1 is a 1×1 lossless WebP image.
const webpLossless1x1 = "UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=="

// WebP returns a tiny, valid WebP image (1×1 pixel, lossless).
func WebP() []byte {
	b, err := base64.StdEncoding.DecodeString(webpLossless1x1)
	if err != nil {
		panic(err) // a constant above
	}
	return b
}

func fixtureImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for x := range 4 {
		for y := range 4 {
			img.Set(x, y, color.RGBA{R: uint8(60 * x), G: uint8(60 * y), B: 200, A: 255})
		}
	}
	return img
}
