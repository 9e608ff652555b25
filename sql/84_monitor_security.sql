-- Monitors and rights: a monitor runs as its owner, who must be able to
-- read what it measures; others see neither it nor what it found
\set VERBOSITY terse
SET TimeZone = 'UTC';
SELECT setval('dq.monitor_id_seq', 3000, false) IS NOT NULL AS ids_from_3000;

CREATE ROLE mon_alice;
CREATE ROLE mon_bob;
CREATE TABLE sec_t (id int, ts timestamptz, secret text);
INSERT INTO sec_t SELECT g, '2024-01-01 00:00+00'::timestamptz + g * interval '1 hour', 'code-' || g
  FROM generate_series(1, 100) g;
GRANT SELECT ON sec_t TO mon_alice;

-- no SELECT, no monitor
SET ROLE mon_bob;
SELECT dq.monitor('sec_t', 'volume', options => '{"schedule": null}');
RESET ROLE;

SET ROLE mon_alice;
SELECT dq.monitor('sec_t', 'column', 'secret', '{"schedule": null, "watermark": "ts"}') AS a_id \gset
SELECT dq.run_monitor(:a_id);
SELECT count(*) > 0 AS alice_sees_metrics FROM dq.metric_points WHERE relid = 'sec_t'::regclass;
SELECT (dq.monitor_window(:a_id, '2024-01-01', '2024-02-01') -> 'top_values') IS NOT NULL AS alice_sees_values;
RESET ROLE;

-- bob sees nothing of it, and cannot touch it
SET ROLE mon_bob;
SELECT count(*) AS monitors FROM dq.monitors;
SELECT count(*) AS metrics FROM dq.metric_points WHERE relid = 'sec_t'::regclass;
SELECT count(*) AS sketches FROM dq.metric_sketches;
SELECT dq.run_monitor(:a_id);
SELECT dq.reset_baseline(:a_id);
SELECT dq.unmonitor('sec_t');
SELECT dq.monitor_window(:a_id, '2024-01-01', '2024-02-01');
-- nor can he read or hand-make sketches, or write the catalog
SELECT dq.column_sketch_metrics(sketch) FROM dq.metric_sketches;
SELECT dq.column_sketch_metrics('\x01000000');
INSERT INTO dq.anomalies (relid, schema_name, table_name, kind, metric, bucket, severity)
VALUES ('sec_t'::regclass, 'public', 'sec_t', 'volume', 'x', now(), 'warn');
UPDATE dq.monitor_definitions SET owner = 'mon_bob';
SELECT dq_internal.monitor_schema_sync(1, 'x', 'x', 'x');
RESET ROLE;

-- A superuser running alice's monitor runs it as alice: once alice lost
-- SELECT, the run is refused
REVOKE SELECT ON sec_t FROM mon_alice;
SELECT dq.run_monitor(:a_id);
-- and the scheduled pass records the error against the monitor
SET ROLE mon_alice;
SELECT dq.run_monitors();
SELECT last_error FROM dq.monitors WHERE monitor_id = :a_id;
RESET ROLE;

-- Code of the table's owner runs under a restricted security context: a
-- view whose function tries to change the session fails the run
GRANT SELECT ON sec_t TO mon_alice;
CREATE FUNCTION sec_sneaky(t text) RETURNS text LANGUAGE plpgsql AS
$$ BEGIN EXECUTE 'CREATE TEMP TABLE sec_stolen (x text)'; RETURN t; END $$;
CREATE VIEW sec_v AS SELECT id, ts, sec_sneaky(secret) AS secret FROM sec_t;
GRANT SELECT ON sec_v TO mon_alice;
SET ROLE mon_alice;
SELECT dq.monitor('sec_v', 'column', 'secret', '{"schedule": null}') AS v_id \gset
SELECT dq.run_monitor(:v_id);
RESET ROLE;

DROP VIEW sec_v;
DROP FUNCTION sec_sneaky(text);
SELECT dq.unmonitor('sec_t') + 0 AS removed;
SELECT dq.unmonitor(relid::regclass) FROM dq.monitor_definitions WHERE owner = 'mon_alice'::regrole;
DROP TABLE sec_t;
DROP OWNED BY mon_alice, mon_bob;
DROP ROLE mon_alice;
DROP ROLE mon_bob;
