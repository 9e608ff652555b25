/*-------------------------------------------------------------------------
 *
 * sketch_pushdown.c
 *	  The sketch aggregates' twins that Citus pushes down to the shards of
 *	  a distributed table:
 *
 *		dq.approx_distinct_pushdown(bigint)		over dq.value_hash(x)
 *		dq.approx_quantiles_pushdown(float8, float8[])
 *		dq.approx_top_k_pushdown(bigint, text, integer)
 *												over dq.value_hash(x),
 *												dq.value_text(x), k
 *
 * They give what dq.approx_distinct, dq.approx_quantiles and
 * dq.approx_top_k give, with a dq.sketch_state instead of an internal
 * state (see sketch_state.h), and concrete argument types: Citus checks
 * that a pushed-down aggregate's declared argument types are those of its
 * arguments, so the polymorphic part (hashing a value of any type,
 * printing it) is done by the scalar functions dq.value_hash and
 * dq.value_text, which run on the workers like any expression.  The
 * planner hook (sketch_planner.c) rewrites the sketch aggregates into
 * these forms on distributed tables.
 *
 * A value hashes as in the sketch aggregates, so that the shards' HyperLogLogs
 * merge into the very sketch one node would have built; except for types
 * whose values are catalog OIDs that differ between nodes (enums, and
 * arrays, ranges, domains and composites of them), which hash their text.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "base/json_build.h"
#include "base/typeinfo.h"
#include "sketch/sketch_hll.h"
#include "sketch/sketch_quantile.h"
#include "sketch/sketch_sql.h"
#include "sketch/sketch_state.h"
#include "sketch/sketch_topk.h"

PG_FUNCTION_INFO_V1(dq_value_hash);
PG_FUNCTION_INFO_V1(dq_value_text);
PG_FUNCTION_INFO_V1(dq_hll_pushdown_trans);
PG_FUNCTION_INFO_V1(dq_hll_pushdown_combine);
PG_FUNCTION_INFO_V1(dq_hll_pushdown_final);
PG_FUNCTION_INFO_V1(dq_kll_pushdown_trans);
PG_FUNCTION_INFO_V1(dq_kll_pushdown_combine);
PG_FUNCTION_INFO_V1(dq_kll_pushdown_final);
PG_FUNCTION_INFO_V1(dq_topk_pushdown_trans);
PG_FUNCTION_INFO_V1(dq_topk_pushdown_combine);
PG_FUNCTION_INFO_V1(dq_topk_pushdown_final);

/* ---------------------------------------------------------------------
 * dq.value_hash(anyelement) and dq.value_text(anyelement)
 * ---------------------------------------------------------------------
 */

/* Does a value of typid contain an enum (whose OIDs differ per node)? */
static bool
DqTypeHasEnum(Oid typid, int depth)
{
	char		typtype;
	Oid			elem;

	check_stack_depth();
	if (depth > 32)
		return true;			/* be safe: hash the text */
	typtype = get_typtype(typid);
	if (typtype == TYPTYPE_ENUM)
		return true;
	if (typtype == TYPTYPE_DOMAIN)
		return DqTypeHasEnum(getBaseType(typid), depth + 1);
	if (typtype == TYPTYPE_RANGE)
		return DqTypeHasEnum(get_range_subtype(typid), depth + 1);
	if (typtype == TYPTYPE_MULTIRANGE)
		return DqTypeHasEnum(get_multirange_range(typid), depth + 1);
	elem = get_element_type(typid);
	if (OidIsValid(elem))
		return DqTypeHasEnum(elem, depth + 1);
	if (typtype == TYPTYPE_COMPOSITE || typid == RECORDOID)
	{
		TupleDesc	td;
		bool		found = false;
		int			i;

		if (typid == RECORDOID)
			return true;		/* anonymous: its columns are not known here */
		td = lookup_rowtype_tupdesc(typid, -1);
		for (i = 0; i < td->natts && !found; i++)
			if (!TupleDescAttr(td, i)->attisdropped)
				found = DqTypeHasEnum(TupleDescAttr(td, i)->atttypid, depth + 1);
		ReleaseTupleDesc(td);
		return found;
	}
	return false;
}

