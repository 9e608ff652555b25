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
 * registered: DqCompileDistribution checks the parameters and writes the
 * scan's SQL (r->agg_sql, whole: the result function gives observed_value,
 * success and details at once), and the SQL-callable result function does
 * the rest.  DqDistributionKinds at the end is this file's table of the
 * registry (kinds.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "parser/parse_coerce.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "base/json_build.h"
#include "expect/expectations.h"
#include "expect/kinds.h"
#include "sketch/sketch_drift.h"

PG_FUNCTION_INFO_V1(dq_ge_distribution_result);
PG_FUNCTION_INFO_V1(dq_sorted_values_trans);
PG_FUNCTION_INFO_V1(dq_sorted_values_combine);
PG_FUNCTION_INFO_V1(dq_sorted_values_serialize);
PG_FUNCTION_INFO_V1(dq_sorted_values_deserialize);
PG_FUNCTION_INFO_V1(dq_sorted_values_final);

/* the bootstrap's samples come from this many quantiles of the sketch */
#define DQ_BOOT_GRID 1000

/* the kinds' names, also the first argument of dq_internal.ge_distribution_result */
#define K_KL	"expect_column_kl_divergence_to_be_less_than"
#define K_CHI	"expect_column_chisquare_test_p_value_to_be_greater_than"
#define K_BOOT	"expect_column_bootstrapped_ks_test_p_value_to_be_greater_than"
#define K_PKS	"expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than"
#define K_PHI	"expect_column_pair_cramers_phi_value_to_be_less_than"

/* ---------------------------------------------------------------------
 * Parameters
 * ---------------------------------------------------------------------
 */

static void
DqBadParam(const char *kind, const char *msg, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s of %s", msg, kind),
			 errhint("%s", hint)));
}

static JsonbValue *
DqGet(Jsonb *params, const char *key)
{
	JsonbValue *v = DqJsonbGet(&params->root, key);

	return (v == NULL || v->type == jbvNull) ? NULL : v;
}

/* a number, or the strings PostgreSQL writes for infinities */
static bool
DqJsonNumber(JsonbValue *v, double *out)
{
	if (v->type == jbvNumeric)
	{
		*out = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
		return true;
	}
	if (v->type == jbvString)
	{
		char	   *s = pnstrdup(v->val.string.val, v->val.string.len);

		if (strcmp(s, "Infinity") == 0 || strcmp(s, "inf") == 0)
			*out = INFINITY;
		else if (strcmp(s, "-Infinity") == 0 || strcmp(s, "-inf") == 0)
			*out = -INFINITY;
		else
			return false;
		return true;
	}
	return false;
}

static double
DqNumberParam(const char *kind, Jsonb *params, const char *key, double dflt,
			  bool *given)
{
	JsonbValue *v = DqGet(params, key);
	double		d;

	if (given)
		*given = (v != NULL);
	if (v == NULL)
		return dflt;
	if (!DqJsonNumber(v, &d))
		DqBadParam(kind, psprintf("parameter \"%s\" must be a number", key),
				   psprintf("Pass for example {\"%s\": 0.05}.", key));
	return d;
}

