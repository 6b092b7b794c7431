package postgres

// ErrorKind exposes errorKind to the external tests.
var ErrorKind = errorKind

// MigrationLockKey exposes the migration advisory lock key.
const MigrationLockKey = migrationLockKey
