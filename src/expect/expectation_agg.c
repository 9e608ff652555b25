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
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "base/compat.h"
#include "base/json_build.h"
#include "expect/expectations.h"
#include "sketch/sketch_buf.h"

PG_FUNCTION_INFO_V1(dq_expect_rows_trans);
PG_FUNCTION_INFO_V1(dq_expect_rows_combine);
PG_FUNCTION_INFO_V1(dq_expect_rows_serialize);
PG_FUNCTION_INFO_V1(dq_expect_rows_deserialize);
PG_FUNCTION_INFO_V1(dq_expect_rows_final);

typedef struct DqExpRowsState
{
	int			nrules;
	DqRule	  **rules;			/* NULL in a deserialized state */
	int16	   *arg;			/* per rule: its argument when it reads one
								 * column, else -1 */
	DqCheckState *res;
	Datum	   *vals;			/* scratch, per rule column */
	bool	   *nulls;
} DqExpRowsState;

/* Compile the rules of the first argument against the passed columns. */
static DqExpRowsState *
DqExpRowsCreate(FunctionCallInfo fcinfo)
{
	Jsonb	   *rules = PG_GETARG_JSONB_P(1);
	DqColumnSource src;
	Datum	   *nameelems;
	Datum	   *collelems;
	bool	   *nn;
	bool	   *cn;
	int			nnames;
	int			ncolls;
	int			i;
	DqExpRowsState *st;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			maxcols = 1;

	deconstruct_array(PG_GETARG_ARRAYTYPE_P(2), NAMEOID, NAMEDATALEN, false,
					  TYPALIGN_CHAR, &nameelems, &nn, &nnames);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(3), OIDOID, sizeof(Oid), true,
					  TYPALIGN_INT, &collelems, &cn, &ncolls);
	if (nnames != PG_NARGS() - 4 || ncolls != nnames)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dq.expect_rows needs one name and one collation per column"),
				 errhint("dq.validate() builds these calls; use it rather than the aggregate.")));
	src.ncols = nnames;
	src.names = palloc(sizeof(char *) * Max(nnames, 1));
	src.typids = palloc(sizeof(Oid) * Max(nnames, 1));
	src.collations = palloc(sizeof(Oid) * Max(nnames, 1));
	for (i = 0; i < nnames; i++)
	{
		if (nn[i] || cn[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("names and collations of dq.expect_rows must not contain NULL"),
					 errhint("dq.validate() builds these calls; use it rather than the aggregate.")));
		src.names[i] = pstrdup(NameStr(*DatumGetName(nameelems[i])));
		src.typids[i] = get_fn_expr_argtype(fcinfo->flinfo, i + 4);
		src.collations[i] = DatumGetObjectId(collelems[i]);
		if (OidIsValid(src.collations[i]) &&
			!SearchSysCacheExists1(COLLOID, ObjectIdGetDatum(src.collations[i])))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("collation with OID %u does not exist", src.collations[i]),
					 errhint("Pass one collation OID per column (pg_collation.oid), 0 for none.")));
	}
	src.relname = "(validated relation)";
	src.qualname = "(validated relation)";
	src.relid = InvalidOid;

	if (!JB_ROOT_IS_ARRAY(rules))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rules must be a JSON array")));
	st = palloc0(sizeof(DqExpRowsState));
	st->nrules = JB_ROOT_COUNT(rules);
	st->rules = palloc0(sizeof(DqRule *) * Max(st->nrules, 1));
	st->res = palloc0(sizeof(DqCheckState) * Max(st->nrules, 1));
	i = 0;
	it = JsonbIteratorInit(&rules->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		JsonbValue *kind;
		JsonbValue *col;
		JsonbValue *params;
		JsonbValue *mostly;
		Jsonb	   *pj;
		double		m = 1.0;

		if (tok != WJB_ELEM || v.type != jbvBinary)
			continue;
		kind = DqJsonbGet(v.val.binary.data, "kind");
		col = DqJsonbGet(v.val.binary.data, "column");
		params = DqJsonbGet(v.val.binary.data, "params");
		mostly = DqJsonbGet(v.val.binary.data, "mostly");
		if (kind == NULL || kind->type != jbvString || params == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("each rule needs a kind and params")));
		/* the scan evaluates row-level kinds; the others have their own SQL */
		if (DqLookupKind(pnstrdup(kind->val.string.val, kind->val.string.len))->scope != DQ_SCOPE_MAP)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("dq.expect_rows evaluates row-level expectation kinds only"),
					 errdetail("\"%.*s\" is evaluated by its own query.",
							   kind->val.string.len, kind->val.string.val),
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
		st->rules[i] = DqCompileRule(&src,
									 pnstrdup(kind->val.string.val, kind->val.string.len),
									 (col != NULL && col->type == jbvString) ?
									 pnstrdup(col->val.string.val, col->val.string.len) : NULL,
									 pj, m);
		DqParseResultFormat(pj, &st->res[i]);
		maxcols = Max(maxcols, st->rules[i]->ncols);
		i++;
	}
	st->nrules = i;
	st->vals = palloc(sizeof(Datum) * maxcols);
	st->nulls = palloc(sizeof(bool) * maxcols);
	st->arg = palloc(sizeof(int16) * Max(st->nrules, 1));
	for (i = 0; i < st->nrules; i++)
		st->arg[i] = (st->rules[i]->ncols == 1) ? 4 + st->rules[i]->cols[0].srcindex : -1;
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

