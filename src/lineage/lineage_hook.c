/*-------------------------------------------------------------------------
 *
 * lineage_hook.c
 *	  Capture of column lineage from data-modifying statements and COPY.
 *
 * Design.  Three hooks, installed only when the library is preloaded:
 *
 *	- post_parse_analyze: decides in a few instructions whether a statement
 *	  can move data (DqLineageWorthWalking); if so, and its key is not in
 *	  the backend-local statement cache, walks the analysed tree once and
 *	  keeps the edges in the cache.
 *	- ExecutorEnd: when the statement's key is in the cache, counts one
 *	  execution and, the first time in a transaction that will be kept,
 *	  writes the edges in the statement's own transaction (INSERT ... ON
 *	  CONFLICT DO NOTHING, lineage_store.c).  A rollback removes them; the
 *	  cache entry then goes back to "not written" (transaction and
 *	  subtransaction callbacks).
 *	- ProcessUtility: a COPY that succeeded is a run between a relation (or
 *	  a query) and a file, a program or the client (lineage_copy.c); it is
 *	  cached, written and counted like a statement.
 *
 * The cache key is the core query ID when one is computed
 * (compute_query_id = on, or auto with pg_stat_statements loaded); with
 * compute_query_id = auto or off the statement is walked at each parse and
 * identified by a hash of its edges, which the hook stores as the query's
 * ID so that the executor finds it.  Either way it is written once.  A
 * statement of a PL/pgSQL trigger function is keyed by its ID and the
 * triggering relation (lineage_trigger.c): the same function on two tables
 * has two sets of edges.
 *
 * Statements run from PL/pgSQL are analysed once, when their plan is
 * built, and counted at every execution.  Executions are counted per
 * subtransaction: a rolled-back savepoint (or a PL/pgSQL exception block)
 * takes its executions with it; a released one hands them to its parent.
 * A statement seen again writes nothing: its executions are added, at
 * commit, to a shared hash table keyed by (database, key) under one
 * LWLock of its own tranche ("dq_lineage_counters"), taken once per
 * committing transaction that ran captured statements (the
 * pg_stat_statements pattern).  dq.lineage_flush() (DqLineageFlush, also
 * called by the scheduler) folds the counters of its database into
 * dq.lineage_edges and dq.lineage_copies (occurrences, last_seen); the
 * views add the counters still pending, so readers see the same numbers
 * before and after a flush.
 *
 * What survives what: edges are ordinary table rows (WAL-logged, written
 * at the statement's commit).  The pending counters live only in shared
 * memory: a crash or restart loses the occurrences counted since the last
 * flush, never an edge.  The shared table holds dq_lineage.lineage_counters
 * statements (cluster-wide) between two flushes; when it is full, further
 * executions are not counted: the first loss after a flush is logged, and
 * dq.lineage_counter_status shows the losses.
 *
 * The statement cache remembers which edges this session wrote.  It is
 * marked stale when dq.lineage_edges is dropped (DROP EXTENSION), truncated
 * or has rows deleted other than by the extension itself (a trigger on the
 * table sends a relcache invalidation at commit): every statement then
 * writes its edges again on its next execution.
 *
 * Statements the extension runs itself (dq_lineage_internal), parallel
 * workers, read-only transactions, hot standbys and targets in the
 * extension's own schema are ignored.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "parser/analyze.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "base/catalog.h"
#include "base/citus.h"
#include "base/compat.h"
#include "base/guc.h"
#include "base/spi_util.h"
#include "base/trust.h"
#include "lineage/lineage.h"

PG_FUNCTION_INFO_V1(dq_lineage_flush);
PG_FUNCTION_INFO_V1(dq_lineage_pending);
PG_FUNCTION_INFO_V1(dq_lineage_counter_status);
PG_FUNCTION_INFO_V1(dq_lineage_edges_changed);

/* The shared counters' lock tranche: the lineage store's own. */
#define DQ_LIN_TRANCHE "dq_lineage_counters"

/* Shared counters: executions of captured statements not yet flushed. */
typedef struct DqLinCounterKey
{
	Oid			dbid;
	uint64		queryid;
} DqLinCounterKey;

typedef struct DqLinCounter
{
	DqLinCounterKey key;
	int64		calls;
	TimestampTz last_seen;
} DqLinCounter;

