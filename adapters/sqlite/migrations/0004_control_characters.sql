-- moviediary schema, version 4: no control characters in stored text.
--
-- The domain now refuses control characters in text values (NUL and the
-- other C0 controls U+0000–U+001F, DEL U+007F, the C1 controls
-- U+0080–U+009F; a comment keeps tab and LF) and every row read back is
-- re-validated, so a row an older version stored with one would no longer
-- read and would turn the diary into an error page. This rewrites such
-- rows to what the domain accepts today. Only rows that hold a control
-- character are written: the WHERE of each statement finds them with one
-- GLOB character class, which stops at a NUL, so NUL is looked for apart,
-- bytewise (instr on the BLOB); clean rows are read, never rewritten.
-- Running the statements again changes nothing.
--
-- replace() cannot take a NUL as its pattern (it treats a string starting
-- with NUL as empty), so NUL is cut out first by a recursive subquery that
-- splits the row's bytes at each NUL; it runs for the rare rows holding one.
--
-- users.email is left alone on purpose: it was validated before (net/mail
-- refuses NUL, the other C0 controls and DEL in a bare address), and an
-- address is an account's login name under a unique index: rewriting one
-- could collide with another account or lock its owner out without a word.
-- (net/mail did let the C1 controls through; an account holding one is for
-- an operator to fix, not for a migration to guess at.)

-- Comments: NUL removed first (see above), then CRLF and a lone CR become
-- LF, then every other refused character is removed; the result is trimmed
-- of spaces, tabs and line breaks like NewComment trims, and a comment left
-- empty becomes NULL, which is how the store writes "no comment". The
-- WHERE's class leaves out tab and LF, which a comment keeps.
UPDATE reviews
SET comment = nullif(trim(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(
            replace(replace(CASE WHEN instr(CAST(comment AS BLOB), x'00') = 0 THEN comment ELSE (
                WITH RECURSIVE s(b) AS (
                    SELECT CAST(reviews.comment AS BLOB)
                    UNION ALL
                    SELECT CAST(substr(b, 1, instr(b, x'00') - 1) || substr(b, instr(b, x'00') + 1) AS BLOB)
                    FROM s WHERE instr(b, x'00') > 0
                )
                SELECT CAST(b AS TEXT) FROM s WHERE instr(b, x'00') = 0
            ) END,
            char(13, 10), char(10)), char(13), char(10)),
            char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), ''),
            char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), ''),
            char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), ''),
            char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), ''),
            char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), ''), char(128), ''),
            char(129), ''), char(130), ''), char(131), ''), char(132), ''), char(133), ''), char(134), ''),
            char(135), ''), char(136), ''), char(137), ''), char(138), ''), char(139), ''), char(140), ''),
            char(141), ''), char(142), ''), char(143), ''), char(144), ''), char(145), ''), char(146), ''),
            char(147), ''), char(148), ''), char(149), ''), char(150), ''), char(151), ''), char(152), ''),
            char(153), ''), char(154), ''), char(155), ''), char(156), ''), char(157), ''), char(158), ''),
            char(159), ''),
    ' ' || char(9, 10)), '')
WHERE comment GLOB '*[' || char(1) || '-' || char(8) || char(11) || '-' || char(31) || char(127) || '-' || char(159) || ']*'
   OR instr(CAST(comment AS BLOB), x'00') > 0;

