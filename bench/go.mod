module github.com/moviediary/moviediary/bench

go 1.26.0

require (
	github.com/moviediary/moviediary/adapters/sqlrows v0.0.0 // indirect
	github.com/google/uuid v1.6.0
	github.com/lib/pq v1.12.3
	github.com/moviediary/moviediary/adapters/delivery v0.0.0
	github.com/moviediary/moviediary/adapters/eventpublisher v0.0.0
	github.com/moviediary/moviediary/adapters/memory v0.0.0
	github.com/moviediary/moviediary/adapters/outbox v0.0.0
	github.com/moviediary/moviediary/adapters/postgres v0.0.0
	github.com/moviediary/moviediary/adapters/sqlite v0.0.0
	github.com/moviediary/moviediary/domain v0.0.0
)

require (
	github.com/dustin/go-humanize v1.1.0 // indirect
	github.com/jmoiron/sqlx v1.4.0 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/ncruces/go-strftime v1.1.0 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	golang.org/x/sys v0.49.0 // indirect
	modernc.org/libc v1.80.1 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.12.1 // indirect
	modernc.org/sqlite v1.62.0 // indirect
)

replace (
	github.com/moviediary/moviediary/adapters/sqlrows => ../adapters/sqlrows
	github.com/moviediary/moviediary/adapters/delivery => ../adapters/delivery
	github.com/moviediary/moviediary/adapters/eventpublisher => ../adapters/eventpublisher
	github.com/moviediary/moviediary/adapters/memory => ../adapters/memory
	github.com/moviediary/moviediary/adapters/outbox => ../adapters/outbox
	github.com/moviediary/moviediary/adapters/postgres => ../adapters/postgres
	github.com/moviediary/moviediary/adapters/sqlite => ../adapters/sqlite
	github.com/moviediary/moviediary/domain => ../domain
)
