/*-------------------------------------------------------------------------
 *
 * ge_distribution.c
 *	  Great Expectations' distributional kinds:
 *
 *	 expect_column_kl_divergence_to_be_less_than
 *	 expect_column_chisquare_test_p_value_to_be_greater_than
 *	 expect_column_bootstrapped_ks_test_p_value_to_be_greater_than
 *	 expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than
 *	 expect_column_pair_cramers_phi_value_to_be_less_than
 *
 * All five are aggregate kinds: dq.validate computes what they need in its
 * one scan, and dq_internal.ge_distribution_result turns that into GE's result
 * (observed_value, success, details) with the math of sketch/sketch_drift.
 * What the scan computes:
 *
 *	 chi-square, KL over a categorical partition, Cramer's phi:
 *		exact value counts (dq.value_counts; of the pair, for phi);
 *	 KL over a continuous partition: exact counts per bin (width_bucket);
 *	 bootstrapped KS: the counts per bin and a quantile sketch of the
 *		column, from which the bootstrap draws its samples (GE draws them
 *		from the column; the test is random either way);
 *	 parameterized KS: every value (dq.sorted_values), as the exact
 *		one-sample test needs them all.
 *
 * The computation of each result is independent of how kinds are
 * registered: DqCompileDistribution (this file) checks the parameters and
 * writes the scan's SQL (r->agg_sql, whole: the result function gives
 * observed_value, success and details at once), and the SQL-callable
 * result function (ge_distribution_result.c) does the rest; both read the
 * parameters with ge_partition.c.  This file also holds dq.sorted_values,
 * the aggregate of the parameterized KS test's scan, and at the end
 * DqDistributionKinds, the kinds' table of the registry (kinds.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "parser/parse_coerce.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "base/agg_util.h"
#include "expect/expectations.h"
#include "expect/ge_distribution.h"
#include "expect/kinds.h"

PG_FUNCTION_INFO_V1(dq_sorted_values_trans);
PG_FUNCTION_INFO_V1(dq_sorted_values_combine);
PG_FUNCTION_INFO_V1(dq_sorted_values_serialize);
PG_FUNCTION_INFO_V1(dq_sorted_values_deserialize);
PG_FUNCTION_INFO_V1(dq_sorted_values_final);

/* the bootstrap's samples come from this many quantiles of the sketch */
#define DQ_BOOT_GRID 1000

/* ---------------------------------------------------------------------
 * Compiling: checks and the scan's SQL
 * ---------------------------------------------------------------------
 */

/* whether a column (or its domain's base type) holds numbers */
static bool
DqIsNumericColumn(Oid typid)
{
	return TypeCategory(getBaseType(typid)) == TYPCATEGORY_NUMERIC;
}

/* the kind applies to numeric columns only: column i must be one */
static void
DqNeedNumeric(DqRule *r, int i, const char *why)
{
	if (!DqIsNumericColumn(r->cols[i].typid))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s does not apply to column \"%s\" of type %s",
						r->def->name, r->cols[i].name, format_type_be(r->cols[i].typid)),
				 errhint("%s", why)));
}

/* the bucket of each value: 0 below the bins, i in bin i, n + 1 above */
static char *
DqBucketSql(const char *x, const DqPartition *p)
{
	StringInfoData arr;
	int			i;

	initStringInfo(&arr);
	for (i = 0; i <= p->n; i++)
	{
		appendStringInfoString(&arr, i ? ", " : "");
		if (isinf(p->bins[i]))
			appendStringInfoString(&arr, p->bins[i] > 0 ? "'Infinity'" : "'-Infinity'");
		else
			appendStringInfoString(&arr, float8out_internal(p->bins[i]));
	}
	/* the last bin includes its upper edge (GE's histogram) */
	return psprintf("CASE WHEN %s OPERATOR(pg_catalog.=) %s::pg_catalog.float8 THEN %d "
					"ELSE pg_catalog.width_bucket(%s, ARRAY[%s]::pg_catalog.float8[]) END",
					x, isinf(p->bins[p->n]) ? (p->bins[p->n] > 0 ? "'Infinity'" : "'-Infinity'") :
					float8out_internal(p->bins[p->n]), p->n, x, arr.data);
}

