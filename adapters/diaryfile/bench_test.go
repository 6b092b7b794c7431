package diaryfile_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/diaryfile"
	"github.com/moviediary/moviediary/domain"
)

// generatedDiary is a Letterboxd diary.csv of n rows: rewatches, half
// stars, unrated rows, tags, quoted names.
func generatedDiary(n int) []byte {
	var b bytes.Buffer
	b.WriteString(lbDiary)
	day := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		film := i % (n/3 + 1)
		name := fmt.Sprintf("Film number %d", film)
		if film%10 == 0 {
			name = fmt.Sprintf("\"Film, \"\"quoted\"\" %d\"", film)
		}
		rating := ""
		if i%7 != 0 {
			rating = fmt.Sprintf("%.1f", float64(i%10+1)/2)
		}
		rewatch := ""
		if i >= n/3+1 {
			rewatch = "Yes"
		}
		watched := day.AddDate(0, 0, i/20).Format("2006-01-02")
		fmt.Fprintf(&b, "%s,%s,%d,https://boxd.it/%x,%s,%s,\"tag a, tag b\",%s\n",
			watched, name, 1920+film%100, i, rating, rewatch, watched)
	}
	return b.Bytes()
}

// BenchmarkParseLetterboxdDiary parses a 100,000-row diary.csv.
func BenchmarkParseLetterboxdDiary(b *testing.B) {
	const rows = 100_000
	files := []domain.ImportFile{{Name: "diary.csv", Data: generatedDiary(rows)}}
	p := diaryfile.NewParser(diaryfile.Limits{})
	b.SetBytes(int64(len(files[0].Data)))
	b.ReportAllocs()
	for b.Loop() {
		got, err := p.ParseImport(files, "", now)
		if err != nil || len(got.Rows) != rows {
			b.Fatalf("%d rows, %v, problems %v", len(got.Rows), err, got.Problems[:min(3, len(got.Problems))])
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCSVWriter writes entries of a CSV export.
func BenchmarkCSVWriter(b *testing.B) {
	e := entry(b, "tt0111161", "The Shawshank Redemption", 1994, "Frank Darabont", stars(4.5), "Hope is a good thing, maybe the best of things.", now, true)
	w := diaryfile.NewCSVWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(e); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
