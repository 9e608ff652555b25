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
#include "access/transam.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_range.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "base/spi_util.h"
#include "base/sysscan.h"
#include "base/trust.h"

/* The search_path of every restricted operation and extension session. */
#define DQ_PINNED_SEARCH_PATH "pg_catalog, pg_temp"

/* The owner in a pg_extension row, into *arg. */
static bool
DqExtensionRowOwner(HeapTuple tup, TupleDesc td, void *arg)
{
	*(Oid *) arg = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	return true;
}

/*
 * Owner of the dq_lineage extension in the current database.
 */
Oid
DqExtensionOwner(void)
{
	Oid			extoid = get_extension_oid("dq_lineage", true);
	ScanKeyData key;
	Oid			owner = InvalidOid;

	if (!OidIsValid(extoid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"dq_lineage\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION dq_lineage.")));
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(extoid));
	(void) DqSysScanFind(ExtensionRelationId, ExtensionOidIndexId, 1, &key,
						 DqExtensionRowOwner, &owner);
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

/* Is the pg_authid row a superuser role that role *arg is a member of? */
static bool
DqSuperuserRoleOf(HeapTuple tup, TupleDesc td, void *arg)
{
	Form_pg_authid role = (Form_pg_authid) GETSTRUCT(tup);

	return role->rolsuper && is_member_of_role(*(Oid *) arg, role->oid);
}

/*
 * Is roleid a superuser, or may it become one with SET ROLE (a member,
 * directly or not, of a superuser role)?  Either way, code running as
 * roleid can do what a superuser does.  Call inside a transaction.
 */
bool
DqRoleCanBecomeSuperuser(Oid roleid)
{
	if (superuser_arg(roleid))
		return true;
	return DqSysScanFind(AuthIdRelationId, InvalidOid, 0, NULL,
						 DqSuperuserRoleOf, &roleid);
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

/*
 * Run fn(arg) as role "roleid" (see DqBecomeOwner).
 */
void
DqRunAsRole(Oid roleid, void (*fn) (void *arg), void *arg)
{
	DqOwnerContext ctx;

	DqBecomeOwner(roleid, &ctx);
	fn(arg);
	DqRestoreUser(&ctx);
}

/* what DqPermsWalker checks, and for whom */
typedef struct DqPermsContext
{
	Oid			roleid;
	const char *why;
} DqPermsContext;

/*
 * Check the privileges of every relation a rewritten query reads, in its
 * subqueries, CTEs, sublinks and security quals too.
 */
static bool
DqPermsWalker(Node *node, void *arg)
{
	DqPermsContext *pc = (DqPermsContext *) arg;

	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *rte = (RangeTblEntry *) node;

		if (rte->rtekind == RTE_RELATION &&
			!ExecCheckRTPerms(list_make1(rte), false))
		{
			Oid			as = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : pc->roleid;
			char	   *relname = get_rel_name(rte->relid);
			char		relkind = get_rel_relkind(rte->relid);

			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for %s %s",
							relkind == RELKIND_VIEW ? "view" :
							relkind == RELKIND_MATVIEW ? "materialized view" :
							relkind == RELKIND_FOREIGN_TABLE ? "foreign table" :
							relkind == RELKIND_SEQUENCE ? "sequence" : "table",
							relname ? relname : "(dropped)"),
					 errdetail("Role \"%s\" may not read it; %s",
							   GetUserNameFromId(as, false), pc->why),
					 errhint("GRANT SELECT on the relation (or on the columns read) to role \"%s\".",
							 GetUserNameFromId(as, false))));
		}
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, DqPermsWalker, arg,
								 QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, DqPermsWalker, arg);
}

/*
 * May role "roleid" read columns "attnums" (a list of attribute numbers)
 * of relation "relid"?  whole_row asks for every column, an empty list
 * for none (a row count: SELECT on any column is enough).  The query
 * "SELECT <columns> FROM <relation>" is parsed and rewritten as that role
 * -- schema USAGE, views, security_invoker views and row-level security
 * included -- and the privileges of every relation it would read are
 * checked, as the executor would; nothing runs.  ERROR (42501) when not,
 * with "why" (a sentence) as detail.
 */
void
DqCheckRoleCanSelect(Oid roleid, Oid relid, List *attnums, bool whole_row,
					 const char *why)
{
	StringInfoData q;
	char	   *relname = get_rel_name(relid);
	DqOwnerContext ctx;
	DqPermsContext pc = {roleid, why};
	SPIPlanPtr	plan;
	ListCell   *lc;
	bool		first = true;

	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid),
				 errhint("The relation was dropped.")));
	initStringInfo(&q);
	appendStringInfoString(&q, "SELECT ");
	if (whole_row)
		appendStringInfoString(&q, "*");
	foreach(lc, whole_row ? NIL : attnums)
	{
		AttrNumber	att = (AttrNumber) lfirst_int(lc);

		appendStringInfo(&q, "%s%s", first ? "" : ", ",
						 quote_identifier(get_attname(relid, att, false)));
		first = false;
	}
	appendStringInfo(&q, " FROM %s",
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												relname));

	DqBecomeOwner(roleid, &ctx);
	DqSpiConnect();
	plan = SPI_prepare(q.data, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "could not parse \"%s\": %s", q.data,
			 SPI_result_code_string(SPI_result));
	foreach(lc, SPI_plan_get_plan_sources(plan))
	{
		CachedPlanSource *ps = (CachedPlanSource *) lfirst(lc);
		ListCell   *lq;

		foreach(lq, ps->query_list)
			(void) DqPermsWalker((Node *) lfirst(lq), &pc);
	}
	SPI_freeplan(plan);
	SPI_finish();
	DqRestoreUser(&ctx);
}

/*
 * Is the code of type typid (its input function, a domain's constraints,
 * the types it is built of) trusted whoever runs it: a built-in type, or
 * a member of an extension (which a superuser, or the trusted-extension
 * mechanism, installed)?  An array counts as its element type.
 */
bool
DqTypeCodeIsTrusted(Oid typid)
{
	Oid			elem = get_element_type(typid);

	if (OidIsValid(elem))
		typid = elem;
	if (typid < FirstNormalObjectId)
		return true;
	return OidIsValid(getExtensionOfObject(TypeRelationId, typid));
}

/*
 * Type typid was named by role "chooser" (an expectation's owner, or the
 * caller of dq.check) and its input function is to run as role "runner"
 * (the relation's owner).  That is allowed when the type's code is
 * trusted, when the chooser has the runner's privileges anyway, or when
 * the type's owner has them: otherwise the chooser, or the type's owner,
 * would have their code run with privileges they do not have.  ERROR
 * (42501) when not allowed; "param" names the parameter, for the message.
 */
void
DqCheckTypeMayRunAs(Oid typid, Oid chooser, Oid runner, const char *param)
{
	HeapTuple	tup;
	Oid			typowner;
	Oid			elem = get_element_type(typid);

	if (DqTypeCodeIsTrusted(typid) || has_privs_of_role(chooser, runner))
		return;
	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(OidIsValid(elem) ? elem : typid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for type %u", typid);
	typowner = ((Form_pg_type) GETSTRUCT(tup))->typowner;
	ReleaseSysCache(tup);
	if (has_privs_of_role(typowner, runner))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("type %s named in %s cannot be used on this relation",
					format_type_be(typid), param),
			 errdetail("Its input function and constraints would run as role \"%s\", the relation's owner, who neither chose the type nor owns it.",
					   GetUserNameFromId(runner, false)),
			 errhint("Use a built-in type or a type of an extension, or ask the relation's owner to define the expectation.")));
}
