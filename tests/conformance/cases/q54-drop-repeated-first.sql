-- A repeated DROP name is refused (1066) as soon as it is complete: before
-- anything after it, before a bad later name, and nothing is dropped
CREATE SEQUENCE a
CREATE SEQUENCE b
DROP SEQUENCE a, b, a
DROP SEQUENCE IF EXISTS a, zz, a
DROP SEQUENCE a, a junk
DROP SEQUENCE a, a,
DROP SEQUENCE a, a, 5
DROP SEQUENCE a, a (
DROP SEQUENCE IF EXISTS a, a CASCADE
DROP SEQUENCE a, c_q54_drop_repeated_first.a junk
DROP SEQUENCE nodb.a, nodb.a junk
DROP SEQUENCE a, a.b, a.b junk
DROP SEQUENCE a, a, ``
DROP SEQUENCE a, b, a, ``
DROP SEQUENCE a, a, aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
DROP TABLE a, a junk
DROP TEMPORARY SEQUENCE a, a junk
-- no repetition among the complete names: the later error stands
DROP SEQUENCE a junk, a
DROP SEQUENCE a, a.
DROP SEQUENCE a, `a
DROP SEQUENCE a, b junk
DROP SEQUENCE a, b, ``
DROP SEQUENCE ``, a, a
DROP SEQUENCE a, `a `, a
SHOW TABLES
DROP SEQUENCE a, b
SHOW TABLES
