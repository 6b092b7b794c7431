-- moviediary schema, version 8: public profiles, private diaries and diary
-- statistics.
--
-- A user's display name (NULL until they choose one; trimmed, 1 to 50
-- characters, as domain.NewDisplayName makes it) and whether their diary
-- is private (0 or 1). Existing accounts are public and nameless.
ALTER TABLE users ADD COLUMN display_name TEXT
    CHECK (display_name IS NULL OR (trim(display_name) <> '' AND length(display_name) <= 50));
ALTER TABLE users ADD COLUMN private INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1));

-- The private accounts, usually few: what is left out of public reads is
-- found here, not by reading every account.
CREATE INDEX users_private ON users (id) WHERE private = 1;

-- A page of the whole diary or of one movie, read by someone who may not
-- see every diary, leaves out the reviews of private users from the index
-- alone: the two indexes that serve those filters carry user_id last.
DROP INDEX reviews_watched;
CREATE INDEX reviews_watched ON reviews (watched_at, id, user_id);
DROP INDEX reviews_movie_watched;
CREATE INDEX reviews_movie_watched ON reviews (movie_id, watched_at, id, user_id);

-- Diary statistics, kept exact by triggers in the transaction of every
-- write, so that a read costs what the figures' size does, never a walk
-- of the reviews. Every table is keyed by a scope, user_id: a user's own
-- reviews (private or not), or x'' for the whole diary, which is every
-- review whose user is visible to someone signed out (users with no
-- account included; a private account's reviews are taken out of x''
-- when it is made private and put back when it is made public). year is a
-- calendar year (UTC) of watched_at, or 0 for all time. A row whose count
-- falls to zero is deleted, so rows are exactly what the figures list.
--
-- Per scope and year: viewings, distinct films (the count of the scope's
-- stats_films rows that year), rated viewings and the sum of their
-- ratings in half stars.
CREATE TABLE stats_years (
    user_id    BLOB    NOT NULL,
    year       INTEGER NOT NULL,
    viewings   INTEGER NOT NULL,
    films      INTEGER NOT NULL,
    rated      INTEGER NOT NULL,
    rating_sum INTEGER NOT NULL,
    PRIMARY KEY (user_id, year)
) STRICT, WITHOUT ROWID;

-- Viewings per scope and month, month being year * 100 + month (202403).
CREATE TABLE stats_months (
    user_id  BLOB    NOT NULL,
    month    INTEGER NOT NULL,
    viewings INTEGER NOT NULL,
    PRIMARY KEY (user_id, month)
) STRICT, WITHOUT ROWID;

-- Rated viewings per scope, year and rating (half stars).
CREATE TABLE stats_ratings (
    user_id       BLOB    NOT NULL,
    year          INTEGER NOT NULL,
    rating_halves INTEGER NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (user_id, year, rating_halves)
) STRICT, WITHOUT ROWID;

