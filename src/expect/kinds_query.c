/*-------------------------------------------------------------------------
 *
 * kinds_query.c
 *	  Kinds whose observed value and success come from a query of their
 *	  own: the most common value, the row count of another table, and
 *	  unexpected_rows_expectation (GE 1.x's UnexpectedRowsExpectation),
 *	  which runs the user's query as the role that owns the expectation,
 *	  under SECURITY_RESTRICTED_OPERATION with search_path pinned
 *	  (base/trust.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"

#include "base/spi_util.h"
#include "base/trust.h"
#include "expect/expectations.h"
#include "expect/kinds.h"

/* ---------------------------------------------------------------------
 * The most common value
 * ---------------------------------------------------------------------
 */

typedef struct DqMostCommon
{
	char	   *set_sql;		/* value_set as an SQL array */
	char	   *op_sql;			/* equality, schema-qualified */
	bool		ties_okay;
} DqMostCommon;

static void
DqCompileMostCommon(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqMostCommon *mc = palloc0(sizeof(DqMostCommon));
	List	   *items = DqParamArray(r->def, r->params, "value_set", true);

	DqRequireCmp(r);
	mc->set_sql = DqSetArraySql(r, items);
	mc->ties_okay = DqParamBool(r->def, r->params, "ties_okay", false);
	mc->op_sql = DqCompareOperator(r, r->cols[0].typid, BTEqualStrategyNumber);
	r->state = mc;
}

/*
 * GE: with ties_okay, success when any of the (tied) most common values is
 * in the set; without, when there is one and it is.
 */
static char *
DqMostCommonSql(DqRule *r, const char *qualname, int partial_max)
{
	DqMostCommon *mc = r->state;
	const char *col = quote_identifier(r->cols[0].name);

	return psprintf("WITH c AS (SELECT %s AS v, pg_catalog.count(*) AS n FROM %s "
					"            GROUP BY %s), "
					"     top AS (SELECT v FROM c WHERE v IS NOT NULL AND n OPERATOR(pg_catalog.=) "
					"              (SELECT pg_catalog.max(n) FROM c WHERE v IS NOT NULL)) "
					"SELECT pg_catalog.jsonb_build_object("
					"'observed_value', (SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(v) ORDER BY v) FROM top), "
					"'element_count', (SELECT COALESCE(pg_catalog.sum(n), 0) FROM c), "
					"'missing_count', (SELECT COALESCE(pg_catalog.sum(n), 0) FROM c WHERE v IS NULL), "
					"'success', COALESCE((SELECT %s FROM top), false))",
					col, qualname, col,
					mc->ties_okay ?
					psprintf("pg_catalog.bool_or(v %s ANY (%s))", mc->op_sql, mc->set_sql) :
					psprintf("pg_catalog.count(*) OPERATOR(pg_catalog.=) 1 AND "
							 "pg_catalog.bool_and(v %s ANY (%s))", mc->op_sql, mc->set_sql));
}

/* ---------------------------------------------------------------------
 * The row count of another table
 * ---------------------------------------------------------------------
 */

static void
DqCompileRowCountOther(DqRule *r, const DqColumnSource *src, const char *column)
{
	char	   *tname = DqRequiredText(r, "other_table_name");
	Oid			other = DatumGetObjectId(DirectFunctionCall1(regclassin, CStringGetDatum(tname)));

	r->other_relid = other;
	r->other_rel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(other)),
											  get_rel_name(other));
}

static char *
DqRowCountOtherSql(DqRule *r, const char *qualname, int partial_max)
{
	return psprintf("SELECT pg_catalog.jsonb_build_object("
					"'observed_value', pg_catalog.jsonb_build_object('self', a.n, 'other', b.n), "
					"'success', a.n OPERATOR(pg_catalog.=) b.n) "
					"FROM (SELECT pg_catalog.count(*) AS n FROM %s) a, "
					"     (SELECT pg_catalog.count(*) AS n FROM %s) b",
					qualname, r->other_rel);
}

/* ---------------------------------------------------------------------
 * The user's query of unexpected rows
 * ---------------------------------------------------------------------
 */

