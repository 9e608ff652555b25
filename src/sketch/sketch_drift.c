/*-------------------------------------------------------------------------
 *
 * sketch_drift.c
 *	  Distribution math: distances between two distributions and the
 *	  special functions behind their p-values (see sketch_drift.h).
 *
 * The incomplete gamma and beta functions are evaluated the classical way:
 * a power series where it converges fast and a continued fraction
 * (modified Lentz) elsewhere, to about 1e-14 relative accuracy, with
 * lgamma() from the C library for the normalizing constants.  Quantiles
 * of Student's t are found by bisection on the distribution function,
 * which is slow but exact to the last bits; the anomaly detector caches
 * them per sample size.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "sketch/sketch_drift.h"

#define DQ_EPS		1e-15
#define DQ_TINY		1e-300
#define DQ_MAXITER	1000

/* ln of the factor x^a e^-x / Gamma(a) shared by P and Q */
static double
DqGammaPrefix(double a, double x)
{
	return a * log(x) - x - lgamma(a);
}

/* P(a, x) by its series, valid for x < a + 1 */
static double
DqGammaPSeries(double a, double x)
{
	double		ap = a;
	double		term = 1.0 / a;
	double		sum = term;
	int			i;

	for (i = 0; i < DQ_MAXITER; i++)
	{
		ap += 1.0;
		term *= x / ap;
		sum += term;
		if (fabs(term) < fabs(sum) * DQ_EPS)
			break;
	}
	return sum * exp(DqGammaPrefix(a, x));
}

/*
 * One step of the modified Lentz method for a continued fraction: with
 * the next partial numerator an and denominator bn, updates *c and *d and
 * returns the factor by which the fraction's value changes.
 */
static double
DqLentzStep(double an, double bn, double *c, double *d)
{
	*d = an * *d + bn;
	if (fabs(*d) < DQ_TINY)
		*d = DQ_TINY;
	*c = bn + an / *c;
	if (fabs(*c) < DQ_TINY)
		*c = DQ_TINY;
	*d = 1.0 / *d;
	return *d * *c;
}

/* Q(a, x) by its continued fraction, valid for x >= a + 1 */
static double
DqGammaQFraction(double a, double x)
{
	double		b = x + 1.0 - a;
	double		c = 1.0 / DQ_TINY;
	double		d = 1.0 / b;
	double		h = d;
	int			i;

	for (i = 1; i <= DQ_MAXITER; i++)
	{
		double		an = -i * (i - a);
		double		del;

		b += 2.0;
		del = DqLentzStep(an, b, &c, &d);
		h *= del;
		if (fabs(del - 1.0) < DQ_EPS)
			break;
	}
	return exp(DqGammaPrefix(a, x)) * h;
}

double
DqGammaQ(double a, double x)
{
	if (isnan(a) || isnan(x) || a <= 0.0 || x < 0.0)
		return NAN;
	if (x == 0.0)
		return 1.0;
	if (isinf(x))
		return 0.0;
	if (x < a + 1.0)
		return 1.0 - DqGammaPSeries(a, x);
	return DqGammaQFraction(a, x);
}

/* Continued fraction of the incomplete beta function (modified Lentz) */
static double
DqBetaFraction(double a, double b, double x)
{
	double		qab = a + b;
	double		qap = a + 1.0;
	double		qam = a - 1.0;

	/* cppcheck-suppress variableScope ; c carries over between iterations */
	double		c = 1.0;
	double		d = 1.0 - qab * x / qap;
	double		h;
	int			m;

	if (fabs(d) < DQ_TINY)
		d = DQ_TINY;
	d = 1.0 / d;
	h = d;
	for (m = 1; m <= DQ_MAXITER; m++)
	{
		int			m2 = 2 * m;
		double		aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		double		del;

		/* even step */
		h *= DqLentzStep(aa, 1.0, &c, &d);
		/* odd step */
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		del = DqLentzStep(aa, 1.0, &c, &d);
		h *= del;
		if (fabs(del - 1.0) < DQ_EPS)
			break;
	}
	return h;
}

double
DqBetaInc(double a, double b, double x)
{
	double		front;

	if (isnan(a) || isnan(b) || isnan(x) || a <= 0.0 || b <= 0.0 ||
		x < 0.0 || x > 1.0)
		return NAN;
	if (x == 0.0 || x == 1.0)
		return x;
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) +
				a * log(x) + b * log1p(-x));
	/* the fraction converges fast on the side of the mean */
	if (x < (a + 1.0) / (a + b + 2.0))
		return front * DqBetaFraction(a, b, x) / a;
	return 1.0 - front * DqBetaFraction(b, a, 1.0 - x) / b;
}

