-- An inserted cycle_option other than 0/1 is kept in the row until the
-- row is written again (a refill, a SETVAL that writes, a wrap, ALTER);
-- from then on it reads 1.
create sequence s maxvalue 100 cache 10
insert into s values (1, 1, 100, 1, 1, 10, 2, 0)
select * from s
show create sequence s
select nextval(s)
select * from s
select nextval(s)
select * from s
create sequence t maxvalue 100 cache 10
insert into t values (1, 1, 100, 1, 1, 10, 255, 0)
select cycle_option from t
select setval(t, 0)
select cycle_option from t
select setval(t, 5)
select cycle_option from t
create sequence u maxvalue 100 cache 10
insert into u values (1, 1, 100, 1, 1, 10, 7, 0)
alter sequence u cache 5
select cycle_option from u
create sequence v maxvalue 3 nocache
insert into v values (1, 1, 3, 1, 1, 0, 2, 0)
select nextval(v)
select * from v
select nextval(v), nextval(v), nextval(v)
select * from v
create sequence w maxvalue 100 cache 10
insert into w values (1, 1, 100, 1, 1, 10, 2, 0)
select setval(w, 5, 1, 1)
select * from w
-- A NEXTVAL that runs out writes nothing: the inserted value stays.
create sequence x maxvalue 100 cache 10
insert into x values (101, 1, 100, 1, 1, 10, 0, 0)
insert into x values (101, 1, 100, 1, 1, 10, 3, 0)
select * from x
select nextval(x)
select * from x