/* what dq.value_hash and dq.value_text keep in fn_extra */
typedef struct DqValueCache
{
	Oid			typid;
	Oid			collation;
	bool		hash_text;		/* hash the text form (enum inside) */
	DqTypeInfo	ti;
} DqValueCache;

static DqValueCache *
DqValueCacheGet(FunctionCallInfo fcinfo)
{
	DqValueCache *vc = (DqValueCache *) fcinfo->flinfo->fn_extra;
	Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, 0);
	Oid			collation = PG_GET_COLLATION();

	if (!OidIsValid(typid))
		ereport(ERROR,
				(errcode(ERRCODE_INDETERMINATE_DATATYPE),
				 errmsg("could not determine the type of the argument")));
	if (vc == NULL || vc->typid != typid || vc->collation != collation)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		vc = palloc0(sizeof(DqValueCache));
		vc->typid = typid;
		vc->collation = collation;
		vc->hash_text = DqTypeHasEnum(typid, 0);
		DqTypeInfoInit(&vc->ti, typid, collation);
		fcinfo->flinfo->fn_extra = vc;
		MemoryContextSwitchTo(old);
	}
	return vc;
}

/*
 * dq.value_hash(anyelement) RETURNS bigint: the 64-bit hash the sketch
 * aggregates use for the value.
 */
Datum
dq_value_hash(PG_FUNCTION_ARGS)
{
	DqValueCache *vc = DqValueCacheGet(fcinfo);
	Datum		v = PG_GETARG_DATUM(0);

	if (vc->hash_text)
	{
		char	   *s = DqDatumOutput(&vc->ti, v);

		PG_RETURN_INT64((int64) DqHashBytes(s, strlen(s), 0));
	}
	if (vc->ti.typlen == -1)
		v = PointerGetDatum(PG_DETOAST_DATUM_PACKED(v));
	PG_RETURN_INT64((int64) DqDatumHash(&vc->ti, v));
}

/*
 * dq.value_text(anyelement) RETURNS text: the value printed by its type's
 * output function, as the top-values sketch prints it.
 */
Datum
dq_value_text(PG_FUNCTION_ARGS)
{
	DqValueCache *vc = DqValueCacheGet(fcinfo);

	PG_RETURN_TEXT_P(cstring_to_text(DqDatumOutput(&vc->ti, PG_GETARG_DATUM(0))));
}

/* ---------------------------------------------------------------------
 * dq.approx_distinct_pushdown(bigint)
 * ---------------------------------------------------------------------
 */
static void
DqHllWrite(void *obj, StringInfo buf, FunctionCallInfo fcinfo)
{
	DqHllSerialize((DqHll *) obj, buf);
}

static void *
DqHllRead(DqReadBuf *rb, FunctionCallInfo fcinfo)
{
	DqHll	   *hll = palloc(sizeof(DqHll));

	DqHllDeserialize(hll, rb);
	return hll;
}

static void
DqHllPushMerge(void *dst, void *src, FunctionCallInfo fcinfo)
{
	DqHllMerge((DqHll *) dst, (DqHll *) src);
}

static const DqSketchOps DqHllOps = {DQ_SKETCH_HLL, "hll", DqHllWrite, DqHllRead, DqHllPushMerge};

Datum
dq_hll_pushdown_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	DqSketchState *st = DqSketchTransArg(fcinfo, 0, &DqHllOps, &aggctx);
	MemoryContext old = MemoryContextSwitchTo(st->hdr.eoh_context);

	if (st->obj == NULL)
	{
		st->obj = palloc(sizeof(DqHll));
		DqHllInit((DqHll *) st->obj);
	}
	if (!PG_ARGISNULL(1))
	{
		DqSketchChanged(st);
		DqHllAdd((DqHll *) st->obj, (uint64) PG_GETARG_INT64(1));
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_DATUM(DqSketchResult(st));
}

