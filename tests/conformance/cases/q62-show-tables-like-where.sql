-- SHOW [FULL] TABLES LIKE 'pattern' (names compare case-sensitively) and
-- WHERE on the listed columns (case-insensitively).
CREATE SEQUENCE s
CREATE SEQUENCE S2
CREATE SEQUENCE abc
CREATE SEQUENCE a_c
CREATE TEMPORARY SEQUENCE atmp
SHOW TABLES LIKE 'a%'
SHOW TABLES LIKE 'A%'
SHOW TABLES LIKE 's'
SHOW TABLES LIKE 'a\_c'
SHOW TABLES LIKE 'a_c'
SHOW TABLES LIKE '%'
SHOW TABLES LIKE ''
SHOW FULL TABLES LIKE 'a%'
SHOW TABLES LIKE "s%"
SHOW TABLES WHERE Tables_in_c_q62_show_tables_like_where LIKE 'a%'
SHOW TABLES WHERE tables_in_c_q62_show_tables_like_where = 'S2'
SHOW TABLES WHERE tables_in_c_q62_show_tables_like_where = 's2'
SHOW FULL TABLES WHERE Table_type = 'SEQUENCE' AND Tables_in_c_q62_show_tables_like_where <> 'abc'
SHOW FULL TABLES WHERE table_type = 'sequence'
SHOW FULL TABLES WHERE table_type LIKE 'seq%' AND NOT tables_in_c_q62_show_tables_like_where LIKE '%c'
SHOW TABLES WHERE table_type = 'SEQUENCE'
SHOW TABLES WHERE 1
SHOW TABLES WHERE 0
SHOW TABLES WHERE nosuch = 1
SHOW TABLES WHERE tables_in_c_q62_show_tables_like_where > 'a' OR tables_in_c_q62_show_tables_like_where IS NULL
SHOW TABLES IN c_q62_show_tables_like_where WHERE tables_in_c_q62_show_tables_like_where LIKE '%c'
SHOW TABLES FROM c_q62_show_tables_like_where LIKE 's%'
SHOW TABLES FROM nodb LIKE 's%'
SHOW TABLES LIKE 'a%' WHERE 1
SHOW TABLES WHERE 1 ORDER BY 1
SHOW TABLES LIKE 'x' 'y'
