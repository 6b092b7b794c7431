module github.com/moviediary/moviediary/adapters/postgres

go 1.26.0

require (
	github.com/google/uuid v1.6.0
	github.com/jmoiron/sqlx v1.4.0
	github.com/lib/pq v1.12.3
	github.com/moviediary/moviediary/adapters/sqlrows v0.0.0
	github.com/moviediary/moviediary/domain v0.0.0
)

replace (
	github.com/moviediary/moviediary/adapters/sqlrows => ../sqlrows
	github.com/moviediary/moviediary/domain => ../../domain
)
