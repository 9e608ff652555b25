/*-------------------------------------------------------------------------
 *
 * column_sketch.c
 *	  The mergeable state of one column over one time bucket (see
 *	  column_sketch.h), its metrics and its drift against another, and the
 *	  SQL functions around it:
 *
 *	  dq.column_sketch(anyelement) -> bytea			(aggregate)
 *	  dq.column_sketch_merge(bytea) -> bytea			(aggregate)
 *	  dq.column_sketch_metrics(bytea) -> jsonb
 *	  dq.column_sketch_drift(bytea, bytea, jsonb) -> jsonb
 *
 * Which parts of the state a value feeds depends on the column's type
 * family: numbers (integers, floats, numeric, and dates and timestamps as
 * seconds since 1970) feed the moments and a KLL quantile sketch; strings
 * feed lengths, value patterns and a top-values sketch; other types the
 * top-values sketch; booleans their true/false counts.  Every family
 * feeds the row and NULL counts and a HyperLogLog of distinct values.
 *
 * A serialized state starts with a format number and the column's type
 * and collation; two states merge only when their types agree.  Like the
 * sketches' own states, it is written in native byte order and is not
 * meant to leave the server that wrote it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "base/agg_util.h"
#include "base/compat.h"
#include "base/numeric_util.h"
#include "base/spi_util.h"
#include "monitor/column_sketch.h"
#include "monitor/detect.h"
#include "sketch/sketch_drift.h"
#include "sketch/sketch_buf.h"

#define DQ_COLSKETCH_FORMAT	1
#define DQ_UNIX_EPOCH_OFFSET \
	((double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

static const char *const DqQuantileNames[] = {
	"p01", "p05", "p25", "p50", "p75", "p95", "p99"
};
static const double DqQuantileFractions[] = {
	0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99
};

static bool
DqFamilyIsNumeric(DqTypeFamily f)
{
	return f == DQ_FAM_INT || f == DQ_FAM_FLOAT || f == DQ_FAM_NUMERIC ||
		f == DQ_FAM_DATETIME;
}

bool
DqColSketchIsNumeric(const DqColSketch *cs)
{
	return DqFamilyIsNumeric(cs->ti.family);
}

DqColSketch *
DqColSketchCreate(Oid typid, Oid collation)
{
	DqColSketch *cs = palloc0(sizeof(DqColSketch));

	DqTypeInfoInit(&cs->ti, typid, collation);
	DqHllInit(&cs->hll);
	DqKllInit(&cs->kll, DQ_KLL_K);
	cs->min = INFINITY;
	cs->max = -INFINITY;
	cs->len_min = PG_INT32_MAX;
	cs->len_max = 0;
	cs->has_topk = (cs->ti.family == DQ_FAM_TEXT ||
					cs->ti.family == DQ_FAM_OTHER);
	if (cs->has_topk)
		DqTopKInit(&cs->topk, DQ_COLSKETCH_TOPK, cs->ti.typlen, cs->ti.typbyval);
	return cs;
}

/* A value of a numeric or date/time family as a double; false if none. */
static bool
DqColSketchNumber(const DqColSketch *cs, Datum v, double *out)
{
	double		d;

	switch (cs->ti.basetypid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			d = (double) DqDatumInt64(cs->ti.basetypid, v);
			break;
		case FLOAT4OID:
		case FLOAT8OID:
			d = DqDatumFloat8(cs->ti.basetypid, v);
			break;
		case NUMERICOID:
			d = DqNumericToDouble(DatumGetNumeric(v));
			break;
		case DATEOID:
			if (DATE_NOT_FINITE(DatumGetDateADT(v)))
				return false;
			d = (double) DatumGetDateADT(v) * SECS_PER_DAY + DQ_UNIX_EPOCH_OFFSET;
			break;
		default:				/* timestamp, timestamptz */
			if (TIMESTAMP_NOT_FINITE(DatumGetInt64(v)))
				return false;
			d = (double) DatumGetInt64(v) / USECS_PER_SEC + DQ_UNIX_EPOCH_OFFSET;
			break;
	}
	if (isnan(d) || isinf(d))
		return false;
	*out = d;
	return true;
}

