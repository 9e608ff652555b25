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

-- @section counters_and_copy
-- Rows of dq.lineage_edges deleted by hand (or the table truncated) make
-- every session's statement cache stale, so that statements write their
-- edges again.
CREATE FUNCTION dq_internal.lineage_edges_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'dq_lineage_edges_changed' LANGUAGE C;
COMMENT ON FUNCTION dq_internal.lineage_edges_changed() IS
	'Trigger of dq.lineage_edges: deleted edges make the sessions'' statement caches stale, so that statements record their edges again';
REVOKE ALL ON FUNCTION dq_internal.lineage_edges_changed() FROM PUBLIC;
CREATE TRIGGER lineage_edges_changed AFTER DELETE OR TRUNCATE ON dq.lineage_edges
	FOR EACH STATEMENT EXECUTE FUNCTION dq_internal.lineage_edges_changed();

CREATE FUNCTION dq.lineage_counter_status(OUT counters_max integer, OUT counters_used bigint,
										  OUT executions_lost bigint, OUT overflows bigint,
										  OUT last_overflow timestamptz)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'dq_lineage_counter_status' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION dq.lineage_counter_status() IS
	'The shared table of pending lineage counters (cluster-wide): size, entries in use, executions lost because it was full; no row without shared_preload_libraries';

CREATE VIEW dq.lineage_counter_status AS
	SELECT s.counters_max, s.counters_used, s.executions_lost, s.overflows, s.last_overflow
	  FROM dq.lineage_counter_status() s;
GRANT SELECT ON dq.lineage_counter_status TO PUBLIC;
COMMENT ON VIEW dq.lineage_counter_status IS 'Shared memory counting executions of captured statements until dq.lineage_flush(): size (dq_lineage.lineage_counters), use, and what was lost because it was full';
COMMENT ON COLUMN dq.lineage_counter_status.counters_max IS 'Statements the table holds: dq_lineage.lineage_counters at server start';
COMMENT ON COLUMN dq.lineage_counter_status.counters_used IS 'Entries in use now, every database';
COMMENT ON COLUMN dq.lineage_counter_status.executions_lost IS 'Executions not counted since server start because the table was full';
COMMENT ON COLUMN dq.lineage_counter_status.overflows IS 'Commits that found the table full since server start';
COMMENT ON COLUMN dq.lineage_counter_status.last_overflow IS 'When the table was last found full; NULL if never';

