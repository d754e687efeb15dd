-- CYCLE ascending and descending with cache 2.
create sequence c start with 1 minvalue 1 maxvalue 4 increment by 1 cache 2 cycle
select nextval(c)
select next_not_cached_value, cycle_count from c
select nextval(c)
select next_not_cached_value, cycle_count from c
select nextval(c)
select next_not_cached_value, cycle_count from c
select nextval(c)
select next_not_cached_value, cycle_count from c
select nextval(c)
select next_not_cached_value, cycle_count from c
select nextval(c)
select next_not_cached_value, cycle_count from c
create sequence d start with 3 minvalue -2 maxvalue 4 increment -2 cache 2 cycle
select nextval(d)
select next_not_cached_value, cycle_count from d
select nextval(d)
select next_not_cached_value, cycle_count from d
select nextval(d)
select next_not_cached_value, cycle_count from d
select nextval(d)
select next_not_cached_value, cycle_count from d
select nextval(d), nextval(d), nextval(d), nextval(d)
select next_not_cached_value, cycle_count from d
