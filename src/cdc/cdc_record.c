/*-------------------------------------------------------------------------
 *
 * cdc_record.c
 *	  What a pass of the change validation worker writes: violations (with
 *	  NOTIFY), copies of violating rows in quarantine tables, rules found
 *	  broken, and the activity of each watched table (its last commit and
 *	  the rows inserted, updated and deleted, which monitors read).
 *
 * Everything here runs in the pass's transaction (cdc_worker.c), so that
 * it commits together with dq.cdc_state.processed_lsn, exactly once.  The
 * writes to the extension's tables are made as the extension owner with
 * search_path pinned (the caller's DqBecomeExtensionOwner), by SQL that
 * names every function and operator with its schema.
 *
 * Quarantine.  A quarantine table has the watched table's column types,
 * domains included, and building a row of those types from the row's text
 * values runs their input functions and domain CHECKs: that is done as
 * the watched table's owner, restricted (DqBecomeOwner), with
 * jsonb_populate_record.  The typed values are then inserted as the
 * extension owner with parameters of exactly the columns' types, which
 * PostgreSQL stores without evaluating anything (a value of a domain type
 * assigned to a column of that type is not checked again).  Only the
 * columns that the quarantine table still shares with the watched table,
 * by name and type, are copied.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_lsn.h"
#include "utils/rel.h"

#include "base/spi_util.h"
#include "base/subxact.h"
#include "base/trust.h"
#include "cdc/cdc_internal.h"
#include "cdc/cdc_worker.h"
#include "cdc/decoder.h"

/* rules found broken while dq.cdc_rule_errors is missing (0.1.0 catalog) */
static int64 *dq_cdc_broken_mem = NULL;
static int	dq_cdc_nbroken_mem = 0;

/* one column a quarantine table shares with its watched table */
typedef struct DqCdcQCol
{
	char	   *name;
	Oid			typid;
	int16		typlen;
	bool		typbyval;
} DqCdcQCol;

/* what one quarantine copy needs */
typedef struct DqCdcQuarantineArgs
{
	Oid			relid;			/* the watched table */
	Oid			qrelid;			/* its quarantine table */
	Datum		lines;			/* text[] of violation lines */
	DqCdcQCol  *cols;
	int			ncols;
	/* rows built by the table's owner: position and values */
	int			nrows;
	XLogRecPtr *lsns;
	int32	   *seqs;
	Datum	  **values;
	bool	  **nulls;
} DqCdcQuarantineArgs;

/* The columns the quarantine table shares with the watched table. */
static DqCdcQCol *
DqCdcQuarantineColumns(Oid relid, Oid qrelid, int *ncols)
{
	Relation	rel = try_relation_open(relid, AccessShareLock);
	Relation	qrel;
	TupleDesc	td;
	DqCdcQCol  *cols;

	*ncols = 0;
	if (rel == NULL)
		return NULL;
	qrel = try_relation_open(qrelid, AccessShareLock);
	if (qrel == NULL)
	{
		relation_close(rel, AccessShareLock);
		return NULL;
	}
	td = RelationGetDescr(rel);
	cols = palloc(sizeof(DqCdcQCol) * Max(td->natts, 1));
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);
		AttrNumber	qatt;

		if (att->attisdropped)
			continue;
		qatt = get_attnum(qrelid, NameStr(att->attname));
		if (qatt == InvalidAttrNumber ||
			TupleDescAttr(RelationGetDescr(qrel), qatt - 1)->atttypid != att->atttypid)
			continue;
		cols[*ncols].name = pstrdup(NameStr(att->attname));
		cols[*ncols].typid = att->atttypid;
		get_typlenbyval(att->atttypid, &cols[*ncols].typlen, &cols[*ncols].typbyval);
		(*ncols)++;
	}
	relation_close(qrel, AccessShareLock);
	relation_close(rel, AccessShareLock);
	return cols;
}

