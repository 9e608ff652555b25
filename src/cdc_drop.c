/*-------------------------------------------------------------------------
 *
 * cdc_drop.c
 *	  DROP EXTENSION dq_lineage drops the database's change validation
 *	  slot.
 *
 * Replication slots are not extension members: left behind, a slot would
 * retain WAL forever, and PostgreSQL refuses to drop a database that has
 * one.  A ProcessUtility hook (installed when the library is preloaded)
 * stops the worker and drops the slot before the extension or the database
 * is dropped.  Dropping a slot is not transactional: if the DROP EXTENSION
 * then fails or is rolled back, the worker creates the slot again, from
 * the current position, the next time it is started.  Without preloading
 * there is no worker and dq.watch refuses to run, so there is no slot.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"

#include "cdc_worker.h"

static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* Does stmt drop extension dq_lineage? */
static bool
DqCdcDropsExtension(Node *stmt)
{
	DropStmt   *drop = (DropStmt *) stmt;
	ListCell   *lc;

	if (!IsA(stmt, DropStmt) || drop->removeType != OBJECT_EXTENSION)
		return false;
	foreach(lc, drop->objects)
	{
		Node	   *obj = lfirst(lc);

		if (IsA(obj, String) && strcmp(strVal(obj), "dq_lineage") == 0)
			return true;
	}
	return false;
}

static void
DqCdcProcessUtility(PlannedStmt *pstmt, const char *queryString,
					bool readOnlyTree, ProcessUtilityContext context,
					ParamListInfo params, QueryEnvironment *queryEnv,
					DestReceiver *dest, QueryCompletion *qc)
{
	if (DqCdcDropsExtension(pstmt->utilityStmt) &&
		OidIsValid(get_extension_oid("dq_lineage", true)))
		DqCdcStopAndDropSlot(MyDatabaseId);
	if (IsA(pstmt->utilityStmt, DropdbStmt))
	{
		Oid			dbid = get_database_oid(((DropdbStmt *) pstmt->utilityStmt)->dbname, true);

		if (OidIsValid(dbid))
			DqCdcStopAndDropSlot(dbid);
	}

	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
							params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

/*
 * Install the hook; called from DqCdcInit when preloaded.
 */
void
DqCdcInstallDropHook(void)
{
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = DqCdcProcessUtility;
}
