package sqlite

import "github.com/moviediary/moviediary/domain"

// DiaryPageSQL exposes the diary page query for q over a filter of total
// entries to the external tests that check its query plans.
func DiaryPageSQL(q domain.DiaryQuery, total int) (string, []any) {
	return diaryPageSQL(planPage(q, total))
}
