/*-------------------------------------------------------------------------
 *
 * scheduler.c
 *	  The per-database scheduler worker.
 *
 * One scheduler runs in each database that has the extension.  It keeps
 * the enabled jobs of dq.jobs in memory with their next firing time,
 * sleeps on its latch until the earliest one (or until dq.schedule() and
 * friends wake it at commit, or a run's worker starts or stops), and
 * starts one dynamic background worker per run, so a long job never
 * delays another.
 *
 * On every pass it also runs the tasks other subsystems registered at
 * load time (DqSchedulerAddTask, wired in dq_lineage.c): making sure the
 * database's change validation worker runs when the database has watched
 * tables (that worker is never restarted by the postmaster, and it
 * notifies the scheduler when it stops, so a crash or a restart is
 * followed by a new one at once), and every 10 seconds folding the lineage
 * occurrence counters that sessions left in shared memory into
 * dq.lineage_edges.
 *
 * Trust.  The scheduler connects as the bootstrap superuser.  Its session
 * pins search_path and resets what ALTER DATABASE ... SET could change
 * (DqPinWorkerSession), and its SQL names every function and operator
 * with its schema, so that nothing another role created is ever called
 * from it.  A job runs as its owner in a worker of its own (job_runner.c);
 * with dq_lineage.allow_superuser_jobs off, the owner's power is checked
 * at every tick, not when the job was scheduled.  A job deleted while it
 * runs (dq.unschedule) has its run stopped.
 *
 * Run bookkeeping in dq.job_runs:
 *	 - a tick whose job still has a run in progress is recorded as skipped;
 *	 - a run that cannot start at once (dq_lineage.max_running_jobs or
 *	   dq_lineage.max_runs_per_role reached, or no background worker slot
 *	   free) is recorded as waiting, with what it waits for in waited_for;
 *	   waiting runs start in the order of their ticks, on a later pass (a
 *	   pass comes at least every second while runs wait: a slot freed by
 *	   another process sets no latch of ours); the job's next tick skips
 *	   a run still waiting;
 *	 - a failed run of a job with retries is tried again retry_delay after
 *	   it ended, as a new row with the next attempt number, until an
 *	   attempt succeeds or the retries are spent; the job's next tick
 *	   replaces a retry not yet started;
 *	 - a job with after_job has no schedule: each successful run of that
 *	   job makes it due at once (after_run_id names the run);
 *	 - a worker that ends without recording its result (terminated, killed)
 *	   is recorded as failed with the reason;
 *	 - at start, runs left open by a previous scheduler or server are
 *	   closed as failed (waiting ones as skipped), and ticks missed while no scheduler ran are
 *	   recorded as one skipped run per job: they are not caught up.
 *
 * The per-role cap counts the role's job workers of every database: this
 * scheduler's own runs, and the other processes whose background worker
 * type is "dq_lineage job" (read from the backend status array).  Two
 * schedulers starting runs of the same role at the same moment can
 * exceed the cap by one run each, until one of them ends.
 *
 * A library newer than the installed SQL objects (0.1.0, before ALTER
 * EXTENSION UPDATE) runs the jobs as 0.1.0 did: no waiting status, no
 * retries, no dependencies (catalog_v2 false).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "port/atomics.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "tcop/tcopprot.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "base/bgworker.h"
#include "base/catalog.h"
#include "base/guc.h"
#include "base/shmem.h"
#include "base/trust.h"
#include "sched/cron.h"
#include "base/stats.h"
#include "sched/worker.h"

/* Longest sleep: the extension's presence and settings are checked this often. */
#define SCHEDULER_NAPTIME_MS 5000
/* Missed ticks counted at most (then "at least N"). */
#define MISSED_TICKS_MAX 100000
/* Retention is enforced this often. */
#define PRUNE_INTERVAL_MS 60000
/* Tasks other subsystems registered (DqSchedulerAddTask). */
#define MAX_TASKS 4
/* Longest sleep while runs wait for a free place or slot. */
#define WAITING_POLL_MS 1000

/* What a waiting run waits for (dq.job_runs.waited_for); compared by address. */
static const char WAIT_SLOT[] = "a free background worker slot (max_worker_processes)";
static const char WAIT_MAX_RUNNING[] = "dq_lineage.max_running_jobs";
static const char WAIT_ROLE_CAP[] = "dq_lineage.max_runs_per_role";

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
	const char *waited_for;		/* WAIT_* of the waiting run */
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

typedef struct SchedTask
{
	DqSchedulerTask fn;
	int			interval_ms;
	TimestampTz last_run;
} SchedTask;

static SchedTask tasks[MAX_TASKS];
static int	ntasks = 0;

static MemoryContext sched_cxt;
static List *jobs = NIL;		/* of SchedJob *, in sched_cxt */
static DqDbEntry *my_entry;
static bool extension_gone = false;
/* the installed SQL objects have the columns of 0.2.0 (waiting, retries) */
static bool catalog_v2 = false;

static void
scheduler_detach(int code, Datum arg)
{
	if (my_entry)
		DqDetachScheduler(my_entry, extension_gone);
}

static SchedJob *
find_job(int64 job_id)
{
	ListCell   *lc;

	foreach(lc, jobs)
	{
		SchedJob   *j = lfirst(lc);

		if (j->job_id == job_id)
			return j;
	}
	return NULL;
}

