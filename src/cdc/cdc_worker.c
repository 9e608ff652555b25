/*-------------------------------------------------------------------------
 *
 * cdc_worker.c
 *	  The CDC worker: one per database with watched tables.  It owns the
 *	  logical replication slot dq_lineage_<database oid>, decodes it with
 *	  the dq_lineage output plugin and records what the plugin reports in
 *	  dq.violations.
 *
 * Design note: exactly once.  Each pass creates a decoding context on the
 * slot, decodes from the slot's restart point (skipping the transactions
 * committed before dq.cdc_state.processed_lsn or the slot's confirmed
 * position, whichever is later) up to the WAL flush position or a batch of
 * dq_lineage.cdc_batch_size lines, keeps the plugin's lines in a tuplestore
 * (spilling to disk past work_mem), then, in the same transaction, inserts
 * the violations and the activity of each watched table (last commit,
 * rows inserted, updated, deleted: dq.cdc_table_activity) and sets
 * processed_lsn to the end of the last record read.
 * Only after that transaction commits is the slot confirmed.  A crash
 * before the commit loses the batch's writes and the slot still points
 * before it; a crash after the commit but before the slot's position
 * reached disk is covered by processed_lsn, which makes the decoder skip
 * the transactions already recorded.  A unique key on (commit LSN, change
 * number, expectation) makes a duplicate an error rather than a silent
 * double count.  Passes that saw no change of a watched table write
 * nothing (so the worker's own writes do not feed themselves); they only
 * confirm the slot.
 *
 * The slot is held by the worker for its whole life: a second worker
 * started for the same database finds it active and exits quietly.  The
 * worker drops the slot and exits when no table is watched any more or the
 * extension was dropped.  Errors are recorded in dq.cdc_state.last_error and
 * the pass is retried after a pause.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/genam.h"
#include "access/heapam.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlogutils.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "nodes/makefuncs.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "replication/decode.h"
#include "replication/logical.h"
#include "replication/slot.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_lsn.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "base/bgworker.h"
#include "base/catalog.h"
#include "base/spi_util.h"
#include "base/stats.h"
#include "cdc/cdc_worker.h"
#include "base/compat.h"
#include "base/guc.h"
#include "base/shmem.h"
#include "base/subxact.h"
#include "cdc/cdc_internal.h"
#include "cdc/cdc_worker.h"
#include "cdc/decoder.h"

bool		dq_cdc_preloaded = false;

/* lines per SQL statement when writing a batch */
#define DQ_CDC_CHUNK 1000

/*
 * Changes per second over the last minute: the changes validated in each
 * of the last DQ_CDC_RATE_WINDOW seconds, one bucket per second of the
 * clock (a ring indexed by the second), summed and divided by the window.
 * Idle passes recompute the rate too, so that it decays to 0 one window
 * after the last change (DqCdcPublishRate).
 */
#define DQ_CDC_RATE_WINDOW 60
/* an idle pass writes a decayed rate at most this often (and at 0) */
#define DQ_CDC_RATE_PUBLISH_MS 5000

static int64 dq_cdc_bucket_changes[DQ_CDC_RATE_WINDOW];
static int64 dq_cdc_bucket_second[DQ_CDC_RATE_WINDOW];
static double dq_cdc_published_rate = -1.0;	/* -1: not written yet */
static TimestampTz dq_cdc_published_at = 0;
static bool dq_cdc_lag_warned = false;

/*
 * last_error may be set in dq.cdc_state (by this worker, or by the one
 * before it): cleared after the next good pass.
 */
static bool dq_cdc_error_recorded = true;

/* where the write callback puts the plugin's lines (one pass) */
static Tuplestorestate *dq_cdc_store = NULL;
/* what the pass decoded of each relation (DqDecoderActivity), pass memory */
static List *dq_cdc_activity = NIL;
static TupleDesc dq_cdc_desc = NULL;
static int64 dq_cdc_nlines = 0;

/*
 * The decoding context, kept from pass to pass (in TopMemoryContext) so
 * that each pass reads only the new WAL; made again after an error.
 */
