-- Validation 4085 and limits (SEMANTICS 1.4 worked table).
create sequence s1 maxvalue 9223372036854775807
create sequence s2 maxvalue 9223372036854775806 start with 10
create sequence s3 minvalue -9223372036854775807 increment -1
create sequence s5 minvalue 5 maxvalue 5
create sequence s6 start with 0
create sequence s7 start with -5
create sequence s8 cache 9223372036854775805
create sequence s9 cache 9223372036854775806
create sequence s10 cache -1
create sequence s11 increment 4611686018427387903 cache 0
create sequence s12 increment 4611686018427387903 cache 1
create sequence s13 increment 9223372036854775806 cache 0
create sequence s14 increment 123456789012345678
create sequence s15 increment 123456789012345678 cache 72
create sequence s16 increment 123456789012345678 cache 73
create sequence s17 increment -9223372036854775807 cache 0
create sequence s18 start with 10 maxvalue 9
create sequence s19 minvalue 100 maxvalue 10
create sequence s21 start with 5.5
create sequence s22 start with '5'
create sequence s23 start with 1e3
create sequence s24 start with 0x10
create sequence s25 start with (5)
create sequence s26 minvalue 5 maxvalue 6
show create sequence s26
show tables
