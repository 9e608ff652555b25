/*-------------------------------------------------------------------------
 *
 * check.c
 *	  dq.check(): evaluate one row-level expectation on a relation, ad hoc,
 *	  and return a Great Expectations validation result as jsonb.  Nothing
 *	  is stored.
 *
 * The caller must be allowed to read the columns the expectation reads;
 * the reading itself runs as the relation's owner (or, for a row condition
 * or a second relation, as the caller, who chose them), restricted, with
 * search_path pinned, exactly as dq.validate runs a stored expectation
 * (see DqCompileRuleFor).  Values the caller could not see -- rows that
 * row-level security hides from them, another relation they cannot read --
 * are taken out of the result (dq.result_visible, dq.redact_result).
 * Memory is bounded: per-row work happens in a context reset for every
 * row, and only the first partial_unexpected_count unexpected values (all
 * of them up to DQ_COMPLETE_MAX with COMPLETE) are kept.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/relation.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "base/catalog.h"
#include "base/progress.h"
#include "base/citus.h"
#include "base/compat.h"
#include "expect/expect_citus.h"
#include "expect/expectations.h"
#include "expect/ge_kinds.h"
#include "base/json_build.h"
#include "base/trust.h"

PG_FUNCTION_INFO_V1(dq_check);

#define DQ_FETCH_ROWS 1000


/* GE's result_format: a name, or an object with the name and a count. */
void
DqParseResultFormat(Jsonb *params, DqCheckState *cs)
{
	JsonbValue *v;
	char	   *name = NULL;

	cs->format = DQ_RF_BASIC;
	cs->partial_max = 20;
	v = DqJsonbGet(&params->root, "result_format");
	if (v == NULL || v->type == jbvNull)
		return;
	if (v->type == jbvString)
		name = pnstrdup(v->val.string.val, v->val.string.len);
	else if (v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data))
	{
		JsonbValue *f;
		JsonbValue *c;

		f = DqJsonbGet(v->val.binary.data, "result_format");
		if (f != NULL && f->type == jbvString)
			name = pnstrdup(f->val.string.val, f->val.string.len);
		c = DqJsonbGet(v->val.binary.data, "partial_unexpected_count");
		if (c != NULL)
		{
			int64		n = -1;

			if (c->type == jbvNumeric)
				n = DatumGetInt64(DirectFunctionCall1(numeric_int8,
													  NumericGetDatum(c->val.numeric)));
			if (n < 0 || n > DQ_COMPLETE_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("partial_unexpected_count must be an integer between 0 and %d",
								DQ_COMPLETE_MAX),
						 errhint("The default is 20.")));
			cs->partial_max = (int) n;
		}
		if (name == NULL)
			name = "BASIC";
	}
	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("result_format must be a string or an object"),
				 errhint("Use \"BOOLEAN_ONLY\", \"BASIC\", \"SUMMARY\" or \"COMPLETE\".")));
	if (strcmp(name, "BOOLEAN_ONLY") == 0)
		cs->format = DQ_RF_BOOLEAN_ONLY;
	else if (strcmp(name, "BASIC") == 0)
		cs->format = DQ_RF_BASIC;
	else if (strcmp(name, "SUMMARY") == 0)
		cs->format = DQ_RF_SUMMARY;
	else if (strcmp(name, "COMPLETE") == 0)
		cs->format = DQ_RF_COMPLETE;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized result_format \"%s\"", name),
				 errhint("Use \"BOOLEAN_ONLY\", \"BASIC\", \"SUMMARY\" or \"COMPLETE\".")));
}

