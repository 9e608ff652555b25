/*-------------------------------------------------------------------------
 *
 * sketch_sql.c
 *	  The sketches as SQL aggregates: dq.approx_distinct(anyelement),
 *	  dq.approx_quantiles(float8, float8[]) and
 *	  dq.approx_top_k(anyelement, integer).
 *
 * Each is parallel safe (combine, serialize and deserialize functions),
 * and its state is bounded whatever the number of input rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "base/agg_util.h"
#include "base/json_build.h"
#include "base/spi_util.h"
#include "sketch/sketch_buf.h"
#include "sketch/sketch_hll.h"
#include "sketch/sketch_quantile.h"
#include "sketch/sketch_sql.h"
#include "sketch/sketch_topk.h"
#include "base/typeinfo.h"

PG_FUNCTION_INFO_V1(dq_hll_trans);
PG_FUNCTION_INFO_V1(dq_hll_combine);
PG_FUNCTION_INFO_V1(dq_hll_serialize);
PG_FUNCTION_INFO_V1(dq_hll_deserialize);
PG_FUNCTION_INFO_V1(dq_hll_final);
PG_FUNCTION_INFO_V1(dq_kll_trans);
PG_FUNCTION_INFO_V1(dq_kll_combine);
PG_FUNCTION_INFO_V1(dq_kll_serialize);
PG_FUNCTION_INFO_V1(dq_kll_deserialize);
PG_FUNCTION_INFO_V1(dq_kll_final);
PG_FUNCTION_INFO_V1(dq_topk_trans);
PG_FUNCTION_INFO_V1(dq_topk_combine);
PG_FUNCTION_INFO_V1(dq_topk_serialize);
PG_FUNCTION_INFO_V1(dq_topk_deserialize);
PG_FUNCTION_INFO_V1(dq_topk_final);


/*
 * The hash of argument 1, not NULL, a value of the type ti describes;
 * *value gets the value, detoasted when it is of variable length.  Inline:
 * the transition functions call it on every row.
 */
static inline uint64
DqSketchArgHash(FunctionCallInfo fcinfo, const DqTypeInfo *ti, Datum *value)
{
	Datum		v = PG_GETARG_DATUM(1);

	if (ti->typlen == -1)
		v = PointerGetDatum(PG_DETOAST_DATUM_PACKED(v));
	*value = v;
	return DqDatumHash(ti, v);
}

/* ---------------------------------------------------------------------
 * approx_distinct
 * ---------------------------------------------------------------------
 */
typedef struct DqHllAggState
{
	bool		has_type;		/* false after deserialization */
	DqTypeInfo	ti;
	DqHll		hll;
} DqHllAggState;

static DqHllAggState *
DqHllAggCreate(void)
{
	DqHllAggState *st = palloc0(sizeof(DqHllAggState));

	DqHllInit(&st->hll);
	return st;
}

Datum
dq_hll_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = DqAggContext(fcinfo, "dq_hll_trans");
	MemoryContext old = MemoryContextSwitchTo(aggctx);
	DqHllAggState *st = PG_ARGISNULL(0) ? NULL : (DqHllAggState *) PG_GETARG_POINTER(0);

	if (st == NULL)
		st = DqHllAggCreate();
	if (!st->has_type)
	{
		DqTypeInfoInit(&st->ti, get_fn_expr_argtype(fcinfo->flinfo, 1),
					   PG_GET_COLLATION());
		st->has_type = true;
	}
	MemoryContextSwitchTo(old);
	if (!PG_ARGISNULL(1))
	{
		Datum		v;
		uint64		h = DqSketchArgHash(fcinfo, &st->ti, &v);

		old = MemoryContextSwitchTo(aggctx);
		DqHllAdd(&st->hll, h);
		MemoryContextSwitchTo(old);
	}
	PG_RETURN_POINTER(st);
}

static void *
DqHllAggCreateLike(void *like)
{
	return DqHllAggCreate();
}

static void
DqHllAggMerge(void *dst, void *src, FunctionCallInfo fcinfo)
{
	DqHllMerge(&((DqHllAggState *) dst)->hll, &((const DqHllAggState *) src)->hll);
}

Datum
dq_hll_combine(PG_FUNCTION_ARGS)
{
	return DqAggCombine(fcinfo, "dq_hll_combine", DqHllAggCreateLike, DqHllAggMerge);
}

