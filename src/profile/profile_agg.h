/*-------------------------------------------------------------------------
 *
 * profile_agg.h
 *	  The state of the per-column profile aggregate, dq.column_profile
 *	  (profile_agg.c), and what the files of the profile aggregates share:
 *	  combining and serializing states (profile_merge.c), the profile as
 *	  jsonb (profile_json.c), and dq.row_profile (profile_row.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_PROFILE_AGG_H
#define DQ_PROFILE_AGG_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/float.h"

#include "base/json_build.h"
#include "base/numeric_util.h"
#include "base/text_patterns.h"
#include "base/typeinfo.h"
#include "profile/sensitive.h"
#include "sketch/sketch_buf.h"
#include "sketch/sketch_hll.h"
#include "sketch/sketch_quantile.h"
#include "sketch/sketch_topk.h"

/* quantiles every numeric and date/time profile reports */
#define DQ_NUM_PROFILE_QUANTILES 7
extern const double DqProfileQuantiles[DQ_NUM_PROFILE_QUANTILES];
extern const char *const DqProfileQuantileNames[DQ_NUM_PROFILE_QUANTILES];

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

static inline bool
DqFamilyIsNumber(DqTypeFamily f)
{
	return f == DQ_FAM_INT || f == DQ_FAM_FLOAT || f == DQ_FAM_NUMERIC;
}

static inline bool
DqFamilyHasQuantiles(DqTypeFamily f)
{
	return DqFamilyIsNumber(f) || f == DQ_FAM_DATETIME;
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

/* profile_agg.c */
extern DqColState *DqColStateCreate(Oid typid, Oid collation);
extern void DqColSyncHll(DqColState *st);
extern void DqColForgetTextMemo(DqColState *st);
extern void DqColExtremesChanged(DqColState *st);
extern Datum DqNumericCall(PGFunction fn, FunctionCallInfo outer, int nargs,
						   Datum a0, bool a0null, Datum a1, bool *isnull);

/* profile_merge.c */
extern void DqColMerge(DqColState *dst, DqColState *src, FunctionCallInfo fcinfo);
extern void DqColSerialize(DqColState *st, StringInfo buf, FunctionCallInfo fcinfo);
extern DqColState *DqColDeserialize(DqReadBuf *rb, FunctionCallInfo fcinfo);
extern DqColState *DqColDeserializeAs(DqReadBuf *rb, Oid typid, Oid collation,
									  FunctionCallInfo fcinfo);

/* profile_json.c */
extern void DqColJson(DqJson *js, DqColState *st, FunctionCallInfo fcinfo);

/*
 * profile_row.c: the state of dq.row_profile, for its twin that Citus
 * pushes down (profile_citus.c).
 */
typedef struct DqRowState DqRowState;

extern DqRowState *DqRowProfileCreate(int ncols, const Oid *typids,
									  const Oid *collations);
extern void DqRowProfileAdd(DqRowState *rs, const Datum *values,
							const bool *nulls, FunctionCallInfo fcinfo);
extern void DqRowProfileMerge(DqRowState *dst, DqRowState *src,
							  FunctionCallInfo fcinfo);
extern int	DqRowProfileColumns(const DqRowState *rs);
extern void DqRowProfileWriteColumn(DqRowState *rs, int i, StringInfo buf,
									FunctionCallInfo fcinfo);
extern DqRowState *DqRowProfileRead(int ncols, DqReadBuf *rb, const Oid *typids,
									const Oid *collations, FunctionCallInfo fcinfo);
extern Datum DqRowProfileResult(DqRowState *rs, FunctionCallInfo fcinfo);
extern Datum DqRowProfileEmpty(int ncols, FunctionCallInfo fcinfo);

#endif							/* DQ_PROFILE_AGG_H */
