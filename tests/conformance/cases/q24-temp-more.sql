-- More on temporary sequences: INSERT, OR REPLACE, DROP lists.
create temporary sequence t cache 5
select nextval(t)
insert into t values (20, 1, 100, 1, 1, 5, 0, 0)
select nextval(t)
select * from t
create or replace temporary sequence t start with 7
select lastval(t)
select nextval(t)
create temporary sequence u start with 0
create sequence b
create temporary sequence b start with 3
drop sequence b
select nextval(b)
drop sequence b
select nextval(b)
create temporary sequence x
create sequence y
drop temporary sequence x, y, z
select nextval(x)
select nextval(y)
