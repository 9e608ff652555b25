/*-------------------------------------------------------------------------
 *
 * sched_internal.h
 *	  What the files of the per-database scheduler share among themselves:
 *	  the jobs it keeps in memory with the state of their runs, and the
 *	  helpers that write dq.job_runs.
 *
 * scheduler.c is the worker's main loop: it loads the jobs, turns their
 * ticks into due runs, reaps the runs that ended and sleeps.  run_queue.c
 * decides which due runs start and when: waiting runs, the per-role cap,
 * retries and the jobs that run after another job.  Both run in the
 * scheduler process only.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_SCHED_INTERNAL_H
#define DQ_SCHED_INTERNAL_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"
#include "pgtime.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"

#include "sched/cron.h"

/* A job of dq.jobs as the scheduler keeps it, with its run's state. */
typedef struct SchedJob
{
	int64		job_id;
	Oid			owner;
	DqSchedule	sched;
	pg_tz	   *tz;
	TimestampTz anchor;
	TimestampTz next_run;
	bool		seen;			/* enabled in dq.jobs at the last reload */
	bool		present;		/* in dq.jobs (enabled or not) at the last reload */
	/* the run in progress, if any */
	int64		run_id;
	BackgroundWorkerHandle *handle;
	pid_t		adopted_pid;	/* run found in progress at start */
	/* a tick due, without a row yet */
	bool		pending;
	TimestampTz pending_at;		/* also the tick of a waiting run */
	int			pending_attempt;
	int64		pending_after_run;
	/* run_id is a waiting run: no worker yet */
	bool		waiting;
	bool		from_waiting;	/* being launched out of waiting */
	const char *waited_for;		/* WAIT_* (run_queue.c) of the waiting run */
	/* retries and dependencies */
	int			retries;
	int64		retry_delay_ms;
	int64		after_job;		/* 0: on a schedule */
	TimestampTz retry_at;		/* 0: no retry due */
	int			retry_attempt;
	int64		retry_after_run;
	/* a job that runs in another database */
	char	   *database;		/* NULL: this one */
	Oid			target;			/* resolved when the tick is due */
	char	   *command;
	int			timeout_ms;		/* -1: the owner's setting */
	dsm_segment *seg;			/* the run's DqRemoteRun */
	bool		marked_running;
	pid_t		last_pid;
} SchedJob;

/* A run with a worker (started, starting or being launched). */
static inline bool
DqSchedRunInProgress(SchedJob *j)
{
	return j->run_id != 0 && !j->waiting;
}

/* scheduler.c: the jobs in memory */
extern MemoryContext dq_sched_cxt;	/* lives as long as the scheduler */
extern List *dq_sched_jobs;		/* of SchedJob *, in dq_sched_cxt */
/* the installed SQL objects have the columns of 0.2.0 (waiting, retries) */
extern bool dq_sched_catalog_v2;

/* scheduler.c: one transaction with SPI per unit of work */
extern void DqSchedBeginWork(void);
extern void DqSchedEndWork(void);

/* scheduler.c: run a statement, raise an error on an unexpected result */
extern void DqSchedSpiExec(const char *sql, int nargs, Oid *types,
						   Datum *values, const char *nulls, int expect);

/* scheduler.c: rows of dq.job_runs */
extern void DqSchedRecordSkipped(SchedJob *j, TimestampTz scheduled_at,
								 const char *message);
extern void DqSchedFailOpenRun(int64 run_id, const char *message);

/* run_queue.c: due runs, and what follows a run's end */
extern void DqSchedMakeDue(SchedJob *j, TimestampTz tick, int attempt,
						   int64 after_run);
extern void DqSchedRunEnded(SchedJob *j, int64 run_id);
extern void DqSchedSkipWaitingRun(SchedJob *j, const char *message);

/*
 * run_queue.c: starting the runs of a pass.  DqSchedClaimRuns inside the
 * pass's transaction, DqSchedLaunchRuns after its commit (it returns the
 * runs that found no slot), DqSchedSettleLaunches last, in a transaction
 * of its own when a run found no slot or came out of waiting.
 */
extern List *DqSchedClaimRuns(void);
extern List *DqSchedLaunchRuns(List *started);
extern void DqSchedSettleLaunches(List *started, List *failed);

#endif							/* DQ_SCHED_INTERNAL_H */
