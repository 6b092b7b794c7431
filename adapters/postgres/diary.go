package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/moviediary/moviediary/domain"
)

// QueryDiary returns one page of entries matching q.Filter, ordered by
// watched_at then review ID in the filter's direction, with the exact total
// count of matching entries.
//
// Every form of the query is an index range scan on one of the reviews
// indexes ending in (watched_at, id):
//   - with q.After (keyset), the scan starts right after the position, so a
//     page costs the same at any depth; the offset is ignored;
//   - with an offset, a deferred join skips entries on an index-only scan
//     of review IDs and reads rows only for the page itself;
//   - the total is read from review_counts (at most 16 rows through the
//     primary key) in the same statement, so it agrees with the page.
//
// The first-page and keyset forms run as prepared statements (see
// statements and diaryPrepared), so PostgreSQL parses and plans each of
// them once per connection rather than per request; the page size is
// written into the text, not bound, because PostgreSQL keeps re-planning a
// statement whose LIMIT is a parameter (the generic plan of such a
// statement assumes a tenth of the table, so it never looks cheaper than a
// plan made for the bound value).
func (r *MovieRepository) QueryDiary(ctx context.Context, q domain.DiaryQuery) (domain.DiaryPage, error) {
	const op = "query diary"
	query, args, countMovie, countUser := diarySQL(q)
	var (
		rows *sql.Rows
		err  error
	)
	if diaryPrepared(q) {
		rows, err = statementsOf(r.db).query(ctx, query, args...)
	} else {
		rows, err = r.db.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return domain.DiaryPage{}, dbError(op, err)
	}
	page, total, err := scanDiaryPage(rows, q.Page.Limit())
	if err != nil {
		return domain.DiaryPage{}, dbError(op, err)
	}
	if total < 0 {
		// No row, so no total: read the page again and the total alone,
		// in one snapshot, so that a review committed between two
		// statements cannot make them disagree (an empty page with a
		// total counting it).
		return r.queryDiarySnapshot(ctx, op, query, args, q.Page.Limit(), countMovie, countUser)
	}
	page.TotalCount = int(total)
	return page, nil
}

// scanDiaryPage reads up to limit entries from rows and closes them; total
// is the count the rows carry, or -1 when there was no row.
func scanDiaryPage(rows *sql.Rows, limit int) (domain.DiaryPage, int64, error) {
	defer rows.Close()
	page := domain.DiaryPage{Entries: make([]domain.DiaryEntry, 0, limit)}
	total := int64(-1)
	// One row for the whole page: Scan makes it escape, so a row per
	// iteration would cost an allocation per entry.
	var row entryRow
	for rows.Next() {
		if len(page.Entries) == limit {
			page.HasMore = true
			break
		}
		row = entryRow{}
		if err := row.scan(rows, &total); err != nil {
			return domain.DiaryPage{}, 0, err
		}
		e, err := row.toDomain()
		if err != nil {
			return domain.DiaryPage{}, 0, err
		}
		page.Entries = append(page.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return domain.DiaryPage{}, 0, err
	}
	return page, total, rows.Close()
}

// queryDiarySnapshot runs the page's query and the count in one read-only
// REPEATABLE READ transaction: both see the same committed reviews.
func (r *MovieRepository) queryDiarySnapshot(ctx context.Context, op, query string, args []any, limit int, countMovie, countUser uuid.UUID) (domain.DiaryPage, error) {
	tx, err := r.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return domain.DiaryPage{}, dbError(op+": begin", err)
	}
	defer func() { _ = tx.Rollback() }() // read-only: nothing to commit
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return domain.DiaryPage{}, dbError(op, err)
	}
	page, total, err := scanDiaryPage(rows, limit)
	if err != nil {
		return domain.DiaryPage{}, dbError(op, err)
	}
	if total < 0 {
		if err := tx.QueryRowContext(ctx, sqlCount, countMovie, countUser).Scan(&total); err != nil {
			return domain.DiaryPage{}, dbError(op+": count", err)
		}
	}
	page.TotalCount = int(total)
	return page, nil
}

// diaryPrepared reports whether QueryDiary runs q's statement prepared:
// the first page and keyset pages, whose text takes one of a few shapes
// per page size, unless they filter by user. Not offset pages, whose
// planning is small beside skipping the offset; not a user's pages,
// because a generic plan would be chosen from the average user's share of
// the reviews, and on a diary where one user wrote nearly all of them it
// may walk the whole-diary index past that user's reviews to reach another
// user's few, where a plan made for the user's own ID reads that user's
// index.
func diaryPrepared(q domain.DiaryQuery) bool {
	return (q.After != nil || q.Page.Offset() == 0) && q.Filter.UserID.IsZero()
}