static void
DqColSketchAddNumber(DqColSketch *cs, double d)
{
	double		delta = d - cs->mean;

	cs->n++;
	cs->mean += delta / cs->n;
	cs->m2 += delta * (d - cs->mean);
	if (d < cs->min)
		cs->min = d;
	if (d > cs->max)
		cs->max = d;
	if (d == 0.0)
		cs->zeros++;
	else if (d < 0.0)
		cs->negatives++;
	DqKllAdd(&cs->kll, d);
}

static void
DqColSketchAddText(DqColSketch *cs, Datum v)
{
	const struct varlena *t = (const struct varlena *) DatumGetPointer(v);
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	int32		chars;
	uint32		mask;

	if (cs->ti.is_bpchar)
		while (len > 0 && s[len - 1] == ' ')
			len--;
	mask = DqClassifyText(s, len, &chars);
	cs->len_sum += chars;
	if (chars < cs->len_min)
		cs->len_min = chars;
	if (chars > cs->len_max)
		cs->len_max = chars;
	if (chars == 0)
		cs->empties++;
	while (mask != 0)
	{
		cs->patterns[pg_rightmost_one_pos32(mask)]++;
		mask &= mask - 1;
	}
}

/* Count one value (detoasted if it is a varlena) or a NULL. */
void
DqColSketchAdd(DqColSketch *cs, Datum value, bool isnull)
{
	uint64		h;
	double		d;

	cs->rows++;
	if (isnull)
	{
		cs->nulls++;
		return;
	}
	h = DqDatumHash(&cs->ti, value);
	DqHllAdd(&cs->hll, h);
	if (DqFamilyIsNumeric(cs->ti.family))
	{
		if (DqColSketchNumber(cs, value, &d))
			DqColSketchAddNumber(cs, d);
		return;
	}
	if (cs->ti.family == DQ_FAM_BOOL)
	{
		if (DatumGetBool(value))
			cs->trues++;
		else
			cs->falses++;
		return;
	}
	if (cs->ti.family == DQ_FAM_TEXT)
		DqColSketchAddText(cs, value);
	(void) DqTopKAdd(&cs->topk, h, value, NULL);
}

void
DqColSketchMerge(DqColSketch *dst, const DqColSketch *src)
{
	int			i;

	if (dst->ti.basetypid != src->ti.basetypid)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cannot merge column sketches of types %s and %s",
						format_type_be(dst->ti.typid), format_type_be(src->ti.typid)),
				 errhint("Merge only the sketches of one column, taken while it had one type.")));
	dst->rows += src->rows;
	dst->nulls += src->nulls;
	DqHllMerge(&dst->hll, &src->hll);
	if (src->n > 0)
	{
		double		n = (double) dst->n + src->n;
		double		delta = src->mean - dst->mean;

		dst->m2 += src->m2 + delta * delta * ((double) dst->n * src->n / n);
		dst->mean += delta * src->n / n;
		dst->n += src->n;
		dst->min = Min(dst->min, src->min);
		dst->max = Max(dst->max, src->max);
		dst->zeros += src->zeros;
		dst->negatives += src->negatives;
		DqKllMerge(&dst->kll, &src->kll);
	}
	dst->len_sum += src->len_sum;
	dst->len_min = Min(dst->len_min, src->len_min);
	dst->len_max = Max(dst->len_max, src->len_max);
	dst->empties += src->empties;
	for (i = 0; i < DQ_NUM_PATTERNS; i++)
		dst->patterns[i] += src->patterns[i];
	if (dst->has_topk && src->has_topk)
		DqTopKMerge(&dst->topk, &src->topk);
	dst->trues += src->trues;
	dst->falses += src->falses;
}