-- COPY: runs between a relation (or a query) and a file, a program or the
-- client, with the column lineage of what COPY ... TO writes.
CREATE TABLE dq.lineage_copies (
	query_id		bigint PRIMARY KEY,
	direction		text NOT NULL CHECK (direction IN ('from', 'to')),
	relid			oid,
	rel_schema		name,
	rel_table		name,
	endpoint_kind	text NOT NULL CHECK (endpoint_kind IN ('file', 'program', 'client')),
	endpoint		text,
	columns			name[] NOT NULL,
	first_seen		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	last_seen		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	occurrences		bigint NOT NULL DEFAULT 0,
	dropped			boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE dq.lineage_copies IS 'COPY runs as captured, one per kind of run; read dq.copy_runs instead';
COMMENT ON COLUMN dq.lineage_copies.query_id IS 'Key of the run: a hash of everything recorded about it';
COMMENT ON COLUMN dq.lineage_copies.direction IS 'from: COPY ... FROM into the table; to: COPY ... TO out of the table or query';
COMMENT ON COLUMN dq.lineage_copies.relid IS 'OID of the table copied; NULL for COPY (query) TO';
COMMENT ON COLUMN dq.lineage_copies.rel_schema IS 'Schema of the table at capture time';
COMMENT ON COLUMN dq.lineage_copies.rel_table IS 'Name of the table at capture time';
COMMENT ON COLUMN dq.lineage_copies.endpoint_kind IS 'The other dataset: file, program, or client (STDIN / STDOUT)';
COMMENT ON COLUMN dq.lineage_copies.endpoint IS 'File name or command as COPY was given it; NULL for the client';
COMMENT ON COLUMN dq.lineage_copies.columns IS 'The columns of the file, in order';
COMMENT ON COLUMN dq.lineage_copies.first_seen IS 'When the run was first recorded';
COMMENT ON COLUMN dq.lineage_copies.last_seen IS 'Last run, as of the last dq.lineage_flush()';
COMMENT ON COLUMN dq.lineage_copies.occurrences IS 'Runs, as of the last dq.lineage_flush()';
COMMENT ON COLUMN dq.lineage_copies.dropped IS 'True once the table was dropped';

CREATE TABLE dq.lineage_copy_fields (
	query_id		bigint NOT NULL REFERENCES dq.lineage_copies ON DELETE CASCADE,
	field			smallint NOT NULL,
	field_name		name,
	source_relid	oid NOT NULL,
	source_attnum	smallint NOT NULL,
	lineage_type	text NOT NULL CHECK (lineage_type IN ('DIRECT', 'INDIRECT')),
	subtype			text NOT NULL,
	masking			boolean NOT NULL,
	source_schema	name NOT NULL,
	source_table	name NOT NULL,
	source_column	name,
	dropped			boolean NOT NULL DEFAULT false,
	PRIMARY KEY (query_id, field, source_relid, source_attnum, subtype, masking)
);
COMMENT ON TABLE dq.lineage_copy_fields IS 'Column lineage of the files COPY ... TO writes; read dq.copy_lineage instead';
COMMENT ON COLUMN dq.lineage_copy_fields.query_id IS 'The run (dq.lineage_copies)';
COMMENT ON COLUMN dq.lineage_copy_fields.field IS 'Column of the file, from 1; 0 for dataset-level sources';
COMMENT ON COLUMN dq.lineage_copy_fields.field_name IS 'Name of the file''s column; NULL for dataset-level sources';
COMMENT ON COLUMN dq.lineage_copy_fields.source_relid IS 'OID of the source relation';
COMMENT ON COLUMN dq.lineage_copy_fields.source_attnum IS 'Source column number; 0 for the whole relation';
COMMENT ON COLUMN dq.lineage_copy_fields.lineage_type IS 'DIRECT or INDIRECT';
COMMENT ON COLUMN dq.lineage_copy_fields.subtype IS 'OpenLineage subtype, as for dq.lineage_edges';
COMMENT ON COLUMN dq.lineage_copy_fields.masking IS 'True when the transformation hides the input';
COMMENT ON COLUMN dq.lineage_copy_fields.source_schema IS 'Schema of the source at capture time';
COMMENT ON COLUMN dq.lineage_copy_fields.source_table IS 'Name of the source at capture time';
COMMENT ON COLUMN dq.lineage_copy_fields.source_column IS 'Name of the source column at capture time; NULL for the whole relation';
COMMENT ON COLUMN dq.lineage_copy_fields.dropped IS 'True once the source (relation or column) was dropped';

-- The other dataset of a file or program run is shown to roles that may
-- read (COPY FROM) or write (COPY TO) server files or run programs: a
-- command line can hold secrets.
REVOKE ALL ON dq.lineage_copies, dq.lineage_copy_fields FROM PUBLIC;
GRANT SELECT ON dq.lineage_copy_fields TO PUBLIC;
GRANT SELECT (query_id, direction, relid, rel_schema, rel_table, endpoint_kind, columns, first_seen,
			  last_seen, occurrences, dropped) ON dq.lineage_copies TO PUBLIC;

CREATE FUNCTION dq.lineage_copy_endpoint(direction text, endpoint_kind text, endpoint text) RETURNS text
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE
		WHEN endpoint_kind = 'client' THEN CASE direction WHEN 'from' THEN 'stdin' ELSE 'stdout' END
		WHEN endpoint_kind = 'program' AND pg_has_role(current_user, 'pg_execute_server_program', 'USAGE')
			THEN endpoint
		WHEN endpoint_kind = 'file' AND pg_has_role(current_user,
				CASE direction WHEN 'from' THEN 'pg_read_server_files' ELSE 'pg_write_server_files' END, 'USAGE')
			THEN endpoint
		ELSE '(hidden)' END
$$;
COMMENT ON FUNCTION dq.lineage_copy_endpoint(text, text, text) IS
	'The other dataset of a COPY run as the current role may see it: stdin, stdout, the file name or command, or (hidden)';

CREATE VIEW dq.copy_runs AS
SELECT c.direction,
	   COALESCE(n.nspname, c.rel_schema) AS table_schema,
	   COALESCE(r.relname, c.rel_table) AS table_name,
	   c.endpoint_kind,
	   dq.lineage_copy_endpoint(c.direction, c.endpoint_kind, c.endpoint) AS endpoint,
	   c.columns, c.first_seen,
	   GREATEST(c.last_seen, p.last_seen) AS last_seen,
	   c.occurrences + COALESCE(p.calls, 0) AS occurrences,
	   c.dropped, c.relid, c.query_id
  FROM dq.lineage_copies c
  LEFT JOIN dq.lineage_pending() p ON p.query_id = c.query_id
  LEFT JOIN pg_catalog.pg_class r ON r.oid = c.relid AND NOT c.dropped
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace;
GRANT SELECT ON dq.copy_runs TO PUBLIC;
COMMENT ON VIEW dq.copy_runs IS 'COPY runs: a table (or a query) copied from or to a file, a program or the client, with how often';
COMMENT ON COLUMN dq.copy_runs.direction IS 'from: into the table; to: out of the table or query';
COMMENT ON COLUMN dq.copy_runs.table_schema IS 'Schema of the table; NULL for COPY (query) TO';
COMMENT ON COLUMN dq.copy_runs.table_name IS 'The table (current name); NULL for COPY (query) TO';
COMMENT ON COLUMN dq.copy_runs.endpoint_kind IS 'file, program or client';
COMMENT ON COLUMN dq.copy_runs.endpoint IS 'stdin or stdout for the client; the file name or command for roles that may read or write server files or run programs, (hidden) for others';
COMMENT ON COLUMN dq.copy_runs.columns IS 'The columns of the file, in order';
COMMENT ON COLUMN dq.copy_runs.first_seen IS 'First run recorded';
COMMENT ON COLUMN dq.copy_runs.last_seen IS 'Last run, pending counters included';
COMMENT ON COLUMN dq.copy_runs.occurrences IS 'Runs, pending counters included';
COMMENT ON COLUMN dq.copy_runs.dropped IS 'True once the table was dropped';
COMMENT ON COLUMN dq.copy_runs.relid IS 'OID of the table';
COMMENT ON COLUMN dq.copy_runs.query_id IS 'Key of the run';

CREATE VIEW dq.copy_lineage AS
SELECT c.direction, c.endpoint_kind,
	   dq.lineage_copy_endpoint(c.direction, c.endpoint_kind, c.endpoint) AS endpoint,
	   f.field, f.field_name,
	   COALESCE(sn.nspname, f.source_schema) AS source_schema,
	   COALESCE(sc.relname, f.source_table) AS source_table,
	   CASE WHEN f.source_attnum <> 0 THEN COALESCE(sa.attname, f.source_column) END AS source_column,
	   CASE WHEN f.field = 0 THEN 'dataset' ELSE 'column' END AS scope,
	   f.lineage_type, f.subtype, f.masking, f.dropped, f.source_relid, f.source_attnum, f.query_id
  FROM dq.lineage_copy_fields f
  JOIN dq.lineage_copies c ON c.query_id = f.query_id
  LEFT JOIN pg_catalog.pg_class sc ON sc.oid = f.source_relid AND NOT f.dropped
  LEFT JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
  LEFT JOIN pg_catalog.pg_attribute sa ON sa.attrelid = sc.oid AND sa.attnum = f.source_attnum
		AND NOT sa.attisdropped;
GRANT SELECT ON dq.copy_lineage TO PUBLIC;
COMMENT ON VIEW dq.copy_lineage IS 'Column lineage of COPY ... TO: the sources of each column of the file written (field 0: dataset-level sources)';
COMMENT ON COLUMN dq.copy_lineage.direction IS 'Always to: COPY ... FROM runs are dataset-level (dq.copy_runs)';
COMMENT ON COLUMN dq.copy_lineage.endpoint_kind IS 'file, program or client';
COMMENT ON COLUMN dq.copy_lineage.endpoint IS 'As in dq.copy_runs';
COMMENT ON COLUMN dq.copy_lineage.field IS 'Column of the file, from 1; 0 for dataset-level sources';
COMMENT ON COLUMN dq.copy_lineage.field_name IS 'Name of the file''s column (the query''s column name)';
COMMENT ON COLUMN dq.copy_lineage.source_schema IS 'Schema of the source relation';
COMMENT ON COLUMN dq.copy_lineage.source_table IS 'Source relation (current name)';
COMMENT ON COLUMN dq.copy_lineage.source_column IS 'Source column; NULL for the whole relation';
COMMENT ON COLUMN dq.copy_lineage.scope IS 'column or dataset';
COMMENT ON COLUMN dq.copy_lineage.lineage_type IS 'DIRECT or INDIRECT';
COMMENT ON COLUMN dq.copy_lineage.subtype IS 'OpenLineage subtype';
COMMENT ON COLUMN dq.copy_lineage.masking IS 'True when the transformation hides the input';
COMMENT ON COLUMN dq.copy_lineage.dropped IS 'True once the source was dropped';
COMMENT ON COLUMN dq.copy_lineage.source_relid IS 'OID of the source relation';
COMMENT ON COLUMN dq.copy_lineage.source_attnum IS 'Source column number (0: whole relation)';
COMMENT ON COLUMN dq.copy_lineage.query_id IS 'Key of the run (dq.copy_runs)';
-- @end counters_and_copy

-- @section column_lineage
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
-- @end column_lineage

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

-- @section closure
-- The closure of the lineage graph from a relation (or one column of it),
-- in either direction: one row per node reached (a source column upstream,
-- a target column downstream), with the composed classification of the
-- way it is reached and the shortest such path.  A node already on the
-- path is not visited again, so cycles (a table that feeds itself) end.
--
-- Composition along a path, in the direction data flows: DIRECT edges
-- only: AGGREGATION if any edge aggregates, else TRANSFORMATION if any
-- transforms, else IDENTITY, masked if any edge masks; an INDIRECT edge
-- anywhere: INDIRECT, with the subtype of the first INDIRECT edge from the
-- source.  A dataset-level edge (target column 0) counts for every column
-- of its target; a whole-relation source (column 0: the rows, count(*))
-- is reached from the relation's rows, not from each of its columns.  A
-- node reached by several paths gets its strongest relationship: DIRECT
-- when any path carries its values (then the shortest of those), else
-- INDIRECT with the shortest path; "paths" counts them all.
CREATE FUNCTION dq.lineage_closure(rel oid, attnum smallint, max_depth integer, downstream boolean)
	RETURNS TABLE (depth integer, source_schema name, source_table name, source_column name,
				   target_schema name, target_table name, target_column name, scope text,
				   lineage_type text, subtype text, masking boolean, path text[], paths integer)
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
						   COALESCE(quote_ident(l.target_column), '*')) AS tgt,
					CASE l.subtype WHEN 'IDENTITY' THEN 0 WHEN 'TRANSFORMATION' THEN 1
								   WHEN 'AGGREGATION' THEN 2 ELSE 3 END AS rank) n
		 WHERE NOT l.dropped
	), walk AS (
		SELECT 1 AS depth, e.*,
			   CASE WHEN downstream THEN ARRAY[e.src, e.tgt] ELSE ARRAY[e.tgt, e.src] END AS path,
			   e.lineage_type AS c_type, e.subtype AS c_subtype, e.rank AS c_rank,
			   e.lineage_type = 'DIRECT' AND e.masking AS c_masking
		  FROM e
		 WHERE e.near_relid = rel
		   AND (attnum IS NULL OR e.near_attnum = attnum OR (e.near_attnum = 0 AND NOT downstream))
		UNION ALL
		SELECT w.depth + 1, e.*,
			   w.path || CASE WHEN downstream THEN e.tgt ELSE e.src END,
			   c.c_type, c.c_subtype, c.c_rank, c.c_type = 'DIRECT' AND (w.c_masking OR e.masking)
		  FROM walk w
		  JOIN e ON e.near_relid = w.far_relid
				AND (w.far_attnum = 0 OR e.near_attnum = w.far_attnum
					 OR (e.near_attnum = 0 AND NOT downstream))
		 CROSS JOIN LATERAL (SELECT
				-- the INDIRECT edge nearest the source decides: upstream the
				-- new edge is nearer the source, downstream the old ones are
				CASE WHEN w.c_type = 'DIRECT' AND e.lineage_type = 'DIRECT' THEN 'DIRECT'
					 ELSE 'INDIRECT' END AS c_type,
				CASE WHEN w.c_type = 'DIRECT' AND e.lineage_type = 'DIRECT'
						  THEN CASE WHEN e.rank > w.c_rank THEN e.subtype ELSE w.c_subtype END
					 WHEN e.lineage_type = 'INDIRECT' AND (NOT downstream OR w.c_type = 'DIRECT')
						  THEN e.subtype
					 ELSE w.c_subtype END AS c_subtype,
				GREATEST(e.rank, w.c_rank) AS c_rank) c
		 WHERE (max_depth IS NULL OR w.depth < max_depth)
		   AND NOT (CASE WHEN downstream THEN e.tgt ELSE e.src END) = ANY (w.path)
	), best AS (
		SELECT DISTINCT ON (w.far_relid, w.far_attnum) w.*,
			   count(*) OVER (PARTITION BY w.far_relid, w.far_attnum) AS n_paths
		  FROM walk w
		 ORDER BY w.far_relid, w.far_attnum, w.c_type, w.depth, w.path
	)
	SELECT b.depth, b.source_schema, b.source_table, b.source_column, b.target_schema,
		   b.target_table, b.target_column, b.scope, b.c_type, b.c_subtype, b.c_masking, b.path,
		   b.n_paths::integer
	  FROM best b
	 ORDER BY b.depth, b.path
