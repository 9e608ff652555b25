-- bench/profile/setup.sql: helpers for bench/profile/run.sh, loaded into the
-- benchmark's throwaway database.  They build the test table and the text of
-- the queries the profiler is compared with, from the catalog, so the same
-- rules apply to every table:
--   numeric columns  int2, int4, int8, float4, float8, numeric
--                    (avg, stddev, percentile_cont, tdigest)
--   orderable        the type has a default btree operator class
--                    (min, max, count(DISTINCT)); boolean is cast to int
--                    for min and max (bool has no min()/max())

CREATE SCHEMA bench;

-- The mixed table: nrows rows, 12 columns of mixed types.  Deterministic
-- except for the random() columns (the seed is fixed by the caller).
CREATE FUNCTION bench.make_mixed(tbl text, nrows bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM setseed(0.42);
	EXECUTE format($q$
		CREATE TABLE %I AS
		SELECT g::int                                    AS c_int,           -- unique
		       (g * 2654435761) %% 1000000007            AS c_bigint,        -- unique, scattered
		       round((random() * 100000)::numeric, 2)    AS c_numeric,       -- ~10M possible values
		       random() * 1000                           AS c_float8,        -- unique
		       CASE WHEN g %% 20 = 0 THEN NULL            -- 5%% NULLs, 3 to 64 chars
		            ELSE substr(md5(g::text) || md5((g + 1)::text), 1, (3 + (g * 7919) %% 62)::int)
		       END                                       AS c_text,
		       timestamptz '2020-01-01 00:00:00+00' + g * interval '13 seconds'
		                                                 AS c_ts,
		       (g %% 3 = 0)                              AS c_bool,
		       (ARRAY['new', 'paid', 'shipped', 'cancelled', 'returned',
		              'refunded', 'on hold'])[1 + (g * 31) %% 7]
		                                                 AS c_status,        -- 7 values
		       md5(g::text)::uuid::text                  AS c_uuid_text,     -- 36 chars
		       date '2000-01-01' + (g %% 9000)::int      AS c_date,          -- 9000 values
		       CASE WHEN g %% 10 = 0 THEN NULL ELSE (g * 17) %% 100000 END::int
		                                                 AS c_int_nulls,     -- 10%% NULLs
		       CASE WHEN g %% 7 = 0 THEN NULL ELSE random() END
		                                                 AS c_float8_nulls   -- 14%% NULLs
		  FROM generate_series(1::bigint, %s) g
	$q$, tbl, nrows);
END
$$;

-- The profiled columns of rel, in attnum order, with what may be computed
-- on each.
CREATE FUNCTION bench.columns(rel regclass,
	OUT qname text, OUT is_numeric boolean, OUT orderable boolean, OUT is_bool boolean)
RETURNS SETOF record
LANGUAGE sql STABLE AS $$
	SELECT quote_ident(a.attname),
	       a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype,
	                      'float4'::regtype, 'float8'::regtype, 'numeric'::regtype),
	       EXISTS (SELECT 1 FROM pg_opclass oc JOIN pg_am am ON am.oid = oc.opcmethod
	                WHERE am.amname = 'btree' AND oc.opcdefault AND oc.opcintype = a.atttypid),
	       a.atttypid = 'bool'::regtype
	  FROM pg_attribute a
	 WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
	 ORDER BY a.attnum
$$;

-- The metrics of one column as select-list items, in the order the
-- per-metric loop runs them.
CREATE FUNCTION bench.metric_items(c text, is_numeric boolean, orderable boolean, is_bool boolean)
RETURNS SETOF text
LANGUAGE sql IMMUTABLE AS $$
	SELECT item FROM (VALUES
		(1, format('count(%s)', c)),
		(2, CASE WHEN orderable OR is_bool THEN format('count(DISTINCT %s)', c) END),
		(3, CASE WHEN orderable AND NOT is_bool THEN format('min(%s)', c)
		         WHEN is_bool THEN format('min(%s::int)', c) END),
		(4, CASE WHEN orderable AND NOT is_bool THEN format('max(%s)', c)
		         WHEN is_bool THEN format('max(%s::int)', c) END),
		(5, CASE WHEN is_numeric THEN format('avg(%s)', c) END),
		(6, CASE WHEN is_numeric THEN format('stddev(%s)', c) END),
		(7, CASE WHEN is_numeric THEN
		         format('percentile_cont(0.5) WITHIN GROUP (ORDER BY %s::float8)', c) END)
	) AS m(n, item)
	WHERE item IS NOT NULL
	ORDER BY n
$$;

-- (7) The single exact query a Python profiler issues: every metric of
-- every column in one SELECT.
CREATE FUNCTION bench.exact_query(rel regclass) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT 'SELECT count(*), ' || string_agg(m, ', ') || ' FROM ' || rel::text
	  FROM bench.columns(rel) c, LATERAL bench.metric_items(c.qname, c.is_numeric, c.orderable, c.is_bool) m
$$;

-- (8) The same metrics, one query each.
CREATE FUNCTION bench.metric_queries(rel regclass) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
	SELECT 'SELECT count(*) FROM ' || rel::text
	UNION ALL
	SELECT 'SELECT ' || m || ' FROM ' || rel::text
	  FROM bench.columns(rel) c, LATERAL bench.metric_items(c.qname, c.is_numeric, c.orderable, c.is_bool) m
$$;

-- (9) Approximate distinct counts (hll) for every column and quantiles
-- (tdigest) for the numeric ones, in one query.
CREATE FUNCTION bench.sketch_query(rel regclass) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT 'SELECT count(*), '
	       || string_agg(format('hll_cardinality(hll_add_agg(hll_hash_any(%s)))', qname), ', ')
	       || coalesce(', ' || string_agg(format(
	              'tdigest_percentile(%s::float8, 100, ARRAY[0.01,0.05,0.25,0.5,0.75,0.95,0.99])',
	              qname), ', ') FILTER (WHERE is_numeric), '')
	       || ' FROM ' || rel::text
	  FROM bench.columns(rel)
$$;

-- The last column of rel: count() of it makes the scan deform every column.
CREATE FUNCTION bench.last_column(rel regclass) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT quote_ident(attname) FROM pg_attribute
	 WHERE attrelid = rel AND attnum > 0 AND NOT attisdropped
	 ORDER BY attnum DESC LIMIT 1
$$;
