/*-------------------------------------------------------------------------
 *
 * monitor_buckets.c
 *	  Column and distribution monitors: the rows past the watermark are
 *	  read once, as the owner, into one column sketch per time bucket; the
 *	  sketch is merged into the bucket's stored one (dq.metric_sketches),
 *	  so a bucket that fills over several runs, and any window of buckets,
 *	  is a merge and never a rescan.  Column monitors judge the metrics of
 *	  each complete bucket; distribution monitors compare its sketch with
 *	  the previous bucket's or a pinned baseline's (sketch/sketch_drift.h).
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
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "base/catalog.h"
#include "base/json_build.h"
#include "base/spi_util.h"
#include "base/subxact.h"
#include "base/trust.h"
#include "monitor/column_sketch.h"
#include "monitor/monitor.h"
#include "monitor/monitor_run.h"

/* ---------------------------------------------------------------------
 * Column and distribution: buckets of sketches
 * ---------------------------------------------------------------------
 */
typedef struct DqBucketScan
{
	TimestampTz bucket;
	int64		rows;
	bytea	   *sketch;
} DqBucketScan;

/*
 * Read the rows past the watermark (every row without one) as the owner;
 * returns their sketches by bucket and sets *new_wm to the new watermark.
 */
static List *
DqRunScan(DqRun *run, bool *replace, char **new_wm)
{
	const DqMonitorConfig *cfg = &run->cfg;
	char	   *rel = quote_qualified_identifier(run->nspname, run->relname);
	const char *col = quote_identifier(run->colname);
	char	   *old_wm = DqStateString(run, "watermark");
	bool		by_time = false;
	char	   *sql;
	const char *wm = NULL;
	char	   *wmtype = NULL;
	Oid			types[2] = {INTERVALOID, TEXTOID};
	Datum		values[2];
	Interval	width = {0};
	DqOwnerContext own;
	int			nestlevel;
	List	   *out = NIL;
	uint64		i;

	*replace = (cfg->watermark == NULL);
	*new_wm = old_wm;
	if (cfg->watermark != NULL)
	{
		int16		att = DqMonitorColumnAttnum(run->def->relid, cfg->watermark, "watermark");
		Oid			t = getBaseType(get_atttype(run->def->relid, att));

		wm = quote_identifier(cfg->watermark);
		wmtype = format_type_be_qualified(get_atttype(run->def->relid, att));
		by_time = (t == DATEOID || t == TIMESTAMPOID || t == TIMESTAMPTZOID);
	}
	width.time = cfg->bucket_usec;
	values[0] = IntervalPGetDatum(&width);
	values[1] = old_wm ? CStringGetTextDatum(old_wm) : (Datum) 0;

	if (wm != NULL && by_time)
		sql = psprintf("SELECT pg_catalog.date_bin($1, %s::pg_catalog.timestamptz, "
					   "  '1970-01-01 00:00:00+00'::pg_catalog.timestamptz), "
					   "  pg_catalog.count(*), dq.column_sketch(%s), pg_catalog.max(%s)::pg_catalog.text "
					   "FROM %s WHERE %s IS NOT NULL%s%s%s GROUP BY 1 ORDER BY 1",
					   wm, col, wm, rel, wm,
					   old_wm ? " AND " : "", old_wm ? wm : "",
					   old_wm ? psprintf(" > $2::pg_catalog.text::%s", wmtype) : "");
	else if (wm != NULL)
		sql = psprintf("SELECT NULL::pg_catalog.timestamptz, pg_catalog.count(*), dq.column_sketch(%s), "
					   "  pg_catalog.max(%s)::pg_catalog.text "
					   "FROM %s WHERE %s IS NOT NULL%s%s%s",
					   col, wm, rel, wm,
					   old_wm ? " AND " : "", old_wm ? wm : "",
					   old_wm ? psprintf(" > $2::pg_catalog.text::%s", wmtype) : "");
	else
		sql = psprintf("SELECT NULL::pg_catalog.timestamptz, pg_catalog.count(*), dq.column_sketch(%s), "
					   "  NULL::pg_catalog.text FROM %s", col, rel);

	DqBecomeOwner(run->def->owner, &own);
	nestlevel = DqBeginStableOutput();
	DqSpiRunArgs(sql, old_wm ? 2 : 1, types, values, NULL, false, SPI_OK_SELECT, sql);
	DqEndStableOutput(nestlevel);
	DqRestoreUser(&own);

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		DqBucketScan *b;
		bool		isnull;
		Datum		d;
		char	   *m;

		if (DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull)) == 0)
			continue;
		b = palloc(sizeof(DqBucketScan));
		d = SPI_getbinval(tup, desc, 1, &isnull);
		b->bucket = isnull ? DqBucketOf(run->now, cfg->bucket_usec) : DatumGetTimestampTz(d);
		b->rows = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
		b->sketch = DatumGetByteaPCopy(SPI_getbinval(tup, desc, 3, &isnull));
		/* groups come in bucket order, so the last one holds the largest watermark */
		m = SPI_getvalue(tup, desc, 4);
		if (m != NULL)
			*new_wm = m;
		out = lappend(out, b);
	}
	return out;
}