double
DqNormalCdf(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

double
DqStudentTCdf(double t, double df)
{
	double		tail;

	if (isnan(t) || isnan(df) || df <= 0.0)
		return NAN;
	if (isinf(df))
		return DqNormalCdf(t);
	if (isinf(t))
		return t > 0 ? 1.0 : 0.0;
	tail = 0.5 * DqBetaInc(0.5 * df, 0.5, df / (df + t * t));
	return t > 0 ? 1.0 - tail : tail;
}

double
DqStudentTQuantile(double p, double df)
{
	double		lo = 0.0;
	double		hi = 1.0;
	int			i;

	if (isnan(p) || isnan(df) || p <= 0.0 || p >= 1.0 || df <= 0.0)
		return NAN;
	if (p < 0.5)
		return -DqStudentTQuantile(1.0 - p, df);
	if (p == 0.5)
		return 0.0;
	while (DqStudentTCdf(hi, df) < p)
	{
		lo = hi;
		hi *= 2.0;
		if (hi > 1e12)
			return INFINITY;
	}
	for (i = 0; i < 200 && hi - lo > 1e-13 * hi; i++)
	{
		double		mid = 0.5 * (lo + hi);

		if (DqStudentTCdf(mid, df) < p)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

double
DqChiSquarePValue(double stat, double df)
{
	if (isnan(stat) || isnan(df) || df <= 0.0 || stat < 0.0)
		return NAN;
	return DqGammaQ(0.5 * df, 0.5 * stat);
}

double
DqFPValue(double f, double d1, double d2)
{
	if (isnan(f) || d1 <= 0.0 || d2 <= 0.0 || f < 0.0)
		return NAN;
	if (isinf(f))
		return 0.0;
	return DqBetaInc(0.5 * d2, 0.5 * d1, d2 / (d2 + d1 * f));
}

/*
 * The Kolmogorov distribution's survival function at lambda,
 * 2 * sum (-1)^(j-1) exp(-2 j^2 lambda^2), summed until a term falls below
 * tol (at most 100 terms) and clamped to [0, 1].
 */
static double
DqKolmogorovQ(double lambda, double tol)
{
	double		sum = 0.0;
	double		sign = 1.0;
	int			j;

	for (j = 1; j <= 100; j++)
	{
		double		term = exp(-2.0 * j * j * lambda * lambda);

		sum += sign * term;
		if (term < tol)
			break;
		sign = -sign;
	}
	sum *= 2.0;
	return sum < 0.0 ? 0.0 : (sum > 1.0 ? 1.0 : sum);
}

double
DqKsPValue(double d, double n1, double n2)
{
	double		ne;
	double		lambda;

	if (isnan(d) || d < 0.0 || n1 <= 0.0 || n2 <= 0.0)
		return NAN;
	ne = n1 * n2 / (n1 + n2);
	lambda = (sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) * d;
	if (lambda < 0.2)
		return 1.0;
	return DqKolmogorovQ(lambda, 1e-16);
}

double
DqKsDistance(const DqKllSorted *a, const DqKllSorted *b)
{
	int32		i = 0;
	int32		j = 0;
	double		d = 0.0;

	if (a->n == 0 || b->n == 0)
		return NAN;
	/* walk both sorted value lists; compare F_a and F_b after each value */
	while (i < a->n || j < b->n)
	{
		double		v;
		double		fa;
		double		fb;

		if (j >= b->n || (i < a->n && a->values[i] <= b->values[j]))
			v = a->values[i];
		else
			v = b->values[j];
		while (i < a->n && a->values[i] <= v)
			i++;
		while (j < b->n && b->values[j] <= v)
			j++;
		fa = (i == 0) ? 0.0 : a->cumweight[i - 1] / a->total;
		fb = (j == 0) ? 0.0 : b->cumweight[j - 1] / b->total;
		if (fabs(fa - fb) > d)
			d = fabs(fa - fb);
	}
	return d;
}

double
DqPsi(const double *expected, const double *actual, int nbins, double floor)
{
	double		psi = 0.0;
	int			i;

	for (i = 0; i < nbins; i++)
	{
		double		e = Max(expected[i], floor);
		double		a = Max(actual[i], floor);

		psi += (a - e) * log(a / e);
	}
	return psi;
}

double
DqPsiFromSketches(const DqKllSorted *ref, const DqKllSorted *cur, int nbins)
{
	double	   *e;
	double	   *a;
	double		prev_edge = -INFINITY;
	double		prev_re = 0.0;
	double		prev_ce = 0.0;
	int			n = 0;
	int			b;
	double		psi;

	if (ref->n == 0 || cur->n == 0 || nbins < 2)
		return NAN;
	e = palloc(sizeof(double) * nbins);
	a = palloc(sizeof(double) * nbins);
	for (b = 1; b < nbins; b++)
	{
		double		edge = DqKllSortedQuantile(ref, (double) b / nbins);
		double		re;
		double		ce;

		if (edge <= prev_edge)
			continue;			/* ties: the bin is merged into the last */
		re = DqKllSortedRank(ref, edge);
		ce = DqKllSortedRank(cur, edge);
		e[n] = re - prev_re;
		a[n] = ce - prev_ce;
		n++;
		prev_edge = edge;
		prev_re = re;
		prev_ce = ce;
	}
	e[n] = 1.0 - prev_re;
	a[n] = 1.0 - prev_ce;
	n++;
	/* a share of 1e-4 is what one row in ten thousand contributes */
	psi = DqPsi(e, a, n, 1e-4);
	pfree(e);
	pfree(a);
	return psi;
}

double
DqKlDivergence(const double *p, const double *q, int nbins)
{
	double		sp = 0.0;
	double		sq = 0.0;
	double		kl = 0.0;
	int			i;

	for (i = 0; i < nbins; i++)
	{
		if (p[i] < 0.0 || q[i] < 0.0 || isnan(p[i]) || isnan(q[i]))
			return NAN;
		sp += p[i];
		sq += q[i];
	}
	if (sp <= 0.0 || sq <= 0.0)
		return NAN;
	for (i = 0; i < nbins; i++)
	{
		double		pi = p[i] / sp;
		double		qi = q[i] / sq;

		if (pi == 0.0)
			continue;
		if (qi == 0.0)
			return INFINITY;
		kl += pi * log(pi / qi);
	}
	return kl;
}

/* x[0] + ... + x[n - 1], added in that order. */
static double
DqSum(const double *x, int n)
{
	double		sum = 0.0;
	int			i;

	for (i = 0; i < n; i++)
		sum += x[i];
	return sum;
}

/* The statistic, p-value and effect size of a chi-square test. */
static void
DqChiSquareSet(DqChiSquare *out, double statistic, double p_value, double effect_size)
{
	out->statistic = statistic;
	out->p_value = p_value;
	out->effect_size = effect_size;
}

void
DqChiSquareTest(const double *observed, const double *reference,
				int ncat, double smoothing, DqChiSquare *out)
{
	double		n = DqSum(observed, ncat);
	double		rtot = 0.0;
	double		stat = 0.0;
	int			i;

	for (i = 0; i < ncat; i++)
		rtot += reference[i] + smoothing;
	out->n = n;
	out->df = ncat - 1;
	if (ncat < 2 || n <= 0.0 || rtot <= 0.0)
	{
		DqChiSquareSet(out, NAN, NAN, NAN);
		return;
	}
	for (i = 0; i < ncat; i++)
	{
		double		e = n * (reference[i] + smoothing) / rtot;
		double		diff = observed[i] - e;

		if (e > 0.0)
			stat += diff * diff / e;
		else if (observed[i] > 0.0)
			stat = INFINITY;
	}
	DqChiSquareSet(out, stat, isinf(stat) ? 0.0 : DqChiSquarePValue(stat, out->df),
				   sqrt(stat / n));
}

void
DqChiSquareHomogeneity(const double *a, const double *b, int ncat, DqChiSquare *out)
{
	double		na = DqSum(a, ncat);
	double		nb = DqSum(b, ncat);
	double		stat = 0.0;
	int			used = 0;
	int			i;

	out->n = na + nb;
	for (i = 0; i < ncat && na > 0.0 && nb > 0.0; i++)
	{
		double		col = a[i] + b[i];
		double		ea = na * col / out->n;
		double		eb = nb * col / out->n;

		if (col <= 0.0)
			continue;
		used++;
		stat += (a[i] - ea) * (a[i] - ea) / ea + (b[i] - eb) * (b[i] - eb) / eb;
	}
	out->df = used - 1;
	if (used < 2)
	{
		/* one category on both sides: nothing to test, no difference */
		if (na > 0.0 && nb > 0.0)
			DqChiSquareSet(out, 0.0, 1.0, 0.0);
		else
			DqChiSquareSet(out, NAN, NAN, NAN);
		return;
	}
	DqChiSquareSet(out, stat, DqChiSquarePValue(stat, out->df), sqrt(stat / out->n));
}

double
DqGammaP(double a, double x)
{
	double		q = DqGammaQ(a, x);

	return isnan(q) ? q : 1.0 - q;
}

/*
 * C = A * B for m x m matrices, with a power-of-two scale kept apart in
 * *ec (Marsaglia, Tsang and Wang, "Evaluating Kolmogorov's distribution",
 * J. Stat. Software 8(18), 2003).
 */
static void
DqMatMul(const double *a, const double *b, double *c, int m)
{
	int			i;
	int			j;
	int			k;

	for (i = 0; i < m; i++)
		for (j = 0; j < m; j++)
		{
			double		s = 0.0;

			for (k = 0; k < m; k++)
				s += a[i * m + k] * b[k * m + j];
			c[i * m + j] = s;
		}
}

static void
DqMatPow(const double *a, int ea, double *v, int *ev, int m, int64 n,
		 double *tmp)
{
	if (n == 1)
	{
		memcpy(v, a, sizeof(double) * m * m);
		*ev = ea;
		return;
	}
	DqMatPow(a, ea, v, ev, m, n / 2, tmp);
	DqMatMul(v, v, tmp, m);
	*ev = 2 * *ev;
	if (n % 2 == 0)
		memcpy(v, tmp, sizeof(double) * m * m);
	else
	{
		DqMatMul(a, tmp, v, m);
		*ev = ea + *ev;
	}
	/* keep the middle element in range */
	if (v[(m / 2) * m + (m / 2)] > 1e140)
	{
		int			i;

		for (i = 0; i < m * m; i++)
			v[i] *= 1e-140;
		*ev += 140;
	}
}

/* P(D_n < d) by the method of Marsaglia, Tsang and Wang */
static double
DqKolmogorovCdfExact(double d, int64 n)
{
	int			k = (int) (n * d) + 1;
	int			m = 2 * k - 1;
	double		h = k - n * d;
	double	   *H = palloc0(sizeof(double) * m * m);
	double	   *Q = palloc0(sizeof(double) * m * m);
	double	   *T = palloc0(sizeof(double) * m * m);
	int			eQ = 0;
	double		s;
	int64		i;
	int			j;
	int			g;

	for (i = 0; i < m; i++)
		for (j = 0; j < m; j++)
			H[i * m + j] = (i - j + 1 < 0) ? 0.0 : 1.0;
	for (i = 0; i < m; i++)
	{
		H[i * m] -= pow(h, i + 1);
		H[(m - 1) * m + i] -= pow(h, m - i);
	}
	H[(m - 1) * m] += (2 * h - 1 > 0 ? pow(2 * h - 1, m) : 0.0);
	for (i = 0; i < m; i++)
		for (j = 0; j < m; j++)
			if (i - j + 1 > 0)
				for (g = 1; g <= i - j + 1; g++)
					H[i * m + j] /= g;
	DqMatPow(H, 0, Q, &eQ, m, n, T);
	s = Q[(k - 1) * m + (k - 1)];
	for (i = 1; i <= n; i++)
	{
		s = s * i / n;
		if (s < 1e-140)
		{
			s *= 1e140;
			eQ -= 140;
		}
	}
	s *= pow(10.0, eQ);
	pfree(H);
	pfree(Q);
	pfree(T);
	return s;
}

double
DqKsOneSamplePValue(double d, double n)
{
	double		sqn;

	if (isnan(d) || isnan(n) || d < 0.0 || n < 1.0)
		return NAN;
	if (d >= 1.0)
		return 0.0;
	if (d <= 0.5 / n)
		return 1.0;
	if (n * d < 50.0 && n <= 1e6)
	{
		double		p = 1.0 - DqKolmogorovCdfExact(d, (int64) n);

		return p < 0.0 ? 0.0 : (p > 1.0 ? 1.0 : p);
	}
	sqn = sqrt(n);
	return DqKolmogorovQ((sqn + 0.12 + 0.11 / sqn) * d, 1e-300);
}
