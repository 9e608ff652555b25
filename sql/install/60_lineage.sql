------------------------------------------------------------------------
-- Column-level lineage
------------------------------------------------------------------------

CREATE TABLE dq.lineage_edges (
	source_relid	regclass,
	source_attnum	smallint NOT NULL,
	target_relid	regclass,
	target_attnum	smallint NOT NULL,
	lineage_type	text NOT NULL CHECK (lineage_type IN ('DIRECT', 'INDIRECT')),
	subtype			text NOT NULL CHECK (subtype IN ('IDENTITY', 'TRANSFORMATION', 'AGGREGATION',
						'JOIN', 'FILTER', 'GROUP_BY', 'SORT', 'WINDOW', 'CONDITIONAL')),
	masking			boolean NOT NULL,
	origin			text NOT NULL CHECK (origin IN ('view', 'matview', 'ctas', 'insert', 'update',
						'merge', 'manual')),
	query_id		bigint NOT NULL,
	source_schema	name NOT NULL,
	source_table	name NOT NULL,
	source_column	name,
	target_schema	name NOT NULL,
	target_table	name NOT NULL,
	target_column	name,
	first_seen		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	last_seen		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	occurrences		bigint NOT NULL DEFAULT 0,
	dropped			boolean NOT NULL DEFAULT false,
	UNIQUE (target_relid, target_attnum, source_relid, source_attnum, subtype, masking,
			origin, query_id)
);
CREATE INDEX lineage_edges_source_idx ON dq.lineage_edges (source_relid, source_attnum);
CREATE INDEX lineage_edges_query_idx ON dq.lineage_edges (query_id);

COMMENT ON TABLE dq.lineage_edges IS 'Column lineage edges as captured, one per edge and statement; read dq.column_lineage instead';
COMMENT ON COLUMN dq.lineage_edges.source_relid IS 'The source relation (a regclass: pg_dump writes it as a name); NULL once it was dropped';
COMMENT ON COLUMN dq.lineage_edges.source_attnum IS 'Source column number; 0 for the whole relation (row-count lineage such as count(*))';
COMMENT ON COLUMN dq.lineage_edges.target_relid IS 'The target relation (a regclass: pg_dump writes it as a name); NULL once it was dropped';
COMMENT ON COLUMN dq.lineage_edges.target_attnum IS 'Target column number; 0 for a dataset-level edge';
COMMENT ON COLUMN dq.lineage_edges.lineage_type IS 'DIRECT or INDIRECT (OpenLineage column-lineage facet 1-2-0)';
COMMENT ON COLUMN dq.lineage_edges.subtype IS 'IDENTITY, TRANSFORMATION, AGGREGATION (DIRECT); JOIN, FILTER, GROUP_BY, SORT, WINDOW, CONDITIONAL (INDIRECT)';
COMMENT ON COLUMN dq.lineage_edges.masking IS 'True when the transformation hides the input (hash functions, count)';
COMMENT ON COLUMN dq.lineage_edges.origin IS 'What produced the edge: view, matview, ctas, insert, update, merge or manual';
COMMENT ON COLUMN dq.lineage_edges.query_id IS 'Query ID of the capturing statement (0 for DDL and manual edges)';
COMMENT ON COLUMN dq.lineage_edges.source_schema IS 'Schema of the source at capture time';
COMMENT ON COLUMN dq.lineage_edges.source_table IS 'Name of the source at capture time';
COMMENT ON COLUMN dq.lineage_edges.source_column IS 'Name of the source column at capture time; NULL for the whole relation';
COMMENT ON COLUMN dq.lineage_edges.target_schema IS 'Schema of the target at capture time';
COMMENT ON COLUMN dq.lineage_edges.target_table IS 'Name of the target at capture time';
COMMENT ON COLUMN dq.lineage_edges.target_column IS 'Name of the target column at capture time; NULL for a dataset-level edge';
COMMENT ON COLUMN dq.lineage_edges.first_seen IS 'When the edge was first recorded';
COMMENT ON COLUMN dq.lineage_edges.last_seen IS 'Last time it was seen, as of the last dq.lineage_flush()';
COMMENT ON COLUMN dq.lineage_edges.occurrences IS 'Times it was seen, as of the last dq.lineage_flush()';
COMMENT ON COLUMN dq.lineage_edges.dropped IS 'True once the source or target (relation or column) was dropped';