/*
 * The SQL of one rule's scan, the arguments of the result function:
 * the count of values the test looks at, what the scan computes of them
 * (data: jsonb, vals: float8[]), and the parameters passed along.
 */
typedef struct DqDistScan
{
	const char *kind;
	char	   *col;			/* the first column, quoted */
	char	   *x;				/* the first column as float8 */
	char	   *nonnull;
	char	   *data;
	char	   *vals;
	Jsonb	   *params;
} DqDistScan;

/* chi-square: the value counts, against a categorical partition */
static void
DqCompileChiSquare(DqRule *r, DqDistScan *s, const DqPartition *p, bool has_p)
{
	double		pv = DqNumberParam(s->kind, r->params, "p", 0.05, NULL);

	if (!(pv >= 0.0 && pv <= 1.0))
		DqBadParam(s->kind, "p must be between 0 and 1", "Pass for example {\"p\": 0.05}.");
	DqHoldout(s->kind, r->params, "tail_weight_holdout");
	if (!has_p || !p->categorical)
		DqBadParam(s->kind, "partition_object must be a categorical partition",
				   "Pass {\"partition_object\": {\"values\": [\"a\", \"b\"], \"weights\": [0.5, 0.5]}}.");
	s->data = psprintf("dq.value_counts(%s)", s->col);
}

/* KL over a continuous partition: GE's rules on tails and infinite edges */
static void
DqCheckKlBins(DqRule *r, const char *kind, const DqPartition *p,
			  double twh, bool bucketize)
{
	bool		lo_inf = isinf(p->bins[0]);
	bool		hi_inf = isinf(p->bins[p->n]);

	if (!bucketize)
		DqBadParam(kind, "a continuous partition needs bucketize_data",
				   "Leave bucketize_data true (the default) with a partition of bins.");
	if (twh != 0.0 && p->has_tail)
		DqBadParam(kind, "tail_weight_holdout must be 0 when using tail_weights in partition object",
				   "Give the tails' weights either way, not both.");
	if (lo_inf && hi_inf && twh > 0.0)
		DqBadParam(kind, "tail_weight_holdout cannot be used for partitions with infinite endpoints",
				   "Leave tail_weight_holdout out: the partition already covers every value.");
	if ((lo_inf || hi_inf) && p->has_tail)
		DqBadParam(kind, "there can be no tail weights for partitions with one or both endpoints at infinity",
				   "Give the weight of an infinite tail as the weight of its bin.");
	DqNeedNumeric(r, 0, "A partition of bins applies to numeric columns.");
}

/*
 * KL divergence: the value counts of the column (categorical partition,
 * or no bucketizing), of its bins (continuous partition) or of its values
 * as numbers (GE's own histogram of the column, computed by the result).
 */
static void
DqCompileKl(DqRule *r, DqDistScan *s, const DqPartition *p, bool has_p)
{
	const char *kind = s->kind;
	double		twh = DqHoldout(kind, r->params, "tail_weight_holdout");
	double		iwh = DqHoldout(kind, r->params, "internal_weight_holdout");
	JsonbValue *bz = DqGet(r->params, "bucketize_data");
	bool		bucketize = (bz == NULL || (bz->type == jbvBool && bz->val.boolean));
	bool		given;
	double		t = DqNumberParam(kind, r->params, "threshold", 0.0, &given);

	if (bz != NULL && bz->type != jbvBool)
		DqBadParam(kind, "parameter \"bucketize_data\" must be a boolean",
				   "Pass {\"bucketize_data\": false} to compare discrete values.");
	if (given && !(t >= 0.0))
		DqBadParam(kind, "threshold must be greater than or equal to zero",
				   "Pass for example {\"threshold\": 0.1}, or null to only report the divergence.");
	if (has_p && p->categorical)
	{
		if (iwh > 0.0)
			DqBadParam(kind, "internal_weight_holdout cannot be used with a categorical partition",
					   "internal_weight_holdout spreads weight over empty bins of a continuous partition.");
		s->data = psprintf("dq.value_counts(%s)", s->col);
	}
	else if (has_p)
	{
		DqCheckKlBins(r, kind, p, twh, bucketize);
		s->data = psprintf("dq.value_counts(%s)", DqBucketSql(s->x, p));
	}
	else if (bucketize)
	{
		DqNeedNumeric(r, 0, "Without a partition the column is compared with its own histogram: pass bucketize_data false for a column of categories.");
		s->data = psprintf("dq.value_counts(%s)", s->x);
	}
	else
		s->data = psprintf("dq.value_counts(%s)", s->col);
}

