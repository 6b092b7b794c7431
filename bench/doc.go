// Package bench holds the tools of moviediary's HTTP benchmark
// (scripts/bench-http.sh): cmd/baseline, a minimal net/http server on the
// same database that runs only the diary's page query or only the review
// insert, and cmd/benchdb, which creates and seeds the benchmark database.
// See docs/bench/http.md for the figures.
package bench
