/*-------------------------------------------------------------------------
 *
 * drift.h
 *	  Distribution math shared by the monitors and the distributional
 *	  expectations: distances between two distributions given as quantile
 *	  sketches or as category counts (Kolmogorov-Smirnov, population
 *	  stability index, chi-square, Kullback-Leibler), and the special
 *	  functions behind their p-values and behind the anomaly detector's
 *	  prediction intervals (incomplete gamma and beta, Student's t, F,
 *	  the Kolmogorov distribution).
 *
 * Every function is pure: no catalog access, no allocation beyond what a
 * caller passes in, no error raised for a numeric argument outside its
 * domain (they return NaN instead, and callers decide what that means).
 * Other subsystems may include this header: it is the one implementation
 * of these tests in the library.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_MONITOR_DRIFT_H
#define DQ_MONITOR_DRIFT_H

#include "postgres.h"

#include "sketch/sketch_quantile.h"

/* --- special functions ------------------------------------------------ */

/* Regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x). */
extern double DqGammaQ(double a, double x);

/* Regularized incomplete beta function I_x(a, b). */
extern double DqBetaInc(double a, double b, double x);

/* Standard normal distribution function. */
extern double DqNormalCdf(double z);

/* Student's t distribution function with df degrees of freedom. */
extern double DqStudentTCdf(double t, double df);

/* Quantile of Student's t (p in (0, 1)); df = +Inf gives the normal one. */
extern double DqStudentTQuantile(double p, double df);

/* Upper tail of the chi-square distribution: P(X >= stat). */
extern double DqChiSquarePValue(double stat, double df);

/* Upper tail of the F distribution with (d1, d2) degrees of freedom. */
extern double DqFPValue(double f, double d1, double d2);

/*
 * Two-sample Kolmogorov-Smirnov p-value of distance d between samples of
 * n1 and n2 values (asymptotic Kolmogorov distribution with Stephens'
 * small-sample correction).
 */
extern double DqKsPValue(double d, double n1, double n2);

/* --- distances between two distributions ------------------------------ */

/*
 * Kolmogorov-Smirnov distance: the largest gap between the two
 * distribution functions, read from two sorted quantile sketches.
 */
extern double DqKsDistance(const DqKllSorted *a, const DqKllSorted *b);

/*
 * Population stability index over bins: sum of (a - e) * ln(a / e) over
 * the bins' shares of the reference (e) and the current (a) data; shares
 * below "floor" count as floor (an empty bin would be infinite).
 */
extern double DqPsi(const double *expected, const double *actual, int nbins,
					double floor);

/*
 * PSI of two quantile sketches over nbins bins cut at the reference's
 * quantiles 1/nbins, 2/nbins, ...; bins that ties merge count once.
 */
extern double DqPsiFromSketches(const DqKllSorted *ref, const DqKllSorted *cur,
								int nbins);

/*
 * Kullback-Leibler divergence sum p * ln(p / q) of two distributions
 * given as weights over the same bins (normalized here); a bin where q is
 * 0 and p is not makes it infinite.  Great Expectations'
 * expect_column_kl_divergence_to_be_less_than.
 */
extern double DqKlDivergence(const double *p, const double *q, int nbins);

/* A chi-square goodness-of-fit test of observed counts against reference
 * proportions. */
typedef struct DqChiSquare
{
	double		statistic;
	double		df;
	double		p_value;
	double		effect_size;	/* Cohen's w, or Cramer's V (homogeneity) */
	double		n;				/* observations */
} DqChiSquare;

/*
 * Test the observed counts against the proportions of the reference
 * counts over the same categories (scipy.stats.chisquare semantics, as in
 * Great Expectations' expect_column_chisquare_test_p_value_to_be_greater_
 * than).  Reference counts get "smoothing" added (0.5 is Jeffreys') so that
 * a category never seen before has a finite expectation.
 */
extern void DqChiSquareTest(const double *observed, const double *reference,
							int ncat, double smoothing, DqChiSquare *out);

/*
 * Test whether two samples of counts over the same categories come from
 * one distribution (chi-square test of homogeneity of a 2 x ncat table,
 * categories empty in both samples left out); effect_size is Cramer's V,
 * between 0 and 1.  This is the test for two buckets of a monitor, where
 * both sides are samples.
 */
extern void DqChiSquareHomogeneity(const double *a, const double *b, int ncat,
								   DqChiSquare *out);

#endif							/* DQ_MONITOR_DRIFT_H */