/* A run with a worker (started, starting or being launched). */
static bool
run_in_progress(SchedJob *j)
{
	return j->run_id != 0 && !j->waiting;
}

static int
running_count(void)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, jobs)
		if (run_in_progress((SchedJob *) lfirst(lc)))
			n++;
	return n;
}

/* The runs still open: their worker has not recorded an outcome. */
#define DQ_RUN_OPEN \
	"status OPERATOR(pg_catalog.=) ANY ('{starting,running}'::pg_catalog.text[])"

static void
spi_exec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, int expect)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (rc != expect)
		elog(ERROR, "SPI_execute failed (%d): %s", rc, sql);
}

/* Record a run that did not start; message says why. */
static void
record_skipped(SchedJob *j, TimestampTz scheduled_at, const char *message)
{
	Oid			types[3] = {INT8OID, TIMESTAMPTZOID, TEXTOID};
	Datum		values[3];

	values[0] = Int64GetDatum(j->job_id);
	values[1] = TimestampTzGetDatum(scheduled_at);
	values[2] = CStringGetTextDatum(message);
	spi_exec("INSERT INTO dq.job_runs (job_id, scheduled_at, ended_at, status, message) "
			 "VALUES ($1, $2, pg_catalog.now(), 'skipped', $3)",
			 3, types, values, NULL, SPI_OK_INSERT);
	DqStatsCount(DQ_STAT_JOBS_SKIPPED, 1);
}

/* Close a run that is still open, as failed with a reason. */
static void
fail_open_run(int64 run_id, const char *message)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];

	values[0] = Int64GetDatum(run_id);
	values[1] = CStringGetTextDatum(message);
	spi_exec("UPDATE dq.job_runs SET status = 'failed', ended_at = pg_catalog.now(), message = $2 "
			 "WHERE run_id OPERATOR(pg_catalog.=) $1 AND " DQ_RUN_OPEN,
			 2, types, values, NULL, SPI_OK_UPDATE);
}

/*
 * statement_timeout of a job in milliseconds (dq.jobs.statement_timeout,
 * an interval without months), -1 when NULL.
 */
static int
timeout_ms(Datum value, bool isnull)
{
	Interval   *iv;
	int64		ms;

	if (isnull)
		return -1;
	iv = DatumGetIntervalP(value);
	ms = iv->time / 1000 + (int64) iv->day * SECS_PER_DAY * 1000;
	return (int) Min(Max(ms, 0), INT_MAX);
}

/*
 * Stop the worker of j's run in progress (its job was deleted).  The run
 * is then reaped as usual; its row went with the job.
 */
static void
stop_run(SchedJob *j)
{
	if (j->handle != NULL)
		TerminateBackgroundWorker(j->handle);
	else if (j->adopted_pid != 0)
	{
		PGPROC	   *proc = BackendPidGetProc(j->adopted_pid);

		/* a run found at start: still a worker of this database? */
		if (proc != NULL && proc->databaseId == MyDatabaseId &&
			proc->isBackgroundWorker)
			(void) kill(j->adopted_pid, SIGTERM);
	}
}

/*
 * Count the ticks of j strictly after "from" and at or before "until";
 * returns the first one in *first.  Sets j->next_run to the first tick after until.
 */
static int64
advance_past(SchedJob *j, TimestampTz from, TimestampTz until, TimestampTz *first)
{
	int64		n = 0;
	TimestampTz t = DqScheduleNext(&j->sched, from, j->anchor, j->tz);

	*first = t;
	while (t <= until && n < MISSED_TICKS_MAX)
	{
		n++;
		t = DqScheduleNext(&j->sched, t, j->anchor, j->tz);
	}
	if (t <= until)
		t = DqScheduleNext(&j->sched, until, j->anchor, j->tz);
	j->next_run = t;
	return n;
}

/*
 * Parse a stored schedule and time zone.  They were checked when the job
 * was defined, but the time zone database can change under a server: log
 * the error and leave the job out rather than stopping the scheduler.
 */
static bool
parse_job_schedule(const char *schedule, const char *tzname,
				   DqSchedule *sched, pg_tz **tz)
{
	volatile bool ok = true;

	PG_TRY();
	{
		DqParseSchedule(schedule, sched);
		*tz = DqScheduleTimeZone(tzname);
	}
	PG_CATCH();
	{
		EmitErrorReport();
		FlushErrorState();
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/* Close a waiting run as skipped; message says why. */
static void
skip_waiting_run(SchedJob *j, const char *message)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];

	values[0] = Int64GetDatum(j->run_id);
	values[1] = CStringGetTextDatum(message);
	spi_exec("UPDATE dq.job_runs SET status = 'skipped', ended_at = pg_catalog.now(), message = $2 "
			 "WHERE run_id OPERATOR(pg_catalog.=) $1 AND status OPERATOR(pg_catalog.=) 'waiting'",
			 2, types, values, NULL, SPI_OK_UPDATE);
	DqStatsCount(DQ_STAT_JOBS_SKIPPED, 1);
	j->run_id = 0;
	j->waiting = false;
	j->waited_for = NULL;
}

/*
 * Do the installed SQL objects have the 0.2.0 columns of dq.jobs?  (A
 * library newer than them runs jobs as 0.1.0 did.)
 */
