/*-------------------------------------------------------------------------
 *
 * expectation_agg.c
 *	  dq.expect_rows(rules jsonb, names name[], collations oid[],
 *	  VARIADIC "any"): evaluate every row-level expectation of a table on
 *	  each row of one scan.
 *
 * The first argument lists the expectations ([{"kind", "column",
 * "params", "mostly"}, ...]); names and collations describe the columns
 * passed after them.  Rules are compiled once per process on the first
 * row, so parallel workers compile their own; partial states carry only
 * counters and the first unexpected values, and combine by adding.  The
 * result is a jsonb array, one object per rule: element_count,
 * missing_count, unexpected_count, partial (first unexpected values) and,
 * for COMPLETE, complete.
 *
 * Each row is decided by DqEvalRule, the evaluation dq.check and the
 * change validator's decoder use too: the kinds choose their fast paths
 * when compiled (kinds_row.c), so there is one evaluator.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "nodes/execnodes.h"
#include "storage/bufmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/datum.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "base/agg_util.h"
#include "base/json_build.h"
#include "expect/expectations.h"
#include "sketch/sketch_buf.h"

PG_FUNCTION_INFO_V1(dq_expect_rows_trans);
PG_FUNCTION_INFO_V1(dq_expect_rows_combine);
PG_FUNCTION_INFO_V1(dq_expect_rows_serialize);
PG_FUNCTION_INFO_V1(dq_expect_rows_deserialize);
PG_FUNCTION_INFO_V1(dq_expect_rows_final);

/*
 * Rows are evaluated in batches: the transition function keeps the values
 * of up to DQ_EXP_BATCH rows, and each rule then goes through the batch at
 * once, so that its state stays in the CPU's nearest caches and the call
 * of its evaluation goes to the same place row after row.
 *
 * A value passed by reference must outlive the call that passed it.  When
 * it lies in a table's page in shared buffers (the page the scan has
 * pinned for the row), the batch takes a pin of its own on that page, up
 * to DQ_EXP_PINS pages, and reads the value in place; the pins are
 * released when the batch is evaluated.  This is done only when the
 * aggregate has one state per set of rows (no GROUP BY), so that a query
 * cannot pile up pins, a few per group.  Other values (of a sort, a join's
 * hash table, a temporary table, detoasted ones, those of a page beyond
 * the pins) are copied into an arena of DQ_EXP_ARENA bytes; a batch whose
 * copies would not fit is evaluated early, its last row on the values of
 * the call.
 */
#define DQ_EXP_BATCH	64
#define DQ_EXP_ARENA	(64 * 1024)
#define DQ_EXP_PINS		8

typedef struct DqExpRowsState
{
	int			nrules;
	DqRule	  **rules;			/* NULL in a deserialized state */
	int16	   *arg;			/* per rule: the column it reads when it
								 * reads one, else -1 */
	DqCheckState *res;
	Datum	   *vals;			/* scratch, per rule column */
	bool	   *nulls;
	/* the batch (DqExpRowsFlush) */
	int			ncols;			/* columns passed */
	int16	   *typlen;			/* per column */
	int			nbyref;			/* columns passed by reference ... */
	int		   *byref;			/* ... and which */
	Size	   *bylen;			/* scratch: their sizes in the row being added */
	int			nbuffered;		/* rows in the batch */
	Datum	   *bvals;			/* ncols x DQ_EXP_BATCH */
	bool	   *bnulls;
	char	   *arena;			/* copies of values passed by reference */
	Size		arena_used;
	MemoryContext evalcxt;		/* what evaluation allocates, per batch */
	bool		inplace;		/* values in shared buffers are read there */
	int			npins;			/* ... in these pages, which the batch */
	Buffer		pins[DQ_EXP_PINS];	/* has pinned */
} DqExpRowsState;

