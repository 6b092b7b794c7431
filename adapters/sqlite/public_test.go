package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/moviediary/moviediary/domain/porttest"
)

func TestPublicDiaryContract(t *testing.T) {
	porttest.TestPublicDiary(t, func(t *testing.T) porttest.PublicStore {
		db, _ := mustOpenTemp(t)
		return porttest.PublicStore{Movies: db.Movies(), Users: db.Users(), Stats: db.Statistics(), Imports: db.Imports()}
	})
}

// TestChangeListenerContract opens two DBs on one file, as two processes
// would: the suite writes through one and listens through the other.
func TestChangeListenerContract(t *testing.T) {
	porttest.TestChangeListener(t, func(t *testing.T) porttest.ChangeStores {
		path := filepath.Join(t.TempDir(), "moviediary.db")
		listener, writer := mustOpen(t, path), mustOpen(t, path)
		return porttest.ChangeStores{Listener: listener, Movies: writer.Movies(), Users: writer.Users()}
	})
}
