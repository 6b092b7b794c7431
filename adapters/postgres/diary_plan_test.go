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

// TestDiaryPlansOfAOneUserDiary plans the diary's statements with the
// planner left alone on a diary that one user wrote nearly all of, before
// and after another user's small diary turns private: each must still
// read the reviews through an index. (On the column's statistics, a
// condition leaving out the private users' entries looks, on such a
// diary, as if it kept almost nothing, and the planner would sort the
// whole table to find a page; see diaryPrivacy.skipHidden.)
func TestDiaryPlansOfAOneUserDiary(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	openURL(t, url, true)
	raw := rawDB(t, url)
	owner, other := uuid.New(), uuid.New()
	for _, s := range []string{
		fmt.Sprintf(`INSERT INTO users (id, email, password_hash, created_at) VALUES
			('%s', 'owner@example.com', '$x', now()), ('%s', 'other@example.com', '$x', now())`, owner, other),
		`INSERT INTO movies (id, title, release_year)
			SELECT ('00000001-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'Film ' || i, 2000
			FROM generate_series(1, 1000) AS i`,
		fmt.Sprintf(`INSERT INTO reviews (id, movie_id, user_id, watched_at, created_at)
			SELECT gen_random_uuid(), ('00000001-0000-7000-8000-' || lpad(to_hex(1 + i %% 1000), 12, '0'))::uuid,
			       CASE WHEN i %% 1000 = 0 THEN '%s'::uuid ELSE '%s'::uuid END,
			       timestamptz '2020-01-01 00:00:00+00' + i * interval '1 hour', now()
			FROM generate_series(1, 30000) AS i`, other, owner),
		`ANALYZE users, movies, reviews, review_counts`,
	} {
		if _, err := raw.ExecContext(t.Context(), s); err != nil {
			t.Fatalf("seed: %v\n%s", err, s)
		}
	}
	conn, err := raw.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, private := range []bool{false, true} {
		if _, err := raw.ExecContext(t.Context(), `UPDATE users SET private = $2 WHERE id = $1`, other, private); err != nil {
			t.Fatal(err)
		}
		for _, q := range postgres.PlannedQueries() {
			if !strings.HasPrefix(q.Name, "diary ") || strings.HasPrefix(q.Name, "diary count") {
				continue
			}
			t.Run(fmt.Sprintf("%s (a private diary: %v)", q.Name, private), func(t *testing.T) {
				text := explain(t, conn, q.SQL, q.Args...)
				if strings.Contains(text, "Seq Scan on reviews") {
					t.Errorf("the plan reads the whole reviews table:\n%s", text)
				}
			})
		}
	}
}