/*
 * Phase 1, as the watched table's owner: the violating rows of the table
 * (or of its partitions), one per change, built with the table's row type.
 */
static void
DqCdcQuarantineBuild(DqCdcQuarantineArgs *a)
{
	StringInfoData q;
	Oid			argtypes[1] = {TEXTARRAYOID};
	DqOwnerContext owner;
	MemoryContext outer = CurrentMemoryContext;
	uint64		n;

	initStringInfo(&q);
	appendStringInfoString(&q, "SELECT l.lsn, l.seq");
	for (int i = 0; i < a->ncols; i++)
		appendStringInfo(&q, ", r.%s", quote_identifier(a->cols[i].name));
	appendStringInfo(&q,
					 " FROM (SELECT DISTINCT ON (1, 2) "
					 "  (j OPERATOR(pg_catalog.->>) 'lsn')::pg_catalog.pg_lsn AS lsn, "
					 "  (j OPERATOR(pg_catalog.->>) 'seq')::pg_catalog.int4 AS seq, "
					 "  (j OPERATOR(pg_catalog.->>) 'relid')::pg_catalog.oid AS relid, "
					 "  j OPERATOR(pg_catalog.->) 'row' AS r "
					 "  FROM (SELECT x::pg_catalog.jsonb AS j FROM pg_catalog.unnest($1) AS u(x)) s "
					 "  WHERE j OPERATOR(pg_catalog.?) 'row') l, "
					 " LATERAL pg_catalog.jsonb_populate_record(NULL::%s, l.r) AS r "
					 "WHERE l.relid OPERATOR(pg_catalog.=) %u::pg_catalog.oid "
					 "OR %u::pg_catalog.oid OPERATOR(pg_catalog.=) ANY "
					 "  (SELECT a.relid::pg_catalog.oid FROM pg_catalog.pg_partition_ancestors(l.relid) a)",
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(a->relid)),
												get_rel_name(a->relid)),
					 a->relid, a->relid);

	DqBecomeRelationOwner(a->relid, &owner);
	DqSpiRunArgs(q.data, 1, argtypes, &a->lines, NULL, true, SPI_OK_SELECT, "read the violating rows of a quarantine");
	DqRestoreUser(&owner);

	n = SPI_processed;
	MemoryContextSwitchTo(outer);
	a->nrows = (int) n;
	a->lsns = palloc(sizeof(XLogRecPtr) * Max(n, 1));
	a->seqs = palloc(sizeof(int32) * Max(n, 1));
	a->values = palloc(sizeof(Datum *) * Max(n, 1));
	a->nulls = palloc(sizeof(bool *) * Max(n, 1));
	for (uint64 r = 0; r < n; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;

		a->lsns[r] = DatumGetLSN(SPI_getbinval(tup, td, 1, &isnull));
		a->seqs[r] = DatumGetInt32(SPI_getbinval(tup, td, 2, &isnull));
		a->values[r] = palloc(sizeof(Datum) * Max(a->ncols, 1));
		a->nulls[r] = palloc(sizeof(bool) * Max(a->ncols, 1));
		for (int i = 0; i < a->ncols; i++)
		{
			Datum		d = SPI_getbinval(tup, td, i + 3, &a->nulls[r][i]);

			a->values[r][i] = a->nulls[r][i] ? (Datum) 0 :
				datumCopy(d, a->cols[i].typbyval, a->cols[i].typlen);
		}
	}
}

/*
 * Phase 2, as the extension owner: the typed rows stored, with the ids of
 * their violations.  Nothing is evaluated on the values.
 */
