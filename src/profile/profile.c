/*-------------------------------------------------------------------------
 *
 * profile.c
 *	  dq.profile(): profile the columns of a relation in one scan and keep
 *	  the result in dq.profile_runs and dq.column_profiles.
 *
 * The scan is one SELECT, run through SPI, that calls dq.row_profile()
 * over the columns (plus count(DISTINCT ...) per column when exact counts
 * are asked for).  Being an ordinary aggregate query, it gets a parallel
 * plan when the planner finds one worthwhile.  The caller must be allowed
 * to read every profiled column (checked first, through views and
 * security_invoker views too); the scan then runs as the relation's owner,
 * restricted, with search_path pinned (trust.c), so that code the owner
 * put in the relation -- functions in a view, row-level security
 * policies -- never runs with the caller's rights.  The profile therefore
 * describes the rows the owner sees; who may read which of its values is
 * decided when it is read (dq.latest_profile, docs/security.md).  The
 * catalog rows are written as the extension owner (see catalog.c) in the
 * caller's transaction, so an error leaves nothing behind.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/tupdesc.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "base/catalog.h"
#include "base/progress.h"
#include "base/scan_parallel.h"
#include "base/spi_util.h"
#include "base/trust.h"
#include "base/citus.h"
#include "profile/profile_citus.h"

PG_FUNCTION_INFO_V1(dq_profile);

typedef struct DqProfileColumn
{
	AttrNumber	attnum;
	char	   *name;
	Oid			typid;
	int32		typmod;
	Oid			collation;
} DqProfileColumn;

/* columns per dq.row_profile() call (functions take at most 100 arguments) */
#define DQ_COLUMNS_PER_CALL 90

/*
 * Open the relation to profile and check that it can be scanned.
 */
static Relation
DqProfileOpen(Oid relid, double sample_percent)
{
	Relation	rel = try_relation_open(relid, AccessShareLock);
	char		relkind;

	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation to profile does not exist"),
				 errdetail("No relation has OID %u; it may have been dropped concurrently.", relid),
				 errhint("Name the relation, for example 'public.orders'.")));

	relkind = rel->rd_rel->relkind;
	if (relkind != RELKIND_RELATION && relkind != RELKIND_MATVIEW &&
		relkind != RELKIND_PARTITIONED_TABLE && relkind != RELKIND_VIEW &&
		relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot profile \"%s\"", RelationGetRelationName(rel)),
				 errdetail_relkind_not_supported(relkind),
				 errhint("Profile a table, partitioned table, materialized view, view or foreign table.")));

	if (sample_percent < 100 &&
		(relkind == RELKIND_VIEW || relkind == RELKIND_FOREIGN_TABLE))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot sample %s \"%s\"",
						relkind == RELKIND_VIEW ? "view" : "foreign table",
						RelationGetRelationName(rel)),
				 errdetail("Sampling uses TABLESAMPLE SYSTEM, which applies to tables and materialized views only."),
				 errhint("Use sample_percent => 100, or profile the underlying table.")));
	return rel;
}

/*
 * Resolve the columns to profile: all live columns, or the named ones.
 */
