/*-------------------------------------------------------------------------
 *
 * define.c
 *	  Stored expectations: dq.expect(), which checks an expectation by
 *	  compiling it the way dq.validate runs it and stores it, and enabling,
 *	  changing and dropping them.
 *
 * Defining or changing expectations needs ownership of the relation or
 * membership in a role named dq_admin.  The catalog rows are written as
 * the extension owner (see catalog.c) in the caller's transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "base/catalog.h"
#include "base/spi_util.h"
#include "base/trust.h"
#include "expect/expectations.h"

PG_FUNCTION_INFO_V1(dq_expect);
PG_FUNCTION_INFO_V1(dq_set_expectation_enabled);
PG_FUNCTION_INFO_V1(dq_drop_expectation);
PG_FUNCTION_INFO_V1(dq_alter_expectation);

/* Open the relation of expectations; ERROR when it is gone. */
Relation
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
void
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

/* severity: "error" or "warn" */
static void
DqCheckSeverity(const char *severity)
{
	if (strcmp(severity, "error") != 0 && strcmp(severity, "warn") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("severity must be \"error\" or \"warn\""),
				 errdetail("The value given was \"%s\".", severity),
				 errhint("error makes dq.validate(raise_on_failure => true) raise; warn only records.")));
}

/* a new row of dq.expectations */
typedef struct DqNewExpectation
{
	Relation	rel;
	DqRule	   *rule;
	const char *column;
	Jsonb	   *params;
	bool		has_mostly;
	double		mostly;
	const char *severity;
	NullableDatum name;
} DqNewExpectation;

/*
 * Store the expectation as the extension owner; returns its id.  The
 * columns it names are kept by number too, to follow renames.  A name
 * identifies an expectation of its relation: when one of that name exists
 * (the latest, should older ones share it), it is updated in place -- its
 * kind, column, parameters, mostly, severity and owner become the new
 * ones; its id, enabled flag, tags, description and history stay.
 */
static int64
DqStoreExpectation(DqNewExpectation *e)
{
	Oid			relid = RelationGetRelid(e->rel);
	Oid			argtypes[12] = {OIDOID, NAMEOID, NAMEOID, TEXTOID, NAMEOID, INT2OID,
	JSONBOID, FLOAT8OID, TEXTOID, TEXTOID, NAMEOID, INT2ARRAYOID};
	Datum		values[12];
	char		nulls[12];
	NameData	nsp,
				reln,
				coln,
				own;
	DqOwnerContext owner;
	DqRule	   *rule = e->rule;
	AttrNumber	attnum = e->column ? get_attnum(relid, e->column) : InvalidAttrNumber;
	int64		id;

	DqSpiConnect();
	DqBecomeExtensionOwner(&owner);
	memset(nulls, ' ', sizeof(nulls));
	namestrcpy(&nsp, get_namespace_name(RelationGetNamespace(e->rel)));
	namestrcpy(&reln, RelationGetRelationName(e->rel));
	namestrcpy(&own, GetUserNameFromId(owner.save_userid, false));
	values[0] = ObjectIdGetDatum(relid);
	values[1] = NameGetDatum(&nsp);
	values[2] = NameGetDatum(&reln);
	values[3] = CStringGetTextDatum(rule->def->name);
	if (e->column != NULL)
	{
		namestrcpy(&coln, e->column);
		values[4] = NameGetDatum(&coln);
		/* column_to_exist names a column that may not exist: no attnum */
		if (AttributeNumberIsValid(attnum) && !(rule->def->flags & DQ_KIND_NAMES_COLUMN))
			values[5] = Int16GetDatum(attnum);
		else
			nulls[5] = 'n';
	}
	else
		nulls[4] = nulls[5] = 'n';
	values[6] = JsonbPGetDatum(e->params);
	values[7] = Float8GetDatum(e->mostly);
	nulls[7] = e->has_mostly ? ' ' : 'n';
	values[8] = CStringGetTextDatum(e->severity);
	values[9] = e->name.value;
	nulls[9] = e->name.isnull ? 'n' : ' ';
	values[10] = NameGetDatum(&own);
	if (rule->def->ncols == 2 || rule->def->ncols == -1)
	{
		Datum	   *nums = palloc(sizeof(Datum) * rule->ncols);

		for (int i = 0; i < rule->ncols; i++)
			nums[i] = Int16GetDatum(get_attnum(relid, rule->cols[i].name));
		values[11] = PointerGetDatum(construct_array(nums, rule->ncols, INT2OID,
													 sizeof(int16), true, TYPALIGN_SHORT));
	}
	else
		nulls[11] = 'n';
	if (!e->name.isnull)
	{
		/* one definition at a time per relation: none inserts a twin */
		LockRelationOid(relid, ShareUpdateExclusiveLock);
		if (DqSpiRunArgs("UPDATE dq.expectations SET schema_name = $2, table_name = $3, "
						 "kind = $4, column_name = $5, attnum = $6, params = $7, "
						 "mostly = $8, severity = $9, owner = $11, param_attnums = $12 "
						 "WHERE expectation_id OPERATOR(pg_catalog.=) "
						 "  (SELECT pg_catalog.max(x.expectation_id) FROM dq.expectations x "
						 "    WHERE x.relid OPERATOR(pg_catalog.=) $1 "
						 "      AND x.name OPERATOR(pg_catalog.=) $10) "
						 "RETURNING expectation_id",
						 12, argtypes, values, nulls, false, SPI_OK_UPDATE_RETURNING,
						 "update the expectation of that name") == 1)
		{
			id = DqSpiInt64(0, 1);
			DqRestoreUser(&owner);
			SPI_finish();
			return id;
		}
	}
	id = DqSpiInsertReturningId("INSERT INTO dq.expectations (relid, schema_name, table_name, "
								"kind, column_name, attnum, params, mostly, severity, name, owner, "
								"param_attnums) "
								"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
								"RETURNING expectation_id",
								12, argtypes, values, nulls,
								"record the expectation");
	DqRestoreUser(&owner);
	SPI_finish();
	return id;
}

