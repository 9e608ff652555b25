/*-------------------------------------------------------------------------
 *
 * cdc_sql.c
 *	  SQL functions of change validation: dq.watch, dq.unwatch,
 *	  dq.cdc_start and the trigger that tells the decoder about changed
 *	  expectations.
 *
 * The replication slot is created by dq.watch before it writes anything
 * (PostgreSQL refuses to create a logical slot in a transaction that has
 * written) and dropped by dq.unwatch of the last watched table; dropping a
 * slot is not transactional, so a rolled back dq.unwatch leaves a watched
 * table whose slot the worker creates again, from the current position.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "replication/slot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "access/relation.h"
#include "catalog/namespace.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "base/catalog.h"
#include "cdc/cdc_worker.h"
#include "cdc/citus_shards.h"
#include "base/compat.h"
#include "base/spi_util.h"

PG_FUNCTION_INFO_V1(dq_watch);
PG_FUNCTION_INFO_V1(dq_unwatch);
PG_FUNCTION_INFO_V1(dq_cdc_start);
PG_FUNCTION_INFO_V1(dq_cdc_expectations_changed);

/* Send a relcache invalidation for relid if it still exists. */
static void
DqCdcInvalidate(Oid relid)
{
	if (OidIsValid(relid) && SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		CacheInvalidateRelcacheByRelid(relid);
}

/* Does output_plugin_libraries (when the server has it) allow dq_lineage? */
static bool
DqCdcPluginAllowed(void)
{
	const char *libs = GetConfigOption("output_plugin_libraries", true, false);
	char	   *copy;
	List	   *names;
	ListCell   *lc;

	if (libs == NULL)
		return true;			/* a server without the setting */
	copy = pstrdup(libs);
	if (!SplitIdentifierString(copy, ',', &names))
		return false;
	foreach(lc, names)
		if (strcmp(lfirst(lc), "dq_lineage") == 0)
			return true;
	return false;
}

/* The checks of dq.watch that come before any write. */
void
DqCdcCheckWatchable(Oid relid)
{
	char		relkind = get_rel_relkind(relid);
	char	   *relname = get_rel_name(relid);

	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot watch \"%s\": only tables and partitioned tables have changes to validate",
						relname),
				 errhint("Watch the table the view or materialized view reads.")));
	if (get_rel_persistence(relid) == RELPERSISTENCE_UNLOGGED)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot watch \"%s\": an unlogged table writes no WAL to decode",
						relname),
				 errhint("Make it a logged table with ALTER TABLE %s SET LOGGED, or validate it with dq.validate().",
						 quote_identifier(relname))));
	if (get_rel_persistence(relid) == RELPERSISTENCE_TEMP)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot watch \"%s\": a temporary table writes no WAL to decode",
						relname),
				 errhint("Validate it with dq.validate().")));
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", relname),
				 errhint("Watching a table needs SELECT privilege on it.")));
	if (wal_level < WAL_LEVEL_LOGICAL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("change validation requires wal_level = logical"),
				 errhint("Set wal_level = logical in postgresql.conf and restart the server.")));
	if (!dq_cdc_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("change validation requires dq_lineage to be preloaded"),
				 errhint("Add dq_lineage to shared_preload_libraries in postgresql.conf and restart the server.")));
	if (!DqCdcPluginAllowed())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("output plugin \"dq_lineage\" is not allowed by this server"),
				 errhint("Add dq_lineage to output_plugin_libraries in postgresql.conf, for example output_plugin_libraries = 'pgoutput, test_decoding, dq_lineage', and reload.")));
}

/*
 * The quarantine table of relid, dq.quarantine_<relid>, created if needed
 * (as the extension owner): the table's columns (without their
 * constraints: a violating row must fit) after the violation ids and the
 * change's position.  Rows are readable by the roles that may read the
 * table.  Column types are written schema-qualified, since the statement
 * runs with search_path pinned; a table of that name that is not the
 * extension's is refused.
 */
