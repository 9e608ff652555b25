-- Lineage captured from DDL: views, materialized views, CREATE TABLE AS,
-- SELECT INTO; every construct of a query, with the exact edges.
\set VERBOSITY terse
CREATE SCHEMA lin;
CREATE TABLE lin.customers (id int PRIMARY KEY, name text, email text, region text);
CREATE TABLE lin.orders (id int PRIMARY KEY, customer_id int, amount numeric(10,2),
                         status text, created date, qty int);
CREATE TABLE lin.products (id int PRIMARY KEY, price numeric, category text, tags text[]);
CREATE TABLE lin.events (id int, kind text, at date) PARTITION BY RANGE (at);
CREATE TABLE lin.events_2024 PARTITION OF lin.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE FOREIGN DATA WRAPPER lin_fdw;
CREATE SERVER lin_server FOREIGN DATA WRAPPER lin_fdw;
CREATE FOREIGN TABLE lin.remote (id int, payload text) SERVER lin_server;

-- one line per edge of a target: source -> target column, type/subtype
CREATE FUNCTION lin.edges(target text) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT format('%s.%s -> %s  %s/%s%s  [%s]', source_table, COALESCE(source_column, '*'),
                COALESCE(target_column, '(dataset)'), lineage_type, subtype,
                CASE WHEN masking THEN ' masked' ELSE '' END, origin)
    FROM dq.column_lineage
   WHERE target_schema = 'lin' AND target_table = target AND NOT dropped
   ORDER BY 1
$$;

-- 1. plain columns: IDENTITY
CREATE VIEW lin.v_ident AS SELECT id, name FROM lin.customers;
SELECT lin.edges('v_ident');
-- 2. casts: binary-compatible (text -> varchar) stays IDENTITY, others transform
CREATE VIEW lin.v_cast AS
  SELECT id::bigint AS id8, name::varchar AS vname, amount::numeric(12,1) AS amt, created::text AS day
    FROM lin.orders o JOIN lin.customers c USING (id);
SELECT lin.edges('v_cast');
-- 3. expressions, CASE, COALESCE
CREATE VIEW lin.v_expr AS
  SELECT amount * qty AS total,
         CASE WHEN status = 'paid' THEN amount ELSE 0 END AS paid,
         COALESCE(status, 'unknown') AS st,
         upper(status) AS ust
    FROM lin.orders;
SELECT lin.edges('v_expr');
-- 4. aggregates, GROUP BY, HAVING, count(*), count(col), count(DISTINCT)
CREATE VIEW lin.v_agg AS
  SELECT customer_id, sum(amount) AS total, count(*) AS n, count(DISTINCT status) AS statuses,
         max(created) FILTER (WHERE qty > 1) AS last_multi
    FROM lin.orders GROUP BY customer_id HAVING sum(qty) > 10;
SELECT lin.edges('v_agg');
-- 5. window functions: per-column WINDOW inputs
CREATE VIEW lin.v_window AS
  SELECT id, sum(amount) OVER (PARTITION BY customer_id ORDER BY created) AS running,
         row_number() OVER (ORDER BY id) AS rn, lag(status) OVER (ORDER BY created) AS prev
    FROM lin.orders;
SELECT lin.edges('v_window');
-- 6. implicit join in WHERE (JOIN) and a filter (FILTER)
CREATE VIEW lin.v_where AS
  SELECT o.id, c.region FROM lin.orders o, lin.customers c
   WHERE o.customer_id = c.id AND o.status <> 'void';
SELECT lin.edges('v_where');
-- 7. self-join
CREATE VIEW lin.v_self AS
  SELECT a.id, b.id AS next_id FROM lin.orders a JOIN lin.orders b ON b.id = a.id + 1;
SELECT lin.edges('v_self');
-- 8. subquery in FROM, scalar subquery in the select list, EXISTS, IN
CREATE VIEW lin.v_sub AS
  SELECT s.cid, s.total, (SELECT c.name FROM lin.customers c WHERE c.id = s.cid) AS name
    FROM (SELECT customer_id AS cid, sum(amount) AS total FROM lin.orders GROUP BY 1) s
   WHERE EXISTS (SELECT 1 FROM lin.products p WHERE p.id = s.cid)
     AND s.cid IN (SELECT id FROM lin.customers WHERE region = 'eu');
SELECT lin.edges('v_sub');
-- 9. CTE and recursive CTE
CREATE VIEW lin.v_cte AS
  WITH big AS (SELECT id, amount FROM lin.orders WHERE amount > 100)
  SELECT id, amount * 2 AS doubled FROM big;