Datum
dq_hll_serialize(PG_FUNCTION_ARGS)
{
	DqHllAggState *st = (DqHllAggState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	initStringInfo(&buf);
	DqHllSerialize(&st->hll, &buf);
	PG_RETURN_BYTEA_P(DqBufToBytea(&buf));
}

Datum
dq_hll_deserialize(PG_FUNCTION_ARGS)
{
	DqReadBuf	rb;
	DqHllAggState *st = palloc0(sizeof(DqHllAggState));

	DqReadBufInit(&rb, PG_GETARG_BYTEA_PP(0));
	DqHllDeserialize(&st->hll, &rb);
	PG_RETURN_POINTER(st);
}

Datum
dq_hll_final(PG_FUNCTION_ARGS)
{
	DqHllAggState *st = PG_ARGISNULL(0) ? NULL : (DqHllAggState *) PG_GETARG_POINTER(0);

	if (st == NULL)
		PG_RETURN_INT64(0);
	PG_RETURN_INT64((int64) llround(DqHllEstimate(&st->hll)));
}

/* ---------------------------------------------------------------------
 * approx_quantiles
 * ---------------------------------------------------------------------
 */
/*
 * At most this many fractions: the state keeps them, every row whose
 * fractions argument is not a constant is compared with them, and the
 * result has one element per fraction.
 */
#define DQ_KLL_MAX_FRACTIONS 10000

typedef struct DqKllAggState
{
	int32		nfracs;			/* -1 until the fractions are known */
	double	   *fracs;
	ArrayType  *fracs_arg;		/* the first row's argument, when it may
								 * change from row to row */
	DqKll		kll;
} DqKllAggState;

static DqKllAggState *
DqKllAggCreate(void)
{
	DqKllAggState *st = palloc0(sizeof(DqKllAggState));

	st->nfracs = -1;
	DqKllInit(&st->kll, DQ_KLL_K);
	return st;
}

/* Validate the fractions argument; *fracs gets a copy of them. */
void
DqKllReadFractions(ArrayType *arr, double **fracs, int32 *nfracs)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("fractions must be a one-dimensional array"),
				 errhint("Pass fractions such as ARRAY[0.5, 0.95].")));
	if (ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)) > DQ_KLL_MAX_FRACTIONS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many quantile fractions"),
				 errdetail("%d fractions were given; at most %d are allowed.",
						   ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)), DQ_KLL_MAX_FRACTIONS),
				 errhint("Ask for fewer quantiles, for example ARRAY[0.01, 0.5, 0.99].")));
	deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &elems, &nulls, &n);
	*fracs = palloc(sizeof(double) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		double		f = nulls[i] ? NAN : DatumGetFloat8(elems[i]);

		if (!(f >= 0.0 && f <= 1.0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("quantile fraction must be between 0 and 1"),
					 errhint("Pass fractions such as ARRAY[0.5, 0.95].")));
		(*fracs)[i] = f;
	}
	*nfracs = n;
}

/* Validate and keep the fractions argument. */
static void
DqKllAggSetFractions(DqKllAggState *st, ArrayType *arr)
{
	DqKllReadFractions(arr, &st->fracs, &st->nfracs);
}

