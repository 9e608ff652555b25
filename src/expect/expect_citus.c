/*-------------------------------------------------------------------------
 *
 * expect_citus.c
 *	  dq.validate and dq.check of a Citus distributed table, computed on
 *	  the shards.
 *
 * dq.expect_rows(rules, names, collations, VARIADIC "any") has an internal
 * state and polymorphic arguments, which Citus cannot push down.  On a
 * distributed table the row-level rules run as
 *
 *	 dq.expect_rows_pushdown(dq.expect_row_outcomes(rules, names,
 *													collation names, c1, ...))
 *
 * dq.expect_row_outcomes is a scalar function: it runs on the workers like
 * any expression, compiles the rules once per scan and returns, per row,
 * NULL when every rule passed, else one character per rule ('.' expected,
 * 'm' missing, 'u' unexpected, 'v' unexpected with its value) followed
 * by the values' JSON, each after a \x1f.  The first row of every scan
 * returns its line even when all passed, so that the aggregate learns
 * the number of rules.  Each scan hands out at most as many values per
 * rule as the rule's result_format lists.  dq.expect_rows_pushdown counts
 * them in a dq.sketch_state; its result has the shape of dq.expect_rows's,
 * so dq.validate and dq.check read it unchanged.  Counts are exact; which
 * unexpected values are listed depends on the order in which the shards
 * answer.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "base/citus.h"
#include "base/json_build.h"
#include "base/spi_util.h"
#include "expect/expect_citus.h"
#include "expect/expectations.h"
#include "sketch/sketch_state.h"

PG_FUNCTION_INFO_V1(dq_expect_row_outcomes);
PG_FUNCTION_INFO_V1(dq_expect_rows_pushdown_trans);
PG_FUNCTION_INFO_V1(dq_expect_rows_pushdown_combine);
PG_FUNCTION_INFO_V1(dq_expect_rows_pushdown_final);

#define DQ_OUTCOME_SEP '\x1f'
/* most rules a state may count */
#define DQ_EXPECT_MAX_RULES 10000

/* ---------------------------------------------------------------------
 * dq.expect_row_outcomes(rules jsonb, names name[], collations text[],
 *						  VARIADIC "any") RETURNS text
 * ---------------------------------------------------------------------
 */
typedef struct DqOutcomeRules
{
	int			nrules;
	DqRule	  **rules;
	int		   *left;			/* values this scan may still hand out */
	Datum	   *vals;
	bool	   *nulls;
	bool		first_done;		/* the first row's line was returned */
} DqOutcomeRules;

