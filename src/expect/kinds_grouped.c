/*-------------------------------------------------------------------------
 *
 * kinds_grouped.c
 *	  Kinds counted like row kinds (element, missing and unexpected rows,
 *	  the first unexpected values) but by a query of their own, because a
 *	  row's outcome depends on other rows: uniqueness, references to
 *	  another table, order, z-scores; and row conditions, one SQL
 *	  expression over the row, run as the expectation's owner.
 *
 * Each query returns its counts as jsonb {element_count, missing_count,
 * unexpected_count, partial}, partial holding at most partial_max values.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "nodes/value.h"
#include "parser/parse_oper.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/regproc.h"
#include "utils/typcache.h"

#include "base/spi_util.h"
#include "expect/expectations.h"
#include "expect/kinds.h"

/* ---------------------------------------------------------------------
 * Counts from the unexpected rows
 * ---------------------------------------------------------------------
 */

/*
 * The counts of a kind whose unexpected rows are those of the query bad
 * (a column v, and k when ordered): every row of relation qualname is an
 * element, those where column col is NULL are missing, and partial holds
 * the first partial_max values of v (in k order when ordered).  with holds
 * common table expressions bad needs ("name AS (...), "), or "".
 */
static char *
DqBadRowsSql(const char *with, const char *col, const char *qualname,
			 const char *bad, bool ordered, int partial_max)
{
	return psprintf("WITH %st AS (SELECT pg_catalog.count(*) AS n, "
					"                  pg_catalog.count(*) FILTER (WHERE %s IS NULL) AS m FROM %s), "
					"     bad AS (%s) "
					"SELECT pg_catalog.jsonb_build_object("
					"'element_count', t.n, 'missing_count', t.m, "
					"'unexpected_count', (SELECT pg_catalog.count(*) FROM bad), "
					"'partial', COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(x.v)%s) FROM "
					"   (SELECT %s FROM bad%s LIMIT %d) x), '[]'::pg_catalog.jsonb)) FROM t",
					with, col, qualname, bad,
					ordered ? " ORDER BY x.k" : "", ordered ? "v, k" : "v",
					ordered ? " ORDER BY k" : "", partial_max);
}

/* ---------------------------------------------------------------------
 * Uniqueness
 * ---------------------------------------------------------------------
 */

/* the key of a uniqueness kind, as SQL */
typedef struct DqGroupKey
{
	char	   *keys;			/* GROUP BY list */
	char	   *notnull;		/* the rows tested */
	char	   *value;			/* the key as jsonb, for the partial list */
} DqGroupKey;

/*
 * The rows tested: GE's ignore_row_if, by default all but those whose key
 * is NULL in every column (a single column: its NULLs).
 */
static void
DqCompileUnique(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqGroupKey *g = palloc0(sizeof(DqGroupKey));
	StringInfoData keys;
	StringInfoData notnull;
	StringInfoData value;

	initStringInfo(&keys);
	initStringInfo(&notnull);
	initStringInfo(&value);
	for (int i = 0; i < r->ncols; i++)
	{
		const char *c = quote_identifier(r->cols[i].name);

		appendStringInfo(&keys, "%s%s", i ? ", " : "", c);
		appendStringInfo(&notnull, "%s%s IS NOT NULL",
						 i ? (r->ignore_row == DQ_IGNORE_ANY_MISSING ? " AND " : " OR ") : "",
						 c);
	}
	if (r->ignore_row == DQ_IGNORE_NEVER)
	{
		resetStringInfo(&notnull);
		appendStringInfoString(&notnull, "true");
	}
	if (r->def->ncols == 1)
		appendStringInfo(&value, "pg_catalog.to_jsonb(%s)", quote_identifier(r->cols[0].name));
	else
	{
		appendStringInfoString(&value, "pg_catalog.jsonb_build_object(");
		for (int i = 0; i < r->ncols; i++)
			appendStringInfo(&value, "%s%s, %s", i ? ", " : "",
							 quote_literal_cstr(r->cols[i].name),
							 quote_identifier(r->cols[i].name));
		appendStringInfoChar(&value, ')');
	}
	g->keys = keys.data;
	g->notnull = notnull.data;
	g->value = value.data;
	r->state = g;
}

/*
 * Every copy of a duplicated key is unexpected; rows outside the tested
 * ones are missing; the partial list repeats each duplicated key once per
 * copy, in key order.
 */
