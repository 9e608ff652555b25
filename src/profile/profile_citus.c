/*-------------------------------------------------------------------------
 *
 * profile_citus.c
 *	  dq.profile of a Citus distributed table, computed on the shards.
 *
 * dq.row_profile(collations oid[], VARIADIC "any") has an internal state
 * and polymorphic arguments: Citus would gather every row on the
 * coordinator.  Its twin
 *
 *	 dq.row_profile_pushdown(collations text[], columns record)
 *
 * keeps the same column states (profile_agg.c) in a dq.sketch_state and
 * takes the columns as one record, ROW(c1, c2, ...): a pushed-down
 * aggregate's arguments must have the declared types, and a record
 * carries the columns' types with it.  Citus runs it on every shard
 * (worker_partial_agg), ships the states as text and merges them on the
 * coordinator (coord_combine_agg); the result is the jsonb array that
 * dq.row_profile returns, so dq.profile stores it unchanged.
 *
 * The states cross nodes, whose OIDs of collations may differ and whose
 * types' internal formats must be readable by the other side: a state
 * names each column's collation, and only columns of the built-in types
 * below are profiled this way.  Domains are profiled as their base type.
 * Columns of other types (enums, arrays, composite and extension types)
 * are profiled by dq.row_profile in a second query that Citus runs by
 * gathering only those columns' values.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tupdesc.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "base/citus.h"
#include "profile/profile_agg.h"
#include "profile/profile_citus.h"
#include "sketch/sketch_state.h"

PG_FUNCTION_INFO_V1(dq_row_profile_pushdown_trans);
PG_FUNCTION_INFO_V1(dq_row_profile_pushdown_combine);
PG_FUNCTION_INFO_V1(dq_row_profile_pushdown_final);

/* most columns a state may describe (a record's limit) */
#define DQ_ROWS_MAX_COLUMNS MaxTupleAttributeNumber

/*
 * Types whose values the shards' states may carry: built in (the same OID
 * on every node) and stored in a form whose shape can be checked when a
 * state is read.
 */
bool
DqProfilePushdownType(Oid typid)
{
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
		case BOOLOID:
		case DATEOID:
		case TIMEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case INTERVALOID:
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case UUIDOID:
		case BYTEAOID:
			return true;
		default:
			return false;
	}
}

/* The twin's state: the row profile and what the rows look like. */
typedef struct DqRowsPush
{
	int32		ncols;
	Oid		   *typids;			/* base types, this node's */
	Oid		   *collations;		/* this node's */
	char	  **collnames;		/* qualified names, "" for none */
	Oid			rectype;		/* the input records' type and typmod */
	int32		rectypmod;
	TupleDesc	tupdesc;		/* a copy, for deforming them */
	Datum	   *values;
	bool	   *nulls;
	DqRowState *rs;
} DqRowsPush;

static void
DqRowsWrite(void *obj, StringInfo buf, FunctionCallInfo fcinfo)
{
	DqRowsPush *p = (DqRowsPush *) obj;
	int			i;

	DqBufPutInt32(buf, p->ncols);
	for (i = 0; i < p->ncols; i++)
	{
		int32		len = strlen(p->collnames[i]);

		DqBufPutInt32(buf, (int32) p->typids[i]);
		DqBufPutInt32(buf, len);
		DqBufPut(buf, p->collnames[i], len);
	}
	for (i = 0; i < p->ncols; i++)
		DqRowProfileWriteColumn(p->rs, i, buf, fcinfo);
}

