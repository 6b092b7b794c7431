package postgres_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/moviediary/moviediary/domain"
)

// BenchmarkExportDiary streams one user's whole diary of the seeded
// benchmark database (a tenth of MOVIEDIARY_BENCH_REVIEWS) through
// ExportDiary, as GET /api/export does, and reports rows/s and the heap in
// use at the end of the last export (flat: entries are handed on as they
// are read).
//
//	TEST_DATABASE_URL=… MOVIEDIARY_BENCH_REVIEWS=10000000 \
//	  go test -run '^$' -bench ExportDiary -count 3 ./adapters/postgres
func BenchmarkExportDiary(b *testing.B) {
	d := openBench(b)
	user, _ := domain.UserIDFromUUID(benchUUID(3, 2))
	b.Run(fmt.Sprintf("reviews=%d/one-user", d.reviews), func(b *testing.B) {
		rows := 0
		var heap uint64
		for b.Loop() {
			n := 0
			err := d.db.Movies().ExportDiary(b.Context(), user, func(domain.ExportedEntry) error {
				n++
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				b.Fatal("the user has no entries")
			}
			rows += n
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heap = ms.HeapInuse
		}
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
	})
}
