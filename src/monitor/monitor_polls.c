/*-------------------------------------------------------------------------
 *
 * monitor_polls.c
 *	  The measurements of freshness, volume and schema monitors: polls of
 *	  the statistics counters, of max(<timestamp column>) through an index,
 *	  of an exact count when asked, and of the column snapshot.  See
 *	  monitor_run.c for how a run records and judges what they measure.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "base/catalog.h"
#include "base/json_build.h"
#include "base/spi_util.h"
#include "base/subxact.h"
#include "base/trust.h"
#include "monitor/column_sketch.h"
#include "monitor/monitor.h"
#include "monitor/monitor_run.h"

/* ---------------------------------------------------------------------
 * Freshness and volume
 * ---------------------------------------------------------------------
 */

/*
 * Cumulative counters of a table (summed over the partitions of a
 * partitioned one): inserted, updated, deleted rows and live rows.
 */
static void
DqRunCounters(Oid relid, int64 *c)
{
	char		relkind = get_rel_relkind(relid);
	List	   *rels;
	ListCell   *lc;

	memset(c, 0, sizeof(int64) * 4);
	if (relkind == RELKIND_PARTITIONED_TABLE)
		rels = find_all_inheritors(relid, NoLock, NULL);
	else
		rels = list_make1_oid(relid);
	foreach(lc, rels)
	{
		Oid			r = lfirst_oid(lc);
		PgStat_StatTabEntry *e;

		if (get_rel_relkind(r) != RELKIND_RELATION && get_rel_relkind(r) != RELKIND_MATVIEW)
			continue;
		e = pgstat_fetch_stat_tabentry(r);
		if (e == NULL)
			continue;
		c[0] += e->tuples_inserted;
		c[1] += e->tuples_updated;
		c[2] += e->tuples_deleted;
		c[3] += e->n_live_tuples;
	}
}

/*
 * What change validation recorded of a relation and its partitions
 * (dq.cdc_table_activity): the last commit time and the cumulative rows
 * inserted, updated and deleted in c[0..2].  False when no change of it
 * was decoded yet.
 */
static bool
DqRunCdcActivity(Oid relid, TimestampTz *last, int64 *c)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[1] = {OIDOID};
	Datum		values[1];
	bool		isnull;
	Datum		d;

	values[0] = ObjectIdGetDatum(relid);
	DqSpiCached(&plan, "SELECT pg_catalog.max(a.last_commit_time), "
				"  pg_catalog.sum(a.rows_inserted)::pg_catalog.int8, "
				"  pg_catalog.sum(a.rows_updated)::pg_catalog.int8, "
				"  pg_catalog.sum(a.rows_deleted)::pg_catalog.int8 "
				"FROM dq.cdc_table_activity a "
				"WHERE a.relid::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (pg_catalog.array_append("
				"  ARRAY(SELECT t.relid::pg_catalog.oid FROM pg_catalog.pg_partition_tree($1) t), $1))",
				1, types, values, NULL, true, SPI_OK_SELECT, "read dq.cdc_table_activity");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	memset(c, 0, sizeof(int64) * 3);
	if (isnull)
		return false;
	*last = DatumGetTimestampTz(d);
	for (int i = 0; i < 3; i++)
		c[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
										   i + 2, &isnull));
	return true;
}

/*
 * Is the relation validated by change validation: watched itself, or a
 * partition of a watched table?  The caller is connected to SPI.
 */
bool
DqMonitorWatched(Oid relid)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[1] = {OIDOID};
	Datum		values[1];

	values[0] = ObjectIdGetDatum(relid);
	DqSpiCached(&plan, "SELECT 1 FROM dq.watched_tables w "
				"WHERE w.relid::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (pg_catalog.array_append("
				"  ARRAY(SELECT p::pg_catalog.oid FROM pg_catalog.pg_partition_ancestors($1) p), $1))",
				1, types, values, NULL, true, SPI_OK_SELECT, "read dq.watched_tables");
	return SPI_processed > 0;
}

/* Source cdc asked for a relation that change validation does not watch. */
void
DqMonitorNotWatched(Oid relid)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("relation \"%s\" is not watched by change validation", get_rel_name(relid)),
			 errhint("Call dq.watch() on it first, or use source auto.")));
}

/*
 * Whether a freshness or volume poll reads the change stream: source cdc
 * (which needs the relation watched), or auto on a watched relation.
 */
static bool
DqRunUsesCdc(DqRun *run)
{
	bool		watched;

	if (strcmp(run->cfg.source, "stats") == 0)
		return false;
	watched = DqMonitorWatched(run->def->relid);
	if (!watched && strcmp(run->cfg.source, "cdc") == 0)
		DqMonitorNotWatched(run->def->relid);
	return watched;
}

