/*-------------------------------------------------------------------------
 *
 * citus_shards.c
 *	  Change validation of Citus distributed tables: every node decodes
 *	  the changes of the shards it holds.
 *
 * Design note.  The rows of a distributed table are written to its
 * shards, on the nodes that hold them; a node's slot sees the changes of
 * its own shards only.  So dq.watch of a distributed table, on the
 * coordinator, sets up change validation on every worker too:
 *
 * - Configuration.  The coordinator's dq.watched_tables and
 *   dq.expectations stay the one place where watches and expectations are
 *   defined.  A trigger on both tables (dq_citus_sync) notes the relations
 *   whose watch or expectations a transaction changes; just before the
 *   coordinator's transaction commits (XACT_EVENT_PRE_COMMIT), the watch
 *   and the expectations of each of them that is a distributed table are
 *   pushed to every worker through Citus (run_command_on_workers, as the
 *   extension's owner: new connections, outside the transaction), where
 *   dq_internal.citus_watch_shards mirrors them into the worker's own tables (the
 *   same expectation ids) and starts its change validation; an unwatch
 *   runs dq_internal.citus_unwatch_shards.  A worker that cannot take them fails
 *   the commit: a watch is never accepted that a node holding shards would
 *   not honour.  A rolled back transaction pushes nothing.  (Should the
 *   commit itself fail after the push, the workers hold a newer
 *   configuration until the next push.)  Nodes added later get the
 *   configuration from dq.citus_sync_watches() (docs/citus.md).
 *
 * - Decoding (citus_decode.c).  The decoder of each node maps a shard to
 *   its distributed table and checks the change against that table's
 *   expectations; its lines name the distributed table.  Changes that
 *   Citus writes itself when it copies a shard carry a replication origin
 *   when citus.enable_change_data_capture is on, and are skipped: each row
 *   is validated once, where it was first written.  dq.watch therefore
 *   requires that setting on every node.
 *
 * - Violations are recorded on the node that decoded them, exactly once
 *   (cdc_worker.c); dq.cluster_violations on the coordinator reads them
 *   from every node.
 *
 * Reference tables and Citus local tables are refused: a reference
 * table's rows are written to a copy on every node (each would record
 * the violation), a Citus local table's to a shard on the coordinator.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/snapmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "base/catalog.h"
#include "base/citus.h"
#include "base/spi_util.h"
#include "cdc/cdc_worker.h"
#include "cdc/citus_shards.h"

PG_FUNCTION_INFO_V1(dq_citus_watch_shards);
PG_FUNCTION_INFO_V1(dq_citus_unwatch_shards);
PG_FUNCTION_INFO_V1(dq_citus_sync);
PG_FUNCTION_INFO_V1(dq_citus_sync_watches);

extern Datum dq_unwatch(PG_FUNCTION_ARGS);

/* Is citus.enable_change_data_capture on in this session? */
static bool
DqCitusCdcOn(void)
{
	const char *v = GetConfigOption("citus.enable_change_data_capture", true, false);

	return v != NULL && strcmp(v, "on") == 0;
}

/* The watch needs Citus to mark the rows it copies itself. */
static void
DqCitusRequireCdc(const char *relname)
{
	if (!DqCitusCdcOn())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("change validation of distributed table \"%s\" requires citus.enable_change_data_capture = on",
						relname),
				 errdetail("Only then does Citus mark the rows it copies when it moves or splits shards; change validation would take them for new rows."),
				 errhint("Set citus.enable_change_data_capture = on in postgresql.conf of every node and reload.")));
}

/*
 * dq.watch of a Citus table (on any node): refused unless it is a
 * distributed table and this is the coordinator, with the settings that
 * let every node validate its shards' changes exactly once.
 */
void
DqCdcCitusCheckWatch(Oid relid, bool quarantine)
{
	DqCitusTableKind kind = DqCitusKind(relid);
	const char *relname;

	if (kind == DQ_CITUS_NONE)
		return;
	relname = get_rel_name(relid);
	if (kind == DQ_CITUS_REFERENCE || kind == DQ_CITUS_LOCAL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot watch %s \"%s\": change validation of Citus tables is not supported",
						DqCitusKindName(kind), relname),
				 errdetail(kind == DQ_CITUS_REFERENCE ?
						   "Its rows are written to a copy on every node; only distributed tables can be watched." :
						   "Its rows are written to a shard on the coordinator; only distributed tables can be watched."),
				 errhint("Validate it with dq.validate(), for example on a schedule with dq.schedule().")));
	if (!DqCitusIsCoordinator())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot watch distributed table \"%s\" from a worker node", relname),
				 errhint("Call dq.watch() on the coordinator: it sets up change validation on every node.")));
	if (quarantine)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot quarantine the violating rows of distributed table \"%s\"", relname),
				 errhint("Watch it without quarantine; dq.cluster_violations has the rows' images.")));
	DqCitusRequireCdc(relname);
}

