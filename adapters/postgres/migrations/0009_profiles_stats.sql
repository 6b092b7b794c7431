-- moviediary schema, version 9: public profiles and private diaries, diary
-- statistics kept exact by triggers, and notifications for the caches of
-- diary reads.

-- Profiles. A display name is 1 to 50 characters, trimmed (NULL: none
-- chosen). A private diary is left out of every read for anyone but its
-- owner; the readers look the private accounts up through
-- users_private_idx, which holds only them. Both columns are added without
-- rewriting the table: the default is a constant and the CHECK only reads.
ALTER TABLE users
    ADD COLUMN display_name text CHECK (display_name IS NULL OR (
        btrim(display_name) <> '' AND display_name = btrim(display_name) AND char_length(display_name) <= 50)),
    ADD COLUMN private boolean NOT NULL DEFAULT false;
CREATE INDEX users_private_idx ON users (id) WHERE private;

-- Statistics. Every figure of StatsReader.DiaryStats is read from these
-- tables, never from reviews, so a read costs what the figures' size does.
-- Each row belongs to a scope, user_id: one user's diary, or, under the nil
-- UUID, the whole diary — the reviews of every user whose account is not
-- private (a user with no account is public). year is the UTC year of
-- watched_at; 0 in review_stats_films, review_stats_years and
-- review_stats_directors means all time. A count that reaches 0 has its row
-- deleted, so a row means "at least one".
--
-- review_stats_months: viewings per month, and how many were rated each
-- half-star rating (halves_N: rated N half stars; unrated viewings count in
-- viewings only). Every insert of a month touches its row, so the rows are
-- spread over 16 slots by the review ID's last byte, as review_counts are;
-- a figure is the sum of a month's slots.
CREATE TABLE review_stats_months (
    user_id   uuid     NOT NULL,
    year      integer  NOT NULL,
    month     smallint NOT NULL CHECK (month BETWEEN 1 AND 12),
    slot      smallint NOT NULL CHECK (slot BETWEEN 0 AND 15),
    viewings  integer  NOT NULL,
    halves_0  integer  NOT NULL,
    halves_1  integer  NOT NULL,
    halves_2  integer  NOT NULL,
    halves_3  integer  NOT NULL,
    halves_4  integer  NOT NULL,
    halves_5  integer  NOT NULL,
    halves_6  integer  NOT NULL,
    halves_7  integer  NOT NULL,
    halves_8  integer  NOT NULL,
    halves_9  integer  NOT NULL,
    halves_10 integer  NOT NULL,
    PRIMARY KEY (user_id, year, month, slot)
) WITH (fillfactor = 80);

-- review_stats_films: viewings per film, per year and for all time. A
-- scope's films of a year are its rows; the most viewed are the first
-- entries of review_stats_films_top_idx (ties by movie ID, in byte order).
-- The primary key leads with the movie, for the director trigger.
CREATE TABLE review_stats_films (
    movie_id uuid    NOT NULL,
    user_id  uuid    NOT NULL,
    year     integer NOT NULL,
    n        integer NOT NULL,
    PRIMARY KEY (movie_id, user_id, year)
);
CREATE INDEX review_stats_films_top_idx ON review_stats_films (user_id, year, n DESC, movie_id);

-- review_stats_years: distinct films per year and for all time — the rows
-- review_stats_films has — counted as those rows come and go, spread over
-- 16 slots by the movie ID's last byte.
CREATE TABLE review_stats_years (
    user_id uuid     NOT NULL,
    year    integer  NOT NULL,
    slot    smallint NOT NULL CHECK (slot BETWEEN 0 AND 15),
    films   integer  NOT NULL,
    PRIMARY KEY (user_id, year, slot)
) WITH (fillfactor = 80);

-- review_stats_directors: viewings per director of the viewed film as the
-- movie row names it now (films without one do not count), per year and
-- for all time. Names compare and sort in byte order (COLLATE "C"), the
-- order ties are broken in.
CREATE TABLE review_stats_directors (
    user_id  uuid    NOT NULL,
    year     integer NOT NULL,
    director text    COLLATE "C" NOT NULL,
    n        integer NOT NULL,
    PRIMARY KEY (user_id, year, director)
);
CREATE INDEX review_stats_directors_top_idx ON review_stats_directors (user_id, year, n DESC, director);

