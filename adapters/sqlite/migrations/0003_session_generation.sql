-- moviediary schema, version 3: a session generation per account.
--
-- A token carries the generation of its account's sessions it was issued
-- in (the JWT claim sgen) and signs in only while the row still holds that
-- generation. Signing out adds one, which ends every page session and
-- bearer token of the account at once, in every process: each request
-- reads the users row anyway. Existing accounts start at 0, the generation
-- of every token issued before this column existed.
ALTER TABLE users ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0 CHECK (session_generation >= 0);