bytea *
DqColSketchSerialize(const DqColSketch *cs)
{
	StringInfoData buf;

	initStringInfo(&buf);
	DqBufPutInt32(&buf, DQ_COLSKETCH_FORMAT);
	DqBufPut(&buf, &cs->ti.typid, sizeof(Oid));
	DqBufPut(&buf, &cs->ti.collation, sizeof(Oid));
	DqBufPutInt64(&buf, cs->rows);
	DqBufPutInt64(&buf, cs->nulls);
	DqHllSerialize(&cs->hll, &buf);
	DqBufPutInt64(&buf, cs->n);
	DqBufPutDouble(&buf, cs->mean);
	DqBufPutDouble(&buf, cs->m2);
	DqBufPutDouble(&buf, cs->min);
	DqBufPutDouble(&buf, cs->max);
	DqBufPutInt64(&buf, cs->zeros);
	DqBufPutInt64(&buf, cs->negatives);
	DqKllSerialize(&cs->kll, &buf);
	DqBufPutInt64(&buf, cs->len_sum);
	DqBufPutInt32(&buf, cs->len_min);
	DqBufPutInt32(&buf, cs->len_max);
	DqBufPutInt64(&buf, cs->empties);
	DqBufPut(&buf, cs->patterns, sizeof(cs->patterns));
	DqBufPutInt64(&buf, cs->trues);
	DqBufPutInt64(&buf, cs->falses);
	if (cs->has_topk)
		DqTopKSerialize(&cs->topk, &buf);
	return DqBufToBytea(&buf);
}

DqColSketch *
DqColSketchDeserialize(bytea *b)
{
	DqReadBuf	rb;
	DqColSketch *cs;
	Oid			typid;
	Oid			collation;

	DqReadBufInit(&rb, b);
	if (DqBufGetInt32(&rb) != DQ_COLSKETCH_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid column sketch"),
				 errhint("Pass a value made by dq.column_sketch() or dq.column_sketch_merge().")));
	DqBufGet(&rb, &typid, sizeof(Oid));
	DqBufGet(&rb, &collation, sizeof(Oid));
	cs = DqColSketchCreate(typid, collation);
	cs->rows = DqBufGetInt64(&rb);
	cs->nulls = DqBufGetInt64(&rb);
	DqHllDeserialize(&cs->hll, &rb);
	cs->n = DqBufGetInt64(&rb);
	cs->mean = DqBufGetDouble(&rb);
	cs->m2 = DqBufGetDouble(&rb);
	cs->min = DqBufGetDouble(&rb);
	cs->max = DqBufGetDouble(&rb);
	cs->zeros = DqBufGetInt64(&rb);
	cs->negatives = DqBufGetInt64(&rb);
	DqKllDeserialize(&cs->kll, &rb);
	cs->len_sum = DqBufGetInt64(&rb);
	cs->len_min = DqBufGetInt32(&rb);
	cs->len_max = DqBufGetInt32(&rb);
	cs->empties = DqBufGetInt64(&rb);
	DqBufGet(&rb, cs->patterns, sizeof(cs->patterns));
	cs->trues = DqBufGetInt64(&rb);
	cs->falses = DqBufGetInt64(&rb);
	if (cs->has_topk)
		DqTopKDeserialize(&cs->topk, &rb);
	return cs;
}

/* A fraction, or null when the denominator is zero. */
static void
DqJsonFraction(DqJson *js, const char *key, double num, double den)
{
	if (den > 0)
		DqJsonFloat(js, key, num / den);
	else
		DqJsonNull(js, key);
}

/*
 * The data type and the metrics of a sketch as members of a JSON object
 * (the names are the metric names of dq.metric_points and
 * dq.column_profiles).
 */