/*
 * Bootstrapped KS: the counts per bin with the column's extremes, and the
 * quantiles of the column the bootstrap draws its samples from.
 */
static void
DqCompileBootstrap(DqRule *r, DqDistScan *s, const DqPartition *p, bool has_p)
{
	const char *kind = s->kind;
	StringInfoData grid;
	double		pv = DqNumberParam(kind, r->params, "p", 0.05, NULL);
	double		bs = DqNumberParam(kind, r->params, "bootstrap_samples", 1000, NULL);
	double		bss = DqNumberParam(kind, r->params, "bootstrap_sample_size", 1, NULL);
	int			i;

	if (!(pv >= 0.0 && pv <= 1.0))
		DqBadParam(kind, "p must be between 0 and 1", "Pass for example {\"p\": 0.05}.");
	if (!(bs >= 1 && bs <= 100000 && bs == floor(bs)) || !(bss >= 1 && bss <= 100000 && bss == floor(bss)))
		DqBadParam(kind, "bootstrap_samples and bootstrap_sample_size must be whole numbers from 1 to 100000",
				   "Leave them out for GE's defaults: 1000 samples of twice as many values as bins.");
	if (!has_p || p->categorical)
		DqBadParam(kind, "invalid continuous partition object",
				   "Pass {\"partition_object\": {\"bins\": [0, 1, 2], \"weights\": [0.5, 0.5]}}.");
	if (isinf(p->bins[0]) || isinf(p->bins[p->n]))
		DqBadParam(kind, "partition endpoints must be finite", "The bootstrapped test needs finite bins.");
	if (p->has_tail && p->tail[0] + p->tail[1] > 0.0)
		DqBadParam(kind, "partition cannot have tail weights -- endpoints must be finite",
				   "Drop tail_weights, or give them as 0.");
	DqNeedNumeric(r, 0, "The Kolmogorov-Smirnov test applies to numeric columns.");
	initStringInfo(&grid);
	for (i = 0; i <= DQ_BOOT_GRID; i++)
		appendStringInfo(&grid, "%s%g", i ? "," : "", (double) i / DQ_BOOT_GRID);
	s->data = psprintf("pg_catalog.jsonb_build_object('buckets', dq.value_counts(%s), "
					   "'min', pg_catalog.min(%s), 'max', pg_catalog.max(%s))",
					   DqBucketSql(s->x, p), s->x, s->x);
	s->vals = psprintf("dq.approx_quantiles(%s, '{%s}'::pg_catalog.float8[])", s->x, grid.data);
}

/* parameterized KS: every value, sorted, for the exact one-sample test */
static void
DqCompileParamKs(DqRule *r, DqDistScan *s)
{
	DqDistSpec	ds;
	double		pv = DqNumberParam(s->kind, r->params, "p_value", 0.05, NULL);

	if (!(pv > 0.0 && pv < 1.0))
		DqBadParam(s->kind, "p_value must be between 0 and 1", "Pass for example {\"p_value\": 0.05}.");
	DqReadDistribution(s->kind, r->params, &ds);
	DqNeedNumeric(r, 0, "The Kolmogorov-Smirnov test applies to numeric columns.");
	s->vals = psprintf("dq.sorted_values(%s)", s->x);
}