$$;
COMMENT ON FUNCTION dq.lineage_closure(oid, smallint, integer, boolean) IS
	'The walk behind dq.upstream and dq.downstream: one row per node reached, with the composed classification and the shortest path';

CREATE FUNCTION dq.upstream(rel regclass, col name DEFAULT NULL, max_depth integer DEFAULT NULL)
	RETURNS TABLE (depth integer, source_schema name, source_table name, source_column name,
				   target_schema name, target_table name, target_column name, scope text,
				   lineage_type text, subtype text, masking boolean, path text[], paths integer)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM dq.lineage_closure(rel, dq.lineage_attnum(rel, col), max_depth, false) $$;
COMMENT ON FUNCTION dq.upstream(regclass, name, integer) IS
	'Everything a relation (or one of its columns) is derived from: one row per source column reached upstream, with the composed lineage type and subtype of the way it is reached, the shortest such path (target first) and the number of paths; dataset-level edges of a relation count for each of its columns; cycle-safe';

CREATE FUNCTION dq.downstream(rel regclass, col name DEFAULT NULL, max_depth integer DEFAULT NULL)
	RETURNS TABLE (depth integer, source_schema name, source_table name, source_column name,
				   target_schema name, target_table name, target_column name, scope text,
				   lineage_type text, subtype text, masking boolean, path text[], paths integer)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM dq.lineage_closure(rel, dq.lineage_attnum(rel, col), max_depth, true) $$;
