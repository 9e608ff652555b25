/* install script of the dq_lineage extension */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION dq_lineage" to load this file. \quit

GRANT USAGE ON SCHEMA dq TO PUBLIC;
COMMENT ON SCHEMA dq IS 'dq_lineage: data quality profiles, expectations and column-level lineage';

