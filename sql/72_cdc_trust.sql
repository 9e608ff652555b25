-- What the output plugin evaluates itself (built-in code only) and what it
-- leaves to the worker: rules over domains come out as "deferred" lines
-- with the row, a rule that no longer compiles as a "broken" line.  LSNs,
-- XIDs and times are left out.
\set VERBOSITY terse
CREATE DOMAIN cdc_t_posint AS int CHECK (VALUE > 0);
CREATE TYPE cdc_t_mood AS ENUM ('calm', 'angry');
CREATE TABLE cdc_t (id int PRIMARY KEY, qty cdc_t_posint, code text, mood cdc_t_mood, note text);
SELECT dq.expect('cdc_t', 'expect_column_values_to_be_between', 'id', '{"max_value": 10}') AS e_builtin \gset
SELECT dq.expect('cdc_t', 'expect_column_values_to_be_between', 'qty', '{"max_value": 100}') AS e_domain \gset
SELECT dq.expect('cdc_t', 'expect_column_values_to_be_parseable_as', 'code', '{"type": "cdc_t_posint"}') AS e_parse \gset
SELECT dq.expect('cdc_t', 'expect_column_values_to_be_in_set', 'mood', '{"value_set": ["calm"]}') AS e_enum \gset
SELECT dq.expect('cdc_t', 'expect_column_values_to_be_between', 'note', '{"min_value": "b"}') AS e_note \gset
SELECT 'init' FROM pg_create_logical_replication_slot('regress_dq_trust', 'dq_lineage');
INSERT INTO dq.watched_tables (relid, schema_name, table_name, owner)
     VALUES ('cdc_t'::regclass, 'public', 'cdc_t', current_user);

CREATE VIEW cdc_t_lines AS
SELECT CASE (data::jsonb->>'expectation_id')::bigint
         WHEN :e_builtin THEN 'builtin' WHEN :e_domain THEN 'domain'
         WHEN :e_parse THEN 'parse' WHEN :e_enum THEN 'enum' WHEN :e_note THEN 'note' END AS rule,
       (data::jsonb - 'lsn' - 'xid' - 'commit_time' - 'relid' - 'expectation_id')::text AS line
  FROM pg_logical_slot_peek_changes('regress_dq_trust', NULL, NULL);

-- the domain rules leave the plugin unchecked, with the row; the enum's
-- and the built-in types' rules are checked in it
INSERT INTO cdc_t VALUES (1, 5, '7', 'calm', 'c'), (11, 500, 'x', 'angry', 'a');
SELECT rule, line FROM cdc_t_lines ORDER BY rule, line;
SELECT 'skip' FROM pg_logical_slot_get_changes('regress_dq_trust', NULL, NULL);

-- a rule that no longer compiles (its bound does not parse as the new
-- column type) is reported once, as broken, with the next change
ALTER TABLE cdc_t ALTER COLUMN note TYPE int USING NULL;
INSERT INTO cdc_t VALUES (2, 5, '7', 'calm', NULL);
SELECT rule, line FROM cdc_t_lines WHERE line LIKE '%broken%';

-- monitoring roles read the status view
SELECT has_table_privilege('pg_monitor', 'dq.cdc_status', 'SELECT') AS pg_monitor_reads;

DROP VIEW cdc_t_lines;
SELECT pg_drop_replication_slot('regress_dq_trust');
DELETE FROM dq.watched_tables WHERE relid = 'cdc_t'::regclass;
SELECT dq.drop_expectation(expectation_id) FROM dq.expectations WHERE table_name = 'cdc_t';
DROP TABLE cdc_t;
DROP DOMAIN cdc_t_posint;
DROP TYPE cdc_t_mood;