static void
DqColSketchMetrics(DqJson *js, DqColSketch *cs)
{
	int64		nonnull = cs->rows - cs->nulls;
	double		distinct = (nonnull > 0) ? round(DqHllEstimate(&cs->hll)) : 0;
	int			i;

	DqJsonText(js, "data_type", format_type_be(cs->ti.typid));

	DqJsonInt(js, "row_count", cs->rows);
	DqJsonInt(js, "null_count", cs->nulls);
	DqJsonFraction(js, "null_fraction", cs->nulls, cs->rows);
	DqJsonFloat(js, "distinct_count", distinct);
	DqJsonFraction(js, "distinct_fraction", distinct, nonnull);
	if (DqFamilyIsNumeric(cs->ti.family) && cs->n > 0)
	{
		DqKllSorted s;

		DqJsonFloat(js, "mean", cs->mean);
		if (cs->n > 1)
			DqJsonFloat(js, "stddev", sqrt(cs->m2 / (cs->n - 1)));
		DqJsonFloat(js, "min", cs->min);
		DqJsonFloat(js, "max", cs->max);
		DqKllSort(&cs->kll, &s);
		for (i = 0; i < lengthof(DqQuantileNames); i++)
			DqJsonFloat(js, DqQuantileNames[i],
						DqKllSortedQuantile(&s, DqQuantileFractions[i]));
		DqJsonFraction(js, "zero_fraction", cs->zeros, cs->n);
		DqJsonFraction(js, "negative_fraction", cs->negatives, cs->n);
	}
	if (cs->ti.family == DQ_FAM_TEXT && nonnull > 0)
	{
		DqJsonInt(js, "min_length", cs->len_min);
		DqJsonFloat(js, "mean_length", (double) cs->len_sum / nonnull);
		DqJsonInt(js, "max_length", cs->len_max);
		DqJsonFraction(js, "empty_fraction", cs->empties, nonnull);
		for (i = 0; i < DQ_NUM_PATTERNS; i++)
		{
			char		key[32];

			snprintf(key, sizeof(key), "pattern_%s", DqPatternNames[i]);
			DqJsonFraction(js, key, cs->patterns[i], nonnull);
		}
	}
	if (cs->ti.family == DQ_FAM_BOOL && nonnull > 0)
		DqJsonFraction(js, "true_fraction", cs->trues, nonnull);
	if (cs->has_topk && nonnull > 0)
	{
		DqJson		inner = {0};

		DqTopKJson(&inner, &cs->topk, &cs->ti, 10);
		DqJsonRaw(js, "top_values", inner.buf.data);
	}
}

/*
 * dq.column_sketch_drift and dq.monitor_drift: the drift statistics as
 * jsonb, with the number of merged buckets of each side when given (>= 0;
 * a side NULL: no bucket, only those numbers).
 */
Datum
DqColSketchDriftJsonb(DqColSketch *ref, DqColSketch *cur, DqDriftOptions *o,
					  int64 nref, int64 ncur)
{
	DqJson		js = {0};
	bool		drift;
	double		primary;

	DqJsonBegin(&js, '{');
	if (nref >= 0)
	{
		DqJsonInt(&js, "reference_buckets", nref);
		DqJsonInt(&js, "current_buckets", ncur);
	}
	if (ref != NULL && cur != NULL)
		DqColSketchDrift(&js, ref, cur, o, &drift, &primary);
	DqJsonEnd(&js, '}');
	return DqJsonToJsonb(&js);
}

/*
 * dq.column_sketch_metrics and dq.monitor_window: the sketch's type and
 * metrics as jsonb, with the number of merged buckets when buckets >= 0
 * (cs NULL: no bucket, only that number).
 */
Datum
DqColSketchMetricsJsonb(DqColSketch *cs, int64 buckets)
{
	DqJson		js = {0};

	DqJsonBegin(&js, '{');
	if (buckets >= 0)
		DqJsonInt(&js, "buckets", buckets);
	if (cs != NULL)
		DqColSketchMetrics(&js, cs);
	DqJsonEnd(&js, '}');
	return DqJsonToJsonb(&js);
}

/* ---------------------------------------------------------------------
 * Drift
 * ---------------------------------------------------------------------
 */
void
DqDriftDefaults(DqDriftOptions *o)
{
	o->ks_threshold = 0.1;
	o->psi_threshold = 0.25;
	o->p_value = 0.001;
	o->min_effect = 0.1;
	o->min_rows = 100;
}

static void
DqDriftOptError(const char *key, const char *what)
{
	DqMonitorOptionError(key, what,
						 "See the drift options in the documentation (docs/monitors.md).");
}

/*
 * Drift options from a jsonb object (NULL: defaults).  Keys in skip_keys
 * (NULL-terminated, may be NULL) belong to the caller; any other key is
 * an error.
 */
