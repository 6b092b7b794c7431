package diaryfile

import (
	"strconv"
	"strings"
	"time"

	"github.com/moviediary/moviediary/domain"
)

// imdbFilmTypes are the Title Types of films, lower case without spaces
// or hyphens: current exports write "Movie", "TV Movie", older ones
// "movie", "tvMovie", the oldest "Feature Film".
var imdbFilmTypes = map[string]bool{
	"movie": true, "tvmovie": true, "video": true, "short": true, "tvshort": true, "tvspecial": true,
	"featurefilm": true, "shortfilm": true, "documentary": true,
}

// isFilm reports whether an IMDb Title Type is a film; an empty one is
// taken for a film.
func isFilm(titleType string) bool {
	t := strings.ToLower(strings.NewReplacer(" ", "", "-", "", "_", "").Replace(titleType))
	return t == "" || imdbFilmTypes[t]
}

// readIMDb appends the films of u, an IMDb ratings export, to rows. Your
// Rating 1–10 becomes stars/2, Date Rated the watched date, the first of
// the Directors the director. Rows that are not films (series, episodes,
// games) are skipped and counted, not listed.
func readIMDb(u *unit, rows []domain.ImportRow, now time.Time) []domain.ImportRow {
	c := u.csv
	constCol, ratingCol, dateCol := c.col("Const"), c.col("Your Rating"), c.col("Date Rated")
	titleCol, typeCol, yearCol, dirCol := c.col("Title"), c.col("Title Type"), c.col("Year"), c.col("Directors")
	for rec, line, ok := u.next(); ok; rec, line, ok = u.next() {
		if !isFilm(strings.TrimSpace(cell(rec, typeCol))) {
			u.skipped++
			continue
		}
		var is issues
		row := domain.ImportRow{File: u.name, Line: line}
		id := strings.TrimSpace(cell(rec, constCol))
		if id == "" {
			is.add("Const is missing")
		} else {
			row.ExternalID = parseExternalID("Const", id, &is)
		}
		row.Rating = imdbRating(cell(rec, ratingCol), &is)
		row.WatchedAt = parseDate("Date Rated", cell(rec, dateCol), now, &is)
		row.Title = parseTitle("Title", cell(rec, titleCol), &is)
		row.Year = parseYear("Year", cell(rec, yearCol), now, &is)
		director, _, _ := strings.Cut(cell(rec, dirCol), ",")
		row.Director = parseDirector("Directors", director, &is)
		if len(is) > 0 {
			u.skip(line, is.reason())
			continue
		}
		row.Key = domain.ImportRowKey("imdb:" + row.ExternalID.String())
		rows = append(rows, row)
	}
	return rows
}

// imdbRating reads Your Rating, a whole number from 1 to 10, as stars.
func imdbRating(s string, is *issues) domain.Rating {
	s = strings.TrimSpace(s)
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 10 {
		is.add("Your Rating %q: must be a whole number from 1 to 10", s)
		return domain.Rating{}
	}
	r, err := domain.RatingFromHalves(n)
	if err != nil {
		is.add("Your Rating %q: %s", s, rule(err))
	}
	return r
}
