module github.com/moviediary/moviediary/presentation

go 1.26

require (
	github.com/moviediary/moviediary/adapters/eventpublisher v0.0.0
	github.com/moviediary/moviediary/application v0.0.0
	github.com/moviediary/moviediary/domain v0.0.0
)

replace (
	github.com/moviediary/moviediary/adapters/eventpublisher => ../adapters/eventpublisher
	github.com/moviediary/moviediary/application => ../application
	github.com/moviediary/moviediary/domain => ../domain
)
