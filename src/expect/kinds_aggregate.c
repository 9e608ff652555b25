/*-------------------------------------------------------------------------
 *
 * kinds_aggregate.c
 *	  Statistics of a column or of the table, tested against bounds or
 *	  sets: each kind gives its statistic and its test as SQL expressions,
 *	  which dq.validate puts in its one scan next to the row kinds' (and
 *	  dq.check runs alone).
 *
 * The expressions name every function and operator with its schema and
 * carry parameters as typed literals, parsed when the expectation is
 * defined (a bound that is not a value of the column's type raises the
 * type's own error then).  A NULL statistic (no values) fails a test of
 * bounds; a test without bounds succeeds, as in GE.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "expect/expectations.h"
#include "expect/kinds.h"

/* the hint of the kinds that apply to numbers only */
#define DQ_NUMERIC_ONLY "This statistic applies to numeric columns."

/*
 * The success test of a "between" statistic: bounds from min_value and
 * max_value parsed as boundtype, inclusive unless strict; a NULL statistic
 * (no values) fails; without either bound it succeeds (as in GE).
 */
static char *
DqBetweenSql(DqRule *r, const char *observed, Oid boundtype)
{
	JsonbValue *lo = DqParam(r->params, "min_value");
	JsonbValue *hi = DqParam(r->params, "max_value");
	bool		strict_lo = DqParamBool(r->def, r->params, "strict_min", false);
	bool		strict_hi = DqParamBool(r->def, r->params, "strict_max", false);
	StringInfoData buf;
	char	   *lotxt = NULL;
	char	   *hitxt = NULL;

	/* no bounds: no constraint, success (GE's vacuous truth) */
	if (DqParamIsNull(lo) && DqParamIsNull(hi))
		return "true";
	if (!DqParamIsNull(lo))
		lotxt = DqParamText(r->def, "min_value", lo);
	if (!DqParamIsNull(hi))
		hitxt = DqParamText(r->def, "max_value", hi);
	/* min_value > max_value is no error: nothing lies between (GE) */
	initStringInfo(&buf);
	appendStringInfo(&buf, "COALESCE((%s) IS NOT NULL", observed);
	if (lotxt)
		appendStringInfo(&buf, " AND (%s) %s %s", observed,
						 DqCompareOperator(r, boundtype, strict_lo ? BTGreaterStrategyNumber :
										   BTGreaterEqualStrategyNumber),
						 DqSqlLiteral(r, lotxt, boundtype));
	if (hitxt)
		appendStringInfo(&buf, " AND (%s) %s %s", observed,
						 DqCompareOperator(r, boundtype, strict_hi ? BTLessStrategyNumber :
										   BTLessEqualStrategyNumber),
						 DqSqlLiteral(r, hitxt, boundtype));
	appendStringInfoString(&buf, ", false)");
	return buf.data;
}

/* The column, quoted, for SQL. */
static const char *
DqAggColumn(DqRule *r)
{
	return quote_identifier(r->cols[0].name);
}

/* Is the column a float column (whose statistics stay in float8)? */
static bool
DqAggIsFloat(DqRule *r)
{
	Oid			base = getBaseType(r->cols[0].typid);

	return base == FLOAT8OID || base == FLOAT4OID;
}

/*
 * min or max of a comparable column, tested as a value of its type; of a
 * numeric column by dq_internal.numeric_min/max (numeric_minmax.c), which
 * find the same value without copying each one
 */
static void
DqAggMinMax(DqRule *r, DqAggregateSql *sql, const char *fn)
{
	DqRequireCmp(r);
	if (getBaseType(r->cols[0].typid) == NUMERICOID)
		sql->observed = psprintf("dq_internal.numeric_%s(%s)", fn, DqAggColumn(r));
	else
		sql->observed = psprintf("pg_catalog.%s(%s)", fn, DqAggColumn(r));
	sql->success = DqBetweenSql(r, sql->observed, r->cols[0].typid);
}

