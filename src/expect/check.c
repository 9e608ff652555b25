/*-------------------------------------------------------------------------
 *
 * check.c
 *	  dq.check(): evaluate one row-level expectation on a relation, ad hoc,
 *	  and return a Great Expectations validation result as jsonb.  Nothing
 *	  is stored.
 *
 * The caller must be allowed to read the columns the expectation reads;
 * the reading itself runs as the relation's owner (or, for a row condition
 * or a second relation, as the caller, who chose them), restricted, with
 * search_path pinned, exactly as dq.validate runs a stored expectation
 * (see DqCompileRuleFor).  Values the caller could not see -- rows that
 * row-level security hides from them, another relation they cannot read --
 * are taken out of the result (dq.result_visible, dq.redact_result).
 * Memory is bounded: per-row work happens in a context reset for every
 * row, and only the first partial_unexpected_count unexpected values (all
 * of them up to DQ_COMPLETE_MAX with COMPLETE) are kept.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/relation.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "base/catalog.h"
#include "base/citus.h"
#include "base/json_build.h"
#include "base/spi_util.h"
#include "base/trust.h"
#include "base/progress.h"
#include "expect/expect_citus.h"
#include "expect/expectations.h"

PG_FUNCTION_INFO_V1(dq_check);

#define DQ_FETCH_ROWS 1000

/* Read every row of the expectation's columns and count outcomes. */
static void
DqCheckScan(Relation rel, DqRule *r, DqCheckState *cs)
{
	StringInfoData q;
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext rowcxt;
	Portal		portal;
	Datum	   *values = palloc(sizeof(Datum) * r->ncols);
	bool	   *isnull = palloc(sizeof(bool) * r->ncols);
	int			i;

	initStringInfo(&q);
	appendStringInfoString(&q, "SELECT ");
	for (i = 0; i < r->ncols; i++)
		appendStringInfo(&q, "%s%s", i ? ", " : "", quote_identifier(r->cols[i].name));
	appendStringInfo(&q, " FROM %s",
					 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												RelationGetRelationName(rel)));

	rowcxt = AllocSetContextCreate(callercxt, "dq check row", ALLOCSET_DEFAULT_SIZES);
	DqSpiConnect();
	/* read_only = false: a snapshot taken now, after our lock (see profile.c) */
	portal = SPI_cursor_open_with_args(NULL, q.data, 0, NULL, NULL, NULL, false, 0);
	for (;;)
	{
		uint64		row;

		SPI_cursor_fetch(portal, true, DQ_FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		for (row = 0; row < SPI_processed; row++)
		{
			HeapTuple	tup = SPI_tuptable->vals[row];
			MemoryContext old;
			DqOutcome	outcome;

			CHECK_FOR_INTERRUPTS();
			old = MemoryContextSwitchTo(rowcxt);
			for (i = 0; i < r->ncols; i++)
				values[i] = SPI_getbinval(tup, SPI_tuptable->tupdesc, i + 1, &isnull[i]);
			outcome = DqEvalRule(r, values, isnull);
			cs->element_count++;
			if (outcome == DQ_MISSING)
				cs->missing_count++;
			else if (outcome == DQ_UNEXPECTED)
			{
				cs->unexpected_count++;
				if (list_length(cs->partial) < cs->partial_max ||
					(cs->format == DQ_RF_COMPLETE &&
					 list_length(cs->complete) < DQ_COMPLETE_MAX))
				{
					char	   *json = DqUnexpectedJson(r, values, isnull);

					MemoryContextSwitchTo(callercxt);
					json = pstrdup(json);
					if (list_length(cs->partial) < cs->partial_max)
						cs->partial = lappend(cs->partial, json);
					if (cs->format == DQ_RF_COMPLETE &&
						list_length(cs->complete) < DQ_COMPLETE_MAX)
						cs->complete = lappend(cs->complete, json);
				}
			}
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_finish();
	MemoryContextDelete(rowcxt);
}

/* dq.check of an aggregate kind: SELECT <its expression> FROM rel. */
static Datum
DqCheckAggregate(DqRule *r, const char *qualname, const char *column,
				 Jsonb *params, bool has_mostly)
{
	MemoryContext callercxt = CurrentMemoryContext;
	bool		isnull;
	Jsonb	   *agg;

	DqSpiConnect();
	DqSpiRunOneRow(psprintf("SELECT %s FROM %s", r->agg_sql, qualname),
				   0, NULL, NULL, NULL, false, SPI_OK_SELECT,
				   "run the query of the expectation");
	agg = DatumGetJsonbP(DqSpiCopyValue(0, 1, callercxt, &isnull));
	SPI_finish();
	return DqAggregateFromJsonb(r, column, params, has_mostly, agg);
}

/*
 * Evaluate a compiled rule on rel, by the way its kind is evaluated; the
 * caller has become the role it runs as.  *rows is the number of rows
 * tested, or -1 when the kind tests none.
 */
static Datum
DqCheckRun(Relation rel, DqRule *rule, const DqColumnSource *src,
		   const char *column, Jsonb *params, bool has_mostly, int64 *rows)
{
	DqCheckState cs = {0};
	Datum		result;

	*rows = -1;

	switch (rule->def->scope)
	{
		case DQ_SCOPE_METADATA:
			return DqAggregateResult(rule, column, params, has_mostly,
									 rule->meta_success, rule->meta_result);
		case DQ_SCOPE_AGGREGATE:
			return DqCheckAggregate(rule, src->qualname, column, params, has_mostly);
		case DQ_SCOPE_QUERY:
			return DqRunQueryKind(rule, src->qualname, column, params, has_mostly);
		case DQ_SCOPE_GROUPED:
			DqParseResultFormat(params, &cs);
			DqRunGrouped(rule, src->qualname, &cs);
			break;
		case DQ_SCOPE_MAP:
			DqParseResultFormat(params, &cs);
			/* a distributed table is scanned on its shards */
			if (DqCitusPushdown(RelationGetRelid(rel)))
				DqExpectCitusScan(rel, rule, &cs);
			else
				DqCheckScan(rel, rule, &cs);
			break;
	}
	result = DqCheckResult(rule, &cs, column, params, has_mostly);
	if (cs.element_count > 0)
		*rows = cs.element_count;
	return result;
}

/*
 * The result as the caller may see it: whole when dq.result_visible says
 * the caller sees the values of these columns as the relation's owner
 * does, else without its values (dq.redact_result).  Both are the SQL
 * functions the policies of dq.validation_results use.
 */
static Datum
DqRedactForCaller(Oid relid, List *attnums, bool whole_row, Datum result)
{
	Oid			argtypes[3] = {OIDOID, INT2ARRAYOID, JSONBOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(attnums), 1));
	ListCell   *lc;
	bool		isnull;
	MemoryContext callercxt = CurrentMemoryContext;
	DqOwnerContext pinned;
	Datum		out;

	/* before ALTER EXTENSION UPDATE the SQL objects may be older */
	{
		Oid			fargs[3] = {OIDOID, INT2ARRAYOID, JSONBOID};

		if (!OidIsValid(LookupFuncName(list_make2(makeString("dq"), makeString("result_visible")),
									   3, fargs, true)))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the SQL objects of extension dq_lineage are older than its library"),
					 errdetail("dq.check needs dq.result_visible, which a later version of the extension creates."),
					 errhint("Run ALTER EXTENSION dq_lineage UPDATE.")));
	}
	foreach(lc, attnums)
		elems[foreach_current_index(lc)] = Int16GetDatum((int16) lfirst_int(lc));
	values[0] = ObjectIdGetDatum(relid);
	if (whole_row)
		nulls[1] = 'n';
	else
		values[1] = PointerGetDatum(construct_array(elems, list_length(attnums), INT2OID,
													sizeof(int16), true, TYPALIGN_SHORT));
	values[2] = result;
	DqSpiConnect();
	DqBecomeOwner(GetUserId(), &pinned);
	DqSpiRunOneRow("SELECT CASE WHEN dq.result_visible($1, $2, $3) THEN $3 "
				   "ELSE dq.redact_result($3) END",
				   3, argtypes, values, nulls, true, SPI_OK_SELECT,
				   "decide what the caller may see of the result");
	DqRestoreUser(&pinned);
	out = DqSpiCopyValue(0, 1, callercxt, &isnull);
	SPI_finish();
	return out;
}