-- Lineage is metadata, like pg_depend: readable by everyone, written only
-- by the extension (as its owner).  pg_dump writes the relations by name;
-- the edges of existing views and materialized views are left out, since
-- restoring the view captures them again (a copy would collide with them).
REVOKE ALL ON dq.lineage_edges FROM PUBLIC;
GRANT SELECT ON dq.lineage_edges TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('dq.lineage_edges',
	'WHERE NOT (origin IN (''view'', ''matview'') AND NOT dropped) AND (source_relid IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = source_relid AND c.relpersistence <> ''t'')) AND (target_relid IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = target_relid AND c.relpersistence <> ''t''))');

CREATE FUNCTION dq.lineage_pending(OUT query_id bigint, OUT calls bigint, OUT last_seen timestamptz)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'dq_lineage_pending' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION dq.lineage_pending() IS
	'Executions of captured statements counted in shared memory and not yet folded into dq.lineage_edges by dq.lineage_flush(); empty without shared_preload_libraries';

CREATE FUNCTION dq.lineage_flush() RETURNS void
	AS 'MODULE_PATHNAME', 'dq_lineage_flush' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dq.lineage_flush() IS
	'Fold the pending occurrence counters of this database into dq.lineage_edges (what a crash would otherwise lose)';
REVOKE ALL ON FUNCTION dq.lineage_flush() FROM PUBLIC;

CREATE VIEW dq.column_lineage AS
WITH pending AS (
	SELECT p.query_id, p.calls, p.last_seen FROM dq.lineage_pending() p
), edges AS (
	SELECT e.source_relid, e.source_attnum, e.target_relid, e.target_attnum,
		   e.lineage_type, e.subtype, e.masking, e.origin,
		   min(e.source_schema) AS source_schema, min(e.source_table) AS source_table,
		   min(e.source_column) AS source_column, min(e.target_schema) AS target_schema,
		   min(e.target_table) AS target_table, min(e.target_column) AS target_column,
		   min(e.first_seen) AS first_seen,
		   GREATEST(max(e.last_seen), max(p.last_seen)) AS last_seen,
		   sum(e.occurrences + COALESCE(p.calls, 0))::bigint AS occurrences,
		   bool_or(e.dropped) AS dropped,
		   array_agg(DISTINCT e.query_id ORDER BY e.query_id) AS query_ids
	  FROM dq.lineage_edges e
	  LEFT JOIN pending p ON p.query_id = e.query_id AND e.origin IN ('insert', 'update', 'merge')
	 GROUP BY e.source_relid, e.source_attnum, e.target_relid, e.target_attnum,
			  e.lineage_type, e.subtype, e.masking, e.origin,
			  CASE WHEN e.source_relid IS NULL THEN e.source_schema END,
			  CASE WHEN e.source_relid IS NULL THEN e.source_table END,
			  CASE WHEN e.target_relid IS NULL THEN e.target_schema END,
			  CASE WHEN e.target_relid IS NULL THEN e.target_table END
)
SELECT COALESCE(sn.nspname, e.source_schema) AS source_schema,
	   COALESCE(sc.relname, e.source_table) AS source_table,
	   CASE WHEN e.source_attnum <> 0 THEN COALESCE(sa.attname, e.source_column) END AS source_column,
	   COALESCE(tn.nspname, e.target_schema) AS target_schema,
	   COALESCE(tc.relname, e.target_table) AS target_table,
	   CASE WHEN e.target_attnum <> 0 THEN COALESCE(ta.attname, e.target_column) END AS target_column,
	   CASE WHEN e.target_attnum = 0 THEN 'dataset' ELSE 'column' END AS scope,
	   e.lineage_type, e.subtype, e.masking, e.origin, e.first_seen, e.last_seen,
	   e.occurrences, e.dropped,
	   e.source_relid, e.source_attnum, e.target_relid, e.target_attnum, e.query_ids
  FROM edges e
  LEFT JOIN pg_catalog.pg_class sc ON sc.oid = e.source_relid AND NOT e.dropped
  LEFT JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
  LEFT JOIN pg_catalog.pg_attribute sa ON sa.attrelid = sc.oid AND sa.attnum = e.source_attnum
		AND NOT sa.attisdropped
  LEFT JOIN pg_catalog.pg_class tc ON tc.oid = e.target_relid AND NOT e.dropped
  LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
  LEFT JOIN pg_catalog.pg_attribute ta ON ta.attrelid = tc.oid AND ta.attnum = e.target_attnum
		AND NOT ta.attisdropped;
