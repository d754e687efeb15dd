-- The cache is shared by all connections.
create sequence s cache 10
select nextval(s)
-- @conn 2
select nextval(s)
-- @conn 1
select nextval(s)
-- @conn 2
select nextval(s)
select next_not_cached_value from s
-- @conn 3
select lastval(s)
select nextval(s)
-- @conn 1
select lastval(s)
select setval(s, 50)
-- @conn 2
select nextval(s)
-- @conn 3
select * from s