static bool
catalog_has_v2(void)
{
	Oid			nsp = get_namespace_oid("dq", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid("jobs", nsp) : InvalidOid;

	return OidIsValid(relid) && get_attnum(relid, "after_job") != InvalidAttrNumber;
}

/* Read dq.jobs; keep the runtime state of jobs that are still there. */
static void
load_jobs(bool at_start)
{
	MemoryContext old;
	ListCell   *lc;
	List	   *kept = NIL;
	TimestampTz now = GetCurrentTimestamp();

	foreach(lc, jobs)
	{
		((SchedJob *) lfirst(lc))->seen = false;
		((SchedJob *) lfirst(lc))->present = false;
	}

	catalog_v2 = catalog_has_v2();
	spi_exec(psprintf("SELECT j.job_id, j.owner::pg_catalog.oid, j.enabled, j.schedule, j.timezone, "
					  "j.schedule_anchor, "
					  "(SELECT pg_catalog.max(r.scheduled_at) FROM dq.job_runs r "
					  "  WHERE r.job_id OPERATOR(pg_catalog.=) j.job_id), "
					  "j.database, j.command, j.statement_timeout, %s "
					  "FROM dq.jobs j",
					  catalog_v2 ?
					  "j.retries, (pg_catalog.date_part('epoch', j.retry_delay) "
					  "  OPERATOR(pg_catalog.*) 1000)::pg_catalog.int8, "
					  "coalesce(j.after_job, 0)" :
					  "0, 0::pg_catalog.int8, 0::pg_catalog.int8"),
			 0, NULL, NULL, NULL, SPI_OK_SELECT);

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		job_id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		char	   *schedule = SPI_getvalue(tup, desc, 4);
		char	   *tzname = SPI_getvalue(tup, desc, 5);
		TimestampTz anchor = DatumGetTimestampTz(SPI_getbinval(tup, desc, 6, &isnull));
		Datum		lastd = SPI_getbinval(tup, desc, 7, &isnull);
		TimestampTz last = isnull ? anchor : DatumGetTimestampTz(lastd);
		SchedJob   *j = find_job(job_id);
		Datum		timeoutd;
		DqSchedule	sched;
		pg_tz	   *tz = NULL;
		bool		changed;
		int64		after_job = DatumGetInt64(SPI_getbinval(tup, desc, 13, &isnull));

		if (j != NULL)
			j->present = true;
		/* a disabled job is kept only while a run of it is in progress */
		if (!DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull)))
			continue;
		/* A bad stored schedule or zone must not stop the other jobs. */
		memset(&sched, 0, sizeof(sched));
		if (after_job == 0 && !parse_job_schedule(schedule, tzname, &sched, &tz))
			continue;

		old = MemoryContextSwitchTo(sched_cxt);
		if (j == NULL)
		{
			j = palloc0(sizeof(SchedJob));
			j->job_id = job_id;
			changed = true;
		}
		else
			changed = memcmp(&j->sched, &sched, sizeof(sched)) != 0 ||
				j->tz != tz || j->anchor != anchor;
		MemoryContextSwitchTo(old);

		old = MemoryContextSwitchTo(sched_cxt);
		if (j->database)
			pfree(j->database);
		if (j->command)
			pfree(j->command);
		j->database = SPI_getvalue(tup, desc, 8);
		j->command = SPI_getvalue(tup, desc, 9);
		MemoryContextSwitchTo(old);
		timeoutd = SPI_getbinval(tup, desc, 10, &isnull);
		j->timeout_ms = timeout_ms(timeoutd, isnull);
		j->owner = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
		j->retries = DatumGetInt32(SPI_getbinval(tup, desc, 11, &isnull));
		j->retry_delay_ms = DatumGetInt64(SPI_getbinval(tup, desc, 12, &isnull));
		j->after_job = after_job;
		j->sched = sched;
		j->tz = tz;
		j->anchor = anchor;
		j->seen = true;
		j->present = true;
		if (after_job != 0)
			j->next_run = DT_NOEND; /* due only after its upstream job */
		else if (at_start)
		{
			TimestampTz first;
			int64		missed = advance_past(j, Max(last, anchor), now, &first);

			/* a tick of the last moment is not "missed": run it now */
			if (missed == 1 && now - first < USECS_PER_SEC)
			{
				missed = 0;
				j->next_run = first;
			}
			if (missed > 0)
			{
				char		msg[256];

				snprintf(msg, sizeof(msg),
						 "%s%lld tick(s) missed while no scheduler was running (server stopped or scheduler restarting); missed ticks are not caught up",
						 missed >= MISSED_TICKS_MAX ? "at least " : "",
						 (long long) missed);
				record_skipped(j, first, msg);
			}
		}
		else if (changed)
			j->next_run = DqScheduleNext(&j->sched, Max(now, anchor - 1), anchor, tz);
		kept = lappend(kept, j);
	}

	/*
	 * Jobs gone from the table or disabled: forget them once no run is in
	 * progress.  The run of a job that was deleted (dq.unschedule) is
	 * stopped; a disabled job's run ends on its own.
	 */
	foreach(lc, jobs)
	{
		SchedJob   *j = lfirst(lc);

		if (!j->seen)
		{
			/* a disabled job's waiting run will not start (a deleted one's row is gone) */
			if (j->waiting && j->present)
				skip_waiting_run(j, "the job was disabled while the run waited");
			else if (j->waiting)
				j->run_id = 0;	/* deleted with its job */
			j->waiting = false;
			j->retry_at = 0;
			if (run_in_progress(j))
			{
				j->pending = false;
				j->next_run = DT_NOEND;
				if (!j->present)
					stop_run(j);
				kept = lappend(kept, j);
			}
			else
				pfree(j);
		}
	}
	old = MemoryContextSwitchTo(sched_cxt);
	list_free(jobs);
	jobs = list_copy(kept);
	MemoryContextSwitchTo(old);
}