GRANT SELECT ON dq.column_lineage TO PUBLIC;
COMMENT ON VIEW dq.column_lineage IS 'Column-level lineage: one row per edge from a source column (or relation) to a target column (or, for dataset-level edges, the whole target), with current names';
COMMENT ON COLUMN dq.column_lineage.source_schema IS 'Schema of the source relation (current name; name at capture time once dropped)';
COMMENT ON COLUMN dq.column_lineage.source_table IS 'Source relation';
COMMENT ON COLUMN dq.column_lineage.source_column IS 'Source column; NULL when the whole relation is the source (count(*))';
COMMENT ON COLUMN dq.column_lineage.target_schema IS 'Schema of the target relation';
COMMENT ON COLUMN dq.column_lineage.target_table IS 'Target relation';
COMMENT ON COLUMN dq.column_lineage.target_column IS 'Target column; NULL for dataset-level edges';
COMMENT ON COLUMN dq.column_lineage.scope IS 'column: the source feeds or conditions this column; dataset: it affects every row of the target (WHERE, JOIN, GROUP BY, DISTINCT, ORDER BY)';
COMMENT ON COLUMN dq.column_lineage.lineage_type IS 'DIRECT or INDIRECT';
COMMENT ON COLUMN dq.column_lineage.subtype IS 'IDENTITY, TRANSFORMATION, AGGREGATION; JOIN, FILTER, GROUP_BY, SORT, WINDOW, CONDITIONAL';
COMMENT ON COLUMN dq.column_lineage.masking IS 'True when the transformation hides the input (hash functions, count)';
COMMENT ON COLUMN dq.column_lineage.origin IS 'view, matview, ctas, insert, update, merge or manual';
COMMENT ON COLUMN dq.column_lineage.first_seen IS 'When first recorded';
COMMENT ON COLUMN dq.column_lineage.last_seen IS 'When last seen, pending counters included';
COMMENT ON COLUMN dq.column_lineage.occurrences IS 'Times seen, pending counters included';
COMMENT ON COLUMN dq.column_lineage.dropped IS 'True once the source or target was dropped';
COMMENT ON COLUMN dq.column_lineage.source_relid IS 'The source relation; NULL once it was dropped';
COMMENT ON COLUMN dq.column_lineage.source_attnum IS 'Source column number (0: whole relation)';
COMMENT ON COLUMN dq.column_lineage.target_relid IS 'The target relation; NULL once it was dropped';
COMMENT ON COLUMN dq.column_lineage.target_attnum IS 'Target column number (0: dataset level)';
COMMENT ON COLUMN dq.column_lineage.query_ids IS 'Query IDs of the statements that produced the edge (0: DDL or manual)';

CREATE FUNCTION dq.record_lineage(source regclass, source_column name, target regclass,
								  target_column name, lineage_type text DEFAULT 'DIRECT',
								  subtype text DEFAULT 'IDENTITY', masking boolean DEFAULT false)
	RETURNS void
	AS 'MODULE_PATHNAME', 'dq_record_lineage' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dq.record_lineage(regclass, name, regclass, name, text, text, boolean) IS
	'Record an edge by hand (ETL outside the database); NULL source_column: the whole relation, NULL target_column: a dataset-level INDIRECT edge';

-- Resolve a column name of a relation, for dq.upstream/dq.downstream.
CREATE FUNCTION dq.lineage_attnum(rel regclass, col name) RETURNS smallint
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n smallint;
BEGIN
	IF rel IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
			MESSAGE = 'rel must not be NULL', HINT = 'Name the relation, for example ''public.orders''.';
	END IF;
	IF col IS NULL THEN
		RETURN NULL;
	END IF;
	SELECT a.attnum INTO n FROM pg_attribute a
	 WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
	IF n IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'undefined_column',
			MESSAGE = format('column "%s" of relation %s does not exist', col, rel),
			HINT = format('List the columns with \d %s.', rel);
	END IF;
	RETURN n;
END
$$;
COMMENT ON FUNCTION dq.lineage_attnum(regclass, name) IS 'Column number of a named column (errors when it does not exist); used by dq.upstream and dq.downstream';

