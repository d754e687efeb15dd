-- DROP lists mixing temporary and base sequences, across connections.
create sequence a
create sequence b
create temporary sequence a start with 50
create temporary sequence t
drop temporary sequence a, t, b
select nextval(a)
select nextval(t)
drop sequence if exists t, a, b, a2
show tables
-- @conn 2
create temporary sequence x
select nextval(x)
-- @conn 1
drop sequence x
create sequence x start with 9
-- @conn 2
select nextval(x)
drop sequence x
select nextval(x)
-- @conn 1
select nextval(x)
drop table if exists x, y
drop view x
drop view if exists x
