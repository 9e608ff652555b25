/*-------------------------------------------------------------------------
 *
 * monitor_run.c
 *	  Running monitors: dq.run_monitor() and dq.run_monitors().
 *
 * A run measures, records and judges:
 *
 *	freshness		time since the relation last changed: max(<timestamp
 *					column>) read through an index, or the statistics
 *					counters (inserted + updated + deleted rows) compared
 *					with the previous poll, sharpened by the change
 *					validation stream's last commit time for a watched
 *					relation; metric age_seconds
 *	volume			rows inserted, updated, deleted since the previous poll
 *					from the statistics counters, or an exact count(*)
 *	schema			the column snapshot compared with the catalog (the
 *					event triggers record changes as they happen; the run
 *					catches what they could not see)
 *	column			the column's values in buckets: only the rows past the
 *					watermark are read, their sketch is merged into the
 *					bucket's stored sketch, and the bucket's metrics are
 *					recomputed from the merge
 *	distribution	the same buckets, each complete bucket compared with the
 *					previous one or with a pinned baseline (sketch/sketch_drift.h)
 *
 * Measuring runs as the monitor's owner, restricted, with search_path
 * pinned (trust.c): the owner's rights decide what can be read, and code
 * of other roles in the relation runs as in any query of the owner.
 * Recording (metric history, sketches, anomalies, state) runs as the
 * extension owner.  Series are judged by the detector of detect.c over the
 * stored history, trained from the baseline on (dq.reset_baseline), with
 * the users' verdicts on earlier anomalies.  Only buckets that are
 * complete are judged, each once: a bucket still filling (today's) would
 * look like a drop.
 *
 * Statistics counters are cumulative and flushed by each backend at most
 * once a second (and at exit), so a poll sees changes committed up to
 * about a second before it; they are lost after a crash (a decrease is
 * taken as a reset, and that poll records nothing).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "alert/alert.h"
#include "base/catalog.h"
#include "base/json_build.h"
#include "base/spi_util.h"
#include "base/subxact.h"
#include "base/trust.h"
#include "monitor/column_sketch.h"
#include "monitor/monitor.h"
#include "monitor/monitor_run.h"

/* ---------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------
 */
double
DqToUnix(TimestampTz t)
{
	return (double) (t - DQ_UNIX_EPOCH_TS) / USECS_PER_SEC;
}

TimestampTz
DqFromUnix(double s)
{
	return DQ_UNIX_EPOCH_TS + (TimestampTz) llround(s * USECS_PER_SEC);
}

/* Start of the bucket of width "width" that holds t (buckets start at 1970-01-01 UTC). */
TimestampTz
DqBucketOf(TimestampTz t, int64 width)
{
	int64		off = t - DQ_UNIX_EPOCH_TS;
	int64		r = off % width;

	if (r < 0)
		r += width;
	return t - r;
}

/* A number member of the stored state; false when absent. */
bool
DqStateNumber(DqRun *run, const char *key, double *out)
{
	JsonbValue *v = DqJsonbGet(&run->def->state->root, key);

	if (v == NULL || v->type != jbvNumeric)
		return false;
	*out = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
											  NumericGetDatum(v->val.numeric)));
	return true;
}