-- The triggers turn the rows a statement inserted, updated or deleted into
-- deltas, netted per (user, movie, year, month, slot, rating) so that an
-- update changing none of these (a comment edited) writes nothing, and
-- review_stats_apply adds them to every table.
CREATE TYPE review_stats_delta AS (
    user_id       uuid,
    movie_id      uuid,
    year          integer,
    month         smallint,
    slot          smallint,
    rating_halves smallint,
    n             integer
);

-- review_stats_scoped returns each delta twice: for its user's scope, and
-- for the whole diary's unless the user is among hidden (private).
CREATE FUNCTION review_stats_scoped(d review_stats_delta[], hidden uuid[]) RETURNS SETOF review_stats_delta
LANGUAGE sql IMMUTABLE AS $$
    SELECT s.user_id, x.movie_id, x.year, x.month, x.slot, x.rating_halves, x.n
      FROM unnest(d) AS x,
           LATERAL (VALUES (x.user_id),
                           (CASE WHEN x.user_id = ANY (hidden) THEN NULL
                                 ELSE '00000000-0000-0000-0000-000000000000'::uuid END)) AS s (user_id)
     WHERE s.user_id IS NOT NULL
$$;

-- review_stats_apply adds the deltas d to the statistics. Locks are taken
-- in one global order, whatever the writer: the movies whose counts change
-- (FOR SHARE, in ID order: a concurrent change of a movie's director waits
-- for this transaction, or this one for it, so each sees the other's
-- counts), then the tables' rows table by table — months, films, years,
-- directors — each in primary-key order, so concurrent writers cannot
-- deadlock on them. A row whose count reaches 0 is deleted; a count below 0
-- means the statistics and the reviews disagree, and the statement fails
-- rather than store it.
--
-- Its statements keep their generic plans (plan_cache_mode): with the
-- deltas as a parameter PostgreSQL would otherwise plan all five anew on
-- every call, which costs several times what running them does for the
-- one-row insert of a logged viewing (about 2 ms against 0.5 ms).
CREATE FUNCTION review_stats_apply(d review_stats_delta[]) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    hidden uuid[];
    zeros  bigint;
    bad    bigint;
