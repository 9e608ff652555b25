/*-------------------------------------------------------------------------
 *
 * monitor_sql.c
 *	  Defining monitors: dq.monitor, dq.unmonitor, dq.mark_anomaly,
 *	  dq.reset_baseline, and the DDL event triggers of schema monitors.
 *
 * A monitor belongs to the role that defines it and runs with that role's
 * rights.  Every option is checked before anything is written (kind,
 * column, types, indexes, detection and drift options); the writes to
 * dq.monitor_definitions are made as the extension owner.  The monitors
 * of one owner that share a schedule are run by one scheduler job,
 * "monitors <owner> <schedule>", which calls dq.run_monitors(<schedule>):
 * one pass over all of them.  The job is created with dq.schedule() as the
 * defining role (so it runs as that role) and removed with dq.unschedule()
 * when its last monitor goes.
 *
 * The event triggers run as the role that ran the DDL, so that the change
 * is recorded with who made it, and write as the extension owner.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "base/catalog.h"
#include "base/json_build.h"
#include "base/spi_util.h"
#include "base/trust.h"
#include "base/typeinfo.h"
#include "monitor/column_sketch.h"
#include "monitor/monitor.h"

const char *const DqMonitorKindNames[DQ_MONITOR_NUM_KINDS] = {
	"freshness", "volume", "schema", "column", "distribution"
};

/* Option keys of each kind besides the detection and drift options. */
static const char *const DqFreshnessKeys[] = {
	"schedule", "method", "source", "timestamp_column", "max_age", "allow_scan", NULL
};
static const char *const DqVolumeKeys[] = {"schedule", "method", "source", "exact", "metric", NULL};
static const char *const DqColumnKeys[] = {"schedule", "method", "metrics", "watermark", "bucket", NULL};
static const char *const DqDistributionKeys[] = {
	"schedule", "watermark", "bucket", "reference", "baseline_buckets", NULL
};

static const char *const DqDefaultSchedules[DQ_MONITOR_NUM_KINDS] = {
	"5 minutes", "1 hour", "1 hour", "1 hour", "1 hour"
};

#define DQ_OPTIONS_HINT "See the options of each monitor kind in the documentation (docs/monitors.md)."

DqMonitorKind
DqMonitorKindFromName(const char *name)
{
	return (DqMonitorKind) DqMonitorNameIndex(DqMonitorKindNames,
											  DQ_MONITOR_NUM_KINDS, name,
											  "monitor kind",
											  "Use one of freshness, volume, schema, column, distribution.");
}

/* ---------------------------------------------------------------------
 * Options
 * ---------------------------------------------------------------------
 */
static void
DqMonOptError(const char *key, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"%s\" must be %s", key, what),
			 errhint(DQ_OPTIONS_HINT)));
}

static JsonbValue *
DqMonOpt(Jsonb *options, const char *key)
{
	JsonbValue *v = DqJsonbGet(&options->root, key);

	return (v == NULL || v->type == jbvNull) ? NULL : v;
}

static char *
DqMonOptString(Jsonb *options, const char *key)
{
	JsonbValue *v = DqMonOpt(options, key);

	if (v == NULL)
		return NULL;
	if (v->type != jbvString)
		DqMonOptError(key, "a string");
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static bool
DqMonOptBool(Jsonb *options, const char *key, bool dflt)
{
	JsonbValue *v = DqMonOpt(options, key);

	if (v == NULL)
		return dflt;
	if (v->type != jbvBool)
		DqMonOptError(key, "true or false");
	return v->val.boolean;
}

/* An interval option in microseconds (at least a second), or dflt. */
static int64
DqMonOptInterval(Jsonb *options, const char *key, int64 dflt)
{
	char	   *s = DqMonOptString(options, key);
	Interval   *iv;
	int64		usec;

	if (s == NULL)
		return dflt;
	iv = DatumGetIntervalP(DirectFunctionCall3(interval_in, CStringGetDatum(s),
											   ObjectIdGetDatum(InvalidOid),
											   Int32GetDatum(-1)));
	if (iv->month != 0)
		DqMonOptError(key, "an interval without months or years, such as '1 day'");
	usec = iv->time + (int64) iv->day * USECS_PER_DAY;
	if (usec < USECS_PER_SEC)
		DqMonOptError(key, "an interval of at least 1 second");
	return usec;
}

/* Column number of a named column; an error when there is none. */
int16
DqMonitorColumnAttnum(Oid relid, const char *name, const char *what)
{
	AttrNumber	att = get_attnum(relid, name);

	if (att == InvalidAttrNumber || att < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						name, get_rel_name(relid)),
				 errdetail("It was given as the %s.", what),
				 errhint("List the columns with \\d %s.", get_rel_name(relid))));
	return (int16) att;
}

static Oid
DqMonColumnType(Oid relid, int16 attnum)
{
	return getBaseType(get_atttype(relid, attnum));
}

static bool
DqTypeIsTime(Oid typid)
{
	return typid == DATEOID || typid == TIMESTAMPOID || typid == TIMESTAMPTZOID;
}

static bool
DqTypeIsInteger(Oid typid)
{
	return typid == INT2OID || typid == INT4OID || typid == INT8OID ||
		typid == NUMERICOID;
}

