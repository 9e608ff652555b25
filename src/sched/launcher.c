/*-------------------------------------------------------------------------
 *
 * launcher.c
 *	  The launcher background worker, and what backends tell it.
 *
 * The launcher connects to no database; it reads the shared catalog
 * pg_database every few seconds (and whenever woken) and starts a
 * scheduler worker in each database that allows connections and is not a
 * template.  A scheduler that finds no dq_lineage extension marks its
 * database ABSENT and exits; CREATE EXTENSION (through dq.start_scheduler()
 * in the install script) marks it WANTED again at commit and wakes the
 * launcher.  A scheduler that dies is restarted after a second.  The
 * table of databases it keeps is in shared memory (base/shmem.c, where the
 * locking rules are).
 *
 * Commands that need a database without other sessions (DROP DATABASE,
 * ALTER DATABASE ... RENAME / SET TABLESPACE, CREATE DATABASE ... TEMPLATE,
 * DROP EXTENSION dq_lineage) mark it PAUSED: the library's ProcessUtility
 * hook (utility_hook.c) calls DqSchedPauseForCommand once the command's
 * permission checks would pass; the launcher stops the database's
 * scheduler and does not restart it until the command's transaction is
 * over.
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
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "base/bgworker.h"
#include "base/guc.h"
#include "base/shmem.h"
#include "base/trust.h"
#include "sched/worker.h"

/* How often the launcher re-reads pg_database without being woken. */
#define LAUNCHER_NAPTIME_MS 10000
/* Delay before a scheduler that died is started again. */
#define RESTART_DELAY_MS 1000
/* Longest a DDL command keeps its database paused. */
#define PAUSE_MAX_MS 60000
/* Longest a DDL command waits for the scheduler to leave. */
#define PAUSE_WAIT_MS 5000

/* ----------------------------------------------------------------
 * Backend side: act when the current transaction ends
 * ----------------------------------------------------------------
 */

static bool xact_callback_registered = false;
static bool wake_pending = false;

/* Databases this transaction paused; resumed when it ends. */
#define MAX_PAUSED 8
static Oid	paused_dbs[MAX_PAUSED];
static bool paused_forget[MAX_PAUSED];	/* dropped if the transaction commits */
static int	npaused = 0;

static void
resume_paused(bool committed)
{
	for (int i = 0; i < npaused; i++)
		DqSetDatabasePaused(paused_dbs[i], false, committed && paused_forget[i], 0);
	npaused = 0;
}

static void
dq_sched_xact_callback(XactEvent event, void *arg)
{
	bool		commit = (event == XACT_EVENT_COMMIT ||
						  event == XACT_EVENT_PARALLEL_COMMIT);
	bool		abort = (event == XACT_EVENT_ABORT ||
						 event == XACT_EVENT_PARALLEL_ABORT);

	if (!commit && !abort)
		return;
	if (npaused > 0)
		resume_paused(commit);
	if (wake_pending && commit)
		DqNoteJobsChanged(MyDatabaseId);
	wake_pending = false;
}

static void
register_xact_callback(void)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(dq_sched_xact_callback, NULL);
		xact_callback_registered = true;
	}
}

/*
 * Called from SQL functions that changed dq.jobs: wake this database's
 * scheduler (and the launcher) when the transaction commits.
 */
void
DqWakeSchedulerAtCommit(void)
{
	if (!DqShmemAvailable())
		return;
	register_xact_callback();
	wake_pending = true;
}

/*
 * A command that needs database dboid idle is about to run, and its
 * permission checks pass: pause the database until the transaction ends
 * and wait (a few seconds at most) for its scheduler to leave.  forget:
 * the command drops the database, so its entry goes when it commits.
 */
void
DqSchedPauseForCommand(Oid dboid, bool forget)
{
	if (!DqShmemAvailable() || !OidIsValid(dboid) || npaused >= MAX_PAUSED)
		return;
	register_xact_callback();
	paused_dbs[npaused] = dboid;
	paused_forget[npaused] = forget;
	npaused++;
	DqSetDatabasePaused(dboid, true, false, PAUSE_MAX_MS);
	DqWaitSchedulerGone(dboid, PAUSE_WAIT_MS);
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
	DqLauncherDetach();
}

/* Add entries for new databases, drop entries of databases that are gone. */
static void
scan_databases(void)
{
	List	   *present = DqConnectableDatabases();
	ListCell   *lc;

	DqDbTableLock(LW_EXCLUSIVE);
	for (int i = 0; i < DqDbTableSize(); i++)
	{
		DqDbEntry  *e = DqDbTableEntry(i);

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
	foreach(lc, present)
	{
		if (DqDbFindOrAdd(lfirst_oid(lc)) == NULL)
		{
			ereport(WARNING,
					(errmsg("dq_lineage cannot serve more than %d databases",
							DqDbTableSize()),
					 errhint("Raise dq_lineage.max_databases and restart the server.")));
			break;
		}
	}
	DqDbTableUnlock();
	list_free(present);
}

/* Start, stop or restart schedulers as the table says; returns the wait in ms. */
static long
manage_schedulers(void)
{
	TimestampTz now = GetCurrentTimestamp();
	long		wait_ms = LAUNCHER_NAPTIME_MS;

	DqDbTableLock(LW_EXCLUSIVE);
	for (int i = 0; i < DqDbTableSize(); i++)
	{
		DqDbEntry  *e = DqDbTableEntry(i);
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
	DqDbTableUnlock();
	return wait_ms;
}

void
dq_launcher_main(Datum main_arg)
{
	TimestampTz next_scan = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/* Shared catalogs only; it runs no SQL, but the rule holds anyway. */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	DqPinWorkerSession();
	pgstat_report_appname("dq_lineage launcher");

	launcher_slots = MemoryContextAllocZero(TopMemoryContext,
											sizeof(LauncherSlot) * DqDbTableSize());
	/* schedulers of a previous launcher are not ours to watch: forget them */
	DqLauncherAttach();
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
	if (!DqShmemAvailable())
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
	if (DqShmemAvailable())
	{
		pid_t		launcher = DqLauncherPid();
		DqDbEntry  *entry;

		if (launcher != 0)
		{
			values[0] = Int32GetDatum(launcher);
			nulls[0] = false;
		}
		DqDbTableLock(LW_SHARED);
		entry = DqDbFind(MyDatabaseId);
		if (entry != NULL && entry->scheduler_pid != 0)
		{
			values[1] = Int32GetDatum(entry->scheduler_pid);
			nulls[1] = false;
		}
		if (!dq_scheduler_enabled)
			state = "disabled";
		else if (launcher == 0)
			state = "no launcher";
		else if (entry == NULL)
			state = "not started";
		else if (entry->state == DQ_DB_PAUSED)
			state = "paused";
		else if (entry->scheduler_pid != 0)
			state = "running";
		else
			state = "starting";
		DqDbTableUnlock();
	}
	values[2] = CStringGetTextDatum(state);
	values[3] = BoolGetDatum(dq_scheduler_enabled);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * Called from _PG_init while the library is preloaded: register the
 * launcher (not in binary upgrade mode).
 */
void
DqSchedInit(void)
{
	BackgroundWorker worker;

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
