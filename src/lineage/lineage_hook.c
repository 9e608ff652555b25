/*-------------------------------------------------------------------------
 *
 * lineage_hook.c
 *	  Capture of column lineage from data-modifying statements.
 *
 * Design.  Two hooks, installed only when the library is preloaded:
 *
 *	- post_parse_analyze: decides in a few instructions whether a statement
 *	  can move data (DqLineageWorthWalking); if so, and its query ID is not
 *	  in the backend-local statement cache, walks the analysed tree once and
 *	  keeps the edges in the cache, keyed by query ID.
 *	- ExecutorEnd: when the statement's query ID is in the cache, counts one
 *	  execution and, the first time in a transaction that will be kept,
 *	  writes the edges in the statement's own transaction (INSERT ... ON
 *	  CONFLICT DO NOTHING, lineage_store.c).  A rollback removes them; the
 *	  cache entry then goes back to "not written" (transaction and
 *	  subtransaction callbacks).
 *
 * The cache key is the core query ID when one is computed
 * (compute_query_id = on, or auto with pg_stat_statements loaded); with
 * compute_query_id = auto or off the statement is walked at each parse and
 * identified by a hash of its edges, which the hook stores as the query's
 * ID so that the executor finds it.  Either way it is written once.
 *
 * Statements run from PL/pgSQL are analysed once, when their plan is
 * built, and counted at every execution.  A statement seen again writes
 * nothing: its executions are added, at commit, to a shared hash table
 * keyed by (database, query ID) under one LWLock, taken once per committing
 * transaction that ran captured statements (the pg_stat_statements
 * pattern).  dq.lineage_flush() (DqLineageFlush, also meant for a
 * periodic background caller) folds the counters of its database into
 * dq.lineage_edges.occurrences and last_seen; dq.column_lineage adds the
 * counters still pending, so readers see the same numbers before and
 * after a flush.
 *
 * What survives what: edges are ordinary table rows (WAL-logged, written
 * at the statement's commit).  The pending counters live only in shared
 * memory: a crash or restart loses the occurrences counted since the last
 * flush, never an edge.  When the shared table is full (4096 statements
 * per cluster between two flushes), further counts are dropped.
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
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "parser/analyze.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "base/catalog.h"
#include "base/citus.h"
#include "base/compat.h"
#include "base/guc.h"
#include "lineage/lineage.h"

PG_FUNCTION_INFO_V1(dq_lineage_flush);
PG_FUNCTION_INFO_V1(dq_lineage_pending);

/* Shared counters: executions of captured statements not yet flushed. */
#define DQ_LIN_SHARED_ENTRIES 4096

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
	LWLock	   *lock;			/* guards the hash table and lost */
	int64		lost;			/* counts dropped because the table was full */
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

typedef struct DqLinCacheEntry
{
	uint64		queryid;
	DqLinState	state;
	SubTransactionId subid;		/* subtransaction that wrote the edges */
	int64		xact_calls;		/* executions in the current transaction */
	DqLinEdgeSet edges;
} DqLinCacheEntry;

static HTAB *lin_cache = NULL;
static MemoryContext lin_cache_cxt = NULL;

/*
 * Entries the current transaction executed, so that commit and abort visit
 * only those; past DQ_LIN_TOUCHED_MAX they visit the whole cache.
 */
#define DQ_LIN_TOUCHED_MAX 32
static DqLinCacheEntry *lin_touched[DQ_LIN_TOUCHED_MAX];
static int	lin_ntouched = 0;
static bool lin_touched_overflow = false;
static bool lin_xact_active = false;	/* the current xact touched the cache */

/* Statements the extension runs itself are not captured. */
bool		dq_lineage_internal = false;

static post_parse_analyze_hook_type prev_post_parse_analyze_hook = NULL;
static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
#if DQ_HAS_SHMEM_REQUEST_HOOK
static shmem_request_hook_type prev_shmem_request_hook = NULL;
#endif

static Size
DqLinShmemSize(void)
{
	return add_size(MAXALIGN(sizeof(DqLinShared)),
					hash_estimate_size(DQ_LIN_SHARED_ENTRIES,
									   sizeof(DqLinCounter)));
}

