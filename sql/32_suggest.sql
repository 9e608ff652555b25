-- Suggestions from profiles, validate_all, the scorecard, drops
\set VERBOSITY default
CREATE TABLE sug AS
  SELECT g AS id, (ARRAY['new', 'paid', 'shipped'])[1 + g % 3] AS status,
         'user' || g || '@example.com' AS email, g * 1.5 AS amount,
         CASE WHEN g % 10 = 0 THEN NULL ELSE g END AS maybe
    FROM generate_series(1, 500) g;
SELECT dq.suggest_expectations('sug');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('sug') > 0 AS profiled;
SELECT kind, column_name, params, mostly, reason FROM dq.suggest_expectations('sug');
SELECT expect_call FROM dq.suggest_expectations('sug') WHERE column_name = 'status';
SELECT dq.apply_suggestions('sug') AS created;
SELECT dq.validate('sug') AS run \gset
SELECT evaluated, succeeded, failed FROM dq.validation_runs WHERE run_id = :run;
INSERT INTO sug VALUES (1, 'lost', 'nobody', -1000, 1);
SELECT relid, run_id > :run AS new_run FROM dq.validate_all();
SELECT table_name, expectations, open_failures, last_success_percent, success_percent_last_10_runs, runs
  FROM dq.quality_scorecard WHERE table_name = 'sug';
SELECT kind, column_name FROM dq.latest_validation WHERE table_name = 'sug' AND NOT success ORDER BY expectation_id;
-- dropping a column or the table disables their expectations with a status
ALTER TABLE sug DROP COLUMN maybe;
SELECT column_name, enabled, status FROM dq.expectations WHERE column_name = 'maybe';
DROP TABLE sug;
SELECT status, enabled, count(*) FROM dq.expectations WHERE table_name = 'sug' GROUP BY 1, 2 ORDER BY 1;
SELECT count(*) AS runs FROM dq.validate_all();
