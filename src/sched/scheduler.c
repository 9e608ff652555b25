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
 * Run bookkeeping in dq.job_runs (which due runs start, and when, is
 * decided in run_queue.c: waiting runs, the per-role cap, retries, jobs
 * that run after another job):
 *	 - a tick whose job still has a run in progress is recorded as skipped;
 *	 - a worker that ends without recording its result (terminated, killed)
 *	   is recorded as failed with the reason;
 *	 - at start, runs left open by a previous scheduler or server are
 *	   closed as failed (waiting ones as skipped), and ticks missed while no scheduler ran are
 *	   recorded as one skipped run per job: they are not caught up.
 *
 * A library newer than the installed SQL objects (0.1.0, before ALTER
 * EXTENSION UPDATE) runs the jobs as 0.1.0 did: no waiting status, no
 * retries, no dependencies (dq_sched_catalog_v2 false).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
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
#include "utils/timestamp.h"

#include "base/catalog.h"
#include "base/guc.h"
#include "base/shmem.h"
#include "base/spi_util.h"
#include "base/trust.h"
#include "sched/cron.h"
#include "base/stats.h"
#include "sched/sched_internal.h"
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

typedef struct SchedTask
{
	DqSchedulerTask fn;
	int			interval_ms;
	TimestampTz last_run;
} SchedTask;

static SchedTask tasks[MAX_TASKS];
static int	ntasks = 0;

/* shared with run_queue.c (sched_internal.h) */
MemoryContext dq_sched_cxt;
List	   *dq_sched_jobs = NIL;
bool		dq_sched_catalog_v2 = false;

static DqDbEntry *my_entry;
static bool extension_gone = false;

static void
scheduler_detach(int code, Datum arg)
{
	if (my_entry)
		DqDbTableDetachWorker(DqSchedTable(), my_entry, extension_gone);
}

static SchedJob *
find_job(int64 job_id)
{
	ListCell   *lc;

	foreach(lc, dq_sched_jobs)
	{
		SchedJob   *j = lfirst(lc);

		if (j->job_id == job_id)
			return j;
	}
	return NULL;
}

/* The runs still open: their worker has not recorded an outcome. */
#define DQ_RUN_OPEN \
	"status OPERATOR(pg_catalog.=) ANY ('{starting,running}'::pg_catalog.text[])"

void
DqSchedSpiExec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, int expect)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (rc != expect)
		elog(ERROR, "SPI_execute failed (%d): %s", rc, sql);
}

/* Record a run that did not start; message says why. */
void
DqSchedRecordSkipped(SchedJob *j, TimestampTz scheduled_at, const char *message)
{
	Oid			types[3] = {INT8OID, TIMESTAMPTZOID, TEXTOID};
	Datum		values[3];

	values[0] = Int64GetDatum(j->job_id);
	values[1] = TimestampTzGetDatum(scheduled_at);
	values[2] = CStringGetTextDatum(message);
	DqSchedSpiExec("INSERT INTO dq.job_runs (job_id, scheduled_at, ended_at, status, message) "
				   "VALUES ($1, $2, pg_catalog.now(), 'skipped', $3)",
				   3, types, values, NULL, SPI_OK_INSERT);
	DqStatsCount(DQ_STAT_JOBS_SKIPPED, 1);
}

/* Close a run that is still open, as failed with a reason. */
void
DqSchedFailOpenRun(int64 run_id, const char *message)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];

	values[0] = Int64GetDatum(run_id);
	values[1] = CStringGetTextDatum(message);
	DqSchedSpiExec("UPDATE dq.job_runs SET status = 'failed', ended_at = pg_catalog.now(), message = $2 "
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

/*
 * Jobs gone from the table or disabled (not seen by load_jobs): forget them
 * once no run is in progress, else append them to kept.  The run of a job
 * that was deleted (dq.unschedule) is stopped; a disabled job's run ends on
 * its own.
 */
static List *
keep_unseen_jobs(List *kept)
{
	ListCell   *lc;

	foreach(lc, dq_sched_jobs)
	{
		SchedJob   *j = lfirst(lc);

		if (!j->seen)
		{
			/* a disabled job's waiting run will not start (a deleted one's row is gone) */
			if (j->waiting && j->present)
				DqSchedSkipWaitingRun(j, "the job was disabled while the run waited");
			else if (j->waiting)
				j->run_id = 0;	/* deleted with its job */
			j->waiting = false;
			j->retry_at = 0;
			if (DqSchedRunInProgress(j))
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
	return kept;
}

/* Read dq.jobs; keep the runtime state of jobs that are still there. */
static void
load_jobs(bool at_start)
{
	MemoryContext old;
	ListCell   *lc;
	List	   *kept = NIL;
	TimestampTz now;

	foreach(lc, dq_sched_jobs)
	{
		((SchedJob *) lfirst(lc))->seen = false;
		((SchedJob *) lfirst(lc))->present = false;
	}

	dq_sched_catalog_v2 = catalog_has_v2();
	DqSchedSpiExec(psprintf("SELECT j.job_id, j.owner::pg_catalog.oid, j.enabled, j.schedule, j.timezone, "
							"j.schedule_anchor, "
							"(SELECT pg_catalog.max(r.scheduled_at) FROM dq.job_runs r "
							"  WHERE r.job_id OPERATOR(pg_catalog.=) j.job_id), "
							"j.database, j.command, j.statement_timeout, %s "
							"FROM dq.jobs j",
							dq_sched_catalog_v2 ?
							"j.retries, (pg_catalog.date_part('epoch', j.retry_delay) "
							"  OPERATOR(pg_catalog.*) 1000)::pg_catalog.int8, "
							"coalesce(j.after_job, 0)" :
							"0, 0::pg_catalog.int8, 0::pg_catalog.int8"),
				   0, NULL, NULL, NULL, SPI_OK_SELECT);

	/*
	 * The clock is read after the query: every job it returns was set by a
	 * transaction that started before this moment, so a new job's anchor
	 * (its transaction's now()) is not in the future and its first tick is
	 * the anchor plus one interval.  Read before the query, the clock could
	 * predate a job committed while the query waited for a lock, and the
	 * job would run at once, at its anchor.
	 */
	now = GetCurrentTimestamp();

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

		old = MemoryContextSwitchTo(dq_sched_cxt);
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

		old = MemoryContextSwitchTo(dq_sched_cxt);
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
				DqSchedRecordSkipped(j, first, msg);
			}
		}
		else if (changed)
			j->next_run = DqScheduleNext(&j->sched, Max(now, anchor - 1), anchor, tz);
		kept = lappend(kept, j);
	}

	kept = keep_unseen_jobs(kept);
	old = MemoryContextSwitchTo(dq_sched_cxt);
	list_free(dq_sched_jobs);
	dq_sched_jobs = list_copy(kept);
	MemoryContextSwitchTo(old);
}

