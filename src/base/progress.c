/*-------------------------------------------------------------------------
 *
 * progress.c
 *	  Running operations: dq.progress, the NOTICEs of
 *	  dq_lineage.progress_notice, and their end (normal, failed, cancelled)
 *	  with its count in dq.stats.
 *
 * Design note.  Shared memory holds DQ_PROGRESS_DEPTH slots per backend
 * (indexed by MyBackendId), one per nesting level of operations: a
 * scheduled job (level 0) running a validation (level 1).  Only the
 * backend writes its slots, under the changecount protocol described in
 * progress_slot.h, so reading dq.progress takes no lock and a backend
 * reporting progress never waits; the scan's counters are atomics that
 * the parallel workers of the scan add to (progress_scan.c).  Nothing
 * survives a restart.
 *
 * The backend keeps a stack of its operations.  An operation ends with
 * DqProgressEnd; one that does not (an error, pg_cancel_backend,
 * statement_timeout) is ended by the abort of the (sub)transaction that
 * began it: the transaction callbacks pop every operation begun at that
 * nesting level or deeper, count it as failed and free its slot.  A
 * scheduled job spans transactions; it is ended by DqProgressEndJob or,
 * when the session ends (pg_terminate_backend, FATAL), by the
 * before_shmem_exit callback, which also frees every other slot of the
 * backend.  The results an operation writes are in its transaction, so
 * the abort that clears its row also removes them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "commands/dbcommands.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/backendid.h"
#include "storage/bufmgr.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "base/guc.h"
#include "base/progress.h"
#include "base/progress_slot.h"
#include "base/stats.h"

PG_FUNCTION_INFO_V1(dq_progress_rows);

/* operations of one backend tracked at the same time (deeper: counted) */
#define DQ_PROGRESS_STACK 16

typedef struct DqProgressShared
{
	int			nslots;
	DqProgressSlot slots[FLEXIBLE_ARRAY_MEMBER];
} DqProgressShared;

/* An operation of this backend. */
typedef struct DqProgressOp
{
	DqObsOp		op;
	Oid			relid;
	int			nestlevel;		/* transaction nesting level; 0: a job */
	DqProgressSlot *slot;		/* NULL: not shown */
	TimestampTz started;
	TimestampTz last_notice;
	uint32		scan_id;
	bool		armed;			/* its scan has not started yet */
	NameData	nspname;
	NameData	relname;
	NameData	job_name;
} DqProgressOp;

static DqProgressShared *dq_progress = NULL;
static DqProgressOp dq_ops[DQ_PROGRESS_STACK];
static int	dq_nops = 0;		/* may exceed DQ_PROGRESS_STACK */
static uint32 dq_last_scan_id = 0;
static bool dq_exit_registered = false;

bool		dq_progress_scan_armed = false;

static const char *const dq_phase_names[DQ_PHASE_COUNT] = {
	"planning", "scanning", "merging", "evaluating", "storing", "running"
};

#define DQ_SLOT_BEGIN_WRITE(s) \
	do { (s)->changecount++; pg_write_barrier(); } while (0)
#define DQ_SLOT_END_WRITE(s) \
	do { pg_write_barrier(); (s)->changecount++; } while (0)

/* ---------------------------------------------------------------------
 * Shared memory
 * --------------------------------------------------------------------- */

static Size
DqProgressSlotsSize(void)
{
	return add_size(offsetof(DqProgressShared, slots),
					mul_size(sizeof(DqProgressSlot),
							 mul_size(MaxBackends, DQ_PROGRESS_DEPTH)));
}

/* From the shmem request hook: the slots and the counters of dq.stats. */
void
DqProgressShmemRequest(void)
{
	RequestAddinShmemSpace(DqProgressSlotsSize());
	DqStatsShmemRequest();
}

/* From the shmem startup hook. */
void
DqProgressShmemInit(void)
{
	bool		found;

	dq_progress = ShmemInitStruct("dq_lineage progress", DqProgressSlotsSize(), &found);
	if (!found)
	{
		memset(dq_progress, 0, DqProgressSlotsSize());
		dq_progress->nslots = MaxBackends * DQ_PROGRESS_DEPTH;
		for (int i = 0; i < dq_progress->nslots; i++)
		{
			pg_atomic_init_u32(&dq_progress->slots[i].scan_id, 0);
			pg_atomic_init_u64(&dq_progress->slots[i].blocks_done, 0);
			pg_atomic_init_u64(&dq_progress->slots[i].rows_done, 0);
		}
	}
	DqStatsShmemInit();
}