/*
 * A moment of a numeric column: float columns in float8 (a mean of 0.1
 * and 0.2 is 0.15000000000000002, as in GE), other numbers exactly.
 */
static void
DqAggMoment(DqRule *r, DqAggregateSql *sql, const char *fn)
{
	bool		isfloat = DqAggIsFloat(r);

	DqRequireNumeric(r, DQ_NUMERIC_ONLY);
	sql->observed = psprintf("pg_catalog.%s(%s)::pg_catalog.%s", fn, DqAggColumn(r),
							 isfloat ? "float8" : "numeric");
	sql->success = DqBetweenSql(r, sql->observed, isfloat ? FLOAT8OID : NUMERICOID);
}

/* the callback of a kind testing one statistic: impl with its SQL function */
#define DQ_AGG_STATISTIC(callback, impl, fn) \
	static void \
	callback(DqRule *r, DqAggregateSql *sql) \
	{ \
		impl(r, sql, fn); \
	}

DQ_AGG_STATISTIC(DqAggMin, DqAggMinMax, "min")
DQ_AGG_STATISTIC(DqAggMax, DqAggMinMax, "max")
DQ_AGG_STATISTIC(DqAggMean, DqAggMoment, "avg")
DQ_AGG_STATISTIC(DqAggSum, DqAggMoment, "sum")
DQ_AGG_STATISTIC(DqAggStdev, DqAggMoment, "stddev_samp")

static void
DqAggMedian(DqRule *r, DqAggregateSql *sql)
{
	DqRequireNumeric(r, DQ_NUMERIC_ONLY);
	sql->observed = psprintf("pg_catalog.percentile_cont(0.5::pg_catalog.float8) WITHIN GROUP "
							 "(ORDER BY %s::pg_catalog.float8)", DqAggColumn(r));
	sql->success = DqBetweenSql(r, sql->observed, FLOAT8OID);
}

/*
 * The exact number of distinct values of the column: dq.exact_distinct
 * (hash-based, parallel) for a type with default hash and btree operator
 * classes, count(DISTINCT) for the others.
 */
static char *
DqDistinctCountSql(DqRule *r)
{
	TypeCacheEntry *tce = lookup_type_cache(r->cols[0].typid, TYPECACHE_HASH_PROC |
											TYPECACHE_EQ_OPR | TYPECACHE_LT_OPR);

	if (OidIsValid(tce->hash_proc) && OidIsValid(tce->eq_opr) && OidIsValid(tce->lt_opr))
		return psprintf("dq.exact_distinct(%s)", DqAggColumn(r));
	return psprintf("pg_catalog.count(DISTINCT %s)", DqAggColumn(r));
}

static void
DqAggUniqueCount(DqRule *r, DqAggregateSql *sql)
{
	sql->observed = DqDistinctCountSql(r);
	sql->success = DqBetweenSql(r, sql->observed, NUMERICOID);
}

static void
DqAggUniqueProportion(DqRule *r, DqAggregateSql *sql)
{
	const char *col = DqAggColumn(r);

	sql->observed = psprintf("(%s::pg_catalog.float8 OPERATOR(pg_catalog./) "
							 "CASE WHEN pg_catalog.count(%s) OPERATOR(pg_catalog.>) 0 "
							 "THEN pg_catalog.count(%s)::pg_catalog.float8 END)",
							 DqDistinctCountSql(r), col, col);
	sql->success = DqBetweenSql(r, sql->observed, FLOAT8OID);
}