COMMENT ON FUNCTION dq.downstream(regclass, name, integer) IS
	'Everything derived from a relation (or one of its columns), i.e. what a change to it can break: one row per target column reached downstream, with the composed lineage type and subtype, the shortest such path (source first) and the number of paths; cycle-safe';
-- @end closure

-- @section lineage_dot
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
-- @end lineage_dot

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

-- @section openlineage_copy
-- The other dataset of a COPY: namespace file, program or client.
CREATE FUNCTION dq.openlineage_copy_dataset(direction text, endpoint_kind text, endpoint text) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('namespace', endpoint_kind,
							  'name', dq.lineage_copy_endpoint(direction, endpoint_kind, endpoint))
$$;
COMMENT ON FUNCTION dq.openlineage_copy_dataset(text, text, text) IS
	'OpenLineage dataset of the other side of a COPY: namespace file (name: the file), program (the command) or client (stdin, stdout)';

-- The column-lineage facet of the file a COPY ... TO writes.
CREATE FUNCTION dq.openlineage_copy_facet(run bigint, legacy boolean DEFAULT false) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH raw AS (
		SELECT f.field, f.field_name, f.source_schema, f.source_table,
			   COALESCE(f.source_column, '*') AS source_column, f.lineage_type, f.subtype, f.masking
		  FROM dq.copy_lineage f
		 WHERE f.query_id = run AND NOT f.dropped
	), placed AS (
		SELECT r.*, r.field AS slot, r.field_name AS slot_name FROM raw r
		 WHERE NOT legacy OR r.field <> 0
		UNION ALL
		SELECT r.*, c.ord::smallint, c.name FROM raw r
		  JOIN dq.lineage_copies k ON k.query_id = run
		 CROSS JOIN LATERAL unnest(k.columns) WITH ORDINALITY AS c(name, ord)
		 WHERE legacy AND r.field = 0
	), inputs AS (
		SELECT p.slot, min(p.slot_name) AS slot_name, p.source_schema, p.source_table, p.source_column,
			   jsonb_agg(jsonb_build_object('type', p.lineage_type, 'subtype', p.subtype,
											'description', 'copy ' || lower(p.subtype),
											'masking', p.masking)
						 ORDER BY p.lineage_type, p.subtype, p.masking) AS transformations
		  FROM placed p
		 GROUP BY p.slot, p.source_schema, p.source_table, p.source_column
	), slots AS (
		SELECT i.slot, min(i.slot_name) AS slot_name,
			   jsonb_agg(jsonb_build_object('namespace', dq.openlineage_namespace(),
						 'name', dq.openlineage_dataset_name(i.source_schema, i.source_table),
						 'field', i.source_column, 'transformations', i.transformations)
						 ORDER BY i.source_schema, i.source_table, i.source_column) AS input_fields
		  FROM inputs i
		 GROUP BY i.slot
	)
	SELECT jsonb_build_object(
		'_producer', 'https://github.com/dq-lineage/dq_lineage',
		'_schemaURL', 'https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet',
		'fields', COALESCE((SELECT jsonb_object_agg(s.slot_name, jsonb_build_object('inputFields', s.input_fields))
							  FROM slots s WHERE s.slot <> 0), '{}'))
		|| CASE WHEN legacy THEN '{}'::jsonb
				ELSE jsonb_build_object('dataset', COALESCE((SELECT s.input_fields FROM slots s WHERE s.slot = 0), '[]'))
		   END
