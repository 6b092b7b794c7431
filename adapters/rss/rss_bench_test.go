package rss_test

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/rss"
	"github.com/moviediary/moviediary/domain"
)

// BenchmarkRender50 renders a full feed of FeedLimit entries, each with a
// comment of a few sentences.
func BenchmarkRender50(b *testing.B) {
	start := time.Date(2024, 5, 1, 20, 30, 0, 0, time.UTC)
	entries := make([]domain.DiaryEntry, rss.FeedLimit)
	for i := range entries {
		entries[i] = mustEntry(b, fmt.Sprintf("Film number %d & friends", i), 1990+i%30, float64(i%11)/2,
			"A slow start, then it <really> takes off. Great score & photography; the ending is \"earned\" 🎬.", start.Add(-time.Duration(i)*time.Hour))
	}
	feed := rss.Feed{Title: "Movie Diary", BaseURL: "https://diary.example", Entries: entries}
	b.ReportAllocs()
	for b.Loop() {
		if err := rss.Render(io.Discard, feed); err != nil {
			b.Fatal(err)
		}
	}
}
