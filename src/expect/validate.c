/*-------------------------------------------------------------------------
 *
 * validate.c
 *	  dq.validate(), which evaluates every enabled expectation of a
 *	  relation in one scan and records the results.
 *
 * dq.validate() compiles each expectation (inside a subtransaction, so
 * that one that no longer compiles, for instance after its column changed
 * type, is reported as a failed result with its error rather than
 * stopping the others), checks that the caller may read every column the
 * expectations read, then runs one SELECT as the relation's owner
 * (restricted, search_path pinned: see trust.c and DqCompileRuleFor):
 *
 *	 SELECT count(*), dq.expect_rows(rules, names, collations, c1, c2, ...),
 *			<aggregate kinds' expressions>
 *	   FROM rel
 *
 * and turns each rule's counts into a Great Expectations validation
 * result.  The phases, in dq_validate: load the expectations, compile
 * them, check the caller's rights, run the scan, run the own queries,
 * build the results, store the run and its results.  Grouped and query kinds run their own queries, as the role
 * their rule runs as, each in a subtransaction: one that fails is recorded
 * against its expectation.  The run and its results are written as the
 * extension owner (see catalog.c) in the caller's transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "base/catalog.h"
#include "base/citus.h"
#include "base/json_build.h"
#include "base/progress.h"
#include "base/scan_parallel.h"
#include "base/spi_util.h"
#include "base/subxact.h"
#include "base/trust.h"
#include "expect/expect_citus.h"
#include "expect/expectations.h"

PG_FUNCTION_INFO_V1(dq_validate);

/*
 * The enabled expectations of relation $1 (with tags $2, when not NULL),
 * with the current names of the columns they name, and the columns their
 * results show.
 */
static const char *const dq_validate_load_sql =
"SELECT e.expectation_id, e.kind, "
"       CASE WHEN e.attnum IS NULL THEN e.column_name::text "
"            ELSE coalesce(a.attname::text, '') END, "
/* params with the current names of the columns they name */
"       CASE WHEN e.param_attnums IS NULL THEN e.params "
"            WHEN e.params OPERATOR(pg_catalog.?) 'column_A' THEN e.params OPERATOR(pg_catalog.||) "
"                 pg_catalog.jsonb_build_object("
"                   'column_A', (SELECT x.attname FROM pg_catalog.pg_attribute x "
"                     WHERE x.attrelid OPERATOR(pg_catalog.=) e.relid "
"                       AND x.attnum OPERATOR(pg_catalog.=) e.param_attnums[1] "
"                       AND NOT x.attisdropped), "
"                   'column_B', (SELECT x.attname FROM pg_catalog.pg_attribute x "
"                     WHERE x.attrelid OPERATOR(pg_catalog.=) e.relid "
"                       AND x.attnum OPERATOR(pg_catalog.=) e.param_attnums[2] "
"                       AND NOT x.attisdropped)) "
"            ELSE e.params OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object("
"                   'column_list', (SELECT pg_catalog.jsonb_agg(x.attname ORDER BY u.ord) "
"                     FROM pg_catalog.unnest(e.param_attnums) WITH ORDINALITY u(n, ord) "
"                     LEFT JOIN pg_catalog.pg_attribute x "
"                       ON x.attrelid OPERATOR(pg_catalog.=) e.relid "
"                      AND x.attnum OPERATOR(pg_catalog.=) u.n AND NOT x.attisdropped)) END, "
"       e.mostly, e.severity, e.owner, "
/* as dq.expectation_attnums, which 0.1.0's SQL lacks */
"       CASE WHEN e.kind OPERATOR(pg_catalog.=) 'expect_row_condition' THEN NULL "
"            WHEN e.attnum IS NOT NULL THEN ARRAY[e.attnum] "
"            ELSE coalesce(e.param_attnums, '{}') END "
"  FROM dq.expectations e "
"  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) e.relid "
"       AND a.attnum OPERATOR(pg_catalog.=) e.attnum AND NOT a.attisdropped "
" WHERE e.relid OPERATOR(pg_catalog.=) $1 AND e.enabled "
"   AND ($2 IS NULL OR e.tags OPERATOR(pg_catalog.?|) $2) "
" ORDER BY e.expectation_id";

