-- Lineage captured from data-modifying statements (needs the library in
-- shared_preload_libraries): INSERT ... SELECT, ON CONFLICT, UPDATE ... FROM,
-- MERGE, data-modifying CTEs, PL/pgSQL; only committed statements count.
\set VERBOSITY terse
INSERT INTO lin.customers VALUES (1, 'Ann', 'ann@example.com', 'eu'), (2, 'Bob', 'bob@example.com', 'us');
INSERT INTO lin.orders VALUES (1, 1, 10.50, 'paid', '2024-01-02', 2), (2, 1, 99.00, 'void', '2024-01-03', 1),
                              (3, 2, 5.25, 'paid', '2024-01-04', 3);
INSERT INTO lin.products VALUES (1, 9.99, 'book', '{a,b}'), (2, 19.99, 'toy', '{c}');
CREATE TABLE lin.sales (order_id int, customer text, amount numeric, region text, rank_in_region bigint);
CREATE TABLE lin.totals (customer_id int PRIMARY KEY, total numeric, orders bigint);
CREATE TABLE lin.names (id int, name text);
CREATE TABLE lin.staging (id int, amount numeric);
CREATE TABLE lin.archive (id int, amount numeric);

-- 24. INSERT ... VALUES moves no column: no edge; a single-table UPDATE
-- derives name from itself (53_lineage_shapes has the other UPDATE shapes)
INSERT INTO lin.names VALUES (1, 'x');
SELECT count(*) FROM dq.column_lineage WHERE target_table = 'names';
UPDATE lin.names SET name = name || 'y';
SELECT lin.edges('names');
-- 25. INSERT ... SELECT with a CTE, a join and a window function
INSERT INTO lin.sales (order_id, customer, amount, region, rank_in_region)
  WITH paid AS (SELECT * FROM lin.orders WHERE status = 'paid')
  SELECT p.id, c.name, p.amount, c.region,
         rank() OVER (PARTITION BY c.region ORDER BY p.amount DESC)
    FROM paid p JOIN lin.customers c ON c.id = p.customer_id;
SELECT lin.edges('sales');
-- 26. INSERT ... SELECT with aggregates; ON CONFLICT DO UPDATE reads EXCLUDED
INSERT INTO lin.totals
  SELECT customer_id, sum(amount), count(*) FROM lin.orders GROUP BY customer_id
  ON CONFLICT (customer_id) DO UPDATE
     SET total = lin.totals.total + EXCLUDED.total, orders = EXCLUDED.orders
   WHERE lin.totals.total IS DISTINCT FROM EXCLUDED.total;
SELECT lin.edges('totals');
-- 27. UNION ALL: every branch feeds the target
INSERT INTO lin.names SELECT id, name FROM lin.customers UNION ALL SELECT id, category FROM lin.products;
SELECT lin.edges('names');
-- 28. UPDATE ... SET ... FROM
UPDATE lin.staging s SET amount = o.amount * 2 FROM lin.orders o WHERE o.id = s.id AND o.qty > 1;
SELECT lin.edges('staging');
-- 29. MERGE: matched and not-matched actions
MERGE INTO lin.archive a
USING (SELECT id, amount FROM lin.orders WHERE status = 'paid') o ON a.id = o.id
WHEN MATCHED AND o.amount > 50 THEN UPDATE SET amount = o.amount
WHEN NOT MATCHED THEN INSERT (id, amount) VALUES (o.id, round(o.amount));
SELECT lin.edges('archive');
-- 30. a data-modifying CTE moving rows between tables
CREATE TABLE lin.moved (id int, amount numeric);
INSERT INTO lin.staging VALUES (7, 1);
WITH gone AS (DELETE FROM lin.staging WHERE amount < 10 RETURNING id, amount)
INSERT INTO lin.moved SELECT id, amount FROM gone;
SELECT lin.edges('moved');
-- 31. a SELECT whose CTE inserts
CREATE TABLE lin.audit (customer text);
WITH ins AS (INSERT INTO lin.audit SELECT name FROM lin.customers RETURNING customer)
SELECT count(*) FROM ins;
SELECT lin.edges('audit');
-- 32. scalar subquery and LATERAL with a set-returning function
CREATE TABLE lin.tags (product_id int, tag text, category_count bigint);
INSERT INTO lin.tags
  SELECT p.id, t.tag, (SELECT count(*) FROM lin.products q WHERE q.category = p.category)
    FROM lin.products p CROSS JOIN LATERAL unnest(p.tags) AS t(tag);