/* the latest date or timestamp is within max_age of now */
static void
DqAggMaxRecent(DqRule *r, DqAggregateSql *sql)
{
	Oid			base = getBaseType(r->cols[0].typid);
	const char *col = DqAggColumn(r);

	if (base != DATEOID && base != TIMESTAMPOID && base != TIMESTAMPTZOID)
		DqKindNotApplicable(r, 0, "Freshness applies to date and timestamp columns.");
	sql->observed = psprintf("pg_catalog.max(%s)", col);
	sql->success = psprintf("COALESCE(pg_catalog.max(%s)::pg_catalog.timestamptz OPERATOR(pg_catalog.>=) "
							"(pg_catalog.now() OPERATOR(pg_catalog.-) %s), false)",
							col, DqSqlLiteral(r, DqRequiredText(r, "max_age"), INTERVALOID));
}

static void
DqAggRowCountBetween(DqRule *r, DqAggregateSql *sql)
{
	sql->observed = "pg_catalog.count(*)";
	sql->success = DqBetweenSql(r, sql->observed, NUMERICOID);
}

static void
DqAggRowCountEqual(DqRule *r, DqAggregateSql *sql)
{
	int32		v = DqParamCount(r, 1000);

	sql->observed = "pg_catalog.count(*)";
	sql->success = psprintf("pg_catalog.count(*) OPERATOR(pg_catalog.=) %d", v);
}

/*
 * The distinct non-NULL values against value_set: contained in it (in),
 * containing it (contain) or both (equal); GE's details.value_counts.
 */
static void
DqAggDistinctSet(DqRule *r, DqAggregateSql *sql, bool in, bool contain)
{
	List	   *items = DqParamArray(r->def, r->params, "value_set", false);
	const char *col = DqAggColumn(r);
	const char *typ = format_type_be_qualified(r->cols[0].typid);
	char	   *arr;
	char	   *distinct;

	DqRequireCmp(r);
	arr = DqSetArraySql(r, items);
	distinct = psprintf("COALESCE(pg_catalog.array_agg(DISTINCT %s) FILTER (WHERE %s IS NOT NULL), '{}'::%s[])",
						col, col, typ);
	sql->observed = psprintf("pg_catalog.to_jsonb(%s)", distinct);
	sql->details = psprintf("pg_catalog.jsonb_build_object('value_counts', dq.value_counts(%s))", col);
	if (DqParamIsNull(DqParam(r->params, "value_set")))
		sql->success = "true";	/* a null value_set: no constraint (GE) */
	else if (in && contain)
		sql->success = psprintf("(%s OPERATOR(pg_catalog.<@) %s AND %s OPERATOR(pg_catalog.@>) %s)",
								distinct, arr, distinct, arr);
	else
		sql->success = psprintf("(%s OPERATOR(pg_catalog.%s) %s)", distinct,
								in ? "<@" : "@>", arr);
}

static void
DqAggDistinctInSet(DqRule *r, DqAggregateSql *sql)
{
	DqAggDistinctSet(r, sql, true, false);
}

static void
DqAggDistinctContainSet(DqRule *r, DqAggregateSql *sql)
{
	DqAggDistinctSet(r, sql, false, true);
}

static void
DqAggDistinctEqualSet(DqRule *r, DqAggregateSql *sql)
{
	DqAggDistinctSet(r, sql, true, true);
}

/* quantile_ranges.quantiles: numbers between 0 and 1, as an SQL list */
static char *
DqQuantileList(DqRule *r, Jsonb *ranges, int *n)
{
	List	   *qs = DqParamArray(r->def, ranges, "quantiles", true);
	StringInfoData qarr;
	ListCell   *lc;

	*n = 0;
	initStringInfo(&qarr);
	foreach(lc, qs)
	{
		double		q;

		if (lfirst(lc) == NULL ||
			!((q = DatumGetFloat8(DirectFunctionCall1(float8in, CStringGetDatum(lfirst(lc))))) >= 0.0 && q <= 1.0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("quantiles must be numbers between 0 and 1"),
					 errhint("Pass for example [0.25, 0.5, 0.75].")));
		appendStringInfo(&qarr, "%s%s", (*n)++ ? ", " : "", (char *) lfirst(lc));
	}
	return qarr.data;
}

