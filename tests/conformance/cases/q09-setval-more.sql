-- More SETVAL cases.
create sequence a
select setval(a, -5)
select nextval(a)
create sequence b
select setval(b, 9223372036854775807)
select * from b
select nextval(b)
create sequence c maxvalue 10
select setval(c, 50)
select next_not_cached_value from c
select nextval(c)
create sequence d maxvalue 10
select setval(d, 5, 1, 1)
create sequence e maxvalue 10 cycle cache 3
select setval(e, 5, 1, 1)
select next_not_cached_value, cycle_count from e
select nextval(e)
select setval(e, 3, 1, 0)
select setval(e, 10, 1, 1)
select nextval(e)
select cycle_count from e
create sequence f increment -1 cache 5
select nextval(f)
select setval(f, -3)
select nextval(f)
select setval(f, 0)
select setval(f, -10, 0)
select nextval(f)
create sequence g minvalue 10
select setval(g, 10, 0)
select setval(g, 9)
select nextval(g)
create sequence h increment 0
select setval(h, 10)
select nextval(h)
