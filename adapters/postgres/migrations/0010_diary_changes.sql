-- moviediary schema, version 10: the changes that diary reads may show are
-- recorded in a table that the caches' listeners poll, no longer notified.
--
-- Why: a transaction that has called pg_notify takes, as it commits, a
-- lock that PostgreSQL holds across the flush of its commit record, so the
-- commits of such transactions cannot share a flush. With version 9's
-- notify trigger on reviews, 32 clients inserting one review each commit
-- at about half the rate they do without it (docs/bench/http.md; the
-- outbox stopped notifying inside saves for the same reason). A row
-- inserted in the writing transaction is an ordinary write: it commits
-- with the transaction, in a shared flush, and is as durable as the change
-- it reports.
--
-- diary_changes holds one row per change, with the payloads the
-- notifications carried: "u=<user UUID> m=<movie UUID>", or "all". tx is
-- the writing transaction's ID (the top-level one, also in a
-- subtransaction). A listener (ListenChanges, adapters/postgres/changes.go)
-- reads, in one statement, its snapshot's xmin and the rows whose tx is at
-- or above the xmin of its previous read: a row that read could not see
-- belongs to a transaction still running then, or without an ID yet, whose
-- ID is at least that xmin, wherever its commit falls among the others'. id
-- only tells the rows apart, so that a row read twice is reported once.
-- Listeners delete the rows of transactions that ended before a snapshot
-- they took a minute earlier (changes.go explains why no listener can
-- still need them), through the same index.
CREATE TABLE diary_changes (
    id     bigserial PRIMARY KEY,
    tx     xid8      NOT NULL DEFAULT pg_current_xact_id(),
    change text      NOT NULL
);
CREATE INDEX diary_changes_tx_idx ON diary_changes (tx);

-- The trigger functions of version 9 keep their names, triggers and
-- payloads; each now records its changes instead of notifying them. A
-- transaction's identical payloads are no longer merged: the listener
-- reports each distinct payload of one read once.
CREATE OR REPLACE FUNCTION diary_changes_reviews() RETURNS trigger
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
    -- A statement that matched no row records nothing.
    IF cardinality(pairs) > 64 THEN
        INSERT INTO diary_changes (change) VALUES ('all');
    ELSIF cardinality(pairs) > 0 THEN
        INSERT INTO diary_changes (change) SELECT p FROM unnest(pairs) AS p;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION diary_changes_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO diary_changes (change) VALUES ('all');
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION diary_changes_movies() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT FROM old_rows) THEN
            INSERT INTO diary_changes (change) VALUES ('all');
        END IF;
    ELSIF EXISTS (SELECT FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id WHERE o IS DISTINCT FROM n) THEN
        INSERT INTO diary_changes (change) VALUES ('all');
    END IF;
    RETURN NULL;
END
$$;