BEGIN
    IF coalesce(cardinality(d), 0) = 0 THEN
        RETURN;
    END IF;
    hidden := ARRAY(SELECT id FROM users
                     WHERE private AND id IN (SELECT DISTINCT x.user_id FROM unnest(d) AS x));

    PERFORM FROM movies
     WHERE id IN (SELECT x.movie_id FROM unnest(d) AS x
                   GROUP BY x.user_id, x.movie_id, x.year HAVING sum(x.n) <> 0)
     ORDER BY id FOR SHARE;

    -- Months: viewings and ratings.
    WITH k AS (
        SELECT x.user_id, x.year, x.month, x.slot, x.rating_halves, sum(x.n)::integer AS n
          FROM review_stats_scoped(d, hidden) AS x
         GROUP BY 1, 2, 3, 4, 5 HAVING sum(x.n) <> 0
    ), up AS (
        INSERT INTO review_stats_months AS c (user_id, year, month, slot, viewings,
            halves_0, halves_1, halves_2, halves_3, halves_4, halves_5, halves_6, halves_7, halves_8, halves_9, halves_10)
        SELECT user_id, year, month, slot, sum(n),
               sum(CASE rating_halves WHEN 0 THEN n ELSE 0 END), sum(CASE rating_halves WHEN 1 THEN n ELSE 0 END),
               sum(CASE rating_halves WHEN 2 THEN n ELSE 0 END), sum(CASE rating_halves WHEN 3 THEN n ELSE 0 END),
               sum(CASE rating_halves WHEN 4 THEN n ELSE 0 END), sum(CASE rating_halves WHEN 5 THEN n ELSE 0 END),
               sum(CASE rating_halves WHEN 6 THEN n ELSE 0 END), sum(CASE rating_halves WHEN 7 THEN n ELSE 0 END),
               sum(CASE rating_halves WHEN 8 THEN n ELSE 0 END), sum(CASE rating_halves WHEN 9 THEN n ELSE 0 END),
               sum(CASE rating_halves WHEN 10 THEN n ELSE 0 END)
          FROM k
         GROUP BY user_id, year, month, slot
         ORDER BY user_id, year, month, slot
        ON CONFLICT (user_id, year, month, slot) DO UPDATE SET
            viewings = c.viewings + EXCLUDED.viewings,
            halves_0 = c.halves_0 + EXCLUDED.halves_0, halves_1 = c.halves_1 + EXCLUDED.halves_1,
            halves_2 = c.halves_2 + EXCLUDED.halves_2, halves_3 = c.halves_3 + EXCLUDED.halves_3,
            halves_4 = c.halves_4 + EXCLUDED.halves_4, halves_5 = c.halves_5 + EXCLUDED.halves_5,
            halves_6 = c.halves_6 + EXCLUDED.halves_6, halves_7 = c.halves_7 + EXCLUDED.halves_7,
            halves_8 = c.halves_8 + EXCLUDED.halves_8, halves_9 = c.halves_9 + EXCLUDED.halves_9,
            halves_10 = c.halves_10 + EXCLUDED.halves_10
        RETURNING c.viewings,
                  least(c.halves_0, c.halves_1, c.halves_2, c.halves_3, c.halves_4, c.halves_5,
                        c.halves_6, c.halves_7, c.halves_8, c.halves_9, c.halves_10) AS low
    )
    SELECT count(*) FILTER (WHERE viewings = 0), count(*) FILTER (WHERE viewings < 0 OR low < 0)
      INTO zeros, bad FROM up;
    IF bad > 0 THEN
        RAISE EXCEPTION 'review_stats_months would count below zero: the statistics disagree with the reviews';
    END IF;
    IF zeros > 0 THEN
        DELETE FROM review_stats_months AS c
         USING (SELECT DISTINCT x.user_id, x.year, x.month, x.slot FROM review_stats_scoped(d, hidden) AS x WHERE x.n < 0) AS k
         WHERE c.user_id = k.user_id AND c.year = k.year AND c.month = k.month AND c.slot = k.slot AND c.viewings = 0;
    END IF;

    -- Films, and the distinct films of the years: a film's row that
    -- appears adds one to its scope's year, one that goes takes one off.
    WITH f AS (
        SELECT x.movie_id, x.user_id, y.year, sum(x.n)::integer AS n
          FROM review_stats_scoped(d, hidden) AS x, LATERAL (VALUES (x.year), (0)) AS y (year)
         GROUP BY 1, 2, 3 HAVING sum(x.n) <> 0
    ), up AS (
        INSERT INTO review_stats_films AS c (movie_id, user_id, year, n)
        SELECT movie_id, user_id, year, n FROM f ORDER BY movie_id, user_id, year
        ON CONFLICT (movie_id, user_id, year) DO UPDATE SET n = c.n + EXCLUDED.n
        RETURNING c.movie_id, c.user_id, c.year, c.n
    ), seen AS (
        SELECT up.user_id, up.year, (get_byte(uuid_send(up.movie_id), 15) % 16)::smallint AS slot,
               sum(CASE WHEN f.n > 0 AND up.n = f.n THEN 1 WHEN up.n = 0 THEN -1 ELSE 0 END)::integer AS films
          FROM up JOIN f USING (movie_id, user_id, year)
         GROUP BY 1, 2, 3
    ), yr AS (
        INSERT INTO review_stats_years AS c (user_id, year, slot, films)
        SELECT user_id, year, slot, films FROM seen WHERE films <> 0 ORDER BY user_id, year, slot
        ON CONFLICT (user_id, year, slot) DO UPDATE SET films = c.films + EXCLUDED.films
        RETURNING c.films
    )
    SELECT (SELECT count(*) FROM up WHERE n = 0) + (SELECT count(*) FROM yr WHERE films = 0),
           (SELECT count(*) FROM up WHERE n < 0) + (SELECT count(*) FROM yr WHERE films < 0)
      INTO zeros, bad;
    IF bad > 0 THEN
        RAISE EXCEPTION 'review_stats_films would count below zero: the statistics disagree with the reviews';
    END IF;
    IF zeros > 0 THEN
        DELETE FROM review_stats_films AS c
         USING (SELECT DISTINCT x.movie_id, x.user_id, y.year
                  FROM review_stats_scoped(d, hidden) AS x, LATERAL (VALUES (x.year), (0)) AS y (year)
                 WHERE x.n < 0) AS k
         WHERE c.movie_id = k.movie_id AND c.user_id = k.user_id AND c.year = k.year AND c.n = 0;
        DELETE FROM review_stats_years AS c
         USING (SELECT DISTINCT x.user_id, y.year, (get_byte(uuid_send(x.movie_id), 15) % 16)::smallint AS slot
                  FROM review_stats_scoped(d, hidden) AS x, LATERAL (VALUES (x.year), (0)) AS y (year)
                 WHERE x.n < 0) AS k
         WHERE c.user_id = k.user_id AND c.year = k.year AND c.slot = k.slot AND c.films = 0;
    END IF;

    -- Directors, by the movies' current director.
    WITH dd AS (
        SELECT x.user_id, y.year, m.director, sum(x.n)::integer AS n
          FROM review_stats_scoped(d, hidden) AS x
          JOIN movies AS m ON m.id = x.movie_id,
               LATERAL (VALUES (x.year), (0)) AS y (year)
         WHERE m.director IS NOT NULL
         GROUP BY 1, 2, 3 HAVING sum(x.n) <> 0
    ), up AS (
        INSERT INTO review_stats_directors AS c (user_id, year, director, n)
        SELECT user_id, year, director, n FROM dd ORDER BY user_id, year, director COLLATE "C"
        ON CONFLICT (user_id, year, director) DO UPDATE SET n = c.n + EXCLUDED.n
        RETURNING c.n
    )
    SELECT count(*) FILTER (WHERE n = 0), count(*) FILTER (WHERE n < 0) INTO zeros, bad FROM up;
    IF bad > 0 THEN
        RAISE EXCEPTION 'review_stats_directors would count below zero: the statistics disagree with the reviews';
    END IF;
    IF zeros > 0 THEN
        DELETE FROM review_stats_directors AS c
         USING (SELECT DISTINCT x.user_id, y.year, m.director COLLATE "C" AS director
                  FROM review_stats_scoped(d, hidden) AS x
                  JOIN movies AS m ON m.id = x.movie_id,
                       LATERAL (VALUES (x.year), (0)) AS y (year)
                 WHERE x.n < 0 AND m.director IS NOT NULL) AS k
         WHERE c.user_id = k.user_id AND c.year = k.year AND c.director = k.director AND c.n = 0;
    END IF;