static List *
DqProfileColumns(Relation rel, ArrayType *names)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	List	   *cols = NIL;
	int			i;

	if (names == NULL)
	{
		for (i = 0; i < tupdesc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, i);
			DqProfileColumn *c;

			if (att->attisdropped)
				continue;
			c = palloc(sizeof(DqProfileColumn));
			c->attnum = att->attnum;
			c->name = pstrdup(NameStr(att->attname));
			c->typid = att->atttypid;
			c->typmod = att->atttypmod;
			c->collation = att->attcollation;
			cols = lappend(cols, c);
		}
		return cols;
	}
	else
	{
		Datum	   *elems;
		bool	   *nulls;
		int			nelems;

		deconstruct_array(names, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR,
						  &elems, &nulls, &nelems);
		if (nelems == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("columns must not be an empty array"),
					 errhint("Pass NULL (the default) to profile every column.")));
		for (i = 0; i < nelems; i++)
		{
			const char *name;
			bool		found = false;
			ListCell   *lc;
			int			j;

			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("columns must not contain NULL elements"),
						 errhint("Name each column to profile, or pass NULL to profile every column.")));
			name = NameStr(*DatumGetName(elems[i]));
			foreach(lc, cols)
			{
				if (strcmp(((DqProfileColumn *) lfirst(lc))->name, name) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_DUPLICATE_COLUMN),
							 errmsg("column \"%s\" is named more than once", name),
							 errhint("Name each column once in columns =>.")));
			}
			for (j = 0; j < tupdesc->natts; j++)
			{
				Form_pg_attribute att = TupleDescAttr(tupdesc, j);

				if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
				{
					DqProfileColumn *c = palloc(sizeof(DqProfileColumn));

					c->attnum = att->attnum;
					c->name = pstrdup(name);
					c->typid = att->atttypid;
					c->typmod = att->atttypmod;
					c->collation = att->attcollation;
					cols = lappend(cols, c);
					found = true;
					break;
				}
			}
			if (!found)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("column \"%s\" of relation \"%s\" does not exist",
								name, RelationGetRelationName(rel)),
						 errhint("List the columns with \\d %s.",
								 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
															RelationGetRelationName(rel)))));
		}
		return cols;
	}
}

/*
 * The caller needs SELECT on the table, or on every profiled column.
 */
static void
DqProfileCheckPrivileges(Relation rel, List *cols, bool all_columns)
{
	Oid			relid = RelationGetRelid(rel);
	Oid			userid = GetUserId();
	ListCell   *lc;

	if (pg_class_aclcheck(relid, userid, ACL_SELECT) == ACLCHECK_OK)
		return;
	foreach(lc, cols)
	{
		DqProfileColumn *c = lfirst(lc);

		if (pg_attribute_aclcheck(relid, c->attnum, userid, ACL_SELECT) == ACLCHECK_OK)
			continue;
		if (all_columns)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for table %s",
							RelationGetRelationName(rel)),
					 errdetail("Profiling needs SELECT on the table or on every profiled column; column \"%s\" is not granted.",
							   c->name),
					 errhint("Ask the owner to GRANT SELECT, or name only the columns you may read with columns =>.")));
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for column \"%s\" of relation \"%s\"",
						c->name, RelationGetRelationName(rel)),
				 errhint("Ask the owner to GRANT SELECT (%s) ON %s, or leave the column out.",
						 quote_identifier(c->name),
						 RelationGetRelationName(rel))));
	}
}

/* Whether count(DISTINCT x) works on the type directly. */
static bool
DqTypeHasSortEquality(Oid typid)
{
	TypeCacheEntry *tce = lookup_type_cache(typid,
											TYPECACHE_EQ_OPR | TYPECACHE_LT_OPR);

	return OidIsValid(tce->eq_opr) && OidIsValid(tce->lt_opr);
}

/*
 * The single scan: count(*), then dq.row_profile() over the columns (one
 * call per DQ_COLUMNS_PER_CALL columns, each given the columns'
 * collations) and, when exact, count(DISTINCT col) per column.
 */
static char *
DqProfileQuery(Relation rel, List *cols, double sample_percent, bool exact)
{
	StringInfoData q;
	int			ncols = list_length(cols);
	int			start;

	initStringInfo(&q);
	appendStringInfoString(&q, "SELECT pg_catalog.count(*)");
	for (start = 0; start < ncols; start += DQ_COLUMNS_PER_CALL)
	{
		int			end = Min(start + DQ_COLUMNS_PER_CALL, ncols);
		int			i;

		appendStringInfoString(&q, ", dq.row_profile('{");
		for (i = start; i < end; i++)
			appendStringInfo(&q, "%s%u", i > start ? "," : "",
							 ((DqProfileColumn *) list_nth(cols, i))->collation);
		appendStringInfoString(&q, "}'::pg_catalog.oid[]");
		for (i = start; i < end; i++)
			appendStringInfo(&q, ", %s",
							 quote_identifier(((DqProfileColumn *) list_nth(cols, i))->name));
		appendStringInfoChar(&q, ')');
	}
	if (exact)
	{
		ListCell   *lc;

		foreach(lc, cols)
		{
			DqProfileColumn *c = lfirst(lc);
			const char *qname = quote_identifier(c->name);

			if (DqTypeHasSortEquality(c->typid))
				appendStringInfo(&q, ", pg_catalog.count(DISTINCT %s)", qname);
			else
				appendStringInfo(&q, ", pg_catalog.count(DISTINCT %s::pg_catalog.text)", qname);
		}
	}
	appendStringInfo(&q, " FROM %s",
					 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												RelationGetRelationName(rel)));
	if (sample_percent < 100)
		appendStringInfo(&q, " TABLESAMPLE pg_catalog.system (%.17g)", sample_percent);
	return q.data;
}