/* Does a valid, non-partial btree index start with the column? */
bool
DqMonitorHasLeadingIndex(Oid relid, int16 attnum)
{
	Oid			types[2] = {OIDOID, INT2OID};
	Datum		values[2] = {ObjectIdGetDatum(relid), Int16GetDatum(attnum)};
	bool		found;

	DqSpiConnect();
	DqSpiRunArgs("SELECT 1 FROM pg_catalog.pg_index i "
				 "JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
				 "JOIN pg_catalog.pg_am a ON a.oid = c.relam "
				 "WHERE i.indrelid = $1 AND i.indkey[0] = $2 "
				 "AND a.amname = 'btree' AND i.indisvalid AND i.indpred IS NULL",
				 2, types, values, NULL, true, SPI_OK_SELECT,
				 "look up the indexes of a relation");
	found = SPI_processed > 0;
	SPI_finish();
	return found;
}

/* Metrics of a column monitor that apply to a type family. */
static bool
DqMetricApplies(const char *metric, DqTypeFamily family)
{
	static const char *const all[] = {
		"row_count", "null_count", "null_fraction", "distinct_count", "distinct_fraction", NULL
	};
	static const char *const numbers[] = {
		"mean", "stddev", "min", "max", "p01", "p05", "p25", "p50", "p75", "p95", "p99",
		"zero_fraction", "negative_fraction", NULL
	};
	static const char *const texts[] = {
		"min_length", "mean_length", "max_length", "empty_fraction", NULL
	};
	const char *const *m;

	for (m = all; *m; m++)
		if (strcmp(metric, *m) == 0)
			return true;
	if (family == DQ_FAM_INT || family == DQ_FAM_FLOAT ||
		family == DQ_FAM_NUMERIC || family == DQ_FAM_DATETIME)
	{
		for (m = numbers; *m; m++)
			if (strcmp(metric, *m) == 0)
				return true;
	}
	if (family == DQ_FAM_TEXT)
	{
		for (m = texts; *m; m++)
			if (strcmp(metric, *m) == 0)
				return true;
		if (strncmp(metric, "pattern_", 8) == 0)
		{
			int			i;

			for (i = 0; i < DQ_NUM_PATTERNS; i++)
				if (strcmp(metric + 8, DqPatternNames[i]) == 0)
					return true;
		}
	}
	if (family == DQ_FAM_BOOL && strcmp(metric, "true_fraction") == 0)
		return true;
	return false;
}

/* The metrics a column monitor judges by default, per type family. */
static List *
DqDefaultMetrics(DqTypeFamily family)
{
	List	   *l = list_make1(pstrdup("null_fraction"));

	switch (family)
	{
		case DQ_FAM_INT:
		case DQ_FAM_FLOAT:
		case DQ_FAM_NUMERIC:
			l = lappend(l, pstrdup("distinct_fraction"));
			l = lappend(l, pstrdup("mean"));
			l = lappend(l, pstrdup("p50"));
			break;
		case DQ_FAM_TEXT:
			l = lappend(l, pstrdup("distinct_fraction"));
			l = lappend(l, pstrdup("mean_length"));
			l = lappend(l, pstrdup("empty_fraction"));
			break;
		case DQ_FAM_BOOL:
			l = lappend(l, pstrdup("true_fraction"));
			break;
		default:
			l = lappend(l, pstrdup("distinct_fraction"));
			break;
	}
	return l;
}

static List *
DqMonOptMetrics(Jsonb *options, Oid relid, int16 attnum)
{
	JsonbValue *v = DqMonOpt(options, "metrics");
	DqTypeInfo	ti;
	List	   *texts;
	List	   *out = NIL;
	ListCell   *lc;

	DqTypeInfoInit(&ti, get_atttype(relid, attnum), InvalidOid);
	if (v == NULL)
		return DqDefaultMetrics(ti.family);
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		DqMonOptError("metrics", "an array of metric names");
	texts = DqJsonbArrayTexts(v);
	if (texts == NIL)
		DqMonOptError("metrics", "a non-empty array of metric names");
	foreach(lc, texts)
	{
		char	   *t = lfirst(lc);
		size_t		len = strlen(t);
		char	   *name;

		if (len < 2 || t[0] != '"' || t[len - 1] != '"')
			DqMonOptError("metrics", "an array of metric names");
		name = pnstrdup(t + 1, len - 2);
		if (!DqMetricApplies(name, ti.family))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("metric \"%s\" does not apply to column \"%s\" of type %s",
							name, get_attname(relid, attnum, false),
							format_type_be(ti.typid)),
					 errhint("Metrics of every type: row_count, null_count, null_fraction, distinct_count, distinct_fraction; numbers and times add mean, stddev, min, max, p01-p99, zero_fraction, negative_fraction; strings add min_length, mean_length, max_length, empty_fraction, pattern_<name>; booleans add true_fraction.")));
		out = lappend(out, name);
	}
	return out;
}

