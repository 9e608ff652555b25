/*-------------------------------------------------------------------------
 *
 * profile_agg.c
 *	  dq.column_profile(anyelement): every metric of one column in one
 *	  aggregate, so that one scan of a table profiles all its columns.
 *
 * The state holds bounded sketches (HyperLogLog for distinct values,
 * Space-Saving for the most frequent values, KLL for quantiles) plus
 * running counts and moments; its size does not depend on the number of
 * rows.  The aggregate is parallel safe: partial states are serialized to
 * bytea in the workers and combined in the leader.  The final function
 * returns a jsonb object whose keys are the columns of dq.column_profiles.
 *
 * Metric families:
 *	every type      row_count, null_count, distinct (sketch), top values,
 *	                min/max when the type has a default btree opclass
 *	int, float      sum, mean, stddev over finite values, zero/negative/
 *	numeric         NaN/infinity counts, quantiles, equi-height histogram;
 *	                numeric sums and means are exact (PostgreSQL's own
 *	                numeric accumulator), int sums exact in 128 bits,
 *	                standard deviations in float8
 *	date/time       quantiles and histogram as date/timestamp values
 *	text-like       lengths in characters, empty strings, value patterns
 *	boolean         true and false counts
 *
 * All state lives in the aggregate's memory context; per-row detoasted
 * copies live in the per-tuple context the executor resets.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "port/pg_bitutils.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/date.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "base/compat.h"
#include "base/guc.h"
#include "base/json_build.h"
#include "base/numeric_util.h"
#include "base/spi_util.h"
#include "profile/profile_agg.h"
#include "sketch/sketch_buf.h"
#include "sketch/sketch_hll.h"
#include "sketch/sketch_quantile.h"
#include "sketch/sketch_topk.h"
#include "base/text_patterns.h"
#include "profile/sensitive.h"
#include "base/typeinfo.h"

PG_FUNCTION_INFO_V1(dq_column_profile_trans);
PG_FUNCTION_INFO_V1(dq_column_profile_combine);
PG_FUNCTION_INFO_V1(dq_column_profile_serialize);
PG_FUNCTION_INFO_V1(dq_column_profile_deserialize);
PG_FUNCTION_INFO_V1(dq_column_profile_final);

const double DqProfileQuantiles[DQ_NUM_PROFILE_QUANTILES] = {
	0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99
};
const char *const DqProfileQuantileNames[DQ_NUM_PROFILE_QUANTILES] = {
	"p01", "p05", "p25", "p50", "p75", "p95", "p99"
};

/* counters kept by the top-values sketch for a requested top-k */
#define DQ_TOPK_CAPACITY(k)	Max(64, 4 * (k))

typedef struct DqColState DqColState;
typedef void (*DqColAddFn) (DqColState *st, const Datum *values,
							const uint64 *hashes, int n, bool hll_done,
							FunctionCallInfo fcinfo);

struct DqColState
{
	DqTypeInfo	ti;
	DqColAddFn	add;			/* DqColAddFor(ti.family) */
	MemoryContext aggctx;		/* where the state lives */
	int64		row_count;
	int64		null_count;

	/*
	 * While the top-values sketch still holds every distinct value seen, it
	 * knows the distinct count exactly and the HyperLogLog is not fed
	 * (hll_deferred).  Before the sketch could first lose a value, the
	 * HyperLogLog is filled with the hashes the sketch holds.  Columns with
	 * few distinct values thus never pay for the HyperLogLog.
	 */
	bool		hll_deferred;
	DqHll		hll;
	DqTopK		topk;

	/*
	 * Text columns: what DqColAddText found out about the value each
	 * top-values item holds (by the item's position in topk.items), so that
	 * repeated values are measured and classified once; 0 when unknown
	 * (see DqTextMemo).
	 */
	uint64	   *text_memo;

	/* min and max by the default btree order */
	bool		has_minmax;
	Datum		min;
	Datum		max;

	/*
	 * Cheap keys of min and max that let most values skip both comparisons:
	 * a value whose key is strictly between them is neither a new minimum
	 * nor a new maximum.  cmp_bytes text: the first eight bytes
	 * (DqTextPrefix); numeric: the value as a double (a correctly rounded
	 * conversion is monotonic), +Infinity standing for NaN.
	 */
	uint64		minprefix;
	uint64		maxprefix;
	double		mindouble;
	double		maxdouble;
	char	   *minbuf;
	char	   *maxbuf;
	int32		mincap;
	int32		maxcap;

	/* numeric and date/time families */
	int64		zero_count;
	int64		negative_count;
	int64		nan_count;
	int64		infinity_count;
	int64		finite_count;
	double		shift;			/* first finite value: moments are shifted */
	double		s1;				/* sum of (x - shift) */
	double		s2;				/* sum of (x - shift)^2 */
	int128		isum;			/* exact sum of an integer column */
	double		fsum;			/* sum of a float column */
	DqNumSum	numsum;			/* exact sum of the short numerics */
	Datum		numstate;		/* PostgreSQL's accumulator, for the others */
	DqKll		kll;

	/* text-like family */
	int64		len_sum;
	int32		len_min;
	int32		len_max;
	int64		empty_count;
	int64		patterns[DQ_NUM_PATTERNS];
	int64		sensitive[DQ_NUM_SENSITIVE];	/* values a detector accepts */
	int64		sensitive_in_text[DQ_NUM_SENSITIVE_IN_TEXT];	/* free text with one */
	int64		sensitive_any_in_text;	/* free text with any */

	/*
	 * Boolean family: only these two counts are kept while rows come in;
	 * the distinct count, the top values and min/max follow from them
	 * (DqColBoolSketches), so booleans skip the hash, the top-values
	 * sketch and the comparisons.
	 */
	int64		true_count;
	int64		false_count;
};

static bool
DqFamilyIsNumber(DqTypeFamily f)
{
	return f == DQ_FAM_INT || f == DQ_FAM_FLOAT || f == DQ_FAM_NUMERIC;
}

static bool
DqFamilyHasQuantiles(DqTypeFamily f)
{
	return DqFamilyIsNumber(f) || f == DQ_FAM_DATETIME;
}

/*
 * Forget what the text memo says: the top-values sketch was built anew
 * (merged, deserialized), so its items may hold other values.  Allocates
 * the memo, one entry per counter, in the current (aggregate) context.
 */
static void
DqColForgetTextMemo(DqColState *st)
{
	if (st->ti.family != DQ_FAM_TEXT)
		return;
	if (st->text_memo != NULL)
		pfree(st->text_memo);
	st->text_memo = palloc0(sizeof(uint64) * Max(st->topk.capacity, 1));
}

/*
 * Create an empty state in the current (aggregate) memory context.
 */
static DqColAddFn DqColAddFor(DqTypeFamily family);

