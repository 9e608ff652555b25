/*-------------------------------------------------------------------------
 *
 * exact_distinct.c
 *	  dq.exact_distinct(anyelement): the exact number of distinct non-NULL
 *	  values, as count(DISTINCT x), but hash-based and parallel.
 *
 * count(DISTINCT x) sorts every value, and an aggregate with DISTINCT
 * keeps PostgreSQL from planning the query it is in as a parallel
 * aggregate: one such statistic made dq.validate's whole one-scan query run
 * in one process.  This aggregate keeps the distinct values in a hash table
 * (the type's default hash function and equality, under the column's
 * collation, so nondeterministic collations count as count(DISTINCT)
 * does); partial states of parallel workers are serialized as their
 * distinct values and merged by the leader.
 *
 * Memory stays bounded: once the table holds more than work_mem, its
 * values go to a tuplesort (which spills to temporary files beyond
 * work_mem), and so do the values that follow; the final function sorts
 * them and counts the runs of equal values.  The count stays exact.  A
 * worker's spilled state is serialized as its distinct values, read back
 * in sorted order, at most 1 GB of them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_locale.h"
#include "utils/tuplesort.h"
#include "utils/typcache.h"

#include "base/agg_util.h"
#include "base/hash.h"

PG_FUNCTION_INFO_V1(dq_exact_distinct_trans);
PG_FUNCTION_INFO_V1(dq_exact_distinct_combine);
PG_FUNCTION_INFO_V1(dq_exact_distinct_serialize);
PG_FUNCTION_INFO_V1(dq_exact_distinct_deserialize);
PG_FUNCTION_INFO_V1(dq_exact_distinct_final);

typedef struct DqDistinctSlot
{
	uint32		hash;
	bool		used;
	Datum		value;
} DqDistinctSlot;

typedef struct DqDistinct
{
	MemoryContext cxt;			/* the aggregate's context */
	Oid			typid;
	Oid			coll;
	int16		typlen;
	bool		typbyval;
	FmgrInfo	hash;
	FmgrInfo	eq;
	bool		as_bytes;		/* text under a deterministic collation:
								 * hashed and compared as bytes */
	Oid			ltop;			/* sort operator of the spill */
	/* the hash table */
	DqDistinctSlot *slots;
	uint32		size;			/* a power of 2 */
	uint32		n;
	Size		mem;			/* bytes of values and slots */
	/* after spilling: every value since, distinct or not */
	Tuplesortstate *sort;
	bool		spent;			/* the spilled values were read */
	MemoryContextCallback cb;	/* ends the sort with the context */
	int64		final_count;	/* -1 until counted */
} DqDistinct;

/* the hash table's memory before it spills: hash_mem (work_mem x hash_mem_multiplier) */
static Size
DqDistinctLimit(void)
{
	return get_hash_memory_limit();
}

static void
DqDistinctEndSort(void *arg)
{
	DqDistinct *d = arg;

	if (d->sort != NULL)
	{
		tuplesort_end(d->sort);
		d->sort = NULL;
	}
}

static DqDistinct *
DqDistinctNew(MemoryContext cxt, Oid typid, Oid coll)
{
	DqDistinct *d = MemoryContextAllocZero(cxt, sizeof(DqDistinct));
	TypeCacheEntry *tce = lookup_type_cache(typid, TYPECACHE_HASH_PROC_FINFO |
											TYPECACHE_EQ_OPR_FINFO |
											TYPECACHE_LT_OPR);

	if (!OidIsValid(tce->hash_proc_finfo.fn_oid) || !OidIsValid(tce->eq_opr_finfo.fn_oid) ||
		!OidIsValid(tce->lt_opr))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("could not identify hash, equality and sort functions for type %s",
						format_type_be(typid)),
				 errhint("dq.exact_distinct needs a type with a default hash and btree operator class; use count(DISTINCT ...) for others.")));
	d->cxt = cxt;
	d->typid = typid;
	d->coll = coll;
	d->typlen = tce->typlen;
	d->typbyval = tce->typbyval;
	fmgr_info_cxt(tce->hash_proc_finfo.fn_oid, &d->hash, cxt);
	fmgr_info_cxt(tce->eq_opr_finfo.fn_oid, &d->eq, cxt);
	d->ltop = tce->lt_opr;
	/* what texteq and hashtext do for such collations, without the calls */
	d->as_bytes = (getBaseType(typid) == TEXTOID || getBaseType(typid) == VARCHAROID) &&
		OidIsValid(coll) && (lc_collate_is_c(coll) || get_collation_isdeterministic(coll));
	d->size = 256;
	d->slots = MemoryContextAllocZero(cxt, sizeof(DqDistinctSlot) * d->size);
	d->mem = sizeof(DqDistinctSlot) * d->size;
	d->final_count = -1;
	return d;
}

