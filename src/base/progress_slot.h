/*-------------------------------------------------------------------------
 *
 * progress_slot.h
 *	  The shared-memory slot of a running operation, and what the scan
 *	  instrumentation (progress_scan.c) and the operations (progress.c)
 *	  ask of each other.  Internal to base/progress*.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_PROGRESS_SLOT_H
#define DQ_PROGRESS_SLOT_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "port/atomics.h"

/* slots per backend: operations nested deeper are not shown */
#define DQ_PROGRESS_DEPTH 4

/*
 * One running operation.  The owning backend writes the plain fields,
 * incrementing changecount before and after (odd while it writes), the
 * way PgBackendStatus is written; readers copy the slot and retry until
 * they saw the same even count before and after.  The counters of the
 * scan are atomics, since the parallel workers of the scan add to them.
 */
typedef struct DqProgressSlot
{
	int			changecount;
	int			pid;			/* 0: free */
	Oid			dbid;
	Oid			userid;
	Oid			relid;
	int32		op;				/* DqObsOp */
	int32		phase;			/* DqProgressPhaseKind */
	TimestampTz started;
	TimestampTz scan_started;	/* 0: no scan yet */
	int64		blocks_total;	/* -1: unknown (views, samples, ...) */
	double		rows_expected;	/* -1: unknown */
	NameData	nspname;
	NameData	relname;
	NameData	job_name;		/* empty: not run by a job */

	pg_atomic_uint32 scan_id;	/* nonzero while the scan may report */
	pg_atomic_uint64 blocks_done;
	pg_atomic_uint64 rows_done;
} DqProgressSlot;

/* true while an operation of this backend waits for its scan to start */
extern bool dq_progress_scan_armed;

/* Leader: the armed operation's relation and slot, without consuming it. */
extern DqProgressSlot *DqProgressArmedSlot(Oid *relid, uint32 *scan_id);
extern void DqProgressConsumeArm(void);

/* Leader: what the scan's plan allows to measure. */
extern void DqProgressScanShape(DqProgressSlot *slot, uint32 scan_id,
								bool has_blocks, bool sampled);

/* Leader: every batch of rows, and at the end of its part of the scan. */
extern void DqProgressLeaderTick(DqProgressSlot *slot, uint32 scan_id,
								 bool ended);

/* Parallel worker: the leader's slot whose scan is running, if any. */
extern DqProgressSlot *DqProgressLeaderSlot(Oid *relid, uint32 *scan_id);

/* progress_scan.c */
extern void DqProgressScanInit(void);

#endif							/* DQ_PROGRESS_SLOT_H */
