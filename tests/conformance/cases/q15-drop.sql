-- DROP lists (SEMANTICS 6).
create sequence s1
create sequence s2
create sequence s3
drop sequence s1, nosuch, s2
show tables
drop sequence nosuch1, nosuch2
drop sequence if exists s3, nosuch, nosuch2
show tables
create sequence a
drop sequence a, a
show tables
drop sequence if exists a, b, a
drop temporary sequence a
show tables
drop temporary sequence if exists a
drop table a
show tables
drop table nosuch
drop table if exists nosuch, nosuch2
create sequence b
drop table b, nosuch
show tables
drop sequence
drop sequence x,
drop sequences x
drop sequence if not exists x
