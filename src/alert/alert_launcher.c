/*-------------------------------------------------------------------------
 *
 * alert_launcher.c
 *	  The alert launcher, the shared table of databases it serves, and what
 *	  backends do for it: wake a database's delivery worker at commit, and
 *	  pause it around commands that need the database without sessions.
 *
 * Starting.  DqAlertInit() (from _PG_init) registers, when the library is
 * preloaded, a static "dq_lineage alert launcher" that connects to no
 * database.  Like the scheduler's launcher it reads pg_database every 10
 * seconds and starts a dynamic "dq_lineage alert worker" in each database
 * that allows connections; a worker that finds no extension marks its
 * database absent and leaves.  A database becomes wanted again when a
 * transaction there commits a delivery, or CREATE or ALTER EXTENSION
 * dq_lineage commits (this file's ProcessUtility hook).  A worker that
 * stops is started again a second later.  This is the subsystem's whole
 * integration: it needs nothing from the scheduler.
 *
 * Shared memory: one table of databases (state, worker pid and latch),
 * guarded by one LWLock.  Commands that need a database without sessions
 * (DROP DATABASE, ALTER DATABASE RENAME / SET TABLESPACE, CREATE DATABASE
 * ... TEMPLATE) and DROP EXTENSION dq_lineage mark it paused until their
 * transaction ends: its worker leaves at once and is not restarted
 * meanwhile.
 *
 * The delivery workers themselves are in alert_worker.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/pmsignal.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "alert/alert_internal.h"
#include "base/catalog.h"
#include "base/guc.h"
#include "base/subxact.h"
#include "base/trust.h"


/* How often the launcher re-reads pg_database without being woken. */
#define LAUNCHER_NAPTIME_MS 10000
/* Delay before a worker that stopped is started again. */
#define RESTART_DELAY_MS 1000
/* Longest a command keeps its database paused. */
#define PAUSE_MAX_MS 60000

/* the table of databases (alert_internal.h) */
AwShmem    *dq_alert_dbs = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static ProcessUtility_hook_type prev_process_utility_hook = NULL;

PGDLLEXPORT void dq_alert_launcher_main(Datum main_arg);

static Size
aw_size(void)
{
	return add_size(offsetof(AwShmem, dbs), mul_size(sizeof(AwDb), dq_max_databases));
}

static void
aw_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(aw_size());
	RequestNamedLWLockTranche("dq_lineage_alerts", 1);
}

static void
aw_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	dq_alert_dbs = NULL;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	dq_alert_dbs = ShmemInitStruct("dq_lineage alerts", aw_size(), &found);
	if (!found)
	{
		memset(dq_alert_dbs, 0, aw_size());
		dq_alert_dbs->lock = &(GetNamedLWLockTranche("dq_lineage_alerts"))->lock;
		dq_alert_dbs->max_dbs = dq_max_databases;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Entry of a database; caller holds the lock. */
static AwDb *
find_db(Oid dboid)
{
	for (int i = 0; i < dq_alert_dbs->max_dbs; i++)
		if (dq_alert_dbs->dbs[i].state != AW_FREE && dq_alert_dbs->dbs[i].dboid == dboid)
			return &dq_alert_dbs->dbs[i];
	return NULL;
}

/* Entry of a database, added WANTED when missing; caller holds the lock exclusively. */
AwDb *
DqAlertFindOrAddDb(Oid dboid)
{
	AwDb	   *e = find_db(dboid);

	if (e != NULL)
		return e;
	for (int i = 0; i < dq_alert_dbs->max_dbs; i++)
		if (dq_alert_dbs->dbs[i].state == AW_FREE)
		{
			e = &dq_alert_dbs->dbs[i];
			memset(e, 0, sizeof(*e));
			e->dboid = dboid;
			e->state = AW_WANTED;
			return e;
		}
	return NULL;
}

/* ----------------------------------------------------------------
 * Backends: wake the worker at commit; pause databases for DDL
 * ----------------------------------------------------------------
 */

static bool xact_callback_registered = false;
static bool wake_pending = false;

#define MAX_PAUSED 8
static Oid	paused_dbs[MAX_PAUSED];
static bool paused_forget[MAX_PAUSED];
static int	npaused = 0;

static void
set_paused(Oid dboid, bool paused, bool forget)
{
	AwDb	   *e;

	LWLockAcquire(dq_alert_dbs->lock, LW_EXCLUSIVE);
	e = find_db(dboid);
	if (e != NULL)
	{
		if (paused)
		{
			e->state = AW_PAUSED;
			e->paused_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), PAUSE_MAX_MS);
			if (e->worker_latch)
				SetLatch(e->worker_latch);
		}
		else if (forget && e->worker_pid == 0)
			e->state = AW_FREE;
		else if (e->state == AW_PAUSED)
			e->state = AW_WANTED;
	}
	if (dq_alert_dbs->launcher_latch)
		SetLatch(dq_alert_dbs->launcher_latch);
	LWLockRelease(dq_alert_dbs->lock);
}