END
$$;

-- The reviews' statement triggers. An UPDATE trigger with transition
-- tables cannot name columns, so every update comes here and is netted:
-- only a change of movie_id, user_id, rating_halves, watched_at (or id,
-- which picks the month's slot) leaves deltas.
CREATE FUNCTION review_stats_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM review_stats_apply(ARRAY(
            SELECT ROW(user_id, movie_id, year, month, slot, rating_halves, count(*))::review_stats_delta
              FROM (SELECT user_id, movie_id,
                           extract(year FROM watched_at AT TIME ZONE 'UTC')::integer AS year,
                           extract(month FROM watched_at AT TIME ZONE 'UTC')::smallint AS month,
                           (get_byte(uuid_send(id), 15) % 16)::smallint AS slot, rating_halves
                      FROM new_rows) AS r
             GROUP BY user_id, movie_id, year, month, slot, rating_halves));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM review_stats_apply(ARRAY(
            SELECT ROW(user_id, movie_id, year, month, slot, rating_halves, sum(n))::review_stats_delta
              FROM (SELECT user_id, movie_id,
                           extract(year FROM watched_at AT TIME ZONE 'UTC')::integer AS year,
                           extract(month FROM watched_at AT TIME ZONE 'UTC')::smallint AS month,
                           (get_byte(uuid_send(id), 15) % 16)::smallint AS slot, rating_halves, 1 AS n
                      FROM new_rows
                    UNION ALL
                    SELECT user_id, movie_id,
                           extract(year FROM watched_at AT TIME ZONE 'UTC')::integer,
                           extract(month FROM watched_at AT TIME ZONE 'UTC')::smallint,
                           (get_byte(uuid_send(id), 15) % 16)::smallint, rating_halves, -1
                      FROM old_rows) AS r
             GROUP BY user_id, movie_id, year, month, slot, rating_halves
            HAVING sum(n) <> 0));
    ELSE
        PERFORM review_stats_apply(ARRAY(
            SELECT ROW(user_id, movie_id, year, month, slot, rating_halves, -count(*))::review_stats_delta
              FROM (SELECT user_id, movie_id,
                           extract(year FROM watched_at AT TIME ZONE 'UTC')::integer AS year,
                           extract(month FROM watched_at AT TIME ZONE 'UTC')::smallint AS month,
                           (get_byte(uuid_send(id), 15) % 16)::smallint AS slot, rating_halves
                      FROM old_rows) AS r
             GROUP BY user_id, movie_id, year, month, slot, rating_halves));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER reviews_stats_inserted
    AFTER INSERT ON reviews
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION review_stats_changed();
CREATE TRIGGER reviews_stats_updated
    AFTER UPDATE ON reviews
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION review_stats_changed();
CREATE TRIGGER reviews_stats_deleted
    AFTER DELETE ON reviews
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION review_stats_changed();

-- A TRUNCATE of the reviews (bulk reloads) empties the statistics too.
CREATE FUNCTION review_stats_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE review_stats_months, review_stats_films, review_stats_years, review_stats_directors;
    RETURN NULL;
END
$$;

CREATE TRIGGER reviews_stats_truncated
    AFTER TRUNCATE ON reviews
    FOR EACH STATEMENT EXECUTE FUNCTION review_stats_truncated();

-- A movie's director set, changed or removed: the viewings of the movie
-- move from the old director's rows to the new one's, in every scope and
-- year the movie has viewings in (its review_stats_films rows). Reviews
-- inserted or moved meanwhile lock the movie FOR SHARE in
-- review_stats_apply, so they either commit before this update takes the
-- row, and their counts are here, or wait for it and read the new
-- director. Movies are deleted only without reviews (a merge moves them
-- first), so their rows are gone already.
CREATE FUNCTION review_stats_director_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    zeros bigint;
    bad   bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
                    WHERE o.director IS DISTINCT FROM n.director) THEN
        RETURN NULL;
    END IF;
    WITH changed AS (
        SELECT o.id, o.director AS old_director, n.director AS new_director
          FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
         WHERE o.director IS DISTINCT FROM n.director
    ), dd AS (
        SELECT f.user_id, f.year, c.director, sum(f.n * c.sign)::integer AS n
          FROM changed AS ch
          JOIN review_stats_films AS f ON f.movie_id = ch.id,
               LATERAL (VALUES (ch.old_director, -1), (ch.new_director, 1)) AS c (director, sign)
         WHERE c.director IS NOT NULL
         GROUP BY 1, 2, 3 HAVING sum(f.n * c.sign) <> 0
    ), up AS (
        INSERT INTO review_stats_directors AS c (user_id, year, director, n)
        SELECT user_id, year, director, n FROM dd ORDER BY user_id, year, director COLLATE "C"
        ON CONFLICT (user_id, year, director) DO UPDATE SET n = c.n + EXCLUDED.n
        RETURNING c.n
    )
    SELECT count(*) FILTER (WHERE n = 0), count(*) FILTER (WHERE n < 0) INTO zeros, bad FROM up;
    IF bad > 0 THEN
        RAISE EXCEPTION 'review_stats_directors would count below zero: the statistics disagree with the reviews';
    END IF;
    IF zeros > 0 THEN
        DELETE FROM review_stats_directors AS c
         USING old_rows AS o, review_stats_films AS f
         WHERE f.movie_id = o.id AND c.user_id = f.user_id AND c.year = f.year
           AND c.director = o.director COLLATE "C" AND c.n = 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER movies_stats_director_changed
    AFTER UPDATE ON movies
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION review_stats_director_changed();

