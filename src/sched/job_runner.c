/*-------------------------------------------------------------------------
 *
 * job_runner.c
 *	  The worker that executes one run of a scheduled job.
 *
 * The scheduler starts it with the run id; it connects to the database as
 * the job's owner (so the command has exactly the owner's rights, and the
 * owner's and database's settings apply), marks the run running, executes
 * the command the way a client's simple query would (several statements,
 * transaction control, VACUUM and the like all work, and
 * statement_timeout applies to each statement), and records the outcome:
 * the last command tag and row count, or the error with its SQLSTATE.
 * A run that waited for a slot may still read 'waiting' when its worker
 * starts (the scheduler marks it starting after the launch): both are
 * taken.
 *
 * No libpq connection is opened and pg_hba.conf is not involved.  The
 * bookkeeping writes to dq.job_runs are made as the extension owner, with
 * search_path pinned and every function and operator schema-qualified
 * (DqBecomeExtensionOwner): the session is the owner's, and so are its
 * settings.  With dq_lineage.allow_superuser_jobs off, the worker checks
 * again, once connected, that its owner is not (and cannot become) a
 * superuser, and records the run as skipped if it is.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/printtup.h"
#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/analyze.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "port/atomics.h"
#include "storage/dsm.h"
#include "storage/proc.h"
#include "tcop/cmdtag.h"
#include "tcop/dest.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/ps_status.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"

#include "base/catalog.h"
#include "base/guc.h"
#include "base/spi_util.h"
#include "base/trust.h"
#include "base/progress.h"
#include "sched/worker.h"

typedef struct RunOutcome
{
	char		command_tag[COMPLETION_TAG_BUFSIZE];
	uint64		rows;
	bool		has_rows;
} RunOutcome;

/* Run one SQL statement (under the caller's transaction handling). */
static void
run_statement(RawStmt *parsetree, const char *sql, bool is_top_level,
			  RunOutcome *out)
{
	CommandTag	tag = CreateCommandTag(parsetree->stmt);
	bool		snapshot_set = false;
	List	   *querytrees;
	List	   *plantrees;
	Portal		portal;
	DestReceiver *receiver;
	QueryCompletion qc;
	int16		format = 0;

	set_ps_display(GetCommandTagName(tag));
	if (analyze_requires_snapshot(parsetree))
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		snapshot_set = true;
	}
	querytrees = pg_analyze_and_rewrite_fixedparams(parsetree, sql, NULL, 0, NULL);
	plantrees = pg_plan_queries(querytrees, sql, CURSOR_OPT_PARALLEL_OK, NULL);
	if (snapshot_set)
		PopActiveSnapshot();
	CHECK_FOR_INTERRUPTS();

	portal = CreatePortal("", true, true);
	portal->visible = false;
	PortalDefineQuery(portal, NULL, sql, tag, plantrees, NULL);
	PortalStart(portal, NULL, 0, InvalidSnapshot);
	PortalSetResultFormat(portal, 1, &format);
	receiver = CreateDestReceiver(DestNone);
	InitializeQueryCompletion(&qc);
	(void) PortalRun(portal, FETCH_ALL, is_top_level, true, receiver, receiver, &qc);
	receiver->rDestroy(receiver);
	PortalDrop(portal, false);

	out->rows = qc.nprocessed;
	out->has_rows = command_tag_display_rowcount(qc.commandTag);
	/* as a client would see it: "SELECT 3", "INSERT 0 5", "VACUUM" */
	if (!out->has_rows)
		strlcpy(out->command_tag, GetCommandTagName(qc.commandTag), sizeof(out->command_tag));
	else
		snprintf(out->command_tag, sizeof(out->command_tag), "%s%s " UINT64_FORMAT,
				 GetCommandTagName(qc.commandTag),
				 qc.commandTag == CMDTAG_INSERT ? " 0" : "", qc.nprocessed);
}

/*
 * Execute a command string as exec_simple_query would: one implicit
 * transaction block around several statements, transaction control
 * allowed, a statement timer per statement.
 */
static void
run_command(const char *sql, RunOutcome *out)
{
	List	   *parsetrees;
	ListCell   *lc;
	bool		implicit_block;
	bool		xact_started = true;
	MemoryContext cmd_cxt = CurrentMemoryContext;

	StartTransactionCommand();
	MemoryContextSwitchTo(cmd_cxt);
	parsetrees = pg_parse_query(sql);
	implicit_block = list_length(parsetrees) > 1;
	if (parsetrees == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the job's command contains no statement")));

	foreach(lc, parsetrees)
	{
		RawStmt    *parsetree = lfirst_node(RawStmt, lc);

		SetCurrentStatementStartTimestamp();
		if (!xact_started)
		{
			StartTransactionCommand();
			xact_started = true;
		}
		if (implicit_block)
			BeginImplicitTransactionBlock();
		MemoryContextSwitchTo(cmd_cxt);
		if (StatementTimeout > 0)
			enable_timeout_after(STATEMENT_TIMEOUT, StatementTimeout);

		run_statement(parsetree, sql, !implicit_block, out);

		if (get_timeout_active(STATEMENT_TIMEOUT))
			disable_timeout(STATEMENT_TIMEOUT, false);
		if (lnext(parsetrees, lc) == NULL)
		{
			if (implicit_block)
				EndImplicitTransactionBlock();
			CommitTransactionCommand();
			xact_started = false;
		}
		else if (IsA(parsetree->stmt, TransactionStmt))
		{
			CommitTransactionCommand();
			xact_started = false;
		}
		else
			CommandCounterIncrement();
	}
	if (IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("the job's command left a transaction block open"),
				 errhint("End the command with COMMIT; the open transaction was rolled back.")));
}

