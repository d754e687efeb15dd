-- TEMPORARY sequences across connections, shadowing and LASTVAL.
create sequence s start with 100
select nextval(s)
create temporary sequence s start with 1
select lastval(s)
select nextval(s)
select lastval(s)
show tables
show create sequence s
select * from s
-- @conn 2
select nextval(s)
select lastval(s)
create temporary sequence t
select nextval(t)
-- @conn 1
select nextval(t)
create temporary sequence t start with 5
select nextval(t)
create temporary sequence t
create temporary sequence if not exists t
alter sequence t restart
drop temporary sequence s
select lastval(s)
select nextval(s)
drop temporary sequence t
-- @conn 2
select nextval(t)
drop sequence t
select nextval(t)
show full tables
