-- The dq_lineage output plugin on its own slot, read with the SQL
-- functions (the worker is not involved: the table is entered into
-- dq.watched_tables directly).  LSNs, XIDs and times are left out.
\set VERBOSITY terse
CREATE TABLE cdc_p (id int PRIMARY KEY, qty int, status text, note text);
SELECT dq.expect('cdc_p', 'expect_column_values_to_be_between', 'qty', '{"min_value": 0}') AS e1 \gset
SELECT dq.expect('cdc_p', 'expect_column_values_to_be_in_set', 'status', '{"value_set": ["new", "paid"]}') AS e2 \gset
SELECT 'init' FROM pg_create_logical_replication_slot('regress_dq_plugin', 'dq_lineage');
INSERT INTO dq.watched_tables (relid, schema_name, table_name, owner)
     VALUES ('cdc_p'::regclass, 'public', 'cdc_p', current_user);

CREATE VIEW cdc_lines AS
SELECT (data::jsonb - 'lsn' - 'xid' - 'commit_time' - 'relid' - 'expectation_id')::text AS line
  FROM pg_logical_slot_peek_changes('regress_dq_plugin', NULL, NULL);

INSERT INTO cdc_p VALUES (1, 5, 'new', NULL), (2, -1, 'new', 'x'), (3, 7, 'lost', NULL);
UPDATE cdc_p SET qty = -9 WHERE id = 1;
DELETE FROM cdc_p WHERE id = 3;
SELECT line FROM cdc_lines;

-- options
SELECT count(*) FROM pg_logical_slot_peek_changes('regress_dq_plugin', NULL, NULL, 'row_images', 'off')
 WHERE data::jsonb ? 'row';
SELECT count(*) FROM pg_logical_slot_peek_changes('regress_dq_plugin', NULL, NULL, 'row_images', 'maybe');
SELECT count(*) FROM pg_logical_slot_peek_changes('regress_dq_plugin', NULL, NULL, 'format', 'json');
SELECT 'skip' FROM pg_logical_slot_get_changes('regress_dq_plugin', NULL, NULL);

-- an expectation disabled, then dropped: the plugin follows
SELECT dq.set_expectation_enabled(:e1, false);
INSERT INTO cdc_p VALUES (10, -1, 'new', NULL);
SELECT dq.drop_expectation(:e2);
INSERT INTO cdc_p VALUES (11, -1, 'gone', NULL);
SELECT count(*) FROM cdc_lines;
SELECT dq.set_expectation_enabled(:e1, true);
INSERT INTO cdc_p VALUES (12, -1, 'new', NULL);
SELECT line FROM cdc_lines;

-- DELETEs are checked only by expectations whose cdc_operations say so,
-- on the old row: its identity columns, or every column with REPLICA IDENTITY FULL
SELECT 'skip' FROM pg_logical_slot_get_changes('regress_dq_plugin', NULL, NULL);
SELECT dq.expect('cdc_p', 'expect_column_values_to_be_between', 'id',
				 '{"max_value": 100, "cdc_operations": ["DELETE"]}') AS e3 \gset
SELECT dq.expect('cdc_p', 'expect_row_condition', NULL,
				 '{"row_condition": "status <> ''paid''", "cdc_operations": ["delete"]}') AS e4 \gset
INSERT INTO cdc_p VALUES (200, 1, 'paid', NULL), (201, 1, 'new', NULL);
DELETE FROM cdc_p WHERE id IN (200, 201, 12);
SELECT line FROM cdc_lines;
SELECT 'skip' FROM pg_logical_slot_get_changes('regress_dq_plugin', NULL, NULL);
ALTER TABLE cdc_p REPLICA IDENTITY FULL;
INSERT INTO cdc_p VALUES (202, 1, 'paid', NULL);
DELETE FROM cdc_p WHERE id = 202;
SELECT line FROM cdc_lines;
SELECT dq.drop_expectation(:e3), dq.drop_expectation(:e4);
ALTER TABLE cdc_p REPLICA IDENTITY DEFAULT;
SELECT 'skip' FROM pg_logical_slot_get_changes('regress_dq_plugin', NULL, NULL) LIMIT 1;
SELECT dq.expect('cdc_p', 'expect_column_values_to_not_be_null', 'id', '{"cdc_operations": "DELETE"}');
SELECT dq.expect('cdc_p', 'expect_column_values_to_not_be_null', 'id', '{"cdc_operations": ["TRUNCATE"]}');
SELECT dq.expect('cdc_p', 'expect_column_values_to_not_be_null', 'id', '{"cdc_operations": [1]}');

-- a table that is not watched produces nothing
CREATE TABLE cdc_q (id int);
SELECT dq.expect('cdc_q', 'expect_column_values_to_be_null', 'id') IS NOT NULL AS defined;
INSERT INTO cdc_q VALUES (1);
SELECT count(*) FROM cdc_lines;

DROP VIEW cdc_lines;
SELECT pg_drop_replication_slot('regress_dq_plugin');
DELETE FROM dq.watched_tables WHERE relid = 'cdc_p'::regclass;
DROP TABLE cdc_p, cdc_q;
-- While cdc_p was watched, the scheduler may have started this database's
-- change validation worker (its slot and a dq.cdc_state row).  With no table
-- watched, its next pass drops the slot and exits: wait for that (up to 60 s),
-- then forget its state, so that the next tests start from none.
DO $$
BEGIN
	FOR i IN 1..600 LOOP
		PERFORM pg_stat_clear_snapshot();
		EXIT WHEN NOT EXISTS (SELECT FROM pg_stat_activity
							   WHERE backend_type = 'dq_lineage cdc worker'
								 AND datname = current_database())
			  AND NOT EXISTS (SELECT FROM pg_replication_slots
							   WHERE slot_name LIKE 'dq\_lineage\_%' AND database = current_database());
		PERFORM pg_sleep(0.1);
	END LOOP;
	DELETE FROM dq.cdc_state;
END $$;