static void *
DqRowsRead(DqReadBuf *rb, FunctionCallInfo fcinfo)
{
	DqRowsPush *p = palloc0(sizeof(DqRowsPush));
	int			i;

	p->ncols = DqBufGetInt32(rb);
	if (p->ncols < 1 || p->ncols > DQ_ROWS_MAX_COLUMNS)
		DqBufInvalid("row profile");
	p->typids = palloc(sizeof(Oid) * p->ncols);
	p->collations = palloc(sizeof(Oid) * p->ncols);
	p->collnames = palloc(sizeof(char *) * p->ncols);
	for (i = 0; i < p->ncols; i++)
	{
		int32		len;

		p->typids[i] = (Oid) DqBufGetInt32(rb);
		len = DqBufGetInt32(rb);
		if (!DqProfilePushdownType(p->typids[i]) || len < 0 || len >= NAMEDATALEN * 3 ||
			(Size) len > DqBufLeft(rb))
			DqBufInvalid("row profile");
		p->collnames[i] = palloc(len + 1);
		DqBufGet(rb, p->collnames[i], len);
		p->collnames[i][len] = '\0';
		if (strlen(p->collnames[i]) != (Size) len)
			DqBufInvalid("row profile");
		p->collations[i] = DqCollationByName(p->collnames[i]);
	}
	p->rs = DqRowProfileRead(p->ncols, rb, p->typids, p->collations, fcinfo);
	p->rectype = InvalidOid;
	return p;
}

/* Merge the profiles of src into dst; both must be of the same columns. */
static void
DqRowsMerge(void *dst, void *src, FunctionCallInfo fcinfo)
{
	DqRowsPush *a = (DqRowsPush *) dst;
	DqRowsPush *b = (DqRowsPush *) src;
	int			i;

	for (i = 0; i < a->ncols && a->ncols == b->ncols; i++)
		if (a->typids[i] != b->typids[i] || a->collations[i] != b->collations[i])
			break;
	if (a->ncols != b->ncols || i < a->ncols)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cannot merge profiles of different columns")));
	DqRowProfileMerge(a->rs, b->rs, fcinfo);
}

static const DqSketchOps DqRowsOps = {DQ_SKETCH_ROWS, "rows", DqRowsWrite, DqRowsRead, DqRowsMerge};

/* Set up a state from the first row: the columns' types and collations. */
static DqRowsPush *
DqRowsCreate(FunctionCallInfo fcinfo, HeapTupleHeader rec)
{
	DqRowsPush *p = palloc0(sizeof(DqRowsPush));
	TupleDesc	td;
	Datum	   *elems;
	bool	   *enulls;
	int			nelems;
	int			i;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("collations must not be NULL"),
				 errhint("Pass one collation name per column, '' for none.")));
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &enulls, &nelems);
	td = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(rec),
								HeapTupleHeaderGetTypMod(rec));
	p->tupdesc = CreateTupleDescCopy(td);
	ReleaseTupleDesc(td);
	if (nelems != p->tupdesc->natts || nelems < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dq.row_profile_pushdown needs one collation per column"),
				 errdetail("%d collations were given for %d columns.",
						   nelems, p->tupdesc->natts),
				 errhint("Pass one collation name per column, '' for none.")));
	p->ncols = nelems;
	p->rectype = HeapTupleHeaderGetTypeId(rec);
	p->rectypmod = HeapTupleHeaderGetTypMod(rec);
	p->typids = palloc(sizeof(Oid) * nelems);
	p->collations = palloc(sizeof(Oid) * nelems);
	p->collnames = palloc(sizeof(char *) * nelems);
	p->values = palloc(sizeof(Datum) * nelems);
	p->nulls = palloc(sizeof(bool) * nelems);
	for (i = 0; i < nelems; i++)
	{
		Form_pg_attribute att = TupleDescAttr(p->tupdesc, i);

		p->typids[i] = getBaseType(att->atttypid);
		if (att->attisdropped || !DqProfilePushdownType(p->typids[i]))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("dq.row_profile_pushdown cannot profile a column of type %s",
							format_type_be(att->atttypid)),
					 errhint("Profile it with dq.row_profile or dq.column_profile.")));
		p->collations[i] = enulls[i] ? InvalidOid :
			DqCollationByName(TextDatumGetCString(elems[i]));
		p->collnames[i] = DqCollationName(p->collations[i]);
	}
	p->rs = DqRowProfileCreate(nelems, p->typids, p->collations);
	return p;
}