-- Viewings per scope, year and movie: a scope's films that year are its
-- rows, its most viewed ones the first entries of stats_films_top. (A
-- movie's rows are found, when its director changes, from the users who
-- reviewed it in review_counts and their years in stats_years: an index
-- on movie_id would cost every write, scattered as movie IDs are.)
CREATE TABLE stats_films (
    user_id  BLOB    NOT NULL,
    year     INTEGER NOT NULL,
    movie_id BLOB    NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (user_id, year, movie_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX stats_films_top ON stats_films (user_id, year, n DESC, movie_id);

-- Viewings per scope, year and the movie's current director (movies with
-- none do not count); names compare bytewise (BINARY).
CREATE TABLE stats_directors (
    user_id  BLOB    NOT NULL,
    year     INTEGER NOT NULL,
    director TEXT    NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (user_id, year, director)
) STRICT, WITHOUT ROWID;
CREATE INDEX stats_directors_top ON stats_directors (user_id, year, n DESC, director);

-- Backfill: the statistics of the reviews stored so far. The reviews are
-- read three times (films, ratings and months per user); everything else
-- is summed from those rows: all time from the years, the whole diary from
-- the public users, directors from films, years from films and ratings.
-- (The benchmarks' seeding runs this part again on a freshly loaded file,
-- triggers dropped: it starts at the line above and ends before the
-- triggers.)
INSERT INTO stats_films (user_id, year, movie_id, n)
SELECT user_id, CAST(strftime('%Y', watched_at, 'unixepoch') AS INTEGER), movie_id, count(*)
FROM reviews GROUP BY 1, 2, 3;
INSERT INTO stats_films (user_id, year, movie_id, n)
SELECT user_id, 0, movie_id, sum(n) FROM stats_films GROUP BY user_id, movie_id;
INSERT INTO stats_films (user_id, year, movie_id, n)
SELECT x'', year, movie_id, sum(n) FROM stats_films AS f
WHERE NOT EXISTS (SELECT 1 FROM users AS u WHERE u.id = f.user_id AND u.private = 1)
GROUP BY year, movie_id;

INSERT INTO stats_ratings (user_id, year, rating_halves, n)
SELECT user_id, CAST(strftime('%Y', watched_at, 'unixepoch') AS INTEGER), rating_halves, count(*)
FROM reviews WHERE rating_halves IS NOT NULL GROUP BY 1, 2, 3;
INSERT INTO stats_ratings (user_id, year, rating_halves, n)
SELECT user_id, 0, rating_halves, sum(n) FROM stats_ratings GROUP BY user_id, rating_halves;
INSERT INTO stats_ratings (user_id, year, rating_halves, n)
SELECT x'', year, rating_halves, sum(n) FROM stats_ratings AS r
WHERE NOT EXISTS (SELECT 1 FROM users AS u WHERE u.id = r.user_id AND u.private = 1)
GROUP BY year, rating_halves;

INSERT INTO stats_months (user_id, month, viewings)
SELECT user_id, CAST(strftime('%Y%m', watched_at, 'unixepoch') AS INTEGER), count(*)
FROM reviews GROUP BY 1, 2;
INSERT INTO stats_months (user_id, month, viewings)
SELECT x'', month, sum(viewings) FROM stats_months AS m
WHERE NOT EXISTS (SELECT 1 FROM users AS u WHERE u.id = m.user_id AND u.private = 1)
GROUP BY month;

INSERT INTO stats_directors (user_id, year, director, n)
SELECT f.user_id, f.year, m.director, sum(f.n)
FROM stats_films AS f JOIN movies AS m ON m.id = f.movie_id
WHERE m.director IS NOT NULL
GROUP BY f.user_id, f.year, m.director;

INSERT INTO stats_years (user_id, year, viewings, films, rated, rating_sum)
SELECT f.user_id, f.year, sum(f.n), count(*), coalesce(r.rated, 0), coalesce(r.rating_sum, 0)
FROM stats_films AS f
LEFT JOIN (SELECT user_id, year, sum(n) AS rated, sum(n * rating_halves) AS rating_sum
           FROM stats_ratings GROUP BY user_id, year) AS r
       ON r.user_id = f.user_id AND r.year = f.year
GROUP BY f.user_id, f.year;

-- Triggers.
--
-- stats_viewings is a procedure: inserting (scope, movie_id, watched_at,
-- rating_halves, d) into the view adds d (1 or -1) viewings of that
-- movie, watched then, rated so (NULL: not rated), to the scope's
-- statistics of that year and of all time, then deletes the rows the
-- change left at zero. A film counts once in a year when its stats_films
-- row is created, and no more when the row is deleted. The view itself
-- holds nothing.
CREATE VIEW stats_viewings (user_id, movie_id, watched_at, rating_halves, d) AS
    SELECT x'', x'', 0, NULL, 0 WHERE 0;

CREATE TRIGGER stats_viewings_apply INSTEAD OF INSERT ON stats_viewings
BEGIN
    INSERT INTO stats_years (user_id, year, viewings, films, rated, rating_sum)
    SELECT NEW.user_id, p.year, NEW.d, 0, NEW.d * (NEW.rating_halves IS NOT NULL), NEW.d * coalesce(NEW.rating_halves, 0)
    FROM (SELECT 0 AS year UNION ALL SELECT CAST(strftime('%Y', NEW.watched_at, 'unixepoch') AS INTEGER)) AS p
    WHERE true
    ON CONFLICT (user_id, year) DO UPDATE SET viewings = viewings + excluded.viewings,
        rated = rated + excluded.rated, rating_sum = rating_sum + excluded.rating_sum;
    UPDATE stats_years SET films = films + 1
    WHERE NEW.d > 0 AND user_id = NEW.user_id
      AND year IN (0, CAST(strftime('%Y', NEW.watched_at, 'unixepoch') AS INTEGER))
      AND NOT EXISTS (SELECT 1 FROM stats_films AS f
                      WHERE f.user_id = NEW.user_id AND f.year = stats_years.year AND f.movie_id = NEW.movie_id);

    INSERT INTO stats_months (user_id, month, viewings)
    VALUES (NEW.user_id, CAST(strftime('%Y%m', NEW.watched_at, 'unixepoch') AS INTEGER), NEW.d)
    ON CONFLICT (user_id, month) DO UPDATE SET viewings = viewings + excluded.viewings;

    INSERT INTO stats_ratings (user_id, year, rating_halves, n)
    SELECT NEW.user_id, p.year, NEW.rating_halves, NEW.d
    FROM (SELECT 0 AS year UNION ALL SELECT CAST(strftime('%Y', NEW.watched_at, 'unixepoch') AS INTEGER)) AS p
    WHERE NEW.rating_halves IS NOT NULL
    ON CONFLICT (user_id, year, rating_halves) DO UPDATE SET n = n + excluded.n;

    INSERT INTO stats_films (user_id, year, movie_id, n)
    SELECT NEW.user_id, p.year, NEW.movie_id, NEW.d
    FROM (SELECT 0 AS year UNION ALL SELECT CAST(strftime('%Y', NEW.watched_at, 'unixepoch') AS INTEGER)) AS p
    WHERE true
    ON CONFLICT (user_id, year, movie_id) DO UPDATE SET n = n + excluded.n;

    INSERT INTO stats_directors (user_id, year, director, n)
    SELECT NEW.user_id, p.year, m.director, NEW.d
    FROM (SELECT 0 AS year UNION ALL SELECT CAST(strftime('%Y', NEW.watched_at, 'unixepoch') AS INTEGER)) AS p,
         movies AS m
    WHERE m.id = NEW.movie_id AND m.director IS NOT NULL
    ON CONFLICT (user_id, year, director) DO UPDATE SET n = n + excluded.n;

    -- Only taking a viewing away leaves zeros.
    UPDATE stats_years SET films = films - 1
    WHERE NEW.d < 0 AND user_id = NEW.user_id
      AND year IN (0, CAST(strftime('%Y', NEW.watched_at, 'unixepoch') AS INTEGER))
      AND EXISTS (SELECT 1 FROM stats_films AS f
                  WHERE f.user_id = NEW.user_id AND f.year = stats_years.year AND f.movie_id = NEW.movie_id AND f.n = 0);
    DELETE FROM stats_films
    WHERE NEW.d < 0 AND user_id = NEW.user_id AND movie_id = NEW.movie_id AND n = 0
      AND year IN (0, CAST(strftime('%Y', NEW.watched_at, 'unixepoch') AS INTEGER));
    DELETE FROM stats_directors
    WHERE NEW.d < 0 AND user_id = NEW.user_id AND n = 0
      AND year IN (0, CAST(strftime('%Y', NEW.watched_at, 'unixepoch') AS INTEGER))
      AND director = (SELECT director FROM movies WHERE id = NEW.movie_id);
    DELETE FROM stats_ratings
    WHERE NEW.d < 0 AND user_id = NEW.user_id AND rating_halves = NEW.rating_halves AND n = 0
      AND year IN (0, CAST(strftime('%Y', NEW.watched_at, 'unixepoch') AS INTEGER));
    DELETE FROM stats_months
    WHERE NEW.d < 0 AND user_id = NEW.user_id AND viewings = 0
      AND month = CAST(strftime('%Y%m', NEW.watched_at, 'unixepoch') AS INTEGER);
    DELETE FROM stats_years
    WHERE NEW.d < 0 AND user_id = NEW.user_id AND viewings = 0
      AND year IN (0, CAST(strftime('%Y', NEW.watched_at, 'unixepoch') AS INTEGER));
END;

-- A review counts in its user's scope, and in the whole diary unless its
-- user's account is private. An insert counts unless an import batch has
-- paused the per-review triggers (review_counts_paused, 0007): the batch
-- then adds its statistics itself, with one statement a table. An update
-- that changes what counts takes the old review away and adds the new one
-- (an edited rating or date, a review moved by a movie merge); a delete
-- takes it away.
CREATE TRIGGER reviews_stats_insert AFTER INSERT ON reviews
WHEN (SELECT paused FROM review_counts_paused) = 0
BEGIN
    INSERT INTO stats_viewings (user_id, movie_id, watched_at, rating_halves, d)
    SELECT NEW.user_id, NEW.movie_id, NEW.watched_at, NEW.rating_halves, 1
    UNION ALL
    SELECT x'', NEW.movie_id, NEW.watched_at, NEW.rating_halves, 1
    WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.user_id AND private = 1);
