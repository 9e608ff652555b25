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
 * dq_lineage commits (the library's utility hook calls
 * DqAlertWakeAtCommit).  A worker that
 * stops is started again a second later.  This is the subsystem's whole
 * integration: it needs nothing from the scheduler.
 *
 * The launcher's loop and its table of databases are those of the
 * scheduler's launcher (base/db_table.c, where the locking rules are);
 * the table (state, worker pid and latch of each database) is one of the
 * structures of base/shmem.c, with an LWLock of its own tranche.
 *
 * Commands that need a database without sessions (DROP DATABASE, ALTER
 * DATABASE RENAME / SET TABLESPACE, CREATE DATABASE ... TEMPLATE) and
 * DROP EXTENSION dq_lineage mark it paused until their transaction ends,
 * when their permission checks would pass (the library's utility hook,
 * utility_hook.c, calls DqAlertPauseForCommand): its worker leaves at
 * once and is not restarted meanwhile.
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
#include "base/bgworker.h"
#include "base/catalog.h"
#include "base/db_table.h"
#include "base/guc.h"
#include "base/shmem.h"
#include "base/subxact.h"
#include "base/trust.h"



/* ----------------------------------------------------------------
 * Backends: wake the worker at commit; pause databases for DDL
 * ----------------------------------------------------------------
 */

static DqDbPending pending;

/*
 * Wake this database's delivery worker (starting it if needed) when the
 * current transaction commits.  Nothing happens without preloading.
 */
void
DqAlertWakeAtCommit(void)
{
	if (DqAlertTable() != NULL && !IsBinaryUpgrade)
		DqDbTableWakeAtCommit(DqAlertTable(), &pending);
}

/*
 * Called by the library's utility hook once a command's permission checks
 * would pass: dboid is a database the command needs without sessions.  Its
 * delivery worker leaves, and is not started again until the transaction
 * ends; forget: the command drops the database.  Nothing happens without
 * preloading.
 */
void
DqAlertPauseForCommand(Oid dboid, bool forget)
{
	if (DqAlertTable() != NULL)
		DqDbTablePauseForCommand(DqAlertTable(), &pending, dboid, forget);
}

/* ----------------------------------------------------------------
 * Status (dq.alert_status)
 * ----------------------------------------------------------------
 */

void
DqAlertStatus(int *launcher_pid, int *worker_pid, const char **state)
{
	DqDbTable  *t = DqAlertTable();
	DqDbEntry  *e;

	*launcher_pid = *worker_pid = 0;
	if (t == NULL)
	{
		*state = "not preloaded";
		return;
	}
	LWLockAcquire(t->lock, LW_SHARED);
	*launcher_pid = t->launcher_pid;
	e = DqDbTableFind(t, MyDatabaseId);
	if (e != NULL)
		*worker_pid = e->worker_pid;
	if (!dq_alert_delivery)
		*state = "disabled";
	else if (t->launcher_pid == 0)
		*state = "no launcher";
	else if (e != NULL && e->state == DQ_DB_PAUSED)
		*state = "paused";
	else if (e != NULL && e->worker_pid != 0)
		*state = "running";
	else
		*state = "starting";
	LWLockRelease(t->lock);
}

/* ----------------------------------------------------------------
 * Library start
 * ----------------------------------------------------------------
 */

/*
 * Called first in _PG_init: the settings, and with preloading the
 * launcher (its table of databases is in base/shmem.c).  Never raises an
 * error.
 */
void
DqAlertInit(void)
{
	DqAlertDefineGucs();
	if (process_shared_preload_libraries_in_progress)
		DqRegisterLauncher("dq_lineage alert launcher", "dq_alert_worker_main",
						   "dq_lineage alert worker", "an alert worker",
						   "deliver alerts in", &dq_alert_delivery,
						   DqAlertTable);
}