/* one expectation as dq.validate sees it */
typedef struct DqValItem
{
	int64		id;
	char	   *kind;
	char	   *column;			/* current name (single-column kinds) */
	Jsonb	   *params;
	double		mostly;
	bool		has_mostly;
	char	   *severity;
	char	   *owner;			/* role that defined it */
	Oid			ownerid;		/* that role, InvalidOid if it is gone */
	Datum		attnums;		/* smallint[] of the columns its result
								 * shows; 0 when NULL (every column) */
	DqRule	   *rule;			/* NULL when it did not compile or run */
	char	   *error;			/* why not */
	int			rulepos;		/* index among row-level rules */
	int			aggpos;			/* select-list position of an aggregate */
	Datum		result;			/* jsonb */
	bool		success;
	bool		has_counts;		/* element and unexpected counts */
	int64		element_count;
	int64		unexpected_count;
	double		unexpected_percent;
	bool		has_percent;
} DqValItem;

/* one dq.validate() call, phase by phase */
typedef struct DqValidation
{
	Oid			relid;
	Relation	rel;
	char	   *nspname;
	char	   *relname;
	DqColumnSource src;
	bool		citus;			/* a Citus distributed table (expect_citus.c) */
	TimestampTz started;
	DqValItem  *items;
	int			nitems;
	/* the row rules of the scan */
	int			nrules;
	StringInfoData rules;		/* their JSON, dq.expect_rows's first argument */
	List	   *usedcols;		/* the source columns they read */
	bool		untrusted;		/* one of them runs untrusted code */
	/* what the scan found */
	int64		rows;
	Jsonb	   *counts;			/* dq.expect_rows's result */
	/* the outcome */
	int			nsucceeded;
	int			nfailed;
	StringInfoData failed_error;	/* failed expectations of severity error */
} DqValidation;

/*
 * Does dq.<table> have column <column>?  A library newer than the SQL
 * objects of the installed version (before ALTER EXTENSION UPDATE) writes
 * only the columns that exist.
 */
static bool
DqCatalogHasColumn(const char *table, const char *column)
{
	Oid			relid = get_relname_relid(table, get_namespace_oid("dq", false));

	return OidIsValid(relid) && get_attnum(relid, column) != InvalidAttrNumber;
}

/* ---------------------------------------------------------------------
 * Load and compile
 * ---------------------------------------------------------------------
 */

/* One row of dq_validate_load_sql as an item, in the current context. */
static void
DqValItemFromRow(DqValItem *it, uint64 row)
{
	TupleDesc	td = SPI_tuptable->tupdesc;
	HeapTuple	tup = SPI_tuptable->vals[row];
	bool		isnull;
	Datum		d;

	it->id = DqSpiInt64(row, 1);
	it->kind = SPI_getvalue(tup, td, 2);
	it->column = SPI_getvalue(tup, td, 3);
	it->params = DatumGetJsonbPCopy(DqSpiValue(row, 4, &isnull));
	d = DqSpiValue(row, 5, &isnull);
	it->has_mostly = !isnull;
	it->mostly = isnull ? 1.0 : DatumGetFloat8(d);
	it->severity = SPI_getvalue(tup, td, 6);
	it->owner = SPI_getvalue(tup, td, 7);
	it->ownerid = get_role_oid(it->owner, true);
	d = DqSpiValue(row, 8, &isnull);
	it->attnums = isnull ? (Datum) 0 : PointerGetDatum(DatumGetArrayTypePCopy(d));
}

