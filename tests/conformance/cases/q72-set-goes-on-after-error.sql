-- SET computes every value even after one failed (a NEXTVAL further on is
-- still called), lists every condition, fails with the first error and
-- assigns nothing. SELECT stops at its first error; DO goes on.
CREATE SEQUENCE s4 maxvalue=-9223372036854775804 INCREMENT=0 cache 3 nocycle MINVALUE=-9223372036854775807
SELECT NEXTVAL(s4)
SET @a = 5 * LASTVAL(s4), @b = 9223372036854775807 + 1, @c = NEXTVAL(s4)
SHOW WARNINGS
SELECT @a, @b, @c, LASTVAL(s4)
SET @a = 5 * LASTVAL(s4), @b = 1/0, @c = NEXTVAL(s4)
SHOW WARNINGS
SELECT @a, @b, @c, LASTVAL(s4)
SELECT 5 * LASTVAL(s4), 1/0, NEXTVAL(s4)
SHOW WARNINGS
SELECT LASTVAL(s4)
DO 5 * LASTVAL(s4), NEXTVAL(s4)
SHOW WARNINGS
SELECT LASTVAL(s4)
CREATE SEQUENCE r MAXVALUE 2
SET @p = NEXTVAL(r), @q = NEXTVAL(r), @r = NEXTVAL(r), @s = NEXTVAL(r)
SHOW WARNINGS
SELECT @p, @q, @r, @s, LASTVAL(r)
