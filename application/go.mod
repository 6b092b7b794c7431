module github.com/moviediary/moviediary/application

go 1.26

require (
	github.com/moviediary/moviediary/domain v0.0.0
)

replace (
	github.com/moviediary/moviediary/domain => ../domain
)
