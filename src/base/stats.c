/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  Cumulative counters of the extension's work: dq.stats and
 *	  dq.stats_reset().
 *
 * Design note.  A shared hash table, sized by dq_lineage.stats_max at
 * server start, holds one entry per (database, relation, operation): a
 * profile of a table, the validations of another, the change validation
 * and the jobs of a database.  As in pg_stat_statements, the LWLock of
 * the tranche "dq_lineage stats" guards the table's structure: shared to
 * find an entry, exclusive to add one or to reset; the counters of an
 * entry are updated under its spinlock while the lock is held shared.
 * Once the table holds dq_lineage.stats_max entries, a relation without
 * an entry of its own is counted in its operation's entry without a
 * relation (relid 0), so that nothing is lost and memory stays bounded;
 * entries without a relation (jobs, change validation, alerts, and these)
 * have DQ_STATS_RESERVE more places.
 *
 * Persistence: at a clean shutdown the postmaster writes the table to
 * pg_stat/dq_lineage.stat and reads it back at the next start (then
 * deletes the file); after a crash the counters start from zero, like
 * PostgreSQL's own cumulative statistics.  Counters are not
 * transactional: an operation rolled back is counted as a failure.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "base/guc.h"
#include "base/stats.h"

PG_FUNCTION_INFO_V1(dq_stats_rows);
PG_FUNCTION_INFO_V1(dq_stats_reset);

#define DQ_STATS_FILE	PGSTAT_STAT_PERMANENT_DIRECTORY "/dq_lineage.stat"
#define DQ_STATS_MAGIC	0x44515354	/* "DQST" */
#define DQ_STATS_FORMAT 1
#define DQ_STATS_TRANCHE "dq_lineage stats"
/* room for the entries without a relation, beyond dq_lineage.stats_max */
#define DQ_STATS_RESERVE 256

typedef struct DqStatsKey
{
	Oid			dbid;
	Oid			relid;			/* InvalidOid: none, or beyond stats_max */
	int32		op;				/* DqObsOp */
} DqStatsKey;

typedef struct DqStatsCounters
{
	int64		calls;
	int64		failures;
	int64		skipped;
	int64		rows;
	int64		violations;
	double		total_ms;
	double		max_ms;
	TimestampTz last_at;
} DqStatsCounters;

typedef struct DqStatsEntry
{
	DqStatsKey	key;			/* hash key: first */
	NameData	nspname;		/* of relid when the entry was made */
	NameData	relname;
	DqStatsCounters c;			/* under mutex */
	slock_t		mutex;
} DqStatsEntry;

typedef struct DqStatsShared
{
	LWLock	   *lock;
	int			nentries;		/* under lock */
	TimestampTz reset_at;		/* under lock */
} DqStatsShared;

static DqStatsShared *dq_stats = NULL;
static HTAB *dq_stats_hash = NULL;

static const char *const dq_op_names[DQ_OP_COUNT] = {
	"profile", "validation", "check", "monitor", "backfill", "job", "cdc", "alert"
};

const char *
DqObsOpName(DqObsOp op)
{
	return ((int) op >= 0 && (int) op < DQ_OP_COUNT) ? dq_op_names[op] : "unknown";
}

/* Whether an operation counts per relation (else relid is always 0). */
static bool
DqStatsPerRelation(DqObsOp op)
{
	return op == DQ_OP_PROFILE || op == DQ_OP_VALIDATION ||
		op == DQ_OP_CHECK || op == DQ_OP_MONITOR || op == DQ_OP_BACKFILL;
}

Size
DqStatsShmemSize(void)
{
	return add_size(MAXALIGN(sizeof(DqStatsShared)),
					hash_estimate_size(dq_stats_max + DQ_STATS_RESERVE,
									   sizeof(DqStatsEntry)));
}

void
DqStatsShmemRequest(void)
{
	RequestAddinShmemSpace(DqStatsShmemSize());
	RequestNamedLWLockTranche(DQ_STATS_TRANCHE, 1);
}

/*
 * Add an entry (the lock held exclusively), or NULL when the table is
 * full.  The names are copied when given.
 */