static Oid
DqCdcMakeQuarantine(Oid relid)
{
	char	   *name = psprintf("quarantine_%u", relid);
	char	   *qual = quote_qualified_identifier("dq", name);
	Relation	rel = relation_open(relid, AccessShareLock);
	TupleDesc	td = RelationGetDescr(rel);
	StringInfoData q;
	DqOwnerContext owner;
	int			i;
	Oid			qrelid;
	bool		found;

	initStringInfo(&q);
	appendStringInfo(&q, "CREATE TABLE IF NOT EXISTS %s (dq_violation_ids pg_catalog.int8[] NOT NULL, "
					 "dq_lsn pg_catalog.pg_lsn NOT NULL, dq_change_seq pg_catalog.int4 NOT NULL, "
					 "dq_quarantined_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now()", qual);
	for (i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);

		if (att->attisdropped)
			continue;
		appendStringInfo(&q, ", %s %s", quote_identifier(NameStr(att->attname)),
						 format_type_extended(att->atttypid, att->atttypmod,
											  FORMAT_TYPE_TYPEMOD_GIVEN |
											  FORMAT_TYPE_FORCE_QUALIFY));
	}
	appendStringInfo(&q, ", PRIMARY KEY (dq_lsn, dq_change_seq))");
	relation_close(rel, AccessShareLock);

	DqSpiConnect();
	DqBecomeExtensionOwner(&owner);
	found = OidIsValid(get_relname_relid(name, get_namespace_oid("dq", false)));
	DqSpiRun(q.data, false, SPI_OK_UTILITY, psprintf("create %s", qual));
	qrelid = get_relname_relid(name, get_namespace_oid("dq", false));
	if (getExtensionOfObject(RelationRelationId, qrelid) !=
		get_extension_oid("dq_lineage", false) && found)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation %s already exists and does not belong to extension dq_lineage", qual),
				 errhint("Drop or rename it, then watch the table again.")));
	if (found)
	{
		DqRestoreUser(&owner);
		SPI_finish();
		return qrelid;
	}
	resetStringInfo(&q);
	appendStringInfo(&q,
					 "COMMENT ON TABLE %s IS %s; "
					 "REVOKE ALL ON %s FROM PUBLIC; GRANT SELECT ON %s TO PUBLIC; "
					 "ALTER TABLE %s ENABLE ROW LEVEL SECURITY; "
					 "CREATE POLICY readable ON %s FOR SELECT USING (dq.values_visible(%u, NULL)); "
					 /* a member of the extension: DROP EXTENSION drops it too */
					 "ALTER EXTENSION dq_lineage ADD TABLE %s",
					 qual,
					 quote_literal_cstr(psprintf("Copies of the rows of %s that violated an expectation (dq.watch with quarantine)",
												 get_rel_name(relid))),
					 qual, qual, qual, qual, relid, qual);
	DqSpiRun(q.data, false, 0, psprintf("set up %s", qual));
	DqRestoreUser(&owner);
	SPI_finish();
	return qrelid;
}

/*
 * dq.watch(rel): validate every committed INSERT and UPDATE of rel against
 * its row-level expectations.  Creates the database's slot if needed and
 * starts the worker.
 */
Datum
dq_watch(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char		slot[NAMEDATALEN];
	pid_t		pid;
	DqOwnerContext owner;
	Oid			argtypes[5] = {OIDOID, NAMEOID, NAMEOID, NAMEOID, OIDOID};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	Oid			quarantine = InvalidOid;
	NameData	nsp;
	NameData	rel;
	NameData	who;

	DqRequireArg(fcinfo, 0, "rel",
				 "Name the table to watch, for example 'public.orders'.");
	relid = PG_GETARG_OID(0);
	DqCdcCheckWatchable(relid);
	DqCdcCitusCheckWatch(relid, PG_NARGS() > 1 && !PG_ARGISNULL(1) && PG_GETARG_BOOL(1));

	DqCdcSlotName(MyDatabaseId, slot);
	if (!DqCdcSlotExists(slot, &pid))
	{
		if (TransactionIdIsValid(GetTopTransactionIdIfAny()))
			ereport(ERROR,
					(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
					 errmsg("cannot start change validation in a transaction that has written"),
					 errdetail("The first dq.watch of a database creates a logical replication slot, which PostgreSQL refuses after a write in the same transaction."),
					 errhint("Call dq.watch() in a transaction of its own.")));
		DqCdcCreateSlot(slot);
	}

	if (PG_NARGS() > 1 && !PG_ARGISNULL(1) && PG_GETARG_BOOL(1))
		quarantine = DqCdcMakeQuarantine(relid);

	namestrcpy(&nsp, get_namespace_name(get_rel_namespace(relid)));
	namestrcpy(&rel, get_rel_name(relid));
	namestrcpy(&who, GetUserNameFromId(GetUserId(), false));
	values[0] = ObjectIdGetDatum(relid);
	values[1] = NameGetDatum(&nsp);
	values[2] = NameGetDatum(&rel);
	values[3] = NameGetDatum(&who);
	DqSpiConnect();
	DqBecomeExtensionOwner(&owner);
	values[4] = ObjectIdGetDatum(quarantine);
	if (!OidIsValid(quarantine))
		nulls[4] = 'n';
	DqSpiRunArgs("INSERT INTO dq.watched_tables (relid, schema_name, table_name, owner, quarantine) "
				 "SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS "
				 "(SELECT FROM dq.watched_tables WHERE relid OPERATOR(pg_catalog.=) $1)",
				 5, argtypes, values, nulls, false, SPI_OK_INSERT, "write dq.watched_tables");
	if (SPI_processed == 0 && OidIsValid(quarantine))
		DqSpiRunArgs("UPDATE dq.watched_tables SET quarantine = $5 "
					 "WHERE relid OPERATOR(pg_catalog.=) $1",
					 5, argtypes, values, nulls, false, SPI_OK_UPDATE,
					 "write dq.watched_tables");
	DqRestoreUser(&owner);
	SPI_finish();

	DqCdcInvalidate(relid);
	DqCdcEnsureWorker();
	PG_RETURN_VOID();
}

