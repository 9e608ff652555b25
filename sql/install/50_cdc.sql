------------------------------------------------------------------------
-- Change validation: the dq_lineage output plugin and its worker
------------------------------------------------------------------------

-- The output plugin reads the expectations under the historic snapshot of
-- each decoded change: only catalogs and user catalog tables may be read so.
ALTER TABLE dq.expectations SET (user_catalog_table = true);

CREATE TABLE dq.watched_tables (
	relid			regclass PRIMARY KEY,
	schema_name		name NOT NULL,
	table_name		name NOT NULL,
	owner			name NOT NULL,
	watched_at		timestamptz NOT NULL DEFAULT now(),
	quarantine		oid
) WITH (user_catalog_table = true);
COMMENT ON TABLE dq.watched_tables IS 'Tables whose committed changes are validated (dq.watch); a partitioned table covers its partitions';
COMMENT ON COLUMN dq.watched_tables.relid IS 'The watched table (a regclass: pg_dump writes it as a name); dropping the table ends its watch';
COMMENT ON COLUMN dq.watched_tables.schema_name IS 'Schema of the table when it was watched';
COMMENT ON COLUMN dq.watched_tables.table_name IS 'Name of the table when it was watched';
COMMENT ON COLUMN dq.watched_tables.owner IS 'Role that called dq.watch()';
COMMENT ON COLUMN dq.watched_tables.watched_at IS 'When dq.watch() was called';
COMMENT ON COLUMN dq.watched_tables.quarantine IS 'OID of the table the violating rows are copied to (dq.quarantine_<relid>), NULL when there is none';

