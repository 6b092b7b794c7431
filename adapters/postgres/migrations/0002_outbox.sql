-- moviediary schema, version 2: the transactional outbox.
--
-- In outbox mode SaveViewing inserts the events of a viewing here in the
-- transaction that stores the viewing (and calls pg_notify, delivered at
-- commit, so listening dispatchers wake). Dispatchers — several processes
-- may share the table — claim due events with FOR UPDATE SKIP LOCKED and a
-- lease (locked_until), deliver them, and delete each once delivered:
-- completed events are not kept, nothing reads them. seq is the storage
-- order that claims and the dead list follow; id is the event's own ID,
-- what the dispatcher and the CLI name an event by.
--
-- The table is a queue: rows are inserted, updated a few times and deleted
-- within seconds. Leases and failures change only unindexed columns, so
-- with room left on each page (fillfactor) those updates are HOT; and
-- autovacuum runs after a fixed number of dead rows rather than a fraction
-- of a table that is usually nearly empty.

CREATE TABLE outbox_events (
    id              uuid        PRIMARY KEY,
    seq             bigint      GENERATED ALWAYS AS IDENTITY CONSTRAINT outbox_events_seq_key UNIQUE,
    name            text        NOT NULL CHECK (name <> ''),
    payload         jsonb       NOT NULL,
    movie_id        uuid        NOT NULL,
    created_at      timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      text        NOT NULL DEFAULT '',
    dead            boolean     NOT NULL DEFAULT false,
    -- the end of the current lease; -infinity when none
    locked_until    timestamptz NOT NULL DEFAULT '-infinity'
) WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);

-- The claim walks the live events in storage order and takes the first
-- due, unleased ones; PendingEvents counts this index.
CREATE INDEX outbox_events_live_idx ON outbox_events (seq) WHERE NOT dead;

-- Backfill's "has a pending MovieDiscovered event" check, per movie.
CREATE INDEX outbox_events_discovered_idx ON outbox_events (movie_id)
    WHERE NOT dead AND name = 'movie_discovered';

-- The dead list, oldest first.
CREATE INDEX outbox_events_dead_idx ON outbox_events (seq) WHERE dead;

-- Backfill's candidates: movies with an IMDb ID and no poster yet, usually
-- few once posters are synced.
CREATE INDEX movies_needing_poster_idx ON movies (id)
    WHERE external_id IS NOT NULL AND poster_path IS NULL;