/* Store scanned sketches (merged into their buckets, or replacing them). */
static void
DqRunStoreSketches(DqRun *run, List *scans, bool replace)
{
	Oid			types[4] = {INT8OID, TIMESTAMPTZOID, INT8OID, BYTEAOID};
	Datum		values[4];
	ListCell   *lc;
	DqOwnerContext ext;
	const char *sql = replace ?
		"INSERT INTO dq.metric_sketches AS s (monitor_id, bucket, rows, sketch) "
		"VALUES ($1, $2, $3, $4) ON CONFLICT (monitor_id, bucket) DO UPDATE SET "
		"  sketch = EXCLUDED.sketch, rows = EXCLUDED.rows, updated_at = pg_catalog.now()" :
		"INSERT INTO dq.metric_sketches AS s (monitor_id, bucket, rows, sketch) "
		"VALUES ($1, $2, $3, $4) ON CONFLICT (monitor_id, bucket) DO UPDATE SET "
		"  sketch = (SELECT dq.column_sketch_merge(v.x) FROM (VALUES (s.sketch), (EXCLUDED.sketch)) v(x)), "
		"  rows = s.rows OPERATOR(pg_catalog.+) EXCLUDED.rows, updated_at = pg_catalog.now()";

	DqRunBecomeExtensionOwner(&ext);
	foreach(lc, scans)
	{
		DqBucketScan *b = lfirst(lc);

		values[0] = Int64GetDatum(run->def->id);
		values[1] = TimestampTzGetDatum(b->bucket);
		values[2] = Int64GetDatum(b->rows);
		values[3] = PointerGetDatum(b->sketch);
		DqSpiRunArgs(sql, 4, types, values, NULL, false, SPI_OK_INSERT, "store a bucket sketch");
	}
	DqRestoreUser(&ext);
}

/* Record the metrics of the buckets just updated (column monitors). */
static void
DqRunSketchMetrics(DqRun *run, List *scans)
{
	Oid			types[5] = {OIDOID, INT2OID, TEXTOID, INT8OID, TIMESTAMPTZOID};
	Datum		values[5];
	ListCell   *lc;
	DqOwnerContext ext;

	values[0] = ObjectIdGetDatum(run->def->relid);
	values[1] = Int16GetDatum(run->def->attnum);
	values[2] = CStringGetTextDatum(run->colname);
	values[3] = Int64GetDatum(run->def->id);
	DqRunBecomeExtensionOwner(&ext);
	foreach(lc, scans)
	{
		DqBucketScan *b = lfirst(lc);

		values[4] = TimestampTzGetDatum(b->bucket);
		DqSpiRunArgs("INSERT INTO dq.metric_points (relid, attnum, column_name, "
					 "  metric, bucket, value, source, source_id) "
					 "SELECT $1, $2, $3, k.key, s.bucket, "
					 "  CASE WHEN pg_catalog.jsonb_typeof(k.value) = 'number' "
					 "    THEN k.value::pg_catalog.float8 END, 'monitor', s.monitor_id "
					 "FROM dq.metric_sketches s, "
					 "  pg_catalog.jsonb_each(dq.column_sketch_metrics(s.sketch)) k "
					 "WHERE s.monitor_id = $4 AND s.bucket = $5 "
					 "  AND pg_catalog.jsonb_typeof(k.value) = 'number' "
					 "ON CONFLICT (relid, attnum, metric, source, source_id, bucket) "
					 "DO UPDATE SET value = EXCLUDED.value, recorded_at = pg_catalog.now()",
					 5, types, values, NULL, false, SPI_OK_INSERT, "record bucket metrics");
	}
	DqRestoreUser(&ext);
}