-- A diary made private leaves the whole diary's statistics, one made
-- public joins them: the user's rows are subtracted from or added to the
-- whole diary's, table by table in primary-key order, films appearing or
-- going counted in the years as review_stats_apply counts them. It is a
-- rare change whose cost is the size of the user's statistics. A new
-- account that is private at once leaves the whole diary too.
--
-- What the user's rows say must not change meanwhile:
--   - the reviews are locked against writers (SHARE): a writer that
--     started before read the account as it was and has committed by the
--     time the lock is granted, so its counts are in the user's rows read
--     here; one that starts after waits for this transaction and reads the
--     account as it is now;
--   - the movies the user viewed are locked FOR SHARE, so that no
--     director of theirs changes while their viewings move: the directors
--     are counted from the user's films and the movies' current directors.
--     They are locked before the reviews too, so that a transaction
--     changing a director and then writing reviews (SaveViewing attaching
--     an IMDb ID) never waits for this one while this one waits for it.
-- Locking the movies table instead would deadlock with SaveViewing's
-- statement, which holds it before it waits for the reviews.
CREATE FUNCTION review_stats_privacy_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    sign  integer := CASE WHEN NEW.private THEN -1 ELSE 1 END;
    zeros bigint;
    bad   bigint;
BEGIN
    PERFORM FROM movies
     WHERE id IN (SELECT movie_id FROM review_stats_films WHERE user_id = NEW.id AND year = 0)
     ORDER BY id FOR SHARE;
    LOCK TABLE reviews IN SHARE MODE;
    -- The films the user viewed are now final; lock those that came
    -- meanwhile.
    PERFORM FROM movies
     WHERE id IN (SELECT movie_id FROM review_stats_films WHERE user_id = NEW.id AND year = 0)
     ORDER BY id FOR SHARE;

    WITH up AS (
        INSERT INTO review_stats_months AS c (user_id, year, month, slot, viewings,
            halves_0, halves_1, halves_2, halves_3, halves_4, halves_5, halves_6, halves_7, halves_8, halves_9, halves_10)
        SELECT '00000000-0000-0000-0000-000000000000'::uuid, year, month, slot, sign * viewings,
               sign * halves_0, sign * halves_1, sign * halves_2, sign * halves_3, sign * halves_4, sign * halves_5,
               sign * halves_6, sign * halves_7, sign * halves_8, sign * halves_9, sign * halves_10
          FROM review_stats_months WHERE user_id = NEW.id
         ORDER BY year, month, slot
        ON CONFLICT (user_id, year, month, slot) DO UPDATE SET
            viewings = c.viewings + EXCLUDED.viewings,
            halves_0 = c.halves_0 + EXCLUDED.halves_0, halves_1 = c.halves_1 + EXCLUDED.halves_1,
            halves_2 = c.halves_2 + EXCLUDED.halves_2, halves_3 = c.halves_3 + EXCLUDED.halves_3,
            halves_4 = c.halves_4 + EXCLUDED.halves_4, halves_5 = c.halves_5 + EXCLUDED.halves_5,
            halves_6 = c.halves_6 + EXCLUDED.halves_6, halves_7 = c.halves_7 + EXCLUDED.halves_7,
            halves_8 = c.halves_8 + EXCLUDED.halves_8, halves_9 = c.halves_9 + EXCLUDED.halves_9,
            halves_10 = c.halves_10 + EXCLUDED.halves_10
        RETURNING c.viewings,
                  least(c.halves_0, c.halves_1, c.halves_2, c.halves_3, c.halves_4, c.halves_5,
                        c.halves_6, c.halves_7, c.halves_8, c.halves_9, c.halves_10) AS low
    )
    SELECT count(*) FILTER (WHERE viewings = 0), count(*) FILTER (WHERE viewings < 0 OR low < 0)
      INTO zeros, bad FROM up;
    IF bad > 0 THEN
        RAISE EXCEPTION 'review_stats_months would count below zero: the statistics disagree with the reviews';
    END IF;
    IF zeros > 0 THEN
        DELETE FROM review_stats_months AS c
         WHERE c.user_id = '00000000-0000-0000-0000-000000000000'::uuid AND c.viewings = 0;
    END IF;

    WITH f AS (
        SELECT movie_id, year, sign * n AS n FROM review_stats_films WHERE user_id = NEW.id
    ), up AS (
        INSERT INTO review_stats_films AS c (movie_id, user_id, year, n)
        SELECT movie_id, '00000000-0000-0000-0000-000000000000'::uuid, year, n FROM f ORDER BY movie_id, year
        ON CONFLICT (movie_id, user_id, year) DO UPDATE SET n = c.n + EXCLUDED.n
        RETURNING c.movie_id, c.year, c.n
    ), seen AS (
        SELECT up.year, (get_byte(uuid_send(up.movie_id), 15) % 16)::smallint AS slot,
               sum(CASE WHEN f.n > 0 AND up.n = f.n THEN 1 WHEN up.n = 0 THEN -1 ELSE 0 END)::integer AS films
          FROM up JOIN f USING (movie_id, year)
         GROUP BY 1, 2
    ), yr AS (
        INSERT INTO review_stats_years AS c (user_id, year, slot, films)
        SELECT '00000000-0000-0000-0000-000000000000'::uuid, year, slot, films FROM seen
         WHERE films <> 0 ORDER BY year, slot
        ON CONFLICT (user_id, year, slot) DO UPDATE SET films = c.films + EXCLUDED.films
        RETURNING c.films
    )
    SELECT (SELECT count(*) FROM up WHERE n = 0) + (SELECT count(*) FROM yr WHERE films = 0),
           (SELECT count(*) FROM up WHERE n < 0) + (SELECT count(*) FROM yr WHERE films < 0)
      INTO zeros, bad;
    IF bad > 0 THEN
        RAISE EXCEPTION 'review_stats_films would count below zero: the statistics disagree with the reviews';
    END IF;
    IF zeros > 0 THEN
        DELETE FROM review_stats_films AS c
         USING review_stats_films AS u
         WHERE u.user_id = NEW.id AND c.movie_id = u.movie_id
           AND c.user_id = '00000000-0000-0000-0000-000000000000'::uuid AND c.year = u.year AND c.n = 0;
        DELETE FROM review_stats_years AS c
         WHERE c.user_id = '00000000-0000-0000-0000-000000000000'::uuid AND c.films = 0;
    END IF;

    WITH dd AS (
        SELECT f.year, m.director, sign * sum(f.n)::integer AS n
          FROM review_stats_films AS f JOIN movies AS m ON m.id = f.movie_id
         WHERE f.user_id = NEW.id AND m.director IS NOT NULL
         GROUP BY 1, 2
    ), up AS (
        INSERT INTO review_stats_directors AS c (user_id, year, director, n)
        SELECT '00000000-0000-0000-0000-000000000000'::uuid, year, director, n FROM dd
         ORDER BY year, director COLLATE "C"
        ON CONFLICT (user_id, year, director) DO UPDATE SET n = c.n + EXCLUDED.n
        RETURNING c.n
    )
    SELECT count(*) FILTER (WHERE n = 0), count(*) FILTER (WHERE n < 0) INTO zeros, bad FROM up;
    IF bad > 0 THEN
        RAISE EXCEPTION 'review_stats_directors would count below zero: the statistics disagree with the reviews';
    END IF;
    IF zeros > 0 THEN
        DELETE FROM review_stats_directors AS c
         WHERE c.user_id = '00000000-0000-0000-0000-000000000000'::uuid AND c.n = 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_stats_privacy_changed
    AFTER UPDATE OF private ON users
    FOR EACH ROW WHEN (OLD.private IS DISTINCT FROM NEW.private)
    EXECUTE FUNCTION review_stats_privacy_changed();
