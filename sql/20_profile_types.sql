-- dq.profile: every metric on small tables with known answers
\set VERBOSITY terse
SET extra_float_digits = 0;

-- numbers: NULLs, duplicates, zero, negatives, NaN, infinities
CREATE TABLE nums (
    i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric
);
INSERT INTO nums VALUES
    (1, 10, 100, 1.5, 1.5, 1.5),
    (1, 10, -100, -2.5, -2.5, -2.5),
    (2, 0, 0, 0, 0, 0),
    (NULL, NULL, NULL, NULL, NULL, NULL),
    (-3, 20, 9223372036854775807, 'NaN', 'NaN', 'NaN'),
    (5, 30, 9223372036854775807, 'Infinity', 'Infinity', 'Infinity'),
    (5, -5, -9223372036854775808, '-Infinity', '-Infinity', '-Infinity');
SELECT dq.profile('nums') AS run \gset
SELECT column_name, data_type, type_family, row_count, null_count, null_fraction,
       distinct_count, distinct_method, min_value, max_value
  FROM dq.column_profiles WHERE run_id = :run ORDER BY attnum;
SELECT column_name, sum, round(mean::numeric, 6) AS mean, round(stddev::numeric, 6) AS stddev,
       zero_count, negative_count, nan_count, infinity_count
  FROM dq.column_profiles WHERE run_id = :run ORDER BY attnum;
SELECT column_name, quantiles, histogram
  FROM dq.column_profiles WHERE run_id = :run ORDER BY attnum;
SELECT column_name, top_values, top_values_exact
  FROM dq.column_profiles WHERE run_id = :run ORDER BY attnum;
-- cross-check against SQL: min/max as text, exact sums of the finite values
SELECT p.column_name,
       p.min_value = (SELECT min(i8)::text FROM nums) AS min_ok,
       p.max_value = (SELECT max(i8)::text FROM nums) AS max_ok,
       p.sum = (SELECT sum(i8::numeric) FROM nums) AS sum_ok
  FROM dq.column_profiles p WHERE run_id = :run AND column_name = 'i8';
SELECT p.sum = (SELECT sum(n) FROM nums WHERE n NOT IN ('NaN', 'Infinity', '-Infinity')) AS numeric_sum_ok,
       p.mean::numeric = round((SELECT avg(n) FROM nums WHERE n NOT IN ('NaN', 'Infinity', '-Infinity')), 15) AS numeric_mean_ok
  FROM dq.column_profiles p WHERE run_id = :run AND column_name = 'n';

-- numeric with huge precision and magnitudes beyond float8
CREATE TABLE bignum (n numeric);
INSERT INTO bignum VALUES
    (123456789012345678901234567890.123456789012345678901234567890),
    (-0.000000000000000000000000000001),
    (1e300), (1e-300), (1e400), (-1e400), (0.0);
SELECT dq.profile('bignum') AS run \gset
SELECT row_count, distinct_count, min_value, max_value, sum, zero_count, negative_count,
       quantiles->'p01' AS p01, quantiles->'p99' AS p99
  FROM dq.column_profiles WHERE run_id = :run;
SELECT (SELECT sum FROM dq.column_profiles WHERE run_id = :run) = (SELECT sum(n) FROM bignum) AS exact_sum;

