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

#include "miscadmin.h"
#include "utils/guc.h"
#include "catalog/pg_class.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_range.h"
#include "catalog/pg_type.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/typcache.h"

#include "base/catalog.h"
#include "base/trust.h"

/* The search_path of every restricted operation and extension session. */
#define DQ_PINNED_SEARCH_PATH "pg_catalog, pg_temp"

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

/*
 * Settings of a session the extension opened itself (launcher, scheduler,
 * change validation worker), right after it connected.  The database's
 * owner can attach settings to the database (ALTER DATABASE ... SET) that
 * every session there picks up, the extension's own included: search_path
 * is pinned (see DqPinSessionSearchPath), "role" is reset so that the
 * session acts as the role it connected as, and the timeouts and
 * transaction defaults that would stop the extension's bookkeeping are
 * set to the server's defaults.  PGC_S_OVERRIDE outranks every setting a
 * user can make.
 */
void
DqPinWorkerSession(void)
{
	DqPinSessionSearchPath();
	SetConfigOption("role", "none", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("statement_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("lock_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("idle_in_transaction_session_timeout", "0",
					PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_read_only", "off",
					PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_isolation", "read committed",
					PGC_SUSET, PGC_S_OVERRIDE);
}

/*
 * Is roleid a superuser, or may it become one with SET ROLE (a member,
 * directly or not, of a superuser role)?  Either way, code running as
 * roleid can do what a superuser does.  Call inside a transaction.
 */
bool
DqRoleCanBecomeSuperuser(Oid roleid)
{
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	if (superuser_arg(roleid))
		return true;
	rel = table_open(AuthIdRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (!found && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_authid role = (Form_pg_authid) GETSTRUCT(tup);

		found = role->rolsuper && is_member_of_role(roleid, role->oid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * Was function funcid created by initdb?  Only such functions are
 * "built-in": everything else was defined by some role, in some language,
 * after the cluster was made.
 */
bool
DqFunctionIsBuiltin(Oid funcid)
{
	return OidIsValid(funcid) && funcid < FirstNormalObjectId;
}

/*
 * Does reading, printing and comparing values of type typid run built-in
 * code only?  False for domains (their CHECK constraints are any role's
 * expressions), for types whose input, output or comparison function is
 * not built-in, and for containers (arrays, composite types, ranges and
 * multiranges) of such types.  The change validation decoder evaluates
 * only rules over such types (cdc/decoder.c).
 */
bool
DqTypeIsBuiltinOnly(Oid typid)
{
	HeapTuple	tup;
	Form_pg_type typ;
	bool		ok = false;

	check_stack_depth();
	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tup))
		return false;
	typ = (Form_pg_type) GETSTRUCT(tup);
	switch (typ->typtype)
	{
		case TYPTYPE_BASE:
			ok = DqFunctionIsBuiltin(typ->typinput) &&
				DqFunctionIsBuiltin(typ->typoutput);
			if (ok && OidIsValid(typ->typelem) && IsTrueArrayType(typ))
				ok = DqTypeIsBuiltinOnly(typ->typelem);
			if (ok)
			{
				TypeCacheEntry *tce = lookup_type_cache(typid, TYPECACHE_CMP_PROC);

				ok = !OidIsValid(tce->cmp_proc) || DqFunctionIsBuiltin(tce->cmp_proc);
			}
			break;
		case TYPTYPE_ENUM:
			ok = true;
			break;
		case TYPTYPE_COMPOSITE:
			{
				TupleDesc	td = lookup_rowtype_tupdesc_copy(typid, -1);

				ok = true;
				for (int i = 0; ok && i < td->natts; i++)
					if (!TupleDescAttr(td, i)->attisdropped)
						ok = DqTypeIsBuiltinOnly(TupleDescAttr(td, i)->atttypid);
				FreeTupleDesc(td);
				break;
			}
		case TYPTYPE_RANGE:
		case TYPTYPE_MULTIRANGE:
			{
				Oid			rngtyp = typ->typtype == TYPTYPE_RANGE ? typid :
				get_multirange_range(typid);
				HeapTuple	rtup = SearchSysCache1(RANGETYPE, ObjectIdGetDatum(rngtyp));

				if (HeapTupleIsValid(rtup))
				{
					Form_pg_range rng = (Form_pg_range) GETSTRUCT(rtup);

					ok = (!OidIsValid(rng->rngcanonical) ||
						  DqFunctionIsBuiltin(rng->rngcanonical)) &&
						DqTypeIsBuiltinOnly(rng->rngsubtype);
					ReleaseSysCache(rtup);
				}
				break;
			}
		default:
			/* domains, pseudo-types */
			ok = false;
			break;
	}
	ReleaseSysCache(tup);
	return ok;
}
