------------------------------------------------------------------------
-- Relations in the catalog: what happens when one is dropped
------------------------------------------------------------------------

-- Every catalog table refers to relations with a regclass column: the same
-- four bytes as an OID for the C code, but pg_dump writes the relation's
-- qualified name and a restore looks it up again.  When a relation is
-- dropped, the references to it become NULL (the names recorded beside
-- them stay), so that a later relation that happens to get the same OID,
-- here or after a dump, is never taken for it.  Its expectations end
-- (status relation dropped) and its watch ends, each with a NOTICE; they
-- follow a re-created relation of the same name only when asked to
-- (dq.reattach).  docs/catalog.md describes the model.

-- @section dropped_relations
CREATE TABLE dq.dropped_relations (
	schema_name		name NOT NULL,
	table_name		name NOT NULL,
	object_type		text NOT NULL,
	dropped_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	expectations_ended integer NOT NULL,
	watch_ended		boolean NOT NULL,
	reattached_at	timestamptz
);
CREATE INDEX dropped_relations_name_idx ON dq.dropped_relations (schema_name, table_name);
COMMENT ON TABLE dq.dropped_relations IS 'Dropped relations that had expectations, a watch, profiles, validations or violations: their history stays in the catalog with a NULL relation';
COMMENT ON COLUMN dq.dropped_relations.schema_name IS 'Schema of the relation when it was dropped';
COMMENT ON COLUMN dq.dropped_relations.table_name IS 'Name of the relation when it was dropped';
COMMENT ON COLUMN dq.dropped_relations.object_type IS 'table, view, materialized view or foreign table';
COMMENT ON COLUMN dq.dropped_relations.dropped_at IS 'When it was dropped';
COMMENT ON COLUMN dq.dropped_relations.expectations_ended IS 'Expectations that ended with it (dq.expectations, status relation dropped)';
COMMENT ON COLUMN dq.dropped_relations.watch_ended IS 'True when the table was watched (dq.watch): its change validation ended';
COMMENT ON COLUMN dq.dropped_relations.reattached_at IS 'When dq.reattach attached its expectations to a re-created relation of the same name';

REVOKE ALL ON dq.dropped_relations FROM PUBLIC;
GRANT SELECT ON dq.dropped_relations TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('dq.dropped_relations', '');
-- @end dropped_relations

-- The sql_drop event trigger: expectations of a dropped column, and
-- everything the catalog holds about a dropped relation.
-- @section on_sql_drop
CREATE FUNCTION dq_internal.on_sql_drop() RETURNS event_trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	gone record;
	ended integer;
	watched boolean;
	history boolean;
	qualified text;
