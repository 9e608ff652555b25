
-- The schema of the support functions (see sql/install/00_schema.sql).
CREATE SCHEMA dq_internal;
GRANT USAGE ON SCHEMA dq_internal TO PUBLIC;
COMMENT ON SCHEMA dq_internal IS 'dq_lineage: support functions (aggregate states, triggers, helpers); not called by users';