/* Compile the rules against the passed columns (in fn_mcxt). */
static DqOutcomeRules *
DqOutcomeCompile(FunctionCallInfo fcinfo)
{
	Jsonb	   *rules = PG_GETARG_JSONB_P(0);
	DqColumnSource src;
	Datum	   *nameelems;
	Datum	   *collelems;
	bool	   *cn;
	int			nnames;
	int			ncolls;
	int			i;
	DqOutcomeRules *st;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			maxcols = 1;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rules, names and collations must not be NULL")));
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), NAMEOID, NAMEDATALEN, false,
					  TYPALIGN_CHAR, &nameelems, NULL, &nnames);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(2), TEXTOID, -1, false, TYPALIGN_INT,
					  &collelems, &cn, &ncolls);
	if (nnames != PG_NARGS() - 3 || ncolls != nnames)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dq.expect_row_outcomes needs one name and one collation per column"),
				 errhint("dq.validate() builds these calls; use it rather than the function.")));
	if (!JB_ROOT_IS_ARRAY(rules))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rules must be a JSON array")));
	src.ncols = nnames;
	src.names = palloc(sizeof(char *) * Max(nnames, 1));
	src.typids = palloc(sizeof(Oid) * Max(nnames, 1));
	src.collations = palloc(sizeof(Oid) * Max(nnames, 1));
	for (i = 0; i < nnames; i++)
	{
		char	   *coll = cn[i] ? "" : TextDatumGetCString(collelems[i]);

		src.names[i] = pstrdup(NameStr(*DatumGetName(nameelems[i])));
		src.typids[i] = get_fn_expr_argtype(fcinfo->flinfo, i + 3);
		src.collations[i] = DqCollationByName(coll);
	}
	src.relname = "(validated relation)";
	src.qualname = "(validated relation)";

	st = palloc0(sizeof(DqOutcomeRules));
	st->rules = palloc0(sizeof(DqRule *) * Max(JB_ROOT_COUNT(rules), 1));
	st->left = palloc0(sizeof(int) * Max(JB_ROOT_COUNT(rules), 1));
	it = JsonbIteratorInit(&rules->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		JsonbValue *kind;
		JsonbValue *col;
		JsonbValue *params;
		JsonbValue *mostly;
		Jsonb	   *pj;
		double		m = 1.0;
		DqCheckState cs = {0};

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
		pj = JsonbValueToJsonb(params);
		if (mostly != NULL && mostly->type == jbvNumeric)
			m = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
												   NumericGetDatum(mostly->val.numeric)));
		st->rules[st->nrules] =
			DqCompileRule(&src, pnstrdup(kind->val.string.val, kind->val.string.len),
						  (col != NULL && col->type == jbvString) ?
						  pnstrdup(col->val.string.val, col->val.string.len) : NULL,
						  pj, m);
		DqParseResultFormat(pj, &cs);
		st->left[st->nrules] = (cs.format == DQ_RF_COMPLETE) ?
			DQ_COMPLETE_MAX : cs.partial_max;
		maxcols = Max(maxcols, st->rules[st->nrules]->ncols);
		st->nrules++;
	}
	if (st->nrules > DQ_EXPECT_MAX_RULES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("at most %d rules can be evaluated in one scan", DQ_EXPECT_MAX_RULES)));
	st->vals = palloc(sizeof(Datum) * maxcols);
	st->nulls = palloc(sizeof(bool) * maxcols);
	return st;
}

Datum
dq_expect_row_outcomes(PG_FUNCTION_ARGS)
{
	DqOutcomeRules *st = (DqOutcomeRules *) fcinfo->flinfo->fn_extra;
	StringInfoData out;
	StringInfoData values;
	bool		all_expected = true;
	int			r;

	if (st == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		st = DqOutcomeCompile(fcinfo);
		fcinfo->flinfo->fn_extra = st;
		MemoryContextSwitchTo(old);
	}
	initStringInfo(&out);
	initStringInfo(&values);
	for (r = 0; r < st->nrules; r++)
	{
		DqRule	   *rule = st->rules[r];
		DqOutcome	outcome;
		char		c = '.';
		int			i;

		for (i = 0; i < rule->ncols; i++)
		{
			int			arg = 3 + rule->cols[i].srcindex;

			st->nulls[i] = PG_ARGISNULL(arg);
			st->vals[i] = st->nulls[i] ? (Datum) 0 : PG_GETARG_DATUM(arg);
		}
		outcome = DqEvalRule(rule, st->vals, st->nulls);
		if (outcome == DQ_MISSING)
			c = 'm';
		else if (outcome == DQ_UNEXPECTED)
		{
			c = 'u';
			if (st->left[r] > 0)
			{
				c = 'v';
				st->left[r]--;
				appendStringInfoChar(&values, DQ_OUTCOME_SEP);
				appendStringInfoString(&values, DqUnexpectedJson(rule, st->vals, st->nulls));
			}
		}
		all_expected &= (c == '.');
		appendStringInfoChar(&out, c);
	}
	if (all_expected && st->first_done)
		PG_RETURN_NULL();
	st->first_done = true;
	appendBinaryStringInfo(&out, values.data, values.len);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}

/* ---------------------------------------------------------------------
 * dq.expect_rows_pushdown(text): the counts of the outcome lines
 * ---------------------------------------------------------------------
 */
typedef struct DqExpectCounts
{
	int64		rows;
	int32		nrules;			/* -1 until a line was seen */
	int64	   *missing;
	int64	   *unexpected;
	List	  **values;			/* per rule: JSON texts, at most DQ_COMPLETE_MAX */
} DqExpectCounts;

