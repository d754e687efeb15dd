-- INSERT accepts any tinyint cycle_option and a negative cycle_count.
create sequence s
insert into s values (1, 1, 100, 1, 1, 0, 2, 0)
select * from s
insert into s values (1, 1, 100, 1, 1, 0, 0, -1)
select * from s
select nextval(s)
