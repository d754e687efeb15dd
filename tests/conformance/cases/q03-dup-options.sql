-- Duplicate options (SEMANTICS 1.2).
CREATE SEQUENCE s start with 1 start with 2
CREATE SEQUENCE s increment 1 increment 3
CREATE SEQUENCE s cache 5 nocache
CREATE SEQUENCE s nocache nocache
CREATE SEQUENCE s cache 1 cache 2
CREATE SEQUENCE s cycle nocycle
CREATE SEQUENCE s cycle cycle
CREATE SEQUENCE s maxvalue 5 maxvalue 7
CREATE SEQUENCE s maxvalue 50 nomaxvalue
CREATE SEQUENCE s nomaxvalue maxvalue 50
CREATE SEQUENCE s no maxvalue no maxvalue
CREATE SEQUENCE s minvalue 5 no minvalue
CREATE SEQUENCE s no minvalue no minvalue
CREATE SEQUENCE s nominvalue no minvalue
CREATE SEQUENCE s minvalue 5 minvalue 7
SHOW CREATE SEQUENCE s
DROP SEQUENCE s
CREATE SEQUENCE s no minvalue minvalue 5
SHOW CREATE SEQUENCE s
DROP SEQUENCE s
CREATE SEQUENCE s start with 10 NO MINVALUE minvalue=1
SHOW CREATE SEQUENCE s
SHOW TABLES