char *
DqStateString(DqRun *run, const char *key)
{
	JsonbValue *v = DqJsonbGet(&run->def->state->root, key);

	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* ---------------------------------------------------------------------
 * Recording (as the extension owner)
 * ---------------------------------------------------------------------
 */
/*
 * Act as the extension owner (trust.c) for the run's bookkeeping; the
 * owner is looked up once per transaction, not for each of the thousands
 * of statements of a pass.
 */
void
DqRunBecomeExtensionOwner(DqOwnerContext *ctx)
{
	static Oid	owner = InvalidOid;
	static LocalTransactionId lxid = InvalidLocalTransactionId;

	if (!OidIsValid(owner) || lxid != MyProc->lxid)
	{
		owner = DqExtensionOwner();
		lxid = MyProc->lxid;
	}
	DqBecomeOwner(owner, ctx);
}

/*
 * DqSpiRunArgs (not read-only) as the extension owner, for a statement on
 * the extension's own tables; returns the number of rows.
 */
uint64
DqRunAsOwner(const char *sql, int nargs, Oid *types, Datum *values,
			 const char *nulls, int expected, const char *what)
{
	DqOwnerContext ext;
	uint64		n;

	DqRunBecomeExtensionOwner(&ext);
	n = DqSpiRunArgs(sql, nargs, types, values, nulls, false, expected, what);
	DqRestoreUser(&ext);
	return n;
}

/* Queue a metric value; DqRunFlush writes the queue in one statement. */
void
DqRunRecord(DqRun *run, const char *metric, TimestampTz bucket, double value)
{
	if (run->npoints == run->cappoints)
	{
		run->cappoints = Max(8, run->cappoints * 2);
		run->pmetric = run->pmetric ?
			repalloc(run->pmetric, sizeof(Datum) * run->cappoints) :
			palloc(sizeof(Datum) * run->cappoints);
		run->pbucket = run->pbucket ?
			repalloc(run->pbucket, sizeof(Datum) * run->cappoints) :
			palloc(sizeof(Datum) * run->cappoints);
		run->pvalue = run->pvalue ?
			repalloc(run->pvalue, sizeof(Datum) * run->cappoints) :
			palloc(sizeof(Datum) * run->cappoints);
	}
	run->pmetric[run->npoints] = CStringGetTextDatum(metric);
	run->pbucket[run->npoints] = TimestampTzGetDatum(bucket);
	run->pvalue[run->npoints] = Float8GetDatum(value);
	run->npoints++;
}

/* Write the queued metric values (as the extension owner). */
void
DqRunFlush(DqRun *run)
{
	static SPIPlanPtr insert_plan = NULL;
	static SPIPlanPtr upsert_plan = NULL;
	bool		buckets = (run->def->kind == DQ_MONITOR_COLUMN ||
						   run->def->kind == DQ_MONITOR_DISTRIBUTION);
	Oid			types[7] = {OIDOID, INT2OID, TEXTOID, INT8OID, TEXTARRAYOID,
	TIMESTAMPTZARRAYOID, FLOAT8ARRAYOID};
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	DqOwnerContext ext;

	if (run->npoints == 0)
		return;
	values[0] = ObjectIdGetDatum(run->def->relid);
	values[1] = Int16GetDatum(run->def->attnum);
	if (run->colname != NULL)
		values[2] = CStringGetTextDatum(run->colname);
	else
		nulls[2] = 'n';
	values[3] = Int64GetDatum(run->def->id);
	values[4] = PointerGetDatum(construct_array(run->pmetric, run->npoints, TEXTOID, -1, false, TYPALIGN_INT));
	values[5] = PointerGetDatum(construct_array(run->pbucket, run->npoints, TIMESTAMPTZOID,
												8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[6] = PointerGetDatum(construct_array(run->pvalue, run->npoints, FLOAT8OID,
												8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	DqRunBecomeExtensionOwner(&ext);
	/* a poll's time is new; a bucket's metrics replace its earlier ones */
	if (buckets)
		DqSpiCached(&upsert_plan,
					"INSERT INTO dq.metric_points (relid, attnum, column_name, "
					"  metric, bucket, value, source, source_id) "
					"SELECT $1, $2, $3, x.m, x.b, x.v, 'monitor', $4 "
					"FROM ROWS FROM (pg_catalog.unnest($5), pg_catalog.unnest($6), "
					"  pg_catalog.unnest($7)) AS x(m, b, v) "
					"ON CONFLICT (relid, attnum, metric, source, source_id, bucket) "
					"DO UPDATE SET value = EXCLUDED.value, recorded_at = pg_catalog.now()",
					7, types, values, nulls, false, SPI_OK_INSERT, "record metrics");
	else
		DqSpiCached(&insert_plan,
					"INSERT INTO dq.metric_points (relid, attnum, column_name, "
					"  metric, bucket, value, source, source_id) "
					"SELECT $1, $2, $3, x.m, x.b, x.v, 'monitor', $4 "
					"FROM ROWS FROM (pg_catalog.unnest($5), pg_catalog.unnest($6), "
					"  pg_catalog.unnest($7)) AS x(m, b, v)",
					7, types, values, nulls, false, SPI_OK_INSERT, "record metrics");
	DqRestoreUser(&ext);
	run->npoints = 0;
}

/* Severity: error when at least twice as far from the expectation as the band's edge. */
static const char *
DqSeverity(const DqDetectResult *r, double value)
{
	double		half;

	if (!r->has_expected)
		return "error";
	if (r->has_upper && value > r->upper)
	{
		half = r->upper - r->expected;
		return (half > 0 && value - r->expected < 2 * half) ? "warn" : "error";
	}
	if (r->has_lower && value < r->lower)
	{
		half = r->expected - r->lower;
		return (half > 0 && r->expected - value < 2 * half) ? "warn" : "error";
	}
	return "warn";
}

void
DqRunAnomaly(DqRun *run, const char *metric, TimestampTz bucket, double value,
			 const DqDetectResult *r, const char *method, const char *severity,
			 const char *detail)
{
	Oid			types[17] = {INT8OID, OIDOID, TEXTOID, TEXTOID, INT2OID, TEXTOID, TEXTOID,
		TEXTOID, TIMESTAMPTZOID, FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID,
	TEXTOID, TEXTOID, JSONBOID};
	Datum		values[17];
	char		nulls[17];
	DqOwnerContext ext;
	static SPIPlanPtr plan = NULL;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(run->def->id);
	values[1] = ObjectIdGetDatum(run->def->relid);
	values[2] = CStringGetTextDatum(run->nspname);
	values[3] = CStringGetTextDatum(run->relname);
	values[4] = Int16GetDatum(run->def->attnum);
	if (run->colname)
		values[5] = CStringGetTextDatum(run->colname);
	else
		nulls[5] = 'n';
	values[6] = CStringGetTextDatum(DqMonitorKindNames[run->def->kind]);
	values[7] = CStringGetTextDatum(metric);
	values[8] = TimestampTzGetDatum(bucket);
	values[9] = Float8GetDatum(value);
	values[10] = Float8GetDatum(r->expected);
	nulls[10] = r->has_expected ? ' ' : 'n';
	values[11] = Float8GetDatum(r->lower);
	nulls[11] = r->has_lower ? ' ' : 'n';
	values[12] = Float8GetDatum(r->upper);
	nulls[12] = r->has_upper ? ' ' : 'n';
	values[13] = Float8GetDatum(r->score);
	nulls[13] = r->has_score ? ' ' : 'n';
	values[14] = CStringGetTextDatum(method);
	values[15] = CStringGetTextDatum(severity);
	if (detail != NULL)
		values[16] = DirectFunctionCall1(jsonb_in, CStringGetDatum(detail));
	else
		nulls[16] = 'n';
	DqRunBecomeExtensionOwner(&ext);
	/* a new anomaly is also handed to the alert outbox */
	DqSpiCached(&plan, "WITH a AS (INSERT INTO dq.anomalies (monitor_id, relid, schema_name, "
				"  table_name, attnum, column_name, kind, metric, bucket, value, "
				"  expected, lower, upper, score, method, severity, detail) "
				"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
				"  $13, $14, $15, $16, $17) "
				"ON CONFLICT (monitor_id, metric, bucket) DO NOTHING "
				"RETURNING *) "
				"SELECT dq_internal.anomaly_raise_alert(a::dq.anomalies) FROM a",
				17, types, values, nulls, false, SPI_OK_SELECT, "record an anomaly");
	run->anomalies += (int) SPI_processed;
	DqRestoreUser(&ext);
}

/* ---------------------------------------------------------------------
 * Judging a metric's series
 * ---------------------------------------------------------------------
 */

/* Newest points of a metric's series, oldest first. */
static int
DqRunFetchSeries(DqRun *run, const char *metric, int limit,
				 TimestampTz **ts, double **val)
{
	Oid			types[6] = {OIDOID, INT2OID, TEXTOID, INT8OID, TIMESTAMPTZOID, INT4OID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	int			n;
	int			i;
	static SPIPlanPtr plan = NULL;

	values[0] = ObjectIdGetDatum(run->def->relid);
	values[1] = Int16GetDatum(run->def->attnum);
	values[2] = CStringGetTextDatum(metric);
	values[3] = Int64GetDatum(run->def->id);
	values[4] = TimestampTzGetDatum(run->def->baseline_from);
	nulls[4] = run->def->has_baseline ? ' ' : 'n';
	values[5] = Int32GetDatum(limit);
	DqSpiCached(&plan, "SELECT bucket, value FROM dq.metric_points "
				"WHERE relid = $1 AND attnum = $2 AND metric = $3 "
				"  AND source = 'monitor' AND source_id = $4 "
				"  AND ($5::pg_catalog.timestamptz IS NULL OR bucket >= $5) "
				"  AND value IS NOT NULL "
				"  AND value OPERATOR(pg_catalog.<>) 'NaN'::pg_catalog.float8 "
				"ORDER BY bucket DESC LIMIT $6",
				6, types, values, nulls, false, SPI_OK_SELECT, "read a metric's history");
	n = (int) SPI_processed;
	*ts = palloc(sizeof(TimestampTz) * Max(n, 1));
	*val = palloc(sizeof(double) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		bool		isnull;
		HeapTuple	tup = SPI_tuptable->vals[n - 1 - i];

		(*ts)[i] = DatumGetTimestampTz(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		(*val)[i] = DatumGetFloat8(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull));
	}
	return n;
}

/* Users' verdicts on a metric's anomalies since "since". */
static void
DqRunVerdicts(DqRun *run, const char *metric, TimestampTz since, DqDetectOptions *o)
{
	Oid			types[3] = {INT8OID, TEXTOID, TIMESTAMPTZOID};
	Datum		values[3];
	uint64		i;
	static SPIPlanPtr plan = NULL;

	values[0] = Int64GetDatum(run->def->id);
	values[1] = CStringGetTextDatum(metric);
	values[2] = TimestampTzGetDatum(since);
	DqSpiCached(&plan, "SELECT bucket, state = 'expected' FROM dq.anomalies "
				"WHERE monitor_id = $1 AND metric = $2 AND bucket >= $3 "
				"  AND state <> 'open' ORDER BY bucket",
				3, types, values, NULL, false, SPI_OK_SELECT, "read the verdicts on anomalies");
	o->expected = palloc(sizeof(TimestampTz) * Max(SPI_processed, 1));
	o->anomalous = palloc(sizeof(TimestampTz) * Max(SPI_processed, 1));
	o->nexpected = o->nanomalous = 0;
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		TimestampTz b = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[i],
														  SPI_tuptable->tupdesc, 1, &isnull));

		if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull)))
			o->expected[o->nexpected++] = b;
		else
			o->anomalous[o->nanomalous++] = b;
	}
}