END;

CREATE TRIGGER reviews_stats_update AFTER UPDATE OF movie_id, user_id, rating_halves, watched_at ON reviews
WHEN OLD.movie_id IS NOT NEW.movie_id OR OLD.user_id IS NOT NEW.user_id
  OR OLD.rating_halves IS NOT NEW.rating_halves OR OLD.watched_at IS NOT NEW.watched_at
BEGIN
    INSERT INTO stats_viewings (user_id, movie_id, watched_at, rating_halves, d)
    SELECT OLD.user_id, OLD.movie_id, OLD.watched_at, OLD.rating_halves, -1
    UNION ALL
    SELECT x'', OLD.movie_id, OLD.watched_at, OLD.rating_halves, -1
    WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id AND private = 1)
    UNION ALL
    SELECT NEW.user_id, NEW.movie_id, NEW.watched_at, NEW.rating_halves, 1
    UNION ALL
    SELECT x'', NEW.movie_id, NEW.watched_at, NEW.rating_halves, 1
    WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.user_id AND private = 1);
END;

CREATE TRIGGER reviews_stats_delete AFTER DELETE ON reviews
BEGIN
    INSERT INTO stats_viewings (user_id, movie_id, watched_at, rating_halves, d)
    SELECT OLD.user_id, OLD.movie_id, OLD.watched_at, OLD.rating_halves, -1
    UNION ALL
    SELECT x'', OLD.movie_id, OLD.watched_at, OLD.rating_halves, -1
    WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id AND private = 1);
