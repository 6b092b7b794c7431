package postgres

import (
	"context"
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
func (r *MovieRepository) QueryDiary(ctx context.Context, q domain.DiaryQuery) (domain.DiaryPage, error) {
	const op = "query diary"
	limit := q.Page.Limit()
	query, args, countMovie, countUser := diarySQL(q)
	var rows []pageRow
	if err := r.db.SelectContext(ctx, &rows, query, args...); err != nil {
		return domain.DiaryPage{}, dbError(op, err)
	}
	page := domain.DiaryPage{Entries: make([]domain.DiaryEntry, 0, min(len(rows), limit))}
	if len(rows) == 0 {
		n, err := r.count(ctx, op, countMovie, countUser)
		if err != nil {
			return domain.DiaryPage{}, err
		}
		page.TotalCount = n
		return page, nil
	}
	page.TotalCount = int(rows[0].Total)
	if len(rows) > limit {
		page.HasMore = true
		rows = rows[:limit]
	}
	for _, row := range rows {
		e, err := row.toEntry()
		if err != nil {
			return domain.DiaryPage{}, corrupt(op, "review "+row.ID.String(), err)
		}
		page.Entries = append(page.Entries, e)
	}
	return page, nil
}

// diarySQL builds QueryDiary's statement: its text, its arguments and the
// counter key (movie, user; the nil UUID meaning any) of its total.
func diarySQL(q domain.DiaryQuery) (query string, args []any, countMovie, countUser uuid.UUID) {
	f := q.Filter
	limit := q.Page.Limit()
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}

	countMovie, countUser = uuid.Nil, uuid.Nil
	var where []string
	if !f.MovieID.IsZero() {
		countMovie = f.MovieID.UUID()
		where = append(where, "r.movie_id = "+arg(countMovie))
	}
	if !f.UserID.IsZero() {
		countUser = f.UserID.UUID()
		where = append(where, "r.user_id = "+arg(countUser))
	}
	dir, cmp := "DESC", "<"
	if f.Sort == domain.SortAsc {
		dir, cmp = "ASC", ">"
	}
	if q.After != nil {
		where = append(where, fmt.Sprintf("(r.watched_at, r.id) %s (%s, %s)", cmp, arg(q.After.WatchedAt), arg(q.After.ReviewID.UUID())))
	}
	total := fmt.Sprintf(`(SELECT coalesce(sum(n), 0) FROM review_counts WHERE movie_id = %s AND user_id = %s) AS total_count`,
		arg(countMovie), arg(countUser))
	cond := ""
	if len(where) > 0 {
		cond = "WHERE " + strings.Join(where, " AND ")
	}
	order := "r.watched_at " + dir + ", r.id " + dir

	if q.After != nil || q.Page.Offset() == 0 {
		query = `SELECT ` + entryColumns + `, ` + total + `
			FROM reviews r JOIN movies m ON m.id = r.movie_id
			` + cond + ` ORDER BY ` + order + ` LIMIT ` + arg(limit+1)
	} else {
		// Deferred join: skip on the index alone, then fetch the page's rows.
		query = `SELECT ` + entryColumns + `, ` + total + `
			FROM (SELECT r.id FROM reviews r ` + cond + ` ORDER BY ` + order + `
			      LIMIT ` + arg(limit+1) + ` OFFSET ` + arg(q.Page.Offset()) + `) AS page
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

// pageRow is a diary entry with the total of the query it belongs to.
type pageRow struct {
	entryRow
	Total int64 `db:"total_count"`
}

// count returns the exact number of diary entries of a movie and a user,
// the nil UUID meaning any.
func (r *MovieRepository) count(ctx context.Context, op string, movie, user uuid.UUID) (int, error) {
	var n int64
	err := r.db.GetContext(ctx, &n, sqlCount, movie, user)
	if err != nil {
		return 0, dbError(op+": count", err)
	}
	return int(n), nil
}

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
		rv, err := row.toReview()
		if err != nil {
			return domain.ReviewHistory{}, corrupt(op, "review "+row.ID.String(), err)
		}
		viewings = append(viewings, rv)
	}
	return domain.NewReviewHistory(movie, viewings), nil
}
