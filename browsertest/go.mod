module github.com/moviediary/moviediary/browsertest

go 1.26.0

require (
	github.com/moviediary/moviediary/adapters/sqlrows v0.0.0 // indirect
	github.com/moviediary/moviediary/adapters/outbox v0.0.0 // indirect
	github.com/moviediary/moviediary/adapters/nats v0.0.0 // indirect
	github.com/moviediary/moviediary/adapters/delivery v0.0.0 // indirect
	github.com/chromedp/cdproto v0.159.0
	github.com/chromedp/chromedp v0.23.0
	github.com/moviediary/moviediary/presentation v0.0.0
)

require (
	github.com/alexedwards/argon2id v1.0.0 // indirect
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/dustin/go-humanize v1.1.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/jmoiron/sqlx v1.4.0 // indirect
	github.com/klauspost/compress v1.20.1 // indirect
	github.com/klauspost/cpuid/v2 v2.4.0 // indirect
	github.com/klauspost/crc32 v1.3.0 // indirect
	github.com/labstack/echo/v4 v4.16.0 // indirect
	github.com/labstack/gommon v0.5.0 // indirect
	github.com/lib/pq v1.12.3 // indirect
	github.com/mattn/go-colorable v0.1.15 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/minio/crc64nvme v1.1.1 // indirect
	github.com/minio/md5-simd v1.1.2 // indirect
	github.com/minio/minio-go/v7 v7.4.1 // indirect
	github.com/moviediary/moviediary/adapters/auth v0.0.0 // indirect
	github.com/moviediary/moviediary/adapters/eventpublisher v0.0.0 // indirect
	github.com/moviediary/moviediary/adapters/html v0.0.0 // indirect
	github.com/moviediary/moviediary/adapters/omdb v0.0.0 // indirect
	github.com/moviediary/moviediary/adapters/posterfetcher v0.0.0 // indirect
	github.com/moviediary/moviediary/adapters/posterstorage v0.0.0 // indirect
	github.com/moviediary/moviediary/adapters/postgres v0.0.0 // indirect
	github.com/moviediary/moviediary/adapters/rss v0.0.0 // indirect
	github.com/moviediary/moviediary/adapters/sqlite v0.0.0 // indirect
	github.com/moviediary/moviediary/application v0.0.0 // indirect
	github.com/moviediary/moviediary/domain v0.0.0 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/ncruces/go-strftime v1.1.0 // indirect
	github.com/philhofer/fwd v1.2.0 // indirect
	github.com/prometheus/client_golang v1.25.0 // indirect
	github.com/prometheus/client_model v0.6.3 // indirect
	github.com/prometheus/common v0.72.0 // indirect
	github.com/prometheus/procfs v0.22.0 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	github.com/rs/xid v1.6.0 // indirect
	github.com/tinylib/msgp v1.6.4 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	github.com/valyala/fasttemplate v1.2.2 // indirect
	github.com/zeebo/xxh3 v1.1.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.44.0 // indirect
	golang.org/x/time v0.16.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
	gopkg.in/ini.v1 v1.67.3 // indirect
	modernc.org/libc v1.80.1 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.12.1 // indirect
	modernc.org/sqlite v1.62.0 // indirect
)

replace (
	github.com/moviediary/moviediary/adapters/sqlrows => ../adapters/sqlrows
	github.com/moviediary/moviediary/adapters/outbox => ../adapters/outbox
	github.com/moviediary/moviediary/adapters/nats => ../adapters/nats
	github.com/moviediary/moviediary/adapters/delivery => ../adapters/delivery
	github.com/moviediary/moviediary/adapters/auth => ../adapters/auth
	github.com/moviediary/moviediary/adapters/eventpublisher => ../adapters/eventpublisher
	github.com/moviediary/moviediary/adapters/html => ../adapters/html
	github.com/moviediary/moviediary/adapters/memory => ../adapters/memory
	github.com/moviediary/moviediary/adapters/omdb => ../adapters/omdb
	github.com/moviediary/moviediary/adapters/posterfetcher => ../adapters/posterfetcher
	github.com/moviediary/moviediary/adapters/posterstorage => ../adapters/posterstorage
	github.com/moviediary/moviediary/adapters/postgres => ../adapters/postgres
	github.com/moviediary/moviediary/adapters/rss => ../adapters/rss
	github.com/moviediary/moviediary/adapters/sqlite => ../adapters/sqlite
	github.com/moviediary/moviediary/application => ../application
	github.com/moviediary/moviediary/domain => ../domain
	github.com/moviediary/moviediary/domain/mock => ../domain/mock
	github.com/moviediary/moviediary/presentation => ../presentation
)
