-- Lineage (0.1.0 -> 0.2.0): the statement cache's invalidation trigger, the
-- shared counter table's status, COPY runs and their column lineage,
-- dq.upstream/dq.downstream with one row per node and composed
-- classification (a new result column: dropped and created again), and COPY
-- runs among the OpenLineage events.

-- @include ../../install/60_lineage.sql counters_and_copy

DROP FUNCTION dq.upstream(regclass, name, integer);
DROP FUNCTION dq.downstream(regclass, name, integer);
DROP FUNCTION dq.lineage_closure(oid, smallint, integer, boolean);

-- @include ../../install/60_lineage.sql closure

-- @include ../../install/60_lineage.sql openlineage_copy

-- @include ../../install/60_lineage.sql openlineage_events or-replace

-- Edges of dropped relations and columns are kept, marked dropped.
-- @include ../../install/60_lineage.sql lineage_on_sql_drop or-replace