/* Only the coordinator, as the extension's owner, sets up workers. */
static void
DqCitusRequireOwner(void)
{
	if (!superuser() && GetUserId() != DqExtensionOwner())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to set up change validation of shards"),
				 errhint("dq.watch() on the coordinator calls it, as the owner of the extension.")));
}

/*
 * dq_internal.citus_watch_shards(rel regclass, expectations jsonb, owner name):
 * on a worker, validate the changes of rel's shards against the given
 * expectations (the coordinator's rows, with column names): they replace
 * rel's expectations here, rel is watched, the slot and the worker are
 * started.
 */
Datum
dq_citus_watch_shards(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char		slot[NAMEDATALEN];
	pid_t		pid;
	DqOwnerContext owner;
	Oid			argtypes[5] = {OIDOID, JSONBOID, NAMEOID, NAMEOID, NAMEOID};
	Datum		values[5];
	NameData	nsp;
	NameData	rel;

	DqCitusRequireOwner();
	DqCdcCheckWatchable(relid);
	DqCitusRequireCdc(get_rel_name(relid));

	DqCdcSlotName(MyDatabaseId, slot);
	if (!DqCdcSlotExists(slot, &pid))
		DqCdcCreateSlot(slot);

	namestrcpy(&nsp, get_namespace_name(get_rel_namespace(relid)));
	namestrcpy(&rel, get_rel_name(relid));
	values[0] = ObjectIdGetDatum(relid);
	values[1] = PG_GETARG_DATUM(1);
	values[2] = PG_GETARG_DATUM(2);
	values[3] = NameGetDatum(&nsp);
	values[4] = NameGetDatum(&rel);
	DqSpiConnect();
	DqBecomeExtensionOwner(&owner);
	/* the coordinator's expectations, attached to this node's columns */
	DqSpiRunArgs("DELETE FROM dq.expectations WHERE relid = $1",
				 5, argtypes, values, NULL, false, SPI_OK_DELETE, "write dq.expectations");
	DqSpiRunArgs("INSERT INTO dq.expectations "
				 "SELECT (pg_catalog.jsonb_populate_record(NULL::dq.expectations, "
				 "  x OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object("
				 "    'relid', $1::pg_catalog.regclass::pg_catalog.text, "
				 "    'schema_name', $4, "
				 "    'table_name', $5, "
				 "    'attnum', (SELECT a.attnum FROM pg_catalog.pg_attribute a "
				 "               WHERE a.attrelid = $1 AND NOT a.attisdropped "
				 "                 AND x->>'attnum' IS NOT NULL "
				 "                 AND a.attname OPERATOR(pg_catalog.=) (x->>'column_name')), "
				 "    'param_attnums', (SELECT pg_catalog.array_agg(a.attnum ORDER BY c.ord) "
				 "               FROM pg_catalog.jsonb_array_elements_text(CASE WHEN "
				 "                      pg_catalog.jsonb_typeof(x->'param_columns') = 'array' "
				 "                    THEN x->'param_columns' ELSE '[]' END) "
				 "                    WITH ORDINALITY c(name, ord) "
				 "               JOIN pg_catalog.pg_attribute a ON a.attrelid = $1 "
				 "                AND NOT a.attisdropped "
				 "                AND a.attname OPERATOR(pg_catalog.=) c.name)))).* "
				 "  FROM pg_catalog.jsonb_array_elements($2) x",
				 5, argtypes, values, NULL, false, SPI_OK_INSERT, "write dq.expectations");
	/* (a user catalog table takes no ON CONFLICT) */
	DqSpiRunArgs("UPDATE dq.watched_tables SET owner = $3 WHERE relid = $1",
				 5, argtypes, values, NULL, false, SPI_OK_UPDATE, "write dq.watched_tables");
	if (SPI_processed == 0)
		DqSpiRunArgs("INSERT INTO dq.watched_tables (relid, schema_name, table_name, owner) "
					 "VALUES ($1, $4, $5, $3)",
					 5, argtypes, values, NULL, false, SPI_OK_INSERT,
					 "write dq.watched_tables");
	DqRestoreUser(&owner);
	SPI_finish();

	CacheInvalidateRelcacheByRelid(relid);
	DqCdcEnsureWorker();
	PG_RETURN_VOID();
}

