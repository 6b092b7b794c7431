module github.com/moviediary/moviediary/application

go 1.26

require (
	github.com/moviediary/moviediary/domain v0.0.0
	go.uber.org/mock v0.6.0
)

require (
	github.com/google/uuid v1.6.0 // indirect
	github.com/moviediary/moviediary/domain/mock v0.0.0
)

replace github.com/moviediary/moviediary/domain => ../domain

replace github.com/moviediary/moviediary/domain/mock => ../domain/mock
