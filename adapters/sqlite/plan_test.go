package sqlite_test

import (
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moviediary/moviediary/adapters/sqlite"
	"github.com/moviediary/moviediary/domain"
)

// diaryShapes lists every form the diary page query takes: each filter,
// each order, by offset and by keyset.
func diaryShapes() []struct {
	name string
	q    domain.DiaryQuery
} {
	movie, user := domain.NewMovieID(), domain.NewUserID()
	filters := []struct {
		name string
		f    domain.DiaryFilter
	}{
		{"all", domain.DiaryFilter{}},
		{"movie", domain.DiaryFilter{MovieID: movie}},
		{"user", domain.DiaryFilter{UserID: user}},
		{"movie+user", domain.DiaryFilter{MovieID: movie, UserID: user}},
	}
	pos := domain.DiaryPosition{WatchedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), ReviewID: domain.NewReviewID()}
	var out []struct {
		name string
		q    domain.DiaryQuery
	}
	for _, f := range filters {
		for _, sort := range []domain.SortOrder{domain.SortDesc, domain.SortAsc} {
			f.f.Sort = sort
			page, _ := domain.NewPage(20, 1000)
			out = append(out,
				struct {
					name string
					q    domain.DiaryQuery
				}{fmt.Sprintf("%s %s offset", f.name, sort), domain.DiaryQuery{Filter: f.f, Page: page}},
				struct {
					name string
					q    domain.DiaryQuery
				}{fmt.Sprintf("%s %s cursor", f.name, sort), domain.DiaryQuery{Filter: f.f, Page: domain.DefaultPage(), After: &pos}},
			)
		}
	}
	return out
}

// queryPlan returns EXPLAIN QUERY PLAN of query, one line per step.
func queryPlan(tb testing.TB, db *sql.DB, query string, args ...any) []string {
	tb.Helper()
	rows, err := db.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		tb.Fatalf("EXPLAIN QUERY PLAN: %v", err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			tb.Fatalf("scan plan: %v", err)
		}
		lines = append(lines, detail)
	}
	return lines
}

// badPlan matches a step that reads a whole table, or sorts.
var badPlan = regexp.MustCompile(`^SCAN (r|m|f|u|c|reviews|movies|users|review_counts|stats_\w+)$|TEMP B-TREE`)

// badTriggerPlan matches a step of a trigger's statement that walks a
// table or one of its indexes whole, or sorts.
var badTriggerPlan = regexp.MustCompile(`^SCAN (\w+ AS )?(r|m|f|u|x|y|c|reviews|movies|users|review_counts|stats_\w+)( |$)|TEMP B-TREE`)

// scopeWalk matches a step that walks a scope's films or directors whole:
// only moving a diary in or out of the whole diary may.
var scopeWalk = regexp.MustCompile(`USING COVERING INDEX stats_(films|directors)_top \(user_id=\?\)$|^SEARCH (f|stats_films|stats_directors) USING PRIMARY KEY \(user_id=\?\)$`)

// triggerStatement is one statement of a trigger's body, NEW.column and
// OLD.column made parameters.
type triggerStatement struct{ name, sql string }