/*
 * dq.unwatch(rel): stop validating rel's changes; the last unwatch drops
 * the slot (the worker holding it is stopped first).  Returns whether rel
 * was watched.
 */
Datum
dq_unwatch(PG_FUNCTION_ARGS)
{
	Oid			relid;
	DqOwnerContext owner;
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1];
	bool		was;
	char	   *relname;
	Oid			caller = GetUserId();
	char	   *me = GetUserNameFromId(caller, false);

	DqRequireArg(fcinfo, 0, "rel",
				 "Name the table to stop watching, for example 'public.orders'; SELECT * FROM dq.watched_tables lists them.");
	relid = PG_GETARG_OID(0);
	relname = get_rel_name(relid);

	values[0] = ObjectIdGetDatum(relid);
	DqSpiConnect();
	DqBecomeExtensionOwner(&owner);
	DqSpiRunArgs("SELECT owner FROM dq.watched_tables "
				 "WHERE relid OPERATOR(pg_catalog.=) $1",
				 1, argtypes, values, NULL, false, SPI_OK_SELECT, "read dq.watched_tables");
	/* the role that watched it, the table's owner or a superuser */
	if (SPI_processed > 0 &&
		strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), me) != 0 &&
		!superuser_arg(caller) && (relname == NULL || !pg_class_ownercheck(relid, caller)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to unwatch table %s", relname ? relname : "(dropped)"),
				 errhint("Only the role that watched the table, its owner or a superuser may unwatch it.")));
	DqSpiRunArgs("DELETE FROM dq.watched_tables "
				 "WHERE relid OPERATOR(pg_catalog.=) $1",
				 1, argtypes, values, NULL, false, SPI_OK_DELETE, "write dq.watched_tables");
	was = SPI_processed > 0;
	DqRestoreUser(&owner);
	SPI_finish();
	DqCdcInvalidate(relid);

	if (was && DqCdcWatchedCount(AccessShareLock) == 0)
	{
		DqCdcStopAndDropSlot(MyDatabaseId);
	}
	PG_RETURN_BOOL(was);
}

/*
 * dq.cdc_start(): start the worker of this database now if it has watched
 * tables and none runs (what the scheduler does on every pass).
 */
Datum
dq_cdc_start(PG_FUNCTION_ARGS)
{
	if (!dq_cdc_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("change validation requires dq_lineage to be preloaded"),
				 errhint("Add dq_lineage to shared_preload_libraries in postgresql.conf and restart the server.")));
	DqCdcEnsureWorker();
	PG_RETURN_VOID();
}

/*
 * Trigger on dq.expectations: a relcache invalidation of the relation whose
 * expectations changed, so that the decoder reloads them at this point of
 * the WAL.
 */
Datum
dq_cdc_expectations_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	bool		isnull;
	TupleDesc	td;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "dq_cdc_expectations_changed: not called as a trigger");
	td = RelationGetDescr(trigdata->tg_relation);
	if (trigdata->tg_trigtuple != NULL)
		DqCdcInvalidate(DatumGetObjectId(heap_getattr(trigdata->tg_trigtuple,
													  2, td, &isnull)));
	if (trigdata->tg_newtuple != NULL)
		DqCdcInvalidate(DatumGetObjectId(heap_getattr(trigdata->tg_newtuple,
													  2, td, &isnull)));

	/* a changed or dropped expectation is checked again: no longer broken */
	if (!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) &&
		OidIsValid(DqCdcCatalogRel("cdc_rule_errors")))
	{
		Oid			argtypes[1] = {INT8OID};
		Datum		values[1];
		DqOwnerContext owner;

		values[0] = heap_getattr(trigdata->tg_trigtuple,
								 SPI_fnumber(td, "expectation_id"), td, &isnull);
		DqSpiConnect();
		DqBecomeExtensionOwner(&owner);
		DqSpiRunArgs("DELETE FROM dq.cdc_rule_errors "
					 "WHERE expectation_id OPERATOR(pg_catalog.=) $1",
					 1, argtypes, values, NULL, false, SPI_OK_DELETE, "write dq.cdc_rule_errors");
		DqRestoreUser(&owner);
		SPI_finish();
	}
	return PointerGetDatum(NULL);
}