static LogicalDecodingContext *dq_cdc_ctx = NULL;

/*
 * Called from _PG_init.
 */
void
DqCdcInit(void)
{
	dq_cdc_preloaded = process_shared_preload_libraries_in_progress;
}

/* The slot of a database: dq_lineage_<oid>. */
void
DqCdcSlotName(Oid dbid, char *name)
{
	snprintf(name, NAMEDATALEN, "dq_lineage_%u", dbid);
}

/* OID of dq.<name> (InvalidOid when the extension is not there). */
Oid
DqCdcCatalogRel(const char *name)
{
	Oid			nsp = get_namespace_oid("dq", true);

	return OidIsValid(nsp) ? get_relname_relid(name, nsp) : InvalidOid;
}

/*
 * Does the slot exist, and which process holds it (0: none)?
 */
bool
DqCdcSlotExists(const char *name, pid_t *active_pid)
{
	ReplicationSlot *s;
	bool		found = false;

	*active_pid = 0;
	LWLockAcquire(ReplicationSlotControlLock, LW_SHARED);
	s = SearchNamedReplicationSlot(name, false);
	if (s != NULL)
	{
		found = true;
		SpinLockAcquire(&s->mutex);
		*active_pid = s->active_pid;
		SpinLockRelease(&s->mutex);
	}
	LWLockRelease(ReplicationSlotControlLock);
	return found;
}

/*
 * Number of watched tables (a heap scan of a small table).  Call inside a
 * transaction.  The worker passes ShareLock: it then waits for a dq.watch
 * or dq.unwatch in progress and sees its outcome.
 */
int64
DqCdcWatchedCount(LOCKMODE lockmode)
{
	Oid			relid = DqCdcCatalogRel("watched_tables");
	Relation	rel;
	TableScanDesc scan;
	int64		n = 0;
	Snapshot	snap;

	if (!OidIsValid(relid))
		return 0;
	/* dropped (DROP EXTENSION) while we waited for the lock */
	rel = try_relation_open(relid, lockmode);
	if (rel == NULL)
		return 0;
	snap = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(rel, snap, 0, NULL);
	while (heap_getnext(scan, ForwardScanDirection) != NULL)
		n++;
	table_endscan(scan);
	UnregisterSnapshot(snap);
	relation_close(rel, lockmode);
	return n;
}

/*
 * Create the logical slot for the dq_lineage plugin, as
 * pg_create_logical_replication_slot does (the caller has checked its
 * rights).  Refused by PostgreSQL in a transaction that has written.
 */
void
DqCdcCreateSlot(const char *name)
{
	LogicalDecodingContext *ctx;

	CheckSlotRequirements();
	CheckLogicalDecodingRequirements();
	ReplicationSlotCreate(name, true, RS_EPHEMERAL, false);
	ctx = CreateInitDecodingContext("dq_lineage", NIL, false, InvalidXLogRecPtr,
									XL_ROUTINE(.page_read = read_local_xlog_page,
											   .segment_open = wal_segment_open,
											   .segment_close = wal_segment_close),
									NULL, NULL, NULL);
	DecodingContextFindStartpoint(ctx);
	FreeDecodingContext(ctx);
	ReplicationSlotPersist();
	ReplicationSlotRelease();
	ereport(LOG,
			(errmsg("dq_lineage created replication slot \"%s\"", name)));
}

/*
 * Drop the slot of database dbid, stopping the worker that holds it first
 * (it exits on SIGTERM; ReplicationSlotDrop waits until it has let go).
 * Not transactional: used by the last dq.unwatch, DROP EXTENSION and DROP
 * DATABASE.
 */
void
DqCdcStopAndDropSlot(Oid dbid)
{
	char		slot[NAMEDATALEN];
	pid_t		pid;

	DqCdcSlotName(dbid, slot);
	if (!DqCdcSlotExists(slot, &pid))
		return;
	if (pid != 0 && pid != MyProcPid)
		(void) kill(pid, SIGTERM);
	ReplicationSlotDrop(slot, false);
	ereport(LOG,
			(errmsg("dq_lineage dropped replication slot \"%s\"", slot)));
}