/* The columns passed after the rules, named and collated by arguments 2 and 3. */
static void
DqExpRowsColumns(FunctionCallInfo fcinfo, DqColumnSource *src)
{
	Datum	   *nameelems;
	Datum	   *collelems;
	bool	   *nn;
	bool	   *cn;
	int			nnames;
	int			ncolls;

	deconstruct_array(PG_GETARG_ARRAYTYPE_P(2), NAMEOID, NAMEDATALEN, false,
					  TYPALIGN_CHAR, &nameelems, &nn, &nnames);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(3), OIDOID, sizeof(Oid), true,
					  TYPALIGN_INT, &collelems, &cn, &ncolls);
	if (nnames != PG_NARGS() - 4 || ncolls != nnames)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dq.expect_rows needs one name and one collation per column"),
				 errhint("dq.validate() builds these calls; use it rather than the aggregate.")));
	src->ncols = nnames;
	src->names = palloc(sizeof(char *) * Max(nnames, 1));
	src->typids = palloc(sizeof(Oid) * Max(nnames, 1));
	src->collations = palloc(sizeof(Oid) * Max(nnames, 1));
	for (int i = 0; i < nnames; i++)
	{
		if (nn[i] || cn[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("names and collations of dq.expect_rows must not contain NULL"),
					 errhint("dq.validate() builds these calls; use it rather than the aggregate.")));
		src->names[i] = pstrdup(NameStr(*DatumGetName(nameelems[i])));
		src->typids[i] = get_fn_expr_argtype(fcinfo->flinfo, i + 4);
		src->collations[i] = DatumGetObjectId(collelems[i]);
		if (OidIsValid(src->collations[i]) &&
			!SearchSysCacheExists1(COLLOID, ObjectIdGetDatum(src->collations[i])))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("collation with OID %u does not exist", src->collations[i]),
					 errhint("Pass one collation OID per column (pg_collation.oid), 0 for none.")));
	}
	src->relname = "(validated relation)";
	src->qualname = "(validated relation)";
	src->relid = InvalidOid;
}

/* Compile a row rule of kind "kind" from its members in the rules array. */
static DqRule *
DqExpRowsRuleOf(const DqColumnSource *src, const char *kind, JsonbValue *col,
				JsonbValue *params, JsonbValue *mostly, DqCheckState *cs)
{
	Jsonb	   *pj;
	double		m = 1.0;
	DqRule	   *rule;

	/* the scan evaluates row-level kinds; the others have their own SQL */
	if (DqLookupKind(kind)->scope != DQ_SCOPE_MAP)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dq.expect_rows evaluates row-level expectation kinds only"),
				 errdetail("\"%s\" is evaluated by its own query.", kind),
				 errhint("Use dq.check() or dq.validate(), which run every kind.")));
	if (params->type != jbvBinary || !JsonContainerIsObject(params->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("params of each rule must be a JSON object"),
				 errhint("dq.validate() builds these calls; use it rather than the aggregate.")));
	pj = JsonbValueToJsonb(params);
	if (mostly != NULL && mostly->type == jbvNumeric)
		m = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
											   NumericGetDatum(mostly->val.numeric)));
	rule = DqCompileRule(src, kind,
						 (col != NULL && col->type == jbvString) ?
						 pnstrdup(col->val.string.val, col->val.string.len) : NULL,
						 pj, m);
	DqParseResultFormat(pj, cs);
	return rule;
}

/* A rule of the rules array: {"kind", "column", "params", "mostly"}. */
static DqRule *
DqExpRowsRule(const DqColumnSource *src, JsonbContainer *obj, DqCheckState *cs)
{
	JsonbValue *kind = DqJsonbGet(obj, "kind");
	JsonbValue *params = DqJsonbGet(obj, "params");

	if (kind != NULL && kind->type == jbvString && params != NULL)
		return DqExpRowsRuleOf(src, pnstrdup(kind->val.string.val, kind->val.string.len),
							   DqJsonbGet(obj, "column"), params,
							   DqJsonbGet(obj, "mostly"), cs);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("each rule needs a kind and params")));
	return NULL;				/* keep compiler quiet */
}