void
DqDriftParseOptions(DqDriftOptions *o, Jsonb *options, const char *const *skip_keys)
{
	JsonbIterator *it;
	JsonbValue	v;
	char	   *key = NULL;

	DqDriftDefaults(o);
	if (options == NULL)
		return;
	DqOptionsMustBeObject(options, "{\"ks_threshold\": 0.2}");
	it = JsonbIteratorInit(&options->root);
	while (DqOptionsNext(&it, &key, &v, skip_keys))
	{
		double		d;

		if (v.type == jbvNull)
			continue;
		if (strcmp(key, "ks_threshold") != 0 && strcmp(key, "psi_threshold") != 0 &&
			strcmp(key, "p_value") != 0 && strcmp(key, "min_effect") != 0 &&
			strcmp(key, "min_rows") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unrecognized option \"%s\"", key),
					 errhint("See the drift options in the documentation (docs/monitors.md).")));
		if (v.type != jbvNumeric)
			DqDriftOptError(key, "a number");
		d = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
											   NumericGetDatum(v.val.numeric)));
		if (strcmp(key, "ks_threshold") == 0)
		{
			if (!(d > 0.0 && d <= 1.0))
				DqDriftOptError(key, "a number greater than 0 and at most 1");
			o->ks_threshold = d;
		}
		else if (strcmp(key, "psi_threshold") == 0)
		{
			if (!(d > 0.0) || isinf(d))
				DqDriftOptError(key, "a positive number");
			o->psi_threshold = d;
		}
		else if (strcmp(key, "p_value") == 0)
		{
			if (!(d > 0.0 && d < 1.0))
				DqDriftOptError(key, "a number between 0 and 1 (exclusive)");
			o->p_value = d;
		}
		else if (strcmp(key, "min_effect") == 0)
		{
			if (!(d >= 0.0) || isinf(d))
				DqDriftOptError(key, "a number of at least 0");
			o->min_effect = d;
		}
		else
		{
			if (d != floor(d) || d < 1 || d > 1e12)
				DqDriftOptError(key, "a positive integer");
			o->min_rows = (int64) d;
		}
	}
}

/* A p-value; below 1e-16 it is written as 0 (jsonb prints numbers in full). */
static void
DqJsonPValue(DqJson *js, const char *key, double p)
{
	DqJsonFloat(js, key, (p < 1e-16) ? 0.0 : p);
}

/* Count of the value with this hash in a sketch's counters, or 0. */
static double
DqTopKCountOf(const DqTopK *tk, uint64 hash)
{
	int			i;

	for (i = 0; i < tk->nitems; i++)
		if (tk->items[i].hash == hash)
			return (double) tk->items[i].count;
	return 0.0;
}

/*
 * Category counts of both sketches over the same categories: the largest
 * top values of either side, and "everything else".  Returns the number
 * of categories.
 */
static int
DqCategories(const DqColSketch *ref, const DqColSketch *cur,
			 double *rc, double *cc)
{
	uint64		hashes[2 * DQ_COLSKETCH_CATEGORIES];
	int			nh = 0;
	double		rsum = 0.0;
	double		csum = 0.0;
	int			side;
	int			i;
	int			j;

	if (ref->ti.family == DQ_FAM_BOOL)
	{
		rc[0] = ref->trues;
		rc[1] = ref->falses;
		cc[0] = cur->trues;
		cc[1] = cur->falses;
		return 2;
	}
	for (side = 0; side < 2; side++)
	{
		const DqTopK *tk = side == 0 ? &ref->topk : &cur->topk;
		DqTopKItem *items;
		int			n = DqTopKSorted(tk, &items);

		for (i = 0; i < n && i < DQ_COLSKETCH_CATEGORIES; i++)
		{
			for (j = 0; j < nh && hashes[j] != items[i].hash; j++)
				;
			if (j == nh)
				hashes[nh++] = items[i].hash;
		}
		pfree(items);
	}
	for (i = 0; i < nh; i++)
	{
		rc[i] = DqTopKCountOf(&ref->topk, hashes[i]);
		cc[i] = DqTopKCountOf(&cur->topk, hashes[i]);
		rsum += rc[i];
		csum += cc[i];
	}
	rc[nh] = Max((double) (ref->rows - ref->nulls) - rsum, 0.0);
	cc[nh] = Max((double) (cur->rows - cur->nulls) - csum, 0.0);
	if (rc[nh] > 0 || cc[nh] > 0)
		nh++;
	return nh;
}

