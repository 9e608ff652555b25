/*-------------------------------------------------------------------------
 *
 * detect.c
 *	  Anomaly detection over a time series: dq.detect_anomalies().
 *
 * Every point is judged against a model trained on earlier points only:
 * the point under test is never part of its own training window (the
 * z-score of a point that is in its own window cannot exceed
 * (n - 1) / sqrt(n), so a spike dilutes itself).  A point judged an
 * anomaly is left out of the training of every later point, so that one
 * spike does not widen the band enough to hide the next; a user can give
 * a point back to training (option "expected") or keep one out
 * (option "anomalous").  Points with less training than
 * min_training_points get no verdict (is_anomaly NULL), never "normal".
 *
 * A lasting change of level would otherwise be flagged forever, since the
 * flagged points never teach the model the new level: after level_shift
 * consecutive anomalies on the same side, the detector accepts the new
 * level, shifts every earlier training value by the run's mean deviation
 * and gives the run's points back to training.  The run's points stay
 * reported as anomalies.
 *
 * Methods:
 *	zscore			mean and standard deviation of the last training_points
 *					usable points (of the same weekday or hour with
 *					seasonality); band mean +- k * sd, where k is the
 *					sensitivity, widened to a Student-t prediction interval
 *					for the size of the training set (prediction_interval)
 *	mad				median and median absolute deviation (modified z-score,
 *					Iglewicz and Hoaglin), robust to outliers in training
 *	rate_of_change	relative change from the last usable point
 *	absolute_change	change from the last usable point
 *	threshold		fixed bounds
 *	holt_winters	additive Holt-Winters forecast; band from the standard
 *					deviation of the one-step residuals
 *
 * Seasonality "auto" looks at the spacing of the points (a day: weekday
 * slots; an hour: hour-of-day slots) and, at each point, uses the slots
 * only when an F-test on the training data says they differ (p < 0.01)
 * and the point's slot has enough training.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "monitor/detect.h"
#include "sketch/sketch_drift.h"

/* A point's value differs from another only beyond this relative tolerance */
#define DQ_REL_TOL	1e-12
/* p-value below which "auto" seasonality uses the slots */
#define DQ_SEASON_P	0.01

/* ---------------------------------------------------------------------
 * Detection
 * ---------------------------------------------------------------------
 */
typedef struct DqDetectState
{
	const DqDetectOptions *o;
	int			n;
	const TimestampTz *ts;
	const double *val;
	DqDetectResult *out;
	double	   *adj;			/* values shifted by accepted level shifts */
	bool	   *usable;			/* may train later points */
	int8	   *forced;			/* 1: user said anomalous, -1: expected */
	int		   *slot;			/* seasonal slot, when there are slots */
	int		   *prev_in_slot;	/* previous point of the same slot, or -1 */
	int			nslots;			/* 7, 24, or 0 */
	bool		always_seasonal;	/* explicit day_of_week / hour_of_day */
	int			auto_checked_at;	/* point of the last "auto" decision */
	bool		auto_seasonal;
	int		   *run;			/* indexes of the current run of anomalies */
	int			run_len;
	int			run_sign;
	int			run_flagged;	/* points of the run that are anomalies */
	bool		positive;		/* every value so far is positive */
	int			shift_at;		/* first point of the last accepted shift, or -1 */
	int			shift_n;		/* points its size was estimated from */
	double		shift_sum;		/* sum of their deviations */
	double	   *pre;			/* training values before the shift */
	double	   *buf;			/* training values */
	double	   *bufx;			/* their times, in days before the point */
	int			npre;			/* how many of them precede a shift that is
								 * still being refined */
	/* Holt-Winters */
	double		hw_level;
	double		hw_trend;
	double	   *hw_season;
} DqDetectState;