END;

-- A movie's director set or changed later: its viewings move, in every
-- scope and year, from the old director's rows to the new one's. The
-- movie's rows are looked up one by one: per user who reviewed it (and
-- the whole diary), per year that scope has; CROSS JOIN keeps that order. (A movie
-- is deleted only by a merge, after its reviews moved to the other movie:
-- the update trigger of reviews has moved their statistics by then, and
-- the foreign key of reviews refuses to delete a movie still reviewed, so
-- a deleted movie never has statistics left.)
CREATE TRIGGER movies_stats_director AFTER UPDATE OF director ON movies
WHEN OLD.director IS NOT NEW.director
BEGIN
    INSERT INTO stats_directors (user_id, year, director, n)
    SELECT f.user_id, f.year, OLD.director, -f.n
    FROM (SELECT user_id FROM review_counts WHERE movie_id = OLD.id AND user_id <> x'' AND n > 0
          UNION ALL SELECT x'') AS s
    CROSS JOIN stats_years AS y ON y.user_id = s.user_id
    CROSS JOIN stats_films AS f ON f.user_id = y.user_id AND f.year = y.year AND f.movie_id = OLD.id
    WHERE OLD.director IS NOT NULL
    ON CONFLICT (user_id, year, director) DO UPDATE SET n = n + excluded.n;
    DELETE FROM stats_directors
    WHERE OLD.director IS NOT NULL AND director = OLD.director AND n = 0
      AND (user_id, year) IN (
          SELECT y.user_id, y.year
          FROM (SELECT user_id FROM review_counts WHERE movie_id = OLD.id AND user_id <> x'' AND n > 0
                UNION ALL SELECT x'') AS s
          CROSS JOIN stats_years AS y ON y.user_id = s.user_id);
    INSERT INTO stats_directors (user_id, year, director, n)
    SELECT f.user_id, f.year, NEW.director, f.n
    FROM (SELECT user_id FROM review_counts WHERE movie_id = NEW.id AND user_id <> x'' AND n > 0
          UNION ALL SELECT x'') AS s
    CROSS JOIN stats_years AS y ON y.user_id = s.user_id
    CROSS JOIN stats_films AS f ON f.user_id = y.user_id AND f.year = y.year AND f.movie_id = NEW.id
    WHERE NEW.director IS NOT NULL
    ON CONFLICT (user_id, year, director) DO UPDATE SET n = n + excluded.n;
END;

-- stats_publish is a procedure: inserting (user_id, d) adds d (1 or -1)
-- times the user's statistics to the whole diary's (x''). Taking them
-- away first deletes the whole diary's rows that hold the user's alone
-- (equal counts: in a diary of one public user, every row), then
-- subtracts from the rest; so no row is written twice. The whole diary's
-- distinct films are counted again at the end, from its stats_films rows.
CREATE VIEW stats_publish (user_id, d) AS SELECT x'', 0 WHERE 0;