static bool
DqBucketListed(TimestampTz t, const TimestampTz *list, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (list[i] == t)
			return true;
	return false;
}

/* Metrics that are shares of a bucket's (non-NULL) rows. */
static bool
DqMetricIsShare(const char *metric)
{
	size_t		len = strlen(metric);

	return strncmp(metric, "pattern_", 8) == 0 ||
		(len > 9 && strcmp(metric + len - 9, "_fraction") == 0);
}

/*
 * Standard deviation of a share p of n rows, p = the series' mean share,
 * n = the mean rows of the monitor's buckets since "since"; a share of 0
 * or 1 counts as one row in n (its uncertainty is not 0).
 */
static double
DqShareFloor(DqRun *run, TimestampTz since, const double *val, int nval)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[2] = {INT8OID, TIMESTAMPTZOID};
	Datum		values[2];
	DqOwnerContext ext;
	double		rows = 0.0;
	double		p = 0.0;
	bool		isnull;
	Datum		d;
	int			i;

	values[0] = Int64GetDatum(run->def->id);
	values[1] = TimestampTzGetDatum(since);
	DqRunBecomeExtensionOwner(&ext);
	DqSpiCached(&plan, "SELECT pg_catalog.avg(rows)::pg_catalog.float8 "
				"FROM dq.metric_sketches WHERE monitor_id = $1 AND bucket >= $2",
				2, types, values, NULL, false, SPI_OK_SELECT, "read the rows of the buckets");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
		rows = DatumGetFloat8(d);
	DqRestoreUser(&ext);
	if (rows < 1.0)
		return 0.0;
	for (i = 0; i < nval; i++)
		p += val[i];
	p = Min(p / nval, 1.0 - p / nval);
	p = Max(p, 1.0 / rows);
	return sqrt(p * (1.0 - p) / rows);
}

