/*-------------------------------------------------------------------------
 *
 * stats.h
 *	  Cumulative counters of the extension's work (the view dq.stats),
 *	  kept in shared memory since the last dq.stats_reset().
 *
 * Long operations are counted by base/progress.c when they end.  Other
 * subsystems count events with DqStatsCount, which costs one hash lookup
 * under a shared lock and a spinlock: call it once per batch (a CDC pass,
 * an alert sent), not per row.  Without shared_preload_libraries it does
 * nothing.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_STATS_H
#define DQ_STATS_H

#include "postgres.h"

/*
 * Kinds of work, as dq.progress and dq.stats name them.  The last two
 * never show in dq.progress (base/progress.h): they are only counted.
 */
typedef enum DqObsOp
{
	DQ_OP_PROFILE = 0,			/* "profile": dq.profile */
	DQ_OP_VALIDATION,			/* "validation": dq.validate */
	DQ_OP_CHECK,				/* "check": dq.check */
	DQ_OP_MONITOR,				/* "monitor": one pass of a monitor */
	DQ_OP_BACKFILL,				/* "backfill": a history backfill */
	DQ_OP_JOB,					/* "job": a scheduled job's run */
	DQ_OP_CDC,					/* "cdc": change validation */
	DQ_OP_ALERT,				/* "alert": alert delivery */
	DQ_OP_COUNT
} DqObsOp;

extern const char *DqObsOpName(DqObsOp op);

/* Events counted without a relation, in the current database. */
typedef enum DqStatKind
{
	DQ_STAT_ALERTS_SENT = 0,	/* alert: calls */
	DQ_STAT_ALERTS_FAILED,		/* alert: failures (a delivery attempt) */
	DQ_STAT_CDC_BATCHES,		/* cdc: calls (a pass that recorded work) */
	DQ_STAT_CDC_CHANGES,		/* cdc: rows (changes validated) */
	DQ_STAT_CDC_VIOLATIONS,		/* cdc: violations recorded */
	DQ_STAT_JOBS_SKIPPED		/* job: skipped ticks */
} DqStatKind;

extern void DqStatsCount(DqStatKind kind, int64 n);

/*
 * One finished operation: calls + 1, failures + 1 when it failed, rows,
 * time.  The names are those of relid (kept for rows of other databases
 * and dropped relations); NULL looks them up (needs a transaction).
 */
extern void DqStatsRecord(DqObsOp op, Oid relid, const char *nspname,
						  const char *relname, int64 rows, double ms,
						  bool failed);

extern Size DqStatsShmemSize(void);
extern void DqStatsShmemInit(void);
extern void DqStatsShmemRequest(void);

#endif							/* DQ_STATS_H */