/* Compile the rules of the first argument against the passed columns. */
static DqExpRowsState *
DqExpRowsCreate(FunctionCallInfo fcinfo)
{
	Jsonb	   *rules = PG_GETARG_JSONB_P(1);
	DqColumnSource src;
	DqExpRowsState *st;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			maxcols = 1;
	int			i = 0;

	DqExpRowsColumns(fcinfo, &src);
	if (!JB_ROOT_IS_ARRAY(rules))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rules must be a JSON array")));
	st = palloc0(sizeof(DqExpRowsState));
	st->nrules = JB_ROOT_COUNT(rules);
	st->rules = palloc0(sizeof(DqRule *) * Max(st->nrules, 1));
	st->res = palloc0(sizeof(DqCheckState) * Max(st->nrules, 1));
	it = JsonbIteratorInit(&rules->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM || v.type != jbvBinary)
			continue;
		st->rules[i] = DqExpRowsRule(&src, v.val.binary.data, &st->res[i]);
		maxcols = Max(maxcols, st->rules[i]->ncols);
		i++;
	}
	st->nrules = i;
	st->vals = palloc(sizeof(Datum) * maxcols);
	st->nulls = palloc(sizeof(bool) * maxcols);
	st->arg = palloc(sizeof(int16) * Max(st->nrules, 1));
	for (i = 0; i < st->nrules; i++)
		st->arg[i] = (st->rules[i]->ncols == 1) ? st->rules[i]->cols[0].srcindex : -1;
	st->ncols = src.ncols;
	st->typlen = palloc(sizeof(int16) * Max(src.ncols, 1));
	st->byref = palloc(sizeof(int) * Max(src.ncols, 1));
	st->bylen = palloc(sizeof(Size) * Max(src.ncols, 1));
	for (i = 0; i < src.ncols; i++)
	{
		bool		byval;

		get_typlenbyval(src.typids[i], &st->typlen[i], &byval);
		if (!byval)
			st->byref[st->nbyref++] = i;
	}
	st->bvals = palloc(sizeof(Datum) * DQ_EXP_BATCH * Max(src.ncols, 1));
	st->bnulls = palloc(sizeof(bool) * DQ_EXP_BATCH * Max(src.ncols, 1));
	st->arena = palloc(DQ_EXP_ARENA);
	st->evalcxt = AllocSetContextCreate(CurrentMemoryContext, "dq expect_rows batch",
										ALLOCSET_DEFAULT_SIZES);
	st->inplace = fcinfo->context != NULL && IsA(fcinfo->context, AggState) &&
		((AggState *) fcinfo->context)->aggstrategy == AGG_PLAIN;
	return st;
}

/* Keep a copy of an unexpected value's JSON if a list still has room. */
static void
DqKeepUnexpected(DqCheckState *cs, const char *json)
{
	char	   *copy = NULL;

	if (list_length(cs->partial) < cs->partial_max)
	{
		copy = pstrdup(json);
		cs->partial = lappend(cs->partial, copy);
	}
	if (cs->format == DQ_RF_COMPLETE && list_length(cs->complete) < DQ_COMPLETE_MAX)
		cs->complete = lappend(cs->complete, copy ? copy : pstrdup(json));
}

static bool
DqWantsValue(DqCheckState *cs)
{
	return list_length(cs->partial) < cs->partial_max ||
		(cs->format == DQ_RF_COMPLETE && list_length(cs->complete) < DQ_COMPLETE_MAX);
}

/*
 * Evaluate rule r on every row of the batch.  A one-column rule reads the
 * batch's column in place; the others get their columns gathered per row.
 * The counts are kept in locals and added at the end, so that the loop
 * does not reload and store them around every call of the evaluation.
 */
static void
DqExpRowsEvalRule(DqExpRowsState *st, int r, MemoryContext aggctx)
{
	DqRule	   *rule = st->rules[r];
	DqCheckState *cs = &st->res[r];
	int			arg = st->arg[r];
	int			n = st->nbuffered;
	Datum	   *vals = (arg >= 0) ? &st->bvals[arg * DQ_EXP_BATCH] : st->vals;
	bool	   *nulls = (arg >= 0) ? &st->bnulls[arg * DQ_EXP_BATCH] : st->nulls;
	int			step = (arg >= 0) ? 1 : 0;
	int64		missing = 0;
	int64		unexpected = 0;

	for (int i = 0; i < n; i++, vals += step, nulls += step)
	{
		DqOutcome	outcome;

		if (arg < 0)
		{
			for (int c = 0; c < rule->ncols; c++)
			{
				int			k = rule->cols[c].srcindex * DQ_EXP_BATCH + i;

				nulls[c] = st->bnulls[k];
				vals[c] = st->bvals[k];
			}
		}
		outcome = DqEvalRule(rule, vals, nulls);
		if (outcome == DQ_MISSING)
			missing++;
		else if (outcome == DQ_UNEXPECTED)
		{
			unexpected++;
			if (DqWantsValue(cs))
			{
				char	   *json = DqUnexpectedJson(rule, vals, nulls);
				MemoryContext old = MemoryContextSwitchTo(aggctx);

				DqKeepUnexpected(cs, json);
				MemoryContextSwitchTo(old);
			}
		}
	}
	cs->element_count += n;
	cs->missing_count += missing;
	cs->unexpected_count += unexpected;
}