/*
 * Judge the points of "metric" at the given buckets against the stored
 * series before them; record the anomalies found.
 */
void
DqRunJudge(DqRun *run, const char *metric, const TimestampTz *buckets, int nb)
{
	DqDetectOptions o = run->cfg.detect;
	DqOwnerContext ext;
	TimestampTz *ts;
	double	   *val;
	DqDetectResult *out;
	int			limit = o.training_points + 32;
	int			n;
	int			i;

	if (nb == 0)
		return;
	DqRunFlush(run);
	DqRunBecomeExtensionOwner(&ext);
	n = DqRunFetchSeries(run, metric, limit, &ts, &val);
	if (n == limit && o.seasonality != DQ_SEASON_NONE)
	{
		int			slots = DqDetectSlotsFromSpacing(n, ts);

		if (slots > 0)
		{
			limit = 2 * o.training_points * slots + 64;
			n = DqRunFetchSeries(run, metric, limit, &ts, &val);
		}
	}
	if (n > 0)
		DqRunVerdicts(run, metric, ts[0], &o);
	DqRestoreUser(&ext);
	if (n == 0)
		return;

	/*
	 * A share of a bucket's rows (null_fraction, pattern_email, ...) varies
	 * at least as a binomial share of that many rows does, even when its
	 * training was constant (no NULL in a week of small buckets).
	 */
	if (run->def->kind == DQ_MONITOR_COLUMN && DqMetricIsShare(metric) &&
		DqJsonbGet(&run->def->options->root, "min_stddev") == NULL)
		o.min_stddev = DqShareFloor(run, ts[0], val, n);
	/* an age is known to the interval between polls */
	if (run->cfg.auto_min_stddev && n > 2)
	{
		int64	   *gaps = palloc(sizeof(int64) * (n - 1));

		for (i = 1; i < n; i++)
			gaps[i - 1] = ts[i] - ts[i - 1];
		qsort(gaps, n - 1, sizeof(int64), DqDetectCmpInt64);
		o.min_stddev = (double) gaps[(n - 1) / 2] / USECS_PER_SEC;
	}
	out = palloc(sizeof(DqDetectResult) * n);
	DqDetect(&o, n, ts, val, out);

	/*
	 * No verdict on the newest point while older history exists: the
	 * fetched points were too few once the anomalies among them were left
	 * out (a table stale for many polls); read further back.
	 */
	while (out[n - 1].anomaly < 0 && n == limit && limit < 100000)
	{
		limit *= 4;
		DqRunBecomeExtensionOwner(&ext);
		n = DqRunFetchSeries(run, metric, limit, &ts, &val);
		DqRunVerdicts(run, metric, ts[0], &o);
		DqRestoreUser(&ext);
		out = palloc(sizeof(DqDetectResult) * n);
		DqDetect(&o, n, ts, val, out);
	}
	for (i = 0; i < n; i++)
	{
		if (out[i].anomaly != 1 || !DqBucketListed(ts[i], buckets, nb))
			continue;
		DqRunAnomaly(run, metric, ts[i], val[i], &out[i],
					 DqDetectMethodNames[o.method], DqSeverity(&out[i], val[i]), NULL);
	}

	/*
	 * The newest point is normal again: the metric's alert, if one is open
	 * (dq.anomaly_alert raised it), is resolved.
	 */
	if (out[n - 1].anomaly == 0 && DqBucketListed(ts[n - 1], buckets, nb))
		(void) DqAlertClear("anomaly",
							psprintf("monitor:" INT64_FORMAT ":%s", run->def->id, metric));
}
/* ---------------------------------------------------------------------
 * Running one monitor
 * ---------------------------------------------------------------------
 */