static void
DqDistinctSpill(DqDistinct *d)
{
	MemoryContext old = MemoryContextSwitchTo(d->cxt);
	uint32		i;

	d->sort = tuplesort_begin_datum(d->typid, d->ltop, d->coll, false, work_mem,
									NULL, TUPLESORT_NONE);
	d->cb.func = DqDistinctEndSort;
	d->cb.arg = d;
	MemoryContextRegisterResetCallback(d->cxt, &d->cb);
	for (i = 0; i < d->size; i++)
		if (d->slots[i].used)
		{
			tuplesort_putdatum(d->sort, d->slots[i].value, false);
			if (!d->typbyval)
				pfree(DatumGetPointer(d->slots[i].value));
		}
	pfree(d->slots);
	d->slots = NULL;
	d->n = 0;
	d->mem = 0;
	MemoryContextSwitchTo(old);
}

static void
DqDistinctGrow(DqDistinct *d)
{
	uint32		newsize = d->size * 2;
	DqDistinctSlot *ns = MemoryContextAllocHuge(d->cxt, sizeof(DqDistinctSlot) * newsize);
	uint32		i;

	memset(ns, 0, sizeof(DqDistinctSlot) * newsize);
	for (i = 0; i < d->size; i++)
		if (d->slots[i].used)
		{
			uint32		j = d->slots[i].hash & (newsize - 1);

			while (ns[j].used)
				j = (j + 1) & (newsize - 1);
			ns[j] = d->slots[i];
		}
	pfree(d->slots);
	d->mem += sizeof(DqDistinctSlot) * (newsize - d->size);
	d->slots = ns;
	d->size = newsize;
}

/* Add one non-NULL value (copied when new). */
static void
DqDistinctAdd(DqDistinct *d, Datum value)
{
	uint32		h;
	uint32		j;

	if (d->spent)
		elog(ERROR, "dq.exact_distinct: state used after it was read");
	if (d->sort != NULL)
	{
		tuplesort_putdatum(d->sort, value, false);
		return;
	}
	if (d->as_bytes)
	{
		text	   *t = DatumGetTextPP(value);
		const char *p = VARDATA_ANY(t);
		int			len = VARSIZE_ANY_EXHDR(t);

		value = PointerGetDatum(t);
		h = (uint32) DqHashBytes(p, len, 0);
		j = h & (d->size - 1);
		while (d->slots[j].used)
		{
			text	   *o = (text *) DatumGetPointer(d->slots[j].value);

			if (d->slots[j].hash == h && VARSIZE_ANY_EXHDR(o) == len &&
				memcmp(VARDATA_ANY(o), p, len) == 0)
				return;
			j = (j + 1) & (d->size - 1);
		}
	}
	else
	{
		h = DatumGetUInt32(FunctionCall1Coll(&d->hash, d->coll, value));
		j = h & (d->size - 1);
		while (d->slots[j].used)
		{
			if (d->slots[j].hash == h &&
				DatumGetBool(FunctionCall2Coll(&d->eq, d->coll, d->slots[j].value, value)))
				return;
			j = (j + 1) & (d->size - 1);
		}
	}
	d->slots[j].used = true;
	d->slots[j].hash = h;
	if (d->typbyval)
		d->slots[j].value = value;
	else
	{
		MemoryContext old = MemoryContextSwitchTo(d->cxt);

		d->slots[j].value = datumCopy(value, false, d->typlen);
		MemoryContextSwitchTo(old);
	}
	if (!d->typbyval)
		d->mem += datumGetSize(d->slots[j].value, false, d->typlen);
	d->n++;
	if (d->mem > DqDistinctLimit())
		DqDistinctSpill(d);
	else if (d->n * 4 > d->size * 3)
		DqDistinctGrow(d);
}

/*
 * Visit every distinct value: the table's, or the spilled values in
 * sorted order with repeats skipped (which finishes the sort).
 */
typedef void (*DqDistinctVisit) (void *arg, Datum value);

static int64
DqDistinctEach(DqDistinct *d, DqDistinctVisit visit, void *arg)
{
	int64		count = 0;

	if (d->spent)
		elog(ERROR, "dq.exact_distinct: state read twice");
	if (d->sort == NULL)
	{
		uint32		i;

		for (i = 0; i < d->size; i++)
			if (d->slots[i].used)
			{
				if (visit)
					visit(arg, d->slots[i].value);
				count++;
			}
		return count;
	}
	else
	{
		Datum		prev = (Datum) 0;
		bool		have = false;
		Datum		v;
		bool		isnull;

		tuplesort_performsort(d->sort);
		while (tuplesort_getdatum(d->sort, true, &v, &isnull, NULL))
		{
			CHECK_FOR_INTERRUPTS();
			if (have && DatumGetBool(FunctionCall2Coll(&d->eq, d->coll, prev, v)))
			{
				if (!d->typbyval)
					pfree(DatumGetPointer(v));
				continue;
			}
			if (visit)
				visit(arg, v);
			count++;
			if (have && !d->typbyval)
				pfree(DatumGetPointer(prev));
			prev = v;
			have = true;
		}
		DqDistinctEndSort(d);
		d->spent = true;
		return count;
	}
}