CREATE TRIGGER users_stats_private_inserted
    AFTER INSERT ON users
    FOR EACH ROW WHEN (NEW.private)
    EXECUTE FUNCTION review_stats_privacy_changed();

-- The statistics of the reviews stored so far. Every account is public at
-- this point (private was just added, false), so the whole diary counts
-- every review. The per-user rows are counted from the reviews; the
-- all-time rows and the whole diary's from those.
INSERT INTO review_stats_months (user_id, year, month, slot, viewings,
    halves_0, halves_1, halves_2, halves_3, halves_4, halves_5, halves_6, halves_7, halves_8, halves_9, halves_10)
SELECT user_id, year, month, slot, count(*),
       count(*) FILTER (WHERE rating_halves = 0), count(*) FILTER (WHERE rating_halves = 1),
       count(*) FILTER (WHERE rating_halves = 2), count(*) FILTER (WHERE rating_halves = 3),
       count(*) FILTER (WHERE rating_halves = 4), count(*) FILTER (WHERE rating_halves = 5),
       count(*) FILTER (WHERE rating_halves = 6), count(*) FILTER (WHERE rating_halves = 7),
       count(*) FILTER (WHERE rating_halves = 8), count(*) FILTER (WHERE rating_halves = 9),
       count(*) FILTER (WHERE rating_halves = 10)
  FROM (SELECT user_id, rating_halves,
               extract(year FROM watched_at AT TIME ZONE 'UTC')::integer AS year,
               extract(month FROM watched_at AT TIME ZONE 'UTC')::smallint AS month,
               (get_byte(uuid_send(id), 15) % 16)::smallint AS slot
          FROM reviews) AS r
 GROUP BY user_id, year, month, slot;