static DqColState *
DqColStateCreate(Oid typid, Oid collation)
{
	DqColState *st = palloc0(sizeof(DqColState));

	DqTypeInfoInit(&st->ti, typid, collation);
	st->add = DqColAddFor(st->ti.family);
	st->aggctx = CurrentMemoryContext;
	st->hll_deferred = true;
	DqHllInit(&st->hll);
	DqTopKInit(&st->topk, DQ_TOPK_CAPACITY(dq_profile_top_k),
			   st->ti.typlen, st->ti.typbyval);
	DqColForgetTextMemo(st);
	if (DqFamilyHasQuantiles(st->ti.family))
		DqKllInit(&st->kll, DQ_KLL_K);
	st->len_min = PG_INT32_MAX;
	st->len_max = -1;
	return st;
}

/* Stop deferring: give the HyperLogLog every hash the top-k sketch holds. */
static void
DqColSyncHll(DqColState *st)
{
	int			i;

	if (!st->hll_deferred)
		return;
	for (i = 0; i < st->topk.nitems; i++)
		DqHllAdd(&st->hll, st->topk.items[i].hash);
	st->hll_deferred = false;
}

/* Compare by the btree order, inline for the common by-value types. */
static pg_attribute_always_inline int
DqColCompare(const DqColState *st, Datum a, Datum b)
{
	switch (st->ti.basetypid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			{
				int64		x = DqDatumInt64(st->ti.basetypid, a);
				int64		y = DqDatumInt64(st->ti.basetypid, b);

				return (x > y) - (x < y);
			}
		case FLOAT4OID:
			return float4_cmp_internal(DatumGetFloat4(a), DatumGetFloat4(b));
		case FLOAT8OID:
			return float8_cmp_internal(DatumGetFloat8(a), DatumGetFloat8(b));
		default:
			if (st->ti.cmp_bytes)
				return DqTextCmpBytes(a, b);
			return DqDatumCompare(&st->ti, a, b);
	}
}

/* Recompute the cheap keys after min or max changed. */
static void
DqColExtremesChanged(DqColState *st)
{
	if (st->ti.cmp_bytes)
	{
		st->minprefix = DqTextPrefix(st->min);
		st->maxprefix = DqTextPrefix(st->max);
	}
	else if (st->ti.family == DQ_FAM_NUMERIC)
	{
		Numeric		lo = (Numeric) DatumGetPointer(st->min);
		Numeric		hi = (Numeric) DatumGetPointer(st->max);

		st->mindouble = DqNumericIsNaN(lo) ? INFINITY : DqNumericToDouble(lo);
		st->maxdouble = DqNumericIsNaN(hi) ? INFINITY : DqNumericToDouble(hi);
	}
}

/*
 * Keep the smallest and largest value.  Comparisons run in the per-row
 * context (a type's comparison function may allocate); only the copies go
 * to the aggregate context.
 */
static pg_attribute_always_inline void
DqColUpdateMinMax(DqColState *st, Datum value)
{
	int16		typlen = st->ti.typlen;
	bool		byval = st->ti.typbyval;
	int			which = 0;		/* 1: new min, 2: new max, 3: both */
	MemoryContext old;

	if (!st->has_minmax)
		which = 3;
	else if (st->ti.cmp_bytes)
	{
		/* strictly between the extremes' first eight bytes: neither */
		uint64		p = DqTextPrefix(value);

		if (p > st->minprefix && p < st->maxprefix)
			return;
		if (DqTextCmpBytes(value, st->min) < 0)
			which = 1;
		else if (DqTextCmpBytes(value, st->max) > 0)
			which = 2;
	}
	else if (DqColCompare(st, value, st->min) < 0)
		which = 1;
	else if (DqColCompare(st, value, st->max) > 0)
		which = 2;
	if (which == 0)
		return;
	if (byval && st->has_minmax)
	{
		/* ascending keys and times make a new maximum of every value */
		if (which & 1)
			st->min = value;
		if (which & 2)
			st->max = value;
		return;
	}
	old = MemoryContextSwitchTo(st->aggctx);
	if (which & 1)
		DqDatumStore(value, typlen, byval, &st->min, &st->minbuf, &st->mincap);
	if (which & 2)
		DqDatumStore(value, typlen, byval, &st->max, &st->maxbuf, &st->maxcap);
	st->has_minmax = true;
	DqColExtremesChanged(st);
	MemoryContextSwitchTo(old);
}

/*
 * Moments with the shifted-data algorithm: sums of x - K and (x - K)^2
 * with K the first value.  As accurate as Welford's method when K is near
 * the mean, and free of a division per value.
 */
static inline void
DqColAddMoment(DqColState *st, double x)
{
	double		d;

	if (st->finite_count == 0)
		st->shift = x;
	st->finite_count++;
	d = x - st->shift;
	st->s1 += d;
	st->s2 += d * d;
}

/* Mean and sum of squared deviations from the shifted sums. */
static inline void
DqColMoments(const DqColState *st, double *mean, double *m2)
{
	double		n = (double) st->finite_count;

	*mean = st->shift + st->s1 / n;
	*m2 = st->s2 - st->s1 * st->s1 / n;
	if (*m2 < 0)
		*m2 = 0;
}

/* Call one of PostgreSQL's numeric aggregate support functions. */
static Datum
DqNumericCall(PGFunction fn, FunctionCallInfo outer, int nargs,
			  Datum a0, bool a0null, Datum a1, bool *isnull)
{
	/* cppcheck-suppress unusedStructMember */
	LOCAL_FCINFO(fc, 2);
	Datum		result;

	InitFunctionCallInfoData(*fc, NULL, nargs, InvalidOid, outer->context, NULL);
	fc->args[0].value = a0;
	fc->args[0].isnull = a0null;
	fc->args[1].value = a1;
	fc->args[1].isnull = false;
	result = fn(fc);
	*isnull = fc->isnull;
	return result;
}

static pg_attribute_always_inline void
DqColAddNumber(DqColState *st, FunctionCallInfo fcinfo, Datum value, double numx)
{
	switch (st->ti.basetypid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			{
				int64		x = DqDatumInt64(st->ti.basetypid, value);

				st->isum += x;
				if (x == 0)
					st->zero_count++;
				else if (x < 0)
					st->negative_count++;
				DqColAddMoment(st, (double) x);
				DqKllAdd(&st->kll, (double) x);
				break;
			}
		case FLOAT4OID:
		case FLOAT8OID:
			{
				double		x = DqDatumFloat8(st->ti.basetypid, value);

				if (isnan(x))
				{
					st->nan_count++;
					break;
				}
				if (x == 0)
					st->zero_count++;
				else if (x < 0)
					st->negative_count++;
				if (isinf(x))
					st->infinity_count++;
				else
				{
					st->fsum += x;
					DqColAddMoment(st, x);
				}
				DqKllAdd(&st->kll, x);
				break;
			}
		default:
			{
				Numeric		num = (Numeric) DatumGetPointer(value);
				bool		isnull;
				double		x;

				if (DqNumericIsNaN(num))
				{
					st->nan_count++;
					break;
				}
				x = numx;		/* DqNumericToDouble, computed by the caller */
				if (x == 0 && !isinf(x) && DqNumericIsZero(num))
					st->zero_count++;
				else if (DqNumericIsNegative(num))
					st->negative_count++;
				if (DqNumericIsInf(num))
					st->infinity_count++;
				else
				{
					int64		mant;
					int			exp;
					int			dscale;

					/* exact sum and mean; stddev from float8 moments */
					if (!isinf(x))
						DqColAddMoment(st, x);
					else
						st->finite_count++;	/* beyond float8, still finite */
					if (!DqNumericDecode(num, &mant, &exp, &dscale) ||
						!DqNumSumAdd(&st->numsum, mant, exp, dscale))
						st->numstate = DqNumericCall(numeric_avg_accum, fcinfo, 2,
													 st->numstate,
													 st->numstate == (Datum) 0,
													 value, &isnull);
				}
				DqKllAdd(&st->kll, x);
				break;
			}
	}
}

