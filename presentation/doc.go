// Package presentation is moviediary's HTTP layer: the JSON API, the HTML
// pages and forms (no JavaScript), the RSS feed, posters, and the machine
// endpoints (/healthz, /readyz, /metrics, /openapi.json). NewHandler builds
// it from use cases and ports; errors become responses in one place
// (problem.go: RFC 9457 problem+json, or an HTML error page). It names no
// infrastructure adapter: the composition root, package wiring, does.
package presentation
