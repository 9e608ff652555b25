/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  The shared table of databases of the background workers.
 *
 * One structure in shared memory, "dq_lineage databases", sized at server
 * start by dq_lineage.max_databases: the launcher's process id and latch,
 * and one entry per database the launcher serves (its state, its
 * scheduler's process id and latch, a generation number that dq.schedule
 * and friends bump, and how long a DDL command keeps it paused).
 *
 * Locking.  One LWLock, of its own tranche "dq_lineage databases",
 * guards every field of the structure:
 *	 - to read the launcher's fields or an entry, hold it at least shared;
 *	 - to add or free an entry, or to change any field, hold it exclusive;
 *	 - entries are found by database OID with a linear scan (the table is
 *	   small), under the lock; a pointer to an entry stays valid after the
 *	   lock is released (entries never move), but its fields may change.
 * Setting a latch whose pointer was read under the lock is done under the
 * lock as well, so that the process owning it cannot have detached (and
 * its PGPROC been reused) in between.  No other lock is taken while this
 * one is held, except the postmaster's background worker slots
 * (TerminateBackgroundWorker), which take no LWLock.
 *
 * Nothing here survives a restart: the launcher rebuilds the table from
 * pg_database when it starts.  After a crash the postmaster reinitialises
 * shared memory and restarts every process, so the table starts empty.
 *
 * The lineage subsystem keeps its counters in its own shared structure,
 * with its own tranche (lineage_hook.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "base/guc.h"
#include "base/progress.h"
#include "base/shmem.h"

#define DQ_SHMEM_TRANCHE "dq_lineage databases"

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

static Size
DqShmemSize(void)
{
	return add_size(offsetof(DqWorkerShmem, dbs),
					mul_size(sizeof(DqDbEntry), dq_max_databases));
}

static void
DqShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(DqShmemSize());
	RequestNamedLWLockTranche(DQ_SHMEM_TRANCHE, 1);
	/* the progress slots of long operations (base/progress.c) */
	DqProgressShmemRequest();
}

static void
DqShmemStartup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	dq_shmem = NULL;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	dq_shmem = ShmemInitStruct("dq_lineage databases", DqShmemSize(), &found);
	if (!found)
	{
		memset(dq_shmem, 0, DqShmemSize());
		dq_shmem->lock = &(GetNamedLWLockTranche(DQ_SHMEM_TRANCHE))->lock;
		dq_shmem->max_dbs = dq_max_databases;
	}
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

void
DqDbTableLock(LWLockMode mode)
{
	LWLockAcquire(dq_shmem->lock, mode);
}

void
DqDbTableUnlock(void)
{
	LWLockRelease(dq_shmem->lock);
}

int
DqDbTableSize(void)
{
	return dq_shmem->max_dbs;
}

/* Entry number i, used or not; the caller holds the lock. */
DqDbEntry *
DqDbTableEntry(int i)
{
	Assert(i >= 0 && i < dq_shmem->max_dbs);
	return &dq_shmem->dbs[i];
}

/* Entry of a database, or NULL; the caller holds the lock. */
DqDbEntry *
DqDbFind(Oid dboid)
{
	for (int i = 0; i < dq_shmem->max_dbs; i++)
		if (dq_shmem->dbs[i].state != DQ_DB_FREE && dq_shmem->dbs[i].dboid == dboid)
			return &dq_shmem->dbs[i];
	return NULL;
}

/*
 * Entry of a database, created WANTED if missing; NULL when the table is
 * full.  The caller holds the lock exclusively.
 */