static pg_attribute_always_inline void
DqColAddDateTime(DqColState *st, Datum value)
{
	double		x;

	if (st->ti.basetypid == DATEOID)
	{
		DateADT		d = DatumGetDateADT(value);

		if (DATE_IS_NOBEGIN(d))
			x = -INFINITY;
		else if (DATE_IS_NOEND(d))
			x = INFINITY;
		else
			x = (double) d * USECS_PER_DAY;
	}
	else
	{
		Timestamp	t = DatumGetTimestamp(value);

		if (TIMESTAMP_IS_NOBEGIN(t))
			x = -INFINITY;
		else if (TIMESTAMP_IS_NOEND(t))
			x = INFINITY;
		else
			x = (double) t;
	}
	if (isinf(x))
		st->infinity_count++;
	DqKllAdd(&st->kll, x);
}

/*
 * The shape bits of a text value (DqClassifyText) and its sensitive-value
 * detections (DqDetectSensitive) share one mask, the one the text memo
 * keeps: the detections above this bit.
 */
#define DQ_TEXT_SENS_SHIFT 12
StaticAssertDecl(DQ_NUM_PATTERNS <= DQ_TEXT_SENS_SHIFT &&
				 DQ_TEXT_SENS_SHIFT + DQ_SENS_MASK_BITS <= 32,
				 "shape and detection bits must fit the cached mask");

/* Count the detections of one value (DqDetectSensitive's mask). */
static void
DqColCountSensitive(DqColState *st, uint32 sens)
{
	for (int i = 0; i < DQ_NUM_SENSITIVE; i++)
		if (sens & (1u << i))
			st->sensitive[i]++;
	for (int i = 0; i < DQ_NUM_SENSITIVE_IN_TEXT; i++)
		if (sens & (1u << (DQ_SENS_IN_SHIFT + i)))
			st->sensitive_in_text[i]++;
	if (sens & DQ_SENS_ANY_IN_TEXT)
		st->sensitive_any_in_text++;
}

/*
 * An entry of the text memo: the character count of a value (high 32
 * bits) and its shape and detection mask (low 32 bits), with the top bit
 * set so that a known entry is never 0.
 */
#define DQ_TEXT_MEMO_KNOWN	(UINT64CONST(1) << 63)

/*
 * The memo entry of the top-values item that holds this value, or NULL.
 * held and known are what DqTopKAdd said: an item that has just taken the
 * value (known false) gets a new entry, one that already held it keeps its
 * entry.  Every value an item takes comes through here, except when the
 * sketch is merged or read back, which forgets the memo.
 */
static inline uint64 *
DqTextMemo(DqColState *st, DqTopKItem *held, bool known)
{
	uint64	   *memo;

	if (held == NULL)
		return NULL;
	memo = &st->text_memo[held - st->topk.items];
	if (!known)
		*memo = 0;
	return memo;
}

/*
 * Length and value shapes of a string.  held and known are what
 * DqTopKAdd said of the value: repeated values (codes, statuses) are
 * measured and classified once, through the text memo.
 */
static pg_attribute_always_inline void
DqColAddText(DqColState *st, Datum value, DqTopKItem *held, bool known)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(value);
	const char *s = VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);
	uint64	   *memo = DqTextMemo(st, held, known);
	int32		chars;
	uint32		mask;
	uint32		sens;

	if (memo != NULL && *memo != 0)
	{
		chars = (int32) ((*memo & ~DQ_TEXT_MEMO_KNOWN) >> 32);
		mask = (uint32) *memo;
	}
	else
	{
		if (st->ti.is_bpchar)
		{
			/* trailing blanks of char(n) are not part of the value */
			while (len > 0 && s[len - 1] == ' ')
				len--;
		}
		mask = DqClassifyText(s, len, &chars);
		if (dq_detect_sensitive && len > 0)
			mask |= DqDetectSensitive(s, len) << DQ_TEXT_SENS_SHIFT;
		if (memo != NULL)
			*memo = DQ_TEXT_MEMO_KNOWN | ((uint64) (uint32) chars << 32) | mask;
	}
	st->len_sum += chars;
	if (chars < st->len_min)
		st->len_min = chars;
	if (chars > st->len_max)
		st->len_max = chars;
	if (chars == 0)
	{
		st->empty_count++;
		return;
	}
	sens = mask >> DQ_TEXT_SENS_SHIFT;
	mask &= (1u << DQ_TEXT_SENS_SHIFT) - 1;
	while (mask != 0)
	{
		int			patbit = pg_rightmost_one_pos32(mask);

		st->patterns[patbit]++;
		mask &= mask - 1;
	}
	if (unlikely(sens != 0))
		DqColCountSensitive(st, sens);
}

/*
 * Account for one non-NULL value of a column.  Always inlined into one
 * function per type family (DqColAddInt, ...), with family a constant: the
 * tests on it fold away and each family gets straight-line code.
 */
static pg_attribute_always_inline void
DqColAddFamily(DqColState *st, Datum value, uint64 hash, bool hll_done,
			   FunctionCallInfo fcinfo, DqTypeFamily family)
{
	MemoryContext oldctx;
	double		numx;
	bool		known;
	DqTopKItem *held;

	if (family == DQ_FAM_BOOL)
	{
		if (DatumGetBool(value))
			st->true_count++;
		else
			st->false_count++;
		return;
	}
	oldctx = MemoryContextSwitchTo(st->aggctx);
	if (!hll_done)
	{
		if (st->hll_deferred && st->topk.nitems == st->topk.capacity)
			DqColSyncHll(st);
		if (!st->hll_deferred)
			DqHllAdd(&st->hll, hash);
	}
	known = DqTopKAdd(&st->topk, hash, value, &held);
	MemoryContextSwitchTo(oldctx);

	/*
	 * Comparisons and conversions in the per-row context.  A value seen
	 * before cannot be a new minimum or maximum (they only move outwards),
	 * so repeated values skip the comparisons.
	 */
	numx = 0.0;
	if (family == DQ_FAM_NUMERIC)
	{
		if (!DqNumericIsNaN((Numeric) DatumGetPointer(value)))
			numx = DqNumericToDouble((Numeric) DatumGetPointer(value));
		else
			numx = NAN;
	}
	if (st->ti.cmp != NULL && !known &&
		!(family == DQ_FAM_NUMERIC && st->has_minmax &&
		  numx > st->mindouble && numx < st->maxdouble))
		DqColUpdateMinMax(st, value);

	MemoryContextSwitchTo(st->aggctx);
	switch (family)
	{
		case DQ_FAM_INT:
		case DQ_FAM_FLOAT:
		case DQ_FAM_NUMERIC:
			DqColAddNumber(st, fcinfo, value, numx);
			break;
		case DQ_FAM_DATETIME:
			DqColAddDateTime(st, value);
			break;
		case DQ_FAM_TEXT:
			DqColAddText(st, value, held, known);
			break;
		case DQ_FAM_BOOL:		/* counted above */
		case DQ_FAM_OTHER:
			break;
	}
	MemoryContextSwitchTo(oldctx);
}