typedef struct DqLinShared
{
	LWLock	   *lock;			/* guards everything below and the hash */
	int			max_entries;	/* dq_lineage.lineage_counters at start */
	int64		lost;			/* executions not counted: the table was full */
	int64		overflows;		/* commits that found the table full */
	TimestampTz last_overflow;
	bool		overflow_logged;	/* logged since the last flush */
} DqLinShared;

static DqLinShared *lin_shared = NULL;
static HTAB *lin_counters = NULL;

/* Backend-local statement cache. */
#define DQ_LIN_CACHE_MAX 5000

typedef enum DqLinState
{
	DQ_LIN_NOT_WRITTEN,
	DQ_LIN_WRITTEN_IN_XACT,		/* written by the current transaction */
	DQ_LIN_STORED				/* written by a committed transaction */
} DqLinState;

/* Executions counted in one (sub)transaction. */
typedef struct DqLinCount
{
	SubTransactionId subid;
	int64		calls;
} DqLinCount;

typedef struct DqLinCacheEntry
{
	uint64		queryid;
	DqLinState	state;
	SubTransactionId subid;		/* subtransaction that wrote the edges */
	bool		touched;		/* in the current transaction's list */
	int			ncounts;		/* stack of per-subtransaction counts */
	int			maxcounts;
	DqLinCount *counts;
	DqLinEdgeSet edges;
	DqLinCopy  *copy;			/* a COPY run, or NULL for a statement */
} DqLinCacheEntry;

static HTAB *lin_cache = NULL;
static MemoryContext lin_cache_cxt = NULL;

/* Entries of PL/pgSQL trigger functions: ExecutorEnd must add the relation */
static int	lin_trigger_entries = 0;

/* dq.lineage_edges (known once this session wrote), and its invalidation */
static Oid	lin_edges_relid = InvalidOid;
static bool lin_cache_stale = false;

/*
 * Entries the current transaction executed, so that commit and abort visit
 * only those; past DQ_LIN_TOUCHED_MAX they visit the whole cache.
 */
#define DQ_LIN_TOUCHED_MAX 32
static DqLinCacheEntry *lin_touched[DQ_LIN_TOUCHED_MAX];
static int	lin_ntouched = 0;
static bool lin_touched_overflow = false;
static bool lin_xact_active = false;	/* the current xact touched the cache */

/* The COPY being run, whose query (COPY (query) TO) is about to be parsed */
static DqLinCopy *lin_copy_pending = NULL;

/* Statements the extension runs itself are not captured. */
bool		dq_lineage_internal = false;

static post_parse_analyze_hook_type prev_post_parse_analyze_hook = NULL;
static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
#if DQ_HAS_SHMEM_REQUEST_HOOK
static shmem_request_hook_type prev_shmem_request_hook = NULL;
#endif

static Size
DqLinShmemSize(void)
{
	return add_size(MAXALIGN(sizeof(DqLinShared)),
					hash_estimate_size(dq_lineage_counters,
									   sizeof(DqLinCounter)));
}

static void
DqLinRequestShmem(void)
{
	RequestAddinShmemSpace(DqLinShmemSize());
	RequestNamedLWLockTranche(DQ_LIN_TRANCHE, 1);
}

#if DQ_HAS_SHMEM_REQUEST_HOOK
static void
DqLinShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	DqLinRequestShmem();
}
#endif

/* Create or attach to the shared counters. */
static void
DqLinShmemStartup(void)
{
	bool		found;
	HASHCTL		info;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	lin_shared = NULL;
	lin_counters = NULL;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	lin_shared = ShmemInitStruct("dq_lineage counters", sizeof(DqLinShared),
								 &found);
	if (!found)
	{
		memset(lin_shared, 0, sizeof(DqLinShared));
		lin_shared->lock = &(GetNamedLWLockTranche(DQ_LIN_TRANCHE))->lock;
		lin_shared->max_entries = dq_lineage_counters;
	}
	info.keysize = sizeof(DqLinCounterKey);
	info.entrysize = sizeof(DqLinCounter);
	lin_counters = ShmemInitHash("dq_lineage counter hash",
								 dq_lineage_counters, dq_lineage_counters,
								 &info, HASH_ELEM | HASH_BLOBS);
	LWLockRelease(AddinShmemInitLock);
}

