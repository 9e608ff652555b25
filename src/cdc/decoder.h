/*-------------------------------------------------------------------------
 *
 * decoder.h
 *	  The dq_lineage logical decoding output plugin: what its consumer in
 *	  the same process (the CDC worker) may read after decoding.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_DECODER_H
#define DQ_DECODER_H

#include "postgres.h"

#include "access/xlogdefs.h"
#include "datatype/timestamp.h"
#include "replication/logical.h"

/* counters of one decoding session (one batch of the worker) */
typedef struct DqDecoderStats
{
	int64		changes_checked;	/* INSERT/UPDATE/DELETE of watched tables */
	int64		violations;		/* lines written for failed checks */
	int64		conditions;		/* rows handed out for row conditions */
	int64		toast_skipped;	/* checks skipped: unchanged TOAST value */
	int64		truncates;		/* TRUNCATEs of watched tables */
	TimestampTz last_commit_time;	/* of the last transaction with checks */
} DqDecoderStats;

/*
 * What one decoding session saw of one watched relation (the partition
 * for a partitioned table, the distributed table for a Citus shard).
 */
typedef struct DqDecoderActivity
{
	Oid			relid;			/* hash key */
	TimestampTz last_commit_time;	/* of its last decoded change */
	int64		inserted;
	int64		updated;
	int64		deleted;
	int64		truncates;
} DqDecoderActivity;

/* the counters of a decoding context whose plugin is dq_lineage */
extern DqDecoderStats *DqDecoderGetStats(LogicalDecodingContext *ctx);

/*
 * The activity per relation decoded since the last call (a list of
 * DqDecoderActivity in the current memory context); the decoder forgets it.
 */
extern List *DqDecoderTakeActivity(LogicalDecodingContext *ctx);
/* the context is being thrown away without its shutdown callback */
extern void DqDecoderForget(void);

/*
 * Rules the worker found broken: the decoder of this process skips them
 * from the next relation cache rebuild on (a change empties the cache).
 */
extern void DqDecoderSetSkipped(const int64 *ids, int n);

/*
 * The expectation whose rule was being evaluated when an error escaped
 * the decoder, or 0; the worker reads it in its error handler.
 */
extern int64 DqDecoderFailingRule(Oid *relid, XLogRecPtr *lsn);
extern void DqDecoderClearFailingRule(void);

#endif							/* DQ_DECODER_H */
