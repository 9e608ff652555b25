/*-------------------------------------------------------------------------
 *
 * detect_sql.c
 *	  dq.detect_anomalies(): the options of the detector, the checks of a
 *	  series, and the SQL function around DqDetect (detect.c).
 *
 * Options are a jsonb object; each applies to some methods, and an option
 * that does not apply to the method, an unrecognized one or one of the
 * wrong type is an error, so that a misspelt option does not silently
 * leave the default in place.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "base/guc.h"
#include "base/json_build.h"
#include "base/spi_util.h"
#include "monitor/detect.h"

const char *const DqDetectMethodNames[DQ_DETECT_NUM_METHODS] = {
	"zscore", "mad", "rate_of_change", "absolute_change", "threshold",
	"holt_winters"
};

#define DQ_METHOD_HINT "Use one of zscore, mad, rate_of_change, absolute_change, threshold, holt_winters."

/* Methods an option applies to, as bits */
#define M(m)		(1u << (m))
#define M_Z			M(DQ_DETECT_ZSCORE)
#define M_MAD		M(DQ_DETECT_MAD)
#define M_ROC		M(DQ_DETECT_RATE_OF_CHANGE)
#define M_ABS		M(DQ_DETECT_ABSOLUTE_CHANGE)
#define M_THR		M(DQ_DETECT_THRESHOLD)
#define M_HW		M(DQ_DETECT_HOLT_WINTERS)
#define M_ALL		(M_Z | M_MAD | M_ROC | M_ABS | M_THR | M_HW)

typedef enum DqOpt
{
	OPT_SENSITIVITY,
	OPT_DIRECTION,
	OPT_SEASONALITY,
	OPT_TIMEZONE,
	OPT_TRAINING_POINTS,
	OPT_TRAINING_PERIOD,
	OPT_MIN_TRAINING_POINTS,
	OPT_LEVEL_SHIFT,
	OPT_PREDICTION_INTERVAL,
	OPT_MIN_STDDEV,
	OPT_TREND,
	OPT_COUNT_FLOOR,
	OPT_ALPHA,
	OPT_BETA,
	OPT_GAMMA,
	OPT_SEASON_LENGTH,
	OPT_MIN,
	OPT_MAX,
	OPT_MAX_INCREASE,
	OPT_MAX_DECREASE,
	OPT_EXPECTED,
	OPT_ANOMALOUS,
	OPT_COUNT
} DqOpt;

/* How an option's value is read: DqOpts says for integers and booleans. */
typedef enum DqOptType
{
	DQ_OPT_OTHER = 0,			/* by its case in DqDetectSetOption */
	DQ_OPT_INT,					/* an integer from min to max */
	DQ_OPT_BOOL					/* true or false */
} DqOptType;

#define DQ_INT_OPT(field, lo, hi) \
	DQ_OPT_INT, offsetof(DqDetectOptions, field), lo, hi
#define DQ_BOOL_OPT(field) \
	DQ_OPT_BOOL, offsetof(DqDetectOptions, field), 0, 0

static const struct
{
	const char *name;
	uint32		methods;
	DqOptType	type;
	size_t		offset;			/* of the int or bool field */
	int			min;
	int			max;
}			DqOpts[OPT_COUNT] = {
	[OPT_SENSITIVITY] = {"sensitivity", M_Z | M_MAD | M_HW},
	[OPT_DIRECTION] = {"direction", M_ALL},
	[OPT_SEASONALITY] = {"seasonality", M_Z | M_MAD | M_HW},
	[OPT_TIMEZONE] = {"timezone", M_Z | M_MAD | M_HW},
	[OPT_TRAINING_POINTS] = {"training_points", M_Z | M_MAD | M_HW,
		DQ_INT_OPT(training_points, 1, 100000)},
	[OPT_TRAINING_PERIOD] = {"training_period", M_Z | M_MAD},
	[OPT_MIN_TRAINING_POINTS] = {"min_training_points", M_Z | M_MAD | M_HW,
		DQ_INT_OPT(min_training_points, 1, 100000)},
	[OPT_LEVEL_SHIFT] = {"level_shift", M_Z | M_MAD | M_ROC | M_ABS | M_HW,
		DQ_INT_OPT(level_shift, 0, 100000)},
	[OPT_PREDICTION_INTERVAL] = {"prediction_interval", M_Z | M_MAD | M_HW,
		DQ_BOOL_OPT(prediction_interval)},
	[OPT_MIN_STDDEV] = {"min_stddev", M_Z | M_MAD | M_HW},
	[OPT_TREND] = {"trend", M_Z},
	[OPT_COUNT_FLOOR] = {"count_floor", M_Z | M_MAD | M_HW,
		DQ_BOOL_OPT(count_floor)},
	[OPT_ALPHA] = {"alpha", M_HW},
	[OPT_BETA] = {"beta", M_HW},
	[OPT_GAMMA] = {"gamma", M_HW},
	[OPT_SEASON_LENGTH] = {"season_length", M_HW,
		DQ_INT_OPT(season_length, 2, 10000)},
	[OPT_MIN] = {"min", M_THR},
	[OPT_MAX] = {"max", M_THR},
	[OPT_MAX_INCREASE] = {"max_increase", M_ROC | M_ABS},
	[OPT_MAX_DECREASE] = {"max_decrease", M_ROC | M_ABS},
	[OPT_EXPECTED] = {"expected", M_ALL},
	[OPT_ANOMALOUS] = {"anomalous", M_ALL},
};

