module github.com/moviediary/moviediary/adapters/sqlrows

go 1.26.0

require (
	github.com/google/uuid v1.6.0
	github.com/moviediary/moviediary/domain v0.0.0
)

replace github.com/moviediary/moviediary/domain => ../../domain