/* Options of freshness monitors. */
static void
DqConfigureFreshness(DqMonitorConfig *cfg, Jsonb *options, Oid relid,
					 Jsonb **detect_options, char **method)
{
	int64		max_age = DqMonOptInterval(options, "max_age", 0);

	cfg->source = DqMonOptString(options, "source");
	if (cfg->source == NULL)
		cfg->source = "auto";
	if (strcmp(cfg->source, "auto") != 0 && strcmp(cfg->source, "stats") != 0 &&
		strcmp(cfg->source, "cdc") != 0 && strcmp(cfg->source, "timestamp") != 0)
		DqMonOptError("source", "auto, stats, cdc or timestamp");
	cfg->timestamp_column = DqMonOptString(options, "timestamp_column");
	cfg->allow_scan = DqMonOptBool(options, "allow_scan", false);
	if (strcmp(cfg->source, "timestamp") == 0 && cfg->timestamp_column == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source timestamp needs option \"timestamp_column\""),
				 errhint("Name the column that holds each row's time, for example '{\"timestamp_column\": \"created_at\"}'.")));
	if (cfg->timestamp_column != NULL)
	{
		int16		att = DqMonitorColumnAttnum(relid, cfg->timestamp_column,
											   "timestamp_column");

		if (strcmp(cfg->source, "auto") == 0)
			cfg->source = "timestamp";
		if (!DqTypeIsTime(DqMonColumnType(relid, att)))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" is of type %s, not date or timestamp",
							cfg->timestamp_column,
							format_type_be(get_atttype(relid, att))),
					 errhint("Name a column of type date, timestamp or timestamptz as timestamp_column.")));
		if (!cfg->allow_scan && !DqMonitorHasLeadingIndex(relid, att))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("column \"%s\" has no index: reading its maximum would scan the whole relation",
							cfg->timestamp_column),
					 errhint("Create a btree index on the column, or set \"allow_scan\": true.")));
	}
	/* a fixed max_age replaces the learned band */
	if (max_age > 0 && DqMonOpt(options, "method") == NULL)
	{
		char	   *extra = psprintf("{\"max\": %.6f}", (double) max_age / USECS_PER_SEC);

		*method = "threshold";
		*detect_options = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat,
															 JsonbPGetDatum(options),
															 DirectFunctionCall1(jsonb_in, CStringGetDatum(extra))));
	}
}

/* Options of volume monitors. */
static void
DqConfigureVolume(DqMonitorConfig *cfg, Jsonb *options)
{
	cfg->exact = DqMonOptBool(options, "exact", false);
	cfg->source = DqMonOptString(options, "source");
	if (cfg->source == NULL)
		cfg->source = "auto";
	if (strcmp(cfg->source, "auto") != 0 && strcmp(cfg->source, "stats") != 0 &&
		strcmp(cfg->source, "cdc") != 0)
		DqMonOptError("source", "auto, stats or cdc");
	if (cfg->exact && strcmp(cfg->source, "auto") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"source\" cannot be combined with \"exact\""),
				 errhint("Exact counts read the relation itself: leave out \"source\", or \"exact\" to read the counters of a source.")));
	cfg->metric = DqMonOptString(options, "metric");
	if (cfg->metric == NULL)
		cfg->metric = cfg->exact ? "rows_added" : "rows_inserted";
	if (strcmp(cfg->metric, "row_count") != 0 && strcmp(cfg->metric, "rows_added") != 0 &&
		(cfg->exact ||
		 (strcmp(cfg->metric, "rows_inserted") != 0 &&
		  strcmp(cfg->metric, "rows_updated") != 0 &&
		  strcmp(cfg->metric, "rows_deleted") != 0)))
		DqMonOptError("metric", cfg->exact ?
					  "row_count or rows_added with exact counts" :
					  "rows_inserted, rows_updated, rows_deleted, rows_added or row_count");
}

/* Options shared by column and distribution monitors. */
static void
DqConfigureBuckets(DqMonitorConfig *cfg, Jsonb *options, Oid relid)
{
	cfg->watermark = DqMonOptString(options, "watermark");
	cfg->bucket_usec = DqMonOptInterval(options, "bucket", USECS_PER_DAY);
	if (cfg->watermark != NULL)
	{
		int16		att = DqMonitorColumnAttnum(relid, cfg->watermark, "watermark");
		Oid			t = DqMonColumnType(relid, att);

		if (!DqTypeIsTime(t) && !DqTypeIsInteger(t))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" is of type %s: a watermark must be an integer, date or timestamp",
							cfg->watermark, format_type_be(get_atttype(relid, att))),
					 errhint("Name an ascending key or the time rows were added.")));
	}
}

/*
 * Check the options of a monitor of kind "kind" on relid (column attnum)
 * and fill cfg; at definition and at every run (an index may have gone).
 */
