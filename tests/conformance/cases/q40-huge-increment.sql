-- Increments so large that ticks x increment leaves BIGINT while the value
-- itself does not: every value up to MAXVALUE, then 4084.
create sequence q minvalue -9223372036854775807 start with -2000000000000000000 increment by 1000000000000000000 nocache
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
select nextval(q)
select nextval(q)
select nextval(q)
select * from q
-- The widest range and the largest increment CACHE 0 allows.
create sequence a minvalue -9223372036854775807 maxvalue 9223372036854775806 start with -9223372036854775807 increment by 4611686018427387903 nocache
select nextval(a)
select nextval(a)
select nextval(a)
select nextval(a)
select nextval(a)
select nextval(a)
select * from a
-- The same with CACHE 1 (one refill per value) and a cached block of two.
create sequence a1 minvalue -9223372036854775807 maxvalue 9223372036854775806 start with -9223372036854775807 increment by 3074457345618258602 cache 1
select nextval(a1), nextval(a1), nextval(a1), nextval(a1), nextval(a1), nextval(a1), nextval(a1)
select * from a1
create sequence a2 minvalue -9223372036854775807 maxvalue 9223372036854775806 start with -9223372036854775807 increment by 2000000000000000000 cache 2
select nextval(a2), nextval(a2), nextval(a2), nextval(a2), nextval(a2), nextval(a2), nextval(a2), nextval(a2), nextval(a2), nextval(a2)
select * from a2
select nextval(a2)
-- SETVAL into the far half, then on.
create sequence b minvalue -9223372036854775807 maxvalue 9223372036854775806 start with -9223372036854775807 increment by 1000000000000000000 nocache
select nextval(b)
select setval(b, 5000000000000000000, 0)
select nextval(b), nextval(b), nextval(b), nextval(b), nextval(b)
select * from b
select nextval(b)
