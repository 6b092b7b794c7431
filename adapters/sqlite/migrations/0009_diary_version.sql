-- What the page caches of other processes watch (ListenChanges): a counter
-- that moves, in the writing transaction, with every change a diary reader
-- could see — reviews logged, corrected, moved or deleted, movies changed
-- or merged away, a display name or a diary's privacy changed. Writes
-- nobody reads on a page (the outbox, import jobs, token and webhook
-- bookkeeping, quotas) leave it alone, so they do not empty the caches.
CREATE TABLE diary_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO diary_version (id, n) VALUES (1, 0);

CREATE TRIGGER reviews_diary_version_insert AFTER INSERT ON reviews
BEGIN
    UPDATE diary_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER reviews_diary_version_update AFTER UPDATE ON reviews
BEGIN
    UPDATE diary_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER reviews_diary_version_delete AFTER DELETE ON reviews
BEGIN
    UPDATE diary_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER movies_diary_version_update AFTER UPDATE ON movies
BEGIN
    UPDATE diary_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER movies_diary_version_delete AFTER DELETE ON movies
BEGIN
    UPDATE diary_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER users_diary_version_profile AFTER UPDATE OF display_name, private ON users
WHEN OLD.display_name IS NOT NEW.display_name OR OLD.private IS NOT NEW.private
BEGIN
    UPDATE diary_version SET n = n + 1 WHERE id = 1;
END;