/*
 * Is s (len bytes) one JSON value?  Values are copied into the result
 * document as they are: anything else could change its shape.
 */
static bool
DqIsJsonValue(const char *s, int len)
{
	JsonLexContext *lex;

	if (len < 0 || memchr(s, '\0', len) != NULL || !pg_verifymbstr(s, len, true))
		return false;
	lex = makeJsonLexContextCstringLen(pnstrdup(s, len), len, GetDatabaseEncoding(), false);
	return pg_parse_json(lex, &nullSemAction) == JSON_SUCCESS;
}

static void
DqExpectWrite(void *obj, StringInfo buf, FunctionCallInfo fcinfo)
{
	DqExpectCounts *c = (DqExpectCounts *) obj;
	int			r;
	ListCell   *lc;

	DqBufPutInt64(buf, c->rows);
	DqBufPutInt32(buf, c->nrules);
	for (r = 0; r < c->nrules; r++)
	{
		DqBufPutInt64(buf, c->missing[r]);
		DqBufPutInt64(buf, c->unexpected[r]);
		DqBufPutInt32(buf, list_length(c->values[r]));
		foreach(lc, c->values[r])
		{
			int32		len = strlen(lfirst(lc));

			DqBufPutInt32(buf, len);
			DqBufPut(buf, lfirst(lc), len);
		}
	}
}

/* Allocate the per-rule arrays of c for n rules. */
static void
DqExpectCountsSize(DqExpectCounts *c, int32 n)
{
	c->nrules = n;
	c->missing = palloc0(sizeof(int64) * Max(n, 1));
	c->unexpected = palloc0(sizeof(int64) * Max(n, 1));
	c->values = palloc0(sizeof(List *) * Max(n, 1));
}

static void *
DqExpectRead(DqReadBuf *rb, FunctionCallInfo fcinfo)
{
	DqExpectCounts *c = palloc0(sizeof(DqExpectCounts));
	int32		n;
	int			r;

	c->rows = DqBufGetInt64(rb);
	n = DqBufGetInt32(rb);
	if (c->rows < 0 || n < -1 || n > DQ_EXPECT_MAX_RULES)
		DqBufInvalid("validation");
	DqExpectCountsSize(c, n);
	for (r = 0; r < n; r++)
	{
		int32		nv;
		int			i;

		c->missing[r] = DqBufGetInt64(rb);
		c->unexpected[r] = DqBufGetInt64(rb);
		nv = DqBufGetInt32(rb);
		if (c->missing[r] < 0 || c->unexpected[r] < 0 ||
			c->missing[r] + c->unexpected[r] > c->rows ||
			nv < 0 || nv > DQ_COMPLETE_MAX || nv > c->unexpected[r])
			DqBufInvalid("validation");
		for (i = 0; i < nv; i++)
		{
			int32		len = DqBufGetInt32(rb);
			char	   *s;

			if (len < 0 || (Size) len > DqBufLeft(rb))
				DqBufInvalid("validation");
			s = palloc(len + 1);
			DqBufGet(rb, s, len);
			s[len] = '\0';
			/* the values become part of a JSON document: they must be JSON */
			if (!DqIsJsonValue(s, len))
				DqBufInvalid("validation");
			c->values[r] = lappend(c->values[r], s);
		}
	}
	return c;
}

/* Add the counts of src to dst; both must be of the same rules. */
static void
DqExpectMerge(void *dst, void *src, FunctionCallInfo fcinfo)
{
	DqExpectCounts *a = (DqExpectCounts *) dst;
	DqExpectCounts *b = (DqExpectCounts *) src;
	int			r;
	ListCell   *lc;

	if (a->nrules < 0 && b->nrules >= 0)
		DqExpectCountsSize(a, b->nrules);
	if (b->nrules >= 0 && a->nrules != b->nrules)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cannot merge the counts of %d and %d rules", a->nrules, b->nrules)));
	a->rows += b->rows;
	for (r = 0; r < b->nrules; r++)
	{
		a->missing[r] += b->missing[r];
		a->unexpected[r] += b->unexpected[r];
		foreach(lc, b->values[r])
		{
			if (list_length(a->values[r]) >= DQ_COMPLETE_MAX)
				break;
			a->values[r] = lappend(a->values[r], pstrdup(lfirst(lc)));
		}
	}
}