/* The slot of this backend at nesting level, or NULL. */
static DqProgressSlot *
DqSlotAt(BackendId backend, int level)
{
	int			i;

	if (dq_progress == NULL || backend == InvalidBackendId || backend < 1 ||
		level >= DQ_PROGRESS_DEPTH)
		return NULL;
	i = (backend - 1) * DQ_PROGRESS_DEPTH + level;
	return i < dq_progress->nslots ? &dq_progress->slots[i] : NULL;
}

/* ---------------------------------------------------------------------
 * Beginning and ending
 * --------------------------------------------------------------------- */

static void DqProgressAtExit(int code, Datum arg);

static void
DqSlotFree(DqProgressSlot *slot)
{
	DQ_SLOT_BEGIN_WRITE(slot);
	slot->pid = 0;
	pg_atomic_write_u32(&slot->scan_id, 0);
	DQ_SLOT_END_WRITE(slot);
}

/* Push an operation; its slot is filled when progress is tracked. */
static DqProgressOp *
DqPush(DqObsOp op, Oid relid, int nestlevel, DqProgressPhaseKind phase,
	   const char *job_name)
{
	DqProgressOp *o;
	DqProgressSlot *slot;
	int			level = dq_nops++;

	if (level >= DQ_PROGRESS_STACK)
		return NULL;
	if (!dq_exit_registered)
	{
		before_shmem_exit(DqProgressAtExit, (Datum) 0);
		dq_exit_registered = true;
	}
	o = &dq_ops[level];
	memset(o, 0, sizeof(*o));
	o->op = op;
	o->relid = relid;
	o->nestlevel = nestlevel;
	o->started = GetCurrentTimestamp();
	if (OidIsValid(relid))
	{
		char	   *rel = get_rel_name(relid);

		if (rel != NULL)
		{
			namestrcpy(&o->relname, rel);
			namestrcpy(&o->nspname, get_namespace_name(get_rel_namespace(relid)));
		}
	}
	if (job_name == NULL && level > 0)
		job_name = NameStr(dq_ops[level - 1].job_name);
	namestrcpy(&o->job_name, job_name ? job_name : "");

	slot = dq_track_progress ? DqSlotAt(MyBackendId, level) : NULL;
	o->slot = slot;
	if (slot == NULL)
		return o;
	DQ_SLOT_BEGIN_WRITE(slot);
	slot->pid = MyProcPid;
	slot->dbid = MyDatabaseId;
	slot->userid = GetUserId();
	slot->relid = relid;
	slot->op = (int32) op;
	slot->phase = (int32) phase;
	slot->started = o->started;
	slot->scan_started = 0;
	slot->blocks_total = -1;
	slot->rows_expected = -1;
	slot->nspname = o->nspname;
	slot->relname = o->relname;
	slot->job_name = o->job_name;
	pg_atomic_write_u32(&slot->scan_id, 0);
	pg_atomic_write_u64(&slot->blocks_done, 0);
	pg_atomic_write_u64(&slot->rows_done, 0);
	DQ_SLOT_END_WRITE(slot);
	return o;
}

/* Pop the innermost operation, counting it in dq.stats. */
static void
DqPop(int64 rows, bool failed, bool count)
{
	DqProgressOp *o;
	long		secs;
	int			usecs;

	Assert(dq_nops > 0);
	if (--dq_nops >= DQ_PROGRESS_STACK)
		return;
	o = &dq_ops[dq_nops];
	if (o->armed)
		dq_progress_scan_armed = false;
	if (rows < 0)
		rows = o->slot ? (int64) pg_atomic_read_u64(&o->slot->rows_done) : 0;
	if (o->slot != NULL)
		DqSlotFree(o->slot);
	if (count)
	{
		TimestampDifference(o->started, GetCurrentTimestamp(), &secs, &usecs);
		DqStatsRecord(o->op, o->relid, NameStr(o->nspname), NameStr(o->relname),
					  rows, secs * 1000.0 + usecs / 1000.0, failed);
	}
}

/*
 * Pop the operations begun at transaction nesting level nestlevel or
 * deeper (0: every one, jobs too).
 */