/* Read every row of the expectation's columns and count outcomes. */
static void
DqCheckScan(Relation rel, DqRule *r, DqCheckState *cs)
{
	StringInfoData q;
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext rowcxt;
	Portal		portal;
	Datum	   *values = palloc(sizeof(Datum) * r->ncols);
	bool	   *isnull = palloc(sizeof(bool) * r->ncols);
	int			i;

	initStringInfo(&q);
	appendStringInfoString(&q, "SELECT ");
	for (i = 0; i < r->ncols; i++)
		appendStringInfo(&q, "%s%s", i ? ", " : "", quote_identifier(r->cols[i].name));
	appendStringInfo(&q, " FROM %s",
					 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												RelationGetRelationName(rel)));

	rowcxt = AllocSetContextCreate(callercxt, "dq check row", ALLOCSET_DEFAULT_SIZES);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* read_only = false: a snapshot taken now, after our lock (see profile.c) */
	portal = SPI_cursor_open_with_args(NULL, q.data, 0, NULL, NULL, NULL, false, 0);
	for (;;)
	{
		uint64		row;

		SPI_cursor_fetch(portal, true, DQ_FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		for (row = 0; row < SPI_processed; row++)
		{
			HeapTuple	tup = SPI_tuptable->vals[row];
			MemoryContext old;
			DqOutcome	outcome;

			CHECK_FOR_INTERRUPTS();
			old = MemoryContextSwitchTo(rowcxt);
			for (i = 0; i < r->ncols; i++)
				values[i] = SPI_getbinval(tup, SPI_tuptable->tupdesc, i + 1, &isnull[i]);
			outcome = DqEvalRule(r, values, isnull);
			cs->element_count++;
			if (outcome == DQ_MISSING)
				cs->missing_count++;
			else if (outcome == DQ_UNEXPECTED)
			{
				cs->unexpected_count++;
				if (list_length(cs->partial) < cs->partial_max ||
					(cs->format == DQ_RF_COMPLETE &&
					 list_length(cs->complete) < DQ_COMPLETE_MAX))
				{
					char	   *json = DqUnexpectedJson(r, values, isnull);

					MemoryContextSwitchTo(callercxt);
					json = pstrdup(json);
					if (list_length(cs->partial) < cs->partial_max)
						cs->partial = lappend(cs->partial, json);
					if (cs->format == DQ_RF_COMPLETE &&
						list_length(cs->complete) < DQ_COMPLETE_MAX)
						cs->complete = lappend(cs->complete, json);
				}
			}
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_finish();
	MemoryContextDelete(rowcxt);
}

/* value counts within the partial list, highest count first */
typedef struct DqValueCount
{
	char	   *json;
	int			count;
} DqValueCount;

static int
DqValueCountCmp(const void *a, const void *b)
{
	const DqValueCount *x = a;
	const DqValueCount *y = b;

	if (x->count != y->count)
		return y->count - x->count;
	return strcmp(x->json, y->json);
}

static void
DqJsonPercent(DqJson *js, const char *key, int64 num, int64 den)
{
	if (den == 0)
		DqJsonNull(js, key);
	else
		DqJsonFloat(js, key, (double) num / (double) den * 100.0);
}

/* success and expectation_config, opening the result document */
static void
DqResultHead(DqJson *js, DqRule *r, const char *column, Jsonb *params,
			 bool has_mostly, bool success)
{
	Jsonb	   *kwargs;
	StringInfoData kw;

	/* kwargs: the parameters, the column, mostly when given */
	initStringInfo(&kw);
	appendStringInfoChar(&kw, '{');
	if (column != NULL)
	{
		appendStringInfoString(&kw, "\"column\": ");
		escape_json(&kw, column);
	}
	if (has_mostly)
	{
		/* the argument wins over a mostly given in params */
		appendStringInfo(&kw, "%s\"mostly\": ", column ? ", " : "");
		DqJsonAppendFloat(&kw, r->mostly);
	}
	appendStringInfoChar(&kw, '}');
	kwargs = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat,
												JsonbPGetDatum(params),
												DirectFunctionCall1(jsonb_in, CStringGetDatum(kw.data))));

	DqJsonBegin(js, '{');
	DqJsonBool(js, "success", success);
	DqJsonKey(js, "expectation_config");
	DqJsonBegin(js, '{');
	DqJsonText(js, "expectation_type", r->def->name);
	DqJsonRaw(js, "kwargs", JsonbToCString(NULL, &kwargs->root, VARSIZE(kwargs)));
	DqJsonRaw(js, "meta", "{}");
	DqJsonEnd(js, '}');
}

/* exception_info and meta, closing the result document */
static void
DqResultTail(DqJson *js)
{
	DqJsonKey(js, "exception_info");
	DqJsonBegin(js, '{');
	DqJsonBool(js, "raised_exception", false);
	DqJsonNull(js, "exception_traceback");
	DqJsonNull(js, "exception_message");
	DqJsonEnd(js, '}');
	DqJsonRaw(js, "meta", "{}");
	DqJsonEnd(js, '}');
}

/*
 * Build the GE validation result for a finished scan.
 */
