package e2e_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"math"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moviediary/moviediary/adapters/postgres/pgtest"
)

// forgedCursor builds a cursor the way an attacker who read the source of
// an unsigned cursor would: version 1, the time, a review ID and the hash
// of the default filters (every movie, every user, newest first).
func forgedCursor(secs int64, nanos uint64) string {
	b := []byte{1}
	b = binary.AppendVarint(b, secs)
	b = binary.AppendUvarint(b, nanos)
	b = append(b, 0x01, 0x90, 0xa8, 0xa0, 0, 0, 0x70, 0, 0x80, 0, 0, 0, 0, 0, 0, 1)
	sum := sha256.Sum256([]byte("diary|movie=|user=|sort=desc"))
	b = append(b, sum[:6]...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestHardening_ForgedCursors: a cursor the server did not hand out — one
// forged with a time out of any range, or a real one with a byte changed —
// is a 400 naming cursor, on both stores, on the API and the HTML diary,
// before the database is asked. Real cursors keep paging.
func TestHardening_ForgedCursors(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db string) {
		s := startApp(t, db)
		token, _ := s.account(t, "owner@example.com")
		var ids []string
		for i := range 3 {
			e := s.logReview(t, token, map[string]any{"manual_title": "Cursor Film", "manual_release_year": 2001, "rating": 3, "watched_at": watched(i)})
			ids = append(ids, e.Review.ID)
		}
		first := s.diary(t, "limit=1")
		if first.NextCursor == nil {
			t.Fatalf("no next_cursor on page 1 of 3: %+v", first)
		}
		genuine := *first.NextCursor
		if strings.ContainsAny(genuine, "+/=") {
			t.Errorf("cursor %q is not unpadded base64url", genuine)
		}
		raw, err := base64.RawURLEncoding.DecodeString(genuine)
		if err != nil {
			t.Fatalf("cursor %q: %v", genuine, err)
		}
		// Bit 1 of the first byte of the time's varint: the time moves by
		// a second, the cursor still parses.
		moved := append([]byte(nil), raw...)
		moved[1] ^= 0x02
		// The last byte: the signature (or, unsigned, the filter hash).
		lastByte := append([]byte(nil), raw...)
		lastByte[len(lastByte)-1] ^= 0x01
		enc := base64.RawURLEncoding.EncodeToString

		forged := []struct{ name, cursor string }{
			{"seconds 2^63-1", forgedCursor(math.MaxInt64, 0)},
			{"seconds -2^63", forgedCursor(math.MinInt64, 0)},
			{"year 1", forgedCursor(-62135596800, 0)},
			{"year 1887", forgedCursor(-2650838400, 0)},
			{"year 3000", forgedCursor(32503680000, 0)},
			{"year 10000", forgedCursor(253402300800, 0)},
			{"a plausible time", forgedCursor(1704110400, 0)},
			{"a real cursor moved by a second", enc(moved)},
			{"a real cursor with its last byte changed", enc(lastByte)},
			{"a real cursor cut short", genuine[:len(genuine)-2]},
			{"a real cursor with a byte more", enc(append(append([]byte(nil), raw...), 0))},
		}
		for _, c := range forged {
			t.Run(c.name, func(t *testing.T) {
				r := s.get(t, "/api/diary?limit=1&cursor="+url.QueryEscape(c.cursor))
				expectProblem(t, r, http.StatusBadRequest, "cursor")
				page := s.get(t, "/diary?limit=1&cursor="+url.QueryEscape(c.cursor))
				if page.Status != http.StatusBadRequest {
					t.Errorf("GET /diary with the cursor = %d, want 400", page.Status)
				}
			})
		}

		// The genuine cursor still pages on, to the second newest entry.
		second := s.diary(t, "limit=1&cursor="+url.QueryEscape(genuine))
		if len(second.Items) != 1 || second.Items[0].Review.ID != ids[1] {
			t.Errorf("page 2 = %+v, want the review %s", second.Items, ids[1])
		}
		if r := s.get(t, "/diary?limit=1&cursor="+url.QueryEscape(genuine)); r.Status != http.StatusOK {
			t.Errorf("GET /diary with a real cursor = %d, want 200", r.Status)
		}
		// It stays bound to its filters and sort.
		r := s.get(t, "/api/diary?limit=1&sort_by=asc&cursor="+url.QueryEscape(genuine))
		expectProblem(t, r, http.StatusBadRequest, "cursor")
	})
}

// TestHardening_CursorKeyFollowsTheJWTSecret: cursors are signed with a key
// derived from the JWT secret, so a server restarted with the same secret
// on the same database accepts the cursors it handed out before, and one
// restarted with another secret refuses them with a 400 naming cursor.
func TestHardening_CursorKeyFollowsTheJWTSecret(t *testing.T) {
	t.Parallel()
	const (
		secret = "first-secret-0123456789abcdef0123456789"
		other  = "other-secret-0123456789abcdef0123456789"
	)
	forEachDB(t, func(t *testing.T, db string) {
		var dbURL string
		if db == "sqlite" {
			dbURL = "sqlite://" + filepath.Join(t.TempDir(), "db.sqlite")
		} else {
			dbURL = pgtest.NewDatabase(t)
		}
		var cursor, wantNext string
		t.Run("first start hands out a cursor", func(t *testing.T) {
			s := startApp(t, db, withEnv("DATABASE_URL", dbURL), withEnv("JWT_SECRET", secret))
			token, _ := s.account(t, "owner@example.com")
			for i := range 3 {
				s.logReview(t, token, map[string]any{"manual_title": "Restart Film", "manual_release_year": 2001, "rating": 3, "watched_at": watched(i)})
			}
			first := s.diary(t, "limit=1")
			if first.NextCursor == nil {
				t.Fatalf("no next_cursor on page 1 of 3: %+v", first)
			}
			cursor = *first.NextCursor
			wantNext = s.diary(t, "limit=1&cursor="+url.QueryEscape(cursor)).Items[0].Review.ID
		})
		if cursor == "" {
			t.FailNow()
		}
		t.Run("restart with the same secret accepts it", func(t *testing.T) {
			s := startApp(t, db, withEnv("DATABASE_URL", dbURL), withEnv("JWT_SECRET", secret))
			next := s.diary(t, "limit=1&cursor="+url.QueryEscape(cursor))
			if next.TotalCount != 3 || len(next.Items) != 1 || next.Items[0].Review.ID != wantNext {
				t.Errorf("page 2 after a restart = %+v, want the review %s", next, wantNext)
			}
		})
		t.Run("restart with another secret refuses it", func(t *testing.T) {
			s := startApp(t, db, withEnv("DATABASE_URL", dbURL), withEnv("JWT_SECRET", other))
			if got := s.totalCount(t); got != 3 {
				t.Fatalf("total_count = %d, want the 3 stored entries", got)
			}
			r := s.get(t, "/api/diary?limit=1&cursor="+url.QueryEscape(cursor))
			expectProblem(t, r, http.StatusBadRequest, "cursor")
			// Its own cursors work.
			first := s.diary(t, "limit=1")
			if first.NextCursor == nil {
				t.Fatal("no next_cursor")
			}
			if next := s.diary(t, "limit=1&cursor="+url.QueryEscape(*first.NextCursor)); len(next.Items) != 1 || next.Items[0].Review.ID != wantNext {
				t.Errorf("page 2 = %+v, want the review %s", next.Items, wantNext)
			}
		})
	})
}
