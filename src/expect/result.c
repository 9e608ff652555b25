/*-------------------------------------------------------------------------
 *
 * result.c
 *	  Great Expectations' validation results, as jsonb: of a row or
 *	  grouped kind from its counts, of an aggregate, metadata or query kind
 *	  from its observed value and success, and of an expectation that
 *	  could not be evaluated.
 *
 * success is (n - unexpected) / n >= mostly with n the rows tested,
 * computed in float8, and true when n = 0.  The keys and their order
 * follow GE's result format (BOOLEAN_ONLY, BASIC, SUMMARY, COMPLETE).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "base/json_build.h"
#include "expect/expectations.h"

/*
 * Does the rule's result count every row (kinds that test NULLs), rather
 * than the rows whose value is not missing?
 */
bool
DqResultCountsAll(const DqRule *r)
{
	return (r->def->flags & DQ_KIND_COUNTS_NULLS) != 0;
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
	bool		nullkind = DqResultCountsAll(r);
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
		{
			DqJsonRaw(&js, NULL, lfirst(lc));
		}
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
		{
			DqJsonRaw(&js, NULL, lfirst(lc));
		}
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

/* Append head, then v as JSON text (null when v is NULL). */
static void
DqAppendJsonbValue(StringInfo buf, const char *head, JsonbValue *v)
{
	Jsonb	   *j;

	appendStringInfoString(buf, head);
	if (v == NULL)
	{
		appendStringInfoString(buf, "null");
		return;
	}
	j = JsonbValueToJsonb(v);
	appendStringInfoString(buf, JsonbToCString(NULL, &j->root, VARSIZE(j)));
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
	DqCheckState cs = {0};

	initStringInfo(&members);
	DqAppendJsonbValue(&members, "\"observed_value\": ", obs);
	if (details != NULL && details->type != jbvNull)
		DqAppendJsonbValue(&members, ", \"details\": ", details);
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
		DqAppendJsonbValue(&members, "\"observed_value\": ", obs);
		appendStringInfo(&members, ", \"element_count\": " INT64_FORMAT, n);
		if (m > 0)
		{
			appendStringInfo(&members, ", \"missing_count\": " INT64_FORMAT ", \"missing_percent\": ", m);
			DqJsonAppendFloat(&members, 100.0 * (double) m / (double) n);
		}
		else
			appendStringInfoString(&members, ", \"missing_count\": null, \"missing_percent\": null");
		if (cs.format != DQ_RF_BASIC && details != NULL && details->type != jbvNull)
			DqAppendJsonbValue(&members, ", \"details\": ", details);
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
 * Fill a check state from counts as jsonb: element_count, missing_count,
 * unexpected_count, "partial" (the first unexpected values) and, with
 * COMPLETE, "complete" (or, without it, every value of "partial").  Both
 * dq.expect_rows and the own queries of grouped kinds return this shape.
 */
void
DqCountsFromJsonb(JsonbContainer *obj, DqCheckState *cs)
{
	List	   *partial = DqJsonbArrayTexts(DqJsonbGet(obj, "partial"));

	cs->element_count = DqJsonbGetInt64(obj, "element_count");
	cs->missing_count = DqJsonbGetInt64(obj, "missing_count");
	cs->unexpected_count = DqJsonbGetInt64(obj, "unexpected_count");
	cs->partial = list_truncate(list_copy(partial), cs->partial_max);
	if (cs->format == DQ_RF_COMPLETE)
	{
		JsonbValue *complete = DqJsonbGet(obj, "complete");

		cs->complete = complete ? DqJsonbArrayTexts(complete) : partial;
	}
}

/* GE's result for an expectation that could not be evaluated. */
Datum
DqExceptionResult(const char *kind, Jsonb *params, const char *error)
{
	DqJson		js = {0};

	DqJsonBegin(&js, '{');
	DqJsonBool(&js, "success", false);
	DqJsonKey(&js, "expectation_config");
	DqJsonBegin(&js, '{');
	DqJsonText(&js, "expectation_type", kind);
	DqJsonRaw(&js, "kwargs", JsonbToCString(NULL, &params->root, VARSIZE(params)));
	DqJsonRaw(&js, "meta", "{}");
	DqJsonEnd(&js, '}');
	DqJsonRaw(&js, "result", "{}");
	DqJsonKey(&js, "exception_info");
	DqJsonBegin(&js, '{');
	DqJsonBool(&js, "raised_exception", true);
	DqJsonNull(&js, "exception_traceback");
	DqJsonText(&js, "exception_message", error);
	DqJsonEnd(&js, '}');
	DqJsonRaw(&js, "meta", "{}");
	DqJsonEnd(&js, '}');
	return DqJsonToJsonb(&js);
}
