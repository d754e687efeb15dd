-- USE: only the instance's own database; an empty name is "No database
-- selected" (1046), a bad one 1102, a missing one 1049. USE uses no table:
-- the previous statement's warnings stay.
CREATE SEQUENCE s
USE c_q66_use
USE `c_q66_use`
SELECT NEXTVAL(s)
USE nodb
SHOW WARNINGS
USE C_Q66_USE
USE ``
SHOW WARNINGS
USE `a `
USE aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
USE `select`
USE value
USE temporary
USE select
USE
USE c_q66_use x
USE 'c_q66_use'
USE c_q66_use.s
SELECT 1/0
USE c_q66_use
SHOW WARNINGS
SELECT NEXTVAL(s)