/* At start: close runs a previous scheduler left open, adopt live ones. */
static void
reconcile_open_runs(void)
{
	spi_exec("UPDATE dq.job_runs SET status = 'skipped', ended_at = pg_catalog.now(), "
			 "message = 'the scheduler stopped while the run waited to start' "
			 "WHERE status OPERATOR(pg_catalog.=) 'waiting'",
			 0, NULL, NULL, NULL, SPI_OK_UPDATE);
	spi_exec("SELECT run_id, job_id, worker_pid FROM dq.job_runs WHERE " DQ_RUN_OPEN,
			 0, NULL, NULL, NULL, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return;
	{
		SPITupleTable *tt = SPI_tuptable;
		uint64		n = SPI_processed;

		for (uint64 i = 0; i < n; i++)
		{
			bool		isnull,
						pidnull;
			int64		run_id = DatumGetInt64(SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull));
			int64		job_id = DatumGetInt64(SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &isnull));
			pid_t		pid = DatumGetInt32(SPI_getbinval(tt->vals[i], tt->tupdesc, 3, &pidnull));
			SchedJob   *j = find_job(job_id);
			PGPROC	   *proc = pidnull ? NULL : BackendPidGetProc(pid);

			if (proc != NULL && proc->databaseId == MyDatabaseId && j != NULL)
			{
				j->run_id = run_id;
				j->adopted_pid = pid;
			}
			else
				fail_open_run(run_id,
							  "the run was interrupted: the server restarted or crashed, or the job worker stopped, before it recorded a result");
		}
	}
}

/* Write what a run in another database reported into dq.job_runs. */
static void
record_remote(SchedJob *j, DqRemoteRun *rr, pid_t pid, bool ended)
{
	Oid			types[9] = {INT8OID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID,
	TEXTOID, INT8OID, TEXTOID, TEXTOID};
	Datum		values[9];
	char		nulls[9] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	const char *status = "running";

	if (ended && rr->finished)
		status = rr->skipped ? "skipped" : rr->failed ? "failed" : "succeeded";
	else if (ended)
		return;					/* the caller closes it as failed */
	values[0] = Int64GetDatum(j->run_id);
	values[1] = CStringGetTextDatum(status);
	values[2] = TimestampTzGetDatum(rr->started_at);
	if (!rr->started)
		nulls[2] = 'n';
	values[3] = TimestampTzGetDatum(rr->ended_at);
	if (!(ended && rr->finished))
		nulls[3] = 'n';
	values[4] = Int32GetDatum(pid);
	if (pid == 0)
		nulls[4] = 'n';
	values[5] = CStringGetTextDatum(rr->command_tag);
	values[6] = Int64GetDatum(rr->rows);
	values[7] = CStringGetTextDatum(rr->sqlstate);
	values[8] = CStringGetTextDatum(rr->message);
	if (!rr->finished || rr->failed || rr->skipped)
		nulls[5] = nulls[6] = 'n';
	else if (!rr->has_rows)
		nulls[6] = 'n';
	if (!rr->finished || !rr->failed || rr->skipped)
		nulls[7] = 'n';
	if (!rr->finished || !(rr->failed || rr->skipped))
		nulls[8] = 'n';
	spi_exec("UPDATE dq.job_runs SET status = $2, started_at = $3, ended_at = $4, "
			 "worker_pid = $5, command_tag = $6, rows = $7, sqlstate = $8, message = $9 "
			 "WHERE run_id OPERATOR(pg_catalog.=) $1 AND " DQ_RUN_OPEN,
			 9, types, values, nulls, SPI_OK_UPDATE);
	j->marked_running = true;
}

static void make_due(SchedJob *j, TimestampTz tick, int attempt, int64 after_run);

/*
 * A run of j ended and is closed: schedule its retry when it failed and
 * retries are left, make the jobs that run after j due when it succeeded.
 */
static void
run_ended(SchedJob *j, int64 run_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	char	   *status;
	int			attempt;
	bool		isnull;
	TimestampTz now = GetCurrentTimestamp();
	ListCell   *lc;

	if (!catalog_v2)
		return;
	values[0] = Int64GetDatum(run_id);
	spi_exec("SELECT status, attempt, after_run_id FROM dq.job_runs "
			 "WHERE run_id OPERATOR(pg_catalog.=) $1",
			 1, types, values, NULL, SPI_OK_SELECT);
	if (SPI_processed != 1)
		return;					/* deleted with its job */
	status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	attempt = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (strcmp(status, "failed") == 0 && j->seen && attempt <= j->retries)
	{
		Datum		after = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);

		j->retry_at = TimestampTzPlusMilliseconds(now, j->retry_delay_ms);
		j->retry_attempt = attempt + 1;
		j->retry_after_run = isnull ? 0 : DatumGetInt64(after);
	}
	else if (strcmp(status, "succeeded") == 0)
	{
		foreach(lc, jobs)
		{
			SchedJob   *d = lfirst(lc);

			if (d->seen && d->after_job == j->job_id)
				make_due(d, now, 1, run_id);
		}
	}
}