/* the elements of a JSON array (NULL when v is not an array) */
static JsonbValue *
DqArrayElems(JsonbValue *v, int *n)
{
	JsonbValue *out;
	int			i;

	if (v == NULL || v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		return NULL;
	*n = JsonContainerSize(v->val.binary.data);
	out = palloc(sizeof(JsonbValue) * Max(*n, 1));
	for (i = 0; i < *n; i++)
		out[i] = *getIthJsonbValueFromContainer(v->val.binary.data, i);
	return out;
}

static double *
DqNumberArray(const char *kind, JsonbValue *obj, const char *key, int *n)
{
	JsonbValue *arr;
	JsonbValue *elems;
	double	   *out;
	int			i;

	if (obj == NULL)
		return NULL;
	arr = DqJsonbGet(obj->val.binary.data, key);
	elems = DqArrayElems(arr, n);
	if (elems == NULL)
		return NULL;
	out = palloc(sizeof(double) * Max(*n, 1));
	for (i = 0; i < *n; i++)
		if (!DqJsonNumber(&elems[i], &out[i]))
			DqBadParam(kind, psprintf("partition_object.%s must hold numbers", key),
					   "Write infinite bin edges as \"Infinity\" and \"-Infinity\".");
	return out;
}

/* GE's partition object: categorical (values, weights) or continuous */
typedef struct DqPartition
{
	bool		categorical;
	int			n;				/* weights */
	double	   *weights;
	JsonbValue *values;			/* categorical: n values */
	double	   *bins;			/* continuous: n + 1 edges */
	bool		has_tail;
	double		tail[2];
} DqPartition;

/*
 * Read and check partition_object as GE's is_valid_partition_object does:
 * as many values as weights, or one bin edge more than weights with the
 * edges increasing; the weights (with tail_weights) add up to 1 within
 * numpy's allclose.  Returns false when the parameter is absent or null.
 */
static bool
DqReadPartition(const char *kind, Jsonb *params, DqPartition *p)
{
	JsonbValue *v = DqGet(params, "partition_object");
	JsonbValue *vals;
	double	   *tail;
	double		sum = 0.0;
	int			nvals = 0;
	int			nbins = 0;
	int			ntail = 0;
	int			i;

	memset(p, 0, sizeof(DqPartition));
	if (v == NULL)
		return false;
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		DqBadParam(kind, "partition_object must be a JSON object",
				   "Pass {\"values\": [...], \"weights\": [...]} or {\"bins\": [...], \"weights\": [...]}.");
	p->weights = DqNumberArray(kind, v, "weights", &p->n);
	vals = DqArrayElems(DqJsonbGet(v->val.binary.data, "values"), &nvals);
	p->bins = DqNumberArray(kind, v, "bins", &nbins);
	tail = DqNumberArray(kind, v, "tail_weights", &ntail);
	if (p->weights == NULL || (vals == NULL && p->bins == NULL))
		DqBadParam(kind, "invalid partition object",
				   "A partition object has \"weights\" and either \"values\" (categorical) or \"bins\" (continuous).");
	for (i = 0; i < p->n; i++)
	{
		if (!(p->weights[i] >= 0.0) || isinf(p->weights[i]))
			DqBadParam(kind, "invalid partition object", "Weights are finite numbers of at least 0.");
		sum += p->weights[i];
	}
	if (vals != NULL)
	{
		p->categorical = true;
		p->values = vals;
		if (nvals != p->n)
			DqBadParam(kind, "invalid partition object",
					   "A categorical partition has one weight per value.");
	}
	else
	{
		if (nbins != p->n + 1 || p->n == 0)
			DqBadParam(kind, "invalid partition object",
					   "A continuous partition has one bin edge more than weights.");
		for (i = 0; i + 1 < nbins; i++)
			if (!(p->bins[i + 1] > p->bins[i]))
				DqBadParam(kind, "invalid partition object", "Bin edges must increase.");
		if (tail != NULL)
		{
			if (ntail != 2)
				DqBadParam(kind, "invalid partition object", "tail_weights holds two weights, below and above the bins.");
			p->has_tail = true;
			p->tail[0] = tail[0];
			p->tail[1] = tail[1];
			sum += tail[0] + tail[1];
		}
	}
	/* numpy.allclose(sum, 1) */
	if (!(fabs(sum - 1.0) <= 1e-8 + 1e-5))
		DqBadParam(kind, "invalid partition object: the weights do not add up to 1",
				   "Weights are shares of the rows: make them add up to 1.");
	return true;
}

static double
DqHoldout(const char *kind, Jsonb *params, const char *key)
{
	double		h = DqNumberParam(kind, params, key, 0.0, NULL);

	if (!(h >= 0.0 && h <= 1.0))
		DqBadParam(kind, psprintf("%s must be between zero and one", key),
				   psprintf("Pass for example {\"%s\": 0.01}.", key));
	return h;
}

/* the continuous distributions of the parameterized KS test */
typedef enum DqDist
{
	DQ_DIST_NORM,
	DQ_DIST_BETA,
	DQ_DIST_GAMMA,
	DQ_DIST_UNIFORM,
	DQ_DIST_CHI2,
	DQ_DIST_EXPON
} DqDist;

typedef struct DqDistSpec
{
	DqDist		dist;
	int			nshape;
	double		shape[2];
	double		loc;
	double		scale;
} DqDistSpec;

/*
 * distribution and params as GE takes them: params is a list in scipy's
 * positional order (shape parameters, then loc and scale) or an object
 * with GE's names: norm {mean, std_dev}, beta {alpha, beta, loc, scale},
 * gamma {alpha, loc, scale}, uniform {min, max}, chi2 {df, loc, scale},
 * expon {loc, scale}.  As in GE, uniform's min and max are scipy's loc and
 * scale: the values lie between min and min + max.
 */
static void
DqReadDistribution(const char *kind, Jsonb *params, DqDistSpec *ds)
{
	static const char *const names[] = {"norm", "beta", "gamma", "uniform", "chi2", "expon"};
	static const int nshapes[] = {0, 2, 1, 0, 1, 0};
	static const char *const keys[][4] = {
		{"mean", "std_dev", NULL},
		{"alpha", "beta", "loc", "scale"},
		{"alpha", "loc", "scale", NULL},
		{"min", "max", NULL},
		{"df", "loc", "scale", NULL},
		{"loc", "scale", NULL}
	};
	JsonbValue *v = DqGet(params, "distribution");
	JsonbValue *pv = DqGet(params, "params");
	double		pos[4];
	int			npos = 0;
	char	   *name;
	int			d;
	int			i;

	if (v == NULL || v->type != jbvString)
	{
		DqBadParam(kind, "parameter \"distribution\" must be a string",
				   "Use one of \"norm\", \"beta\", \"gamma\", \"uniform\", \"chi2\", \"expon\".");
		return;
	}
	name = pnstrdup(v->val.string.val, v->val.string.len);
	for (d = 0; d < (int) lengthof(names); d++)
		if (strcmp(name, names[d]) == 0)
			break;
	if (d == (int) lengthof(names))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unsupported distribution \"%s\" of %s", name, kind),
				 errhint("Use one of \"norm\", \"beta\", \"gamma\", \"uniform\", \"chi2\", \"expon\".")));
	ds->dist = (DqDist) d;
	ds->nshape = nshapes[d];
	if (pv != NULL && pv->type == jbvBinary && JsonContainerIsArray(pv->val.binary.data))
	{
		JsonbValue *elems = DqArrayElems(pv, &npos);

		if (npos < nshapes[d] || npos > nshapes[d] + 2)
			DqBadParam(kind, psprintf("params of a %s distribution must list %d to %d numbers",
									  name, nshapes[d], nshapes[d] + 2),
					   "List the shape parameters, then loc and scale, in scipy's order.");
		for (i = 0; i < npos; i++)
			if (!DqJsonNumber(&elems[i], &pos[i]))
				DqBadParam(kind, "params must hold numbers", "Pass for example {\"params\": [0, 1]}.");
	}
	else if (pv != NULL && pv->type == jbvBinary && JsonContainerIsObject(pv->val.binary.data))
	{
		Jsonb	   *pj = JsonbValueToJsonb(pv);

		for (i = 0; i < 4 && keys[d][i] != NULL; i++)
		{
			bool		given;
			bool		optional = (strcmp(keys[d][i], "loc") == 0 || strcmp(keys[d][i], "scale") == 0);

			pos[i] = DqNumberParam(kind, pj, keys[d][i], strcmp(keys[d][i], "scale") == 0 ? 1.0 : 0.0, &given);
			if (!given && !optional)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s distributions need parameter \"%s\" in params of %s", name, keys[d][i], kind),
						 errhint("Pass for example {\"distribution\": \"norm\", \"params\": {\"mean\": 0, \"std_dev\": 1}}.")));
			npos = i + 1;
		}
	}
	else
		DqBadParam(kind, "parameter \"params\" must be a JSON object or array",
				   "Pass for example {\"distribution\": \"norm\", \"params\": {\"mean\": 0, \"std_dev\": 1}}.");
	for (i = 0; i < ds->nshape; i++)
		ds->shape[i] = pos[i];
	ds->loc = npos > ds->nshape ? pos[ds->nshape] : 0.0;
	ds->scale = npos > ds->nshape + 1 ? pos[ds->nshape + 1] : 1.0;
	if (!(ds->scale > 0.0) || isinf(ds->scale) || isinf(ds->loc) || isnan(ds->loc))
		DqBadParam(kind, "the scale of the distribution (std_dev, max) must be a positive finite number",
				   "Pass for example {\"params\": {\"mean\": 0, \"std_dev\": 1}}.");
	for (i = 0; i < ds->nshape; i++)
		if (!(ds->shape[i] > 0.0) || isinf(ds->shape[i]))
			DqBadParam(kind, "the shape parameters of the distribution must be positive",
					   "alpha, beta and df are positive numbers.");
}

static double
DqDistCdf(const DqDistSpec *ds, double x)
{
	double		z = (x - ds->loc) / ds->scale;

	switch (ds->dist)
	{
		case DQ_DIST_NORM:
			return DqNormalCdf(z);
		case DQ_DIST_BETA:
			return z <= 0.0 ? 0.0 : (z >= 1.0 ? 1.0 : DqBetaInc(ds->shape[0], ds->shape[1], z));
		case DQ_DIST_GAMMA:
			return z <= 0.0 ? 0.0 : DqGammaP(ds->shape[0], z);
		case DQ_DIST_CHI2:
			return z <= 0.0 ? 0.0 : DqGammaP(0.5 * ds->shape[0], 0.5 * z);
		case DQ_DIST_UNIFORM:
			return z <= 0.0 ? 0.0 : (z >= 1.0 ? 1.0 : z);
		case DQ_DIST_EXPON:
			return z <= 0.0 ? 0.0 : -expm1(-z);
	}
	return NAN;
}

/* ---------------------------------------------------------------------
 * Compiling: checks and the scan's SQL
 * ---------------------------------------------------------------------
 */

static bool
DqIsNumericColumn(Oid typid)
{
	return TypeCategory(getBaseType(typid)) == TYPCATEGORY_NUMERIC;
}

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

