-- INSERT INTO a sequence: the restore path.
create sequence s
select nextval(s)
insert into s values (20, 1, 100, 1, 1, 10, 0, 0)
select * from s
select nextval(s)
insert into s values (5, 1, 100, 1, 1, 10, 0, 0)
select nextval(s)
insert into s values (0, 1, 100, 1, 1, 10, 0, 0)
insert into s values (5, 10, 1, 1, 1, 10, 0, 0)
select * from s
insert into s values (20, 1, 100, 1, 1, 10, 0, 0), (30, 1, 100, 1, 2, 10, 1, 3)
select * from s
select nextval(s)
insert into s (next_not_cached_value) values (5)
insert into s (next_not_cached_value, minimum_value, maximum_value, start_value, increment, cache_size, cycle_option, cycle_count) values (40, 1, 100, 1, 1, 0, 0, 0)
select nextval(s)
show create sequence s
create sequence r maxvalue 2
select nextval(r), nextval(r)
select nextval(r)
insert into r values (1, 1, 2, 1, 1, 0, 0, 0)
select nextval(r)
insert into nosuch values (1, 1, 2, 1, 1, 0, 0, 0)
insert into s values (1, 1, 2)
