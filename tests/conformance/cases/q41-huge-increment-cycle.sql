-- CYCLE over a range wider than 2^63 with increments of 3e18 and 2e18:
-- every value of the round is visited before the wrap.
create sequence q minvalue -9000000000000000000 maxvalue 9000000000000000000 start with -9000000000000000000 increment by 3000000000000000000 nocache cycle
select nextval(q)
select nextval(q)
select nextval(q)
select nextval(q)
select nextval(q)
select nextval(q)
select nextval(q)
select nextval(q)
select nextval(q)
select nextval(q)
select * from q
-- Descending from the top of BIGINT, wrapping to MAXVALUE.
create sequence b minvalue -9223372036854775807 maxvalue 9223372036854775806 increment by -4611686018427387903 nocache cycle
select nextval(b)
select nextval(b)
select nextval(b)
select nextval(b)
select nextval(b)
select nextval(b)
select nextval(b)
select * from b
-- Eight values in one statement, CACHE 1.
create sequence c minvalue -9223372036854775807 maxvalue 9223372036854775806 start with -9223372036854775807 increment by 3074457345618258602 cache 1 cycle
select nextval(c), nextval(c), nextval(c), nextval(c), nextval(c), nextval(c), nextval(c), nextval(c)
select * from c
-- SETVAL near the end of the round: the next value wraps to MINVALUE.
create sequence e minvalue -9223372036854775807 maxvalue 9223372036854775806 start with 0 increment by 2000000000000000000 nocache cycle
select setval(e, 8000000000000000000)
select nextval(e)
select nextval(e)
select nextval(e)
select * from e
select nextval(e), nextval(e), nextval(e), nextval(e), nextval(e), nextval(e), nextval(e)
select * from e
