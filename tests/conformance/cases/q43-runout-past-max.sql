-- A NEXTVAL that runs out still advances the in-memory reservation to
-- MAXVALUE+1 (nothing is written: SELECT shows the stored row), and ALTER
-- continues from the in-memory reservation.
create sequence s start with 20 minvalue 3 maxvalue 20 increment by 2
select setval(s,23,0)
select * from s
select nextval(s)
select * from s
select nextval(s)
alter sequence s no maxvalue
select * from s
select nextval(s)
select nextval(s)
select * from s
-- ALTER without a NEXTVAL in between keeps the stored position.
create sequence s3 start with 20 minvalue 3 maxvalue 20 increment by 2
select setval(s3,23,0)
alter sequence s3 no maxvalue
select nextval(s3)
-- RESTART beyond MAXVALUE instead of SETVAL.
create sequence s4 start with 20 minvalue 3 maxvalue 20 increment by 2
alter sequence s4 restart with 23
select nextval(s4)
select * from s4
alter sequence s4 no maxvalue
select nextval(s4)
-- Descending: below MINVALUE.
create sequence s5 start with -20 maxvalue -3 minvalue -20 increment by -2
select setval(s5,-23,0)
select nextval(s5)
select * from s5
alter sequence s5 minvalue -100
select * from s5
select nextval(s5)
-- CYCLE wraps instead.
create sequence s6 start with 20 minvalue 3 maxvalue 20 increment by 2 cycle
select setval(s6,23,0)
select nextval(s6)
select * from s6
-- SETVAL after the run-out compares with the in-memory position.
create sequence s7 start with 20 minvalue 3 maxvalue 20 increment by 2
select setval(s7,23,0)
select nextval(s7)
select setval(s7,21,0)
select setval(s7,22,0)
select * from s7
select nextval(s7)
alter sequence s7 no maxvalue
select nextval(s7)
-- A SETVAL that writes clears the run-out flag: the next run-out moves the
-- reservation again.
create sequence s8 start with 20 minvalue 3 maxvalue 20 increment by 2 cache 3
select setval(s8,23,0)
select nextval(s8)
select setval(s8,125,0)
select * from s8
select nextval(s8)
select nextval(s8)
select * from s8
alter sequence s8 no maxvalue
select * from s8
-- INSERT beyond MAXVALUE.
create sequence s9 start with 20 minvalue 3 maxvalue 20 increment by 2
insert into s9 values (23, 3, 20, 20, 2, 1000, 0, 0)
select nextval(s9)
alter sequence s9 no maxvalue
select * from s9
-- The run-out in one connection is seen by another's ALTER.
create sequence s10 start with 20 minvalue 3 maxvalue 20 increment by 2
select setval(s10,1000,0)
-- @conn 2
select nextval(s10)
select lastval(s10)
-- @conn 1
alter sequence s10 maxvalue 30
select nextval(s10)
select * from s10