/* Stop a monitor whose relation or column is gone, saying why. */
static void
DqRunStop(DqMonitorDef *def, const char *why)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];

	values[0] = Int64GetDatum(def->id);
	values[1] = CStringGetTextDatum(psprintf("stopped: %s", why));
	DqRunAsOwner("UPDATE dq.monitor_definitions SET enabled = false, "
				 "  status = $2, last_run_at = pg_catalog.now() "
				 "WHERE monitor_id = $1",
				 2, types, values, NULL, SPI_OK_UPDATE, "stop a monitor");
	ereport(NOTICE,
			(errmsg("monitor " INT64_FORMAT " (%s) of %s.%s stopped: %s",
					def->id, DqMonitorKindNames[def->kind],
					quote_identifier(def->schema_name), quote_identifier(def->table_name), why)));
}

/* Load a monitor's definition (as the extension owner); NULL if none. */
DqMonitorDef *
DqMonitorFetch(int64 monitor_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	DqOwnerContext ext;
	DqMonitorDef *def = NULL;
	MemoryContext caller = CurrentMemoryContext;
	static SPIPlanPtr plan = NULL;

	values[0] = Int64GetDatum(monitor_id);
	DqSpiConnect();
	DqRunBecomeExtensionOwner(&ext);
	DqSpiCached(&plan, "SELECT relid, kind, attnum, schema_name::pg_catalog.text, "
				"  table_name::pg_catalog.text, column_name::pg_catalog.text, "
				"  options, state, owner::pg_catalog.oid, enabled, status, "
				"  baseline_from "
				"FROM dq.monitor_definitions WHERE monitor_id = $1",
				1, types, values, NULL, false, SPI_OK_SELECT, "read a monitor");
	DqRestoreUser(&ext);
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		MemoryContext old = MemoryContextSwitchTo(caller);
		bool		isnull;
		Datum		d;

		def = palloc0(sizeof(DqMonitorDef));
		def->id = monitor_id;
		def->relid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		def->kind = DqMonitorKindFromName(SPI_getvalue(tup, desc, 2));
		def->attnum = DatumGetInt16(SPI_getbinval(tup, desc, 3, &isnull));
		def->schema_name = SPI_getvalue(tup, desc, 4);
		def->table_name = SPI_getvalue(tup, desc, 5);
		def->column_name = SPI_getvalue(tup, desc, 6);
		def->options = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 7, &isnull));
		def->state = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 8, &isnull));
		def->owner = DatumGetObjectId(SPI_getbinval(tup, desc, 9, &isnull));
		def->enabled = DatumGetBool(SPI_getbinval(tup, desc, 10, &isnull));
		def->status = SPI_getvalue(tup, desc, 11);
		d = SPI_getbinval(tup, desc, 12, &isnull);
		def->has_baseline = !isnull;
		if (!isnull)
			def->baseline_from = DatumGetTimestampTz(d);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return def;
}

