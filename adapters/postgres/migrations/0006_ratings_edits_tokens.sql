-- moviediary schema, version 6: half-star ratings that may be absent,
-- reviews that their authors edit and delete, idempotency keys of logged
-- reviews, and personal API tokens.

-- Ratings are 0 to 5 stars in halves, or none ("watched, not rated"). They
-- are kept exactly as a count of half stars, NULL for none; every stored
-- rating doubles. The column is renamed and rewritten in place rather than
-- added, filled and dropped: one pass over the table, which leaves no dead
-- row versions behind and keeps the column where it was. No index,
-- statistics object or view uses it.
ALTER TABLE reviews DROP CONSTRAINT reviews_rating_check;
ALTER TABLE reviews RENAME COLUMN rating TO rating_halves;
ALTER TABLE reviews
    ALTER COLUMN rating_halves DROP NOT NULL,
    ALTER COLUMN rating_halves TYPE smallint USING rating_halves * 2,
    ADD CONSTRAINT reviews_rating_halves_check CHECK (rating_halves BETWEEN 0 AND 10);

-- Reviews can be deleted now, so the exact totals drop with them: a
-- statement trigger takes the deleted rows off the same four scopes and
-- slots as review_counts_add (migration 0003) put them on. It updates the
-- counter rows one at a time in primary-key order, the order the insert
-- trigger's upsert locks them in, so deletes and inserts never deadlock on
-- them; each update by primary key re-reads a row that a concurrent writer
-- changed, so no change is lost. A total that reaches zero keeps its rows.
CREATE FUNCTION review_counts_remove() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    d record;
BEGIN
    FOR d IN
        SELECT movie_id, user_id, slot, sum(n) AS n FROM (
            SELECT movie_id, user_id, (get_byte(uuid_send(id), 15) % 16)::smallint AS slot, 1 AS n
              FROM deleted
            UNION ALL
            SELECT movie_id, '00000000-0000-0000-0000-000000000000'::uuid, (get_byte(uuid_send(id), 15) % 16)::smallint, 1
              FROM deleted
            UNION ALL
            SELECT '00000000-0000-0000-0000-000000000000'::uuid, user_id, (get_byte(uuid_send(id), 15) % 16)::smallint, 1
              FROM deleted
            UNION ALL
            SELECT '00000000-0000-0000-0000-000000000000'::uuid, '00000000-0000-0000-0000-000000000000'::uuid,
                   (get_byte(uuid_send(id), 15) % 16)::smallint, 1
              FROM deleted
        ) AS deltas
        GROUP BY movie_id, user_id, slot
        ORDER BY movie_id, user_id, slot
    LOOP
        UPDATE review_counts SET n = n - d.n
         WHERE movie_id = d.movie_id AND user_id = d.user_id AND slot = d.slot;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER reviews_count_deleted
    AFTER DELETE ON reviews
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION review_counts_remove();

-- Idempotency keys: the Idempotency-Key a user's POST /api/reviews came
-- with, the fingerprint of that request and the review it logged, stored
-- in the review's transaction. created_at is the review's. A key counts
-- for 24 hours (domain.IdempotencyWindow); a later request with it
-- replaces the row, so the primary key is the only index the table needs.
CREATE TABLE idempotency_keys (
    user_id     uuid        NOT NULL,
    key         text        NOT NULL CHECK (key <> '' AND octet_length(key) <= 255),
    fingerprint text        NOT NULL CHECK (octet_length(fingerprint) <= 128),
    review_id   uuid        NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Personal API tokens, by the SHA-256 of the token (never the token). A
-- request signed with one is looked up by its hash (unique); a user's
-- tokens are listed newest first (ties by ID).
CREATE TABLE api_tokens (
    id           uuid        PRIMARY KEY,
    user_id      uuid        NOT NULL,
    name         text        NOT NULL CHECK (btrim(name) <> '' AND char_length(name) <= 100),
    prefix       text        NOT NULL CHECK (octet_length(prefix) <= 64),
    hash         bytea       NOT NULL CONSTRAINT api_tokens_hash_key UNIQUE CHECK (octet_length(hash) = 32),
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    expires_at   timestamptz
);
CREATE INDEX api_tokens_user_created_idx ON api_tokens (user_id, created_at DESC, id DESC);