/*
 * One add function per family for n values and their hashes (hashes may
 * be NULL for booleans, which are not hashed): the loop runs inside, so
 * the state's fields the family tests are loaded once per batch and no
 * value costs an indirect call.
 */
#define DQ_COL_ADD_FN(name, family) \
static void \
name(DqColState *st, const Datum *values, const uint64 *hashes, int n, \
	 bool hll_done, FunctionCallInfo fcinfo) \
{ \
	int			k; \
\
	for (k = 0; k < n; k++) \
		DqColAddFamily(st, values[k], \
					   (family) == DQ_FAM_BOOL ? 0 : hashes[k], \
					   hll_done, fcinfo, family); \
}

DQ_COL_ADD_FN(DqColAddInt, DQ_FAM_INT)
DQ_COL_ADD_FN(DqColAddFloat, DQ_FAM_FLOAT)
DQ_COL_ADD_FN(DqColAddNumeric, DQ_FAM_NUMERIC)
DQ_COL_ADD_FN(DqColAddDateTimeValue, DQ_FAM_DATETIME)
DQ_COL_ADD_FN(DqColAddTextValue, DQ_FAM_TEXT)
DQ_COL_ADD_FN(DqColAddBool, DQ_FAM_BOOL)
DQ_COL_ADD_FN(DqColAddOther, DQ_FAM_OTHER)

/* The add function of a column's family. */
static DqColAddFn
DqColAddFor(DqTypeFamily family)
{
	switch (family)
	{
		case DQ_FAM_INT:
			return DqColAddInt;
		case DQ_FAM_FLOAT:
			return DqColAddFloat;
		case DQ_FAM_NUMERIC:
			return DqColAddNumeric;
		case DQ_FAM_DATETIME:
			return DqColAddDateTimeValue;
		case DQ_FAM_TEXT:
			return DqColAddTextValue;
		case DQ_FAM_BOOL:
			return DqColAddBool;
		case DQ_FAM_OTHER:
			break;
	}
	return DqColAddOther;
}

/*
 * Account for one value (NULL included) of a column.
 */
static inline void
DqColAdd(DqColState *st, Datum value, bool isnull, FunctionCallInfo fcinfo)
{
	uint64		hash;

	st->row_count++;
	if (isnull)
	{
		st->null_count++;
		return;
	}
	if (st->ti.typlen == -1)
		value = PointerGetDatum(PG_DETOAST_DATUM_PACKED(value));
	hash = DqDatumHash(&st->ti, value);
	st->add(st, &value, &hash, 1, false, fcinfo);
}

/*
 * dq.column_profile transition function.
 */
Datum
dq_column_profile_trans(PG_FUNCTION_ARGS)
{
	DqColState *st;

	if (PG_ARGISNULL(0))
	{
		MemoryContext aggctx;
		MemoryContext oldctx;

		if (!AggCheckCallContext(fcinfo, &aggctx))
			elog(ERROR, "dq_column_profile_trans called in non-aggregate context");
		oldctx = MemoryContextSwitchTo(aggctx);
		st = DqColStateCreate(get_fn_expr_argtype(fcinfo->flinfo, 1),
							  PG_GET_COLLATION());
		MemoryContextSwitchTo(oldctx);
	}
	else
		st = (DqColState *) PG_GETARG_POINTER(0);

	DqColAdd(st, PG_GETARG_DATUM(1), PG_ARGISNULL(1), fcinfo);
	PG_RETURN_POINTER(st);
}

/*
 * Merge src into dst; runs in the aggregate memory context.
 */
static void
DqColMerge(DqColState *dst, DqColState *src, FunctionCallInfo fcinfo)
{
	int			i;

	dst->row_count += src->row_count;
	dst->null_count += src->null_count;
	DqColSyncHll(dst);
	DqColSyncHll(src);
	DqHllMerge(&dst->hll, &src->hll);
	DqTopKMerge(&dst->topk, &src->topk);
	DqColForgetTextMemo(dst);
	if (src->has_minmax)
	{
		if (!dst->has_minmax)
		{
			dst->has_minmax = true;
			DqDatumStore(src->min, dst->ti.typlen, dst->ti.typbyval,
						 &dst->min, &dst->minbuf, &dst->mincap);
			DqDatumStore(src->max, dst->ti.typlen, dst->ti.typbyval,
						 &dst->max, &dst->maxbuf, &dst->maxcap);
		}
		else
		{
			if (DqColCompare(dst, src->min, dst->min) < 0)
				DqDatumStore(src->min, dst->ti.typlen, dst->ti.typbyval,
							 &dst->min, &dst->minbuf, &dst->mincap);
			if (DqColCompare(dst, src->max, dst->max) > 0)
				DqDatumStore(src->max, dst->ti.typlen, dst->ti.typbyval,
							 &dst->max, &dst->maxbuf, &dst->maxcap);
		}
		DqColExtremesChanged(dst);
	}

	dst->zero_count += src->zero_count;
	dst->negative_count += src->negative_count;
	dst->nan_count += src->nan_count;
	dst->infinity_count += src->infinity_count;
	/* re-express src's shifted sums around dst's shift, then add */
	if (src->finite_count > 0)
	{
		if (dst->finite_count == 0)
		{
			dst->shift = src->shift;
			dst->s1 = src->s1;
			dst->s2 = src->s2;
		}
		else
		{
			double		delta = src->shift - dst->shift;
			double		n2 = (double) src->finite_count;

			dst->s1 += src->s1 + n2 * delta;
			dst->s2 += src->s2 + 2.0 * delta * src->s1 + n2 * delta * delta;
		}
		dst->finite_count += src->finite_count;
	}
	dst->isum += src->isum;
	dst->fsum += src->fsum;
	if (src->numstate != (Datum) 0)
	{
		bool		isnull;

		dst->numstate = DqNumericCall(numeric_avg_combine, fcinfo, 2,
									  dst->numstate,
									  dst->numstate == (Datum) 0,
									  src->numstate, &isnull);
	}
	if (src->numsum.any &&
		!DqNumSumAdd(&dst->numsum, src->numsum.acc, src->numsum.exp, src->numsum.dscale))
	{
		bool		isnull;

		/*
		 * Too large for 128 bits: src's exact sum joins PostgreSQL's
		 * accumulator as one more term (its count is not used: the mean
		 * divides by finite_count once numsum has terms).
		 */
		dst->numstate = DqNumericCall(numeric_avg_accum, fcinfo, 2,
									  dst->numstate,
									  dst->numstate == (Datum) 0,
									  DqNumSumResult(&src->numsum), &isnull);
	}
	if (DqFamilyHasQuantiles(dst->ti.family))
		DqKllMerge(&dst->kll, &src->kll);

	dst->len_sum += src->len_sum;
	dst->len_min = Min(dst->len_min, src->len_min);
	dst->len_max = Max(dst->len_max, src->len_max);
	dst->empty_count += src->empty_count;
	for (i = 0; i < DQ_NUM_PATTERNS; i++)
		dst->patterns[i] += src->patterns[i];
	for (i = 0; i < DQ_NUM_SENSITIVE; i++)
		dst->sensitive[i] += src->sensitive[i];
	for (i = 0; i < DQ_NUM_SENSITIVE_IN_TEXT; i++)
		dst->sensitive_in_text[i] += src->sensitive_in_text[i];
	dst->sensitive_any_in_text += src->sensitive_any_in_text;
	dst->true_count += src->true_count;
	dst->false_count += src->false_count;
}