/*
 * dq.row_profile_pushdown transition function: one row, as a record.
 */
Datum
dq_row_profile_pushdown_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	DqSketchState *sk = DqSketchTransArg(fcinfo, 0, &DqRowsOps, &aggctx);
	DqRowsPush *p = (DqRowsPush *) sk->obj;
	HeapTupleHeader rec;
	HeapTupleData tup;
	MemoryContext old;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the row must not be NULL"),
				 errhint("Pass the columns as ROW(c1, c2, ...).")));
	rec = PG_GETARG_HEAPTUPLEHEADER(2);
	old = MemoryContextSwitchTo(sk->hdr.eoh_context);
	if (p == NULL)
		sk->obj = p = DqRowsCreate(fcinfo, rec);
	else if (p->rectype == InvalidOid)
	{
		/* a state read back from its flat form: rows must match its columns */
		DqRowsPush *q = DqRowsCreate(fcinfo, rec);
		int			i;

		for (i = 0; i < q->ncols && q->ncols == p->ncols; i++)
			if (q->typids[i] != p->typids[i])
				break;
		if (q->ncols != p->ncols || i < q->ncols)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("the row does not have the columns of the profile")));
		q->rs = p->rs;
		sk->obj = p = q;
	}
	else if (HeapTupleHeaderGetTypeId(rec) != p->rectype ||
			 HeapTupleHeaderGetTypMod(rec) != p->rectypmod)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the rows of dq.row_profile_pushdown must all have the same columns")));
	DqSketchChanged(sk);
	MemoryContextSwitchTo(old);

	tup.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tup.t_self);
	tup.t_tableOid = InvalidOid;
	tup.t_data = rec;
	heap_deform_tuple(&tup, p->tupdesc, p->values, p->nulls);

	old = MemoryContextSwitchTo(sk->hdr.eoh_context);
	DqRowProfileAdd(p->rs, p->values, p->nulls, fcinfo);
	MemoryContextSwitchTo(old);
	PG_RETURN_DATUM(DqSketchResult(sk));
}

Datum
dq_row_profile_pushdown_combine(PG_FUNCTION_ARGS)
{
	return DqSketchCombine(fcinfo, &DqRowsOps);
}

/*
 * The profiles as a jsonb array, NULL when no row was read (the state
 * then does not know the columns; dq.profile supplies empty profiles).
 */
