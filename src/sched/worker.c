/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  The launcher background worker and the shared table of databases.
 *
 * The launcher connects to no database; it reads the shared catalog
 * pg_database every few seconds (and whenever woken) and starts a
 * scheduler worker in each database that allows connections and is not a
 * template.  A scheduler that finds no dq_lineage extension marks its
 * database ABSENT and exits; CREATE EXTENSION (through dq.start_scheduler()
 * in the install script) marks it WANTED again at commit and wakes the
 * launcher.  A scheduler that dies is restarted after a second.
 *
 * Commands that need a database without other sessions (DROP DATABASE,
 * ALTER DATABASE ... RENAME / SET TABLESPACE, CREATE DATABASE ... TEMPLATE)
 * mark it PAUSED through a ProcessUtility hook: the launcher stops its
 * scheduler and does not restart it until the command is over.
 *
 * The launcher exits with code 1 on SIGTERM so that the postmaster
 * restarts it (pg_terminate_backend must not remove it for good).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "base/catalog.h"
#include "cdc/cdc_worker.h"
#include "base/guc.h"
#include "base/progress.h"
#include "sched/worker.h"

/* How often the launcher re-reads pg_database without being woken. */
#define LAUNCHER_NAPTIME_MS 10000
/* Delay before a scheduler that died is started again. */
#define RESTART_DELAY_MS 1000
/* Longest a DDL command keeps its database paused. */
#define PAUSE_MAX_MS 60000

typedef struct DqWorkerShmem
{
	LWLock	   *lock;
	pid_t		launcher_pid;
	Latch	   *launcher_latch;
	int			max_dbs;
	DqDbEntry	dbs[FLEXIBLE_ARRAY_MEMBER];
} DqWorkerShmem;

static DqWorkerShmem *dq_shmem = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static ProcessUtility_hook_type prev_process_utility_hook = NULL;

static Size
dq_shmem_size(void)
{
	return add_size(offsetof(DqWorkerShmem, dbs),
					mul_size(sizeof(DqDbEntry), dq_max_databases));
}

static void
dq_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(dq_shmem_size());
	RequestNamedLWLockTranche("dq_lineage", 1);
	DqProgressShmemRequest();
}

static void
dq_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	dq_shmem = NULL;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	dq_shmem = ShmemInitStruct("dq_lineage workers", dq_shmem_size(), &found);
	if (!found)
	{
		memset(dq_shmem, 0, dq_shmem_size());
		dq_shmem->lock = &(GetNamedLWLockTranche("dq_lineage"))->lock;
		dq_shmem->max_dbs = dq_max_databases;
	}
	DqProgressShmemInit();
	LWLockRelease(AddinShmemInitLock);
}

bool
DqWorkersAvailable(void)
{
	return dq_shmem != NULL;
}

/* Entry of a database; caller holds the lock. */
static DqDbEntry *
find_entry(Oid dboid)
{
	for (int i = 0; i < dq_shmem->max_dbs; i++)
		if (dq_shmem->dbs[i].state != DQ_DB_FREE && dq_shmem->dbs[i].dboid == dboid)
			return &dq_shmem->dbs[i];
	return NULL;
}

/* Entry of a database, created WANTED if missing; caller holds the lock exclusively. */
static DqDbEntry *
find_or_add_entry(Oid dboid)
{
	DqDbEntry  *entry = find_entry(dboid);

	if (entry != NULL)
		return entry;
	for (int i = 0; i < dq_shmem->max_dbs; i++)
		if (dq_shmem->dbs[i].state == DQ_DB_FREE)
		{
			entry = &dq_shmem->dbs[i];
			memset(entry, 0, sizeof(*entry));
			entry->dboid = dboid;
			entry->state = DQ_DB_WANTED;
			return entry;
		}
	return NULL;
}

static void
wake_launcher(void)
{
	if (dq_shmem->launcher_latch)
		SetLatch(dq_shmem->launcher_latch);
}

/*
 * Register a dynamic worker of this library that connects to dboid.
 * The caller's latch is set when it starts and stops.
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

/* ----------------------------------------------------------------
 * Scheduler side
 * ----------------------------------------------------------------
 */

DqDbEntry *
DqAttachScheduler(Oid dboid)
{
	DqDbEntry  *entry;

	LWLockAcquire(dq_shmem->lock, LW_EXCLUSIVE);
	entry = find_or_add_entry(dboid);
	/* never two schedulers in one database (a launcher restarted meanwhile) */
	if (entry != NULL && entry->scheduler_pid != 0 &&
		BackendPidGetProc(entry->scheduler_pid) != NULL)
		entry = NULL;
	else if (entry != NULL)
	{
		entry->scheduler_pid = MyProcPid;
		entry->scheduler_latch = MyLatch;
	}
	LWLockRelease(dq_shmem->lock);
	return entry;
}

