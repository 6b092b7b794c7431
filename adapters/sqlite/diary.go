package sqlite

import (
	"context"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/domain"
)

// anyScope is the review_counts key part that stands for "any movie" or
// "any user".
var anyScope = []byte{}

// entryColumns selects a diary entry from reviews r joined to movies m,
// named for entryRow.
const entryColumns = `m.id AS "m.id", m.external_id AS "m.external_id", m.title AS "m.title",
	m.release_year AS "m.release_year", m.director AS "m.director", m.poster_path AS "m.poster_path",
	r.id AS "r.id", r.movie_id AS "r.movie_id", r.user_id AS "r.user_id", r.rating_halves AS "r.rating_halves",
	r.comment AS "r.comment", r.watched_at AS "r.watched_at", r.created_at AS "r.created_at"`

// QueryDiary returns one page of the diary, ordered by watched_at then
// review ID in q.Filter.Sort's direction, with the exact total count of
// entries matching the filter and visible to q.Filter.Viewer. The count
// is one lookup in review_counts, less the counts of the private users
// other than the viewer (a few lookups: users_private lists them); a
// user filter naming such a user gives an empty page at once. The page
// is found in the index that matches the filter — by seeking to q.After
// when set (offset ignored), else by stepping over the offset in that
// index alone, from whichever end is nearer — and only the rows of the
// page are then read and joined to their movies. When some counted entry
// is hidden, the walk skips the hidden users' entries in the index too
// (reviews_watched and reviews_movie_watched carry user_id). Count and
// page come from one snapshot.
func (r *MovieRepository) QueryDiary(ctx context.Context, q domain.DiaryQuery) (domain.DiaryPage, error) {
	const op = "query diary"
	var (
		rows    []entryRow
		hasMore bool
		total   int
	)
	err := r.db.read(ctx, op, func(tx *sqlx.Tx) error {
		count, err := visibleTotal(ctx, tx, q.Filter)
		if err != nil {
			return err
		}
		total = count.total
		plan := planPage(q, total)
		plan.hide = count.hidden > 0
		if plan.limit == 0 || (plan.hide && !q.Filter.UserID.IsZero()) {
			return nil // nothing, or nothing visible
		}
		query, args := diaryPageSQL(plan)
		if err := tx.SelectContext(ctx, &rows, query, args...); err != nil {
			return err
		}
		hasMore = plan.hasMore(len(rows))
		return nil
	})
	if err != nil {
		return domain.DiaryPage{}, err
	}

	page := domain.DiaryPage{TotalCount: total, Entries: make([]domain.DiaryEntry, 0, len(rows))}
	for _, row := range rows {
		e, err := row.toDomain()
		if err != nil {
			return domain.DiaryPage{}, r.db.wrap(op, err)
		}
		page.Entries = append(page.Entries, e)
	}
	// The join returns the page's rows in no particular order.
	slices.SortFunc(page.Entries, domain.CompareDiaryEntries(q.Filter.Sort))
	if limit := q.Page.Limit(); len(page.Entries) > limit {
		page.Entries = page.Entries[:limit]
	}
	page.HasMore = hasMore
	return page, nil
}

// diaryCount is what a filter counts for a viewer: total entries visible,
// and hidden the entries of private users left out of them (with a user
// filter, all of that user's when they are hidden).
type diaryCount struct {
	total, hidden int
}

// visibleTotal counts the entries of filter that filter.Viewer may see,
// from review_counts and the private accounts alone.
func visibleTotal(ctx context.Context, tx *sqlx.Tx, filter domain.DiaryFilter) (diaryCount, error) {
	movieKey := anyScope
	if !filter.MovieID.IsZero() {
		movieKey = idArg(filter.MovieID.UUID())
	}
	viewer := idArg(filter.Viewer.UUID())
	if !filter.UserID.IsZero() {
		var c struct {
			N      int  `db:"n"`
			Hidden bool `db:"hidden"`
		}
		user := idArg(filter.UserID.UUID())
		err := tx.GetContext(ctx, &c, sqlUserTotal, movieKey, user, user, viewer)
		if c.Hidden {
			return diaryCount{hidden: c.N}, err
		}
		return diaryCount{total: c.N}, err
	}
	var c struct {
		N      int `db:"n"`
		Hidden int `db:"hidden"`
	}
	err := tx.GetContext(ctx, &c, sqlVisibleTotal, movieKey, viewer)
	return diaryCount{total: c.N - c.Hidden, hidden: c.Hidden}, err
}

