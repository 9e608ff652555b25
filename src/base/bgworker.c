/*-------------------------------------------------------------------------
 *
 * bgworker.c
 *	  Starting the library's dynamic background workers.
 *
 * Every dynamic worker of the library (a job run, the change validation
 * worker, a scheduler, an alert delivery worker) is registered the same
 * way: connected to one database, started once recovery is over, never
 * restarted by the postmaster (the process that started it decides), and
 * reporting its start and stop to that process's latch.  The launchers of
 * schedulers and of delivery workers serve the same databases
 * (DqConnectableDatabases).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "base/bgworker.h"

/*
 * Register a dynamic worker of this library that runs function and
 * connects to dboid; extra (at most BGW_EXTRALEN bytes) goes to
 * bgw_extra.  The caller's latch is set when the worker starts and stops.
 * False when no background worker slot is free.
 */
bool
DqStartWorker(const char *function, const char *name, Oid dboid,
			  const void *extra, Size extralen,
			  BackgroundWorkerHandle **handle)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "dq_lineage", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, function, BGW_MAXLEN);
	strlcpy(worker.bgw_name, name, BGW_MAXLEN);
	strlcpy(worker.bgw_type, name, BGW_MAXLEN);
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;
	Assert(extralen <= BGW_EXTRALEN);
	if (extra)
		memcpy(worker.bgw_extra, extra, extralen);
	return RegisterDynamicBackgroundWorker(&worker, handle);
}

/*
 * The databases a launcher serves: those that allow connections, except
 * templates and half-dropped ones (DATCONNLIMIT_INVALID_DB), read from
 * pg_database in a transaction of its own.  The list of OIDs is allocated
 * in TopMemoryContext (it outlives the transaction): list_free it.
 */
List *
DqConnectableDatabases(void)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	List	   *present = NIL;
	MemoryContext old;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		if (!db->datallowconn || db->datistemplate || db->datconnlimit == -2)
			continue;
		old = MemoryContextSwitchTo(TopMemoryContext);
		present = lappend_oid(present, db->oid);
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	PopActiveSnapshot();
	CommitTransactionCommand();
	return present;
}