/* Complete buckets not judged yet, oldest first. */
static int
DqRunBucketsToJudge(DqRun *run, TimestampTz **buckets)
{
	Oid			types[4] = {INT8OID, INTERVALOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	Interval	width = {0};
	double		judged;
	int			n;
	int			i;

	width.time = run->cfg.bucket_usec;
	values[0] = Int64GetDatum(run->def->id);
	values[1] = IntervalPGetDatum(&width);
	values[2] = TimestampTzGetDatum(run->now);
	if (DqStateNumber(run, "judged_until", &judged))
		values[3] = TimestampTzGetDatum(DqFromUnix(judged));
	else
		nulls[3] = 'n';
	DqRunAsOwner("SELECT bucket FROM dq.metric_sketches "
				 "WHERE monitor_id = $1 "
				 "  AND bucket OPERATOR(pg_catalog.+) $2 <= $3 "
				 "  AND ($4::pg_catalog.timestamptz IS NULL OR bucket > $4) "
				 "ORDER BY bucket",
				 4, types, values, nulls, SPI_OK_SELECT, "list the buckets to judge");
	n = (int) SPI_processed;
	*buckets = palloc(sizeof(TimestampTz) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		(*buckets)[i] = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[i],
														  SPI_tuptable->tupdesc, 1, &isnull));
	}
	if (n > 0)
		DqJsonFloat(&run->state, "judged_until", DqToUnix((*buckets)[n - 1]));
	return n;
}

/*
 * Scan, store and judge: shared by column and distribution monitors.
 * Returns the buckets to judge.  A changed column type, watermark or
 * bucket width starts the sketches afresh.
 */
static int
DqRunBuckets(DqRun *run, bool record_metrics, TimestampTz **buckets)
{
	Oid			typid = get_atttype(run->def->relid, run->def->attnum);
	double		old_typid = 0;
	double		old_width = 0;
	char	   *old_wmcol = DqStateString(run, "watermark_column");
	bool		replace;
	char	   *new_wm;
	List	   *scans;

	if ((DqStateNumber(run, "typid", &old_typid) && (Oid) old_typid != typid) ||
		(DqStateNumber(run, "bucket_seconds", &old_width) &&
		 (int64) llround(old_width * USECS_PER_SEC) != run->cfg.bucket_usec) ||
		((old_wmcol == NULL) != (run->cfg.watermark == NULL)) ||
		(old_wmcol != NULL && strcmp(old_wmcol, run->cfg.watermark) != 0))
	{
		Oid			types[1] = {INT8OID};
		Datum		values[1];

		values[0] = Int64GetDatum(run->def->id);
		DqRunAsOwner("DELETE FROM dq.metric_sketches WHERE monitor_id = $1",
					 1, types, values, NULL, SPI_OK_DELETE, "start the sketches afresh");
		/* forget the watermark and what was judged */
		run->def->state = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
		run->reset_state = true;
	}
	DqJsonInt(&run->state, "typid", typid);
	DqJsonFloat(&run->state, "bucket_seconds", (double) run->cfg.bucket_usec / USECS_PER_SEC);
	if (run->cfg.watermark)
		DqJsonText(&run->state, "watermark_column", run->cfg.watermark);
	else
		DqJsonNull(&run->state, "watermark_column");

	scans = DqRunScan(run, &replace, &new_wm);
	DqRunStoreSketches(run, scans, replace);
	if (record_metrics)
		DqRunSketchMetrics(run, scans);
	if (new_wm != NULL)
		DqJsonText(&run->state, "watermark", new_wm);
	else
		DqJsonNull(&run->state, "watermark");
	return DqRunBucketsToJudge(run, buckets);
}

void
DqRunColumn(DqRun *run)
{
	TimestampTz *buckets;
	int			nb = DqRunBuckets(run, true, &buckets);
	ListCell   *lc;

	foreach(lc, run->cfg.metrics)
	{
		DqRunJudge(run, (const char *) lfirst(lc), buckets, nb);
	}
}

/*
 * The sketch to compare bucket b with: the latest earlier bucket that was
 * not itself drift (unless a user said it was expected), or the merged
 * baseline buckets; NULL when there is none yet.
 */
