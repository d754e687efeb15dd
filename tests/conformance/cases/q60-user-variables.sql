-- User variables: per connection, any value an expression gives.
CREATE SEQUENCE s
SET @x = NEXTVAL(s)
SELECT @x, @x + 1
SELECT @X, @y, @`x`, @'x', @"x", @y + 1
SET @y := 5, @z = @x * 2
SELECT @y, @z
SET @a = 1
SET @a = 5, @b = @a + 1
SELECT @a, @b
SET @n = NULL
SELECT @n, @n + 1
SET @d = 7/2
SELECT @d, @d * 2, @d + 1, -@d
SET @e = 1.5
SELECT @e, @e * 2
SET @s = 'abc'
SELECT @s, @s = 'ABC', @s LIKE 'a%'
SET @u = 18446744073709551615
SELECT @u, @u - 1, @u DIV 2
SELECT @u + 1
SHOW WARNINGS
SET @x = LASTVAL(s), @w = SETVAL(s, 100)
SELECT @x, @w, NEXTVAL(s)
SET @e = NEXTVAL(nosuch)
SHOW WARNINGS
SELECT @e
SET @c = 1, @d = 1/0
SHOW WARNINGS
SELECT @c, @d
SET @v = 9223372036854775807 + 1
SELECT @v
SET @x = @x + 1, @x = @x + 10
SELECT @x
-- @conn 2
SELECT @x, @y, @s
SET @x = 42
SELECT @x
-- @conn 1
SELECT @x
SET x = 1
SET @x
SET @x = 
SET @@x = 1
SET @x := 1, y = 2
SET @@session.x = 1
SET SESSION x = 1
SET `x` = 1
SELECT @@nosuch_var
SELECT @x