/*
 * Combine function for parallel aggregation.
 */
Datum
dq_column_profile_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	MemoryContext oldctx;
	DqColState *st1;
	DqColState *st2;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "dq_column_profile_combine called in non-aggregate context");
	st1 = PG_ARGISNULL(0) ? NULL : (DqColState *) PG_GETARG_POINTER(0);
	st2 = PG_ARGISNULL(1) ? NULL : (DqColState *) PG_GETARG_POINTER(1);
	if (st2 == NULL)
	{
		if (st1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st1);
	}
	oldctx = MemoryContextSwitchTo(aggctx);
	if (st1 == NULL)
		st1 = DqColStateCreate(st2->ti.typid, st2->ti.collation);
	DqColMerge(st1, st2, fcinfo);
	MemoryContextSwitchTo(oldctx);
	PG_RETURN_POINTER(st1);
}

static void
DqPutDatum(StringInfo buf, const DqColState *st, Datum d)
{
	if (st->ti.typbyval)
		DqBufPut(buf, &d, sizeof(Datum));
	else
	{
		int32		len = (int32) datumGetSize(d, false, st->ti.typlen);

		DqBufPutInt32(buf, len);
		DqBufPut(buf, DatumGetPointer(d), len);
	}
}

/*
 * Read a value written by DqPutDatum.  States may come from another node
 * (profile_citus.c), so a value must have its type's shape before the
 * type's functions see it.
 */
static Datum
DqGetDatum(DqReadBuf *rb, const DqColState *st)
{
	Datum		d;
	int32		len;
	char	   *p;

	if (st->ti.typbyval)
	{
		DqBufGet(rb, &d, sizeof(Datum));
		return d;
	}
	len = DqBufGetInt32(rb);
	if (len < 1 || (Size) len > DqBufLeft(rb))
		DqBufInvalid("column profile");
	p = palloc(len);
	DqBufGet(rb, p, len);
	if (st->ti.typlen == -1 ? !DqBufVarlenaValid(p, len) :
		st->ti.typlen == -2 ? strnlen(p, len) != (Size) len - 1 :
		len != st->ti.typlen)
		DqBufInvalid("column profile");
	return PointerGetDatum(p);
}

/* Fixed-size scalar part of the state, serialized as one block. */
#define DQ_SCALARS(X) \
	X(row_count) X(null_count) X(zero_count) X(negative_count) \
	X(nan_count) X(infinity_count) X(finite_count) X(len_sum) \
	X(empty_count) X(true_count) X(false_count)

/*
 * Append a column state to buf (parallel workers).
 */
static void
DqColSerialize(DqColState *st, StringInfo buf, FunctionCallInfo fcinfo)
{
	MemoryContext old = MemoryContextSwitchTo(st->aggctx);

	DqColSyncHll(st);			/* changes the state: in its own context */
	MemoryContextSwitchTo(old);
	DqBufPut(buf, &st->ti.typid, sizeof(Oid));
	DqBufPut(buf, &st->ti.collation, sizeof(Oid));
#define X(f) DqBufPutInt64(buf, st->f);
	DQ_SCALARS(X)
#undef X
	DqBufPutDouble(buf, st->shift);
	DqBufPutDouble(buf, st->s1);
	DqBufPutDouble(buf, st->s2);
	DqBufPut(buf, &st->isum, sizeof(int128));
	DqBufPutDouble(buf, st->fsum);
	DqBufPutInt32(buf, st->len_min);
	DqBufPutInt32(buf, st->len_max);
	DqBufPut(buf, st->patterns, sizeof(st->patterns));
	DqBufPut(buf, st->sensitive, sizeof(st->sensitive));
	DqBufPut(buf, st->sensitive_in_text, sizeof(st->sensitive_in_text));
	DqBufPut(buf, &st->sensitive_any_in_text, sizeof(st->sensitive_any_in_text));
	DqHllSerialize(&st->hll, buf);
	DqTopKSerialize(&st->topk, buf);
	DqBufPutInt32(buf, st->has_minmax ? 1 : 0);
	if (st->has_minmax)
	{
		DqPutDatum(buf, st, st->min);
		DqPutDatum(buf, st, st->max);
	}
	if (DqFamilyHasQuantiles(st->ti.family))
		DqKllSerialize(&st->kll, buf);
	if (st->numstate != (Datum) 0)
	{
		bool		isnull;
		bytea	   *nb = DatumGetByteaPP(DqNumericCall(numeric_avg_serialize, fcinfo, 1,
													   st->numstate, false,
													   (Datum) 0, &isnull));

		DqBufPutInt32(buf, VARSIZE_ANY_EXHDR(nb));
		DqBufPut(buf, VARDATA_ANY(nb), VARSIZE_ANY_EXHDR(nb));
	}
	else
		DqBufPutInt32(buf, -1);
	DqBufPutInt32(buf, st->numsum.any ? 1 : 0);
	if (st->numsum.any)
	{
		DqBufPutInt64(buf, (int64) (st->numsum.acc >> 64));
		DqBufPutInt64(buf, (int64) (uint64) st->numsum.acc);
		DqBufPutInt32(buf, st->numsum.exp);
		DqBufPutInt32(buf, st->numsum.dscale);
	}
}

Datum
dq_column_profile_serialize(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "dq_column_profile_serialize called in non-aggregate context");
	initStringInfo(&buf);
	DqColSerialize((DqColState *) PG_GETARG_POINTER(0), &buf, fcinfo);
	PG_RETURN_BYTEA_P(DqBufToBytea(&buf));
}

/*
 * Read back the rest of a column state written by DqColSerialize, as a
 * state of typid under collation: the writer's OIDs, which the caller
 * has read, may not be this node's (profile_citus.c).
 */