void
DqMonitorConfigure(DqMonitorConfig *cfg, DqMonitorKind kind, Jsonb *options,
				   Oid relid, int16 attnum)
{
	Jsonb	   *detect_options = options;
	char	   *method = NULL;
	JsonbValue *sched;

	memset(cfg, 0, sizeof(DqMonitorConfig));
	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object"),
				 errhint(DQ_OPTIONS_HINT)));
	sched = DqJsonbGet(&options->root, "schedule");
	if (sched != NULL && sched->type != jbvNull && sched->type != jbvString)
		DqMonOptError("schedule", "a schedule such as '1 hour' or '0 3 * * *', or null");
	method = DqMonOptString(options, "method");

	switch (kind)
	{
		case DQ_MONITOR_FRESHNESS:
			DqConfigureFreshness(cfg, options, relid, &detect_options, &method);
			break;
		case DQ_MONITOR_VOLUME:
			DqConfigureVolume(cfg, options);
			break;
		case DQ_MONITOR_SCHEMA:
			{
				JsonbIterator *it = JsonbIteratorInit(&options->root);
				JsonbValue	v;
				JsonbIteratorToken tok;

				while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
					if (tok == WJB_KEY &&
						!(v.val.string.len == 8 && strncmp(v.val.string.val, "schedule", 8) == 0))
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("unrecognized option \"%s\" for a schema monitor",
										pnstrdup(v.val.string.val, v.val.string.len)),
								 errhint("A schema monitor takes only \"schedule\" (of its check for changes made while the event trigger could not see them).")));
			}
			return;
		case DQ_MONITOR_COLUMN:
			DqConfigureBuckets(cfg, options, relid);
			cfg->metrics = DqMonOptMetrics(options, relid, attnum);
			break;
		case DQ_MONITOR_DISTRIBUTION:
			{
				char	   *ref = DqMonOptString(options, "reference");
				JsonbValue *nb = DqMonOpt(options, "baseline_buckets");

				DqConfigureBuckets(cfg, options, relid);
				DqDriftParseOptions(&cfg->drift, options, DqDistributionKeys);
				if (ref != NULL && strcmp(ref, "previous") != 0 && strcmp(ref, "baseline") != 0)
					DqMonOptError("reference", "previous or baseline");
				cfg->reference_baseline = (ref != NULL && strcmp(ref, "baseline") == 0);
				cfg->baseline_buckets = 1;
				if (nb != NULL)
				{
					double		d;

					if (nb->type != jbvNumeric)
						DqMonOptError("baseline_buckets", "a positive integer");
					d = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
														   NumericGetDatum(nb->val.numeric)));
					if (d != floor(d) || d < 1 || d > 10000)
						DqMonOptError("baseline_buckets", "an integer between 1 and 10000");
					cfg->baseline_buckets = (int) d;
				}
			}
			return;
		default:
			break;
	}

	/* freshness, volume and column monitors judge series */
	DqDetectParseOptions(&cfg->detect,
						 DqDetectMethodFromName(method ? method : "zscore"),
						 detect_options,
						 kind == DQ_MONITOR_FRESHNESS ? DqFreshnessKeys :
						 kind == DQ_MONITOR_VOLUME ? DqVolumeKeys : DqColumnKeys);
	if (kind == DQ_MONITOR_FRESHNESS)
	{
		/* only staleness matters, and staleness is never a new normal */
		if (DqJsonbGet(&options->root, "direction") == NULL)
			cfg->detect.direction = DQ_DIRECTION_SPIKE;
		if (DqJsonbGet(&options->root, "level_shift") == NULL)
			cfg->detect.level_shift = 0;
		/* the age is known to the poll interval: the run sets min_stddev */
		cfg->auto_min_stddev = (DqJsonbGet(&options->root, "min_stddev") == NULL);
	}
	/* row counts vary at least as a Poisson count does */
	if (kind == DQ_MONITOR_VOLUME && DqJsonbGet(&options->root, "count_floor") == NULL)
		cfg->detect.count_floor = true;
}

/* ---------------------------------------------------------------------
 * dq.monitor
 * ---------------------------------------------------------------------
 */
static char
DqMonRelkind(Oid relid)
{
	char		relkind = get_rel_relkind(relid);

	if (relkind == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid),
				 errhint("Name an existing table, for example 'public.orders'.")));
	return relkind;
}

/* Which relations a kind can watch, and with which options. */
static void
DqMonCheckRelkind(DqMonitorKind kind, Oid relid, const DqMonitorConfig *cfg)
{
	char		relkind = DqMonRelkind(relid);
	bool		has_stats = (relkind == RELKIND_RELATION ||
							 relkind == RELKIND_PARTITIONED_TABLE ||
							 relkind == RELKIND_MATVIEW);
	bool		readable = has_stats || relkind == RELKIND_VIEW ||
		relkind == RELKIND_FOREIGN_TABLE;

	if (!readable)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot monitor \"%s\"", get_rel_name(relid)),
				 errdetail("It is neither a table, a view, a materialized view nor a foreign table."),
				 errhint("Monitor the table the object belongs to.")));
	if (kind == DQ_MONITOR_FRESHNESS && !has_stats &&
		strcmp(cfg->source, "timestamp") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot measure the freshness of \"%s\" from statistics", get_rel_name(relid)),
				 errdetail("Views and foreign tables have no statistics counters."),
				 errhint("Name a column with each row's time: '{\"timestamp_column\": \"created_at\", \"allow_scan\": true}'.")));
	if (kind == DQ_MONITOR_VOLUME && !has_stats && !cfg->exact)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot measure the volume of \"%s\" from statistics", get_rel_name(relid)),
				 errdetail("Views and foreign tables have no statistics counters."),
				 errhint("Ask for exact counts: '{\"exact\": true}' (each run counts every row).")));
}

