-- SETVAL examples of SEMANTICS 4.3.
CREATE SEQUENCE s CACHE 5
select setval(s, 10)
select next_not_cached_value from s
select nextval(s), lastval(s)
select setval(s, 11)
select setval(s, 12)
select next_not_cached_value from s
select nextval(s)
select setval(s, 13, 0)
select setval(s, 14, 0)
select nextval(s)
select setval(s,16,0), setval(s,16,0), setval(s,16,1), setval(s,17,0)
select nextval(s)
select lastval(s)
select setval(s, 300, 2)
select nextval(s)
select setval(s, 400, true)
select setval(s, 500, false)
select nextval(s)
select setval(s, 1+1)
select setval(s, NULL)
select setval(s, 600, 1, -1)
select setval(s)
select setval(s, 700, 1, 0, 1)
select * from s
