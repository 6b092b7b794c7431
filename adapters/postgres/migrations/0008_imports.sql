-- moviediary schema, version 8: import jobs, the keys of imported rows,
-- usage quotas of outside resources, and exact totals when a review moves.

-- Import jobs and their progress. A user has at most one active (queued
-- or running) job: import_jobs_active_user_key refuses a second, whatever
-- the races. The runner of a running job holds it until claimed_until
-- (-infinity: unclaimed); another process takes an active job over once
-- that has passed. Problems are a JSON array of {"file","line","reason"},
-- at most domain.MaxImportProblems of them. source is empty until the
-- files' headers say what they are.
CREATE TABLE import_jobs (
    id              uuid        PRIMARY KEY,
    user_id         uuid        NOT NULL,
    started_by      uuid        NOT NULL,
    source          text        NOT NULL CHECK (source IN ('', 'letterboxd', 'imdb', 'moviediary')),
    dry_run         boolean     NOT NULL,
    state           text        NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    rows_total      integer     NOT NULL CHECK (rows_total >= 0),
    rows_done       integer     NOT NULL CHECK (rows_done >= 0),
    imported        integer     NOT NULL CHECK (imported >= 0),
    already_present integer     NOT NULL CHECK (already_present >= 0),
    skipped         integer     NOT NULL CHECK (skipped >= 0),
    unmatched       integer     NOT NULL CHECK (unmatched >= 0),
    problems        jsonb       NOT NULL CHECK (jsonb_typeof(problems) = 'array'),
    problems_more   integer     NOT NULL CHECK (problems_more >= 0),
    error           text        NOT NULL,
    claimed_until   timestamptz NOT NULL DEFAULT '-infinity',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE UNIQUE INDEX import_jobs_active_user_key ON import_jobs (user_id)
    WHERE state IN ('queued', 'running');
-- ActiveImportJobs, oldest first; usually none or a few.
CREATE INDEX import_jobs_active_idx ON import_jobs (created_at, id)
    WHERE state IN ('queued', 'running');

-- The files of a job, in upload order, kept until the job ends so that an
-- interrupted import resumes. They go with their job.
CREATE TABLE import_files (
    job_id   uuid    NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    position integer NOT NULL CHECK (position >= 0),
    name     text    NOT NULL,
    data     bytea   NOT NULL,
    PRIMARY KEY (job_id, position)
);

-- The key of every imported row a user's diary holds, with the review it
-- became: importing the same row again finds its key and stores nothing.
-- Stored in the transaction of the row's review. A key outlives its
-- review: a deleted entry is not brought back by importing the file again.
CREATE TABLE import_keys (
    user_id   uuid NOT NULL,
    key       text NOT NULL CHECK (key <> ''),
    review_id uuid NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Uses of scarce outside resources (OMDb requests) per fixed window, so
-- that a budget holds across processes and restarts. TakeQuota adds one
-- with an upsert that only counts while used is below the limit.
CREATE TABLE quota (
    name         text        NOT NULL CHECK (name <> ''),
    window_start timestamptz NOT NULL,
    used         integer     NOT NULL CHECK (used >= 0),
    PRIMARY KEY (name, window_start)
);

-- The owner is the first account: UserRepository.Owner reads the oldest.
CREATE INDEX users_created_idx ON users (created_at, id);

-- Reviews now move: identifying a movie that another movie already holds
-- the IMDb ID of moves its reviews there. The exact totals follow every
-- update that changes a review's movie, user or ID: a statement trigger
-- takes the old rows off the scopes and slots review_counts_add (migration
-- 0003) counts them in and puts the new rows on, netted per counter row,
-- so an edit of a rating or a comment writes nothing. Counter rows change
-- one at a time in primary-key order, the order of the insert and delete
-- triggers, so writers never deadlock on them; the upsert of a counter row
-- that gains and the update of one that loses keep each at its exact sum.
CREATE FUNCTION review_counts_move() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    d record;
BEGIN
    FOR d IN
        SELECT scope.movie_id, scope.user_id, s.slot, sum(changed.n) AS n FROM (
            SELECT id, movie_id, user_id, 1 AS n FROM new_rows
            UNION ALL
            SELECT id, movie_id, user_id, -1 FROM old_rows
        ) AS changed,
        LATERAL (VALUES
            (changed.movie_id, changed.user_id),
            (changed.movie_id, '00000000-0000-0000-0000-000000000000'::uuid),
            ('00000000-0000-0000-0000-000000000000'::uuid, changed.user_id),
            ('00000000-0000-0000-0000-000000000000'::uuid, '00000000-0000-0000-0000-000000000000'::uuid)
        ) AS scope (movie_id, user_id),
        LATERAL (SELECT (get_byte(uuid_send(changed.id), 15) % 16)::smallint AS slot) AS s
        GROUP BY scope.movie_id, scope.user_id, s.slot
        HAVING sum(changed.n) <> 0
        ORDER BY scope.movie_id, scope.user_id, s.slot
    LOOP
        IF d.n > 0 THEN
            INSERT INTO review_counts AS c (movie_id, user_id, slot, n)
            VALUES (d.movie_id, d.user_id, d.slot, d.n)
            ON CONFLICT (movie_id, user_id, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
        ELSE
            UPDATE review_counts SET n = n + d.n
             WHERE movie_id = d.movie_id AND user_id = d.user_id AND slot = d.slot;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER reviews_count_moved
    AFTER UPDATE ON reviews
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION review_counts_move();