/*
 * Judge an age whose relation last changed at "basis" (Unix seconds).  A
 * staleness is one anomaly: while the relation stays unchanged after an
 * age was flagged, later polls record the age without judging it again
 * (the detector leaves those points out of training by itself when it
 * next judges).  The first change ends the episode.
 */
static void
DqRunJudgeAge(DqRun *run, double basis)
{
	double		stale;
	int			before = run->anomalies;

	if (DqStateNumber(run, "stale_since", &stale) && fabs(stale - basis) < 1e-3)
		return;
	DqRunJudge(run, "age_seconds", &run->now, 1);
	if (run->anomalies > before)
		DqJsonFloat(&run->state, "stale_since", basis);
	else
		DqJsonNull(&run->state, "stale_since");
}

/* Freshness from max(<timestamp column>), read through its index. */
static void
DqRunFreshnessTimestamp(DqRun *run)
{
	int16		att = DqMonitorColumnAttnum(run->def->relid, run->cfg.timestamp_column,
										   "timestamp_column");
	char	   *sql;
	DqOwnerContext own;
	bool		isnull;
	Datum		d;

	if (!run->cfg.allow_scan && !DqMonitorHasLeadingIndex(run->def->relid, att))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("column \"%s\" has no index any more: reading its maximum would scan the whole relation",
						run->cfg.timestamp_column),
				 errhint("Create a btree index on the column, or set \"allow_scan\": true.")));
	sql = psprintf("SELECT pg_catalog.max(%s)::pg_catalog.timestamptz FROM %s",
				   quote_identifier(run->cfg.timestamp_column),
				   quote_qualified_identifier(run->nspname, run->relname));
	DqBecomeOwner(run->def->owner, &own);
	DqSpiRun(sql, false, SPI_OK_SELECT, sql);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	DqRestoreUser(&own);
	DqJsonText(&run->state, "source", "timestamp");
	if (isnull || TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(d)))
		return;					/* no rows: nothing to judge */
	DqRunRecord(run, "age_seconds", run->now,
				(double) (run->now - DatumGetTimestampTz(d)) / USECS_PER_SEC);
	DqRunJudgeAge(run, DqToUnix(DatumGetTimestampTz(d)));
}

/*
 * Freshness from the change stream: the relation last changed at the
 * commit time of its last decoded change, exactly.  Before any change of
 * it was decoded, the age runs from the monitor's first poll.
 */
static void
DqRunFreshnessCdc(DqRun *run)
{
	TimestampTz last;
	int64		c[3];
	double		now = DqToUnix(run->now);
	double		first_poll;
	double		basis;
	bool		have_first = DqStateNumber(run, "first_poll_at", &first_poll);

	DqJsonText(&run->state, "source", "cdc");
	DqJsonFloat(&run->state, "first_poll_at", have_first ? first_poll : now);
	DqJsonFloat(&run->state, "polled_at", now);
	if (DqRunCdcActivity(run->def->relid, &last, c))
		basis = Min(now, DqToUnix(last));
	else if (have_first)
		basis = first_poll;
	else
		return;					/* nothing known yet */
	DqRunRecord(run, "age_seconds", run->now, now - basis);
	DqRunJudgeAge(run, basis);
}

/*
 * Freshness from the statistics counters: the relation changed between
 * the previous poll and this one when its counters moved.  A relation
 * watched by change validation is dated by the change stream instead.
 */
void
DqRunFreshness(DqRun *run)
{
	int64		c[4];
	int64		changes;
	double		prev_changes;
	double		changed_at;
	double		first_poll;
	double		prev_poll = 0;
	double		now = DqToUnix(run->now);
	bool		have_prev = DqStateNumber(run, "changes", &prev_changes);
	bool		have_changed = DqStateNumber(run, "changed_at", &changed_at);

	if (strcmp(run->cfg.source, "timestamp") == 0)
	{
		DqRunFreshnessTimestamp(run);
		return;
	}
	if (DqRunUsesCdc(run))
	{
		DqRunFreshnessCdc(run);
		return;
	}
	DqRunCounters(run->def->relid, c);
	changes = c[0] + c[1] + c[2];
	if (!DqStateNumber(run, "first_poll_at", &first_poll))
		first_poll = now;
	(void) DqStateNumber(run, "polled_at", &prev_poll);
	/* the counters of a poll from the change stream do not compare */
	if (have_prev && DqStateString(run, "source") != NULL &&
		strcmp(DqStateString(run, "source"), "stats") != 0)
		have_prev = false;

	/*
	 * Counters that moved say the relation changed since the previous
	 * poll: its last change is taken at that poll, the earliest it can
	 * have been, so that the age is never underestimated and staleness is
	 * flagged within one poll interval of the band's edge.
	 */
	if (have_prev && changes > (int64) prev_changes)
	{
		changed_at = prev_poll;
		have_changed = true;
	}
	DqJsonText(&run->state, "source", "stats");
	DqJsonInt(&run->state, "changes", changes);
	DqJsonFloat(&run->state, "first_poll_at", first_poll);
	DqJsonFloat(&run->state, "polled_at", now);
	if (have_changed)
		DqJsonFloat(&run->state, "changed_at", changed_at);
	if (!have_prev || changes < (int64) prev_changes)
		return;					/* first poll, or counters reset */
	DqRunRecord(run, "age_seconds", run->now,
				now - (have_changed ? changed_at : first_poll));
	DqRunJudgeAge(run, have_changed ? changed_at : first_poll);
}