// nilUUID is the nil UUID as an SQL literal: review_counts' "any".
const nilUUID = `'00000000-0000-0000-0000-000000000000'::uuid`

// diarySQL builds QueryDiary's statement: its text, its arguments and the
// counter key (movie, user; the nil UUID meaning any) of its total. The page
// size (plus one, to tell whether more follow) is a literal in the text.
func diarySQL(q domain.DiaryQuery) (query string, args []any, countMovie, countUser uuid.UUID) {
	f := q.Filter
	limit := q.Page.Limit()
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}

	// The total's counter key reuses the filter's parameters; "any" is a
	// literal.
	countMovie, countUser = uuid.Nil, uuid.Nil
	totalMovie, totalUser := nilUUID, nilUUID
	var where []string
	if !f.MovieID.IsZero() {
		countMovie = f.MovieID.UUID()
		totalMovie = arg(countMovie)
		where = append(where, "r.movie_id = "+totalMovie)
	}
	if !f.UserID.IsZero() {
		countUser = f.UserID.UUID()
		totalUser = arg(countUser)
		where = append(where, "r.user_id = "+totalUser)
	}
	dir, cmp := "DESC", "<"
	if f.Sort == domain.SortAsc {
		dir, cmp = "ASC", ">"
	}
	if q.After != nil {
		where = append(where, fmt.Sprintf("(r.watched_at, r.id) %s (%s, %s)", cmp, arg(q.After.WatchedAt), arg(q.After.ReviewID.UUID())))
	}
	total := `(SELECT coalesce(sum(n), 0) FROM review_counts WHERE movie_id = ` + totalMovie +
		` AND user_id = ` + totalUser + `) AS total_count`
	cond := ""
	if len(where) > 0 {
		cond = "WHERE " + strings.Join(where, " AND ")
	}
	order := "r.watched_at " + dir + ", r.id " + dir
	// An int from domain.Page (at most MaxPageLimit): safe in the text.
	limitSQL := strconv.Itoa(limit + 1)

	if q.After != nil || q.Page.Offset() == 0 {
		query = `SELECT ` + entryColumns + `, ` + total + `
			FROM reviews r JOIN movies m ON m.id = r.movie_id
			` + cond + ` ORDER BY ` + order + ` LIMIT ` + limitSQL
	} else {
		// Deferred join: skip on the index alone, then fetch the page's rows.
		query = `SELECT ` + entryColumns + `, ` + total + `
			FROM (SELECT r.id FROM reviews r ` + cond + ` ORDER BY ` + order + `
			      LIMIT ` + limitSQL + ` OFFSET ` + arg(q.Page.Offset()) + `) AS page
			JOIN reviews r ON r.id = page.id
			JOIN movies m ON m.id = r.movie_id
			ORDER BY ` + order
	}

	return query, args, countMovie, countUser
}

// Diary statements besides the page itself.
const (
	sqlCount   = `SELECT coalesce(sum(n), 0) FROM review_counts WHERE movie_id = $1 AND user_id = $2`
	sqlHistory = `SELECT ` + reviewColumns + ` FROM reviews WHERE movie_id = $1 ORDER BY watched_at, id`
)

// ReviewHistory returns the movie and all its viewings oldest first, or
// ErrNotFound when the movie is unknown. The viewings are one range scan of
// the (movie_id, watched_at, id) index.
func (r *MovieRepository) ReviewHistory(ctx context.Context, id domain.MovieID) (domain.ReviewHistory, error) {
	const op = "review history"
	movie, err := movieByID(ctx, r.db, op, id)
	if err != nil {
		return domain.ReviewHistory{}, err
	}
	var rows []reviewRow
	err = r.db.SelectContext(ctx, &rows, sqlHistory, id.UUID())
	if err != nil {
		return domain.ReviewHistory{}, dbError(op, err)
	}
	viewings := make([]domain.Review, 0, len(rows))
	for _, row := range rows {
		rv, err := row.toDomain()
		if err != nil {
			return domain.ReviewHistory{}, dbError(op, err)
		}
		viewings = append(viewings, rv)
	}
	return domain.NewReviewHistory(movie, viewings), nil
}
