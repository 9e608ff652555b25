/*-------------------------------------------------------------------------
 *
 * profile_json.c
 *	  The final value of the profile aggregates: a column state as a jsonb
 *	  object whose keys are the columns of dq.column_profiles (counts,
 *	  distinct values, top values, min and max, moments, quantiles and
 *	  histogram, text statistics, sensitive values).
 *
 * Values are written by their type's output function under the stable
 * output settings dq.profile sets (ISO dates, shortest exact floats);
 * statistics of date and time columns are written as dates and
 * timestamps.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/float.h"
#include "utils/timestamp.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "base/guc.h"
#include "profile/profile_agg.h"

PG_FUNCTION_INFO_V1(dq_column_profile_final);

const double DqProfileQuantiles[DQ_NUM_PROFILE_QUANTILES] = {
	0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99
};
const char *const DqProfileQuantileNames[DQ_NUM_PROFILE_QUANTILES] = {
	"p01", "p05", "p25", "p50", "p75", "p95", "p99"
};

/* Decimal text of a 128-bit integer. */
static char *
DqInt128ToText(int128 v)
{
	char		digits[48];
	int			pos = sizeof(digits) - 1;
	bool		neg = v < 0;
	uint128		u = neg ? -(uint128) v : (uint128) v;

	digits[pos] = '\0';
	do
	{
		digits[--pos] = '0' + (int) (u % 10);
		u /= 10;
	} while (u != 0);
	if (neg)
		digits[--pos] = '-';
	return pstrdup(&digits[pos]);
}

/* A quantile sketch value as the column's type, for date/time columns. */
static char *
DqDateTimeText(DqColState *st, double x)
{
	Datum		d;

	/* infinite values are -infinity and infinity of the type */
	if (st->ti.basetypid == DATEOID)
		d = DateADTGetDatum(isinf(x) ? (x < 0 ? DATEVAL_NOBEGIN : DATEVAL_NOEND) :
							(DateADT) floor(x / USECS_PER_DAY));
	else
		d = TimestampGetDatum(isinf(x) ? (x < 0 ? DT_NOBEGIN : DT_NOEND) :
							  (Timestamp) x);
	return DqDatumOutput(&st->ti, d);
}

/* Write one quantile/histogram value: a number or a date/time string. */
static void
DqJsonSketchValue(DqJson *js, DqColState *st, const char *key, double x)
{
	if (st->ti.family == DQ_FAM_DATETIME)
		DqJsonText(js, key, DqDateTimeText(st, x));
	else if (st->ti.basetypid == FLOAT4OID && !isinf(x) && !isnan(x))
		DqJsonRaw(js, key, DatumGetCString(DirectFunctionCall1(float4out,
															   Float4GetDatum((float4) x))));
	else
		DqJsonFloat(js, key, x);
}

/* Most frequent values and whether their counts are exact. */
static void
DqJsonTopValues(DqJson *js, DqColState *st)
{
	DqJsonKey(js, "top_values");
	DqTopKJson(js, &st->topk, &st->ti, dq_profile_top_k);
	DqJsonBool(js, "top_values_exact", !st->topk.evicted);
}

/* Quantiles and the equi-height histogram from the KLL sketch. */
static void
DqJsonQuantiles(DqJson *js, DqColState *st)
{
	DqKllSorted s;
	int			nb = dq_profile_histogram_buckets;
	double		prev;
	double		prevrank = 0.0;
	int			i;

	if (st->kll.n == 0)
	{
		DqJsonNull(js, "quantiles");
		DqJsonNull(js, "histogram");
		return;
	}
	DqKllSort(&st->kll, &s);

	DqJsonKey(js, "quantiles");
	DqJsonBegin(js, '{');
	for (i = 0; i < DQ_NUM_PROFILE_QUANTILES; i++)
		DqJsonSketchValue(js, st, DqProfileQuantileNames[i],
						  DqKllSortedQuantile(&s, DqProfileQuantiles[i]));
	DqJsonEnd(js, '}');

	/*
	 * Bucket i spans (bound[i-1], bound[i]] with bound[0] = min (the first
	 * bucket includes it) and bound[nb] = max; a bucket whose bounds
	 * coincide with the previous one is folded into it.
	 */
	DqJsonKey(js, "histogram");
	DqJsonBegin(js, '[');
	prev = st->kll.min;
	for (i = 1; i <= nb; i++)
	{
		double		hi = (i == nb) ? st->kll.max :
			DqKllSortedQuantile(&s, (double) i / nb);
		double		rank;
		int64		count;

		if (i > 1 && hi <= prev)
			continue;
		rank = (i == nb) ? 1.0 : DqKllSortedRank(&s, hi);
		count = (int64) llround((rank - prevrank) * (double) st->kll.n);
		DqJsonKey(js, NULL);
		DqJsonBegin(js, '{');
		DqJsonSketchValue(js, st, "lo", prev);
		DqJsonSketchValue(js, st, "hi", hi);
		DqJsonInt(js, "count", count);
		DqJsonEnd(js, '}');
		prev = hi;
		prevrank = rank;
	}
	DqJsonEnd(js, ']');
}