/*
 * The position of name in names[0..n-1]; an error naming what was looked
 * up ("unrecognized <what> "name"") when it is not there.  Shared by the
 * names of detection methods, monitor kinds and enumerated options.
 */
int
DqMonitorNameIndex(const char *const *names, int n, const char *name,
				   const char *what, const char *hint)
{
	for (int i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unrecognized %s \"%s\"", what, name),
			 errhint("%s", hint)));
	return -1;					/* keep the compiler quiet */
}

/* The names of the enumerated options, in the order of their enums. */
static const char *const DqDirectionNames[] = {"both", "spike", "drop"};
static const char *const DqSeasonalityNames[] = {
	"none", "day_of_week", "hour_of_day", "auto"
};
static const char *const DqTrendNames[] = {"none", "linear"};

DqDetectMethod
DqDetectMethodFromName(const char *name)
{
	return (DqDetectMethod) DqMonitorNameIndex(DqDetectMethodNames,
											   DQ_DETECT_NUM_METHODS, name,
											   "anomaly detection method",
											   DQ_METHOD_HINT);
}

/* ---------------------------------------------------------------------
 * Options
 * ---------------------------------------------------------------------
 */
/* The options a method gets when none is given; tz is set at run time. */
static const DqDetectOptions DqDetectDefaultOptions = {
	.sensitivity = 3.0,
	.direction = DQ_DIRECTION_BOTH,
	.seasonality = DQ_SEASON_AUTO,
	.trend = DQ_TREND_NONE,
	.training_points = 28,
	.min_training_points = 7,
	.level_shift = 3,
	.prediction_interval = true,
	.alpha = 0.2,
	.beta = 0.02,
	.gamma = 0.2,
};

static void
DqDetectDefaults(DqDetectOptions *o, DqDetectMethod method)
{
	*o = DqDetectDefaultOptions;
	o->method = method;
	o->tz = session_timezone;
}

/*
 * An invalid option value: "option "key" must be <what>", the hint saying
 * where the options are documented.  Shared with the drift options.
 */
void
DqMonitorOptionError(const char *key, const char *what, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"%s\" must be %s", key, what),
			 errhint("%s", hint)));
}

static void
DqOptError(const char *key, const char *what)
{
	DqMonitorOptionError(key, what,
						 "See the options of dq.detect_anomalies in the documentation (docs/monitors.md).");
}

static double
DqOptNumber(const char *key, JsonbValue *v)
{
	if (v->type != jbvNumeric)
		DqOptError(key, "a number");
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8,
											  NumericGetDatum(v->val.numeric)));
}

static int
DqOptInt(const char *key, JsonbValue *v, int min, int max)
{
	double		d = DqOptNumber(key, v);

	if (d != floor(d) || d < min || d > max)
	{
		char	   *what = psprintf("an integer between %d and %d", min, max);

		DqOptError(key, what);
	}
	return (int) d;
}

static bool
DqOptBool(const char *key, JsonbValue *v)
{
	if (v->type != jbvBool)
		DqOptError(key, "true or false");
	return v->val.boolean;
}

