-- INSERT / REPLACE forms on a sequence.
create sequence s cache 5
replace into s values (10, 1, 100, 1, 1, 5, 0, 0)
select nextval(s)
insert s value (20, 1, 100, 1, 1, 5, 0, 0)
select nextval(s)
insert into s (cycle_count, cycle_option, cache_size, increment, start_value, maximum_value, minimum_value, next_not_cached_value) values (0, 1, 0, -1, 50, 100, 1, 60)
select * from s
select nextval(s), nextval(s)
insert into s (next_not_cached_value, minimum_value, maximum_value, start_value, increment, cache_size, cycle_option, nosuch) values (1, 1, 2, 1, 1, 0, 0, 0)
insert into s values (50, 1, 100, 1, 1, -1, 0, 0)
insert into s values (101, 1, 100, 1, 1, 0, 0, 0)
select nextval(s)
insert into s values (1, 1, 100, 1, 1, 0, 0, 0), (0, 1, 100, 1, 1, 0, 0, 0)
select * from s
insert into s values (1, 1, 100, 200, 1, 0, 0, 0)
insert into s values (1, 1, 100, 1, 1, 0, 0)
insert into s values ()
create temporary sequence t
insert into t values (0, 1, 100, 1, 1, 0, 0, 0)
insert into t values (7, 1, 100, 1, 1, 0, 0, 0)
select nextval(t)
show create sequence t
