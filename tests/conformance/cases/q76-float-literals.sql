-- Float literals (1e3, 1.5E-2) are DOUBLE values, named as typed. (The
-- recorder stores a DOUBLE as Python prints it, 1000.0: its text is checked
-- here through LIKE and comparisons; the unit tests check its printing.)
CREATE SEQUENCE s
SELECT 1e3 DIV 7, 1e3 = 1000, -2e-3 < 0, 1E3 > 999, (1e3) = 1000.0, -(1e3) = -1000, 1e3 DIV -7
SELECT 1e300*1e300
SHOW WARNINGS
SELECT 1.e3 = 1000, 1.5e+2 = 150, 0e0 = 0, 2.5E-1 = 0.25
SELECT 1e3 LIKE '1000', 1.5e2 LIKE '150', 2.5E-1 LIKE '0.25', -2e-3 LIKE '-0.002', 1e15 LIKE '1e15', 1e14 LIKE '100000000000000'
SET @f = 1.5e2
SELECT @f = 150, @f + 1 = 151, @f LIKE '150'
SELECT 9223372036854775807 + 1e0 LIKE '9.223372036854776e18'
SELECT 1e3 = 1000 AS x, 1e3 DIV 1 y
SELECT NEXTVAL(s) * 1e1 = 10, LASTVAL(s) / 4e0 LIKE '0.25'
SELECT 1e
