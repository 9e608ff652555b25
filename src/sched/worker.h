/*-------------------------------------------------------------------------
 *
 * worker.h
 *	  The scheduler subsystem: the launcher, per-database schedulers, job
 *	  runs, and what the rest of the library may ask of them.
 *
 * The launcher (a static worker registered when the library is preloaded)
 * connects to no database.  It keeps the shared table of databases
 * (base/shmem.c) and starts a scheduler worker in each database that has
 * the extension.  A scheduler starts one dynamic worker per job run, and
 * on every pass runs the tasks other subsystems registered with it
 * (keeping the change validation worker alive, folding lineage counters),
 * so that the scheduler needs none of their headers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_WORKER_H
#define DQ_WORKER_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "storage/dsm.h"

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
	bool		skipped;		/* refused before it ran (message says why) */
	char		sqlstate[6];
	char		command_tag[64];
	int64		rows;
	bool		has_rows;
	int			statement_timeout_ms;	/* -1: the role's setting */
	char		message[2048];
	char		command[FLEXIBLE_ARRAY_MEMBER];
} DqRemoteRun;

/*
 * A task the scheduler of every database runs inside a transaction, on
 * every pass (interval_ms 0) or at most every interval_ms; registered
 * from _PG_init.
 */
typedef void (*DqSchedulerTask) (void);
extern void DqSchedulerAddTask(DqSchedulerTask task, int interval_ms);

/* _PG_init, preloaded: register the launcher. */
extern void DqSchedInit(void);

/* Called from SQL functions: act at commit of the current transaction. */
extern void DqWakeSchedulerAtCommit(void);

/* Called by the utility hook once a command's permission checks pass. */
extern void DqSchedPauseForCommand(Oid dboid, bool forget);

extern PGDLLEXPORT void dq_scheduler_main(Datum main_arg);
extern PGDLLEXPORT void dq_job_main(Datum main_arg);

#endif							/* DQ_WORKER_H */