static void
DqJsonNumbers(DqJson *js, DqColState *st, FunctionCallInfo fcinfo)
{
	DqJsonInt(js, "zero_count", st->zero_count);
	DqJsonInt(js, "negative_count", st->negative_count);
	DqJsonInt(js, "nan_count", st->nan_count);
	DqJsonInt(js, "infinity_count", st->infinity_count);

	if (st->finite_count == 0)
	{
		DqJsonNull(js, "sum");
		DqJsonNull(js, "mean");
		DqJsonNull(js, "stddev");
	}
	else if (st->ti.family == DQ_FAM_NUMERIC)
	{
		bool		isnull;
		Datum		d;

		if (!st->numsum.any)
		{
			d = DqNumericCall(numeric_sum, fcinfo, 1, st->numstate, false, 0, &isnull);
			DqJsonRaw(js, "sum", isnull ? "null" :
					  DatumGetCString(DirectFunctionCall1(numeric_out, d)));
			d = DqNumericCall(numeric_avg, fcinfo, 1, st->numstate, false, 0, &isnull);
		}
		else
		{
			/* the 128-bit sum plus the others: what numeric_avg computes */
			d = DqNumSumResult(&st->numsum);
			if (st->numstate != (Datum) 0)
			{
				Datum		rest = DqNumericCall(numeric_sum, fcinfo, 1, st->numstate,
												 false, 0, &isnull);

				if (!isnull)
					d = DirectFunctionCall2(numeric_add, d, rest);
			}
			DqJsonRaw(js, "sum", DatumGetCString(DirectFunctionCall1(numeric_out, d)));
			d = DirectFunctionCall2(numeric_div, d,
									NumericGetDatum(int64_to_numeric(st->finite_count)));
			isnull = false;
		}
		if (isnull)
			DqJsonNull(js, "mean");
		else
			DqJsonFloat(js, "mean",
						DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, d)));
	}
	else
	{
		double		mean;
		double		m2;

		DqColMoments(st, &mean, &m2);
		if (st->ti.family == DQ_FAM_INT)
		{
			DqJsonRaw(js, "sum", DqInt128ToText(st->isum));
			/* exact mean from the exact sum */
			DqJsonFloat(js, "mean", (double) st->isum / (double) st->finite_count);
		}
		else
		{
			DqJsonFloat(js, "sum", st->fsum);
			DqJsonFloat(js, "mean", mean);
		}
	}
	if (st->finite_count > 0)
	{
		double		mean;
		double		m2;

		DqColMoments(st, &mean, &m2);
		if (st->finite_count > 1)
			DqJsonFloat(js, "stddev", sqrt(m2 / (st->finite_count - 1)));
		else
			DqJsonNull(js, "stddev");
	}
	DqJsonQuantiles(js, st);
}

static void
DqJsonTextStats(DqJson *js, DqColState *st)
{
	int64		nonnull = st->row_count - st->null_count;
	int			i;

	if (nonnull == 0)
	{
		DqJsonNull(js, "min_length");
		DqJsonNull(js, "mean_length");
		DqJsonNull(js, "max_length");
	}
	else
	{
		DqJsonInt(js, "min_length", st->len_min);
		DqJsonFloat(js, "mean_length", (double) st->len_sum / nonnull);
		DqJsonInt(js, "max_length", st->len_max);
	}
	DqJsonInt(js, "empty_count", st->empty_count);
	DqJsonKey(js, "patterns");
	DqJsonBegin(js, '{');
	for (i = 0; i < DQ_NUM_PATTERNS; i++)
		DqJsonInt(js, DqPatternNames[i], st->patterns[i]);
	DqJsonEnd(js, '}');
	if (!dq_detect_sensitive)
		return;
	/* counts only: the values themselves never leave the scan */
	DqJsonKey(js, "sensitive");
	DqJsonBegin(js, '{');
	for (i = 0; i < DQ_NUM_SENSITIVE; i++)
		DqJsonInt(js, DqSensitiveNames[i], st->sensitive[i]);
	DqJsonKey(js, "in_text");
	DqJsonBegin(js, '{');
	for (i = 0; i < DQ_NUM_SENSITIVE_IN_TEXT; i++)
		DqJsonInt(js, DqSensitiveInTextNames[i], st->sensitive_in_text[i]);
	DqJsonInt(js, "any", st->sensitive_any_in_text);
	DqJsonEnd(js, '}');
	DqJsonEnd(js, '}');
}

