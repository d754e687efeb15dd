-- cycle_count at the edges of BIGINT: a wrap past 9223372036854775807 and
-- a negative inserted count read back as 9223372036854775807 once the row
-- is written; SETVAL compares rounds as unsigned.
create sequence f maxvalue 2 cycle nocache
insert into f values (1, 1, 2, 1, 1, 0, 1, 9223372036854775807)
select nextval(f)
select nextval(f)
select * from f
select nextval(f)
select * from f
select nextval(f)
select nextval(f)
select * from f
select setval(f, 1, 1, 0)
select setval(f, 1, 1, 9223372036854775807)
select nextval(f)
create sequence g maxvalue 2 cycle nocache
insert into g values (1, 1, 2, 1, 1, 0, 1, -5)
select * from g
select setval(g, 1, 1, 0)
select nextval(g)
select * from g
select setval(g, 1, 1, 9223372036854775807)
select nextval(g)
create sequence h maxvalue 20 cycle cache 5
insert into h values (1, 1, 20, 1, 1, 5, 1, -1)
select setval(h, 3)
select * from h
select nextval(h)
select * from h
