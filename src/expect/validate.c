/*-------------------------------------------------------------------------
 *
 * validate.c
 *	  Stored expectations: dq.expect(), enabling, dropping, and
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
 * result.  Grouped and query kinds run their own queries, as the role
 * their rule runs as, each in a subtransaction: one that fails is recorded
 * against its expectation.  The run and its results are written as the
 * extension owner (see catalog.c) in the caller's transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
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
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "base/catalog.h"
#include "base/progress.h"
#include "base/citus.h"
#include "base/scan_parallel.h"
#include "base/compat.h"
#include "expect/expect_citus.h"
#include "expect/expectations.h"
#include "expect/ge_kinds.h"
#include "base/subxact.h"
#include "base/json_build.h"
#include "base/trust.h"

PG_FUNCTION_INFO_V1(dq_expect);
PG_FUNCTION_INFO_V1(dq_set_expectation_enabled);
PG_FUNCTION_INFO_V1(dq_drop_expectation);
PG_FUNCTION_INFO_V1(dq_alter_expectation);
PG_FUNCTION_INFO_V1(dq_validate);

static Jsonb *
DqEmptyJsonb(void)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
}

static Relation
DqOpenForExpectations(Oid relid)
{
	Relation	rel = try_relation_open(relid, AccessShareLock);

	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation does not exist"),
				 errdetail("No relation has OID %u; it may have been dropped concurrently.", relid),
				 errhint("Name the relation, for example 'public.orders'.")));
	return rel;
}

/*
 * Defining or changing expectations needs ownership of the relation or
 * membership in a role named dq_admin (which a DBA may create).
 */
static void
DqCheckExpectationAdmin(Oid relid)
{
	Oid			admin = get_role_oid("dq_admin", true);

	if (pg_class_ownercheck(relid, GetUserId()))
		return;
	if (OidIsValid(admin) && is_member_of_role(GetUserId(), admin))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("must be owner of table %s to manage its expectations",
					get_rel_name(relid)),
			 errhint("Ask the table's owner, or a member of the role dq_admin.")));
}

/*
 * dq.expect(rel, kind, column_name, params, mostly, severity, name)
 */
