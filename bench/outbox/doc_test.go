// Package outboxbench_test benchmarks the outbox dispatcher
// (adapters/outbox) on every store that keeps an outbox — memory, SQLite
// and PostgreSQL — and beside the channel bus. It lives in the bench module
// so that adapters/outbox requires no database driver.
package outboxbench_test
