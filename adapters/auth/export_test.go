package auth

// SetProbe installs a hook that is called with +1 when a computation takes
// a slot and -1 when it gives it back. Tests only.
func SetProbe(a *Argon2id, probe func(delta int)) { a.probe = probe }
