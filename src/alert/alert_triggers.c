/*-------------------------------------------------------------------------
 *
 * alert_triggers.c
 *	  Triggers that turn recorded failures into alerts, in the same
 *	  transaction.
 *
 * The failures are recorded by other subsystems in their own tables; the
 * extension owns AFTER triggers on those tables, so that the alert is
 * written exactly when the failure commits, without those subsystems
 * calling into this one:
 *
 *	 - dq.validation_results (per row): a failing result raises the alert
 *	   of its expectation (source validation, or expectation when the
 *	   expectation could not be evaluated at all); a passing result
 *	   resolves it;
 *	 - dq.violations (per statement, with the inserted rows as a
 *	   transition table): the violations of one table and expectation make
 *	   one alert while they keep coming (dq_lineage.alert_violation_window);
 *	 - dq.job_runs (per row, when a run ends): a failed run raises the
 *	   alert of its job, a successful one resolves it.
 *
 * Rows loaded by COPY (a restore) raise nothing: the restored dq.alerts
 * already holds what they raised.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "alert/alert_internal.h"
#include "base/spi_util.h"
#include "base/trust.h"

PG_FUNCTION_INFO_V1(dq_alert_on_validation_result);
PG_FUNCTION_INFO_V1(dq_alert_on_violations);
PG_FUNCTION_INFO_V1(dq_alert_on_job_run);

static TriggerData *
trigger_data(FunctionCallInfo fcinfo, const char *name)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s must be called as a trigger", name),
				 errhint("The extension attaches it to its own tables; do not call it directly.")));
	return (TriggerData *) fcinfo->context;
}

/* A column of the trigger's row by name; *isnull when NULL or absent. */
static Datum
column(HeapTuple tup, TupleDesc desc, const char *name, bool *isnull)
{
	int			att = SPI_fnumber(desc, name);

	if (att <= 0)
	{
		*isnull = true;
		return (Datum) 0;
	}
	return heap_getattr(tup, att, desc, isnull);
}

static char *
column_text(HeapTuple tup, TupleDesc desc, const char *name)
{
	int			att = SPI_fnumber(desc, name);

	return att > 0 ? SPI_getvalue(tup, desc, att) : NULL;
}

/* "schema.table" of a relation, or its OID when it is gone. */
static char *
relation_label(Oid relid)
{
	char	   *rel = get_rel_name(relid);

	if (rel == NULL)
		return psprintf("relation %u", relid);
	return psprintf("%s.%s", quote_identifier(get_namespace_name(get_rel_namespace(relid))),
					quote_identifier(rel));
}

/* How an expectation is named in titles: its name and kind, or its kind. */
static char *
expectation_label(const char *name, const char *kind)
{
	if (name != NULL)
		return psprintf("\"%s\" (%s)", name, kind);
	return pstrdup(kind);
}

/* ----------------------------------------------------------------
 * dq.validation_results
 * ----------------------------------------------------------------
 */

typedef struct ResultInfo
{
	char	   *owner;
	char	   *name;
	char	   *observed;
	char	   *exception;
	Jsonb	   *body;
} ResultInfo;

/* The failing expectation's owner and name, and the alert's body. */
static DqAlertStmt st_result_info = {
	"SELECT e.owner, e.name, "
	"       $8 OPERATOR(pg_catalog.->) 'result' OPERATOR(pg_catalog.->>) 'observed_value', "
	"       $8 OPERATOR(pg_catalog.->) 'exception_info' OPERATOR(pg_catalog.->>) 'exception_message', "
	"       pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object("
	"         'expectation_id', $1, 'expectation_name', e.name, 'kind', $2, "
	"         'column', $3, 'run_id', $4, 'expected', e.params, 'mostly', e.mostly, "
	"         'element_count', $5, 'unexpected_count', $6, 'unexpected_percent', $7, "
	"         'observed_value', $8 OPERATOR(pg_catalog.->) 'result' OPERATOR(pg_catalog.->) 'observed_value', "
	"         'sample', $8 OPERATOR(pg_catalog.->) 'result' OPERATOR(pg_catalog.->) 'partial_unexpected_list', "
	"         'exception', $8 OPERATOR(pg_catalog.->) 'exception_info' OPERATOR(pg_catalog.->>) 'exception_message')) "
	"  FROM (SELECT) AS one LEFT JOIN dq.expectations e ON e.expectation_id = $1",
	8, {INT8OID, TEXTOID, NAMEOID, INT8OID, INT8OID, INT8OID, FLOAT8OID, JSONBOID}
};

