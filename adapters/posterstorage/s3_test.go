package posterstorage_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/moviediary/moviediary/adapters/posterstorage"
	"github.com/moviediary/moviediary/domain"
	"github.com/moviediary/moviediary/domain/porttest"
)

const (
	testAccessKey = "moviediary"
	testSecretKey = "moviediary-secret"
	testBucket    = "posters"
)

// newS3Server starts a real S3 protocol server, in memory, on loopback.
func newS3Server(tb testing.TB) *httptest.Server {
	tb.Helper()
	faker := gofakes3.New(s3mem.New())
	s := httptest.NewServer(faker.Server())
	tb.Cleanup(s.Close)
	return s
}

func s3Config(s *httptest.Server) posterstorage.S3Config {
	return posterstorage.S3Config{
		Endpoint:        strings.TrimPrefix(s.URL, "http://"),
		AccessKeyID:     testAccessKey,
		SecretAccessKey: testSecretKey,
		Bucket:          testBucket,
		CreateBucket:    true,
		MaxRetries:      1,
	}
}

func newS3(tb testing.TB, cfg posterstorage.S3Config) *posterstorage.S3 {
	tb.Helper()
	store, err := posterstorage.NewS3(tb.Context(), cfg)
	if err != nil {
		tb.Fatalf("NewS3: %v", err)
	}
	return store
}

func TestS3PassesThePosterStorageContract(t *testing.T) {
	t.Parallel()
	porttest.TestPosterStorage(t, func(t *testing.T) domain.PosterStorage {
		return newS3(t, s3Config(newS3Server(t)))
	})
}

func TestS3StoresUnderAKeyDerivedFromTheMovieIDWithTheSniffedType(t *testing.T) {
	t.Parallel()
	srv := newS3Server(t)
	cfg := s3Config(srv)
	store := newS3(t, cfg)
	client, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(testAccessKey, testSecretKey, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		img  []byte
		want string
	}{
		{"png", porttest.PNG(), "image/png"},
		{"jpeg", porttest.JPEG(), "image/jpeg"},
		{"gif", porttest.GIF(), "image/gif"},
		{"webp", porttest.WebP(), "image/webp"},
		{"a 1 MiB png, spooled", append(porttest.PNG(), make([]byte, 1<<20)...), "image/png"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			movie := domain.NewMovieID()
			path, err := store.StorePoster(t.Context(), movie, bytes.NewReader(tc.img))
			if err != nil {
				t.Fatal(err)
			}
			if want := "posters/" + movie.String(); path.String() != want {
				t.Fatalf("path = %q, want %q", path, want)
			}
			info, err := client.StatObject(t.Context(), testBucket, path.String(), minio.StatObjectOptions{})
			if err != nil {
				t.Fatalf("StatObject: %v", err)
			}
			if info.ContentType != tc.want || info.Size != int64(len(tc.img)) {
				t.Fatalf("object is %s, %d bytes; want %s, %d bytes", info.ContentType, info.Size, tc.want, len(tc.img))
			}
		})
	}
}

func TestS3LoadPosterRefusesKeysItDidNotGenerate(t *testing.T) {
	t.Parallel()
	srv := newS3Server(t)
	cfg := s3Config(srv)
	store := newS3(t, cfg)
	movie := domain.NewMovieID()
	if _, err := store.StorePoster(t.Context(), movie, bytes.NewReader(porttest.PNG())); err != nil {
		t.Fatal(err)
	}
	// An object in the same bucket that is not a poster.
	client, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(testAccessKey, testSecretKey, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("secret")
	if _, err := client.PutObject(t.Context(), testBucket, "backups/db.sqlite", bytes.NewReader(secret), int64(len(secret)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	id := movie.String()
	for _, p := range []string{
		"backups/db.sqlite",
		"posters/../backups/db.sqlite",
		"../etc/passwd",
		id,
		"posters/" + strings.ToUpper(id),
		"posters/" + id + "/",
		"/posters/" + id,
		"posters//" + id,
		"posters/urn:uuid:" + id,
	} {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			got, err := store.LoadPoster(t.Context(), domain.MustNewPosterPath(p))
			if !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("LoadPoster(%q) = %d bytes, %v; want ErrNotFound", p, len(got), err)
			}
		})
	}
}