static DqColSketch *
DqRunReference(DqRun *run, TimestampTz b)
{
	Oid			types[4] = {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	bool		isnull;
	Datum		d;

	values[0] = Int64GetDatum(run->def->id);
	values[1] = TimestampTzGetDatum(b);
	values[2] = TimestampTzGetDatum(run->def->baseline_from);
	nulls[2] = run->def->has_baseline ? ' ' : 'n';
	values[3] = Int32GetDatum(run->cfg.baseline_buckets);
	if (run->cfg.reference_baseline)
		DqSpiRunArgs("SELECT CASE WHEN pg_catalog.count(*) = $4 "
					 "  THEN dq.column_sketch_merge(x.sketch) END FROM ("
					 "  SELECT sketch FROM dq.metric_sketches WHERE monitor_id = $1 "
					 "    AND ($3::pg_catalog.timestamptz IS NULL OR bucket >= $3) "
					 "  ORDER BY bucket LIMIT $4) x "
					 "WHERE NOT EXISTS (SELECT 1 FROM (SELECT bucket FROM dq.metric_sketches "
					 "  WHERE monitor_id = $1 AND ($3::pg_catalog.timestamptz IS NULL OR bucket >= $3) "
					 "  ORDER BY bucket LIMIT $4) y WHERE y.bucket >= $2)",
					 4, types, values, nulls, false, SPI_OK_SELECT, "read the baseline");
	else
		DqSpiRunArgs("SELECT s.sketch FROM dq.metric_sketches s "
					 "WHERE s.monitor_id = $1 AND s.bucket < $2 "
					 "  AND ($3::pg_catalog.timestamptz IS NULL OR s.bucket >= $3) "
					 "  AND NOT EXISTS (SELECT 1 FROM dq.anomalies a "
					 "    WHERE a.monitor_id = s.monitor_id AND a.metric = 'drift' "
					 "      AND a.bucket = s.bucket AND a.state <> 'expected') "
					 "ORDER BY s.bucket DESC LIMIT 1",
					 3, types, values, nulls, false, SPI_OK_SELECT, "read the previous bucket");
	if (SPI_processed == 0)
		return NULL;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return NULL;
	return DqColSketchDeserialize(DatumGetByteaPP(d));
}

static DqColSketch *
DqRunBucketSketch(DqRun *run, TimestampTz b)
{
	Oid			types[2] = {INT8OID, TIMESTAMPTZOID};
	Datum		values[2];
	bool		isnull;

	values[0] = Int64GetDatum(run->def->id);
	values[1] = TimestampTzGetDatum(b);
	DqSpiRunArgs("SELECT sketch FROM dq.metric_sketches "
				 "WHERE monitor_id = $1 AND bucket = $2",
				 2, types, values, NULL, false, SPI_OK_SELECT, "read a bucket");
	if (SPI_processed == 0)
		return NULL;
	return DqColSketchDeserialize(DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0],
																 SPI_tuptable->tupdesc, 1, &isnull)));
}

/* Record a drift statistic read back from the drift JSON, if it is a number. */
static void
DqRunDriftMetric(DqRun *run, Jsonb *stats, const char *key, TimestampTz b)
{
	JsonbValue *v = DqJsonbGet(&stats->root, key);

	if (v != NULL && v->type == jbvNumeric)
		DqRunRecord(run, key, b,
					DatumGetFloat8(DirectFunctionCall1(numeric_float8,
													   NumericGetDatum(v->val.numeric))));
}

void
DqRunDistribution(DqRun *run)
{
	TimestampTz *buckets;
	int			nb = DqRunBuckets(run, false, &buckets);
	int			i;

	for (i = 0; i < nb; i++)
	{
		DqOwnerContext ext;
		DqColSketch *ref;
		DqColSketch *cur;
		DqJson		js = {0};
		bool		drift;
		double		primary;
		Jsonb	   *stats;
		DqDetectResult r = {0};
		bool		numeric;

		DqRunBecomeExtensionOwner(&ext);
		ref = DqRunReference(run, buckets[i]);
		cur = DqRunBucketSketch(run, buckets[i]);
		DqRestoreUser(&ext);
		if (ref == NULL || cur == NULL || ref->ti.basetypid != cur->ti.basetypid)
			continue;
		numeric = DqColSketchIsNumeric(cur);
		DqJsonBegin(&js, '{');
		DqJsonText(&js, "reference", run->cfg.reference_baseline ? "baseline" : "previous");
		DqColSketchDrift(&js, ref, cur, &run->cfg.drift, &drift, &primary);
		DqJsonEnd(&js, '}');
		stats = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(js.buf.data)));
		DqRunDriftMetric(run, stats, "ks_distance", buckets[i]);
		DqRunDriftMetric(run, stats, "ks_p_value", buckets[i]);
		DqRunDriftMetric(run, stats, "psi", buckets[i]);
		DqRunDriftMetric(run, stats, "chi2_p_value", buckets[i]);
		DqRunDriftMetric(run, stats, "cramers_v", buckets[i]);
		if (!drift)
			continue;
		r.has_upper = true;
		r.upper = numeric ? run->cfg.drift.ks_threshold : run->cfg.drift.min_effect;
		r.has_score = !isnan(primary);
		r.score = primary;
		DqRunAnomaly(run, "drift", buckets[i], isnan(primary) ? 0.0 : primary, &r,
					 numeric ? "ks" : "chi_square",
					 (primary >= 2 * r.upper) ? "error" : "warn", js.buf.data);
	}
}