static DqStatsEntry *
DqStatsInsert(const DqStatsKey *key, const char *nspname, const char *relname)
{
	DqStatsEntry *e;
	bool		found;

	e = hash_search(dq_stats_hash, key, HASH_FIND, NULL);
	if (e != NULL)
		return e;
	if (dq_stats->nentries >= dq_stats_max && OidIsValid(key->relid))
		return NULL;
	e = hash_search(dq_stats_hash, key, HASH_ENTER_NULL, &found);
	if (e == NULL || found)
		return e;
	dq_stats->nentries++;
	memset(&e->c, 0, sizeof(e->c));
	SpinLockInit(&e->mutex);
	namestrcpy(&e->nspname, nspname ? nspname : "");
	namestrcpy(&e->relname, relname ? relname : "");
	return e;
}

/* Write the table to DQ_STATS_FILE: postmaster, clean shutdown. */
static void
DqStatsSave(int code, Datum arg)
{
	FILE	   *f;
	HASH_SEQ_STATUS seq;
	DqStatsEntry *e;
	uint32		header[2] = {DQ_STATS_MAGIC, DQ_STATS_FORMAT};
	int32		n;

	if (code != 0 || dq_stats == NULL || dq_stats_hash == NULL)
		return;
	f = AllocateFile(DQ_STATS_FILE ".tmp", PG_BINARY_W);
	if (f == NULL)
		goto error;
	n = (int32) hash_get_num_entries(dq_stats_hash);
	if (fwrite(header, sizeof(header), 1, f) != 1 ||
		fwrite(&dq_stats->reset_at, sizeof(TimestampTz), 1, f) != 1 ||
		fwrite(&n, sizeof(n), 1, f) != 1)
		goto error;
	hash_seq_init(&seq, dq_stats_hash);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		if (fwrite(e, offsetof(DqStatsEntry, mutex), 1, f) != 1)
		{
			hash_seq_term(&seq);
			goto error;
		}
	}
	if (FreeFile(f))
	{
		f = NULL;
		goto error;
	}
	(void) durable_rename(DQ_STATS_FILE ".tmp", DQ_STATS_FILE, LOG);
	return;

error:
	ereport(LOG,
			(errcode_for_file_access(),
			 errmsg("could not write file \"%s\": %m", DQ_STATS_FILE ".tmp")));
	if (f)
		FreeFile(f);
	unlink(DQ_STATS_FILE ".tmp");
}

/* Read the table saved at the last clean shutdown, then delete the file. */
static void
DqStatsLoad(void)
{
	FILE	   *f = AllocateFile(DQ_STATS_FILE, PG_BINARY_R);
	uint32		header[2];
	int32		n;
	TimestampTz reset_at;

	if (f == NULL)
	{
		if (errno != ENOENT)
			ereport(LOG,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", DQ_STATS_FILE)));
		return;
	}
	if (fread(header, sizeof(header), 1, f) != 1 ||
		header[0] != DQ_STATS_MAGIC || header[1] != DQ_STATS_FORMAT ||
		fread(&reset_at, sizeof(reset_at), 1, f) != 1 ||
		fread(&n, sizeof(n), 1, f) != 1)
		goto bad;
	dq_stats->reset_at = reset_at;
	for (int32 i = 0; i < n; i++)
	{
		DqStatsEntry buf;
		DqStatsEntry *e;

		if (fread(&buf, offsetof(DqStatsEntry, mutex), 1, f) != 1)
			goto bad;
		e = DqStatsInsert(&buf.key, NameStr(buf.nspname), NameStr(buf.relname));
		if (e != NULL)
			e->c = buf.c;
	}
	FreeFile(f);
	unlink(DQ_STATS_FILE);
	return;

bad:
	ereport(LOG,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("ignoring invalid dq_lineage statistics file \"%s\"", DQ_STATS_FILE)));
	FreeFile(f);
	unlink(DQ_STATS_FILE);
}

