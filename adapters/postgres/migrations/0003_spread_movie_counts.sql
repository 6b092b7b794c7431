-- Spread every diary total over the 16 counter slots, not only the totals
-- without a movie. Rewatches of one film by one person — a user logging the
-- same movie from several requests at once, or a bulk import — otherwise
-- all update the (movie, user) and (movie, any) rows, and each insert then
-- waits for the previous one's commit to reach the disk. Totals are read as
-- the sum of a scope's slots already, so readers do not change; rows kept
-- in slot 0 by migration 0001 stay valid.
CREATE OR REPLACE FUNCTION review_counts_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO review_counts AS c (movie_id, user_id, slot, n)
    SELECT movie_id, user_id, slot, n FROM (
        SELECT movie_id, user_id, (get_byte(uuid_send(id), 15) % 16)::smallint AS slot, count(*) AS n
          FROM inserted GROUP BY movie_id, user_id, 3
        UNION ALL
        SELECT movie_id, '00000000-0000-0000-0000-000000000000'::uuid, (get_byte(uuid_send(id), 15) % 16)::smallint, count(*)
          FROM inserted GROUP BY movie_id, 3
        UNION ALL
        SELECT '00000000-0000-0000-0000-000000000000'::uuid, user_id, (get_byte(uuid_send(id), 15) % 16)::smallint, count(*)
          FROM inserted GROUP BY user_id, 3
        UNION ALL
        SELECT '00000000-0000-0000-0000-000000000000'::uuid, '00000000-0000-0000-0000-000000000000'::uuid, (get_byte(uuid_send(id), 15) % 16)::smallint, count(*)
          FROM inserted GROUP BY 3
    ) AS deltas
    ORDER BY movie_id, user_id, slot
    ON CONFLICT (movie_id, user_id, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;
