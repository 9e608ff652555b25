/*-------------------------------------------------------------------------
 *
 * progress_scan.c
 *	  Blocks and rows of a running scan, taken from the scan itself, for
 *	  dq.progress.
 *
 * An operation that enters its scanning phase arms its slot
 * (progress.c).  The next query its backend starts whose range table
 * names the operation's relation is the scan: an ExecutorStart hook finds
 * in its plan
 *
 *	 - the row node: the node whose rows the aggregates consume (the child
 *	   of the lowest Agg that is not a Gather), or the plan's top node when
 *	   there is no aggregate (dq.check reads through a cursor);
 *	 - the sequential scans of heap tables of the relation (itself, or its
 *	   partitions and inheritance children).
 *
 * The row node's ExecProcNodeReal is replaced by a function that calls
 * the real one and counts the rows it returns; every DQ_ROWS_PER_TICK
 * rows, and when the node is exhausted, it adds them to the slot and reads
 * the blocks done from the scans' descriptors: the current block of a
 * serial scan, or for a parallel scan the number of blocks handed out to
 * all processes so far (phs_nallocated, in the scan's shared state).  The
 * per-row cost is a call, a compare and a decrement (about 15
 * instructions; see "Progress" in docs/benchmarks.md).
 *
 * The parallel workers of the scan do the same in their copy of the plan,
 * adding to the leader's slot (found through ParallelLeaderBackendId); the
 * slot's scan_id tells them whether the scan they joined is still the one
 * the slot reports.  The wrapping lives as long as the query's executor
 * state: a reset callback on its memory context forgets it, on success
 * and on error alike, before the nodes' memory can be reused.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/relscan.h"
#include "access/parallel.h"
#include "catalog/pg_am.h"
#include "catalog/pg_inherits.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "storage/backendid.h"
#include "storage/proc.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "base/progress_slot.h"

/* rows between two reports to the slot */
#define DQ_ROWS_PER_TICK 1024
/* scans of one process watched at the same time */
#define DQ_MAX_WATCHES 4

typedef struct DqScanWatch
{
	PlanState  *node;			/* the row node */
	ExecProcNodeMtd real;		/* its own ExecProcNodeReal */
	DqProgressSlot *slot;
	uint32		scan_id;
	bool		leader;
	int64		pending;		/* rows not yet added to the slot */
	List	   *scans;			/* SeqScanState * of heap tables */
	MemoryContextCallback forget;
} DqScanWatch;

static DqScanWatch *dq_watches[DQ_MAX_WATCHES];

/*
 * The watch whose row node ran last.  The per-row path only compares the
 * node with dq_hot_node and counts the row down in dq_hot_countdown: the
 * hot watch has counted w->pending + (DQ_ROWS_PER_TICK - dq_hot_countdown)
 * rows not yet added to its slot.
 */
static PlanState *dq_hot_node = NULL;
static ExecProcNodeMtd dq_hot_real = NULL;
static DqScanWatch *dq_hot = NULL;
static int	dq_hot_countdown = 0;
static ExecutorStart_hook_type prev_ExecutorStart = NULL;

/* Raise *a to v unless it is higher already. */
static void
DqAtomicMax(pg_atomic_uint64 *a, uint64 v)
{
	uint64		cur = pg_atomic_read_u64(a);

	while (v > cur && !pg_atomic_compare_exchange_u64(a, &cur, v))
		;
}

/* Blocks the watched scans have done (or handed out, when parallel). */
static uint64
DqScanBlocksDone(DqScanWatch *w)
{
	uint64		sum = 0;
	ListCell   *lc;

	foreach(lc, w->scans)
	{
		ScanState  *ss = lfirst(lc);
		TableScanDesc desc = ss->ss_currentScanDesc;
		HeapScanDesc h;

		if (desc == NULL)
			continue;			/* not started */
		if (desc->rs_parallel != NULL)
		{
			ParallelBlockTableScanDesc p = (ParallelBlockTableScanDesc) desc->rs_parallel;
			uint64		n = pg_atomic_read_u64(&p->phs_nallocated);

			sum += Min(n, (uint64) p->phs_nblocks);
			continue;
		}
		h = (HeapScanDesc) desc;
		if (h->rs_nblocks == 0)
			continue;
		if (!h->rs_inited)
			sum += h->rs_nblocks;	/* started, then ran to its end */
		else if (h->rs_cblock != InvalidBlockNumber)
			sum += (h->rs_cblock + h->rs_nblocks - h->rs_startblock) % h->rs_nblocks;
	}
	return sum;
}

