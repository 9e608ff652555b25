-- Schema monitors: every column added, dropped, renamed or retyped, with
-- who, when, and the downstream columns it can break; monitors of dropped
-- relations stop and say why
\set VERBOSITY terse
SET TimeZone = 'UTC';
SELECT setval('dq.monitor_id_seq', 2000, false) IS NOT NULL AS ids_from_2000;

CREATE ROLE sch_dba;
CREATE TABLE sch_orders (id int PRIMARY KEY, customer_id int, amount numeric, email text);
ALTER TABLE sch_orders OWNER TO sch_dba;
CREATE VIEW sch_big AS SELECT id, amount * 2 AS double_amount, email FROM sch_orders WHERE amount > 100;
CREATE VIEW sch_bigger AS SELECT id, double_amount + 1 AS plus_one FROM sch_big;
CREATE TABLE sch_daily AS SELECT customer_id, sum(amount) AS total FROM sch_orders GROUP BY 1;
SELECT dq.monitor('sch_orders', 'schema', options => '{"schedule": null}') AS sch_id \gset
SELECT dq.monitor('sch_orders', 'column', 'amount', '{"schedule": null}') AS col_id \gset
SELECT dq.monitor('sch_orders', 'volume', options => '{"schedule": null}') AS vol_id \gset
SELECT jsonb_pretty(state -> 'columns') FROM dq.monitor_definitions WHERE monitor_id = :sch_id;

-- changes made by the table's owner
-- the table's name is not a column: nothing recorded, the monitor follows it
ALTER TABLE sch_orders RENAME TO sch_orders2;
ALTER TABLE sch_orders2 RENAME TO sch_orders;
SET ROLE sch_dba;
ALTER TABLE sch_orders ADD COLUMN note text;
ALTER TABLE sch_orders RENAME COLUMN email TO mail;
ALTER TABLE sch_orders ALTER COLUMN customer_id TYPE bigint;
-- a DDL that rolls back leaves nothing
BEGIN;
ALTER TABLE sch_orders ADD COLUMN oops int;
ROLLBACK;
-- dropped under two views: the views go too, and their columns are impacted
ALTER TABLE sch_orders DROP COLUMN amount CASCADE;
RESET ROLE;

SELECT change, attnum, column_name, old_name, old_type, new_type, changed_by, command_tag,
	   jsonb_pretty(impacted) AS impacted
  FROM dq.schema_changes WHERE monitor_id = :sch_id ORDER BY change_id;
SELECT kind, metric, severity, state, detail ->> 'changed_by' AS changed_by
  FROM dq.anomalies WHERE monitor_id = :sch_id ORDER BY anomaly_id;
SELECT changed_at = bucket AS same_time FROM dq.schema_changes c
  JOIN dq.anomalies a ON a.monitor_id = c.monitor_id AND a.metric = c.change || ':' || c.column_name
 WHERE c.monitor_id = :sch_id LIMIT 1;
-- the snapshot follows the changes
SELECT x ->> 'attnum' AS attnum, x ->> 'name' AS name, x ->> 'type' AS type
  FROM dq.monitor_definitions m, jsonb_array_elements(m.state -> 'columns') x
 WHERE m.monitor_id = :sch_id;
-- the column monitor of the dropped column stopped, saying why
SELECT kind, enabled, status
  FROM dq.monitor_definitions WHERE monitor_id IN (:col_id, :vol_id) ORDER BY kind;
SELECT dq.run_monitor(:col_id);

-- Changes the event trigger could not see (here: event triggers off in
-- replication mode) are found by the scheduled check
SET session_replication_role = replica;
ALTER TABLE sch_orders ADD COLUMN hidden int;
RESET session_replication_role;
SELECT count(*) AS recorded FROM dq.schema_changes WHERE column_name = 'hidden';
SELECT dq.run_monitor(:sch_id);
SELECT change, column_name, changed_by, command_tag FROM dq.schema_changes
 WHERE column_name = 'hidden';
SELECT metric, value FROM dq.metric_points WHERE source = 'monitor' AND source_id = :sch_id;

-- Views can be schema-monitored: CREATE OR REPLACE VIEW adds a column
CREATE VIEW sch_v AS SELECT id FROM sch_orders;
SELECT dq.monitor('sch_v', 'schema', options => '{"schedule": null}') AS v_id \gset
CREATE OR REPLACE VIEW sch_v AS SELECT id, note FROM sch_orders;
SELECT change, column_name, new_type, command_tag FROM dq.schema_changes WHERE monitor_id = :v_id;

-- Dropping the relation stops its monitors, with a NOTICE and the reason
SET ROLE sch_dba;
DROP TABLE sch_orders CASCADE;
RESET ROLE;
SELECT kind, enabled, status
  FROM dq.monitors WHERE monitor_id IN (:sch_id, :vol_id, :v_id) ORDER BY monitor_id;
SELECT change, table_name FROM dq.schema_changes WHERE monitor_id IN (:sch_id, :v_id)
   AND change = 'table_dropped' ORDER BY change_id;
SELECT dq.run_monitor(:vol_id);
-- their history stays, under the old names
SELECT table_name, kind FROM dq.monitors WHERE monitor_id = :sch_id;
-- a dropped relation is named by its OID
SELECT dq.unmonitor(relid::regclass) AS removed FROM dq.monitor_definitions WHERE monitor_id = :sch_id;

-- Without a schema monitor nothing is recorded
CREATE TABLE sch_plain (a int);
ALTER TABLE sch_plain ADD COLUMN b int;
SELECT count(*) FROM dq.schema_changes WHERE table_name = 'sch_plain';
DROP TABLE sch_plain;
DROP TABLE sch_daily;
DROP ROLE sch_dba;
