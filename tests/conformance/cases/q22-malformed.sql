-- Malformed statements of many kinds (1064).
create sequence
create sequence s start
create sequence s start with
create sequence s increment by by 2
create sequence s maxvalue
create sequence s cache
create sequence s cycle 5
create sequence s (s int)
create sequence s start with 1,
create sequence s start with --5
create sequence 1s2
select nextval()
select nextval(s
select nextval(s))
select next value s
select previous value for
select setval(s, 'a')
select setval(s, 1, 1, 1, 1)
alter sequence
drop
select
select 1 2 3
do
create sequence s start with 1 1
show create sequence
show sequences
create sequence s
select setval(s, 10, -1)
select nextval(s) from
select * from s where