Datum
dq_row_profile_pushdown_final(PG_FUNCTION_ARGS)
{
	DqRowsPush *p = (DqRowsPush *) DqSketchPeek(fcinfo, 0, &DqRowsOps);

	if (p == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(DqRowProfileResult(p->rs, fcinfo));
}

/* ---------------------------------------------------------------------
 * The scan of dq.profile on a distributed table
 * ---------------------------------------------------------------------
 */

/* One column to profile, as dq.profile describes it. */
typedef struct DqCitusCol
{
	int			index;			/* position among the profiled columns */
	bool		pushdown;		/* profiled on the shards */
	int			pos;			/* position in its aggregate call */
	int			call;			/* which dq.row_profile call (fallback) */
} DqCitusCol;

/*
 * The query dq.profile runs on a distributed table.  It returns what the
 * query of a local table returns (profile.c): count(*), then one jsonb
 * array per group of per_call columns, then with exact the distinct
 * counts; but its profiles come from dq.row_profile_pushdown on the
 * shards, and only columns of other types are gathered.
 */
char *
DqProfileCitusQuery(const char *qualname, int ncols, char **names, Oid *typids,
					Oid *collations, int per_call, const char *sample,
					bool exact, const char *const *distinct_exprs,
					FunctionCallInfo fcinfo)
{
	DqCitusCol *cols = palloc0(sizeof(DqCitusCol) * Max(ncols, 1));
	StringInfoData q;
	StringInfoData colls;
	StringInfoData row;
	int			npush = 0;
	int			nfall = 0;
	int			i;
	int			start;
	char	   *empty;

	for (i = 0; i < ncols; i++)
	{
		cols[i].index = i;
		cols[i].pushdown = DqProfilePushdownType(getBaseType(typids[i]));
		if (cols[i].pushdown)
			cols[i].pos = npush++;
		else
		{
			cols[i].call = nfall / per_call;
			cols[i].pos = nfall++ % per_call;
		}
	}

	initStringInfo(&q);
	initStringInfo(&colls);
	initStringInfo(&row);
	for (i = 0; i < ncols; i++)
	{
		const char *col = quote_identifier(names[i]);
		Oid			base = getBaseType(typids[i]);

		if (!cols[i].pushdown)
			continue;
		appendStringInfo(&colls, "%s%s", colls.len ? ", " : "",
						 quote_literal_cstr(DqCollationName(collations[i])));
		if (base != typids[i])
			appendStringInfo(&row, "%s%s::%s", row.len ? ", " : "", col,
							 format_type_be_qualified(base));
		else
			appendStringInfo(&row, "%s%s", row.len ? ", " : "", col);
	}
	empty = JsonbToCString(NULL, &DatumGetJsonbP(DqRowProfileEmpty(npush, fcinfo))->root, -1);

	/* the shards' part: count(*) and the pushed-down profiles */
	appendStringInfoString(&q, "SELECT p.n");
	for (start = 0; start < ncols; start += per_call)
	{
		int			end = Min(start + per_call, ncols);

		appendStringInfoString(&q, ", pg_catalog.jsonb_build_array(");
		for (i = start; i < end; i++)
		{
			if (cols[i].pushdown)
				appendStringInfo(&q, "%sp.a OPERATOR(pg_catalog.->) %d",
								 i > start ? ", " : "", cols[i].pos);
			else
				appendStringInfo(&q, "%sg.b%d OPERATOR(pg_catalog.->) %d",
								 i > start ? ", " : "", cols[i].call, cols[i].pos);
		}
		appendStringInfoChar(&q, ')');
	}
	if (exact)
		for (i = 0; i < ncols; i++)
			appendStringInfo(&q, ", e.d%d", i);
	appendStringInfo(&q, " FROM (SELECT pg_catalog.count(*) AS n");
	if (npush > 0)
		appendStringInfo(&q, ", COALESCE(dq.row_profile_pushdown(ARRAY[%s]::pg_catalog.text[], ROW(%s)), %s::pg_catalog.jsonb) AS a",
						 colls.data, row.data, quote_literal_cstr(empty));
	appendStringInfo(&q, " FROM %s%s) p", qualname, sample);

	/* the gathered part: dq.row_profile over the other columns */
	if (nfall > 0)
	{
		int			call;

		appendStringInfoString(&q, ", (SELECT ");
		for (call = 0; call * per_call < nfall; call++)
		{
			bool		first = true;

			appendStringInfo(&q, "%sdq.row_profile('{", call ? ", " : "");
			for (i = 0; i < ncols; i++)
				if (!cols[i].pushdown && cols[i].call == call)
				{
					appendStringInfo(&q, "%s%u", first ? "" : ",", collations[i]);
					first = false;
				}
			appendStringInfoString(&q, "}'::pg_catalog.oid[]");
			for (i = 0; i < ncols; i++)
				if (!cols[i].pushdown && cols[i].call == call)
					appendStringInfo(&q, ", %s", quote_identifier(names[i]));
			appendStringInfo(&q, ") AS b%d", call);
		}
		appendStringInfo(&q, " FROM %s%s) g", qualname, sample);
	}

	/* exact distinct counts, which Citus computes from distinct values */
	if (exact)
	{
		appendStringInfoString(&q, ", (SELECT ");
		for (i = 0; i < ncols; i++)
			appendStringInfo(&q, "%s%s AS d%d", i ? ", " : "", distinct_exprs[i], i);
		appendStringInfo(&q, " FROM %s%s) e", qualname, sample);
	}
	return q.data;
}
