-- ALTER cycle/nocycle flips on exhausted sequences.
create sequence s3 start with 1 maxvalue 5 cycle cache 0
select nextval(s3), nextval(s3), nextval(s3), nextval(s3), nextval(s3), nextval(s3)
select * from s3
alter sequence s3 nocycle
select * from s3
select nextval(s3), nextval(s3), nextval(s3), nextval(s3)
select nextval(s3)
select nextval(s3)
alter sequence s3 cycle
select nextval(s3)
select cycle_count from s3
create sequence r maxvalue 2 nocache
select nextval(r), nextval(r)
select nextval(r)
select lastval(r)
alter sequence r cache 5
select nextval(r)
alter sequence r maxvalue 3
select nextval(r)
select lastval(r)
create sequence w maxvalue 4 cycle cache 2
select nextval(w), nextval(w), nextval(w), nextval(w), nextval(w)
select cycle_count from w
alter sequence w cache 3
select * from w
select nextval(w)
