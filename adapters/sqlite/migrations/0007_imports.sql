-- moviediary schema, version 7: import jobs, the keys of imported rows,
-- and quota counters.
--
-- An import job and its progress. user_id is whose diary the rows go to,
-- started_by who started it (the user, or the owner for them); neither is
-- a foreign key, like reviews.user_id (see 0001). problems is a JSON array
-- of {"file","line","reason"} (at most 1,000; problems_more counts the
-- rest). claimed_until is the running process's claim, Unix microseconds,
-- 0 for none; created_at and updated_at Unix microseconds too.
CREATE TABLE import_jobs (
    id              BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    user_id         BLOB    NOT NULL CHECK (length(user_id) = 16),
    started_by      BLOB    NOT NULL CHECK (length(started_by) = 16),
    source          TEXT    NOT NULL CHECK (source IN ('', 'letterboxd', 'imdb', 'moviediary')),
    dry_run         INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
    state           TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    rows_total      INTEGER NOT NULL,
    rows_done       INTEGER NOT NULL,
    imported        INTEGER NOT NULL,
    already_present INTEGER NOT NULL,
    skipped         INTEGER NOT NULL,
    unmatched       INTEGER NOT NULL,
    problems        TEXT    NOT NULL,
    problems_more   INTEGER NOT NULL,
    error           TEXT    NOT NULL,
    claimed_until   INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- One active (queued or running) job per user, whatever the races.
CREATE UNIQUE INDEX import_jobs_one_active ON import_jobs (user_id)
    WHERE state IN ('queued', 'running');

-- The active jobs, oldest first.
CREATE INDEX import_jobs_active ON import_jobs (created_at, id)
    WHERE state IN ('queued', 'running');

-- The files of a job, kept until it ends so that an interrupted import
-- resumes; position is the upload order. A rowid table: large blobs do
-- not belong in a WITHOUT ROWID b-tree.
CREATE TABLE import_files (
    job_id   BLOB    NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name     TEXT    NOT NULL,
    data     BLOB    NOT NULL,
    UNIQUE (job_id, position)
) STRICT;

-- The key of every imported row, by user: importing the same row again
-- finds it here. review_id is what the row stored; no foreign key, so
-- deleting the review keeps the row imported once.
CREATE TABLE import_keys (
    user_id   BLOB NOT NULL CHECK (length(user_id) = 16),
    key       TEXT NOT NULL CHECK (key <> ''),
    review_id BLOB NOT NULL CHECK (length(review_id) = 16),
    PRIMARY KEY (user_id, key)
) STRICT, WITHOUT ROWID;

-- Uses of a scarce outside resource (OMDb requests) per fixed window:
-- window_start in Unix microseconds.
CREATE TABLE quota (
    name         TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    used         INTEGER NOT NULL CHECK (used >= 0),
    PRIMARY KEY (name, window_start)
) STRICT, WITHOUT ROWID;

-- An import batch stores hundreds of reviews in one transaction and adds
-- their diary counts itself, a few upserts for the whole batch, instead of
-- four upserts a review: it sets paused to 1 first and back to 0 before it
-- commits, so no other transaction ever sees 1. Every other insert counts
-- as before.
CREATE TABLE review_counts_paused (
    paused INTEGER NOT NULL CHECK (paused IN (0, 1))
) STRICT;
INSERT INTO review_counts_paused (paused) VALUES (0);

DROP TRIGGER reviews_count_insert;
CREATE TRIGGER reviews_count_insert AFTER INSERT ON reviews
WHEN (SELECT paused FROM review_counts_paused) = 0
BEGIN
    INSERT INTO review_counts (movie_id, user_id, n)
    VALUES (x'', x'', 1), (NEW.movie_id, x'', 1), (x'', NEW.user_id, 1), (NEW.movie_id, NEW.user_id, 1)
    ON CONFLICT (movie_id, user_id) DO UPDATE SET n = n + 1;
END;
