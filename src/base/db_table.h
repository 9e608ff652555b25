/*-------------------------------------------------------------------------
 *
 * db_table.h
 *	  A shared table of the databases a launcher serves, with one worker
 *	  per database, and the launcher that starts those workers
 *	  (db_table.c).  The schedulers (base/shmem.c) and the alert delivery
 *	  workers (alert/alert_launcher.c) each keep one.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_DB_TABLE_H
#define DQ_DB_TABLE_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "storage/latch.h"
#include "storage/lwlock.h"

/* Longest a command that needs a database idle keeps it paused. */
#define DQ_PAUSE_MAX_MS 60000
/* Longest such a command waits for the database's worker to leave. */
#define DQ_PAUSE_WAIT_MS 5000
/* Databases one transaction may pause. */
#define DQ_MAX_PAUSED 8

typedef enum DqDbState
{
	DQ_DB_FREE = 0,				/* entry unused */
	DQ_DB_WANTED,				/* a worker should run (or probe) there */
	DQ_DB_ABSENT,				/* the extension is not installed there */
	DQ_DB_PAUSED				/* a command needs the database idle */
} DqDbState;

typedef struct DqDbEntry
{
	Oid			dboid;
	DqDbState	state;
	pid_t		worker_pid;
	Latch	   *worker_latch;
	uint32		generation;		/* bumped by DqDbTableWake */
	TimestampTz paused_until;
} DqDbEntry;

typedef struct DqDbTable
{
	LWLock	   *lock;
	pid_t		launcher_pid;
	Latch	   *launcher_latch;
	int			max_dbs;
	DqDbEntry	dbs[FLEXIBLE_ARRAY_MEMBER];
} DqDbTable;

/*
 * What a backend does to a table when its transaction ends: wake the
 * worker of its database (at commit), resume the databases it paused.
 */
typedef struct DqDbPending
{
	DqDbTable  *table;
	bool		registered;	/* the transaction callback is registered */
	bool		wake;			/* wake this database's worker at commit */
	int			npaused;
	Oid			paused[DQ_MAX_PAUSED];
	bool		forget[DQ_MAX_PAUSED];	/* dropped if the transaction commits */
} DqDbPending;

/* the table (the caller puts it in shared memory) */
extern Size DqDbTableShmemSize(int max_dbs);
extern void DqDbTableInit(DqDbTable *t, LWLock *lock, int max_dbs);
extern DqDbEntry *DqDbTableFind(DqDbTable *t, Oid dboid);
extern DqDbEntry *DqDbTableFindOrAdd(DqDbTable *t, Oid dboid);
extern pid_t DqDbTableLauncherPid(DqDbTable *t);
extern void DqDbTableWake(DqDbTable *t, Oid dboid);
extern uint32 DqDbTableGeneration(DqDbTable *t, DqDbEntry *entry);

/* a database's worker */
extern DqDbEntry *DqDbTableAttachWorker(DqDbTable *t, Oid dboid);
extern void DqDbTableDetachWorker(DqDbTable *t, DqDbEntry *entry,
								  bool extension_absent);
extern bool DqDbTablePaused(DqDbTable *t, Oid dboid, bool disabled);

/* backends: at commit, and for commands that need a database idle */
extern void DqDbTableWakeAtCommit(DqDbTable *t, DqDbPending *pending);
extern void DqDbTablePauseForCommand(DqDbTable *t, DqDbPending *pending,
									 Oid dboid, bool forget);

/* the launchers */
extern void DqRegisterLauncher(const char *launcher_name,
							   const char *worker_function,
							   const char *worker_name,
							   const char *worker_noun, const char *serves,
							   const bool *enabled, DqDbTable *(*table) (void));
extern PGDLLEXPORT void dq_launcher_main(Datum main_arg);

#endif							/* DQ_DB_TABLE_H */