/* Volume from count(*) at each poll (option exact). */
static void
DqRunVolumeExact(DqRun *run)
{
	char	   *sql = psprintf("SELECT pg_catalog.count(*) FROM %s",
							   quote_qualified_identifier(run->nspname, run->relname));
	DqOwnerContext own;
	bool		isnull;
	int64		count;
	double		prev;
	bool		have_prev;

	DqBecomeOwner(run->def->owner, &own);
	DqSpiRun(sql, false, SPI_OK_SELECT, sql);
	count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	DqRestoreUser(&own);
	have_prev = DqStateNumber(run, "count", &prev);
	DqJsonInt(&run->state, "count", count);
	DqRunRecord(run, "row_count", run->now, (double) count);
	if (have_prev)
		DqRunRecord(run, "rows_added", run->now, (double) count - prev);
	if (have_prev || strcmp(run->cfg.metric, "row_count") == 0)
		DqRunJudge(run, run->cfg.metric, &run->now, 1);
}

/*
 * Volume from cumulative counters of rows inserted, updated and deleted:
 * the change stream's (exact, counted once per committed change) for a
 * watched relation, else the statistics collector's.  Each poll records
 * what they moved by since the previous one; row_count is the statistics'
 * live-row estimate either way.
 */
void
DqRunVolume(DqRun *run)
{
	double		prev[3];
	bool		have_prev;
	int64		c[4];
	bool		cdc;
	char	   *prev_source;

	if (run->cfg.exact)
	{
		DqRunVolumeExact(run);
		return;
	}
	cdc = DqRunUsesCdc(run);
	DqRunCounters(run->def->relid, c);
	if (cdc)
	{
		TimestampTz last;

		(void) DqRunCdcActivity(run->def->relid, &last, c);
	}
	/* counters of the other source do not compare (no source: stats) */
	prev_source = DqStateString(run, "source");
	have_prev = strcmp(prev_source ? prev_source : "stats", cdc ? "cdc" : "stats") == 0 &&
		DqStateNumber(run, "inserted", &prev[0]) &&
		DqStateNumber(run, "updated", &prev[1]) &&
		DqStateNumber(run, "deleted", &prev[2]);
	DqJsonText(&run->state, "source", cdc ? "cdc" : "stats");
	DqJsonInt(&run->state, "inserted", c[0]);
	DqJsonInt(&run->state, "updated", c[1]);
	DqJsonInt(&run->state, "deleted", c[2]);
	if (!have_prev || c[0] < (int64) prev[0] || c[1] < (int64) prev[1] ||
		c[2] < (int64) prev[2])
		return;					/* first poll, or counters reset */
	DqRunRecord(run, "rows_inserted", run->now, (double) (c[0] - (int64) prev[0]));
	DqRunRecord(run, "rows_updated", run->now, (double) (c[1] - (int64) prev[1]));
	DqRunRecord(run, "rows_deleted", run->now, (double) (c[2] - (int64) prev[2]));
	DqRunRecord(run, "rows_added", run->now,
				(double) ((c[0] - (int64) prev[0]) - (c[2] - (int64) prev[2])));
	DqRunRecord(run, "row_count", run->now, (double) c[3]);
	DqRunJudge(run, run->cfg.metric, &run->now, 1);
}

void
DqRunSchema(DqRun *run)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	int			ncols = 0;
	int			i;
	Relation	rel = relation_open(run->def->relid, AccessShareLock);

	for (i = 0; i < RelationGetDescr(rel)->natts; i++)
		if (!TupleDescAttr(RelationGetDescr(rel), i)->attisdropped)
			ncols++;
	relation_close(rel, AccessShareLock);
	values[0] = Int64GetDatum(run->def->id);
	/* the changes it finds are recorded as anomalies by the SQL function */
	DqRunAsOwner("SELECT dq_internal.monitor_schema_sync($1, NULL, NULL, 'scheduled check')",
				 1, types, values, NULL, SPI_OK_SELECT, "compare the column snapshot");
	DqRunRecord(run, "column_count", run->now, ncols);
}
