package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
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

// addBatchStats adds the statistics of saved, an import batch's reviews,
// inserted while the per-review triggers were paused. The batch's figures
// are summed here, per scope (the user, and the whole diary unless the
// user's account is private), year and all time, and added with one
// multi-row upsert a table (or a chunk of one); the upsert of films
// returns each row's count, and a row whose count is the batch's own is a
// film new to its scope and year. movies are the batch's movies as
// stored now (a director found by a later row of the batch included).
// (Grouping the inserted reviews in SQL instead cost twice as much: a
// strftime and a sorter row per review and table.)
func addBatchStats(ctx context.Context, tx *sqlx.Tx, saved []domain.SavedViewing, movies map[uuid.UUID]domain.Movie) error {
	if len(saved) == 0 {
		return nil
	}
	private, err := privateUsers(ctx, tx, saved)
	if err != nil {
		return err
	}
	var a batchAggregate
	for _, sv := range saved {
		rv := sv.Review
		scopes := [2]string{string(idArg(rv.UserID.UUID())), ""}
		n := 2
		if private[rv.UserID] {
			n = 1
		}
		w := rv.WatchedAt.UTC()
		movie := movies[rv.MovieID.UUID()]
		if movie.ID.IsZero() {
			movie = sv.Movie
		}
		for _, scope := range scopes[:n] {
			a.addMonth(statsMonthKey{scope, w.Year()*100 + int(w.Month())})
			for _, year := range [2]int{0, w.Year()} {
				a.add(scope, year, rv, movie.Director)
			}
		}
	}
	return a.write(ctx, tx)
}

// privateUsers returns which users of saved have a private account.
func privateUsers(ctx context.Context, tx *sqlx.Tx, saved []domain.SavedViewing) (map[domain.UserID]bool, error) {
	seen := map[domain.UserID]bool{}
	var args []any
	for _, sv := range saved {
		if u := sv.Review.UserID; !seen[u] {
			seen[u] = true
			args = append(args, idArg(u.UUID()))
		}
	}
	private := map[domain.UserID]bool{}
	err := chunks(len(args), 1, func(from, to int) error {
		var ids [][]byte
		if err := tx.SelectContext(ctx, &ids, `SELECT id FROM users WHERE private = 1 AND id IN `+inList(to-from), args[from:to]...); err != nil {
			return err
		}
		for _, id := range ids {
			u, err := uuid.FromBytes(id)
			if err != nil {
				return err
			}
			uid, err := domain.UserIDFromUUID(u)
			if err != nil {
				return err
			}
			private[uid] = true
		}
		return nil
	})
	return private, err
}

// Keys of a batch's statistics; scope is the user ID's bytes, or "" for
// the whole diary.
type (
	statsYearKey struct {
		scope string
		year  int
	}
	statsMonthKey struct {
		scope string
		month int
	}
	statsRatingKey struct {
		scope        string
		year, halves int
	}
	statsFilmKey struct {
		scope string
		year  int
		movie uuid.UUID
	}
	statsDirectorKey struct {
		scope, director string
		year            int
	}
	statsYearSums struct{ viewings, rated, ratingSum int }
)

// batchAggregate sums a batch's statistics, each map with its keys in the
// order first met.
type batchAggregate struct {
	years         map[statsYearKey]*statsYearSums
	yearOrder     []statsYearKey
	months        map[statsMonthKey]int
	monthOrder    []statsMonthKey
	ratings       map[statsRatingKey]int
	ratingOrder   []statsRatingKey
	films         map[statsFilmKey]int
	filmOrder     []statsFilmKey
	directors     map[statsDirectorKey]int
	directorOrder []statsDirectorKey
}

// count adds one to m[k], recording a new k in order.
func count[K comparable](m *map[K]int, order *[]K, k K) {
	if *m == nil {
		*m = map[K]int{}
	}
	if (*m)[k] == 0 {
		*order = append(*order, k)
	}
	(*m)[k]++
}

func (a *batchAggregate) addMonth(k statsMonthKey) { count(&a.months, &a.monthOrder, k) }

// add counts rv, of a movie by director, in scope and year.
func (a *batchAggregate) add(scope string, year int, rv domain.Review, director domain.Director) {
	yk := statsYearKey{scope, year}
	if a.years == nil {
		a.years = map[statsYearKey]*statsYearSums{}
	}
	sums := a.years[yk]
	if sums == nil {
		sums = &statsYearSums{}
		a.years[yk] = sums
		a.yearOrder = append(a.yearOrder, yk)
	}
	sums.viewings++
	if !rv.Rating.IsZero() {
		sums.rated++
		sums.ratingSum += rv.Rating.Halves()
		count(&a.ratings, &a.ratingOrder, statsRatingKey{scope, year, rv.Rating.Halves()})
	}
	count(&a.films, &a.filmOrder, statsFilmKey{scope, year, rv.MovieID.UUID()})
	if !director.IsZero() {
		count(&a.directors, &a.directorOrder, statsDirectorKey{scope, director.String(), year})
	}
}

