package postgres_test

import (
	"database/sql"
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
	conn := noSeqScanConn(t, url)
	for _, q := range postgres.PlannedQueries() {
		t.Run(q.Name, func(t *testing.T) {
			text := explain(t, conn, q.SQL, q.Args...)
			if strings.Contains(text, "Seq Scan") {
				t.Errorf("plan has a sequential scan:\n%s", text)
			}
		})
	}
}

// noSeqScanConn is a connection to url on which the planner avoids
// sequential scans whenever any index could serve: a plan that still holds
// a Seq Scan means no index can.
func noSeqScanConn(t *testing.T, url string) *sql.Conn {
	t.Helper()
	conn, err := rawDB(t, url).Conn(t.Context())
	if err != nil {
		t.Fatalf("Conn: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if _, err := conn.ExecContext(t.Context(), `SET enable_seqscan = off`); err != nil {
		t.Fatalf("SET: %v", err)
	}
	return conn
}

// explain returns the plan of query as text.
func explain(t *testing.T, conn *sql.Conn, query string, args ...any) string {
	t.Helper()
	rows, err := conn.QueryContext(t.Context(), "EXPLAIN "+query, args...)
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
	return strings.Join(plan, "\n")
}