/*
 * The scan of a Citus distributed table: the same result row, computed on
 * the shards (profile_citus.c).
 */
static char *
DqProfileCitusScan(Relation rel, List *cols, double sample_percent, bool exact,
				   FunctionCallInfo fcinfo)
{
	int			ncols = list_length(cols);
	char	  **names = palloc(sizeof(char *) * ncols);
	Oid		   *typids = palloc(sizeof(Oid) * ncols);
	Oid		   *collations = palloc(sizeof(Oid) * ncols);
	const char **distinct = palloc(sizeof(char *) * ncols);
	int			i = 0;
	ListCell   *lc;

	foreach(lc, cols)
	{
		DqProfileColumn *c = lfirst(lc);

		names[i] = c->name;
		typids[i] = c->typid;
		collations[i] = c->collation;
		distinct[i] = psprintf(DqTypeHasSortEquality(c->typid) ?
							   "pg_catalog.count(DISTINCT %s)" :
							   "pg_catalog.count(DISTINCT %s::pg_catalog.text)",
							   quote_identifier(c->name));
		i++;
	}
	return DqProfileCitusQuery(quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
														  RelationGetRelationName(rel)),
							   ncols, names, typids, collations, DQ_COLUMNS_PER_CALL,
							   sample_percent < 100 ?
							   psprintf(" TABLESAMPLE pg_catalog.system (%.17g)", sample_percent) : "",
							   exact, distinct, fcinfo);
}

/* What one dq.profile() call works on, phase by phase. */
typedef struct DqProfileRun
{
	Oid			relid;
	double		sample_percent;
	bool		exact;
	Relation	rel;
	List	   *cols;			/* DqProfileColumn *, in profile order */
	char	   *query;			/* the scan (DqProfileQuery) */
	TimestampTz started;
	int64		rows_scanned;
	HeapTuple	row;			/* the scan's one row, until SPI_finish */
	TupleDesc	rowdesc;
} DqProfileRun;

/*
 * Plan: open the relation, resolve the columns, check that the caller may
 * read them, and build the scan.
 */
static void
DqProfilePlan(DqProfileRun *run, ArrayType *names, FunctionCallInfo fcinfo)
{
	List	   *attnums = NIL;
	ListCell   *lc;

	if (!(run->sample_percent > 0 && run->sample_percent <= 100))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sample_percent must be greater than 0 and at most 100"),
				 errdetail("The value given was %g.", run->sample_percent),
				 errhint("Use 100 (the default) to profile every row.")));

	run->rel = DqProfileOpen(run->relid, run->sample_percent);
	run->cols = DqProfileColumns(run->rel, names);
	DqProfileCheckPrivileges(run->rel, run->cols, names == NULL);
	foreach(lc, run->cols)
		attnums = lappend_int(attnums, ((DqProfileColumn *) lfirst(lc))->attnum);
	DqCheckRoleCanSelect(GetUserId(), run->relid, attnums, false,
						 "dq.profile reads the profiled columns for a caller who may read them.");
	DqProgressBegin(DQ_OP_PROFILE, run->relid);
	if (DqCitusPushdown(run->relid))
		run->query = DqProfileCitusScan(run->rel, run->cols, run->sample_percent,
										run->exact, fcinfo);
	else
		run->query = DqProfileQuery(run->rel, run->cols, run->sample_percent,
									run->exact);
}