static void
DqCompileDistribution(DqRule *r, const DqColumnSource *src, const char *column)
{
	const char *kind = r->def->name;
	char	   *lit;
	char	   *col = NULL;
	char	   *x = NULL;
	char	   *nonnull;
	char	   *data = "NULL::pg_catalog.jsonb";
	char	   *vals = "NULL::pg_catalog.float8[]";
	DqPartition p;
	bool		has_p;
	int			i;

	if (r->ncols >= 1)
	{
		col = pstrdup(quote_identifier(r->cols[0].name));
		x = psprintf("%s::pg_catalog.float8", col);
	}
	nonnull = psprintf("pg_catalog.count(%s)", col);
	has_p = DqReadPartition(kind, r->params, &p);

	if (strcmp(kind, K_CHI) == 0)
	{
		double		pv = DqNumberParam(kind, r->params, "p", 0.05, NULL);

		if (!(pv >= 0.0 && pv <= 1.0))
			DqBadParam(kind, "p must be between 0 and 1", "Pass for example {\"p\": 0.05}.");
		DqHoldout(kind, r->params, "tail_weight_holdout");
		if (!has_p || !p.categorical)
			DqBadParam(kind, "partition_object must be a categorical partition",
					   "Pass {\"partition_object\": {\"values\": [\"a\", \"b\"], \"weights\": [0.5, 0.5]}}.");
		data = psprintf("dq.value_counts(%s)", col);
	}
	else if (strcmp(kind, K_KL) == 0)
	{
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
		if (has_p && p.categorical)
		{
			if (iwh > 0.0)
				DqBadParam(kind, "internal_weight_holdout cannot be used with a categorical partition",
						   "internal_weight_holdout spreads weight over empty bins of a continuous partition.");
			data = psprintf("dq.value_counts(%s)", col);
		}
		else if (has_p)
		{
			bool		lo_inf = isinf(p.bins[0]);
			bool		hi_inf = isinf(p.bins[p.n]);

			if (!bucketize)
				DqBadParam(kind, "a continuous partition needs bucketize_data",
						   "Leave bucketize_data true (the default) with a partition of bins.");
			if (twh != 0.0 && p.has_tail)
				DqBadParam(kind, "tail_weight_holdout must be 0 when using tail_weights in partition object",
						   "Give the tails' weights either way, not both.");
			if (lo_inf && hi_inf && twh > 0.0)
				DqBadParam(kind, "tail_weight_holdout cannot be used for partitions with infinite endpoints",
						   "Leave tail_weight_holdout out: the partition already covers every value.");
			if ((lo_inf || hi_inf) && p.has_tail)
				DqBadParam(kind, "there can be no tail weights for partitions with one or both endpoints at infinity",
						   "Give the weight of an infinite tail as the weight of its bin.");
			DqNeedNumeric(r, 0, "A partition of bins applies to numeric columns.");
			data = psprintf("dq.value_counts(%s)", DqBucketSql(x, &p));
		}
		else if (bucketize)
		{
			DqNeedNumeric(r, 0, "Without a partition the column is compared with its own histogram: pass bucketize_data false for a column of categories.");
			data = psprintf("dq.value_counts(%s)", x);
		}
		else
			data = psprintf("dq.value_counts(%s)", col);
	}
	else if (strcmp(kind, K_BOOT) == 0)
	{
		StringInfoData grid;
		double		pv = DqNumberParam(kind, r->params, "p", 0.05, NULL);
		double		bs = DqNumberParam(kind, r->params, "bootstrap_samples", 1000, NULL);
		double		bss = DqNumberParam(kind, r->params, "bootstrap_sample_size", 1, NULL);

		if (!(pv >= 0.0 && pv <= 1.0))
			DqBadParam(kind, "p must be between 0 and 1", "Pass for example {\"p\": 0.05}.");
		if (!(bs >= 1 && bs <= 100000 && bs == floor(bs)) || !(bss >= 1 && bss <= 100000 && bss == floor(bss)))
			DqBadParam(kind, "bootstrap_samples and bootstrap_sample_size must be whole numbers from 1 to 100000",
					   "Leave them out for GE's defaults: 1000 samples of twice as many values as bins.");
		if (!has_p || p.categorical)
			DqBadParam(kind, "invalid continuous partition object",
					   "Pass {\"partition_object\": {\"bins\": [0, 1, 2], \"weights\": [0.5, 0.5]}}.");
		if (isinf(p.bins[0]) || isinf(p.bins[p.n]))
			DqBadParam(kind, "partition endpoints must be finite", "The bootstrapped test needs finite bins.");
		if (p.has_tail && p.tail[0] + p.tail[1] > 0.0)
			DqBadParam(kind, "partition cannot have tail weights -- endpoints must be finite",
					   "Drop tail_weights, or give them as 0.");
		DqNeedNumeric(r, 0, "The Kolmogorov-Smirnov test applies to numeric columns.");
		initStringInfo(&grid);
		for (i = 0; i <= DQ_BOOT_GRID; i++)
			appendStringInfo(&grid, "%s%g", i ? "," : "", (double) i / DQ_BOOT_GRID);
		data = psprintf("pg_catalog.jsonb_build_object('buckets', dq.value_counts(%s), "
						"'min', pg_catalog.min(%s), 'max', pg_catalog.max(%s))",
						DqBucketSql(x, &p), x, x);
		vals = psprintf("dq.approx_quantiles(%s, '{%s}'::pg_catalog.float8[])", x, grid.data);
	}
	else if (strcmp(kind, K_PKS) == 0)
	{
		DqDistSpec ds;
		double		pv = DqNumberParam(kind, r->params, "p_value", 0.05, NULL);

		if (!(pv > 0.0 && pv < 1.0))
			DqBadParam(kind, "p_value must be between 0 and 1", "Pass for example {\"p_value\": 0.05}.");
		DqReadDistribution(kind, r->params, &ds);
		DqNeedNumeric(r, 0, "The Kolmogorov-Smirnov test applies to numeric columns.");
		vals = psprintf("dq.sorted_values(%s)", x);
	}
	else
	{
		/* Cramer's phi */
		const char *b = quote_identifier(r->cols[1].name);
		static const char *const keys[] = {"n_bins_A", "n_bins_B"};
		double		t = DqNumberParam(kind, r->params, "threshold", 0.1, NULL);
		Jsonb	   *spec;

		if (!(t >= 0.0))
			DqBadParam(kind, "threshold must be greater than or equal to zero", "Pass for example {\"threshold\": 0.1}.");
		for (i = 0; i < 2; i++)
		{
			double		nb = DqNumberParam(kind, r->params, keys[i], 10, NULL);
			JsonbValue *bins = DqGet(r->params, i == 0 ? "bins_A" : "bins_B");
			int			n;
			JsonbValue *elems = DqArrayElems(bins, &n);

			if (!(nb >= 1 && nb <= 10000 && nb == floor(nb)))
				DqBadParam(kind, psprintf("%s must be a whole number from 1 to 10000", keys[i]),
						   "Pass for example {\"n_bins_A\": 5}.");
			if (bins != NULL && elems == NULL)
				DqBadParam(kind, "bins_A and bins_B must be JSON arrays",
						   "Bins are numbers for a numeric column, lists of values for other columns.");
			if (elems != NULL)
			{
				int			j;

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
		}
		nonnull = psprintf("pg_catalog.count(*) FILTER (WHERE %s IS NOT NULL AND %s IS NOT NULL)", col, b);
		data = psprintf("dq.value_counts(pg_catalog.jsonb_build_array(%s, %s))", col, b);
		/* the columns' kinds, for binning */
		spec = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(r->params),
												  DirectFunctionCall1(jsonb_in, CStringGetDatum(
																	  psprintf("{\"dq_numeric_A\": %s, \"dq_numeric_B\": %s}",
																			   DqIsNumericColumn(r->cols[0].typid) ? "true" : "false",
																			   DqIsNumericColumn(r->cols[1].typid) ? "true" : "false")))));
		lit = quote_literal_cstr(JsonbToCString(NULL, &spec->root, VARSIZE(spec)));
		r->agg_sql = psprintf("dq_internal.ge_distribution_result(%s, %s::pg_catalog.jsonb, pg_catalog.count(*), %s, %s, %s)",
							  quote_literal_cstr(kind), lit, nonnull, data, vals);
		return;
	}
	lit = quote_literal_cstr(JsonbToCString(NULL, &r->params->root, VARSIZE(r->params)));
	r->agg_sql = psprintf("dq_internal.ge_distribution_result(%s, %s::pg_catalog.jsonb, pg_catalog.count(*), %s, %s, %s)",
						  quote_literal_cstr(kind), lit, nonnull, data, vals);
}

/* ---------------------------------------------------------------------
 * Results
 * ---------------------------------------------------------------------
 */

/* one entry of dq.value_counts' output */
typedef struct DqCount
{
	JsonbValue	value;
	double		count;
} DqCount;

static DqCount *
DqReadCounts(JsonbValue *arr, int *n)
{
	JsonbValue *elems;
	DqCount    *out;
	int			i;

	*n = 0;
	elems = DqArrayElems(arr, n);
	if (elems == NULL)
	{
		*n = 0;
		return palloc(sizeof(DqCount));
	}
	out = palloc(sizeof(DqCount) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		JsonbValue *v = DqJsonbGet(elems[i].val.binary.data, "value");
		JsonbValue *c = DqJsonbGet(elems[i].val.binary.data, "count");

		out[i].value = *v;
		out[i].count = 0;
		if (c != NULL)
			(void) DqJsonNumber(c, &out[i].count);
	}
	return out;
}

