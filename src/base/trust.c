/*-------------------------------------------------------------------------
 *
 * trust.c
 *	  Whose rights the extension's own SQL and other roles' code run with.
 *
 * The rule (docs/security.md has the threat model):
 *
 * 1. Code that another role defined -- functions in views, domain CHECK
 *    constraints, type input functions, operators, row conditions,
 *    expressions of an expectation -- runs as that role (the owner of the
 *    table, or of the expectation), never as the caller, the extension
 *    owner or a superuser, and under SECURITY_RESTRICTED_OPERATION, the
 *    way REINDEX, VACUUM and REFRESH MATERIALIZED VIEW run a table owner's
 *    index expressions: DqBecomeOwner().
 *
 * 2. The extension's bookkeeping (writes to its own catalog tables, which
 *    PUBLIC cannot write) runs as the extension owner, also restricted, and
 *    runs only SQL that the extension wrote, with every function and
 *    operator schema-qualified: DqBecomeExtensionOwner().
 *
 * 3. Both pin search_path to "pg_catalog, pg_temp" while they last, so an
 *    object that someone created in another schema cannot stand in for a
 *    built-in one; sessions the extension opens itself (launcher,
 *    scheduler, job runner bookkeeping, change validation worker) pin it
 *    for the whole session: DqPinSessionSearchPath().
 *
 * SECURITY_RESTRICTED_OPERATION forbids what could outlive the operation
 * or change the session (SET ROLE, temporary tables, cursors left open,
 * PREPARE); with SECURITY_LOCAL_USERID_CHANGE it also keeps SET ROLE and
 * SET SESSION AUTHORIZATION from undoing the switch.
 *
 * Every switch saves the GUC nest level and the caller's identity, and
 * DqRestoreUser() restores both.  On an error, the transaction's abort
 * restores them (AtEOXact_GUC, and the abort of the user id and security
 * context), so callers need no PG_TRY just for this.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "base/trust.h"

/* The search_path of every restricted operation and extension session. */
#define DQ_PINNED_SEARCH_PATH "pg_catalog, pg_temp"

/*
 * Owner of the dq_lineage extension in the current database.
 */
Oid
DqExtensionOwner(void)
{
	Oid			extoid = get_extension_oid("dq_lineage", true);
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	Oid			owner = InvalidOid;

	if (!OidIsValid(extoid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"dq_lineage\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION dq_lineage.")));

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(owner))
		elog(ERROR, "could not find the owner of extension dq_lineage");
	return owner;
}

/*
 * Act as role "roleid", restricted, with search_path pinned.
 */
void
DqBecomeOwner(Oid roleid, DqOwnerContext *ctx)
{
	if (!OidIsValid(roleid))
		elog(ERROR, "invalid role for a restricted operation");
	GetUserIdAndSecContext(&ctx->save_userid, &ctx->save_sec_context);
	SetUserIdAndSecContext(roleid,
						   ctx->save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	ctx->save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", DQ_PINNED_SEARCH_PATH,
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

/*
 * Act as the owner of relation "relid" (see DqBecomeOwner).
 */
void
DqBecomeRelationOwner(Oid relid, DqOwnerContext *ctx)
{
	Oid			owner = DqRelationOwner(relid);

	DqBecomeOwner(owner, ctx);
}

/*
 * Act as the extension owner, for the extension's own bookkeeping.
 */
void
DqBecomeExtensionOwner(DqOwnerContext *ctx)
{
	DqBecomeOwner(DqExtensionOwner(), ctx);
}

/*
 * Back to the caller's identity and settings.
 */
void
DqRestoreUser(DqOwnerContext *ctx)
{
	AtEOXact_GUC(false, ctx->save_nestlevel);
	SetUserIdAndSecContext(ctx->save_userid, ctx->save_sec_context);
}

/*
 * Owner of a relation; an error if it does not exist (any more).
 */
Oid
DqRelationOwner(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid),
				 errhint("The relation was dropped; its expectations and watches end with it.")));
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Pin search_path for the rest of a session the extension opened itself
 * (a background worker).  Settings made by ALTER DATABASE or ALTER ROLE
 * come from lower-priority sources and cannot override it.
 */
void
DqPinSessionSearchPath(void)
{
	SetConfigOption("search_path", DQ_PINNED_SEARCH_PATH,
					PGC_SUSET, PGC_S_OVERRIDE);
}
