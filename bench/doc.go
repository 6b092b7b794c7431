// Package bench holds the tools of moviediary's HTTP benchmark
// (scripts/bench-http.sh): cmd/baseline, a minimal net/http server on the
// same database that runs only the diary's page query or only the review
// insert (and answers GET /hello without the database); cmd/benchdb, which
// creates and seeds the benchmark database; and cmd/mixedload, which loads
// two moviediary processes on one database with reads and writes and
// checks that no read of a cached page is stale. See docs/bench/http.md
// for the figures.
package bench
