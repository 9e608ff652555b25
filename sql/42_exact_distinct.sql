-- dq.exact_distinct: count(DISTINCT x) hash-based and parallel, exact
-- (NULLs ignored, the column's collation, beyond memory), and the exact
-- distinct kinds use it
\set VERBOSITY terse
CREATE TABLE ed (i int, t text, f float8, n numeric, d date);
INSERT INTO ed SELECT g % 1000, 'v' || (g % 777), (g % 50)::float8 / 3, (g % 20)::numeric / 4,
                      date '2024-01-01' + g % 366
  FROM generate_series(1, 20000) g;
INSERT INTO ed VALUES (NULL, NULL, NULL, NULL, NULL), (NULL, 'V1', 'NaN', 1.00, NULL),
                      (NULL, NULL, 'NaN', 1.0, NULL);
SELECT dq.exact_distinct(i) AS i, dq.exact_distinct(t) AS t, dq.exact_distinct(f) AS f,
       dq.exact_distinct(n) AS n, dq.exact_distinct(d) AS d FROM ed;
SELECT dq.exact_distinct(i) = count(DISTINCT i) AND dq.exact_distinct(t) = count(DISTINCT t) AND
       dq.exact_distinct(f) = count(DISTINCT f) AND dq.exact_distinct(n) = count(DISTINCT n) AND
       dq.exact_distinct(d) = count(DISTINCT d) AS same FROM ed;
SELECT dq.exact_distinct(x) AS none FROM (SELECT NULL::int AS x FROM generate_series(1, 3)) s;
SELECT dq.exact_distinct(x) AS empty FROM ed AS x WHERE false;
-- a nondeterministic collation: 'v1' and 'V1' are one value, as for count(DISTINCT)
CREATE COLLATION ed_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
SELECT dq.exact_distinct(t COLLATE ed_ci) AS ci, count(DISTINCT t COLLATE ed_ci) AS ci_sql,
       dq.exact_distinct(t COLLATE "C") AS c FROM ed;
-- text under deterministic collations is hashed and compared as bytes:
-- varchar, a domain, values stored out of line or compressed
CREATE DOMAIN ed_dom AS text;
CREATE TABLE edlong (v varchar, dm ed_dom, l text, z text);
ALTER TABLE edlong ALTER COLUMN l SET STORAGE EXTERNAL;
INSERT INTO edlong SELECT 'x' || g % 97, 'y' || g % 13, repeat(md5((g % 5)::text), 300 + g % 2),
                          repeat(md5((g % 3)::text), 100 + g % 4)
  FROM generate_series(1, 500) g;
SELECT dq.exact_distinct(v) AS v, dq.exact_distinct(dm) AS dm, dq.exact_distinct(l) AS l,
       dq.exact_distinct(z) AS z,
       dq.exact_distinct(v) = count(DISTINCT v) AND dq.exact_distinct(dm) = count(DISTINCT dm) AND
       dq.exact_distinct(l) = count(DISTINCT l) AND dq.exact_distinct(z) = count(DISTINCT z) AS same
  FROM edlong;
DROP TABLE edlong;
DROP DOMAIN ed_dom;
-- beyond hash_mem the values go to a sort that spills to disk: still exact
CREATE TABLE edbig AS SELECT md5(g::text) AS h, g % 70000 AS k FROM generate_series(1, 150000) g;
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
SELECT dq.exact_distinct(h) AS h, dq.exact_distinct(k) AS k, count(DISTINCT k) AS k_sql FROM edbig;
-- a parallel plan: partial states serialized by the workers, combined
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT dq.exact_distinct(k), count(*), min(h) FROM edbig;
SELECT dq.exact_distinct(k) AS k, dq.exact_distinct(h) AS h FROM edbig;
-- count(DISTINCT) keeps the whole query from a parallel plan
EXPLAIN (COSTS OFF) SELECT count(DISTINCT k), count(*), min(h) FROM edbig;
RESET work_mem;
RESET hash_mem_multiplier;
SELECT dq.exact_distinct(k) AS k FROM edbig;
-- the exact distinct kinds, through dq.check and dq.validate
SELECT dq.check('edbig', 'expect_column_unique_value_count_to_be_between', 'k',
                '{"min_value": 70000, "max_value": 70000}') -> 'result';
SELECT dq.check('ed', 'expect_column_proportion_of_unique_values_to_be_between', 't',
                '{"max_value": 0.5}') -> 'result';
SELECT dq.expect('edbig', 'expect_column_unique_value_count_to_be_between', 'h', '{"min_value": 150000}') > 0 AS ok;
SELECT dq.expect('edbig', 'expect_column_proportion_of_unique_values_to_be_between', 'k', '{"min_value": 0.4}') > 0 AS ok;
SELECT dq.validate('edbig') > 0 AS validated;
SELECT kind, success, result -> 'result' -> 'observed_value' AS observed
  FROM dq.latest_validation WHERE table_name = 'edbig' ORDER BY expectation_id;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
-- a type without hashing
SELECT dq.exact_distinct(p) FROM (SELECT point(1, 2) AS p) s;
