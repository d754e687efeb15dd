-- SHOW CREATE on missing, SHOW TABLES / SHOW FULL TABLES.
show tables
show full tables
show create sequence nosuch
create sequence b
create sequence a comment 'first'
create sequence `c d`
show tables
show full tables
show create sequence a
show create sequence `c d`
show create sequence c_q19_show.b
show create sequence nodb.b
show tables from c_q19_show
show full tables in c_q19_show
show tables from nodb
drop sequence b
show create sequence b
show tables