static void
aw_xact_callback(XactEvent event, void *arg)
{
	bool		commit = (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT);
	bool		abort = (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT);

	if (!commit && !abort)
		return;
	for (int i = 0; i < npaused; i++)
		set_paused(paused_dbs[i], false, commit && paused_forget[i]);
	npaused = 0;
	if (wake_pending && commit)
	{
		AwDb	   *e;

		LWLockAcquire(dq_alert_dbs->lock, LW_EXCLUSIVE);
		e = DqAlertFindOrAddDb(MyDatabaseId);
		if (e != NULL && e->state == AW_ABSENT)
			e->state = AW_WANTED;
		if (e != NULL && e->worker_latch != NULL)
			SetLatch(e->worker_latch);
		else if (dq_alert_dbs->launcher_latch)
			SetLatch(dq_alert_dbs->launcher_latch);
		LWLockRelease(dq_alert_dbs->lock);
	}
	wake_pending = false;
}

static void
register_xact_callback(void)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(aw_xact_callback, NULL);
		xact_callback_registered = true;
	}
}

/*
 * Wake this database's delivery worker (starting it if needed) when the
 * current transaction commits.  Nothing happens without preloading.
 */
void
DqAlertWakeAtCommit(void)
{
	if (dq_alert_dbs == NULL || IsBinaryUpgrade)
		return;
	register_xact_callback();
	wake_pending = true;
}

/* The database a utility statement needs without sessions, if any. */
static Oid
database_needing_idle(Node *stmt)
{
	const char *name = NULL;
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_DropdbStmt:
			name = ((DropdbStmt *) stmt)->dbname;
			break;
		case T_RenameStmt:
			if (((RenameStmt *) stmt)->renameType == OBJECT_DATABASE)
				name = ((RenameStmt *) stmt)->subname;
			break;
		case T_AlterDatabaseStmt:
			foreach(lc, ((AlterDatabaseStmt *) stmt)->options)
				if (strcmp(((DefElem *) lfirst(lc))->defname, "tablespace") == 0)
					name = ((AlterDatabaseStmt *) stmt)->dbname;
			break;
		case T_CreatedbStmt:
			foreach(lc, ((CreatedbStmt *) stmt)->options)
				if (strcmp(((DefElem *) lfirst(lc))->defname, "template") == 0)
					name = defGetString((DefElem *) lfirst(lc));
			break;
		case T_DropStmt:
			if (DqStmtDropsExtension(stmt))
				return MyDatabaseId;
			break;
		default:
			break;
	}
	return name ? get_database_oid(name, true) : InvalidOid;
}

/* Does the statement create or update extension dq_lineage? */
static bool
stmt_installs_extension(Node *stmt)
{
	if (IsA(stmt, CreateExtensionStmt))
		return strcmp(((CreateExtensionStmt *) stmt)->extname, "dq_lineage") == 0;
	if (IsA(stmt, AlterExtensionStmt))
		return strcmp(((AlterExtensionStmt *) stmt)->extname, "dq_lineage") == 0;
	return false;
}

/* Wait (at most 5 s) for the delivery worker of dboid to leave. */
static void
wait_worker_gone(Oid dboid)
{
	for (int i = 0; i < 500; i++)
	{
		AwDb	   *e;
		pid_t		pid = 0;

		LWLockAcquire(dq_alert_dbs->lock, LW_SHARED);
		e = find_db(dboid);
		if (e != NULL)
			pid = e->worker_pid;
		LWLockRelease(dq_alert_dbs->lock);
		if (pid == 0 || BackendPidGetProc(pid) == NULL)
			return;
		CHECK_FOR_INTERRUPTS();
		pg_usleep(10000L);
	}
}

