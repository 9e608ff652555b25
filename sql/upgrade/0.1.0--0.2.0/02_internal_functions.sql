
-- Support functions move to schema dq_internal, so that \df dq.* lists
-- what users call: the transition, combine, serialize, deserialize and
-- final functions of the aggregates, and the function behind the view
-- dq.expectation_kinds.  The aggregates and the view refer to them by OID
-- and keep working; the library's SQL calls none of them by name.
-- (dq.value_counts's support functions, new in 0.2.0, are created there
-- by 35_ge_kinds.sql.)
ALTER FUNCTION dq.hll_trans(internal, anyelement) SET SCHEMA dq_internal;
ALTER FUNCTION dq.hll_combine(internal, internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.hll_serialize(internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.hll_deserialize(bytea, internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.hll_final(internal) SET SCHEMA dq_internal;

ALTER FUNCTION dq.kll_trans(internal, float8, float8[]) SET SCHEMA dq_internal;
ALTER FUNCTION dq.kll_combine(internal, internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.kll_serialize(internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.kll_deserialize(bytea, internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.kll_final(internal) SET SCHEMA dq_internal;

ALTER FUNCTION dq.topk_trans(internal, anyelement, integer) SET SCHEMA dq_internal;
ALTER FUNCTION dq.topk_combine(internal, internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.topk_serialize(internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.topk_deserialize(bytea, internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.topk_final(internal) SET SCHEMA dq_internal;

ALTER FUNCTION dq.column_profile_trans(internal, anyelement) SET SCHEMA dq_internal;
ALTER FUNCTION dq.column_profile_combine(internal, internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.column_profile_serialize(internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.column_profile_deserialize(bytea, internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.column_profile_final(internal) SET SCHEMA dq_internal;

ALTER FUNCTION dq.row_profile_trans(internal, oid[], VARIADIC "any") SET SCHEMA dq_internal;
ALTER FUNCTION dq.row_profile_combine(internal, internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.row_profile_serialize(internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.row_profile_deserialize(bytea, internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.row_profile_final(internal, oid[], VARIADIC "any") SET SCHEMA dq_internal;

ALTER FUNCTION dq.expect_rows_trans(internal, jsonb, name[], oid[], VARIADIC "any") SET SCHEMA dq_internal;
ALTER FUNCTION dq.expect_rows_combine(internal, internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.expect_rows_serialize(internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.expect_rows_deserialize(bytea, internal) SET SCHEMA dq_internal;
ALTER FUNCTION dq.expect_rows_final(internal) SET SCHEMA dq_internal;

ALTER FUNCTION dq.expectation_kinds_list() SET SCHEMA dq_internal;

-- The scope column of dq.expectation_kinds lists five values.
COMMENT ON COLUMN dq.expectation_kinds.scope IS 'What the kind is about, in Great Expectations'' terms: column (the values of one column), column_pair (column_A, column_B), multicolumn (column_list), column_aggregate (a statistic or the type of one column) or table (the row count, the columns, a query)';

-- dq.watch(NULL) and dq.unwatch(NULL) raise 22004, as every function does
-- for a NULL argument that needs a value, instead of returning NULL.
ALTER FUNCTION dq.watch(regclass, boolean) CALLED ON NULL INPUT;
ALTER FUNCTION dq.unwatch(regclass) CALLED ON NULL INPUT;

-- The triggers and event triggers of 0.1.0 move too; the pieces after
-- this one (re)define them in dq_internal.
ALTER FUNCTION dq.cdc_expectations_changed() SET SCHEMA dq_internal;
ALTER FUNCTION dq.lineage_ddl_command_end() SET SCHEMA dq_internal;
ALTER FUNCTION dq.lineage_on_sql_drop() SET SCHEMA dq_internal;
ALTER FUNCTION dq.on_sql_drop() SET SCHEMA dq_internal;