static char *
DqUniqueSql(DqRule *r, const char *qualname, int partial_max)
{
	DqGroupKey *g = r->state;

	return psprintf("WITH dups AS (SELECT %s AS v, pg_catalog.count(*) AS c FROM %s "
					"              WHERE %s GROUP BY %s HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1), "
					"     t AS (SELECT pg_catalog.count(*) AS n, "
					"                  pg_catalog.count(*) FILTER (WHERE NOT (%s)) AS m FROM %s) "
					"SELECT pg_catalog.jsonb_build_object("
					"'element_count', t.n, 'missing_count', t.m, "
					"'unexpected_count', (SELECT COALESCE(pg_catalog.sum(d.c), 0) FROM dups d), "
					"'partial', COALESCE((SELECT pg_catalog.jsonb_agg(x.v) FROM "
					"   (SELECT d.v FROM dups d, pg_catalog.generate_series(1, d.c) g "
					"     ORDER BY d.v LIMIT %d) x), '[]'::pg_catalog.jsonb)) FROM t",
					g->value, qualname, g->notnull, g->keys,
					g->notnull, qualname, partial_max);
}

/* ---------------------------------------------------------------------
 * References to another table
 * ---------------------------------------------------------------------
 */

/* how values are found in the other table */
typedef struct DqReference
{
	char	   *op_sql;			/* equality, schema-qualified */
	char	   *other_col;		/* the other table's column, quoted */
} DqReference;

/*
 * to_table and to_column: a column of a relation, compared with the
 * equality operator the parser would choose among the built-in ones
 * (search_path is pinned here), else the default equality of a common
 * type; named with its schema.
 */
static void
DqCompileExistIn(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqReference *ref = palloc0(sizeof(DqReference));
	char	   *tname = DqRequiredText(r, "to_table");
	char	   *cname = DqRequiredText(r, "to_column");
	Oid			other = DatumGetObjectId(DirectFunctionCall1(regclassin, CStringGetDatum(tname)));
	AttrNumber	att = get_attnum(other, cname);
	Oid			otype;
	Oid			eqop;

	if (att <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist", cname, tname),
				 errhint("Name a column of to_table in to_column.")));
	otype = get_atttype(other, att);
	eqop = compatible_oper_opid(list_make1(makeString("=")),
								r->cols[0].typid, otype, true);
	if (!OidIsValid(eqop) && getBaseType(r->cols[0].typid) == getBaseType(otype))
		eqop = lookup_type_cache(getBaseType(otype), TYPECACHE_EQ_OPR)->eq_opr;
	if (!OidIsValid(eqop))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("operator does not exist: %s = %s",
						format_type_be(r->cols[0].typid), format_type_be(otype)),
				 errhint("Compare columns of compatible types.")));
	ref->op_sql = DqOperatorSql(eqop);
	ref->other_col = pstrdup(quote_identifier(cname));
	r->other_relid = other;
	r->other_attnum = att;
	r->other_rel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(other)),
											  get_rel_name(other));
	r->state = ref;
}

/* every non-NULL value occurs in the other table's column */
static char *
DqExistInSql(DqRule *r, const char *qualname, int partial_max)
{
	DqReference *ref = r->state;
	const char *col = quote_identifier(r->cols[0].name);

	return DqBadRowsSql("", col, qualname,
						psprintf("SELECT s.%s AS v FROM %s s WHERE s.%s IS NOT NULL AND NOT EXISTS "
								 "(SELECT 1 FROM %s o WHERE s.%s %s o.%s)",
								 col, qualname, col, r->other_rel, col, ref->op_sql,
								 ref->other_col),
						false, partial_max);
}

/* ---------------------------------------------------------------------
 * Order
 * ---------------------------------------------------------------------
 */

typedef struct DqOrder
{
	char	   *order_by;		/* the ordering column, quoted */
	char	   *op_sql;			/* value op previous holds, schema-qualified */
} DqOrder;

/* order_by: a column of the relation; strictly: > rather than >= */
static void
DqCompileOrder(DqRule *r, const DqColumnSource *src, bool increasing)
{
	DqOrder    *o = palloc0(sizeof(DqOrder));
	char	   *ord = DqRequiredText(r, "order_by");
	bool		strictly;

	if (DqFindColumn(src, ord) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist", ord, src->relname),
				 errhint("order_by names the column that orders the rows.")));
	DqRequireCmp(r);
	o->order_by = pstrdup(quote_identifier(ord));
	strictly = DqParamBool(r->def, r->params, "strictly", false);
	o->op_sql = DqCompareOperator(r, r->cols[0].typid,
								  increasing ?
								  (strictly ? BTGreaterStrategyNumber : BTGreaterEqualStrategyNumber) :
								  (strictly ? BTLessStrategyNumber : BTLessEqualStrategyNumber));
	r->order_column = ord;
	r->state = o;
}