Datum
dq_expect_rows_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	MemoryContext old;
	DqExpRowsState *st;
	int			r;

	if (PG_ARGISNULL(0))
	{
		if (!AggCheckCallContext(fcinfo, &aggctx))
			elog(ERROR, "dq_expect_rows_trans called in non-aggregate context");
		if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("rules, names and collations must not be NULL")));
		old = MemoryContextSwitchTo(aggctx);
		st = DqExpRowsCreate(fcinfo);
		MemoryContextSwitchTo(old);
	}
	else
	{
		st = (DqExpRowsState *) PG_GETARG_POINTER(0);
		aggctx = GetMemoryChunkContext(st);	/* created there, above */
	}

	for (r = 0; r < st->nrules; r++)
	{
		DqRule	   *rule = st->rules[r];
		DqCheckState *cs = &st->res[r];
		DqOutcome	outcome;

		cs->element_count++;
		if (st->arg[r] >= 0)
		{
			/* the common case: one column */
			st->nulls[0] = PG_ARGISNULL(st->arg[r]);
			st->vals[0] = st->nulls[0] ? (Datum) 0 : PG_GETARG_DATUM(st->arg[r]);
		}
		else
		{
			for (int c = 0; c < rule->ncols; c++)
			{
				int			arg = 4 + rule->cols[c].srcindex;

				st->nulls[c] = PG_ARGISNULL(arg);
				st->vals[c] = st->nulls[c] ? (Datum) 0 : PG_GETARG_DATUM(arg);
			}
		}
		outcome = DqEvalRule(rule, st->vals, st->nulls);
		if (outcome == DQ_MISSING)
			cs->missing_count++;
		else if (outcome == DQ_UNEXPECTED)
		{
			cs->unexpected_count++;
			if (DqWantsValue(cs))
			{
				char	   *json = DqUnexpectedJson(rule, st->vals, st->nulls);

				old = MemoryContextSwitchTo(aggctx);
				DqKeepUnexpected(cs, json);
				MemoryContextSwitchTo(old);
			}
		}
	}
	PG_RETURN_POINTER(st);
}

Datum
dq_expect_rows_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	MemoryContext old;
	DqExpRowsState *a;
	DqExpRowsState *b;
	int			r;
	ListCell   *lc;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "dq_expect_rows_combine called in non-aggregate context");
	a = PG_ARGISNULL(0) ? NULL : (DqExpRowsState *) PG_GETARG_POINTER(0);
	b = PG_ARGISNULL(1) ? NULL : (DqExpRowsState *) PG_GETARG_POINTER(1);
	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	old = MemoryContextSwitchTo(aggctx);
	if (a == NULL)
	{
		a = palloc0(sizeof(DqExpRowsState));
		a->nrules = b->nrules;
		a->res = palloc0(sizeof(DqCheckState) * Max(b->nrules, 1));
		for (r = 0; r < b->nrules; r++)
		{
			a->res[r].partial_max = b->res[r].partial_max;
			a->res[r].format = b->res[r].format;
		}
	}
	if (a->nrules != b->nrules)
		elog(ERROR, "dq_expect_rows_combine: rule counts differ");
	for (r = 0; r < a->nrules; r++)
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
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
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
			DqKeepUnexpected(cs, lfirst(lc));
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
		DqJsonRaw(js, NULL, lfirst(lc));
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