void
DqDetachScheduler(DqDbEntry *entry, bool extension_absent)
{
	LWLockAcquire(dq_shmem->lock, LW_EXCLUSIVE);
	if (entry->scheduler_pid == MyProcPid)
	{
		entry->scheduler_pid = 0;
		entry->scheduler_latch = NULL;
		if (extension_absent && entry->state == DQ_DB_WANTED)
			entry->state = DQ_DB_ABSENT;
	}
	LWLockRelease(dq_shmem->lock);
	wake_launcher();
}

uint32
DqJobsGeneration(DqDbEntry *entry)
{
	uint32		gen;

	LWLockAcquire(dq_shmem->lock, LW_SHARED);
	gen = entry->jobs_generation;
	LWLockRelease(dq_shmem->lock);
	return gen;
}

bool
DqDatabasePaused(Oid dboid)
{
	DqDbEntry  *entry;
	bool		paused = false;

	if (dq_shmem == NULL)
		return false;
	LWLockAcquire(dq_shmem->lock, LW_SHARED);
	entry = find_entry(dboid);
	if (entry != NULL)
		paused = entry->state == DQ_DB_PAUSED || !dq_scheduler_enabled;
	LWLockRelease(dq_shmem->lock);
	return paused;
}

/* ----------------------------------------------------------------
 * Backend side: wake this database's scheduler when the transaction commits
 * ----------------------------------------------------------------
 */

static bool xact_callback_registered = false;
static bool wake_pending = false;

/* Databases this transaction paused; resumed when it ends. */
#define MAX_PAUSED 8
static Oid	paused_dbs[MAX_PAUSED];
static bool paused_forget[MAX_PAUSED];	/* dropped if the transaction commits */
static int	npaused = 0;

static void set_paused(Oid dboid, bool paused, bool forget);

static void
resume_paused(bool committed)
{
	for (int i = 0; i < npaused; i++)
		set_paused(paused_dbs[i], false, committed && paused_forget[i]);
	npaused = 0;
}

static void
dq_xact_callback(XactEvent event, void *arg)
{
	if (npaused > 0 &&
		(event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		 event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT))
		resume_paused(event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT);
	if (!wake_pending)
		return;
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
	{
		DqDbEntry  *entry;

		LWLockAcquire(dq_shmem->lock, LW_EXCLUSIVE);
		entry = find_or_add_entry(MyDatabaseId);
		if (entry != NULL)
		{
			entry->jobs_generation++;
			if (entry->state == DQ_DB_ABSENT)
				entry->state = DQ_DB_WANTED;
			if (entry->scheduler_latch)
				SetLatch(entry->scheduler_latch);
		}
		LWLockRelease(dq_shmem->lock);
		wake_launcher();
		wake_pending = false;
	}
	else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		wake_pending = false;
}

static void
register_xact_callback(void)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(dq_xact_callback, NULL);
		xact_callback_registered = true;
	}
}

void
DqWakeSchedulerAtCommit(void)
{
	if (dq_shmem == NULL)
		return;
	register_xact_callback();
	wake_pending = true;
}

/* ----------------------------------------------------------------
 * Pausing a database for DDL that needs it idle
 * ----------------------------------------------------------------
 */

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
			/* DROP EXTENSION dq_lineage: no scheduler may act meanwhile */
			if (DqStmtDropsExtension(stmt))
				return MyDatabaseId;
			break;
		default:
			break;
	}
	return name ? get_database_oid(name, true) : InvalidOid;
}

static void
set_paused(Oid dboid, bool paused, bool forget)
{
	DqDbEntry  *entry;

	LWLockAcquire(dq_shmem->lock, LW_EXCLUSIVE);
	entry = find_entry(dboid);
	if (entry != NULL)
	{
		if (paused)
		{
			entry->state = DQ_DB_PAUSED;
			entry->paused_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
															  PAUSE_MAX_MS);
			if (entry->scheduler_latch)
				SetLatch(entry->scheduler_latch);
		}
		else if (forget && entry->scheduler_pid == 0)
			entry->state = DQ_DB_FREE;
		else if (entry->state == DQ_DB_PAUSED)
			entry->state = DQ_DB_WANTED;
	}
	LWLockRelease(dq_shmem->lock);
	wake_launcher();
}

