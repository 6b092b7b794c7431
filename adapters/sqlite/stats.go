package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/moviediary/moviediary/domain"
)

// StatsRepository reads diary statistics from the aggregate tables of
// migration 0008 (stats_years, stats_months, stats_ratings, stats_films,
// stats_directors), which triggers keep exact in the transaction of every
// write: a review logged, edited, deleted or moved by a movie merge, a
// movie's director set, a diary made private or public. An import batch
// adds its statistics itself (see SaveImportBatch). It implements
// domain.StatsReader; get it from DB.Statistics.
type StatsRepository struct {
	db *DB
}

var _ domain.StatsReader = (*StatsRepository)(nil)

// Statistics returns the statistics reader of db.
func (db *DB) Statistics() *StatsRepository { return db.stats }

// statsYearRow is a row of stats_years.
type statsYearRow struct {
	Year      int `db:"year"`
	Viewings  int `db:"viewings"`
	Films     int `db:"films"`
	Rated     int `db:"rated"`
	RatingSum int `db:"rating_sum"`
}

// statsTopFilmRow is a movie and its viewings.
type statsTopFilmRow struct {
	Movie    movieRow `db:"m"`
	Viewings int      `db:"viewings"`
}

// DiaryStats returns the statistics q asks for: of q.User's reviews, or,
// when q.User is zero, of the whole diary (every review whose user is not
// private), for q.Year or all time. In one read transaction it reads the
// scope's row of the year, its years, its months (of the year), its
// ratings and the first entries of the two top indexes, joined to movies:
// a few index lookups and range reads whose size is the figures' own.
// Zero Stats when the scope has no viewings.
func (s *StatsRepository) DiaryStats(ctx context.Context, q domain.StatsQuery) (domain.Stats, error) {
	const op = "diary stats"
	scope := anyScope
	if !q.User.IsZero() {
		scope = idArg(q.User.UUID())
	}
	year := max(q.Year, 0)
	top := q.TopOrDefault()
	var (
		stats  domain.Stats
		years  []statsYearRow
		months []struct {
			Month    int `db:"month"`
			Viewings int `db:"viewings"`
		}
		ratings []struct {
			Halves int `db:"rating_halves"`
			N      int `db:"n"`
		}
		films     []statsTopFilmRow
		directors []struct {
			Director string `db:"director"`
			N        int    `db:"n"`
		}
	)
	err := s.db.read(ctx, op, func(tx *sqlx.Tx) error {
		var total statsYearRow
		err := tx.GetContext(ctx, &total, sqlStatsTotal, scope, year)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // no viewings
		}
		if err != nil {
			return err
		}
		stats.Viewings, stats.Films, stats.Rated, stats.RatingHalves = total.Viewings, total.Films, total.Rated, total.RatingSum
		first, last := 1, domain.MaxStatsYear
		if year != 0 {
			first, last = year, year
		}
		if err := tx.SelectContext(ctx, &years, sqlStatsYears, scope, first, last); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &months, sqlStatsMonths, scope, first*100+1, last*100+12); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &ratings, sqlStatsRatings, scope, year); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &films, sqlStatsTopFilms, scope, year, top); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &directors, sqlStatsTopDirectors, scope, year, top)
	})
	if err != nil {
		return domain.Stats{}, err
	}
	if stats.Viewings == 0 {
		return domain.Stats{}, nil
	}
	for _, y := range years {
		stats.ByYear = append(stats.ByYear, domain.YearStats{Year: y.Year, Viewings: y.Viewings, Films: y.Films})
	}
	for _, m := range months {
		stats.ByMonth = append(stats.ByMonth, domain.MonthStats{Year: m.Month / 100, Month: time.Month(m.Month % 100), Viewings: m.Viewings})
	}
	for _, r := range ratings {
		rating, err := domain.RatingFromHalves(r.Halves)
		if err != nil {
			return domain.Stats{}, s.db.wrap(op, err)
		}
		stats.Ratings = append(stats.Ratings, domain.RatingCount{Rating: rating, Count: r.N})
	}
	for _, f := range films {
		m, err := f.Movie.toDomain()
		if err != nil {
			return domain.Stats{}, s.db.wrap(op, err)
		}
		stats.TopFilms = append(stats.TopFilms, domain.FilmCount{Movie: m, Viewings: f.Viewings})
	}
	for _, d := range directors {
		name, err := domain.NewDirector(d.Director)
		if err != nil {
			return domain.Stats{}, s.db.wrap(op, err)
		}
		stats.TopDirectors = append(stats.TopDirectors, domain.DirectorCount{Director: name, Viewings: d.N})
	}
	return stats, nil
}

