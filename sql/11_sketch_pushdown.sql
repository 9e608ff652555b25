-- The sketch aggregates' twins with a dq.sketch_state (what Citus pushes
-- down to shards): same answers as the sketch aggregates, a text form that
-- round-trips, and states that were not written by them are refused
\set VERBOSITY terse
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE pd AS
  SELECT g AS id, (g % 50)::text AS label, (g % 97)::float8 / 4 AS f,
         CASE WHEN g % 11 = 0 THEN NULL ELSE g % 1500 END AS v,
         (ARRAY['sad', 'ok', 'happy'])[g % 3 + 1]::mood AS m
    FROM generate_series(1, 30000) g;
-- the same sketch as the internal-state aggregates, value by value
SELECT dq.approx_distinct(v) = dq.approx_distinct_pushdown(dq.value_hash(v)) AS same_distinct,
       dq.approx_distinct(id) = dq.approx_distinct_pushdown(dq.value_hash(id)) AS same_large,
       dq.approx_quantiles(f, ARRAY[0.1, 0.5, 0.99]) =
         dq.approx_quantiles_pushdown(f, ARRAY[0.1, 0.5, 0.99]) AS same_quantiles,
       dq.approx_top_k(label, 3) =
         dq.approx_top_k_pushdown(dq.value_hash(label), dq.value_text(label), 3) AS same_top_k
  FROM pd;
SELECT dq.approx_distinct_pushdown(dq.value_hash(m)),
       dq.approx_top_k_pushdown(dq.value_hash(m), dq.value_text(m), 2)
  FROM pd;
-- empty input and NULLs
SELECT dq.approx_distinct_pushdown(NULL::bigint), dq.approx_quantiles_pushdown(NULL, ARRAY[0.5]),
       dq.approx_top_k_pushdown(NULL, NULL, 3);
SELECT dq.approx_distinct_pushdown(x), dq.approx_quantiles_pushdown(x, ARRAY[0.5]),
       dq.approx_top_k_pushdown(x, x::text, 3)
  FROM generate_series(1, 0) x;
SELECT dq.value_hash(NULL::int) IS NULL AS null_hash, dq.value_text(true) AS bool_text;
-- argument errors as in the sketch aggregates
SELECT dq.approx_quantiles_pushdown(1, NULL);
SELECT dq.approx_quantiles_pushdown(1, ARRAY[2]);
SELECT dq.approx_top_k_pushdown(1, 'a', 0);
SELECT dq.approx_top_k_pushdown(1, 'a', NULL);

-- parallel aggregation: states are flattened in the workers and combined
SET max_parallel_workers_per_gather = 0;
CREATE TABLE pd_serial AS
  SELECT dq.approx_distinct_pushdown(dq.value_hash(v)) AS d,
         dq.approx_top_k_pushdown(dq.value_hash(label), dq.value_text(label), 3) AS tk
    FROM pd;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
  SELECT dq.approx_distinct_pushdown(dq.value_hash(v)), dq.approx_quantiles_pushdown(f, ARRAY[0.5])
    FROM pd;
SELECT s.d = p.d AS same_distinct, s.tk = p.tk AS same_top_k
  FROM pd_serial s,
       (SELECT dq.approx_distinct_pushdown(dq.value_hash(v)) AS d,
               dq.approx_top_k_pushdown(dq.value_hash(label), dq.value_text(label), 3) AS tk
          FROM pd) p;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- the text form: <kind>:<base64>, read back and merged as Citus's
-- coordinator does
CREATE AGGREGATE hll_state(bigint) (SFUNC = dq_internal.hll_pushdown_trans, STYPE = dq.sketch_state);
CREATE AGGREGATE hll_merge(dq.sketch_state) (SFUNC = dq_internal.hll_pushdown_combine,
  STYPE = dq.sketch_state, FINALFUNC = dq_internal.hll_pushdown_final);
CREATE TABLE states AS
  SELECT id % 4 AS part, hll_state(dq.value_hash(v))::text AS s FROM pd GROUP BY 1;
SELECT part, left(s, 4) AS kind FROM states ORDER BY 1;
SELECT hll_merge(s::dq.sketch_state) = (SELECT dq.approx_distinct(v) FROM pd) AS merged
  FROM states;
SELECT (s::dq.sketch_state)::text = s AS round_trip FROM states ORDER BY part;
-- a dense HyperLogLog (16 kB of registers) travels compressed
CREATE TABLE big_state AS SELECT hll_state(dq.value_hash(g))::text AS s FROM generate_series(1, 100000) g;
SELECT length(s) < 16384 AS compressed FROM big_state;
SELECT hll_merge(s::dq.sketch_state) = (SELECT dq.approx_distinct(g) FROM generate_series(1, 100000) g) AS same
  FROM big_state;
SELECT (s::dq.sketch_state)::text = s AS round_trip FROM big_state;
-- compressed data that does not decompress to the length it announces
SELECT ('hll:' || translate(encode(substr(decode(substr(s, 5), 'base64'), 1, 300), 'base64'), E'\n', ''))::dq.sketch_state
  FROM big_state;
-- refused: not a state, bad base64, another kind, another format version,
-- a state of another kind passed to a merge
SELECT 'garbage'::dq.sketch_state;
SELECT 'hll:%%%'::dq.sketch_state;
SELECT 'kll:' || substr(s, 5) AS bad FROM states WHERE part = 0 \gset
SELECT :'bad'::dq.sketch_state;
SELECT ('hll:' || translate(encode('dq'::bytea || '\x09'::bytea ||
        substr(decode(substr(s, 5), 'base64'), 4), 'base64'), E'\n', ''))::dq.sketch_state
  FROM states WHERE part = 0;
CREATE AGGREGATE kll_state(float8, float8[]) (SFUNC = dq_internal.kll_pushdown_trans, STYPE = dq.sketch_state);
SELECT hll_merge(s) FROM (SELECT kll_state(f, ARRAY[0.5]) AS s FROM pd) t;
-- states with impossible contents are refused when used, never trusted:
-- a HyperLogLog register above the largest rank, a truncated state,
-- trailing bytes
CREATE FUNCTION hll_text(regs text) RETURNS text LANGUAGE sql AS $$
  SELECT 'hll:' || translate(encode('dq'::bytea || '\x010101000000ffffffff'::bytea ||
         decode(regs, 'hex'), 'base64'), E'\n', '') $$;
SELECT hll_merge(hll_text(repeat('01', 16384))::dq.sketch_state) AS well_formed;
SELECT hll_merge(hll_text(repeat('01', 16383) || '40')::dq.sketch_state);
SELECT hll_merge(hll_text(repeat('01', 100))::dq.sketch_state);
SELECT hll_merge(hll_text(repeat('01', 16385))::dq.sketch_state);