/*
 * n_bins_A or n_bins_B (i = 0, 1), and bins_A or bins_B: numbers for a
 * numeric column, lists of values (the groups) for other columns.
 */
static void
DqCheckPhiBins(DqRule *r, const char *kind, int i)
{
	static const char *const keys[] = {"n_bins_A", "n_bins_B"};
	double		nb = DqNumberParam(kind, r->params, keys[i], 10, NULL);
	JsonbValue *bins = DqGet(r->params, i == 0 ? "bins_A" : "bins_B");
	int			n;
	JsonbValue *elems = DqArrayElems(bins, &n);
	int			j;

	if (!(nb >= 1 && nb <= 10000 && nb == floor(nb)))
		DqBadParam(kind, psprintf("%s must be a whole number from 1 to 10000", keys[i]),
				   "Pass for example {\"n_bins_A\": 5}.");
	if (bins != NULL && elems == NULL)
		DqBadParam(kind, "bins_A and bins_B must be JSON arrays",
				   "Bins are numbers for a numeric column, lists of values for other columns.");
	if (elems == NULL)
		return;
	for (j = 0; j < n; j++)
	{
		double		d;
		bool		isnum = DqIsNumericColumn(r->cols[i].typid);

		if (isnum ? !DqJsonNumber(&elems[j], &d) :
			!(elems[j].type == jbvBinary && JsonContainerIsArray(elems[j].val.binary.data)))
			DqBadParam(kind, isnum ? "bins of a numeric column must be numbers" :
					   "bins of a non-numeric column must be lists of values",
					   "Pass for example {\"bins_B\": [[\"a\", \"b\"], [\"c\"]]}.");
	}
}

/*
 * Cramer's phi: the value counts of the pair, over the rows where both
 * are present; the parameters passed along say which columns are
 * numeric, for binning.
 */
static void
DqCompileCramersPhi(DqRule *r, DqDistScan *s)
{
	const char *kind = s->kind;
	const char *b = quote_identifier(r->cols[1].name);
	double		t = DqNumberParam(kind, r->params, "threshold", 0.1, NULL);
	int			i;

	if (!(t >= 0.0))
		DqBadParam(kind, "threshold must be greater than or equal to zero", "Pass for example {\"threshold\": 0.1}.");
	for (i = 0; i < 2; i++)
		DqCheckPhiBins(r, kind, i);
	s->nonnull = psprintf("pg_catalog.count(*) FILTER (WHERE %s IS NOT NULL AND %s IS NOT NULL)", s->col, b);
	s->data = psprintf("dq.value_counts(pg_catalog.jsonb_build_array(%s, %s))", s->col, b);
	/* the columns' kinds, for binning */
	s->params = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(r->params),
												   DirectFunctionCall1(jsonb_in, CStringGetDatum(
																	   psprintf("{\"dq_numeric_A\": %s, \"dq_numeric_B\": %s}",
																				DqIsNumericColumn(r->cols[0].typid) ? "true" : "false",
																				DqIsNumericColumn(r->cols[1].typid) ? "true" : "false")))));
}

/*
 * Check a rule of a distributional kind and write its scan's SQL: the
 * call of dq_internal.ge_distribution_result on what the scan computes.
 */
