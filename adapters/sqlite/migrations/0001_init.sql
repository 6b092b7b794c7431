-- moviediary schema, version 1.
--
-- IDs are UUIDs stored as 16-byte BLOBs: compact, and BLOBs compare like the
-- domain compares IDs (bytewise), so ORDER BY id is the domain's tie-break.
-- Times are integers: watched_at in Unix seconds (the diary's precision),
-- created_at in Unix microseconds.

CREATE TABLE movies (
    id           BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    external_id  TEXT    UNIQUE,
    title        TEXT    NOT NULL CHECK (title <> ''),
    -- title with every character replaced by a fixed member of its Unicode
    -- case-folding orbit (computed in Go): equal keys ⇔ strings.EqualFold.
    title_key    TEXT    NOT NULL,
    release_year INTEGER NOT NULL CHECK (release_year >= 1888),
    director     TEXT,
    poster_path  TEXT
) STRICT, WITHOUT ROWID;

CREATE INDEX movies_title_key_year ON movies (title_key, release_year);

CREATE TABLE users (
    id            BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- seq is the rowid: every secondary index below carries it, so a page of
-- seqs can be read from an index alone and joined to its rows afterwards.
-- user_id is deliberately not a foreign key: the repository port stores
-- viewings for any user ID, and accounts may live elsewhere (see doc).
CREATE TABLE reviews (
    seq        INTEGER PRIMARY KEY,
    id         BLOB    NOT NULL UNIQUE CHECK (length(id) = 16),
    movie_id   BLOB    NOT NULL REFERENCES movies (id),
    user_id    BLOB    NOT NULL CHECK (length(user_id) = 16),
    rating     INTEGER NOT NULL CHECK (rating BETWEEN 0 AND 5),
    comment    TEXT,
    watched_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- One index per diary filter, each ordered like the diary.
CREATE INDEX reviews_watched            ON reviews (watched_at, id);
CREATE INDEX reviews_movie_watched      ON reviews (movie_id, watched_at, id);
CREATE INDEX reviews_user_watched       ON reviews (user_id, watched_at, id);
CREATE INDEX reviews_movie_user_watched ON reviews (movie_id, user_id, watched_at, id);

-- Exact review counts per diary filter. x'' stands for "any": the row
-- (x'', x'') counts every review, (movie, x'') one movie's, (x'', user) one
-- user's, (movie, user) both. The triggers keep them in the transaction of
-- every insert or delete, so they are never stale.
CREATE TABLE review_counts (
    movie_id BLOB    NOT NULL,
    user_id  BLOB    NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (movie_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER reviews_count_insert AFTER INSERT ON reviews
BEGIN
    INSERT INTO review_counts (movie_id, user_id, n)
    VALUES (x'', x'', 1), (NEW.movie_id, x'', 1), (x'', NEW.user_id, 1), (NEW.movie_id, NEW.user_id, 1)
    ON CONFLICT (movie_id, user_id) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER reviews_count_delete AFTER DELETE ON reviews
BEGIN
    UPDATE review_counts SET n = n - 1
    WHERE (movie_id, user_id) IN (VALUES (x'', x''), (OLD.movie_id, x''), (x'', OLD.user_id), (OLD.movie_id, OLD.user_id));
END;
