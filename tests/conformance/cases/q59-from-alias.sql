-- An alias for the sequence in FROM: columns may be qualified with it (and
-- then no longer with the sequence's own name).
CREATE SEQUENCE s START WITH 5 INCREMENT BY 2
SELECT next_not_cached_value FROM s AS a
SELECT next_not_cached_value FROM s a
SELECT a.next_not_cached_value, a.increment FROM s a
SELECT a.* FROM s AS a
SELECT s.next_not_cached_value FROM s a
SELECT b.* FROM s a
SELECT A.increment FROM s a
SELECT NEXTVAL(s), a.increment * 10 AS x FROM s a WHERE a.increment = 2
SELECT a.increment FROM s AS a WHERE s.increment = 2
SELECT * FROM s AS `my alias` WHERE `my alias`.start_value = 5
SELECT increment + 1, -increment, (increment), +increment, increment * maximum_value FROM s
SHOW WARNINGS
SELECT minimum_value - 2 FROM s a
SHOW WARNINGS
SELECT cycle_option - 1, cache_size * 0 - 1 FROM s
SHOW WARNINGS