func TestS3ReportsAStoppedServerAsUnavailable(t *testing.T) {
	t.Parallel()
	srv := newS3Server(t)
	store := newS3(t, s3Config(srv))
	path, err := store.StorePoster(t.Context(), domain.NewMovieID(), bytes.NewReader(porttest.PNG()))
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()

	if _, err := store.StorePoster(t.Context(), domain.NewMovieID(), bytes.NewReader(porttest.PNG())); !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("StorePoster = %v, want ErrUnavailable", err)
	}
	if _, err := store.LoadPoster(t.Context(), path); !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("LoadPoster = %v, want ErrUnavailable", err)
	}
	if err := store.Ping(t.Context()); !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("Ping = %v, want ErrUnavailable", err)
	}
	// A key it never generates is refused without asking the server.
	if _, err := store.LoadPoster(t.Context(), domain.MustNewPosterPath("../etc/passwd")); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("LoadPoster of a foreign key = %v, want ErrNotFound", err)
	}
	cfg := s3Config(srv)
	if _, err := posterstorage.NewS3(t.Context(), cfg); !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("NewS3 creating the bucket = %v, want ErrUnavailable", err)
	}
}

func TestS3ReportsAMissingBucketAsMisconfigured(t *testing.T) {
	t.Parallel()
	cfg := s3Config(newS3Server(t))
	cfg.CreateBucket = false
	store := newS3(t, cfg)
	if err := store.Ping(t.Context()); !errors.Is(err, domain.ErrMisconfigured) {
		t.Errorf("Ping = %v, want ErrMisconfigured", err)
	}
	if _, err := store.StorePoster(t.Context(), domain.NewMovieID(), bytes.NewReader(porttest.PNG())); !errors.Is(err, domain.ErrMisconfigured) {
		t.Errorf("StorePoster = %v, want ErrMisconfigured", err)
	}
}

func TestS3CreateBucketIsIdempotent(t *testing.T) {
	t.Parallel()
	srv := newS3Server(t)
	first := newS3(t, s3Config(srv))
	path, err := first.StorePoster(t.Context(), domain.NewMovieID(), bytes.NewReader(porttest.GIF()))
	if err != nil {
		t.Fatal(err)
	}
	second := newS3(t, s3Config(srv))
	if err := second.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if got, err := second.LoadPoster(t.Context(), path); err != nil || !bytes.Equal(got, porttest.GIF()) {
		t.Fatalf("LoadPoster after reopening = %d bytes, %v; want the stored poster", len(got), err)
	}
}

func TestS3AcceptsAnEndpointURL(t *testing.T) {
	t.Parallel()
	srv := newS3Server(t)
	cfg := s3Config(srv)
	cfg.Endpoint = srv.URL
	store := newS3(t, cfg)
	if err := store.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func TestNewS3RejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	valid := posterstorage.S3Config{Endpoint: "127.0.0.1:9000", Bucket: "posters", AccessKeyID: "a", SecretAccessKey: "b"}
	cases := []struct {
		name   string
		change func(*posterstorage.S3Config)
	}{
		{"no endpoint", func(c *posterstorage.S3Config) { c.Endpoint = "" }},
		{"no bucket", func(c *posterstorage.S3Config) { c.Bucket = "" }},
		{"access key without secret", func(c *posterstorage.S3Config) { c.SecretAccessKey = "" }},
		{"secret without access key", func(c *posterstorage.S3Config) { c.AccessKeyID = "" }},
		{"http URL with UseSSL", func(c *posterstorage.S3Config) { c.Endpoint = "http://minio:9000"; c.UseSSL = true }},
		{"URL with a path", func(c *posterstorage.S3Config) { c.Endpoint = "http://minio:9000/bucket" }},
		{"unknown scheme", func(c *posterstorage.S3Config) { c.Endpoint = "ftp://minio:9000" }},
		{"negative retries", func(c *posterstorage.S3Config) { c.MaxRetries = -1 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := valid
			tc.change(&cfg)
			if _, err := posterstorage.NewS3(t.Context(), cfg); !errors.Is(err, domain.ErrValidation) {
				t.Fatalf("NewS3(%+v) = %v, want ErrValidation", cfg, err)
			}
		})
	}
	if _, err := posterstorage.NewS3(t.Context(), valid); err != nil {
		t.Fatalf("NewS3 of a valid config without CreateBucket = %v, want no error and no network", err)
	}
}