Datum
dq_hll_pushdown_combine(PG_FUNCTION_ARGS)
{
	return DqSketchCombine(fcinfo, &DqHllOps);
}

Datum
dq_hll_pushdown_final(PG_FUNCTION_ARGS)
{
	DqHll	   *hll = (DqHll *) DqSketchPeek(fcinfo, 0, &DqHllOps);

	if (hll == NULL)
		PG_RETURN_INT64(0);
	PG_RETURN_INT64((int64) llround(DqHllEstimate(hll)));
}

/* ---------------------------------------------------------------------
 * dq.approx_quantiles_pushdown(float8, float8[])
 * ---------------------------------------------------------------------
 */
typedef struct DqKllPushState
{
	int32		nfracs;			/* -1 until the fractions are known */
	double	   *fracs;
	DqKll		kll;
} DqKllPushState;

/* largest number of fractions a state may carry */
#define DQ_MAX_FRACTIONS 10000

static void
DqKllPushWrite(void *obj, StringInfo buf, FunctionCallInfo fcinfo)
{
	DqKllPushState *st = (DqKllPushState *) obj;

	DqBufPutInt32(buf, st->nfracs);
	if (st->nfracs > 0)
		DqBufPut(buf, st->fracs, sizeof(double) * st->nfracs);
	DqKllSerialize(&st->kll, buf);
}

static void *
DqKllPushRead(DqReadBuf *rb, FunctionCallInfo fcinfo)
{
	DqKllPushState *st = palloc0(sizeof(DqKllPushState));
	int			i;

	st->nfracs = DqBufGetInt32(rb);
	if (st->nfracs < -1 || st->nfracs > DQ_MAX_FRACTIONS)
		DqBufInvalid("quantile sketch");
	st->fracs = palloc(sizeof(double) * Max(st->nfracs, 1));
	if (st->nfracs > 0)
		DqBufGet(rb, st->fracs, sizeof(double) * st->nfracs);
	for (i = 0; i < st->nfracs; i++)
		if (!(st->fracs[i] >= 0.0 && st->fracs[i] <= 1.0))
			DqBufInvalid("quantile sketch");
	DqKllDeserialize(&st->kll, rb);
	return st;
}

/* The fractions of whichever state has them, and both sketches merged. */
static void
DqKllPushMerge(void *dst, void *src, FunctionCallInfo fcinfo)
{
	DqKllPushState *a = (DqKllPushState *) dst;
	DqKllPushState *b = (DqKllPushState *) src;

	if (a->nfracs < 0 && b->nfracs >= 0)
	{
		a->nfracs = b->nfracs;
		a->fracs = palloc(sizeof(double) * Max(b->nfracs, 1));
		memcpy(a->fracs, b->fracs, sizeof(double) * b->nfracs);
	}
	DqKllMerge(&a->kll, &b->kll);
}

static const DqSketchOps DqKllOps = {DQ_SKETCH_KLL, "kll", DqKllPushWrite, DqKllPushRead, DqKllPushMerge};

Datum
dq_kll_pushdown_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	DqSketchState *sk = DqSketchTransArg(fcinfo, 0, &DqKllOps, &aggctx);
	MemoryContext old = MemoryContextSwitchTo(sk->hdr.eoh_context);
	DqKllPushState *st = (DqKllPushState *) sk->obj;

	if (st == NULL)
	{
		st = palloc0(sizeof(DqKllPushState));
		st->nfracs = -1;
		DqKllInit(&st->kll, DQ_KLL_K);
		sk->obj = st;
	}
	if (st->nfracs < 0)
	{
		if (PG_ARGISNULL(2))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("fractions must not be NULL"),
					 errhint("Pass fractions such as ARRAY[0.5, 0.95].")));
		DqKllReadFractions(PG_GETARG_ARRAYTYPE_P(2), &st->fracs, &st->nfracs);
		if (st->nfracs > DQ_MAX_FRACTIONS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("at most %d fractions may be asked for", DQ_MAX_FRACTIONS),
					 errhint("Ask for fewer quantiles.")));
		DqSketchChanged(sk);
	}
	if (!PG_ARGISNULL(1))
	{
		double		v = PG_GETARG_FLOAT8(1);

		if (!isnan(v))
		{
			DqSketchChanged(sk);
			DqKllAdd(&st->kll, v);
		}
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_DATUM(DqSketchResult(sk));
}