static void
DqMonCheckPrivilege(Oid relid, int16 attnum, Oid role)
{
	bool		ok = pg_class_aclcheck(relid, role, ACL_SELECT) == ACLCHECK_OK ||
		(attnum > 0 && pg_attribute_aclcheck(relid, attnum, role, ACL_SELECT) == ACLCHECK_OK);

	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for %s %s",
						attnum > 0 ? "column of table" : "table", get_rel_name(relid)),
				 errhint("A monitor runs as you: you need SELECT on what it reads.")));
}

/* Run a query (a call of the scheduler's functions) as the current user. */
static void
DqMonCall(const char *sql, int nargs, Oid *types, Datum *values)
{
	DqSpiRunArgs(sql, nargs, types, values, NULL, false, SPI_OK_SELECT, sql);
}

/*
 * The job of the monitor of (relid, kind, attnum) that dq.monitor is about
 * to redefine, or NULL when there is none; only a role with the rights of
 * its owner may redefine it.  The row stays locked until the end of the
 * transaction.  Runs as the extension owner, inside SPI.
 */
static char *
DqMonPreviousJob(Oid relid, DqMonitorKind kind, int16 attnum, Oid caller)
{
	Oid			types[3] = {OIDOID, TEXTOID, INT2OID};
	Datum		values[3];
	bool		isnull;
	Oid			old_owner;

	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetTextDatum(DqMonitorKindNames[kind]);
	values[2] = Int16GetDatum(attnum);
	DqSpiRunArgs("SELECT owner::pg_catalog.oid, job_name FROM dq.monitor_definitions "
				 "WHERE relid = $1 AND kind = $2 AND attnum = $3 FOR UPDATE",
				 3, types, values, NULL, false, SPI_OK_SELECT,
				 "look up the monitors of a relation");
	if (SPI_processed == 0)
		return NULL;
	old_owner = DatumGetObjectId(DqSpiValue(0, 1, &isnull));
	if (!has_privs_of_role(caller, old_owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("the %s monitor of \"%s\" belongs to role %s",
						DqMonitorKindNames[kind], get_rel_name(relid),
						GetUserNameFromId(old_owner, false)),
				 errhint("Ask that role to change it, or to remove it with dq.unmonitor().")));
	return DqSpiText(0, 2);
}

/* Remove a scheduler job when no monitor uses it any more. */
static void
DqMonDropJobIfUnused(const char *job_name)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	DqOwnerContext ext;
	bool		unused;
	bool		isnull;

	if (job_name == NULL)
		return;
	values[0] = CStringGetTextDatum(job_name);
	DqBecomeExtensionOwner(&ext);
	DqSpiRunOneRow("SELECT EXISTS (SELECT 1 FROM dq.jobs WHERE job_name = $1) "
				   "  AND NOT EXISTS (SELECT 1 FROM dq.monitor_definitions "
				   "                   WHERE job_name = $1)",
				   1, types, values, NULL, false, SPI_OK_SELECT,
				   "look up the monitors of a job");
	unused = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	DqRestoreUser(&ext);
	if (unused)
		DqMonCall("SELECT dq.unschedule($1)", 1, types, values);
}