/* Runs whose worker has ended: make sure each is closed. */
static void
reap_runs(void)
{
	ListCell   *lc;

	foreach(lc, jobs)
	{
		SchedJob   *j = lfirst(lc);
		bool		ended = false;
		pid_t		pid = 0;
		int64		run_id;

		if (!run_in_progress(j))
			continue;
		if (j->handle != NULL)
		{
			BgwHandleStatus st = GetBackgroundWorkerPid(j->handle, &pid);

			ended = (st == BGWH_STOPPED || st == BGWH_POSTMASTER_DIED);
			if (st == BGWH_STARTED)
				j->last_pid = pid;
			else
				pid = j->last_pid;
		}
		else if (j->adopted_pid != 0)
		{
			PGPROC	   *proc = BackendPidGetProc(j->adopted_pid);

			ended = (proc == NULL);
		}
		else
			ended = true;
		if (j->seg != NULL)
		{
			/* a run in another database reports through its segment */
			DqRemoteRun *rr = dsm_segment_address(j->seg);

			pg_read_barrier();
			if (ended || (rr->started && !j->marked_running))
				record_remote(j, rr, pid, ended);
			if (!ended)
				continue;
			dsm_detach(j->seg);
			j->seg = NULL;
		}
		if (!ended)
			continue;
		fail_open_run(j->run_id,
					  "the job worker ended without recording a result: it was terminated or crashed (see the server log)");
		if (j->handle)
			pfree(j->handle);
		j->handle = NULL;
		run_id = j->run_id;
		j->run_id = 0;
		j->adopted_pid = 0;
		run_ended(j, run_id);
	}
}

/*
 * A run of j is due at tick (attempt 1 for a tick or an upstream job's
 * success, above 1 for a retry): mark it pending, or record why it is
 * skipped.  A run of j still waiting is skipped in its favour.
 */
static void
make_due(SchedJob *j, TimestampTz tick, int attempt, int64 after_run)
{
	if (run_in_progress(j))
	{
		char		msg[200];

		snprintf(msg, sizeof(msg),
				 "the previous run (run_id " INT64_FORMAT ") was still running", j->run_id);
		record_skipped(j, tick, msg);
		return;
	}
	if (j->waiting)
	{
		char		msg[200];

		snprintf(msg, sizeof(msg),
				 "the job's next run was due while this run still waited for %s",
				 j->waited_for ? j->waited_for : WAIT_SLOT);
		skip_waiting_run(j, msg);
	}
	else if (j->pending)
	{
		char		msg[200];

		if (catalog_v2)
			snprintf(msg, sizeof(msg), "a later run of the job was due before this one started");
		else
			snprintf(msg, sizeof(msg),
					 "the previous tick was still waiting for a free place (dq_lineage.max_running_jobs = %d)",
					 dq_max_running_jobs);
		record_skipped(j, j->pending_at, msg);
		j->pending = false;
	}

	if (!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(j->owner)))
		record_skipped(j, tick, "the job's owner role no longer exists");
	else if (!dq_allow_superuser_jobs && DqRoleCanBecomeSuperuser(j->owner))
		record_skipped(j, tick, "the job's owner is a superuser or may become one (SET ROLE), and dq_lineage.allow_superuser_jobs is off");
	else if (j->database != NULL &&
			 !OidIsValid(j->target = get_database_oid(j->database, true)))
	{
		char		msg[NAMEDATALEN + 64];

		snprintf(msg, sizeof(msg), "database \"%s\" does not exist", j->database);
		record_skipped(j, tick, msg);
	}
	else
	{
		if (j->database == NULL)
			j->target = MyDatabaseId;
		j->pending = true;
		j->pending_at = tick;
		j->pending_attempt = attempt;
		j->pending_after_run = after_run;
	}
}

/* Mark due jobs and retries pending, recording skipped ticks. */
static void
collect_due(TimestampTz now)
{
	ListCell   *lc;

	foreach(lc, jobs)
	{
		SchedJob   *j = lfirst(lc);
		TimestampTz tick = j->next_run;
		TimestampTz first;
		int64		late_ticks;

		/* a retry that is due */
		if (j->retry_at != 0 && j->retry_at <= now && !run_in_progress(j))
		{
			TimestampTz at = j->retry_at;

			j->retry_at = 0;
			make_due(j, at, j->retry_attempt, j->retry_after_run);
		}

		if (tick > now)
			continue;
		/* ticks that went by while we were busy are skipped, not caught up */
		late_ticks = advance_past(j, tick, now, &first);
		if (late_ticks > 0)
		{
			char		msg[200];

			snprintf(msg, sizeof(msg),
					 "%lld later tick(s) passed before the scheduler could start this job's run",
					 (long long) late_ticks);
			record_skipped(j, first, msg);
		}
		/* the tick replaces a retry not yet due */
		if (j->retry_at != 0)
		{
			char		msg[200];

			snprintf(msg, sizeof(msg),
					 "the job's next tick came before attempt %d of the failed run was due",
					 j->retry_attempt);
			record_skipped(j, j->retry_at, msg);
			j->retry_at = 0;
		}
		make_due(j, tick, 1, 0);
	}
}

static List *
lappend_in(List *list, void *item)
{
	MemoryContext old = MemoryContextSwitchTo(sched_cxt);

	list = lappend(list, item);
	MemoryContextSwitchTo(old);
	return list;
}

