/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  The shared tables of databases of the schedulers and of the alert
 *	  delivery workers.
 *
 * Two structures in shared memory, each a table of the databases a
 * launcher serves (a DqDbTable, base/db_table.c, where the locking rules
 * are written), sized at server start by dq_lineage.max_databases, each
 * with an LWLock of its own tranche:
 *	 - "dq_lineage databases" (tranche "dq_lineage databases"), the
 *	   schedulers' (sched/); the generation number of an entry is bumped
 *	   when dq.jobs of its database changes;
 *	 - "dq_lineage alerts" (tranche "dq_lineage_alerts"), the alert
 *	   delivery workers' (alert/).
 * The shared memory request also covers the progress slots of long
 * operations (base/progress.c).  The lineage subsystem keeps its counters
 * in a structure of its own (lineage_hook.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"

#include "base/guc.h"
#include "base/progress.h"
#include "base/shmem.h"

#define DQ_SHMEM_TRANCHE "dq_lineage databases"
#define DQ_ALERT_TRANCHE "dq_lineage_alerts"

static DqDbTable *dq_shmem = NULL;
static DqDbTable *dq_alert_shmem = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
DqShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(DqDbTableShmemSize(dq_max_databases));
	RequestNamedLWLockTranche(DQ_SHMEM_TRANCHE, 1);
	RequestAddinShmemSpace(DqDbTableShmemSize(dq_max_databases));
	RequestNamedLWLockTranche(DQ_ALERT_TRANCHE, 1);
	/* the progress slots of long operations (base/progress.c) */
	DqProgressShmemRequest();
}

/* The table called name, created with the lock of tranche if new. */
static DqDbTable *
DqShmemTable(const char *name, const char *tranche)
{
	bool		found;
	DqDbTable  *t = ShmemInitStruct(name, DqDbTableShmemSize(dq_max_databases),
									&found);

	if (!found)
		DqDbTableInit(t, &(GetNamedLWLockTranche(tranche))->lock,
					  dq_max_databases);
	return t;
}

static void
DqShmemStartup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	dq_shmem = NULL;
	dq_alert_shmem = NULL;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	dq_shmem = DqShmemTable("dq_lineage databases", DQ_SHMEM_TRANCHE);
	dq_alert_shmem = DqShmemTable("dq_lineage alerts", DQ_ALERT_TRANCHE);
	DqProgressShmemInit();
	LWLockRelease(AddinShmemInitLock);
}

/*
 * Install the shared memory hooks; called from _PG_init while the library
 * is preloaded.
 */
void
DqShmemInit(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = DqShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = DqShmemStartup;
}

/* False when the library was not preloaded (no workers, no table). */
bool
DqShmemAvailable(void)
{
	return dq_shmem != NULL;
}

/* The schedulers' table of databases; NULL without preloading. */
DqDbTable *
DqSchedTable(void)
{
	return dq_shmem;
}

/* The alert delivery workers' table of databases; NULL without preloading. */
DqDbTable *
DqAlertTable(void)
{
	return dq_alert_shmem;
}

/*
 * Is dboid paused by a DDL command (or are schedulers turned off)?  False
 * without preloading, and for a database the launcher does not know.
 */
bool
DqDatabasePaused(Oid dboid)
{
	if (dq_shmem == NULL)
		return false;
	return DqDbTablePaused(dq_shmem, dboid, !dq_scheduler_enabled);
}