Datum
dq_expect(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *kind;
	char	   *column;
	Jsonb	   *params;
	double		mostly;
	bool		has_mostly;
	char	   *severity;
	Relation	rel;
	DqColumnSource src;
	DqRule	   *rule;
	DqOwnerContext owner;
	int64		id;
	AttrNumber	attnum = InvalidAttrNumber;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(5))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL",
						PG_ARGISNULL(0) ? "rel" : PG_ARGISNULL(1) ? "kind" : "severity"),
				 errhint("dq.expect(rel, kind, column_name, params, mostly, severity, name).")));
	relid = PG_GETARG_OID(0);
	kind = text_to_cstring(PG_GETARG_TEXT_PP(1));
	column = PG_ARGISNULL(2) ? NULL : pstrdup(NameStr(*PG_GETARG_NAME(2)));
	params = PG_ARGISNULL(3) ? DqEmptyJsonb() : PG_GETARG_JSONB_P(3);
	severity = text_to_cstring(PG_GETARG_TEXT_PP(5));
	if (strcmp(severity, "error") != 0 && strcmp(severity, "warn") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("severity must be \"error\" or \"warn\""),
				 errdetail("The value given was \"%s\".", severity),
				 errhint("error makes dq.validate(raise_on_failure => true) raise; warn only records.")));
	mostly = DqResolveMostly(params, !PG_ARGISNULL(4),
							 PG_ARGISNULL(4) ? 1.0 : PG_GETARG_FLOAT8(4), &has_mostly);

	rel = DqOpenForExpectations(relid);
	DqCheckExpectationAdmin(relid);
	DqColumnSourceFromRelation(rel, &src);
	/* names in params as the definer means them, then checked as they run */
	params = DqCanonicalParams(kind, params);
	rule = DqCompileRuleFor(&src, GetUserId(), kind, column, params, mostly);
	if (column != NULL)
		attnum = get_attnum(relid, column);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	DqBecomeExtensionOwner(&owner);
	{
		Oid			argtypes[12] = {OIDOID, NAMEOID, NAMEOID, TEXTOID, NAMEOID, INT2OID,
			JSONBOID, FLOAT8OID, TEXTOID, TEXTOID, NAMEOID, INT2ARRAYOID};
		Datum		values[12];
		char		nulls[12];
		NameData	nsp,
					reln,
					coln,
					own;
		bool		isnull;

		memset(nulls, ' ', sizeof(nulls));
		namestrcpy(&nsp, get_namespace_name(RelationGetNamespace(rel)));
		namestrcpy(&reln, RelationGetRelationName(rel));
		namestrcpy(&own, GetUserNameFromId(owner.save_userid, false));
		values[0] = ObjectIdGetDatum(relid);
		values[1] = NameGetDatum(&nsp);
		values[2] = NameGetDatum(&reln);
		values[3] = CStringGetTextDatum(rule->def->name);
		if (column != NULL)
		{
			namestrcpy(&coln, column);
			values[4] = NameGetDatum(&coln);
			/* column_to_exist names a column that may not exist: no attnum */
			if (AttributeNumberIsValid(attnum) && rule->def->kind != DQ_K_COLUMN_EXISTS)
				values[5] = Int16GetDatum(attnum);
			else
				nulls[5] = 'n';
		}
		else
			nulls[4] = nulls[5] = 'n';
		values[6] = JsonbPGetDatum(params);
		if (has_mostly)
			values[7] = Float8GetDatum(mostly);
		else
			nulls[7] = 'n';
		values[8] = CStringGetTextDatum(severity);
		if (PG_ARGISNULL(6))
			nulls[9] = 'n';
		else
			values[9] = PG_GETARG_DATUM(6);
		values[10] = NameGetDatum(&own);
		/* columns named in params: keep their numbers to follow renames */
		if (rule->def->ncols == 2 || rule->def->ncols == -1)
		{
			Datum	   *nums = palloc(sizeof(Datum) * rule->ncols);
			int			i;

			for (i = 0; i < rule->ncols; i++)
				nums[i] = Int16GetDatum(get_attnum(relid, rule->cols[i].name));
			values[11] = PointerGetDatum(construct_array(nums, rule->ncols, INT2OID,
														 sizeof(int16), true, TYPALIGN_SHORT));
		}
		else
			nulls[11] = 'n';
		if (SPI_execute_with_args("INSERT INTO dq.expectations (relid, schema_name, table_name, "
								  "kind, column_name, attnum, params, mostly, severity, name, owner, "
								  "param_attnums) "
								  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
								  "RETURNING expectation_id",
								  12, argtypes, values, nulls, false, 1) != SPI_OK_INSERT_RETURNING)
			elog(ERROR, "could not record the expectation");
		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	DqRestoreUser(&owner);
	SPI_finish();
	relation_close(rel, NoLock);
	PG_RETURN_INT64(id);
}

/* Relation of an expectation, or ERROR when there is none. */
static Oid
DqExpectationRelid(int64 id)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1];
	bool		isnull;
	Oid			relid;
	DqOwnerContext owner;

	values[0] = Int64GetDatum(id);
	DqBecomeExtensionOwner(&owner);
	if (SPI_execute_with_args("SELECT relid FROM dq.expectations WHERE expectation_id = $1",
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read dq.expectations");
	DqRestoreUser(&owner);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("expectation %lld does not exist", (long long) id),
				 errhint("SELECT expectation_id, kind FROM dq.expectations lists them.")));
	relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	return relid;
}

/*
 * The caller may manage expectation id: owner of its relation (or
 * dq_admin), or superuser once the relation is gone.  SPI is connected.
 */
static void
DqCheckExpectationAccess(int64 id)
{
	Oid			relid = DqExpectationRelid(id);

	if (get_rel_name(relid) != NULL)
		DqCheckExpectationAdmin(relid);
	else if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be superuser to manage expectations of a dropped relation"),
				 errhint("Ask a superuser to drop or change the expectation.")));
}

