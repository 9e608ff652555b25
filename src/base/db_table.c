/*-------------------------------------------------------------------------
 *
 * db_table.c
 *	  A shared table of the databases a launcher serves, and the launcher.
 *
 * Two subsystems run one worker per database: the scheduler
 * (base/shmem.c, sched/) and the alert delivery worker (alert/).  Each
 * keeps a DqDbTable in shared memory, sized at server start by
 * dq_lineage.max_databases: its launcher's process id and latch, and one
 * entry per database (its state, its worker's process id and latch, a
 * generation number that DqDbTableWake bumps, and how long a command
 * keeps it paused).  Each has a launcher, a static background worker
 * that connects to no database, reads pg_database every 10 seconds (and
 * whenever woken) and starts a worker in each database that allows
 * connections; a worker that stops is started again a second later.
 *
 * Locking.  The table's one LWLock guards every field of the table:
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
 * Nothing here survives a restart: a launcher rebuilds its table from
 * pg_database when it starts.  After a crash the postmaster reinitialises
 * shared memory and restarts every process, so the tables start empty.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "tcop/tcopprot.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "base/bgworker.h"
#include "base/db_table.h"
#include "base/trust.h"

/* How often a launcher re-reads pg_database without being woken. */
#define LAUNCHER_NAPTIME_MS 10000
/* Delay before a worker that stopped is started again. */
#define RESTART_DELAY_MS 1000

/* What a launcher starts, and when (see DqRegisterLauncher). */
typedef struct DqLauncherKind
{
	const char *launcher_name;	/* its bgw_name and bgw_type */
	const char *worker_function;	/* a worker's entry point */
	const char *worker_name;	/* a worker's bgw_name and bgw_type */
	const char *worker_noun;	/* in messages: "a scheduler" */
	const char *serves;			/* "cannot <serves> more than N databases" */
	const bool *enabled;		/* the setting that turns the workers on */
	DqDbTable  *(*table) (void);	/* its table of databases */
} DqLauncherKind;

/*
 * The launchers registered by _PG_init; a launcher process finds its own
 * by the number in bgw_main_arg (the postmaster's copy, inherited).
 */
#define DQ_MAX_LAUNCHERS 4
static DqLauncherKind launchers[DQ_MAX_LAUNCHERS];
static int	nlaunchers = 0;

/* What a launcher knows of the worker it started in one database. */
typedef struct DqLauncherSlot
{
	BackgroundWorkerHandle *handle;
	TimestampTz restart_after;
} DqLauncherSlot;

Size
DqDbTableShmemSize(int max_dbs)
{
	return add_size(offsetof(DqDbTable, dbs),
					mul_size(sizeof(DqDbEntry), max_dbs));
}

/* Initialise a table just allocated in shared memory. */
void
DqDbTableInit(DqDbTable *t, LWLock *lock, int max_dbs)
{
	memset(t, 0, DqDbTableShmemSize(max_dbs));
	t->lock = lock;
	t->max_dbs = max_dbs;
}

/* Entry of a database, or NULL; the caller holds the lock. */
DqDbEntry *
DqDbTableFind(DqDbTable *t, Oid dboid)
{
	for (int i = 0; i < t->max_dbs; i++)
		if (t->dbs[i].state != DQ_DB_FREE && t->dbs[i].dboid == dboid)
			return &t->dbs[i];
	return NULL;
}

/*
 * Entry of a database, created WANTED if missing; NULL when the table is
 * full.  The caller holds the lock exclusively.
 */
DqDbEntry *
DqDbTableFindOrAdd(DqDbTable *t, Oid dboid)
{
	DqDbEntry  *entry = DqDbTableFind(t, dboid);

	if (entry != NULL)
		return entry;
	for (int i = 0; i < t->max_dbs; i++)
		if (t->dbs[i].state == DQ_DB_FREE)
		{
			entry = &t->dbs[i];
			memset(entry, 0, sizeof(*entry));
			entry->dboid = dboid;
			entry->state = DQ_DB_WANTED;
			return entry;
		}
	return NULL;
}

pid_t
DqDbTableLauncherPid(DqDbTable *t)
{
	pid_t		pid;

	LWLockAcquire(t->lock, LW_SHARED);
	pid = t->launcher_pid;
	LWLockRelease(t->lock);
	return pid;
}

/*
 * Something changed for dboid's worker (or the extension was created
 * there): bump the generation, mark the database WANTED if it was ABSENT,
 * wake its worker and the launcher.
 */
