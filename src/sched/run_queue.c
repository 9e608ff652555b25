/*-------------------------------------------------------------------------
 *
 * run_queue.c
 *	  The scheduler's run queue: which due runs start, in which order, and
 *	  what follows a run's end.
 *
 * The scheduler's main loop (scheduler.c) marks runs due at their ticks
 * (DqSchedMakeDue); on every pass, DqSchedClaimRuns picks the runs that
 * may start now, DqSchedLaunchRuns starts their workers once the claims
 * committed, and DqSchedSettleLaunches records what the launches found.
 * When a run ended, DqSchedRunEnded schedules its retry or makes the jobs
 * that run after it due.
 *
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
 *	   job makes it due at once (after_run_id names the run).
 *
 * The per-role cap counts the role's job workers of every database: this
 * scheduler's own runs, and the other processes whose background worker
 * type is "dq_lineage job" (read from the backend status array).  Two
 * schedulers starting runs of the same role at the same moment can
 * exceed the cap by one run each, until one of them ends.
 *
 * With the installed SQL objects of 0.1.0 (dq_sched_catalog_v2 false) a
 * run that cannot start waits without a row, and one that finds no
 * background worker slot fails, as in 0.1.0.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "base/bgworker.h"
#include "base/guc.h"
#include "base/stats.h"
#include "base/trust.h"
#include "sched/sched_internal.h"
#include "sched/worker.h"

/* What a waiting run waits for (dq.job_runs.waited_for); compared by address. */
static const char WAIT_SLOT[] = "a free background worker slot (max_worker_processes)";
static const char WAIT_MAX_RUNNING[] = "dq_lineage.max_running_jobs";
static const char WAIT_ROLE_CAP[] = "dq_lineage.max_runs_per_role";

/* Runs of this scheduler with a worker. */
static int
running_count(void)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, dq_sched_jobs)
		if (DqSchedRunInProgress((SchedJob *) lfirst(lc)))
			n++;
	return n;
}

/* Close a waiting run as skipped; message says why. */
void
DqSchedSkipWaitingRun(SchedJob *j, const char *message)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];

	values[0] = Int64GetDatum(j->run_id);
	values[1] = CStringGetTextDatum(message);
	DqSchedSpiExec("UPDATE dq.job_runs SET status = 'skipped', ended_at = pg_catalog.now(), message = $2 "
				   "WHERE run_id OPERATOR(pg_catalog.=) $1 AND status OPERATOR(pg_catalog.=) 'waiting'",
				   2, types, values, NULL, SPI_OK_UPDATE);
	DqStatsCount(DQ_STAT_JOBS_SKIPPED, 1);
	j->run_id = 0;
	j->waiting = false;
	j->waited_for = NULL;
}

/*
 * A run of j ended and is closed: schedule its retry when it failed and
 * retries are left, make the jobs that run after j due when it succeeded.
 */
void
DqSchedRunEnded(SchedJob *j, int64 run_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	char	   *status;
	int			attempt;
	bool		isnull;
	TimestampTz now = GetCurrentTimestamp();
	ListCell   *lc;

	if (!dq_sched_catalog_v2)
		return;
	values[0] = Int64GetDatum(run_id);
	DqSchedSpiExec("SELECT status, attempt, after_run_id FROM dq.job_runs "
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
		foreach(lc, dq_sched_jobs)
		{
			SchedJob   *d = lfirst(lc);

			if (d->seen && d->after_job == j->job_id)
				DqSchedMakeDue(d, now, 1, run_id);
		}
	}
}

/*
 * A run of j is due at tick (attempt 1 for a tick or an upstream job's
 * success, above 1 for a retry): mark it pending, or record why it is
 * skipped.  A run of j still waiting is skipped in its favour.
 */
