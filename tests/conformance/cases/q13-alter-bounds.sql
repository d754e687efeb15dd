-- ALTER: minvalue conflicts, no maxvalue, exhausted sequences.
create sequence s
alter sequence s minvalue 10
alter sequence s minvalue 10 restart 10
alter sequence s minvalue 20 start 20 restart
select nextval(s)
show create sequence s
create sequence m maxvalue 5 cache 0
select nextval(m), nextval(m), nextval(m)
alter sequence m maxvalue 2
select nextval(m)
alter sequence m maxvalue 30 restart with 31
select nextval(m)
alter sequence m no maxvalue
show create sequence m
select nextval(m)
create sequence d increment by -1
alter sequence d no minvalue
alter sequence d no maxvalue
show create sequence d
alter sequence d nominvalue
create sequence t1 maxvalue=100
alter sequence t1 increment=-2 start with 50
select nextval(t1)
select nextval(t1)
select next_not_cached_value from t1
alter sequence t1 restart
select nextval(t1)
