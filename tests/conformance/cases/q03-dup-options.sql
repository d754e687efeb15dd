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
SHOW TABLES
CREATE SEQUENCE s start with 1 increment 1 minvalue 1 maxvalue 10 cache 1 cycle start with 1
CREATE SEQUENCE s nocycle nocache nocycle
CREATE SEQUENCE s no maxvalue maxvalue 5
CREATE SEQUENCE s INCREMENT BY 1 INCREMENT = 2