static void
aw_process_utility(PlannedStmt *pstmt, const char *queryString,
				   bool readOnlyTree, ProcessUtilityContext context,
				   ParamListInfo params, QueryEnvironment *queryEnv,
				   DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *stmt = pstmt->utilityStmt;
	Oid			dboid = InvalidOid;

	if (dq_alert_dbs != NULL)
	{
		dboid = database_needing_idle(stmt);
		if (stmt_installs_extension(stmt))
			DqAlertWakeAtCommit();
	}
	if (OidIsValid(dboid) && npaused < MAX_PAUSED)
	{
		/* resumed when the transaction ends: see aw_xact_callback */
		register_xact_callback();
		paused_dbs[npaused] = dboid;
		paused_forget[npaused] = IsA(stmt, DropdbStmt);
		npaused++;
		set_paused(dboid, true, false);
		wait_worker_gone(dboid);
	}
	if (prev_process_utility_hook)
		prev_process_utility_hook(pstmt, queryString, readOnlyTree, context,
								  params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

/* ----------------------------------------------------------------
 * Status (dq.alert_status)
 * ----------------------------------------------------------------
 */

void
DqAlertStatus(int *launcher_pid, int *worker_pid, const char **state)
{
	AwDb	   *e;

	*launcher_pid = *worker_pid = 0;
	if (dq_alert_dbs == NULL)
	{
		*state = "not preloaded";
		return;
	}
	LWLockAcquire(dq_alert_dbs->lock, LW_SHARED);
	*launcher_pid = dq_alert_dbs->launcher_pid;
	e = find_db(MyDatabaseId);
	if (e != NULL)
		*worker_pid = e->worker_pid;
	if (!dq_alert_delivery)
		*state = "disabled";
	else if (dq_alert_dbs->launcher_pid == 0)
		*state = "no launcher";
	else if (e != NULL && e->state == AW_PAUSED)
		*state = "paused";
	else if (e != NULL && e->worker_pid != 0)
		*state = "running";
	else
		*state = "starting";
	LWLockRelease(dq_alert_dbs->lock);
}

/* ----------------------------------------------------------------
 * The launcher
 * ----------------------------------------------------------------
 */

typedef struct LauncherSlot
{
	BackgroundWorkerHandle *handle;
	TimestampTz restart_after;
} LauncherSlot;

static LauncherSlot *slots;

static void
launcher_detach(int code, Datum arg)
{
	LWLockAcquire(dq_alert_dbs->lock, LW_EXCLUSIVE);
	if (dq_alert_dbs->launcher_pid == MyProcPid)
	{
		dq_alert_dbs->launcher_pid = 0;
		dq_alert_dbs->launcher_latch = NULL;
	}
	LWLockRelease(dq_alert_dbs->lock);
}

/* Add entries for new databases, free those of databases that are gone. */
static void
scan_databases(void)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	List	   *present = NIL;
	MemoryContext old;
	ListCell   *lc;

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

	LWLockAcquire(dq_alert_dbs->lock, LW_EXCLUSIVE);
	for (int i = 0; i < dq_alert_dbs->max_dbs; i++)
	{
		AwDb	   *e = &dq_alert_dbs->dbs[i];

		if (e->state == AW_FREE || list_member_oid(present, e->dboid))
			continue;
		if (slots[i].handle)
			TerminateBackgroundWorker(slots[i].handle);
		if (e->worker_pid == 0)
		{
			e->state = AW_FREE;
			if (slots[i].handle)
				pfree(slots[i].handle);
			slots[i].handle = NULL;
		}
	}
	foreach(lc, present)
	{
		if (DqAlertFindOrAddDb(lfirst_oid(lc)) == NULL)
		{
			ereport(WARNING,
					(errmsg("dq_lineage cannot deliver alerts in more than %d databases",
							dq_alert_dbs->max_dbs),
					 errhint("Raise dq_lineage.max_databases and restart the server.")));
			break;
		}
	}
	LWLockRelease(dq_alert_dbs->lock);
	list_free(present);
}

/* Start a delivery worker in dboid; the launcher's latch is set when it stops. */
static bool
start_worker(Oid dboid, BackgroundWorkerHandle **handle)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "dq_lineage", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "dq_alert_worker_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "dq_lineage alert worker", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "dq_lineage alert worker", BGW_MAXLEN);
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;
	return RegisterDynamicBackgroundWorker(&worker, handle);
}

