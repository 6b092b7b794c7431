-- moviediary schema, version 5: half-star and missing ratings, idempotency
-- keys, personal API tokens.
--
-- reviews.rating (whole stars, 0–5, required) becomes rating_halves: the
-- rating in half stars, 0–10, NULL when the viewing is not rated. Every
-- stored rating is kept: n stars are 2n halves. The old column's CHECK is
-- its own, and no index, trigger or view names it, so SQLite drops it in
-- place; the counters (review_counts and its triggers) are untouched.
ALTER TABLE reviews ADD COLUMN rating_halves INTEGER CHECK (rating_halves BETWEEN 0 AND 10);
UPDATE reviews SET rating_halves = rating * 2;
ALTER TABLE reviews DROP COLUMN rating;

-- The Idempotency-Key of a logged viewing: (user, key) names the request,
-- fingerprint what it asked, review_id what it logged, created_at (Unix
-- microseconds, the review's created_at) when. A key counts for 24 hours;
-- SaveViewing replaces an older record in place. review_id is no foreign
-- key: deleting a review leaves its key's record to run out.
CREATE TABLE idempotency_keys (
    user_id     BLOB    NOT NULL CHECK (length(user_id) = 16),
    key         TEXT    NOT NULL CHECK (key <> ''),
    fingerprint TEXT    NOT NULL,
    review_id   BLOB    NOT NULL CHECK (length(review_id) = 16),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
) STRICT, WITHOUT ROWID;

-- Personal API tokens, by the SHA-256 of the token (never the token).
-- Times in Unix microseconds; last_used_at and expires_at NULL for never.
-- user_id is no foreign key, like reviews.user_id (see 0001).
CREATE TABLE api_tokens (
    id           BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    user_id      BLOB    NOT NULL CHECK (length(user_id) = 16),
    name         TEXT    NOT NULL CHECK (name <> ''),
    prefix       TEXT    NOT NULL,
    hash         BLOB    NOT NULL UNIQUE CHECK (length(hash) = 32),
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    expires_at   INTEGER
) STRICT, WITHOUT ROWID;

-- A user's tokens, newest first.
CREATE INDEX api_tokens_user_created ON api_tokens (user_id, created_at DESC, id DESC);