/* Add the pending rows and the blocks done to the slot. */
static void
DqScanTick(DqScanWatch *w, bool ended)
{
	DqProgressSlot *slot = w->slot;

	if (pg_atomic_read_u32(&slot->scan_id) != w->scan_id)
	{
		w->pending = 0;			/* the operation has moved on */
		return;
	}
	if (w->pending > 0)
	{
		pg_atomic_fetch_add_u64(&slot->rows_done, (uint64) w->pending);
		w->pending = 0;
	}
	if (w->scans != NIL)
		DqAtomicMax(&slot->blocks_done, DqScanBlocksDone(w));
	if (w->leader)
		DqProgressLeaderTick(slot, w->scan_id, ended);
}

/* The watch of a wrapped node (never fails: the node is watched). */
static DqScanWatch *
DqWatchOf(const PlanState *node)
{
	for (int i = 0; i < DQ_MAX_WATCHES; i++)
		if (dq_watches[i] != NULL && dq_watches[i]->node == node)
			return dq_watches[i];
	elog(ERROR, "dq_lineage progress: executor node is not watched");
	return NULL;				/* keep the compiler quiet */
}

/* Move the hot watch's counted rows into its pending count. */
static void
DqHotSync(void)
{
	if (dq_hot != NULL)
		dq_hot->pending += DQ_ROWS_PER_TICK - dq_hot_countdown;
	dq_hot_countdown = DQ_ROWS_PER_TICK;
}

/*
 * The row node returned no row: its part of the scan is over.  w is the
 * node's watch, or NULL for the hot one.  Returns result.
 */
static pg_noinline TupleTableSlot *
DqScanEnded(DqScanWatch *w, TupleTableSlot *result)
{
	if (w == NULL)
		w = dq_hot;
	if (w == NULL)
		return result;			/* forgotten meanwhile: rows are flushed */
	if (w == dq_hot)
		DqHotSync();
	w->pending--;				/* the call that found no row */
	DqScanTick(w, true);
	return result;
}

/*
 * The rare path of DqScanExecRow: node is not the hot one (the call is
 * not counted yet), or the countdown ran out (it is).
 */
static pg_noinline TupleTableSlot *
DqScanExecRowSlow(PlanState *node)
{
	DqScanWatch *w = DqWatchOf(node);
	TupleTableSlot *result;

	DqHotSync();
	if (w != dq_hot)
	{
		dq_hot = w;
		dq_hot_node = node;
		dq_hot_real = w->real;
		dq_hot_countdown--;		/* count this call */
	}
	else
		DqScanTick(w, false);
	result = w->real(node);
	if (TupIsNull(result))
		return DqScanEnded(DqWatchOf(node), result);
	return result;
}

/*
 * The row node's ExecProcNodeReal while the scan is watched: one compare,
 * one decrement and the test for the end around the node's own function,
 * with no register to keep across the call.  A node that ends while
 * another watch became hot during its call (an operation run from inside
 * the scan) is not seen to end; its rows are added when it is forgotten.
 */
static TupleTableSlot *
DqScanExecRow(PlanState *node)
{
	TupleTableSlot *result;

	if (unlikely(node != dq_hot_node || --dq_hot_countdown <= 0))
		return DqScanExecRowSlow(node);
	result = dq_hot_real(node);
	if (unlikely(TupIsNull(result)))
		return DqScanEnded(NULL, result);
	return result;
}

/* Memory context callback: the query's executor state is going away. */
static void
DqScanForget(void *arg)
{
	DqScanWatch *w = arg;

	if (w == dq_hot)
	{
		DqHotSync();
		dq_hot = NULL;
		dq_hot_node = NULL;
		dq_hot_real = NULL;
	}
	for (int i = 0; i < DQ_MAX_WATCHES; i++)
		if (dq_watches[i] == w)
			dq_watches[i] = NULL;
	/* rows of an unfinished scan (a cursor closed early) */
	if (w->pending > 0 && pg_atomic_read_u32(&w->slot->scan_id) == w->scan_id)
		pg_atomic_fetch_add_u64(&w->slot->rows_done, (uint64) w->pending);
}

#define DqIsGather(ps) (IsA(ps, GatherState) || IsA(ps, GatherMergeState))

/*
 * The node whose rows the aggregates consume (the child of the lowest
 * Agg on the outer path), or the top node without the Gather above it.
 * In a parallel plan the leader's and each worker's share of the rows
 * pass there, so counting them in every process counts each row once.
 */
