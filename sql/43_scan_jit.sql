-- The scans of dq.profile and dq.validate run with jit = off, whatever the
-- session says, and the session's setting is back afterwards
\set VERBOSITY terse
SET jit = on;
SET jit_above_cost = 0;
CREATE TABLE sj (v text);
INSERT INTO sj VALUES ('a'), ('b'), ('c');
-- the profile: a view whose column is the setting seen while it is scanned
CREATE FUNCTION sj_jit() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT current_setting('jit') $$;
CREATE VIEW sjv AS SELECT v, sj_jit() AS jit FROM sj;
SELECT dq.profile('sjv') > 0 AS profiled;
SELECT column_name, min_value, max_value FROM dq.latest_profile
 WHERE table_name = 'sjv' AND column_name = 'jit';
-- the validation: a domain whose check reads the setting, parsed in the scan
CREATE DOMAIN sj_jit_off AS text CHECK (current_setting('jit') = 'off');
SELECT dq.expect('sj', 'expect_column_values_to_be_parseable_as', 'v', '{"type": "sj_jit_off"}') > 0 AS ok;
SELECT dq.validate('sj') > 0 AS validated;
SELECT kind, success, unexpected_count FROM dq.latest_validation WHERE table_name = 'sj';
SHOW jit;
RESET jit;
RESET jit_above_cost;