/*
 * Run one monitor: measure, record, judge, keep the state.  Returns the
 * number of new anomalies.  Errors are raised (dq.run_monitors catches
 * them per monitor).
 */
int
DqMonitorRun(DqMonitorDef *def)
{
	DqRun		run;
	Oid			types[3] = {INT8OID, JSONBOID, BOOLOID};
	Datum		values[3];
	DqOwnerContext ext;
	static SPIPlanPtr plan = NULL;

	memset(&run, 0, sizeof(run));
	run.def = def;
	run.now = GetCurrentTimestamp();
	DqSpiConnect();
	if (get_rel_relkind(def->relid) == '\0')
	{
		DqRunStop(def, "the relation was dropped");
		SPI_finish();
		return 0;
	}
	run.nspname = get_namespace_name(get_rel_namespace(def->relid));
	run.relname = get_rel_name(def->relid);
	if (def->attnum != 0)
	{
		run.colname = get_attname(def->relid, def->attnum, true);
		if (run.colname == NULL)
		{
			DqRunStop(def, psprintf("column %s was dropped", quote_identifier(def->column_name)));
			SPI_finish();
			return 0;
		}
	}
	if (pg_class_aclcheck(def->relid, def->owner, ACL_SELECT) != ACLCHECK_OK &&
		(def->attnum == 0 ||
		 pg_attribute_aclcheck(def->relid, def->attnum, def->owner, ACL_SELECT) != ACLCHECK_OK))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", run.relname),
				 errhint("The monitor runs as its owner, %s, who needs SELECT on the table.",
						 GetUserNameFromId(def->owner, false))));
	DqMonitorConfigure(&run.cfg, def->kind, def->options, def->relid, def->attnum);
	DqJsonBegin(&run.state, '{');

	switch (def->kind)
	{
		case DQ_MONITOR_FRESHNESS:
			DqRunFreshness(&run);
			break;
		case DQ_MONITOR_VOLUME:
			DqRunVolume(&run);
			break;
		case DQ_MONITOR_SCHEMA:
			DqRunSchema(&run);
			break;
		case DQ_MONITOR_COLUMN:
			DqRunColumn(&run);
			break;
		case DQ_MONITOR_DISTRIBUTION:
			DqRunDistribution(&run);
			break;
		default:
			break;
	}

	DqRunFlush(&run);
	DqJsonEnd(&run.state, '}');
	values[0] = Int64GetDatum(def->id);
	values[1] = DirectFunctionCall1(jsonb_in, CStringGetDatum(run.state.buf.data));
	values[2] = BoolGetDatum(run.reset_state);
	DqRunBecomeExtensionOwner(&ext);
	DqSpiCached(&plan, "UPDATE dq.monitor_definitions "
				"SET state = (CASE WHEN $3 THEN '{}'::pg_catalog.jsonb ELSE state END) "
				"    OPERATOR(pg_catalog.||) $2, "
				"  last_run_at = pg_catalog.now(), last_error = NULL "
				"WHERE monitor_id = $1",
				3, types, values, NULL, false, SPI_OK_UPDATE, "keep the monitor's state");
	DqRestoreUser(&ext);
	SPI_finish();
	return run.anomalies;
}

