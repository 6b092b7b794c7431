-- moviediary schema, version 1.
--
-- Every query the repository makes is served by an index:
--   movies by id (PK), by external ID (unique), by year + lower(title);
--   users by id (PK), by lower(email) (unique);
--   the diary by watched_at, by movie, by user, by movie + user — each index
--   ends in (watched_at, id), the diary's sort key, so a page is a range scan
--   in either direction and the offset path is an index-only scan;
--   exact totals from review_counts (see below), never count(*).

CREATE TABLE users (
    id            uuid        PRIMARY KEY,
    email         text        NOT NULL CHECK (email <> '' AND email = lower(email) AND octet_length(email) <= 254),
    password_hash text        NOT NULL CHECK (password_hash LIKE '$%'),
    created_at    timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE movies (
    id           uuid    PRIMARY KEY,
    external_id  text    CONSTRAINT movies_external_id_key UNIQUE
                         CHECK (external_id ~ '^tt[0-9]{7,10}$'),
    title        text    NOT NULL CHECK (btrim(title) <> '' AND char_length(title) <= 255),
    release_year integer NOT NULL CHECK (release_year BETWEEN 1888 AND 9999),
    director     text    CHECK (director IS NULL OR (btrim(director) <> '' AND char_length(director) <= 255)),
    poster_path  text    CHECK (poster_path IS NULL OR (poster_path <> '' AND octet_length(poster_path) <= 1024))
);
-- Year first: the same index serves title + year and, for titles whose case
-- folding the server's locale may not know, the year alone.
CREATE INDEX movies_year_title_idx ON movies (release_year, lower(title));

CREATE TABLE reviews (
    id         uuid        PRIMARY KEY,
    movie_id   uuid        NOT NULL REFERENCES movies (id),
    user_id    uuid        NOT NULL,
    rating     smallint    NOT NULL CHECK (rating BETWEEN 0 AND 5),
    comment    text        CHECK (comment IS NULL OR (btrim(comment) <> '' AND char_length(comment) <= 10000)),
    watched_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX reviews_watched_idx       ON reviews (watched_at, id);
CREATE INDEX reviews_movie_watched_idx ON reviews (movie_id, watched_at, id);
CREATE INDEX reviews_user_watched_idx  ON reviews (user_id, watched_at, id);
CREATE INDEX reviews_movie_user_watched_idx ON reviews (movie_id, user_id, watched_at, id);

-- Exact diary totals without counting rows per request. One row per scope
-- and slot: (movie, user), (movie, nil), (nil, user) and (nil, nil), where the
-- nil UUID means "any". The scopes without a movie — the whole diary and one
-- user's diary, which every insert touches — are spread over 16 slots chosen
-- by the review ID, so concurrent inserts rarely wait on one hot row; a total
-- is the sum of at most 16 rows read through the primary key.
CREATE TABLE review_counts (
    movie_id uuid     NOT NULL,
    user_id  uuid     NOT NULL,
    slot     smallint NOT NULL CHECK (slot BETWEEN 0 AND 15),
    n        bigint   NOT NULL CHECK (n >= 0),
    PRIMARY KEY (movie_id, user_id, slot)
);

-- The counts are kept by a statement-level trigger in the inserting
-- transaction, so they are exact for every writer (the repository, bulk
-- loads, psql) and cost one aggregated upsert per INSERT statement. Rows are
-- upserted in primary-key order, so concurrent inserts lock counter rows in
-- one global order and cannot deadlock on them.
CREATE FUNCTION review_counts_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO review_counts AS c (movie_id, user_id, slot, n)
    SELECT movie_id, user_id, slot, n FROM (
        SELECT movie_id, user_id, 0::smallint AS slot, count(*) AS n
          FROM inserted GROUP BY movie_id, user_id
        UNION ALL
        SELECT movie_id, '00000000-0000-0000-0000-000000000000'::uuid, 0::smallint, count(*)
          FROM inserted GROUP BY movie_id
        UNION ALL
        SELECT '00000000-0000-0000-0000-000000000000'::uuid, user_id, (get_byte(uuid_send(id), 15) % 16)::smallint, count(*)
          FROM inserted GROUP BY user_id, 3
        UNION ALL
        SELECT '00000000-0000-0000-0000-000000000000'::uuid, '00000000-0000-0000-0000-000000000000'::uuid, (get_byte(uuid_send(id), 15) % 16)::smallint, count(*)
          FROM inserted GROUP BY 3
    ) AS deltas
    ORDER BY movie_id, user_id, slot
    ON CONFLICT (movie_id, user_id, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE TRIGGER reviews_count_inserted
    AFTER INSERT ON reviews
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION review_counts_add();