/* The statement cache, created on first use. */
static void
DqLinCacheCreate(void)
{
	HASHCTL		info;

	lin_cache_cxt = AllocSetContextCreate(TopMemoryContext,
										  "dq_lineage statement cache",
										  ALLOCSET_DEFAULT_SIZES);
	info.keysize = sizeof(uint64);
	info.entrysize = sizeof(DqLinCacheEntry);
	info.hcxt = lin_cache_cxt;
	lin_cache = hash_create("dq_lineage statement cache", 256, &info,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	lin_trigger_entries = 0;
}

/*
 * The edges table changed under the cache (dropped, truncated, rows
 * deleted by hand): every statement writes its edges again.  Entries stay,
 * with their counts, so that the transaction's bookkeeping holds.
 */
static void
DqLinCacheRevalidate(void)
{
	HASH_SEQ_STATUS seq;
	DqLinCacheEntry *entry;

	lin_cache_stale = false;
	lin_edges_relid = InvalidOid;
	if (lin_cache == NULL)
		return;
	hash_seq_init(&seq, lin_cache);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		if (entry->edges.n > 0 || entry->copy != NULL)
			entry->state = DQ_LIN_NOT_WRITTEN;
	}
}

/* Set once the relcache callback below is registered (preloaded). */
bool		dq_lin_relcache_registered = false;

/*
 * Relcache invalidation: dq.lineage_edges dropped, truncated, or rows
 * deleted (dq_internal.lineage_edges_changed); InvalidOid means "everything".
 * Only a flag here: the cache is revisited at its next use.
 */
static void
DqLinRelcacheCallback(Datum arg, Oid relid)
{
	if (relid == InvalidOid ||
		(OidIsValid(lin_edges_relid) && relid == lin_edges_relid))
		lin_cache_stale = true;
	/* the list of masking functions (lineage_masking.c) */
	DqLinMaskingRelcache(relid);
}

/* Whether capture applies to this backend and statement at all. */
static inline bool
DqLinCaptureActive(void)
{
	/* Citus's shard fragments: captured where the statement was issued */
	return dq_lineage_capture_dml && !dq_lineage_internal &&
		!IsParallelWorker() && !DqCitusInternalBackend();
}

/* The cache key of a statement of a trigger function: ID and relation. */
static inline uint64
DqLinTriggerKey(uint64 queryid, Oid relid)
{
	uint64		key = hash_combine64(queryid, (uint64) relid + 1);

	return key ? key : 1;
}

/* Add a new entry for key holding edges (or a COPY run). */
static void
DqLinCacheAdd(uint64 key, const DqLinEdgeSet *edges, const DqLinCopy *copy,
			  bool in_trigger)
{
	DqLinCacheEntry *entry;
	MemoryContext old;
	bool		found;
	int			i;

	if (lin_cache == NULL)
		DqLinCacheCreate();
	entry = hash_search(lin_cache, &key, HASH_ENTER, &found);
	if (found)
		return;
	/* a statement without edges is remembered too, so it is not walked again */
	entry->state = (edges->n > 0 || copy) ? DQ_LIN_NOT_WRITTEN : DQ_LIN_STORED;
	entry->subid = InvalidSubTransactionId;
	entry->touched = false;
	entry->ncounts = 0;
	entry->maxcounts = 0;
	entry->counts = NULL;
	entry->copy = NULL;
	old = MemoryContextSwitchTo(lin_cache_cxt);
	entry->edges.n = 0;
	entry->edges.cap = 0;
	entry->edges.items = NULL;
	for (i = 0; i < edges->n; i++)
		DqLinEdgeSetAdd(&entry->edges, &edges->items[i]);
	if (copy)
		entry->copy = DqLineageCopyClone(copy);
	MemoryContextSwitchTo(old);
	if (in_trigger)
		lin_trigger_entries++;
}

/*
 * post_parse_analyze: walk a data-moving statement once per key; note the
 * query of a COPY (query) TO being run.
 */