void
DqDbTableWake(DqDbTable *t, Oid dboid)
{
	DqDbEntry  *entry;

	LWLockAcquire(t->lock, LW_EXCLUSIVE);
	entry = DqDbTableFindOrAdd(t, dboid);
	if (entry != NULL)
	{
		entry->generation++;
		if (entry->state == DQ_DB_ABSENT)
			entry->state = DQ_DB_WANTED;
		if (entry->worker_latch)
			SetLatch(entry->worker_latch);
	}
	if (t->launcher_latch)
		SetLatch(t->launcher_latch);
	LWLockRelease(t->lock);
}

uint32
DqDbTableGeneration(DqDbTable *t, DqDbEntry *entry)
{
	uint32		gen;

	LWLockAcquire(t->lock, LW_SHARED);
	gen = entry->generation;
	LWLockRelease(t->lock);
	return gen;
}

/* ----------------------------------------------------------------
 * A database's worker
 * ----------------------------------------------------------------
 */

/*
 * The calling process becomes the worker of dboid; NULL when another live
 * worker already is (a launcher restarted meanwhile) or the table is full.
 */
DqDbEntry *
DqDbTableAttachWorker(DqDbTable *t, Oid dboid)
{
	DqDbEntry  *entry;

	LWLockAcquire(t->lock, LW_EXCLUSIVE);
	entry = DqDbTableFindOrAdd(t, dboid);
	if (entry != NULL && entry->worker_pid != 0 &&
		BackendPidGetProc(entry->worker_pid) != NULL)
		entry = NULL;
	else if (entry != NULL)
	{
		entry->worker_pid = MyProcPid;
		entry->worker_latch = MyLatch;
	}
	LWLockRelease(t->lock);
	return entry;
}

/*
 * The worker leaves and wakes the launcher; extension_absent marks the
 * database ABSENT.
 */
void
DqDbTableDetachWorker(DqDbTable *t, DqDbEntry *entry, bool extension_absent)
{
	LWLockAcquire(t->lock, LW_EXCLUSIVE);
	if (entry->worker_pid == MyProcPid)
	{
		entry->worker_pid = 0;
		entry->worker_latch = NULL;
		if (extension_absent && entry->state == DQ_DB_WANTED)
			entry->state = DQ_DB_ABSENT;
	}
	if (t->launcher_latch)
		SetLatch(t->launcher_latch);
	LWLockRelease(t->lock);
}

/*
 * Should the worker of dboid leave: is the database paused by a command,
 * or (disabled) are its workers turned off?  False when it has no entry.
 */
bool
DqDbTablePaused(DqDbTable *t, Oid dboid, bool disabled)
{
	DqDbEntry  *entry;
	bool		paused = false;

	LWLockAcquire(t->lock, LW_SHARED);
	entry = DqDbTableFind(t, dboid);
	if (entry != NULL)
		paused = entry->state == DQ_DB_PAUSED || disabled;
	LWLockRelease(t->lock);
	return paused;
}

/* ----------------------------------------------------------------
 * Commands that need a database idle
 * ----------------------------------------------------------------
 */

/*
 * Pause dboid (its worker is woken and leaves), or resume it; forget
 * frees the entry when no worker is attached (the database was dropped).
 */
static void
DqDbTableSetPaused(DqDbTable *t, Oid dboid, bool paused, bool forget)
{
	DqDbEntry  *entry;

	LWLockAcquire(t->lock, LW_EXCLUSIVE);
	entry = DqDbTableFind(t, dboid);
	if (entry != NULL)
	{
		if (paused)
		{
			entry->state = DQ_DB_PAUSED;
			entry->paused_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
															  DQ_PAUSE_MAX_MS);
			if (entry->worker_latch)
				SetLatch(entry->worker_latch);
		}
		else if (forget && entry->worker_pid == 0)
			entry->state = DQ_DB_FREE;
		else if (entry->state == DQ_DB_PAUSED)
			entry->state = DQ_DB_WANTED;
	}
	if (t->launcher_latch)
		SetLatch(t->launcher_latch);
	LWLockRelease(t->lock);
}

/* Wait (at most DQ_PAUSE_WAIT_MS) for the worker of dboid to leave. */
static void
DqDbTableWaitWorkerGone(DqDbTable *t, Oid dboid)
{
	for (int waited = 0; waited < DQ_PAUSE_WAIT_MS; waited += 10)
	{
		DqDbEntry  *entry;
		pid_t		pid = 0;

		LWLockAcquire(t->lock, LW_SHARED);
		entry = DqDbTableFind(t, dboid);
		if (entry != NULL)
			pid = entry->worker_pid;
		LWLockRelease(t->lock);
		if (pid == 0 || BackendPidGetProc(pid) == NULL)
			return;
		CHECK_FOR_INTERRUPTS();
		pg_usleep(10000L);
	}
}