Datum
DqCheckResult(DqRule *r, DqCheckState *cs, const char *column, Jsonb *params,
			  bool has_mostly)
{
	DqJson		js = {0};
	bool		nullkind = (r->def->kind == DQ_K_NOT_NULL || r->def->kind == DQ_K_NULL);
	int64		n = nullkind ? cs->element_count : cs->element_count - cs->missing_count;
	bool		success;
	ListCell   *lc;

	/* success: (n - u) / n >= mostly in float8, vacuous when n = 0 */
	success = (n == 0) ||
		((double) (n - cs->unexpected_count) / (double) n >= r->mostly);

	DqResultHead(&js, r, column, params, has_mostly, success);
	DqJsonKey(&js, "result");
	DqJsonBegin(&js, '{');
	if (cs->format != DQ_RF_BOOLEAN_ONLY)
	{
		DqJsonInt(&js, "element_count", cs->element_count);
		if (!nullkind)
		{
			DqJsonInt(&js, "missing_count", cs->missing_count);
			DqJsonPercent(&js, "missing_percent", cs->missing_count, cs->element_count);
		}
		DqJsonInt(&js, "unexpected_count", cs->unexpected_count);
		DqJsonPercent(&js, "unexpected_percent", cs->unexpected_count, n);
		/* GE's formatter leaves the missing-based keys out for the null kinds */
		if (!nullkind)
		{
			DqJsonPercent(&js, "unexpected_percent_total", cs->unexpected_count, cs->element_count);
			DqJsonPercent(&js, "unexpected_percent_nonmissing", cs->unexpected_count, n);
		}
		DqJsonKey(&js, "partial_unexpected_list");
		DqJsonBegin(&js, '[');
		foreach(lc, cs->partial)
			DqJsonRaw(&js, NULL, lfirst(lc));
		DqJsonEnd(&js, ']');
	}
	if ((cs->format == DQ_RF_SUMMARY || cs->format == DQ_RF_COMPLETE) &&
		cs->partial_max > 0 && r->def->ncols == -1)
	{
		/* GE counts only hashable values: a row of several columns is not */
		DqJsonKey(&js, "details");
		DqJsonBegin(&js, '{');
		DqJsonText(&js, "partial_unexpected_counts_error",
				   "partial_unexpected_counts requested, but requires a hashable type");
		DqJsonEnd(&js, '}');
	}
	else if ((cs->format == DQ_RF_SUMMARY || cs->format == DQ_RF_COMPLETE) &&
			 cs->partial_max > 0)
	{
		DqValueCount *vc = palloc(sizeof(DqValueCount) * Max(list_length(cs->partial), 1));
		int			nvc = 0;
		int			i;

		foreach(lc, cs->partial)
		{
			for (i = 0; i < nvc; i++)
				if (strcmp(vc[i].json, lfirst(lc)) == 0)
					break;
			if (i == nvc)
			{
				vc[nvc].json = lfirst(lc);
				vc[nvc].count = 0;
				nvc++;
			}
			vc[i].count++;
		}
		qsort(vc, nvc, sizeof(DqValueCount), DqValueCountCmp);
		DqJsonKey(&js, "partial_unexpected_counts");
		DqJsonBegin(&js, '[');
		for (i = 0; i < nvc; i++)
		{
			DqJsonKey(&js, NULL);
			DqJsonBegin(&js, '{');
			DqJsonRaw(&js, "value", vc[i].json);
			DqJsonInt(&js, "count", vc[i].count);
			DqJsonEnd(&js, '}');
		}
		DqJsonEnd(&js, ']');
	}
	if (cs->format == DQ_RF_COMPLETE)
	{
		DqJsonKey(&js, "unexpected_list");
		DqJsonBegin(&js, '[');
		foreach(lc, cs->complete)
			DqJsonRaw(&js, NULL, lfirst(lc));
		DqJsonEnd(&js, ']');
		if (cs->unexpected_count > DQ_COMPLETE_MAX)
			DqJsonBool(&js, "unexpected_list_truncated", true);
	}
	DqJsonEnd(&js, '}');

	DqResultTail(&js);
	return DqJsonToJsonb(&js);
}

/*
 * The result of an aggregate or metadata kind: result_members is the JSON
 * text of the members of "result" (observed_value, ...), left out with
 * BOOLEAN_ONLY.
 */
Datum
DqAggregateResult(DqRule *r, const char *column, Jsonb *params,
				  bool has_mostly, bool success, const char *result_members)
{
	DqJson		js = {0};
	DqCheckState cs = {0};

	DqParseResultFormat(params, &cs);
	DqResultHead(&js, r, column, params, has_mostly, success);
	DqJsonKey(&js, "result");
	if (cs.format == DQ_RF_BOOLEAN_ONLY || result_members == NULL)
		appendStringInfoString(&js.buf, "{}");
	else
		appendStringInfo(&js.buf, "{%s}", result_members);
	js.first = false;
	DqResultTail(&js);
	return DqJsonToJsonb(&js);
}