-- Titles: every control character, tab and line breaks included, becomes a
-- space, in title and in title_key alike: the key is the title folded
-- character by character (titleKey in rows.go), and case folding maps a
-- control character and the space to themselves, so replacing them in the
-- key gives the key of the replaced title. Both are trimmed of spaces as
-- NewMovieTitle trims. A title that was nothing but control characters and
-- spaces, which NewMovieTitle would refuse as empty, becomes "Untitled"
-- (key "UNTITLED"), so the row still reads and can be renamed.
UPDATE movies
SET title = coalesce(nullif(trim(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
            CASE WHEN instr(CAST(title AS BLOB), x'00') = 0 THEN title ELSE (
                WITH RECURSIVE s(b) AS (
                    SELECT CAST(movies.title AS BLOB)
                    UNION ALL
                    SELECT CAST(substr(b, 1, instr(b, x'00') - 1) || x'20' || substr(b, instr(b, x'00') + 1) AS BLOB)
                    FROM s WHERE instr(b, x'00') > 0
                )
                SELECT CAST(b AS TEXT) FROM s WHERE instr(b, x'00') = 0
            ) END,
            char(1), ' '), char(2), ' '), char(3), ' '), char(4), ' '), char(5), ' '), char(6), ' '),
            char(7), ' '), char(8), ' '), char(9), ' '), char(10), ' '), char(11), ' '), char(12), ' '),
            char(13), ' '), char(14), ' '), char(15), ' '), char(16), ' '), char(17), ' '), char(18), ' '),
            char(19), ' '), char(20), ' '), char(21), ' '), char(22), ' '), char(23), ' '), char(24), ' '),
            char(25), ' '), char(26), ' '), char(27), ' '), char(28), ' '), char(29), ' '), char(30), ' '),
            char(31), ' '), char(127), ' '), char(128), ' '), char(129), ' '), char(130), ' '), char(131), ' '),
            char(132), ' '), char(133), ' '), char(134), ' '), char(135), ' '), char(136), ' '), char(137), ' '),
            char(138), ' '), char(139), ' '), char(140), ' '), char(141), ' '), char(142), ' '), char(143), ' '),
            char(144), ' '), char(145), ' '), char(146), ' '), char(147), ' '), char(148), ' '), char(149), ' '),
            char(150), ' '), char(151), ' '), char(152), ' '), char(153), ' '), char(154), ' '), char(155), ' '),
            char(156), ' '), char(157), ' '), char(158), ' '), char(159), ' '),
    ' '), ''), 'Untitled'),
    title_key = coalesce(nullif(trim(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
            CASE WHEN instr(CAST(title_key AS BLOB), x'00') = 0 THEN title_key ELSE (
                WITH RECURSIVE s(b) AS (
                    SELECT CAST(movies.title_key AS BLOB)
                    UNION ALL
                    SELECT CAST(substr(b, 1, instr(b, x'00') - 1) || x'20' || substr(b, instr(b, x'00') + 1) AS BLOB)
                    FROM s WHERE instr(b, x'00') > 0
                )
                SELECT CAST(b AS TEXT) FROM s WHERE instr(b, x'00') = 0
            ) END,
            char(1), ' '), char(2), ' '), char(3), ' '), char(4), ' '), char(5), ' '), char(6), ' '),
            char(7), ' '), char(8), ' '), char(9), ' '), char(10), ' '), char(11), ' '), char(12), ' '),
            char(13), ' '), char(14), ' '), char(15), ' '), char(16), ' '), char(17), ' '), char(18), ' '),
            char(19), ' '), char(20), ' '), char(21), ' '), char(22), ' '), char(23), ' '), char(24), ' '),
            char(25), ' '), char(26), ' '), char(27), ' '), char(28), ' '), char(29), ' '), char(30), ' '),
            char(31), ' '), char(127), ' '), char(128), ' '), char(129), ' '), char(130), ' '), char(131), ' '),
            char(132), ' '), char(133), ' '), char(134), ' '), char(135), ' '), char(136), ' '), char(137), ' '),
            char(138), ' '), char(139), ' '), char(140), ' '), char(141), ' '), char(142), ' '), char(143), ' '),
            char(144), ' '), char(145), ' '), char(146), ' '), char(147), ' '), char(148), ' '), char(149), ' '),
            char(150), ' '), char(151), ' '), char(152), ' '), char(153), ' '), char(154), ' '), char(155), ' '),
            char(156), ' '), char(157), ' '), char(158), ' '), char(159), ' '),
    ' '), ''), 'UNTITLED')
WHERE title GLOB '*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*'
   OR instr(CAST(title AS BLOB), x'00') > 0;

-- Directors: as titles; a name left empty becomes NULL, an unknown director.
UPDATE movies
SET director = nullif(trim(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
            CASE WHEN instr(CAST(director AS BLOB), x'00') = 0 THEN director ELSE (
                WITH RECURSIVE s(b) AS (
                    SELECT CAST(movies.director AS BLOB)
                    UNION ALL
                    SELECT CAST(substr(b, 1, instr(b, x'00') - 1) || x'20' || substr(b, instr(b, x'00') + 1) AS BLOB)
                    FROM s WHERE instr(b, x'00') > 0
                )
                SELECT CAST(b AS TEXT) FROM s WHERE instr(b, x'00') = 0
            ) END,
            char(1), ' '), char(2), ' '), char(3), ' '), char(4), ' '), char(5), ' '), char(6), ' '),
            char(7), ' '), char(8), ' '), char(9), ' '), char(10), ' '), char(11), ' '), char(12), ' '),
            char(13), ' '), char(14), ' '), char(15), ' '), char(16), ' '), char(17), ' '), char(18), ' '),
            char(19), ' '), char(20), ' '), char(21), ' '), char(22), ' '), char(23), ' '), char(24), ' '),
            char(25), ' '), char(26), ' '), char(27), ' '), char(28), ' '), char(29), ' '), char(30), ' '),
            char(31), ' '), char(127), ' '), char(128), ' '), char(129), ' '), char(130), ' '), char(131), ' '),
            char(132), ' '), char(133), ' '), char(134), ' '), char(135), ' '), char(136), ' '), char(137), ' '),
            char(138), ' '), char(139), ' '), char(140), ' '), char(141), ' '), char(142), ' '), char(143), ' '),
            char(144), ' '), char(145), ' '), char(146), ' '), char(147), ' '), char(148), ' '), char(149), ' '),
            char(150), ' '), char(151), ' '), char(152), ' '), char(153), ' '), char(154), ' '), char(155), ' '),
            char(156), ' '), char(157), ' '), char(158), ' '), char(159), ' '),
    ' '), '')
WHERE director GLOB '*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*'
   OR instr(CAST(director AS BLOB), x'00') > 0;