/*
 * One bookkeeping statement on dq.job_runs, in its own transaction, as the
 * extension owner.  The first ncols columns of its first result row, if
 * any, are returned in out[] as text (allocated in the caller's context).
 * Returns the number of rows processed.
 */
static uint64
update_run(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls,
		   int ncols, char **out)
{
	DqOwnerContext owner;
	MemoryContext outer = CurrentMemoryContext;
	uint64		n;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	DqSpiConnect();
	DqBecomeExtensionOwner(&owner);
	n = DqSpiRunArgs(sql, nargs, types, values, nulls, false, 0,
					 psprintf("run \"%s\"", sql));
	for (int i = 0; i < ncols; i++)
	{
		MemoryContext spi = MemoryContextSwitchTo(outer);

		out[i] = n > 0 ? SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1) : NULL;
		MemoryContextSwitchTo(spi);
	}
	DqRestoreUser(&owner);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(outer);
	return n;
}

#define DQ_SUPERUSER_REFUSED \
	"the job's owner is a superuser or may become one (SET ROLE), and dq_lineage.allow_superuser_jobs is off"

/*
 * With dq_lineage.allow_superuser_jobs off, a run whose owner is (or may
 * become) a superuser is refused, even if the owner gained that power
 * after the scheduler's check of the tick.
 */
static bool
owner_refused(Oid owner)
{
	bool		refused;

	if (dq_allow_superuser_jobs)
		return false;
	StartTransactionCommand();
	refused = DqRoleCanBecomeSuperuser(owner);
	CommitTransactionCommand();
	return refused;
}

/* Fetch the command, timeout and job name of the run, marking it running. */
static char *
start_run(int64 run_id, char **job_name)
{
	Oid			types[2] = {INT8OID, INT4OID};
	Datum		values[2];
	char	   *row[3];			/* command, statement_timeout in seconds, name */

	values[0] = Int64GetDatum(run_id);
	values[1] = Int32GetDatum(MyProcPid);
	if (update_run("UPDATE dq.job_runs r SET status = 'running', "
				   "started_at = pg_catalog.clock_timestamp(), worker_pid = $2 "
				   "FROM dq.jobs j WHERE r.run_id OPERATOR(pg_catalog.=) $1 "
				   "AND j.job_id OPERATOR(pg_catalog.=) r.job_id "
				   "AND r.status OPERATOR(pg_catalog.=) ANY ('{starting,waiting}'::pg_catalog.text[]) "
				   "RETURNING j.command, pg_catalog.date_part('epoch', j.statement_timeout), j.job_name",
				   2, types, values, NULL, 3, row) != 1)
		return NULL;
	*job_name = row[2];
	if (row[1] != NULL)
		SetConfigOption("statement_timeout", psprintf("%ss", row[1]),
						PGC_USERSET, PGC_S_SESSION);
	return row[0];
}

/*
 * Run the command; an error is logged, the transaction rolled back, and
 * the error returned (allocated in cxt).  NULL when the command succeeded.
 */