/* the hint of a NULL argument of dq.expect */
#define DQ_EXPECT_SIGNATURE "dq.expect(rel, kind, column_name, params, mostly, severity, name)."

/*
 * dq.expect(rel, kind, column_name, params, mostly, severity, name)
 */
Datum
dq_expect(PG_FUNCTION_ARGS)
{
	DqNewExpectation e = {0};
	Oid			relid;
	char	   *kind;
	DqColumnSource src;
	int64		id;

	DqRequireArg(fcinfo, 0, "rel", DQ_EXPECT_SIGNATURE);
	DqRequireArg(fcinfo, 1, "kind", DQ_EXPECT_SIGNATURE);
	DqRequireArg(fcinfo, 5, "severity", DQ_EXPECT_SIGNATURE);
	relid = PG_GETARG_OID(0);
	kind = text_to_cstring(PG_GETARG_TEXT_PP(1));
	e.column = PG_ARGISNULL(2) ? NULL : pstrdup(NameStr(*PG_GETARG_NAME(2)));
	e.params = PG_ARGISNULL(3) ?
		DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"))) :
		PG_GETARG_JSONB_P(3);
	e.severity = text_to_cstring(PG_GETARG_TEXT_PP(5));
	e.name.isnull = PG_ARGISNULL(6);
	e.name.value = e.name.isnull ? (Datum) 0 : PG_GETARG_DATUM(6);
	DqCheckSeverity(e.severity);
	e.mostly = DqResolveMostly(e.params, !PG_ARGISNULL(4),
							   PG_ARGISNULL(4) ? 1.0 : PG_GETARG_FLOAT8(4), &e.has_mostly);

	e.rel = DqOpenForExpectations(relid);
	DqCheckExpectationAdmin(relid);
	DqColumnSourceFromRelation(e.rel, &src);
	/* names in params as the definer means them, then checked as they run */
	e.params = DqCanonicalParams(kind, e.params);
	e.rule = DqCompileRuleFor(&src, GetUserId(), kind, e.column, e.params, e.mostly);
	id = DqStoreExpectation(&e);
	relation_close(e.rel, NoLock);
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
	(void) DqSpiRunArgs("SELECT relid FROM dq.expectations WHERE expectation_id = $1",
						1, argtypes, values, NULL, true, SPI_OK_SELECT,
						"read dq.expectations");
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
	DqSpiConnect();
	DqCheckExpectationAccess(id);
	values[0] = Int64GetDatum(id);
	values[1] = with_flag ? BoolGetDatum(PG_GETARG_BOOL(1)) : BoolGetDatum(false);
	DqBecomeExtensionOwner(&owner);
	(void) DqSpiRunArgs(sql, with_flag ? 2 : 1, argtypes, values, NULL, false, 0,
						"update the expectation");
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

/* ERROR unless tags is a JSON array of strings. */
static void
DqCheckTags(Jsonb *tags)
{
	bool		ok = JB_ROOT_IS_ARRAY(tags) && !JB_ROOT_IS_SCALAR(tags);

	if (ok)
	{
		JsonbIterator *it = JsonbIteratorInit(&tags->root);
		JsonbValue	v;
		JsonbIteratorToken tok;

		while (ok && (tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
			ok = (tok != WJB_ELEM || v.type == jbvString);
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tags must be a JSON array of strings"),
				 errhint("Pass for example '[\"nightly\", \"finance\"]'.")));
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

	DqRequireArg(fcinfo, 0, "expectation_id",
				 "Pass an expectation_id from dq.expectations.");
	if (!PG_ARGISNULL(2))
		DqCheckTags(PG_GETARG_JSONB_P(2));
	if (!PG_ARGISNULL(4))
		DqCheckSeverity(text_to_cstring(PG_GETARG_TEXT_PP(4)));
	for (i = 0; i < 6; i++)
	{
		values[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	DqSpiConnect();
	DqCheckExpectationAccess(PG_GETARG_INT64(0));
	DqBecomeExtensionOwner(&owner);
	(void) DqSpiRunArgs("UPDATE dq.expectations SET "
						"  enabled = COALESCE($2, enabled), tags = COALESCE($3, tags), "
						"  description = COALESCE($4, description), "
						"  severity = COALESCE($5, severity), name = COALESCE($6, name) "
						"WHERE expectation_id = $1",
						6, argtypes, values, nulls, false, SPI_OK_UPDATE,
						"update the expectation");
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
