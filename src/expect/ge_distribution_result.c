/*-------------------------------------------------------------------------
 *
 * ge_distribution_result.c
 *	  dq_internal.ge_distribution_result: the result of Great Expectations'
 *	  distributional kinds (observed_value, success, details) from what
 *	  dq.validate's scan computed, with the math of sketch/sketch_drift.
 *
 * One builder per test: chi-square, KL divergence (no partition,
 * categorical or continuous), bootstrapped and parameterized
 * Kolmogorov-Smirnov, Cramer's phi.  Each reads the rule's parameters
 * again with ge_partition.c, checked when the rule was compiled
 * (ge_distribution.c), and writes GE's JSON.
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
#include "nodes/pg_list.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"

#include "base/json_build.h"
#include "expect/expectations.h"
#include "expect/ge_distribution.h"
#include "sketch/sketch_drift.h"

PG_FUNCTION_INFO_V1(dq_ge_distribution_result);

/* ---------------------------------------------------------------------
 * Results
 * ---------------------------------------------------------------------
 */

/* an observed value: NaN and infinities are null, as GE reports them */
static void
DqObserved(DqJson *js, double v)
{
	if (isnan(v) || isinf(v))
		DqJsonNull(js, "observed_value");
	else
		DqJsonFloat(js, "observed_value", v);
}

/*
 * Chi-square: the counts against the categorical partition, values the
 * partition lacks sharing tail_weight_holdout of the expected counts.
 */
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

/* KL's parameters, read once for all its cases */
typedef struct DqKlParams
{
	double		twh;			/* tail_weight_holdout */
	double		iwh;			/* internal_weight_holdout */
	bool		has_t;
	double		t;				/* threshold, when has_t */
	bool		bucketize;
} DqKlParams;

/* observed_value and success of KL, then details is opened */
static void
DqKlBeginResult(DqJson *js, const DqKlParams *kp, double kl)
{
	DqObserved(js, kl);
	DqJsonBool(js, "success", !kp->has_t || kl <= kp->t);
	DqJsonKey(js, "details");
	DqJsonBegin(js, '{');
}

/*
 * KL without a partition: the column against its own partition (GE's
 * profiling use), of its values or of its own histogram; 0 when there is
 * a value, NaN when there is none.
 */
static void
DqKlSelfResult(DqJson *js, const DqKlParams *kp, int64 nonnull,
			   DqCount *vc, int nvc)
{
	DqPartition p;
	double		kl;
	int			i;

	if (nvc == 0)
	{
		kl = NAN;
		DqObserved(js, kl);
		DqJsonBool(js, "success", !kp->has_t);
	}
	else if (!kp->bucketize)
	{
		double	   *w = palloc(sizeof(double) * nvc);
		JsonbValue *values = palloc(sizeof(JsonbValue) * nvc);

		for (i = 0; i < nvc; i++)
		{
			w[i] = vc[i].count / (double) nonnull;
			values[i] = vc[i].value;
		}
		kl = DqKlDivergence(w, w, nvc);
		DqKlBeginResult(js, kp, kl);
		DqValuesPartition(js, "observed_partition", values, w, nvc);
		DqValuesPartition(js, "expected_partition", values, w, nvc);
		DqJsonEnd(js, '}');
	}
	else
	{
		double		zero[2] = {0, 0};

		DqAutoPartition(vc, nvc, (double) nonnull, &p);
		kl = DqKlDivergence(p.weights, p.weights, p.n);
		DqKlBeginResult(js, kp, kl);
		DqBinsPartition(js, "observed_partition", p.bins, p.n + 1, p.weights, p.n, zero);
		DqBinsPartition(js, "expected_partition", p.bins, p.n + 1, p.weights, p.n, zero);
		DqJsonEnd(js, '}');
	}
}

/*
 * KL against a categorical partition: values the partition lacks share
 * tail_weight_holdout of the expected weight.
 */