/* The transaction ends: resume what it paused, wake what it asked to. */
static void
DqDbTableXactCallback(XactEvent event, void *arg)
{
	DqDbPending *p = (DqDbPending *) arg;
	bool		commit = (event == XACT_EVENT_COMMIT ||
						  event == XACT_EVENT_PARALLEL_COMMIT);
	bool		abort = (event == XACT_EVENT_ABORT ||
						 event == XACT_EVENT_PARALLEL_ABORT);

	if (!commit && !abort)
		return;
	for (int i = 0; i < p->npaused; i++)
		DqDbTableSetPaused(p->table, p->paused[i], false,
						   commit && p->forget[i]);
	p->npaused = 0;
	if (p->wake && commit)
		DqDbTableWake(p->table, MyDatabaseId);
	p->wake = false;
}

static void
DqDbTableRegisterPending(DqDbTable *t, DqDbPending *p)
{
	p->table = t;
	if (!p->registered)
	{
		RegisterXactCallback(DqDbTableXactCallback, p);
		p->registered = true;
	}
}

/*
 * Wake this database's worker (starting it if needed) when the current
 * transaction commits.
 */
void
DqDbTableWakeAtCommit(DqDbTable *t, DqDbPending *pending)
{
	DqDbTableRegisterPending(t, pending);
	pending->wake = true;
}

/*
 * A command that needs dboid idle is about to run, and its permission
 * checks pass: pause the database until the transaction ends and wait a
 * few seconds at most for its worker to leave.  forget: the command drops
 * the database, so its entry goes when it commits.
 */
void
DqDbTablePauseForCommand(DqDbTable *t, DqDbPending *pending, Oid dboid,
						 bool forget)
{
	if (!OidIsValid(dboid) || pending->npaused >= DQ_MAX_PAUSED)
		return;
	DqDbTableRegisterPending(t, pending);
	pending->paused[pending->npaused] = dboid;
	pending->forget[pending->npaused] = forget;
	pending->npaused++;
	DqDbTableSetPaused(t, dboid, true, false);
	DqDbTableWaitWorkerGone(t, dboid);
}

/* ----------------------------------------------------------------
 * The launcher
 * ----------------------------------------------------------------
 */

/*
 * Register a launcher: a static worker of this library that connects to
 * no database, is restarted 5 seconds after it stops, and starts a
 * worker_function in each database while *enabled; table gives its table
 * of databases.  Messages call a worker worker_noun and say that the
 * launcher cannot <serves> more databases than its table holds.  Called
 * from _PG_init while the library is preloaded (not in binary upgrade
 * mode).
 */