INSERT INTO review_stats_months (user_id, year, month, slot, viewings,
    halves_0, halves_1, halves_2, halves_3, halves_4, halves_5, halves_6, halves_7, halves_8, halves_9, halves_10)
SELECT '00000000-0000-0000-0000-000000000000'::uuid, year, month, slot, sum(viewings),
       sum(halves_0), sum(halves_1), sum(halves_2), sum(halves_3), sum(halves_4), sum(halves_5),
       sum(halves_6), sum(halves_7), sum(halves_8), sum(halves_9), sum(halves_10)
  FROM review_stats_months
 GROUP BY year, month, slot;

INSERT INTO review_stats_films (movie_id, user_id, year, n)
SELECT movie_id, user_id, extract(year FROM watched_at AT TIME ZONE 'UTC')::integer, count(*)
  FROM reviews
 GROUP BY 1, 2, 3;
INSERT INTO review_stats_films (movie_id, user_id, year, n)
SELECT movie_id, user_id, 0, sum(n) FROM review_stats_films GROUP BY movie_id, user_id;
INSERT INTO review_stats_films (movie_id, user_id, year, n)
SELECT movie_id, '00000000-0000-0000-0000-000000000000'::uuid, year, sum(n)
  FROM review_stats_films
 GROUP BY movie_id, year;

