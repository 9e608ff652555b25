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
 * This file creates the state and adds values to it, one function per
 * family; profile_merge.c combines and serializes states, profile_json.c
 * writes the final profile, profile_row.c is dq.row_profile.  All state
 * lives in the aggregate's memory context; per-row detoasted copies live
 * in the per-tuple context the executor resets.
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
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/date.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "base/agg_util.h"
#include "base/guc.h"
#include "profile/profile_agg.h"

PG_FUNCTION_INFO_V1(dq_column_profile_trans);

/*
 * Forget what the text memo says: the top-values sketch was built anew
 * (merged, deserialized), so its items may hold other values.  Allocates
 * the memo, one entry per counter, in the current (aggregate) context.
 */
void
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

DqColState *
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
void
DqColSyncHll(DqColState *st)
{
	int			i;

	if (!st->hll_deferred)
		return;
	for (i = 0; i < st->topk.nitems; i++)
		DqHllAdd(&st->hll, st->topk.items[i].hash);
	st->hll_deferred = false;
}

/* Recompute the cheap keys after min or max changed. */
void
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

/* Call one of PostgreSQL's numeric aggregate support functions. */
Datum
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

/* a date or timestamp as microseconds, -infinity and infinity as such */
static pg_attribute_always_inline double
DqColTimeValue(bool nobegin, bool noend, double usecs)
{
	return nobegin ? -INFINITY : noend ? INFINITY : usecs;
}

static pg_attribute_always_inline void
DqColAddDateTime(DqColState *st, Datum value)
{
	double		x;

	if (st->ti.basetypid == DATEOID)
	{
		DateADT		d = DatumGetDateADT(value);

		x = DqColTimeValue(DATE_IS_NOBEGIN(d), DATE_IS_NOEND(d),
						   (double) d * USECS_PER_DAY);
	}
	else
	{
		Timestamp	t = DatumGetTimestamp(value);

		x = DqColTimeValue(TIMESTAMP_IS_NOBEGIN(t), TIMESTAMP_IS_NOEND(t),
						   (double) t);
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
			mask |= DqDetectSensitive(s, len, mask) << DQ_TEXT_SENS_SHIFT;
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

		aggctx = DqAggContext(fcinfo, "dq_column_profile_trans");
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
