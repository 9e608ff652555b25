/*-------------------------------------------------------------------------
 *
 * value_counts.c
 *	  dq.value_counts(anyelement): the non-NULL values of a column with the
 *	  number of rows holding each, as GE's details.value_counts, in one
 *	  pass and memory proportional to the number of distinct values.
 *
 * The distinct-value kinds (..._distinct_values_to_be_in_set, ...) report
 * these counts, and the chi-square kind tests them; both are computed by
 * the one scan of dq.validate.  Values are kept in an open-addressing hash
 * table keyed by the type's hash function (its default hash opclass) and
 * compared with its equality; the result is sorted by the type's btree
 * order:
 *
 *	 [{"value": v, "count": n}, ...]
 *
 * with numbers and booleans as JSON numbers and booleans, dates and
 * timestamps in ISO form and other values as their text (DqAppendDatumJson).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "base/agg_util.h"
#include "expect/expectations.h"
#include "expect/value_counts.h"

PG_FUNCTION_INFO_V1(dq_value_counts_trans);
PG_FUNCTION_INFO_V1(dq_value_counts_final);

/* Start a table for values of type typid compared under collation coll. */
DqValueCounts *
DqValueCountsCreate(Oid typid, Oid coll)
{
	DqValueCounts *vc = palloc0(sizeof(DqValueCounts));
	TypeCacheEntry *tce = lookup_type_cache(typid,
											TYPECACHE_HASH_PROC_FINFO |
											TYPECACHE_EQ_OPR_FINFO |
											TYPECACHE_CMP_PROC_FINFO);
	Oid			outfunc;
	bool		isvarlena;

	if (!OidIsValid(tce->hash_proc_finfo.fn_oid) || !OidIsValid(tce->eq_opr_finfo.fn_oid) ||
		!OidIsValid(tce->cmp_proc_finfo.fn_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("could not identify hash and comparison functions for type %s",
						format_type_be(typid)),
				 errhint("Count the values of a column whose type can be hashed and sorted, or cast it in a view.")));
	vc->typid = typid;
	vc->coll = OidIsValid(coll) ? coll : DEFAULT_COLLATION_OID;
	vc->hash = &tce->hash_proc_finfo;
	vc->eq = &tce->eq_opr_finfo;
	vc->cmp = &tce->cmp_proc_finfo;
	get_typlenbyval(typid, &vc->typlen, &vc->typbyval);
	getTypeOutputInfo(typid, &outfunc, &isvarlena);
	fmgr_info(outfunc, &vc->out);
	vc->size = 64;
	vc->slots = palloc0(sizeof(DqValueCount) * vc->size);
	vc->cxt = CurrentMemoryContext;
	return vc;
}

static void
DqValueCountsGrow(DqValueCounts *vc)
{
	DqValueCount *old = vc->slots;
	uint32		oldsize = vc->size;
	uint32		i;

	vc->size *= 2;
	vc->slots = MemoryContextAllocZero(vc->cxt, sizeof(DqValueCount) * vc->size);
	for (i = 0; i < oldsize; i++)
	{
		uint32		j;

		if (!old[i].used)
			continue;
		j = old[i].hash & (vc->size - 1);
		while (vc->slots[j].used)
			j = (j + 1) & (vc->size - 1);
		vc->slots[j] = old[i];
	}
	pfree(old);
}

/* Count one non-NULL value (copied into the table's context when new). */
void
DqValueCountsAdd(DqValueCounts *vc, Datum value, int64 n)
{
	uint32		h = DatumGetUInt32(FunctionCall1Coll(vc->hash, vc->coll, value));
	uint32		j;

	if ((vc->n + 1) * 2 > vc->size)
		DqValueCountsGrow(vc);
	for (j = h & (vc->size - 1); vc->slots[j].used; j = (j + 1) & (vc->size - 1))
	{
		if (vc->slots[j].hash == h &&
			DatumGetBool(FunctionCall2Coll(vc->eq, vc->coll, vc->slots[j].value, value)))
		{
			vc->slots[j].count += n;
			return;
		}
	}
	{
		MemoryContext old = MemoryContextSwitchTo(vc->cxt);

		vc->slots[j].value = datumCopy(value, vc->typbyval, vc->typlen);
		MemoryContextSwitchTo(old);
	}
	vc->slots[j].hash = h;
	vc->slots[j].count = n;
	vc->slots[j].used = true;
	vc->n++;
}

static DqValueCounts *DqSortCounts;	/* qsort context */

static int
DqValueCountCmp(const void *a, const void *b)
{
	const DqValueCount *x = a;
	const DqValueCount *y = b;

	return DatumGetInt32(FunctionCall2Coll(DqSortCounts->cmp, DqSortCounts->coll,
										   x->value, y->value));
}

/* The distinct values sorted by the type's order; *n gets their number. */
DqValueCount *
DqValueCountsSorted(DqValueCounts *vc, int *n)
{
	DqValueCount *out = palloc(sizeof(DqValueCount) * Max(vc->n, 1));
	uint32		i;
	int			k = 0;

	for (i = 0; i < vc->size; i++)
		if (vc->slots[i].used)
			out[k++] = vc->slots[i];
	DqSortCounts = vc;
	qsort(out, k, sizeof(DqValueCount), DqValueCountCmp);
	*n = k;
	return out;
}

/* [{"value": v, "count": n}, ...] in the type's order. */
char *
DqValueCountsJson(DqValueCounts *vc)
{
	StringInfoData buf;
	int			n;
	DqValueCount *sorted = DqValueCountsSorted(vc, &n);
	int			i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (i = 0; i < n; i++)
	{
		appendStringInfoString(&buf, i ? ", {\"value\": " : "{\"value\": ");
		DqAppendDatumJson(&buf, vc->typid, &vc->out, sorted[i].value);
		appendStringInfo(&buf, ", \"count\": " INT64_FORMAT "}", sorted[i].count);
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/*
 * dq.value_counts(anyelement) transition: the table lives in the
 * aggregate's context.
 */
Datum
dq_value_counts_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	DqValueCounts *vc;

	aggcxt = DqAggContext(fcinfo, "dq_value_counts_trans");
	vc = PG_ARGISNULL(0) ? NULL : (DqValueCounts *) PG_GETARG_POINTER(0);
	if (vc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		vc = DqValueCountsCreate(get_fn_expr_argtype(fcinfo->flinfo, 1),
								 PG_GET_COLLATION());
		MemoryContextSwitchTo(old);
	}
	if (!PG_ARGISNULL(1))
		DqValueCountsAdd(vc, PG_GETARG_DATUM(1), 1);
	PG_RETURN_POINTER(vc);
}

Datum
dq_value_counts_final(PG_FUNCTION_ARGS)
{
	DqValueCounts *vc = PG_ARGISNULL(0) ? NULL : (DqValueCounts *) PG_GETARG_POINTER(0);
	const char *json = (vc == NULL) ? "[]" : DqValueCountsJson(vc);

	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
}