func TestS3StorePosterRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	store := newS3(t, s3Config(newS3Server(t)))
	if _, err := store.StorePoster(t.Context(), domain.MovieID{}, bytes.NewReader(porttest.PNG())); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("StorePoster of a zero movie = %v, want ErrValidation", err)
	}
	if _, err := store.StorePoster(t.Context(), domain.NewMovieID(), nil); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("StorePoster of no reader = %v, want ErrValidation", err)
	}
	if _, err := store.StorePoster(t.Context(), domain.NewMovieID(), bytes.NewReader(nil)); !errors.Is(err, domain.ErrValidation) {
		t.Errorf("StorePoster of no bytes = %v, want ErrValidation", err)
	}
}

// TestS3FailedStreamUploadsNothing: a stream that fails part-way — small,
// or past the in-memory limit and spooled to disk — uploads no object,
// keeps an earlier poster, and leaves no spool file behind; a successful
// spooled upload leaves none either.
func TestS3FailedStreamUploadsNothing(t *testing.T) {
	t.Parallel()
	srv := newS3Server(t)
	cfg := s3Config(srv)
	spool := t.TempDir()
	store, err := posterstorage.NewS3SpoolingIn(t.Context(), cfg, spool)
	if err != nil {
		t.Fatal(err)
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(testAccessKey, testSecretKey, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	tooLarge := fmt.Errorf("%w: over the cap", domain.ErrPermanent)
	large := make([]byte, 1<<20)
	copy(large, porttest.JPEG())
	for _, tc := range []struct {
		name   string
		prefix []byte
	}{
		{"small prefix, from memory", porttest.JPEG()[:100]},
		{"1 MiB prefix, spooled", large},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fresh, known := domain.NewMovieID(), domain.NewMovieID()
			path, err := store.StorePoster(t.Context(), known, bytes.NewReader(porttest.PNG()))
			if err != nil {
				t.Fatal(err)
			}
			for _, movie := range []domain.MovieID{fresh, known} {
				stream := io.MultiReader(bytes.NewReader(tc.prefix), iotest.ErrReader(tooLarge))
				if _, err := store.StorePoster(t.Context(), movie, stream); !errors.Is(err, tooLarge) || !errors.Is(err, domain.ErrPermanent) {
					t.Fatalf("StorePoster = %v, want the stream's permanent failure", err)
				}
			}
			if _, err := client.StatObject(t.Context(), testBucket, "posters/"+fresh.String(), minio.StatObjectOptions{}); err == nil {
				t.Error("a failed stream uploaded an object for a movie that had none")
			}
			if got, err := store.LoadPoster(t.Context(), path); err != nil || !bytes.Equal(got, porttest.PNG()) {
				t.Errorf("LoadPoster after a failed stream = %d bytes, %v; want the earlier poster", len(got), err)
			}
			if names := dirNames(t, spool); len(names) != 0 {
				t.Errorf("spool directory holds %q, want nothing", names)
			}
		})
	}
	if _, err := store.StorePoster(t.Context(), domain.NewMovieID(), bytes.NewReader(large)); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, spool); len(names) != 0 {
		t.Errorf("spool directory holds %q after an upload, want nothing", names)
	}
}
