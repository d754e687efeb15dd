-- Overshooting steps and the 1,1,1 case.
create sequence a minvalue 1 maxvalue 10 increment 4 cycle
select nextval(a), nextval(a), nextval(a), nextval(a), nextval(a), nextval(a), nextval(a)
select * from a
create sequence b minvalue 1 maxvalue 3 increment 5 cycle
select nextval(b), nextval(b), nextval(b)
select cycle_count from b
select nextval(b)
select * from b
create sequence c start with 5 minvalue 1 maxvalue 7 cycle
select nextval(c), nextval(c), nextval(c), nextval(c), nextval(c)
create sequence d minvalue 1 maxvalue 3 increment 5 cycle nocache
select nextval(d), nextval(d), nextval(d)
select * from d
create sequence e increment 3074457345618258602 cache 1
select nextval(e), nextval(e), nextval(e)
select nextval(e)
select * from e
create sequence f start with 9223372036854775805 cache 5
select nextval(f), nextval(f)
select nextval(f)
select next_not_cached_value from f