// Total counts of the diary (see visibleTotal).
const (
	// sqlUserTotal: one user's entries (of one movie, or of any: the
	// empty blob), and whether they are hidden from the viewer.
	sqlUserTotal = `SELECT coalesce((SELECT n FROM review_counts WHERE movie_id = ? AND user_id = ?), 0) AS n,
		EXISTS (SELECT 1 FROM users WHERE id = ? AND private = 1 AND id <> ?) AS hidden`
	// sqlVisibleTotal: every user's entries (of one movie, or of any),
	// and how many of them belong to private users other than the viewer.
	sqlVisibleTotal = `SELECT coalesce((SELECT n FROM review_counts WHERE movie_id = ?1 AND user_id = x''), 0) AS n,
		coalesce((SELECT sum(c.n) FROM users AS u INDEXED BY users_private
			JOIN review_counts AS c ON c.movie_id = ?1 AND c.user_id = u.id
			WHERE u.private = 1 AND u.id <> ?2), 0) AS hidden`
)

// pagePlan is the index walk that reads one page: which entries of the
// filter, in which direction, how many and from where.
type pagePlan struct {
	filter  domain.DiaryFilter
	order   domain.SortOrder
	after   *domain.DiaryPosition
	limit   int // rows to read
	offset  int // rows to skip first
	wanted  int // the page's limit
	total   int
	start   int  // the offset the client asked for
	flipped bool // reading from the other end
	hide    bool // leaving out the private users' entries but the viewer's
}

// planPage decides how to read page q of a filter with total entries.
//
// A keyset page seeks to q.After and reads one row more than the limit, to
// learn whether more follow. An offset page must step over offset index
// entries; since the total is known exactly, a page in the far half is read
// from the other end of the index instead, so the last page costs what the
// first does and no page steps over more than half the entries.
func planPage(q domain.DiaryQuery, total int) pagePlan {
	p := pagePlan{filter: q.Filter, order: q.Filter.Sort, wanted: q.Page.Limit(), total: total}
	if q.After != nil {
		p.after, p.limit = q.After, p.wanted+1
		return p
	}
	p.start = q.Page.Offset()
	if p.start >= total {
		return p // past the end: nothing to read
	}
	end := min(p.start+p.wanted, total)
	if p.start <= total-end {
		p.limit, p.offset = p.wanted+1, p.start
		return p
	}
	// Positions [start, end) in the asked order are [total-end, total-start)
	// in the opposite one.
	p.flipped = true
	p.order = opposite(p.order)
	p.limit, p.offset = end-p.start, total-end
	return p
}

func opposite(o domain.SortOrder) domain.SortOrder {
	if o == domain.SortAsc {
		return domain.SortDesc
	}
	return domain.SortAsc
}

// hasMore reports whether entries follow the page, given how many rows
// the plan read.
func (p pagePlan) hasMore(read int) bool {
	if p.after != nil || !p.flipped {
		return read > p.wanted
	}
	return p.start+read < p.total
}