static void
DqLinRequestShmem(void)
{
	RequestAddinShmemSpace(DqLinShmemSize());
	RequestNamedLWLockTranche("dq_lineage", 1);
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
		lin_shared->lock = &(GetNamedLWLockTranche("dq_lineage"))->lock;
		lin_shared->lost = 0;
	}
	info.keysize = sizeof(DqLinCounterKey);
	info.entrysize = sizeof(DqLinCounter);
	lin_counters = ShmemInitHash("dq_lineage counter hash",
								 DQ_LIN_SHARED_ENTRIES, DQ_LIN_SHARED_ENTRIES,
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
}

/* Whether capture applies to this backend and statement at all. */
static inline bool
DqLinCaptureActive(void)
{
	/* Citus's shard fragments: captured where the statement was issued */
	return dq_lineage_capture_dml && !dq_lineage_internal &&
		!IsParallelWorker() && !DqCitusInternalBackend();
}

/*
 * post_parse_analyze: walk a data-moving statement once per query ID.
 */
static void
DqLinPostParseAnalyze(DQ_POST_PARSE_ANALYZE_PARAMS)
{
	DqLinEdgeSet edges = {0, 0, NULL};
	DqLinCacheEntry *entry;
	MemoryContext old;
	bool		found;
	int			i;

	if (prev_post_parse_analyze_hook)
		prev_post_parse_analyze_hook(DQ_POST_PARSE_ANALYZE_ARGS);

	if (query->commandType == CMD_UTILITY)
	{
		if (!dq_lineage_internal)
			DqLineageRememberCtas(query);
		return;
	}
	if (!DqLinCaptureActive() || !DqLineageWorthWalking(query))
		return;
	if (lin_cache && query->queryId != 0 &&
		hash_search(lin_cache, &query->queryId, HASH_FIND, NULL) != NULL)
		return;

	DqLineageFromStatement(query, &edges);
	/* leave out edges into the extension's own tables (its bookkeeping) */
	for (i = 0; i < edges.n;)
	{
		if (DqLineageTargetIsOurs(edges.items[i].target_relid))
			edges.items[i] = edges.items[--edges.n];
		else
			i++;
	}
	if (edges.n == 0 && query->queryId == 0)
		return;
	if (query->queryId == 0)
	{
		/* no core query ID: identify the statement by its edges */
		query->queryId = hash_bytes_extended((const unsigned char *) edges.items,
											 sizeof(DqLinEdge) * edges.n, 0);
		if (query->queryId == 0)
			query->queryId = 1;
	}

	if (lin_cache == NULL)
		DqLinCacheCreate();
	entry = hash_search(lin_cache, &query->queryId, HASH_ENTER, &found);
	if (found)
		return;
	/* a statement without edges is remembered too, so it is not walked again */
	entry->state = edges.n > 0 ? DQ_LIN_NOT_WRITTEN : DQ_LIN_STORED;
	entry->subid = InvalidSubTransactionId;
	entry->xact_calls = 0;
	old = MemoryContextSwitchTo(lin_cache_cxt);
	entry->edges.n = 0;
	entry->edges.cap = 0;
	entry->edges.items = NULL;
	for (i = 0; i < edges.n; i++)
		DqLinEdgeSetAdd(&entry->edges, &edges.items[i]);
	MemoryContextSwitchTo(old);
}

static void
DqLinStoreEntry(void *arg)
{
	DqLinCacheEntry *entry = (DqLinCacheEntry *) arg;

	DqLineageStore(&entry->edges, (int64) entry->queryid, false);
}

/* Write a cached statement's edges in the current transaction. */
static void
DqLinWriteEdges(DqLinCacheEntry *entry)
{
	if (XactReadOnly || RecoveryInProgress() ||
		!OidIsValid(get_extension_oid("dq_lineage", true)))
		return;
	if (!DqLineageTry(DqLinStoreEntry, entry, "a statement"))
	{
		/* warned once; not tried again in this session */
		entry->state = DQ_LIN_STORED;
		return;
	}
	entry->state = DQ_LIN_WRITTEN_IN_XACT;
	entry->subid = GetCurrentSubTransactionId();
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
		DqLinCacheEntry *entry = hash_search(lin_cache, &queryid, HASH_FIND,
											 NULL);

		if (entry && entry->edges.n > 0)
		{
			if (entry->state == DQ_LIN_NOT_WRITTEN)
				DqLinWriteEdges(entry);
			if (entry->xact_calls++ == 0)
			{
				if (lin_ntouched < DQ_LIN_TOUCHED_MAX)
					lin_touched[lin_ntouched++] = entry;
				else
					lin_touched_overflow = true;
			}
			lin_xact_active = true;
		}
	}
	if (prev_ExecutorEnd)
		prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
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

