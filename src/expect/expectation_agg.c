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
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "base/compat.h"
#include "expect/expectations.h"
#include "base/json_build.h"
#include "sketch/sketch_buf.h"
#include "base/typeinfo.h"

PG_FUNCTION_INFO_V1(dq_expect_rows_trans);
PG_FUNCTION_INFO_V1(dq_expect_rows_combine);
PG_FUNCTION_INFO_V1(dq_expect_rows_serialize);
PG_FUNCTION_INFO_V1(dq_expect_rows_deserialize);
PG_FUNCTION_INFO_V1(dq_expect_rows_final);

/*
 * How the row loop evaluates a rule: the kinds most checks use on by-value
 * columns are decided inline from a compact array; everything else goes to
 * DqEvalRule.
 */
typedef enum DqRowStep
{
	DQ_STEP_GENERIC,			/* DqEvalRule */
	DQ_STEP_NOT_NULL,
	DQ_STEP_NULL,
	DQ_STEP_INT_RANGE,			/* between on an integer-like column */
	DQ_STEP_FLOAT_RANGE,		/* between on float4/float8 */
	DQ_STEP_SET,				/* (not) in set, looked up by hash */
	DQ_STEP_OTHER				/* single column: NULL is missing, else generic */
} DqRowStep;

/*
 * A value set as an open-addressing hash table, for columns whose
 * equality is equality of representation: integer-like types, booleans,
 * dates and timestamps (the Datum itself) and text or varchar in a
 * byte-order collation (the bytes).  Binary search in the sorted set cost
 * a mispredicted branch per probe.
 */
typedef struct DqSetTable
{
	bool		byval;			/* compare Datums, else the bytes of text */
	uint32		mask;			/* slots - 1 */
	int32	   *index;			/* per slot: index into the rule's set, -1 empty */
	uint64	   *hash;			/* per slot: that value's hash */
} DqSetTable;

typedef struct DqRowPlan
{
	int16		arg;			/* argument of a single-column rule, else -1 */
	uint8		step;			/* DqRowStep */
	Oid			base;			/* INT_RANGE, FLOAT_RANGE: the column's base type */
	bool		strict_lo;		/* FLOAT_RANGE */
	bool		strict_hi;
	int64		lo_i;			/* INT_RANGE: inclusive bounds */
	int64		hi_i;
	double		lo_d;			/* FLOAT_RANGE: -/+Infinity when absent */
	double		hi_d;
	bool		negate;			/* SET: a member is unexpected (not in set) */
	DqSetTable *set;			/* SET */
} DqRowPlan;

static inline uint64
DqSetHash(const DqSetTable *t, Datum v)
{
	if (t->byval)
		return DqMix64((uint64) v);
	return DqHashBytes(VARDATA_ANY(DatumGetPointer(v)),
					   VARSIZE_ANY_EXHDR(DatumGetPointer(v)), 0);
}

/* Is v (plain, if text) one of the rule's set values? */
static inline bool
DqSetHas(const DqRule *r, const DqSetTable *t, Datum v)
{
	uint64		h = DqSetHash(t, v);
	uint32		i = (uint32) h & t->mask;

	for (; t->index[i] >= 0; i = (i + 1) & t->mask)
	{
		Datum		m = r->set[t->index[i]];

		if (t->hash[i] != h)
			continue;
		if (t->byval)
		{
			if (m == v)
				return true;
		}
		else if (DqTextCmpBytes(m, v) == 0)
			return true;
	}
	return false;
}

/* The hash table of rule r's set, or NULL when its type does not allow it. */
static DqSetTable *
DqSetTableBuild(const DqRule *r)
{
	DqSetTable *t;
	uint32		slots = 8;
	int			k;

	switch (r->cmp_base)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case BOOLOID:
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			break;
		default:
			if (!r->cmp_bytes)
				return NULL;
			for (k = 0; k < r->nset; k++)
				if (!DqVarlenaIsPlain(r->set[k]))
					return NULL;
			break;
	}
	while (slots < (uint32) r->nset * 2)
		slots *= 2;
	t = palloc(sizeof(DqSetTable));
	t->byval = (r->cmp_base != TEXTOID && r->cmp_base != VARCHAROID);
	t->mask = slots - 1;
	t->index = palloc(sizeof(int32) * slots);
	t->hash = palloc(sizeof(uint64) * slots);
	for (k = 0; k < (int) slots; k++)
		t->index[k] = -1;
	for (k = 0; k < r->nset; k++)
	{
		uint64		h = DqSetHash(t, r->set[k]);
		uint32		i = (uint32) h & t->mask;

		while (t->index[i] >= 0)
			i = (i + 1) & t->mask;
		t->index[i] = k;
		t->hash[i] = h;
	}
	return t;
}

typedef struct DqExpRowsState
{
	int			nrules;
	DqRowPlan  *plan;			/* per rule; NULL in a deserialized state */
	DqRule	  **rules;			/* NULL in a deserialized state */
	DqCheckState *res;
	Datum	   *vals;			/* scratch, per rule column */
	bool	   *nulls;
} DqExpRowsState;

static Jsonb *
DqJsonbFromValue(JsonbValue *v)
{
	return JsonbValueToJsonb(v);
}

