/*-------------------------------------------------------------------------
 *
 * profile_merge.c
 *	  The parallel steps of the profile aggregates: combining two column
 *	  states (the leader merges its workers' states) and writing a state to
 *	  bytea and reading it back.
 *
 * Merging adds the counts and moments, merges the sketches (HyperLogLog,
 * top values, quantiles) and keeps the smaller minimum and the larger
 * maximum.  Everything runs in the aggregate's memory context.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "base/agg_util.h"
#include "base/numeric_util.h"
#include "profile/profile_agg.h"

PG_FUNCTION_INFO_V1(dq_column_profile_combine);
PG_FUNCTION_INFO_V1(dq_column_profile_serialize);
PG_FUNCTION_INFO_V1(dq_column_profile_deserialize);

/*
 * Merge src into dst; runs in the aggregate memory context.
 */
void
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

static void *
DqColCreateLike(void *like)
{
	DqColState *b = like;

	return DqColStateCreate(b->ti.typid, b->ti.collation);
}

static void
DqColMergeStates(void *dst, void *src, FunctionCallInfo fcinfo)
{
	DqColMerge(dst, src, fcinfo);
}

/*
 * Combine function for parallel aggregation.
 */
Datum
dq_column_profile_combine(PG_FUNCTION_ARGS)
{
	return DqAggCombine(fcinfo, "dq_column_profile_combine", DqColCreateLike,
						DqColMergeStates);
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

/* A fixed-size field of a column state: where it is, how long it is. */
typedef struct DqColField
{
	size_t		offset;
	size_t		size;
} DqColField;

#define DQ_COL_FIELD(f) {offsetof(DqColState, f), sizeof(((DqColState *) NULL)->f)}

/* The fixed-size fields of a column state, serialized first, as bytes. */
static const DqColField DqColFixedFields[] = {
	DQ_COL_FIELD(row_count), DQ_COL_FIELD(null_count), DQ_COL_FIELD(zero_count),
	DQ_COL_FIELD(negative_count), DQ_COL_FIELD(nan_count),
	DQ_COL_FIELD(infinity_count), DQ_COL_FIELD(finite_count),
	DQ_COL_FIELD(len_sum), DQ_COL_FIELD(empty_count), DQ_COL_FIELD(true_count),
	DQ_COL_FIELD(false_count),
	DQ_COL_FIELD(shift), DQ_COL_FIELD(s1), DQ_COL_FIELD(s2), DQ_COL_FIELD(isum),
	DQ_COL_FIELD(fsum), DQ_COL_FIELD(len_min), DQ_COL_FIELD(len_max),
	DQ_COL_FIELD(patterns), DQ_COL_FIELD(sensitive),
	DQ_COL_FIELD(sensitive_in_text), DQ_COL_FIELD(sensitive_any_in_text),
};

/*
 * Append a column state to buf (parallel workers).
 */
void
DqColSerialize(DqColState *st, StringInfo buf, FunctionCallInfo fcinfo)
{
	MemoryContext old = MemoryContextSwitchTo(st->aggctx);
	int			i;

	DqColSyncHll(st);			/* changes the state: in its own context */
	MemoryContextSwitchTo(old);
	DqBufPut(buf, &st->ti.typid, sizeof(Oid));
	DqBufPut(buf, &st->ti.collation, sizeof(Oid));
	for (i = 0; i < lengthof(DqColFixedFields); i++)
		DqBufPut(buf, (const char *) st + DqColFixedFields[i].offset,
				 DqColFixedFields[i].size);
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

	(void) DqAggContext(fcinfo, "dq_column_profile_serialize");
	initStringInfo(&buf);
	DqColSerialize((DqColState *) PG_GETARG_POINTER(0), &buf, fcinfo);
	PG_RETURN_BYTEA_P(DqBufToBytea(&buf));
}

/*
 * Read back the rest of a column state written by DqColSerialize, as a
 * state of typid under collation: the writer's OIDs, which the caller
 * has read, may not be this node's (profile_citus.c).
 */
DqColState *
DqColDeserializeAs(DqReadBuf *rb, Oid typid, Oid collation, FunctionCallInfo fcinfo)
{
	DqColState *st;
	int32		nlen;
	int			i;

	st = DqColStateCreate(typid, collation);
	st->hll_deferred = false;
	for (i = 0; i < lengthof(DqColFixedFields); i++)
		DqBufGet(rb, (char *) st + DqColFixedFields[i].offset,
				 DqColFixedFields[i].size);
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
DqColState *
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

	(void) DqAggContext(fcinfo, "dq_column_profile_deserialize");
	DqReadBufInit(&rb, PG_GETARG_BYTEA_PP(0));
	PG_RETURN_POINTER(DqColDeserialize(&rb, fcinfo));
}
