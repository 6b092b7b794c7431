package sqlite_test

import (
	"fmt"
	"testing"

	"github.com/moviediary/moviediary/domain"
)

// BenchmarkExportDiary streams one user's whole diary out of the seeded
// database (a tenth of its reviews: MOVIEDIARY_BENCH_REVIEWS sets the
// sizes). One op is one whole export; rows/s is the figure that matters.
//
//	go test -run '^$' -bench ExportDiary ./adapters/sqlite
func BenchmarkExportDiary(b *testing.B) {
	for _, n := range benchSizes(b) {
		b.Run(fmt.Sprintf("reviews=%d", n), func(b *testing.B) {
			db := seededDB(b, n)
			user, err := domain.UserIDFromUUID(numberedUUID(firstUserNum))
			if err != nil {
				b.Fatal(err)
			}
			rows := 0
			b.ResetTimer()
			cpu := processCPU()
			for range b.N {
				err := db.Movies().ExportDiary(b.Context(), user, func(domain.ExportedEntry) error {
					rows++
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			if cpu := processCPU() - cpu; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(rows), "cpu-ns/row")
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
		})
	}
}
