module github.com/moviediary/moviediary/adapters/html

go 1.26.0

replace github.com/moviediary/moviediary/domain => ../../domain

require (
	github.com/moviediary/moviediary/domain v0.0.0
	golang.org/x/net v0.62.0
)

require github.com/google/uuid v1.6.0 // indirect