static void
read_result_info(Datum *values, char *nulls, ResultInfo *info)
{
	DqOwnerContext owner_ctx;
	MemoryContext outer = CurrentMemoryContext;

	DqSpiConnect();
	DqBecomeExtensionOwner(&owner_ctx);
	if (DqAlertExec(&st_result_info, values, nulls, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the expectation of a validation result");
	{
		MemoryContext spi = MemoryContextSwitchTo(outer);
		bool		isnull;

		info->owner = DqSpiText(0, 1);
		info->name = DqSpiText(0, 2);
		info->observed = DqSpiText(0, 3);
		info->exception = DqSpiText(0, 4);
		info->body = DatumGetJsonbP(DqSpiCopyValue(0, 5, outer, &isnull));
		MemoryContextSwitchTo(spi);
	}
	DqRestoreUser(&owner_ctx);
	SPI_finish();
}

/*
 * AFTER INSERT ... FOR EACH ROW on dq.validation_results.
 */
Datum
dq_alert_on_validation_result(PG_FUNCTION_ARGS)
{
	TriggerData *td = trigger_data(fcinfo, "dq_internal.alert_on_validation_result()");
	HeapTuple	tup = td->tg_trigtuple;
	TupleDesc	desc = RelationGetDescr(td->tg_relation);
	bool		isnull;
	bool		success;
	int64		expectation_id;
	char	   *key;

	if (DqAlertRestoring())
		return PointerGetDatum(NULL);
	success = DatumGetBool(column(tup, desc, "success", &isnull));
	if (isnull)
		return PointerGetDatum(NULL);
	expectation_id = DatumGetInt64(column(tup, desc, "expectation_id", &isnull));
	key = psprintf("expectation:" INT64_FORMAT, expectation_id);

	if (success)
	{
		static const char *const sources[2] = {"validation", "expectation"};

		(void) DqAlertResolveKey(sources, 2, key, "passed");
	}
	else
	{
		static const char *const names[8] = {"expectation_id", "kind", "column_name", "run_id",
		"element_count", "unexpected_count", "unexpected_percent", "result"};
		Datum		values[8];
		char		nulls[8];
		ResultInfo	info;
		DqAlertEvent ev;
		Oid			relid = DatumGetObjectId(column(tup, desc, "relid", &isnull));
		char	   *kind = column_text(tup, desc, "kind");
		char	   *colname = column_text(tup, desc, "column_name");
		char	   *target;
		char	   *label;
		int64		unexpected;
		bool		no_unexpected;

		for (int i = 0; i < 8; i++)
		{
			values[i] = column(tup, desc, names[i], &isnull);
			nulls[i] = isnull ? 'n' : ' ';
		}
		unexpected = DatumGetInt64(values[5]);
		no_unexpected = nulls[5] == 'n';
		read_result_info(values, nulls, &info);

		target = relation_label(relid);
		if (colname != NULL)
			target = psprintf("%s.%s", target, quote_identifier(colname));
		label = expectation_label(info.name, kind ? kind : "expectation");

		memset(&ev, 0, sizeof(ev));
		ev.key = key;
		ev.severity = column_text(tup, desc, "severity");
		if (ev.severity == NULL || DqAlertSeverityRank(ev.severity) == 0)
			ev.severity = "error";
		ev.relid = relid;
		ev.column_name = colname;
		ev.owner = info.owner ? get_role_oid(info.owner, true) : InvalidOid;
		ev.body = info.body;
		if (info.exception != NULL)
		{
			ev.source = "expectation";
			ev.title = psprintf("%s on %s could not be evaluated: %s", label, target,
								info.exception);
		}
		else
		{
			ev.source = "validation";
			if (!no_unexpected)
				ev.title = psprintf("%s failed on %s: " INT64_FORMAT " unexpected value%s",
									label, target, unexpected, unexpected == 1 ? "" : "s");
			else if (info.observed != NULL)
				ev.title = psprintf("%s failed on %s (observed %.100s)", label, target,
									info.observed);
			else
				ev.title = psprintf("%s failed on %s", label, target);
		}
		(void) DqAlertRaise(&ev);
	}
	return PointerGetDatum(NULL);
}

/* ----------------------------------------------------------------
 * dq.violations
 * ----------------------------------------------------------------
 */

typedef struct BurstInfo
{
	Oid			relid;
	int64		expectation_id;
	int64		count;
	TimestampTz first_commit;
	TimestampTz last_commit;
	char	   *kind;
	char	   *name;
	char	   *owner;
	char	   *severity;
	char	   *column_name;
	Jsonb	   *body;
} BurstInfo;

/*
 * AFTER INSERT ... FOR EACH STATEMENT on dq.violations, with the new rows
 * as the transition table new_violations.
 */
Datum
dq_alert_on_violations(PG_FUNCTION_ARGS)
{
	TriggerData *td = trigger_data(fcinfo, "dq_internal.alert_on_violations()");
	DqOwnerContext owner_ctx;
	MemoryContext outer = CurrentMemoryContext;
	BurstInfo  *bursts = NULL;
	int			nbursts = 0;

	if (DqAlertRestoring() || td->tg_newtable == NULL)
		return PointerGetDatum(NULL);

	DqSpiConnect();
	if (SPI_register_trigger_data(td) != SPI_OK_TD_REGISTER)
		elog(ERROR, "SPI_register_trigger_data failed");
	DqBecomeExtensionOwner(&owner_ctx);
	DqSpiRun("SELECT v.relid, v.expectation_id, pg_catalog.count(*), "
			 "       pg_catalog.min(v.commit_time), pg_catalog.max(v.commit_time), "
			 "       e.kind, e.name, e.owner, e.severity, e.column_name, "
			 "       pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object("
			 "         'expectation_id', v.expectation_id, 'expectation_name', e.name, "
			 "         'kind', e.kind, 'column', e.column_name, 'expected', e.params, "
			 "         'violations', pg_catalog.count(*), "
			 "         'first_violation_id', pg_catalog.min(v.violation_id), "
			 "         'last_violation_id', pg_catalog.max(v.violation_id), "
			 "         'first_commit_time', pg_catalog.min(v.commit_time), "
			 "         'last_commit_time', pg_catalog.max(v.commit_time), "
			 "         'sample', pg_catalog.to_jsonb((pg_catalog.array_agg(v.unexpected "
			 "                      ORDER BY v.violation_id DESC))[1:5]))) "
			 "  FROM new_violations v "
			 "  LEFT JOIN dq.expectations e ON e.expectation_id = v.expectation_id "
			 " GROUP BY v.relid, v.expectation_id, e.kind, e.name, e.owner, e.severity, "
			 "          e.column_name, e.params "
			 " ORDER BY v.relid, v.expectation_id",
			 false, SPI_OK_SELECT, "read the new violations");
	if (SPI_processed > 0)
	{
		MemoryContext spi = MemoryContextSwitchTo(outer);

		nbursts = (int) SPI_processed;
		bursts = palloc0(sizeof(BurstInfo) * nbursts);
		for (int i = 0; i < nbursts; i++)
		{
			BurstInfo  *b = &bursts[i];
			bool		isnull;

			b->relid = DatumGetObjectId(DqSpiValue(i, 1, &isnull));
			b->expectation_id = DqSpiInt64(i, 2);
			b->count = DqSpiInt64(i, 3);
			b->first_commit = DatumGetTimestampTz(DqSpiValue(i, 4, &isnull));
			b->last_commit = DatumGetTimestampTz(DqSpiValue(i, 5, &isnull));
			b->kind = DqSpiText(i, 6);
			b->name = DqSpiText(i, 7);
			b->owner = DqSpiText(i, 8);
			b->severity = DqSpiText(i, 9);
			b->column_name = DqSpiText(i, 10);
			b->body = DatumGetJsonbP(DqSpiCopyValue(i, 11, outer, &isnull));
		}
		MemoryContextSwitchTo(spi);
	}
	DqRestoreUser(&owner_ctx);
	SPI_finish();

	for (int i = 0; i < nbursts; i++)
	{
		BurstInfo  *b = &bursts[i];
		DqAlertEvent ev;
		char	   *key = psprintf("relation:%u:expectation:" INT64_FORMAT,
								   b->relid, b->expectation_id);
		char	   *target = relation_label(b->relid);

		/* a burst that went quiet for a window is over: a new one begins */
		(void) DqAlertResolveQuiet("violation", key,
								   TimestampTzPlusMilliseconds(b->first_commit,
															   -(int64) dq_alert_violation_window * 1000));
		if (b->column_name != NULL)
			target = psprintf("%s.%s", target, quote_identifier(b->column_name));
		memset(&ev, 0, sizeof(ev));
		ev.source = "violation";
		ev.key = key;
		ev.severity = (b->severity && DqAlertSeverityRank(b->severity) > 0) ? b->severity : "error";
		ev.title = psprintf("%s violated by committed changes of %s",
							expectation_label(b->name, b->kind ? b->kind : "expectation"),
							target);
		ev.body = b->body;
		ev.relid = b->relid;
		ev.column_name = b->column_name;
		ev.owner = b->owner ? get_role_oid(b->owner, true) : InvalidOid;
		ev.occurrences = b->count;
		ev.seen_at = b->last_commit;
		(void) DqAlertRaise(&ev);
	}
	return PointerGetDatum(NULL);
}

/* ----------------------------------------------------------------
 * dq.job_runs
 * ----------------------------------------------------------------
 */

/*
 * AFTER INSERT OR UPDATE OF status ... FOR EACH ROW on dq.job_runs, WHEN
 * the new status is failed or succeeded.
 */
Datum
dq_alert_on_job_run(PG_FUNCTION_ARGS)
{
	TriggerData *td = trigger_data(fcinfo, "dq_internal.alert_on_job_run()");
	TupleDesc	desc = RelationGetDescr(td->tg_relation);
	HeapTuple	tup = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	char	   *status = column_text(tup, desc, "status");
	bool		isnull;
	int64		job_id;
	int64		run_id;
	char	   *key;

	if (DqAlertRestoring() || status == NULL)
		return PointerGetDatum(NULL);
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		char	   *old = column_text(td->tg_trigtuple, desc, "status");

		if (old != NULL && strcmp(old, status) == 0)
			return PointerGetDatum(NULL);
	}
	job_id = DatumGetInt64(column(tup, desc, "job_id", &isnull));
	run_id = DatumGetInt64(column(tup, desc, "run_id", &isnull));
	key = psprintf("job:" INT64_FORMAT, job_id);

	if (strcmp(status, "succeeded") == 0)
		(void) DqAlertClear("job", key);
	else if (strcmp(status, "failed") == 0)
	{
		DqOwnerContext owner_ctx;
		MemoryContext outer = CurrentMemoryContext;
		Oid			types[1] = {INT8OID};
		Datum		values[1];
		char	   *job_name = NULL;
		Oid			owner = InvalidOid;
		char	   *message = NULL;
		Jsonb	   *body = NULL;
		DqAlertEvent ev;

		values[0] = Int64GetDatum(run_id);
		DqSpiConnect();
		DqBecomeExtensionOwner(&owner_ctx);
		if (DqSpiRunArgs("SELECT j.job_name, j.owner::pg_catalog.oid, r.message, "
						 "       pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object("
						 "         'job_id', j.job_id, 'job_name', j.job_name, 'run_id', r.run_id, "
						 "         'database', coalesce(j.database, pg_catalog.current_database()), "
						 "         'scheduled_at', r.scheduled_at, 'started_at', r.started_at, "
						 "         'ended_at', r.ended_at, 'sqlstate', r.sqlstate, "
						 "         'message', r.message)) "
						 "  FROM dq.job_runs r JOIN dq.jobs j ON j.job_id = r.job_id "
						 " WHERE r.run_id = $1",
						 1, types, values, NULL, false, SPI_OK_SELECT,
						 "read the failed job run") == 1)
		{
			HeapTuple	row = SPI_tuptable->vals[0];
			TupleDesc	rdesc = SPI_tuptable->tupdesc;
			MemoryContext spi = MemoryContextSwitchTo(outer);

			job_name = SPI_getvalue(row, rdesc, 1);
			owner = DatumGetObjectId(SPI_getbinval(row, rdesc, 2, &isnull));
			message = SPI_getvalue(row, rdesc, 3);
			body = DatumGetJsonbPCopy(SPI_getbinval(row, rdesc, 4, &isnull));
			MemoryContextSwitchTo(spi);
		}
		DqRestoreUser(&owner_ctx);
		SPI_finish();
		if (job_name == NULL)
			return PointerGetDatum(NULL);	/* the job is gone */

		memset(&ev, 0, sizeof(ev));
		ev.source = "job";
		ev.key = key;
		ev.severity = "error";
		if (message != NULL)
		{
			char	   *nl = strchr(message, '\n');

			if (nl)
				*nl = '\0';
			ev.title = psprintf("job \"%s\" failed: %.200s", job_name, message);
		}
		else
			ev.title = psprintf("job \"%s\" failed", job_name);
		ev.body = body;
		ev.owner = owner;
		(void) DqAlertRaise(&ev);
	}
	return PointerGetDatum(NULL);
}