SELECT lin.edges('tags');
-- 33. a rolled-back INSERT ... SELECT records nothing
CREATE TABLE lin.never (id int);
BEGIN;
INSERT INTO lin.never SELECT id FROM lin.customers;
ROLLBACK;
SELECT count(*) FROM dq.lineage_edges WHERE target_table = 'never';
-- 34. a failing INSERT ... SELECT records nothing
INSERT INTO lin.never SELECT 1 / (id - id) FROM lin.customers;
SELECT count(*) FROM dq.lineage_edges WHERE target_table = 'never';
-- 35. ... and the same statement recorded once it commits
INSERT INTO lin.never SELECT id FROM lin.customers;
SELECT lin.edges('never');
-- 36. a savepoint rolled back takes the edges with it; a later run writes them
CREATE TABLE lin.sp (id int);
BEGIN;
SAVEPOINT a;
INSERT INTO lin.sp SELECT id FROM lin.orders;
ROLLBACK TO SAVEPOINT a;
INSERT INTO lin.sp SELECT id FROM lin.orders;
COMMIT;
SELECT lin.edges('sp');
-- 37. statements inside PL/pgSQL functions and procedures
CREATE TABLE lin.fn_target (cid int, amount numeric);
CREATE FUNCTION lin.load_fn() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO lin.fn_target SELECT customer_id, amount FROM lin.orders WHERE qty > 1;
END $$;
SELECT lin.load_fn();
SELECT lin.load_fn();
SELECT lin.edges('fn_target');
CREATE TABLE lin.proc_target (region text);
CREATE PROCEDURE lin.load_proc() LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO lin.proc_target SELECT DISTINCT region FROM lin.customers;
  COMMIT;
  INSERT INTO lin.proc_target SELECT DISTINCT region FROM lin.customers;
END $$;
CALL lin.load_proc();
SELECT lin.edges('proc_target');
-- 38. occurrences: counted per execution, before and after a flush
SELECT DISTINCT occurrences FROM dq.column_lineage WHERE target_table = 'fn_target';
SELECT dq.lineage_flush();
SELECT DISTINCT occurrences FROM dq.column_lineage WHERE target_table = 'fn_target';
SELECT DISTINCT occurrences FROM dq.lineage_edges WHERE target_table = 'fn_target';
SELECT lin.load_fn();
SELECT DISTINCT occurrences FROM dq.column_lineage WHERE target_table = 'fn_target';
SELECT DISTINCT occurrences FROM dq.column_lineage WHERE target_table = 'proc_target';
-- the edges were written once
SELECT count(*) FROM dq.lineage_edges WHERE target_table = 'fn_target';
-- 39. capture_dml off
CREATE TABLE lin.off_target (id int);
SET dq_lineage.capture_dml = off;
INSERT INTO lin.off_target SELECT id FROM lin.orders;
RESET dq_lineage.capture_dml;
SELECT count(*) FROM dq.column_lineage WHERE target_table = 'off_target';
-- 40. a table that feeds itself
CREATE TABLE lin.loop (n int);
INSERT INTO lin.loop VALUES (1);
INSERT INTO lin.loop SELECT n + 1 FROM lin.loop;
SELECT lin.edges('loop');
-- 41. a prepared statement
CREATE TABLE lin.prepared (id int, email text);
PREPARE p(int) AS INSERT INTO lin.prepared SELECT id, email FROM lin.customers WHERE id = $1;
EXECUTE p(1);
EXECUTE p(2);
SELECT lin.edges('prepared');
-- 42. temporary tables are not nodes (they vanish without a sql_drop event);
-- a read-only transaction writing one does not fail
CREATE TEMP TABLE tmp_target (id int);
BEGIN READ ONLY;
INSERT INTO tmp_target SELECT id FROM lin.customers;
COMMIT;
INSERT INTO tmp_target SELECT id FROM lin.customers;
INSERT INTO lin.names SELECT id, 'tmp' FROM tmp_target;
SELECT count(*) FROM dq.lineage_edges WHERE target_table = 'tmp_target' OR source_table = 'tmp_target';
