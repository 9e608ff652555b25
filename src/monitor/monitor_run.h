/*-------------------------------------------------------------------------
 *
 * monitor_run.h
 *	  What the files of a monitor run share: the run in progress
 *	  (monitor_run.c), the polls of freshness, volume and schema monitors
 *	  (monitor_polls.c) and the buckets of column and distribution monitors
 *	  (monitor_buckets.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_MONITOR_MONITOR_RUN_H
#define DQ_MONITOR_MONITOR_RUN_H

#include "postgres.h"

#include "executor/spi.h"

#include "base/json_build.h"
#include "base/trust.h"
#include "monitor/detect.h"
#include "monitor/monitor.h"

/* Unix epoch as a PostgreSQL timestamp */
#define DQ_UNIX_EPOCH_TS \
	(-((TimestampTz) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY))

typedef struct DqRun
{
	DqMonitorDef *def;
	DqMonitorConfig cfg;
	TimestampTz now;
	char	   *nspname;		/* current names */
	char	   *relname;
	char	   *colname;
	DqJson		state;			/* members merged into the stored state */
	bool		reset_state;	/* replace the stored state instead */
	int			anomalies;
	/* metric values not written yet (DqRunRecord, DqRunFlush) */
	int			npoints;
	int			cappoints;
	Datum	   *pmetric;
	Datum	   *pbucket;
	Datum	   *pvalue;
} DqRun;

extern double DqToUnix(TimestampTz t);
extern TimestampTz DqFromUnix(double s);
extern TimestampTz DqBucketOf(TimestampTz t, int64 width);
extern bool DqStateNumber(DqRun *run, const char *key, double *out);
extern char *DqStateString(DqRun *run, const char *key);
extern void DqRunFlush(DqRun *run);
extern void DqRunBecomeExtensionOwner(DqOwnerContext *ctx);
extern uint64 DqRunAsOwner(const char *sql, int nargs, Oid *types,
						   Datum *values, const char *nulls, int expected,
						   const char *what);
extern void DqRunRecord(DqRun *run, const char *metric, TimestampTz bucket,
						double value);
extern void DqRunAnomaly(DqRun *run, const char *metric, TimestampTz bucket,
						 double value, const DqDetectResult *r,
						 const char *method, const char *severity,
						 const char *detail);
extern void DqRunJudge(DqRun *run, const char *metric,
					   const TimestampTz *buckets, int nb);

/* monitor_polls.c */
extern void DqRunFreshness(DqRun *run);
extern void DqRunVolume(DqRun *run);
extern void DqRunSchema(DqRun *run);

/* monitor_buckets.c */
extern void DqRunColumn(DqRun *run);
extern void DqRunDistribution(DqRun *run);

#endif							/* DQ_MONITOR_MONITOR_RUN_H */