/* ---------------------------------------------------------------------
 * dq.run_monitor, dq.run_monitors
 * ---------------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(dq_run_monitor);
Datum
dq_run_monitor(PG_FUNCTION_ARGS)
{
	int64		id;
	DqMonitorDef *def;

	DqRequireArg(fcinfo, 0, "monitor_id", "Pass a monitor_id of dq.monitors.");
	id = PG_GETARG_INT64(0);
	def = DqMonitorFetch(id);
	if (def == NULL || !has_privs_of_role(GetUserId(), def->owner))
	{
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("monitor " INT64_FORMAT " does not exist", id),
				 errhint("dq.monitors lists the monitors you own.")));
		PG_RETURN_INT32(0);		/* not reached */
	}
	if (!def->enabled)
	{
		ereport(NOTICE,
				(errmsg("monitor " INT64_FORMAT " does not run: %s", id,
						strcmp(def->status, "active") == 0 ? "it is disabled" : def->status)));
		PG_RETURN_INT32(0);
	}
	pgstat_clear_snapshot();
	PG_RETURN_INT32(DqMonitorRun(def));
}

typedef struct DqRunArg
{
	DqMonitorDef *def;
	int			anomalies;
} DqRunArg;

static void
DqRunProtectedOne(void *arg)
{
	DqRunArg   *a = (DqRunArg *) arg;

	a->anomalies = DqMonitorRun(a->def);
}

/* Keep the error of a failed run (its own changes were rolled back). */
static void
DqRunRecordError(int64 id, const char *error)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];

	values[0] = Int64GetDatum(id);
	values[1] = CStringGetTextDatum(error);
	DqSpiConnect();
	DqRunAsOwner("UPDATE dq.monitor_definitions SET last_error = $2, "
				 "  last_run_at = pg_catalog.now() WHERE monitor_id = $1",
				 2, types, values, NULL, SPI_OK_UPDATE, "keep a monitor's error");
	SPI_finish();
}

PG_FUNCTION_INFO_V1(dq_run_monitors);
Datum
dq_run_monitors(PG_FUNCTION_ARGS)
{
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	int64	   *ids;
	int			n;
	int			i;
	int			total = 0;
	MemoryContext loopcxt;
	MemoryContext old;
	MemoryContext fncxt = CurrentMemoryContext;

	values[0] = ObjectIdGetDatum(GetUserId());
	if (PG_ARGISNULL(0))
		nulls[1] = 'n';
	else
		values[1] = PG_GETARG_DATUM(0);
	DqSpiConnect();
	DqRunAsOwner("SELECT monitor_id FROM dq.monitor_definitions "
				 "WHERE owner = $1 AND enabled "
				 "  AND ($2::pg_catalog.text IS NULL OR schedule = $2) "
				 "ORDER BY monitor_id",
				 2, types, values, nulls, SPI_OK_SELECT, "list the monitors to run");
	n = (int) SPI_processed;
	ids = MemoryContextAlloc(fncxt, sizeof(int64) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		ids[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_finish();

	pgstat_clear_snapshot();
	loopcxt = AllocSetContextCreate(CurrentMemoryContext, "dq monitor run",
									ALLOCSET_DEFAULT_SIZES);
	for (i = 0; i < n; i++)
	{
		DqRunArg	arg;

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(loopcxt);
		arg.def = DqMonitorFetch(ids[i]);
		arg.anomalies = 0;
		if (arg.def != NULL && arg.def->enabled)
		{
			char	   *error = DqRunProtected(DqRunProtectedOne, &arg);

			if (error != NULL)
			{
				ereport(WARNING,
						(errmsg("monitor " INT64_FORMAT " failed: %s", ids[i], error)));
				DqRunRecordError(ids[i], error);
			}
			else
				total += arg.anomalies;
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(loopcxt);
	}
	MemoryContextDelete(loopcxt);
	PG_RETURN_INT32(total);
}
