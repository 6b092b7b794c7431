package sqlite

// DiaryPageSQL exposes the diary page query builder to the external tests
// that check its query plans.
var DiaryPageSQL = diaryPageSQL
