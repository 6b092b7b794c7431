package sqlrows_test

import (
	"slices"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

func TestPlayRow(t *testing.T) {
	t.Parallel()
	user, _ := domain.UserIDFromUUID(userUUID)
	title, _ := domain.NewMovieTitle("Ran")
	year, _ := domain.NewReleaseYear(1985)
	at := created.Add(1500 * time.Millisecond)
	p, err := domain.NewPlay(user, domain.SourceJellyfin, domain.PlayWatched, domain.ExternalMetadataID{}, title, year, at, domain.Rating{}, created.Add(time.Hour))
	if err != nil {
		t.Fatalf("NewPlay: %v", err)
	}
	e := domain.NewPlayReported(p, created.Add(time.Hour))
	t.Run("a play's row", func(t *testing.T) {
		t.Parallel()
		row, err := sqlrows.PlayRow(e)
		if err != nil {
			t.Fatalf("PlayRow: %v", err)
		}
		want := sqlrows.Play{UserID: userUUID, Source: "jellyfin", Kind: "watched", FilmKey: p.FilmKey(),
			At: at.Truncate(time.Second), EventID: e.EventID().UUID()}
		if row != want {
			t.Errorf("PlayRow = %+v, want %+v", row, want)
		}
	})
	t.Run("every bad column is reported", func(t *testing.T) {
		t.Parallel()
		_, err := sqlrows.PlayRow(domain.PlayReported{Play: domain.Play{Source: "kodi", Kind: "skipped"}})
		want := sorted("event_id", "user_id", "source", "kind", "film_key", "at")
		if got := fieldsOf(t, err); !slices.Equal(got, want) {
			t.Errorf("PlayRow reports %q, want %q (error: %v)", got, want, err)
		}
	})
	t.Run("the window is open, PlayDedupWindow either side", func(t *testing.T) {
		t.Parallel()
		after, before := sqlrows.PlayWindow(at)
		if !after.Equal(at.Add(-domain.PlayDedupWindow)) || !before.Equal(at.Add(domain.PlayDedupWindow)) {
			t.Errorf("PlayWindow(%v) = %v, %v; want ±%v", at, after, before, domain.PlayDedupWindow)
		}
	})
}