$$;
COMMENT ON FUNCTION dq.openlineage_copy_facet(bigint, boolean) IS
	'OpenLineage ColumnLineageDatasetFacet (1-2-0) of the file written by a COPY ... TO run (dq.copy_runs.query_id)';

-- COPY runs as OpenLineage events: the file, program or client is the
-- other dataset.
CREATE FUNCTION dq.openlineage_copy_events(since timestamptz DEFAULT '-infinity', legacy boolean DEFAULT false)
	RETURNS SETOF jsonb
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object(
		'eventType', 'COMPLETE',
		'eventTime', to_char(r.last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
		'run', jsonb_build_object('runId', gen_random_uuid()),
		'job', jsonb_build_object('namespace', dq.openlineage_namespace(), 'name', j.name),
		'inputs', CASE r.direction
			WHEN 'from' THEN jsonb_build_array(dq.openlineage_copy_dataset(r.direction, r.endpoint_kind, r.endpoint))
			ELSE (SELECT COALESCE(jsonb_agg(jsonb_build_object(
							'namespace', dq.openlineage_namespace(),
							'name', dq.openlineage_dataset_name(s.source_schema, s.source_table),
							'facets', jsonb_build_object('schema', dq.openlineage_schema_facet(s.source_relid)))
						  ORDER BY s.source_schema, s.source_table), '[]')
					FROM (SELECT DISTINCT f.source_relid, f.source_schema, f.source_table
							FROM dq.copy_lineage f
						   WHERE f.query_id = r.query_id AND NOT f.dropped) s) END,
		'outputs', CASE r.direction
			WHEN 'from' THEN jsonb_build_array(jsonb_build_object(
						'namespace', dq.openlineage_namespace(),
						'name', dq.openlineage_dataset_name(r.table_schema, r.table_name),
						'facets', jsonb_build_object('schema', dq.openlineage_schema_facet(r.relid))))
			ELSE jsonb_build_array(dq.openlineage_copy_dataset(r.direction, r.endpoint_kind, r.endpoint)
						|| jsonb_build_object('facets', jsonb_build_object(
							'schema', jsonb_build_object(
								'_producer', 'https://github.com/dq-lineage/dq_lineage',
								'_schemaURL', 'https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet',
								'fields', (SELECT COALESCE(jsonb_agg(jsonb_build_object('name', c.name) ORDER BY c.ord), '[]')
											 FROM unnest(r.columns) WITH ORDINALITY AS c(name, ord))),
							'columnLineage', dq.openlineage_copy_facet(r.query_id, legacy)))) END,
		'producer', 'https://github.com/dq-lineage/dq_lineage',
		'schemaURL', 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent')
	  FROM dq.copy_runs r
	 CROSS JOIN LATERAL (SELECT 'dq_lineage.copy_' || r.direction || '.' ||
								CASE WHEN r.table_name IS NOT NULL
									 THEN dq.openlineage_dataset_name(r.table_schema, r.table_name)
									 ELSE 'query' END || '.' || to_hex(r.query_id) AS name) j
	 WHERE NOT r.dropped AND r.last_seen >= since
	 ORDER BY j.name
$$;
COMMENT ON FUNCTION dq.openlineage_copy_events(timestamptz, boolean) IS
	'OpenLineage RunEvents (COMPLETE) of COPY runs seen since a time: COPY FROM with the file, program or client as input, COPY TO with it as output and its column-lineage facet';
-- @end openlineage_copy

-- @section openlineage_events
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
	SELECT x.ev FROM (
	SELECT jsonb_build_object(
		'eventType', 'COMPLETE',
		'eventTime', to_char(t.event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
		'run', jsonb_build_object('runId', gen_random_uuid()),
		'job', jsonb_build_object('namespace', dq.openlineage_namespace(),
								  'name', 'dq_lineage.' || dq.openlineage_dataset_name(t.target_schema, t.target_table)),
		'inputs', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
							'namespace', dq.openlineage_namespace(),
							'name', dq.openlineage_dataset_name(s.source_schema, s.source_table),
							'facets', jsonb_build_object('schema', dq.openlineage_schema_facet(s.source_relid))
									  || dq_internal.openlineage_tags_facets(s.source_relid))
						  ORDER BY s.source_schema, s.source_table), '[]')
					 FROM (SELECT DISTINCT l.source_relid, l.source_schema, l.source_table
							 FROM dq.column_lineage l
							WHERE l.target_relid = t.target_relid AND NOT l.dropped) s),
		'outputs', jsonb_build_array(jsonb_build_object(
						'namespace', dq.openlineage_namespace(),
						'name', dq.openlineage_dataset_name(t.target_schema, t.target_table),
						'facets', jsonb_build_object(
							'schema', dq.openlineage_schema_facet(t.target_relid),
							'columnLineage', dq.openlineage_facet(t.target_relid, legacy))
								  || dq_internal.openlineage_tags_facets(t.target_relid))),
		'producer', 'https://github.com/dq-lineage/dq_lineage',
		'schemaURL', 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent') AS ev,
		   0 AS k, t.target_schema::text AS k1, t.target_table::text AS k2, 0::bigint AS k3
	  FROM targets t
	UNION ALL
	SELECT c.ev, 1, c.ev -> 'job' ->> 'name', '', 0
	  FROM dq.openlineage_copy_events(since, legacy) AS c(ev)
	UNION ALL
	-- the data-quality facets of profile and validation runs (90_report.sql)
	SELECT q.event, 2, '', '', q.n
	  FROM dq.openlineage_quality_events(since) WITH ORDINALITY AS q(event, n)
	) x
	 ORDER BY x.k, x.k1, x.k2, x.k3
