package posterstorage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/moviediary/moviediary/domain"
)

// s3Prefix starts every object key the S3 store generates.
const s3Prefix = "posters/"

// Defaults applied to zero S3Config fields.
const (
	DefaultS3Region     = "us-east-1"
	DefaultS3MaxRetries = 3
)

// S3Config configures an S3 store.
type S3Config struct {
	// Endpoint is the server's "host:port". An "http://" or "https://"
	// prefix is accepted too; https then implies UseSSL.
	Endpoint string
	// AccessKeyID and SecretAccessKey are the credentials; both empty
	// means anonymous access.
	AccessKeyID     string
	SecretAccessKey string
	// Bucket holds the posters, under keys "posters/<movie-uuid>".
	Bucket string
	// Region is the bucket's region; empty means DefaultS3Region.
	Region string
	// UseSSL connects with https.
	UseSSL bool
	// CreateBucket makes NewS3 create Bucket when it does not exist.
	CreateBucket bool
	// MaxRetries is how many times one request is tried; zero means
	// DefaultS3MaxRetries and 1 disables retries.
	MaxRetries int
}

// S3 stores posters as objects of an S3-compatible bucket. It is safe for
// concurrent use.
type S3 struct {
	client *minio.Client
	bucket string
	// spoolDir holds the temporary files of large uploads; empty means
	// os.TempDir. Tests set it.
	spoolDir string
}

var _ domain.PosterStorage = (*S3)(nil)

// NewS3 returns an S3 store for cfg. It contacts the server only when
// cfg.CreateBucket is set. A missing endpoint or bucket, half-given
// credentials or a scheme that contradicts UseSSL wrap domain.ErrValidation;
// a failure to create the bucket is mapped like every other S3 error.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	endpoint, secure, err := validateS3(cfg)
	if err != nil {
		return nil, fmt.Errorf("posterstorage: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultS3Region
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultS3MaxRetries
	}
	opts := &minio.Options{
		Secure:     secure,
		Region:     cfg.Region,
		MaxRetries: cfg.MaxRetries,
	}
	if cfg.AccessKeyID != "" {
		opts.Creds = credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, "")
	} else {
		opts.Creds = credentials.New(&credentials.Static{})
	}
	client, err := minio.New(endpoint, opts)
	if err != nil {
		return nil, fmt.Errorf("posterstorage: %w: %w", domain.ErrMisconfigured, err)
	}
	s := &S3{client: client, bucket: cfg.Bucket}
	if cfg.CreateBucket {
		if err := s.ensureBucket(ctx, cfg.Region); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// validateS3 checks cfg and returns the endpoint as host:port and whether
// to use TLS.
func validateS3(cfg S3Config) (string, bool, error) {
	var v domain.Validation
	endpoint, secure := cfg.Endpoint, cfg.UseSSL
	if scheme, _, ok := strings.Cut(endpoint, "://"); ok {
		u, err := url.Parse(endpoint)
		switch {
		case err != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil:
			v.Add("endpoint", "must be host:port or an http(s) URL without a path")
		case scheme == "https":
			endpoint, secure = u.Host, true
		case scheme == "http" && cfg.UseSSL:
			v.Add("endpoint", "is http:// but UseSSL is set")
		case scheme == "http":
			endpoint = u.Host
		default:
			v.Add("endpoint", "scheme must be http or https, not "+scheme)
		}
	}
	if endpoint == "" {
		v.Add("endpoint", "must be set")
	}
	if cfg.Bucket == "" {
		v.Add("bucket", "must be set")
	}
	if (cfg.AccessKeyID == "") != (cfg.SecretAccessKey == "") {
		v.Add("credentials", "access key ID and secret access key must be given together")
	}
	if cfg.MaxRetries < 0 {
		v.Add("max_retries", "must not be negative")
	}
	return endpoint, secure, v.Err()
}

// ensureBucket creates the bucket unless it exists.
func (s *S3) ensureBucket(ctx context.Context, region string) error {
	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("posterstorage: checking bucket %s: %w", s.bucket, mapS3Error(err))
	}
	if exists {
		return nil
	}
	err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region})
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && (resp.Code == "BucketAlreadyOwnedByYou" || resp.Code == "BucketAlreadyExists") {
		return nil // created meanwhile by another instance
	}
	if err != nil {
		return fmt.Errorf("posterstorage: creating bucket %s: %w", s.bucket, mapS3Error(err))
	}
	return nil
}

// s3Key is the object key of a movie's poster.
func s3Key(movie domain.MovieID) string { return s3Prefix + movie.String() }

// parseS3Key returns the object key for path when path is a key this store
// generates, and false for anything else.
func parseS3Key(path domain.PosterPath) (string, bool) {
	name, ok := strings.CutPrefix(path.String(), s3Prefix)
	if !ok {
		return "", false
	}
	id, err := domain.ParseMovieID(name)
	if err != nil || id.String() != name {
		return "", false
	}
	return s3Key(id), true
}

// s3InMemory is the largest poster StorePoster uploads from memory;
// larger ones are spooled to a temporary file first.
const s3InMemory = 256 << 10