Datum
dq_kll_pushdown_combine(PG_FUNCTION_ARGS)
{
	return DqSketchCombine(fcinfo, &DqKllOps);
}

Datum
dq_kll_pushdown_final(PG_FUNCTION_ARGS)
{
	DqKllPushState *st = (DqKllPushState *) DqSketchPeek(fcinfo, 0, &DqKllOps);

	if (st == NULL)
		PG_RETURN_NULL();
	return DqKllQuantiles(fcinfo, &st->kll, st->fracs, st->nfracs);
}

/* ---------------------------------------------------------------------
 * dq.approx_top_k_pushdown(bigint, text, integer)
 * ---------------------------------------------------------------------
 */
typedef struct DqTopKPushState
{
	int32		k;
	DqTopK		topk;			/* text values */
} DqTopKPushState;

static void
DqTopKPushWrite(void *obj, StringInfo buf, FunctionCallInfo fcinfo)
{
	DqTopKPushState *st = (DqTopKPushState *) obj;

	DqBufPutInt32(buf, st->k);
	DqTopKSerialize(&st->topk, buf);
}

static void *
DqTopKPushRead(DqReadBuf *rb, FunctionCallInfo fcinfo)
{
	DqTopKPushState *st = palloc0(sizeof(DqTopKPushState));

	st->k = DqBufGetInt32(rb);
	if (st->k < 1 || st->k > DQ_MAX_TOP_K)
		DqBufInvalid("top-values sketch");
	DqTopKDeserialize(&st->topk, rb);
	if (st->topk.typlen != -1 || st->topk.typbyval)
		DqBufInvalid("top-values sketch");
	return st;
}

static void
DqTopKPushMerge(void *dst, void *src, FunctionCallInfo fcinfo)
{
	DqTopKMerge(&((DqTopKPushState *) dst)->topk, &((DqTopKPushState *) src)->topk);
}

static const DqSketchOps DqTopKOps = {DQ_SKETCH_TOPK, "topk", DqTopKPushWrite, DqTopKPushRead, DqTopKPushMerge};

Datum
dq_topk_pushdown_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	DqSketchState *sk = DqSketchTransArg(fcinfo, 0, &DqTopKOps, &aggctx);
	MemoryContext old = MemoryContextSwitchTo(sk->hdr.eoh_context);
	DqTopKPushState *st = (DqTopKPushState *) sk->obj;

	if (st == NULL)
	{
		st = palloc0(sizeof(DqTopKPushState));
		st->k = DqTopKArgK(fcinfo, 3);
		DqTopKInit(&st->topk, Max(64, 4 * st->k), -1, false);
		sk->obj = st;
	}
	/* a value whose hash or text is missing is a NULL value: not counted */
	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
	{
		Datum		v = PointerGetDatum(PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(2)));

		DqSketchChanged(sk);
		(void) DqTopKAdd(&st->topk, (uint64) PG_GETARG_INT64(1), v, NULL);
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_DATUM(DqSketchResult(sk));
}

Datum
dq_topk_pushdown_combine(PG_FUNCTION_ARGS)
{
	return DqSketchCombine(fcinfo, &DqTopKOps);
}

Datum
dq_topk_pushdown_final(PG_FUNCTION_ARGS)
{
	DqTopKPushState *st = (DqTopKPushState *) DqSketchPeek(fcinfo, 0, &DqTopKOps);
	DqTypeInfo	ti;
	DqJson		js = {0};

	if (st == NULL)
		PG_RETURN_NULL();
	DqTypeInfoInit(&ti, TEXTOID, InvalidOid);
	DqTopKJson(&js, &st->topk, &ti, st->k);
	PG_RETURN_DATUM(DqJsonToJsonb(&js));
}
