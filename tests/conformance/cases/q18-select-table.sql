-- SELECT from the sequence table: columns, subsets, WHERE.
create sequence s start with 5 minvalue 1 maxvalue 100 increment by 2 cache 3
select * from s
select next_not_cached_value, cycle_count from s where cycle_option = 0
select next_not_cached_value, cycle_count from s where cycle_option = 1
select nextval(s) from s where 1=0
select nextval(s)
select nextval(s) from s where 1=1
select nextval(s), minimum_value from s where increment = 2
select maximum_value, start_value, increment, cache_size from s
select s.increment from s
select start_value as sv, cache_size cs from s
select cycle_option from s where next_not_cached_value > 5 and increment <> 3
select * from s where not (increment = 2)
select * from s where increment = 2 or 1 = 0
select nosuch_column from s
select * from nosuch
select nextval(s) from nosuch
select lastval(s) from s
select nextval(nosuch) from s
select lastval(nosuch) from s
select nextval(s), nextval(nosuch) from s
select lastval(s)
select s.INCREMENT, `s`.cache_size from s
select S.increment from s
select x.increment from s
select * from s where s.increment = 2
select * from s where x.increment = 2
select nextval(s) from s where nosuch = 1
select lastval(s)
select `cache_size`, INCREMENT, Cycle_Count from s
select s.* from s
select nextval(s), lastval(s), increment from s where 1 = 0
select 1, s.*, nextval(s) from s
select x.* from s
select s.* as x from s
select *, cycle_count from s
select 1, * from s