// write adds the sums to the statistics tables: years, months, ratings,
// films (counting the new ones), then the new films into years, and
// directors.
func (a *batchAggregate) write(ctx context.Context, tx *sqlx.Tx) error {
	err := upsertRows(ctx, tx, a.yearOrder, 6, `INSERT INTO stats_years (user_id, year, viewings, films, rated, rating_sum) VALUES `,
		` ON CONFLICT (user_id, year) DO UPDATE SET viewings = viewings + excluded.viewings,
		rated = rated + excluded.rated, rating_sum = rating_sum + excluded.rating_sum`,
		func(k statsYearKey) []any {
			s := a.years[k]
			return []any{[]byte(k.scope), k.year, s.viewings, 0, s.rated, s.ratingSum}
		})
	if err != nil {
		return err
	}
	err = upsertRows(ctx, tx, a.monthOrder, 3, `INSERT INTO stats_months (user_id, month, viewings) VALUES `,
		` ON CONFLICT (user_id, month) DO UPDATE SET viewings = viewings + excluded.viewings`,
		func(k statsMonthKey) []any { return []any{[]byte(k.scope), k.month, a.months[k]} })
	if err != nil {
		return err
	}
	err = upsertRows(ctx, tx, a.ratingOrder, 4, `INSERT INTO stats_ratings (user_id, year, rating_halves, n) VALUES `,
		` ON CONFLICT (user_id, year, rating_halves) DO UPDATE SET n = n + excluded.n`,
		func(k statsRatingKey) []any { return []any{[]byte(k.scope), k.year, k.halves, a.ratings[k]} })
	if err != nil {
		return err
	}
	newFilms := map[statsYearKey]int{}
	var newOrder []statsYearKey
	err = chunks(len(a.filmOrder), 4, func(from, to int) error {
		args := make([]any, 0, 4*(to-from))
		for _, k := range a.filmOrder[from:to] {
			args = append(args, []byte(k.scope), k.year, idArg(k.movie), a.films[k])
		}
		rows, err := tx.QueryContext(ctx, valuesSQL(`INSERT INTO stats_films (user_id, year, movie_id, n) VALUES `, to-from, 4)+
			` ON CONFLICT (user_id, year, movie_id) DO UPDATE SET n = n + excluded.n RETURNING user_id, year, movie_id, n`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				scope, movie []byte
				k            statsFilmKey
				n            int
			)
			if err := rows.Scan(&scope, &k.year, &movie, &n); err != nil {
				return err
			}
			k.scope = string(scope)
			copy(k.movie[:], movie)
			if n == a.films[k] { // none before the batch
				count(&newFilms, &newOrder, statsYearKey{k.scope, k.year})
			}
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	err = upsertRows(ctx, tx, newOrder, 3, `INSERT INTO stats_years (user_id, year, films, viewings, rated, rating_sum) SELECT column1, column2, column3, 0, 0, 0 FROM (VALUES `,
		`) WHERE true ON CONFLICT (user_id, year) DO UPDATE SET films = films + excluded.films`,
		func(k statsYearKey) []any { return []any{[]byte(k.scope), k.year, newFilms[k]} })
	if err != nil {
		return err
	}
	return upsertRows(ctx, tx, a.directorOrder, 4, `INSERT INTO stats_directors (user_id, year, director, n) VALUES `,
		` ON CONFLICT (user_id, year, director) DO UPDATE SET n = n + excluded.n`,
		func(k statsDirectorKey) []any { return []any{[]byte(k.scope), k.year, k.director, a.directors[k]} })
}

// upsertRows runs prefix, a VALUES group of cols placeholders for each of
// keys (its arguments args(key)), and suffix, in chunks.
func upsertRows[K any](ctx context.Context, tx *sqlx.Tx, keys []K, cols int, prefix, suffix string, args func(K) []any) error {
	return chunks(len(keys), cols, func(from, to int) error {
		all := make([]any, 0, cols*(to-from))
		for _, k := range keys[from:to] {
			all = append(all, args(k)...)
		}
		_, err := tx.ExecContext(ctx, valuesSQL(prefix, to-from, cols)+suffix, all...)
		return err
	})
}