static bool
DqScalarEqual(JsonbValue *a, JsonbValue *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type)
	{
		case jbvNull:
			return true;
		case jbvBool:
			return a->val.boolean == b->val.boolean;
		case jbvString:
			return a->val.string.len == b->val.string.len &&
				memcmp(a->val.string.val, b->val.string.val, a->val.string.len) == 0;
		case jbvNumeric:
			return DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(a->val.numeric),
													NumericGetDatum(b->val.numeric)));
		default:
			return false;
	}
}

static void
DqAppendScalar(StringInfo buf, JsonbValue *v)
{
	Jsonb	   *j = JsonbValueToJsonb(v);

	appendStringInfoString(buf, JsonbToCString(NULL, &j->root, VARSIZE(j)));
}

static void
DqFloatArray(DqJson *js, const char *key, const double *v, int n)
{
	int			i;

	DqJsonKey(js, key);
	DqJsonBegin(js, '[');
	for (i = 0; i < n; i++)
		DqJsonFloat(js, NULL, v[i]);
	DqJsonEnd(js, ']');
}

/* sort entries by count, descending; ties keep value order */
static int
DqCountDesc(const void *a, const void *b)
{
	const DqCount *x = a;
	const DqCount *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * Observed counts against a categorical partition, joined as GE joins
 * them: the partition's values first, then values only the data hold
 * (most frequent first).  obs[i] is 0 where the data lack a value, exp[i]
 * is NaN where the partition lacks one.
 */
static int
DqJoinCategorical(DqPartition *p, DqCount *vc, int nvc, JsonbValue **values,
				  double **obs, double **exp)
{
	int			n = p->n;
	int			i;
	int			j;
	bool	   *used = palloc0(sizeof(bool) * Max(nvc, 1));
	DqCount    *extra = palloc(sizeof(DqCount) * Max(nvc, 1));
	int			nextra = 0;

	*values = palloc(sizeof(JsonbValue) * (p->n + nvc + 1));
	*obs = palloc0(sizeof(double) * (p->n + nvc + 1));
	*exp = palloc0(sizeof(double) * (p->n + nvc + 1));
	for (i = 0; i < p->n; i++)
	{
		(*values)[i] = p->values[i];
		(*exp)[i] = p->weights[i];
		for (j = 0; j < nvc; j++)
			if (!used[j] && DqScalarEqual(&p->values[i], &vc[j].value))
			{
				(*obs)[i] = vc[j].count;
				used[j] = true;
				break;
			}
	}
	for (j = 0; j < nvc; j++)
		if (!used[j])
			extra[nextra++] = vc[j];
	qsort(extra, nextra, sizeof(DqCount), DqCountDesc);
	for (j = 0; j < nextra; j++)
	{
		(*values)[n] = extra[j].value;
		(*obs)[n] = extra[j].count;
		(*exp)[n] = NAN;
		n++;
	}
	return n;
}

static void
DqValuesPartition(DqJson *js, const char *key, JsonbValue *values, const double *w, int n)
{
	int			i;

	DqJsonKey(js, key);
	DqJsonBegin(js, '{');
	DqJsonKey(js, "values");
	DqJsonBegin(js, '[');
	for (i = 0; i < n; i++)
	{
		DqJsonKey(js, NULL);
		DqAppendScalar(&js->buf, &values[i]);
	}
	DqJsonEnd(js, ']');
	DqFloatArray(js, "weights", w, n);
	DqJsonEnd(js, '}');
}

static void
DqBinsPartition(DqJson *js, const char *key, const double *bins, int nbins,
				const double *w, int n, const double *tail)
{
	DqJsonKey(js, key);
	DqJsonBegin(js, '{');
	DqFloatArray(js, "bins", bins, nbins);
	DqFloatArray(js, "weights", w, n);
	if (tail)
		DqFloatArray(js, "tail_weights", tail, 2);
	DqJsonEnd(js, '}');
}

/* an observed value: NaN and infinities are null, as GE reports them */
static void
DqObserved(DqJson *js, double v)
{
	if (isnan(v) || isinf(v))
		DqJsonNull(js, "observed_value");
	else
		DqJsonFloat(js, "observed_value", v);
}

static void
DqChiSquareResult(DqJson *js, Jsonb *params, int64 nonnull, JsonbValue *counts)
{
	DqPartition p;
	int			nvc;
	DqCount    *vc;
	JsonbValue *values;
	double	   *obs;
	double	   *exp;
	double		twh = DqHoldout(K_CHI, params, "tail_weight_holdout");
	double		pthr = DqNumberParam(K_CHI, params, "p", 0.05, NULL);
	double		stat = 0.0;
	double		so = 0.0;
	double		se = 0.0;
	double		pv;
	int			n;
	int			na = 0;
	int			i;

	(void) DqReadPartition(K_CHI, params, &p);
	vc = DqReadCounts(counts, &nvc);
	n = DqJoinCategorical(&p, vc, nvc, &values, &obs, &exp);
	for (i = 0; i < n; i++)
	{
		if (isnan(exp[i]))
			na++;
		else
			exp[i] *= nonnull;
	}
	if (na > 0)
		for (i = 0; i < n; i++)
			exp[i] = isnan(exp[i]) ? nonnull * (twh / na) : exp[i] * (1.0 - twh);
	for (i = 0; i < n; i++)
	{
		double		d = obs[i] - exp[i];

		so += obs[i];
		se += exp[i];
		if (exp[i] == 0.0)
			stat += (d == 0.0 ? NAN : INFINITY);
		else
			stat += d * d / exp[i];
	}
	pv = isinf(stat) ? 0.0 : DqChiSquarePValue(stat, n - 1);
	DqObserved(js, pv);
	DqJsonBool(js, "success", pv > pthr);
	for (i = 0; i < n; i++)
	{
		obs[i] /= so;
		exp[i] /= se;
	}
	DqJsonKey(js, "details");
	DqJsonBegin(js, '{');
	DqValuesPartition(js, "observed_partition", values, obs, n);
	DqValuesPartition(js, "expected_partition", values, exp, n);
	DqJsonEnd(js, '}');
}

/* the value of 0-based rank k among the values counted in vc (sorted) */
static double
DqRankValue(const double *xs, const DqCount *vc, int nvc, double k)
{
	double		cum = 0.0;
	int			i;

	for (i = 0; i < nvc; i++)
	{
		cum += vc[i].count;
		if (k < cum)
			return xs[i];
	}
	return xs[nvc - 1];
}

/*
 * The partition GE builds from the column itself when none is given:
 * numpy's "auto" bins (the larger count of Sturges' and Freedman and
 * Diaconis' rules) between the smallest and the largest value, weighted
 * by the share of values in each.
 */
static void
DqAutoPartition(DqCount *vc, int nvc, double nonnull, DqPartition *p)
{
	double	   *xs = palloc(sizeof(double) * Max(nvc, 1));
	double		mn;
	double		mx;
	double		q[2];
	double		sturges = log2(nonnull + 1);
	int			nb;
	int			i;

	for (i = 0; i < nvc; i++)
		(void) DqJsonNumber(&vc[i].value, &xs[i]);
	mn = xs[0];
	mx = xs[nvc - 1];
	/* numpy's linear quantiles at 0.25 and 0.75 */
	for (i = 0; i < 2; i++)
	{
		double		pos = (i == 0 ? 0.25 : 0.75) * (nonnull - 1);
		double		lo = floor(pos);
		double		a = DqRankValue(xs, vc, nvc, lo);
		double		b = DqRankValue(xs, vc, nvc, Min(lo + 1, nonnull - 1));

		q[i] = a + (pos - lo) * (b - a);
	}
	if (q[1] - q[0] < 1e-10)
		nb = (int) ceil(sturges);
	else
	{
		double		fd = 2.0 * (q[1] - q[0]) / cbrt(nonnull);

		nb = Max((int) ceil(sturges), (int) ceil((mx - mn) / fd));
	}
	nb = Max(nb, 1);
	if (mn == mx)
	{
		mn -= 0.5;
		mx += 0.5;
	}
	p->categorical = false;
	p->n = nb;
	p->bins = palloc(sizeof(double) * (nb + 1));
	p->weights = palloc0(sizeof(double) * nb);
	for (i = 0; i < nb; i++)
		p->bins[i] = mn + i * ((mx - mn) / nb);
	p->bins[nb] = mx;
	for (i = 0; i < nvc; i++)
	{
		int			b = nb - 1;
		int			k;

		for (k = 1; k <= nb; k++)
			if (xs[i] < p->bins[k])
			{
				b = k - 1;
				break;
			}
		p->weights[b] += vc[i].count / nonnull;
	}
}

static void
DqKlResult(DqJson *js, Jsonb *params, int64 nonnull, JsonbValue *counts)
{
	DqPartition p;
	int			nvc;
	DqCount    *vc;
	double		twh = DqHoldout(K_KL, params, "tail_weight_holdout");
	double		iwh = DqHoldout(K_KL, params, "internal_weight_holdout");
	bool		has_t;
	double		t = DqNumberParam(K_KL, params, "threshold", 0.0, &has_t);
	JsonbValue *bz = DqGet(params, "bucketize_data");
	bool		bucketize = (bz == NULL || (bz->type == jbvBool && bz->val.boolean));
	double		kl;
	int			i;

	vc = DqReadCounts(counts, &nvc);
	if (!DqReadPartition(K_KL, params, &p))
	{
		/* no partition: the column against its own partition (GE's profiling use) */
		if (nvc == 0)
			kl = NAN;
		else if (!bucketize)
		{
			double	   *w = palloc(sizeof(double) * nvc);
			JsonbValue *values = palloc(sizeof(JsonbValue) * nvc);

			for (i = 0; i < nvc; i++)
			{
				w[i] = vc[i].count / (double) nonnull;
				values[i] = vc[i].value;
			}
			kl = DqKlDivergence(w, w, nvc);
			DqObserved(js, kl);
			DqJsonBool(js, "success", !has_t || kl <= t);
			DqJsonKey(js, "details");
			DqJsonBegin(js, '{');
			DqValuesPartition(js, "observed_partition", values, w, nvc);
			DqValuesPartition(js, "expected_partition", values, w, nvc);
			DqJsonEnd(js, '}');
			return;
		}
		else
		{
			double		zero[2] = {0, 0};

			DqAutoPartition(vc, nvc, (double) nonnull, &p);
			kl = DqKlDivergence(p.weights, p.weights, p.n);
			DqObserved(js, kl);
			DqJsonBool(js, "success", !has_t || kl <= t);
			DqJsonKey(js, "details");
			DqJsonBegin(js, '{');
			DqBinsPartition(js, "observed_partition", p.bins, p.n + 1, p.weights, p.n, zero);
			DqBinsPartition(js, "expected_partition", p.bins, p.n + 1, p.weights, p.n, zero);
			DqJsonEnd(js, '}');
			return;
		}
		DqObserved(js, kl);
		DqJsonBool(js, "success", !has_t);
		return;
	}
	if (p.categorical)
	{
		JsonbValue *values;
		double	   *obs;
		double	   *exp;
		int			n = DqJoinCategorical(&p, vc, nvc, &values, &obs, &exp);
		int			na = 0;

		for (i = 0; i < n; i++)
		{
			obs[i] /= (double) nonnull;
			if (isnan(exp[i]))
				na++;
		}
		if (na > 0)
			for (i = 0; i < n; i++)
				exp[i] = isnan(exp[i]) ? twh / na : exp[i] * (1.0 - twh);
		kl = DqKlDivergence(obs, exp, n);
		DqObserved(js, kl);
		DqJsonBool(js, "success", !has_t || kl <= t);
		DqJsonKey(js, "details");
		DqJsonBegin(js, '{');
		DqValuesPartition(js, "observed_partition", values, obs, n);
		DqValuesPartition(js, "expected_partition", values, exp, n);
		DqJsonEnd(js, '}');
		return;
	}
	else
	{
		int			nb = p.n;
		double	   *hist = palloc0(sizeof(double) * (nb + 2));	/* buckets 0..nb+1 */
		double	   *ew = palloc(sizeof(double) * nb);
		double	   *ow = palloc(sizeof(double) * nb);
		double	   *ce = palloc(sizeof(double) * (nb + 2));
		double	   *co = palloc(sizeof(double) * (nb + 2));
		double		et[2];
		double		ot[2];
		double		below;
		double		above;
		double		nn = (double) nonnull;
		bool		lo_inf = isinf(p.bins[0]);
		bool		hi_inf = isinf(p.bins[nb]);
		int			nc;
		int			first;
		int			nbins_out;
		int			zero = 0;

		for (i = 0; i < nvc; i++)
		{
			double		b;

			(void) DqJsonNumber(&vc[i].value, &b);
			if (b >= 0 && b <= nb + 1)
				hist[(int) b] += vc[i].count;
		}
		below = hist[0];
		above = hist[nb + 1];
		for (i = 0; i < nb; i++)
		{
			ow[i] = hist[i + 1] / nn;
			ew[i] = p.weights[i] * (1.0 - twh - iwh);
			if (ew[i] == 0.0)
				zero++;
		}
		if (iwh > 0.0 && zero > 0)
			for (i = 0; i < nb; i++)
				if (ew[i] == 0.0)
					ew[i] = iwh / zero;
		if (lo_inf && hi_inf)
		{
			memcpy(ce, ew, sizeof(double) * nb);
			memcpy(co, ow, sizeof(double) * nb);
			nc = nb;
			et[0] = ew[0];
			et[1] = ew[nb - 1];
			ot[0] = ow[0];
			ot[1] = ow[nb - 1];
			first = 1;
			nbins_out = nb - 2;
		}
		else if (lo_inf)
		{
			memcpy(ce, ew, sizeof(double) * nb);
			ce[nb] = twh;
			memcpy(co, ow, sizeof(double) * nb);
			co[nb] = above / nn;
			nc = nb + 1;
			et[0] = ew[0];
			et[1] = twh;
			ot[0] = ow[0];
			ot[1] = above / nn;
			first = 1;
			nbins_out = nb - 1;
		}
		else if (hi_inf)
		{
			ce[0] = twh;
			memcpy(ce + 1, ew, sizeof(double) * nb);
			co[0] = below / nn;
			memcpy(co + 1, ow, sizeof(double) * nb);
			nc = nb + 1;
			et[0] = twh;
			et[1] = ew[nb - 1];
			ot[0] = below / nn;
			ot[1] = ow[nb - 1];
			first = 0;
			nbins_out = nb - 1;
		}
		else
		{
			if (p.has_tail)
			{
				et[0] = p.tail[0];
				et[1] = p.tail[1];
			}
			else
				et[0] = et[1] = twh / 2.0;
			ce[0] = et[0];
			memcpy(ce + 1, ew, sizeof(double) * nb);
			ce[nb + 1] = et[1];
			ot[0] = below / nn;
			ot[1] = above / nn;
			co[0] = ot[0];
			memcpy(co + 1, ow, sizeof(double) * nb);
			co[nb + 1] = ot[1];
			nc = nb + 2;
			first = 0;
			nbins_out = nb;
		}
		kl = DqKlDivergence(co, ce, nc);
		DqObserved(js, kl);
		DqJsonBool(js, "success", !has_t || kl <= t);
		DqJsonKey(js, "details");
		DqJsonBegin(js, '{');
		DqBinsPartition(js, "observed_partition", p.bins + first, nbins_out + 1,
						ow + first, Max(nbins_out, 0), ot);
		DqBinsPartition(js, "expected_partition", p.bins + first, nbins_out + 1,
						ew + first, Max(nbins_out, 0), et);
		DqJsonEnd(js, '}');
	}
}

static int
DqDoubleCmp(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* the one-sample KS distance of sorted values to a distribution function */
static double
DqKsStatistic(const double *x, int64 n, double (*cdf) (const void *, double), const void *arg)
{
	double		d = 0.0;
	int64		i;

	for (i = 0; i < n; i++)
	{
		double		f = cdf(arg, x[i]);
		double		up = (double) (i + 1) / n - f;
		double		dn = f - (double) i / n;

		if (up > d)
			d = up;
		if (dn > d)
			d = dn;
	}
	return d;
}

static double
DqDistCdfCb(const void *arg, double x)
{
	return DqDistCdf((const DqDistSpec *) arg, x);
}

/* the piecewise-linear distribution function of a partition (numpy.interp) */
typedef struct DqPartitionCdf
{
	const double *bins;
	const double *cdf;
	int			n;				/* edges */
} DqPartitionCdf;

static double
DqPartitionCdfCb(const void *arg, double x)
{
	const DqPartitionCdf *pc = arg;
	int			lo = 0;
	int			hi = pc->n - 1;

	if (x <= pc->bins[0])
		return pc->cdf[0];
	if (x >= pc->bins[hi])
		return pc->cdf[hi];
	while (hi - lo > 1)
	{
		int			mid = (lo + hi) / 2;

		if (pc->bins[mid] <= x)
			lo = mid;
		else
			hi = mid;
	}
	return pc->cdf[lo] + (pc->cdf[hi] - pc->cdf[lo]) * (x - pc->bins[lo]) / (pc->bins[hi] - pc->bins[lo]);
}

static void
DqBootstrapResult(DqJson *js, Jsonb *params, int64 nonnull, JsonbValue *data,
				  ArrayType *grid)
{
	DqPartition p;
	double		pthr = DqNumberParam(K_BOOT, params, "p", 0.05, NULL);
	int			samples;
	int			size;
	double	   *cdf;
	DqPartitionCdf pc;
	double	   *q = NULL;
	int			nq = 0;
	int			nvc;
	DqCount    *vc;
	double	   *hist;
	double		below;
	double		above;
	double		mn = NAN;
	double		mx = NAN;
	double		result = NAN;
	int			i;
	int			nb;

	(void) DqReadPartition(K_BOOT, params, &p);
	nb = p.n;
	samples = (int) DqNumberParam(K_BOOT, params, "bootstrap_samples", 1000, NULL);
	size = (int) DqNumberParam(K_BOOT, params, "bootstrap_sample_size", 2 * nb, NULL);
	cdf = palloc(sizeof(double) * (nb + 1));
	cdf[0] = 0.0;
	for (i = 0; i < nb; i++)
		cdf[i + 1] = cdf[i] + p.weights[i];
	pc.bins = p.bins;
	pc.cdf = cdf;
	pc.n = nb + 1;
	if (grid != NULL && ARR_NDIM(grid) == 1 && !ARR_HASNULL(grid))
	{
		q = (double *) ARR_DATA_PTR(grid);
		nq = ARR_DIMS(grid)[0];
	}
	if (data != NULL && data->type == jbvBinary)
	{
		JsonbValue *v;

		vc = DqReadCounts(DqJsonbGet(data->val.binary.data, "buckets"), &nvc);
		if ((v = DqJsonbGet(data->val.binary.data, "min")) != NULL && v->type != jbvNull)
			(void) DqJsonNumber(v, &mn);
		if ((v = DqJsonbGet(data->val.binary.data, "max")) != NULL && v->type != jbvNull)
			(void) DqJsonNumber(v, &mx);
	}
	else
		vc = DqReadCounts(NULL, &nvc);
	hist = palloc0(sizeof(double) * (nb + 2));
	for (i = 0; i < nvc; i++)
	{
		double		b;

		(void) DqJsonNumber(&vc[i].value, &b);
		if (b >= 0 && b <= nb + 1)
			hist[(int) b] += vc[i].count;
	}
	below = hist[0];
	above = hist[nb + 1];

	if (nonnull > 0 && nq > 0)
	{
		pg_prng_state st;
		double	   *s = palloc(sizeof(double) * size);
		int			ok = 0;
		int			b;

		/* a fixed seed: the same data give the same result */
		pg_prng_seed(&st, UINT64CONST(0x9e3779b97f4a7c15));
		for (b = 0; b < samples; b++)
		{
			double		d;

			CHECK_FOR_INTERRUPTS();
			for (i = 0; i < size; i++)
			{
				int			k = (int) (pg_prng_double(&st) * nq);

				s[i] = q[Min(k, nq - 1)];
			}
			qsort(s, size, sizeof(double), DqDoubleCmp);
			d = DqKsStatistic(s, size, DqPartitionCdfCb, &pc);
			if (DqKsOneSamplePValue(d, size) >= pthr)
				ok++;
		}
		result = (1.0 + ok) / (samples + 1.0);
	}
	DqObserved(js, result);
	DqJsonBool(js, "success", result > pthr);
	DqJsonKey(js, "details");
	DqJsonBegin(js, '{');
	DqJsonInt(js, "bootstrap_samples", samples);
	DqJsonInt(js, "bootstrap_sample_size", size);
	{
		double	   *ob = palloc(sizeof(double) * (nb + 3));
		double	   *ow = palloc(sizeof(double) * (nb + 2));
		double	   *oc = palloc(sizeof(double) * (nb + 3));
		int			nob = 0;
		int			now = 0;
		double		nn = nonnull > 0 ? (double) nonnull : NAN;

		if (below > 0)
		{
			ob[nob++] = mn;
			ow[now++] = below / nn;
		}
		for (i = 0; i <= nb; i++)
			ob[nob++] = p.bins[i];
		for (i = 0; i < nb; i++)
			ow[now++] = hist[i + 1] / nn;
		if (above > 0)
		{
			ob[nob++] = mx;
			ow[now++] = above / nn;
		}
		oc[0] = 0.0;
		for (i = 0; i < now; i++)
			oc[i + 1] = oc[i] + ow[i];
		DqBinsPartition(js, "observed_partition", ob, nob, ow, now, NULL);
		DqBinsPartition(js, "expected_partition", p.bins, nb + 1, p.weights, nb, NULL);
		DqJsonKey(js, "observed_cdf");
		DqJsonBegin(js, '{');
		DqFloatArray(js, "x", ob, nob);
		DqFloatArray(js, "cdf_values", oc, now + 1);
		DqJsonEnd(js, '}');
		DqJsonKey(js, "expected_cdf");
		DqJsonBegin(js, '{');
		DqFloatArray(js, "x", p.bins, nb + 1);
		DqFloatArray(js, "cdf_values", cdf, nb + 1);
		DqJsonEnd(js, '}');
	}
	DqJsonEnd(js, '}');
}

static void
DqParamKsResult(DqJson *js, Jsonb *params, ArrayType *sorted)
{
	DqDistSpec ds;
	double		pthr = DqNumberParam(K_PKS, params, "p_value", 0.05, NULL);
	int			n = 0;
	double		d = NAN;
	double		pv = NAN;

	DqReadDistribution(K_PKS, params, &ds);
	if (sorted != NULL && ARR_NDIM(sorted) == 1 && !ARR_HASNULL(sorted))
		n = ARR_DIMS(sorted)[0];
	if (n > 0)
	{
		d = DqKsStatistic((double *) ARR_DATA_PTR(sorted), n, DqDistCdfCb, &ds);
		pv = DqKsOneSamplePValue(d, n);
	}
	DqObserved(js, pv);
	DqJsonBool(js, "success", pv >= pthr);
	DqJsonKey(js, "details");
	DqJsonBegin(js, '{');
	DqJsonKey(js, "observed_ks_result");
	DqJsonBegin(js, '{');
	if (n > 0)
	{
		DqJsonFloat(js, "statistic", d);
		DqJsonFloat(js, "pvalue", pv);
	}
	else
	{
		DqJsonNull(js, "statistic");
		DqJsonNull(js, "pvalue");
	}
	DqJsonEnd(js, '}');
	DqJsonEnd(js, '}');
}

/* ---------------------------------------------------------------------
 * Cramer's phi (GE's pandas get_crosstab and get_binned_values)
 * ---------------------------------------------------------------------
 */

/* a binned value: its category's label */
typedef struct DqPairCount
{
	JsonbValue	a;
	JsonbValue	b;
	double		count;
} DqPairCount;

/*
 * The category of each distinct value of one column: for a numeric
 * column, numpy.digitize into n_bins equal bins between the column's
 * minimum and maximum (or the bins given, widened to the data), with
 * missing values their own category; otherwise the n_bins most frequent
 * values, the rest "(other)" (or the groups of bins_X), missing values
 * "(missing)".
 */
typedef struct DqBinner
{
	bool		numeric;
	double	   *edges;
	int			nedges;
	List	   *labels;			/* text of each category */
	/* categorical: the kept values or groups */
	int			nkeep;
	JsonbValue *keep;
	char	  **keep_label;
	bool		other;
} DqBinner;

static char *
DqScalarText(JsonbValue *v)
{
	if (v->type == jbvString)
		return pnstrdup(v->val.string.val, v->val.string.len);
	if (v->type == jbvNull)
		return pstrdup("(missing)");
	{
		StringInfoData b;

		initStringInfo(&b);
		DqAppendScalar(&b, v);
		return b.data;
	}
}

static void
DqBinnerInit(DqBinner *bn, bool numeric, JsonbValue *bins, double nbins,
			 JsonbValue *vals, const double *counts, int nv)
{
	int			i;

	memset(bn, 0, sizeof(DqBinner));
	bn->numeric = numeric;
	if (numeric)
	{
		double		mn = INFINITY;
		double		mx = -INFINITY;
		int			nb;
		JsonbValue *be;

		for (i = 0; i < nv; i++)
		{
			double		x;

			if (vals[i].type == jbvNull || !DqJsonNumber(&vals[i], &x))
				continue;
			mn = Min(mn, x);
			mx = Max(mx, x);
		}
		be = DqArrayElems(bins, &nb);
		if (be != NULL)
		{
			double	   *e = palloc(sizeof(double) * (nb + 2));
			int			n = 0;

			for (i = 0; i < nb; i++)
				(void) DqJsonNumber(&be[i], &e[i]);
			qsort(e, nb, sizeof(double), DqDoubleCmp);
			bn->edges = palloc(sizeof(double) * (nb + 2));
			if (nb > 0 && mn < e[0])
				bn->edges[n++] = mn;
			for (i = 0; i < nb; i++)
				if (i == 0 || e[i] != e[i - 1])
					bn->edges[n++] = e[i];
			if (n > 0 && mx > bn->edges[n - 1])
				bn->edges[n++] = mx;
			bn->nedges = n;
		}
		else
		{
			int			k = (int) nbins;

			if (isinf(mn))
				mn = mx = 0.0;
			if (mn == mx)
			{
				mn -= 0.5;
				mx += 0.5;
			}
			bn->edges = palloc(sizeof(double) * (k + 1));
			for (i = 0; i < k; i++)
				bn->edges[i] = mn + i * ((mx - mn) / k);
			bn->edges[k] = mx;
			bn->nedges = k + 1;
		}
		/* the largest value belongs to the last bin */
		if (bn->nedges > 0)
			bn->edges[bn->nedges - 1] = nextafter(bn->edges[bn->nedges - 1], INFINITY);
		return;
	}
	if (bins != NULL)
	{
		JsonbValue *groups;
		int			ng;
		int			g;
		int			total = 0;

		groups = DqArrayElems(bins, &ng);
		for (g = 0; g < ng; g++)
		{
			int			nm;

			if (DqArrayElems(&groups[g], &nm) != NULL)
				total += nm;
		}
		bn->keep = palloc(sizeof(JsonbValue) * Max(total, 1));
		bn->keep_label = palloc(sizeof(char *) * Max(total, 1));
		for (g = 0; g < ng; g++)
		{
			int			nm;
			JsonbValue *members = DqArrayElems(&groups[g], &nm);
			StringInfoData label;

			initStringInfo(&label);
			for (i = 0; i < nm; i++)
				appendStringInfo(&label, "%s%s", i ? ", " : "", DqScalarText(&members[i]));
			for (i = 0; i < nm; i++)
			{
				bn->keep[bn->nkeep] = members[i];
				bn->keep_label[bn->nkeep] = label.data;
				bn->nkeep++;
			}
		}
		/* values outside every group keep their own category */
		bn->other = false;
		return;
	}
	{
		/* the n_bins most frequent values (ties: first in value order) */
		DqCount    *c = palloc(sizeof(DqCount) * Max(nv, 1));
		int			nc = 0;

		for (i = 0; i < nv; i++)
			if (vals[i].type != jbvNull)
			{
				c[nc].value = vals[i];
				c[nc].count = counts[i];
				nc++;
			}
		if (nc < nbins + 1)
			return;				/* every value its own category */
		qsort(c, nc, sizeof(DqCount), DqCountDesc);
		bn->nkeep = (int) nbins;
		bn->keep = palloc(sizeof(JsonbValue) * bn->nkeep);
		bn->keep_label = palloc(sizeof(char *) * bn->nkeep);
		for (i = 0; i < bn->nkeep; i++)
		{
			bn->keep[i] = c[i].value;
			bn->keep_label[i] = DqScalarText(&c[i].value);
		}
		bn->other = true;
	}
}

/* the category of a value, as its label */
static char *
DqBinOf(DqBinner *bn, JsonbValue *v)
{
	int			i;

	if (v->type == jbvNull)
		return "(missing)";
	if (bn->numeric)
	{
		double		x;
		int			k;

		if (!DqJsonNumber(v, &x))
			return "(missing)";
		/* numpy.digitize: bins[k-1] <= x < bins[k] */
		for (k = 0; k < bn->nedges; k++)
			if (x < bn->edges[k])
				break;
		if (k == 0 || k == bn->nedges)
			return "(outside)";
		return psprintf("[%.15g, %.15g)", bn->edges[k - 1], bn->edges[k]);
	}
	for (i = 0; i < bn->nkeep; i++)
		if (DqScalarEqual(&bn->keep[i], v))
			return bn->keep_label[i];
	return bn->other ? "(other)" : DqScalarText(v);
}

static int
DqLabelIndex(List **labels, const char *label)
{
	ListCell   *lc;

	foreach(lc, *labels)
		if (strcmp(lfirst(lc), label) == 0)
			return foreach_current_index(lc);
	*labels = lappend(*labels, pstrdup(label));
	return list_length(*labels) - 1;
}

static int
DqLabelCmp(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

static void
DqCramersPhiResult(DqJson *js, Jsonb *params, int64 nrows, JsonbValue *counts)
{
	double		t = DqNumberParam(K_PHI, params, "threshold", 0.1, NULL);
	JsonbValue *na = DqJsonbGet(&params->root, "dq_numeric_A");
	JsonbValue *nbv = DqJsonbGet(&params->root, "dq_numeric_B");
	int			nvc;
	DqCount    *vc = DqReadCounts(counts, &nvc);
	DqPairCount *pc = palloc(sizeof(DqPairCount) * Max(nvc, 1));
	JsonbValue *va = palloc(sizeof(JsonbValue) * Max(nvc, 1));
	JsonbValue *vb = palloc(sizeof(JsonbValue) * Max(nvc, 1));
	double	   *cnt = palloc(sizeof(double) * Max(nvc, 1));
	DqBinner	ba;
	DqBinner	bb;
	List	   *rows = NIL;
	List	   *cols = NIL;
	List	   *srows;
	List	   *scols;
	double	   *tab;
	double	   *rs;
	double	   *cs;
	double		n = 0.0;
	double		chi2 = 0.0;
	double		v;
	int			nr;
	int			nc;
	int			i;
	int			j;
	ListCell   *lc;
	int		   *rmap;
	int		   *cmap;

	for (i = 0; i < nvc; i++)
	{
		/* each value is the text of a [a, b] array */
		char	   *txt = DqScalarText(&vc[i].value);
		Jsonb	   *arr = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(txt)));

		pc[i].a = *getIthJsonbValueFromContainer(&arr->root, 0);
		pc[i].b = *getIthJsonbValueFromContainer(&arr->root, 1);
		pc[i].count = vc[i].count;
		va[i] = pc[i].a;
		vb[i] = pc[i].b;
		cnt[i] = pc[i].count;
	}
	DqBinnerInit(&ba, na && na->type == jbvBool && na->val.boolean, DqGet(params, "bins_A"),
				 DqNumberParam(K_PHI, params, "n_bins_A", 10, NULL), va, cnt, nvc);
	DqBinnerInit(&bb, nbv && nbv->type == jbvBool && nbv->val.boolean, DqGet(params, "bins_B"),
				 DqNumberParam(K_PHI, params, "n_bins_B", 10, NULL), vb, cnt, nvc);
	/* the categories that occur (GE's crosstab leaves out empty ones) */
	for (i = 0; i < nvc; i++)
	{
		(void) DqLabelIndex(&rows, DqBinOf(&ba, &pc[i].a));
		(void) DqLabelIndex(&cols, DqBinOf(&bb, &pc[i].b));
	}
	srows = list_copy(rows);
	scols = list_copy(cols);
	list_sort(srows, DqLabelCmp);
	list_sort(scols, DqLabelCmp);
	nr = list_length(srows);
	nc = list_length(scols);
	tab = palloc0(sizeof(double) * Max(nr * nc, 1));
	rs = palloc0(sizeof(double) * Max(nr, 1));
	cs = palloc0(sizeof(double) * Max(nc, 1));
	rmap = palloc(sizeof(int) * Max(nvc, 1));
	cmap = palloc(sizeof(int) * Max(nvc, 1));
	for (i = 0; i < nvc; i++)
	{
		rmap[i] = DqLabelIndex(&srows, DqBinOf(&ba, &pc[i].a));
		cmap[i] = DqLabelIndex(&scols, DqBinOf(&bb, &pc[i].b));
		tab[rmap[i] * nc + cmap[i]] += pc[i].count;
		rs[rmap[i]] += pc[i].count;
		cs[cmap[i]] += pc[i].count;
		n += pc[i].count;
	}
	/* scipy.stats.chi2_contingency, with Yates' correction at one degree of freedom */
	if (nr > 1 && nc > 1)
	{
		bool		yates = ((nr - 1) * (nc - 1) == 1);

		for (i = 0; i < nr; i++)
			for (j = 0; j < nc; j++)
			{
				double		e = rs[i] * cs[j] / n;
				double		o = tab[i * nc + j];

				if (yates)
				{
					double		diff = e - o;
					double		mag = Min(0.5, fabs(diff));

					o += (diff > 0 ? mag : (diff < 0 ? -mag : 0.0));
				}
				chi2 += (o - e) * (o - e) / e;
			}
	}
	/* GE divides by the table's row count */
	if (Min(nr, nc) > 1 && nrows > 0)
		v = Max(Min(sqrt(chi2 / (double) nrows / (Min(nr, nc) - 1)), 1.0), 0.0);
	else
		v = NAN;
	DqObserved(js, v);
	DqJsonBool(js, "success", v <= t);
	DqJsonKey(js, "details");
	DqJsonBegin(js, '{');
	DqJsonKey(js, "crosstab");
	DqJsonBegin(js, '{');
	DqJsonKey(js, "index");
	DqJsonBegin(js, '[');
	foreach(lc, srows)
	{
		DqJsonText(js, NULL, lfirst(lc));
	}
	DqJsonEnd(js, ']');
	DqJsonKey(js, "columns");
	DqJsonBegin(js, '[');
	foreach(lc, scols)
	{
		DqJsonText(js, NULL, lfirst(lc));
	}
	DqJsonEnd(js, ']');
	DqJsonKey(js, "data");
	DqJsonBegin(js, '[');
	for (i = 0; i < nr; i++)
	{
		DqJsonKey(js, NULL);
		DqJsonBegin(js, '[');
		for (j = 0; j < nc; j++)
			DqJsonInt(js, NULL, (int64) tab[i * nc + j]);
		DqJsonEnd(js, ']');
	}
	DqJsonEnd(js, ']');
	DqJsonEnd(js, '}');
	DqJsonEnd(js, '}');
}

/*
 * dq_internal.ge_distribution_result(kind, params, rows, nonnull, data, vals):
 * GE's result of a distributional kind from what the scan computed.
 */
Datum
dq_ge_distribution_result(PG_FUNCTION_ARGS)
{
	char	   *kind;
	Jsonb	   *params;
	int64		nrows = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2);
	int64		nonnull = PG_ARGISNULL(3) ? 0 : PG_GETARG_INT64(3);
	JsonbValue	data;
	JsonbValue *datap = NULL;
	ArrayType  *vals = PG_ARGISNULL(5) ? NULL : PG_GETARG_ARRAYTYPE_P(5);
	DqJson		js = {0};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("kind and params of dq_internal.ge_distribution_result must not be null"),
				 errhint("dq.validate and dq.check call this function; call them instead.")));
	kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
	params = PG_GETARG_JSONB_P(1);
	if (!PG_ARGISNULL(4))
	{
		Jsonb	   *dj = PG_GETARG_JSONB_P(4);

		if (JB_ROOT_IS_SCALAR(dj))
			datap = NULL;
		else
		{
			data.type = jbvBinary;
			data.val.binary.data = &dj->root;
			data.val.binary.len = VARSIZE(dj);
			datap = &data;
		}
	}
	if (vals != NULL && ARR_ELEMTYPE(vals) != FLOAT8OID)
		elog(ERROR, "dq_internal.ge_distribution_result: vals must be float8[]");

	initStringInfo(&js.buf);
	DqJsonBegin(&js, '{');
	if (strcmp(kind, K_CHI) == 0)
		DqChiSquareResult(&js, params, nonnull, datap);
	else if (strcmp(kind, K_KL) == 0)
		DqKlResult(&js, params, nonnull, datap);
	else if (strcmp(kind, K_BOOT) == 0)
		DqBootstrapResult(&js, params, nonnull, datap, vals);
	else if (strcmp(kind, K_PKS) == 0)
		DqParamKsResult(&js, params, vals);
	else if (strcmp(kind, K_PHI) == 0)
		DqCramersPhiResult(&js, params, nrows, datap);
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a distributional expectation kind", kind),
				 errhint("See dq.expectation_kinds.")));
	DqJsonInt(&js, "element_count", nrows);
	DqJsonInt(&js, "missing_count", nrows - nonnull);
	DqJsonBool(&js, "legacy_counts", true);
	DqJsonEnd(&js, '}');
	PG_RETURN_DATUM(DqJsonToJsonb(&js));
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

