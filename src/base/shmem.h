/*-------------------------------------------------------------------------
 *
 * shmem.h
 *	  The shared table of databases that the launcher, the schedulers, the
 *	  change validation workers and DDL commands use to find one another;
 *	  the locking rules are written atop shmem.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_SHMEM_H
#define DQ_SHMEM_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "storage/latch.h"
#include "storage/lwlock.h"

typedef enum DqDbState
{
	DQ_DB_FREE = 0,				/* entry unused */
	DQ_DB_WANTED,				/* a scheduler should run (or probe) there */
	DQ_DB_ABSENT,				/* the extension is not installed there */
	DQ_DB_PAUSED				/* a DDL command needs the database idle */
} DqDbState;

typedef struct DqDbEntry
{
	Oid			dboid;
	DqDbState	state;
	pid_t		scheduler_pid;
	Latch	   *scheduler_latch;
	uint32		jobs_generation;	/* bumped when dq.jobs changes */
	TimestampTz paused_until;
} DqDbEntry;

/* Called from _PG_init while the library is preloaded. */
extern void DqShmemInit(void);
extern bool DqShmemAvailable(void);

/* The table itself, for the launcher: see the locking rules in shmem.c. */
extern void DqDbTableLock(LWLockMode mode);
extern void DqDbTableUnlock(void);
extern int	DqDbTableSize(void);
extern DqDbEntry *DqDbTableEntry(int i);
extern DqDbEntry *DqDbFind(Oid dboid);
extern DqDbEntry *DqDbFindOrAdd(Oid dboid);

/* The launcher. */
extern void DqLauncherAttach(void);
extern void DqLauncherDetach(void);
extern pid_t DqLauncherPid(void);
extern void DqWakeLauncher(void);

/* A database's scheduler. */
extern DqDbEntry *DqAttachScheduler(Oid dboid);
extern void DqDetachScheduler(DqDbEntry *entry, bool extension_absent);
extern uint32 DqJobsGeneration(DqDbEntry *entry);
extern void DqNoteJobsChanged(Oid dboid);

/* Pausing a database for a command that needs it idle. */
extern bool DqDatabasePaused(Oid dboid);
extern void DqSetDatabasePaused(Oid dboid, bool paused, bool forget,
								int max_ms);
extern void DqWaitSchedulerGone(Oid dboid, int max_ms);

#endif							/* DQ_SHMEM_H */
