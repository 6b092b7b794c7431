package sqlite

import "github.com/moviediary/moviediary/domain"

// DiaryPageSQL exposes the diary page query for q over a filter of total
// entries to the external tests that check its query plans.
func DiaryPageSQL(q domain.DiaryQuery, total int) (string, []any) {
	return diaryPageSQL(planPage(q, total))
}

// DiaryPageSQLHiding is DiaryPageSQL for a viewer from whom private
// users' entries are hidden.
func DiaryPageSQLHiding(q domain.DiaryQuery, total int) (string, []any) {
	p := planPage(q, total)
	p.hide = true
	return diaryPageSQL(p)
}

// Queries whose plans the external tests check.
const (
	SQLUserTotal    = sqlUserTotal
	SQLVisibleTotal = sqlVisibleTotal
	SQLHistory      = sqlHistory
)

// StatsReadSQL are DiaryStats' queries by name, each with arguments of
// the right types.
var StatsReadSQL = []struct {
	Name string
	SQL  string
	Args []any
}{
	{"stats total", sqlStatsTotal, []any{[]byte{}, 0}},
	{"stats years", sqlStatsYears, []any{[]byte{}, 1, 9999}},
	{"stats months", sqlStatsMonths, []any{[]byte{}, 101, 999912}},
	{"stats ratings", sqlStatsRatings, []any{[]byte{}, 0}},
	{"stats top films", sqlStatsTopFilms, []any{[]byte{}, 0, 10}},
	{"stats top directors", sqlStatsTopDirectors, []any{[]byte{}, 0, 10}},
}

// SkipBatchStats makes db's import batches leave their statistics out,
// for the benchmarks that measure what the statistics cost (with the
// statistics triggers dropped).
func SkipBatchStats(db *DB, skip bool) { db.skipBatchStats = skip }