static PlanState *
DqFindRowNode(PlanState *top)
{
	PlanState  *found = NULL;

	for (PlanState *ps = top; ps != NULL; ps = outerPlanState(ps))
	{
		if (IsA(ps, AggState) && outerPlanState(ps) != NULL &&
			!DqIsGather(outerPlanState(ps)))
			found = outerPlanState(ps);
	}
	if (found == NULL)
	{
		found = top;
		while (DqIsGather(found) && outerPlanState(found) != NULL)
			found = outerPlanState(found);
	}
	return found;
}

typedef struct DqScanSearch
{
	List	   *rels;			/* OIDs of the relation and its children */
	List	   *scans;
	bool		sampled;
} DqScanSearch;

static bool
DqCollectScans(PlanState *ps, void *arg)
{
	DqScanSearch *s = arg;

	if (ps == NULL)
		return false;
	if (IsA(ps, SeqScanState) || IsA(ps, SampleScanState))
	{
		ScanState  *ss = (ScanState *) ps;
		Relation	rel = ss->ss_currentRelation;

		if (rel != NULL && list_member_oid(s->rels, RelationGetRelid(rel)))
		{
			if (IsA(ps, SampleScanState))
				s->sampled = true;
			else if (rel->rd_rel->relam == HEAP_TABLE_AM_OID)
				s->scans = lappend(s->scans, ss);
		}
	}
	return planstate_tree_walker(ps, DqCollectScans, arg);
}

/* Whether the plan's range table names relid. */
static bool
DqPlanReads(PlannedStmt *stmt, Oid relid)
{
	ListCell   *lc;

	foreach(lc, stmt->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (rte->rtekind == RTE_RELATION && rte->relid == relid)
			return true;
	}
	return false;
}

/* Watch the scan of relid in the plan of qd, reporting to slot. */
static void
DqScanWatchPlan(QueryDesc *qd, DqProgressSlot *slot, uint32 scan_id,
				Oid relid, bool leader)
{
	int			free_pos = -1;
	MemoryContext old;
	DqScanWatch *w;
	DqScanSearch search = {0};

	for (int i = 0; i < DQ_MAX_WATCHES; i++)
		if (dq_watches[i] == NULL)
		{
			free_pos = i;
			break;
		}
	if (free_pos < 0)
		return;

	old = MemoryContextSwitchTo(qd->estate->es_query_cxt);
	w = palloc0(sizeof(DqScanWatch));
	w->node = DqFindRowNode(qd->planstate);
	w->slot = slot;
	w->scan_id = scan_id;
	w->leader = leader;
	search.rels = has_subclass(relid) ?
		find_all_inheritors(relid, NoLock, NULL) : list_make1_oid(relid);
	(void) DqCollectScans(qd->planstate, &search);
	w->scans = search.scans;
	w->forget.func = DqScanForget;
	w->forget.arg = w;
	MemoryContextRegisterResetCallback(qd->estate->es_query_cxt, &w->forget);
	MemoryContextSwitchTo(old);

	w->real = w->node->ExecProcNodeReal;
	w->node->ExecProcNodeReal = DqScanExecRow;
	dq_watches[free_pos] = w;
	if (leader)
		DqProgressScanShape(slot, scan_id, w->scans != NIL, search.sampled);
}

/*
 * ExecutorStart hook: after the standard start, watch the query if it is
 * the armed scan of this backend's operation, or of the leader's when
 * this is one of its parallel workers.
 */
static void
DqProgressExecutorStart(QueryDesc *queryDesc, int eflags)
{
	DqProgressSlot *slot;
	Oid			relid;
	uint32		scan_id;

	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);

	if ((eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0 || queryDesc->planstate == NULL)
		return;
	if (IsParallelWorker())
	{
		slot = DqProgressLeaderSlot(&relid, &scan_id);
		if (slot != NULL && DqPlanReads(queryDesc->plannedstmt, relid))
			DqScanWatchPlan(queryDesc, slot, scan_id, relid, false);
	}
	else if (dq_progress_scan_armed)
	{
		slot = DqProgressArmedSlot(&relid, &scan_id);
		if (slot != NULL && DqPlanReads(queryDesc->plannedstmt, relid))
		{
			DqProgressConsumeArm();
			DqScanWatchPlan(queryDesc, slot, scan_id, relid, true);
		}
	}
}

void
DqProgressScanInit(void)
{
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = DqProgressExecutorStart;
}