void
DqRegisterLauncher(const char *launcher_name, const char *worker_function,
				   const char *worker_name, const char *worker_noun,
				   const char *serves, const bool *enabled,
				   DqDbTable *(*table) (void))
{
	BackgroundWorker worker;

	Assert(nlaunchers < DQ_MAX_LAUNCHERS);
	if (IsBinaryUpgrade || nlaunchers >= DQ_MAX_LAUNCHERS)
		return;
	launchers[nlaunchers] = (DqLauncherKind)
	{
		launcher_name, worker_function, worker_name, worker_noun, serves,
			enabled, table
	};

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	strlcpy(worker.bgw_library_name, "dq_lineage", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "dq_launcher_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, launcher_name, BGW_MAXLEN);
	strlcpy(worker.bgw_type, launcher_name, BGW_MAXLEN);
	worker.bgw_main_arg = Int32GetDatum(nlaunchers);
	nlaunchers++;
	RegisterBackgroundWorker(&worker);
}

static void
DqLauncherDetach(int code, Datum arg)
{
	DqDbTable  *t = (DqDbTable *) DatumGetPointer(arg);

	LWLockAcquire(t->lock, LW_EXCLUSIVE);
	if (t->launcher_pid == MyProcPid)
	{
		t->launcher_pid = 0;
		t->launcher_latch = NULL;
	}
	LWLockRelease(t->lock);
}

/*
 * The calling process is the launcher.  Entries left by a previous
 * launcher whose worker is gone are probed again; the workers of a
 * previous launcher are not ours to watch.
 */
static void
DqLauncherAttach(DqDbTable *t)
{
	LWLockAcquire(t->lock, LW_EXCLUSIVE);
	t->launcher_pid = MyProcPid;
	t->launcher_latch = MyLatch;
	for (int i = 0; i < t->max_dbs; i++)
		if (t->dbs[i].state != DQ_DB_FREE && t->dbs[i].worker_pid == 0)
			t->dbs[i].state = DQ_DB_WANTED;
	LWLockRelease(t->lock);
	before_shmem_exit(DqLauncherDetach, PointerGetDatum(t));
}

/* Add entries for new databases, free those of databases that are gone. */
static void
DqLauncherScan(DqDbTable *t, DqLauncherSlot *slots, const DqLauncherKind *kind)
{
	List	   *present = DqConnectableDatabases();
	ListCell   *lc;

	LWLockAcquire(t->lock, LW_EXCLUSIVE);
	for (int i = 0; i < t->max_dbs; i++)
	{
		DqDbEntry  *e = &t->dbs[i];

		if (e->state == DQ_DB_FREE || list_member_oid(present, e->dboid))
			continue;
		if (slots[i].handle)
			TerminateBackgroundWorker(slots[i].handle);
		if (e->worker_pid == 0)
		{
			e->state = DQ_DB_FREE;
			if (slots[i].handle)
				pfree(slots[i].handle);
			slots[i].handle = NULL;
		}
	}
	foreach(lc, present)
	{
		if (DqDbTableFindOrAdd(t, lfirst_oid(lc)) == NULL)
		{
			ereport(WARNING,
					(errmsg("dq_lineage cannot %s more than %d databases",
							kind->serves, t->max_dbs),
					 errhint("Raise dq_lineage.max_databases and restart the server.")));
			break;
		}
	}
	LWLockRelease(t->lock);
	list_free(present);
}

/*
 * Start the worker of a database that wants one, unless the last one
 * stopped less than RESTART_DELAY_MS ago; returns the wait in ms until the
 * slot needs another look (or max_wait).
 */
static long
DqLauncherStart(DqDbEntry *e, DqLauncherSlot *slot, const DqLauncherKind *kind,
				TimestampTz now, long max_wait)
{
	if (slot->restart_after > now)
		return Min(max_wait, (long) ((slot->restart_after - now) / 1000) + 1);
	if (!DqStartWorker(kind->worker_function, kind->worker_name, e->dboid,
					   NULL, 0, &slot->handle))
	{
		slot->handle = NULL;
		slot->restart_after = TimestampTzPlusMilliseconds(now, LAUNCHER_NAPTIME_MS);
		ereport(WARNING,
				(errmsg("dq_lineage could not start %s for database %u: no background worker slot is free",
						kind->worker_noun, e->dboid),
				 errhint("Raise max_worker_processes.")));
	}
	return max_wait;
}

/* Start, stop or restart workers as the table says; returns the wait in ms. */
static long
DqLauncherManage(DqDbTable *t, DqLauncherSlot *slots, const DqLauncherKind *kind)
{
	TimestampTz now = GetCurrentTimestamp();
	long		wait_ms = LAUNCHER_NAPTIME_MS;
	bool		enabled = *kind->enabled;

	LWLockAcquire(t->lock, LW_EXCLUSIVE);
	for (int i = 0; i < t->max_dbs; i++)
	{
		DqDbEntry  *e = &t->dbs[i];
		DqLauncherSlot *slot = &slots[i];
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

		if ((e->state != DQ_DB_WANTED || !enabled) && alive)
			TerminateBackgroundWorker(slot->handle);
		else if (e->state == DQ_DB_WANTED && enabled && !alive &&
				 e->worker_pid == 0)
			wait_ms = DqLauncherStart(e, slot, kind, now, wait_ms);
	}
	LWLockRelease(t->lock);
	return wait_ms;
}

/*
 * The entry point of every launcher (main_arg: its number in launchers):
 * connect to no database (shared catalogs only; it runs no SQL, but the
 * session rules of the library's workers hold anyway), then scan
 * pg_database every LAUNCHER_NAPTIME_MS, start, stop and restart the
 * workers, and sleep until woken or the next restart is due.  Exits
 * through die() on SIGTERM, with code 1 so that the postmaster restarts it
 * (pg_terminate_backend must not remove it for good).
 */
void
dq_launcher_main(Datum main_arg)
{
	int			n = DatumGetInt32(main_arg);
	const DqLauncherKind *kind;
	DqDbTable  *t;
	DqLauncherSlot *slots;
	TimestampTz next_scan = 0;

	if (n < 0 || n >= nlaunchers)
		elog(ERROR, "unrecognized dq_lineage launcher %d", n);
	kind = &launchers[n];
	t = kind->table();

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	DqPinWorkerSession();
	pgstat_report_appname(kind->launcher_name);

	slots = MemoryContextAllocZero(TopMemoryContext,
								   sizeof(DqLauncherSlot) * t->max_dbs);
	DqLauncherAttach(t);
	ereport(LOG, (errmsg("%s started", kind->launcher_name)));

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
		if (*kind->enabled && now >= next_scan)
		{
			DqLauncherScan(t, slots, kind);
			next_scan = TimestampTzPlusMilliseconds(now, LAUNCHER_NAPTIME_MS);
		}
		wait_ms = DqLauncherManage(t, slots, kind);
		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 wait_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
