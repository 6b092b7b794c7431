module github.com/moviediary/moviediary/adapters/auth

go 1.26.0

require (
	github.com/alexedwards/argon2id v1.0.0
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/moviediary/moviediary/domain v0.0.0
)

require (
	github.com/google/uuid v1.6.0 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/moviediary/moviediary/domain => ../../domain
