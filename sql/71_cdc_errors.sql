-- dq.watch refuses what it cannot validate, with hints
\set VERBOSITY default
CREATE TABLE cdc_e (id int);
CREATE VIEW cdc_e_view AS SELECT * FROM cdc_e;
CREATE UNLOGGED TABLE cdc_e_unlogged (id int);
CREATE TEMP TABLE cdc_e_temp (id int);
SELECT dq.watch('cdc_e_view');
SELECT dq.watch('cdc_e_unlogged');
SELECT dq.watch('cdc_e_temp');
SELECT dq.watch(NULL);
SELECT dq.unwatch(NULL);
-- no SELECT privilege
CREATE ROLE regress_dq_cdc_user;
SET ROLE regress_dq_cdc_user;
SELECT dq.watch('cdc_e');
SELECT dq.unwatch('cdc_e');
RESET ROLE;
-- the first watch of a database creates its slot: not after a write
BEGIN;
INSERT INTO cdc_e VALUES (1);
SELECT dq.watch('cdc_e');
ROLLBACK;
-- unwatching a table that is not watched
SELECT dq.unwatch('cdc_e');
-- only the watcher, the table's owner or a superuser may unwatch
INSERT INTO dq.watched_tables (relid, schema_name, table_name, owner)
     VALUES ('cdc_e'::regclass, 'public', 'cdc_e', 'someone_else');
GRANT SELECT ON cdc_e TO regress_dq_cdc_user;
SET ROLE regress_dq_cdc_user;
SELECT dq.unwatch('cdc_e');
RESET ROLE;
DELETE FROM dq.watched_tables;
REVOKE SELECT ON cdc_e FROM regress_dq_cdc_user;
SELECT count(*) FROM dq.cdc_status;
DROP ROLE regress_dq_cdc_user;
DROP TABLE cdc_e, cdc_e_unlogged CASCADE;
