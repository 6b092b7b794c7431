package sqlite

import (
	"context"
	"database/sql"
	"errors"
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
	r.id AS "r.id", r.movie_id AS "r.movie_id", r.user_id AS "r.user_id", r.rating AS "r.rating",
	r.comment AS "r.comment", r.watched_at AS "r.watched_at", r.created_at AS "r.created_at"`

// QueryDiary returns one page of the diary, ordered by watched_at then
// review ID in q.Filter.Sort's direction, with the exact total count of
// entries matching the filter. The count is one lookup in review_counts;
// the page is found in the index that matches the filter — by seeking to
// q.After when set (offset ignored), else by stepping over the offset in
// that index alone — and only the rows of the page are then read and
// joined to their movies. Count and page come from one snapshot.
func (r *MovieRepository) QueryDiary(ctx context.Context, q domain.DiaryQuery) (domain.DiaryPage, error) {
	const op = "query diary"
	query, args := diaryPageSQL(q)
	movieKey, userKey := anyScope, anyScope
	if !q.Filter.MovieID.IsZero() {
		movieKey = idArg(q.Filter.MovieID.UUID())
	}
	if !q.Filter.UserID.IsZero() {
		userKey = idArg(q.Filter.UserID.UUID())
	}

	var (
		total int
		rows  []entryRow
	)
	err := r.db.read(ctx, op, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &total, `SELECT n FROM review_counts WHERE movie_id = ? AND user_id = ?`, movieKey, userKey)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return tx.SelectContext(ctx, &rows, query, args...)
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
		page.Entries, page.HasMore = page.Entries[:limit], true
	}
	return page, nil
}

// diaryPageSQL builds the page query: an inner query that picks the seqs
// of the page (one more than the limit, to learn whether more follow) from
// the index of the filter, and an outer join that reads just those rows.
func diaryPageSQL(q domain.DiaryQuery) (string, []any) {
	var (
		conds []string
		args  []any
	)
	if !q.Filter.MovieID.IsZero() {
		conds = append(conds, "movie_id = ?")
		args = append(args, idArg(q.Filter.MovieID.UUID()))
	}
	if !q.Filter.UserID.IsZero() {
		conds = append(conds, "user_id = ?")
		args = append(args, idArg(q.Filter.UserID.UUID()))
	}
	dir, cmp := "DESC", "<"
	if q.Filter.Sort == domain.SortAsc {
		dir, cmp = "ASC", ">"
	}
	offset := q.Page.Offset()
	if q.After != nil {
		conds = append(conds, "(watched_at, id) "+cmp+" (?, ?)")
		args = append(args, watchedArg(q.After.WatchedAt), idArg(q.After.ReviewID.UUID()))
		offset = 0
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(entryColumns)
	b.WriteString(" FROM (SELECT seq FROM reviews")
	if len(conds) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(conds, " AND "))
	}
	b.WriteString(" ORDER BY watched_at " + dir + ", id " + dir + " LIMIT ? OFFSET ?)")
	b.WriteString(" AS p JOIN reviews AS r ON r.seq = p.seq JOIN movies AS m ON m.id = r.movie_id")
	args = append(args, q.Page.Limit()+1, offset)
	return b.String(), args
}

// ReviewHistory returns the movie and all its viewings oldest first, or an
// error wrapping domain.ErrNotFound when the movie is unknown.
func (r *MovieRepository) ReviewHistory(ctx context.Context, id domain.MovieID) (domain.ReviewHistory, error) {
	const op = "review history"
	var (
		movie domain.Movie
		rows  []reviewRow
	)
	err := r.db.read(ctx, op, func(tx *sqlx.Tx) error {
		var err error
		if movie, err = movieBy(ctx, tx, "id", idArg(id.UUID())); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &rows,
			`SELECT `+reviewColumns+` FROM reviews WHERE movie_id = ? ORDER BY watched_at, id`, idArg(id.UUID()))
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