void
DqStatsShmemInit(void)
{
	bool		found;
	HASHCTL		info;

	dq_stats = ShmemInitStruct("dq_lineage stats", sizeof(DqStatsShared), &found);
	if (!found)
	{
		dq_stats->lock = &(GetNamedLWLockTranche(DQ_STATS_TRANCHE))->lock;
		dq_stats->nentries = 0;
		dq_stats->reset_at = GetCurrentTimestamp();
	}
	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(DqStatsKey);
	info.entrysize = sizeof(DqStatsEntry);
	dq_stats_hash = ShmemInitHash("dq_lineage stats hash",
								  dq_stats_max + DQ_STATS_RESERVE,
								  dq_stats_max + DQ_STATS_RESERVE,
								  &info, HASH_ELEM | HASH_BLOBS);
	if (!IsUnderPostmaster && !found)
	{
		DqStatsLoad();
		on_shmem_exit(DqStatsSave, (Datum) 0);
	}
}

/*
 * Apply delta to the entry of (op, relid) in the current database, making
 * the entry when needed (nspname/relname NULL: looked up, which needs a
 * transaction; outside one the entry gets no names).
 */
static void
DqStatsApply(DqObsOp op, Oid relid, const char *nspname, const char *relname,
			 const DqStatsCounters *delta)
{
	DqStatsKey	key;
	DqStatsEntry *e;

	if (dq_stats == NULL || !OidIsValid(MyDatabaseId))
		return;
	memset(&key, 0, sizeof(key));
	key.dbid = MyDatabaseId;
	key.relid = DqStatsPerRelation(op) ? relid : InvalidOid;
	key.op = (int32) op;

	LWLockAcquire(dq_stats->lock, LW_SHARED);
	e = hash_search(dq_stats_hash, &key, HASH_FIND, NULL);
	if (e == NULL)
	{
		char	   *nsp = NULL;
		char	   *rel = NULL;

		LWLockRelease(dq_stats->lock);
		if (OidIsValid(key.relid) && relname == NULL && IsTransactionState())
		{
			rel = get_rel_name(key.relid);
			nsp = rel ? get_namespace_name(get_rel_namespace(key.relid)) : NULL;
		}
		LWLockAcquire(dq_stats->lock, LW_EXCLUSIVE);
		e = DqStatsInsert(&key, relname ? nspname : nsp, relname ? relname : rel);
		if (e == NULL)
		{
			/* full: the operation's entry without a relation */
			key.relid = InvalidOid;
			e = DqStatsInsert(&key, NULL, NULL);
		}
		if (e == NULL)
		{
			LWLockRelease(dq_stats->lock);
			return;
		}
	}
	SpinLockAcquire(&e->mutex);
	e->c.calls += delta->calls;
	e->c.failures += delta->failures;
	e->c.skipped += delta->skipped;
	e->c.rows += delta->rows;
	e->c.violations += delta->violations;
	e->c.total_ms += delta->total_ms;
	if (delta->max_ms > e->c.max_ms)
		e->c.max_ms = delta->max_ms;
	if (delta->last_at > e->c.last_at)
		e->c.last_at = delta->last_at;
	SpinLockRelease(&e->mutex);
	LWLockRelease(dq_stats->lock);
}

void
DqStatsRecord(DqObsOp op, Oid relid, const char *nspname, const char *relname,
			  int64 rows, double ms, bool failed)
{
	DqStatsCounters d;

	memset(&d, 0, sizeof(d));
	d.calls = 1;
	d.failures = failed ? 1 : 0;
	d.rows = Max(rows, 0);
	d.total_ms = ms;
	d.max_ms = ms;
	d.last_at = GetCurrentTimestamp();
	DqStatsApply(op, relid, nspname, relname, &d);
}

/* What each DqStatKind counts: the operation and the counter it adds to. */
static const struct
{
	DqObsOp		op;
	size_t		counter;		/* offset of an int64 in DqStatsCounters */
}			DqStatKinds[] = {
	[DQ_STAT_ALERTS_SENT] = {DQ_OP_ALERT, offsetof(DqStatsCounters, calls)},
	[DQ_STAT_ALERTS_FAILED] = {DQ_OP_ALERT, offsetof(DqStatsCounters, failures)},
	[DQ_STAT_CDC_BATCHES] = {DQ_OP_CDC, offsetof(DqStatsCounters, calls)},
	[DQ_STAT_CDC_CHANGES] = {DQ_OP_CDC, offsetof(DqStatsCounters, rows)},
	[DQ_STAT_CDC_VIOLATIONS] = {DQ_OP_CDC, offsetof(DqStatsCounters, violations)},
	[DQ_STAT_JOBS_SKIPPED] = {DQ_OP_JOB, offsetof(DqStatsCounters, skipped)},
};

