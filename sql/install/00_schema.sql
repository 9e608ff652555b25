/* install script of the dq_lineage extension */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION dq_lineage" to load this file. \quit

GRANT USAGE ON SCHEMA dq TO PUBLIC;
COMMENT ON SCHEMA dq IS 'dq_lineage: data quality profiles, expectations and column-level lineage';


-- Support functions that users do not call (aggregate transition and
-- combine functions, trigger functions, helpers of views) live in a schema
-- of their own, so that \df dq.* lists what users call.
CREATE SCHEMA dq_internal;
GRANT USAGE ON SCHEMA dq_internal TO PUBLIC;
COMMENT ON SCHEMA dq_internal IS 'dq_lineage: support functions (aggregate states, triggers, helpers); not called by users';