static void
DqCdcQuarantineStore(DqCdcQuarantineArgs *a)
{
	StringInfoData q;
	int			nargs = a->ncols + 2;
	Oid		   *argtypes = palloc(sizeof(Oid) * nargs);
	Datum	   *values = palloc(sizeof(Datum) * nargs);
	char	   *nulls = palloc(nargs);
	SPIPlanPtr	plan;

	initStringInfo(&q);
	appendStringInfo(&q, "INSERT INTO %s (dq_violation_ids, dq_lsn, dq_change_seq",
					 quote_qualified_identifier("dq", get_rel_name(a->qrelid)));
	for (int i = 0; i < a->ncols; i++)
		appendStringInfo(&q, ", %s", quote_identifier(a->cols[i].name));
	appendStringInfoString(&q,
						   ") SELECT (SELECT pg_catalog.array_agg(v.violation_id ORDER BY v.violation_id) "
						   "  FROM dq.violations v WHERE v.lsn OPERATOR(pg_catalog.=) $1 "
						   "  AND v.change_seq OPERATOR(pg_catalog.=) $2), $1, $2");
	argtypes[0] = LSNOID;
	argtypes[1] = INT4OID;
	for (int i = 0; i < a->ncols; i++)
	{
		appendStringInfo(&q, ", $%d", i + 3);
		argtypes[i + 2] = a->cols[i].typid;
	}
	appendStringInfoString(&q, " ON CONFLICT (dq_lsn, dq_change_seq) "
						   "DO UPDATE SET dq_violation_ids = EXCLUDED.dq_violation_ids");
	plan = SPI_prepare(q.data, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "could not prepare the insert into a quarantine table: %s",
			 SPI_result_code_string(SPI_result));
	for (int r = 0; r < a->nrows; r++)
	{
		values[0] = LSNGetDatum(a->lsns[r]);
		values[1] = Int32GetDatum(a->seqs[r]);
		nulls[0] = nulls[1] = ' ';
		for (int i = 0; i < a->ncols; i++)
		{
			values[i + 2] = a->values[r][i];
			nulls[i + 2] = a->nulls[r][i] ? 'n' : ' ';
		}
		DqSpiCheck(SPI_execute_plan(plan, values, nulls, false, 0),
				   SPI_OK_INSERT, "write a quarantine table");
	}
	SPI_freeplan(plan);
}

static void
DqCdcQuarantineFn(void *arg)
{
	DqCdcQuarantineArgs *a = arg;

	DqCdcQuarantineBuild(a);
	DqCdcQuarantineStore(a);
}

/*
 * Copy the violating rows of the lines (a text[] of violation lines already
 * recorded) to the quarantine tables of the watched tables that have one:
 * one row per violating change, with the ids of its violations.
 */