/*
 * Result of an aggregate kind from its parts: the jsonb
 * {"observed_value", "success"} the scan computed.
 */
Datum
DqAggregateFromJsonb(DqRule *r, const char *column, Jsonb *params,
					 bool has_mostly, Jsonb *agg)
{
	JsonbValue *obs = DqJsonbGet(&agg->root, "observed_value");
	JsonbValue *details = DqJsonbGet(&agg->root, "details");
	StringInfoData members;
	Jsonb	   *obsj;
	DqCheckState cs = {0};

	initStringInfo(&members);
	appendStringInfoString(&members, "\"observed_value\": ");
	if (obs == NULL)
		appendStringInfoString(&members, "null");
	else
	{
		obsj = JsonbValueToJsonb(obs);
		appendStringInfoString(&members, JsonbToCString(NULL, &obsj->root, VARSIZE(obsj)));
	}
	if (details != NULL && details->type != jbvNull)
	{
		Jsonb	   *dj = JsonbValueToJsonb(details);

		appendStringInfo(&members, ", \"details\": %s",
						 JsonbToCString(NULL, &dj->root, VARSIZE(dj)));
	}
	DqParseResultFormat(params, &cs);
	if (DqJsonbGetBool(&agg->root, "legacy_counts") && DqJsonbGet(&agg->root, "element_count") != NULL)
	{
		/*
		 * Kinds GE keeps from its 0.x API (the distributional ones) report
		 * the counts as its column_aggregate_expectation did: from BASIC
		 * on, with a missing count and percent of null when none is
		 * missing, and details only from SUMMARY on.
		 */
		int64		n = DqJsonbGetInt64(&agg->root, "element_count");
		int64		m = DqJsonbGetInt64(&agg->root, "missing_count");

		resetStringInfo(&members);
		appendStringInfoString(&members, "\"observed_value\": ");
		if (obs == NULL)
			appendStringInfoString(&members, "null");
		else
		{
			obsj = JsonbValueToJsonb(obs);
			appendStringInfoString(&members, JsonbToCString(NULL, &obsj->root, VARSIZE(obsj)));
		}
		appendStringInfo(&members, ", \"element_count\": " INT64_FORMAT, n);
		if (m > 0)
		{
			appendStringInfo(&members, ", \"missing_count\": " INT64_FORMAT ", \"missing_percent\": ", m);
			DqJsonAppendFloat(&members, 100.0 * (double) m / (double) n);
		}
		else
			appendStringInfoString(&members, ", \"missing_count\": null, \"missing_percent\": null");
		if (cs.format != DQ_RF_BASIC && details != NULL && details->type != jbvNull)
		{
			Jsonb	   *dj = JsonbValueToJsonb(details);

			appendStringInfo(&members, ", \"details\": %s",
							 JsonbToCString(NULL, &dj->root, VARSIZE(dj)));
		}
	}
	/* a column's statistic with COMPLETE: GE adds the column's counts */
	else if (cs.format == DQ_RF_COMPLETE && DqJsonbGet(&agg->root, "element_count") != NULL)
	{
		int64		n = DqJsonbGetInt64(&agg->root, "element_count");
		int64		m = DqJsonbGetInt64(&agg->root, "missing_count");

		appendStringInfo(&members, ", \"element_count\": " INT64_FORMAT
						 ", \"missing_count\": " INT64_FORMAT ", \"missing_percent\": ", n, m);
		if (n == 0)
			appendStringInfoString(&members, "null");
		else
			DqJsonAppendFloat(&members, 100.0 * (double) m / (double) n);
	}
	return DqAggregateResult(r, column, params, has_mostly,
							 DqJsonbGetBool(&agg->root, "success"), members.data);
}

/*
 * Run the query of a grouped kind (uniqueness) and fill cs with its
 * counts; the values are copied to the caller's context.
 */