/* The process id of j's run in progress, 0 when not known yet. */
static pid_t
run_pid(SchedJob *j)
{
	pid_t		pid = 0;

	if (j->adopted_pid != 0)
		return j->adopted_pid;
	if (j->handle != NULL && GetBackgroundWorkerPid(j->handle, &pid) == BGWH_STARTED)
		return pid;
	return 0;
}

/*
 * Runs of role in progress: this scheduler's, and the job workers of the
 * role that other schedulers started (in any database), from the backend
 * status array.
 */
static int
role_running_count(Oid role)
{
	ListCell   *lc;
	int			n = 0;
	int			nbackends = pgstat_fetch_stat_numbackends();

	foreach(lc, jobs)
	{
		SchedJob   *j = lfirst(lc);

		if (run_in_progress(j) && j->owner == role)
			n++;
	}
	for (int i = 1; i <= nbackends; i++)
	{
		LocalPgBackendStatus *local = pgstat_fetch_stat_local_beentry(i);
		PgBackendStatus *be;
		const char *type;
		bool		ours = false;

		if (local == NULL)
			continue;
		be = &local->backendStatus;
		if (be->st_backendType != B_BG_WORKER || be->st_userid != role)
			continue;
		foreach(lc, jobs)
		{
			SchedJob   *j = lfirst(lc);

			if (run_in_progress(j) && run_pid(j) == be->st_procpid)
				ours = true;
		}
		if (ours)
			continue;
		type = GetBackgroundWorkerTypeByPid(be->st_procpid);
		if (type != NULL && strcmp(type, "dq_lineage job") == 0)
			n++;
	}
	return n;
}

/* Insert j's run as waiting for what (or note a new reason). */
static void
wait_run(SchedJob *j, const char *what)
{
	Oid			types[5] = {INT8OID, TIMESTAMPTZOID, TEXTOID, INT4OID, INT8OID};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	bool		isnull;

	if (j->waiting)
	{
		if (j->waited_for == what)
			return;
		values[0] = Int64GetDatum(j->run_id);
		values[1] = CStringGetTextDatum(what);
		types[1] = TEXTOID;
		spi_exec("UPDATE dq.job_runs SET waited_for = $2 WHERE run_id OPERATOR(pg_catalog.=) $1",
				 2, types, values, NULL, SPI_OK_UPDATE);
		j->waited_for = what;
		return;
	}
	values[0] = Int64GetDatum(j->job_id);
	values[1] = TimestampTzGetDatum(j->pending_at);
	values[2] = CStringGetTextDatum(what);
	values[3] = Int32GetDatum(j->pending_attempt);
	values[4] = Int64GetDatum(j->pending_after_run);
	if (j->pending_after_run == 0)
		nulls[4] = 'n';
	spi_exec("INSERT INTO dq.job_runs (job_id, scheduled_at, status, waited_for, attempt, after_run_id) "
			 "VALUES ($1, $2, 'waiting', $3, $4, $5) RETURNING run_id",
			 5, types, values, nulls, SPI_OK_INSERT_RETURNING);
	j->run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											SPI_tuptable->tupdesc, 1, &isnull));
	j->pending = false;
	j->waiting = true;
	j->waited_for = what;
}

/*
 * The runs that may start now, in the order of their ticks: pending ones
 * get their 'starting' row; waiting ones are launched as they are (the
 * worker accepts a waiting run and marks it running).  The others wait,
 * recorded as waiting.
 */
static List *
claim_runs(void)
{
	List	   *started = NIL;
	int			free_places = dq_max_running_jobs - running_count();

	for (;;)
	{
		SchedJob   *best = NULL;
		ListCell   *lc;
		const char *wait_for = NULL;

		foreach(lc, jobs)
		{
			SchedJob   *j = lfirst(lc);

			if (!j->pending && !j->waiting)
				continue;
			if (list_member_ptr(started, j))
				continue;
			if (j->waiting && j->from_waiting)
				continue;		/* already looked at in this pass */
			if (best != NULL &&
				(best->pending_at < j->pending_at ||
				 (best->pending_at == j->pending_at && best->job_id < j->job_id)))
				continue;
			best = j;
		}
		if (best == NULL)
			break;
		if (!catalog_v2)
		{
			/* 0.1.0's catalog: a pending tick waits without a row */
			if (free_places <= 0)
				break;
		}
		else if (free_places <= 0)
			wait_for = WAIT_MAX_RUNNING;
		else if (dq_max_runs_per_role > 0 &&
				 role_running_count(best->owner) >= dq_max_runs_per_role)
			wait_for = WAIT_ROLE_CAP;
		if (wait_for != NULL)
		{
			wait_run(best, wait_for);
			best->from_waiting = true;	/* looked at */
			continue;
		}
		if (best->waiting)
		{
			best->waiting = false;
			best->from_waiting = true;
		}
		else
		{
			Oid			types[4] = {INT8OID, TIMESTAMPTZOID, INT4OID, INT8OID};
			Datum		values[4];
			char		nulls[4] = {' ', ' ', ' ', ' '};
			bool		isnull;

			values[0] = Int64GetDatum(best->job_id);
			values[1] = TimestampTzGetDatum(best->pending_at);
			values[2] = Int32GetDatum(best->pending_attempt);
			values[3] = Int64GetDatum(best->pending_after_run);
			if (best->pending_after_run == 0)
				nulls[3] = 'n';
			if (catalog_v2)
				spi_exec("INSERT INTO dq.job_runs (job_id, scheduled_at, status, attempt, after_run_id) "
						 "VALUES ($1, $2, 'starting', $3, $4) RETURNING run_id",
						 4, types, values, nulls, SPI_OK_INSERT_RETURNING);
			else
				spi_exec("INSERT INTO dq.job_runs (job_id, scheduled_at, status) "
						 "VALUES ($1, $2, 'starting') RETURNING run_id",
						 2, types, values, NULL, SPI_OK_INSERT_RETURNING);
			best->run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
													   SPI_tuptable->tupdesc, 1, &isnull));
			best->pending = false;
			best->from_waiting = false;
		}
		/* the list outlives the SPI connection */
		started = lappend_in(started, best);
		free_places--;
	}
	/* the marks of this pass */
	{
		ListCell   *lc;

		foreach(lc, jobs)
		{
			SchedJob   *j = lfirst(lc);

			if (!list_member_ptr(started, j))
				j->from_waiting = false;
		}
	}
	return started;
}

