-- Statements run by PL/pgSQL trigger functions, with NEW/OLD traced to the
-- triggering table; COPY as runs with a file, a program or the client as
-- the other dataset, and the column lineage of COPY ... TO.
\set VERBOSITY terse
CREATE SCHEMA trg;
CREATE FUNCTION trg.edges(target text) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT format('%s.%s -> %s  %s/%s%s  [%s]', source_table, COALESCE(source_column, '*'),
                COALESCE(target_column, '(dataset)'), lineage_type, subtype,
                CASE WHEN masking THEN ' masked' ELSE '' END, origin)
    FROM dq.column_lineage
   WHERE target_schema = 'trg' AND target_table = target AND NOT dropped
   ORDER BY 1
$$;
CREATE TABLE trg.orders (id int, amount numeric, status text);
CREATE TABLE trg.refunds (id int, amount numeric, status text);

-- 55. an audit trigger: NEW.col and OLD.col are the triggering table's
-- columns; one trigger function on two tables gives each its own edges
CREATE TABLE trg.audit (order_id int, amount numeric, op text, at timestamptz);
CREATE FUNCTION trg.audit_fn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO trg.audit VALUES (OLD.id, OLD.amount, TG_OP, now());
    RETURN OLD;
  END IF;
  INSERT INTO trg.audit VALUES (NEW.id, round(NEW.amount), TG_OP, now());
  RETURN NEW;
END $$;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON trg.orders
  FOR EACH ROW EXECUTE FUNCTION trg.audit_fn();
CREATE TRIGGER audit AFTER INSERT ON trg.refunds
  FOR EACH ROW EXECUTE FUNCTION trg.audit_fn();
INSERT INTO trg.orders VALUES (1, 10.4, 'paid'), (2, 20, 'void');
UPDATE trg.orders SET status = 'paid' WHERE id = 2;
DELETE FROM trg.orders WHERE id = 2;
INSERT INTO trg.refunds VALUES (7, 3, 'done');
SELECT trg.edges('audit');
SELECT source_table, source_column, target_column, subtype, occurrences
  FROM dq.column_lineage WHERE target_schema = 'trg' AND target_table = 'audit' ORDER BY 1, 2, 3, 4;

-- 56. the whole NEW row, NEW.* and a statement trigger's transition table
CREATE TABLE trg.snap (o trg.orders, id int, status text);
CREATE TABLE trg.batch (id int, amount numeric);
CREATE FUNCTION trg.snap_fn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO trg.snap VALUES (NEW, NEW.id, NEW.status);
  RETURN NEW;
END $$;
CREATE TRIGGER snap AFTER INSERT ON trg.orders FOR EACH ROW EXECUTE FUNCTION trg.snap_fn();
CREATE FUNCTION trg.batch_fn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO trg.batch SELECT n.id, n.amount FROM new_rows n WHERE n.status = 'paid';
  RETURN NULL;
END $$;
CREATE TRIGGER batch AFTER INSERT ON trg.orders REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION trg.batch_fn();
INSERT INTO trg.orders VALUES (3, 30, 'paid');
SELECT trg.edges('snap');
SELECT trg.edges('batch');
-- a PL/pgSQL function that is not a trigger: its parameters are not columns
CREATE FUNCTION trg.add(p_id int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO trg.batch VALUES (p_id, 0);
END $$;
SELECT trg.add(4);
SELECT count(*) FROM dq.column_lineage WHERE target_table = 'batch';

-- 57. COPY t TO and COPY (query) TO: the columns of the file and their
-- sources; COPY t FROM: a dataset-level run into t
SET dq_lineage.openlineage_namespace = 'postgres://db.example.com:5432';
SELECT current_setting('data_directory') AS datadir,
       current_setting('data_directory') || '/dq_lineage_copy_test.csv' AS csv \gset
COPY trg.orders TO :'csv' WITH (FORMAT csv);
COPY (SELECT o.id, upper(o.status) AS status, sum(o.amount) AS total
        FROM trg.orders o JOIN trg.refunds r ON r.id = o.id + 6 WHERE o.status = 'paid'
       GROUP BY 1, 2) TO STDOUT WITH (FORMAT csv, HEADER);
COPY trg.refunds FROM :'csv' WITH (FORMAT csv);
COPY trg.refunds FROM :'csv' WITH (FORMAT csv);
COPY trg.orders (id, status) TO PROGRAM 'cat > /dev/null';
COPY trg.refunds FROM STDIN;
8	4	open
\.
-- a failing COPY records nothing
COPY trg.refunds FROM STDIN;
x	y	z
\.
-- COPY (INSERT ... RETURNING) TO: the INSERT is captured, the run is not
COPY (INSERT INTO trg.batch SELECT id, amount FROM trg.orders WHERE id = 1 RETURNING id) TO STDOUT;
SELECT trg.edges('batch');
-- temporary tables are not nodes
CREATE TEMP TABLE tmp_copy (id int);
COPY tmp_copy FROM STDIN;
1
\.
SELECT direction, table_name, endpoint_kind, replace(endpoint, :'datadir', '$PGDATA') AS endpoint,
       columns, occurrences
  FROM dq.copy_runs WHERE table_schema = 'trg' OR table_name IS NULL ORDER BY 1, 2, 3, 4;
SELECT endpoint_kind, field, field_name, source_table, source_column, scope, lineage_type, subtype
  FROM dq.copy_lineage ORDER BY endpoint_kind, field, source_table, source_column, subtype;
-- the file and the command are shown to roles that may use them
CREATE ROLE trg_reader;
SET ROLE trg_reader;
SELECT direction, endpoint_kind, endpoint FROM dq.copy_runs ORDER BY 1, 2, 3;
SELECT endpoint FROM dq.lineage_copies;
RESET ROLE;
-- OpenLineage: the file, program or client is the other dataset
SELECT regexp_replace(e -> 'job' ->> 'name', '\.[0-9a-f]+$', '.<key>') AS job,
       replace((SELECT string_agg(i ->> 'namespace' || ':' || (i ->> 'name'), ', ') FROM jsonb_array_elements(e -> 'inputs') i),
               :'datadir', '$PGDATA') AS inputs,
       replace((SELECT string_agg(o ->> 'namespace' || ':' || (o ->> 'name'), ', ') FROM jsonb_array_elements(e -> 'outputs') o),
               :'datadir', '$PGDATA') AS outputs
  FROM dq.openlineage_copy_events() e
 ORDER BY 1, 2, 3;
SELECT jsonb_pretty((e -> 'outputs' -> 0 -> 'facets' -> 'columnLineage') - '_producer' - '_schemaURL')
  FROM dq.openlineage_copy_events() e
 WHERE e -> 'job' ->> 'name' LIKE 'dq_lineage.copy_to.query.%';
-- copy runs are among the events (after the relations')
SELECT count(*) FROM dq.openlineage_events() e WHERE e -> 'job' ->> 'name' LIKE 'dq_lineage.copy_%';
-- a dropped table: its runs are marked
CREATE TABLE trg.gone (id int);
COPY trg.gone FROM STDIN;
1
\.
DROP TABLE trg.gone;
SELECT direction, table_name, dropped FROM dq.copy_runs WHERE table_name = 'gone';
DROP ROLE trg_reader;
RESET dq_lineage.openlineage_namespace;