static void
DqLinPostParseAnalyze(DQ_POST_PARSE_ANALYZE_PARAMS)
{
	DqLinEdgeSet edges = {0, 0, NULL};
	DqLinTrigger trigger;
	bool		in_trigger = false;
	uint64		key;
	int			i;
	Oid			last_target = InvalidOid;
	bool		last_ours = false;

	if (prev_post_parse_analyze_hook)
		prev_post_parse_analyze_hook(DQ_POST_PARSE_ANALYZE_ARGS);

	if (query->commandType == CMD_UTILITY)
	{
		if (!dq_lineage_internal)
			DqLineageRememberCtas(query);
		return;
	}
	if (lin_copy_pending)
	{
		DqLinCopy  *copy = lin_copy_pending;

		/*
		 * The first query parsed while a COPY runs is the COPY's own: a
		 * SELECT gives the file's columns; COPY (INSERT ... RETURNING) TO
		 * is captured as the statement it runs, and the run is not.
		 */
		lin_copy_pending = NULL;
		if (query->commandType == CMD_SELECT)
		{
			if (DqLinCaptureActive())
				DqLineageCopyQuery(copy, query);
			return;
		}
	}
	if (!DqLinCaptureActive())
		return;
	if (query->commandType != CMD_SELECT && query->commandType != CMD_DELETE)
		in_trigger = DqLineageCurrentTrigger(&trigger);
	if (!DqLineageWorthWalking(query, in_trigger))
		return;
	if (lin_cache_stale)
		DqLinCacheRevalidate();
	key = query->queryId;
	if (key != 0 && in_trigger)
		key = DqLinTriggerKey(key, trigger.relid);
	if (lin_cache && key != 0 &&
		hash_search(lin_cache, &key, HASH_FIND, NULL) != NULL)
		return;

	DqLineageFromStatement(query, in_trigger ? &trigger : NULL, &edges);
	if (edges.n == 0 && query->queryId == 0)
		return;
	if (query->queryId == 0)
	{
		/* no core query ID: identify the statement by its edges */
		query->queryId = hash_bytes_extended((const unsigned char *) edges.items,
											 sizeof(DqLinEdge) * edges.n, 0);
		if (query->queryId == 0)
			query->queryId = 1;
		key = in_trigger ? DqLinTriggerKey(query->queryId, trigger.relid) :
			query->queryId;
		/* seen before (walked again for want of a core query ID) */
		if (lin_cache && hash_search(lin_cache, &key, HASH_FIND, NULL) != NULL)
			return;
	}
	/* leave out edges into the extension's own tables (its bookkeeping) */
	for (i = 0; i < edges.n;)
	{
		Oid			target = edges.items[i].target_relid;

		if (target != last_target)
		{
			last_target = target;
			last_ours = DqLineageTargetIsOurs(target);
		}
		if (last_ours)
			edges.items[i] = edges.items[--edges.n];
		else
			i++;
	}
	DqLinCacheAdd(key, &edges, NULL, in_trigger);
}

static void
DqLinStoreEntry(void *arg)
{
	DqLinCacheEntry *entry = (DqLinCacheEntry *) arg;

	if (entry->copy)
		DqLineageStoreCopy(entry->copy, (int64) entry->queryid);
	else
		DqLineageStore(&entry->edges, (int64) entry->queryid, false);
}

/* Write a cached statement's edges in the current transaction. */
static void
DqLinWriteEdges(DqLinCacheEntry *entry)
{
	Oid			nsp;

	if (XactReadOnly || RecoveryInProgress() ||
		!OidIsValid(get_extension_oid("dq_lineage", true)))
		return;
	if (!DqLineageTry(DqLinStoreEntry, entry, entry->copy ? "a COPY" :
					  "a statement"))
	{
		/* warned once; not tried again in this session */
		entry->state = DQ_LIN_STORED;
		return;
	}
	entry->state = DQ_LIN_WRITTEN_IN_XACT;
	entry->subid = GetCurrentSubTransactionId();
	/* the table whose invalidation makes the cache stale */
	if (!OidIsValid(lin_edges_relid) &&
		OidIsValid(nsp = get_namespace_oid("dq", true)))
		lin_edges_relid = get_relname_relid("lineage_edges", nsp);
}

/*
 * Count one execution of a cached statement in the current subtransaction,
 * writing its edges first when this session has not.
 */
