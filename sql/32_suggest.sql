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
-- keys: declared by a constraint or an index, or counted exactly when the
-- estimate comes close; open-ended ranges for dates and ascending keys
CREATE TABLE sug_keys (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id int NOT NULL,
  near_unique int NOT NULL,
  code text NOT NULL,
  serial_no serial,
  created_at timestamptz NOT NULL,
  birth date NOT NULL,
  qty int NOT NULL);
CREATE UNIQUE INDEX sug_keys_code ON sug_keys (code);
INSERT INTO sug_keys (customer_id, near_unique, code, created_at, birth, qty)
  SELECT 100000 + g * 13, CASE WHEN g = 2000 THEN 1 ELSE g END, 'C' || g,
         timestamptz '2026-01-01 00:00+00' + g * interval '1 hour',
         date '1950-01-01' + (g * 37) % 20000, g % 50
    FROM generate_series(1, 2000) g;
ANALYZE sug_keys;
SELECT dq.profile('sug_keys') > 0 AS profiled;
-- the estimate alone would not do: customer_id is estimated below its 2,000 rows
SELECT column_name, distinct_count < 2000 AS estimated_below_rows
  FROM dq.latest_profile WHERE table_name = 'sug_keys' AND column_name IN ('customer_id', 'near_unique')
 ORDER BY column_name;
SELECT kind, column_name, params, reason FROM dq.suggest_expectations('sug_keys')
 WHERE kind IN ('expect_column_values_to_be_unique', 'expect_column_values_to_be_between')
 ORDER BY column_name, kind;
-- every suggestion holds for the rows that come next
SELECT dq.apply_suggestions('sug_keys') > 0 AS applied;
INSERT INTO sug_keys (customer_id, near_unique, code, created_at, birth, qty)
  VALUES (999999, 1500, 'C5000', timestamptz '2027-06-01 00:00+00', date '2010-06-01', 7);
SELECT dq.validate('sug_keys') AS run \gset
SELECT evaluated, failed FROM dq.validation_runs WHERE run_id = :run;
-- a bound that does not parse: the type's own SQLSTATE
\set VERBOSITY terse
SELECT dq.expect('sug_keys', 'expect_column_values_to_be_between', 'created_at', '{"min_value": "yesterday-ish"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.expect('sug_keys', 'expect_column_values_to_be_between', 'qty', '{"min_value": "seven"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY default
DROP TABLE sug_keys;