/* At start: close runs a previous scheduler left open, adopt live ones. */
static void
reconcile_open_runs(void)
{
	DqSchedSpiExec("UPDATE dq.job_runs SET status = 'skipped', ended_at = pg_catalog.now(), "
				   "message = 'the scheduler stopped while the run waited to start' "
				   "WHERE status OPERATOR(pg_catalog.=) 'waiting'",
				   0, NULL, NULL, NULL, SPI_OK_UPDATE);
	DqSchedSpiExec("SELECT run_id, job_id, worker_pid FROM dq.job_runs WHERE " DQ_RUN_OPEN,
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
				DqSchedFailOpenRun(run_id,
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
	DqSchedSpiExec("UPDATE dq.job_runs SET status = $2, started_at = $3, ended_at = $4, "
				   "worker_pid = $5, command_tag = $6, rows = $7, sqlstate = $8, message = $9 "
				   "WHERE run_id OPERATOR(pg_catalog.=) $1 AND " DQ_RUN_OPEN,
				   9, types, values, nulls, SPI_OK_UPDATE);
	j->marked_running = true;
}

/* Runs whose worker has ended: make sure each is closed. */
static void
reap_runs(void)
{
	ListCell   *lc;

	foreach(lc, dq_sched_jobs)
	{
		SchedJob   *j = lfirst(lc);
		bool		ended = false;
		pid_t		pid = 0;
		int64		run_id;

		if (!DqSchedRunInProgress(j))
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
		DqSchedFailOpenRun(j->run_id,
						   "the job worker ended without recording a result: it was terminated or crashed (see the server log)");
		if (j->handle)
			pfree(j->handle);
		j->handle = NULL;
		run_id = j->run_id;
		j->run_id = 0;
		j->adopted_pid = 0;
		DqSchedRunEnded(j, run_id);
	}
}

/* Mark due jobs and retries pending, recording skipped ticks. */
static void
collect_due(TimestampTz now)
{
	ListCell   *lc;

	foreach(lc, dq_sched_jobs)
	{
		SchedJob   *j = lfirst(lc);
		TimestampTz tick = j->next_run;
		TimestampTz first;
		int64		late_ticks;

		/* a retry that is due */
		if (j->retry_at != 0 && j->retry_at <= now && !DqSchedRunInProgress(j))
		{
			TimestampTz at = j->retry_at;

			j->retry_at = 0;
			DqSchedMakeDue(j, at, j->retry_attempt, j->retry_after_run);
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
			DqSchedRecordSkipped(j, first, msg);
		}
		/* the tick replaces a retry not yet due */
		if (j->retry_at != 0)
		{
			char		msg[200];

			snprintf(msg, sizeof(msg),
					 "the job's next tick came before attempt %d of the failed run was due",
					 j->retry_attempt);
			DqSchedRecordSkipped(j, j->retry_at, msg);
			j->retry_at = 0;
		}
		DqSchedMakeDue(j, tick, 1, 0);
	}
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
	DqSchedSpiExec("DELETE FROM dq.job_runs WHERE status OPERATOR(pg_catalog.<>) ALL "
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
	foreach(lc, dq_sched_jobs)
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

void
DqSchedBeginWork(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	DqSpiConnect();
}

void
DqSchedEndWork(void)
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

	foreach(lc, dq_sched_jobs)
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

	dq_sched_cxt = AllocSetContextCreate(TopMemoryContext, "dq_lineage scheduler",
										 ALLOCSET_DEFAULT_SIZES);
	my_entry = DqDbTableAttachWorker(DqSchedTable(), dboid);
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

		DqSchedBeginWork();
		if (!extension_ready())
		{
			ereport(DEBUG1,
					(errmsg("dq_lineage scheduler of database \"%s\" stops: the extension is not installed",
							get_database_name(MyDatabaseId))));
			DqSchedEndWork();
			extension_gone = true;
			stop_running_jobs();
			proc_exit(0);
		}
		run_tasks(false);
		gen = DqDbTableGeneration(DqSchedTable(), my_entry);
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
								get_database_name(MyDatabaseId), list_length(dq_sched_jobs))));
			}
			first = false;
		}
		reap_runs();
		now = GetCurrentTimestamp();
		collect_due(now);
		started = DqSchedClaimRuns();
		if (now - last_prune >= PRUNE_INTERVAL_MS * (int64) 1000)
		{
			prune_history();
			last_prune = now;
		}
		run_tasks(true);
		DqSchedEndWork();

		failed = DqSchedLaunchRuns(started);
		if (failed != NIL || dq_sched_catalog_v2)
			DqSchedSettleLaunches(started, failed);
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