static void
DqLinCountExecution(DqLinCacheEntry *entry)
{
	SubTransactionId subid = GetCurrentSubTransactionId();

	if (entry->state == DQ_LIN_NOT_WRITTEN)
		DqLinWriteEdges(entry);
	if (entry->ncounts > 0 && entry->counts[entry->ncounts - 1].subid == subid)
		entry->counts[entry->ncounts - 1].calls++;
	else
	{
		if (entry->ncounts == entry->maxcounts)
		{
			entry->maxcounts = entry->maxcounts ? entry->maxcounts * 2 : 4;
			entry->counts = entry->counts ?
				repalloc(entry->counts, sizeof(DqLinCount) * entry->maxcounts) :
				MemoryContextAlloc(lin_cache_cxt,
								   sizeof(DqLinCount) * entry->maxcounts);
		}
		entry->counts[entry->ncounts].subid = subid;
		entry->counts[entry->ncounts].calls = 1;
		entry->ncounts++;
	}
	if (!entry->touched)
	{
		entry->touched = true;
		if (lin_ntouched < DQ_LIN_TOUCHED_MAX)
			lin_touched[lin_ntouched++] = entry;
		else
			lin_touched_overflow = true;
	}
	lin_xact_active = true;
}

/*
 * ExecutorEnd: count an execution of a captured statement and write its
 * edges the first time.
 */
static void
DqLinExecutorEnd(QueryDesc *queryDesc)
{
	uint64		queryid = queryDesc->plannedstmt->queryId;

	if (lin_cache && queryid != 0 && DqLinCaptureActive() &&
		(queryDesc->operation != CMD_SELECT ||
		 queryDesc->plannedstmt->hasModifyingCTE) &&
		IsTransactionState())
	{
		DqLinCacheEntry *entry;
		DqLinTrigger trigger;

		if (lin_cache_stale)
			DqLinCacheRevalidate();
		if (lin_trigger_entries > 0 && DqLineageCurrentTrigger(&trigger))
			queryid = DqLinTriggerKey(queryid, trigger.relid);
		entry = hash_search(lin_cache, &queryid, HASH_FIND, NULL);
		if (entry && entry->edges.n > 0)
			DqLinCountExecution(entry);
	}
	if (prev_ExecutorEnd)
		prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
}

/*
 * ProcessUtility: a COPY that succeeds is recorded as a run (its query, for
 * COPY (query) TO, is walked when COPY parses it).
 */
static void
DqLinProcessUtility(DQ_PROCESS_UTILITY_PARAMS)
{
	DqLinCopy  *copy = NULL;
	DqLinCopy  *save = lin_copy_pending;

	if (IsA(pstmt->utilityStmt, CopyStmt) && DqLinCaptureActive() &&
		!XactReadOnly)
		copy = DqLineageCopyBegin((CopyStmt *) pstmt->utilityStmt);
	lin_copy_pending = (copy && copy->wants_query) ? copy : NULL;
	PG_TRY();
	{
		DqNextProcessUtility(prev_ProcessUtility, DQ_PROCESS_UTILITY_ARGS);
	}
	PG_FINALLY();
	{
		lin_copy_pending = save;
	}
	PG_END_TRY();

	if (copy && DqLineageCopyReady(copy) && IsTransactionState())
	{
		DqLinCacheEntry *entry;
		uint64		key = DqLineageCopyKey(copy);

		if (lin_cache_stale)
			DqLinCacheRevalidate();
		if (lin_cache == NULL ||
			hash_search(lin_cache, &key, HASH_FIND, NULL) == NULL)
		{
			DqLinEdgeSet none = {0, 0, NULL};

			DqLinCacheAdd(key, &none, copy, false);
		}
		entry = hash_search(lin_cache, &key, HASH_FIND, NULL);
		if (entry)
			DqLinCountExecution(entry);
	}
}

/*
 * The entries the current transaction executed: the touched list, or the
 * whole cache once it overflowed.  Call with *i = 0 first; NULL at the end.
 */
static DqLinCacheEntry *
DqLinNextTouched(int *i, HASH_SEQ_STATUS *seq)
{
	if (!lin_touched_overflow)
		return *i < lin_ntouched ? lin_touched[(*i)++] : NULL;
	if ((*i)++ == 0)
		hash_seq_init(seq, lin_cache);
	return hash_seq_search(seq);
}

/* Executions of an entry in the current transaction. */
static int64
DqLinXactCalls(DqLinCacheEntry *entry)
{
	int64		calls = 0;
	int			i;

	for (i = 0; i < entry->ncounts; i++)
		calls += entry->counts[i].calls;
	return calls;
}