PG_FUNCTION_INFO_V1(dq_monitor);
Datum
dq_monitor(PG_FUNCTION_ARGS)
{
	Oid			relid;
	DqMonitorKind kind;
	int16		attnum = 0;
	char	   *colname = NULL;
	Jsonb	   *options;
	DqMonitorConfig cfg;
	Oid			caller = GetUserId();
	char	   *owner_name = GetUserNameFromId(caller, false);
	char	   *schedule;
	char	   *job_name = NULL;
	char	   *old_job = NULL;
	JsonbValue *sched;
	DqOwnerContext ext;
	int64		monitor_id;

	DqRequireArg(fcinfo, 0, "rel", "Name the relation to monitor, for example 'public.orders'.");
	DqRequireArg(fcinfo, 1, "kind", "Use one of freshness, volume, schema, column, distribution.");
	DqRequireArg(fcinfo, 3, "options", "Pass '{}' for the defaults.");
	relid = PG_GETARG_OID(0);
	kind = DqMonitorKindFromName(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	options = PG_GETARG_JSONB_P(3);
	(void) DqMonRelkind(relid);

	if (kind == DQ_MONITOR_COLUMN || kind == DQ_MONITOR_DISTRIBUTION)
	{
		DqRequireArg(fcinfo, 2, "column_name",
					 "A column or distribution monitor watches one column: name it.");
		colname = NameStr(*PG_GETARG_NAME(2));
		attnum = DqMonitorColumnAttnum(relid, colname, "column_name");
	}
	else if (!PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a %s monitor watches the whole relation", DqMonitorKindNames[kind]),
				 errhint("Leave the column out, or use kind column or distribution.")));

	DqMonCheckPrivilege(relid, attnum, caller);
	DqMonitorConfigure(&cfg, kind, options, relid, attnum);
	DqMonCheckRelkind(kind, relid, &cfg);
	if (cfg.source != NULL && strcmp(cfg.source, "cdc") == 0)
	{
		bool		watched;

		DqSpiConnect();
		watched = DqMonitorWatched(relid);
		SPI_finish();
		if (!watched)
			DqMonitorNotWatched(relid);
	}

	sched = DqJsonbGet(&options->root, "schedule");
	if (sched == NULL)
		schedule = pstrdup(DqDefaultSchedules[kind]);
	else if (sched->type == jbvNull)
		schedule = NULL;
	else
		schedule = pnstrdup(sched->val.string.val, sched->val.string.len);
	if (schedule != NULL)
		job_name = psprintf("monitors %s %s", owner_name, schedule);

	DqSpiConnect();
	DqBecomeExtensionOwner(&ext);
	old_job = DqMonPreviousJob(relid, kind, attnum, caller);
	{
		Oid			types[11] = {OIDOID, TEXTOID, TEXTOID, TEXTOID, INT2OID, TEXTOID,
		JSONBOID, TEXTOID, TEXTOID, OIDOID, JSONBOID};
		Datum		values[11];
		char		nulls[11];
		char	   *state = "{}";

		memset(nulls, ' ', sizeof(nulls));
		values[0] = ObjectIdGetDatum(relid);
		values[1] = CStringGetTextDatum(get_namespace_name(get_rel_namespace(relid)));
		values[2] = CStringGetTextDatum(get_rel_name(relid));
		values[3] = CStringGetTextDatum(DqMonitorKindNames[kind]);
		values[4] = Int16GetDatum(attnum);
		if (colname != NULL)
			values[5] = CStringGetTextDatum(colname);
		else
			nulls[5] = 'n';
		values[6] = JsonbPGetDatum(options);
		if (schedule != NULL)
		{
			values[7] = CStringGetTextDatum(schedule);
			values[8] = CStringGetTextDatum(job_name);
		}
		else
			nulls[7] = nulls[8] = 'n';
		values[9] = ObjectIdGetDatum(caller);
		values[10] = DirectFunctionCall1(jsonb_in, CStringGetDatum(state));
		monitor_id = DqSpiInsertReturningId("INSERT INTO dq.monitor_definitions AS m (relid, schema_name, table_name, "
											"  kind, attnum, column_name, options, schedule, job_name, owner, state) "
											"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
											"  CASE WHEN $4 = 'schema' THEN pg_catalog.jsonb_build_object("
											"    'columns', dq_internal.monitor_columns($1)) ELSE $11 END) "
											"ON CONFLICT (relid, kind, attnum) DO UPDATE SET "
											"  schema_name = EXCLUDED.schema_name, table_name = EXCLUDED.table_name, "
											"  column_name = EXCLUDED.column_name, options = EXCLUDED.options, "
											"  schedule = EXCLUDED.schedule, job_name = EXCLUDED.job_name, "
											"  owner = EXCLUDED.owner, enabled = true, status = 'active', "
											"  last_error = NULL, "
											"  state = EXCLUDED.state OPERATOR(pg_catalog.||) m.state "
											"RETURNING monitor_id",
											11, types, values, nulls,
											"record the monitor");
	}
	DqRestoreUser(&ext);

	/* the job runs as the caller: schedule it as the caller */
	if (job_name != NULL)
	{
		Oid			types[3] = {TEXTOID, TEXTOID, TEXTOID};
		Datum		values[3];
		Oid			ttypes[1] = {TEXTOID};
		Datum		tvalues[1];
		bool		exists;

		tvalues[0] = CStringGetTextDatum(job_name);
		DqBecomeExtensionOwner(&ext);
		DqSpiRunArgs("SELECT 1 FROM dq.jobs WHERE job_name = $1",
					 1, ttypes, tvalues, NULL, false, SPI_OK_SELECT,
					 "look up a job");
		exists = SPI_processed > 0;
		DqRestoreUser(&ext);
		if (!exists)
		{
			values[0] = CStringGetTextDatum(job_name);
			values[1] = CStringGetTextDatum(schedule);
			values[2] = CStringGetTextDatum(psprintf("SELECT dq.run_monitors(%s)",
													 quote_literal_cstr(schedule)));
			DqMonCall("SELECT dq.schedule($1, $2, $3)", 3, types, values);
		}
	}
	if (old_job != NULL && (job_name == NULL || strcmp(old_job, job_name) != 0))
		DqMonDropJobIfUnused(old_job);
	SPI_finish();
	PG_RETURN_INT64(monitor_id);
}