$$;
COMMENT ON FUNCTION dq.openlineage_events(timestamptz, boolean) IS
	'OpenLineage RunEvents (COMPLETE): one per target relation with edges seen since a time, with schema and column-lineage facets (legacy => true for the form Marquez reads), then one per COPY run (dq.openlineage_copy_events), then one per profile or validation run finished since then, with the dataQualityMetrics or dataQualityAssertions facet';
-- @end openlineage_events

-- DDL capture: views, materialized views, CREATE TABLE AS, SELECT INTO.
CREATE FUNCTION dq_internal.lineage_ddl_command_end() RETURNS event_trigger
	AS 'MODULE_PATHNAME', 'dq_lineage_ddl_command_end' LANGUAGE C SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dq_internal.lineage_ddl_command_end() IS 'Event trigger: records the lineage of views, materialized views and CREATE TABLE AS';
REVOKE ALL ON FUNCTION dq_internal.lineage_ddl_command_end() FROM PUBLIC;
CREATE EVENT TRIGGER dq_lineage_ddl ON ddl_command_end
	WHEN TAG IN ('CREATE VIEW', 'CREATE MATERIALIZED VIEW', 'CREATE TABLE AS', 'SELECT INTO',
				 'REFRESH MATERIALIZED VIEW')
	EXECUTE FUNCTION dq_internal.lineage_ddl_command_end();