static char *
DqOptString(const char *key, JsonbValue *v)
{
	if (v->type != jbvString)
		DqOptError(key, "a string");
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * A string option that takes one of the n names (in the order of its
 * enum); the error lists them, as in "both, spike or drop".
 */
static int
DqOptEnum(const char *key, JsonbValue *v, const char *const *names, int n)
{
	char	   *s = DqOptString(key, v);
	StringInfoData what;

	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	initStringInfo(&what);
	for (int i = 0; i < n; i++)
		appendStringInfo(&what, "%s%s",
						 i == 0 ? "" : (i == n - 1 ? " or " : ", "), names[i]);
	DqOptError(key, what.data);
	return -1;					/* keep the compiler quiet */
}

#define DQ_OPT_ENUM(key, v, names) DqOptEnum(key, v, names, lengthof(names))

/* Order of two int64 values (timestamps, gaps in microseconds), for qsort. */
int
DqDetectCmpInt64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/* A JSON array of timestamps, sorted. */
static TimestampTz *
DqOptTimestamps(const char *key, JsonbValue *v, int *count)
{
	List	   *strings = NIL;
	ListCell   *lc;
	TimestampTz *out;
	int			n = 0;

	if (!DqJsonbArrayStrings(v, &strings))
		DqOptError(key, "an array of timestamps");
	out = palloc(sizeof(TimestampTz) * Max(list_length(strings), 1));
	foreach(lc, strings)
	{
		char	   *s = lfirst(lc);

		out[n++] = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
														   CStringGetDatum(s),
														   ObjectIdGetDatum(InvalidOid),
														   Int32GetDatum(-1)));
	}
	qsort(out, n, sizeof(TimestampTz), DqDetectCmpInt64);
	*count = n;
	return out;
}

static int64
DqOptInterval(const char *key, JsonbValue *v)
{
	char	   *s = DqOptString(key, v);
	Interval   *iv = DatumGetIntervalP(DirectFunctionCall3(interval_in,
														   CStringGetDatum(s),
														   ObjectIdGetDatum(InvalidOid),
														   Int32GetDatum(-1)));
	int64		usec = iv->time + (int64) iv->day * USECS_PER_DAY +
		(int64) iv->month * DAYS_PER_MONTH * USECS_PER_DAY;

	if (usec <= 0)
		DqOptError(key, "a positive interval such as '14 days'");
	return usec;
}

/*
 * A bound of the band: a value (min, max) or a change (max_increase,
 * max_decrease), which is a size and so not negative.
 */
static double
DqOptBound(const char *key, JsonbValue *v, bool change)
{
	double		x = DqOptNumber(key, v);

	if (change && x < 0.0)
		DqOptError(key, "a number of at least 0");
	return x;
}

/* Set one option from its JSON value. */
static void
DqDetectSetOption(DqDetectOptions *o, DqOpt opt, const char *key, JsonbValue *v)
{
	char	   *field = (char *) o + DqOpts[opt].offset;

	if (DqOpts[opt].type == DQ_OPT_INT)
	{
		*(int *) field = DqOptInt(key, v, DqOpts[opt].min, DqOpts[opt].max);
		return;
	}
	if (DqOpts[opt].type == DQ_OPT_BOOL)
	{
		*(bool *) field = DqOptBool(key, v);
		return;
	}
	switch (opt)
	{
		case OPT_SENSITIVITY:
			o->sensitivity = DqOptNumber(key, v);
			if (!(o->sensitivity > 0.0) || isinf(o->sensitivity))
				DqOptError(key, "a positive number");
			break;
		case OPT_DIRECTION:
			o->direction = (DqDirection) DQ_OPT_ENUM(key, v, DqDirectionNames);
			break;
		case OPT_SEASONALITY:
			o->seasonality = (DqSeasonality) DQ_OPT_ENUM(key, v, DqSeasonalityNames);
			break;
		case OPT_TREND:
			o->trend = (DqTrend) DQ_OPT_ENUM(key, v, DqTrendNames);
			break;
		case OPT_TIMEZONE:
			o->tz = DqTimeZoneByName(DqOptString(key, v),
									 "Name a time zone of pg_timezone_names, for example 'Europe/Paris'.");
			break;
		case OPT_TRAINING_PERIOD:
			o->training_period = DqOptInterval(key, v);
			break;
		case OPT_MIN_STDDEV:
			o->min_stddev = DqOptNumber(key, v);
			if (!(o->min_stddev >= 0.0) || isinf(o->min_stddev))
				DqOptError(key, "a number of at least 0");
			break;
		case OPT_ALPHA:
		case OPT_BETA:
		case OPT_GAMMA:
			{
				double		x = DqOptNumber(key, v);

				if (!(x > 0.0 && x < 1.0))
					DqOptError(key, "a number between 0 and 1 (exclusive)");
				if (opt == OPT_ALPHA)
					o->alpha = x;
				else if (opt == OPT_BETA)
					o->beta = x;
				else
					o->gamma = x;
			}
			break;
		case OPT_MIN:
		case OPT_MAX_DECREASE:
			o->lower = DqOptBound(key, v, opt == OPT_MAX_DECREASE);
			o->has_lower = true;
			break;
		case OPT_MAX:
		case OPT_MAX_INCREASE:
			o->upper = DqOptBound(key, v, opt == OPT_MAX_INCREASE);
			o->has_upper = true;
			break;
		case OPT_EXPECTED:
			o->expected = DqOptTimestamps(key, v, &o->nexpected);
			break;
		case OPT_ANOMALOUS:
			o->anomalous = DqOptTimestamps(key, v, &o->nanomalous);
			break;
		default:
			/* the integer and boolean options, set above */
			break;
	}
}