/* Run a statement on one expectation as the extension owner. */
static void
DqExpectationUpdate(FunctionCallInfo fcinfo, const char *sql, bool with_flag)
{
	int64		id;
	Oid			argtypes[2] = {INT8OID, BOOLOID};
	Datum		values[2];
	DqOwnerContext owner;

	if (PG_ARGISNULL(0) || (with_flag && PG_ARGISNULL(1)))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("arguments must not be NULL"),
				 errhint("Pass an expectation_id from dq.expectations.")));
	id = PG_GETARG_INT64(0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	DqCheckExpectationAccess(id);
	values[0] = Int64GetDatum(id);
	values[1] = with_flag ? BoolGetDatum(PG_GETARG_BOOL(1)) : BoolGetDatum(false);
	DqBecomeExtensionOwner(&owner);
	if (SPI_execute_with_args(sql, with_flag ? 2 : 1, argtypes, values, NULL, false, 0) < 0)
		elog(ERROR, "could not update the expectation");
	DqRestoreUser(&owner);
	SPI_finish();
}

Datum
dq_set_expectation_enabled(PG_FUNCTION_ARGS)
{
	DqExpectationUpdate(fcinfo,
						"UPDATE dq.expectations SET enabled = $2 WHERE expectation_id = $1",
						true);
	PG_RETURN_VOID();
}

/*
 * dq.alter_expectation(id, enabled, tags, description, severity, name):
 * NULL arguments keep the current values.
 */