static void
DqKlCategoricalResult(DqJson *js, const DqKlParams *kp, int64 nonnull,
					  DqPartition *p, DqCount *vc, int nvc)
{
	JsonbValue *values;
	double	   *obs;
	double	   *exp;
	int			n = DqJoinCategorical(p, vc, nvc, &values, &obs, &exp);
	int			na = 0;
	double		kl;
	int			i;

	for (i = 0; i < n; i++)
	{
		obs[i] /= (double) nonnull;
		if (isnan(exp[i]))
			na++;
	}
	if (na > 0)
		for (i = 0; i < n; i++)
			exp[i] = isnan(exp[i]) ? kp->twh / na : exp[i] * (1.0 - kp->twh);
	kl = DqKlDivergence(obs, exp, n);
	DqKlBeginResult(js, kp, kl);
	DqValuesPartition(js, "observed_partition", values, obs, n);
	DqValuesPartition(js, "expected_partition", values, exp, n);
	DqJsonEnd(js, '}');
}

/*
 * The weights KL compares for a continuous partition, with its tails as
 * GE arranges them: an infinite end is a bin of its own, a finite end
 * has a tail below or above the bins (tail_weights, or an equal share of
 * tail_weight_holdout).
 */
typedef struct DqKlBins
{
	double	   *ce;				/* expected, compared: nc weights */
	double	   *co;				/* observed, compared */
	int			nc;
	double		et[2];			/* expected tails, as reported */
	double		ot[2];			/* observed tails, as reported */
	int			first;			/* first bin reported */
	int			nbins_out;		/* bins reported */
} DqKlBins;

static void
DqKlArrangeTails(const DqPartition *p, double twh, const double *ew,
				 const double *ow, double below, double above, DqKlBins *kb)
{
	int			nb = p->n;
	bool		lo_inf = isinf(p->bins[0]);
	bool		hi_inf = isinf(p->bins[nb]);

	kb->ce = palloc(sizeof(double) * (nb + 2));
	kb->co = palloc(sizeof(double) * (nb + 2));
	if (lo_inf && hi_inf)
	{
		memcpy(kb->ce, ew, sizeof(double) * nb);
		memcpy(kb->co, ow, sizeof(double) * nb);
		kb->nc = nb;
		kb->et[0] = ew[0];
		kb->et[1] = ew[nb - 1];
		kb->ot[0] = ow[0];
		kb->ot[1] = ow[nb - 1];
		kb->first = 1;
		kb->nbins_out = nb - 2;
	}
	else if (lo_inf)
	{
		memcpy(kb->ce, ew, sizeof(double) * nb);
		kb->ce[nb] = twh;
		memcpy(kb->co, ow, sizeof(double) * nb);
		kb->co[nb] = above;
		kb->nc = nb + 1;
		kb->et[0] = ew[0];
		kb->et[1] = twh;
		kb->ot[0] = ow[0];
		kb->ot[1] = above;
		kb->first = 1;
		kb->nbins_out = nb - 1;
	}
	else if (hi_inf)
	{
		kb->ce[0] = twh;
		memcpy(kb->ce + 1, ew, sizeof(double) * nb);
		kb->co[0] = below;
		memcpy(kb->co + 1, ow, sizeof(double) * nb);
		kb->nc = nb + 1;
		kb->et[0] = twh;
		kb->et[1] = ew[nb - 1];
		kb->ot[0] = below;
		kb->ot[1] = ow[nb - 1];
		kb->first = 0;
		kb->nbins_out = nb - 1;
	}
	else
	{
		if (p->has_tail)
		{
			kb->et[0] = p->tail[0];
			kb->et[1] = p->tail[1];
		}
		else
			kb->et[0] = kb->et[1] = twh / 2.0;
		kb->ce[0] = kb->et[0];
		memcpy(kb->ce + 1, ew, sizeof(double) * nb);
		kb->ce[nb + 1] = kb->et[1];
		kb->ot[0] = below;
		kb->ot[1] = above;
		kb->co[0] = kb->ot[0];
		memcpy(kb->co + 1, ow, sizeof(double) * nb);
		kb->co[nb + 1] = kb->ot[1];
		kb->nc = nb + 2;
		kb->first = 0;
		kb->nbins_out = nb;
	}
}