/* Start, stop or restart workers as the table says; returns the wait in ms. */
static long
manage_workers(void)
{
	TimestampTz now = GetCurrentTimestamp();
	long		wait_ms = LAUNCHER_NAPTIME_MS;

	LWLockAcquire(dq_alert_dbs->lock, LW_EXCLUSIVE);
	for (int i = 0; i < dq_alert_dbs->max_dbs; i++)
	{
		AwDb	   *e = &dq_alert_dbs->dbs[i];
		LauncherSlot *slot = &slots[i];
		pid_t		pid;
		bool		alive = false;

		if (slot->handle != NULL)
		{
			BgwHandleStatus st = GetBackgroundWorkerPid(slot->handle, &pid);

			alive = (st == BGWH_STARTED || st == BGWH_NOT_YET_STARTED);
			if (!alive)
			{
				pfree(slot->handle);
				slot->handle = NULL;
				if (e->state == AW_WANTED)
					slot->restart_after = TimestampTzPlusMilliseconds(now, RESTART_DELAY_MS);
			}
		}
		if (e->state == AW_FREE)
			continue;
		if (e->state == AW_PAUSED && e->paused_until < now)
			e->state = AW_WANTED;

		if ((e->state != AW_WANTED || !dq_alert_delivery) && alive)
			TerminateBackgroundWorker(slot->handle);
		else if (e->state == AW_WANTED && dq_alert_delivery && !alive && e->worker_pid == 0)
		{
			if (slot->restart_after > now)
			{
				wait_ms = Min(wait_ms, (long) ((slot->restart_after - now) / 1000) + 1);
				continue;
			}
			if (!start_worker(e->dboid, &slot->handle))
			{
				slot->handle = NULL;
				slot->restart_after = TimestampTzPlusMilliseconds(now, LAUNCHER_NAPTIME_MS);
				ereport(WARNING,
						(errmsg("dq_lineage could not start an alert worker for database %u: no background worker slot is free",
								e->dboid),
						 errhint("Raise max_worker_processes.")));
			}
		}
	}
	LWLockRelease(dq_alert_dbs->lock);
	return wait_ms;
}

void
dq_alert_launcher_main(Datum main_arg)
{
	TimestampTz next_scan = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("dq_lineage alert launcher");

	slots = MemoryContextAllocZero(TopMemoryContext, sizeof(LauncherSlot) * dq_alert_dbs->max_dbs);
	LWLockAcquire(dq_alert_dbs->lock, LW_EXCLUSIVE);
	dq_alert_dbs->launcher_pid = MyProcPid;
	dq_alert_dbs->launcher_latch = MyLatch;
	/* a previous launcher's verdicts may be stale: probe every database */
	for (int i = 0; i < dq_alert_dbs->max_dbs; i++)
		if (dq_alert_dbs->dbs[i].state != AW_FREE && dq_alert_dbs->dbs[i].worker_pid == 0)
			dq_alert_dbs->dbs[i].state = AW_WANTED;
	LWLockRelease(dq_alert_dbs->lock);
	before_shmem_exit(launcher_detach, (Datum) 0);

	for (;;)
	{
		long		wait_ms;
		TimestampTz now;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		now = GetCurrentTimestamp();
		if (dq_alert_delivery && now >= next_scan)
		{
			scan_databases();
			next_scan = TimestampTzPlusMilliseconds(now, LAUNCHER_NAPTIME_MS);
		}
		wait_ms = manage_workers();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 wait_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ----------------------------------------------------------------
 * Library start
 * ----------------------------------------------------------------
 */

static void
DqAlertRegisterLauncher(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	strlcpy(worker.bgw_library_name, "dq_lineage", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "dq_alert_launcher_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "dq_lineage alert launcher", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "dq_lineage alert launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

void
DqAlertWorkerInit(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = aw_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = aw_shmem_startup;
	prev_process_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = aw_process_utility;
	if (!IsBinaryUpgrade)
		DqAlertRegisterLauncher();
}

/*
 * Called first in _PG_init: the settings, and with preloading the shared
 * memory, the ProcessUtility hook and the launcher.  Never raises an error.
 */
void
DqAlertInit(void)
{
	DqAlertDefineGucs();
	if (process_shared_preload_libraries_in_progress)
		DqAlertWorkerInit();
}
