/*-------------------------------------------------------------------------
 *
 * detect.h
 *	  Anomaly detection over a time series: dq.detect_anomalies() and the
 *	  monitors call the same code.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_MONITOR_DETECT_H
#define DQ_MONITOR_DETECT_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "pgtime.h"
#include "utils/jsonb.h"

typedef enum DqDetectMethod
{
	DQ_DETECT_ZSCORE = 0,
	DQ_DETECT_MAD,
	DQ_DETECT_RATE_OF_CHANGE,
	DQ_DETECT_ABSOLUTE_CHANGE,
	DQ_DETECT_THRESHOLD,
	DQ_DETECT_HOLT_WINTERS,
	DQ_DETECT_NUM_METHODS
} DqDetectMethod;

typedef enum DqSeasonality
{
	DQ_SEASON_NONE = 0,
	DQ_SEASON_DAY_OF_WEEK,
	DQ_SEASON_HOUR_OF_DAY,
	DQ_SEASON_AUTO
} DqSeasonality;

typedef enum DqTrend
{
	DQ_TREND_NONE = 0,			/* the training values' mean */
	DQ_TREND_LINEAR				/* a least-squares line through them */
} DqTrend;

typedef enum DqDirection
{
	DQ_DIRECTION_BOTH = 0,
	DQ_DIRECTION_SPIKE,			/* only values above the band */
	DQ_DIRECTION_DROP			/* only values below the band */
} DqDirection;

typedef struct DqDetectOptions
{
	DqDetectMethod method;
	double		sensitivity;
	DqDirection direction;
	DqSeasonality seasonality;
	DqTrend		trend;			/* zscore only */
	int			training_points;	/* per seasonal slot */
	int			min_training_points;
	int64		training_period;	/* microseconds; 0 = no limit */
	int			level_shift;	/* 0 = never accept a new level */
	bool		prediction_interval;
	double		min_stddev;		/* the spread is at least this */
	bool		count_floor;	/* ... and at least sqrt(expected) */
	double		alpha;			/* Holt-Winters smoothing: level */
	double		beta;			/* trend */
	double		gamma;			/* season */
	int			season_length;	/* 0 = from seasonality */
	bool		has_lower;		/* threshold min, or max_decrease */
	bool		has_upper;		/* threshold max, or max_increase */
	double		lower;
	double		upper;
	pg_tz	   *tz;				/* for the seasonal slots */
	int			nexpected;		/* points a user marked expected (sorted) */
	TimestampTz *expected;
	int			nanomalous;		/* points a user confirmed (sorted) */
	TimestampTz *anomalous;
} DqDetectOptions;

/* The verdict on one point; "has_" flags stand for SQL NULLs. */
typedef struct DqDetectResult
{
	double		expected;
	double		lower;
	double		upper;
	double		score;
	bool		has_expected;
	bool		has_lower;
	bool		has_upper;
	bool		has_score;
	int8		anomaly;		/* 1 yes, 0 no, -1 unknown (too little
								 * training) */
} DqDetectResult;

extern const char *const DqDetectMethodNames[DQ_DETECT_NUM_METHODS];

extern int	DqMonitorNameIndex(const char *const *names, int n,
							   const char *name, const char *what,
							   const char *hint);
extern void DqMonitorOptionError(const char *key, const char *what,
								 const char *hint) pg_attribute_noreturn();
extern DqDetectMethod DqDetectMethodFromName(const char *name);
extern void DqDetectParseOptions(DqDetectOptions *o, DqDetectMethod method,
								 Jsonb *options,
								 const char *const *skip_keys);
extern void DqDetect(const DqDetectOptions *o, int n, const TimestampTz *ts,
					 const double *val, DqDetectResult *out);
extern int	DqDetectSlotsFromSpacing(int n, const TimestampTz *ts);
extern int	DqDetectCmpInt64(const void *a, const void *b);
extern void DqDetectCheckSeries(int n, const TimestampTz *ts, const double *val);
extern void DqOptionsMustBeObject(Jsonb *options, const char *example);
extern bool DqOptionsNext(JsonbIterator **it, char **key, JsonbValue *v,
						  const char *const *skip_keys);

#endif							/* DQ_MONITOR_DETECT_H */