/*
 * dq_internal.citus_unwatch_shards(rel regclass): on a worker, stop validating
 * rel's shards and remove the expectations mirrored from the coordinator.
 */
Datum
dq_citus_unwatch_shards(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	DqOwnerContext owner;
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1];

	DqCitusRequireOwner();
	values[0] = ObjectIdGetDatum(relid);
	DqSpiConnect();
	DqBecomeExtensionOwner(&owner);
	DqSpiRunArgs("DELETE FROM dq.expectations WHERE relid = $1",
				 1, argtypes, values, NULL, false, SPI_OK_DELETE, "write dq.expectations");
	DqRestoreUser(&owner);
	SPI_finish();
	return DirectFunctionCall1(dq_unwatch, ObjectIdGetDatum(relid));
}

/*
 * Relations whose watch (dq.watched_tables) or expectations the current
 * transaction changed, to push at its commit; in TopTransactionContext.
 */
typedef struct DqCitusPending
{
	Oid			relid;
	bool		watch_changed;
} DqCitusPending;

static List *dq_citus_pending = NIL;
static bool dq_citus_callback_registered = false;

static void DqCitusPush(Oid relid, bool watch_changed);

/* At commit, push what the transaction changed; forget it at the end. */
static void
DqCitusXactCallback(XactEvent event, void *arg)
{
	List	   *pending;
	ListCell   *lc;

	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			if (dq_citus_pending == NIL)
				return;
			pending = dq_citus_pending;
			dq_citus_pending = NIL;
			PushActiveSnapshot(GetTransactionSnapshot());
			foreach(lc, pending)
			{
				DqCitusPending *p = lfirst(lc);

				DqCitusPush(p->relid, p->watch_changed);
			}
			PopActiveSnapshot();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			dq_citus_pending = NIL;
			break;
		default:
			break;
	}
}

/* Note relid for the push at commit. */
static void
DqCitusNote(Oid relid, bool watch_changed)
{
	MemoryContext old;
	ListCell   *lc;
	DqCitusPending *p;

	foreach(lc, dq_citus_pending)
	{
		p = lfirst(lc);
		if (p->relid == relid)
		{
			p->watch_changed |= watch_changed;
			return;
		}
	}
	if (!dq_citus_callback_registered)
	{
		RegisterXactCallback(DqCitusXactCallback, NULL);
		dq_citus_callback_registered = true;
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	p = palloc(sizeof(DqCitusPending));
	p->relid = relid;
	p->watch_changed = watch_changed;
	dq_citus_pending = lappend(dq_citus_pending, p);
	MemoryContextSwitchTo(old);
}

/*
 * Push the watch and the expectations of relid (or its unwatch) to every
 * worker, as the extension's owner.  A node that fails fails the caller.
 */
static void
DqCitusPush(Oid relid, bool watch_changed)
{
	DqOwnerContext owner;
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1];
	char	   *qualname;
	char	   *cmd;
	uint64		i;

	if (!OidIsValid(relid) || !SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		return;					/* dropped: Citus drops its shards' watches */
	if (!DqCitusInstalled() || !DqCitusIsCoordinator())
		return;
	if (DqCitusKind(relid) != DQ_CITUS_DISTRIBUTED &&
		DqCitusKind(relid) != DQ_CITUS_SINGLE_SHARD)
		return;

	qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
										  get_rel_name(relid));
	values[0] = ObjectIdGetDatum(relid);
	DqSpiConnect();
	DqBecomeExtensionOwner(&owner);
	DqSpiRunOneRow("SELECT w.owner, "
				   "  (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(e) "
				   "     OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object("
				   "       'column_name', COALESCE((SELECT a.attname FROM pg_catalog.pg_attribute a "
				   "                                 WHERE a.attrelid = e.relid AND a.attnum = e.attnum), "
				   "                               e.column_name), "
				   "       'param_columns', (SELECT pg_catalog.jsonb_agg(a.attname ORDER BY c.ord) "
				   "          FROM pg_catalog.unnest(e.param_attnums) WITH ORDINALITY c(n, ord) "
				   "          JOIN pg_catalog.pg_attribute a ON a.attrelid = e.relid AND a.attnum = c.n))), "
				   "     '[]') FROM dq.expectations e WHERE e.relid = $1) "
				   "FROM (SELECT $1 AS relid) r LEFT JOIN dq.watched_tables w ON w.relid = r.relid",
				   1, argtypes, values, NULL, true, SPI_OK_SELECT,
				   psprintf("read the watch of relation %u", relid));
	if (SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1) == NULL)
	{
		/* an expectation of a table that is not watched: nothing to do */
		if (!watch_changed)
		{
			DqRestoreUser(&owner);
			SPI_finish();
			return;
		}
		cmd = psprintf("SELECT dq_internal.citus_unwatch_shards(%s)", quote_literal_cstr(qualname));
	}
	else
		cmd = psprintf("SELECT dq_internal.citus_watch_shards(%s, %s, %s)",
					   quote_literal_cstr(qualname),
					   quote_literal_cstr(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2)),
					   quote_literal_cstr(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)));
	{
		Oid			cmdtype[1] = {TEXTOID};
		Datum		cmdval[1];

		cmdval[0] = CStringGetTextDatum(cmd);
		DqSpiRunArgs("SELECT nodename, nodeport, success, result "
					 "FROM pg_catalog.run_command_on_workers($1)",
					 1, cmdtype, cmdval, NULL, false, SPI_OK_SELECT, "run run_command_on_workers");
	}
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;

		if (!DatumGetBool(SPI_getbinval(tup, td, 3, &isnull)))
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("could not set up change validation of \"%s\" on node %s:%s",
							get_rel_name(relid), SPI_getvalue(tup, td, 1), SPI_getvalue(tup, td, 2)),
					 errdetail("The node answered: %s", SPI_getvalue(tup, td, 4)),
					 errhint("Every node that holds shards validates their changes; it needs dq_lineage preloaded, wal_level = logical and citus.enable_change_data_capture = on.")));
	}
	DqRestoreUser(&owner);
	SPI_finish();
}