/* Add this transaction's executions to the shared counters. */
static void
DqLinPublishCounts(void)
{
	HASH_SEQ_STATUS seq;
	DqLinCacheEntry *entry;
	TimestampTz now = GetCurrentTransactionStopTimestamp();
	int			i = 0;
	int64		lost = 0;
	bool		log_it = false;

	if (lin_shared == NULL)
		return;
	LWLockAcquire(lin_shared->lock, LW_EXCLUSIVE);
	while ((entry = DqLinNextTouched(&i, &seq)) != NULL)
	{
		DqLinCounterKey key;
		DqLinCounter *counter;
		bool		found;
		int64		calls = DqLinXactCalls(entry);

		if (calls == 0)
			continue;
		memset(&key, 0, sizeof(key));
		key.dbid = MyDatabaseId;
		key.queryid = entry->queryid;
		/* a shared hash table would grow into spare shared memory: cap it */
		counter = hash_search(lin_counters, &key, HASH_FIND, &found);
		if (counter == NULL &&
			hash_get_num_entries(lin_counters) < lin_shared->max_entries)
			counter = hash_search(lin_counters, &key, HASH_ENTER_NULL, &found);
		if (counter == NULL)
			lost += calls;
		else
		{
			if (!found)
				counter->calls = 0;
			counter->calls += calls;
			counter->last_seen = now;
		}
	}
	if (lost > 0)
	{
		lin_shared->lost += lost;
		lin_shared->overflows++;
		lin_shared->last_overflow = now;
		log_it = !lin_shared->overflow_logged;
		lin_shared->overflow_logged = true;
	}
	LWLockRelease(lin_shared->lock);
	if (log_it)
		ereport(LOG,
				(errmsg("dq_lineage: lineage counter table is full (%d statements); executions are not counted until the next flush",
						dq_lineage_counters),
				 errdetail("This commit lost " INT64_FORMAT " executions; dq.lineage_counter_status counts every loss.",
						   lost),
				 errhint("Run dq.lineage_flush() more often, or raise dq_lineage.lineage_counters and restart the server.")));
}

/*
 * End of transaction: edges written by a committed transaction are stored
 * for good; after an abort they must be written again.
 */
static void
DqLinXactCallback(XactEvent event, void *arg)
{
	HASH_SEQ_STATUS seq;
	DqLinCacheEntry *entry;
	bool		commit;
	int			i = 0;

	if (event == XACT_EVENT_ABORT)
	{
		dq_lineage_internal = false;
		lin_copy_pending = NULL;
	}
	if (!lin_xact_active || lin_cache == NULL)
		return;
	if (event == XACT_EVENT_COMMIT)
		commit = true;
	else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE)
		commit = false;
	else
		return;
	/* a prepared transaction's executions count; its edges may not stay */
	if (event != XACT_EVENT_ABORT)
		DqLinPublishCounts();
	while ((entry = DqLinNextTouched(&i, &seq)) != NULL)
	{
		if (entry->state == DQ_LIN_WRITTEN_IN_XACT)
			entry->state = commit ? DQ_LIN_STORED : DQ_LIN_NOT_WRITTEN;
		entry->ncounts = 0;
		entry->touched = false;
	}
	lin_xact_active = false;
	lin_ntouched = 0;
	lin_touched_overflow = false;
	/* keep the cache bounded: start afresh once it is full */
	if (hash_get_num_entries(lin_cache) > DQ_LIN_CACHE_MAX)
	{
		hash_destroy(lin_cache);
		MemoryContextDelete(lin_cache_cxt);
		lin_cache = NULL;
		lin_cache_cxt = NULL;
		lin_trigger_entries = 0;
	}
}

/*
 * A rolled-back subtransaction took the edges it wrote and the executions
 * it counted with it; a committed one hands its executions to its parent.
 */