// triggerStatements reads the statements of the statistics triggers.
func triggerStatements(tb testing.TB, db *sql.DB) []triggerStatement {
	tb.Helper()
	rows, err := db.Query(`SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '%stats%' ORDER BY name`)
	if err != nil {
		tb.Fatalf("read triggers: %v", err)
	}
	defer rows.Close()
	param := regexp.MustCompile(`\b(NEW|OLD)\.\w+`)
	var out []triggerStatement
	for rows.Next() {
		var name, body string
		if err := rows.Scan(&name, &body); err != nil {
			tb.Fatal(err)
		}
		_, body, _ = strings.Cut(body, "\nBEGIN\n")
		body, _, _ = strings.Cut(body, "\nEND")
		for i, stmt := range strings.Split(body, ";\n") {
			if stmt = strings.TrimSpace(stmt); stmt != "" {
				out = append(out, triggerStatement{fmt.Sprintf("trigger %s #%d", name, i+1), param.ReplaceAllString(stmt, "?")})
			}
		}
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// coveringDiaryStep matches the step that picks a diary page from an index
// alone.
var coveringDiaryStep = regexp.MustCompile(`^(SCAN|SEARCH) reviews USING COVERING INDEX reviews_`)

// checkPlans asserts that no diary, count or history query scans a table
// or sorts, and logs the plans (go test -v shows them).
func checkPlans(tb testing.TB, db *sql.DB) {
	tb.Helper()
	check := func(name, query string, args ...any) []string {
		plan := queryPlan(tb, db, query, args...)
		tb.Logf("%s:\n  %s", name, strings.Join(plan, "\n  "))
		for _, step := range plan {
			if badPlan.MatchString(step) {
				tb.Errorf("%s: plan step %q scans a table or sorts", name, step)
			}
		}
		return plan
	}
	checkDiary := func(name, query string, args ...any) {
		plan := check(name, query, args...)
		if !slices.ContainsFunc(plan, coveringDiaryStep.MatchString) {
			tb.Errorf("%s: the page is not picked from a covering index: %q", name, plan)
		}
	}
	for _, s := range diaryShapes() {
		query, args := sqlite.DiaryPageSQL(s.q, 1_000_000)
		checkDiary("diary "+s.name, query, args...)
		if s.q.After == nil { // an offset in the far half reads from the other end
			query, args = sqlite.DiaryPageSQL(s.q, 1010)
			checkDiary("diary "+s.name+" (far half)", query, args...)
		}
		if s.q.Filter.UserID.IsZero() { // private users' entries skipped in the index
			query, args = sqlite.DiaryPageSQLHiding(s.q, 1_000_000)
			checkDiary("diary "+s.name+" (hiding)", query, args...)
			if s.q.After == nil {
				query, args = sqlite.DiaryPageSQLHiding(s.q, 1010)
				checkDiary("diary "+s.name+" (hiding, far half)", query, args...)
			}
		}
	}
	id := make([]byte, 16)
	check("user total", sqlite.SQLUserTotal, id, id, id, id)
	check("visible total", sqlite.SQLVisibleTotal, []byte{}, id)
	check("visible total of a movie", sqlite.SQLVisibleTotal, id, id)
	check("history for a viewer", sqlite.SQLHistory, id, id)
	for _, q := range sqlite.StatsReadSQL {
		// Statistics are read by seeking, never by walking an index whole.
		for _, step := range check(q.Name, q.SQL, q.Args...) {
			if strings.HasPrefix(step, "SCAN ") {
				tb.Errorf("%s: plan step %q walks a whole table or index", q.Name, step)
			}
		}
	}
	for _, stmt := range triggerStatements(tb, db) {
		plan := queryPlan(tb, db, stmt.sql, make([]any, strings.Count(stmt.sql, "?"))...)
		tb.Logf("%s:\n  %s", stmt.name, strings.Join(plan, "\n  "))
		for _, step := range plan {
			if badTriggerPlan.MatchString(step) ||
				(scopeWalk.MatchString(step) && !strings.Contains(stmt.name, "stats_publish")) {
				tb.Errorf("%s: plan step %q walks a table or index whole", stmt.name, step)
			}
		}
	}
	check("total count", `SELECT n FROM review_counts WHERE movie_id = ? AND user_id = ?`, []byte{}, []byte{})
	check("movie by ID", `SELECT title FROM movies WHERE id = ?`, make([]byte, 16))
	check("movie by IMDb ID", `SELECT title FROM movies WHERE external_id = ?`, "tt0111161")
	check("user by email", `SELECT id FROM users WHERE email = ?`, "a@example.com")
	check("title lookup", `SELECT id, external_id, title, release_year, director, poster_path FROM movies WHERE title_key = ? AND release_year = ? ORDER BY id`, "x", 2000)
}

func TestDiaryQueriesUseIndexes(t *testing.T) {
	_, path := mustOpenTemp(t)
	checkPlans(t, rawDB(t, path))
}
