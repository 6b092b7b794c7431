// Package wiring is moviediary's composition root: the one place that
// names concrete adapters. It reads the configuration from the environment
// (Config, LoadConfig), opens and migrates the database (OpenStore),
// builds the adapters, the use cases, the event bus and the HTTP handler
// (New, App), and runs the binary's commands (Serve, Work, Migrate,
// AddUser, ListDeadEvents, RetryEvent). The HTTP layer itself, package
// presentation, knows use cases and ports only.
package wiring