/* Wait (at most 5 s) for the scheduler of dboid to leave. */
static void
wait_scheduler_gone(Oid dboid)
{
	for (int i = 0; i < 500; i++)
	{
		DqDbEntry  *entry;
		pid_t		pid = 0;

		LWLockAcquire(dq_shmem->lock, LW_SHARED);
		entry = find_entry(dboid);
		if (entry != NULL)
			pid = entry->scheduler_pid;
		LWLockRelease(dq_shmem->lock);
		if (pid == 0)
			return;
		CHECK_FOR_INTERRUPTS();
		pg_usleep(10000L);
	}
}

static void
dq_process_utility(PlannedStmt *pstmt, const char *queryString,
				   bool readOnlyTree, ProcessUtilityContext context,
				   ParamListInfo params, QueryEnvironment *queryEnv,
				   DestReceiver *dest, QueryCompletion *qc)
{
	Oid			dboid = InvalidOid;

	if (dq_shmem != NULL)
		dboid = database_needing_idle(pstmt->utilityStmt);
	if (OidIsValid(dboid) && npaused < MAX_PAUSED)
	{
		/* resumed when the transaction ends: see dq_xact_callback */
		register_xact_callback();
		paused_dbs[npaused] = dboid;
		paused_forget[npaused] = IsA(pstmt->utilityStmt, DropdbStmt);
		npaused++;
		set_paused(dboid, true, false);
		wait_scheduler_gone(dboid);
	}
	/* with no scheduler left to restart it: stop change validation, drop its slot */
	if (dq_shmem != NULL)
		DqCdcBeforeUtility(pstmt->utilityStmt);
	if (prev_process_utility_hook)
		prev_process_utility_hook(pstmt, queryString, readOnlyTree, context,
								  params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
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

static LauncherSlot *launcher_slots;

static void
launcher_detach(int code, Datum arg)
{
	LWLockAcquire(dq_shmem->lock, LW_EXCLUSIVE);
	if (dq_shmem->launcher_pid == MyProcPid)
	{
		dq_shmem->launcher_pid = 0;
		dq_shmem->launcher_latch = NULL;
	}
	LWLockRelease(dq_shmem->lock);
}

/* Add entries for new databases, drop entries of databases that are gone. */
static void
scan_databases(void)
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

		if (!db->datallowconn || db->datistemplate)
			continue;
		if (db->datconnlimit == -2)	/* DATCONNLIMIT_INVALID_DB: half-dropped */
			continue;
		/* the list outlives the transaction */
		old = MemoryContextSwitchTo(TopMemoryContext);
		present = lappend_oid(present, db->oid);
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	PopActiveSnapshot();
	CommitTransactionCommand();

	LWLockAcquire(dq_shmem->lock, LW_EXCLUSIVE);
	for (int i = 0; i < dq_shmem->max_dbs; i++)
	{
		DqDbEntry  *e = &dq_shmem->dbs[i];

		if (e->state != DQ_DB_FREE && !list_member_oid(present, e->dboid))
		{
			if (launcher_slots[i].handle)
				TerminateBackgroundWorker(launcher_slots[i].handle);
			if (e->scheduler_pid == 0)
			{
				e->state = DQ_DB_FREE;
				if (launcher_slots[i].handle)
					pfree(launcher_slots[i].handle);
				launcher_slots[i].handle = NULL;
			}
		}
	}
	{
		ListCell   *lc;

		foreach(lc, present)
		{
			if (find_or_add_entry(lfirst_oid(lc)) == NULL)
			{
				ereport(WARNING,
						(errmsg("dq_lineage cannot serve more than %d databases",
								dq_shmem->max_dbs),
						 errhint("Raise dq_lineage.max_databases and restart the server.")));
				break;
			}
		}
	}
	LWLockRelease(dq_shmem->lock);
	list_free(present);
}

/* Start, stop or restart schedulers as the table says; returns the wait in ms. */
static long
manage_schedulers(void)
{
	TimestampTz now = GetCurrentTimestamp();
	long		wait_ms = LAUNCHER_NAPTIME_MS;

	LWLockAcquire(dq_shmem->lock, LW_EXCLUSIVE);
	for (int i = 0; i < dq_shmem->max_dbs; i++)
	{
		DqDbEntry  *e = &dq_shmem->dbs[i];
		LauncherSlot *slot = &launcher_slots[i];
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
				if (e->state == DQ_DB_WANTED)
					slot->restart_after = TimestampTzPlusMilliseconds(now, RESTART_DELAY_MS);
			}
		}
		if (e->state == DQ_DB_FREE)
			continue;
		if (e->state == DQ_DB_PAUSED && e->paused_until < now)
			e->state = DQ_DB_WANTED;

		if ((e->state != DQ_DB_WANTED || !dq_scheduler_enabled) && alive)
			TerminateBackgroundWorker(slot->handle);
		else if (e->state == DQ_DB_WANTED && dq_scheduler_enabled && !alive &&
				 e->scheduler_pid == 0)
		{
			if (slot->restart_after > now)
			{
				long		ms = (long) ((slot->restart_after - now) / 1000) + 1;

				wait_ms = Min(wait_ms, ms);
				continue;
			}
			if (!DqStartWorker("dq_scheduler_main", "dq_lineage scheduler",
							   e->dboid, NULL, 0, &slot->handle))
			{
				slot->handle = NULL;
				slot->restart_after = TimestampTzPlusMilliseconds(now, LAUNCHER_NAPTIME_MS);
				ereport(WARNING,
						(errmsg("dq_lineage could not start a scheduler for database %u: no background worker slot is free",
								e->dboid),
						 errhint("Raise max_worker_processes.")));
			}
		}
	}
	LWLockRelease(dq_shmem->lock);
	return wait_ms;
}

