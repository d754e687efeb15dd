-- Qualified names with the right and a wrong database.
create sequence c_q21_qualified.s1
select nextval(c_q21_qualified.s1)
select next value for c_q21_qualified.s1
select lastval(c_q21_qualified.s1), previous value for c_q21_qualified.s1
select setval(c_q21_qualified.s1, 10)
select nextval(s1)
select * from c_q21_qualified.s1
alter sequence c_q21_qualified.s1 restart
select nextval(s1)
show create sequence c_q21_qualified.s1
create sequence nodb.s2
create or replace sequence nodb.s2
create sequence if not exists nodb.s2
select nextval(nodb.s1)
select lastval(nodb.s1)
select setval(nodb.s1, 5)
select * from nodb.s1
select nextval(s1) from nodb.s1
alter sequence nodb.s1 restart
alter sequence if exists nodb.s1 restart
insert into nodb.s1 values (1, 1, 2, 1, 1, 0, 0, 0)
drop sequence nodb.s1
drop table nodb.s1
drop sequence if exists nodb.s1, nosuch
drop sequence c_q21_qualified.nosuch
create sequence s2
drop sequence c_q21_qualified.s1, nodb.s2, s2
show tables