/*
 * A copy of a boolean column's state whose top-values sketch, distinct
 * count and min/max are those of its true and false counts: exactly what
 * adding the values one by one would have given.
 */
static DqColState *
DqColBoolSketches(const DqColState *st)
{
	DqColState *b = palloc(sizeof(DqColState));

	*b = *st;
	DqTopKInit(&b->topk, st->topk.capacity, st->ti.typlen, st->ti.typbyval);
	DqTopKAddCount(&b->topk, DqDatumHash(&st->ti, BoolGetDatum(true)),
				   BoolGetDatum(true), st->true_count);
	DqTopKAddCount(&b->topk, DqDatumHash(&st->ti, BoolGetDatum(false)),
				   BoolGetDatum(false), st->false_count);
	b->hll_deferred = true;		/* the distinct count is the sketch's */
	b->has_minmax = (st->true_count + st->false_count > 0);
	b->min = BoolGetDatum(st->false_count == 0);
	b->max = BoolGetDatum(st->true_count > 0);
	return b;
}

/*
 * Write the profile of a column as a JSON object.  Does not modify the
 * state (NULL: no rows were aggregated).
 */
void
DqColJson(DqJson *js, DqColState *st, FunctionCallInfo fcinfo)
{
	int64		nonnull;
	double		ndistinct;

	DqJsonBegin(js, '{');
	if (st == NULL)
	{
		DqJsonInt(js, "row_count", 0);
		DqJsonInt(js, "null_count", 0);
		DqJsonInt(js, "distinct_count", 0);
		DqJsonText(js, "distinct_method", "sketch");
		DqJsonRaw(js, "top_values", "[]");
		DqJsonBool(js, "top_values_exact", true);
		DqJsonEnd(js, '}');
		return;
	}
	if (st->ti.family == DQ_FAM_BOOL)
		st = DqColBoolSketches(st);
	nonnull = st->row_count - st->null_count;
	DqJsonText(js, "type_family", DqTypeFamilyName(st->ti.family));
	DqJsonInt(js, "row_count", st->row_count);
	DqJsonInt(js, "null_count", st->null_count);
	if (st->row_count > 0)
		DqJsonFloat(js, "null_fraction", (double) st->null_count / st->row_count);
	ndistinct = st->hll_deferred ? (double) st->topk.nitems :
		DqHllEstimate(&st->hll);
	/* an estimate can never exceed the number of values seen */
	if (ndistinct > nonnull)
		ndistinct = nonnull;
	DqJsonInt(js, "distinct_count", (int64) llround(ndistinct));
	DqJsonText(js, "distinct_method", "sketch");
	if (nonnull > 0)
		DqJsonFloat(js, "distinct_fraction", llround(ndistinct) / (double) nonnull);
	DqJsonTopValues(js, st);
	if (st->has_minmax)
	{
		DqJsonText(js, "min_value", DqDatumOutput(&st->ti, st->min));
		DqJsonText(js, "max_value", DqDatumOutput(&st->ti, st->max));
	}

	switch (st->ti.family)
	{
		case DQ_FAM_INT:
		case DQ_FAM_FLOAT:
		case DQ_FAM_NUMERIC:
			DqJsonNumbers(js, st, fcinfo);
			break;
		case DQ_FAM_DATETIME:
			DqJsonInt(js, "infinity_count", st->infinity_count);
			DqJsonQuantiles(js, st);
			break;
		case DQ_FAM_TEXT:
			DqJsonTextStats(js, st);
			break;
		case DQ_FAM_BOOL:
			DqJsonInt(js, "true_count", st->true_count);
			DqJsonInt(js, "false_count", st->false_count);
			break;
		case DQ_FAM_OTHER:
			break;
	}
	DqJsonEnd(js, '}');
}

/*
 * dq.column_profile final function: the profile as jsonb.
 */
Datum
dq_column_profile_final(PG_FUNCTION_ARGS)
{
	DqColState *st = PG_ARGISNULL(0) ? NULL : (DqColState *) PG_GETARG_POINTER(0);
	DqJson		js = {0};

	DqColJson(&js, st, fcinfo);
	PG_RETURN_DATUM(DqJsonToJsonb(&js));
}
