-- Progress and counters of the extension's own work: dq.progress seen from
-- inside a running profile, operations ended by errors, dq.stats after
-- known work, the settings and who may use what
\set VERBOSITY terse
SET client_min_messages = warning;

SELECT dq.stats_reset() IS NOT NULL AS reset;
SELECT count(*) AS nothing_runs FROM dq.progress WHERE pid = pg_backend_pid();
SHOW dq_lineage.progress_notice;
SHOW dq_lineage.track_progress;

CREATE TABLE obs_t AS SELECT g AS id, g % 7 AS k FROM generate_series(1, 1000) g;
ANALYZE obs_t;

-- A view that reads dq.progress while it is profiled: its one value is
-- what the profile's own row showed during the scan.
CREATE VIEW obs_seen AS
	SELECT t.id, (SELECT p.operation || ':' || p.phase || ':' || p.table_name || ':' ||
						 coalesce(p.blocks_total::text, 'no blocks')
					FROM dq.progress p WHERE p.pid = pg_backend_pid()) AS seen
	  FROM obs_t t;
SELECT dq.profile('obs_seen') > 0 AS profiled;
SELECT column_name, min_value, max_value FROM dq.latest_profile
 WHERE table_name = 'obs_seen' AND column_name = 'seen';

-- The same with dq_lineage.track_progress off: not shown, still counted.
SET dq_lineage.track_progress = off;
SELECT dq.profile('obs_seen') > 0 AS profiled;
SELECT column_name, null_count FROM dq.latest_profile
 WHERE table_name = 'obs_seen' AND column_name = 'seen';
RESET dq_lineage.track_progress;

-- Known work on obs_t.
SELECT dq.profile('obs_t') > 0 AS profiled;
SELECT dq.profile('obs_t', columns => ARRAY['k']::name[]) > 0 AS profiled;
SELECT dq.expect('obs_t', 'expect_column_values_to_be_between', 'k',
				 '{"min_value": 0, "max_value": 5}') > 0 AS expected;
SELECT dq.validate('obs_t') > 0 AS validated;
-- a failed validation (its error rolls it back) is counted as a failure
SELECT dq.validate('obs_t', raise_on_failure => true);
-- so is one that fails in a subtransaction; its progress row is gone
DO $$
BEGIN
	PERFORM dq.validate('obs_t', raise_on_failure => true);
EXCEPTION WHEN check_violation THEN
	NULL;
END $$;
SELECT count(*) AS nothing_runs FROM dq.progress WHERE pid = pg_backend_pid();
SELECT dq.check('obs_t', 'expect_column_values_to_not_be_null', 'id') ->> 'success' AS check_success;
-- an error before the scan: the operation had not begun, nothing counted
SELECT dq.profile('obs_t', columns => ARRAY['nosuch']::name[]);

SELECT operation, table_name, calls, failures, skipped, rows, violations,
	   total_time >= max_time AS times_add_up,
	   abs(mean_time - total_time / calls) < 1e-9 AS mean_ok,
	   last_at >= stats_reset AS counted_after_reset
  FROM dq.stats
 WHERE database = current_database() AND table_name LIKE 'obs\_%'
 ORDER BY operation, table_name;

-- Settings and privileges.
SET dq_lineage.progress_notice = -1;
SET dq_lineage.progress_notice = '10s';
SHOW dq_lineage.progress_notice;
RESET dq_lineage.progress_notice;
CREATE ROLE obs_user;
GRANT SELECT ON obs_t TO obs_user;
SET ROLE obs_user;
SET dq_lineage.track_progress = off;
SELECT dq.stats_reset();
SELECT count(*) >= 0 AS reads_progress FROM dq.progress;
SELECT count(*) > 0 AS reads_own_database_stats FROM dq.stats;
RESET ROLE;
REVOKE SELECT ON obs_t FROM obs_user;
DROP ROLE obs_user;

DROP VIEW obs_seen;
DROP TABLE obs_t;
