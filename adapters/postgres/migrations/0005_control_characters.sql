-- No control characters in stored text.
--
-- The domain now refuses control characters in text values (the C0
-- controls U+0000–U+001F, DEL U+007F, the C1 controls U+0080–U+009F; a
-- comment keeps tab and LF) and every row read back is re-validated, so a
-- row an older version stored with one would no longer read and would turn
-- the diary into an error page. PostgreSQL never stored NUL in text, but
-- every other C0 control, DEL and C1 went in as they were. This rewrites
-- such rows to what the domain accepts today.
--
-- Only rows that hold a control character are written: each WHERE is one
-- regular-expression bracket match per row, so clean rows are read, never
-- rewritten, and running the statements again changes nothing. The
-- brackets are written with the regular expressions' own \uXXXX escapes;
-- they mean the same characters whether or not standard_conforming_strings
-- is on.
--
-- users.email is left alone on purpose: it was validated before (net/mail
-- refuses the C0 controls and DEL in a bare address), and an address is an
-- account's login name under a unique index: rewriting one could collide
-- with another account or lock its owner out without a word. (net/mail did
-- let the C1 controls through; an account holding one is for an operator to
-- fix, not for a migration to guess at.)

-- Comments: CRLF and a lone CR become LF, then every other refused
-- character is removed; the result is trimmed of spaces, tabs and line
-- breaks like NewComment trims, and a comment left empty becomes NULL (the
-- CHECK refuses a blank one; NULL is "no comment").
UPDATE reviews
SET comment = nullif(btrim(
        regexp_replace(
            replace(replace(comment, E'\r\n', E'\n'), E'\r', E'\n'),
            '[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]', '', 'g'),
        E' \t\n'), '')
WHERE comment ~ '[\u0001-\u0008\u000b-\u001f\u007f-\u009f]';

-- Titles: every control character, tab and line breaks included, becomes a
-- space, and the result is trimmed of spaces as NewMovieTitle trims. A
-- title that was nothing but control characters and spaces, which the
-- CHECK and NewMovieTitle would refuse as empty, becomes "Untitled", so the
-- row still reads and can be renamed. movies_year_title_idx follows.
UPDATE movies
SET title = coalesce(nullif(btrim(
        regexp_replace(title, '[\u0001-\u001f\u007f-\u009f]', ' ', 'g')), ''), 'Untitled')
WHERE title ~ '[\u0001-\u001f\u007f-\u009f]';

-- Directors: as titles; a name left empty becomes NULL, an unknown director.
UPDATE movies
SET director = nullif(btrim(
        regexp_replace(director, '[\u0001-\u001f\u007f-\u009f]', ' ', 'g')), '')
WHERE director ~ '[\u0001-\u001f\u007f-\u009f]';