CREATE TABLE dq.cdc_state (
	slot_name		name PRIMARY KEY,
	processed_lsn	pg_lsn NOT NULL,
	changes_checked	bigint NOT NULL DEFAULT 0,
	violations_found bigint NOT NULL DEFAULT 0,
	toast_skipped	bigint NOT NULL DEFAULT 0,
	last_commit_time timestamptz,
	changes_per_second float8,
	last_error		text,
	last_error_at	timestamptz,
	updated_at		timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dq.cdc_state IS 'Progress of the change validation worker, written in the same transaction as the violations it found';
COMMENT ON COLUMN dq.cdc_state.slot_name IS 'Replication slot consumed (dq_lineage_<database oid>)';
COMMENT ON COLUMN dq.cdc_state.processed_lsn IS 'WAL position up to which every committed change has been validated and recorded';
COMMENT ON COLUMN dq.cdc_state.changes_checked IS 'Changes (INSERT, UPDATE, DELETE, TRUNCATE) of watched tables decoded';
COMMENT ON COLUMN dq.cdc_state.violations_found IS 'Violations recorded in dq.violations';
COMMENT ON COLUMN dq.cdc_state.toast_skipped IS 'Checks skipped because an UPDATE left a TOASTed value unchanged (it is not in the WAL)';
COMMENT ON COLUMN dq.cdc_state.last_commit_time IS 'Commit time of the last validated transaction that changed a watched table';
COMMENT ON COLUMN dq.cdc_state.changes_per_second IS 'Changes of watched tables validated per second over the last minute';
COMMENT ON COLUMN dq.cdc_state.last_error IS 'Last error of the worker (it retries); cleared once a pass went through after it';
COMMENT ON COLUMN dq.cdc_state.last_error_at IS 'When the last error happened';
COMMENT ON COLUMN dq.cdc_state.updated_at IS 'Last time the worker recorded a batch';

CREATE SEQUENCE dq.violation_id_seq;
CREATE TABLE dq.violations (
	violation_id	bigint PRIMARY KEY DEFAULT nextval('dq.violation_id_seq'),
	expectation_id	bigint NOT NULL,
	relid			regclass,
	schema_name		name,
	table_name		name,
	operation		text NOT NULL,
	lsn				pg_lsn NOT NULL,
	change_seq		integer NOT NULL,
	xid				bigint NOT NULL,
	commit_time		timestamptz NOT NULL,
	detected_at		timestamptz NOT NULL DEFAULT clock_timestamp(),
	unexpected		jsonb,
	row_image		jsonb,
	kind			text,
	severity		text,
	mostly			float8,
	UNIQUE (lsn, change_seq, expectation_id)
);
ALTER SEQUENCE dq.violation_id_seq OWNED BY dq.violations.violation_id;
CREATE INDEX violations_relid_idx ON dq.violations (relid, violation_id);
COMMENT ON TABLE dq.violations IS 'Committed changes of watched tables that failed a row-level expectation, each recorded exactly once';
COMMENT ON COLUMN dq.violations.violation_id IS 'Identifier (also in the dq_violation notification)';
COMMENT ON COLUMN dq.violations.expectation_id IS 'The expectation that failed (dq.expectations)';
COMMENT ON COLUMN dq.violations.relid IS 'The changed table (the partition, for a partitioned table; a regclass: pg_dump writes it as a name); NULL once the table was dropped';
COMMENT ON COLUMN dq.violations.schema_name IS 'Schema of the changed table when the violation was recorded';
COMMENT ON COLUMN dq.violations.table_name IS 'Name of the changed table when the violation was recorded';
COMMENT ON COLUMN dq.violations.operation IS 'INSERT or UPDATE';
COMMENT ON COLUMN dq.violations.lsn IS 'WAL position of the commit record of the transaction';
COMMENT ON COLUMN dq.violations.change_seq IS 'Number of the change within its transaction (1 = first)';
COMMENT ON COLUMN dq.violations.xid IS 'Transaction ID of the change';
COMMENT ON COLUMN dq.violations.commit_time IS 'Commit time of the transaction';
COMMENT ON COLUMN dq.violations.detected_at IS 'When the worker recorded the violation';
COMMENT ON COLUMN dq.violations.unexpected IS 'The offending value(s), shaped as in dq.validate results';
COMMENT ON COLUMN dq.violations.row_image IS 'The new row, column name to text value; NULL when dq_lineage.capture_row_images is off or the expectation''s owner may not read the whole table; unchanged TOAST values are left out and listed under unchanged_toast';
COMMENT ON COLUMN dq.violations.kind IS 'Kind of the expectation that failed (dq.expectation_kinds), as it was when the violation was recorded';
COMMENT ON COLUMN dq.violations.severity IS 'Severity of the expectation (error or warn) when the violation was recorded: filter on it to see the violations that matter first';
COMMENT ON COLUMN dq.violations.mostly IS 'The expectation''s mostly when the violation was recorded (NULL means 1): change validation checks each row on its own, so a row that fails an expectation with mostly below 1 is recorded too; whether the fraction holds is decided by dq.validate over the whole table';

-- @section cdc_rule_errors
CREATE TABLE dq.cdc_rule_errors (
	expectation_id	bigint PRIMARY KEY,
	relid			oid NOT NULL,
	lsn				pg_lsn,
	sqlstate		text NOT NULL,
	message			text NOT NULL,
	failed_at		timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dq.cdc_rule_errors IS 'Expectations that change validation skips because checking them raised an error that is not about the data; changing or dropping the expectation removes its row';
COMMENT ON COLUMN dq.cdc_rule_errors.expectation_id IS 'The broken expectation (dq.expectations)';
COMMENT ON COLUMN dq.cdc_rule_errors.relid IS 'OID of the changed table (the partition, for a partitioned table)';
COMMENT ON COLUMN dq.cdc_rule_errors.lsn IS 'Commit LSN of the change it failed on; NULL when it failed before any change was checked';
COMMENT ON COLUMN dq.cdc_rule_errors.sqlstate IS 'SQLSTATE of the error';
COMMENT ON COLUMN dq.cdc_rule_errors.message IS 'Message of the error';
COMMENT ON COLUMN dq.cdc_rule_errors.failed_at IS 'When the worker found the rule broken';
-- @end cdc_rule_errors

REVOKE ALL ON dq.watched_tables, dq.cdc_state, dq.violations, dq.cdc_rule_errors FROM PUBLIC;
GRANT SELECT ON dq.watched_tables, dq.cdc_state, dq.violations, dq.cdc_rule_errors TO PUBLIC;
ALTER TABLE dq.violations ENABLE ROW LEVEL SECURITY;
-- violations carry row values: readable by roles that may read the table
-- and see every row its owner sees (docs/security.md: a role that RLS or
-- column privileges restrict sees the counts in dq.cdc_status, not rows)
CREATE POLICY violations_readable ON dq.violations FOR SELECT
	USING (dq.values_visible(relid, NULL));
-- error messages may quote values too
ALTER TABLE dq.cdc_rule_errors ENABLE ROW LEVEL SECURITY;
CREATE POLICY cdc_rule_errors_readable ON dq.cdc_rule_errors FOR SELECT
	USING (dq.values_visible(relid, NULL));

-- Dumped with each row attached to its table by name.
SELECT pg_catalog.pg_extension_config_dump('dq.watched_tables',
	'WHERE EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = relid AND c.relpersistence <> ''t'')');
SELECT pg_catalog.pg_extension_config_dump('dq.violations',
	'WHERE relid IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = relid AND c.relpersistence <> ''t'')');
SELECT pg_catalog.pg_extension_config_dump('dq.violation_id_seq', '');

CREATE FUNCTION dq.watch(rel regclass, quarantine boolean DEFAULT false) RETURNS void
	AS 'MODULE_PATHNAME', 'dq_watch' LANGUAGE C;
COMMENT ON FUNCTION dq.watch(regclass, boolean) IS 'Validate every committed INSERT and UPDATE of the table against its row-level expectations; with quarantine, also copy the violating rows to dq.quarantine_<relid> (needs the library preloaded, wal_level = logical; the first call of a database creates its replication slot and must not follow a write in the same transaction)';

CREATE FUNCTION dq.unwatch(rel regclass) RETURNS boolean
	AS 'MODULE_PATHNAME', 'dq_unwatch' LANGUAGE C;
COMMENT ON FUNCTION dq.unwatch(regclass) IS 'Stop validating the table''s changes; unwatching the last table drops the replication slot. Returns whether the table was watched';

CREATE FUNCTION dq.cdc_start() RETURNS void
	AS 'MODULE_PATHNAME', 'dq_cdc_start' LANGUAGE C STRICT;
COMMENT ON FUNCTION dq.cdc_start() IS 'Start the change validation worker of this database now if tables are watched and none runs';

CREATE FUNCTION dq_internal.cdc_expectations_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'dq_cdc_expectations_changed' LANGUAGE C;
COMMENT ON FUNCTION dq_internal.cdc_expectations_changed() IS 'Trigger: tells the change validation decoder that a relation''s expectations changed';
REVOKE ALL ON FUNCTION dq_internal.cdc_expectations_changed() FROM PUBLIC;
CREATE TRIGGER expectations_cdc AFTER INSERT OR UPDATE OR DELETE ON dq.expectations
	FOR EACH ROW EXECUTE FUNCTION dq_internal.cdc_expectations_changed();

-- @section cdc_status
CREATE VIEW dq.cdc_status AS
SELECT st.slot_name,
	   (SELECT pg_catalog.count(*) FROM dq.watched_tables) AS watched_tables,
	   s.active_pid AS worker_pid,
	   s.confirmed_flush_lsn,
	   st.processed_lsn,
	   pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint AS lag_bytes,
	   CASE WHEN pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.confirmed_flush_lsn) > 0
				 AND st.last_commit_time IS NOT NULL
			THEN pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) st.last_commit_time)
			ELSE 0 END AS lag_seconds,
	   pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.confirmed_flush_lsn) >
		 pg_catalog.pg_size_bytes(coalesce(pg_catalog.current_setting('dq_lineage.cdc_max_lag', true), '1GB'))
		 AS lag_exceeded,
	   s.wal_status,
	   s.safe_wal_size,
	   st.changes_checked,
	   st.violations_found,
	   st.toast_skipped,
	   st.changes_per_second,
	   st.last_commit_time,
	   st.last_error,
	   st.last_error_at,
	   st.updated_at,
	   ARRAY(SELECT b.expectation_id FROM dq.cdc_rule_errors b ORDER BY 1) AS broken_expectations
  FROM dq.cdc_state st
  LEFT JOIN pg_catalog.pg_replication_slots s ON s.slot_name = st.slot_name
 WHERE st.slot_name = 'dq_lineage_' OPERATOR(pg_catalog.||)
	   (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database());
