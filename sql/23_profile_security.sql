-- Privileges: the caller must be able to read what is profiled, the scan
-- runs as the table's owner, column privileges and row-level security
-- decide who sees the stored values
\set VERBOSITY default
CREATE ROLE regress_alice LOGIN;
CREATE ROLE regress_bob LOGIN;
CREATE TABLE secret (id int, salary int, name text COLLATE "C");
INSERT INTO secret VALUES (1, 100, 'a'), (2, 200, 'b'), (3, 300, 'c');
GRANT SELECT (id, name) ON secret TO regress_alice;
CREATE TABLE shared_t (v int, owner_name text);
INSERT INTO shared_t VALUES (1, 'regress_alice'), (2, 'regress_bob'), (3, 'regress_bob');
ALTER TABLE shared_t ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON shared_t USING (owner_name = current_user);
GRANT SELECT ON shared_t TO regress_alice, regress_bob;
SELECT dq.profile('secret') AS admin_run \gset

SET ROLE regress_bob;
-- no privilege at all
SELECT dq.profile('secret');
-- bob sees no profile of a table he cannot read
SELECT count(*) FROM dq.profile_runs WHERE relid = 'secret'::regclass;
SELECT count(*) FROM dq.column_profiles WHERE relid = 'secret'::regclass;
SELECT count(*) FROM dq.latest_profile WHERE table_name = 'secret';
-- and cannot write the catalog
INSERT INTO dq.profile_runs (relid, schema_name, table_name, relkind, started_at, finished_at,
    rows_scanned, sampled, sample_percent, exact, columns_profiled, run_by)
    VALUES (1, 'x', 'y', 'r', now(), now(), 0, false, 100, false, 0, 'bob');
DELETE FROM dq.column_profiles;
-- the scan runs as the table's owner: bob's profile counts every row, but
-- the values of rows row-level security hides from him are withheld from him
SELECT dq.profile('shared_t') AS bob_run \gset
SELECT rows_scanned, run_by FROM dq.profile_runs WHERE run_id = :bob_run;
SELECT column_name, row_count, distinct_count, min_value, max_value, top_values, values_visible
  FROM dq.latest_profile WHERE table_name = 'shared_t' ORDER BY attnum;
SELECT count(*) AS base_rows_with_values FROM dq.column_profiles WHERE relid = 'shared_t'::regclass;
RESET ROLE;
-- the owner sees them
SELECT column_name, min_value, max_value, values_visible
  FROM dq.latest_profile WHERE table_name = 'shared_t' ORDER BY attnum;

SET ROLE regress_alice;
-- alice may read two columns: profiling all columns is refused
SELECT dq.profile('secret');
SELECT dq.profile('secret', columns => ARRAY['salary']::name[]);
SELECT dq.profile('secret', columns => ARRAY['id', 'name']::name[]) AS alice_run \gset
SELECT column_name, min_value, max_value FROM dq.column_profiles
 WHERE relid = 'secret'::regclass ORDER BY run_id, attnum;
-- the admin's profile of salary stays hidden; the latest view shows her columns only
SELECT column_name FROM dq.latest_profile WHERE table_name = 'secret' ORDER BY attnum;
SELECT dq.profile('shared_t') AS alice_run2 \gset
SELECT rows_scanned FROM dq.profile_runs WHERE run_id = :alice_run2;
RESET ROLE;

-- the superuser sees everything
SELECT count(*) FROM dq.column_profiles WHERE relid = 'secret'::regclass;
DROP TABLE secret, shared_t;
DROP OWNED BY regress_alice, regress_bob;
DROP ROLE regress_alice, regress_bob;