CREATE TRIGGER stats_publish_apply INSTEAD OF INSERT ON stats_publish
BEGIN
    DELETE FROM stats_years WHERE NEW.d < 0 AND user_id = x''
      AND (year, viewings) IN (SELECT year, viewings FROM stats_years WHERE user_id = NEW.user_id);
    INSERT INTO stats_years (user_id, year, viewings, films, rated, rating_sum)
    SELECT x'', u.year, NEW.d * u.viewings, 0, NEW.d * u.rated, NEW.d * u.rating_sum
    FROM stats_years AS u
    WHERE u.user_id = NEW.user_id AND (NEW.d > 0
      OR EXISTS (SELECT 1 FROM stats_years AS x WHERE x.user_id = x'' AND x.year = u.year))
    ON CONFLICT (user_id, year) DO UPDATE SET viewings = viewings + excluded.viewings,
        rated = rated + excluded.rated, rating_sum = rating_sum + excluded.rating_sum;

    DELETE FROM stats_months WHERE NEW.d < 0 AND user_id = x''
      AND (month, viewings) IN (SELECT month, viewings FROM stats_months WHERE user_id = NEW.user_id);
    INSERT INTO stats_months (user_id, month, viewings)
    SELECT x'', u.month, NEW.d * u.viewings
    FROM stats_months AS u
    WHERE u.user_id = NEW.user_id AND (NEW.d > 0
      OR EXISTS (SELECT 1 FROM stats_months AS x WHERE x.user_id = x'' AND x.month = u.month))
    ON CONFLICT (user_id, month) DO UPDATE SET viewings = viewings + excluded.viewings;

    DELETE FROM stats_ratings WHERE NEW.d < 0 AND user_id = x''
      AND (year, rating_halves, n) IN (SELECT year, rating_halves, n FROM stats_ratings WHERE user_id = NEW.user_id);
    INSERT INTO stats_ratings (user_id, year, rating_halves, n)
    SELECT x'', u.year, u.rating_halves, NEW.d * u.n
    FROM stats_ratings AS u
    WHERE u.user_id = NEW.user_id AND (NEW.d > 0
      OR EXISTS (SELECT 1 FROM stats_ratings AS x WHERE x.user_id = x'' AND x.year = u.year AND x.rating_halves = u.rating_halves))
    ON CONFLICT (user_id, year, rating_halves) DO UPDATE SET n = n + excluded.n;

    DELETE FROM stats_films WHERE NEW.d < 0 AND user_id = x''
      AND (year, movie_id, n) IN (SELECT year, movie_id, n FROM stats_films WHERE user_id = NEW.user_id);
    INSERT INTO stats_films (user_id, year, movie_id, n)
    SELECT x'', u.year, u.movie_id, NEW.d * u.n
    FROM stats_films AS u
    WHERE u.user_id = NEW.user_id AND (NEW.d > 0
      OR EXISTS (SELECT 1 FROM stats_films AS x WHERE x.user_id = x'' AND x.year = u.year AND x.movie_id = u.movie_id))
    ON CONFLICT (user_id, year, movie_id) DO UPDATE SET n = n + excluded.n;

    DELETE FROM stats_directors WHERE NEW.d < 0 AND user_id = x''
      AND (year, director, n) IN (SELECT year, director, n FROM stats_directors WHERE user_id = NEW.user_id);
    INSERT INTO stats_directors (user_id, year, director, n)
    SELECT x'', u.year, u.director, NEW.d * u.n
    FROM stats_directors AS u
    WHERE u.user_id = NEW.user_id AND (NEW.d > 0
      OR EXISTS (SELECT 1 FROM stats_directors AS x WHERE x.user_id = x'' AND x.year = u.year AND x.director = u.director))
    ON CONFLICT (user_id, year, director) DO UPDATE SET n = n + excluded.n;

    UPDATE stats_years
    SET films = (SELECT count(*) FROM stats_films AS f WHERE f.user_id = x'' AND f.year = stats_years.year)
    WHERE user_id = x'' AND year IN (SELECT year FROM stats_years WHERE user_id = NEW.user_id);
END;

-- An account made private leaves the whole diary, made public joins it
-- again; an account created private (its reviews may predate it, since
-- reviews.user_id is no foreign key) or deleted while private likewise.
CREATE TRIGGER users_stats_private AFTER UPDATE OF private ON users
WHEN OLD.private <> NEW.private
BEGIN
    INSERT INTO stats_publish (user_id, d) VALUES (NEW.id, CASE WHEN NEW.private = 1 THEN -1 ELSE 1 END);
END;

CREATE TRIGGER users_stats_insert AFTER INSERT ON users
WHEN NEW.private = 1
BEGIN
    INSERT INTO stats_publish (user_id, d) VALUES (NEW.id, -1);
END;

CREATE TRIGGER users_stats_delete AFTER DELETE ON users
WHEN OLD.private = 1
BEGIN
    INSERT INTO stats_publish (user_id, d) VALUES (OLD.id, 1);
END;