Datum
dq_kll_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = DqAggContext(fcinfo, "dq_kll_trans");
	MemoryContext old = MemoryContextSwitchTo(aggctx);
	DqKllAggState *st = PG_ARGISNULL(0) ? NULL : (DqKllAggState *) PG_GETARG_POINTER(0);

	if (st == NULL)
		st = DqKllAggCreate();
	if (st->nfracs < 0)
	{
		DqRequireArg(fcinfo, 2, "fractions",
					 "Pass fractions such as ARRAY[0.5, 0.95].");
		DqKllAggSetFractions(st, PG_GETARG_ARRAYTYPE_P(2));
		/* an argument that may change per row is checked on every row */
		if (!get_fn_expr_arg_stable(fcinfo->flinfo, 2))
			st->fracs_arg = PG_GETARG_ARRAYTYPE_P_COPY(2);
	}
	else if (st->fracs_arg != NULL)
	{
		ArrayType  *arr;

		/* a detoasted or flattened copy must not pile up in aggctx */
		MemoryContextSwitchTo(old);
		arr = PG_ARGISNULL(2) ? NULL : PG_GETARG_ARRAYTYPE_P(2);
		MemoryContextSwitchTo(aggctx);

		if (arr == NULL || VARSIZE(arr) != VARSIZE(st->fracs_arg) ||
			memcmp(arr, st->fracs_arg, VARSIZE(arr)) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("fractions must be the same in every row"),
					 errdetail("The quantiles of one aggregate are computed at one set of fractions."),
					 errhint("Pass a constant array such as ARRAY[0.5, 0.95].")));
	}
	if (!PG_ARGISNULL(1))
	{
		double		v = PG_GETARG_FLOAT8(1);

		if (!isnan(v))
			DqKllAdd(&st->kll, v);
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

static void *
DqKllAggCreateLike(void *like)
{
	return DqKllAggCreate();
}

static void
DqKllAggMerge(void *dst, void *src, FunctionCallInfo fcinfo)
{
	DqKllAggState *a = (DqKllAggState *) dst;
	const DqKllAggState *b = (const DqKllAggState *) src;

	if (a->nfracs < 0 && b->nfracs >= 0)
	{
		a->nfracs = b->nfracs;
		a->fracs = palloc(sizeof(double) * Max(b->nfracs, 1));
		memcpy(a->fracs, b->fracs, sizeof(double) * b->nfracs);
	}
	DqKllMerge(&a->kll, &b->kll);
}

Datum
dq_kll_combine(PG_FUNCTION_ARGS)
{
	return DqAggCombine(fcinfo, "dq_kll_combine", DqKllAggCreateLike, DqKllAggMerge);
}

Datum
dq_kll_serialize(PG_FUNCTION_ARGS)
{
	DqKllAggState *st = (DqKllAggState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	initStringInfo(&buf);
	DqBufPutInt32(&buf, st->nfracs);
	if (st->nfracs > 0)
		DqBufPut(&buf, st->fracs, sizeof(double) * st->nfracs);
	DqKllSerialize(&st->kll, &buf);
	PG_RETURN_BYTEA_P(DqBufToBytea(&buf));
}

Datum
dq_kll_deserialize(PG_FUNCTION_ARGS)
{
	DqReadBuf	rb;
	DqKllAggState *st = palloc0(sizeof(DqKllAggState));

	DqReadBufInit(&rb, PG_GETARG_BYTEA_PP(0));
	st->nfracs = DqBufGetInt32(&rb);
	if (st->nfracs > DQ_KLL_MAX_FRACTIONS)
		elog(ERROR, "dq_lineage: invalid quantile sketch state");
	if (st->nfracs > 0)
	{
		st->fracs = palloc(sizeof(double) * st->nfracs);
		DqBufGet(&rb, st->fracs, sizeof(double) * st->nfracs);
	}
	DqKllDeserialize(&st->kll, &rb);
	PG_RETURN_POINTER(st);
}

/*
 * The result of a quantile aggregate's final function: the quantiles of
 * kll at the fractions as a float8[], or NULL when the sketch saw no value
 * (or the fractions are not known).
 */
Datum
DqKllQuantiles(FunctionCallInfo fcinfo, DqKll *kll, const double *fracs, int32 nfracs)
{
	DqKllSorted s;
	Datum	   *out;
	int			i;

	if (kll->n == 0 || nfracs < 0)
		PG_RETURN_NULL();
	DqKllSort(kll, &s);
	out = palloc(sizeof(Datum) * Max(nfracs, 1));
	for (i = 0; i < nfracs; i++)
	{
		double		q = fracs[i];

		out[i] = Float8GetDatum(q <= 0.0 ? kll->min :
								q >= 1.0 ? kll->max :
								DqKllSortedQuantile(&s, q));
	}
	return PointerGetDatum(construct_array(out, nfracs, FLOAT8OID,
										   sizeof(float8), FLOAT8PASSBYVAL,
										   TYPALIGN_DOUBLE));
}

Datum
dq_kll_final(PG_FUNCTION_ARGS)
{
	DqKllAggState *st = PG_ARGISNULL(0) ? NULL : (DqKllAggState *) PG_GETARG_POINTER(0);

	if (st == NULL)
		PG_RETURN_NULL();
	return DqKllQuantiles(fcinfo, &st->kll, st->fracs, st->nfracs);
}

/* ---------------------------------------------------------------------
 * approx_top_k
 * ---------------------------------------------------------------------
 */
typedef struct DqTopKAggState
{
	DqTypeInfo	ti;
	int32		k;
	DqTopK		topk;
} DqTopKAggState;

/* The k argument (argument argno) of a top-k aggregate, validated. */
int32
DqTopKArgK(FunctionCallInfo fcinfo, int argno)
{
	int32		k;

	DqRequireArg(fcinfo, argno, "k",
				 "Pass the number of values to report, for example 10.");
	k = PG_GETARG_INT32(argno);
	if (k < 1 || k > DQ_MAX_TOP_K)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be between 1 and %d", DQ_MAX_TOP_K),
				 errdetail("The value given was %d.", k),
				 errhint("Pass the number of values to report, for example 10.")));
	return k;
}

