/*-------------------------------------------------------------------------
 *
 * utility_hook.c
 *	  The library's one ProcessUtility hook: what dq_lineage does around
 *	  commands that concern a whole database or the extension itself.
 *
 * The hook decides which command is concerned, and whether the command's
 * own permission checks will pass, then calls each subsystem's handler;
 * the subsystems do not know about each other:
 *
 *	 - DROP DATABASE, ALTER DATABASE ... RENAME / SET TABLESPACE and CREATE
 *	   DATABASE ... TEMPLATE need the database without other sessions: its
 *	   scheduler and its alert delivery are paused until the transaction
 *	   ends (sched/launcher.c, alert/alert_launcher.c) and its change
 *	   validation worker is stopped, its slot kept (cdc/cdc_drop.c); DROP
 *	   DATABASE then drops the slot itself.
 *	 - DROP EXTENSION dq_lineage pauses the database's scheduler and alert
 *	   delivery, and the change validation slot is dropped when the
 *	   transaction commits (cdc/cdc_drop.c): a DROP that fails or is rolled back leaves it, so
 *	   no committed change goes unvalidated.  Once the extension is gone,
 *	   its schema dq goes too if it is empty and belongs to the extension's
 *	   owner (CREATE EXTENSION created it).
 *	 - CREATE or ALTER EXTENSION dq_lineage wakes the database's alert
 *	   delivery when the transaction commits (alert/alert_launcher.c).
 *	 - CREATE EXTENSION dq_lineage refuses a schema dq that another role
 *	   (not a superuser) already owns: that role could otherwise add
 *	   functions next to the extension's that its users' calls would
 *	   resolve to.
 *
 * Nothing is done for a command whose permission check would fail, or
 * that PostgreSQL would refuse in a transaction block: a role that may not
 * drop a database cannot stop its change validation by trying.  The checks
 * repeat PostgreSQL's own (ownership, CREATEDB) before the command runs,
 * because DROP DATABASE refuses a database that still has a session, and
 * the pausing must come first.
 *
 * The hook is installed whenever the library is loaded; the handlers that
 * need the workers do nothing without preloading.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "alert/alert.h"
#include "base/catalog.h"
#include "base/compat.h"
#include "base/sysscan.h"
#include "cdc/cdc_worker.h"
#include "sched/worker.h"
#include "utility_hook.h"

static ProcessUtility_hook_type prev_process_utility_hook = NULL;

/* May the current user create databases (PostgreSQL's own test)? */
static bool
DqHasCreatedb(void)
{
	HeapTuple	tup;
	bool		result = false;

	if (superuser())
		return true;
	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(GetUserId()));
	if (HeapTupleIsValid(tup))
	{
		result = ((Form_pg_authid) GETSTRUCT(tup))->rolcreatedb;
		ReleaseSysCache(tup);
	}
	return result;
}

/* A database by name that the current user owns, else InvalidOid. */
static Oid
DqOwnedDatabase(const char *name)
{
	Oid			dboid = name ? get_database_oid(name, true) : InvalidOid;

	if (!OidIsValid(dboid) || dboid == MyDatabaseId ||
		!pg_database_ownercheck(dboid, GetUserId()))
		return InvalidOid;
	return dboid;
}

/*
 * The database a command needs idle, when the command's permission checks
 * will pass, else InvalidOid; *drops: the command drops it.
 */
static Oid
DqDatabaseNeedingIdle(Node *stmt, bool top_level, bool *drops)
{
	ListCell   *lc;
	bool		may_block = top_level && !IsTransactionBlock();

	*drops = false;
	switch (nodeTag(stmt))
	{
		case T_DropdbStmt:
			/* refused in a transaction block: PreventInTransactionBlock */
			if (!may_block)
				return InvalidOid;
			*drops = true;
			return DqOwnedDatabase(((DropdbStmt *) stmt)->dbname);
		case T_RenameStmt:
			if (((RenameStmt *) stmt)->renameType != OBJECT_DATABASE ||
				!DqHasCreatedb())
				return InvalidOid;
			return DqOwnedDatabase(((RenameStmt *) stmt)->subname);
		case T_AlterDatabaseStmt:
			if (!may_block)
				return InvalidOid;
			foreach(lc, ((AlterDatabaseStmt *) stmt)->options)
				if (strcmp(((DefElem *) lfirst(lc))->defname, "tablespace") == 0)
					return DqOwnedDatabase(((AlterDatabaseStmt *) stmt)->dbname);
			return InvalidOid;
		case T_CreatedbStmt:
			if (!may_block || !DqHasCreatedb())
				return InvalidOid;
			foreach(lc, ((CreatedbStmt *) stmt)->options)
				if (strcmp(((DefElem *) lfirst(lc))->defname, "template") == 0)
					return DqOwnedDatabase(defGetString((DefElem *) lfirst(lc)));
			return InvalidOid;
		default:
			return InvalidOid;
	}
}

/*
 * Does the command drop extension dq_lineage, installed here, and may the
 * current user drop it?  Sets *schema and *owner to the extension's.
 */
