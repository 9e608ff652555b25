------------------------------------------------------------------------
-- max and min of a numeric column for the statistics kinds
-- (dq_internal.numeric_max, dq_internal.numeric_min)
------------------------------------------------------------------------

-- @include ../../install/30_expect.sql numeric_minmax
