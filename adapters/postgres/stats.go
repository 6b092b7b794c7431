package postgres

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/moviediary/moviediary/adapters/sqlrows"
	"github.com/moviediary/moviediary/domain"
)

// StatsRepository reads diary statistics; it implements
// domain.StatsReader. Get one from (*DB).Statistics.
//
// The figures are kept by the schema's triggers (migration 0009) in the
// writing transactions — review inserts, edits, deletions, moves between
// movies, a movie's director changed, a diary made private or public — in
// review_stats_months, review_stats_films, review_stats_years and
// review_stats_directors, per user and for the whole diary (the public
// diaries). A read never touches the reviews: it is one statement reading
// a scope's rows of those tables through their primary keys, and the top
// films and directors through indexes ordered by count, plus the movie
// rows of the top films.
type StatsRepository struct {
	db *sqlx.DB
}

var _ domain.StatsReader = (*StatsRepository)(nil)

// Statistics returns the statistics reader on this pool. (Stats is the
// pool's own statistics, for metrics.)
func (db *DB) Statistics() *StatsRepository { return db.stats }

// wholeDiary is the scope of the whole diary's statistics rows: the nil
// UUID, which no account has.
var wholeDiary = domain.UserID{}

// DiaryStats returns the statistics q asks for: of q.User's diary, private
// or not, or with q.User zero of the whole diary (the diaries of every
// account that is not private, and of users with no account); of q.Year
// (UTC) or of all time. An unknown user, or a scope with no viewings, has
// zero Stats.
func (r *StatsRepository) DiaryStats(ctx context.Context, q domain.StatsQuery) (domain.Stats, error) {
	const op = "diary stats"
	scope := q.User
	if scope.IsZero() {
		scope = wholeDiary
	}
	top := q.TopOrDefault()
	query := statsSQL(q.Year != 0, top)
	rows, err := statementsOf(r.db).query(ctx, query, scope.UUID(), q.Year)
	if err != nil {
		return domain.Stats{}, dbError(op, err)
	}
	s, err := scanStats(rows, q.Year)
	if err != nil {
		return domain.Stats{}, dbError(op, err)
	}
	return s, nil
}

// maxRatingHalves is the highest rating in half stars: review_stats_months
// counts the ratings in halves_0 … halves_10.
const maxRatingHalves = 10

// The kinds of row statsSQL returns.
const (
	statsMonth    = 1 // a: year, b: month, n: viewings
	statsRatings  = 2 // ratings: the viewings rated 0, 1, … 10 half stars
	statsYear     = 3 // a: year (0: all time), n: distinct films
	statsFilm     = 4 // n: viewings, then the movie's columns
	statsDirector = 5 // n: viewings, director: the name
)

// statsSQL returns DiaryStats' statement for a year ($2) or all time, with
// the top lists' length written into the text (a LIMIT parameter would keep
// PostgreSQL re-planning, see QueryDiary). $1 is the scope. Every part reads
// one scope's rows by the leading columns of an index: the months and
// the years by their primary keys, the top films and directors by the
// indexes ordered by count, and each top film's movie by its primary key.
// The ratings are summed from the months' rows, which the statement reads
// once (the CTE mo), into one row.
func statsSQL(year bool, top int) string {
	monthsOf, yearsOf := ``, ``
	if year {
		monthsOf = ` AND year = $2`
		yearsOf = ` AND year = $2`
	}
	var halves, ratings strings.Builder
	for i := range maxRatingHalves + 1 {
		n := strconv.Itoa(i)
		if i > 0 {
			halves.WriteString(", ")
			ratings.WriteString(", ")
		}
		halves.WriteString("sum(halves_" + n + ") AS h" + n)
		ratings.WriteString("coalesce(sum(h" + n + "), 0)")
	}
	limit := strconv.Itoa(top)
	return `WITH mo AS (
		SELECT year, month, sum(viewings) AS viewings, ` + halves.String() + `
		  FROM review_stats_months WHERE user_id = $1` + monthsOf + `
		 GROUP BY year, month
	)
	SELECT ` + strconv.Itoa(statsMonth) + ` AS kind, year AS a, month::integer AS b, viewings AS n,
	       NULL::uuid AS id, NULL::text AS external_id, NULL::text AS title, NULL::integer AS release_year,
	       NULL::text AS director, NULL::text AS poster_path, NULL::bigint[] AS ratings
	  FROM mo WHERE viewings > 0
	UNION ALL
	SELECT ` + strconv.Itoa(statsRatings) + `, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	       ARRAY[` + ratings.String() + `]::bigint[]
	  FROM mo
	UNION ALL
	SELECT ` + strconv.Itoa(statsYear) + `, year, NULL, sum(films), NULL, NULL, NULL, NULL, NULL, NULL, NULL
	  FROM review_stats_years WHERE user_id = $1` + yearsOf + `
	 GROUP BY year HAVING sum(films) > 0
	UNION ALL
	(SELECT ` + strconv.Itoa(statsFilm) + `, NULL, NULL, f.n, m.id, m.external_id, m.title, m.release_year, m.director, m.poster_path, NULL
	   FROM review_stats_films f JOIN movies m ON m.id = f.movie_id
	  WHERE f.user_id = $1 AND f.year = $2
	  ORDER BY f.n DESC, f.movie_id LIMIT ` + limit + `)
	UNION ALL
	(SELECT ` + strconv.Itoa(statsDirector) + `, NULL, NULL, n, NULL, NULL, NULL, NULL, director, NULL, NULL
	   FROM review_stats_directors
	  WHERE user_id = $1 AND year = $2
	  ORDER BY n DESC, director LIMIT ` + limit + `)`
}

