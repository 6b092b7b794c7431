module github.com/moviediary/moviediary/adapters/rss

go 1.26.0

require (
	github.com/PuerkitoBio/goquery v1.8.0
	github.com/mmcdole/gofeed v1.3.0
	github.com/moviediary/moviediary/domain v0.0.0
)

require (
	github.com/andybalholm/cascadia v1.3.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/json-iterator/go v1.1.12 // indirect
	github.com/mmcdole/goxpp v1.1.1-0.20240225020742-a0c311522b23 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.2 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)

replace github.com/moviediary/moviediary/domain => ../../domain