void
DqRunGrouped(DqRule *r, const char *qualname, DqCheckState *cs)
{
	char	   *q = DqGroupedSql(r, qualname,
								 cs->format == DQ_RF_COMPLETE ? DQ_COMPLETE_MAX : cs->partial_max);
	MemoryContext callercxt = CurrentMemoryContext;
	bool		isnull;
	Datum		d;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* no row limit: a limit would disable parallel query */
	if (SPI_execute(q, false, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "expectation query failed: %s", q);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	{
		MemoryContext old = MemoryContextSwitchTo(callercxt);

		DqCountsFromJsonb(&DatumGetJsonbPCopy(d)->root, cs);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
}

/*
 * Run a query returning {"observed_value", "success"} and build the
 * result in the caller's memory context.
 */
static Datum
DqRunAggregateQuery(const char *q, DqRule *r, const char *column, Jsonb *params,
					bool has_mostly)
{
	Jsonb	   *agg;
	bool		isnull;
	Datum		result;
	MemoryContext callercxt = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* no row limit: a limit would disable parallel query */
	if (SPI_execute(q, false, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "expectation query failed: %s", q);
	agg = DatumGetJsonbP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	{
		MemoryContext old = MemoryContextSwitchTo(callercxt);

		result = DqAggregateFromJsonb(r, column, params, has_mostly, agg);
		result = PointerGetDatum(DatumGetJsonbPCopy(result));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return result;
}

/* dq.check of an aggregate kind: SELECT <its expression> FROM rel. */
static Datum
DqCheckAggregate(Relation rel, DqRule *r, const char *column, Jsonb *params,
				 bool has_mostly)
{
	return DqRunAggregateQuery(psprintf("SELECT %s FROM %s", r->agg_sql,
										quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
																   RelationGetRelationName(rel))),
							   r, column, params, has_mostly);
}

/* A kind with its own query (most common value, another table's count). */
Datum
DqRunQueryKind(DqRule *r, const char *qualname, const char *column,
			   Jsonb *params, bool has_mostly)
{
	return DqRunAggregateQuery(DqQuerySql(r, qualname), r, column, params, has_mostly);
}

/*
 * The result as the caller may see it: whole when dq.result_visible says
 * the caller sees the values of these columns as the relation's owner
 * does, else without its values (dq.redact_result).  Both are the SQL
 * functions the policies of dq.validation_results use.
 */
static Datum
DqRedactForCaller(Oid relid, List *attnums, bool whole_row, Datum result)
{
	Oid			argtypes[3] = {OIDOID, INT2ARRAYOID, JSONBOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(attnums), 1));
	ListCell   *lc;
	bool		isnull;
	MemoryContext callercxt = CurrentMemoryContext;
	DqOwnerContext pinned;
	Datum		out;

	/* before ALTER EXTENSION UPDATE the SQL objects may be older */
	{
		Oid			fargs[3] = {OIDOID, INT2ARRAYOID, JSONBOID};

		if (!OidIsValid(LookupFuncName(list_make2(makeString("dq"), makeString("result_visible")),
									   3, fargs, true)))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the SQL objects of extension dq_lineage are older than its library"),
					 errdetail("dq.check needs dq.result_visible, which a later version of the extension creates."),
					 errhint("Run ALTER EXTENSION dq_lineage UPDATE.")));
	}
	foreach(lc, attnums)
		elems[foreach_current_index(lc)] = Int16GetDatum((int16) lfirst_int(lc));
	values[0] = ObjectIdGetDatum(relid);
	if (whole_row)
		nulls[1] = 'n';
	else
		values[1] = PointerGetDatum(construct_array(elems, list_length(attnums), INT2OID,
													sizeof(int16), true, TYPALIGN_SHORT));
	values[2] = result;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	DqBecomeOwner(GetUserId(), &pinned);
	if (SPI_execute_with_args("SELECT CASE WHEN dq.result_visible($1, $2, $3) THEN $3 "
							  "ELSE dq.redact_result($3) END",
							  3, argtypes, values, nulls, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not decide what the caller may see of the result");
	DqRestoreUser(&pinned);
	out = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	{
		MemoryContext old = MemoryContextSwitchTo(callercxt);

		out = PointerGetDatum(DatumGetJsonbPCopy(out));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return out;
}

/*
 * The effective mostly: the argument when given, else params' "mostly",
 * else 1.  *has_mostly tells whether one was given (GE then shows it).
 */
double
DqResolveMostly(Jsonb *params, bool has_arg, double arg, bool *has_mostly)
{
	double		mostly = has_arg ? arg : 1.0;

	*has_mostly = has_arg;
	if (!has_arg)
	{
		JsonbValue *v = DqJsonbGet(&params->root, "mostly");

		if (v != NULL && v->type != jbvNull)
		{
			if (v->type != jbvNumeric)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("mostly must be a number between 0 and 1"),
						 errhint("Pass for example {\"mostly\": 0.95}.")));
			mostly = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
														NumericGetDatum(v->val.numeric)));
			*has_mostly = true;
		}
	}
	if (*has_mostly && !(mostly >= 0.0 && mostly <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mostly must be between 0 and 1"),
				 errdetail("The value given was %g.", mostly),
				 errhint("mostly is the fraction of non-NULL rows that must pass, for example 0.95.")));
	return mostly;
}