/* After the claims committed: start a worker for each. */
static List *
launch_runs(List *started)
{
	ListCell   *lc;
	List	   *failed = NIL;

	foreach(lc, started)
	{
		SchedJob   *j = lfirst(lc);
		DqJobWorkerArgs args;
		BackgroundWorkerHandle *handle;
		MemoryContext old;

		/* runs after one that found no slot wait too: they start in order */
		if (catalog_v2 && failed != NIL)
		{
			failed = lappend_in(failed, j);
			continue;
		}

		args.dboid = j->target;
		args.owner = j->owner;
		args.run_id = j->run_id;
		args.remote = DSM_HANDLE_INVALID;
		j->marked_running = false;
		j->last_pid = 0;
		old = MemoryContextSwitchTo(sched_cxt);
		if (j->target != MyDatabaseId)
		{
			Size		len = strlen(j->command) + 1;
			DqRemoteRun *rr;

			j->seg = dsm_create(offsetof(DqRemoteRun, command) + len, 0);
			dsm_pin_mapping(j->seg);
			rr = dsm_segment_address(j->seg);
			memset(rr, 0, offsetof(DqRemoteRun, command));
			rr->statement_timeout_ms = j->timeout_ms;
			memcpy(rr->command, j->command, len);
			args.remote = dsm_segment_handle(j->seg);
		}
		if (DqStartWorker("dq_job_main", "dq_lineage job", j->target,
						  &args, sizeof(args), &handle))
			j->handle = handle;
		else
		{
			if (j->seg)
				dsm_detach(j->seg);
			j->seg = NULL;
			failed = lappend(failed, j);
		}
		MemoryContextSwitchTo(old);
	}
	return failed;
}

static void begin_work(void);
static void end_work(void);

/*
 * After the launches: a run that found no background worker slot waits
 * (0.1.0's catalog: fails, as it did); a waiting run whose worker was
 * launched is marked starting, unless its worker already marked it
 * running.
 */
static void
settle_launches(List *started, List *failed)
{
	ListCell   *lc;
	bool		any = false;

	foreach(lc, started)
	{
		SchedJob   *j = lfirst(lc);

		if (list_member_ptr(failed, j) || j->from_waiting)
			any = true;
	}
	if (!any)
		return;
	begin_work();
	foreach(lc, started)
	{
		SchedJob   *j = lfirst(lc);
		Oid			types[2] = {INT8OID, TEXTOID};
		Datum		values[2];
		bool		was_waiting = j->from_waiting;

		j->from_waiting = false;
		values[0] = Int64GetDatum(j->run_id);
		if (!list_member_ptr(failed, j))
		{
			if (was_waiting)
				spi_exec("UPDATE dq.job_runs SET status = 'starting' "
						 "WHERE run_id OPERATOR(pg_catalog.=) $1 AND status OPERATOR(pg_catalog.=) 'waiting'",
						 1, types, values, NULL, SPI_OK_UPDATE);
			continue;
		}
		if (!catalog_v2)
		{
			fail_open_run(j->run_id,
						  "no background worker slot was free to run the job; raise max_worker_processes");
			j->run_id = 0;
			continue;
		}
		j->waiting = true;
		if (was_waiting && j->waited_for == WAIT_SLOT)
			continue;
		values[1] = CStringGetTextDatum(WAIT_SLOT);
		spi_exec("UPDATE dq.job_runs SET status = 'waiting', waited_for = $2 "
				 "WHERE run_id OPERATOR(pg_catalog.=) $1 "
				 "AND status OPERATOR(pg_catalog.=) ANY ('{starting,waiting}'::pg_catalog.text[])",
				 2, types, values, NULL, SPI_OK_UPDATE);
		j->waited_for = WAIT_SLOT;
	}
	end_work();
	if (failed != NIL && !catalog_v2)
		ereport(WARNING,
				(errmsg("dq_lineage could not start %d job run(s): no background worker slot is free",
						list_length(failed)),
				 errhint("Raise max_worker_processes.")));
}

static void
prune_history(void)
{
	Oid			types[1] = {TIMESTAMPTZOID};
	Datum		values[1];

	if (dq_job_run_retention <= 0)
		return;
	values[0] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp() -
									(TimestampTz) dq_job_run_retention * USECS_PER_SEC);
	spi_exec("DELETE FROM dq.job_runs WHERE status OPERATOR(pg_catalog.<>) ALL "
			 "('{waiting,starting,running}'::pg_catalog.text[]) "
			 "AND coalesce(ended_at, scheduled_at) OPERATOR(pg_catalog.<) $1",
			 1, types, values, NULL, SPI_OK_DELETE);
}

