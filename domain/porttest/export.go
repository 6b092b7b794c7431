package porttest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// exportAll collects what ExportDiary hands on for user.
func exportAll(t *testing.T, repo domain.DiaryExporter, user domain.UserID) []domain.ExportedEntry {
	t.Helper()
	var got []domain.ExportedEntry
	err := repo.ExportDiary(t.Context(), user, func(e domain.ExportedEntry) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatalf("ExportDiary: %v", err)
	}
	return got
}

// wantExport is f's entries of user, oldest first, with their rewatch
// flags.
func wantExport(f diaryFixture, user domain.UserID) []domain.ExportedEntry {
	seen := map[domain.MovieID]bool{}
	var out []domain.ExportedEntry
	for _, e := range f.want(domain.DiaryFilter{UserID: user, Sort: domain.SortAsc}) {
		out = append(out, domain.ExportedEntry{DiaryEntry: e, Rewatch: seen[e.Movie.ID]})
		seen[e.Movie.ID] = true
	}
	return out
}

func checkExport(t *testing.T, got, want []domain.ExportedEntry) {
	t.Helper()
	entries := func(es []domain.ExportedEntry) []domain.DiaryEntry {
		out := make([]domain.DiaryEntry, len(es))
		for i, e := range es {
			out[i] = e.DiaryEntry
		}
		return out
	}
	checkEntries(t, entries(got), entries(want))
	if len(got) != len(want) {
		return
	}
	for i := range want {
		if got[i].Rewatch != want[i].Rewatch {
			t.Errorf("entry %d (%q, watched %s) Rewatch = %v, want %v", i, want[i].Movie.Title,
				want[i].Review.WatchedAt.Format(time.RFC3339), got[i].Rewatch, want[i].Rewatch)
		}
	}
}

func testExportDiary(t *testing.T, repo domain.MovieRepository) {
	f := seedDiary(t, repo)
	// Ties of watched_at within one movie: the review ID decides which
	// viewing is the rewatch.
	m := f.movies[0]
	tie := time.Date(2024, 3, 1, 20, 0, 0, 0, time.UTC)
	for range 3 {
		r := NewReview(t, m.ID, f.users[0], 2, tie)
		mustSaveViewing(t, repo, domain.Viewing{Movie: m, Review: r})
		f.entries = append(f.entries, domain.DiaryEntry{Movie: m, Review: r})
	}
	for i, user := range f.users {
		t.Run(fmt.Sprintf("user %d", i), func(t *testing.T) {
			want := wantExport(f, user)
			rewatches := 0
			for _, e := range want {
				if e.Rewatch {
					rewatches++
				}
			}
			if rewatches == 0 || rewatches == len(want) {
				t.Fatalf("porttest: fixture has %d rewatches of %d entries", rewatches, len(want))
			}
			checkExport(t, exportAll(t, repo, user), want)
		})
	}
}

func testExportDiaryEmpty(t *testing.T, repo domain.MovieRepository) {
	seedDiary(t, repo)
	calls := 0
	err := repo.ExportDiary(t.Context(), domain.NewUserID(), func(domain.ExportedEntry) error {
		calls++
		return nil
	})
	if err != nil || calls != 0 {
		t.Errorf("ExportDiary(user without entries) called fn %d times and returned %v, want never and nil", calls, err)
	}
}

func testExportDiaryStops(t *testing.T, repo domain.MovieRepository) {
	f := seedDiary(t, repo)
	user := f.users[0]
	want := wantExport(f, user)
	stop := errors.New("stop here")
	var got []domain.ExportedEntry
	err := repo.ExportDiary(t.Context(), user, func(e domain.ExportedEntry) error {
		got = append(got, e)
		if len(got) == 3 {
			return fmt.Errorf("writing entry 3: %w", stop)
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("ExportDiary error = %v, want fn's error", err)
	}
	checkExport(t, got, want[:3])
	// The store is usable afterwards.
	checkExport(t, exportAll(t, repo, user), want)
}