/*
 * Trigger on dq.watched_tables and dq.expectations: note the relation,
 * whose configuration is pushed to the workers when the transaction
 * commits (when it is a distributed table, on a coordinator).
 */
Datum
dq_citus_sync(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	td;
	int			attno;
	bool		isnull;
	bool		watch_changed;
	HeapTuple	tuples[2];
	int			i;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "dq_citus_sync: not called as a trigger");
	if (!DqCitusInstalled())
		return PointerGetDatum(NULL);
	td = RelationGetDescr(trigdata->tg_relation);
	attno = SPI_fnumber(td, "relid");
	if (attno <= 0)
		elog(ERROR, "dq_citus_sync: no column relid");
	watch_changed = strcmp(RelationGetRelationName(trigdata->tg_relation), "watched_tables") == 0;
	tuples[0] = trigdata->tg_trigtuple;
	tuples[1] = trigdata->tg_newtuple;
	for (i = 0; i < 2; i++)
	{
		Datum		d;

		if (tuples[i] == NULL)
			continue;
		d = heap_getattr(tuples[i], attno, td, &isnull);
		if (!isnull)
			DqCitusNote(DatumGetObjectId(d), watch_changed);
	}
	return PointerGetDatum(NULL);
}

/*
 * dq.citus_sync_watches(): push the watch of every watched distributed
 * table to every worker again (after citus_add_node).  Returns the number
 * of tables.
 */
Datum
dq_citus_sync_watches(PG_FUNCTION_ARGS)
{
	DqOwnerContext owner;
	List	   *relids = NIL;
	ListCell   *lc;
	uint64		i;

	if (!DqCitusInstalled() || !DqCitusIsCoordinator())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dq.citus_sync_watches() runs on the coordinator of a Citus cluster")));
	DqSpiConnect();
	DqBecomeExtensionOwner(&owner);
	DqSpiRun("SELECT relid::pg_catalog.oid FROM dq.watched_tables WHERE relid IS NOT NULL",
			 true, SPI_OK_SELECT, "read dq.watched_tables");
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		relids = lappend_oid(relids,
							 DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
															SPI_tuptable->tupdesc, 1, &isnull)));
	}
	DqRestoreUser(&owner);
	SPI_finish();
	i = 0;
	foreach(lc, relids)
	{
		DqCitusTableKind kind = DqCitusKind(lfirst_oid(lc));

		if (kind != DQ_CITUS_DISTRIBUTED && kind != DQ_CITUS_SINGLE_SHARD)
			continue;
		DqCitusPush(lfirst_oid(lc), true);
		i++;
	}
	PG_RETURN_INT64((int64) i);
}
