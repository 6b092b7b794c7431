package diaryfile

import (
	"bytes"
	"slices"
	"strings"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// lbRecords are valid rows of Letterboxd files, kept as the import rows
// they become (keyed last, once they are merged) so that nothing is copied
// on the way.
type lbRecords struct {
	rows []domain.ImportRow
	// days[i] is rows[i]'s film and date (see filmDay): what a review is
	// matched by.
	days []string
}

// add appends row, of day.
func (r *lbRecords) add(row domain.ImportRow, day string) {
	r.rows = append(r.rows, row)
	r.days = append(r.days, day)
}

// grow makes room for n more rows.
func (r *lbRecords) grow(n int) {
	r.rows = slices.Grow(r.rows, n)
	r.days = slices.Grow(r.days, n)
}

// film returns the film's identity of day (see filmDay): day up to its
// last NUL, which titles never hold.
func film(day string) string { return day[:strings.LastIndexByte(day, 0)] }

// maxRowsHint bounds the records allocated ahead of reading a file.
const maxRowsHint = 1 << 17

// letterboxd collects the rows of a Letterboxd export's files and merges
// them into viewings:
//   - every diary.csv row is a viewing (watched on its Watched Date, or its
//     Date when that is empty);
//   - a reviews.csv row gives its text to the first diary viewing of the
//     same film (name and year, ignoring case) on the same date that has
//     none yet, and its rating when that viewing is not rated; with no such
//     viewing it is a viewing of its own;
//   - ratings.csv and watched.csv rows of a film that has no diary or
//     review viewing make one viewing of the film, dated by the earliest
//     Date among them, rated by its ratings.csv row when there is one;
//     films with viewings take nothing from them.
type letterboxd struct {
	diary, reviews lbRecords
	// others are the ratings.csv and watched.csv rows, in file order.
	others lbRecords
	// titles holds each valid title read, by its cell: the rows of one film
	// share one copy of its title instead of each keeping the whole CSV
	// record its title was cut from.
	titles map[string]domain.MovieTitle
}

// read collects the rows of u, a Letterboxd file.
func (lb *letterboxd) read(u *unit, now time.Time) {
	c, k := u.csv, u.typ.kind
	name, year, date, watched := c.col("Name"), c.col("Year"), c.col("Date"), c.col("Watched Date")
	rating, review := c.col("Rating"), c.col("Review")
	if lb.titles == nil {
		lb.titles = make(map[string]domain.MovieTitle)
	}
	// Room for every line, so the records are not copied as they grow (a
	// quoted line break makes this an overestimate), within maxRowsHint.
	hint := min(bytes.Count(u.data, []byte{'\n'}), maxRowsHint)
	switch k {
	case kindLetterboxdDiary:
		lb.diary.grow(hint)
	case kindLetterboxdReviews:
		lb.reviews.grow(hint)
	default:
		lb.others.grow(hint)
	}
	for rec, line, ok := u.next(); ok; rec, line, ok = u.next() {
		var is issues
		r := domain.ImportRow{File: u.name, Line: line}
		r.Title = lb.title(cell(rec, name), &is)
		r.Year = parseYear("Year", cell(rec, year), now, &is)
		if col, v := "Watched Date", cell(rec, watched); (k == kindLetterboxdDiary || k == kindLetterboxdReviews) && strings.TrimSpace(v) != "" {
			r.WatchedAt = parseDate(col, v, now, &is)
		} else {
			r.WatchedAt = parseDate("Date", cell(rec, date), now, &is)
		}
		if k != kindLetterboxdWatched {
			r.Rating = parseStars("Rating", cell(rec, rating), 0.5, &is)
		}
		if k == kindLetterboxdReviews {
			// A copy: the comment must not keep the whole record alive.
			r.Comment = parseComment("Review", strings.Clone(cell(rec, review)), &is)
		}
		if len(is) > 0 {
			u.skip(line, is.reason())
			continue
		}
		_, day := filmDay(r.Title, r.Year, r.WatchedAt)
		switch k {
		case kindLetterboxdDiary:
			lb.diary.add(r, day)
		case kindLetterboxdReviews:
			lb.reviews.add(r, day)
		default:
			lb.others.add(r, day)
		}
	}
}

// title reads the Name cell s, returning the copy held for s when there
// is one.
func (lb *letterboxd) title(s string, is *issues) domain.MovieTitle {
	if t, ok := lb.titles[s]; ok {
		return t
	}
	s = strings.Clone(s)
	n := len(*is)
	t := parseTitle("Name", s, is)
	if len(*is) == n {
		lb.titles[s] = t
	}
	return t
}

// rows merges what was read into viewings: the diary's, then the reviews
// of their own, then one a film for the films only rated or watched.
func (lb *letterboxd) rows() []domain.ImportRow {
	// The diary's rows become the viewings.
	viewings := lb.diary
	lb.diary = lbRecords{}
	if len(lb.reviews.rows) > 0 {
		lb.mergeReviews(&viewings)
	}

	var seen map[string]bool
	if len(lb.others.rows) > 0 {
		seen = make(map[string]bool)
		for _, d := range viewings.days {
			seen[film(d)] = true
		}
	}
	var films []domain.ImportRow
	var filmIDs []string
	filmAt := make(map[string]int)
	for i, o := range lb.others.rows {
		id := film(lb.others.days[i])
		if seen[id] {
			continue
		}
		j, ok := filmAt[id]
		if !ok {
			filmAt[id] = len(films)
			films = append(films, o)
			filmIDs = append(filmIDs, id)
			continue
		}
		f := &films[j]
		if o.WatchedAt.Before(f.WatchedAt) {
			f.WatchedAt = o.WatchedAt
		}
		if f.Rating.IsZero() {
			f.Rating = o.Rating
		}
	}

	rows := viewings.rows
	occ := make(occurrences, len(rows))
	for i, day := range viewings.days {
		rows[i].Key = viewingKey(string(domain.ImportLetterboxd), day, occ.next(day))
	}
	for i := range films {
		films[i].Key = hashKey(string(domain.ImportLetterboxd), "film", filmIDs[i])
	}
	return append(rows, films...)
}

// mergeReviews gives each review to the first of viewings of the same
// film on the same day that has none yet, and appends the reviews that
// find none.
func (lb *letterboxd) mergeReviews(viewings *lbRecords) {
	diary := len(viewings.rows)
	reviewed := make([]bool, diary)
	// on[day] holds the first and last diary viewing of a film on a day,
	// nextOn[i] the one after viewing i (-1: none), in file order.
	type span struct{ first, last int }
	on := make(map[string]span, diary)
	nextOn := make([]int, diary)
	for i, d := range viewings.days {
		nextOn[i] = -1
		if sp, ok := on[d]; ok {
			nextOn[sp.last] = i
			on[d] = span{sp.first, i}
		} else {
			on[d] = span{i, i}
		}
	}
	var own []int // the reviews that are viewings of their own
	for j, r := range lb.reviews.rows {
		merged := false
		sp, ok := on[lb.reviews.days[j]]
		for i := sp.first; ok && i >= 0; i = nextOn[i] {
			if reviewed[i] {
				continue
			}
			v := &viewings.rows[i]
			v.Comment = r.Comment
			if v.Rating.IsZero() {
				v.Rating = r.Rating
			}
			reviewed[i], merged = true, true
			break
		}
		if !merged {
			own = append(own, j)
		}
	}
	viewings.grow(len(own))
	for _, j := range own {
		viewings.add(lb.reviews.rows[j], lb.reviews.days[j])
	}
}