static long
next_wait_ms(TimestampTz now)
{
	TimestampTz next = TimestampTzPlusMilliseconds(now, SCHEDULER_NAPTIME_MS);
	ListCell   *lc;

	/*
	 * Pending runs need no timeout: a run of ours that ends sets our latch.
	 * Waiting runs do: a slot another process frees, or a run of the same
	 * role in another database that ends, sets no latch of ours.
	 */
	foreach(lc, jobs)
	{
		SchedJob   *j = lfirst(lc);

		if (j->next_run < next)
			next = j->next_run;
		if (j->retry_at != 0 && j->retry_at < next)
			next = j->retry_at;
		if (j->waiting)
			next = Min(next, TimestampTzPlusMilliseconds(now, WAITING_POLL_MS));
	}
	if (next <= now)
		return 0;
	/* round up: waking a little late is better than spinning early */
	return (long) ((next - now + 999) / 1000);
}

static void
begin_work(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

static void
end_work(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* The extension is gone: runs in progress have nowhere to record. */
static void
stop_running_jobs(void)
{
	ListCell   *lc;

	foreach(lc, jobs)
	{
		SchedJob   *j = lfirst(lc);

		if (j->handle != NULL)
			TerminateBackgroundWorker(j->handle);
		else if (j->adopted_pid != 0)
			(void) kill(j->adopted_pid, SIGTERM);
	}
}

/*
 * Register a task of another subsystem, run by every scheduler inside its
 * transaction: on every pass (interval_ms 0, before the jobs are
 * handled) or at most every interval_ms (after them).  Called from
 * _PG_init.
 */
void
DqSchedulerAddTask(DqSchedulerTask task, int interval_ms)
{
	if (ntasks >= MAX_TASKS)
		elog(ERROR, "too many dq_lineage scheduler tasks");
	tasks[ntasks].fn = task;
	tasks[ntasks].interval_ms = interval_ms;
	tasks[ntasks].last_run = 0;
	ntasks++;
}

/* Run the tasks of every pass (periodic false) or the periodic ones. */
static void
run_tasks(bool periodic)
{
	TimestampTz now = GetCurrentTimestamp();

	for (int i = 0; i < ntasks; i++)
	{
		SchedTask  *t = &tasks[i];

		if ((t->interval_ms > 0) != periodic)
			continue;
		if (periodic && now - t->last_run < t->interval_ms * (int64) 1000)
			continue;
		t->fn();
		t->last_run = now;
	}
}

/* Is the extension there and usable?  (Inside a transaction.) */
static bool
extension_ready(void)
{
	return OidIsValid(get_extension_oid("dq_lineage", true));
}

void
dq_scheduler_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);
	uint32		seen_generation = 0;
	bool		first = true;
	bool		reload = false;
	TimestampTz last_prune = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (DqDatabasePaused(dboid))
		proc_exit(0);
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	DqPinWorkerSession();
	pgstat_report_appname("dq_lineage scheduler");

	sched_cxt = AllocSetContextCreate(TopMemoryContext, "dq_lineage scheduler",
									  ALLOCSET_DEFAULT_SIZES);
	my_entry = DqAttachScheduler(dboid);
	if (my_entry == NULL)
		proc_exit(0);
	before_shmem_exit(scheduler_detach, (Datum) 0);

	for (;;)
	{
		TimestampTz now;
		List	   *started = NIL;
		List	   *failed;
		uint32		gen;
		long		wait_ms;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			last_prune = 0;		/* a new retention applies at once */
			reload = true;		/* dq_lineage.timezone may have changed */
		}
		if (!dq_scheduler_enabled || DqDatabasePaused(dboid))
			proc_exit(0);

		begin_work();
		if (!extension_ready())
		{
			ereport(DEBUG1,
					(errmsg("dq_lineage scheduler of database \"%s\" stops: the extension is not installed",
							get_database_name(MyDatabaseId))));
			end_work();
			extension_gone = true;
			stop_running_jobs();
			proc_exit(0);
		}
		run_tasks(false);
		gen = DqJobsGeneration(my_entry);
		if (first || reload || gen != seen_generation)
		{
			seen_generation = gen;
			reload = false;
			load_jobs(first);
			if (first)
			{
				reconcile_open_runs();
				ereport(LOG,
						(errmsg("dq_lineage scheduler started in database \"%s\" with %d job(s)",
								get_database_name(MyDatabaseId), list_length(jobs))));
			}
			first = false;
		}
		reap_runs();
		now = GetCurrentTimestamp();
		collect_due(now);
		started = claim_runs();
		if (now - last_prune >= PRUNE_INTERVAL_MS * (int64) 1000)
		{
			prune_history();
			last_prune = now;
		}
		run_tasks(true);
		end_work();

		failed = launch_runs(started);
		if (failed != NIL || catalog_v2)
			settle_launches(started, failed);
		list_free(started);
		list_free(failed);

		wait_ms = next_wait_ms(GetCurrentTimestamp());
		if (wait_ms > 0)
		{
			(void) WaitLatch(MyLatch,
							 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 wait_ms, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
}