-- The closure of the lineage graph from a relation (or one column of it),
-- in either direction, with depth and path; a node already on the path is
-- not visited again, so cycles (a table that feeds itself) end.
CREATE FUNCTION dq.lineage_closure(rel oid, attnum smallint, max_depth integer, downstream boolean)
	RETURNS TABLE (depth integer, source_schema name, source_table name, source_column name,
				   target_schema name, target_table name, target_column name, scope text,
				   lineage_type text, subtype text, masking boolean, path text[])
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH RECURSIVE e AS (
		SELECT l.*, n.*
		  FROM dq.column_lineage l,
			   LATERAL (SELECT
					CASE WHEN downstream THEN l.source_relid ELSE l.target_relid END AS near_relid,
					CASE WHEN downstream THEN l.source_attnum ELSE l.target_attnum END AS near_attnum,
					CASE WHEN downstream THEN l.target_relid ELSE l.source_relid END AS far_relid,
					CASE WHEN downstream THEN l.target_attnum ELSE l.source_attnum END AS far_attnum,
					format('%I.%I.%s', l.source_schema, l.source_table,
						   COALESCE(quote_ident(l.source_column), '*')) AS src,
					format('%I.%I.%s', l.target_schema, l.target_table,
						   COALESCE(quote_ident(l.target_column), '*')) AS tgt) n
		 WHERE NOT l.dropped
	), walk AS (
		SELECT 1 AS depth, e.*,
			   CASE WHEN downstream THEN ARRAY[e.src, e.tgt] ELSE ARRAY[e.tgt, e.src] END AS path
		  FROM e
		 WHERE e.near_relid = rel AND (attnum IS NULL OR e.near_attnum IN (0, attnum))
		UNION ALL
		SELECT w.depth + 1, e.*,
			   w.path || CASE WHEN downstream THEN e.tgt ELSE e.src END
		  FROM walk w
		  JOIN e ON e.near_relid = w.far_relid
				AND (w.far_attnum = 0 OR e.near_attnum IN (0, w.far_attnum))
		 WHERE (max_depth IS NULL OR w.depth < max_depth)
		   AND NOT (CASE WHEN downstream THEN e.tgt ELSE e.src END) = ANY (w.path)
	)
	SELECT w.depth, w.source_schema, w.source_table, w.source_column, w.target_schema,
		   w.target_table, w.target_column, w.scope, w.lineage_type, w.subtype, w.masking, w.path
	  FROM walk w
	 ORDER BY w.depth, w.path, w.lineage_type, w.subtype
$$;
COMMENT ON FUNCTION dq.lineage_closure(oid, smallint, integer, boolean) IS
	'The walk behind dq.upstream and dq.downstream';

CREATE FUNCTION dq.upstream(rel regclass, col name DEFAULT NULL, max_depth integer DEFAULT NULL)
	RETURNS TABLE (depth integer, source_schema name, source_table name, source_column name,
				   target_schema name, target_table name, target_column name, scope text,
				   lineage_type text, subtype text, masking boolean, path text[])
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM dq.lineage_closure(rel, dq.lineage_attnum(rel, col), max_depth, false) $$;
COMMENT ON FUNCTION dq.upstream(regclass, name, integer) IS
	'Everything a relation (or one of its columns) is derived from: the transitive closure of dq.column_lineage upstream, with depth and path (target first); dataset-level edges of a relation count for each of its columns; cycle-safe';

CREATE FUNCTION dq.downstream(rel regclass, col name DEFAULT NULL, max_depth integer DEFAULT NULL)
	RETURNS TABLE (depth integer, source_schema name, source_table name, source_column name,
				   target_schema name, target_table name, target_column name, scope text,
				   lineage_type text, subtype text, masking boolean, path text[])
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM dq.lineage_closure(rel, dq.lineage_attnum(rel, col), max_depth, true) $$;
COMMENT ON FUNCTION dq.downstream(regclass, name, integer) IS
	'Everything derived from a relation (or one of its columns), i.e. what a change to it can break: the transitive closure downstream, with depth and path (source first); cycle-safe';