static DqColState *
DqColDeserializeAs(DqReadBuf *rb, Oid typid, Oid collation, FunctionCallInfo fcinfo)
{
	DqColState *st;
	int32		nlen;

	st = DqColStateCreate(typid, collation);
	st->hll_deferred = false;
#define X(f) st->f = DqBufGetInt64(rb);
	DQ_SCALARS(X)
#undef X
	st->shift = DqBufGetDouble(rb);
	st->s1 = DqBufGetDouble(rb);
	st->s2 = DqBufGetDouble(rb);
	DqBufGet(rb, &st->isum, sizeof(int128));
	st->fsum = DqBufGetDouble(rb);
	st->len_min = DqBufGetInt32(rb);
	st->len_max = DqBufGetInt32(rb);
	DqBufGet(rb, st->patterns, sizeof(st->patterns));
	DqBufGet(rb, st->sensitive, sizeof(st->sensitive));
	DqBufGet(rb, st->sensitive_in_text, sizeof(st->sensitive_in_text));
	DqBufGet(rb, &st->sensitive_any_in_text, sizeof(st->sensitive_any_in_text));
	DqHllDeserialize(&st->hll, rb);
	DqTopKDeserialize(&st->topk, rb);
	if (st->topk.typlen != st->ti.typlen || st->topk.typbyval != st->ti.typbyval)
		DqBufInvalid("column profile");
	DqColForgetTextMemo(st);
	st->has_minmax = DqBufGetInt32(rb) != 0;
	if (st->has_minmax)
	{
		st->min = DqGetDatum(rb, st);
		st->max = DqGetDatum(rb, st);
		DqColExtremesChanged(st);
	}
	if (DqFamilyHasQuantiles(st->ti.family))
		DqKllDeserialize(&st->kll, rb);
	nlen = DqBufGetInt32(rb);
	if (nlen >= 0)
	{
		bytea	   *nb = palloc(VARHDRSZ + nlen);
		bool		isnull;

		SET_VARSIZE(nb, VARHDRSZ + nlen);
		DqBufGet(rb, VARDATA(nb), nlen);
		st->numstate = DqNumericCall(numeric_avg_deserialize, fcinfo, 2,
									 PointerGetDatum(nb), false,
									 (Datum) 0, &isnull);
	}
	st->numsum.any = DqBufGetInt32(rb) != 0;
	if (st->numsum.any)
	{
		int64		hi = DqBufGetInt64(rb);
		uint64		lo = (uint64) DqBufGetInt64(rb);

		st->numsum.acc = (int128) (((uint128) (uint64) hi << 64) | lo);
		st->numsum.exp = DqBufGetInt32(rb);
		st->numsum.dscale = DqBufGetInt32(rb);
		if (st->numsum.exp < -NUMERIC_MAX_SCALE || st->numsum.exp > NUMERIC_MAX_PRECISION ||
			st->numsum.dscale < 0 || st->numsum.dscale > NUMERIC_MAX_DISPLAY_SCALE)
			DqBufInvalid("column profile");
	}
	return st;
}

/*
 * Read back a column state written by DqColSerialize (leader).
 */
static DqColState *
DqColDeserialize(DqReadBuf *rb, FunctionCallInfo fcinfo)
{
	Oid			typid;
	Oid			collation;

	DqBufGet(rb, &typid, sizeof(Oid));
	DqBufGet(rb, &collation, sizeof(Oid));
	return DqColDeserializeAs(rb, typid, collation, fcinfo);
}

Datum
dq_column_profile_deserialize(PG_FUNCTION_ARGS)
{
	DqReadBuf	rb;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "dq_column_profile_deserialize called in non-aggregate context");
	DqReadBufInit(&rb, PG_GETARG_BYTEA_PP(0));
	PG_RETURN_POINTER(DqColDeserialize(&rb, fcinfo));
}

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
	if (st->ti.basetypid == DATEOID)
	{
		DateADT		d;

		if (isinf(x))
		{
			if (x < 0)
				DATE_NOBEGIN(d);
			else
				DATE_NOEND(d);
		}
		else
			d = (DateADT) floor(x / USECS_PER_DAY);
		return DqDatumOutput(&st->ti, DateADTGetDatum(d));
	}
	else
	{
		Timestamp	t;

		if (isinf(x))
		{
			if (x < 0)
				TIMESTAMP_NOBEGIN(t);
			else
				TIMESTAMP_NOEND(t);
		}
		else
			t = (Timestamp) x;
		return DqDatumOutput(&st->ti, TimestampGetDatum(t));
	}
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
static void
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

/* ---------------------------------------------------------------------
 * dq.row_profile(collations oid[], VARIADIC "any"): every column of a row
 * in one aggregate call.  One transition call per row instead of one per
 * column saves the executor's per-aggregate overhead, which dominates on
 * narrow columns.  The final value is a jsonb array with one
 * dq.column_profile object per argument.  Collations are passed
 * explicitly because a call over columns of different collations has no
 * single input collation.
 * ---------------------------------------------------------------------
 */
/*
 * dq.row_profile buffers the non-NULL values of DQ_ROW_BATCH rows, then
 * adds them column by column: a column's sketches (a 16 kB HyperLogLog,
 * the top-values table, the quantile levels) then stay in the CPU's
 * nearest caches for a whole batch, instead of twelve columns' sketches
 * taking turns at every row.  Values that are not passed by value are
 * copied into an arena (the row they came from is gone by the next call),
 * or, when it is full, into chunks of their own that the flush frees; a
 * batch also ends once these copies take DQ_ROW_COPY_MAX bytes.  Nothing
 * is moved while a batch is open.
 */
#define DQ_ROW_BATCH		128
#define DQ_ROW_ARENA		(64 * 1024)
#define DQ_ROW_COPY_MAX		(1024 * 1024)

typedef struct DqRowSpill
{
	struct DqRowSpill *next;
} DqRowSpill;

/* typedef in profile_agg.h */
struct DqRowState
{
	int32		ncols;
	DqColState **cols;
	int32		nbuffered;		/* rows in the batch */
	int32	   *npending;		/* per column: values waiting */
	Datum	   *pending;		/* ncols x DQ_ROW_BATCH values */
	MemoryContext aggctx;		/* where the state lives */
	char	   *arena;			/* copies of by-reference values */
	Size		arena_used;
	DqRowSpill *spill;			/* copies that did not fit in the arena */
	Size		spill_bytes;
};

PG_FUNCTION_INFO_V1(dq_row_profile_trans);
PG_FUNCTION_INFO_V1(dq_row_profile_combine);
PG_FUNCTION_INFO_V1(dq_row_profile_serialize);
PG_FUNCTION_INFO_V1(dq_row_profile_deserialize);
PG_FUNCTION_INFO_V1(dq_row_profile_final);