DqDbEntry *
DqDbFindOrAdd(Oid dboid)
{
	DqDbEntry  *entry = DqDbFind(dboid);

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

/* ----------------------------------------------------------------
 * The launcher
 * ----------------------------------------------------------------
 */

/*
 * The calling process is the launcher.  Entries left by a previous
 * launcher whose scheduler is gone are probed again.
 */
void
DqLauncherAttach(void)
{
	LWLockAcquire(dq_shmem->lock, LW_EXCLUSIVE);
	dq_shmem->launcher_pid = MyProcPid;
	dq_shmem->launcher_latch = MyLatch;
	for (int i = 0; i < dq_shmem->max_dbs; i++)
		if (dq_shmem->dbs[i].state != DQ_DB_FREE && dq_shmem->dbs[i].scheduler_pid == 0)
			dq_shmem->dbs[i].state = DQ_DB_WANTED;
	LWLockRelease(dq_shmem->lock);
}

void
DqLauncherDetach(void)
{
	LWLockAcquire(dq_shmem->lock, LW_EXCLUSIVE);
	if (dq_shmem->launcher_pid == MyProcPid)
	{
		dq_shmem->launcher_pid = 0;
		dq_shmem->launcher_latch = NULL;
	}
	LWLockRelease(dq_shmem->lock);
}

pid_t
DqLauncherPid(void)
{
	pid_t		pid;

	LWLockAcquire(dq_shmem->lock, LW_SHARED);
	pid = dq_shmem->launcher_pid;
	LWLockRelease(dq_shmem->lock);
	return pid;
}

void
DqWakeLauncher(void)
{
	LWLockAcquire(dq_shmem->lock, LW_SHARED);
	if (dq_shmem->launcher_latch)
		SetLatch(dq_shmem->launcher_latch);
	LWLockRelease(dq_shmem->lock);
}

/* ----------------------------------------------------------------
 * A database's scheduler
 * ----------------------------------------------------------------
 */

/*
 * The calling process becomes the scheduler of dboid; NULL when another
 * live scheduler already is (a launcher restarted meanwhile) or the table
 * is full.
 */
DqDbEntry *
DqAttachScheduler(Oid dboid)
{
	DqDbEntry  *entry;

	LWLockAcquire(dq_shmem->lock, LW_EXCLUSIVE);
	entry = DqDbFindOrAdd(dboid);
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

/* The scheduler leaves; extension_absent marks the database ABSENT. */
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
	DqWakeLauncher();
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

/*
 * dq.jobs of dboid changed (or the extension was created there): bump the
 * generation, mark the database WANTED if it was ABSENT, wake its
 * scheduler and the launcher.
 */
void
DqNoteJobsChanged(Oid dboid)
{
	DqDbEntry  *entry;

	LWLockAcquire(dq_shmem->lock, LW_EXCLUSIVE);
	entry = DqDbFindOrAdd(dboid);
	if (entry != NULL)
	{
		entry->jobs_generation++;
		if (entry->state == DQ_DB_ABSENT)
			entry->state = DQ_DB_WANTED;
		if (entry->scheduler_latch)
			SetLatch(entry->scheduler_latch);
	}
	if (dq_shmem->launcher_latch)
		SetLatch(dq_shmem->launcher_latch);
	LWLockRelease(dq_shmem->lock);
}

/* ----------------------------------------------------------------
 * Pausing a database
 * ----------------------------------------------------------------
 */

/*
 * Is dboid paused by a DDL command (or are schedulers turned off)?  False
 * without preloading.
 */
bool
DqDatabasePaused(Oid dboid)
{
	DqDbEntry  *entry;
	bool		paused = false;

	if (dq_shmem == NULL)
		return false;
	LWLockAcquire(dq_shmem->lock, LW_SHARED);
	entry = DqDbFind(dboid);
	if (entry != NULL)
		paused = entry->state == DQ_DB_PAUSED || !dq_scheduler_enabled;
	LWLockRelease(dq_shmem->lock);
	return paused;
}

/*
 * Pause dboid for at most max_ms (its scheduler is woken and leaves), or
 * resume it; forget frees the entry when no scheduler is attached (the
 * database was dropped).
 */
void
DqSetDatabasePaused(Oid dboid, bool paused, bool forget, int max_ms)
{
	DqDbEntry  *entry;

	LWLockAcquire(dq_shmem->lock, LW_EXCLUSIVE);
	entry = DqDbFind(dboid);
	if (entry != NULL)
	{
		if (paused)
		{
			entry->state = DQ_DB_PAUSED;
			entry->paused_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
															  max_ms);
			if (entry->scheduler_latch)
				SetLatch(entry->scheduler_latch);
		}
		else if (forget && entry->scheduler_pid == 0)
			entry->state = DQ_DB_FREE;
		else if (entry->state == DQ_DB_PAUSED)
			entry->state = DQ_DB_WANTED;
	}
	if (dq_shmem->launcher_latch)
		SetLatch(dq_shmem->launcher_latch);
	LWLockRelease(dq_shmem->lock);
}

/* Wait (at most max_ms) for the scheduler of dboid to leave. */
void
DqWaitSchedulerGone(Oid dboid, int max_ms)
{
	for (int waited = 0; waited < max_ms; waited += 10)
	{
		DqDbEntry  *entry;
		pid_t		pid = 0;

		LWLockAcquire(dq_shmem->lock, LW_SHARED);
		entry = DqDbFind(dboid);
		if (entry != NULL)
			pid = entry->scheduler_pid;
		LWLockRelease(dq_shmem->lock);
		if (pid == 0)
			return;
		CHECK_FOR_INTERRUPTS();
		pg_usleep(10000L);
	}
}