/*
 * Start the CDC worker of this database if it has watched tables (or a
 * slot left to drop) and no process holds the slot.  Called inside a
 * transaction by dq.watch, dq.cdc_start and the per-database scheduler on
 * every pass; cheap, and never an ERROR when no worker slot is free.
 */
void
DqCdcEnsureWorker(void)
{
	static BackgroundWorkerHandle *handle = NULL;
	static Oid	handle_db = InvalidOid;
	char		slot[NAMEDATALEN];
	pid_t		pid;
	bool		exists;
	MemoryContext old;

	if (!OidIsValid(get_extension_oid("dq_lineage", true)))
		return;
	/* DROP EXTENSION or DROP DATABASE is under way (utility_hook.c) */
	if (DqDatabasePaused(MyDatabaseId))
		return;
	DqCdcSlotName(MyDatabaseId, slot);
	exists = DqCdcSlotExists(slot, &pid);
	if (pid != 0)
		return;
	if (!exists && DqCdcWatchedCount(AccessShareLock) == 0)
		return;
	/* one registered and not yet holding the slot: let it start */
	if (handle != NULL && handle_db == MyDatabaseId &&
		GetBackgroundWorkerPid(handle, &pid) != BGWH_STOPPED)
		return;
	if (handle != NULL)
	{
		pfree(handle);
		handle = NULL;
	}

	old = MemoryContextSwitchTo(TopMemoryContext);
	/* the caller (the scheduler) is woken when the worker stops */
	if (!DqStartWorker("dq_cdc_worker_main", "dq_lineage cdc worker", MyDatabaseId,
					   NULL, 0, &handle))
	{
		handle = NULL;
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start the dq_lineage change validation worker"),
				 errdetail("No background worker slot is free."),
				 errhint("Raise max_worker_processes; the worker is started again on the next attempt.")));
	}
	else
		handle_db = MyDatabaseId;
	MemoryContextSwitchTo(old);
}

/*
 * The scheduler's task (registered in dq_lineage.c): keep this database's
 * worker running while tables are watched.
 */
void
DqCdcSchedulerTask(void)
{
	DqCdcEnsureWorker();
}

/* ---------------------------------------------------------------------
 * One pass
 * ---------------------------------------------------------------------
 */

static void
DqCdcPrepareWrite(LogicalDecodingContext *ctx, XLogRecPtr lsn,
				  TransactionId xid, bool last_write)
{
	resetStringInfo(ctx->out);
}

static void
DqCdcWrite(LogicalDecodingContext *ctx, XLogRecPtr lsn, TransactionId xid,
		   bool last_write)
{
	Datum		value;
	bool		isnull = false;

	value = PointerGetDatum(cstring_to_text_with_len(ctx->out->data, ctx->out->len));
	tuplestore_putvalues(dq_cdc_store, dq_cdc_desc, &value, &isnull);
	pfree(DatumGetPointer(value));
	dq_cdc_nlines++;
}

/* Drop the slot of this database if it exists and nobody holds it. */
static void
DqCdcDropSlot(const char *slot)
{
	pid_t		pid;

	if (MyReplicationSlot != NULL)
		ReplicationSlotRelease();
	if (DqCdcSlotExists(slot, &pid) && pid == 0)
	{
		ReplicationSlotDrop(slot, true);
		ereport(LOG,
				(errmsg("dq_lineage dropped replication slot \"%s\"", slot)));
	}
}

