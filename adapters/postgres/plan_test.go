package postgres_test

import (
	"strings"
	"testing"

	"github.com/moviediary/moviediary/adapters/postgres"
	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
)

// TestEveryQueryHasAnIndex plans every read statement with sequential
// scans disabled: a plan that still holds a Seq Scan means no index can
// serve the statement. (On the seeded benchmark data, with the planner left
// alone, the plans are the ones shown in docs/bench/postgres.md.)
func TestEveryQueryHasAnIndex(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	openURL(t, url, true)
	conn, err := rawDB(t, url).Conn(t.Context())
	if err != nil {
		t.Fatalf("Conn: %v", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), `SET enable_seqscan = off`); err != nil {
		t.Fatalf("SET: %v", err)
	}
	for _, q := range postgres.PlannedQueries() {
		t.Run(q.Name, func(t *testing.T) {
			rows, err := conn.QueryContext(t.Context(), "EXPLAIN "+q.SQL, q.Args...)
			if err != nil {
				t.Fatalf("EXPLAIN: %v", err)
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
				t.Errorf("plan has a sequential scan:\n%s", text)
			}
		})
	}
}