// diaryPageSQL builds the page query: an inner query that picks the seqs
// of the page from the index of the filter, and an outer join that reads
// just those rows.
func diaryPageSQL(p pagePlan) (string, []any) {
	var (
		conds []string
		args  []any
	)
	// The index is named, not left to the planner: with statistics it has
	// been seen to prefer a non-covering index for movie and user together.
	index := "reviews_watched"
	switch {
	case !p.filter.MovieID.IsZero() && !p.filter.UserID.IsZero():
		index = "reviews_movie_user_watched"
	case !p.filter.MovieID.IsZero():
		index = "reviews_movie_watched"
	case !p.filter.UserID.IsZero():
		index = "reviews_user_watched"
	}
	if !p.filter.MovieID.IsZero() {
		conds = append(conds, "movie_id = ?")
		args = append(args, idArg(p.filter.MovieID.UUID()))
	}
	if !p.filter.UserID.IsZero() {
		conds = append(conds, "user_id = ?")
		args = append(args, idArg(p.filter.UserID.UUID()))
	}
	dir, cmp := "DESC", "<"
	if p.order == domain.SortAsc {
		dir, cmp = "ASC", ">"
	}
	if p.hide {
		conds = append(conds, "user_id NOT IN (SELECT id FROM users INDEXED BY users_private WHERE private = 1 AND id <> ?)")
		args = append(args, idArg(p.filter.Viewer.UUID()))
	}
	if p.after != nil {
		w, id := keysetArgs(*p.after, p.order)
		conds = append(conds, "(watched_at, id) "+cmp+" (?, ?)")
		args = append(args, w, id)
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(entryColumns)
	b.WriteString(" FROM (SELECT seq FROM reviews INDEXED BY " + index)
	if len(conds) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(conds, " AND "))
	}
	b.WriteString(" ORDER BY watched_at " + dir + ", id " + dir + " LIMIT ? OFFSET ?)")
	b.WriteString(" AS p JOIN reviews AS r ON r.seq = p.seq JOIN movies AS m ON m.id = r.movie_id")
	args = append(args, p.limit, p.offset)
	return b.String(), args
}

// keysetArgs turns a position into the (watched_at, id) pair the page
// starts after. Stored times are whole seconds; a position between two
// seconds (not one taken from an entry) is moved to an equivalent one on
// a whole second. The entries of the second it falls in are older than it:
// they follow it newest first and precede it oldest first.
func keysetArgs(pos domain.DiaryPosition, order domain.SortOrder) (int64, []byte) {
	sec := pos.WatchedAt.Unix()
	if pos.WatchedAt.Nanosecond() == 0 {
		return sec, idArg(pos.ReviewID.UUID())
	}
	if order == domain.SortAsc {
		// After (sec, a blob above every 16-byte ID): from sec+1 on.
		return sec, afterEveryID
	}
	// Before (sec+1, the empty blob, below every ID): up to sec included.
	return sec + 1, []byte{}
}

// afterEveryID compares greater than every 16-byte ID.
var afterEveryID = []byte{
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
}

// ReviewHistory returns the movie and its viewings oldest first, leaving
// out those of private users other than viewer, or an error wrapping
// domain.ErrNotFound when the movie is unknown. The viewings are read
// from reviews_movie_watched, which carries user_id, so hidden ones are
// skipped in the index.
func (r *MovieRepository) ReviewHistory(ctx context.Context, id domain.MovieID, viewer domain.UserID) (domain.ReviewHistory, error) {
	const op = "review history"
	var (
		movie domain.Movie
		rows  []reviewRow
	)
	err := r.db.read(ctx, op, func(tx *sqlx.Tx) error {
		var err error
		if movie, err = movieByID(ctx, tx, id); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &rows, sqlHistory, idArg(id.UUID()), idArg(viewer.UUID()))
	})
	if err != nil {
		return domain.ReviewHistory{}, err
	}
	viewings := make([]domain.Review, 0, len(rows))
	for _, row := range rows {
		rv, err := row.toDomain()
		if err != nil {
			return domain.ReviewHistory{}, r.db.wrap(op, err)
		}
		viewings = append(viewings, rv)
	}
	return domain.NewReviewHistory(movie, viewings), nil
}

// sqlHistory reads a movie's viewings visible to a viewer (the second
// argument), oldest first.
const sqlHistory = `SELECT ` + reviewColumns + ` FROM reviews INDEXED BY reviews_movie_watched
	WHERE movie_id = ? AND user_id NOT IN (SELECT id FROM users INDEXED BY users_private WHERE private = 1 AND id <> ?)
	ORDER BY watched_at, id`
