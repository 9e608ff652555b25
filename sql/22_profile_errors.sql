-- dq.profile: bad input gets a clear error and writes nothing
\set VERBOSITY default
CREATE TABLE err_t (a int, b text);
CREATE INDEX err_t_idx ON err_t (a);
CREATE SEQUENCE err_seq;
CREATE TYPE err_composite AS (x int);
CREATE VIEW err_v AS SELECT a FROM err_t;
CREATE MATERIALIZED VIEW err_mv AS SELECT a FROM err_t WITH NO DATA;
SELECT count(*) AS runs_before FROM dq.profile_runs \gset

SELECT dq.profile(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('err_t', NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('err_t', exact => NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('no_such_table');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile(4294967295::oid::regclass);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('err_t', 0);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('err_t', 100.5);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('err_t', -1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('err_t', 'NaN');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('err_t', columns => ARRAY['nope']::name[]);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('err_t', columns => ARRAY['a', 'a']::name[]);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('err_t', columns => ARRAY[]::name[]);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('err_t', columns => ARRAY['a', NULL]::name[]);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('err_t_idx');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('err_seq');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('err_composite');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('err_v', sample_percent => 10);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('err_mv');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.profile('pg_toast.pg_toast_1255');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

SELECT count(*) = :runs_before AS nothing_written FROM dq.profile_runs;

-- sketch aggregates
SELECT dq.approx_quantiles(x, ARRAY[0.5, 1.5]) FROM generate_series(1, 3) x;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.approx_quantiles(x, NULL) FROM generate_series(1, 3) x;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.approx_top_k(x, 0) FROM generate_series(1, 3) x;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.approx_top_k(x, NULL) FROM generate_series(1, 3) x;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
