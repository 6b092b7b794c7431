module github.com/moviediary/moviediary/domain/mock

go 1.26

require github.com/moviediary/moviediary/domain v0.0.0

require (
	github.com/google/uuid v1.6.0 // indirect
	go.uber.org/mock v0.6.0
)

replace github.com/moviediary/moviediary/domain => ../../domain