static void
DqCompileIncreasing(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqCompileOrder(r, src, true);
}

static void
DqCompileDecreasing(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqCompileOrder(r, src, false);
}

/* each non-NULL value against the previous non-NULL value */
static char *
DqOrderSql(DqRule *r, const char *qualname, int partial_max)
{
	DqOrder    *o = r->state;
	const char *col = quote_identifier(r->cols[0].name);

	return DqBadRowsSql(psprintf("w AS (SELECT %s AS v, pg_catalog.lag(%s) OVER (ORDER BY %s) AS p, "
								 "pg_catalog.row_number() OVER (ORDER BY %s) AS k "
								 "FROM %s WHERE %s IS NOT NULL), ",
								 col, col, o->order_by, o->order_by, qualname, col),
						col, qualname,
						psprintf("SELECT v, k FROM w WHERE p IS NOT NULL AND NOT (v %s p)", o->op_sql),
						true, partial_max);
}

/* ---------------------------------------------------------------------
 * Row conditions
 * ---------------------------------------------------------------------
 */

/*
 * row_condition: exactly one expression, parsed as PL/pgSQL parses an
 * expression ("SELECT <expr>") and refused if that gives anything else (a
 * FROM clause, several targets, ...), so that the text cannot change the
 * query it is placed in; its columns and type are checked against the
 * relation now.
 */
static void
DqCompileRowCondition(DqRule *r, const DqColumnSource *src, const char *column)
{
	char	   *cond = DqRequiredText(r, "row_condition");
	List	   *parsed = raw_parser(cond, RAW_PARSE_PLPGSQL_EXPR);
	SelectStmt *sel = (list_length(parsed) == 1) ?
		(SelectStmt *) ((RawStmt *) linitial(parsed))->stmt : NULL;
	char	   *condition;

	if (sel == NULL || !IsA(sel, SelectStmt) ||
		list_length(sel->targetList) != 1 ||
		((ResTarget *) linitial(sel->targetList))->name != NULL ||
		sel->fromClause != NIL || sel->whereClause != NULL ||
		sel->groupClause != NIL || sel->havingClause != NULL ||
		sel->windowClause != NIL || sel->valuesLists != NIL ||
		sel->sortClause != NIL || sel->limitCount != NULL ||
		sel->limitOffset != NULL || sel->lockingClause != NIL ||
		sel->withClause != NULL || sel->op != SETOP_NONE ||
		sel->distinctClause != NIL || sel->intoClause != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("row_condition must be a single SQL expression"),
				 errdetail("The value given was \"%s\".", cond),
				 errhint("Write a boolean expression over the row's columns, for example \"shipped_at >= ordered_at\".")));
	condition = psprintf("(%s)", cond);
	DqSpiConnect();
	(void) DqSpiRun(psprintf("SELECT 1 FROM %s WHERE %s LIMIT 0", src->qualname, condition),
					true, SPI_OK_SELECT, "check row_condition");
	SPI_finish();
	r->state = condition;
}

/* rows where the condition is false are unexpected, NULL missing */
static char *
DqRowConditionSql(DqRule *r, const char *qualname, int partial_max)
{
	const char *condition = r->state;

	return psprintf("WITH t AS (SELECT pg_catalog.count(*) AS n, "
					"                  pg_catalog.count(*) FILTER (WHERE %s IS NULL) AS m, "
					"                  pg_catalog.count(*) FILTER (WHERE NOT %s) AS u FROM %s) "
					"SELECT pg_catalog.jsonb_build_object("
					"'element_count', t.n, 'missing_count', t.m, 'unexpected_count', t.u, "
					"'partial', COALESCE((SELECT pg_catalog.jsonb_agg(x.j) FROM "
					"   (SELECT pg_catalog.to_jsonb(r) AS j FROM %s r WHERE NOT %s LIMIT %d) x), "
					"   '[]'::pg_catalog.jsonb)) FROM t",
					condition, condition, qualname, qualname, condition, partial_max);
}

/* ---------------------------------------------------------------------
 * z-scores
 * ---------------------------------------------------------------------
 */

typedef struct DqZScore
{
	double		threshold;
	bool		double_sided;
} DqZScore;

/* threshold: a number; double_sided: a boolean, true by default */
static void
DqCompileZScore(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqZScore   *z = palloc0(sizeof(DqZScore));
	JsonbValue *v;

	DqRequireNumeric(r, "z-scores apply to numeric columns.");
	v = DqParamNeeded(r, "threshold", jbvNumeric, "a number",
					  "Pass for example {\"threshold\": 3, \"double_sided\": true}.");
	z->threshold = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
													  NumericGetDatum(v->val.numeric)));
	v = DqParam(r->params, "double_sided");
	if (!DqParamIsNull(v) && v->type != jbvBool)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("parameter \"double_sided\" of %s must be a boolean", r->def->name),
				 errhint("Pass true or false.")));
	z->double_sided = DqParamIsNull(v) ? true : v->val.boolean;
	r->state = z;
}