/* The option of that name, or -1. */
static int
DqOptFind(const char *key)
{
	int			opt;

	for (opt = 0; opt < OPT_COUNT; opt++)
		if (strcmp(key, DqOpts[opt].name) == 0)
			return opt;
	return -1;
}

static bool
DqKeyIn(const char *key, const char *const *keys)
{
	for (; keys != NULL && *keys != NULL; keys++)
		if (strcmp(key, *keys) == 0)
			return true;
	return false;
}

/*
 * The next (key, value) pair of an options object, passing over the keys
 * in skip_keys (NULL-terminated, may be NULL), which belong to the caller;
 * false at the end.  Shared by the detector and drift options.
 */
bool
DqOptionsNext(JsonbIterator **it, char **key, JsonbValue *v,
			  const char *const *skip_keys)
{
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(it, v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			*key = pnstrdup(v->val.string.val, v->val.string.len);
		else if (tok == WJB_VALUE && !DqKeyIn(*key, skip_keys))
			return true;
	}
	return false;
}

/* Options of a detector or a drift test are a JSON object: else 22023. */
void
DqOptionsMustBeObject(Jsonb *options, const char *example)
{
	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object"),
				 errhint("Pass options such as '%s'.", example)));
}
/*
 * Fill o for the method from a jsonb object of options; keys in skip_keys
 * (NULL-terminated, may be NULL) belong to the caller and are ignored.
 */
void
DqDetectParseOptions(DqDetectOptions *o, DqDetectMethod method, Jsonb *options,
					 const char *const *skip_keys)
{
	JsonbIterator *it;
	JsonbValue	v;
	char	   *key = NULL;

	DqDetectDefaults(o, method);
	if (options == NULL)
		return;
	DqOptionsMustBeObject(options, "{\"sensitivity\": 3}");
	it = JsonbIteratorInit(&options->root);
	while (DqOptionsNext(&it, &key, &v, skip_keys))
	{
		int			opt = DqOptFind(key);

		if (opt < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unrecognized option \"%s\"", key),
					 errhint("See the options of dq.detect_anomalies in the documentation (docs/monitors.md).")));
		/* cppcheck-suppress negativeIndex ; the ereport above does not return */
		if ((DqOpts[opt].methods & M(method)) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" does not apply to method %s",
							key, DqDetectMethodNames[method]),
					 errhint("See the options of dq.detect_anomalies in the documentation (docs/monitors.md).")));
		if (v.type == jbvNull)
			continue;			/* null keeps the default */
		DqDetectSetOption(o, (DqOpt) opt, key, &v);
	}

	if ((method == DQ_DETECT_THRESHOLD || method == DQ_DETECT_RATE_OF_CHANGE ||
		 method == DQ_DETECT_ABSOLUTE_CHANGE) && !o->has_lower && !o->has_upper)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("method %s needs a bound", DqDetectMethodNames[method]),
				 errhint(method == DQ_DETECT_THRESHOLD ?
						 "Give \"min\", \"max\" or both." :
						 "Give \"max_increase\", \"max_decrease\" or both.")));
	if (method == DQ_DETECT_THRESHOLD && o->has_lower && o->has_upper &&
		o->lower > o->upper)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"min\" must not be greater than \"max\"")));
	if (o->min_training_points > o->training_points)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_training_points (%d) must not be greater than training_points (%d)",
						o->min_training_points, o->training_points),
				 errhint("Raise training_points or lower min_training_points.")));
}

/* ---------------------------------------------------------------------
 * The series
 * ---------------------------------------------------------------------
 */