void
dq_launcher_main(Datum main_arg)
{
	TimestampTz next_scan = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/* Shared catalogs only. */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("dq_lineage launcher");

	launcher_slots = MemoryContextAllocZero(TopMemoryContext,
											sizeof(LauncherSlot) * dq_shmem->max_dbs);
	LWLockAcquire(dq_shmem->lock, LW_EXCLUSIVE);
	dq_shmem->launcher_pid = MyProcPid;
	dq_shmem->launcher_latch = MyLatch;
	/* schedulers of a previous launcher are not ours to watch: forget them */
	for (int i = 0; i < dq_shmem->max_dbs; i++)
		if (dq_shmem->dbs[i].state != DQ_DB_FREE && dq_shmem->dbs[i].scheduler_pid == 0)
			dq_shmem->dbs[i].state = DQ_DB_WANTED;
	LWLockRelease(dq_shmem->lock);
	before_shmem_exit(launcher_detach, (Datum) 0);

	ereport(LOG, (errmsg("dq_lineage launcher started")));

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
		if (dq_scheduler_enabled && now >= next_scan)
		{
			scan_databases();
			next_scan = TimestampTzPlusMilliseconds(now, LAUNCHER_NAPTIME_MS);
		}
		wait_ms = manage_schedulers();
		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 wait_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * dq.start_scheduler(): ask the launcher to start this database's
 * scheduler when the current transaction commits (CREATE EXTENSION calls
 * it).  Returns false when the library is not preloaded.
 */
PG_FUNCTION_INFO_V1(dq_start_scheduler);
Datum
dq_start_scheduler(PG_FUNCTION_ARGS)
{
	if (dq_shmem == NULL)
		PG_RETURN_BOOL(false);
	DqWakeSchedulerAtCommit();
	PG_RETURN_BOOL(true);
}

/*
 * dq.scheduler_status(): the launcher's and this database's scheduler's
 * process ids and state.
 */
PG_FUNCTION_INFO_V1(dq_scheduler_status);
Datum
dq_scheduler_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	const char *state = "not preloaded";

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	nulls[0] = nulls[1] = true;
	if (dq_shmem != NULL)
	{
		DqDbEntry  *entry;

		LWLockAcquire(dq_shmem->lock, LW_SHARED);
		if (dq_shmem->launcher_pid != 0)
		{
			values[0] = Int32GetDatum(dq_shmem->launcher_pid);
			nulls[0] = false;
		}
		entry = find_entry(MyDatabaseId);
		if (entry != NULL && entry->scheduler_pid != 0)
		{
			values[1] = Int32GetDatum(entry->scheduler_pid);
			nulls[1] = false;
		}
		if (!dq_scheduler_enabled)
			state = "disabled";
		else if (dq_shmem->launcher_pid == 0)
			state = "no launcher";
		else if (entry == NULL)
			state = "not started";
		else if (entry->state == DQ_DB_PAUSED)
			state = "paused";
		else if (entry->scheduler_pid != 0)
			state = "running";
		else
			state = "starting";
		LWLockRelease(dq_shmem->lock);
	}
	values[2] = CStringGetTextDatum(state);
	values[3] = BoolGetDatum(dq_scheduler_enabled);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * Called from _PG_init while the library is preloaded: shared memory,
 * the ProcessUtility hook and the launcher.
 */
void
DqWorkerInit(void)
{
	BackgroundWorker worker;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = dq_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = dq_shmem_startup;
	prev_process_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = dq_process_utility;

	if (IsBinaryUpgrade)
		return;
	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	strlcpy(worker.bgw_library_name, "dq_lineage", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "dq_launcher_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "dq_lineage launcher", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "dq_lineage launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}
