-- Statement shapes and their exact edges, each decided from the OpenLineage
-- column-lineage facet 1-2-0 (conventions in docs/lineage.md): UPDATE
-- without FROM, multiple-column assignment, value-choosing constructs,
-- correlated and LATERAL predicates, recursive CTEs, whole-row references
-- and count(*), ON CONFLICT, JOIN USING, GROUPING(), casts.
\set VERBOSITY terse
CREATE SCHEMA shp;
CREATE FUNCTION shp.edges(target text) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT format('%s.%s -> %s  %s/%s%s  [%s]', source_table, COALESCE(source_column, '*'),
                COALESCE(target_column, '(dataset)'), lineage_type, subtype,
                CASE WHEN masking THEN ' masked' ELSE '' END, origin)
    FROM dq.column_lineage
   WHERE target_schema = 'shp' AND target_table = target AND NOT dropped
   ORDER BY 1
$$;
CREATE TABLE shp.acct (id int PRIMARY KEY, a int, b int, c text, d numeric(10,2));
CREATE TABLE shp.src (id int PRIMARY KEY, x int, y int, k int, tags text[]);
INSERT INTO shp.acct VALUES (1, 1, 2, 'p', 1.50), (2, 3, 4, 'q', 2.25), (3, 5, 6, 'p', 3.00);
INSERT INTO shp.src VALUES (1, 10, 20, 1, '{a,b}'), (2, 30, 5, 2, '{c}');

-- 1. UPDATE without FROM: a = a + 1 derives a from itself (TRANSFORMATION),
-- b = a copies a (IDENTITY), the WHERE is a dataset-level FILTER; an UPDATE
-- assigning only constants moves no column and records nothing
UPDATE shp.acct SET a = a + 1 WHERE id = 3;
UPDATE shp.acct SET b = a;
UPDATE shp.acct SET c = 'r' WHERE id = 2;
SELECT shp.edges('acct');

-- 2. multiple-column assignment: each target column from its own source
-- column; the subquery's correlation is a JOIN of those columns
CREATE TABLE shp.multi (id int, a int, b int, c int);
INSERT INTO shp.multi VALUES (1, 0, 0, 0);
UPDATE shp.multi m SET (a, b) = (SELECT x, y FROM shp.src s WHERE s.id = m.id);
UPDATE shp.multi SET (b, c) = ROW(a + 1, id);
SELECT shp.edges('multi');

-- 3. value-choosing constructs behave as their CASE: NULLIF(x, y) is
-- CASE WHEN x = y THEN NULL ELSE x END (x: TRANSFORMATION + CONDITIONAL,
-- y: CONDITIONAL); GREATEST/LEAST: every argument may be the value and
-- decides which one is; arr[i]: i chooses the element
CREATE TABLE shp.cond (n int, g int, l int, t text);
INSERT INTO shp.cond SELECT NULLIF(x, y), GREATEST(x, y), LEAST(x, k), tags[k] FROM shp.src;
SELECT shp.edges('cond');

-- 4. a predicate comparing columns of two relations is a JOIN, also inside
-- LATERAL and correlated subqueries, and x IN (SELECT y ...)
CREATE TABLE shp.lat (id int, mx int);
INSERT INTO shp.lat
  SELECT s.id, l.mx FROM shp.src s
   CROSS JOIN LATERAL (SELECT max(a.a) AS mx FROM shp.acct a WHERE a.id = s.k) l;
SELECT shp.edges('lat');
CREATE TABLE shp.corr (id int, first_c text);
INSERT INTO shp.corr
  SELECT s.id, (SELECT min(a.c) FROM shp.acct a WHERE a.b > s.x) FROM shp.src s
   WHERE EXISTS (SELECT 1 FROM shp.acct a WHERE a.id = s.k AND a.b > 0)
     AND s.y IN (SELECT a.a FROM shp.acct a);
SELECT shp.edges('corr');

-- 5. recursive CTE: the recursive branch's join columns are JOIN inputs on
-- both sides (h.id is emp.id), and its columns reach the relation
CREATE TABLE shp.emp (id int, mgr int, name text);
CREATE TABLE shp.chain (id int, name text, depth int, root text);
INSERT INTO shp.emp VALUES (1, NULL, 'boss'), (2, 1, 'mid'), (3, 2, 'low');
INSERT INTO shp.chain
  WITH RECURSIVE h AS (
    SELECT id, name, 1 AS depth, name AS root FROM shp.emp WHERE mgr IS NULL
    UNION ALL
    SELECT e.id, e.name, h.depth + 1, h.root FROM shp.emp e JOIN h ON e.mgr = h.id)
  SELECT * FROM h;
SELECT shp.edges('chain');