static void
DqCdcQuarantine(Datum lines)
{
	uint64		n;
	Oid		   *relids;
	Oid		   *qrelids;

	n = DqSpiRun("SELECT relid, quarantine FROM dq.watched_tables WHERE quarantine IS NOT NULL",
				 true, SPI_OK_SELECT, "read dq.watched_tables");
	relids = palloc(sizeof(Oid) * Max(n, 1));
	qrelids = palloc(sizeof(Oid) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		relids[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		qrelids[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
	}
	for (uint64 i = 0; i < n; i++)
	{
		DqCdcQuarantineArgs qa;
		ErrorData  *edata;
		char	   *qname = get_rel_name(qrelids[i]);

		memset(&qa, 0, sizeof(qa));
		qa.relid = relids[i];
		qa.qrelid = qrelids[i];
		qa.lines = lines;
		qa.cols = DqCdcQuarantineColumns(relids[i], qrelids[i], &qa.ncols);
		if (qa.cols == NULL || qname == NULL)
			continue;			/* the table or its quarantine was dropped */
		/* a quarantine that does not fit any more must not stop validation */
		edata = DqRunInSubxact(DqCdcQuarantineFn, &qa);
		if (edata != NULL)
		{
			if (DqCdcErrorIsTransient(edata->sqlerrcode))
				ReThrowError(edata);
			ereport(WARNING,
					(errmsg("could not copy violating rows to quarantine table %s: %s",
							quote_qualified_identifier("dq", qname), edata->message),
					 errhint("The violations are recorded in dq.violations; watch the table again with quarantine => true to make a new quarantine table.")));
		}
	}
}

/*
 * Does dq.violations have the kind, severity and mostly columns?  A
 * library newer than the installed SQL objects (0.1.0, before ALTER
 * EXTENSION UPDATE) writes only the columns that exist.
 */
static bool
DqCdcViolationsHaveKind(void)
{
	Oid			relid = get_relname_relid("violations", get_namespace_oid("dq", false));

	return OidIsValid(relid) && get_attnum(relid, "mostly") != InvalidAttrNumber;
}

/*
 * Insert violation lines (text) into dq.violations, with NOTIFY, and copy
 * their rows to quarantine tables.  The caller acts as the extension
 * owner.
 */
int64
DqCdcInsert(List *lines, XLogRecPtr processed, bool row_images)
{
	ArrayBuildState *astate = NULL;
	ListCell   *lc;
	Oid			argtypes[3] = {TEXTARRAYOID, LSNOID, BOOLOID};
	Datum		values[3];
	bool		isnull;
	int64		n;
	bool		with_kind;

	if (lines == NIL)
		return 0;
	foreach(lc, lines)
		astate = accumArrayResult(astate, CStringGetTextDatum(lfirst(lc)), false,
								  TEXTOID, CurrentMemoryContext);
	values[0] = makeArrayResult(astate, CurrentMemoryContext);
	values[1] = LSNGetDatum(processed);
	values[2] = BoolGetDatum(row_images);
	/* 0.1.0's dq.violations (before ALTER EXTENSION UPDATE) lacks kind, severity, mostly */
	with_kind = DqCdcViolationsHaveKind();
	DqSpiRunArgs(psprintf("WITH j AS (SELECT x::pg_catalog.jsonb AS j FROM pg_catalog.unnest($1) AS u(x)), "
				 "ins AS (INSERT INTO dq.violations (expectation_id, relid, schema_name, "
				 "  table_name, operation, lsn, change_seq, xid, commit_time, unexpected, row_image%s) "
				 "SELECT (j OPERATOR(pg_catalog.->>) 'expectation_id')::pg_catalog.int8, "
				 "  (j OPERATOR(pg_catalog.->>) 'relid')::pg_catalog.oid, n.nspname, c.relname, "
				 "  j OPERATOR(pg_catalog.->>) 'op', "
				 "  (j OPERATOR(pg_catalog.->>) 'lsn')::pg_catalog.pg_lsn, "
				 "  (j OPERATOR(pg_catalog.->>) 'seq')::pg_catalog.int4, "
				 "  (j OPERATOR(pg_catalog.->>) 'xid')::pg_catalog.int8, "
				 "  (j OPERATOR(pg_catalog.->>) 'commit_time')::pg_catalog.timestamptz, "
				 "  j OPERATOR(pg_catalog.->) 'unexpected', "
				 "  CASE WHEN $3 AND EXISTS (SELECT FROM pg_catalog.pg_roles r "
				 "        WHERE r.rolname OPERATOR(pg_catalog.=) e.owner) "
				 "        AND pg_catalog.has_table_privilege(e.owner, e.relid, 'SELECT') "
				 "       THEN j OPERATOR(pg_catalog.->) 'row' END%s "
				 "FROM j LEFT JOIN dq.expectations e "
				 "  ON e.expectation_id OPERATOR(pg_catalog.=) (j OPERATOR(pg_catalog.->>) 'expectation_id')::pg_catalog.int8 "
				 "LEFT JOIN pg_catalog.pg_class c "
				 "  ON c.oid OPERATOR(pg_catalog.=) (j OPERATOR(pg_catalog.->>) 'relid')::pg_catalog.oid "
				 "LEFT JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
				 "WHERE (j OPERATOR(pg_catalog.->>) 'lsn')::pg_catalog.pg_lsn OPERATOR(pg_catalog.<) $2 "
				 "RETURNING violation_id, expectation_id, relid, lsn) "
				 "SELECT pg_catalog.count(pg_catalog.pg_notify('dq_violation', "
				 "  pg_catalog.json_build_object('violation_id', violation_id, "
				 "  'expectation_id', expectation_id, 'relid', relid::pg_catalog.oid, 'lsn', lsn)::pg_catalog.text)) FROM ins",
						  with_kind ? ", kind, severity, mostly" : "",
						  with_kind ? ", e.kind, e.severity, e.mostly" : ""),
				 3, argtypes, values, NULL, false, SPI_OK_SELECT, "write dq.violations");
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	DqCdcQuarantine(values[0]);
	return n;
}

/* Remember a broken rule in memory (a catalog without dq.cdc_rule_errors). */
static void
DqCdcRememberBroken(int64 id)
{
	for (int i = 0; i < dq_cdc_nbroken_mem; i++)
		if (dq_cdc_broken_mem[i] == id)
			return;
	if (dq_cdc_broken_mem == NULL)
		dq_cdc_broken_mem = MemoryContextAlloc(TopMemoryContext, sizeof(int64) * 64);
	else if (dq_cdc_nbroken_mem % 64 == 0)
		dq_cdc_broken_mem = repalloc(dq_cdc_broken_mem,
									 sizeof(int64) * (dq_cdc_nbroken_mem + 64));
	dq_cdc_broken_mem[dq_cdc_nbroken_mem++] = id;
}

/*
 * Record rules found broken in dq.cdc_rule_errors (the first failure of
 * each is kept), with a WARNING and a notification on channel
 * dq_rule_broken for each newly broken rule.  The caller acts as the
 * extension owner.
 */
void
DqCdcRecordBroken(List *broken)
{
	bool		have_table = OidIsValid(DqCdcCatalogRel("cdc_rule_errors"));
	ListCell   *lc;

	foreach(lc, broken)
	{
		DqCdcBroken *b = lfirst(lc);
		Oid			argtypes[5] = {INT8OID, OIDOID, LSNOID, TEXTOID, TEXTOID};
		Datum		values[5];
		char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
		bool		isnew = true;

		values[0] = Int64GetDatum(b->id);
		values[1] = ObjectIdGetDatum(b->relid);
		values[2] = LSNGetDatum(b->lsn);
		if (XLogRecPtrIsInvalid(b->lsn))
			nulls[2] = 'n';
		values[3] = CStringGetTextDatum(b->sqlstate);
		values[4] = CStringGetTextDatum(b->message);
		if (have_table)
		{
			DqSpiRunArgs("WITH ins AS (INSERT INTO dq.cdc_rule_errors "
						 "  (expectation_id, relid, lsn, sqlstate, message) "
						 "  VALUES ($1, $2, $3, $4, $5) "
						 "  ON CONFLICT (expectation_id) DO NOTHING RETURNING expectation_id) "
						 "SELECT pg_catalog.pg_notify('dq_rule_broken', "
						 "  pg_catalog.json_build_object('expectation_id', $1, 'relid', $2, "
						 "  'sqlstate', $4)::pg_catalog.text) FROM ins",
						 5, argtypes, values, nulls, false, SPI_OK_SELECT, "write dq.cdc_rule_errors");
			isnew = SPI_processed > 0;
		}
		else
		{
			for (int i = 0; i < dq_cdc_nbroken_mem; i++)
				if (dq_cdc_broken_mem[i] == b->id)
					isnew = false;
		}
		DqCdcRememberBroken(b->id);
		if (isnew)
			ereport(WARNING,
					(errmsg("dq_lineage change validation skips expectation %lld from now on: %s",
							(long long) b->id, b->message),
					 errdetail("Checking it raised an error with SQLSTATE %s on a change of relation %u.",
							   b->sqlstate, b->relid),
					 errhint("Fix the expectation (dq.alter_expectation) or what it uses; changing or dropping the expectation clears dq.cdc_rule_errors and checks it again.")));
	}
}

/*
 * Tell the decoder of this process which rules are broken: those of
 * dq.cdc_rule_errors (or, on a catalog without it, those found since the
 * worker started).  The caller acts as the extension owner.
 */
void
DqCdcLoadSkipped(void)
{
	int64	   *ids;
	int			n = 0;

	if (!OidIsValid(DqCdcCatalogRel("cdc_rule_errors")))
	{
		DqDecoderSetSkipped(dq_cdc_broken_mem, dq_cdc_nbroken_mem);
		return;
	}
	DqSpiRun("SELECT expectation_id FROM dq.cdc_rule_errors", true, SPI_OK_SELECT, "read dq.cdc_rule_errors");
	ids = palloc(sizeof(int64) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		ids[n++] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
											   SPI_tuptable->tupdesc, 1, &isnull));
	}
	DqDecoderSetSkipped(ids, n);
}