/*
 * Compare the current sketch with the reference: numbers by the
 * Kolmogorov-Smirnov distance of their quantile sketches and the PSI over
 * the reference's deciles, categories by a chi-square test of the current
 * counts against the reference's (homogeneity: both are samples) and the
 * PSI over the categories.
 * Writes the statistics as JSON members.  *drift tells whether the
 * difference is both significant (the test's p-value below p_value: not
 * the noise of small buckets) and large enough to matter (the distance or
 * Cramer's V, or the PSI, at or above its threshold); never with fewer
 * than min_rows values on a side.  *primary is the main statistic (KS
 * distance or Cramer's V).
 */
void
DqColSketchDrift(DqJson *js, const DqColSketch *ref, const DqColSketch *cur,
				 const DqDriftOptions *o, bool *drift, double *primary)
{
	double		nref = (double) (ref->rows - ref->nulls);
	double		ncur = (double) (cur->rows - cur->nulls);
	bool		enough;

	*drift = false;
	*primary = NAN;
	DqJsonFloat(js, "reference_values", nref);
	DqJsonFloat(js, "current_values", ncur);
	if (DqFamilyIsNumeric(ref->ti.family))
	{
		DqKllSorted rs;
		DqKllSorted csrt;
		double		ks = NAN;
		double		ksp = NAN;
		double		psi = NAN;

		nref = ref->n;
		ncur = cur->n;
		enough = nref >= o->min_rows && ncur >= o->min_rows;
		if (nref > 0 && ncur > 0)
		{
			DqKllSort(&ref->kll, &rs);
			DqKllSort(&cur->kll, &csrt);
			ks = DqKsDistance(&rs, &csrt);
			ksp = DqKsPValue(ks, nref, ncur);
			psi = DqPsiFromSketches(&rs, &csrt, 10);
		}
		DqJsonText(js, "test", "ks");
		DqJsonFloat(js, "ks_distance", ks);
		DqJsonPValue(js, "ks_p_value", ksp);
		DqJsonFloat(js, "psi", psi);
		*primary = ks;
		*drift = enough && ksp < o->p_value &&
			(ks >= o->ks_threshold || psi >= o->psi_threshold);
	}
	else
	{
		double		rc[2 * DQ_COLSKETCH_CATEGORIES + 1];
		double		cc[2 * DQ_COLSKETCH_CATEGORIES + 1];
		int			k = DqCategories(ref, cur, rc, cc);
		DqChiSquare chi;
		double		psi = NAN;

		enough = nref >= o->min_rows && ncur >= o->min_rows;
		DqChiSquareHomogeneity(rc, cc, k, &chi);
		if (nref > 0 && ncur > 0)
		{
			double		re[2 * DQ_COLSKETCH_CATEGORIES + 1];
			double		ce[2 * DQ_COLSKETCH_CATEGORIES + 1];
			int			i;

			for (i = 0; i < k; i++)
			{
				re[i] = rc[i] / nref;
				ce[i] = cc[i] / ncur;
			}
			psi = DqPsi(re, ce, k, 1e-4);
		}
		DqJsonText(js, "test", "chi_square");
		DqJsonInt(js, "categories", k);
		DqJsonFloat(js, "chi2_statistic", chi.statistic);
		DqJsonFloat(js, "chi2_df", chi.df);
		DqJsonPValue(js, "chi2_p_value", chi.p_value);
		DqJsonFloat(js, "cramers_v", chi.effect_size);
		DqJsonFloat(js, "psi", psi);
		*primary = chi.effect_size;
		*drift = enough && chi.p_value < o->p_value &&
			(chi.effect_size >= o->min_effect || psi >= o->psi_threshold);
	}
	DqJsonBool(js, "enough_data", enough);
	DqJsonBool(js, "drift", *drift);
}

/* ---------------------------------------------------------------------
 * SQL functions
 * ---------------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(dq_column_sketch_trans);
Datum
dq_column_sketch_trans(PG_FUNCTION_ARGS)
{
	MemoryContext old;
	DqColSketch *cs = DqAggTransBegin(fcinfo, "dq_column_sketch_trans", &old);

	if (cs == NULL)
		cs = DqColSketchCreate(get_fn_expr_argtype(fcinfo->flinfo, 1),
							   PG_GET_COLLATION());
	if (PG_ARGISNULL(1))
		DqColSketchAdd(cs, (Datum) 0, true);
	else
	{
		Datum		v = PG_GETARG_DATUM(1);

		if (cs->ti.typlen == -1)
			v = PointerGetDatum(PG_DETOAST_DATUM_PACKED(v));
		DqColSketchAdd(cs, v, false);
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(cs);
}

/* An empty sketch of the type of another (DqAggCombine). */
static void *
DqColSketchCreateLike(void *like)
{
	DqColSketch *b = like;

	return DqColSketchCreate(b->ti.typid, b->ti.collation);
}