/* quantile_ranges.value_ranges: one [min, max] pair per quantile, tested */
static char *
DqQuantileRangesTest(DqRule *r, JsonbValue *vr, const char *pq, int n)
{
	StringInfoData test;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			i = 0;

	if (DqParamIsNull(vr) || vr->type != jbvBinary || !JsonContainerIsArray(vr->val.binary.data) ||
		JsonContainerSize(vr->val.binary.data) != n || n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value_ranges must list one [min, max] pair per quantile"),
				 errhint("Pass for example {\"quantiles\": [0.5], \"value_ranges\": [[0, 10]]}.")));
	initStringInfo(&test);
	appendStringInfo(&test, "COALESCE((%s) IS NOT NULL", pq);
	it = JsonbIteratorInit(vr->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		JsonbValue *lo;
		JsonbValue *hi;

		if (tok != WJB_ELEM)
			continue;
		i++;
		if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data) ||
			JsonContainerSize(v.val.binary.data) != 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("each value range must be a [min, max] pair"),
					 errhint("Use null for an open bound, for example [null, 10].")));
		lo = getIthJsonbValueFromContainer(v.val.binary.data, 0);
		hi = getIthJsonbValueFromContainer(v.val.binary.data, 1);
		if (lo->type != jbvNull)
			appendStringInfo(&test, " AND (%s)[%d] %s %s", pq, i,
							 DqCompareOperator(r, r->cols[0].typid, BTGreaterEqualStrategyNumber),
							 DqSqlLiteral(r, DqParamText(r->def, "value_ranges", lo), r->cols[0].typid));
		if (hi->type != jbvNull)
			appendStringInfo(&test, " AND (%s)[%d] %s %s", pq, i,
							 DqCompareOperator(r, r->cols[0].typid, BTLessEqualStrategyNumber),
							 DqSqlLiteral(r, DqParamText(r->def, "value_ranges", hi), r->cols[0].typid));
	}
	appendStringInfoString(&test, ", false)");
	return test.data;
}

/* each quantile (percentile_disc) lies in its range */
static void
DqAggQuantiles(DqRule *r, DqAggregateSql *sql)
{
	JsonbValue *qr = DqParamNeeded(r, "quantile_ranges", jbvObject, "an object",
								   "Pass {\"quantile_ranges\": {\"quantiles\": [0.5], \"value_ranges\": [[0, 10]]}}.");
	Jsonb	   *ranges;
	char	   *qarr;
	char	   *pq;
	int			n;

	DqRequireNumeric(r, DQ_NUMERIC_ONLY);
	ranges = JsonbValueToJsonb(qr);
	qarr = DqQuantileList(r, ranges, &n);
	pq = psprintf("pg_catalog.percentile_disc(ARRAY[%s]::pg_catalog.float8[]) WITHIN GROUP (ORDER BY %s)",
				  qarr, DqAggColumn(r));
	sql->success = DqQuantileRangesTest(r, DqParam(ranges, "value_ranges"), pq, n);
	sql->observed = psprintf("pg_catalog.jsonb_build_object('quantiles', pg_catalog.to_jsonb(ARRAY[%s]::pg_catalog.float8[]), 'values', pg_catalog.to_jsonb(%s))",
							 qarr, pq);
}

/* ---------------------------------------------------------------------
 * The table
 * ---------------------------------------------------------------------
 */

#define DQ_BOUNDS DQ_PARAMS("min_value", "max_value", "strict_min", "strict_max")

