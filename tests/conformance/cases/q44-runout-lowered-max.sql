-- MAXVALUE lowered below values already handed out, a NEXTVAL that runs out,
-- MAXVALUE raised again: the next value is MAXVALUE+1 of the lowered bound,
-- as the run-out left the in-memory reservation there.
create sequence s maxvalue 100 cache 10
select nextval(s), nextval(s), nextval(s), nextval(s), nextval(s), nextval(s), nextval(s)
select * from s
alter sequence s maxvalue 5
select * from s
select nextval(s)
select * from s
alter sequence s maxvalue 100
select * from s
select nextval(s)
select nextval(s)
-- Descending.
create sequence d increment by -1 minvalue -100 maxvalue -1 cache 10
select nextval(d), nextval(d), nextval(d)
alter sequence d minvalue -2
select nextval(d)
alter sequence d minvalue -100
select nextval(d)
select * from d