// Statistics reads, each of one scope (a user ID, or the empty blob for the whole
// diary) and, where it applies, one year (0 for all time). Each walks a
// primary key or one of the top indexes from its start; the indexes are
// named so that no plan ever sorts.
const (
	sqlStatsTotal = `SELECT year, viewings, films, rated, rating_sum FROM stats_years
		WHERE user_id = ? AND year = ? AND viewings > 0`
	sqlStatsYears = `SELECT year, viewings, films, rated, rating_sum FROM stats_years
		WHERE user_id = ? AND year BETWEEN ? AND ? AND viewings > 0 ORDER BY year`
	sqlStatsMonths = `SELECT month, viewings FROM stats_months
		WHERE user_id = ? AND month BETWEEN ? AND ? AND viewings > 0 ORDER BY month`
	sqlStatsRatings = `SELECT rating_halves, n FROM stats_ratings
		WHERE user_id = ? AND year = ? AND n > 0 ORDER BY rating_halves DESC`
	sqlStatsTopFilms = `SELECT f.n AS viewings, m.id AS "m.id", m.external_id AS "m.external_id", m.title AS "m.title",
		m.release_year AS "m.release_year", m.director AS "m.director", m.poster_path AS "m.poster_path"
		FROM stats_films AS f INDEXED BY stats_films_top JOIN movies AS m ON m.id = f.movie_id
		WHERE f.user_id = ? AND f.year = ? AND f.n > 0 ORDER BY f.n DESC, f.movie_id LIMIT ?`
	sqlStatsTopDirectors = `SELECT director, n FROM stats_directors INDEXED BY stats_directors_top
		WHERE user_id = ? AND year = ? AND n > 0 ORDER BY n DESC, director LIMIT ?`
)

// addBatchStats adds the statistics of the reviews whose seq is above
// after — an import batch's, inserted while the per-review triggers were
// paused — with one set-based statement a table: each groups the batch's
// reviews by scope (the user, and the whole diary unless the user is
// private), year (and all time) and what the table counts, and adds the
// groups with an upsert. The triggers of stats_films count the new films.
func addBatchStats(ctx context.Context, tx *sqlx.Tx, after int64) error {
	for _, stmt := range batchStatsSQL {
		if _, err := tx.ExecContext(ctx, stmt, after); err != nil {
			return err
		}
	}
	return nil
}

// batchViewings is the common table expression of batchStatsSQL: the
// batch's reviews (seq above the argument) once per scope (b) and once
// per year and all time (p).
const batchViewings = `WITH b AS (
		SELECT r.user_id AS scope, r.movie_id, r.rating_halves, r.watched_at FROM reviews AS r WHERE r.seq > ?1
		UNION ALL
		SELECT x'', r.movie_id, r.rating_halves, r.watched_at FROM reviews AS r
		WHERE r.seq > ?1 AND NOT EXISTS (SELECT 1 FROM users AS u WHERE u.id = r.user_id AND u.private = 1)
	), p AS (
		SELECT scope, movie_id, rating_halves, CAST(strftime('%Y', watched_at, 'unixepoch') AS INTEGER) AS year FROM b
		UNION ALL
		SELECT scope, movie_id, rating_halves, 0 FROM b
	) `

// batchStatsSQL adds an import batch's statistics (addBatchStats), years
// first: the films' trigger then finds their rows.
var batchStatsSQL = []string{
	batchViewings + `INSERT INTO stats_years (user_id, year, viewings, films, rated, rating_sum)
	SELECT scope, year, count(*), 0, count(rating_halves), coalesce(sum(rating_halves), 0) FROM p WHERE true GROUP BY scope, year
	ON CONFLICT (user_id, year) DO UPDATE SET viewings = viewings + excluded.viewings,
		rated = rated + excluded.rated, rating_sum = rating_sum + excluded.rating_sum`,
	batchViewings + `INSERT INTO stats_months (user_id, month, viewings)
	SELECT scope, CAST(strftime('%Y%m', watched_at, 'unixepoch') AS INTEGER) AS month, count(*) FROM b WHERE true GROUP BY scope, month
	ON CONFLICT (user_id, month) DO UPDATE SET viewings = viewings + excluded.viewings`,
	batchViewings + `INSERT INTO stats_ratings (user_id, year, rating_halves, n)
	SELECT scope, year, rating_halves, count(*) FROM p WHERE rating_halves IS NOT NULL GROUP BY scope, year, rating_halves
	ON CONFLICT (user_id, year, rating_halves) DO UPDATE SET n = n + excluded.n`,
	batchViewings + `INSERT INTO stats_films (user_id, year, movie_id, n)
	SELECT scope, year, movie_id, count(*) FROM p WHERE true GROUP BY scope, year, movie_id
	ON CONFLICT (user_id, year, movie_id) DO UPDATE SET n = n + excluded.n`,
	batchViewings + `INSERT INTO stats_directors (user_id, year, director, n)
	SELECT p.scope, p.year, m.director, count(*) FROM p JOIN movies AS m ON m.id = p.movie_id
	WHERE m.director IS NOT NULL GROUP BY p.scope, p.year, m.director
	ON CONFLICT (user_id, year, director) DO UPDATE SET n = n + excluded.n`,
}