static void
DqUnwind(int nestlevel, bool failed, bool count)
{
	while (dq_nops > 0)
	{
		if (dq_nops <= DQ_PROGRESS_STACK)
		{
			DqProgressOp *o = &dq_ops[dq_nops - 1];

			if (nestlevel > 0 && (o->nestlevel == 0 || o->nestlevel < nestlevel))
				break;
		}
		DqPop(-1, failed, count);
	}
}

static void
DqProgressXactCallback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			DqUnwind(1, true, true);
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			/* an operation not ended by its code: clear its row */
			DqUnwind(1, false, false);
			break;
		default:
			break;
	}
}

static void
DqProgressSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
						  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		DqUnwind(GetCurrentTransactionNestLevel(), true, true);
}

/* The session ends (also through FATAL): free every slot. */
static void
DqProgressAtExit(int code, Datum arg)
{
	DqUnwind(0, true, true);
}

void
DqProgressBegin(DqObsOp op, Oid relid)
{
	if (dq_progress == NULL)
		return;
	(void) DqPush(op, relid, Max(GetCurrentTransactionNestLevel(), 1),
				  DQ_PHASE_PLANNING, NULL);
}

void
DqProgressEnd(int64 rows)
{
	if (dq_progress == NULL || dq_nops == 0)
		return;
	DqPop(rows, false, true);
}

void
DqProgressBeginJob(const char *job_name)
{
	if (dq_progress == NULL)
		return;
	(void) DqPush(DQ_OP_JOB, InvalidOid, 0, DQ_PHASE_RUNNING, job_name);
}

void
DqProgressEndJob(bool failed)
{
	if (dq_progress == NULL)
		return;
	/* operations of the job's command still open failed with it */
	while (dq_nops > 1)
		DqPop(-1, true, true);
	if (dq_nops == 1)
		DqPop(0, failed, true);
}

/* ---------------------------------------------------------------------
 * Phases and the scan
 * --------------------------------------------------------------------- */

/* The innermost operation, if it has a slot. */
static DqProgressOp *
DqTopOp(void)
{
	if (dq_nops == 0 || dq_nops > DQ_PROGRESS_STACK)
		return NULL;
	return &dq_ops[dq_nops - 1];
}

/*
 * Blocks of the heap tables the scan of relid reads (itself, or its
 * partitions and children), -1 when there is none; and their rows as
 * last estimated by VACUUM or ANALYZE, -1 when unknown.
 */
