/*-------------------------------------------------------------------------
 *
 * ge_partition.c
 *	  The parameters of Great Expectations' distributional kinds, read and
 *	  checked as GE reads them (partition objects, distributions,
 *	  thresholds), and the partitions the results are made of: the scan's
 *	  value counts, joined to a categorical partition, binned, or turned
 *	  into a partition of their own, and written as GE writes them.
 *
 * Compiling a kind (ge_distribution.c) and computing its result
 * (ge_distribution_result.c) both read the parameters with these
 * functions, so that both apply the same checks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "base/json_build.h"
#include "expect/expectations.h"
#include "expect/ge_distribution.h"
#include "sketch/sketch_drift.h"

/* ---------------------------------------------------------------------
 * Parameters
 * ---------------------------------------------------------------------
 */

/* an invalid parameter of a kind, with a hint on what to pass */
void
DqBadParam(const char *kind, const char *msg, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s of %s", msg, kind),
			 errhint("%s", hint)));
}

/* a parameter; NULL when it is absent or JSON null */
JsonbValue *
DqGet(Jsonb *params, const char *key)
{
	JsonbValue *v = DqJsonbGet(&params->root, key);

	return (v == NULL || v->type == jbvNull) ? NULL : v;
}

/* a number, or the strings PostgreSQL writes for infinities */
bool
DqJsonNumber(const JsonbValue *v, double *out)
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

/* a number parameter, dflt when absent; *given says whether it was there */
double
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
JsonbValue *
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

/* the numbers of array key of object obj (NULL when not an array) */
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


/*
 * Read and check partition_object as GE's is_valid_partition_object does:
 * as many values as weights, or one bin edge more than weights with the
 * edges increasing; the weights (with tail_weights) add up to 1 within
 * numpy's allclose.  Returns false when the parameter is absent or null.
 */
bool
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

/* a weight holdout: a share between zero and one, 0 by default */
double
DqHoldout(const char *kind, Jsonb *params, const char *key)
{
	double		h = DqNumberParam(kind, params, key, 0.0, NULL);

	if (!(h >= 0.0 && h <= 1.0))
		DqBadParam(kind, psprintf("%s must be between zero and one", key),
				   psprintf("Pass for example {\"%s\": 0.01}.", key));
	return h;
}


/*
 * distribution and params as GE takes them: params is a list in scipy's
 * positional order (shape parameters, then loc and scale) or an object
 * with GE's names: norm {mean, std_dev}, beta {alpha, beta, loc, scale},
 * gamma {alpha, loc, scale}, uniform {min, max}, chi2 {df, loc, scale},
 * expon {loc, scale}.  As in GE, uniform's min and max are scipy's loc and
 * scale: the values lie between min and min + max.
 */
void
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

/* the distribution function of the parameterized KS test's distribution */
double
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
 * Value counts and partitions
 * ---------------------------------------------------------------------
 */

/* the entries of dq.value_counts' output (none when arr is not an array) */
DqCount *
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

/*
 * The counts per bucket of a partition of nb bins, from the value counts
 * of the scan's bucket numbers (DqBucketSql): hist[0] below the bins,
 * hist[i] in bin i, hist[nb + 1] above.
 */
double *
DqBucketHistogram(const DqCount *vc, int nvc, int nb)
{
	double	   *hist = palloc0(sizeof(double) * (nb + 2));
	int			i;

	for (i = 0; i < nvc; i++)
	{
		double		b;

		(void) DqJsonNumber(&vc[i].value, &b);
		if (b >= 0 && b <= nb + 1)
			hist[(int) b] += vc[i].count;
	}
	return hist;
}

/* whether two JSON scalars are equal (numbers as numbers) */
bool
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

/* a JSON scalar, written as JSON */
void
DqAppendScalar(StringInfo buf, JsonbValue *v)
{
	Jsonb	   *j = JsonbValueToJsonb(v);

	appendStringInfoString(buf, JsonbToCString(NULL, &j->root, VARSIZE(j)));
}

/* key: [v...], an array of numbers */
void
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
int
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
int
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

/* key: a categorical partition {values, weights} */
void
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

/* key: a continuous partition {bins, weights[, tail_weights]} */
void
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
void
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

/* qsort's order of doubles, ascending */
int
DqDoubleCmp(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}