static DqRowState *
DqRowStateCreate(int32 ncols)
{
	DqRowState *rs = palloc0(sizeof(DqRowState));

	rs->ncols = ncols;
	rs->cols = palloc0(sizeof(DqColState *) * Max(ncols, 1));
	rs->npending = palloc0(sizeof(int32) * Max(ncols, 1));
	rs->pending = palloc(sizeof(Datum) * DQ_ROW_BATCH * Max(ncols, 1));
	rs->aggctx = CurrentMemoryContext;
	rs->arena = palloc(DQ_ROW_ARENA);
	return rs;
}

/* Copy a by-reference value for the batch. */
static Datum
DqRowKeep(DqRowState *rs, const DqColState *st, Datum value)
{
	Size		len = (st->ti.typlen == -1) ? VARSIZE_ANY(DatumGetPointer(value)) :
		datumGetSize(value, false, st->ti.typlen);
	char	   *dst;

	if (rs->arena_used + MAXALIGN(len) <= DQ_ROW_ARENA)
	{
		dst = rs->arena + rs->arena_used;
		rs->arena_used += MAXALIGN(len);
	}
	else
	{
		DqRowSpill *sp = MemoryContextAlloc(rs->aggctx,
											MAXALIGN(sizeof(DqRowSpill)) + len);

		sp->next = rs->spill;
		rs->spill = sp;
		rs->spill_bytes += len;
		dst = (char *) sp + MAXALIGN(sizeof(DqRowSpill));
	}
	memcpy(dst, DatumGetPointer(value), len);
	return PointerGetDatum(dst);
}

/* Add the buffered values, column by column, and empty the batch. */
static void
DqRowFlush(DqRowState *rs, FunctionCallInfo fcinfo)
{
	int			i,
				k;

	for (i = 0; i < rs->ncols; i++)
	{
		DqColState *st = rs->cols[i];
		Datum	   *vals = rs->pending + (Size) i * DQ_ROW_BATCH;
		int			n = rs->npending[i];
		uint64		hashes[DQ_ROW_BATCH];
		bool		hll_done = !st->hll_deferred;

		st->row_count += rs->nbuffered;	/* NULLs included */
		if (st->ti.family == DQ_FAM_BOOL)
		{
			/* only counted (DqColAddFamily) */
			st->add(st, vals, NULL, n, true, fcinfo);
			rs->npending[i] = 0;
			continue;
		}

		/*
		 * In stages over the batch: the hashes, then the HyperLogLog, then
		 * the rest value by value.  Each stage's steps are independent, so
		 * the CPU overlaps them instead of waiting on one value's chain.
		 */
		DqDatumHashes(&st->ti, vals, hashes, n);
		if (hll_done)
		{
			MemoryContext old = MemoryContextSwitchTo(st->aggctx);

			for (k = 0; k < n; k++)
				DqHllAdd(&st->hll, hashes[k]);
			MemoryContextSwitchTo(old);
		}
		st->add(st, vals, hashes, n, hll_done, fcinfo);
		rs->npending[i] = 0;
	}
	rs->nbuffered = 0;
	rs->arena_used = 0;
	while (rs->spill != NULL)
	{
		DqRowSpill *next = rs->spill->next;

		pfree(rs->spill);
		rs->spill = next;
	}
	rs->spill_bytes = 0;
}

Datum
dq_row_profile_trans(PG_FUNCTION_ARGS)
{
	DqRowState *rs;
	int			i;

	if (PG_ARGISNULL(0))
	{
		MemoryContext aggctx;
		MemoryContext oldctx;
		ArrayType  *colls;
		Datum	   *elems;
		bool	   *nulls;
		int			nelems;

		if (!AggCheckCallContext(fcinfo, &aggctx))
			elog(ERROR, "dq_row_profile_trans called in non-aggregate context");
		if (get_fn_expr_variadic(fcinfo->flinfo))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("dq.row_profile cannot be called with a VARIADIC array"),
					 errhint("Pass the columns as separate arguments.")));
		DqRequireArg(fcinfo, 1, "collations",
					 "Pass one collation OID per column, 0 for none.");
		colls = PG_GETARG_ARRAYTYPE_P(1);
		deconstruct_array(colls, OIDOID, sizeof(Oid), true, TYPALIGN_INT,
						  &elems, &nulls, &nelems);
		if (nelems != PG_NARGS() - 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("dq.row_profile needs one collation per column"),
					 errdetail("%d collations were given for %d columns.",
							   nelems, PG_NARGS() - 2),
					 errhint("Pass one collation OID per column, 0 for none.")));
		for (i = 0; i < nelems; i++)
			if (!nulls[i] && OidIsValid(DatumGetObjectId(elems[i])) &&
				!SearchSysCacheExists1(COLLOID, elems[i]))
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("collation with OID %u does not exist",
								DatumGetObjectId(elems[i])),
						 errhint("Pass one collation OID per column (pg_collation.oid), 0 for none.")));
		oldctx = MemoryContextSwitchTo(aggctx);
		rs = DqRowStateCreate(nelems);
		for (i = 0; i < nelems; i++)
			rs->cols[i] = DqColStateCreate(get_fn_expr_argtype(fcinfo->flinfo, i + 2),
										   nulls[i] ? InvalidOid : DatumGetObjectId(elems[i]));
		MemoryContextSwitchTo(oldctx);
	}
	else
		rs = (DqRowState *) PG_GETARG_POINTER(0);

	for (i = 0; i < rs->ncols; i++)
	{
		DqColState *st = rs->cols[i];
		Datum		v;

		if (PG_ARGISNULL(i + 2))
		{
			st->null_count++;
			continue;
		}
		v = PG_GETARG_DATUM(i + 2);
		if (!st->ti.typbyval)
		{
			if (st->ti.typlen == -1 && !DqVarlenaIsPlain(v))
				v = PointerGetDatum(PG_DETOAST_DATUM_PACKED(v));
			v = DqRowKeep(rs, st, v);
		}
		rs->pending[(Size) i * DQ_ROW_BATCH + rs->npending[i]++] = v;
	}
	if (++rs->nbuffered == DQ_ROW_BATCH || rs->spill_bytes >= DQ_ROW_COPY_MAX)
		DqRowFlush(rs, fcinfo);
	PG_RETURN_POINTER(rs);
}

Datum
dq_row_profile_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	MemoryContext oldctx;
	DqRowState *rs1;
	DqRowState *rs2;
	int			i;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "dq_row_profile_combine called in non-aggregate context");
	rs1 = PG_ARGISNULL(0) ? NULL : (DqRowState *) PG_GETARG_POINTER(0);
	rs2 = PG_ARGISNULL(1) ? NULL : (DqRowState *) PG_GETARG_POINTER(1);
	if (rs2 == NULL)
	{
		if (rs1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(rs1);
	}
	oldctx = MemoryContextSwitchTo(aggctx);
	if (rs1 == NULL)
	{
		rs1 = DqRowStateCreate(rs2->ncols);
		for (i = 0; i < rs2->ncols; i++)
			rs1->cols[i] = DqColStateCreate(rs2->cols[i]->ti.typid,
											rs2->cols[i]->ti.collation);
	}
	if (rs1->ncols != rs2->ncols)
		elog(ERROR, "dq_row_profile_combine: column counts differ");
	DqRowFlush(rs1, fcinfo);
	DqRowFlush(rs2, fcinfo);
	for (i = 0; i < rs1->ncols; i++)
		DqColMerge(rs1->cols[i], rs2->cols[i], fcinfo);
	MemoryContextSwitchTo(oldctx);
	PG_RETURN_POINTER(rs1);
}