SELECT lin.edges('v_cte');
CREATE VIEW lin.v_rec AS
  WITH RECURSIVE r(n, cid) AS (
    SELECT 1, customer_id FROM lin.orders
    UNION ALL SELECT n + 1, cid FROM r WHERE n < 3)
  SELECT n, cid FROM r;
SELECT lin.edges('v_rec');
-- 10. set operations: every branch contributes
CREATE VIEW lin.v_union AS
  SELECT id, name FROM lin.customers
  UNION SELECT id, status FROM lin.orders
  UNION ALL SELECT id, category FROM lin.products;
SELECT lin.edges('v_union');
CREATE VIEW lin.v_intersect AS
  SELECT id FROM lin.customers INTERSECT SELECT customer_id FROM lin.orders
  EXCEPT SELECT id FROM lin.products;
SELECT lin.edges('v_intersect');
-- 11. LATERAL and set-returning functions
CREATE VIEW lin.v_lateral AS
  SELECT c.id, l.last_amount, t.tag, g.i
    FROM lin.customers c
    CROSS JOIN LATERAL (SELECT max(o.amount) AS last_amount FROM lin.orders o
                         WHERE o.customer_id = c.id) l
    CROSS JOIN LATERAL (SELECT unnest(p.tags) AS tag FROM lin.products p WHERE p.id = c.id) t
    CROSS JOIN generate_series(1, 3) g(i);
SELECT lin.edges('v_lateral');
CREATE VIEW lin.v_srf AS SELECT u.tag FROM lin.products p, unnest(p.tags) AS u(tag);
SELECT lin.edges('v_srf');
-- 12. VALUES in FROM, DISTINCT, ORDER BY
CREATE VIEW lin.v_values AS
  SELECT DISTINCT o.id, v.label FROM lin.orders o
    JOIN (VALUES ('paid', 'Paid'), ('void', 'Void')) v(code, label) ON v.code = o.status
   ORDER BY o.id;
SELECT lin.edges('v_values');
-- 13. SELECT * expansion
CREATE VIEW lin.v_star AS SELECT * FROM lin.customers;
SELECT lin.edges('v_star');
-- 14. masking: hash functions
CREATE VIEW lin.v_mask AS SELECT md5(email) AS email_hash, sha256(name::bytea) AS name_hash,
                                 length(email) AS len FROM lin.customers;
SELECT lin.edges('v_mask');
-- 15. nested views: edges go to the immediate upstream view only
CREATE VIEW lin.v_nested AS SELECT id, upper(name) AS uname FROM lin.v_ident;
SELECT lin.edges('v_nested');
-- 16. CREATE OR REPLACE VIEW replaces the view's edges
CREATE OR REPLACE VIEW lin.v_ident AS SELECT id, name, email FROM lin.customers;
SELECT lin.edges('v_ident');
-- 17. partitioned parent and foreign table
CREATE VIEW lin.v_parts AS SELECT e.kind, r.payload FROM lin.events e JOIN lin.remote r ON r.id = e.id;
SELECT lin.edges('v_parts');
-- 18. materialized view, counted again by REFRESH
CREATE MATERIALIZED VIEW lin.mv_region AS
  SELECT c.region, sum(o.amount) AS revenue FROM lin.orders o JOIN lin.customers c ON c.id = o.customer_id
   GROUP BY c.region;
SELECT lin.edges('mv_region');
REFRESH MATERIALIZED VIEW lin.mv_region;
SELECT DISTINCT occurrences FROM dq.column_lineage WHERE target_table = 'mv_region';
-- 19. CREATE TABLE AS: views stay nodes of their own
CREATE TABLE lin.t_ctas AS SELECT id, uname FROM lin.v_nested WHERE id > 0;
SELECT lin.edges('t_ctas');
-- 20. SELECT INTO
SELECT customer_id, avg(amount) AS avg_amount INTO lin.t_into FROM lin.orders GROUP BY customer_id;
SELECT lin.edges('t_into');
-- 21. a view that reads no table has no edges
CREATE VIEW lin.v_const AS SELECT 1 AS one, now() AS ts;
SELECT count(*) FROM lin.edges('v_const');
-- 22. capture_ddl off
SET dq_lineage.capture_ddl = off;
CREATE VIEW lin.v_off AS SELECT id FROM lin.customers;
RESET dq_lineage.capture_ddl;
SELECT count(*) FROM lin.edges('v_off');
-- 23. a rolled-back CREATE VIEW leaves no edge
BEGIN;
CREATE VIEW lin.v_rollback AS SELECT id FROM lin.customers;
SELECT count(*) FROM lin.edges('v_rollback');
ROLLBACK;
SELECT count(*) FROM dq.lineage_edges WHERE target_table = 'v_rollback';