-- 6. a whole-row reference depends on every column (one edge each, a
-- TRANSFORMATION: the value is a row built from them); count(*) counts
-- rows: the relation as a whole, no column
CREATE TABLE shp.rows (j jsonb, r text, n bigint);
INSERT INTO shp.rows SELECT to_jsonb(s.*), s::text, count(*) OVER () FROM shp.src s;
SELECT shp.edges('rows');
CREATE VIEW shp.v_rows AS
  SELECT row_to_json(t) AS j, count(*) AS n FROM shp.acct t GROUP BY t.id;
SELECT shp.edges('v_rows');
-- dropping any column shows on the whole-row edges
ALTER TABLE shp.src DROP COLUMN tags CASCADE;
SELECT target_table, target_column, dropped FROM dq.column_lineage
 WHERE source_table = 'src' AND source_column = 'tags' ORDER BY 1, 2;

-- 7. ON CONFLICT DO UPDATE: EXCLUDED.x is the inserted source column; the
-- existing row's columns transform as in any UPDATE; the arbiter (the
-- conflict target, else the constraint or the unique indexes) joins the
-- proposed rows with the table's: JOIN on both sides
CREATE TABLE shp.tot (id int PRIMARY KEY, total int, hits int);
INSERT INTO shp.tot
  SELECT id, x, 1 FROM shp.src
  ON CONFLICT (id) DO UPDATE SET total = EXCLUDED.total, hits = shp.tot.hits + 1
   WHERE shp.tot.total < EXCLUDED.total;
SELECT shp.edges('tot');
CREATE TABLE shp.cnt (id int PRIMARY KEY, n int);
INSERT INTO shp.cnt VALUES (1, 1) ON CONFLICT ON CONSTRAINT cnt_pkey DO UPDATE SET n = shp.cnt.n + 1;
SELECT shp.edges('cnt');
CREATE TABLE shp.uniq (code text UNIQUE, x int);
INSERT INTO shp.uniq SELECT c, a FROM shp.acct ON CONFLICT DO NOTHING;
SELECT shp.edges('uniq');

-- 8. JOIN USING: the merged column is what PostgreSQL computes: in a FULL
-- JOIN COALESCE(l.k, r.k), in a LEFT (or INNER) JOIN l.k, in a RIGHT JOIN r.k
CREATE TABLE shp.l (k int, lv int);
CREATE TABLE shp.r (k bigint, rv int);
CREATE TABLE shp.using_full (k bigint, lv int, rv int);
INSERT INTO shp.using_full SELECT k, lv, rv FROM shp.l FULL JOIN shp.r USING (k);
SELECT shp.edges('using_full');
CREATE TABLE shp.using_left (k bigint);
INSERT INTO shp.using_left SELECT k FROM shp.l LEFT JOIN shp.r USING (k);
SELECT shp.edges('using_left');
CREATE TABLE shp.using_right (k bigint);
INSERT INTO shp.using_right SELECT k FROM shp.l RIGHT JOIN shp.r USING (k);
SELECT shp.edges('using_right');

-- 9. GROUPING(c) says how the row was grouped, not a value of c: c is an
-- INDIRECT GROUP_BY input of that column
CREATE TABLE shp.gs (c text, g int, total bigint);
INSERT INTO shp.gs SELECT c, GROUPING(c), sum(a) FROM shp.acct GROUP BY ROLLUP (c);
SELECT shp.edges('gs');

-- 10. casts: a cast that keeps every value (widening) is IDENTITY, written
-- or implicit; narrowing, rounding and text conversions TRANSFORMATION;
-- an assignment to varchar(n) checks (an error, no cut): IDENTITY
CREATE TABLE shp.casts (i8 bigint, n numeric, s smallint, v varchar(5), d numeric(12,2),
                        d1 numeric(12,1), t text, f8 float8);
INSERT INTO shp.casts SELECT a, a, a, c, d, d, d, b::float8 FROM shp.acct;
SELECT shp.edges('casts');
CREATE DOMAIN shp.positive AS int CHECK (VALUE > 0);
CREATE VIEW shp.v_casts AS
  SELECT a::bigint AS a8, a::shp.positive AS pos, b::int2 AS b2, d::numeric(14,4) AS wide,
         d::int AS rounded, ARRAY[a]::bigint[] AS arr
    FROM shp.acct;
SELECT shp.edges('v_casts');

-- the statements pgbench runs still record nothing but what they move
CREATE TABLE shp.hist (id int, delta int);
INSERT INTO shp.hist VALUES (1, 5);
UPDATE shp.hist SET delta = 7 WHERE id = 1;
DELETE FROM shp.hist WHERE id = 2;
SELECT count(*) FROM dq.column_lineage WHERE target_table = 'hist';