static void
DqLinSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	HASH_SEQ_STATUS seq;
	DqLinCacheEntry *entry;
	int			i = 0;

	if ((event != SUBXACT_EVENT_ABORT_SUB &&
		 event != SUBXACT_EVENT_COMMIT_SUB) || !lin_xact_active ||
		lin_cache == NULL)
		return;
	while ((entry = DqLinNextTouched(&i, &seq)) != NULL)
	{
		int64		calls = 0;

		while (entry->ncounts > 0 &&
			   entry->counts[entry->ncounts - 1].subid >= mySubid)
			calls += entry->counts[--entry->ncounts].calls;
		if (event == SUBXACT_EVENT_ABORT_SUB)
		{
			if (entry->state == DQ_LIN_WRITTEN_IN_XACT &&
				entry->subid >= mySubid)
				entry->state = DQ_LIN_NOT_WRITTEN;
			continue;
		}
		if (calls == 0)
			continue;
		if (entry->ncounts > 0 &&
			entry->counts[entry->ncounts - 1].subid == parentSubid)
			entry->counts[entry->ncounts - 1].calls += calls;
		else
		{
			/* a frame was popped above: there is room */
			entry->counts[entry->ncounts].subid = parentSubid;
			entry->counts[entry->ncounts].calls = calls;
			entry->ncounts++;
		}
	}
}

/*
 * Install the capture hooks.  Only when preloaded: without it there is no
 * shared memory and capture is off (DDL capture by event triggers works
 * either way).
 */
void
DqLineageInit(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;

	/*
	 * No EnableQueryId(): jumbling every statement would cost every
	 * statement (about 3% of a primary-key SELECT in instructions).  Without
	 * core query IDs a captured statement is identified by its edges.
	 */
#if DQ_HAS_SHMEM_REQUEST_HOOK
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = DqLinShmemRequest;
#else
	DqLinRequestShmem();
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = DqLinShmemStartup;
	prev_post_parse_analyze_hook = post_parse_analyze_hook;
	post_parse_analyze_hook = DqLinPostParseAnalyze;
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = DqLinExecutorEnd;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = DqLinProcessUtility;
	RegisterXactCallback(DqLinXactCallback, NULL);
	RegisterSubXactCallback(DqLinSubXactCallback, NULL);
	CacheRegisterRelcacheCallback(DqLinRelcacheCallback, (Datum) 0);
	dq_lin_relcache_registered = true;
	DqLineageStoreInit();
	DqLineageTriggerInit();
}

/*
 * ERROR unless the function was called as a trigger; fname is its SQL
 * name, hint says which trigger calls it.
 */
void
DqLinRequireTrigger(FunctionCallInfo fcinfo, const char *fname,
					const char *hint)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by the trigger manager",
						fname),
				 errhint("%s", hint)));
}

/*
 * dq_internal.lineage_edges_changed(): statement trigger on dq.lineage_edges (DELETE,
 * TRUNCATE).  Rows deleted other than by the extension itself make every
 * session's statement cache stale: a relcache invalidation of the table,
 * sent to every backend when the deleting transaction commits.
 */
Datum
dq_lineage_edges_changed(PG_FUNCTION_ARGS)
{
	DqLinRequireTrigger(fcinfo, "dq_internal.lineage_edges_changed",
						"It is called by the trigger lineage_edges_changed of dq.lineage_edges.");
	if (!dq_lineage_internal)
		CacheInvalidateRelcache(((TriggerData *) fcinfo->context)->tg_relation);
	return PointerGetDatum(NULL);
}

typedef struct DqLinBatch
{
	DqLinCounter *items;
	int			n;
} DqLinBatch;

/* Add a batch of counters to dq.lineage_edges and dq.lineage_copies. */
static void
DqLinFlushBatch(void *arg)
{
	DqLinBatch *batch = (DqLinBatch *) arg;
	DqOwnerContext owner;
	Oid			types[3] = {INT8OID, INT8OID, TIMESTAMPTZOID};
	int			i;

	DqBecomeExtensionOwner(&owner);
	DqSpiConnect();
	for (i = 0; i < batch->n; i++)
	{
		Datum		values[3];

		values[0] = Int64GetDatum((int64) batch->items[i].key.queryid);
		values[1] = Int64GetDatum(batch->items[i].calls);
		values[2] = TimestampTzGetDatum(batch->items[i].last_seen);
		DqSpiRunArgs("WITH e AS (UPDATE dq.lineage_edges"
					 " SET occurrences = occurrences + $2,"
					 " last_seen = GREATEST(last_seen, $3)"
					 " WHERE query_id = $1"
					 " AND origin IN ('insert', 'update', 'merge'))"
					 " UPDATE dq.lineage_copies"
					 " SET occurrences = occurrences + $2,"
					 " last_seen = GREATEST(last_seen, $3)"
					 " WHERE query_id = $1",
					 3, types, values, NULL, false, SPI_OK_UPDATE, "update lineage counters");
	}
	SPI_finish();
	DqRestoreUser(&owner);
}