/* Evaluate every rule on the rows of the batch, rule by rule, and empty it. */
static void
DqExpRowsFlush(DqExpRowsState *st)
{
	MemoryContext aggctx = GetMemoryChunkContext(st);
	MemoryContext old;

	if (st->nbuffered == 0)
		return;
	old = MemoryContextSwitchTo(st->evalcxt);
	for (int r = 0; r < st->nrules; r++)
		DqExpRowsEvalRule(st, r, aggctx);
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->evalcxt);
	st->nbuffered = 0;
	st->arena_used = 0;
	for (int k = 0; k < st->npins; k++)
		ReleaseBuffer(st->pins[k]);
	st->npins = 0;
}

/* The shared buffer holding p, or InvalidBuffer when it is not in one. */
static inline Buffer
DqSharedBufferOf(const void *p)
{
	const char *c = p;

	if (c >= BufferBlocks && c < BufferBlocks + (Size) NBuffers * BLCKSZ)
		return (Buffer) ((c - BufferBlocks) / BLCKSZ) + 1;
	return InvalidBuffer;
}

/*
 * Can value v, passed by reference, be read in place until the batch is
 * evaluated?  Yes when it lies in a page of shared buffers that the batch
 * has pinned last or can still pin.  The caller's scan holds a pin on the
 * page of the row it passes, which IncrBufferRefCount adds to.
 */
static inline bool
DqExpRowsInPlace(DqExpRowsState *st, Datum v)
{
	Buffer		buf;

	if (!st->inplace)
		return false;
	buf = DqSharedBufferOf(DatumGetPointer(v));
	if (buf == InvalidBuffer)
		return false;
	if (st->npins > 0 && st->pins[st->npins - 1] == buf)
		return true;
	if (st->npins == DQ_EXP_PINS)
		return false;
	IncrBufferRefCount(buf);
	st->pins[st->npins++] = buf;
	return true;
}

/* The bytes of a value of column c passed by reference. */
static inline Size
DqExpRowsValueSize(DqExpRowsState *st, int c, Datum v)
{
	if (st->typlen[c] == -1)
		return VARSIZE_ANY(DatumGetPointer(v));
	if (st->typlen[c] == -2)
		return strlen(DatumGetCString(v)) + 1;
	return st->typlen[c];
}

/*
 * Add the row of this call to the batch, with copies of its values passed
 * by reference.  When they do not fit in the arena, the batch is evaluated
 * at once, this row on the values of the call.
 */
