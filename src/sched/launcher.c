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
 * launcher's loop and its table of databases in shared memory are those
 * of the alert launcher too (base/db_table.c, where the locking rules
 * are); base/shmem.c holds the schedulers' table.
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
#include "base/db_table.h"
#include "base/guc.h"
#include "base/shmem.h"
#include "base/trust.h"
#include "sched/worker.h"

/* ----------------------------------------------------------------
 * Backend side: act when the current transaction ends
 * ----------------------------------------------------------------
 */

static DqDbPending pending;

/*
 * Called from SQL functions that changed dq.jobs: wake this database's
 * scheduler (and the launcher) when the transaction commits.
 */
void
DqWakeSchedulerAtCommit(void)
{
	if (DqShmemAvailable())
		DqDbTableWakeAtCommit(DqSchedTable(), &pending);
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
	if (DqShmemAvailable())
		DqDbTablePauseForCommand(DqSchedTable(), &pending, dboid, forget);
}

/* ----------------------------------------------------------------
 * SQL functions and library start
 * ----------------------------------------------------------------
 */

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
		DqDbTable  *t = DqSchedTable();
		pid_t		launcher = DqDbTableLauncherPid(t);
		DqDbEntry  *entry;

		if (launcher != 0)
		{
			values[0] = Int32GetDatum(launcher);
			nulls[0] = false;
		}
		LWLockAcquire(t->lock, LW_SHARED);
		entry = DqDbTableFind(t, MyDatabaseId);
		if (entry != NULL && entry->worker_pid != 0)
		{
			values[1] = Int32GetDatum(entry->worker_pid);
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
		else if (entry->worker_pid != 0)
			state = "running";
		else
			state = "starting";
		LWLockRelease(t->lock);
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
	DqRegisterLauncher("dq_lineage launcher", "dq_scheduler_main",
					   "dq_lineage scheduler", "a scheduler", "serve",
					   &dq_scheduler_enabled, DqSchedTable);
}