/*
 * KL against a continuous partition, from the counts per bucket: the
 * partition's weights lose the holdouts, and internal_weight_holdout is
 * shared by the bins of weight 0.
 */
static void
DqKlBinsResult(DqJson *js, const DqKlParams *kp, int64 nonnull,
			   DqPartition *p, DqCount *vc, int nvc)
{
	int			nb = p->n;
	double	   *hist = DqBucketHistogram(vc, nvc, nb);	/* buckets 0..nb+1 */
	double	   *ew = palloc(sizeof(double) * nb);
	double	   *ow = palloc(sizeof(double) * nb);
	double		nn = (double) nonnull;
	DqKlBins	kb;
	double		kl;
	int			zero = 0;
	int			i;

	for (i = 0; i < nb; i++)
	{
		ow[i] = hist[i + 1] / nn;
		ew[i] = p->weights[i] * (1.0 - kp->twh - kp->iwh);
		if (ew[i] == 0.0)
			zero++;
	}
	if (kp->iwh > 0.0 && zero > 0)
		for (i = 0; i < nb; i++)
			if (ew[i] == 0.0)
				ew[i] = kp->iwh / zero;
	DqKlArrangeTails(p, kp->twh, ew, ow, hist[0] / nn, hist[nb + 1] / nn, &kb);
	kl = DqKlDivergence(kb.co, kb.ce, kb.nc);
	DqKlBeginResult(js, kp, kl);
	DqBinsPartition(js, "observed_partition", p->bins + kb.first, kb.nbins_out + 1,
					ow + kb.first, Max(kb.nbins_out, 0), kb.ot);
	DqBinsPartition(js, "expected_partition", p->bins + kb.first, kb.nbins_out + 1,
					ew + kb.first, Max(kb.nbins_out, 0), kb.et);
	DqJsonEnd(js, '}');
}

/* KL divergence: read the parameters, then the case of the partition */
static void
DqKlResult(DqJson *js, Jsonb *params, int64 nonnull, JsonbValue *counts)
{
	DqPartition p;
	DqKlParams	kp;
	JsonbValue *bz;
	int			nvc;
	DqCount    *vc;

	kp.twh = DqHoldout(K_KL, params, "tail_weight_holdout");
	kp.iwh = DqHoldout(K_KL, params, "internal_weight_holdout");
	kp.t = DqNumberParam(K_KL, params, "threshold", 0.0, &kp.has_t);
	bz = DqGet(params, "bucketize_data");
	kp.bucketize = (bz == NULL || (bz->type == jbvBool && bz->val.boolean));

	vc = DqReadCounts(counts, &nvc);
	if (!DqReadPartition(K_KL, params, &p))
		DqKlSelfResult(js, &kp, nonnull, vc, nvc);
	else if (p.categorical)
		DqKlCategoricalResult(js, &kp, nonnull, &p, vc, nvc);
	else
		DqKlBinsResult(js, &kp, nonnull, &p, vc, nvc);
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

/* DqDistCdf as a callback of DqKsStatistic */
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

/* the partition's distribution function at x, a DqKsStatistic callback */
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

/*
 * Bootstrapped KS: samples drawn from the column's quantiles, each tested
 * against the partition's distribution function; the result is the
 * share of samples that pass (with one added, as GE counts it).
 */
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
	hist = DqBucketHistogram(vc, nvc, nb);
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

/* parameterized KS: the exact one-sample test of every value */
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

/* a value's text as a category label; null is "(missing)" */
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

/* the index of label in *labels, appended when new */
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

/* list_sort's order of labels */
static int
DqLabelCmp(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

/*
 * Cramer's phi: the pair's counts binned into a crosstab, its chi-square
 * statistic, and phi from it.
 */
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