/*
 * Add what a batch saw of each relation to dq.cdc_table_activity: the last
 * commit time and the rows inserted, updated and deleted.  It runs in the
 * pass's transaction, so the counts commit with processed_lsn and are
 * counted exactly once.  The caller acts as the extension owner.  A
 * catalog without the table (0.1.0, before ALTER EXTENSION UPDATE) records
 * nothing.
 */
void
DqCdcRecordActivity(List *activity)
{
	int			n = list_length(activity);
	Oid			argtypes[6] = {OIDARRAYOID, TIMESTAMPTZARRAYOID, INT8ARRAYOID,
	INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID};
	Datum		values[6];
	Datum	   *cols[6];
	ListCell   *lc;
	int			i = 0;

	if (n == 0 || !OidIsValid(DqCdcCatalogRel("cdc_table_activity")))
		return;
	for (int c = 0; c < 6; c++)
		cols[c] = palloc(sizeof(Datum) * n);
	foreach(lc, activity)
	{
		DqDecoderActivity *a = lfirst(lc);

		cols[0][i] = ObjectIdGetDatum(a->relid);
		cols[1][i] = TimestampTzGetDatum(a->last_commit_time);
		cols[2][i] = Int64GetDatum(a->inserted);
		cols[3][i] = Int64GetDatum(a->updated);
		cols[4][i] = Int64GetDatum(a->deleted);
		cols[5][i] = Int64GetDatum(a->truncates);
		i++;
	}
	values[0] = PointerGetDatum(construct_array(cols[0], n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
	values[1] = PointerGetDatum(construct_array(cols[1], n, TIMESTAMPTZOID, sizeof(TimestampTz),
												FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	for (int c = 2; c < 6; c++)
		values[c] = PointerGetDatum(construct_array(cols[c], n, INT8OID, sizeof(int64),
													FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	DqSpiRunArgs("INSERT INTO dq.cdc_table_activity AS a (relid, last_commit_time, "
				 "  rows_inserted, rows_updated, rows_deleted, truncates) "
				 "SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
				 "  pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), "
				 "  pg_catalog.unnest($6)) "
				 "ON CONFLICT (relid) DO UPDATE SET "
				 "  last_commit_time = GREATEST(a.last_commit_time, excluded.last_commit_time), "
				 "  rows_inserted = a.rows_inserted OPERATOR(pg_catalog.+) excluded.rows_inserted, "
				 "  rows_updated = a.rows_updated OPERATOR(pg_catalog.+) excluded.rows_updated, "
				 "  rows_deleted = a.rows_deleted OPERATOR(pg_catalog.+) excluded.rows_deleted, "
				 "  truncates = a.truncates OPERATOR(pg_catalog.+) excluded.truncates, "
				 "  updated_at = pg_catalog.now()",
				 6, argtypes, values, NULL, false, SPI_OK_INSERT,
				 "write dq.cdc_table_activity");
}