Datum
dq_row_profile_serialize(PG_FUNCTION_ARGS)
{
	DqRowState *rs = (DqRowState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			i;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "dq_row_profile_serialize called in non-aggregate context");
	DqRowFlush(rs, fcinfo);
	initStringInfo(&buf);
	DqBufPutInt32(&buf, rs->ncols);
	for (i = 0; i < rs->ncols; i++)
		DqColSerialize(rs->cols[i], &buf, fcinfo);
	PG_RETURN_BYTEA_P(DqBufToBytea(&buf));
}

Datum
dq_row_profile_deserialize(PG_FUNCTION_ARGS)
{
	DqReadBuf	rb;
	DqRowState *rs;
	int32		ncols;
	int			i;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "dq_row_profile_deserialize called in non-aggregate context");
	DqReadBufInit(&rb, PG_GETARG_BYTEA_PP(0));
	ncols = DqBufGetInt32(&rb);
	if (ncols < 0 || ncols > FUNC_MAX_ARGS)
		elog(ERROR, "dq_lineage: invalid row profile state");
	rs = DqRowStateCreate(ncols);
	for (i = 0; i < ncols; i++)
		rs->cols[i] = DqColDeserialize(&rb, fcinfo);
	PG_RETURN_POINTER(rs);
}

/*
 * The profiles of the columns as a jsonb array.  The final function gets
 * the aggregate's arguments as extra (NULL) arguments, so it knows the
 * column count even when no row was aggregated.
 */
Datum
dq_row_profile_final(PG_FUNCTION_ARGS)
{
	DqRowState *rs = PG_ARGISNULL(0) ? NULL : (DqRowState *) PG_GETARG_POINTER(0);
	DqJson		js = {0};
	int			ncols = rs ? rs->ncols : PG_NARGS() - 2;
	int			i;

	if (rs != NULL)
		DqRowFlush(rs, fcinfo);
	DqJsonBegin(&js, '[');
	for (i = 0; i < ncols; i++)
	{
		DqJsonKey(&js, NULL);
		DqColJson(&js, rs ? rs->cols[i] : NULL, fcinfo);
	}
	DqJsonEnd(&js, ']');
	PG_RETURN_DATUM(DqJsonToJsonb(&js));
}


/* ---------------------------------------------------------------------
 * The row profile for dq.row_profile_pushdown (profile_citus.c): the
 * same column states, fed one record per row, written and read column by
 * column so that the node reading them uses its own OIDs for the types
 * and collations.
 * ---------------------------------------------------------------------
 */

/* A row profile of ncols columns, in the current memory context. */
DqRowState *
DqRowProfileCreate(int ncols, const Oid *typids, const Oid *collations)
{
	DqRowState *rs = DqRowStateCreate(ncols);
	int			i;

	for (i = 0; i < ncols; i++)
		rs->cols[i] = DqColStateCreate(typids[i], collations[i]);
	return rs;
}

/* Account for one row; values point to memory the caller may free. */
void
DqRowProfileAdd(DqRowState *rs, const Datum *values, const bool *nulls,
				FunctionCallInfo fcinfo)
{
	int			i;

	for (i = 0; i < rs->ncols; i++)
	{
		DqColState *st = rs->cols[i];
		Datum		v;

		if (nulls[i])
		{
			st->null_count++;
			continue;
		}
		v = values[i];
		if (!st->ti.typbyval)
		{
			if (st->ti.typlen == -1 && !DqVarlenaIsPlain(v))
				v = PointerGetDatum(PG_DETOAST_DATUM_PACKED(v));
			v = DqRowKeep(rs, st, v);
		}
		rs->pending[(Size) i * DQ_ROW_BATCH + rs->npending[i]++] = v;
	}
	if (++rs->nbuffered == DQ_ROW_BATCH || rs->spill_bytes >= DQ_ROW_COPY_MAX)
		DqRowFlush(rs, fcinfo);
}

/* Merge src into dst (same columns), in the current memory context. */
void
DqRowProfileMerge(DqRowState *dst, DqRowState *src, FunctionCallInfo fcinfo)
{
	int			i;

	if (dst->ncols != src->ncols)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cannot merge profiles of %d and %d columns",
						dst->ncols, src->ncols)));
	DqRowFlush(dst, fcinfo);
	DqRowFlush(src, fcinfo);
	for (i = 0; i < dst->ncols; i++)
		DqColMerge(dst->cols[i], src->cols[i], fcinfo);
}

int
DqRowProfileColumns(const DqRowState *rs)
{
	return rs->ncols;
}

/* Append column i's state to buf (the row's buffered values first). */
void
DqRowProfileWriteColumn(DqRowState *rs, int i, StringInfo buf,
						FunctionCallInfo fcinfo)
{
	DqRowFlush(rs, fcinfo);
	DqColSerialize(rs->cols[i], buf, fcinfo);
}

/*
 * Read ncols column states written by DqRowProfileWriteColumn, as states
 * of this node's types and collations.
 */
DqRowState *
DqRowProfileRead(int ncols, DqReadBuf *rb, const Oid *typids,
				 const Oid *collations, FunctionCallInfo fcinfo)
{
	DqRowState *rs = DqRowStateCreate(ncols);
	int			i;

	for (i = 0; i < ncols; i++)
	{
		Oid			skip[2];

		DqBufGet(rb, skip, sizeof(skip));	/* the writer's OIDs */
		rs->cols[i] = DqColDeserializeAs(rb, typids[i], collations[i], fcinfo);
	}
	return rs;
}

/* The profiles of the columns as the jsonb array dq.row_profile returns. */
Datum
DqRowProfileResult(DqRowState *rs, FunctionCallInfo fcinfo)
{
	DqJson		js = {0};
	int			i;

	DqRowFlush(rs, fcinfo);
	DqJsonBegin(&js, '[');
	for (i = 0; i < rs->ncols; i++)
	{
		DqJsonKey(&js, NULL);
		DqColJson(&js, rs->cols[i], fcinfo);
	}
	DqJsonEnd(&js, ']');
	return DqJsonToJsonb(&js);
}

/* What dq.row_profile returns for ncols columns when no row was read. */
Datum
DqRowProfileEmpty(int ncols, FunctionCallInfo fcinfo)
{
	DqJson		js = {0};
	int			i;

	DqJsonBegin(&js, '[');
	for (i = 0; i < ncols; i++)
	{
		DqJsonKey(&js, NULL);
		DqColJson(&js, NULL, fcinfo);
	}
	DqJsonEnd(&js, ']');
	return DqJsonToJsonb(&js);
}
