-- ALTER SEQUENCE: RESTART forms, increment change, IF EXISTS.
create sequence s cache 10
select nextval(s)
alter sequence s restart
select nextval(s)
alter sequence s restart with 50
select * from s
alter sequence s restart = 60
select nextval(s)
alter sequence s restart 70
select nextval(s)
alter sequence s restart with 0
alter sequence s start with 5 restart
select nextval(s)
alter sequence s restart restart
alter sequence s restart with 3 restart with 4
alter sequence s
alter sequence s comment 'x'
alter sequence s engine=innodb
alter sequence s start 1 start 2
alter sequence if exists nosuch restart
alter sequence nosuch restart
alter sequence if exists s restart with 9
select nextval(s)
select lastval(s)
create sequence t cache 10
select nextval(t), nextval(t)
alter sequence t increment 3
select nextval(t), nextval(t)
show create sequence t
select * from t