/*
 * dq.check(rel regclass, kind text, column_name name, params jsonb,
 *			mostly float8) RETURNS jsonb
 */
Datum
dq_check(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *kind;
	char	   *column;
	Jsonb	   *params;
	double		mostly = 1.0;
	bool		has_mostly;
	Relation	rel;
	DqRule	   *rule;
	Datum		result;
	int			nestlevel;
	DqColumnSource src;
	List	   *attnums;
	bool		whole_row;
	DqOwnerContext owner;
	int64		rows;

	DqRequireArg(fcinfo, 0, "rel",
				 "Name the relation to check, for example 'public.orders'.");
	DqRequireArg(fcinfo, 1, "kind",
				 "SELECT * FROM dq.expectation_kinds lists the kinds.");
	relid = PG_GETARG_OID(0);
	kind = text_to_cstring(PG_GETARG_TEXT_PP(1));
	column = PG_ARGISNULL(2) ? NULL : pstrdup(NameStr(*PG_GETARG_NAME(2)));
	params = PG_ARGISNULL(3) ?
		DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"))) :
		PG_GETARG_JSONB_P(3);
	has_mostly = !PG_ARGISNULL(4);
	if (has_mostly)
		mostly = PG_GETARG_FLOAT8(4);

	rel = try_relation_open(relid, AccessShareLock);
	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation to check does not exist"),
				 errdetail("No relation has OID %u; it may have been dropped concurrently.", relid),
				 errhint("Name the relation, for example 'public.orders'.")));

	mostly = DqResolveMostly(params, has_mostly, mostly, &has_mostly);

	/* nothing runs for a caller who may read no column of the relation */
	DqCheckRoleCanSelect(GetUserId(), relid, NIL, false,
						 "dq.check reads the relation for a caller who may read it.");
	nestlevel = DqBeginStableOutput();
	DqColumnSourceFromRelation(rel, &src);
	params = DqCanonicalParams(kind, params);
	rule = DqCompileRuleFor(&src, GetUserId(), kind, column, params, mostly);
	attnums = DqRuleAttnums(rule, &whole_row);
	DqCheckRoleCanSelect(GetUserId(), relid, attnums, whole_row,
						 "dq.check reads the columns the expectation checks, for a caller who may read them.");
	DqProgressBegin(DQ_OP_CHECK, relid);
	DqProgressPhase(DQ_PHASE_SCANNING);
	DqBecomeOwner(rule->runas, &owner);
	result = DqCheckRun(rel, rule, &src, column, params, has_mostly, &rows);
	DqRestoreUser(&owner);
	result = DqRedactForCaller(relid, attnums, whole_row, result);
	DqEndStableOutput(nestlevel);
	relation_close(rel, NoLock);
	DqProgressEnd(rows);
	PG_RETURN_DATUM(result);
}