/*
 * Fold the pending counters of the current database into
 * dq.lineage_edges.  Callable inside any transaction; counters taken out
 * of shared memory are subtracted only after the update succeeded.
 */
void
DqLineageFlush(void)
{
	HASH_SEQ_STATUS seq;
	DqLinCounter *counter;
	DqLinCounter *batch = NULL;
	int			n = 0;
	int			cap = 0;
	int			i;
	DqLinBatch	arg;

	if (lin_shared == NULL)
		return;
	LWLockAcquire(lin_shared->lock, LW_SHARED);
	hash_seq_init(&seq, lin_counters);
	while ((counter = hash_seq_search(&seq)) != NULL)
	{
		if (counter->key.dbid != MyDatabaseId)
			continue;
		if (n == cap)
		{
			cap = cap ? cap * 2 : 64;
			batch = batch ? repalloc(batch, sizeof(DqLinCounter) * cap) :
				palloc(sizeof(DqLinCounter) * cap);
		}
		batch[n++] = *counter;
	}
	LWLockRelease(lin_shared->lock);
	if (n == 0)
		return;

	arg.items = batch;
	arg.n = n;
	dq_lineage_internal = true;		/* reset at abort */
	DqLinFlushBatch(&arg);
	dq_lineage_internal = false;

	LWLockAcquire(lin_shared->lock, LW_EXCLUSIVE);
	for (i = 0; i < n; i++)
	{
		counter = hash_search(lin_counters, &batch[i].key, HASH_FIND, NULL);
		if (counter == NULL)
			continue;
		counter->calls -= batch[i].calls;
		if (counter->calls <= 0)
			hash_search(lin_counters, &batch[i].key, HASH_REMOVE, NULL);
	}
	/* room again: the next loss is logged again */
	lin_shared->overflow_logged = false;
	LWLockRelease(lin_shared->lock);
}

/*
 * dq.lineage_flush(): fold pending occurrence counters into the table.
 */
Datum
dq_lineage_flush(PG_FUNCTION_ARGS)
{
	DqLineageFlush();
	PG_RETURN_VOID();
}

/*
 * dq.lineage_pending(): counters of the current database not yet flushed
 * (query_id, calls, last_seen).  Empty when the library is not preloaded.
 */
Datum
dq_lineage_pending(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS seq;
	DqLinCounter *counter;

	InitMaterializedSRF(fcinfo, 0);
	if (lin_shared == NULL)
		return (Datum) 0;
	LWLockAcquire(lin_shared->lock, LW_SHARED);
	hash_seq_init(&seq, lin_counters);
	while ((counter = hash_seq_search(&seq)) != NULL)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		if (counter->key.dbid != MyDatabaseId)
			continue;
		values[0] = Int64GetDatum((int64) counter->key.queryid);
		values[1] = Int64GetDatum(counter->calls);
		values[2] = TimestampTzGetDatum(counter->last_seen);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	LWLockRelease(lin_shared->lock);
	return (Datum) 0;
}

/*
 * dq.lineage_counter_status(): the shared counter table of the cluster:
 * its size (dq_lineage.lineage_counters), entries in use, executions lost
 * because it was full, how many commits lost some, and the last time.
 * No row when the library is not preloaded.
 */
Datum
dq_lineage_counter_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	InitMaterializedSRF(fcinfo, 0);
	if (lin_shared == NULL)
		return (Datum) 0;
	LWLockAcquire(lin_shared->lock, LW_SHARED);
	values[0] = Int32GetDatum(lin_shared->max_entries);
	values[1] = Int64GetDatum(hash_get_num_entries(lin_counters));
	values[2] = Int64GetDatum(lin_shared->lost);
	values[3] = Int64GetDatum(lin_shared->overflows);
	values[4] = TimestampTzGetDatum(lin_shared->last_overflow);
	nulls[4] = lin_shared->overflows == 0;
	LWLockRelease(lin_shared->lock);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}