INSERT INTO review_stats_years (user_id, year, slot, films)
SELECT user_id, year, (get_byte(uuid_send(movie_id), 15) % 16)::smallint, count(*)
  FROM review_stats_films
 GROUP BY 1, 2, 3;

INSERT INTO review_stats_directors (user_id, year, director, n)
SELECT f.user_id, f.year, m.director, sum(f.n)
  FROM review_stats_films AS f JOIN movies AS m ON m.id = f.movie_id
 WHERE m.director IS NOT NULL
 GROUP BY 1, 2, 3;

ANALYZE review_stats_months, review_stats_films, review_stats_years, review_stats_directors;

-- Notifications for the caches of diary reads, on the channel
-- moviediary_changes, delivered at commit to every listening process.
-- Payloads: "u=<user UUID> m=<movie UUID>" for each distinct user and
-- movie of a reviews statement's old and new rows (PostgreSQL delivers
-- identical payloads of one transaction once), or "all" when a statement
-- touched more than 64 of them, changed or deleted movies, emptied the
-- reviews or changed a profile.
CREATE FUNCTION diary_changes_reviews() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pairs text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        pairs := ARRAY(SELECT DISTINCT 'u=' || user_id || ' m=' || movie_id FROM new_rows LIMIT 65);
    ELSIF TG_OP = 'UPDATE' THEN
        pairs := ARRAY(SELECT DISTINCT 'u=' || user_id || ' m=' || movie_id
                         FROM (SELECT user_id, movie_id FROM old_rows
                               UNION ALL
                               SELECT user_id, movie_id FROM new_rows) AS r
                        LIMIT 65);
    ELSE
        pairs := ARRAY(SELECT DISTINCT 'u=' || user_id || ' m=' || movie_id FROM old_rows LIMIT 65);
    END IF;
    IF cardinality(pairs) > 64 THEN
        PERFORM pg_notify('moviediary_changes', 'all');
    ELSE
        PERFORM pg_notify('moviediary_changes', p) FROM unnest(pairs) AS p;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER reviews_notify_inserted
    AFTER INSERT ON reviews
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION diary_changes_reviews();
CREATE TRIGGER reviews_notify_updated
    AFTER UPDATE ON reviews
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION diary_changes_reviews();
CREATE TRIGGER reviews_notify_deleted
    AFTER DELETE ON reviews
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION diary_changes_reviews();

-- "all", for statements whose every row may show anywhere.
CREATE FUNCTION diary_changes_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('moviediary_changes', 'all');
    RETURN NULL;
END
$$;

CREATE TRIGGER reviews_notify_truncated
    AFTER TRUNCATE ON reviews
    FOR EACH STATEMENT EXECUTE FUNCTION diary_changes_all();

-- Movies: only statements that changed or deleted a row notify (an
-- UPDATE that matched nothing, or wrote the same values, does not).
CREATE FUNCTION diary_changes_movies() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT FROM old_rows) THEN
            PERFORM pg_notify('moviediary_changes', 'all');
        END IF;
    ELSIF EXISTS (SELECT FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id WHERE o IS DISTINCT FROM n) THEN
        PERFORM pg_notify('moviediary_changes', 'all');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER movies_notify_updated
    AFTER UPDATE ON movies
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION diary_changes_movies();
CREATE TRIGGER movies_notify_deleted
    AFTER DELETE ON movies
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION diary_changes_movies();

CREATE TRIGGER users_notify_profile
    AFTER UPDATE OF display_name, private ON users
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name OR OLD.private IS DISTINCT FROM NEW.private)
    EXECUTE FUNCTION diary_changes_all();