/* processed_lsn of the slot (0/0 if none; creates the state row). */
static XLogRecPtr
DqCdcReadProgress(const char *slot)
{
	Oid			argtypes[1] = {NAMEOID};
	Datum		values[1];
	XLogRecPtr	lsn = InvalidXLogRecPtr;
	bool		isnull;
	NameData	name;

	namestrcpy(&name, slot);
	values[0] = NameGetDatum(&name);
	if (DqSpiRunArgs("SELECT processed_lsn FROM dq.cdc_state "
					 "WHERE slot_name OPERATOR(pg_catalog.=) $1",
					 1, argtypes, values, NULL, false, SPI_OK_SELECT,
					 "read dq.cdc_state") > 0)
		lsn = DatumGetLSN(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	else
		DqSpiRunArgs("INSERT INTO dq.cdc_state (slot_name, processed_lsn) VALUES ($1, '0/0')",
					 1, argtypes, values, NULL, false, SPI_OK_INSERT,
					 "write dq.cdc_state");
	return lsn;
}

/* Does a plugin line start with prefix (its type)? */
static inline bool
DqCdcLineIs(const char *line, const char *prefix)
{
	return strncmp(line, prefix, strlen(prefix)) == 0;
}

/* Clear last_error: a pass went through after it (the caller's transaction). */
static void
DqCdcClearError(const char *slot)
{
	Oid			argtypes[1] = {NAMEOID};
	Datum		values[1];
	NameData	name;
	DqOwnerContext owner;

	namestrcpy(&name, slot);
	values[0] = NameGetDatum(&name);
	DqBecomeExtensionOwner(&owner);
	DqSpiRunArgs("UPDATE dq.cdc_state SET last_error = NULL, last_error_at = NULL "
				 "WHERE slot_name OPERATOR(pg_catalog.=) $1",
				 1, argtypes, values, NULL, false, SPI_OK_UPDATE, "write dq.cdc_state");
	DqRestoreUser(&owner);
}

/*
 * Count changes validated now and return the changes per second over the
 * last DQ_CDC_RATE_WINDOW seconds (their sum divided by the window, so a
 * burst weighs for exactly one window and then no more).
 */
static double
DqCdcRate(int64 changes)
{
	int64		second = GetCurrentTimestamp() / USECS_PER_SEC;
	int			slot = (int) (second % DQ_CDC_RATE_WINDOW);
	int64		sum = 0;

	if (dq_cdc_bucket_second[slot] != second)
	{
		dq_cdc_bucket_second[slot] = second;
		dq_cdc_bucket_changes[slot] = 0;
	}
	dq_cdc_bucket_changes[slot] += changes;
	for (int i = 0; i < DQ_CDC_RATE_WINDOW; i++)
		if (second - dq_cdc_bucket_second[i] < DQ_CDC_RATE_WINDOW)
			sum += dq_cdc_bucket_changes[i];
	return (double) sum / DQ_CDC_RATE_WINDOW;
}

/*
 * An idle pass (no change of a watched table): write the decayed rate to
 * dq.cdc_state when it differs from the one written, at most every
 * DQ_CDC_RATE_PUBLISH_MS and always when it reached 0.  The write's own
 * WAL is decoded by the next pass as an idle pass again, so the writes
 * stop once the rate is 0 (in the caller's transaction, SPI connected).
 */
static void
DqCdcPublishRate(const char *slot)
{
	double		rate = DqCdcRate(0);
	TimestampTz now = GetCurrentTimestamp();
	Oid			argtypes[2] = {NAMEOID, FLOAT8OID};
	Datum		values[2];
	NameData	name;
	DqOwnerContext owner;

	if (rate == dq_cdc_published_rate)
		return;
	if (rate != 0.0 &&
		!TimestampDifferenceExceeds(dq_cdc_published_at, now, DQ_CDC_RATE_PUBLISH_MS))
		return;
	namestrcpy(&name, slot);
	values[0] = NameGetDatum(&name);
	values[1] = Float8GetDatum(rate);
	PushActiveSnapshot(GetTransactionSnapshot());
	DqBecomeExtensionOwner(&owner);
	DqSpiRunArgs("UPDATE dq.cdc_state SET changes_per_second = $2 "
				 "WHERE slot_name OPERATOR(pg_catalog.=) $1",
				 2, argtypes, values, NULL, false, SPI_OK_UPDATE, "write dq.cdc_state");
	DqRestoreUser(&owner);
	PopActiveSnapshot();
	dq_cdc_published_rate = rate;
	dq_cdc_published_at = now;
}

/*
 * Phase 1 of a pass, in its transaction: stop when nothing is watched any
 * more, hold the slot, read the recorded progress and the broken rules.
 * Returns dq.cdc_state.processed_lsn.
 */
static XLogRecPtr
DqCdcPassStart(const char *slot)
{
	XLogRecPtr	stored;
	DqOwnerContext owner;
	pid_t		pid;

	if (!OidIsValid(get_extension_oid("dq_lineage", true)) || DqCdcWatchedCount(ShareLock) == 0)
	{
		DqCdcDropSlot(slot);
		CommitTransactionCommand();
		ereport(LOG,
				(errmsg("dq_lineage change validation worker stopping: no watched table")));
		proc_exit(0);
	}
	if (MyReplicationSlot == NULL)
	{
		if (!DqCdcSlotExists(slot, &pid))
			DqCdcCreateSlot(slot);
		else if (pid != 0)
		{
			/* another worker has it: that is the one to keep */
			CommitTransactionCommand();
			proc_exit(0);
		}
		ReplicationSlotAcquire(slot, true);
	}

	PushActiveSnapshot(GetTransactionSnapshot());
	DqSpiConnect();
	DqBecomeExtensionOwner(&owner);
	stored = DqCdcReadProgress(slot);
	/* rules found broken are skipped (the decoder rebuilds its cache) */
	DqCdcLoadSkipped();
	DqRestoreUser(&owner);
	PopActiveSnapshot();
	return stored;
}

/*
 * Phase 2: decode from the slot into the tuplestore, up to the end of the
 * WAL or a batch of lines.  Sets *processed to the end of the last record
 * read and *stats to the plugin's counters; true when WAL is left.
 */
static bool
DqCdcDecode(XLogRecPtr stored, XLogRecPtr *processed, DqDecoderStats *stats)
{
	static XLogRecPtr prev_processed = InvalidXLogRecPtr;
	LogicalDecodingContext *ctx;
	ResourceOwner old_resowner;
	MemoryContext old;
	XLogRecPtr	end_of_wal;
	bool		more = false;

	dq_cdc_desc = CreateTemplateTupleDesc(1);
	TupleDescInitEntry(dq_cdc_desc, (AttrNumber) 1, "line", TEXTOID, -1, 0);
	dq_cdc_store = tuplestore_begin_heap(false, false, work_mem);
	dq_cdc_nlines = 0;
	dq_cdc_activity = NIL;
	if (dq_cdc_ctx == NULL)
	{
		List	   *options;
		XLogRecPtr	start;

		old = MemoryContextSwitchTo(TopMemoryContext);
		/* rows always: quarantine needs them; storing them is a setting */
		options = list_make1(makeDefElem("row_images", (Node *) makeString("on"), -1));
		start = Max(stored, MyReplicationSlot->data.confirmed_flush);
		dq_cdc_ctx = CreateDecodingContext(start, options, false,
										   XL_ROUTINE(.page_read = read_local_xlog_page,
													  .segment_open = wal_segment_open,
													  .segment_close = wal_segment_close),
										   DqCdcPrepareWrite, DqCdcWrite, NULL);
		XLogBeginRead(dq_cdc_ctx->reader, MyReplicationSlot->data.restart_lsn);
		MemoryContextSwitchTo(old);
	}
	ctx = dq_cdc_ctx;
	old_resowner = CurrentResourceOwner;
	end_of_wal = DqGetFlushRecPtr();
	while (ctx->reader->EndRecPtr < end_of_wal)
	{
		XLogRecord *record;
		char	   *errm = NULL;

		/*
		 * An oversized record is decoded into memory allocated in the
		 * current context and freed on the next read, a pass later: the
		 * reader must allocate in the decoding context, which lives on.
		 */
		old = MemoryContextSwitchTo(ctx->context);
		record = XLogReadRecord(ctx->reader, &errm);
		MemoryContextSwitchTo(old);
		if (errm)
			elog(ERROR, "could not find record for logical decoding: %s", errm);
		if (record != NULL)
			LogicalDecodingProcessRecord(ctx, ctx->reader);
		if (dq_cdc_nlines >= dq_cdc_batch_size)
		{
			more = ctx->reader->EndRecPtr < end_of_wal;
			break;
		}
		CHECK_FOR_INTERRUPTS();
	}
	CurrentResourceOwner = old_resowner;
	*processed = ctx->reader->EndRecPtr;
	*stats = *DqDecoderGetStats(ctx);
	memset(DqDecoderGetStats(ctx), 0, sizeof(DqDecoderStats));
	dq_cdc_activity = DqDecoderTakeActivity(ctx);
	/* decoding leaves historic catalog entries in the caches */
	if (*processed != prev_processed)
		InvalidateSystemCaches();
	prev_processed = *processed;
	return more;
}

/*
 * One chunk of the plugin's lines: the worker's own checks (conditions,
 * deferred rules), then broken rules and violations written as the
 * extension owner.  Returns the violations recorded.
 */
static int64
DqCdcRecordChunk(List *viol, List *conds, List *deferred, List *brokenlines,
				 XLogRecPtr processed)
{
	List	   *broken = DqCdcBrokenFromLines(brokenlines);
	DqOwnerContext owner;
	int64		n;

	viol = list_concat(viol, DqCdcCheckConditions(conds, &broken));
	viol = list_concat(viol, DqCdcCheckDeferred(deferred, &broken));
	DqBecomeExtensionOwner(&owner);
	DqCdcRecordBroken(broken);
	n = DqCdcInsert(viol, processed, dq_cdc_capture_row_images);
	DqRestoreUser(&owner);
	return n;
}

/*
 * Phase 3: record the batch in the tuplestore, chunk by chunk, and the
 * progress, in the pass's transaction.
 */
/* violations recorded by the last batch, counted once it committed */
static int64 dq_cdc_batch_violations = 0;

static void
DqCdcRecordBatch(const char *slot, XLogRecPtr processed, DqDecoderStats *stats)
{
	Oid			argtypes[7] = {NAMEOID, LSNOID, INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID, FLOAT8OID};
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	NameData	name;
	MemoryContext chunkcxt = AllocSetContextCreate(CurrentMemoryContext, "dq_lineage cdc chunk",
												   ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;
	TupleTableSlot *tslot;
	List	   *viol = NIL;
	List	   *conds = NIL;
	List	   *deferred = NIL;
	List	   *brokenlines = NIL;
	int64		nviol = 0;
	int			nlines = 0;
	DqOwnerContext owner;

	pgstat_report_activity(STATE_RUNNING, "dq_lineage: recording violations");
	PushActiveSnapshot(GetTransactionSnapshot());
	tslot = MakeSingleTupleTableSlot(dq_cdc_desc, &TTSOpsMinimalTuple);
	old = MemoryContextSwitchTo(chunkcxt);
	for (;;)
	{
		bool		got = tuplestore_gettupleslot(dq_cdc_store, true, false, tslot);

		if (got)
		{
			bool		isnull;
			char	   *line = TextDatumGetCString(slot_getattr(tslot, 1, &isnull));

			if (DqCdcLineIs(line, DQ_CDC_LINE_CONDITION))
				conds = lappend(conds, line);
			else if (DqCdcLineIs(line, DQ_CDC_LINE_DEFERRED))
				deferred = lappend(deferred, line);
			else if (DqCdcLineIs(line, DQ_CDC_LINE_BROKEN))
				brokenlines = lappend(brokenlines, line);
			else
				viol = lappend(viol, line);
			nlines++;
		}
		if (!got || nlines >= DQ_CDC_CHUNK)
		{
			nviol += DqCdcRecordChunk(viol, conds, deferred, brokenlines, processed);
			viol = conds = deferred = brokenlines = NIL;
			nlines = 0;
			MemoryContextSwitchTo(old);
			MemoryContextReset(chunkcxt);
			old = MemoryContextSwitchTo(chunkcxt);
		}
		if (!got)
			break;
	}
	MemoryContextSwitchTo(old);
	ExecDropSingleTupleTableSlot(tslot);

	namestrcpy(&name, slot);
	values[0] = NameGetDatum(&name);
	values[1] = LSNGetDatum(processed);
	values[2] = Int64GetDatum(stats->changes_checked);
	values[3] = Int64GetDatum(nviol);
	dq_cdc_batch_violations = nviol;
	values[4] = Int64GetDatum(stats->toast_skipped);
	values[5] = TimestampTzGetDatum(stats->last_commit_time);
	if (stats->last_commit_time == 0)
		nulls[5] = 'n';
	dq_cdc_published_rate = DqCdcRate(stats->changes_checked);
	dq_cdc_published_at = GetCurrentTimestamp();
	values[6] = Float8GetDatum(dq_cdc_published_rate);
	DqBecomeExtensionOwner(&owner);
	DqCdcRecordActivity(dq_cdc_activity);
	dq_cdc_activity = NIL;
	DqSpiRunArgs("UPDATE dq.cdc_state SET processed_lsn = $2, "
				 "changes_checked = changes_checked OPERATOR(pg_catalog.+) $3, "
				 "violations_found = violations_found OPERATOR(pg_catalog.+) $4, "
				 "toast_skipped = toast_skipped OPERATOR(pg_catalog.+) $5, "
				 "last_commit_time = coalesce($6, last_commit_time), "
				 "changes_per_second = $7, updated_at = pg_catalog.now() "
				 "WHERE slot_name OPERATOR(pg_catalog.=) $1",
				 7, argtypes, values, nulls, false, SPI_OK_UPDATE, "write dq.cdc_state");
	DqRestoreUser(&owner);
	PopActiveSnapshot();
}

/* After a pass: warn (once) while the slot retains too much WAL. */
static void
DqCdcCheckLag(const char *slot, XLogRecPtr processed)
{
	uint64		lag;

	if (dq_cdc_max_lag <= 0)
		return;
	lag = DqGetFlushRecPtr() - processed;
	if (lag > (uint64) dq_cdc_max_lag * 1024 * 1024)
	{
		if (!dq_cdc_lag_warned)
			ereport(WARNING,
					(errmsg("dq_lineage change validation lags %llu bytes behind the WAL",
							(unsigned long long) lag),
					 errhint("The replication slot \"%s\" retains the WAL until it is validated; see dq.cdc_status and dq_lineage.cdc_max_lag.",
							 slot)));
		dq_cdc_lag_warned = true;
	}
	else
		dq_cdc_lag_warned = false;
}

/*
 * Decode one batch and record it; true when WAL is left to decode.
 * Runs its own transaction; the slot is confirmed only after it commits.
 */
static bool
DqCdcPass(const char *slot)
{
	XLogRecPtr	stored;
	XLogRecPtr	processed;
	DqDecoderStats stats;
	bool		more;
	int			nestlevel;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	pgstat_report_activity(STATE_RUNNING, "dq_lineage: decoding");
	nestlevel = DqBeginStableOutput();
	stored = DqCdcPassStart(slot);
	more = DqCdcDecode(stored, &processed, &stats);

	/* record the batch, unless nothing watched changed */
	if (dq_cdc_nlines > 0 || stats.changes_checked > 0)
		DqCdcRecordBatch(slot, processed, &stats);
	else
		DqCdcPublishRate(slot);
	tuplestore_end(dq_cdc_store);
	dq_cdc_store = NULL;
	dq_cdc_activity = NIL;
	/* a pass went through after an error: the error is over */
	if (dq_cdc_error_recorded)
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		DqCdcClearError(slot);
		PopActiveSnapshot();
	}
	DqEndStableOutput(nestlevel);
	SPI_finish();
	CommitTransactionCommand();
	dq_cdc_error_recorded = false;

	/* only now may the slot move on, and the work be counted */
	LogicalConfirmReceivedLocation(processed);
	if (dq_cdc_nlines > 0 || stats.changes_checked > 0)
	{
		DqStatsCount(DQ_STAT_CDC_BATCHES, 1);
		DqStatsCount(DQ_STAT_CDC_CHANGES, stats.changes_checked);
		DqStatsCount(DQ_STAT_CDC_VIOLATIONS, dq_cdc_batch_violations);
	}
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	DqCdcCheckLag(slot, processed);
	return more;
}

/*
 * After an error: free the decoding context without calling into it (its
 * state is not to be trusted); the next pass makes a new one from the
 * recorded position.
 */
static void
DqCdcForgetContext(void)
{
	if (dq_cdc_ctx == NULL)
		return;
	if (dq_cdc_ctx->reader != NULL && dq_cdc_ctx->reader->seg.ws_file >= 0)
		wal_segment_close(dq_cdc_ctx->reader);
	DqDecoderForget();
	MemoryContextDelete(dq_cdc_ctx->context);
	dq_cdc_ctx = NULL;
}

/*
 * Record an error in dq.cdc_state, and the rule it came from as broken
 * when there is one (own transaction; failures ignored).
 */
static void
DqCdcRecordError(const char *slot, const char *message, DqCdcBroken *broken)
{
	PG_TRY();
	{
		Oid			argtypes[2] = {NAMEOID, TEXTOID};
		Datum		values[2];
		NameData	name;
		DqOwnerContext owner;

		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		namestrcpy(&name, slot);
		values[0] = NameGetDatum(&name);
		values[1] = CStringGetTextDatum(message);
		DqSpiConnect();
		DqBecomeExtensionOwner(&owner);
		SPI_execute_with_args("UPDATE dq.cdc_state SET last_error = $2, "
							  "last_error_at = pg_catalog.now() "
							  "WHERE slot_name OPERATOR(pg_catalog.=) $1",
							  2, argtypes, values, NULL, false, 0);
		if (broken != NULL)
			DqCdcRecordBroken(list_make1(broken));
		DqRestoreUser(&owner);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		dq_cdc_error_recorded = true;
	}
	PG_CATCH();
	{
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
	}
	PG_END_TRY();
}

/*
 * Entry point of the CDC worker; main_arg is the database OID.
 */
void
dq_cdc_worker_main(Datum main_arg)
{
	Oid			dbid = DatumGetObjectId(main_arg);
	char		slot[NAMEDATALEN];
	pid_t		pid;
	MemoryContext loopcxt;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dbid, InvalidOid, 0);
	DqPinWorkerSession();

	DqCdcSlotName(dbid, slot);
	if (DqCdcSlotExists(slot, &pid) && pid != 0)
		proc_exit(0);			/* another worker consumes it */

	loopcxt = AllocSetContextCreate(TopMemoryContext, "dq_lineage cdc loop",
									ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		bool		more = false;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		MemoryContextSwitchTo(loopcxt);
		PG_TRY();
		{
			more = DqCdcPass(slot);
		}
		PG_CATCH();
		{
			ErrorData  *edata;
			DqCdcBroken *broken = NULL;
			Oid			failing_relid;
			XLogRecPtr	failing_lsn;
			int64		failing = DqDecoderFailingRule(&failing_relid, &failing_lsn);

			MemoryContextSwitchTo(loopcxt);
			edata = CopyErrorData();
			DqDecoderClearFailingRule();
			/* a rule's evaluation failed in the decoder: it is broken */
			if (failing != 0 && !DqCdcErrorIsTransient(edata->sqlerrcode))
			{
				broken = palloc0(sizeof(DqCdcBroken));
				broken->id = failing;
				broken->relid = failing_relid;
				broken->lsn = failing_lsn;
				strlcpy(broken->sqlstate, unpack_sql_state(edata->sqlerrcode),
						sizeof(broken->sqlstate));
				broken->message = edata->message;
			}
			EmitErrorReport();
			FlushErrorState();
			AbortCurrentTransaction();
			dq_cdc_store = NULL;	/* freed with the transaction */
			DqCdcForgetContext();
			if (MyReplicationSlot != NULL &&
				MyReplicationSlot->data.persistency == RS_EPHEMERAL)
				ReplicationSlotRelease();
			DqCdcRecordError(slot, edata->message, broken);
			/* a pause before the retry; without the broken rule at once */
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 broken ? 100L : 5000L, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
		PG_END_TRY();
		MemoryContextSwitchTo(TopMemoryContext);
		MemoryContextReset(loopcxt);
		if (!more)
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 dq_cdc_naptime, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
}