static ErrorData *
execute_guarded(const char *command, RunOutcome *out, MemoryContext cxt)
{
	ErrorData  *volatile edata = NULL;

	PG_TRY();
	{
		run_command(command, out);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		EmitErrorReport();
		FlushErrorState();
		AbortOutOfAnyTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	return edata;
}

/* The error of a failed run as one text: message, detail, hint, context. */
static char *
error_text(ErrorData *edata)
{
	StringInfoData msg;

	initStringInfo(&msg);
	appendStringInfoString(&msg, edata->message ? edata->message : "unknown error");
	if (edata->detail)
		appendStringInfo(&msg, "\nDETAIL: %s", edata->detail);
	if (edata->hint)
		appendStringInfo(&msg, "\nHINT: %s", edata->hint);
	if (edata->context)
		appendStringInfo(&msg, "\nCONTEXT: %s", edata->context);
	return msg.data;
}

/* Record the outcome in dq.job_runs (a run in its job's database). */
static void
record_outcome(int64 run_id, const RunOutcome *out, ErrorData *edata)
{
	Oid			types[5] = {INT8OID, TEXTOID, INT8OID, TEXTOID, TEXTOID};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

	values[0] = Int64GetDatum(run_id);
	if (edata == NULL)
	{
		values[1] = CStringGetTextDatum(out->command_tag);
		values[2] = Int64GetDatum((int64) out->rows);
		if (!out->has_rows)
			nulls[2] = 'n';
		(void) update_run("UPDATE dq.job_runs SET status = 'succeeded', "
						  "ended_at = pg_catalog.clock_timestamp(), "
						  "command_tag = $2, rows = $3 WHERE run_id OPERATOR(pg_catalog.=) $1",
						  3, types, values, nulls, 0, NULL);
	}
	else
	{
		nulls[1] = nulls[2] = 'n';
		values[1] = values[2] = (Datum) 0;
		values[3] = CStringGetTextDatum(unpack_sql_state(edata->sqlerrcode));
		values[4] = CStringGetTextDatum(error_text(edata));
		(void) update_run("UPDATE dq.job_runs SET status = 'failed', "
						  "ended_at = pg_catalog.clock_timestamp(), "
						  "command_tag = $2, rows = $3, sqlstate = $4, message = $5 "
						  "WHERE run_id OPERATOR(pg_catalog.=) $1",
						  5, types, values, nulls, 0, NULL);
	}
}

/* Hand the outcome back to the scheduler (a run in another database). */
static void
report_outcome(DqRemoteRun *rr, const RunOutcome *out, ErrorData *edata)
{
	if (edata == NULL)
	{
		strlcpy(rr->command_tag, out->command_tag, sizeof(rr->command_tag));
		rr->rows = (int64) out->rows;
		rr->has_rows = out->has_rows;
	}
	else
	{
		rr->failed = true;
		strlcpy(rr->sqlstate, unpack_sql_state(edata->sqlerrcode), sizeof(rr->sqlstate));
		strlcpy(rr->message, error_text(edata), sizeof(rr->message));
	}
	rr->ended_at = GetCurrentTimestamp();
	pg_write_barrier();
	rr->finished = true;
}

void
dq_job_main(Datum main_arg)
{
	DqJobWorkerArgs args;
	char	   *command;
	MemoryContext run_cxt;
	RunOutcome	out;
	ErrorData  *edata;
	dsm_segment *seg = NULL;
	DqRemoteRun *rr = NULL;
	char	   *job_name = NULL;	/* unknown for a run in another database */

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(args.dboid, args.owner, 0);

	run_cxt = AllocSetContextCreate(TopMemoryContext, "dq_lineage job",
									ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(run_cxt);
	{
		char		appname[64];

		snprintf(appname, sizeof(appname), "dq_lineage job run " INT64_FORMAT, args.run_id);
		pgstat_report_appname(appname);
	}

	if (args.remote != DSM_HANDLE_INVALID)
	{
		seg = dsm_attach(args.remote);
		if (seg == NULL)
			proc_exit(0);		/* the scheduler is gone */
		rr = dsm_segment_address(seg);
		if (owner_refused(args.owner))
		{
			strlcpy(rr->message, DQ_SUPERUSER_REFUSED, sizeof(rr->message));
			rr->ended_at = GetCurrentTimestamp();
			rr->skipped = true;
			pg_write_barrier();
			rr->finished = true;
			dsm_detach(seg);
			proc_exit(0);
		}
		command = pstrdup(rr->command);
		if (rr->statement_timeout_ms >= 0)
		{
			char		ms[32];

			snprintf(ms, sizeof(ms), "%d", rr->statement_timeout_ms);
			SetConfigOption("statement_timeout", ms, PGC_USERSET, PGC_S_SESSION);
		}
		rr->started_at = GetCurrentTimestamp();
		pg_write_barrier();
		rr->started = true;
	}
	else if (owner_refused(args.owner))
	{
		Oid			types[2] = {INT8OID, TEXTOID};
		Datum		values[2];

		values[0] = Int64GetDatum(args.run_id);
		values[1] = CStringGetTextDatum(DQ_SUPERUSER_REFUSED);
		(void) update_run("UPDATE dq.job_runs SET status = 'skipped', "
						  "ended_at = pg_catalog.clock_timestamp(), message = $2 "
						  "WHERE run_id OPERATOR(pg_catalog.=) $1 "
						  "AND status OPERATOR(pg_catalog.=) ANY ('{starting,waiting}'::pg_catalog.text[])",
						  2, types, values, NULL, 0, NULL);
		proc_exit(0);
	}
	else
	{
		command = start_run(args.run_id, &job_name);
		if (command == NULL)
			proc_exit(0);		/* the run was closed or deleted meanwhile */
	}

	memset(&out, 0, sizeof(out));
	pgstat_report_activity(STATE_RUNNING, command);
	DqProgressBeginJob(job_name);
	edata = execute_guarded(command, &out, run_cxt);
	DqProgressEndJob(edata != NULL);
	pgstat_report_activity(STATE_IDLE, NULL);

	if (rr != NULL)
	{
		report_outcome(rr, &out, edata);
		dsm_detach(seg);
		proc_exit(0);
	}

	/* The owner's statement_timeout must not cut our bookkeeping short. */
	SetConfigOption("statement_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	record_outcome(args.run_id, &out, edata);
	proc_exit(0);
}