/*
 * Run the scan as the relation's owner.  read_only = false gives it a
 * snapshot taken now, after our lock on the relation was granted: with
 * the caller's older snapshot, a table rewritten by a concurrent ALTER
 * TABLE that we waited for would look empty (rewrites are not MVCC-safe).
 * SPI is connected; the row stays valid until SPI_finish.
 */
static void
DqProfileScan(DqProfileRun *run)
{
	DqOwnerContext owner;
	bool		isnull;

	run->started = GetCurrentTimestamp();
	DqProgressPhase(DQ_PHASE_SCANNING);
	DqBecomeRelationOwner(run->relid, &owner);
	DqSpiRunOneRow(run->query, 0, NULL, NULL, NULL, false, SPI_OK_SELECT,
				   "run the profile scan");
	DqRestoreUser(&owner);
	DqProgressPhase(DQ_PHASE_STORING);
	run->row = SPI_tuptable->vals[0];
	run->rowdesc = SPI_tuptable->tupdesc;
	run->rows_scanned = DatumGetInt64(SPI_getbinval(run->row, run->rowdesc, 1,
												   &isnull));
}

/* Store the run in dq.profile_runs; returns its run_id. */
static int64
DqProfileStoreRun(DqProfileRun *run, const char *runby)
{
	Oid			argtypes[13] = {OIDOID, NAMEOID, NAMEOID, CHAROID,
		TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID, BOOLOID, TEXTOID,
	FLOAT8OID, BOOLOID, INT4OID, NAMEOID};
	Datum		values[13];
	char		nulls[13];
	NameData	nsp;
	NameData	reln;
	NameData	runbyname;
	bool		isnull;

	memset(nulls, ' ', sizeof(nulls));
	namestrcpy(&nsp, get_namespace_name(RelationGetNamespace(run->rel)));
	namestrcpy(&reln, RelationGetRelationName(run->rel));
	namestrcpy(&runbyname, runby);
	values[0] = ObjectIdGetDatum(run->relid);
	values[1] = NameGetDatum(&nsp);
	values[2] = NameGetDatum(&reln);
	values[3] = CharGetDatum(run->rel->rd_rel->relkind);
	values[4] = TimestampTzGetDatum(run->started);
	values[5] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[6] = SPI_getbinval(run->row, run->rowdesc, 1, &isnull);	/* rows */
	values[7] = BoolGetDatum(run->sample_percent < 100);
	if (run->sample_percent < 100)
		values[8] = CStringGetTextDatum("SYSTEM");
	else
		nulls[8] = 'n';
	values[9] = Float8GetDatum(run->sample_percent);
	values[10] = BoolGetDatum(run->exact);
	values[11] = Int32GetDatum(list_length(run->cols));
	values[12] = NameGetDatum(&runbyname);
	return DqSpiInsertReturningId("INSERT INTO dq.profile_runs "
								  "(relid, schema_name, table_name, relkind, started_at, "
								  " finished_at, rows_scanned, sampled, sample_method, "
								  " sample_percent, exact, columns_profiled, run_by) "
								  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
								  "RETURNING run_id",
								  13, argtypes, values, nulls,
								  "record the profile run");
}

/*
 * Store one row of dq.column_profiles per column: the column's element of
 * the dq.row_profile() arrays of the scan's row, and with exact its
 * count(DISTINCT).
 */