/*
 * dq.check(rel regclass, kind text, column_name name, params jsonb,
 *			mostly float8) RETURNS jsonb
 */
Datum
dq_check(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *kind;
	char	   *column;
	Jsonb	   *params;
	double		mostly = 1.0;
	bool		has_mostly;
	Relation	rel;
	DqRule	   *rule;
	DqCheckState cs = {0};
	Datum		result;
	int			nestlevel;
	DqColumnSource src;
	List	   *attnums;
	bool		whole_row;
	DqOwnerContext owner;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rel must not be NULL"),
				 errhint("Name the relation to check, for example 'public.orders'.")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("kind must not be NULL"),
				 errhint("SELECT * FROM dq.expectation_kinds lists the kinds.")));
	relid = PG_GETARG_OID(0);
	kind = text_to_cstring(PG_GETARG_TEXT_PP(1));
	column = PG_ARGISNULL(2) ? NULL : pstrdup(NameStr(*PG_GETARG_NAME(2)));
	params = PG_ARGISNULL(3) ?
		DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"))) :
		PG_GETARG_JSONB_P(3);
	has_mostly = !PG_ARGISNULL(4);
	if (has_mostly)
		mostly = PG_GETARG_FLOAT8(4);

	rel = try_relation_open(relid, AccessShareLock);
	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation to check does not exist"),
				 errdetail("No relation has OID %u; it may have been dropped concurrently.", relid),
				 errhint("Name the relation, for example 'public.orders'.")));

	mostly = DqResolveMostly(params, has_mostly, mostly, &has_mostly);

	/* nothing runs for a caller who may read no column of the relation */
	DqCheckRoleCanSelect(GetUserId(), relid, NIL, false,
						 "dq.check reads the relation for a caller who may read it.");
	nestlevel = DqBeginStableOutput();
	DqColumnSourceFromRelation(rel, &src);
	params = DqCanonicalParams(kind, params);
	rule = DqCompileRuleFor(&src, GetUserId(), kind, column, params, mostly);
	attnums = DqRuleAttnums(rule, &whole_row);
	DqCheckRoleCanSelect(GetUserId(), relid, attnums, whole_row,
						 "dq.check reads the columns the expectation checks, for a caller who may read them.");
	DqProgressBegin(DQ_OP_CHECK, relid);
	DqProgressPhase(DQ_PHASE_SCANNING);
	DqBecomeOwner(rule->runas, &owner);
	if (rule->def->scope == DQ_SCOPE_METADATA)
		result = DqAggregateResult(rule, column, params, has_mostly,
								   rule->meta_success, rule->meta_result);
	else if (rule->def->scope == DQ_SCOPE_AGGREGATE)
		result = DqCheckAggregate(rel, rule, column, params, has_mostly);
	else if (rule->def->kind == DQ_K_UNEXPECTED_ROWS)
		result = DqRunUnexpectedRows(rule, rule->runas, column, params, has_mostly);
	else if (rule->def->scope == DQ_SCOPE_QUERY)
		result = DqRunQueryKind(rule, src.qualname, column, params, has_mostly);
	else if (rule->def->scope == DQ_SCOPE_GROUPED)
	{
		DqParseResultFormat(params, &cs);
		DqRunGrouped(rule, src.qualname, &cs);
		result = DqCheckResult(rule, &cs, column, params, has_mostly);
	}
	else
	{
		DqParseResultFormat(params, &cs);
		if (DqCitusPushdown(relid))
			DqExpectCitusScan(rel, rule, &cs);
		else
			DqCheckScan(rel, rule, &cs);
		result = DqCheckResult(rule, &cs, column, params, has_mostly);
	}
	DqRestoreUser(&owner);
	result = DqRedactForCaller(relid, attnums, whole_row, result);
	DqEndStableOutput(nestlevel);
	relation_close(rel, NoLock);
	DqProgressEnd(cs.element_count > 0 ? cs.element_count : -1);
	PG_RETURN_DATUM(result);
}
