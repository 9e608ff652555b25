/*-------------------------------------------------------------------------
 *
 * profile_row.c
 *	  dq.row_profile(collations oid[], VARIADIC "any"): every column of a
 *	  row in one aggregate call.  One transition call per row instead of
 *	  one per column saves the executor's per-aggregate overhead, which
 *	  dominates on narrow columns.  The final value is a jsonb array with
 *	  one dq.column_profile object per argument.  Collations are passed
 *	  explicitly because a call over columns of different collations has
 *	  no single input collation.
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
#include "utils/syscache.h"

#include "base/agg_util.h"
#include "base/spi_util.h"
#include "profile/profile_agg.h"

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

/*
 * Buffer the non-NULL value v of column i, detoasted and copied when it
 * is by reference.  Inlined: the trans function and DqRowProfileAdd call
 * it per value.
 */
static pg_attribute_always_inline void
DqRowBuffer(DqRowState *rs, int i, Datum v)
{
	DqColState *st = rs->cols[i];

	if (!st->ti.typbyval)
	{
		if (st->ti.typlen == -1 && !DqVarlenaIsPlain(v))
			v = PointerGetDatum(PG_DETOAST_DATUM_PACKED(v));
		v = DqRowKeep(rs, st, v);
	}
	rs->pending[(Size) i * DQ_ROW_BATCH + rs->npending[i]++] = v;
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

		aggctx = DqAggContext(fcinfo, "dq_row_profile_trans");
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
		if (PG_ARGISNULL(i + 2))
			rs->cols[i]->null_count++;
		else
			DqRowBuffer(rs, i, PG_GETARG_DATUM(i + 2));
	}
	if (++rs->nbuffered == DQ_ROW_BATCH || rs->spill_bytes >= DQ_ROW_COPY_MAX)
		DqRowFlush(rs, fcinfo);
	PG_RETURN_POINTER(rs);
}

/* An empty row state with the columns of another. */
static void *
DqRowCreateLike(void *like)
{
	DqRowState *b = like;
	DqRowState *rs = DqRowStateCreate(b->ncols);

	for (int i = 0; i < b->ncols; i++)
		rs->cols[i] = DqColStateCreate(b->cols[i]->ti.typid, b->cols[i]->ti.collation);
	return rs;
}

/* Merge the columns of src into dst, their batches added first. */
static void
DqRowMerge(void *dst, void *src, FunctionCallInfo fcinfo)
{
	DqRowState *rs1 = dst;
	DqRowState *rs2 = src;

	if (rs1->ncols != rs2->ncols)
		elog(ERROR, "dq_row_profile_combine: column counts differ");
	DqRowFlush(rs1, fcinfo);
	DqRowFlush(rs2, fcinfo);
	for (int i = 0; i < rs1->ncols; i++)
		DqColMerge(rs1->cols[i], rs2->cols[i], fcinfo);
}

Datum
dq_row_profile_combine(PG_FUNCTION_ARGS)
{
	return DqAggCombine(fcinfo, "dq_row_profile_combine", DqRowCreateLike, DqRowMerge);
}

Datum
dq_row_profile_serialize(PG_FUNCTION_ARGS)
{
	DqRowState *rs = (DqRowState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			i;

	(void) DqAggContext(fcinfo, "dq_row_profile_serialize");
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

	(void) DqAggContext(fcinfo, "dq_row_profile_deserialize");
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
		if (nulls[i])
			rs->cols[i]->null_count++;
		else
			DqRowBuffer(rs, i, values[i]);
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
