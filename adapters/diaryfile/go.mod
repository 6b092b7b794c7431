module github.com/moviediary/moviediary/adapters/diaryfile

go 1.26.0

require github.com/moviediary/moviediary/domain v0.0.0

require github.com/google/uuid v1.6.0 // indirect

replace github.com/moviediary/moviediary/domain => ../../domain