static void
DqScanSize(Oid relid, int64 *blocks, double *rows)
{
	List	   *rels;
	ListCell   *lc;

	*blocks = -1;
	*rows = 0;
	rels = has_subclass(relid) ? find_all_inheritors(relid, AccessShareLock, NULL) :
		list_make1_oid(relid);
	foreach(lc, rels)
	{
		Relation	rel = try_relation_open(lfirst_oid(lc), AccessShareLock);

		if (rel == NULL)
			continue;
		if (RELKIND_HAS_STORAGE(rel->rd_rel->relkind) &&
			rel->rd_rel->relam == HEAP_TABLE_AM_OID)
			*blocks = Max(*blocks, 0) + RelationGetNumberOfBlocks(rel);
		if (!RELKIND_HAS_STORAGE(rel->rd_rel->relkind))
		{
			if (rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
				*rows = -1;		/* a view or foreign table */
		}
		else if (rel->rd_rel->reltuples < 0)
			*rows = -1;			/* never vacuumed or analyzed */
		else if (*rows >= 0)
			*rows += rel->rd_rel->reltuples;
		relation_close(rel, NoLock);
	}
}

void
DqProgressPhase(DqProgressPhaseKind phase)
{
	DqProgressOp *o = DqTopOp();
	DqProgressSlot *slot;
	int64		blocks = -1;
	double		rows = -1;

	if (o == NULL)
		return;
	if (o->armed)
	{
		o->armed = false;
		dq_progress_scan_armed = false;
	}
	slot = o->slot;
	if (slot == NULL)
		return;
	if (phase == DQ_PHASE_SCANNING && OidIsValid(o->relid))
		DqScanSize(o->relid, &blocks, &rows);

	DQ_SLOT_BEGIN_WRITE(slot);
	slot->phase = (int32) phase;
	if (phase == DQ_PHASE_SCANNING)
	{
		o->scan_id = ++dq_last_scan_id;
		if (o->scan_id == 0)
			o->scan_id = ++dq_last_scan_id;
		o->last_notice = GetCurrentTimestamp();
		slot->scan_started = o->last_notice;
		slot->blocks_total = blocks;
		slot->rows_expected = rows;
		pg_atomic_write_u64(&slot->blocks_done, 0);
		pg_atomic_write_u64(&slot->rows_done, 0);
		pg_atomic_write_u32(&slot->scan_id, o->scan_id);
	}
	else
		pg_atomic_write_u32(&slot->scan_id, 0);
	DQ_SLOT_END_WRITE(slot);

	if (phase == DQ_PHASE_SCANNING && OidIsValid(o->relid))
	{
		o->armed = true;
		dq_progress_scan_armed = true;
	}
}

DqProgressSlot *
DqProgressArmedSlot(Oid *relid, uint32 *scan_id)
{
	DqProgressOp *o = DqTopOp();

	if (o == NULL || !o->armed || o->slot == NULL)
		return NULL;
	*relid = o->relid;
	*scan_id = o->scan_id;
	return o->slot;
}

void
DqProgressConsumeArm(void)
{
	DqProgressOp *o = DqTopOp();

	if (o != NULL)
		o->armed = false;
	dq_progress_scan_armed = false;
}

/* The operation of this backend that owns slot's scan scan_id. */
static DqProgressOp *
DqOpOfScan(const DqProgressSlot *slot, uint32 scan_id)
{
	for (int i = Min(dq_nops, DQ_PROGRESS_STACK) - 1; i >= 0; i--)
		if (dq_ops[i].slot == slot && dq_ops[i].scan_id == scan_id)
			return &dq_ops[i];
	return NULL;
}

void
DqProgressScanShape(DqProgressSlot *slot, uint32 scan_id, bool has_blocks,
					bool sampled)
{
	if (DqOpOfScan(slot, scan_id) == NULL || (has_blocks && !sampled))
		return;
	DQ_SLOT_BEGIN_WRITE(slot);
	if (!has_blocks)
		slot->blocks_total = -1;
	if (sampled)
		slot->rows_expected = -1;
	DQ_SLOT_END_WRITE(slot);
}

DqProgressSlot *
DqProgressLeaderSlot(Oid *relid, uint32 *scan_id)
{
	PGPROC	   *leader = MyProc ? MyProc->lockGroupLeader : NULL;

	if (leader == NULL || ParallelLeaderBackendId == InvalidBackendId)
		return NULL;
	for (int level = DQ_PROGRESS_DEPTH - 1; level >= 0; level--)
	{
		DqProgressSlot *slot = DqSlotAt(ParallelLeaderBackendId, level);
		uint32		id;

		if (slot == NULL)
			continue;
		id = pg_atomic_read_u32(&slot->scan_id);
		pg_read_barrier();
		if (id != 0 && slot->pid == leader->pid)
		{
			*relid = slot->relid;
			*scan_id = id;
			return slot;
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------------
 * Estimates and the NOTICE
 * --------------------------------------------------------------------- */

/* A consistent copy of a slot; false when it is free. */
static bool
DqSlotRead(DqProgressSlot *slot, DqProgressSlot *copy)
{
	volatile DqProgressSlot *vslot = slot;

	for (;;)
	{
		int			before = vslot->changecount;
		int			after;

		pg_read_barrier();
		memcpy(copy, slot, offsetof(DqProgressSlot, scan_id));
		pg_read_barrier();
		after = vslot->changecount;
		if (before == after && (before & 1) == 0)
			break;
		CHECK_FOR_INTERRUPTS();
	}
	return copy->pid != 0;
}

/* The scan's counters of a slot (atomics: not part of a copy). */
static void
DqSlotCounters(DqProgressSlot *slot, int64 *blocks_done, int64 *rows_done)
{
	*blocks_done = (int64) pg_atomic_read_u64(&slot->blocks_done);
	*rows_done = (int64) pg_atomic_read_u64(&slot->rows_done);
}

typedef struct DqEstimate
{
	int64		blocks_done;
	int64		rows_done;
	double		percent;		/* -1: unknown */
	int64		remaining_us;	/* -1: unknown */
	int64		elapsed_us;
} DqEstimate;

/*
 * How far the operation in copy (a copy of slot) is, and how long its scan
 * still takes.
 */
static void
DqEstimateOf(const DqProgressSlot *copy, DqProgressSlot *slot,
			 TimestampTz now, DqEstimate *e)
{
	double		frac = -1;

	DqSlotCounters(slot, &e->blocks_done, &e->rows_done);
	if (copy->blocks_total >= 0)
		e->blocks_done = Min(e->blocks_done, copy->blocks_total);
	e->elapsed_us = Max(now - copy->started, 0);
	e->percent = -1;
	e->remaining_us = -1;
	if (copy->scan_started == 0)
		return;
	if (copy->phase != DQ_PHASE_SCANNING)
	{
		e->percent = 100;
		return;
	}
	if (copy->blocks_total > 0)
		frac = (double) e->blocks_done / copy->blocks_total;
	else if (copy->blocks_total == 0)
		frac = 1;
	else if (copy->rows_expected > 0)
		frac = Min((double) e->rows_done / copy->rows_expected, 0.99);
	if (frac < 0)
		return;
	e->percent = frac * 100;
	if (frac > 0)
		e->remaining_us = (int64) ((double) Max(now - copy->scan_started, 0) *
								   (1 - frac) / frac);
}

/* 12345678 as "12,345,678" */
static void
DqAppendCount(StringInfo buf, int64 n)
{
	char		digits[32];
	int			len = snprintf(digits, sizeof(digits), INT64_FORMAT, n);

	for (int i = 0; i < len; i++)
	{
		if (i > 0 && digits[i - 1] != '-' && (len - i) % 3 == 0)
			appendStringInfoChar(buf, ',');
		appendStringInfoChar(buf, digits[i]);
	}
}

/* 4.2 s as "4.2 s", 75 s as "1 min 15 s", 7300 s as "2 h 1 min" */
static void
DqAppendDuration(StringInfo buf, int64 us)
{
	int64		s = (us + 500000) / 1000000;

	if (us < 9950000)
		appendStringInfo(buf, "%.1f s", us / 1000000.0);
	else if (s < 60)
		appendStringInfo(buf, "%d s", (int) s);
	else if (s < 3600)
		appendStringInfo(buf, "%d min %d s", (int) (s / 60), (int) (s % 60));
	else
		appendStringInfo(buf, INT64_FORMAT " h %d min", s / 3600, (int) (s % 3600 / 60));
}

/* The NOTICE of dq_lineage.progress_notice. */
static void
DqProgressNotice(DqProgressSlot *slot)
{
	DqProgressSlot copy;
	DqEstimate	e;
	StringInfoData buf;

	if (!DqSlotRead(slot, &copy))
		return;
	DqEstimateOf(&copy, slot, GetCurrentTimestamp(), &e);
	initStringInfo(&buf);
	if (copy.blocks_total >= 0)
	{
		appendStringInfo(&buf, "%d%% scanned (", (int) e.percent);
		DqAppendCount(&buf, e.blocks_done);
		appendStringInfoString(&buf, " of ");
		DqAppendCount(&buf, copy.blocks_total);
		appendStringInfoString(&buf, " blocks, ");
		DqAppendCount(&buf, e.rows_done);
		appendStringInfoString(&buf, " rows)");
	}
	else
	{
		if (e.percent >= 0)
			appendStringInfo(&buf, "about %d%% scanned (", (int) e.percent);
		DqAppendCount(&buf, e.rows_done);
		appendStringInfoString(&buf, " rows");
		if (e.percent >= 0)
		{
			appendStringInfoString(&buf, " of about ");
			DqAppendCount(&buf, (int64) copy.rows_expected);
			appendStringInfoChar(&buf, ')');
		}
		else
			appendStringInfoString(&buf, " scanned");
	}
	appendStringInfoString(&buf, ", ");
	DqAppendDuration(&buf, e.elapsed_us);
	appendStringInfoString(&buf, " elapsed");
	if (e.remaining_us >= 0)
	{
		appendStringInfoString(&buf, ", about ");
		DqAppendDuration(&buf, e.remaining_us);
		appendStringInfoString(&buf, " left");
	}
	ereport(NOTICE,
			(errmsg("%s of %s: %s", DqObsOpName((DqObsOp) copy.op),
					quote_qualified_identifier(NameStr(copy.nspname),
											   NameStr(copy.relname)),
					buf.data)));
	pfree(buf.data);
}

void
DqProgressLeaderTick(DqProgressSlot *slot, uint32 scan_id, bool ended)
{
	DqProgressOp *o = DqOpOfScan(slot, scan_id);

	if (o == NULL)
		return;
	if (ended && slot->phase == DQ_PHASE_SCANNING)
	{
		/* the leader's part is done: every block has been handed out */
		if (slot->blocks_total >= 0)
			pg_atomic_write_u64(&slot->blocks_done, (uint64) slot->blocks_total);
		DQ_SLOT_BEGIN_WRITE(slot);
		slot->phase = DQ_PHASE_MERGING;
		DQ_SLOT_END_WRITE(slot);
		return;
	}
	if (dq_progress_notice > 0 && !ended)
	{
		TimestampTz now = GetCurrentTimestamp();

		if (TimestampDifferenceExceeds(o->last_notice, now, dq_progress_notice))
		{
			o->last_notice = now;
			DqProgressNotice(slot);
		}
	}
}

/* ---------------------------------------------------------------------
 * dq.progress
 * --------------------------------------------------------------------- */

static Datum
DqNameDatum(const char *str)
{
	Name		n = palloc(NAMEDATALEN);

	namestrcpy(n, str);
	return NameGetDatum(n);
}

static Datum
DqIntervalDatum(int64 us)
{
	Interval   *iv = palloc0(sizeof(Interval));

	iv->time = us;
	return IntervalPGetDatum(iv);
}

/*
 * dq_internal.progress_rows(): one row per running operation.  Like
 * pg_stat_activity, a row shows what runs on which relation only to roles
 * with the privileges of its role and to members of pg_read_all_stats;
 * others see the process, database, role and kind of work.
 */
Datum
dq_progress_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TimestampTz now = GetCurrentTimestamp();
	bool		all_stats;

	if (dq_progress == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dq.progress is not available"),
				 errdetail("Progress is reported in shared memory, which the library sets up only when it is preloaded."),
				 errhint("Add dq_lineage to shared_preload_libraries and restart the server.")));
	InitMaterializedSRF(fcinfo, 0);
	all_stats = has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);

	for (int i = 0; i < dq_progress->nslots; i++)
	{
		DqProgressSlot *slot = &dq_progress->slots[i];
		DqProgressSlot copy;
		DqEstimate	e;
		Datum		values[16];
		bool		nulls[16];
		char	   *name;

		if (slot->pid == 0 || !DqSlotRead(slot, &copy))
			continue;
		memset(nulls, true, sizeof(nulls));
		values[0] = Int32GetDatum(copy.pid);
		nulls[0] = false;
		name = get_database_name(copy.dbid);
		values[1] = DqNameDatum(name ? name : "");
		nulls[1] = (name == NULL);
		name = GetUserNameFromId(copy.userid, true);
		values[2] = DqNameDatum(name ? name : "");
		nulls[2] = (name == NULL);
		values[3] = CStringGetTextDatum(DqObsOpName((DqObsOp) copy.op));
		nulls[3] = false;
		if (all_stats || has_privs_of_role(GetUserId(), copy.userid))
		{
			DqEstimateOf(&copy, slot, now, &e);
			if (OidIsValid(copy.relid))
			{
				values[4] = ObjectIdGetDatum(copy.relid);
				nulls[4] = false;
				values[5] = NameGetDatum(&copy.nspname);
				values[6] = NameGetDatum(&copy.relname);
				nulls[5] = nulls[6] = (NameStr(copy.relname)[0] == '\0');
			}
			values[7] = CStringGetTextDatum(dq_phase_names[copy.phase]);
			nulls[7] = false;
			values[8] = Int64GetDatum(copy.blocks_total);
			values[9] = Int64GetDatum(e.blocks_done);
			nulls[8] = nulls[9] = (copy.blocks_total < 0);
			values[10] = Int64GetDatum(e.rows_done);
			nulls[10] = (copy.scan_started == 0);
			values[11] = Float8GetDatum(e.percent);
			nulls[11] = (e.percent < 0);
			values[12] = TimestampTzGetDatum(copy.started);
			values[13] = DqIntervalDatum(e.elapsed_us);
			nulls[12] = nulls[13] = false;
			values[14] = DqIntervalDatum(e.remaining_us);
			nulls[14] = (e.remaining_us < 0);
			values[15] = CStringGetTextDatum(NameStr(copy.job_name));
			nulls[15] = (NameStr(copy.job_name)[0] == '\0');
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ---------------------------------------------------------------------
 * Setup
 * --------------------------------------------------------------------- */

/* From _PG_init while preloading: the executor hook and the callbacks. */
void
DqProgressInit(void)
{
	DqProgressScanInit();
	RegisterXactCallback(DqProgressXactCallback, NULL);
	RegisterSubXactCallback(DqProgressSubXactCallback, NULL);
}
