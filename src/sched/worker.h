/*-------------------------------------------------------------------------
 *
 * worker.h
 *	  Background workers: the launcher, per-database schedulers, job runs.
 *
 * The launcher (a static worker registered when the library is preloaded)
 * connects to no database.  It keeps a table in shared memory with one
 * entry per database and starts a scheduler worker in each database that
 * has the extension.  A scheduler starts one dynamic worker per job run,
 * and keeps the database's other long-running workers (the CDC consumer)
 * alive.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_WORKER_H
#define DQ_WORKER_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/latch.h"

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

/* What a job run worker gets in bgw_extra. */
typedef struct DqJobWorkerArgs
{
	Oid			dboid;			/* database the command runs in */
	Oid			owner;
	int64		run_id;
	dsm_handle	remote;			/* DSM_HANDLE_INVALID, or a DqRemoteRun */
} DqJobWorkerArgs;

/*
 * A run in another database than its job's: the worker cannot write the
 * job's database, so the command comes in, and the outcome goes back to
 * the scheduler, through a dynamic shared memory segment.
 */
typedef struct DqRemoteRun
{
	bool		started;
	TimestampTz started_at;
	bool		finished;
	TimestampTz ended_at;
	bool		failed;
	char		sqlstate[6];
	char		command_tag[64];
	int64		rows;
	bool		has_rows;
	int			statement_timeout_ms;	/* -1: the role's setting */
	char		message[2048];
	char		command[FLEXIBLE_ARRAY_MEMBER];
} DqRemoteRun;

extern void DqWorkerInit(void);
extern bool DqWorkersAvailable(void);

/* Shared table access for the scheduler. */
extern DqDbEntry *DqAttachScheduler(Oid dboid);
extern void DqDetachScheduler(DqDbEntry *entry, bool extension_absent);
extern uint32 DqJobsGeneration(DqDbEntry *entry);
extern bool DqDatabasePaused(Oid dboid);

/* Called from SQL functions: act at commit of the current transaction. */
extern void DqWakeSchedulerAtCommit(void);

extern bool DqStartWorker(const char *function, const char *name, Oid dboid,
						  const void *extra, Size extralen,
						  BackgroundWorkerHandle **handle);

extern PGDLLEXPORT void dq_launcher_main(Datum main_arg);
extern PGDLLEXPORT void dq_scheduler_main(Datum main_arg);
extern PGDLLEXPORT void dq_job_main(Datum main_arg);

#endif							/* DQ_WORKER_H */