/* ---------------------------------------------------------------------
 * dq.unmonitor
 * ---------------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(dq_unmonitor);
Datum
dq_unmonitor(PG_FUNCTION_ARGS)
{
	Oid			relid;
	Oid			caller = GetUserId();
	DqOwnerContext ext;
	Oid			types[3] = {OIDOID, TEXTOID, TEXTOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	List	   *jobs = NIL;
	ListCell   *lc;
	int			removed = 0;
	uint64		i;

	DqRequireArg(fcinfo, 0, "rel", "Name the relation, or pass its OID if it was dropped.");
	relid = PG_GETARG_OID(0);
	values[0] = ObjectIdGetDatum(relid);
	if (PG_ARGISNULL(1))
		nulls[1] = 'n';
	else
	{
		char	   *k = text_to_cstring(PG_GETARG_TEXT_PP(1));

		(void) DqMonitorKindFromName(k);
		values[1] = CStringGetTextDatum(k);
	}
	if (PG_ARGISNULL(2))
		nulls[2] = 'n';
	else
		values[2] = CStringGetTextDatum(NameStr(*PG_GETARG_NAME(2)));

	DqSpiConnect();
	DqBecomeExtensionOwner(&ext);
	/* the column by its current name, or its name when the monitor was made */
	DqSpiRunArgs("SELECT m.monitor_id, m.owner::pg_catalog.oid, m.job_name "
				 "FROM dq.monitor_definitions m "
				 "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = m.relid "
				 "  AND a.attnum = m.attnum AND NOT a.attisdropped "
				 "WHERE m.relid = $1 AND ($2 IS NULL OR m.kind = $2) "
				 "  AND ($3 IS NULL OR coalesce(a.attname, m.column_name) = $3) "
				 "ORDER BY m.monitor_id FOR UPDATE OF m",
				 3, types, values, nulls, false, SPI_OK_SELECT,
				 "look up the monitors of a relation");
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Oid			owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
														   SPI_tuptable->tupdesc, 2, &isnull));

		if (!has_privs_of_role(caller, owner))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("monitor %s belongs to role %s",
							SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1),
							GetUserNameFromId(owner, false)),
					 errhint("Ask that role to remove it.")));
		(void) SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3, &isnull);
		if (!isnull)
			jobs = lappend(jobs, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3));
	}
	if (SPI_processed > 0)
	{
		DqSpiRunArgs("DELETE FROM dq.monitor_definitions m "
					 "WHERE m.relid = $1 AND ($2 IS NULL OR m.kind = $2) "
					 "  AND ($3 IS NULL OR coalesce((SELECT a.attname "
					 "    FROM pg_catalog.pg_attribute a WHERE a.attrelid = m.relid "
					 "    AND a.attnum = m.attnum AND NOT a.attisdropped), m.column_name) = $3)",
					 3, types, values, nulls, false, SPI_OK_DELETE,
					 "remove the monitors of a relation");
		removed = (int) SPI_processed;
	}
	DqRestoreUser(&ext);
	foreach(lc, jobs)
	{
		DqMonDropJobIfUnused(lfirst(lc));
	}
	SPI_finish();
	PG_RETURN_INT32(removed);
}

/* ---------------------------------------------------------------------
 * dq.mark_anomaly, dq.reset_baseline
 * ---------------------------------------------------------------------
 */

/*
 * Lock a monitor the caller may change (the owner's privileges), or raise
 * "does not exist".  Runs inside SPI as the extension owner.
 */
static void
DqMonLockOwn(int64 monitor_id, Oid caller, const char *what, int64 id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	bool		isnull;
	Oid			owner = InvalidOid;

	values[0] = Int64GetDatum(monitor_id);
	DqSpiRunArgs("SELECT owner::pg_catalog.oid FROM dq.monitor_definitions "
				 "WHERE monitor_id = $1 FOR UPDATE",
				 1, types, values, NULL, false, SPI_OK_SELECT,
				 "look up a monitor");
	if (SPI_processed > 0)
		owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 1, &isnull));
	if (!OidIsValid(owner) || !has_privs_of_role(caller, owner))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("%s " INT64_FORMAT " does not exist", what, id),
				 errhint("dq.monitors and dq.anomalies list the monitors and anomalies you own.")));
}

PG_FUNCTION_INFO_V1(dq_mark_anomaly);
Datum
dq_mark_anomaly(PG_FUNCTION_ARGS)
{
	int64		anomaly_id;
	char	   *verdict;
	char	   *caller_name = GetUserNameFromId(GetUserId(), false);
	DqOwnerContext ext;
	Oid			types[3] = {INT8OID, TEXTOID, TEXTOID};
	Datum		values[3];
	bool		isnull;
	int64		monitor_id = 0;

	DqRequireArg(fcinfo, 0, "anomaly_id", "Pass an anomaly_id of dq.anomalies.");
	DqRequireArg(fcinfo, 1, "verdict", "Use expected, confirmed or open.");
	anomaly_id = PG_GETARG_INT64(0);
	verdict = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strcmp(verdict, "expected") != 0 && strcmp(verdict, "confirmed") != 0 &&
		strcmp(verdict, "open") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized verdict \"%s\"", verdict),
				 errhint("Use expected (the point returns to training), confirmed (it stays out) or open.")));

	DqSpiConnect();
	DqBecomeExtensionOwner(&ext);
	values[0] = Int64GetDatum(anomaly_id);
	DqSpiRunArgs("SELECT monitor_id FROM dq.anomalies WHERE anomaly_id = $1",
				 1, types, values, NULL, false, SPI_OK_SELECT,
				 "look up an anomaly");
	if (SPI_processed > 0)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			monitor_id = DatumGetInt64(d);
	}
	DqMonLockOwn(monitor_id, ext.save_userid, "anomaly", anomaly_id);
	values[1] = CStringGetTextDatum(verdict);
	values[2] = CStringGetTextDatum(caller_name);
	DqSpiRunArgs("UPDATE dq.anomalies SET state = $2, marked_by = $3, "
				 "  marked_at = pg_catalog.now() WHERE anomaly_id = $1",
				 3, types, values, NULL, false, SPI_OK_UPDATE,
				 "mark an anomaly");
	DqRestoreUser(&ext);
	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dq_reset_baseline);