static void
DqExpRowsAdd(DqExpRowsState *st, FunctionCallInfo fcinfo)
{
	int			i = st->nbuffered++;
	int			ncols = st->ncols;
	int			nbyref = st->nbyref;
	const int  *byref = st->byref;
	Size	   *bylen = st->bylen;
	const NullableDatum *args = &fcinfo->args[4];

	/* row i of each column: locals, so that no store reloads the state */
	bool	   *bnulls = st->bnulls + i;
	Datum	   *bvals = st->bvals + i;
	char	   *arena = st->arena;
	Size		used = st->arena_used;
	Size		need = 0;

	for (int c = 0; c < ncols; c++)
	{
		bool		isnull = args[c].isnull;

		bnulls[c * DQ_EXP_BATCH] = isnull;
		bvals[c * DQ_EXP_BATCH] = isnull ? (Datum) 0 : args[c].value;
	}
	for (int k = 0; k < nbyref; k++)
	{
		int			c = byref[k];
		Datum	   *v = &bvals[c * DQ_EXP_BATCH];

		if (bnulls[c * DQ_EXP_BATCH])
			continue;
		/*
		 * A pointer to a value in memory (expanded, indirect) is flattened
		 * now: that memory may not outlive the call.  A pointer to a value
		 * in the TOAST table stays valid for the whole scan.
		 */
		if (st->typlen[c] == -1 &&
			(VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(*v)) ||
			 VARATT_IS_EXTERNAL_INDIRECT(DatumGetPointer(*v))))
			*v = PointerGetDatum(PG_DETOAST_DATUM_PACKED(*v));
		if (DqExpRowsInPlace(st, *v))
		{
			bylen[k] = 0;		/* no copy */
			continue;
		}
		bylen[k] = DqExpRowsValueSize(st, c, *v);
		need += MAXALIGN(bylen[k]);
	}
	if (used + need > DQ_EXP_ARENA)
	{
		DqExpRowsFlush(st);
		return;
	}
	for (int k = 0; k < nbyref; k++)
	{
		int			c = byref[k];
		Datum	   *v = &bvals[c * DQ_EXP_BATCH];

		if (bnulls[c * DQ_EXP_BATCH] || bylen[k] == 0)
			continue;
		memcpy(arena + used, DatumGetPointer(*v), bylen[k]);
		*v = PointerGetDatum(arena + used);
		used += MAXALIGN(bylen[k]);
	}
	st->arena_used = used;
	if (st->nbuffered == DQ_EXP_BATCH)
		DqExpRowsFlush(st);
}

Datum
dq_expect_rows_trans(PG_FUNCTION_ARGS)
{
	DqExpRowsState *st;

	if (PG_ARGISNULL(0))
	{
		MemoryContext aggctx = DqAggContext(fcinfo, "dq_expect_rows_trans");
		MemoryContext old;

		if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("rules, names and collations must not be NULL")));
		old = MemoryContextSwitchTo(aggctx);
		st = DqExpRowsCreate(fcinfo);
		MemoryContextSwitchTo(old);
	}
	else
		st = (DqExpRowsState *) PG_GETARG_POINTER(0);
	DqExpRowsAdd(st, fcinfo);
	PG_RETURN_POINTER(st);
}

/* An empty state with the rules' result formats of another. */
static void *
DqExpRowsCreateLike(void *like)
{
	DqExpRowsState *b = like;
	DqExpRowsState *a = palloc0(sizeof(DqExpRowsState));

	a->nrules = b->nrules;
	a->res = palloc0(sizeof(DqCheckState) * Max(b->nrules, 1));
	for (int r = 0; r < b->nrules; r++)
	{
		a->res[r].partial_max = b->res[r].partial_max;
		a->res[r].format = b->res[r].format;
	}
	return a;
}

/* Add the counts of src to dst, and its unexpected values while room is left. */
static void
DqExpRowsMerge(void *dst, void *src, FunctionCallInfo fcinfo)
{
	DqExpRowsState *a = dst;
	DqExpRowsState *b = src;
	ListCell   *lc;

	if (a->nrules != b->nrules)
		elog(ERROR, "dq_expect_rows_combine: rule counts differ");
	DqExpRowsFlush(a);
	DqExpRowsFlush(b);
	for (int r = 0; r < a->nrules; r++)
	{
		DqCheckState *x = &a->res[r];
		DqCheckState *y = &b->res[r];

		x->element_count += y->element_count;
		x->missing_count += y->missing_count;
		x->unexpected_count += y->unexpected_count;
		foreach(lc, (y->format == DQ_RF_COMPLETE) ? y->complete : y->partial)
		{
			if (!DqWantsValue(x))
				break;
			DqKeepUnexpected(x, lfirst(lc));
		}
	}
}

Datum
dq_expect_rows_combine(PG_FUNCTION_ARGS)
{
	return DqAggCombine(fcinfo, "dq_expect_rows_combine", DqExpRowsCreateLike,
						DqExpRowsMerge);
}

static void
DqPutStringList(StringInfo buf, List *l)
{
	ListCell   *lc;

	DqBufPutInt32(buf, list_length(l));
	foreach(lc, l)
	{
		int32		len = strlen(lfirst(lc));

		DqBufPutInt32(buf, len);
		DqBufPut(buf, lfirst(lc), len);
	}
}