-- Edges of dropped relations and columns are kept, marked dropped; a
-- dropped relation's reference becomes NULL (its names stay), so that no
-- edge names a relation that a later one with the same OID could be taken
-- for, in this database or after a dump.
-- @section lineage_on_sql_drop
CREATE FUNCTION dq_internal.lineage_on_sql_drop() RETURNS event_trigger
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
	UPDATE dq.lineage_copies c
	   SET dropped = true
	  FROM pg_catalog.pg_event_trigger_dropped_objects() d
	 WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
	   AND NOT c.dropped AND c.relid = d.objid AND d.objsubid = 0;
	UPDATE dq.lineage_copy_fields f
	   SET dropped = true
	  FROM pg_catalog.pg_event_trigger_dropped_objects() d
	 WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
	   AND NOT f.dropped AND f.source_relid = d.objid
	   AND (d.objsubid = 0 OR f.source_attnum = d.objsubid);
END
$$;
COMMENT ON FUNCTION dq_internal.lineage_on_sql_drop() IS 'Event trigger: marks the lineage edges of dropped relations and columns as dropped, and forgets the dropped relations'' OIDs (their names stay)';
-- @end lineage_on_sql_drop
REVOKE ALL ON FUNCTION dq_internal.lineage_on_sql_drop() FROM PUBLIC;
CREATE EVENT TRIGGER dq_lineage_lineage_sql_drop ON sql_drop EXECUTE FUNCTION dq_internal.lineage_on_sql_drop();
