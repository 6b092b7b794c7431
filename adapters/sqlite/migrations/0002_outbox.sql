-- moviediary schema, version 2: the transactional outbox.
--
-- In outbox mode SaveViewing inserts the events of a viewing here in the
-- transaction that stores the viewing; a dispatcher claims them, delivers
-- them and deletes each once delivered (completed events are not kept:
-- nothing reads them, and deleting keeps the table and its indexes as small
-- as the backlog). seq, the rowid, is the storage order that claims and the
-- dead list follow; id is the event's own ID, what the dispatcher and the
-- CLI name an event by. Times are Unix microseconds; locked_until = 0 means
-- no lease.

CREATE TABLE outbox_events (
    seq             INTEGER PRIMARY KEY,
    id              BLOB    NOT NULL UNIQUE CHECK (length(id) = 16),
    name            TEXT    NOT NULL CHECK (name <> ''),
    payload         TEXT    NOT NULL,
    movie_id        BLOB    NOT NULL CHECK (length(movie_id) = 16),
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      TEXT    NOT NULL DEFAULT '',
    dead            INTEGER NOT NULL DEFAULT 0 CHECK (dead IN (0, 1)),
    locked_until    INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The claim walks the live events in storage order and takes the first
-- due, unleased ones; covering, so it never reads a payload it skips.
-- PendingEvents counts this index.
CREATE INDEX outbox_events_live ON outbox_events (seq, next_attempt_at, locked_until) WHERE dead = 0;

-- Backfill's "has a pending MovieDiscovered event" check, per movie.
CREATE INDEX outbox_events_discovered ON outbox_events (movie_id)
    WHERE dead = 0 AND name = 'movie_discovered';

-- The dead list, oldest first.
CREATE INDEX outbox_events_dead ON outbox_events (seq) WHERE dead = 1;

-- Backfill's candidates: movies with an IMDb ID and no poster yet, usually
-- few once posters are synced.
CREATE INDEX movies_needing_poster ON movies (id)
    WHERE external_id IS NOT NULL AND poster_path IS NULL;