// scanStats reads statsSQL's rows into Stats, for year (0: all time), and
// closes them. The parts come in any order; each list is sorted here.
func scanStats(rows *sql.Rows, year int) (domain.Stats, error) {
	defer rows.Close()
	var (
		s     domain.Stats
		films = map[int]int{} // distinct films per year, 0 for all time
	)
	for rows.Next() {
		var (
			kind     int
			a, b     sql.NullInt64
			count    sql.NullInt64
			movie    movieRow
			movieID  uuid.NullUUID
			director sql.NullString
			relYear  sql.NullInt64
			title    sql.NullString
			ratings  pq.Int64Array
		)
		if err := rows.Scan(&kind, &a, &b, &count, &movieID, &movie.ExternalID, &title, &relYear, &director, &movie.PosterPath, &ratings); err != nil {
			return domain.Stats{}, err
		}
		n := int(count.Int64)
		switch kind {
		case statsMonth:
			s.ByMonth = append(s.ByMonth, domain.MonthStats{Year: int(a.Int64), Month: time.Month(b.Int64), Viewings: n})
			s.Viewings += n
		case statsRatings:
			for halves, c := range ratings {
				if c == 0 {
					continue
				}
				rating, err := domain.RatingFromHalves(halves)
				if err != nil {
					return domain.Stats{}, sqlrows.Corrupt("rating statistics", err)
				}
				s.Ratings = append(s.Ratings, domain.RatingCount{Rating: rating, Count: int(c)})
				s.Rated += int(c)
				s.RatingHalves += int(c) * halves
			}
		case statsYear:
			films[int(a.Int64)] = n
		case statsFilm:
			movie.ID = movieID.UUID
			movie.Title, movie.ReleaseYear, movie.Director = title.String, int(relYear.Int64), director
			m, err := movie.toDomain()
			if err != nil {
				return domain.Stats{}, err
			}
			s.TopFilms = append(s.TopFilms, domain.FilmCount{Movie: m, Viewings: n})
		case statsDirector:
			d, err := domain.NewDirector(director.String)
			if err == nil && d.String() != director.String {
				err = domain.FieldError{Field: "director", Rule: "must be trimmed"}
			}
			if err != nil {
				return domain.Stats{}, sqlrows.Corrupt("director statistics", err)
			}
			s.TopDirectors = append(s.TopDirectors, domain.DirectorCount{Director: d, Viewings: n})
		}
	}
	if err := rows.Err(); err != nil {
		return domain.Stats{}, err
	}
	if err := rows.Close(); err != nil {
		return domain.Stats{}, err
	}
	if s.Viewings == 0 {
		return domain.Stats{}, nil
	}
	s.Films = films[year]
	slices.SortFunc(s.ByMonth, func(x, y domain.MonthStats) int {
		return cmp.Or(cmp.Compare(x.Year, y.Year), cmp.Compare(x.Month, y.Month))
	})
	for _, m := range s.ByMonth {
		if k := len(s.ByYear); k > 0 && s.ByYear[k-1].Year == m.Year {
			s.ByYear[k-1].Viewings += m.Viewings
			continue
		}
		s.ByYear = append(s.ByYear, domain.YearStats{Year: m.Year, Viewings: m.Viewings, Films: films[m.Year]})
	}
	slices.SortFunc(s.Ratings, func(x, y domain.RatingCount) int { return cmp.Compare(y.Rating.Halves(), x.Rating.Halves()) })
	slices.SortFunc(s.TopFilms, func(x, y domain.FilmCount) int {
		xi, yi := x.Movie.ID.UUID(), y.Movie.ID.UUID()
		return cmp.Or(cmp.Compare(y.Viewings, x.Viewings), bytes.Compare(xi[:], yi[:]))
	})
	slices.SortFunc(s.TopDirectors, func(x, y domain.DirectorCount) int {
		return cmp.Or(cmp.Compare(y.Viewings, x.Viewings), strings.Compare(x.Director.String(), y.Director.String()))
	})
	return s, nil
}
