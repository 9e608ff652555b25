------------------------------------------------------------------------
-- Report and BI: the 0.2.0 versions of two lineage functions (from
-- sql/install/60_lineage.sql), then all of sql/install/90_report.sql
------------------------------------------------------------------------

-- dq.lineage_dot draws a compact left-to-right graph; dq.openlineage_events
-- also returns the data-quality events of profile and validation runs.
-- @include ../../install/60_lineage.sql lineage_dot or-replace

-- @include ../../install/60_lineage.sql openlineage_events or-replace

-- @include ../../install/90_report.sql