/* unexpected_rows_query, with {batch} replaced by the relation */
static void
DqCompileUnexpectedRows(DqRule *r, const DqColumnSource *src, const char *column)
{
	JsonbValue *v = DqParamNeeded(r, "unexpected_rows_query", jbvString, "a string",
								  "Pass for example {\"unexpected_rows_query\": \"SELECT * FROM {batch} WHERE amount < 0\"}.");
	char	   *q;
	char	   *at;
	StringInfoData buf;

	q = pnstrdup(v->val.string.val, v->val.string.len);
	initStringInfo(&buf);
	while ((at = strstr(q, "{batch}")) != NULL)
	{
		appendBinaryStringInfo(&buf, q, at - q);
		appendStringInfoString(&buf, src->qualname);
		q = at + strlen("{batch}");
	}
	appendStringInfoString(&buf, q);
	r->state = buf.data;
}

/* The count of the user's unexpected rows, as SQL (parsed at definition). */
static char *
DqUnexpectedRowsSql(DqRule *r, const char *qualname, int partial_max)
{
	return psprintf("SELECT pg_catalog.count(*) FROM (%s) u", (char *) r->state);
}

/*
 * Run the query as the rule's role (the expectation's owner; restricted,
 * search_path pinned) and count its rows; success when there are none.
 * observed_value is GE's "N unexpected rows"; details.unexpected_rows
 * holds the first partial_max rows as JSON objects.  The result is built
 * in the caller's memory context.
 */
static Datum
DqRunUnexpectedRows(DqRule *r, const char *column, Jsonb *params, bool has_mostly)
{
	const char *query = r->state;
	DqCheckState cs = {0};
	DqOwnerContext octx;
	MemoryContext callercxt = CurrentMemoryContext;
	int64		n;
	bool		isnull;
	Datum		rows;
	char	   *members;

	DqParseResultFormat(params, &cs);
	DqSpiConnect();
	DqBecomeOwner(r->runas, &octx);
	DqSpiRunOneRow(psprintf("SELECT pg_catalog.count(*), "
							"COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(p)) FROM "
							"  (SELECT * FROM (%s) q LIMIT %d) p), '[]'::pg_catalog.jsonb)::pg_catalog.text "
							"FROM (%s) u", query, cs.partial_max, query),
				   0, NULL, NULL, NULL, false, SPI_OK_SELECT, "run unexpected_rows_query");
	DqRestoreUser(&octx);
	n = DqSpiInt64(0, 1);
	rows = DqSpiCopyValue(0, 2, callercxt, &isnull);
	SPI_finish();
	members = psprintf("\"observed_value\": \"" INT64_FORMAT " unexpected row%s\", "
					   "\"details\": {\"unexpected_rows\": %s}",
					   n, n == 1 ? "" : "s", TextDatumGetCString(rows));
	return DqAggregateResult(r, column, params, has_mostly, n == 0, members);
}

/* ---------------------------------------------------------------------
 * The table
 * ---------------------------------------------------------------------
 */

const DqKindDef DqQueryKinds[] = {
	{
		.name = "expect_column_most_common_value_to_be_in_set",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("value_set", "ties_okay"),
		.scope = DQ_SCOPE_QUERY,
		.description = "the most common non-NULL value (all of them when tied) belongs to value_set; a tie fails unless ties_okay",
		.compile = DqCompileMostCommon, .query = DqMostCommonSql,
	},
	{
		.name = "expect_table_row_count_to_equal_other_table",
		.ncols = 0, .nreq = 1, .params = DQ_PARAMS("other_table_name"),
		.scope = DQ_SCOPE_QUERY, .flags = DQ_KIND_RUNS_AS_DEFINER,
		.description = "the table has as many rows as other_table_name",
		.named_param = "other_table_name", .named = DQ_NAMES_RELATION,
		.compile = DqCompileRowCountOther, .query = DqRowCountOtherSql,
	},
	{
		.name = "unexpected_rows_expectation",
		.ncols = 0, .nreq = 1, .params = DQ_PARAMS("unexpected_rows_query", "description"),
		.scope = DQ_SCOPE_QUERY, .flags = DQ_KIND_RUNS_AS_DEFINER,
		.description = "unexpected_rows_query ({batch} stands for the table) returns no row; it runs as the expectation's owner",
		.compile = DqCompileUnexpectedRows, .query = DqUnexpectedRowsSql,
		.run = DqRunUnexpectedRows,
	},
	{0}
};