/* Is a time in a sorted list? */
static bool
DqTsIn(TimestampTz t, const TimestampTz *list, int n)
{
	int			lo = 0;
	int			hi = n - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (list[mid] == t)
			return true;
		if (list[mid] < t)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

/* Weekday (0 = Sunday) or hour of the day of a time in a zone. */
static int
DqSlotOf(TimestampTz t, int nslots, pg_tz *tz)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tzoff;

	if (timestamp2tm(t, &tzoff, &tm, &fsec, NULL, tz) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	if (nslots == 24)
		return tm.tm_hour;
	return j2day(date2j(tm.tm_year, tm.tm_mon, tm.tm_mday));
}

/* Slots per season suggested by the spacing of the points: 7, 24 or 0. */
int
DqDetectSlotsFromSpacing(int n, const TimestampTz *ts)
{
	int64	   *gaps;
	int64		median;
	int			i;

	if (n < 3)
		return 0;
	gaps = palloc(sizeof(int64) * (n - 1));
	for (i = 1; i < n; i++)
		gaps[i - 1] = ts[i] - ts[i - 1];
	qsort(gaps, n - 1, sizeof(int64), DqDetectCmpInt64);
	median = gaps[(n - 1) / 2];
	pfree(gaps);
	if (median >= USECS_PER_DAY * 9 / 10 && median <= USECS_PER_DAY * 11 / 10)
		return 7;
	if (median >= USECS_PER_HOUR * 9 / 10 && median <= USECS_PER_HOUR * 11 / 10)
		return 24;
	return 0;
}

static void
DqDetectPrepare(DqDetectState *st, const DqDetectOptions *o, int n,
				const TimestampTz *ts, const double *val, DqDetectResult *out)
{
	int			i;

	memset(st, 0, sizeof(DqDetectState));
	st->o = o;
	st->n = n;
	st->ts = ts;
	st->val = val;
	st->out = out;
	st->adj = palloc(sizeof(double) * n);
	st->pre = palloc(sizeof(double) * Max(n, 1));
	st->usable = palloc0(sizeof(bool) * n);
	st->forced = palloc0(sizeof(int8) * n);
	st->run = palloc(sizeof(int) * Max(n, 1));
	st->buf = palloc(sizeof(double) * (o->training_points + 1));
	st->bufx = palloc(sizeof(double) * (o->training_points + 1));
	st->auto_checked_at = -1;
	st->positive = true;
	st->shift_at = -1;
	memcpy(st->adj, val, sizeof(double) * n);
	for (i = 0; i < n; i++)
	{
		if (DqTsIn(ts[i], o->expected, o->nexpected))
			st->forced[i] = -1;
		else if (DqTsIn(ts[i], o->anomalous, o->nanomalous))
			st->forced[i] = 1;
	}

	switch (o->seasonality)
	{
		case DQ_SEASON_NONE:
			st->nslots = 0;
			break;
		case DQ_SEASON_DAY_OF_WEEK:
			st->nslots = 7;
			st->always_seasonal = true;
			break;
		case DQ_SEASON_HOUR_OF_DAY:
			st->nslots = 24;
			st->always_seasonal = true;
			break;
		case DQ_SEASON_AUTO:
			st->nslots = DqDetectSlotsFromSpacing(n, ts);
			break;
	}
	if (st->nslots > 0 &&
		!(o->method == DQ_DETECT_HOLT_WINTERS && o->season_length > 0))
	{
		int			last[24];

		st->slot = palloc(sizeof(int) * n);
		st->prev_in_slot = palloc(sizeof(int) * n);
		for (i = 0; i < 24; i++)
			last[i] = -1;
		for (i = 0; i < n; i++)
		{
			st->slot[i] = DqSlotOf(ts[i], st->nslots, o->tz);
			st->prev_in_slot[i] = last[st->slot[i]];
			last[st->slot[i]] = i;
		}
	}
	memset(out, 0, sizeof(DqDetectResult) * n);
	for (i = 0; i < n; i++)
		out[i].anomaly = -1;
}

/*
 * Quantile of Student's t with df degrees of freedom at probability p,
 * cached per df for the last p asked.
 */
#define DQ_TCACHE	1024
typedef struct DqTCache
{
	double		p;
	double		q[DQ_TCACHE];
} DqTCache;
static DqTCache DqBandCache = {-1.0};

static double
DqTQuantileCached(DqTCache *c, double p, int df)
{
	double		q;

	if (c->p != p)
	{
		memset(c->q, 0, sizeof(c->q));
		c->p = p;
	}
	if (df < DQ_TCACHE && c->q[df] > 0.0)
		return c->q[df];
	q = DqStudentTQuantile(p, df);
	if (df < DQ_TCACHE)
		c->q[df] = q;
	return q;
}

/*
 * Band half-width in standard deviations: the sensitivity itself, or the
 * Student-t prediction interval with the same coverage as "sensitivity"
 * standard deviations of a normal distribution, for a new value of the
 * distribution whose parameters were estimated with df degrees of
 * freedom; "spread" widens it for the uncertainty of the estimate (1 +
 * 1/n for a mean).
 */
static double
DqBandFactor(const DqDetectOptions *o, int df, double spread)
{
	double		k;

	if (!o->prediction_interval || df < 1)
		return o->sensitivity;
	k = DqTQuantileCached(&DqBandCache, DqNormalCdf(o->sensitivity), df) * sqrt(spread);
	return isnan(k) ? o->sensitivity : k;
}

/*
 * Critical value of the F distribution with (d1, d2) degrees of freedom
 * at level DQ_SEASON_P, by bisection on its tail; cached.
 */
#define DQ_FCACHE_D2	1024
static double DqFCache[24][DQ_FCACHE_D2];

static double
DqFCritical(int d1, int d2)
{
	double		lo = 0.0;
	double		hi = 1.0;
	int			i;

	if (d1 < 24 && d2 < DQ_FCACHE_D2 && DqFCache[d1][d2] > 0.0)
		return DqFCache[d1][d2];
	while (DqFPValue(hi, d1, d2) > DQ_SEASON_P && hi < 1e9)
	{
		lo = hi;
		hi *= 2.0;
	}
	for (i = 0; i < 100 && hi - lo > 1e-9 * hi; i++)
	{
		double		mid = 0.5 * (lo + hi);

		if (DqFPValue(mid, d1, d2) > DQ_SEASON_P)
			lo = mid;
		else
			hi = mid;
	}
	if (d1 < 24 && d2 < DQ_FCACHE_D2)
		DqFCache[d1][d2] = hi;
	return hi;
}

/*
 * Should point i use seasonal slots ("auto")?  One-way analysis of
 * variance of the usable points before i over their slots, re-decided
 * once per season.
 */
static bool
DqAutoSeasonal(DqDetectState *st, int i)
{
	const DqDetectOptions *o = st->o;
	double		cnt[24] = {0};
	double		sum[24] = {0};
	double		sumsq[24] = {0};
	double		total = 0.0;
	double		gsum = 0.0;
	double		ssb = 0.0;
	double		ssw = 0.0;
	int			groups = 0;
	int			limit = o->training_points * st->nslots;
	int			seen = 0;
	int			j;
	int			s;

	if (st->auto_checked_at >= 0 && i - st->auto_checked_at < st->nslots)
		return st->auto_seasonal;
	st->auto_checked_at = i;
	st->auto_seasonal = false;
	for (j = i - 1; j >= 0 && seen < limit; j--)
	{
		if (!st->usable[j])
			continue;
		if (o->training_period > 0 && st->ts[j] < st->ts[i] - o->training_period)
			break;
		s = st->slot[j];
		cnt[s] += 1;
		sum[s] += st->adj[j];
		sumsq[s] += st->adj[j] * st->adj[j];
		seen++;
	}
	for (s = 0; s < st->nslots; s++)
	{
		if (cnt[s] < 2)
			continue;
		groups++;
		total += cnt[s];
		gsum += sum[s];
	}
	if (groups < 2 || total <= groups)
		return false;
	for (s = 0; s < st->nslots; s++)
	{
		double		mean;

		if (cnt[s] < 2)
			continue;
		mean = sum[s] / cnt[s];
		ssb += cnt[s] * (mean - gsum / total) * (mean - gsum / total);
		ssw += Max(sumsq[s] - cnt[s] * mean * mean, 0.0);
	}
	/* differences at the level of rounding errors are no seasons */
	if (ssb + ssw <= total * pow(1e-9 * Max(1.0, fabs(gsum / total)), 2))
		st->auto_seasonal = false;
	else if (ssw <= 0.0)
		st->auto_seasonal = ssb > 0.0;
	else
		st->auto_seasonal = (ssb / (groups - 1)) / (ssw / (total - groups)) >
			DqFCritical(groups - 1, (int) total - groups);
	return st->auto_seasonal;
}

/*
 * The training values of point i: the last training_points usable points
 * before it (within training_period), of slot "slot" unless it is -1.
 */
static int
DqCollect(DqDetectState *st, int i, int slot)
{
	const DqDetectOptions *o = st->o;
	int			n = 0;
	int			j;

	st->npre = 0;
	/* within a slot, follow the links to the previous point of the slot */
	for (j = (slot >= 0) ? st->prev_in_slot[i] : i - 1;
		 j >= 0 && n < o->training_points;
		 j = (slot >= 0) ? st->prev_in_slot[j] : j - 1)
	{
		if (o->training_period > 0 && st->ts[j] < st->ts[i] - o->training_period)
			break;
		if (!st->usable[j])
			continue;
		if (st->shift_at >= 0 && j < st->shift_at)
			st->npre++;
		st->bufx[n] = (double) (st->ts[j] - st->ts[i]) / USECS_PER_DAY;
		st->buf[n++] = st->adj[j];
	}
	return n;
}

/*
 * Training of point i for zscore and mad: of its slot when the series is
 * seasonal (then too few points of the slot mean no verdict, not a
 * verdict against the other slots' values, which would take every
 * weekend for an anomaly and keep it out of training), else of all slots.
 */
static int
DqTraining(DqDetectState *st, int i)
{
	if (st->slot != NULL &&
		(st->always_seasonal || DqAutoSeasonal(st, i)))
		return DqCollect(st, i, st->slot[i]);
	return DqCollect(st, i, -1);
}

/* Record the band and decide: which side of it is the value on? */
static void
DqJudge(DqDetectState *st, int i, double expected, double lower, double upper,
		double score)
{
	const DqDetectOptions *o = st->o;
	DqDetectResult *r = &st->out[i];
	double		x = st->val[i];
	double		tol = DQ_REL_TOL * Max(1.0, fabs(expected));
	bool		above = x - upper > tol;
	bool		below = lower - x > tol;

	r->expected = expected;
	r->lower = lower;
	r->upper = upper;
	r->score = score;
	r->has_expected = r->has_lower = r->has_upper = r->has_score = true;
	r->anomaly = ((above && o->direction != DQ_DIRECTION_DROP) ||
				  (below && o->direction != DQ_DIRECTION_SPIKE)) ? 1 : 0;
}

/* A score for a deviation against a spread that may be zero. */
static double
DqScore(double dev, double spread, double scale)
{
	/* a spread at the level of rounding errors is no spread */
	if (spread > DQ_REL_TOL * Max(1.0, fabs(scale)))
		return dev / spread;
	if (fabs(dev) <= DQ_REL_TOL * Max(1.0, fabs(scale)))
		return 0.0;
	return dev > 0 ? INFINITY : -INFINITY;
}

/*
 * The spread a band is built from: the estimate, but at least min_stddev
 * and, for counts, the standard deviation of a Poisson count with the
 * expected mean (a series that was constant in training still varies by
 * its measurement's resolution).
 */
static double
DqFloorSpread(const DqDetectOptions *o, double spread, double expected)
{
	if (spread < o->min_stddev)
		spread = o->min_stddev;
	if (o->count_floor && spread < sqrt(Max(fabs(expected), 1.0)))
		spread = sqrt(Max(fabs(expected), 1.0));
	return spread;
}

/*
 * Judge point i against the band center +- k times the spread (floored
 * by DqFloorSpread), the score being the deviation in spreads.
 */
static void
DqJudgeAround(DqDetectState *st, int i, double center, double spread, double k)
{
	spread = DqFloorSpread(st->o, spread, center);
	DqJudge(st, i, center, center - k * spread, center + k * spread,
			DqScore(st->val[i] - center, spread, center));
}

/* Are n training values enough for a verdict? */
static inline bool
DqEnoughTraining(const DqDetectOptions *o, int n)
{
	return n >= Max(o->min_training_points, 2);
}

/*
 * Extra variance of a prediction, in units of the training's variance,
 * from the estimated size of a level shift that is still being refined:
 * the training values before the shift were all moved by the estimate,
 * whose error is that of a mean of shift_n deviations, so the model's
 * level is off by it in proportion to the share of such values.  Without
 * it the first weeks after a shift, judged against a size estimated from
 * three points, raise false alarms at several times the nominal rate.
 */
static double
DqShiftVariance(const DqDetectState *st, int n)
{
	double		f;

	if (st->shift_at < 0 || st->shift_n <= 0 || st->npre <= 0 || n <= 0)
		return 0.0;
	f = (double) st->npre / n;
	return f * f / st->shift_n;
}

/*
 * The trend of the training values (option trend linear): a least-squares
 * line through them (value against time), extrapolated to the point under
 * test.  Returns false when there is no line to use: option trend none,
 * fewer than four values, or a single time.  Otherwise sets the
 * prediction, the residuals' standard deviation (n - 2 degrees of
 * freedom) and the variance factor of a prediction at time 0 (1 + 1/n +
 * xbar^2 / Sxx), which widens the band for the extrapolation.  A series
 * that grows or shrinks steadily is otherwise judged against a mean that
 * lags it by half the training window.  The line is used always or never:
 * choosing it per point when its slope is significant (at p < 0.05 or
 * even p < 0.001) raised more false alarms than either choice on the
 * detection benchmark, since a significant slope in a short window is
 * mostly a level shift or noise, which the line then extrapolates.
 */
static bool
DqTrendFit(const DqDetectState *st, int n, double *pred, double *sd,
		   double *factor)
{
	const DqDetectOptions *o = st->o;
	double		xbar = 0.0;
	double		ybar = 0.0;
	double		sxx = 0.0;
	double		sxy = 0.0;
	double		syy = 0.0;
	double		b;
	double		rss;
	double		s;
	int			j;

	if (o->trend == DQ_TREND_NONE || n < 4)
		return false;
	for (j = 0; j < n; j++)
	{
		xbar += st->bufx[j];
		ybar += st->buf[j];
	}
	xbar /= n;
	ybar /= n;
	for (j = 0; j < n; j++)
	{
		double		dx = st->bufx[j] - xbar;
		double		dy = st->buf[j] - ybar;

		sxx += dx * dx;
		sxy += dx * dy;
		syy += dy * dy;
	}
	if (!(sxx > 0.0))
		return false;
	b = sxy / sxx;
	rss = Max(syy - b * sxy, 0.0);
	s = sqrt(rss / (n - 2));
	*pred = ybar - b * xbar;
	*sd = s;
	*factor = 1.0 + 1.0 / n + xbar * xbar / sxx;
	return true;
}

/*
 * A band of z-score and mad is the center of the n training values plus
 * or minus k spreads, and the value is judged against it.
 */
typedef struct DqBand
{
	double		center;
	double		spread;
	double		k;
} DqBand;

/*
 * z-score: mean and standard deviation of the training values, or the
 * trend line through them and the standard deviation of its residuals.
 */
static void
DqZscoreBand(DqDetectState *st, int n, DqBand *b)
{
	double		factor;
	int			df;

	if (DqTrendFit(st, n, &b->center, &b->spread, &factor))
		df = n - 2;
	else
	{
		double		mean = 0.0;
		double		ss = 0.0;
		int			j;

		for (j = 0; j < n; j++)
			mean += st->buf[j];
		mean /= n;
		for (j = 0; j < n; j++)
			ss += (st->buf[j] - mean) * (st->buf[j] - mean);
		b->center = mean;
		b->spread = sqrt(ss / (n - 1));
		factor = 1.0 + 1.0 / n;
		df = n - 1;
	}
	factor += DqShiftVariance(st, n);
	b->k = DqBandFactor(st->o, df, factor);
}

static int
DqCmpDouble(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

static double
DqMedian(double *v, int n)
{
	qsort(v, n, sizeof(double), DqCmpDouble);
	return (n % 2) ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/*
 * Modified z-score 0.6745 (x - median) / MAD; when more than half of the
 * training values are equal (MAD = 0), the mean absolute deviation times
 * 1.2533 stands in for MAD / 0.6745 (both estimate the standard deviation
 * of normal data).
 */
static void
DqMadBand(DqDetectState *st, int n, DqBand *b)
{
	double		mad;
	int			j;

	b->center = DqMedian(st->buf, n);
	for (j = 0; j < n; j++)
		st->buf[j] = fabs(st->buf[j] - b->center);
	mad = DqMedian(st->buf, n);
	if (mad > 0.0)
		b->spread = mad / 0.6745;
	else
	{
		double		meanad = 0.0;

		for (j = 0; j < n; j++)
			meanad += st->buf[j];
		b->spread = 1.253314 * meanad / n;
	}
	b->k = st->o->prediction_interval ?
		DqBandFactor(st->o, Max((int) (0.37 * (n - 1)), 1), 1.0 + M_PI / (2.0 * n)) :
		st->o->sensitivity;
}

/* zscore and mad: judge point i against the band of its training values. */
static void
DqBandPoint(DqDetectState *st, int i)
{
	int			n = DqTraining(st, i);
	DqBand		b;

	if (!DqEnoughTraining(st->o, n))
		return;
	if (st->o->method == DQ_DETECT_MAD)
		DqMadBand(st, n, &b);
	else
		DqZscoreBand(st, n, &b);
	DqJudgeAround(st, i, b.center, b.spread, b.k);
}

/* rate_of_change and absolute_change, from the last usable point */
static void
DqChangePoint(DqDetectState *st, int i)
{
	const DqDetectOptions *o = st->o;
	bool		rate = (o->method == DQ_DETECT_RATE_OF_CHANGE);
	DqDetectResult *r = &st->out[i];
	double		ref;
	double		x = st->val[i];
	double		change;
	double		unit;
	int			j;

	for (j = i - 1; j >= 0 && !st->usable[j]; j--)
		;
	if (j < 0)
		return;
	ref = st->adj[j];
	unit = rate ? fabs(ref) : 1.0;
	change = x - ref;
	r->expected = ref;
	r->has_expected = true;
	r->has_lower = o->has_lower;
	r->lower = ref - unit * o->lower;
	r->has_upper = o->has_upper;
	r->upper = ref + unit * o->upper;
	r->score = rate ? DqScore(change, unit, 0.0) : change;
	r->has_score = true;
	r->anomaly = ((o->has_upper && o->direction != DQ_DIRECTION_DROP &&
				   r->score > o->upper) ||
				  (o->has_lower && o->direction != DQ_DIRECTION_SPIKE &&
				   r->score < -o->lower)) ? 1 : 0;
}

static void
DqThresholdPoint(DqDetectState *st, int i)
{
	const DqDetectOptions *o = st->o;
	DqDetectResult *r = &st->out[i];
	double		x = st->val[i];
	bool		above = o->has_upper && x > o->upper;
	bool		below = o->has_lower && x < o->lower;

	r->has_lower = o->has_lower;
	r->lower = o->lower;
	r->has_upper = o->has_upper;
	r->upper = o->upper;
	r->score = above ? x - o->upper : below ? x - o->lower : 0.0;
	r->has_score = true;
	r->anomaly = ((above && o->direction != DQ_DIRECTION_DROP) ||
				  (below && o->direction != DQ_DIRECTION_SPIKE)) ? 1 : 0;
}

/*
 * The size of an accepted level shift: the mean deviation (log ratio when
 * the series is positive) of the post-shift points from the pre-shift
 * model, which is the mean of the pre-shift training values of each
 * point's slot.  Estimated from the level_shift points that made the
 * shift, then refined with each normal point after it, up to
 * training_points of them; every pre-shift value is then moved by it.
 * Only zscore and mad train on the moved values.
 */
static bool
DqShiftContribution(DqDetectState *st, int p, double *c)
{
	const DqDetectOptions *o = st->o;
	int			slot = -1;
	double		sum = 0.0;
	int			n = 0;
	int			j;

	if (st->slot != NULL && (st->always_seasonal || st->auto_seasonal))
		slot = st->slot[p];
	for (j = st->shift_at - 1; j >= 0 && n < o->training_points; j--)
	{
		if (!st->usable[j] || (slot >= 0 && st->slot[j] != slot))
			continue;
		sum += st->pre[j];
		n++;
	}
	if (n == 0)
		return false;
	sum /= n;
	if (st->positive && sum > 0.0)
		*c = log(st->val[p] / sum);
	else
		*c = st->val[p] - sum;
	return true;
}

static void
DqApplyShift(DqDetectState *st)
{
	double		delta = st->shift_sum / st->shift_n;
	int			j;

	for (j = 0; j < st->shift_at; j++)
		st->adj[j] = st->positive ? st->pre[j] * exp(delta) : st->pre[j] + delta;
}

static void
DqRefineShift(DqDetectState *st, int i)
{
	const DqDetectOptions *o = st->o;
	double		c;

	if (st->shift_n >= o->training_points ||
		(o->method != DQ_DETECT_ZSCORE && o->method != DQ_DETECT_MAD))
	{
		st->shift_at = -1;
		return;
	}
	if (!DqShiftContribution(st, i, &c))
		return;
	st->shift_sum += c;
	st->shift_n++;
	DqApplyShift(st);
}

/*
 * Does a point that is not an anomaly continue the current run of
 * anomalies?  It does when it lies on the run's side at least half-way to
 * the band's edge: a shift close to the band's width is then not broken
 * into pieces by its noise.  (A run is accepted as a new level only with
 * at least two anomalies in it, so one spike and its neighbours are not.)
 */
static bool
DqSupportsRun(const DqDetectState *st, int i)
{
	const DqDetectResult *r = &st->out[i];
	double		x = st->val[i];

	if (r->anomaly != 0 || !r->has_expected)
		return false;
	if (st->run_sign > 0)
		return r->has_upper && r->upper > r->expected &&
			x - r->expected >= 0.5 * (r->upper - r->expected);
	return r->has_lower && r->lower < r->expected &&
		r->expected - x >= 0.5 * (r->expected - r->lower);
}

/*
 * After the verdict on point i: user verdicts win, anomalies leave
 * training, and a run of level_shift anomalies on one side becomes the
 * new level.  Returns true when a level shift was accepted at i.
 */
static bool
DqSettle(DqDetectState *st, int i)
{
	const DqDetectOptions *o = st->o;
	DqDetectResult *r = &st->out[i];
	int			k;

	if (st->val[i] <= 0.0 && st->positive)
	{
		/* shifts are ratios no more: stop refining the last one */
		st->positive = false;
		st->shift_at = -1;
	}
	if (st->forced[i] != 0)
	{
		r->anomaly = (st->forced[i] > 0) ? 1 : 0;
		st->usable[i] = (st->forced[i] < 0);
		if (st->forced[i] < 0)
			st->run_len = st->run_flagged = 0;
		return false;
	}
	if (r->anomaly != 1)
	{
		st->usable[i] = true;
		if (st->run_len > 0 && DqSupportsRun(st, i))
			st->run[st->run_len++] = i;
		else
		{
			st->run_len = st->run_flagged = 0;
			if (r->anomaly == 0 && st->shift_at >= 0)
				DqRefineShift(st, i);
			return false;
		}
	}
	else
	{
		int			sign = (st->val[i] > r->expected) ? 1 : -1;

		st->usable[i] = false;
		if (o->level_shift <= 0 || !r->has_expected)
			return false;
		if (st->run_len > 0 && sign != st->run_sign)
			st->run_len = st->run_flagged = 0;
		st->run_sign = sign;
		st->run[st->run_len++] = i;
		st->run_flagged++;
	}
	if (st->run_len < o->level_shift || st->run_flagged < Min(o->level_shift, 2))
		return false;
	/*
	 * Accept the new level: the pre-shift values are kept as they are now
	 * and moved by the shift's estimated size (DqApplyShift), as a ratio
	 * when the series has been positive so far (a load that grows by a
	 * third grows by a third on every weekday), else as a difference.
	 */
	st->shift_at = st->run[0];
	memcpy(st->pre, st->adj, sizeof(double) * st->shift_at);
	st->shift_sum = 0.0;
	st->shift_n = 0;
	for (k = 0; k < st->run_len; k++)
	{
		double		c;

		if (DqShiftContribution(st, st->run[k], &c))
		{
			st->shift_sum += c;
			st->shift_n++;
		}
	}
	if (st->shift_n > 0)
		DqApplyShift(st);
	for (k = 0; k < st->run_len; k++)
		st->usable[st->run[k]] = true;
	st->run_len = st->run_flagged = 0;
	return true;
}

/* ---------------------------------------------------------------------
 * Holt-Winters (additive)
 * ---------------------------------------------------------------------
 */

/* Season index of point i: calendar slot, or position modulo m. */
static inline int
DqHwSlot(const DqDetectState *st, int i, int m)
{
	return (st->slot != NULL) ? st->slot[i] : (i % m);
}

/*
 * Initial level, trend and season from the first two seasons (m > 0) or
 * the first two points (no season) of y.  Returns the first point to
 * forecast.
 */
static int
DqHwInit(DqDetectState *st, const double *y, int m)
{
	st->hw_season = palloc0(sizeof(double) * Max(m, 1));
	if (m == 0)
	{
		if (st->n < 2)
			return st->n;
		st->hw_level = y[1];
		st->hw_trend = y[1] - y[0];
		st->usable[0] = st->usable[1] = true;
		return 2;
	}
	if (st->n < 2 * m)
		return st->n;
	{
		double		mean1 = 0.0;
		double		mean2 = 0.0;
		int			i;

		for (i = 0; i < m; i++)
		{
			mean1 += y[i];
			mean2 += y[m + i];
		}
		mean1 /= m;
		mean2 /= m;
		for (i = 0; i < 2 * m; i++)
		{
			st->hw_season[DqHwSlot(st, i, m)] +=
				0.5 * (y[i] - (i < m ? mean1 : mean2));
			st->usable[i] = true;
		}
		st->hw_trend = (mean2 - mean1) / m;
		/* level at the last point of the second season */
		st->hw_level = mean2 + st->hw_trend * (m - 1) / 2.0;
	}
	return 2 * m;
}

/*
 * Additive Holt-Winters on the series, or on its logarithm when every
 * value is positive (seasons and shifts are then ratios: a weekend at 60%
 * of a weekday stays at 60% when the load doubles).  The band is the
 * forecast plus or minus k standard deviations of the last
 * training_points one-step residuals, mapped back to the values' scale.
 */
static void
DqHoltWinters(DqDetectState *st)
{
	const DqDetectOptions *o = st->o;
	int			m = o->season_length > 0 ? o->season_length : st->nslots;
	double	   *res = palloc(sizeof(double) * o->training_points);
	double	   *y = palloc(sizeof(double) * Max(st->n, 1));
	bool		logs = true;
	int			nres = 0;
	int			respos = 0;
	int			i;

	for (i = 0; i < st->n; i++)
		logs &= (st->val[i] > 0.0);
	for (i = 0; i < st->n; i++)
		y[i] = logs ? log(st->val[i]) : st->val[i];
	for (i = DqHwInit(st, y, m); i < st->n; i++)
	{
		int			s = (m > 0) ? DqHwSlot(st, i, m) : 0;
		double		season = (m > 0) ? st->hw_season[s] : 0.0;
		double		f = st->hw_level + st->hw_trend + season;
		double		yu;
		double		level;

		CHECK_FOR_INTERRUPTS();
		if (DqEnoughTraining(o, nres))
		{
			double		ss = 0.0;
			double		sd;
			double		k = DqBandFactor(o, nres, 1.0);
			int			j;

			for (j = 0; j < nres; j++)
				ss += res[j] * res[j];
			sd = sqrt(ss / nres);
			if (logs)
			{
				/* floors apply on the values' scale, near the forecast */
				sd = Max(sd, DqFloorSpread(o, 0.0, exp(f)) / exp(f));
				DqJudge(st, i, exp(f), exp(f - k * sd), exp(f + k * sd),
						DqScore(y[i] - f, sd, f));
			}
			else
				DqJudgeAround(st, i, f, sd, k);
		}
		else
		{
			st->out[i].expected = logs ? exp(f) : f;
			st->out[i].has_expected = true;
		}
		/* a new level: move the level by the residual */
		if (DqSettle(st, i))
			st->hw_level += y[i] - f;
		/* an anomaly updates the model as if the forecast had come true */
		yu = st->usable[i] ? y[i] : f;
		if (st->usable[i] && st->out[i].anomaly != 1)
		{
			res[respos] = y[i] - f;
			respos = (respos + 1) % o->training_points;
			nres = Min(nres + 1, o->training_points);
		}
		level = o->alpha * (yu - season) +
			(1.0 - o->alpha) * (st->hw_level + st->hw_trend);
		st->hw_trend = o->beta * (level - st->hw_level) +
			(1.0 - o->beta) * st->hw_trend;
		if (m > 0)
			st->hw_season[s] = o->gamma * (yu - level) +
				(1.0 - o->gamma) * st->hw_season[s];
		st->hw_level = level;
	}
	pfree(res);
	pfree(y);
}

/*
 * Judge every point of a series (times strictly ascending, values finite:
 * see DqDetectCheckSeries) into out[0..n-1].
 */
void
DqDetect(const DqDetectOptions *o, int n, const TimestampTz *ts,
		 const double *val, DqDetectResult *out)
{
	DqDetectState st;
	int			i;

	DqDetectPrepare(&st, o, n, ts, val, out);
	if (o->method == DQ_DETECT_HOLT_WINTERS)
	{
		DqHoltWinters(&st);
		return;
	}
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		switch (o->method)
		{
			case DQ_DETECT_ZSCORE:
			case DQ_DETECT_MAD:
				DqBandPoint(&st, i);
				break;
			case DQ_DETECT_RATE_OF_CHANGE:
			case DQ_DETECT_ABSOLUTE_CHANGE:
				DqChangePoint(&st, i);
				break;
			case DQ_DETECT_THRESHOLD:
				DqThresholdPoint(&st, i);
				break;
			default:
				break;
		}
		(void) DqSettle(&st, i);
	}
}