// StorePoster uploads the image read from image as movie's poster,
// replacing any earlier one, with the sniffed Content-Type, and returns its
// key "posters/<movie-uuid>". The upload starts only once the whole image
// has been read: a poster up to 256 KiB from memory, a larger one from a
// temporary file in os.TempDir (S3 needs the size up front, and minio-go's
// size-less multipart upload would buffer a 5 MiB part or more in memory),
// so a stream that fails part-way uploads nothing and the earlier poster
// stays as it was. A zero movie or an empty image wraps
// domain.ErrValidation; a failure to read image keeps its kind (see
// domain.PosterStorage); a failure of the temporary file wraps
// domain.ErrInfrastructure; S3 failures are mapped as described on Ping.
func (s *S3) StorePoster(ctx context.Context, movie domain.MovieID, image io.Reader) (domain.PosterPath, error) {
	if err := validateStore(movie, image); err != nil {
		return domain.PosterPath{}, fmt.Errorf("store poster: %w", err)
	}
	key := s3Key(movie)
	src := &source{ctx: ctx, r: image}
	var head bytes.Buffer
	if _, err := io.CopyN(&head, src, s3InMemory+1); src.err != nil {
		return domain.PosterPath{}, fmt.Errorf("store poster %s: %w", key, src.err)
	} else if err != nil && err != io.EOF { // io.EOF itself: the image is shorter
		return domain.PosterPath{}, fmt.Errorf("store poster %s: %w: %w", key, domain.ErrInfrastructure, err)
	}
	if head.Len() == 0 {
		return domain.PosterPath{}, fmt.Errorf("store poster: %w", errEmptyImage())
	}
	opts := minio.PutObjectOptions{ContentType: http.DetectContentType(head.Bytes())}
	if head.Len() <= s3InMemory {
		if _, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(head.Bytes()), int64(head.Len()), opts); err != nil {
			return domain.PosterPath{}, fmt.Errorf("store poster %s: %w", key, mapS3Error(err))
		}
		return domain.NewPosterPath(key)
	}

	spool, size, err := spoolImage(s.spoolDir, head.Bytes(), src)
	if err != nil {
		return domain.PosterPath{}, fmt.Errorf("store poster %s: %w", key, err)
	}
	defer func() {
		_ = spool.Close()
		_ = os.Remove(spool.Name())
	}()
	if _, err := s.client.PutObject(ctx, s.bucket, key, spool, size, opts); err != nil {
		return domain.PosterPath{}, fmt.Errorf("store poster %s: %w", key, mapS3Error(err))
	}
	return domain.NewPosterPath(key)
}

// spoolImage writes head and the rest of src to a new temporary file and
// returns it rewound, with its size; dir "" means os.TempDir. A failure of src keeps its kind; one
// of the file wraps domain.ErrInfrastructure. On error nothing is left
// behind.
func spoolImage(dir string, head []byte, src *source) (*os.File, int64, error) {
	f, err := os.CreateTemp(dir, "moviediary-poster-*")
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", domain.ErrInfrastructure, err)
	}
	fail := func(err error) (*os.File, int64, error) {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return nil, 0, err
	}
	if _, err := f.Write(head); err != nil {
		return fail(fmt.Errorf("%w: %w", domain.ErrInfrastructure, err))
	}
	rest, err := io.Copy(f, src)
	switch {
	case src.err != nil:
		return fail(src.err)
	case err != nil:
		return fail(fmt.Errorf("%w: %w", domain.ErrInfrastructure, err))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(fmt.Errorf("%w: %w", domain.ErrInfrastructure, err))
	}
	return f, int64(len(head)) + rest, nil
}

// LoadPoster downloads the poster stored under path. A path this store did
// not generate, or an object that does not exist, wraps domain.ErrNotFound;
// other failures are mapped as described on Ping.
func (s *S3) LoadPoster(ctx context.Context, path domain.PosterPath) ([]byte, error) {
	key, ok := parseS3Key(path)
	if !ok {
		return nil, fmt.Errorf("load poster %q: %w", path, domain.ErrNotFound)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("load poster %s: %w", key, mapS3Error(err))
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if err != nil {
		return nil, fmt.Errorf("load poster %s: %w", key, mapS3Error(err))
	}
	return b, nil
}

// Ping checks that the bucket is reachable, for readiness checks. Like
// every S3 method it returns errors wrapping domain.ErrUnavailable when the
// server cannot be reached, times out or answers 5xx; domain.ErrMisconfigured
// when it refuses the credentials or the bucket does not exist; and
// domain.ErrInfrastructure for any other answer.
func (s *S3) Ping(ctx context.Context) error {
	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("posterstorage: %w", mapS3Error(err))
	}
	if !exists {
		return fmt.Errorf("posterstorage: %w: bucket %s does not exist", domain.ErrMisconfigured, s.bucket)
	}
	return nil
}

// mapS3Error translates an error of minio-go into a domain error kind.
func mapS3Error(err error) error {
	var resp minio.ErrorResponse
	if !errors.As(err, &resp) || (resp.Code == "" && resp.StatusCode == 0) {
		// No answer from the server: a refused or reset connection, a
		// timeout, DNS, or the caller's context.
		return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
	}
	switch resp.Code {
	case "NoSuchKey":
		return fmt.Errorf("%w: %w", domain.ErrNotFound, err)
	case "NoSuchBucket", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidBucketName":
		return fmt.Errorf("%w: %w", domain.ErrMisconfigured, err)
	case "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout":
		return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %w", domain.ErrNotFound, err)
	case resp.StatusCode >= 500, resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("%w: %w", domain.ErrMisconfigured, err)
	default:
		return fmt.Errorf("%w: %w", domain.ErrInfrastructure, err)
	}
}