static DqValues *
DqValuesNew(MemoryContext cxt)
{
	DqValues   *s = MemoryContextAllocZero(cxt, sizeof(DqValues));

	s->cap = 1024;
	s->v = MemoryContextAllocHuge(cxt, sizeof(double) * s->cap);
	return s;
}

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

Datum
dq_sorted_values_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	DqValues   *a;
	DqValues   *b;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "dq_sorted_values_combine called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0));
	b = (DqValues *) PG_GETARG_POINTER(1);
	a = PG_ARGISNULL(0) ? DqValuesNew(aggcxt) : (DqValues *) PG_GETARG_POINTER(0);
	DqValuesReserve(a, b->n);
	memcpy(a->v + a->n, b->v, sizeof(double) * b->n);
	a->n += b->n;
	PG_RETURN_POINTER(a);
}

Datum
dq_sorted_values_serialize(PG_FUNCTION_ARGS)
{
	DqValues   *s = (DqValues *) PG_GETARG_POINTER(0);
	bytea	   *out = palloc(VARHDRSZ + sizeof(double) * s->n);

	SET_VARSIZE(out, VARHDRSZ + sizeof(double) * s->n);
	memcpy(VARDATA(out), s->v, sizeof(double) * s->n);
	PG_RETURN_BYTEA_P(out);
}

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