-- text: empty, multibyte, very long (TOASTed), patterns, char(n), varchar
CREATE TABLE texts (t text COLLATE "C", c char(5) COLLATE "C", v varchar(40) COLLATE "C");
INSERT INTO texts VALUES
    ('', 'ab', '42'),
    ('héllo', 'ab   ', '-17'),
    ('日本語', 'XYZ', '3.25'),
    (repeat('x', 100000), 'a', '1e5'),
    (NULL, NULL, '2024-02-29'),
    ('ABC', 'ab', '2024-02-29T10:20:30Z'),
    ('abc', 'ab', '2024-02-29 10:20:30.5+02:00'),
    ('user@example.com', 'q', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
    ('https://example.com/a?b=c', 'q', '192.168.0.255'),
    ('ftp://files.example.org', NULL, '300.1.1.1'),
    ('not an email@', 'q', 'Mixed Case'),
    ('2024-13-01', 'q', NULL);
SELECT dq.profile('texts') AS run \gset
SELECT column_name, data_type, row_count, null_count, distinct_count,
       left(min_value, 20) AS min_value, left(max_value, 20) AS max_value,
       min_length, round(mean_length::numeric, 3) AS mean_length, max_length, empty_count
  FROM dq.column_profiles WHERE run_id = :run ORDER BY attnum;
SELECT column_name, patterns FROM dq.column_profiles WHERE run_id = :run ORDER BY attnum;
SELECT column_name, jsonb_array_length(top_values) AS n_top, top_values -> 0 AS first_top
  FROM dq.column_profiles WHERE run_id = :run ORDER BY attnum;
-- lengths agree with char_length()
SELECT (SELECT max_length FROM dq.column_profiles WHERE run_id = :run AND column_name = 't')
       = (SELECT max(char_length(t)) FROM texts) AS max_len_ok,
       (SELECT max_length FROM dq.column_profiles WHERE run_id = :run AND column_name = 'c')
       = (SELECT max(char_length(c)) FROM texts) AS bpchar_len_ok;

-- boolean, date/time with infinities
CREATE TABLE times (b boolean, d date, ts timestamp, tz timestamptz, tm time, iv interval);
INSERT INTO times VALUES
    (true, '2024-01-01', '2024-01-01 00:00', '2024-01-01 00:00+00', '10:00', '1 day'),
    (true, '2024-01-02', '2024-01-02 12:00', '2024-01-02 12:00+00', '11:00', '2 days'),
    (false, '2024-01-02', '2024-01-03 00:00', '2024-01-03 00:00+00', '12:00', '1 hour'),
    (NULL, 'infinity', 'infinity', '-infinity', NULL, NULL),
    (true, '-infinity', '2024-01-04 06:30', '2024-01-04 06:30+00', '13:00', '1 day');
SET timezone = 'UTC';
SELECT dq.profile('times') AS run \gset
SELECT column_name, type_family, row_count, null_count, distinct_count, min_value, max_value,
       true_count, false_count, infinity_count
  FROM dq.column_profiles WHERE run_id = :run ORDER BY attnum;
SELECT column_name, quantiles FROM dq.column_profiles WHERE run_id = :run ORDER BY attnum;
SELECT column_name, histogram FROM dq.column_profiles WHERE run_id = :run AND column_name = 'd';

-- types without a btree order or with unusual shapes: counts, nulls, distinct only
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE others (j json, p point, a int[], jb jsonb, by bytea, u uuid, dm posint);
INSERT INTO others VALUES
    ('{"a": 1}', '(1,2)', '{1,2}', '{"a": 1}', '\x01', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 3),
    ('{"a": 1}', '(1,2)', '{1,2}', '{"a": 1}', '\x01', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 3),
    ('[1, 2]', '(0,0)', '{}', '[1, 2]', '\x', '00000000-0000-0000-0000-000000000000', 1),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT dq.profile('others') AS run \gset
SELECT column_name, data_type, type_family, row_count, null_count, distinct_count,
       min_value, max_value, top_values -> 0 AS first_top, mean
  FROM dq.column_profiles WHERE run_id = :run ORDER BY attnum;

-- empty table, one row, all-NULL column
CREATE TABLE empty_t (a int, b text);
SELECT dq.profile('empty_t') AS run \gset
SELECT column_name, row_count, null_count, null_fraction, distinct_count, min_value, mean,
       quantiles, top_values, min_length
  FROM dq.column_profiles WHERE run_id = :run ORDER BY attnum;
SELECT rows_scanned, columns_profiled FROM dq.profile_runs WHERE run_id = :run;
CREATE TABLE one_row (a int, b text, c float8);
INSERT INTO one_row VALUES (7, 'seven', NULL);
SELECT dq.profile('one_row') AS run \gset
SELECT column_name, row_count, null_count, distinct_count, min_value, max_value, mean, stddev,
       quantiles->'p50' AS p50, null_fraction
  FROM dq.column_profiles WHERE run_id = :run ORDER BY attnum;

-- the GUCs bound the top values and the histogram
CREATE TABLE skew AS SELECT (g % 10) * (g % 10) AS v FROM generate_series(1, 1000) g;
SET dq_lineage.profile_top_k = 3;
SET dq_lineage.profile_histogram_buckets = 4;
SELECT dq.profile('skew') AS run \gset
SELECT top_values, histogram FROM dq.column_profiles WHERE run_id = :run;
RESET dq_lineage.profile_top_k;
RESET dq_lineage.profile_histogram_buckets;

-- numeric values reach the quantile sketch correctly rounded; float4 prints as float4
SELECT dq.column_profile(x)->'quantiles' FROM (VALUES (0.07::numeric), (0.29), (12.34)) v(x);
SELECT dq.column_profile(x)->'quantiles'->'p50' FROM (VALUES (0.03::numeric)) v(x);
SELECT count(*) AS mismatches
  FROM (SELECT (dq.column_profile(x)->'quantiles'->>'p50')::float8 AS q, x::float8 AS f
          FROM (SELECT round((random() * 100000)::numeric, 2) AS x FROM generate_series(1, 300)) s
         GROUP BY x) t
 WHERE q <> f;
SELECT dq.column_profile(x)->'quantiles'->'p50' AS p50 FROM (VALUES (0.1::float4)) v(x);
-- case-insensitive types count distinct values by their own equality
CREATE EXTENSION IF NOT EXISTS citext;
SELECT dq.column_profile(x)->'distinct_count' AS distinct_ci, count(DISTINCT x) AS exact
  FROM (VALUES ('A'::citext), ('a'), ('b')) v(x);
-- min and max skip their comparisons for values strictly between cheap keys
-- (the first eight bytes in a byte-order collation, a numeric as a double):
-- long shared prefixes, multibyte text, numerics closer than a double can
-- tell apart, NaN and infinities, in every order
CREATE TABLE extremes AS
SELECT g, t, 'prefix-long-' || t AS t2, n FROM (
  SELECT g,
         (ARRAY['prefix-long-aaa', 'prefix-long-aab', 'prefix-long-a', 'prefix-long-ab', 'prefix-',
                'pre', 'é', 'e', 'ß', 'z', '~', 'A', 'a b', 'a-b', ''])[1 + (g * 7) % 15] AS t,
         (ARRAY[1.00000000000000000001, 1.00000000000000000002, 1, 0.99999999999999999999,
                -5, 'NaN', 'Infinity', '-Infinity', 1e300, -1e-300, 3.5])[1 + (g * 5) % 11]::numeric AS n
    FROM generate_series(1, 165) g) s;
SELECT count(*) AS mismatches
  FROM (SELECT k,
               (SELECT dq.column_profile(t) FROM (SELECT * FROM extremes ORDER BY (g * k) % 167) e) AS pt,
               (SELECT dq.column_profile(t2) FROM (SELECT * FROM extremes ORDER BY (g * k) % 167) e) AS pt2,
               (SELECT dq.column_profile(n) FROM (SELECT * FROM extremes ORDER BY (g * k) % 167) e) AS pn
          FROM generate_series(1, 12) k) p
 WHERE p.pt->>'min_value' IS DISTINCT FROM (SELECT min(t) FROM extremes)
    OR p.pt->>'max_value' IS DISTINCT FROM (SELECT max(t) FROM extremes)
    OR p.pt2->>'min_value' IS DISTINCT FROM (SELECT min(t2) FROM extremes)
    OR p.pt2->>'max_value' IS DISTINCT FROM (SELECT max(t2) FROM extremes)
    OR p.pn->>'min_value' IS DISTINCT FROM (SELECT min(n)::text FROM extremes)
    OR p.pn->>'max_value' IS DISTINCT FROM (SELECT max(n)::text FROM extremes);
SELECT dq.column_profile(t COLLATE "C")->>'min_value' AS c_min, dq.column_profile(t COLLATE "C")->>'max_value' AS c_max,
       min(t COLLATE "C") AS sql_min, max(t COLLATE "C") AS sql_max
  FROM extremes;
SELECT dq.column_profile(n)->>'min_value' AS n_min, dq.column_profile(n)->>'max_value' AS n_max
  FROM extremes WHERE n <> 'NaN' AND n < 1e300;
SELECT dq.column_profile(n)->>'min_value' AS n_min, dq.column_profile(n)->>'max_value' AS n_max
  FROM (VALUES (1.00000000000000000002::numeric), (1.00000000000000000001), (1.00000000000000000003),
               (1.00000000000000000000)) v(n);
-- exact numeric sums: short values are summed in 128 bits, the others by
-- PostgreSQL's accumulator; the sum and mean must be exactly sum() and avg(),
-- display scale included, serially and through parallel workers
CREATE TABLE numsums AS
SELECT g, (ARRAY[
         round((g * 7919 % 100000)::numeric / 100, 2),  -- short, scale 2
         -(g % 1000)::numeric,                            -- short, negative, scale 0
         (g % 97)::numeric * 0.0001000,                   -- short, scale 7
         1e30 + g,                                        -- more than four digits
         (g::numeric * 1e25),                             -- short, large exponent
         1e-20 * g,                                       -- short, small exponent
         0.000,                                           -- zero with a scale
         123456789012345678901234567890.123456789         -- long
       ])[1 + g % 8] AS n
  FROM generate_series(1, 20000) g;
SET extra_float_digits = 1;  -- means print exactly
SELECT (p->>'sum') = (SELECT sum(n)::text FROM numsums) AS sum_exact,
       (p->>'mean')::float8 = (SELECT avg(n)::float8 FROM numsums) AS mean_exact,
       p->>'sum' AS sum
  FROM (SELECT dq.column_profile(n) AS p FROM numsums) s;
SELECT k, (p->>'sum') = s AS sum_exact, (p->>'mean')::float8 = a AS mean_exact
  FROM (SELECT k, dq.column_profile(n) AS p, sum(n)::text AS s, avg(n)::float8 AS a
          FROM numsums, LATERAL (SELECT g % 8 AS k) kk GROUP BY k) t ORDER BY k;
SELECT dq.column_profile(n)->>'sum' AS sum_with_inf FROM (VALUES (1.5), ('Infinity'), (2)) v(n);
SELECT dq.column_profile(n)->>'sum' AS sum_both_inf FROM (VALUES (1.5), ('Infinity'), ('-Infinity')) v(n);
SELECT dq.column_profile(n)->>'mean' AS mean_nan_ignored, dq.column_profile(n)->>'sum' AS sum_nan_ignored
  FROM (VALUES (1.25), ('NaN'), (2.5)) v(n);
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT (p->>'sum') = (SELECT sum(n)::text FROM numsums) AS parallel_sum_exact,
       (p->>'mean')::float8 = (SELECT avg(n)::float8 FROM numsums) AS parallel_mean_exact
  FROM (SELECT dq.column_profile(n) AS p FROM numsums) s;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SET extra_float_digits = 0;
-- numbers hold no letter but the exponent's: such strings skip the number
-- and address scanners, the others still get them
SELECT dq.column_profile(v)->'patterns' AS shapes
  FROM (VALUES ('2E-3'), ('3.5e+10'), ('1e5'), ('12ab'), ('1e5x'), ('e5'), ('7f'), ('10.1.2.3'),
               ('10.1.2.x'), ('2024-01-02T03:04:05Z'), ('123'), ('-0.5')) v(v);
-- every string length from 1 to 40 with one probe character at every
-- position: the one-pass byte scan (whole blocks, overlapping tails,
-- short strings) against regular expressions; counts of mismatches
CREATE TEMP TABLE shape_probe AS
SELECT DISTINCT overlay(repeat(bg, n) PLACING probe FROM pos FOR 1) AS v
  FROM generate_series(1, 40) n,
       generate_series(1, 40) pos,
       unnest(ARRAY['7', 'b', 'B', '.']) bg,
       unnest(ARRAY['a', 'Q', 'e', 'E', '@', 'é', '-', '.', 'x', '9']) probe
 WHERE pos <= n
UNION
SELECT overlay('0f3a9c1e-7b2d-4e8f-a6c5-1d2e3f4a5b6c' PLACING probe FROM pos FOR 1)
  FROM generate_series(1, 36) pos,
       unnest(ARRAY['g', 'G', 'A', '-', '0', 'é']) probe
UNION
SELECT overlay('first.last+tag@mail.example.org' PLACING probe FROM pos FOR 1)
  FROM generate_series(1, 31) pos,
       unnest(ARRAY['@', '.', 'Z', '1', ' ', '-']) probe;
SELECT count(*) > 30000 AS many_strings,
       count(*) FILTER (WHERE (p->>'min_length')::int <> length(v)) AS length_mismatches,
       count(*) FILTER (WHERE (p->'patterns'->>'lower')::int <>
                        (v ~ '[a-z]' AND v !~ '[A-Z]')::int) AS lower_mismatches,
       count(*) FILTER (WHERE (p->'patterns'->>'upper')::int <>
                        (v ~ '[A-Z]' AND v !~ '[a-z]')::int) AS upper_mismatches,
       count(*) FILTER (WHERE (p->'patterns'->>'integer')::int <>
                        (v ~ '^[+-]?[0-9]+$')::int) AS integer_mismatches,
       count(*) FILTER (WHERE (p->'patterns'->>'decimal')::int <>
                        (v ~ '^[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?$' AND
                         v !~ '^[+-]?[0-9]+$')::int) AS decimal_mismatches,
       count(*) FILTER (WHERE (p->'patterns'->>'uuid')::int <>
                        (v ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')::int) AS uuid_mismatches,
       count(*) FILTER (WHERE (p->'patterns'->>'email')::int <>
                        (v ~ '^[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}$')::int) AS email_mismatches,
       count(*) FILTER (WHERE (p->'patterns'->>'uuid')::int = 1) AS uuids,
       count(*) FILTER (WHERE (p->'patterns'->>'email')::int = 1) AS emails
  FROM (SELECT v COLLATE "C" AS v, dq.column_profile(v) AS p FROM shape_probe GROUP BY v) s;
-- booleans are only counted while rows come in: the distinct count, the
-- top values and min/max follow from the counts, serially and through
-- parallel workers, and match what SQL counts
CREATE TABLE bools AS
SELECT CASE WHEN g % 7 = 0 THEN NULL ELSE g % 3 = 0 END AS b,
       true AS t, false AS f, NULL::boolean AS n
  FROM generate_series(1, 30000) g;
CREATE TEMP VIEW bool_profiles AS
SELECT c, p->>'distinct_count' AS ndistinct, p->>'min_value' AS min, p->>'max_value' AS max,
       p->>'true_count' AS trues, p->>'false_count' AS falses,
       p->'top_values' AS top_values, p->>'top_values_exact' AS exact
  FROM (SELECT dq.column_profile(b) AS b, dq.column_profile(t) AS t,
               dq.column_profile(f) AS f, dq.column_profile(n) AS n FROM bools) s,
       LATERAL (VALUES ('b', b), ('t', t), ('f', f), ('n', n)) v(c, p);
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE bool_serial AS SELECT * FROM bool_profiles;
SELECT * FROM bool_serial ORDER BY c;
SELECT count(*) FILTER (WHERE b) AS sql_trues, count(*) FILTER (WHERE NOT b) AS sql_falses
  FROM bools;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT count(*) AS parallel_differences
  FROM (SELECT * FROM bool_profiles EXCEPT SELECT * FROM bool_serial) d;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
