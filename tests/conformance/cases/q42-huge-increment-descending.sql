-- NOMAXVALUE CYCLE with a descending increment of -1e18: the values cross
-- zero and go on to MINVALUE before the round wraps.
create sequence q nomaxvalue cycle cache 1 increment by -1000000000000000000
select nextval(q)
select nextval(q)
select nextval(q)
select nextval(q)
select nextval(q)
select nextval(q)
select nextval(q)
select nextval(q)
select nextval(q)
select nextval(q)
select nextval(q)
select nextval(q)
select * from q
select nextval(q), nextval(q), nextval(q), nextval(q), nextval(q), nextval(q), nextval(q), nextval(q)
select nextval(q), nextval(q)
select * from q
-- The same without CYCLE, and with a cache block of five.
create sequence r nomaxvalue nocycle cache 5 increment by -1000000000000000000
select nextval(r), nextval(r), nextval(r), nextval(r), nextval(r), nextval(r), nextval(r), nextval(r), nextval(r), nextval(r)
select * from r
select nextval(r), nextval(r), nextval(r), nextval(r), nextval(r), nextval(r), nextval(r), nextval(r)
select * from r
select nextval(r)
-- Descending from the top with the default MINVALUE.
create sequence d start with 9223372036854775806 maxvalue 9223372036854775806 increment by -2305843009213693951 cache 2
select nextval(d), nextval(d), nextval(d), nextval(d), nextval(d), nextval(d), nextval(d), nextval(d)
select * from d
select nextval(d)
