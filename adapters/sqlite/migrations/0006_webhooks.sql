-- moviediary schema, version 6: media-server webhooks and the plays they
-- report.
--
-- A user's secret webhook URL for one media server, by the SHA-256 of its
-- secret (never the secret). plex_account, for Plex only, limits it to one
-- Plex account's plays; NULL takes every account's. Times in Unix
-- microseconds; last_used_at NULL for never. user_id is no foreign key,
-- like reviews.user_id (see 0001).
CREATE TABLE webhooks (
    id           BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    user_id      BLOB    NOT NULL CHECK (length(user_id) = 16),
    source       TEXT    NOT NULL CHECK (source IN ('plex', 'jellyfin', 'emby')),
    plex_account TEXT    CHECK (plex_account IS NULL OR (source = 'plex' AND plex_account <> '')),
    secret_hash  BLOB    NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
) STRICT, WITHOUT ROWID;

-- A user's webhooks, newest first.
CREATE INDEX webhooks_user_created ON webhooks (user_id, created_at DESC, id DESC);

-- The plays media servers reported, kept to recognise the same play
-- reported again: same user, source, kind and film_key (the IMDb ID, else
-- the case-folded title and year), at (Unix seconds) less than 30 minutes
-- apart. The play itself is in the PlayReported event event_id.
CREATE TABLE plays (
    seq      INTEGER NOT NULL PRIMARY KEY,
    user_id  BLOB    NOT NULL CHECK (length(user_id) = 16),
    source   TEXT    NOT NULL CHECK (source IN ('plex', 'jellyfin', 'emby')),
    kind     TEXT    NOT NULL CHECK (kind IN ('watched', 'rated')),
    film_key TEXT    NOT NULL CHECK (film_key <> ''),
    at       INTEGER NOT NULL,
    event_id BLOB    NOT NULL CHECK (length(event_id) = 16)
) STRICT;

CREATE INDEX plays_dedup ON plays (user_id, source, kind, film_key, at);
