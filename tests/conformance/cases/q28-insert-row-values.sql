-- INSERT row values at the column types' edges; multi-row partial failure.
create sequence s
insert into s values (50, 1, 100, 1, 1, -1, 0, 0)
insert into s values (9223372036854775808, 1, 100, 1, 1, 0, 0, 0)
insert into s values (1, 1, 100, 1, 1, 0, 256, 0)
insert into s values (1, 1, 100, 1, 1, 0, -1, 0)
insert into s values (1, 1, 100, 1, 1, 18446744073709551615, 0, 0)
insert into s values (1, 1, 100, 1, 1, 18446744073709551616, 0, 0)
insert into s values (7, 1, 100, 1, 1, 0, 0, 0), (8, 1, 100, 1, 1, -1, 0, 0)
select * from s
select nextval(s)
insert into s values (1, 1, 100, 1, 1, 0, 0, 0), (0, 1, 100, 1, 1, 0, 0, 0)
select * from s
insert into s values (), ()
insert into s values (1, 1, 100, 1, 1, 0, 0, 0), ()
insert into s () values ()
insert into s (next_not_cached_value) values ()
insert into nosuch values ()
insert into s (nosuch) values (1)