/* Times strictly ascending and finite, values finite; else an error. */
void
DqDetectCheckSeries(int n, const TimestampTz *ts, const double *val)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		if (TIMESTAMP_NOT_FINITE(ts[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("ts[%d] is not a finite timestamp", i + 1),
					 errhint("Pass real points in time, not infinity.")));
		if (isnan(val[i]) || isinf(val[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("val[%d] is not a finite number", i + 1),
					 errhint("Leave out NaN and infinite values, or replace them before detection.")));
		if (i > 0 && ts[i] <= ts[i - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("ts must be strictly ascending"),
					 errdetail("ts[%d] = %s is not later than ts[%d] = %s.",
							   i + 1, timestamptz_to_str(ts[i]),
							   i, timestamptz_to_str(ts[i - 1])),
					 errhint("Pass one point per time, in time order, for example array_agg(ts ORDER BY ts).")));
	}
}

/* ---------------------------------------------------------------------
 * dq.detect_anomalies(ts timestamptz[], val float8[], method text,
 *					   options jsonb)
 * ---------------------------------------------------------------------
 */
#define DQ_SERIES_HINT "Pass the series as two arrays of the same length, for example array_agg(ts ORDER BY ts) and array_agg(value ORDER BY ts)."

/* Elements of a one-dimensional array without NULLs. */
static Datum *
DqSeriesArray(ArrayType *arr, Oid elemtype, const char *name, int *count)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	DqRequireOneDimArray(arr, name, NULL);
	deconstruct_array(arr, elemtype, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s[%d] is NULL", name, i + 1),
					 errhint("Leave out the points without a value, or fill them before detection.")));
	*count = n;
	return elems;
}

PG_FUNCTION_INFO_V1(dq_detect_anomalies);
Datum
dq_detect_anomalies(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum	   *tsd;
	Datum	   *vald;
	int			nts;
	int			nval;
	TimestampTz *ts;
	double	   *val;
	DqDetectOptions o;
	DqDetectResult *out;
	char	   *method;
	int			i;

	DqRequireArg(fcinfo, 0, "ts", DQ_SERIES_HINT);
	DqRequireArg(fcinfo, 1, "val", DQ_SERIES_HINT);
	DqRequireArg(fcinfo, 2, "method",
				 "Leave the method out for zscore, or name one of zscore, mad, rate_of_change, absolute_change, threshold, holt_winters.");
	DqRequireArg(fcinfo, 3, "options",
				 "Leave the options out, or pass '{}', for the defaults.");
	method = text_to_cstring(PG_GETARG_TEXT_PP(2));
	DqDetectParseOptions(&o, DqDetectMethodFromName(method),
						 PG_GETARG_JSONB_P(3), NULL);

	tsd = DqSeriesArray(PG_GETARG_ARRAYTYPE_P(0), TIMESTAMPTZOID, "ts", &nts);
	vald = DqSeriesArray(PG_GETARG_ARRAYTYPE_P(1), FLOAT8OID, "val", &nval);
	if (nts != nval)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("ts and val must have the same length"),
				 errdetail("ts has %d elements and val has %d.", nts, nval),
				 errhint("Pass one value per time.")));
	ts = palloc(sizeof(TimestampTz) * Max(nts, 1));
	val = palloc(sizeof(double) * Max(nts, 1));
	for (i = 0; i < nts; i++)
	{
		ts[i] = DatumGetTimestampTz(tsd[i]);
		val[i] = DatumGetFloat8(vald[i]);
	}
	DqDetectCheckSeries(nts, ts, val);

	out = palloc(sizeof(DqDetectResult) * Max(nts, 1));
	DqDetect(&o, nts, ts, val, out);

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < nts; i++)
	{
		Datum		values[7];
		bool		nulls[7];

		values[0] = TimestampTzGetDatum(ts[i]);
		values[1] = Float8GetDatum(val[i]);
		values[2] = Float8GetDatum(out[i].expected);
		values[3] = Float8GetDatum(out[i].lower);
		values[4] = Float8GetDatum(out[i].upper);
		values[5] = Float8GetDatum(out[i].score);
		values[6] = BoolGetDatum(out[i].anomaly == 1);
		nulls[0] = nulls[1] = false;
		nulls[2] = !out[i].has_expected;
		nulls[3] = !out[i].has_lower;
		nulls[4] = !out[i].has_upper;
		nulls[5] = !out[i].has_score;
		nulls[6] = (out[i].anomaly < 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
