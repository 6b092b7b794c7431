module github.com/moviediary/moviediary/application/usecasetest

go 1.26

require (
	github.com/moviediary/moviediary/application v0.0.0
	github.com/moviediary/moviediary/domain v0.0.0
	github.com/moviediary/moviediary/domain/mock v0.0.0
	go.uber.org/mock v0.6.0
)

require github.com/google/uuid v1.6.0 // indirect

replace (
	github.com/moviediary/moviediary/application => ..
	github.com/moviediary/moviediary/domain => ../../domain
	github.com/moviediary/moviediary/domain/mock => ../../domain/mock
)