/*
 * Unexpected when |z| >= threshold (z >= threshold when not double_sided),
 * z from the column's mean and sample standard deviation.
 */
static char *
DqZScoreSql(DqRule *r, const char *qualname, int partial_max)
{
	DqZScore   *zs = r->state;
	const char *col = quote_identifier(r->cols[0].name);
	char	   *z = psprintf("((%s::pg_catalog.float8 - s.m) / NULLIF(s.sd, 0))", col);
	char	   *bad = zs->double_sided ?
		psprintf("pg_catalog.abs(%s) >= %.17g", z, zs->threshold) :
		psprintf("%s >= %.17g", z, zs->threshold);

	return DqBadRowsSql(psprintf("s AS (SELECT pg_catalog.avg(%s::pg_catalog.float8) AS m, "
								 "pg_catalog.stddev_samp(%s::pg_catalog.float8) AS sd FROM %s), ",
								 col, col, qualname),
						col, qualname,
						psprintf("SELECT %s AS v FROM %s, s WHERE %s IS NOT NULL AND COALESCE(%s, true)",
								 col, qualname, col, bad),
						false, partial_max);
}

/* ---------------------------------------------------------------------
 * The table
 * ---------------------------------------------------------------------
 */

const DqKindDef DqGroupedKinds[] = {
	{
		.name = "expect_column_values_to_be_unique",
		.ncols = 1, .params = DQ_PARAMS("mostly"), .scope = DQ_SCOPE_GROUPED,
		.description = "no non-NULL value occurs twice; every copy of a duplicated value is unexpected (GE's rule)",
		.compile = DqCompileUnique, .query = DqUniqueSql,
	},
	{
		.name = "expect_compound_columns_to_be_unique",
		.ncols = -1, .nreq = 1, .params = DQ_PARAMS("column_list", "ignore_row_if", "mostly"),
		.scope = DQ_SCOPE_GROUPED,
		.description = "no combination of the columns occurs twice; rows whose columns are all NULL are missing (ignore_row_if)",
		.compile = DqCompileUnique, .query = DqUniqueSql,
	},
	{
		.name = "expect_column_values_to_exist_in",
		.ncols = 1, .nreq = 2, .params = DQ_PARAMS("to_table", "to_column", "mostly"),
		.scope = DQ_SCOPE_GROUPED, .flags = DQ_KIND_RUNS_AS_DEFINER,
		.description = "every non-NULL value occurs in to_column of to_table (referential integrity, as dbt's relationships)",
		.named_param = "to_table", .named = DQ_NAMES_RELATION,
		.compile = DqCompileExistIn, .query = DqExistInSql,
	},
	{
		.name = "expect_column_values_to_be_increasing",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("order_by", "strictly", "mostly"),
		.scope = DQ_SCOPE_GROUPED,
		.description = "each non-NULL value is at least (strictly: greater than) the previous one in order_by order",
		.compile = DqCompileIncreasing, .query = DqOrderSql,
	},
	{
		.name = "expect_column_values_to_be_decreasing",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("order_by", "strictly", "mostly"),
		.scope = DQ_SCOPE_GROUPED,
		.description = "each non-NULL value is at most (strictly: less than) the previous one in order_by order",
		.compile = DqCompileDecreasing, .query = DqOrderSql,
	},
	{
		.name = "expect_row_condition",
		.ncols = 0, .nreq = 1, .params = DQ_PARAMS("row_condition", "mostly"),
		.scope = DQ_SCOPE_GROUPED, .kind = DQ_K_ROW_CONDITION,
		.flags = DQ_KIND_RUNS_AS_DEFINER | DQ_KIND_READS_WHOLE_ROW,
		.description = "every row satisfies row_condition, one SQL boolean expression over the row's columns; rows where it is NULL are missing",
		.compile = DqCompileRowCondition, .query = DqRowConditionSql,
	},
	{
		.name = "expect_column_value_z_scores_to_be_less_than",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("threshold", "double_sided", "mostly"),
		.scope = DQ_SCOPE_GROUPED,
		.description = "each value's z-score (sample standard deviation) is below threshold, in absolute value when double_sided (the default)",
		.compile = DqCompileZScore, .query = DqZScoreSql,
	},
	{0}
};