void
DqSchedMakeDue(SchedJob *j, TimestampTz tick, int attempt, int64 after_run)
{
	if (DqSchedRunInProgress(j))
	{
		char		msg[200];

		snprintf(msg, sizeof(msg),
				 "the previous run (run_id " INT64_FORMAT ") was still running", j->run_id);
		DqSchedRecordSkipped(j, tick, msg);
		return;
	}
	if (j->waiting)
	{
		char		msg[200];

		snprintf(msg, sizeof(msg),
				 "the job's next run was due while this run still waited for %s",
				 j->waited_for ? j->waited_for : WAIT_SLOT);
		DqSchedSkipWaitingRun(j, msg);
	}
	else if (j->pending)
	{
		char		msg[200];

		if (dq_sched_catalog_v2)
			snprintf(msg, sizeof(msg), "a later run of the job was due before this one started");
		else
			snprintf(msg, sizeof(msg),
					 "the previous tick was still waiting for a free place (dq_lineage.max_running_jobs = %d)",
					 dq_max_running_jobs);
		DqSchedRecordSkipped(j, j->pending_at, msg);
		j->pending = false;
	}

	if (!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(j->owner)))
		DqSchedRecordSkipped(j, tick, "the job's owner role no longer exists");
	else if (!dq_allow_superuser_jobs && DqRoleCanBecomeSuperuser(j->owner))
		DqSchedRecordSkipped(j, tick, "the job's owner is a superuser or may become one (SET ROLE), and dq_lineage.allow_superuser_jobs is off");
	else if (j->database != NULL &&
			 !OidIsValid(j->target = get_database_oid(j->database, true)))
	{
		char		msg[NAMEDATALEN + 64];

		snprintf(msg, sizeof(msg), "database \"%s\" does not exist", j->database);
		DqSchedRecordSkipped(j, tick, msg);
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

static List *
lappend_in(List *list, void *item)
{
	MemoryContext old = MemoryContextSwitchTo(dq_sched_cxt);

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

	foreach(lc, dq_sched_jobs)
	{
		SchedJob   *j = lfirst(lc);

		if (DqSchedRunInProgress(j) && j->owner == role)
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
		foreach(lc, dq_sched_jobs)
		{
			SchedJob   *j = lfirst(lc);

			if (DqSchedRunInProgress(j) && run_pid(j) == be->st_procpid)
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

/*
 * Insert the row of j's pending run with sql (an INSERT ... RETURNING
 * run_id): the row is j's run from now on.
 */
static void
insert_run(SchedJob *j, const char *sql, int nargs, Oid *types,
		   Datum *values, const char *nulls)
{
	bool		isnull;

	DqSchedSpiExec(sql, nargs, types, values, nulls, SPI_OK_INSERT_RETURNING);
	j->run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											SPI_tuptable->tupdesc, 1, &isnull));
	j->pending = false;
}

/* Insert j's run as waiting for what (or note a new reason). */
static void
wait_run(SchedJob *j, const char *what)
{
	Oid			types[5] = {INT8OID, TIMESTAMPTZOID, TEXTOID, INT4OID, INT8OID};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

	if (j->waiting)
	{
		if (j->waited_for == what)
			return;
		values[0] = Int64GetDatum(j->run_id);
		values[1] = CStringGetTextDatum(what);
		types[1] = TEXTOID;
		DqSchedSpiExec("UPDATE dq.job_runs SET waited_for = $2 WHERE run_id OPERATOR(pg_catalog.=) $1",
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
	insert_run(j, "INSERT INTO dq.job_runs (job_id, scheduled_at, status, waited_for, attempt, after_run_id) "
			   "VALUES ($1, $2, 'waiting', $3, $4, $5) RETURNING run_id",
			   5, types, values, nulls);
	j->waiting = true;
	j->waited_for = what;
}

/*
 * The runs that may start now, in the order of their ticks: pending ones
 * get their 'starting' row; waiting ones are launched as they are (the
 * worker accepts a waiting run and marks it running).  The others wait,
 * recorded as waiting.
 */
List *
DqSchedClaimRuns(void)
{
	List	   *started = NIL;
	int			free_places = dq_max_running_jobs - running_count();

	for (;;)
	{
		SchedJob   *best = NULL;
		ListCell   *lc;
		const char *wait_for = NULL;

		foreach(lc, dq_sched_jobs)
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
		if (!dq_sched_catalog_v2)
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

			values[0] = Int64GetDatum(best->job_id);
			values[1] = TimestampTzGetDatum(best->pending_at);
			values[2] = Int32GetDatum(best->pending_attempt);
			values[3] = Int64GetDatum(best->pending_after_run);
			if (best->pending_after_run == 0)
				nulls[3] = 'n';
			if (dq_sched_catalog_v2)
				insert_run(best, "INSERT INTO dq.job_runs (job_id, scheduled_at, status, attempt, after_run_id) "
						   "VALUES ($1, $2, 'starting', $3, $4) RETURNING run_id",
						   4, types, values, nulls);
			else
				insert_run(best, "INSERT INTO dq.job_runs (job_id, scheduled_at, status) "
						   "VALUES ($1, $2, 'starting') RETURNING run_id",
						   2, types, values, NULL);
			best->from_waiting = false;
		}
		/* the list outlives the SPI connection */
		started = lappend_in(started, best);
		free_places--;
	}
	/* the marks of this pass */
	{
		ListCell   *lc;

		foreach(lc, dq_sched_jobs)
		{
			SchedJob   *j = lfirst(lc);

			if (!list_member_ptr(started, j))
				j->from_waiting = false;
		}
	}
	return started;
}

/* After the claims committed: start a worker for each. */
List *
DqSchedLaunchRuns(List *started)
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
		if (dq_sched_catalog_v2 && failed != NIL)
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
		old = MemoryContextSwitchTo(dq_sched_cxt);
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

/*
 * After the launches: a run that found no background worker slot waits
 * (0.1.0's catalog: fails, as it did); a waiting run whose worker was
 * launched is marked starting, unless its worker already marked it
 * running.
 */
void
DqSchedSettleLaunches(List *started, List *failed)
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
	DqSchedBeginWork();
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
				DqSchedSpiExec("UPDATE dq.job_runs SET status = 'starting' "
							   "WHERE run_id OPERATOR(pg_catalog.=) $1 AND status OPERATOR(pg_catalog.=) 'waiting'",
							   1, types, values, NULL, SPI_OK_UPDATE);
			continue;
		}
		if (!dq_sched_catalog_v2)
		{
			DqSchedFailOpenRun(j->run_id,
							   "no background worker slot was free to run the job; raise max_worker_processes");
			j->run_id = 0;
			continue;
		}
		j->waiting = true;
		if (was_waiting && j->waited_for == WAIT_SLOT)
			continue;
		values[1] = CStringGetTextDatum(WAIT_SLOT);
		DqSchedSpiExec("UPDATE dq.job_runs SET status = 'waiting', waited_for = $2 "
					   "WHERE run_id OPERATOR(pg_catalog.=) $1 "
					   "AND status OPERATOR(pg_catalog.=) ANY ('{starting,waiting}'::pg_catalog.text[])",
					   2, types, values, NULL, SPI_OK_UPDATE);
		j->waited_for = WAIT_SLOT;
	}
	DqSchedEndWork();
	if (failed != NIL && !dq_sched_catalog_v2)
		ereport(WARNING,
				(errmsg("dq_lineage could not start %d job run(s): no background worker slot is free",
						list_length(failed)),
				 errhint("Raise max_worker_processes.")));
}
