-- The same rules for a TEMPORARY sequence (held by the connection).
create temporary sequence s start with 20 minvalue 3 maxvalue 20 increment by 2
select setval(s,23,0)
select nextval(s)
select * from s
select setval(s,21,0)
select setval(s,22,0)
select * from s
select nextval(s)
select * from s
create temporary sequence t maxvalue 100 cache 10
insert into t values (1, 1, 100, 1, 1, 10, 2, 0)
select * from t
select nextval(t)
select * from t
create temporary sequence u maxvalue 2 cycle nocache
insert into u values (1, 1, 2, 1, 1, 0, 1, 9223372036854775807)
select nextval(u), nextval(u), nextval(u)
select * from u
select setval(u, 1, 1, 9223372036854775807)
create temporary sequence w maxvalue 2 cycle nocache
insert into w values (1, 1, 2, 1, 1, 0, 1, -5)
select * from w
select nextval(w)
select * from w