static void
DqProfileStoreColumns(DqProfileRun *run, int64 run_id)
{
	Oid			argtypes[7] = {JSONBOID, INT8OID, OIDOID, INT2OID, NAMEOID,
	TEXTOID, INT8OID};
	int			ncols = list_length(run->cols);
	int			nprofiles = (ncols + DQ_COLUMNS_PER_CALL - 1) / DQ_COLUMNS_PER_CALL;
	SPIPlanPtr	plan;
	ListCell   *lc;

	plan = SPI_prepare("INSERT INTO dq.column_profiles "
					   "SELECT r.* FROM pg_catalog.jsonb_populate_record("
					   "  NULL::dq.column_profiles, "
					   "  $1 OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object("
					   "    'run_id', $2, 'relid', $3, 'attnum', $4, "
					   "    'column_name', $5, 'data_type', $6) "
					   "  OPERATOR(pg_catalog.||) CASE WHEN $7 IS NULL THEN '{}'::pg_catalog.jsonb "
					   "    ELSE pg_catalog.jsonb_build_object('distinct_count', $7, "
					   "                                       'distinct_method', 'exact') END"
					   ") r",
					   7, argtypes);
	if (plan == NULL)
		elog(ERROR, "could not prepare the column profile insert: %s",
			 SPI_result_code_string(SPI_result));

	foreach(lc, run->cols)
	{
		DqProfileColumn *c = lfirst(lc);
		int			colno = foreach_current_index(lc);
		Datum		values[7];
		char		nulls[7];
		NameData	colname;
		bool		isnull;
		Datum		profile;

		memset(nulls, ' ', sizeof(nulls));
		/* element colno % N of the (colno / N)-th dq.row_profile() array */
		profile = SPI_getbinval(run->row, run->rowdesc,
								2 + colno / DQ_COLUMNS_PER_CALL, &isnull);
		if (isnull)
			elog(ERROR, "column profile of \"%s\" is missing", c->name);
		values[0] = DirectFunctionCall2(jsonb_array_element, profile,
										Int32GetDatum(colno % DQ_COLUMNS_PER_CALL));
		values[1] = Int64GetDatum(run_id);
		values[2] = ObjectIdGetDatum(run->relid);
		values[3] = Int16GetDatum(c->attnum);
		namestrcpy(&colname, c->name);
		values[4] = NameGetDatum(&colname);
		values[5] = CStringGetTextDatum(format_type_with_typemod(c->typid, c->typmod));
		if (run->exact)
			values[6] = SPI_getbinval(run->row, run->rowdesc, 2 + nprofiles + colno,
									  &isnull);
		else
			nulls[6] = 'n';
		DqSpiCheck(SPI_execute_plan(plan, values, nulls, false, 0),
				   SPI_OK_INSERT,
				   psprintf("record the profile of column \"%s\"", c->name));
	}
}

/*
 * dq.profile(rel regclass, sample_percent float8, columns name[],
 *			  exact boolean) RETURNS bigint
 */
Datum
dq_profile(PG_FUNCTION_ARGS)
{
	DqProfileRun run = {0};
	DqOwnerContext owner;
	int			guc_nestlevel;
	int64		run_id;

	DqRequireArg(fcinfo, 0, "rel",
				 "Name the relation to profile, for example 'public.orders'.");
	DqRequireArg(fcinfo, 1, "sample_percent",
				 "Omit sample_percent to profile every row.");
	DqRequireArg(fcinfo, 3, "exact",
				 "Omit exact to count distinct values with the HyperLogLog sketch.");
	run.relid = PG_GETARG_OID(0);
	run.sample_percent = PG_GETARG_FLOAT8(1);
	run.exact = PG_GETARG_BOOL(3);
	DqProfilePlan(&run, PG_ARGISNULL(2) ? NULL : PG_GETARG_ARRAYTYPE_P(2), fcinfo);

	/*
	 * Values are stored as text: print them the same way whatever the
	 * session's settings (ISO dates, shortest exact floats).
	 */
	guc_nestlevel = DqBeginStableOutput();
	DqCapScanWorkers();
	DqSpiConnect();
	DqProfileScan(&run);

	/* the catalog rows are written as the extension owner */
	DqBecomeExtensionOwner(&owner);
	run_id = DqProfileStoreRun(&run, GetUserNameFromId(owner.save_userid, false));
	DqProfileStoreColumns(&run, run_id);
	DqRestoreUser(&owner);
	DqEndStableOutput(guc_nestlevel);

	SPI_finish();
	relation_close(run.rel, NoLock);
	DqProgressEnd(run.rows_scanned);

	PG_RETURN_INT64(run_id);
}