-- @end cdc_status
COMMENT ON VIEW dq.cdc_status IS 'Change validation of this database: slot, watched tables, positions, lag, counters, last error';
COMMENT ON COLUMN dq.cdc_status.slot_name IS 'Replication slot consumed by the worker';
COMMENT ON COLUMN dq.cdc_status.watched_tables IS 'Number of watched tables';
COMMENT ON COLUMN dq.cdc_status.worker_pid IS 'Process holding the slot (the worker), NULL when none runs';
COMMENT ON COLUMN dq.cdc_status.confirmed_flush_lsn IS 'Position the slot has been confirmed to; WAL before its restart point can be removed';
COMMENT ON COLUMN dq.cdc_status.processed_lsn IS 'Position up to which violations are recorded';
COMMENT ON COLUMN dq.cdc_status.lag_bytes IS 'WAL written since the confirmed position';
COMMENT ON COLUMN dq.cdc_status.lag_seconds IS 'Age of the last validated commit while WAL remains to be validated, else 0';
COMMENT ON COLUMN dq.cdc_status.lag_exceeded IS 'lag_bytes is above dq_lineage.cdc_max_lag (the worker then logs a WARNING)';
COMMENT ON COLUMN dq.cdc_status.wal_status IS 'wal_status of the slot (pg_replication_slots)';
COMMENT ON COLUMN dq.cdc_status.safe_wal_size IS 'safe_wal_size of the slot: WAL that can still be written before max_slot_wal_keep_size invalidates it';
COMMENT ON COLUMN dq.cdc_status.changes_checked IS 'Changes of watched tables validated';
COMMENT ON COLUMN dq.cdc_status.violations_found IS 'Violations recorded';
COMMENT ON COLUMN dq.cdc_status.toast_skipped IS 'Checks skipped on unchanged TOAST values';
COMMENT ON COLUMN dq.cdc_status.changes_per_second IS 'Changes validated per second over the last minute';
COMMENT ON COLUMN dq.cdc_status.last_commit_time IS 'Commit time of the last validated transaction that changed a watched table';
COMMENT ON COLUMN dq.cdc_status.last_error IS 'Last error of the worker; NULL again once a pass went through after it';
COMMENT ON COLUMN dq.cdc_status.last_error_at IS 'When it happened';
COMMENT ON COLUMN dq.cdc_status.updated_at IS 'Last time the worker recorded a batch';
COMMENT ON COLUMN dq.cdc_status.broken_expectations IS 'Expectations skipped because checking them raised an error that is not about the data (details in dq.cdc_rule_errors)';
-- monitoring roles read it; it shows counters, positions and expectation ids
GRANT SELECT ON dq.cdc_status TO pg_monitor;

