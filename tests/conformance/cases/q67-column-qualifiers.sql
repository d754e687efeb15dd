-- Column references qualified as db.table.column (an alias counts as a
-- table of the current database), wrong qualifiers (1054 with a FROM
-- table, 1109 without one, 1051 for a star), and reserved words that touch
-- a dot.
CREATE SEQUENCE s
CREATE SEQUENCE s2
SELECT c_q67_column_qualifiers.s.increment FROM s
SELECT c_q67_column_qualifiers.s.* FROM s
SELECT nodb.s.increment FROM s
SELECT nodb.s.* FROM s
SELECT c_q67_column_qualifiers.x.increment FROM s
SELECT c_q67_column_qualifiers.x.* FROM s
SELECT x.* FROM s
SELECT s2.increment FROM s
SELECT c_q67_column_qualifiers.a.increment FROM s a
SELECT c_q67_column_qualifiers.a.* FROM s a
SELECT c_q67_column_qualifiers.s.increment FROM s a
SELECT s.* FROM s a
SELECT increment FROM s WHERE c_q67_column_qualifiers.s.increment = 1
SELECT increment FROM s WHERE nodb.s.increment = 1
SHOW WARNINGS
SELECT c_q67_column_qualifiers.s.nosuch FROM s
SELECT x.increment
SHOW WARNINGS
SELECT c_q67_column_qualifiers.s.increment
SHOW WARNINGS
SELECT s.increment
SELECT s.*
SHOW WARNINGS
SELECT x.* FROM DUAL
SELECT c_q67_column_qualifiers.s.increment FROM c_q67_column_qualifiers.s
SELECT c_q67_column_qualifiers.s.increment FROM s AS `my alias`
SELECT `probe`.`s`.`increment` FROM s
SELECT c_q67_column_qualifiers . s . increment FROM s
SELECT c_q67_column_qualifiers.s.select FROM s
SELECT 1 WHERE x.a = 1
SHOW WARNINGS
SELECT 1 FROM DUAL WHERE x.a = 1
SELECT 1 ORDER BY x.a
SHOW WARNINGS
SELECT x.a, nosuch
SELECT nosuch, x.a
SELECT NEXTVAL(s), x.a
SELECT 1 FROM DUAL WHERE c_q67_column_qualifiers.s.a = 1
SHOW WARNINGS
SELECT c_q67_column_qualifiers.x.*
SELECT nodb.x.* FROM DUAL
SHOW WARNINGS
SELECT x.*, y.*
SELECT nosuch, x.*
SELECT x.a, y.*
SELECT COUNT(x.a)
SELECT COUNT(x.a) FROM s
SET @a = x.a
SHOW WARNINGS
DO x.a
SHOW WARNINGS
DO nosuch
SHOW WARNINGS
SHOW TABLES WHERE x.a = 1
SHOW COLUMNS FROM s WHERE x.a = 1
SELECT nosuch, x.* FROM s
SELECT x.a, y.* FROM s
SELECT c_q67_column_qualifiers.s.increment FROM s ORDER BY c_q67_column_qualifiers.s.increment
SELECT c_q67_column_qualifiers.s.increment AS i FROM s ORDER BY nodb.s.increment
SHOW WARNINGS
SELECT c_q67_column_qualifiers.s.increment.x FROM s
SELECT c_q67_column_qualifiers.s.*.x FROM s
SELECT c_q67_column_qualifiers.s. FROM s
SELECT c_q67_column_qualifiers..s FROM s
SELECT s. increment FROM s
SELECT s. select FROM s
SELECT s .select FROM s
SELECT s. FROM s
SELECT c_q67_column_qualifiers. s.increment FROM s
SELECT c_q67_column_qualifiers.s. increment FROM s
SELECT c_q67_column_qualifiers.s. select FROM s
SELECT c_q67_column_qualifiers. select.increment FROM s
