module github.com/moviediary/moviediary/bench

go 1.26.0

require (
	github.com/google/uuid v1.6.0
	github.com/lib/pq v1.12.3
)
