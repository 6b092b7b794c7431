package posterstorage

import "context"

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

// NewS3SpoolingIn returns an S3 store that spools large posters into dir
// instead of os.TempDir, so tests can see that no spool file is left.
func NewS3SpoolingIn(ctx context.Context, cfg S3Config, dir string) (*S3, error) {
	s, err := NewS3(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s.spoolDir = dir
	return s, nil
}
