package diaryfile

import (
	"strings"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// lbRecord is a valid row of a Letterboxd file.
type lbRecord struct {
	file    string
	line    int
	title   domain.MovieTitle
	year    domain.ReleaseYear
	film    string // see filmDay
	day     string // film and date: what a review is matched by
	date    time.Time
	rating  domain.Rating
	comment domain.Comment
}

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
	diary, reviews []lbRecord
	// others are the ratings.csv and watched.csv rows, in file order.
	others []lbRecord
}

// read collects the rows of u, a Letterboxd file.
func (lb *letterboxd) read(u *unit, now time.Time) {
	c, k := u.csv, u.typ.kind
	name, year, date, watched := c.col("Name"), c.col("Year"), c.col("Date"), c.col("Watched Date")
	rating, review := c.col("Rating"), c.col("Review")
	for rec, line, ok := u.next(); ok; rec, line, ok = u.next() {
		var is issues
		r := lbRecord{file: u.name, line: line}
		r.title = parseTitle("Name", cell(rec, name), &is)
		r.year = parseYear("Year", cell(rec, year), now, &is)
		if col, v := "Watched Date", cell(rec, watched); (k == kindLetterboxdDiary || k == kindLetterboxdReviews) && strings.TrimSpace(v) != "" {
			r.date = parseDate(col, v, now, &is)
		} else {
			r.date = parseDate("Date", cell(rec, date), now, &is)
		}
		if k != kindLetterboxdWatched {
			r.rating = parseStars("Rating", cell(rec, rating), 0.5, &is)
		}
		if k == kindLetterboxdReviews {
			r.comment = parseComment("Review", cell(rec, review), &is)
		}
		if len(is) > 0 {
			u.skip(line, is.reason())
			continue
		}
		r.film, r.day = filmDay(r.title, r.year, r.date)
		switch k {
		case kindLetterboxdDiary:
			lb.diary = append(lb.diary, r)
		case kindLetterboxdReviews:
			lb.reviews = append(lb.reviews, r)
		default:
			lb.others = append(lb.others, r)
		}
	}
}

// rows merges what was read into viewings: the diary's, then the reviews
// of their own, then one a film for the films only rated or watched.
func (lb *letterboxd) rows() []domain.ImportRow {
	viewings := make([]lbRecord, 0, len(lb.diary)+len(lb.reviews))
	reviewed := make([]bool, 0, len(lb.diary))
	// firstOn[day] is the first diary viewing of a film on a day,
	// nextOn[i] the one after viewing i (-1: none), in file order.
	firstOn := make(map[string]int, len(lb.diary))
	nextOn := make([]int, len(lb.diary))
	lastOn := make(map[string]int, len(lb.diary))
	for i, d := range lb.diary {
		nextOn[i] = -1
		if last, ok := lastOn[d.day]; ok {
			nextOn[last] = i
		} else {
			firstOn[d.day] = i
		}
		lastOn[d.day] = i
		viewings = append(viewings, d)
		reviewed = append(reviewed, false)
	}
	for _, r := range lb.reviews {
		merged := false
		i, ok := firstOn[r.day]
		for ; ok && i >= 0; i = nextOn[i] {
			if reviewed[i] {
				continue
			}
			v := &viewings[i]
			v.comment = r.comment
			if v.rating.IsZero() {
				v.rating = r.rating
			}
			reviewed[i], merged = true, true
			break
		}
		if !merged {
			viewings = append(viewings, r)
			reviewed = append(reviewed, true)
		}
	}

	seen := make(map[string]bool, len(viewings))
	for _, v := range viewings {
		seen[v.film] = true
	}
	var films []lbRecord
	filmAt := make(map[string]int)
	for _, o := range lb.others {
		if seen[o.film] {
			continue
		}
		i, ok := filmAt[o.film]
		if !ok {
			filmAt[o.film] = len(films)
			films = append(films, o)
			continue
		}
		f := &films[i]
		if o.date.Before(f.date) {
			f.date = o.date
		}
		if f.rating.IsZero() {
			f.rating = o.rating
		}
	}

	rows := make([]domain.ImportRow, 0, len(viewings)+len(films))
	occ := make(occurrences, len(viewings))
	for _, v := range viewings {
		rows = append(rows, v.row(viewingKey(string(domain.ImportLetterboxd), v.day, occ.next(v.day))))
	}
	for _, f := range films {
		rows = append(rows, f.row(hashKey(string(domain.ImportLetterboxd), "film", f.film)))
	}
	return rows
}

// row is the import row of r, keyed key.
func (r lbRecord) row(key domain.ImportRowKey) domain.ImportRow {
	return domain.ImportRow{
		File: r.file, Line: r.line, Key: key,
		Title: r.title, Year: r.year, Rating: r.rating, Comment: r.comment,
		WatchedAt: r.date,
	}
}
