package posterstorage

// NewLocalFailingBeforeRename returns a Local store whose writes fail with
// fail after the temporary file is written and synced but before it
// replaces the poster: the moment a crash or a full disk would hurt most.
// check, when not nil, sees the temporary file's name first.
func NewLocalFailingBeforeRename(cfg LocalConfig, fail error, check func(tmp string)) (*Local, error) {
	l, err := NewLocal(cfg)
	if err != nil {
		return nil, err
	}
	l.beforeRename = func(tmp string) error {
		if check != nil {
			check(tmp)
		}
		return fail
	}
	return l, nil
}