/* ---------------------------------------------------------------------
 * dq.monitor_window, dq.monitor_drift: windows of stored buckets
 * ---------------------------------------------------------------------
 */

/*
 * The merged sketch of a monitor's buckets in [from, to), for a caller
 * who may read the monitored column; NULL when no bucket is there.  The
 * sketches are read and merged as the extension owner: only sketches the
 * extension wrote are ever deserialized (a hand-made bytea could claim
 * any type and make an output function read past its bytes).
 */
static DqColSketch *
DqWindowSketch(int64 monitor_id, Datum from, Datum to, int64 *buckets)
{
	Oid			types[3] = {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		values[3];
	DqOwnerContext ext;
	bool		isnull;
	Datum		d;
	DqColSketch *cs = NULL;
	Oid			relid;
	int16		attnum;
	Oid			caller = GetUserId();
	MemoryContext outer = CurrentMemoryContext;

	values[0] = Int64GetDatum(monitor_id);
	values[1] = from;
	values[2] = to;
	DqSpiConnect();
	DqRunBecomeExtensionOwner(&ext);
	DqSpiRunArgs("SELECT relid, attnum FROM dq.monitor_definitions "
				 "WHERE monitor_id = $1 AND kind IN ('column', 'distribution')",
				 1, types, values, NULL, false, SPI_OK_SELECT, "read a monitor");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("column or distribution monitor " INT64_FORMAT " does not exist", monitor_id),
				 errhint("dq.monitors lists the monitors; only column and distribution monitors keep sketches.")));
	relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	attnum = DatumGetInt16(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (pg_class_aclcheck(relid, caller, ACL_SELECT) != ACLCHECK_OK &&
		pg_attribute_aclcheck(relid, attnum, caller, ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for the column monitor " INT64_FORMAT, monitor_id),
				 errhint("Its sketches hold the column's values: you need SELECT on the column.")));
	DqSpiRunArgs("SELECT dq.column_sketch_merge(sketch), pg_catalog.count(*) "
				 "FROM dq.metric_sketches WHERE monitor_id = $1 "
				 "  AND bucket >= $2 AND bucket < $3",
				 3, types, values, NULL, false, SPI_OK_SELECT, "merge a window of buckets");
	*buckets = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
	{
		MemoryContext old = MemoryContextSwitchTo(outer);

		cs = DqColSketchDeserialize(DatumGetByteaPP(d));
		MemoryContextSwitchTo(old);
	}
	DqRestoreUser(&ext);
	SPI_finish();
	return cs;
}

static void
DqWindowArgs(FunctionCallInfo fcinfo, int nargs)
{
	int			i;

	for (i = 0; i < nargs; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("arguments must not be NULL"),
					 errhint("Pass a monitor_id and the bounds of the windows, for example now() - interval '7 days' and now().")));
}

PG_FUNCTION_INFO_V1(dq_monitor_window);
Datum
dq_monitor_window(PG_FUNCTION_ARGS)
{
	int64		buckets;
	DqColSketch *cs;

	DqWindowArgs(fcinfo, 3);
	cs = DqWindowSketch(PG_GETARG_INT64(0), PG_GETARG_DATUM(1), PG_GETARG_DATUM(2), &buckets);
	PG_RETURN_DATUM(DqColSketchMetricsJsonb(cs, buckets));
}

PG_FUNCTION_INFO_V1(dq_monitor_drift);
Datum
dq_monitor_drift(PG_FUNCTION_ARGS)
{
	int64		id;
	int64		nref;
	int64		ncur;
	DqColSketch *ref;
	DqColSketch *cur;
	DqDriftOptions o;

	DqWindowArgs(fcinfo, 6);
	id = PG_GETARG_INT64(0);
	DqDriftParseOptions(&o, PG_GETARG_JSONB_P(5), NULL);
	ref = DqWindowSketch(id, PG_GETARG_DATUM(1), PG_GETARG_DATUM(2), &nref);
	cur = DqWindowSketch(id, PG_GETARG_DATUM(3), PG_GETARG_DATUM(4), &ncur);
	PG_RETURN_DATUM(DqColSketchDriftJsonb(ref, cur, &o, nref, ncur));
}
