/*-------------------------------------------------------------------------
 *
 * progress.h
 *	  Progress of the extension's long operations (the view dq.progress,
 *	  the NOTICEs of dq_lineage.progress_notice) and the cleanup of an
 *	  operation that is cancelled, times out or whose session ends.
 *
 * Every long operation brackets itself:
 *
 *	   DqProgressBegin(DQ_OP_PROFILE, relid);	  phase "planning"
 *	   ...
 *	   DqProgressPhase(DQ_PHASE_SCANNING);		  the next query that reads
 *	   SPI_execute(scan ...);					  relid reports blocks and rows
 *	   DqProgressPhase(DQ_PHASE_STORING);
 *	   ...
 *	   DqProgressEnd(rows);						  counted in dq.stats
 *
 * An error between Begin and End needs no handler: the abort of the
 * (sub)transaction that began the operation ends it, counts it as failed
 * in dq.stats and clears its row.  Operations nest (a scheduled job runs a
 * validation); an inner one shows the job name of the outer one.
 *
 * Without shared_preload_libraries every call is a no-op.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DQ_PROGRESS_H
#define DQ_PROGRESS_H

#include "postgres.h"

#include "base/stats.h"

typedef enum DqProgressPhaseKind
{
	DQ_PHASE_PLANNING = 0,		/* checks, compiling, building the query */
	DQ_PHASE_SCANNING,			/* the one scan of the relation */
	DQ_PHASE_MERGING,			/* combining the scan's partial states */
	DQ_PHASE_EVALUATING,		/* further queries (grouped expectations) */
	DQ_PHASE_STORING,			/* writing the results */
	DQ_PHASE_RUNNING,			/* a job's command */
	DQ_PHASE_COUNT
} DqProgressPhaseKind;

/* An operation on relid (InvalidOid: none), ended by the transaction. */
extern void DqProgressBegin(DqObsOp op, Oid relid);
extern void DqProgressPhase(DqProgressPhaseKind phase);

/*
 * End the innermost operation; rows as counted by the caller, or -1 for
 * the rows its scan reported.
 */
extern void DqProgressEnd(int64 rows);

/*
 * A scheduled job's run: spans transactions, ended only by
 * DqProgressEndJob or the end of the session.
 */
extern void DqProgressBeginJob(const char *job_name);
extern void DqProgressEndJob(bool failed);

/* Library setup: hooks and callbacks (preloading), shared memory. */
extern void DqProgressInit(void);
extern void DqProgressShmemRequest(void);
extern void DqProgressShmemInit(void);

#endif							/* DQ_PROGRESS_H */
