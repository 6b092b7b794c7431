package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/moviediary/moviediary/domain"
)

// QueryDiary returns one page of entries matching q.Filter, ordered by
// watched_at then review ID in the filter's direction, with the exact total
// count of matching entries. The entries of private diaries are left out,
// from the page and the total, unless they are q.Filter.Viewer's own.
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
// Private diaries are found through users_private_idx, which holds only
// them, once per statement (see diaryPrivacy): the page skips their
// entries as it scans, and the total is the scope's count less theirs,
// read from review_counts like it. Deep offset pages keep their index-only
// scan while no diary is private.
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
	d := diarySQL(q)
	var (
		rows *sql.Rows
		err  error
	)
	if diaryPrepared(q) {
		rows, err = statementsOf(r.db).query(ctx, d.query, d.args...)
	} else {
		rows, err = r.db.QueryContext(ctx, d.query, d.args...)
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
		return r.queryDiarySnapshot(ctx, op, d, q.Page.Limit())
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
func (r *MovieRepository) queryDiarySnapshot(ctx context.Context, op string, d diaryStatement, limit int) (domain.DiaryPage, error) {
	tx, err := r.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return domain.DiaryPage{}, dbError(op+": begin", err)
	}
	defer func() { _ = tx.Rollback() }() // read-only: nothing to commit
	rows, err := tx.QueryContext(ctx, d.query, d.args...)
	if err != nil {
		return domain.DiaryPage{}, dbError(op, err)
	}
	page, total, err := scanDiaryPage(rows, limit)
	if err != nil {
		return domain.DiaryPage{}, dbError(op, err)
	}
	if total < 0 {
		if err := tx.QueryRowContext(ctx, d.count, d.countArgs...).Scan(&total); err != nil {
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

// diaryStatement is QueryDiary's statement, and the statement of its total
// alone, each with its arguments.
type diaryStatement struct {
	query     string
	args      []any
	count     string
	countArgs []any
}

// params numbers the arguments of one statement.
type params struct{ args []any }

// add appends v and returns its placeholder.
func (p *params) add(v any) string {
	p.args = append(p.args, v)
	return "$" + strconv.Itoa(len(p.args))
}

// diaryPrivacy writes the parts of a diary statement that leave private
// diaries out, from the placeholders of the filter's movie and user ("" when
// the filter has none) and of the viewer.
type diaryPrivacy struct {
	movie, user, viewer string
}

// newDiaryPrivacy adds f's parameters to p: the movie, the user and the
// viewer (the nil UUID, which no account has, for a signed-out one).
func newDiaryPrivacy(f domain.DiaryFilter, p *params) diaryPrivacy {
	var d diaryPrivacy
	if !f.MovieID.IsZero() {
		d.movie = p.add(f.MovieID.UUID())
	}
	if !f.UserID.IsZero() {
		d.user = p.add(f.UserID.UUID())
	}
	if f.UserID.IsZero() || f.UserID != f.Viewer {
		d.viewer = p.add(f.Viewer.UUID())
	}
	return d
}

// hidden is the array of the private accounts other than the viewer's:
// one scan of users_private_idx, run once per statement (an InitPlan).
func (d diaryPrivacy) hidden() string {
	return `ARRAY(SELECT id FROM users WHERE private AND id <> ` + d.viewer + `::uuid)`
}

// skipHidden is the condition that skips the entries of hidden users. It
// compares the IDs as text on purpose: PostgreSQL has no statistics on
// that expression, so it takes the condition to keep nearly every entry —
// true unless private diaries hold most of them — and keeps scanning the
// index in order until the page is full. Compared as UUIDs, on a diary
// with one or a few users the column's statistics say the condition keeps
// almost nothing, and the planner reads and sorts the whole table instead
// (3.4 s at 1,000,000 reviews, against 0.1 ms).
func (d diaryPrivacy) skipHidden() string {
	return `r.user_id::text <> ALL (ARRAY(SELECT id::text FROM users WHERE private AND id <> ` + d.viewer + `::uuid))`
}

// anyHidden is true when some diary is hidden from the viewer.
func (d diaryPrivacy) anyHidden() string {
	return `EXISTS (SELECT FROM users WHERE private AND id <> ` + d.viewer + `::uuid)`
}

// userHidden is true when the filter's user's diary is hidden from the
// viewer.
func (d diaryPrivacy) userHidden() string {
	return `EXISTS (SELECT FROM users WHERE id = ` + d.user + `::uuid AND private AND id <> ` + d.viewer + `::uuid)`
}

// where returns the conditions on reviews r of the filter and its privacy,
// and skip, the condition that skips hidden users' entries ("" when none
// is needed). A user's own diary read by that user needs no condition; a
// user's diary read by anyone else holds nothing when it is hidden, a
// condition on constants that PostgreSQL checks once (a one-time filter);
// the whole diary, or a movie's viewings, skip the hidden users' entries.
func (d diaryPrivacy) where() (conds []string, skip string) {
	if d.movie != "" {
		conds = append(conds, "r.movie_id = "+d.movie)
	}
	if d.user == "" {
		return conds, d.skipHidden()
	}
	conds = append(conds, "r.user_id = "+d.user)
	if d.viewer != "" {
		conds = append(conds, "NOT "+d.userHidden())
	}
	return conds, ""
}

// total returns the exact count of the entries where selects, from
// review_counts: the scope's count, less the hidden users' counts in the
// scope when it has no user; none when its user is hidden.
func (d diaryPrivacy) total() string {
	movie, user := nilUUID, nilUUID
	if d.movie != "" {
		movie = d.movie
	}
	if d.user != "" {
		user = d.user
	}
	count := `(SELECT coalesce(sum(n), 0) FROM review_counts WHERE movie_id = ` + movie + ` AND user_id = ` + user + `)`
	switch {
	case d.user != "" && d.viewer == "":
		return count
	case d.user != "":
		return `CASE WHEN ` + d.userHidden() + ` THEN 0 ELSE ` + count + ` END`
	}
	return count + ` - (SELECT coalesce(sum(n), 0) FROM review_counts WHERE movie_id = ` + movie +
		` AND user_id = ANY (` + d.hidden() + `))`
}

// diarySQL builds QueryDiary's statement, and the statement of its total
// alone. The page size (plus one, to tell whether more follow) is a literal
// in the text.
func diarySQL(q domain.DiaryQuery) diaryStatement {
	f := q.Filter
	limit := q.Page.Limit()
	var p params
	priv := newDiaryPrivacy(f, &p)
	conds, skip := priv.where()

	dir, cmp := "DESC", "<"
	if f.Sort == domain.SortAsc {
		dir, cmp = "ASC", ">"
	}
	if q.After != nil {
		conds = append(conds, fmt.Sprintf("(r.watched_at, r.id) %s (%s, %s)", cmp, p.add(q.After.WatchedAt), p.add(q.After.ReviewID.UUID())))
	}
	total := priv.total() + ` AS total_count`
	where := conds
	if skip != "" {
		where = append(conds[:len(conds):len(conds)], skip)
	}
	cond := "WHERE " + strings.Join(where, " AND ")
	order := "r.watched_at " + dir + ", r.id " + dir
	// An int from domain.Page (at most MaxPageLimit): safe in the text.
	limitSQL := strconv.Itoa(limit + 1)

	var query string
	switch {
	case q.After != nil || q.Page.Offset() == 0:
		query = `SELECT ` + entryColumns + `, ` + total + `
			FROM reviews r JOIN movies m ON m.id = r.movie_id
			` + cond + ` ORDER BY ` + order + ` LIMIT ` + limitSQL
	case skip != "":
		// Deferred join: skip on the index alone, then fetch the page's
		// rows. Skipping the hidden users' entries needs each entry's
		// user, which the index does not hold: the scan that does is
		// planned beside the index-only one, and the one-time filters on
		// whether any diary is hidden run exactly one of them.
		offset := p.add(q.Page.Offset())
		query = `SELECT ` + entryColumns + `, ` + total + `
			FROM ((SELECT r.id FROM reviews r WHERE ` + strings.Join(append(conds, "NOT "+priv.anyHidden()), " AND ") + `
			        ORDER BY ` + order + ` LIMIT ` + limitSQL + ` OFFSET ` + offset + `)
			      UNION ALL
			      (SELECT r.id FROM reviews r ` + cond + ` AND ` + priv.anyHidden() + `
			        ORDER BY ` + order + ` LIMIT ` + limitSQL + ` OFFSET ` + offset + `)) AS page
			JOIN reviews r ON r.id = page.id
			JOIN movies m ON m.id = r.movie_id
			ORDER BY ` + order
	default:
		// Deferred join: skip on the index alone, then fetch the page's rows.
		query = `SELECT ` + entryColumns + `, ` + total + `
			FROM (SELECT r.id FROM reviews r ` + cond + ` ORDER BY ` + order + `
			      LIMIT ` + limitSQL + ` OFFSET ` + p.add(q.Page.Offset()) + `) AS page
			JOIN reviews r ON r.id = page.id
			JOIN movies m ON m.id = r.movie_id
			ORDER BY ` + order
	}

	var cp params
	return diaryStatement{
		query: query, args: p.args,
		count: `SELECT ` + newDiaryPrivacy(f, &cp).total(), countArgs: cp.args,
	}
}

// sqlHistory reads a movie's viewings that viewer ($2) may see, through
// the (movie_id, watched_at, id) index; the IDs compare as text for the
// reason diaryPrivacy.skipHidden gives.
const sqlHistory = `SELECT ` + reviewColumns + ` FROM reviews
	WHERE movie_id = $1 AND user_id::text <> ALL (ARRAY(SELECT id::text FROM users WHERE private AND id <> $2::uuid))
	ORDER BY watched_at, id`

// ReviewHistory returns the movie and all its viewings oldest first,
// leaving out those of private diaries other than viewer's own, or
// ErrNotFound when the movie is unknown. The viewings are one range scan of
// the (movie_id, watched_at, id) index.
func (r *MovieRepository) ReviewHistory(ctx context.Context, id domain.MovieID, viewer domain.UserID) (domain.ReviewHistory, error) {
	const op = "review history"
	movie, err := movieByID(ctx, r.db, op, id)
	if err != nil {
		return domain.ReviewHistory{}, err
	}
	var rows []reviewRow
	err = r.db.SelectContext(ctx, &rows, sqlHistory, id.UUID(), viewer.UUID())
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