Datum
dq_alter_expectation(PG_FUNCTION_ARGS)
{
	Oid			argtypes[6] = {INT8OID, BOOLOID, JSONBOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[6];
	char		nulls[6];
	int			i;
	DqOwnerContext owner;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("expectation_id must not be NULL"),
				 errhint("Pass an expectation_id from dq.expectations.")));
	if (!PG_ARGISNULL(2))
	{
		Jsonb	   *tags = PG_GETARG_JSONB_P(2);
		JsonbIterator *it;
		JsonbValue	v;
		JsonbIteratorToken tok;

		if (!JB_ROOT_IS_ARRAY(tags) || JB_ROOT_IS_SCALAR(tags))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("tags must be a JSON array of strings"),
					 errhint("Pass for example '[\"nightly\", \"finance\"]'.")));
		it = JsonbIteratorInit(&tags->root);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
			if (tok == WJB_ELEM && v.type != jbvString)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("tags must be a JSON array of strings"),
						 errhint("Pass for example '[\"nightly\", \"finance\"]'.")));
	}
	if (!PG_ARGISNULL(4))
	{
		char	   *sev = text_to_cstring(PG_GETARG_TEXT_PP(4));

		if (strcmp(sev, "error") != 0 && strcmp(sev, "warn") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("severity must be \"error\" or \"warn\""),
					 errdetail("The value given was \"%s\".", sev),
					 errhint("error makes dq.validate(raise_on_failure => true) raise; warn only records.")));
	}
	for (i = 0; i < 6; i++)
	{
		values[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	DqCheckExpectationAccess(PG_GETARG_INT64(0));
	DqBecomeExtensionOwner(&owner);
	if (SPI_execute_with_args("UPDATE dq.expectations SET "
							  "  enabled = COALESCE($2, enabled), tags = COALESCE($3, tags), "
							  "  description = COALESCE($4, description), "
							  "  severity = COALESCE($5, severity), name = COALESCE($6, name) "
							  "WHERE expectation_id = $1",
							  6, argtypes, values, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not update the expectation");
	DqRestoreUser(&owner);
	SPI_finish();
	PG_RETURN_VOID();
}

Datum
dq_drop_expectation(PG_FUNCTION_ARGS)
{
	DqExpectationUpdate(fcinfo,
						"DELETE FROM dq.expectations WHERE expectation_id = $1", false);
	PG_RETURN_VOID();
}

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
	DqRule	   *rule;			/* NULL when it did not compile */
	char	   *error;			/* why not */
	int			rulepos;		/* index among row-level rules */
	int			aggpos;			/* select-list position of an aggregate */
	Datum		result;			/* jsonb */
	bool		success;
	int64		element_count;
	int64		unexpected_count;
	double		unexpected_percent;
	bool		has_percent;
} DqValItem;

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

/* Compile one expectation; an error is kept on the item, not raised. */
static void
DqCompileProtected(DqColumnSource *src, DqValItem *it)
{
	DqValStep	step = {src, it, NULL};

	it->error = DqRunProtected(DqCompileStepFn, &step);
	if (it->error != NULL)
		it->rule = NULL;
}

/*
 * The own query of a grouped or query kind, as the role its rule runs as
 * (the relation's owner, or for a row condition or a second relation the
 * expectation's owner), restricted, with search_path pinned.
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
	else if (it->rule->def->kind == DQ_K_UNEXPECTED_ROWS)
		/* the user's query runs as the role that defined it */
		it->result = DqRunUnexpectedRows(it->rule, get_role_oid(it->owner, false),
										 it->column, it->params, it->has_mostly);
	else
		it->result = DqRunQueryKind(it->rule, step->src->qualname, it->column,
									it->params, it->has_mostly);
	DqRestoreUser(&owner);
}

/*
 * The attribute numbers of the columns a list of compiled expectations
 * reads; *whole_row when one of them reads every column.
 */
static List *
DqItemsAttnums(DqValItem *items, int nitems, bool *whole_row)
{
	List	   *all = NIL;
	int			i;

	*whole_row = false;
	for (i = 0; i < nitems; i++)
	{
		bool		whole;
		ListCell   *lc;

		if (items[i].rule == NULL)
			continue;
		foreach(lc, DqRuleAttnums(items[i].rule, &whole))
			if (!list_member_int(all, lfirst_int(lc)))
				all = lappend_int(all, lfirst_int(lc));
		*whole_row |= whole;
	}
	return all;
}

/* GE's result for an expectation that could not be evaluated. */
static Datum
DqExceptionResult(DqValItem *it)
{
	DqJson		js = {0};

	DqJsonBegin(&js, '{');
	DqJsonBool(&js, "success", false);
	DqJsonKey(&js, "expectation_config");
	DqJsonBegin(&js, '{');
	DqJsonText(&js, "expectation_type", it->kind);
	DqJsonRaw(&js, "kwargs", JsonbToCString(NULL, &it->params->root, VARSIZE(it->params)));
	DqJsonRaw(&js, "meta", "{}");
	DqJsonEnd(&js, '}');
	DqJsonRaw(&js, "result", "{}");
	DqJsonKey(&js, "exception_info");
	DqJsonBegin(&js, '{');
	DqJsonBool(&js, "raised_exception", true);
	DqJsonNull(&js, "exception_traceback");
	DqJsonText(&js, "exception_message", it->error);
	DqJsonEnd(&js, '}');
	DqJsonRaw(&js, "meta", "{}");
	DqJsonEnd(&js, '}');
	return DqJsonToJsonb(&js);
}

/*
 * dq.validate(rel regclass, tags text[], raise_on_failure boolean)
 */
Datum
dq_validate(PG_FUNCTION_ARGS)
{
	Oid			relid;
	bool		raise_on_failure;
	Relation	rel;
	DqColumnSource src;
	DqValItem  *items;
	int			nitems;
	int			i;
	int			nrules = 0;
	TimestampTz started;
	StringInfoData rules;
	StringInfoData q;
	StringInfoData aggs;
	bool		citus;
	List	   *usedcols = NIL;
	ListCell   *lc;
	int64		rows = 0;
	Jsonb	   *counts = NULL;
	int64		run_id;
	int			nsucceeded = 0;
	int			nfailed = 0;
	int			nestlevel;
	DqOwnerContext owner;
	StringInfoData failed_error;
	char	   *nspname;
	char	   *relname;
	bool		untrusted = false;
	bool		has_attnums;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rel must not be NULL"),
				 errhint("Name the relation to validate, for example 'public.orders'.")));
	relid = PG_GETARG_OID(0);
	raise_on_failure = PG_ARGISNULL(2) ? false : PG_GETARG_BOOL(2);
	rel = DqOpenForExpectations(relid);
	/* nothing runs for a caller who may read no column of the relation */
	DqCheckRoleCanSelect(GetUserId(), relid, NIL, false,
						 "dq.validate reads the relation for a caller who may read it.");
	citus = DqCitusPushdown(relid);
	nspname = get_namespace_name(RelationGetNamespace(rel));
	relname = pstrdup(RelationGetRelationName(rel));
	DqColumnSourceFromRelation(rel, &src);
	started = GetCurrentTimestamp();
	nestlevel = DqBeginStableOutput();
	/* outlives SPI_finish, for the error below */
	initStringInfo(&failed_error);
	DqProgressBegin(DQ_OP_VALIDATION, relid);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* the enabled expectations, with their columns' current names */
	{
		Oid			argtypes[2] = {OIDOID, TEXTARRAYOID};
		Datum		values[2];
		char		nulls[2] = {' ', ' '};
		MemoryContext fncxt = CurrentMemoryContext;

		values[0] = ObjectIdGetDatum(relid);
		if (PG_ARGISNULL(1))
			nulls[1] = 'n';
		else
			values[1] = PG_GETARG_DATUM(1);
		DqBecomeExtensionOwner(&owner);
		if (SPI_execute_with_args("SELECT e.expectation_id, e.kind, "
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
								  " ORDER BY e.expectation_id",
								  2, argtypes, values, nulls, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read dq.expectations");
		DqRestoreUser(&owner);
		nitems = (int) SPI_processed;
		items = palloc0(sizeof(DqValItem) * Max(nitems, 1));
		for (i = 0; i < nitems; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	td = SPI_tuptable->tupdesc;
			bool		isnull;
			Datum		d;
			MemoryContext old = MemoryContextSwitchTo(fncxt);

			items[i].id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
			items[i].kind = SPI_getvalue(tup, td, 2);
			items[i].column = SPI_getvalue(tup, td, 3);
			d = SPI_getbinval(tup, td, 4, &isnull);
			items[i].params = DatumGetJsonbPCopy(d);
			d = SPI_getbinval(tup, td, 5, &isnull);
			items[i].has_mostly = !isnull;
			items[i].mostly = isnull ? 1.0 : DatumGetFloat8(d);
			items[i].severity = SPI_getvalue(tup, td, 6);
			items[i].owner = SPI_getvalue(tup, td, 7);
			items[i].ownerid = get_role_oid(items[i].owner, true);
			d = SPI_getbinval(tup, td, 8, &isnull);
			items[i].attnums = isnull ? (Datum) 0 :
				PointerGetDatum(DatumGetArrayTypePCopy(d));
			MemoryContextSwitchTo(old);
		}
	}

	/* compile; an expectation whose column is gone gets an exception */
	initStringInfo(&rules);
	appendStringInfoChar(&rules, '[');
	for (i = 0; i < nitems; i++)
	{
		DqValItem  *it = &items[i];
		int			c;

		if (it->column != NULL && it->column[0] == '\0')
		{
			it->error = psprintf("the column of expectation %lld was dropped", (long long) it->id);
			continue;
		}
		DqCompileProtected(&src, it);
		if (it->rule == NULL || it->rule->def->scope != DQ_SCOPE_MAP)
			continue;
		it->rulepos = nrules++;
		untrusted |= it->rule->untrusted_code;
		if (it->rulepos > 0)
			appendStringInfoString(&rules, ", ");
		appendStringInfoString(&rules, "{\"kind\": ");
		escape_json(&rules, it->kind);
		if (it->column)
		{
			appendStringInfoString(&rules, ", \"column\": ");
			escape_json(&rules, it->column);
		}
		appendStringInfo(&rules, ", \"mostly\": %.17g, \"params\": %s}", it->mostly,
						 JsonbToCString(NULL, &it->params->root, VARSIZE(it->params)));
		for (c = 0; c < it->rule->ncols; c++)
			if (!list_member_int(usedcols, it->rule->cols[c].srcindex))
				usedcols = lappend_int(usedcols, it->rule->cols[c].srcindex);
	}
	appendStringInfoChar(&rules, ']');

	/*
	 * The caller must be allowed to read what the expectations read, even
	 * though the reading runs as the relation's owner.
	 */
	{
		bool		whole_row;
		List	   *attnums = DqItemsAttnums(items, nitems, &whole_row);

		DqCheckRoleCanSelect(GetUserId(), relid, attnums, whole_row,
							 "dq.validate reads the columns its expectations check, for a caller who may read them.");
	}

	/* the scan */
	initStringInfo(&q);
	initStringInfo(&aggs);
	appendStringInfoString(&q, "SELECT pg_catalog.count(*)");
	if (nrules > 0 && citus)
		appendStringInfo(&q, ", %s",
						 DqExpectCitusRowsCall("$1::pg_catalog.jsonb", &src, usedcols));
	else if (nrules > 0)
	{
		appendStringInfoString(&q, ", dq.expect_rows($1::pg_catalog.jsonb, $2::pg_catalog.name[], $3::pg_catalog.oid[]");
		foreach(lc, usedcols)
			appendStringInfo(&q, ", %s", quote_identifier(src.names[lfirst_int(lc)]));
		appendStringInfoChar(&q, ')');
	}
	/* aggregate kinds: their statistic and test, in the same scan */
	{
		int			pos = 1 + (nrules > 0 ? 1 : 0);

		for (i = 0; i < nitems; i++)
		{
			DqValItem  *it = &items[i];

			if (it->rule == NULL || it->rule->def->scope != DQ_SCOPE_AGGREGATE)
				continue;
			it->aggpos = ++pos;
			appendStringInfo(citus ? &aggs : &q, ", %s", it->rule->agg_sql);
		}
	}
	appendStringInfo(&q, " FROM %s", src.qualname);
	/* distributed: the aggregate kinds in a query of their own (expect_citus.c) */
	if (aggs.len > 0)
		q.data = psprintf("SELECT r.*, a.* FROM (%s) r, (SELECT %s FROM %s) a",
						  q.data, aggs.data + 2, src.qualname);
	{
		Oid			argtypes[3] = {JSONBOID, NAMEARRAYOID, OIDARRAYOID};
		Datum		values[3];
		bool		isnull;
		int			nest;
		DqOwnerContext scanner;

		/* names and collations as arrays: no name is quoted into a literal */
		if (nrules > 0)
		{
			int			n = list_length(usedcols);
			Datum	   *names = palloc(sizeof(Datum) * Max(n, 1));
			Datum	   *colls = palloc(sizeof(Datum) * Max(n, 1));

			foreach(lc, usedcols)
			{
				Name		nm = palloc0(NAMEDATALEN);

				namestrcpy(nm, src.names[lfirst_int(lc)]);
				names[foreach_current_index(lc)] = NameGetDatum(nm);
				colls[foreach_current_index(lc)] = ObjectIdGetDatum(src.collations[lfirst_int(lc)]);
			}
			values[0] = DirectFunctionCall1(jsonb_in, CStringGetDatum(rules.data));
			values[1] = PointerGetDatum(construct_array(names, n, NAMEOID, NAMEDATALEN,
														false, TYPALIGN_CHAR));
			values[2] = PointerGetDatum(construct_array(colls, n, OIDOID, sizeof(Oid),
														true, TYPALIGN_INT));
		}

		/* as the relation's owner: its code never runs as the caller */
		DqBecomeRelationOwner(relid, &scanner);
		nest = NewGUCNestLevel();
		DqCapScanWorkers();
		/* code that needs subtransactions cannot run in parallel workers */
		if (untrusted)
			DqSetLocalGuc("max_parallel_workers_per_gather", "0");
		DqProgressPhase(DQ_PHASE_SCANNING);
		/* no row limit: a limit would disable parallel query */
		if (SPI_execute_with_args(q.data, nrules > 0 ? 3 : 0, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "validation query failed: %s", q.data);
		DqProgressPhase(DQ_PHASE_EVALUATING);
		AtEOXact_GUC(true, nest);
		DqRestoreUser(&scanner);
		rows = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (nrules > 0)
		{
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);

			counts = isnull ? NULL : DatumGetJsonbPCopy(d);
		}
		for (i = 0; i < nitems; i++)
		{
			DqValItem  *it = &items[i];
			Datum		d;

			if (it->rule == NULL || it->rule->def->scope != DQ_SCOPE_AGGREGATE)
				continue;
			d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, it->aggpos, &isnull);
			it->result = DqAggregateFromJsonb(it->rule, it->column, it->params, it->has_mostly,
											  DatumGetJsonbP(d));
			it->result = PointerGetDatum(DatumGetJsonbPCopy(it->result));
		}
	}

	/* grouped and query kinds: their own queries, each on its own */
	for (i = 0; i < nitems; i++)
	{
		DqValItem  *it = &items[i];
		DqCheckState *cs;
		DqValStep	step = {&src, it, NULL};

		if (it->rule == NULL || (it->rule->def->scope != DQ_SCOPE_GROUPED &&
								 it->rule->def->scope != DQ_SCOPE_QUERY))
			continue;
		cs = palloc0(sizeof(DqCheckState));
		DqParseResultFormat(it->params, cs);
		step.cs = cs;
		it->error = DqRunProtected(DqRunOwnQueryFn, &step);
		if (it->error != NULL)
		{
			it->rule = NULL;
			continue;
		}
		if (it->rule->def->scope == DQ_SCOPE_GROUPED)
		{
			it->result = DqCheckResult(it->rule, cs, it->column, it->params, it->has_mostly);
			it->element_count = cs->element_count;
			it->unexpected_count = cs->unexpected_count;
			{
				int64		n = cs->element_count - cs->missing_count;

				it->has_percent = n > 0;
				it->unexpected_percent = n > 0 ? (double) cs->unexpected_count / n * 100.0 : 0;
			}
		}
		it->success = DqJsonbGetBool(&DatumGetJsonbP(it->result)->root, "success");
	}

	/* results */
	for (i = 0; i < nitems; i++)
	{
		DqValItem  *it = &items[i];

		if (it->rule == NULL)
		{
			it->result = DqExceptionResult(it);
			it->success = false;
		}
		else if (it->rule->def->scope == DQ_SCOPE_AGGREGATE ||
				 it->rule->def->scope == DQ_SCOPE_METADATA)
		{
			if (it->rule->def->scope == DQ_SCOPE_METADATA)
				it->result = DqAggregateResult(it->rule, it->column, it->params, it->has_mostly,
											   it->rule->meta_success, it->rule->meta_result);
			it->success = DqJsonbGetBool(&DatumGetJsonbP(it->result)->root, "success");
		}
		else if (it->rule->def->scope == DQ_SCOPE_MAP)
		{
			DqCheckState cs = {0};

			DqParseResultFormat(it->params, &cs);
			if (counts != NULL)
				DqCountsFromJsonb(getIthJsonbValueFromContainer(&counts->root,
																it->rulepos)->val.binary.data,
								  &cs);
			it->result = DqCheckResult(it->rule, &cs, it->column, it->params, it->has_mostly);
			it->success = DqJsonbGetBool(&DatumGetJsonbP(it->result)->root, "success");
			it->element_count = cs.element_count;
			it->unexpected_count = cs.unexpected_count;
			{
				bool		nullkind = (it->rule->def->kind == DQ_K_NOT_NULL ||
										it->rule->def->kind == DQ_K_NULL);
				int64		n = nullkind ? cs.element_count : cs.element_count - cs.missing_count;

				it->has_percent = n > 0;
				it->unexpected_percent = n > 0 ? (double) cs.unexpected_count / n * 100.0 : 0;
			}
		}
		if (it->success)
			nsucceeded++;
		else
		{
			nfailed++;
			if (strcmp(it->severity, "error") == 0)
				appendStringInfo(&failed_error, "%s%lld (%s%s%s)", failed_error.len ? ", " : "",
								 (long long) it->id, it->kind,
								 it->column ? " on " : "", it->column ? it->column : "");
		}
	}

	/* record the run and its results as the extension owner */
	has_attnums = DqCatalogHasColumn("validation_results", "attnums");
	DqProgressPhase(DQ_PHASE_STORING);
	DqBecomeExtensionOwner(&owner);
	{
		Oid			argtypes[10] = {OIDOID, NAMEOID, NAMEOID, TIMESTAMPTZOID, TIMESTAMPTZOID,
		INT8OID, INT4OID, INT4OID, INT4OID, NAMEOID};
		Datum		values[10];
		NameData	nsp,
					reln,
					runby;
		bool		isnull;

		namestrcpy(&nsp, nspname);
		namestrcpy(&reln, relname);
		values[0] = ObjectIdGetDatum(relid);
		values[1] = NameGetDatum(&nsp);
		values[2] = NameGetDatum(&reln);
		values[3] = TimestampTzGetDatum(started);
		values[4] = TimestampTzGetDatum(GetCurrentTimestamp());
		values[5] = Int64GetDatum(rows);
		values[6] = Int32GetDatum(nitems);
		values[7] = Int32GetDatum(nsucceeded);
		values[8] = Int32GetDatum(nfailed);
		namestrcpy(&runby, GetUserNameFromId(owner.save_userid, false));
		values[9] = NameGetDatum(&runby);
		if (SPI_execute_with_args("INSERT INTO dq.validation_runs (relid, schema_name, table_name, "
								  "started_at, finished_at, rows_scanned, evaluated, succeeded, failed, run_by) "
								  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
								  "RETURNING run_id",
								  10, argtypes, values, NULL, false, 1) != SPI_OK_INSERT_RETURNING)
			elog(ERROR, "could not record the validation run");
		run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	for (i = 0; i < nitems; i++)
	{
		DqValItem  *it = &items[i];
		Oid			argtypes[12] = {INT8OID, INT8OID, OIDOID, TEXTOID, NAMEOID, TEXTOID,
		BOOLOID, INT8OID, INT8OID, FLOAT8OID, JSONBOID, INT2ARRAYOID};
		Datum		values[12];
		char		nulls[12];
		NameData	coln;

		memset(nulls, ' ', sizeof(nulls));
		values[0] = Int64GetDatum(run_id);
		values[1] = Int64GetDatum(it->id);
		values[2] = ObjectIdGetDatum(relid);
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
		if (it->rule != NULL && (it->rule->def->scope == DQ_SCOPE_MAP ||
								 it->rule->def->scope == DQ_SCOPE_GROUPED))
		{
			values[7] = Int64GetDatum(it->element_count);
			values[8] = Int64GetDatum(it->unexpected_count);
		}
		else
			nulls[7] = nulls[8] = 'n';
		if (it->rule != NULL && it->rule->def->scope != DQ_SCOPE_AGGREGATE &&
			it->rule->def->scope != DQ_SCOPE_METADATA && it->has_percent)
			values[9] = Float8GetDatum(it->unexpected_percent);
		else
			nulls[9] = 'n';
		values[10] = it->result;
		values[11] = it->attnums;
		if (it->attnums == (Datum) 0)
			nulls[11] = 'n';
		if (SPI_execute_with_args(has_attnums ?
								  "INSERT INTO dq.validation_results (run_id, expectation_id, relid, "
								  "kind, column_name, severity, success, element_count, "
								  "unexpected_count, unexpected_percent, result, attnums) "
								  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)" :
								  "INSERT INTO dq.validation_results (run_id, expectation_id, relid, "
								  "kind, column_name, severity, success, element_count, "
								  "unexpected_count, unexpected_percent, result) "
								  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
								  has_attnums ? 12 : 11, argtypes, values, nulls, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not record a validation result");
	}
	DqRestoreUser(&owner);
	SPI_finish();
	DqEndStableOutput(nestlevel);
	relation_close(rel, NoLock);

	/* a run that checked nothing is not a success: say so */
	if (nitems == 0)
		ereport(NOTICE,
				(errmsg("validation of \"%s\" evaluated no expectation", relname),
				 errdetail("The relation has no enabled expectation%s; the run is recorded with nothing_evaluated set.",
						   PG_ARGISNULL(1) ? "" : " with these tags"),
				 errhint("Define expectations with dq.expect(), or attach those of a dropped relation of the same name with dq.reattach().")));

	if (raise_on_failure && failed_error.len > 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("validation of \"%s\" failed", relname),
				 errdetail("Failed expectations of severity error: %s.", failed_error.data),
				 errhint("SELECT * FROM dq.latest_validation WHERE NOT success shows the failures; the run was not recorded because this error rolls the transaction back.")));

	DqProgressEnd(rows);
	PG_RETURN_INT64(run_id);
}