/* Read the enabled expectations (SPI is connected), as the extension owner. */
static void
DqValidateLoad(DqValidation *v, NullableDatum tags)
{
	Oid			argtypes[2] = {OIDOID, TEXTARRAYOID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	MemoryContext fncxt = CurrentMemoryContext;
	DqOwnerContext owner;

	values[0] = ObjectIdGetDatum(v->relid);
	values[1] = tags.value;
	if (tags.isnull)
		nulls[1] = 'n';
	DqBecomeExtensionOwner(&owner);
	v->nitems = (int) DqSpiRunArgs(dq_validate_load_sql, 2, argtypes, values, nulls, true,
								   SPI_OK_SELECT, "read dq.expectations");
	DqRestoreUser(&owner);
	v->items = palloc0(sizeof(DqValItem) * Max(v->nitems, 1));
	for (int i = 0; i < v->nitems; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(fncxt);

		DqValItemFromRow(&v->items[i], i);
		MemoryContextSwitchTo(old);
	}
}

/* a compile or run step for DqRunProtected */
typedef struct DqValStep
{
	DqColumnSource *src;
	DqValItem  *it;
	DqCheckState *cs;
} DqValStep;

static void
DqCompileStepFn(void *arg)
{
	DqValStep  *step = arg;
	DqValItem  *it = step->it;

	it->rule = DqCompileRuleFor(step->src, it->ownerid, it->kind, it->column,
								it->params, it->mostly);
}

/* Add a compiled row rule to the rules of the scan. */
static void
DqValidateAddRowRule(DqValidation *v, DqValItem *it)
{
	it->rulepos = v->nrules++;
	v->untrusted |= it->rule->untrusted_code;
	if (it->rulepos > 0)
		appendStringInfoString(&v->rules, ", ");
	appendStringInfoString(&v->rules, "{\"kind\": ");
	escape_json(&v->rules, it->kind);
	if (it->column)
	{
		appendStringInfoString(&v->rules, ", \"column\": ");
		escape_json(&v->rules, it->column);
	}
	appendStringInfo(&v->rules, ", \"mostly\": %.17g, \"params\": %s}", it->mostly,
					 JsonbToCString(NULL, &it->params->root, VARSIZE(it->params)));
	for (int c = 0; c < it->rule->ncols; c++)
		if (!list_member_int(v->usedcols, it->rule->cols[c].srcindex))
			v->usedcols = lappend_int(v->usedcols, it->rule->cols[c].srcindex);
}

/*
 * Compile every expectation, each in a subtransaction: one that no longer
 * compiles (its column is gone, or changed type) keeps its error and is
 * reported as an exception, not raised.
 */
static void
DqValidateCompile(DqValidation *v)
{
	initStringInfo(&v->rules);
	appendStringInfoChar(&v->rules, '[');
	for (int i = 0; i < v->nitems; i++)
	{
		DqValItem  *it = &v->items[i];
		DqValStep	step = {&v->src, it, NULL};

		if (it->column != NULL && it->column[0] == '\0')
		{
			it->error = psprintf("the column of expectation %lld was dropped", (long long) it->id);
			continue;
		}
		it->error = DqRunProtected(DqCompileStepFn, &step);
		if (it->error != NULL)
			it->rule = NULL;
		else if (it->rule->def->scope == DQ_SCOPE_MAP)
			DqValidateAddRowRule(v, it);
	}
	appendStringInfoChar(&v->rules, ']');
}

/*
 * The caller must be allowed to read what the expectations read, even
 * though the reading runs as the relation's owner.
 */
static void
DqValidateCheckCaller(DqValidation *v)
{
	List	   *all = NIL;
	bool		whole_row = false;

	for (int i = 0; i < v->nitems; i++)
	{
		bool		whole;
		ListCell   *lc;

		if (v->items[i].rule == NULL)
			continue;
		foreach(lc, DqRuleAttnums(v->items[i].rule, &whole))
			if (!list_member_int(all, lfirst_int(lc)))
				all = lappend_int(all, lfirst_int(lc));
		whole_row |= whole;
	}
	DqCheckRoleCanSelect(GetUserId(), v->relid, all, whole_row,
						 "dq.validate reads the columns its expectations check, for a caller who may read them.");
}

/* ---------------------------------------------------------------------
 * The scan and the own queries
 * ---------------------------------------------------------------------
 */

/*
 * The one scan: count(*), dq.expect_rows over the columns the row rules
 * read, and the aggregate kinds' expressions.  On a distributed table the
 * row rules run on the shards, and the aggregate kinds in a query of their
 * own (expect_citus.c).
 */
static char *
DqValidateScanSql(DqValidation *v)
{
	StringInfoData q;
	StringInfoData aggs;
	int			pos = 1;

	initStringInfo(&q);
	initStringInfo(&aggs);
	appendStringInfoString(&q, "SELECT pg_catalog.count(*)");
	if (v->nrules > 0 && v->citus)
	{
		appendStringInfo(&q, ", %s",
						 DqExpectCitusRowsCall("$1::pg_catalog.jsonb", &v->src, v->usedcols));
		pos++;
	}
	else if (v->nrules > 0)
	{
		ListCell   *lc;

		appendStringInfoString(&q, ", dq.expect_rows($1::pg_catalog.jsonb, $2::pg_catalog.name[], $3::pg_catalog.oid[]");
		foreach(lc, v->usedcols)
		{
			appendStringInfo(&q, ", %s", quote_identifier(v->src.names[lfirst_int(lc)]));
		}
		appendStringInfoChar(&q, ')');
		pos++;
	}
	for (int i = 0; i < v->nitems; i++)
	{
		DqValItem  *it = &v->items[i];

		if (it->rule == NULL || it->rule->def->scope != DQ_SCOPE_AGGREGATE)
			continue;
		it->aggpos = ++pos;
		appendStringInfo(v->citus ? &aggs : &q, ", %s", it->rule->agg_sql);
	}
	appendStringInfo(&q, " FROM %s", v->src.qualname);
	if (aggs.len > 0)
		return psprintf("SELECT r.*, a.* FROM (%s) r, (SELECT %s FROM %s) a",
						q.data, aggs.data + 2, v->src.qualname);
	return q.data;
}

/*
 * The arguments of dq.expect_rows: the rules, and the names and
 * collations of the columns as arrays (no name is quoted into a literal).
 */
static void
DqValidateScanArgs(DqValidation *v, Datum *values)
{
	int			n = list_length(v->usedcols);
	Datum	   *names = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *colls = palloc(sizeof(Datum) * Max(n, 1));
	ListCell   *lc;

	foreach(lc, v->usedcols)
	{
		Name		nm = palloc0(NAMEDATALEN);

		namestrcpy(nm, v->src.names[lfirst_int(lc)]);
		names[foreach_current_index(lc)] = NameGetDatum(nm);
		colls[foreach_current_index(lc)] = ObjectIdGetDatum(v->src.collations[lfirst_int(lc)]);
	}
	values[0] = DirectFunctionCall1(jsonb_in, CStringGetDatum(v->rules.data));
	values[1] = PointerGetDatum(construct_array(names, n, NAMEOID, NAMEDATALEN,
												false, TYPALIGN_CHAR));
	values[2] = PointerGetDatum(construct_array(colls, n, OIDOID, sizeof(Oid),
												true, TYPALIGN_INT));
}

/*
 * Run the scan as the relation's owner (its code never runs as the
 * caller), and keep the row rules' counts and the aggregate kinds' results.
 */
static void
DqValidateScan(DqValidation *v)
{
	char	   *q = DqValidateScanSql(v);
	Oid			argtypes[3] = {JSONBOID, NAMEARRAYOID, OIDARRAYOID};
	Datum		values[3];
	bool		isnull;
	int			nest;
	DqOwnerContext scanner;

	if (v->nrules > 0)
		DqValidateScanArgs(v, values);
	DqBecomeRelationOwner(v->relid, &scanner);
	nest = NewGUCNestLevel();
	DqCapScanWorkers();
	/* code that needs subtransactions cannot run in parallel workers */
	if (v->untrusted)
		DqSetLocalGuc("max_parallel_workers_per_gather", "0");
	DqProgressPhase(DQ_PHASE_SCANNING);
	(void) DqSpiRunArgs(q, v->nrules > 0 ? 3 : 0, argtypes, values, NULL, false,
						SPI_OK_SELECT, "run the validation scan");
	DqProgressPhase(DQ_PHASE_EVALUATING);
	AtEOXact_GUC(true, nest);
	DqRestoreUser(&scanner);
	v->rows = DqSpiInt64(0, 1);
	if (v->nrules > 0)
	{
		Datum		d = DqSpiValue(0, 2, &isnull);

		v->counts = isnull ? NULL : DatumGetJsonbPCopy(d);
	}
	for (int i = 0; i < v->nitems; i++)
	{
		DqValItem  *it = &v->items[i];

		if (it->rule == NULL || it->rule->def->scope != DQ_SCOPE_AGGREGATE)
			continue;
		it->result = DqAggregateFromJsonb(it->rule, it->column, it->params, it->has_mostly,
										  DatumGetJsonbP(DqSpiValue(0, it->aggpos, &isnull)));
		it->result = PointerGetDatum(DatumGetJsonbPCopy(it->result));
	}
}

/*
 * The own query of a grouped or query kind, as the role its rule runs as
 * (the relation's owner, or for a row condition, a query or a second
 * relation the expectation's owner), restricted, with search_path pinned.
 */
static void
DqRunOwnQueryFn(void *arg)
{
	DqValStep  *step = arg;
	DqValItem  *it = step->it;
	DqOwnerContext owner;

	DqBecomeOwner(it->rule->runas, &owner);
	if (it->rule->def->scope == DQ_SCOPE_GROUPED)
		DqRunGrouped(it->rule, step->src->qualname, step->cs);
	else
		it->result = DqRunQueryKind(it->rule, step->src->qualname, it->column,
									it->params, it->has_mostly);
	DqRestoreUser(&owner);
}

/* Keep the counts of a row or grouped kind on its item. */
static void
DqValItemCounts(DqValItem *it, DqCheckState *cs)
{
	int64		n = DqResultCountsAll(it->rule) ? cs->element_count :
		cs->element_count - cs->missing_count;

	it->result = DqCheckResult(it->rule, cs, it->column, it->params, it->has_mostly);
	it->has_counts = true;
	it->element_count = cs->element_count;
	it->unexpected_count = cs->unexpected_count;
	it->has_percent = n > 0;
	it->unexpected_percent = n > 0 ? (double) cs->unexpected_count / n * 100.0 : 0;
}

/*
 * Grouped and query kinds: their own queries, each in a subtransaction;
 * one that fails is recorded against its expectation.
 */
static void
DqValidateOwnQueries(DqValidation *v)
{
	for (int i = 0; i < v->nitems; i++)
	{
		DqValItem  *it = &v->items[i];
		DqCheckState cs = {0};
		DqValStep	step = {&v->src, it, &cs};

		if (it->rule == NULL || (it->rule->def->scope != DQ_SCOPE_GROUPED &&
								 it->rule->def->scope != DQ_SCOPE_QUERY))
			continue;
		DqParseResultFormat(it->params, &cs);
		it->error = DqRunProtected(DqRunOwnQueryFn, &step);
		if (it->error != NULL)
			it->rule = NULL;
		else if (it->rule->def->scope == DQ_SCOPE_GROUPED)
			DqValItemCounts(it, &cs);
	}
}

/* ---------------------------------------------------------------------
 * Results
 * ---------------------------------------------------------------------
 */

/* The result of every item, and which ones failed. */
static void
DqValidateResults(DqValidation *v)
{
	for (int i = 0; i < v->nitems; i++)
	{
		DqValItem  *it = &v->items[i];

		if (it->rule == NULL)
			it->result = DqExceptionResult(it->kind, it->params, it->error);
		else if (it->rule->def->scope == DQ_SCOPE_METADATA)
			it->result = DqAggregateResult(it->rule, it->column, it->params, it->has_mostly,
										   it->rule->meta_success, it->rule->meta_result);
		else if (it->rule->def->scope == DQ_SCOPE_MAP)
		{
			DqCheckState cs = {0};

			DqParseResultFormat(it->params, &cs);
			if (v->counts != NULL)
				DqCountsFromJsonb(getIthJsonbValueFromContainer(&v->counts->root,
																it->rulepos)->val.binary.data,
								  &cs);
			DqValItemCounts(it, &cs);
		}
		it->success = it->rule != NULL &&
			DqJsonbGetBool(&DatumGetJsonbP(it->result)->root, "success");
		if (it->success)
			v->nsucceeded++;
		else
		{
			v->nfailed++;
			if (strcmp(it->severity, "error") == 0)
				appendStringInfo(&v->failed_error, "%s%lld (%s%s%s)",
								 v->failed_error.len ? ", " : "",
								 (long long) it->id, it->kind,
								 it->column ? " on " : "", it->column ? it->column : "");
		}
	}
}

/* Store the run in dq.validation_runs (as the extension owner); its run_id. */
static int64
DqValidateStoreRun(DqValidation *v, const char *runby)
{
	Oid			argtypes[10] = {OIDOID, NAMEOID, NAMEOID, TIMESTAMPTZOID, TIMESTAMPTZOID,
	INT8OID, INT4OID, INT4OID, INT4OID, NAMEOID};
	Datum		values[10];
	NameData	nsp,
				reln,
				runbyname;

	namestrcpy(&nsp, v->nspname);
	namestrcpy(&reln, v->relname);
	namestrcpy(&runbyname, runby);
	values[0] = ObjectIdGetDatum(v->relid);
	values[1] = NameGetDatum(&nsp);
	values[2] = NameGetDatum(&reln);
	values[3] = TimestampTzGetDatum(v->started);
	values[4] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[5] = Int64GetDatum(v->rows);
	values[6] = Int32GetDatum(v->nitems);
	values[7] = Int32GetDatum(v->nsucceeded);
	values[8] = Int32GetDatum(v->nfailed);
	values[9] = NameGetDatum(&runbyname);
	return DqSpiInsertReturningId("INSERT INTO dq.validation_runs (relid, schema_name, table_name, "
								  "started_at, finished_at, rows_scanned, evaluated, succeeded, failed, run_by) "
								  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
								  "RETURNING run_id",
								  10, argtypes, values, NULL,
								  "record the validation run");
}

/* Store one result in dq.validation_results (as the extension owner). */
static void
DqValidateStoreResult(DqValidation *v, DqValItem *it, int64 run_id, bool has_attnums)
{
	Oid			argtypes[12] = {INT8OID, INT8OID, OIDOID, TEXTOID, NAMEOID, TEXTOID,
	BOOLOID, INT8OID, INT8OID, FLOAT8OID, JSONBOID, INT2ARRAYOID};
	Datum		values[12];
	char		nulls[12];
	NameData	coln;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(run_id);
	values[1] = Int64GetDatum(it->id);
	values[2] = ObjectIdGetDatum(v->relid);
	values[3] = CStringGetTextDatum(it->kind);
	if (it->column && it->column[0])
	{
		namestrcpy(&coln, it->column);
		values[4] = NameGetDatum(&coln);
	}
	else
		nulls[4] = 'n';
	values[5] = CStringGetTextDatum(it->severity);
	values[6] = BoolGetDatum(it->success);
	values[7] = Int64GetDatum(it->element_count);
	values[8] = Int64GetDatum(it->unexpected_count);
	if (it->rule == NULL || !it->has_counts)
		nulls[7] = nulls[8] = 'n';
	values[9] = Float8GetDatum(it->unexpected_percent);
	if (it->rule == NULL || !it->has_counts || !it->has_percent)
		nulls[9] = 'n';
	values[10] = it->result;
	values[11] = it->attnums;
	if (it->attnums == (Datum) 0)
		nulls[11] = 'n';
	(void) DqSpiRunArgs(has_attnums ?
						"INSERT INTO dq.validation_results (run_id, expectation_id, relid, "
						"kind, column_name, severity, success, element_count, "
						"unexpected_count, unexpected_percent, result, attnums) "
						"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)" :
						"INSERT INTO dq.validation_results (run_id, expectation_id, relid, "
						"kind, column_name, severity, success, element_count, "
						"unexpected_count, unexpected_percent, result) "
						"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
						has_attnums ? 12 : 11, argtypes, values, nulls, false,
						SPI_OK_INSERT, "record a validation result");
}

/* Store the run and its results as the extension owner; the run_id. */
static int64
DqValidateStore(DqValidation *v)
{
	bool		has_attnums = DqCatalogHasColumn("validation_results", "attnums");
	DqOwnerContext owner;
	int64		run_id;

	DqProgressPhase(DQ_PHASE_STORING);
	DqBecomeExtensionOwner(&owner);
	run_id = DqValidateStoreRun(v, GetUserNameFromId(owner.save_userid, false));
	for (int i = 0; i < v->nitems; i++)
		DqValidateStoreResult(v, &v->items[i], run_id, has_attnums);
	DqRestoreUser(&owner);
	return run_id;
}

/*
 * dq.validate(rel regclass, tags text[], raise_on_failure boolean)
 */
Datum
dq_validate(PG_FUNCTION_ARGS)
{
	DqValidation v = {0};
	bool		raise_on_failure;
	NullableDatum tags;
	int			nestlevel;
	int64		run_id;

	DqRequireArg(fcinfo, 0, "rel",
				 "Name the relation to validate, for example 'public.orders'.");
	v.relid = PG_GETARG_OID(0);
	tags.isnull = PG_ARGISNULL(1);
	tags.value = tags.isnull ? (Datum) 0 : PG_GETARG_DATUM(1);
	raise_on_failure = PG_ARGISNULL(2) ? false : PG_GETARG_BOOL(2);
	v.rel = DqOpenForExpectations(v.relid);
	/* nothing runs for a caller who may read no column of the relation */
	DqCheckRoleCanSelect(GetUserId(), v.relid, NIL, false,
						 "dq.validate reads the relation for a caller who may read it.");
	v.citus = DqCitusPushdown(v.relid);
	v.nspname = get_namespace_name(RelationGetNamespace(v.rel));
	v.relname = pstrdup(RelationGetRelationName(v.rel));
	DqColumnSourceFromRelation(v.rel, &v.src);
	v.started = GetCurrentTimestamp();
	nestlevel = DqBeginStableOutput();
	/* outlives SPI_finish, for the error below */
	initStringInfo(&v.failed_error);
	DqProgressBegin(DQ_OP_VALIDATION, v.relid);

	DqSpiConnect();
	DqValidateLoad(&v, tags);
	DqValidateCompile(&v);
	DqValidateCheckCaller(&v);
	DqValidateScan(&v);
	DqValidateOwnQueries(&v);
	DqValidateResults(&v);
	run_id = DqValidateStore(&v);
	SPI_finish();
	DqEndStableOutput(nestlevel);
	relation_close(v.rel, NoLock);

	/* a run that checked nothing is not a success: say so */
	if (v.nitems == 0)
		ereport(NOTICE,
				(errmsg("validation of \"%s\" evaluated no expectation", v.relname),
				 errdetail("The relation has no enabled expectation%s; the run is recorded with nothing_evaluated set.",
						   tags.isnull ? "" : " with these tags"),
				 errhint("Define expectations with dq.expect(), or attach those of a dropped relation of the same name with dq.reattach().")));

	if (raise_on_failure && v.failed_error.len > 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("validation of \"%s\" failed", v.relname),
				 errdetail("Failed expectations of severity error: %s.", v.failed_error.data),
				 errhint("SELECT * FROM dq.latest_validation WHERE NOT success shows the failures; the run was not recorded because this error rolls the transaction back.")));

	DqProgressEnd(v.rows);
	PG_RETURN_INT64(run_id);
}