static bool
DqDropsOurExtension(Node *stmt, Oid *schema, Oid *owner)
{
	Oid			extoid;

	if (!DqStmtDropsExtension(stmt))
		return false;
	extoid = get_extension_oid("dq_lineage", true);
	if (!OidIsValid(extoid) || !pg_extension_ownercheck(extoid, GetUserId()))
		return false;
	/* the control file's schema (non-relocatable) */
	*schema = get_namespace_oid("dq", true);
	*owner = DqExtensionOwner();
	return true;
}

/* Does the command create or update extension dq_lineage? */
static bool
DqInstallsOurExtension(Node *stmt)
{
	if (IsA(stmt, CreateExtensionStmt))
		return strcmp(((CreateExtensionStmt *) stmt)->extname, "dq_lineage") == 0;
	if (IsA(stmt, AlterExtensionStmt))
		return strcmp(((AlterExtensionStmt *) stmt)->extname, "dq_lineage") == 0;
	return false;
}

/* The owner of schema nsp; InvalidOid when it does not exist (any more). */
static Oid
DqSchemaOwner(Oid nsp)
{
	HeapTuple	tup;
	Oid			nspowner;

	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	nspowner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return nspowner;
}

/*
 * CREATE EXTENSION dq_lineage into a schema dq that a role other than the
 * current user or a superuser owns: refused.
 */
static void
DqCheckExtensionSchema(Node *stmt)
{
	CreateExtensionStmt *create = (CreateExtensionStmt *) stmt;
	Oid			nsp;
	Oid			nspowner;

	if (!IsA(stmt, CreateExtensionStmt) ||
		strcmp(create->extname, "dq_lineage") != 0 ||
		OidIsValid(get_extension_oid("dq_lineage", true)))
		return;
	nsp = get_namespace_oid("dq", true);
	if (!OidIsValid(nsp))
		return;
	nspowner = DqSchemaOwner(nsp);
	if (!OidIsValid(nspowner))
		return;
	if (nspowner != GetUserId() && !superuser_arg(nspowner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("schema \"dq\" already exists and belongs to role \"%s\"",
						GetUserNameFromId(nspowner, false)),
				 errdetail("The owner of a schema can add objects to it that calls of dq_lineage's functions would resolve to."),
				 errhint("Drop the schema, or make a superuser or yourself its owner, then create the extension.")));
}

/* Is anything left in schema nsp (does any object depend on it)? */
static bool
DqSchemaInUse(Oid nsp)
{
	ScanKeyData key[2];

	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(NamespaceRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(nsp));
	return DqSysScanFind(DependRelationId, DependReferenceIndexId, 2, key,
						 NULL, NULL);
}

/*
 * After DROP EXTENSION dq_lineage: drop its schema if it is empty and
 * belongs to the role that owned the extension (CREATE EXTENSION created
 * it); a schema someone else made, or put something in, stays.
 */
static void
DqDropEmptySchema(Oid nsp, Oid extowner)
{
	Oid			nspowner;
	ObjectAddress obj;

	CommandCounterIncrement();
	if (OidIsValid(get_extension_oid("dq_lineage", true)))
		return;
	nspowner = DqSchemaOwner(nsp);
	if (!OidIsValid(nspowner) || nspowner != extowner || !has_privs_of_role(GetUserId(), nspowner) ||
		DqSchemaInUse(nsp))
		return;
	ObjectAddressSet(obj, NamespaceRelationId, nsp);
	performDeletion(&obj, DROP_RESTRICT, PERFORM_DELETION_INTERNAL);
}

static void
dq_process_utility(DQ_PROCESS_UTILITY_PARAMS)
{
	Node	   *stmt = pstmt->utilityStmt;
	bool		drops_db = false;
	Oid			idle_db;
	bool		drops_ext;
	Oid			ext_schema = InvalidOid;
	Oid			ext_owner = InvalidOid;

	DqCheckExtensionSchema(stmt);
	idle_db = DqDatabaseNeedingIdle(stmt, context == PROCESS_UTILITY_TOPLEVEL,
									&drops_db);
	if (OidIsValid(idle_db))
	{
		DqSchedPauseForCommand(idle_db, drops_db);
		DqAlertPauseForCommand(idle_db, drops_db);
		DqCdcStopForCommand(idle_db);
	}
	drops_ext = DqDropsOurExtension(stmt, &ext_schema, &ext_owner);
	if (drops_ext)
	{
		DqSchedPauseForCommand(MyDatabaseId, false);
		DqAlertPauseForCommand(MyDatabaseId, false);
		DqCdcDropSlotAtCommit();
	}
	if (DqInstallsOurExtension(stmt))
		DqAlertWakeAtCommit();

	DqNextProcessUtility(prev_process_utility_hook, DQ_PROCESS_UTILITY_ARGS);

	if (drops_ext && OidIsValid(ext_schema))
		DqDropEmptySchema(ext_schema, ext_owner);
}

/* Called from _PG_init. */
void
DqUtilityHookInit(void)
{
	prev_process_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = dq_process_utility;
}