static const DqSketchOps DqExpectOps = {DQ_SKETCH_EXPECT, "expect", DqExpectWrite, DqExpectRead, DqExpectMerge};

/* Keep a value of rule r if its list has room. */
static void
DqExpectKeep(DqExpectCounts *c, int r, const char *json, int len)
{
	if (list_length(c->values[r]) >= DQ_COMPLETE_MAX)
		return;
	if (!DqIsJsonValue(json, len))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid outcome line"),
				 errdetail("An unexpected value is not a JSON value."),
				 errhint("Pass the lines of dq.expect_row_outcomes unchanged.")));
	c->values[r] = lappend(c->values[r], pnstrdup(json, len));
}

Datum
dq_expect_rows_pushdown_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	DqSketchState *sk = DqSketchTransArg(fcinfo, 0, &DqExpectOps, &aggctx);
	DqExpectCounts *c = (DqExpectCounts *) sk->obj;
	MemoryContext old = MemoryContextSwitchTo(sk->hdr.eoh_context);

	if (c == NULL)
	{
		c = palloc0(sizeof(DqExpectCounts));
		c->nrules = -1;
		sk->obj = c;
	}
	DqSketchChanged(sk);
	c->rows++;
	if (!PG_ARGISNULL(1))
	{
		text	   *line = PG_GETARG_TEXT_PP(1);
		const char *p = VARDATA_ANY(line);
		const char *end = p + VARSIZE_ANY_EXHDR(line);
		const char *sep = memchr(p, DQ_OUTCOME_SEP, end - p);
		int			n = (sep ? sep : end) - p;
		int			r;

		if (c->nrules < 0)
			DqExpectCountsSize(c, n);
		if (n != c->nrules)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("outcome line of %d rules where %d were expected", n, c->nrules),
					 errhint("Pass the lines of dq.expect_row_outcomes over the same rules.")));
		for (r = 0; r < n; r++)
		{
			switch (p[r])
			{
				case '.':
					break;
				case 'm':
					c->missing[r]++;
					break;
				case 'u':
				case 'v':
					c->unexpected[r]++;
					if (p[r] == 'v')
					{
						const char *v;
						const char *vend;

						if (sep == NULL || sep >= end)
							goto bad;
						v = sep + 1;
						vend = memchr(v, DQ_OUTCOME_SEP, end - v);
						if (vend == NULL)
							vend = end;
						DqExpectKeep(c, r, v, vend - v);
						sep = vend;
					}
					break;
				default:
					goto bad;
			}
		}
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_DATUM(DqSketchResult(sk));

bad:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid outcome line"),
			 errhint("Pass the lines of dq.expect_row_outcomes unchanged.")));
	PG_RETURN_NULL();			/* keep compiler quiet */
}

Datum
dq_expect_rows_pushdown_combine(PG_FUNCTION_ARGS)
{
	return DqSketchCombine(fcinfo, &DqExpectOps);
}

/* Append JSON texts as the elements of an open array. */
static void
DqJsonStrings(DqJson *js, List *values)
{
	ListCell   *lc;

	foreach(lc, values)
	{
		DqJsonRaw(js, NULL, lfirst(lc));
	}
}

/*
 * The counts per rule, shaped as dq.expect_rows's result; NULL when no row
 * was read.
 */