static void
DqCompileDistribution(DqRule *r, const DqColumnSource *src, const char *column)
{
	DqDistScan	s = {0};
	DqPartition p;
	bool		has_p;
	char	   *lit;

	s.kind = r->def->name;
	if (r->ncols >= 1)
	{
		s.col = pstrdup(quote_identifier(r->cols[0].name));
		s.x = psprintf("%s::pg_catalog.float8", s.col);
	}
	s.nonnull = psprintf("pg_catalog.count(%s)", s.col);
	s.data = "NULL::pg_catalog.jsonb";
	s.vals = "NULL::pg_catalog.float8[]";
	s.params = r->params;
	has_p = DqReadPartition(s.kind, r->params, &p);

	if (strcmp(s.kind, K_CHI) == 0)
		DqCompileChiSquare(r, &s, &p, has_p);
	else if (strcmp(s.kind, K_KL) == 0)
		DqCompileKl(r, &s, &p, has_p);
	else if (strcmp(s.kind, K_BOOT) == 0)
		DqCompileBootstrap(r, &s, &p, has_p);
	else if (strcmp(s.kind, K_PKS) == 0)
		DqCompileParamKs(r, &s);
	else
		DqCompileCramersPhi(r, &s);

	lit = quote_literal_cstr(JsonbToCString(NULL, &s.params->root, VARSIZE(s.params)));
	r->agg_sql = psprintf("dq_internal.ge_distribution_result(%s, %s::pg_catalog.jsonb, pg_catalog.count(*), %s, %s, %s)",
						  quote_literal_cstr(s.kind), lit, s.nonnull, s.data, s.vals);
}

/* ---------------------------------------------------------------------
 * dq.sorted_values(float8): every non-NULL value, sorted, in one pass
 * (parallel: partial states are concatenated)
 * ---------------------------------------------------------------------
 */

typedef struct DqValues
{
	int64		n;
	int64		cap;
	double	   *v;
} DqValues;

/* an empty state, in the aggregate's context */
static DqValues *
DqValuesNew(MemoryContext cxt)
{
	DqValues   *s = MemoryContextAllocZero(cxt, sizeof(DqValues));

	s->cap = 1024;
	s->v = MemoryContextAllocHuge(cxt, sizeof(double) * s->cap);
	return s;
}

/* room for more values, up to what one allocation can hold */
static void
DqValuesReserve(DqValues *s, int64 more)
{
	if (s->n + more <= s->cap)
		return;
	if (s->n + more > (int64) (MaxAllocSize / sizeof(double)) - 64)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many values for the parameterized Kolmogorov-Smirnov test"),
				 errdetail("The exact test holds every value in memory, at most %d million of them.",
						   (int) (MaxAllocSize / sizeof(double) / 1000000)),
				 errhint("Check a sample of the table, for example through a view with TABLESAMPLE.")));
	while (s->cap < s->n + more)
		s->cap *= 2;
	s->cap = Min(s->cap, (int64) (MaxAllocSize / sizeof(double)) - 64);
	s->v = repalloc_huge(s->v, sizeof(double) * s->cap);
}

/* add a value; NULL and NaN are left out */
Datum
dq_sorted_values_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	DqValues   *s;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "dq_sorted_values_trans called in non-aggregate context");
	s = PG_ARGISNULL(0) ? DqValuesNew(aggcxt) : (DqValues *) PG_GETARG_POINTER(0);
	if (!PG_ARGISNULL(1))
	{
		double		x = PG_GETARG_FLOAT8(1);

		if (!isnan(x))
		{
			DqValuesReserve(s, 1);
			s->v[s->n++] = x;
		}
	}
	PG_RETURN_POINTER(s);
}

/* An empty state (DqAggCombine). */
static void *
DqValuesCreateLike(void *like)
{
	return DqValuesNew(CurrentMemoryContext);
}

/* Append a partial state to another. */
static void
DqValuesMerge(void *dst, void *src, FunctionCallInfo fcinfo)
{
	DqValues   *a = (DqValues *) dst;
	DqValues   *b = (DqValues *) src;

	DqValuesReserve(a, b->n);
	memcpy(a->v + a->n, b->v, sizeof(double) * b->n);
	a->n += b->n;
}

Datum
dq_sorted_values_combine(PG_FUNCTION_ARGS)
{
	return DqAggCombine(fcinfo, "dq_sorted_values_combine", DqValuesCreateLike,
						DqValuesMerge);
}