/* Add this transaction's executions to the shared counters. */
static void
DqLinPublishCounts(void)
{
	HASH_SEQ_STATUS seq;
	DqLinCacheEntry *entry;
	TimestampTz now = GetCurrentTransactionStopTimestamp();
	int			i = 0;

	if (lin_shared == NULL)
		return;
	LWLockAcquire(lin_shared->lock, LW_EXCLUSIVE);
	while ((entry = DqLinNextTouched(&i, &seq)) != NULL)
	{
		DqLinCounterKey key;
		DqLinCounter *counter;
		bool		found;

		if (entry->xact_calls == 0)
			continue;
		memset(&key, 0, sizeof(key));
		key.dbid = MyDatabaseId;
		key.queryid = entry->queryid;
		counter = hash_search(lin_counters, &key, HASH_ENTER_NULL, &found);
		if (counter == NULL)
			lin_shared->lost += entry->xact_calls;
		else
		{
			if (!found)
				counter->calls = 0;
			counter->calls += entry->xact_calls;
			counter->last_seen = now;
		}
	}
	LWLockRelease(lin_shared->lock);
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
		dq_lineage_internal = false;
	if (!lin_xact_active || lin_cache == NULL)
		return;
	if (event == XACT_EVENT_COMMIT)
		commit = true;
	else if (event == XACT_EVENT_ABORT)
		commit = false;
	else
		return;
	if (commit)
		DqLinPublishCounts();
	while ((entry = DqLinNextTouched(&i, &seq)) != NULL)
	{
		if (entry->state == DQ_LIN_WRITTEN_IN_XACT)
			entry->state = commit ? DQ_LIN_STORED : DQ_LIN_NOT_WRITTEN;
		entry->xact_calls = 0;
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
	}
}

/* A rolled-back subtransaction took the edges it wrote with it. */
static void
DqLinSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	HASH_SEQ_STATUS seq;
	DqLinCacheEntry *entry;
	int			i = 0;

	if (event != SUBXACT_EVENT_ABORT_SUB || !lin_xact_active ||
		lin_cache == NULL)
		return;
	while ((entry = DqLinNextTouched(&i, &seq)) != NULL)
	{
		if (entry->state == DQ_LIN_WRITTEN_IN_XACT && entry->subid >= mySubid)
			entry->state = DQ_LIN_NOT_WRITTEN;
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
	RegisterXactCallback(DqLinXactCallback, NULL);
	RegisterSubXactCallback(DqLinSubXactCallback, NULL);
}

typedef struct DqLinBatch
{
	DqLinCounter *items;
	int			n;
} DqLinBatch;

/* Add a batch of counters to dq.lineage_edges. */
static void
DqLinFlushBatch(void *arg)
{
	DqLinBatch *batch = (DqLinBatch *) arg;
	DqOwnerContext owner;
	Oid			types[3] = {INT8OID, INT8OID, TIMESTAMPTZOID};
	int			i;

	DqBecomeExtensionOwner(&owner);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (i = 0; i < batch->n; i++)
	{
		Datum		values[3];

		values[0] = Int64GetDatum((int64) batch->items[i].key.queryid);
		values[1] = Int64GetDatum(batch->items[i].calls);
		values[2] = TimestampTzGetDatum(batch->items[i].last_seen);
		if (SPI_execute_with_args("UPDATE dq.lineage_edges"
								  " SET occurrences = occurrences + $2,"
								  " last_seen = GREATEST(last_seen, $3)"
								  " WHERE query_id = $1"
								  " AND origin IN ('insert', 'update', 'merge')",
								  3, types, values, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not update lineage counters");
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