/* Decide how the row loop evaluates rule r. */
static void
DqPlanRule(DqRowPlan *p, DqRule *r)
{
	p->arg = (r->ncols == 1) ? (int16) (4 + r->cols[0].srcindex) : -1;
	p->step = DQ_STEP_GENERIC;
	if (r->ncols != 1)
		return;
	p->step = DQ_STEP_OTHER;
	if (r->def->kind == DQ_K_NOT_NULL)
		p->step = DQ_STEP_NOT_NULL;
	else if (r->def->kind == DQ_K_NULL)
		p->step = DQ_STEP_NULL;
	else if (r->def->kind == DQ_K_BETWEEN)
	{
		switch (r->cmp_base)
		{
			case INT2OID:
			case INT4OID:
			case DATEOID:
			case INT8OID:
			case TIMESTAMPOID:
			case TIMESTAMPTZOID:
				p->base = r->cmp_base;
				p->lo_i = r->has_lo ? DqDatumInt64(p->base, r->lo) : PG_INT64_MIN;
				p->hi_i = r->has_hi ? DqDatumInt64(p->base, r->hi) : PG_INT64_MAX;
				/* strict bounds become inclusive ones, unless at the very end */
				if (r->has_lo && r->strict_lo)
				{
					if (p->lo_i == PG_INT64_MAX)
						return;
					p->lo_i++;
				}
				if (r->has_hi && r->strict_hi)
				{
					if (p->hi_i == PG_INT64_MIN)
						return;
					p->hi_i--;
				}
				p->step = DQ_STEP_INT_RANGE;
				break;
			case FLOAT4OID:
			case FLOAT8OID:
				p->base = r->cmp_base;
				p->lo_d = r->has_lo ? DqDatumFloat8(p->base, r->lo) : -INFINITY;
				p->hi_d = r->has_hi ? DqDatumFloat8(p->base, r->hi) : INFINITY;
				p->strict_lo = r->has_lo && r->strict_lo;
				p->strict_hi = r->has_hi && r->strict_hi;
				/* NaN, the largest float in PostgreSQL's order, stays generic */
				if (!isnan(p->lo_d) && !isnan(p->hi_d))
					p->step = DQ_STEP_FLOAT_RANGE;
				break;
			default:
				break;
		}
	}
	else if (r->def->kind == DQ_K_IN_SET || r->def->kind == DQ_K_NOT_IN_SET)
	{
		p->set = DqSetTableBuild(r);
		p->negate = (r->def->kind == DQ_K_NOT_IN_SET);
		/* a null value_set (no constraint) stays generic */
		if (p->set != NULL && !r->no_constraint)
			p->step = DQ_STEP_SET;
	}
}

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
		pj = DqJsonbFromValue(params);
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
	st->plan = palloc0(sizeof(DqRowPlan) * Max(st->nrules, 1));
	for (i = 0; i < st->nrules; i++)
		DqPlanRule(&st->plan[i], st->rules[i]);
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
		const DqRowPlan *p = &st->plan[r];
		DqCheckState *cs = &st->res[r];
		DqOutcome	outcome;
		int			c;

		cs->element_count++;
		if (p->arg >= 0)
		{
			/* the common case: one column */
			bool		isnull = PG_ARGISNULL(p->arg);
			Datum		v = isnull ? (Datum) 0 : PG_GETARG_DATUM(p->arg);
			double		x;

			st->nulls[0] = isnull;
			st->vals[0] = v;
			if (p->step == DQ_STEP_NOT_NULL)
				outcome = isnull ? DQ_UNEXPECTED : DQ_EXPECTED;
			else if (p->step == DQ_STEP_NULL)
				outcome = isnull ? DQ_EXPECTED : DQ_UNEXPECTED;
			else if (isnull)
				outcome = DQ_MISSING;
			else if (p->step == DQ_STEP_INT_RANGE)
			{
				int64		iv = DqDatumInt64(p->base, v);

				outcome = (iv >= p->lo_i && iv <= p->hi_i) ? DQ_EXPECTED : DQ_UNEXPECTED;
			}
			else if (p->step == DQ_STEP_FLOAT_RANGE &&
					 !isnan(x = DqDatumFloat8(p->base, v)))
			{
				bool		low = x < p->lo_d || (p->strict_lo && x == p->lo_d);
				bool		high = x > p->hi_d || (p->strict_hi && x == p->hi_d);

				outcome = (low || high) ? DQ_UNEXPECTED : DQ_EXPECTED;
			}
			else if (p->step == DQ_STEP_SET &&
					 (p->set->byval || DqVarlenaIsPlain(v)))
				outcome = (DqSetHas(rule, p->set, v) != p->negate) ?
					DQ_EXPECTED : DQ_UNEXPECTED;
			else
				outcome = DqEvalRule(rule, st->vals, st->nulls);
		}
		else
		{
			for (c = 0; c < rule->ncols; c++)
			{
				int			arg = 4 + rule->cols[c].srcindex;

				st->nulls[c] = PG_ARGISNULL(arg);
				st->vals[c] = st->nulls[c] ? (Datum) 0 : PG_GETARG_DATUM(arg);
			}
			outcome = DqEvalRule(rule, st->vals, st->nulls);
		}
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