static List *
DqGetStringList(DqReadBuf *rb)
{
	int32		n = DqBufGetInt32(rb);
	List	   *l = NIL;
	int			i;

	for (i = 0; i < n; i++)
	{
		int32		len = DqBufGetInt32(rb);
		char	   *s = palloc(len + 1);

		DqBufGet(rb, s, len);
		s[len] = '\0';
		l = lappend(l, s);
	}
	return l;
}

Datum
dq_expect_rows_serialize(PG_FUNCTION_ARGS)
{
	DqExpRowsState *st = (DqExpRowsState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			r;

	DqExpRowsFlush(st);
	initStringInfo(&buf);
	DqBufPutInt32(&buf, st->nrules);
	for (r = 0; r < st->nrules; r++)
	{
		DqCheckState *cs = &st->res[r];

		DqBufPutInt64(&buf, cs->element_count);
		DqBufPutInt64(&buf, cs->missing_count);
		DqBufPutInt64(&buf, cs->unexpected_count);
		DqBufPutInt32(&buf, cs->partial_max);
		DqBufPutInt32(&buf, (int32) cs->format);
		DqPutStringList(&buf, cs->format == DQ_RF_COMPLETE ? cs->complete : cs->partial);
	}
	PG_RETURN_BYTEA_P(DqBufToBytea(&buf));
}

Datum
dq_expect_rows_deserialize(PG_FUNCTION_ARGS)
{
	DqReadBuf	rb;
	DqExpRowsState *st = palloc0(sizeof(DqExpRowsState));
	int			r;

	DqReadBufInit(&rb, PG_GETARG_BYTEA_PP(0));
	st->nrules = DqBufGetInt32(&rb);
	if (st->nrules < 0)
		elog(ERROR, "dq_lineage: invalid expectation state");
	st->res = palloc0(sizeof(DqCheckState) * Max(st->nrules, 1));
	for (r = 0; r < st->nrules; r++)
	{
		DqCheckState *cs = &st->res[r];
		List	   *vals;
		ListCell   *lc;

		cs->element_count = DqBufGetInt64(&rb);
		cs->missing_count = DqBufGetInt64(&rb);
		cs->unexpected_count = DqBufGetInt64(&rb);
		cs->partial_max = DqBufGetInt32(&rb);
		cs->format = (DqResultFormat) DqBufGetInt32(&rb);
		vals = DqGetStringList(&rb);
		foreach(lc, vals)
		{
			DqKeepUnexpected(cs, lfirst(lc));
		}
	}
	PG_RETURN_POINTER(st);
}

static void
DqJsonStringList(DqJson *js, const char *key, List *l)
{
	ListCell   *lc;

	DqJsonKey(js, key);
	DqJsonBegin(js, '[');
	foreach(lc, l)
	{
		DqJsonRaw(js, NULL, lfirst(lc));
	}
	DqJsonEnd(js, ']');
}

/*
 * Raw counts per rule; NULL when no row was read (the caller knows the
 * rules and reports zero counts).
 */
Datum
dq_expect_rows_final(PG_FUNCTION_ARGS)
{
	DqExpRowsState *st = PG_ARGISNULL(0) ? NULL : (DqExpRowsState *) PG_GETARG_POINTER(0);
	DqJson		js = {0};
	int			r;

	if (st == NULL)
		PG_RETURN_NULL();
	DqExpRowsFlush(st);
	DqJsonBegin(&js, '[');
	for (r = 0; r < st->nrules; r++)
	{
		DqCheckState *cs = &st->res[r];

		DqJsonKey(&js, NULL);
		DqJsonBegin(&js, '{');
		DqJsonInt(&js, "element_count", cs->element_count);
		DqJsonInt(&js, "missing_count", cs->missing_count);
		DqJsonInt(&js, "unexpected_count", cs->unexpected_count);
		DqJsonStringList(&js, "partial", cs->partial);
		if (cs->format == DQ_RF_COMPLETE)
			DqJsonStringList(&js, "complete", cs->complete);
		DqJsonEnd(&js, '}');
	}
	DqJsonEnd(&js, ']');
	PG_RETURN_DATUM(DqJsonToJsonb(&js));
}
