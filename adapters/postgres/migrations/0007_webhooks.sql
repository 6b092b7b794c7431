-- moviediary schema, version 7: media-server webhooks and the plays they
-- report.

-- A user's webhook URLs, one secret each, stored as the SHA-256 of the
-- secret (never the secret). A delivery is looked up by that hash
-- (unique); a user's webhooks are listed newest first (ties by ID). Only a
-- Plex webhook may be limited to one Plex account. last_used_at is NULL
-- until a play arrives.
CREATE TABLE webhooks (
    id           uuid        PRIMARY KEY,
    user_id      uuid        NOT NULL,
    source       text        NOT NULL CHECK (source IN ('plex', 'jellyfin', 'emby')),
    plex_account text        CHECK (plex_account IS NULL
                                    OR (source = 'plex' AND btrim(plex_account) <> '' AND char_length(plex_account) <= 255)),
    secret_hash  bytea       NOT NULL CONSTRAINT webhooks_secret_hash_key UNIQUE CHECK (octet_length(secret_hash) = 32),
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz
);
CREATE INDEX webhooks_user_created_idx ON webhooks (user_id, created_at DESC, id DESC);

-- The plays media servers reported, one row per recorded play, with the ID
-- of its PlayReported event. A report of the same kind, user, source and
-- film (domain.Play.FilmKey) less than 30 minutes from a stored play is
-- the same play and is not stored again: RecordPlay looks for one through
-- plays_dedup_idx, under a transaction-level advisory lock on that key.
CREATE TABLE plays (
    id       bigserial   PRIMARY KEY,
    user_id  uuid        NOT NULL,
    source   text        NOT NULL CHECK (source IN ('plex', 'jellyfin', 'emby')),
    kind     text        NOT NULL CHECK (kind IN ('watched', 'rated')),
    film_key text        NOT NULL CHECK (film_key <> ''),
    at       timestamptz NOT NULL,
    event_id uuid        NOT NULL
);
CREATE INDEX plays_dedup_idx ON plays (user_id, source, kind, film_key, at);
