-- LASTVAL reset rules across connections.
create sequence s cache 10
select nextval(s), nextval(s)
-- @conn 2
select lastval(s)
select nextval(s)
select lastval(s)
-- @conn 1
select lastval(s)
select nextval(s)
alter sequence s restart with 100
select lastval(s)
select setval(s, 500)
select lastval(s)
-- @conn 2
select lastval(s)
create or replace sequence s start with 7
select lastval(s)
-- @conn 1
select lastval(s)
select nextval(s)
-- @conn 2
select lastval(s)
drop sequence s
-- @conn 1
select lastval(s)
create sequence s
select lastval(s)
create sequence r minvalue 1 maxvalue 2 start with 2
select nextval(r)
select lastval(r)
select nextval(r)
select lastval(r)
-- @conn 2
select lastval(r)
select nextval(r)
