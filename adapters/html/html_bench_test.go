package html_test

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/html"
	"github.com/moviediary/moviediary/domain"
)

// BenchmarkDiaryPage20 renders a signed-in diary page of 20 entries (the
// default page size), half of them with a poster, each with a comment and
// its author's name (the whole diary's page).
func BenchmarkDiaryPage20(b *testing.B) {
	r := mustRenderer(b)
	entries := make([]domain.DiaryEntry, domain.DefaultPageLimit)
	ann := domain.NewUserID()
	for i := range entries {
		var opts []movieOpt
		if i%2 == 0 {
			opts = append(opts, withPoster)
		}
		m := mustMovie(b, fmt.Sprintf("Film number %d & friends", i), 1990+i%30, opts...)
		entries[i] = mustEntryBy(b, ann, m, float64(i%12)/2-0.5,
			"A slow start, then it <really> takes off.\nGreat score & photography; the ending is \"earned\" 🎬.", watched.Add(-time.Duration(i)*time.Hour))
	}
	v := html.DiaryView{
		Entries: entries, TotalCount: 500, NextURL: "/diary?cursor=abcdef", SignedIn: true,
		UserEmail: "ann@example.com", CSRFToken: "0123456789abcdef0123456789abcdef", Now: now,
		Authors: map[domain.UserID]string{ann: "Ann & co"},
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := r.DiaryPage(io.Discard, v); err != nil {
			b.Fatal(err)
		}
	}
}