Datum
dq_exact_distinct_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	DqDistinct *d;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "dq_exact_distinct_trans called in non-aggregate context");
	if (PG_ARGISNULL(0))
	{
		Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, 1);

		if (!OidIsValid(typid))
			elog(ERROR, "dq_exact_distinct_trans: could not determine the argument's type");
		d = DqDistinctNew(aggcxt, typid, PG_GET_COLLATION());
	}
	else
		d = (DqDistinct *) PG_GETARG_POINTER(0);
	if (!PG_ARGISNULL(1))
		DqDistinctAdd(d, PG_GETARG_DATUM(1));
	PG_RETURN_POINTER(d);
}

static void
DqDistinctAddVisit(void *arg, Datum value)
{
	DqDistinctAdd((DqDistinct *) arg, value);
}

/* An empty set of the type and collation of another (DqAggCombine). */
static void *
DqDistinctCreateLike(void *like)
{
	DqDistinct *b = (DqDistinct *) like;

	return DqDistinctNew(CurrentMemoryContext, b->typid, b->coll);
}

static void
DqDistinctMerge(void *dst, void *src, FunctionCallInfo fcinfo)
{
	(void) DqDistinctEach((DqDistinct *) src, DqDistinctAddVisit, dst);
}

Datum
dq_exact_distinct_combine(PG_FUNCTION_ARGS)
{
	return DqAggCombine(fcinfo, "dq_exact_distinct_combine", DqDistinctCreateLike,
						DqDistinctMerge);
}

/* the serialized form: typid, collation, then each value's length and bytes */
typedef struct DqSerialize
{
	DqDistinct *d;
	StringInfoData buf;
} DqSerialize;

static void
DqDistinctWrite(void *arg, Datum value)
{
	DqSerialize *s = arg;
	DqDistinct *d = s->d;
	int32		len;

	if (d->typbyval)
	{
		len = sizeof(Datum);
		appendBinaryStringInfo(&s->buf, (char *) &len, sizeof(len));
		appendBinaryStringInfo(&s->buf, (char *) &value, sizeof(Datum));
		return;
	}
	if (d->typlen == -1)
	{
		struct varlena *v = PG_DETOAST_DATUM_PACKED(value);

		len = VARSIZE_ANY(v);
		appendBinaryStringInfo(&s->buf, (char *) &len, sizeof(len));
		appendBinaryStringInfo(&s->buf, (char *) v, len);
		return;
	}
	len = (int32) datumGetSize(value, false, d->typlen);
	appendBinaryStringInfo(&s->buf, (char *) &len, sizeof(len));
	appendBinaryStringInfo(&s->buf, DatumGetPointer(value), len);
}

Datum
dq_exact_distinct_serialize(PG_FUNCTION_ARGS)
{
	DqSerialize s;
	bytea	   *out;

	s.d = (DqDistinct *) PG_GETARG_POINTER(0);
	initStringInfo(&s.buf);
	appendBinaryStringInfo(&s.buf, (char *) &s.d->typid, sizeof(Oid));
	appendBinaryStringInfo(&s.buf, (char *) &s.d->coll, sizeof(Oid));
	(void) DqDistinctEach(s.d, DqDistinctWrite, &s);
	out = palloc(VARHDRSZ + s.buf.len);
	SET_VARSIZE(out, VARHDRSZ + s.buf.len);
	memcpy(VARDATA(out), s.buf.data, s.buf.len);
	PG_RETURN_BYTEA_P(out);
}

Datum
dq_exact_distinct_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	const char *p = VARDATA_ANY(in);
	const char *end = p + VARSIZE_ANY_EXHDR(in);
	Oid			typid;
	Oid			coll;
	DqDistinct *d;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "dq_exact_distinct_deserialize called in non-aggregate context");
	if (end - p < (long) (2 * sizeof(Oid)))
		elog(ERROR, "dq_exact_distinct_deserialize: truncated state");
	memcpy(&typid, p, sizeof(Oid));
	memcpy(&coll, p + sizeof(Oid), sizeof(Oid));
	p += 2 * sizeof(Oid);
	d = DqDistinctNew(aggcxt, typid, coll);
	while (p < end)
	{
		int32		len;

		memcpy(&len, p, sizeof(len));
		p += sizeof(len);
		if (len < 0 || p + len > end)
			elog(ERROR, "dq_exact_distinct_deserialize: corrupt state");
		if (d->typbyval)
		{
			Datum		v;

			memcpy(&v, p, sizeof(Datum));
			DqDistinctAdd(d, v);
		}
		else
		{
			/* aligned copy: the type's functions read it in place */
			char	   *copy = palloc(len);

			memcpy(copy, p, len);
			DqDistinctAdd(d, PointerGetDatum(copy));
			pfree(copy);
		}
		p += len;
	}
	PG_RETURN_POINTER(d);
}

Datum
dq_exact_distinct_final(PG_FUNCTION_ARGS)
{
	DqDistinct *d;

	if (PG_ARGISNULL(0))
		PG_RETURN_INT64(0);
	d = (DqDistinct *) PG_GETARG_POINTER(0);
	/* a final function may be called again on the same state (window use) */
	if (d->final_count < 0)
		d->final_count = DqDistinctEach(d, NULL, NULL);
	PG_RETURN_INT64(d->final_count);
}
