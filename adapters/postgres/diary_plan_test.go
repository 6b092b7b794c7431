package postgres_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
)

// TestDiaryGenericPlansHaveAnIndex is TestEveryQueryHasAnIndex for the plan
// PostgreSQL keeps for a prepared diary statement: the generic plan, made
// without the parameters' values (forced here with plan_cache_mode).
func TestDiaryGenericPlansHaveAnIndex(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	openURL(t, url, true)
	conn, err := rawDB(t, url).Conn(t.Context())
	if err != nil {
		t.Fatalf("Conn: %v", err)
	}
	defer conn.Close()
	for _, set := range []string{`SET enable_seqscan = off`, `SET plan_cache_mode = force_generic_plan`} {
		if _, err := conn.ExecContext(t.Context(), set); err != nil {
			t.Fatalf("%s: %v", set, err)
		}
	}
	n := 0
	for _, q := range postgres.PlannedQueries() {
		if !strings.HasPrefix(q.Name, "diary ") || strings.HasPrefix(q.Name, "diary count") {
			continue
		}
		n++
		t.Run(q.Name, func(t *testing.T) {
			if _, err := conn.ExecContext(t.Context(), `PREPARE diary_shape AS `+q.SQL); err != nil {
				t.Fatalf("PREPARE: %v", err)
			}
			defer func() { _, _ = conn.ExecContext(t.Context(), `DEALLOCATE diary_shape`) }()
			execute := `EXPLAIN EXECUTE diary_shape`
			if len(q.Args) > 0 {
				execute += "(" + sqlLiterals(t, q.Args) + ")"
			}
			rows, err := conn.QueryContext(t.Context(), execute)
			if err != nil {
				t.Fatalf("%s: %v", execute, err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatalf("Scan: %v", err)
				}
				plan = append(plan, line)
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("rows: %v", err)
			}
			text := strings.Join(plan, "\n")
			if strings.Contains(text, "Seq Scan") {
				t.Errorf("generic plan has a sequential scan:\n%s", text)
			}
		})
	}
	if n == 0 {
		t.Fatal("PlannedQueries has no diary shape")
	}
}

// sqlLiterals writes args as quoted SQL literals, for EXECUTE.
func sqlLiterals(t *testing.T, args []any) string {
	t.Helper()
	out := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case uuid.UUID:
			out[i] = "'" + v.String() + "'"
		case time.Time:
			out[i] = "'" + v.Format(time.RFC3339Nano) + "'"
		case int:
			out[i] = fmt.Sprint(v)
		default:
			t.Fatalf("no SQL literal for %T", a)
		}
	}
	return strings.Join(out, ", ")
}