static DqTopKAggState *
DqTopKAggCreate(Oid typid, Oid collation, int32 k)
{
	DqTopKAggState *st = palloc0(sizeof(DqTopKAggState));

	DqTypeInfoInit(&st->ti, typid, collation);
	st->k = k;
	DqTopKInit(&st->topk, Max(64, 4 * k), st->ti.typlen, st->ti.typbyval);
	return st;
}

Datum
dq_topk_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx = DqAggContext(fcinfo, "dq_topk_trans");
	MemoryContext old;
	DqTopKAggState *st = PG_ARGISNULL(0) ? NULL : (DqTopKAggState *) PG_GETARG_POINTER(0);

	if (st == NULL)
	{
		int32		k = DqTopKArgK(fcinfo, 2);

		old = MemoryContextSwitchTo(aggctx);
		st = DqTopKAggCreate(get_fn_expr_argtype(fcinfo->flinfo, 1),
							 PG_GET_COLLATION(), k);
		MemoryContextSwitchTo(old);
	}
	if (!PG_ARGISNULL(1))
	{
		Datum		v;
		uint64		h = DqSketchArgHash(fcinfo, &st->ti, &v);

		old = MemoryContextSwitchTo(aggctx);
		(void) DqTopKAdd(&st->topk, h, v, NULL);
		MemoryContextSwitchTo(old);
	}
	PG_RETURN_POINTER(st);
}

static void *
DqTopKAggCreateLike(void *like)
{
	const DqTopKAggState *b = (const DqTopKAggState *) like;

	return DqTopKAggCreate(b->ti.typid, b->ti.collation, b->k);
}

static void
DqTopKAggMerge(void *dst, void *src, FunctionCallInfo fcinfo)
{
	DqTopKMerge(&((DqTopKAggState *) dst)->topk, &((const DqTopKAggState *) src)->topk);
}

Datum
dq_topk_combine(PG_FUNCTION_ARGS)
{
	return DqAggCombine(fcinfo, "dq_topk_combine", DqTopKAggCreateLike, DqTopKAggMerge);
}

Datum
dq_topk_serialize(PG_FUNCTION_ARGS)
{
	DqTopKAggState *st = (DqTopKAggState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	initStringInfo(&buf);
	DqBufPut(&buf, &st->ti.typid, sizeof(Oid));
	DqBufPut(&buf, &st->ti.collation, sizeof(Oid));
	DqBufPutInt32(&buf, st->k);
	DqTopKSerialize(&st->topk, &buf);
	PG_RETURN_BYTEA_P(DqBufToBytea(&buf));
}

Datum
dq_topk_deserialize(PG_FUNCTION_ARGS)
{
	DqReadBuf	rb;
	Oid			typid;
	Oid			collation;
	int32		k;
	DqTopKAggState *st;

	DqReadBufInit(&rb, PG_GETARG_BYTEA_PP(0));
	DqBufGet(&rb, &typid, sizeof(Oid));
	DqBufGet(&rb, &collation, sizeof(Oid));
	k = DqBufGetInt32(&rb);
	st = DqTopKAggCreate(typid, collation, k);
	DqTopKDeserialize(&st->topk, &rb);
	PG_RETURN_POINTER(st);
}

Datum
dq_topk_final(PG_FUNCTION_ARGS)
{
	DqTopKAggState *st = PG_ARGISNULL(0) ? NULL : (DqTopKAggState *) PG_GETARG_POINTER(0);
	DqJson		js = {0};

	if (st == NULL)
		PG_RETURN_NULL();
	DqTopKJson(&js, &st->topk, &st->ti, st->k);
	PG_RETURN_DATUM(DqJsonToJsonb(&js));
}