BEGIN
	IF pg_catalog.to_regclass('dq.expectations') IS NULL THEN
		RETURN;					-- the extension itself is being dropped
	END IF;
	UPDATE dq.expectations e
	   SET enabled = false, status = 'column dropped'
	  FROM pg_catalog.pg_event_trigger_dropped_objects() d
	 WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
	   AND d.objsubid <> 0 AND e.relid::oid = d.objid
	   AND (e.attnum = d.objsubid OR d.objsubid = ANY (e.param_attnums))
	   AND e.status = 'active';
	-- classifications of dropped columns go with them (the table is
	-- missing only while an update of the extension creates it)
	IF pg_catalog.to_regclass('dq.column_tags') IS NOT NULL THEN
		DELETE FROM dq.column_tags t
		 USING pg_catalog.pg_event_trigger_dropped_objects() d
		 WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
		   AND d.objsubid <> 0 AND t.relid::oid = d.objid AND t.attnum = d.objsubid;
	END IF;
	FOR gone IN
		SELECT DISTINCT o.objid, o.schema_name, o.object_name, o.object_type
		  FROM pg_catalog.pg_event_trigger_dropped_objects() o
		 WHERE o.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND o.objsubid = 0
		   AND o.object_type IN ('table', 'view', 'materialized view', 'foreign table')
	LOOP
		-- active ones end; those already disabled for a dropped column keep that status
		SELECT pg_catalog.count(*) INTO ended FROM dq.expectations e
		 WHERE e.relid::oid = gone.objid AND e.status = 'active';
		UPDATE dq.expectations e
		   SET relid = NULL, enabled = false,
			   status = CASE WHEN e.status = 'active' THEN 'relation dropped' ELSE e.status END,
			   schema_name = gone.schema_name, table_name = gone.object_name
		 WHERE e.relid::oid = gone.objid;
		DELETE FROM dq.watched_tables w WHERE w.relid::oid = gone.objid;
		watched := FOUND;
		-- its change counts (the table is missing only while an update of
		-- the extension creates it)
		IF pg_catalog.to_regclass('dq.cdc_table_activity') IS NOT NULL THEN
			DELETE FROM dq.cdc_table_activity a WHERE a.relid::oid = gone.objid;
		END IF;
		-- results first: they are found through their runs' index
		UPDATE dq.validation_results v SET relid = NULL
		 WHERE v.run_id IN (SELECT r.run_id FROM dq.validation_runs r WHERE r.relid::oid = gone.objid)
		   AND v.relid::oid = gone.objid;
		UPDATE dq.validation_runs r SET relid = NULL WHERE r.relid::oid = gone.objid;
		history := FOUND;
		UPDATE dq.column_profiles p SET relid = NULL WHERE p.relid::oid = gone.objid;
		UPDATE dq.profile_runs p SET relid = NULL WHERE p.relid::oid = gone.objid;
		history := history OR FOUND;
		UPDATE dq.violations v SET relid = NULL WHERE v.relid::oid = gone.objid;
		history := history OR FOUND;
		-- a classification describes a live column: it ends with the relation
		IF pg_catalog.to_regclass('dq.column_tags') IS NOT NULL THEN
			DELETE FROM dq.column_tags t WHERE t.relid::oid = gone.objid;
		END IF;
		IF ended > 0 OR watched OR history THEN
			INSERT INTO dq.dropped_relations (schema_name, table_name, object_type,
											  expectations_ended, watch_ended)
			VALUES (gone.schema_name, gone.object_name, gone.object_type, ended, watched);
		END IF;
		qualified := pg_catalog.quote_ident(gone.schema_name) OPERATOR(pg_catalog.||) '.'
					 OPERATOR(pg_catalog.||) pg_catalog.quote_ident(gone.object_name);
		IF ended > 0 THEN
			RAISE NOTICE USING
				MESSAGE = pg_catalog.format('%s of %s ended with the %s',
											CASE WHEN ended = 1 THEN '1 expectation'
												 ELSE ended OPERATOR(pg_catalog.||) ' expectations' END,
											qualified, gone.object_type),
				DETAIL = 'They are kept in dq.expectations with status "relation dropped", with their results.',
				HINT = pg_catalog.format('After re-creating the %s, SELECT dq.reattach(%L) attaches them to it.',
										 gone.object_type, qualified);
		END IF;
		IF watched THEN
			RAISE NOTICE USING
				MESSAGE = pg_catalog.format('change validation of %s ended with the table', qualified),
				HINT = pg_catalog.format('After re-creating the table, SELECT dq.watch(%L) watches it again.',
										 qualified);
		END IF;
	END LOOP;
END
$$;
COMMENT ON FUNCTION dq_internal.on_sql_drop() IS 'Event trigger: ends the expectations (status relation dropped or column dropped) and watches of dropped relations and columns, with a NOTICE, and keeps their history with a NULL relation';
-- @end on_sql_drop
REVOKE ALL ON FUNCTION dq_internal.on_sql_drop() FROM PUBLIC;
CREATE EVENT TRIGGER dq_lineage_sql_drop ON sql_drop EXECUTE FUNCTION dq_internal.on_sql_drop();

-- @section reattach
-- A restored dq.watched_tables row names a quarantine table by OID, and
-- quarantine tables are not part of a dump: forget an OID that does not
-- name one.
CREATE FUNCTION dq_internal.watched_tables_check_quarantine() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NEW.quarantine IS NOT NULL AND NOT EXISTS (
		SELECT FROM pg_catalog.pg_class c
		 WHERE c.oid = NEW.quarantine
		   AND c.relnamespace = 'dq'::pg_catalog.regnamespace
		   AND c.relname OPERATOR(pg_catalog.~~) 'quarantine\_%') THEN
		NEW.quarantine := NULL;
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION dq_internal.watched_tables_check_quarantine() IS 'Trigger: clears a dq.watched_tables.quarantine that names no quarantine table (a restored row)';
REVOKE ALL ON FUNCTION dq_internal.watched_tables_check_quarantine() FROM PUBLIC;
CREATE TRIGGER watched_tables_quarantine BEFORE INSERT ON dq.watched_tables
	FOR EACH ROW EXECUTE FUNCTION dq_internal.watched_tables_check_quarantine();

CREATE FUNCTION dq.reattach(rel regclass) RETURNS integer
	AS 'MODULE_PATHNAME', 'dq_reattach'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.reattach(regclass) IS
	'Attach the expectations that ended when a relation of the same name was dropped (status relation dropped) to this relation, columns found again by name; returns how many are active again';
-- @end reattach