void
DqStatsCount(DqStatKind kind, int64 n)
{
	DqStatsCounters d;

	if (n == 0)
		return;
	if ((int) kind < 0 || kind >= lengthof(DqStatKinds))
		elog(ERROR, "unrecognized statistics kind %d", (int) kind);
	memset(&d, 0, sizeof(d));
	*(int64 *) ((char *) &d + DqStatKinds[kind].counter) = n;
	d.last_at = GetCurrentTimestamp();
	DqStatsApply(DqStatKinds[kind].op, InvalidOid, NULL, NULL, &d);
}

/* ERROR unless the counters exist (the library was preloaded). */
static void
DqStatsRequireShmem(void)
{
	if (dq_stats == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dq_lineage statistics are not available"),
				 errdetail("The counters live in shared memory, which the library sets up only when it is preloaded."),
				 errhint("Add dq_lineage to shared_preload_libraries and restart the server.")));
}

/*
 * dq_internal.stats_rows(): the entries; those of other databases only
 * for members of pg_read_all_stats (and superusers).
 */
Datum
dq_stats_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		all_dbs;
	HASH_SEQ_STATUS seq;
	DqStatsEntry *e;
	TimestampTz reset_at;

	DqStatsRequireShmem();
	InitMaterializedSRF(fcinfo, 0);
	all_dbs = has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);

	LWLockAcquire(dq_stats->lock, LW_SHARED);
	reset_at = dq_stats->reset_at;
	hash_seq_init(&seq, dq_stats_hash);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		Datum		values[14];
		bool		nulls[14];
		DqStatsCounters c;
		bool		named;

		if (e->key.dbid != MyDatabaseId && !all_dbs)
			continue;
		SpinLockAcquire(&e->mutex);
		c = e->c;
		SpinLockRelease(&e->mutex);
		memset(nulls, 0, sizeof(nulls));
		named = OidIsValid(e->key.relid) && NameStr(e->relname)[0] != '\0';
		values[0] = ObjectIdGetDatum(e->key.dbid);
		values[1] = CStringGetTextDatum(DqObsOpName((DqObsOp) e->key.op));
		values[2] = ObjectIdGetDatum(e->key.relid);
		nulls[2] = !OidIsValid(e->key.relid);
		values[3] = NameGetDatum(&e->nspname);
		nulls[3] = !named;
		values[4] = NameGetDatum(&e->relname);
		nulls[4] = !named;
		values[5] = Int64GetDatum(c.calls);
		values[6] = Int64GetDatum(c.failures);
		values[7] = Int64GetDatum(c.skipped);
		values[8] = Int64GetDatum(c.rows);
		values[9] = Int64GetDatum(c.violations);
		values[10] = Float8GetDatum(c.total_ms);
		values[11] = Float8GetDatum(c.max_ms);
		values[12] = TimestampTzGetDatum(c.last_at);
		nulls[12] = (c.last_at == 0);
		values[13] = TimestampTzGetDatum(reset_at);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	LWLockRelease(dq_stats->lock);
	return (Datum) 0;
}

/* dq.stats_reset(): forget every counter (EXECUTE is not granted to PUBLIC). */
Datum
dq_stats_reset(PG_FUNCTION_ARGS)
{
	HASH_SEQ_STATUS seq;
	DqStatsEntry *e;
	TimestampTz now = GetCurrentTimestamp();

	DqStatsRequireShmem();
	LWLockAcquire(dq_stats->lock, LW_EXCLUSIVE);
	hash_seq_init(&seq, dq_stats_hash);
	while ((e = hash_seq_search(&seq)) != NULL)
		hash_search(dq_stats_hash, &e->key, HASH_REMOVE, NULL);
	dq_stats->nentries = 0;
	dq_stats->reset_at = now;
	LWLockRelease(dq_stats->lock);
	PG_RETURN_TIMESTAMPTZ(now);
}