static void
DqColSketchMergeInto(void *dst, void *src, FunctionCallInfo fcinfo)
{
	DqColSketchMerge((DqColSketch *) dst, (DqColSketch *) src);
}

PG_FUNCTION_INFO_V1(dq_column_sketch_combine);
Datum
dq_column_sketch_combine(PG_FUNCTION_ARGS)
{
	return DqAggCombine(fcinfo, "dq_column_sketch_combine", DqColSketchCreateLike,
						DqColSketchMergeInto);
}

PG_FUNCTION_INFO_V1(dq_column_sketch_serialize);
Datum
dq_column_sketch_serialize(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(DqColSketchSerialize((DqColSketch *) PG_GETARG_POINTER(0)));
}

PG_FUNCTION_INFO_V1(dq_column_sketch_deserialize);
Datum
dq_column_sketch_deserialize(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(DqColSketchDeserialize(PG_GETARG_BYTEA_PP(0)));
}

/* Final function of both aggregates: the state as bytea, NULL if none. */
PG_FUNCTION_INFO_V1(dq_column_sketch_final);
Datum
dq_column_sketch_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(DqColSketchSerialize((DqColSketch *) PG_GETARG_POINTER(0)));
}

/* Transition of dq.column_sketch_merge(bytea): merge one stored state. */
PG_FUNCTION_INFO_V1(dq_column_sketch_merge_trans);
Datum
dq_column_sketch_merge_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = DqAggContext(fcinfo, "dq_column_sketch_merge_trans");
	DqColSketch *a = PG_ARGISNULL(0) ? NULL : (DqColSketch *) PG_GETARG_POINTER(0);
	DqColSketch *b;
	MemoryContext old;

	if (PG_ARGISNULL(1))
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	old = MemoryContextSwitchTo(aggctx);
	b = DqColSketchDeserialize(PG_GETARG_BYTEA_PP(1));
	if (a == NULL)
		a = b;
	else
		DqColSketchMerge(a, b);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

#define DQ_SKETCH_ARG_HINT "Pass a value made by dq.column_sketch() or dq.column_sketch_merge()."

PG_FUNCTION_INFO_V1(dq_column_sketch_metrics);
Datum
dq_column_sketch_metrics(PG_FUNCTION_ARGS)
{
	DqColSketch *cs;

	DqRequireArg(fcinfo, 0, "sketch", DQ_SKETCH_ARG_HINT);
	cs = DqColSketchDeserialize(PG_GETARG_BYTEA_PP(0));
	PG_RETURN_DATUM(DqColSketchMetricsJsonb(cs, -1));
}

PG_FUNCTION_INFO_V1(dq_column_sketch_drift);
Datum
dq_column_sketch_drift(PG_FUNCTION_ARGS)
{
	DqColSketch *ref;
	DqColSketch *cur;
	DqDriftOptions o;

	DqRequireArg(fcinfo, 0, "reference", DQ_SKETCH_ARG_HINT);
	DqRequireArg(fcinfo, 1, "current", DQ_SKETCH_ARG_HINT);
	DqRequireArg(fcinfo, 2, "options", DQ_SKETCH_ARG_HINT);
	DqDriftParseOptions(&o, PG_GETARG_JSONB_P(2), NULL);
	ref = DqColSketchDeserialize(PG_GETARG_BYTEA_PP(0));
	cur = DqColSketchDeserialize(PG_GETARG_BYTEA_PP(1));
	if (ref->ti.basetypid != cur->ti.basetypid)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cannot compare column sketches of types %s and %s",
						format_type_be(ref->ti.typid), format_type_be(cur->ti.typid)),
				 errhint("Compare two sketches of one column, taken while it had one type.")));
	PG_RETURN_DATUM(DqColSketchDriftJsonb(ref, cur, &o, -1, -1));
}