/* a state as bytea: its values */
Datum
dq_sorted_values_serialize(PG_FUNCTION_ARGS)
{
	DqValues   *s = (DqValues *) PG_GETARG_POINTER(0);
	bytea	   *out = palloc(VARHDRSZ + sizeof(double) * s->n);

	SET_VARSIZE(out, VARHDRSZ + sizeof(double) * s->n);
	memcpy(VARDATA(out), s->v, sizeof(double) * s->n);
	PG_RETURN_BYTEA_P(out);
}

/* a state from its bytea */
Datum
dq_sorted_values_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	DqValues   *s;
	int64		n = VARSIZE_ANY_EXHDR(in) / sizeof(double);

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "dq_sorted_values_deserialize called in non-aggregate context");
	s = DqValuesNew(aggcxt);
	DqValuesReserve(s, n);
	memcpy(s->v, VARDATA_ANY(in), sizeof(double) * n);
	s->n = n;
	PG_RETURN_POINTER(s);
}

/* the values, sorted, as float8[] (NULL without any row) */
Datum
dq_sorted_values_final(PG_FUNCTION_ARGS)
{
	DqValues   *s;
	ArrayType  *arr;
	Size		sz;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (DqValues *) PG_GETARG_POINTER(0);
	qsort(s->v, s->n, sizeof(double), DqDoubleCmp);
	sz = ARR_OVERHEAD_NONULLS(1) + sizeof(double) * s->n;
	arr = (ArrayType *) palloc0(sz);
	SET_VARSIZE(arr, sz);
	arr->ndim = 1;
	arr->dataoffset = 0;
	arr->elemtype = FLOAT8OID;
	ARR_DIMS(arr)[0] = (int) s->n;
	ARR_LBOUND(arr)[0] = 1;
	memcpy(ARR_DATA_PTR(arr), s->v, sizeof(double) * s->n);
	PG_RETURN_ARRAYTYPE_P(arr);
}

/* ---------------------------------------------------------------------
 * The kinds' table of the registry
 * ---------------------------------------------------------------------
 */

const DqKindDef DqDistributionKinds[] = {
	{
		.name = K_KL,
		.ncols = 1,
		.params = DQ_PARAMS("partition_object", "threshold", "tail_weight_holdout",
							"internal_weight_holdout", "bucketize_data"),
		.scope = DQ_SCOPE_AGGREGATE,
		.description = "the Kullback-Leibler divergence of the column from partition_object (categorical or bins) is at most threshold",
		.compile = DqCompileDistribution,
	},
	{
		.name = K_CHI,
		.ncols = 1, .nreq = 1,
		.params = DQ_PARAMS("partition_object", "p", "tail_weight_holdout"),
		.scope = DQ_SCOPE_AGGREGATE,
		.description = "the chi-square test of the column's values against the categorical partition_object gives a p-value above p",
		.compile = DqCompileDistribution,
	},
	{
		.name = K_BOOT,
		.ncols = 1, .nreq = 1,
		.params = DQ_PARAMS("partition_object", "p", "bootstrap_samples", "bootstrap_sample_size"),
		.scope = DQ_SCOPE_AGGREGATE,
		.description = "bootstrapped Kolmogorov-Smirnov tests of the column against the continuous partition_object pass more often than p",
		.compile = DqCompileDistribution,
	},
	{
		.name = K_PKS,
		.ncols = 1, .nreq = 2,
		.params = DQ_PARAMS("distribution", "params", "p_value"),
		.scope = DQ_SCOPE_AGGREGATE,
		.description = "the Kolmogorov-Smirnov test of the column against distribution (norm, beta, gamma, uniform, chi2, expon) with params gives a p-value of at least p_value",
		.compile = DqCompileDistribution,
	},
	{
		.name = K_PHI,
		.ncols = 2, .nreq = 2,
		.params = DQ_PARAMS("column_A", "column_B", "bins_A", "bins_B", "n_bins_A", "n_bins_B", "threshold"),
		.scope = DQ_SCOPE_AGGREGATE,
		.description = "Cramer's phi of column_A and column_B (binned) is at most threshold (0.1 by default): the columns are independent",
		.compile = DqCompileDistribution,
	},
	{0}
};