Datum
dq_expect_rows_pushdown_final(PG_FUNCTION_ARGS)
{
	DqExpectCounts *c = (DqExpectCounts *) DqSketchPeek(fcinfo, 0, &DqExpectOps);
	DqJson		js = {0};
	int			r;

	if (c == NULL || c->nrules < 0)
		PG_RETURN_NULL();
	DqJsonBegin(&js, '[');
	for (r = 0; r < c->nrules; r++)
	{
		DqJsonKey(&js, NULL);
		DqJsonBegin(&js, '{');
		DqJsonInt(&js, "element_count", c->rows);
		DqJsonInt(&js, "missing_count", c->missing[r]);
		DqJsonInt(&js, "unexpected_count", c->unexpected[r]);
		DqJsonKey(&js, "partial");
		DqJsonBegin(&js, '[');
		DqJsonStrings(&js, c->values[r]);
		DqJsonEnd(&js, ']');
		DqJsonEnd(&js, '}');
	}
	DqJsonEnd(&js, ']');
	PG_RETURN_DATUM(DqJsonToJsonb(&js));
}

/* ---------------------------------------------------------------------
 * The scans of dq.validate and dq.check
 * ---------------------------------------------------------------------
 */

/*
 * The aggregate call that counts the row-level rules of dq.validate on a
 * distributed table: what ", dq.expect_rows(rules_sql, ...)" is on a local
 * one, over the columns of src numbered in usedcols.
 */
char *
DqExpectCitusRowsCall(const char *rules_sql, const DqColumnSource *src, List *usedcols)
{
	StringInfoData names;
	StringInfoData colls;
	StringInfoData cols;
	ListCell   *lc;

	initStringInfo(&names);
	initStringInfo(&colls);
	initStringInfo(&cols);
	foreach(lc, usedcols)
	{
		int			i = lfirst_int(lc);

		appendStringInfo(&names, "%s%s", names.len ? "," : "", quote_identifier(src->names[i]));
		appendStringInfo(&colls, "%s%s", colls.len ? ", " : "",
						 quote_literal_cstr(DqCollationName(src->collations[i])));
		appendStringInfo(&cols, ", %s", quote_identifier(src->names[i]));
	}
	return psprintf("dq.expect_rows_pushdown(dq.expect_row_outcomes(%s, %s::pg_catalog.name[], "
					"ARRAY[%s]::pg_catalog.text[]%s))",
					rules_sql, quote_literal_cstr(psprintf("{%s}", names.data)),
					colls.data, cols.data);
}

/*
 * dq.check of a row-level rule on a distributed table: the counts and the
 * first unexpected values, computed on the shards, into cs.
 */
void
DqExpectCitusScan(Relation rel, DqRule *r, DqCheckState *cs)
{
	DqColumnSource src;
	StringInfoData rules;
	List	   *used = NIL;
	char	   *q;
	MemoryContext callercxt = CurrentMemoryContext;
	Oid			argtypes[1] = {JSONBOID};
	Datum		values[1];
	int			i;

	DqColumnSourceFromRelation(rel, &src);
	initStringInfo(&rules);
	appendStringInfoString(&rules, "[{\"kind\": ");
	escape_json(&rules, r->def->name);
	if (r->def->ncols == 1)
	{
		appendStringInfoString(&rules, ", \"column\": ");
		escape_json(&rules, r->cols[0].name);
	}
	appendStringInfo(&rules, ", \"mostly\": %.17g, \"params\": %s}]", r->mostly,
					 JsonbToCString(NULL, &r->params->root, VARSIZE(r->params)));
	for (i = 0; i < r->ncols; i++)
		if (!list_member_int(used, r->cols[i].srcindex))
			used = lappend_int(used, r->cols[i].srcindex);
	q = psprintf("SELECT %s FROM %s",
				 DqExpectCitusRowsCall("$1::pg_catalog.jsonb", &src, used), src.qualname);
	values[0] = DirectFunctionCall1(jsonb_in, CStringGetDatum(rules.data));

	DqSpiConnect();
	/* read_only = false: a snapshot taken now, after our lock (see profile.c) */
	DqSpiRunOneRow(q, 1, argtypes, values, NULL, false, SPI_OK_SELECT,
				   "check the rows on the shards");
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
		{
			MemoryContext old = MemoryContextSwitchTo(callercxt);

			DqCountsFromJsonb(getIthJsonbValueFromContainer(&DatumGetJsonbPCopy(d)->root,
															0)->val.binary.data, cs);
			MemoryContextSwitchTo(old);
		}
	}
	SPI_finish();
}