Datum
dq_reset_baseline(PG_FUNCTION_ARGS)
{
	int64		monitor_id;
	DqOwnerContext ext;
	Oid			types[2] = {INT8OID, TIMESTAMPTZOID};
	Datum		values[2];
	char		nulls[2] = {' ', PG_ARGISNULL(1) ? 'n' : ' '};

	DqRequireArg(fcinfo, 0, "monitor_id", "Pass a monitor_id of dq.monitors.");
	monitor_id = PG_GETARG_INT64(0);
	values[0] = Int64GetDatum(monitor_id);
	values[1] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);

	DqSpiConnect();
	DqBecomeExtensionOwner(&ext);
	DqMonLockOwn(monitor_id, ext.save_userid, "monitor", monitor_id);
	DqSpiRunArgs("UPDATE dq.monitor_definitions SET baseline_from = $2 "
				 "WHERE monitor_id = $1",
				 2, types, values, nulls, false, SPI_OK_UPDATE,
				 "reset the baseline of a monitor");
	DqRestoreUser(&ext);
	SPI_finish();
	PG_RETURN_VOID();
}

/* ---------------------------------------------------------------------
 * Event triggers
 * ---------------------------------------------------------------------
 */

/*
 * Call one of the SQL helpers of the event triggers as the extension
 * owner, with the DDL's roles and command tag.  Skipped while the
 * extension's own script runs and once its catalog is gone (DROP
 * EXTENSION).
 */
static void
DqMonEventCall(FunctionCallInfo fcinfo, const char *sql_for_each, const char *list_sql)
{
	EventTriggerData *trigdata;
	char	   *who = GetUserNameFromId(GetUserId(), false);
	char	   *sess = GetUserNameFromId(GetSessionUserId(), false);
	DqOwnerContext ext;
	Oid			types[4] = {NAMEOID, NAMEOID, TEXTOID, INT8OID};
	Datum		values[4];
	NameData	whoname;
	NameData	sessname;
	bool		isnull;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "not fired by an event trigger");
	trigdata = (EventTriggerData *) fcinfo->context;
	if (creating_extension)
		return;
	DqSpiConnect();
	DqSpiRun("SELECT pg_catalog.to_regclass('dq.monitor_definitions') IS NOT NULL "
			 "AND pg_catalog.to_regproc('dq_internal.monitor_drop_sync') IS NOT NULL",
			 true, SPI_OK_SELECT, "look up dq.monitor_definitions");
	if (SPI_processed == 0 ||
		!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
	{
		SPI_finish();
		return;
	}
	namestrcpy(&whoname, who);
	namestrcpy(&sessname, sess);
	values[0] = NameGetDatum(&whoname);
	values[1] = NameGetDatum(&sessname);
	values[2] = CStringGetTextDatum(GetCommandTagName(trigdata->tag));
	DqBecomeExtensionOwner(&ext);
	if (list_sql == NULL)
		DqSpiRunArgs(sql_for_each, 3, types, values, NULL, false,
					 SPI_OK_SELECT, "sync the monitors with a DDL command");
	else
	{
		SPITupleTable *list;
		uint64		n;
		uint64		i;

		n = DqSpiRun(list_sql, false, SPI_OK_SELECT,
					 "list the monitors a DDL command touches");
		list = SPI_tuptable;
		for (i = 0; i < n; i++)
		{
			values[3] = SPI_getbinval(list->vals[i], list->tupdesc, 1, &isnull);
			DqSpiRunArgs(sql_for_each, 4, types, values, NULL, false,
						 SPI_OK_SELECT, "sync the monitors with a DDL command");
		}
	}
	DqRestoreUser(&ext);
	SPI_finish();
}

PG_FUNCTION_INFO_V1(dq_monitor_ddl_command_end);
Datum
dq_monitor_ddl_command_end(PG_FUNCTION_ARGS)
{
	DqMonEventCall(fcinfo,
				   "SELECT dq_internal.monitor_schema_sync($4, $1, $2, $3)",
				   "SELECT DISTINCT m.monitor_id "
				   "FROM pg_catalog.pg_event_trigger_ddl_commands() c "
				   "JOIN dq.monitor_definitions m ON m.relid = c.objid "
				   "WHERE c.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
				   "  AND m.kind = 'schema' AND m.enabled ORDER BY 1");
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(dq_monitor_sql_drop);
Datum
dq_monitor_sql_drop(PG_FUNCTION_ARGS)
{
	DqMonEventCall(fcinfo, "SELECT dq_internal.monitor_drop_sync($1, $2, $3)", NULL);
	PG_RETURN_NULL();
}
