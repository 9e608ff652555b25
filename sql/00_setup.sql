-- Installation: the extension, its schema and its objects
\set VERBOSITY terse
CREATE EXTENSION dq_lineage;
SELECT extname, extversion, extrelocatable, extnamespace::regnamespace
  FROM pg_extension WHERE extname = 'dq_lineage';
-- every table and view of the schema, with whether it has a comment
SELECT c.relname, c.relkind, obj_description(c.oid, 'pg_class') IS NOT NULL AS commented
  FROM pg_class c
 WHERE c.relnamespace = 'dq'::regnamespace AND c.relkind IN ('r', 'v')
 ORDER BY 1;
-- every column of those tables and views has a comment
SELECT c.relname, a.attname
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
 WHERE c.relnamespace = 'dq'::regnamespace AND c.relkind IN ('r', 'v')
   AND a.attnum > 0 AND NOT a.attisdropped
   AND col_description(c.oid, a.attnum) IS NULL;
-- configuration dumped by pg_dump
SELECT unnest(extconfig)::regclass FROM pg_extension WHERE extname = 'dq_lineage' ORDER BY 1;
-- GUCs
SHOW dq_lineage.profile_top_k;
SHOW dq_lineage.profile_histogram_buckets;
SET dq_lineage.no_such_setting = 1;
SET dq_lineage.profile_top_k = 1000;
-- catalog tables are not writable by PUBLIC
SELECT has_table_privilege('public', 'dq.profile_runs', 'INSERT') AS runs_insert,
       has_table_privilege('public', 'dq.column_profiles', 'UPDATE') AS profiles_update,
       has_table_privilege('public', 'dq.column_profiles', 'SELECT') AS profiles_select;