CREATE FUNCTION dq.lineage_dot(rel regclass DEFAULT NULL) RETURNS text
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH near AS (
		-- the relations upstream and downstream of rel
		SELECT rel::oid AS relid
		UNION SELECT c.oid FROM dq.upstream(rel) u
				JOIN pg_class c ON c.relname = u.source_table
				JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = u.source_schema
		UNION SELECT c.oid FROM dq.downstream(rel) d
				JOIN pg_class c ON c.relname = d.target_table
				JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = d.target_schema
	), e AS (
		SELECT l.*, quote_ident(l.source_schema) || '.' || quote_ident(l.source_table) AS src,
			   quote_ident(l.target_schema) || '.' || quote_ident(l.target_table) AS tgt
		  FROM dq.column_lineage l
		 WHERE NOT l.dropped
		   AND (rel IS NULL OR (l.source_relid IN (SELECT relid FROM near)
								AND l.target_relid IN (SELECT relid FROM near)))
	), cols AS (
		SELECT src AS node, source_column AS col, source_attnum AS attnum FROM e
		UNION SELECT tgt, target_column, target_attnum FROM e
	), nodes AS (
		-- one HTML-like table per relation: its name, then a row per column
		SELECT node,
			   string_agg(format('<tr><td port="c%s" align="left">%s</td></tr>', attnum,
								 replace(replace(replace(replace(col, '&', '&amp;'), '<', '&lt;'),
														 '>', '&gt;'), '"', '&quot;')),
						  '' ORDER BY attnum) FILTER (WHERE attnum > 0) AS rows
		  FROM cols GROUP BY node
	), edges AS (
		-- one arrow per column pair and lineage type; how it flows in the tooltip
		SELECT src, source_attnum, tgt, target_attnum, lineage_type, bool_or(masking) AS masking,
			   string_agg(DISTINCT lower(subtype) || CASE WHEN masking THEN ' (masking)' ELSE '' END,
						  ', ') AS how
		  FROM e GROUP BY src, source_attnum, tgt, target_attnum, lineage_type
	)
	SELECT E'digraph lineage {\n'
		|| E'  graph [rankdir=LR, nodesep=0.15, ranksep=0.6, fontname="Helvetica"];\n'
		|| E'  node [shape=plain, fontname="Helvetica", fontsize=10];\n'
		|| E'  edge [arrowsize=0.6, penwidth=0.9, color="#34495e"];\n'
		|| COALESCE((SELECT string_agg(format(E'  "%s" [label=<<table border="0" cellborder="1" cellspacing="0" cellpadding="2"><tr><td port="c0" bgcolor="#dfe7ef"><b>%s</b></td></tr>%s</table>>];\n',
											  replace(replace(node, '\', '\\'), '"', '\"'),
											  replace(replace(replace(replace(node, '&', '&amp;'), '<', '&lt;'),
																	  '>', '&gt;'), '"', '&quot;'),
											  COALESCE(rows, '')), '' ORDER BY node)
					   FROM nodes), '')
		|| COALESCE((SELECT string_agg(format(E'  "%s":c%s:e -> "%s":c%s:w [style=%s, tooltip="%s"%s];\n',
											  replace(replace(src, '\', '\\'), '"', '\"'), source_attnum,
											  replace(replace(tgt, '\', '\\'), '"', '\"'), target_attnum,
											  CASE lineage_type WHEN 'DIRECT' THEN 'solid' ELSE 'dashed' END,
											  lineage_type || ': ' || how,
											  CASE WHEN masking THEN ', color="#8e44ad"' ELSE '' END),
									   '' ORDER BY src, source_attnum, tgt, target_attnum, lineage_type)
					   FROM edges), '')
		|| E'}\n'
$$;
COMMENT ON FUNCTION dq.lineage_dot(regclass) IS
	'The lineage graph (of one relation''s upstream and downstream, or of everything) in Graphviz DOT, laid out left to right: a relation is a table of its columns, edges go from a column''s right side to a column''s left side (the relation''s header for whole-relation edges), DIRECT solid, INDIRECT dashed, masking ones purple, how in the tooltip; render with dot -Tsvg';

CREATE FUNCTION dq.openlineage_namespace() RETURNS text
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT COALESCE(NULLIF(current_setting('dq_lineage.openlineage_namespace', true), ''),
					'postgres://localhost:' || current_setting('port'))
$$;
COMMENT ON FUNCTION dq.openlineage_namespace() IS
	'OpenLineage namespace of exported datasets: dq_lineage.openlineage_namespace, or postgres://localhost:<port>';

CREATE FUNCTION dq.openlineage_dataset_name(schema_name name, table_name name) RETURNS text
	LANGUAGE sql IMMUTABLE
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT schema_name || '.' || table_name $$;
COMMENT ON FUNCTION dq.openlineage_dataset_name(name, name) IS 'OpenLineage dataset name: schema.table';

CREATE FUNCTION dq.openlineage_facet(rel regclass, legacy boolean DEFAULT false) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ns text := dq.openlineage_namespace();
	fields jsonb;
	dataset jsonb;
BEGIN
	IF rel IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
			MESSAGE = 'rel must not be NULL', HINT = 'Name the target relation, for example ''public.daily''.';
	END IF;
	-- one input field per source column and output slot (0: dataset level;
	-- the legacy form copies dataset-level inputs into every field)
	WITH raw AS (
		SELECT l.target_attnum, l.source_schema, l.source_table,
			   COALESCE(l.source_column, '*') AS source_column,
			   l.lineage_type, l.subtype, l.masking, l.origin
		  FROM dq.column_lineage l
		 WHERE l.target_relid = rel AND NOT l.dropped
	), placed AS (
		SELECT r.*, r.target_attnum AS slot FROM raw r
		 WHERE NOT legacy OR r.target_attnum <> 0
		UNION ALL
		SELECT r.*, a.attnum FROM raw r
		  JOIN pg_attribute a ON a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
		 WHERE legacy AND r.target_attnum = 0
	), inputs AS (
		SELECT p.slot, p.source_schema, p.source_table, p.source_column,
			   jsonb_agg(jsonb_build_object('type', p.lineage_type, 'subtype', p.subtype,
											'description', p.origin || ' ' || lower(p.subtype),
											'masking', p.masking)
						 ORDER BY p.lineage_type, p.subtype, p.masking, p.origin) AS transformations
		  FROM placed p
		 GROUP BY 1, 2, 3, 4
	), slots AS (
		SELECT i.slot,
			   jsonb_agg(jsonb_build_object('namespace', ns,
						 'name', dq.openlineage_dataset_name(i.source_schema, i.source_table),
						 'field', i.source_column, 'transformations', i.transformations)
						 ORDER BY i.source_schema, i.source_table, i.source_column) AS input_fields
		  FROM inputs i
		 GROUP BY i.slot
	)
	SELECT COALESCE((SELECT jsonb_object_agg(a.attname, jsonb_build_object('inputFields', s.input_fields))
					   FROM slots s
					   JOIN pg_attribute a ON a.attrelid = rel AND a.attnum = s.slot), '{}'),
		   COALESCE((SELECT s.input_fields FROM slots s WHERE s.slot = 0), '[]')
	  INTO fields, dataset;
	RETURN jsonb_build_object(
		'_producer', 'https://github.com/dq-lineage/dq_lineage',
		'_schemaURL', 'https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet',
		'fields', fields)
		|| CASE WHEN legacy THEN '{}'::jsonb ELSE jsonb_build_object('dataset', dataset) END;
END
$$;
COMMENT ON FUNCTION dq.openlineage_facet(regclass, boolean) IS
	'OpenLineage ColumnLineageDatasetFacet (1-2-0) of a target relation; legacy => true copies the dataset-level inputs into every field and leaves out "dataset" (what Marquez reads)';

CREATE FUNCTION dq.openlineage_schema_facet(rel oid) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object(
		'_producer', 'https://github.com/dq-lineage/dq_lineage',
		'_schemaURL', 'https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet',
		'fields', COALESCE(jsonb_agg(jsonb_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod))
									 ORDER BY a.attnum), '[]'))
	  FROM pg_attribute a
	 WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
$$;
COMMENT ON FUNCTION dq.openlineage_schema_facet(oid) IS 'OpenLineage SchemaDatasetFacet of a relation: its columns and types';

CREATE FUNCTION dq.openlineage_events(since timestamptz DEFAULT '-infinity', legacy boolean DEFAULT false)
	RETURNS SETOF jsonb
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH targets AS (
		SELECT l.target_relid, min(l.target_schema) AS target_schema, min(l.target_table) AS target_table,
			   max(l.last_seen) AS event_time, min(l.origin) AS origin
		  FROM dq.column_lineage l
		 WHERE NOT l.dropped AND l.last_seen >= since
		 GROUP BY l.target_relid
	)
	(SELECT jsonb_build_object(
		'eventType', 'COMPLETE',
		'eventTime', to_char(t.event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
		'run', jsonb_build_object('runId', gen_random_uuid()),
		'job', jsonb_build_object('namespace', dq.openlineage_namespace(),
								  'name', 'dq_lineage.' || dq.openlineage_dataset_name(t.target_schema, t.target_table)),
		'inputs', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
							'namespace', dq.openlineage_namespace(),
							'name', dq.openlineage_dataset_name(s.source_schema, s.source_table),
							'facets', jsonb_build_object('schema', dq.openlineage_schema_facet(s.source_relid)))
						  ORDER BY s.source_schema, s.source_table), '[]')
					 FROM (SELECT DISTINCT l.source_relid, l.source_schema, l.source_table
							 FROM dq.column_lineage l
							WHERE l.target_relid = t.target_relid AND NOT l.dropped) s),
		'outputs', jsonb_build_array(jsonb_build_object(
						'namespace', dq.openlineage_namespace(),
						'name', dq.openlineage_dataset_name(t.target_schema, t.target_table),
						'facets', jsonb_build_object(
							'schema', dq.openlineage_schema_facet(t.target_relid),
							'columnLineage', dq.openlineage_facet(t.target_relid, legacy)))),
		'producer', 'https://github.com/dq-lineage/dq_lineage',
		'schemaURL', 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent')
	  FROM targets t
	 ORDER BY t.target_schema, t.target_table)
	UNION ALL
	-- the data-quality facets of profile and validation runs (90_report.sql)
	(SELECT q.event FROM dq.openlineage_quality_events(since) q(event))
$$;
COMMENT ON FUNCTION dq.openlineage_events(timestamptz, boolean) IS
	'OpenLineage RunEvents (COMPLETE): one per target relation with edges seen since a time, with schema and column-lineage facets (legacy => true for the form Marquez reads), then one per profile or validation run finished since then, with the dataQualityMetrics or dataQualityAssertions facet';

-- DDL capture: views, materialized views, CREATE TABLE AS, SELECT INTO.
CREATE FUNCTION dq.lineage_ddl_command_end() RETURNS event_trigger
	AS 'MODULE_PATHNAME', 'dq_lineage_ddl_command_end' LANGUAGE C SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dq.lineage_ddl_command_end() IS 'Event trigger: records the lineage of views, materialized views and CREATE TABLE AS';
REVOKE ALL ON FUNCTION dq.lineage_ddl_command_end() FROM PUBLIC;
CREATE EVENT TRIGGER dq_lineage_ddl ON ddl_command_end
	WHEN TAG IN ('CREATE VIEW', 'CREATE MATERIALIZED VIEW', 'CREATE TABLE AS', 'SELECT INTO',
				 'REFRESH MATERIALIZED VIEW')
	EXECUTE FUNCTION dq.lineage_ddl_command_end();

-- Edges of dropped relations and columns are kept, marked dropped; a
-- dropped relation's reference becomes NULL (its names stay), so that no
-- edge names a relation that a later one with the same OID could be taken
-- for, in this database or after a dump.
CREATE FUNCTION dq.lineage_on_sql_drop() RETURNS event_trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF pg_catalog.to_regclass('dq.lineage_edges') IS NULL THEN
		RETURN;					-- the extension itself is being dropped
	END IF;
	WITH dropped AS (
		SELECT DISTINCT d.objid, d.objsubid FROM pg_catalog.pg_event_trigger_dropped_objects() d
		 WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
	)
	UPDATE dq.lineage_edges e
	   SET dropped = true,
		   source_relid = CASE WHEN e.source_relid::oid IN (SELECT r.objid FROM dropped r WHERE r.objsubid = 0)
							   THEN NULL ELSE e.source_relid END,
		   target_relid = CASE WHEN e.target_relid::oid IN (SELECT r.objid FROM dropped r WHERE r.objsubid = 0)
							   THEN NULL ELSE e.target_relid END
	 WHERE EXISTS (SELECT FROM dropped d
					WHERE (e.source_relid::oid = d.objid AND (d.objsubid = 0 OR e.source_attnum = d.objsubid))
					   OR (e.target_relid::oid = d.objid AND (d.objsubid = 0 OR e.target_attnum = d.objsubid)));
END
$$;
COMMENT ON FUNCTION dq.lineage_on_sql_drop() IS 'Event trigger: marks the lineage edges of dropped relations and columns as dropped, and forgets the dropped relations'' OIDs (their names stay)';
REVOKE ALL ON FUNCTION dq.lineage_on_sql_drop() FROM PUBLIC;
CREATE EVENT TRIGGER dq_lineage_lineage_sql_drop ON sql_drop EXECUTE FUNCTION dq.lineage_on_sql_drop();
