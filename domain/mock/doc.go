// Package mock holds go.uber.org/mock (gomock) mocks of every moviediary
// port declared in package domain, for unit tests of the use cases and of
// anything else that depends on the ports.
//
// The mocks are generated; do not edit ports_mock.go by hand. After
// changing domain/ports.go, run `go generate ./...` in this directory.
package mock

//go:generate go run go.uber.org/mock/mockgen@v0.6.0 -source=../ports.go -destination=ports_mock.go -package=mock