const DqKindDef DqAggregateKinds[] = {
	{
		.name = "expect_column_min_to_be_between",
		.ncols = 1, .params = DQ_BOUNDS, .scope = DQ_SCOPE_AGGREGATE,
		.description = "the column's smallest value lies between the bounds",
		.aggregate = DqAggMin,
	},
	{
		.name = "expect_column_max_to_be_between",
		.ncols = 1, .params = DQ_BOUNDS, .scope = DQ_SCOPE_AGGREGATE,
		.description = "the column's largest value lies between the bounds",
		.aggregate = DqAggMax,
	},
	{
		.name = "expect_column_mean_to_be_between",
		.ncols = 1, .params = DQ_BOUNDS, .scope = DQ_SCOPE_AGGREGATE,
		.description = "the mean of the numeric column lies between the bounds",
		.aggregate = DqAggMean,
	},
	{
		.name = "expect_column_median_to_be_between",
		.ncols = 1, .params = DQ_BOUNDS, .scope = DQ_SCOPE_AGGREGATE,
		.description = "the median (percentile_cont(0.5)) of the numeric column lies between the bounds",
		.aggregate = DqAggMedian,
	},
	{
		.name = "expect_column_sum_to_be_between",
		.ncols = 1, .params = DQ_BOUNDS, .scope = DQ_SCOPE_AGGREGATE,
		.description = "the sum of the numeric column lies between the bounds",
		.aggregate = DqAggSum,
	},
	{
		.name = "expect_column_stdev_to_be_between",
		.ncols = 1, .params = DQ_BOUNDS, .scope = DQ_SCOPE_AGGREGATE,
		.description = "the sample standard deviation of the numeric column lies between the bounds",
		.aggregate = DqAggStdev,
	},
	{
		.name = "expect_column_unique_value_count_to_be_between",
		.ncols = 1, .params = DQ_BOUNDS, .scope = DQ_SCOPE_AGGREGATE,
		.description = "the number of distinct non-NULL values lies between the bounds",
		.aggregate = DqAggUniqueCount,
	},
	{
		.name = "expect_column_proportion_of_unique_values_to_be_between",
		.ncols = 1, .params = DQ_BOUNDS, .scope = DQ_SCOPE_AGGREGATE,
		.description = "distinct non-NULL values / non-NULL values lies between the bounds",
		.aggregate = DqAggUniqueProportion,
	},
	{
		.name = "expect_column_max_to_be_recent",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("max_age"), .scope = DQ_SCOPE_AGGREGATE,
		.description = "the latest date or timestamp is within max_age (an interval) of now",
		.aggregate = DqAggMaxRecent,
	},
	{
		.name = "expect_table_row_count_to_be_between",
		.ncols = 0, .params = DQ_BOUNDS, .scope = DQ_SCOPE_AGGREGATE,
		.description = "the number of rows lies between the bounds",
		.aggregate = DqAggRowCountBetween,
	},
	{
		.name = "expect_table_row_count_to_equal",
		.ncols = 0, .nreq = 1, .params = DQ_PARAMS("value"), .scope = DQ_SCOPE_AGGREGATE,
		.description = "the table has exactly value rows",
		.aggregate = DqAggRowCountEqual,
	},
	{
		.name = "expect_column_distinct_values_to_be_in_set",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("value_set"), .scope = DQ_SCOPE_AGGREGATE,
		.description = "every distinct non-NULL value belongs to value_set",
		.aggregate = DqAggDistinctInSet,
	},
	{
		.name = "expect_column_distinct_values_to_contain_set",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("value_set"), .scope = DQ_SCOPE_AGGREGATE,
		.description = "the distinct non-NULL values include every value of value_set",
		.aggregate = DqAggDistinctContainSet,
	},
	{
		.name = "expect_column_distinct_values_to_equal_set",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("value_set"), .scope = DQ_SCOPE_AGGREGATE,
		.description = "the distinct non-NULL values are exactly value_set",
		.aggregate = DqAggDistinctEqualSet,
	},
	{
		.name = "expect_column_quantile_values_to_be_between",
		.ncols = 1, .nreq = 1, .params = DQ_PARAMS("quantile_ranges"), .scope = DQ_SCOPE_AGGREGATE,
		.description = "each quantile (percentile_disc) lies in its range: {\"quantiles\": [...], \"value_ranges\": [[min, max], ...]}",
		.aggregate = DqAggQuantiles,
	},
	{0}
};
